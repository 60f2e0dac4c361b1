"""Export benchmark: 100,000 survey responses × 30 columns to .xlsx and to CSV.

This measures the writer layer (plan + stream: cleaning, formula guards, long-text measuring,
column widths, openpyxl write-only output) on generated rows, not the store: saving 100k
responses through the encrypted store first would take far longer than the export itself and
measure something else. Rows are generated on the fly, as the survey sheet builder yields them.

Each side runs in its own Python process so its peak memory (``ru_maxrss``) is its own:

- xlsx: ours against ``pandas.DataFrame.to_excel(engine="openpyxl")`` on the same rows (the
  DataFrame is built before the clock starts). Goal: ours at least 1.5× faster (ratio ≤ 0.67),
  peak memory under 200 MB.
Imports are outside the clock on both sides.

- CSV: ours against the ``csv`` module writing the same rows with no checks at all (the floor).

Each figure is the median of ``RUNS`` runs per side, the ratio taken against the baseline's
median in the same run.

- Whole path (``export_store_*``): a real encrypted workspace holding N survey responses and
  N/5 notes, exported to .xlsx through the service (read from the store, consent, sheets,
  codebook, writing), in a child process whose peak memory is its own. Baseline: the peak of
  a child that only opens the workspace and reads every record with
  ``records.list_records`` (answers parsed), as the export used to before it wrote anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.perf.common import log, report, scaled

ROOT = Path(__file__).resolve().parents[2]
FULL_ROWS = 100_000
RUNS = 3
SECTORS = ["艾滋病防治", "残障儿童", "流动人口"]
TEXTS = ["机构承接政府购买服务项目，合同每年续签。", "Contract renewed yearly; evaluation by a third party.",
         "=not a formula", "经费拨付常常延迟三到六个月 (late disbursement)", ""]


def columns() -> list[tuple[str, str]]:
    cols = [("_index", "int"), ("_response_id", "text"), ("_instrument_version", "text"),
            ("_status", "text"), ("_researcher", "text"), ("_site", "text"),
            ("_sector", "text"), ("founded", "date"), ("_completed", "datetime")]
    cols += [(f"q_int_{i}", "int") for i in range(10)]
    cols += [(f"q_dec_{i}", "real") for i in range(5)]
    cols += [(f"q_sel_{i}", "text") for i in range(4)]
    cols += [("q_text", "text"), ("q_flag", "flag")]
    return cols


def rows(n: int) -> Iterator[list[Any]]:
    start, day = datetime(2026, 4, 1, 9, 0), date(2010, 1, 1)
    for i in range(n):
        yield ([i + 1, f"01a1f{i:027x}", "2026050101", "complete", "林晓" if i % 3 else "Anna",
                ("KM", "CD", "GZ", "ZZ", "NN")[i % 5], SECTORS[i % 3],
                day + timedelta(days=i % 5000), start + timedelta(minutes=i)]
               + [(i * (k + 7)) % 1000 for k in range(10)]
               + [((i * (k + 3)) % 10_000) / 100 for k in range(5)]
               + [("是", "否", "不知道")[(i + k) % 3] for k in range(4)]
               + [TEXTS[i % len(TEXTS)] or None, i % 2])


def _ours(n: int, fmt: str, out: Path) -> float:
    from fieldapp.export.atomic import Ticker
    from fieldapp.export.csvout import write_csv
    from fieldapp.export.layout import plan
    from fieldapp.export.table import Column, Table
    from fieldapp.export.xlsx import write_xlsx

    started = time.perf_counter()
    cols = [Column(k, k, kind, k == "q_text") for k, kind in columns()]  # type: ignore[arg-type]
    planned = [plan(Table("survey", "survey", cols, lambda: rows(n), n), names=True)]
    if fmt == "xlsx":
        write_xlsx(planned, out, Ticker(n))
    else:
        write_csv(planned, out, Ticker(n), as_zip=False, overwrite=True)
    return time.perf_counter() - started


def _baseline(n: int, fmt: str, out: Path) -> float:
    names = [k for k, _kind in columns()]
    if fmt == "xlsx":
        import pandas as pd

        frame = pd.DataFrame(list(rows(n)), columns=names)
        started = time.perf_counter()
        frame.to_excel(out, index=False, engine="openpyxl")
        return time.perf_counter() - started
    import csv

    started = time.perf_counter()
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        writer.writerows(rows(n))
    return time.perf_counter() - started


def _store_build(n: int, folder: Path) -> None:
    """A workspace with ``n`` responses to the test form and ``n // 5`` notes."""
    from fieldapp.services import records, surveys
    from fieldapp.store.keys import KDF_FLOOR
    from fieldapp.store.workspace import Workspace
    from tests.unit.export.conftest import write_form

    ws, _recovery = Workspace.initialise(folder / "ws", "benchmark passphrase",
                                         kdf=KDF_FLOOR, researcher="Bench")  # the weakest a product accepts
    try:
        pid = records.add_participant(ws, code="KM-HIV-001", site="KM", sector="HIV")
        records.record_consent(ws, pid, form_version="v1", language="zh", method="written",
                               date_given="2026-03-01", scopes=["verbatim_quotes"])
        iid = records.add_interview(ws, code="KM-HIV-I001", participant_ids=[pid], site="KM")
        inst = surveys.import_instrument(ws, write_form(folder / "form.xlsx"))
        answers = [{"org_name": TEXTS[i % 4], "org": {"n_staff": i % 50, "budget": i / 10,
                                                     "registered": "yes" if i % 2 else "no"},
                    "sectors": ["hiv", "mig"][: 1 + i % 2], "founded": "2015-06-01",
                    "contract": [{"funder": "民政局", "amount": 20.0}]} for i in range(n)]
        for start in range(0, n, 5000):
            surveys.add_responses(ws, inst, answers[start:start + 5000], complete_them=True,
                                  links=[{"site": "KM", "sector": "HIV"}] * len(
                                      answers[start:start + 5000]))
        body = "机构承接政府购买服务项目，合同每年续签。Contract renewed yearly. " * 20
        for k in range(n // 5):
            ws.create("note", {"interview_id": iid, "kind": "field_notes",
                               "body": f"{k} {body}", "title": ""})
    finally:
        ws.close()


def _store_export(side: str, folder: Path) -> float:
    from fieldapp.services import export as service
    from fieldapp.store.workspace import Workspace

    ws = Workspace.open(folder / "ws", "benchmark passphrase")
    try:
        started = time.perf_counter()
        if side == "store-ours":
            service.export(ws, folder / "out.xlsx", service.ExportOptions(overwrite=True))
        else:  # every record read through the record service, answers parsed
            from fieldapp.services import records

            kept = [records.list_records(ws, name) for name in (
                "organisation", "participant", "identity", "consent", "interview", "note",
                "code", "coding", "instrument", "response")]
            del kept
        return time.perf_counter() - started
    finally:
        ws.close()


def child(side: str, fmt: str, n: int, out: str) -> None:
    import resource

    if side == "store-build":
        _store_build(n, Path(out))
        print(json.dumps({"seconds": 0, "peak_mb": 0}))
        return
    if side.startswith("store-"):
        seconds = _store_export(side, Path(out))
    else:
        run_side = _ours if side == "ours" else _baseline
        seconds = run_side(n, fmt, Path(out))
    # ru_maxrss survives exec on Linux (a child of a large parent would report the parent's
    # peak); VmHWM belongs to this process's own memory map, so prefer it where it exists.
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak_kb = int(line.split()[1])
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))


def _run(side: str, fmt: str, n: int, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "tests.perf.bench_export", side, fmt, str(n),
                           str(out)], cwd=ROOT, capture_output=True, text=True, check=True,
                          timeout=1800)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _median(side: str, fmt: str, n: int, out: Path, runs: int) -> dict[str, float]:
    import statistics

    results = [_run(side, fmt, n, out) for _ in range(runs)]
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def run(scale: float) -> None:
    import tempfile

    n = scaled(FULL_ROWS, scale, minimum=50)
    runs = RUNS if scale >= 0.05 else 1
    with tempfile.TemporaryDirectory(prefix="bench_export") as tmp:
        folder = Path(tmp)
        log(f"export through the store: building a workspace with {n} responses, "
            f"{n // 5} notes")
        _run("store-build", "xlsx", n, folder)
        ours = _median("store-ours", "xlsx", n, folder, runs)
        base = _median("store-read", "xlsx", n, folder, runs)
        report(f"export_store_{n}_responses_{n // 5}_notes_peak_rss", ours["peak_mb"], "MB",
               base["peak_mb"], "reading every record with records.list_records", "< 200 MB")
        report(f"export_store_{n}_responses_{n // 5}_notes_seconds", ours["seconds"], "s",
               base["seconds"], "reading every record with records.list_records")
        for fmt, base_name in (("xlsx", "pandas.to_excel(openpyxl)"), ("csv", "csv module")):
            log(f"export {fmt}: {n} rows x {len(columns())} columns, median of {runs}")
            ours = _median("ours", fmt, n, folder / f"ours.{fmt}", runs)
            base = _median("baseline", fmt, n, folder / f"base.{fmt}", runs)
            goal = "ratio <= 0.67 (1.5x faster)" if fmt == "xlsx" else "ratio <= 2"
            report(f"export_{fmt}_{n}_rows_seconds", ours["seconds"], "s", base["seconds"],
                   base_name, goal)
            report(f"export_{fmt}_{n}_rows_rows_per_second", n / max(ours["seconds"], 1e-9),
                   "rows/s", n / max(base["seconds"], 1e-9), base_name)
            report(f"export_{fmt}_{n}_rows_peak_rss", ours["peak_mb"], "MB", base["peak_mb"],
                   base_name, "< 200 MB")


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
