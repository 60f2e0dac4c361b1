"""Our workbooks opened by another program: LibreOffice (headless) converts every sheet to CSV.

Proves the .xlsx is valid for a real spreadsheet application, that dates and numbers arrive as
such, that ``=…`` text stays text (a formula would come out as ``#NAME?`` or a value), and that
Chinese, 𠮷 and emoji survive."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from fieldapp.services.export import ExportOptions, export
from tests.unit.export.conftest import TRICKY, build

pytestmark = pytest.mark.interop
FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def _convert(exe: str, book: Path, out: Path, profile: Path) -> dict[str, list[list[str]]]:
    done = subprocess.run(
        [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", FILTER, "--outdir", str(out), str(book)],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    sheets = {}
    for path in sorted(out.glob(f"{book.stem}-*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            sheets[path.stem[len(book.stem) + 1:]] = list(csv.reader(fh))
    return sheets


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_libreoffice_opens_every_sheet(tool, ws, tmp_path: Path, lang: str) -> None:
    exe = tool("soffice")
    build(ws, tmp_path)
    book = tmp_path / f"study_{lang}.xlsx"
    summary = export(ws, book, ExportOptions(language=lang, headers="names"))
    sheets = _convert(exe, book, tmp_path / "lo", tmp_path / "profile")
    assert sorted(sheets) == sorted(s.title for s in summary.sheets)
    for report in summary.sheets:
        assert len(sheets[report.title]) == report.rows + 1, report.title
    interviews = {r[1]: r for r in sheets["Interviews" if lang == "en" else "访谈"][1:]}
    assert interviews["KM-HIV-I001"][7] == "2026-04-02"  # a real date, formatted yyyy-mm-dd
    assert interviews["KM-HIV-I001"][13] == "8"
    notes = sheets["Notes" if lang == "en" else "笔记"]
    bodies = {r[notes[0].index("body")] for r in notes[1:]}
    for text in TRICKY:
        assert text in bodies, text  # text, not a formula's result
    contracts = sheets[next(t for t in sheets if t.endswith("-contract"))]
    assert contracts[2][6:] == ["=CDC", "8.5"]  # after the index and KEY columns
