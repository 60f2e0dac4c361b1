"""Files: long text continued without loss, formulas never run, CSV encodings, progress,
cancellation and failure leaving nothing behind, no plaintext outside the chosen folder."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from fieldapp.cli import main as cli_main
from fieldapp.export.options import ExportCancelled
from fieldapp.services.export import ExportOptions, export
from tests.conftest import PASSPHRASE
from tests.unit.export.conftest import LONG_NOTE, TRICKY, Study
from tests.unit.export.helpers import records, run, sheets


def _notes(path: Path) -> list[dict[str, Any]]:
    return records(sheets(path)["Notes"])


def test_long_note_continues_in_numbered_columns_without_loss(study: Study) -> None:
    path, summary = run(study, headers="names")
    notes = _notes(path)
    long = next(r for r in notes if r["characters"] == 100_000)
    parts = [long["body"], long["body_2"], long["body_3"], long["body_4"]]
    assert "".join(p for p in parts if p) == LONG_NOTE
    assert all(len(p.encode("utf-16-le")) // 2 <= 32_767 for p in parts if p)
    short = next(r for r in notes if r["kind"] == "Field notes")
    assert short["body_2"] is None
    [continued] = summary.continued
    assert (continued.sheet, continued.column, continued.last_column, continued.rows) == (
        "Notes", "body", "body_4", 1)
    assert any("body_4" in line for line in summary.lines())


def test_long_note_in_csv_is_never_split(study: Study) -> None:
    path, summary = run(study, "csv", format="csv", headers="names", bom=False)
    import csv

    with (path / "Notes.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert "body_2" not in (reader.fieldnames or [])
    long = next(r for r in rows if r["characters"] == "100000")
    assert long["body"] == LONG_NOTE
    assert not summary.continued


def test_formulas_are_text_in_xlsx(study: Study) -> None:
    path, _summary = run(study)
    ws = load_workbook(path)["Notes"]
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row[4:6]
             if isinstance(c.value, str)}
    for text in TRICKY:
        assert text in cells, text
        assert cells[text].data_type == "s"
    with zipfile.ZipFile(path) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if "worksheets" in n)
    assert b"<f>" not in xml and b"<f " not in xml
    survey = load_workbook(path)["NGO survey-contract"]
    assert survey["G3"].value == "=CDC" and survey["G3"].data_type == "s"


def test_csv_prefixes_formula_text_and_keeps_unicode(study: Study) -> None:
    path, _summary = run(study, "csv", format="csv", headers="names")
    raw = (path / "Notes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    for bad in TRICKY[:5]:
        assert "'" + bad.replace('"', '""') in text
    assert "𠮷野家 and emoji 😀🇨🇳" in text


def test_csv_without_bom_and_zip(study: Study) -> None:
    path, _summary = run(study, "csv", format="csv", bom=False)
    assert not (path / "Interviews.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    zpath, _summary = run(study, "out.zip", format="csv-zip", language="zh_CN")
    with zipfile.ZipFile(zpath) as archive:
        names = archive.namelist()
        assert "访谈.csv" in names and "编码手册.csv" in names
        assert archive.read("访谈.csv").startswith(b"\xef\xbb\xbf")


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.mark.parametrize(("name", "fmt"), [("out.xlsx", "xlsx"), ("csv", "csv"),
                                           ("out.zip", "csv-zip")])
def test_cancel_leaves_nothing(study: Study, name: str, fmt: str) -> None:
    before = set(p.name for p in study.tmp.iterdir())
    stop = threading.Event()
    stop.set()
    with pytest.raises(ExportCancelled):
        export(study.ws, study.tmp / name, ExportOptions(format=fmt),  # type: ignore[arg-type]
               should_cancel=stop)
    assert _leftovers(study.tmp, before) == []
    assert study.ws.audit_log(1)[0]["action"] == "export.cancelled"


def test_cancel_midway_after_progress(study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    import fieldapp.export.atomic as atomic

    monkeypatch.setattr(atomic, "TICK_EVERY", 5)
    seen: list[tuple[int, int]] = []
    before = set(p.name for p in study.tmp.iterdir())
    with pytest.raises(ExportCancelled):
        export(study.ws, study.tmp / "out.xlsx", progress=lambda d, t: seen.append((d, t)),
               should_cancel=lambda: len(seen) >= 2)
    assert seen and seen[0][1] > seen[0][0] > 0
    assert _leftovers(study.tmp, before) == []


def test_progress_reaches_the_total(study: Study) -> None:
    seen: list[tuple[int, int]] = []
    _path, summary = run(study)
    export(study.ws, study.tmp / "again.xlsx", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (summary.rows, summary.rows)


def test_failure_keeps_the_existing_file(study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    target = study.tmp / "out.xlsx"
    target.write_bytes(b"previous export")
    import fieldapp.export.xlsx as xlsx

    def boom(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(xlsx, "publish", boom)
    before = set(p.name for p in study.tmp.iterdir())
    with pytest.raises(OSError):
        export(study.ws, target, ExportOptions(overwrite=True))
    assert target.read_bytes() == b"previous export"
    assert _leftovers(study.tmp, before) == []


def test_existing_output_is_refused_unless_overwrite(study: Study) -> None:
    from fieldapp.store.errors import InvalidInput

    path, _summary = run(study, "csv", format="csv")
    with pytest.raises(InvalidInput):
        run(study, "csv", format="csv")
    run(study, "csv", format="csv", overwrite=True, language="zh_CN")
    assert (path / "访谈.csv").exists() and not (path / "Interviews.csv").exists()


def test_no_plaintext_in_the_system_temporary_folder(study: Study,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl.worksheet._writer as writer

    def refuse(suffix: str = "") -> str:
        raise AssertionError("openpyxl was about to write to the system temporary folder")

    monkeypatch.setattr(writer, "create_temporary_file", refuse)
    path, _summary = run(study)
    assert path.exists()
    assert [p.name for p in study.tmp.iterdir() if p.name.startswith(".")] == []


def test_control_characters_are_replaced_and_reported(study: Study) -> None:
    from fieldapp.services import records as rec

    rec.add_note(study.ws, study.ids["i1"], kind="memo", body="bell\x07 and nul\x00")
    path, summary = run(study)
    assert summary.replaced_characters == 2
    assert "bell\ufffd and nul\ufffd" in [r["Text"] for r in _notes(path)]


def test_cli_export(study: Study, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    ws_path = str(study.ws.path)
    study.ws.close()
    out = study.tmp / "cli.xlsx"
    code = cli_main(["export", ws_path, str(out), "--lang", "zh_CN", "--values", "codes",
                     "--headers", "names", "--site", "KM", "--json"])
    assert code == 0
    assert '"rows"' in capsys.readouterr().out
    assert "访谈" in sheets(out)
    assert cli_main(["export", ws_path, str(study.tmp / "c.zip"), "--from", "2026-04-03"]) == 0
    assert "Exported" in capsys.readouterr().out
    assert cli_main(["export", ws_path, str(study.tmp / "c.zip")]) == 1  # exists
    assert cli_main(["export", ws_path, str(study.tmp / "x.pdf")]) == 1
