"""Versions ordered as XLSForm authors write them; `survey show`'s headings in the catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from fieldapp.services import surveys
from fieldapp.store.workspace import Workspace

ROOT = Path(__file__).resolve().parents[3]


def _import(ws: Workspace, tmp_path: Path, version: str) -> str:
    form = tmp_path / f"v{version}.md"
    form.write_text("| survey |\n| | type | name | label |\n| | text | q | Q |\n"
                    f"| settings |\n| | form_id | version |\n| | f | {version} |\n",
                    encoding="utf-8")
    return surveys.import_instrument(ws, form)


def test_version_10_is_newer_than_9(ws: Workspace, tmp_path: Path) -> None:
    ids = {v: _import(ws, tmp_path, v) for v in ("9", "10", "2")}
    assert [r["version"] for r in surveys.versions_of(ws, "f")] == ["2", "9", "10"]
    assert surveys.versions_of(ws, "f")[-1]["id"] == ids["10"]
    assert [r["version"] for r in surveys.list_instruments(ws)] == ["2", "9", "10"]


def test_dated_versions_and_names_fall_back_to_import_order(ws: Workspace,
                                                             tmp_path: Path) -> None:
    assert surveys.version_key("2024051302") > (surveys.version_key("2024051301") or ())
    assert surveys.version_key("1.2.10") > (surveys.version_key("1.2.9") or ())
    assert surveys.version_key("v2-final") is None and surveys.version_key("") is None
    for v in ("final", "draft-2", "a"):
        _import(ws, tmp_path, v)
    assert [r["version"] for r in surveys.versions_of(ws, "f")] == ["final", "draft-2", "a"]


def test_survey_show_headings_are_in_the_catalog() -> None:
    found = {item[1] for item in extract_from_file(
        "python", str(ROOT / "fieldapp" / "survey" / "describe.py"), keywords={"_": None})}
    assert {"hint", "choices", "shown if"} <= found
