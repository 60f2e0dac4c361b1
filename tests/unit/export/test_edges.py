"""Correct at the edges: Excel's row limit, CSV for analysis or for Excel, one table as one
CSV file (or refused with what to write), --overwrite named, a closed pipe, readable names."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fieldapp.cli import main as cli_main
from fieldapp.export import xlsx
from fieldapp.export.table import sheet_title
from fieldapp.services import records
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE
from tests.unit.export.conftest import TRICKY, Study
from tests.unit.export.helpers import records as as_records
from tests.unit.export.helpers import run, sheets

ROOT = Path(__file__).resolve().parents[3]


def test_a_table_beyond_the_row_limit_continues_on_more_sheets(
        study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    # Excel's limit is 1,048,575 data rows; the same code path with a limit of 4.
    monkeypatch.setattr(xlsx, "MAX_DATA_ROWS", 4)
    path, summary = run(study, headers="names")
    book = sheets(path)
    notes = [r for title in ("Notes", "Notes (2)", "Notes (3)") for r in as_records(book[title])]
    assert len(notes) == 9 and len(as_records(book["Notes"])) == 4
    assert len({r["note_id"] for r in notes}) == 9  # nothing lost, nothing twice
    report = next(s for s in summary.sheets if s.key == "notes")
    assert report.split_into == ["Notes (2)", "Notes (3)"]
    assert any("continued on Notes (2), Notes (3)" in line for line in summary.lines())
    codebook = [r for title, rows in book.items() if title.startswith("Codebook")
                for r in as_records(rows)]
    note = next(r["sheet_note"] for r in codebook if r["sheet"] == "Notes")
    assert "Notes (2), Notes (3)" in note
    wb = load_workbook(path, read_only=True)
    try:  # every part has its header
        assert next(wb["Notes (2)"].iter_rows(values_only=True))[0] == "note_id"
    finally:
        wb.close()


def test_csv_for_analysis_is_not_altered_and_for_excel_is_guarded(study: Study) -> None:
    for csv_for, expect in (("analysis", TRICKY[0]), ("excel", "'" + TRICKY[0])):
        path, _summary = run(study, f"csv_{csv_for}", format="csv", headers="names",
                             csv_for=csv_for, bom=False)
        with (path / "Notes.csv").open(encoding="utf-8", newline="") as fh:
            bodies = {r["body"] for r in csv.DictReader(fh)}
        assert expect in bodies, csv_for
        if csv_for == "analysis":
            assert set(TRICKY) <= bodies  # byte for byte as recorded


def test_one_table_as_one_csv_file_or_refused_with_what_to_write(
        study: Study, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    ws_path = str(study.ws.path)
    study.ws.close()
    out = study.tmp / "out.csv"
    assert cli_main(["export", ws_path, str(out)]) == 1
    err = capsys.readouterr().err
    assert "--table" in err and "interviews" in err and "ngo_survey" in err and ".zip" in err
    assert not out.exists()
    assert cli_main(["export", ws_path, str(out), "--table", "ngo_survey", "--csv-for",
                     "analysis"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 3 and rows[0]["KEY"].startswith("uuid:")
    assert cli_main(["export", ws_path, str(out), "--table", "interviews"]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert cli_main(["export", ws_path, str(out), "--table", "interviews", "--overwrite"]) == 0
    assert "KM-HIV-I001" in out.read_text(encoding="utf-8-sig")


def test_a_closed_pipe_is_not_an_error(study: Study, tmp_path: Path) -> None:
    records.add_note(study.ws, study.ids["i1"], body="很长的笔记。" * 60_000)  # > a pipe's buffer
    ws_path = str(study.ws.path)
    study.ws.close()
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([*CLI, "export", ws_path, "-",
                             "--table", "notes", "--csv-for", "analysis"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.read(200)
    proc.stdout.close()  # what `| head -c 200` does
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0, err
    assert first.startswith("\ufeffNote id".encode())
    assert "Traceback" not in err and "Error" not in err
    assert "closed the output" in err


def test_sheet_names_are_cut_between_words_and_the_full_title_is_in_the_codebook(
        study: Study) -> None:
    used: set[str] = set()
    assert sheet_title("Survey of registered NGOs in Kunming and Guangzhou", used) == \
        "Survey of registered NGOs in"
    assert sheet_title("Survey of registered NGOs in Kunming and Guangzhou", used,
                       "-contract") == "Survey of registered-contract"
    from openpyxl import load_workbook as lw

    form = study.tmp / "ngo_survey.xlsx"
    book = lw(form)
    book["settings"]["C2"] = "Survey of registered NGOs in Kunming and Guangzhou"
    book["settings"]["A2"] = "long_title_form"
    book.save(form)
    from fieldapp.services import surveys

    surveys.import_instrument(study.ws, form)
    path, _summary = run(study, headers="names")
    titles = list(sheets(path))
    assert "Survey of registered NGOs in" in titles
    codebook = as_records(sheets(path)["Codebook"])
    full = {r["sheet"]: r["full_title"] for r in codebook}
    assert full["Survey of registered NGOs in"] == \
        "Survey of registered NGOs in Kunming and Guangzhou"
