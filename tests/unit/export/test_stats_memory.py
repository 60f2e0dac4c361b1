"""A Stata or SPSS export holds each table compactly: its peak memory grows by a few bytes per
cell, not by a Python object per cell.

pyreadstat writes a file from one pandas DataFrame and cannot append to it, so a table is held
while its file is written (:mod:`fieldapp.export.stats`). Attacked from outside: ``fieldapp
export --format stata`` (and ``spss``) runs as a separate process (the real command line) on
two workspaces that differ only in how many survey responses they hold — 2 against
:data:`RESPONSES` — and the peak resident set size of each process is the kernel's ``VmHWM``
for that process, read as the command ends. What a CSV export of the same two workspaces
grows by (the streamed reading every format shares) is taken off, leaving the table.

The answers are what a survey's answers are like: open answers that repeat word for word
(the database returns a fresh string for every cell), numbers, a date, a select_one, a
select_multiple, a repeat. The collection that kept a Python object per cell (and pandas
copies of the table) took ~1,600 bytes per response more than CSV; the bound here is
:data:`PER_RESPONSE` bytes. Every response is then read back with pyreadstat (and, for
Stata, pandas). Not timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from fieldapp.export.atomic import Ticker
from fieldapp.export.labels import Translator
from fieldapp.export.layout import plan
from fieldapp.export.stats import (
    SPSS_NOT_ANSWERED,
    STATA_NOT_ANSWERED,
    _date_number,
    write_table,
)
from fieldapp.export.table import Column, Table
from fieldapp.services import records, surveys
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF
from tests.unit.export.conftest import write_form
from tests.unit.export.test_streaming import CHILD

ROOT = Path(__file__).resolve().parents[3]
MB = 1024 * 1024
RESPONSES = 12_000
#: how much more a Stata/SPSS export may hold at its peak than a CSV export, per response
#: more: the survey's 28 and its repeat's 8 columns at ~8 bytes a cell, the unique ids
#: (~435 bytes measured), and room for noise (the old collection: ~1,600)
PER_RESPONSE = 900
#: open answers as researchers type them: the same words in many responses
ANSWERS = ["机构承接政府购买服务项目，合同每年续签，评估由第三方负责。" * 4,
           ("Contract renewed yearly; the evaluation is done by a third party. " * 3).strip(),
           "经费拨付常常延迟三到六个月，机构只能先垫付。" * 5, "不知道"]
FUNDERS = ["民政局", "区残联 (District Disabled Persons' Federation)", "街道办事处"]

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="reads the peak memory from /proc")


def _answers(k: int) -> dict[str, object]:
    org: dict[str, object] = {"budget": (k % 400) / 4, "registered": "yes" if k % 3 else "no"}
    if k % 7:  # every 7th left blank: "not answered"
        org["n_staff"] = k % 60
    return {"org_name": ANSWERS[k % len(ANSWERS)], "org": org,
            "sectors": ["hiv", "mig", "dis"][: 1 + k % 3],
            "founded": f"20{10 + k % 15}-0{1 + k % 9}-1{k % 10}",
            "contract": [{"funder": FUNDERS[k % len(FUNDERS)], "amount": float(k % 90)}]}


def _workspace(path: Path, tmp: Path, responses: int) -> Path:
    ws, _recovery = Workspace.initialise(path, PASSPHRASE, researcher="Test", kdf=TEST_KDF)
    try:
        pid = records.add_participant(ws, code="KM-HIV-001", site="KM", sector="HIV")
        records.record_consent(ws, pid, form_version="v1", language="zh", method="written",
                               date_given="2026-03-01", scopes=["verbatim_quotes"])
        inst = surveys.import_instrument(ws, write_form(tmp / f"form-{path.name}.xlsx"))
        for start in range(0, responses, 2_000):
            batch = range(start, min(responses, start + 2_000))
            surveys.add_responses(ws, inst, [_answers(k) for k in batch], complete_them=True,
                                  links=[{"site": "KM", "sector": "HIV"}] * len(batch))
    finally:
        ws.close()
    return path


def _peak_of_export(ws_path: Path, out: Path, fmt: str) -> int:
    """Run ``fieldapp export`` in its own process; its peak resident set size in bytes."""
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT),
           "FIELDAPP_LANG": "en"}
    done = subprocess.run([sys.executable, "-c", CHILD, "export", str(ws_path), str(out),
                           "--format", fmt, "--lang", "zh_CN"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.strip().splitlines()[-1].split()[1])


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """The small and the big workspace, and how much more a CSV export of the big one peaks
    at: the reading path every format shares (records streamed in batches, the ids of the
    records, the database's page cache), which is not what this test is about."""
    tmp = tmp_path_factory.mktemp("stats_memory")
    small, big = _workspace(tmp / "small", tmp, 2), _workspace(tmp / "big", tmp, RESPONSES)
    shared = _peak_of_export(big, tmp / "big-csv", "csv") - _peak_of_export(
        small, tmp / "small-csv", "csv")
    return small, big, shared


@pytest.mark.parametrize("fmt", ["stata", "spss"])
def test_stats_export_memory_grows_by_little_per_response(
        workspaces: tuple[Path, Path, int], tmp_path: Path, fmt: str) -> None:
    small, big, shared = workspaces
    base = _peak_of_export(small, tmp_path / "small", fmt)
    peak = _peak_of_export(big, tmp_path / "big", fmt)
    growth = peak - base - shared
    print(f"{fmt}: peak {peak / MB:.0f} MiB; for {RESPONSES} more responses "
          f"{(peak - base) / MB:.1f} MiB more, {shared / MB:.1f} MiB of it as for CSV: "
          f"{growth / RESPONSES:.0f} bytes a response for the table")
    assert growth < RESPONSES * PER_RESPONSE, (
        f"the table took {growth / MB:.1f} MiB for {RESPONSES} responses "
        f"({growth / RESPONSES:.0f} bytes each; at most {PER_RESPONSE})")

    # and everything was written, as it was given: read back by two readers
    (survey,) = [p for p in (tmp_path / "big").iterdir() if p.stem == "NGO survey"]
    frame, meta = (pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta)(
        str(survey), user_missing=True)
    assert len(frame) == RESPONSES
    assert frame["org_name"].tolist() == [ANSWERS[k % len(ANSWERS)] for k in range(RESPONSES)]
    blank = STATA_NOT_ANSWERED if fmt == "stata" else SPSS_NOT_ANSWERED
    assert frame["org_n_staff"].tolist() == [k % 60 if k % 7 else blank
                                             for k in range(RESPONSES)]
    assert frame["org_budget"].tolist() == [(k % 400) / 4 for k in range(RESPONSES)]
    founded = [pd.Timestamp(_answers(k)["founded"]).date()  # type: ignore[arg-type]
               for k in range(RESPONSES)]
    assert frame["founded"].tolist() == founded
    yn = meta.variable_value_labels["org_registered"]
    assert [yn[v] for v in frame["org_registered"]] == [
        "是" if k % 3 else "否" for k in range(RESPONSES)]
    assert frame["sectors_dis"].tolist() == [int(k % 3 == 2) for k in range(RESPONSES)]
    if fmt == "stata":
        plain = pd.read_stata(survey, convert_categoricals=False)
        assert plain["org_name"].tolist() == frame["org_name"].tolist()
        assert [d.date() for d in plain["founded"]] == founded
        assert (plain["org_budget"] == frame["org_budget"]).all()
        assert plain["org_n_staff"].isna().tolist() == [k % 7 == 0 for k in range(RESPONSES)]


@pytest.mark.parametrize("spss", [False, True])
def test_dates_are_the_numbers_pyreadstat_writes(tmp_path: Path, spss: bool) -> None:
    """Dates and date-times are collected as the package's numbers (an array of floats, not
    a Python object per cell): the same numbers pyreadstat computes from Python values."""
    stamps = [datetime(2026, 4, 1, 9, 30, 15, 123456), datetime(1959, 12, 31, 23, 59, 59),
              datetime(1900, 1, 1), datetime(2099, 12, 31, 0, 0, 0, 1),
              datetime(2026, 11, 24, 1, 2, 3, 999999)]
    days = [s.date() for s in stamps]
    frame = pd.DataFrame({"t": pd.Series(stamps, dtype=object),
                          "d": pd.Series(days, dtype=object)})
    path = tmp_path / ("p.sav" if spss else "p.dta")
    (pyreadstat.write_sav if spss else pyreadstat.write_dta)(frame, str(path))
    raw, _meta = (pyreadstat.read_sav if spss else pyreadstat.read_dta)(
        str(path), disable_datetime_conversion=True)
    assert raw["t"].tolist() == [_date_number(s, "datetime", spss) for s in stamps]
    assert raw["d"].tolist() == [_date_number(d, "date", spss) for d in days]


@pytest.mark.parametrize("counted", [0, 2, 5_000])
@pytest.mark.parametrize("spss", [False, True])
def test_a_count_that_is_off_loses_and_adds_nothing(tmp_path: Path, spss: bool,
                                                    counted: int) -> None:
    """Text is collected into arrays sized by the table's count: rows beyond the count (a
    count of 0, of 2) still all arrive, and a count too high adds no blank rows."""
    columns = [Column("name", "Name", "text"), Column("n", "N", "int", question=True),
               Column("when", "When", "datetime")]
    values = [[f"受访者 {k % 7}" if k % 5 else f"unique {k}", k % 11 if k % 4 else None,
               datetime(2026, 1, 1, k % 24, k % 60)] for k in range(3_000)]
    table = Table("t", "T", columns, lambda: iter(values), counted)
    planned = plan(table, names=True)
    path = tmp_path / ("t.sav" if spss else "t.dta")
    write_table(planned, path, spss, Translator("en"), Ticker(0))
    frame, _meta = (pyreadstat.read_sav if spss else pyreadstat.read_dta)(
        str(path), user_missing=True)
    assert frame["name"].tolist() == [v[0] for v in values]
    blank = SPSS_NOT_ANSWERED if spss else STATA_NOT_ANSWERED
    assert frame["n"].tolist() == [blank if v[1] is None else v[1] for v in values]
    assert frame["when"].tolist() == [v[2] for v in values]
