"""Stata and SPSS files, read back with pyreadstat and pandas: names, labels in the chosen
language, value labels, dates, "not asked" against "not answered", long text."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from openpyxl import Workbook

from fieldapp.cli import main as cli_main
from fieldapp.export.stats import (
    SPSS_NOT_ANSWERED,
    SPSS_NOT_ASKED,
    stat_name,
    stat_names,
)
from fieldapp.services import surveys
from tests.conftest import PASSPHRASE
from tests.unit.export.conftest import EN, LONG_NOTE, ZH, Study
from tests.unit.export.helpers import run

SKIP_SURVEY = [
    ["type", "name", EN, ZH, "relevant"],
    ["select_one yn", "has_staff", "Has paid staff?", "有专职员工吗？", None],
    ["integer", "n_staff", "Paid staff", "专职员工人数", "${has_staff} = 'yes'"],
    ["select_one size", "size", "Size", "规模", "${has_staff} = 'yes'"],
    ["date", "since", "Since", "起始日期", None],
    ["begin group", "a_rather_long_group_name_for_testing", "G", "组", None],
    ["integer", "another_very_long_question_name_here", "Long", "长", None],
    ["end group", None, None, None, None],
]
SKIP_CHOICES = [
    ["list_name", "name", EN, ZH],
    ["yn", "yes", "Yes", "是"], ["yn", "no", "No", "否"],
    ["size", "10", "Small", "小"], ["size", "20", "Large", "大"],
]


def _skip_form(path: Path) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    settings = [["form_id", "version", "form_title", "default_language"],
                ["skip_form", "1", "Staff survey", "English (en)"]]
    for name, rows in (("survey", SKIP_SURVEY), ("choices", SKIP_CHOICES),
                       ("settings", settings)):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _add_skip_responses(study: Study) -> None:
    inst = surveys.import_instrument(study.ws, _skip_form(study.tmp / "skip.xlsx"))
    for answers in ({"has_staff": "yes", "n_staff": 4, "size": "20", "since": "2020-05-01"},
                    {"has_staff": "no"},
                    {"has_staff": "yes"}):
        surveys.add_response_from_answers(study.ws, inst, answers, site="KM", sector="HIV",
                                          researcher="林晓", complete_it=False)


def _read(path: Path, spss: bool) -> tuple[pd.DataFrame, Any]:
    if spss:
        return pyreadstat.read_sav(str(path), user_missing=True)
    return pyreadstat.read_dta(str(path), user_missing=True)


def test_names_are_valid_unique_and_short() -> None:
    keys = ["_index", "org/n_staff", "sectors/hiv", "a" * 40, "a" * 40, "if",
            "group_with_a_long_name/another_group_name/the_question", "2nd", "名字", "N_STAFF",
            "n_staff"]
    names = stat_names(keys)
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert len(name) <= 32 and name[0].isalpha() and name.isascii()
        assert name.replace("_", "").isalnum()
    assert names[:3] == ["m_index", "org_n_staff", "sectors_hiv"]
    assert names[5] != "if"
    assert stat_name("group_with_a_long_name/another_group_name/the_question") == \
        "another_group_name_the_question"


@pytest.mark.parametrize("fmt", ["stata", "spss"])
def test_stats_files_with_labels_and_missing_kinds(study: Study, fmt: str) -> None:
    _add_skip_responses(study)
    spss = fmt == "spss"
    suffix = ".sav" if spss else ".dta"
    path, summary = run(study, f"out_{fmt}", format=fmt, language="zh_CN")
    files = sorted(p.name for p in path.iterdir())
    assert f"Staff survey{suffix}" in files and f"访谈{suffix}" in files
    if not spss:
        assert (path / f"访谈{suffix}").read_bytes().startswith(
            b"<stata_dta><header><release>118</release>")
    frame, meta = _read(path / f"Staff survey{suffix}", spss)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["n_staff"] == "专职员工人数" and labels["has_staff"] == "有专职员工吗？"
    assert all(len(n) <= 32 for n in meta.column_names)
    assert "another_very_long_question_name" in meta.column_names  # group dropped, then cut
    # select_one: numbers with value labels in Chinese; numeric codes kept as they are
    yn = meta.variable_value_labels["has_staff"]
    assert {yn[1], yn[2]} == {"是", "否"}
    assert [yn[v] for v in frame["has_staff"]] == ["是", "否", "是"]
    assert meta.variable_value_labels["size"][20] == "大"
    if spss:
        assert frame["n_staff"].tolist() == [4, SPSS_NOT_ASKED, SPSS_NOT_ANSWERED]
        assert frame["size"].tolist() == [20, SPSS_NOT_ASKED, SPSS_NOT_ANSWERED]
        ranges = meta.missing_ranges["n_staff"]
        assert {r["lo"] for r in ranges} == {SPSS_NOT_ASKED, SPSS_NOT_ANSWERED}
        assert set(meta.variable_value_labels["n_staff"]) == {SPSS_NOT_ASKED, SPSS_NOT_ANSWERED}
        # pandas reads user-missing as missing
        plain = pd.read_spss(str(path / f"Staff survey{suffix}"), convert_categoricals=False)
        assert plain["n_staff"].isna().tolist() == [False, True, True]
    else:
        assert frame["n_staff"].tolist() == [4, "a", "b"]
        assert meta.missing_user_values["n_staff"] == ["a", "b"]
        plain = pd.read_stata(path / f"Staff survey{suffix}", convert_categoricals=False)
        assert plain["n_staff"].isna().tolist() == [False, True, True]
    # dates are dates
    assert frame["since"].tolist()[0] == date(2020, 5, 1)
    created = frame["m_created"].tolist()[0]
    assert isinstance(created, datetime | pd.Timestamp)
    # select_multiple dummies labelled in the main survey
    frame, meta = _read(path / f"NGO survey{suffix}", spss)
    assert {0, 1} <= set(meta.variable_value_labels["sectors_hiv"])
    assert dict(zip(meta.column_names, meta.column_labels, strict=True))[
        "sectors_hiv"] == "领域: 艾滋病"
    assert frame["sectors_hiv"].tolist()[:2] == [1, 0]
    # withdrawn participants and unconsented words stay out here too
    blob = b"".join(p.read_bytes() for p in path.iterdir())
    assert b"SECRET-WITHDRAWN-MARKER" not in blob
    assert "星语".encode() not in blob
    assert summary.format == fmt


@pytest.mark.parametrize("fmt", ["stata", "spss"])
def test_long_text_kept_whole_or_continued(study: Study, fmt: str) -> None:
    spss = fmt == "spss"
    path, _summary = run(study, f"long_{fmt}", format=fmt)
    suffix = ".sav" if spss else ".dta"
    frame, meta = _read(path / f"Notes{suffix}", spss)
    row = frame[frame["characters"] == 100_000].iloc[0]
    parts = [c for c in meta.column_names if c == "body" or c.startswith("body_")]
    text = "".join(str(row[c] or "") for c in parts)
    if spss:  # SPSS pads text with spaces and so drops a value's trailing spaces
        assert text == LONG_NOTE.rstrip(" ") and LONG_NOTE.endswith(" ")
    else:
        assert text == LONG_NOTE
    if spss:
        assert len(parts) > 1
        assert all(len(str(row[c]).encode()) <= 32_767 for c in parts)
    else:
        assert parts == ["body"]


def test_codebook_gives_the_stats_names(study: Study) -> None:
    path, _summary = run(study, "cb_stats", format="stata")
    frame, _meta = pyreadstat.read_dta(str(path / "Codebook.dta"))
    rows = frame[frame["variable"] == "org/n_staff"]
    assert rows["stats_name"].tolist() == ["org_n_staff"]
    sectors = frame[frame["variable"] == "_status"]
    assert sectors["stats_name"].tolist()[0] == "m_status"
    reg = frame[frame["variable"] == "org/registered"]
    assert reg["stats_codes"].tolist()[0] == "1=yes; 2=no"


def test_cli_writes_stata(study: Study, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    ws_path = study.ws.path
    study.ws.close()
    out = study.tmp / "dta"
    assert cli_main(["export", str(ws_path), str(out), "--format", "stata", "--lang", "en"]) == 0
    frame, meta = pyreadstat.read_dta(str(out / "Interviews.dta"))
    assert meta.column_labels[meta.column_names.index("interview_code")] == "Interview code"
    assert meta.variable_value_labels["mode"][1] == "In person"
    frame, meta = pyreadstat.read_dta(str(out / "NGO survey.dta"), user_missing=True)
    assert meta.variable_value_labels["sectors_hiv"] == {
        0: "no", 1: "yes", "a": "not asked (skipped by the form's logic)", "b": "not answered"}
    assert frame["sectors_hiv"].tolist() == [1, 0, "b"]
    assert cli_main(["export", str(ws_path), str(out), "--format", "spss"]) == 1
    assert "--overwrite" in capsys.readouterr().err
