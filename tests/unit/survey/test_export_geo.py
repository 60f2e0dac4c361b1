"""Geo answers exported as ODK Central does: the answer, then latitude/longitude/altitude/accuracy."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from fieldapp.services import surveys
from fieldapp.services.export import ExportOptions, export
from fieldapp.store.workspace import Workspace

MD = """
| survey |
| | type | name | label |
| | geopoint | here | Where |
| | rank fruit | order | Order |
| settings |
| | form_title | form_id | version |
| | Geo | geo | 1 |
| choices |
| | list_name | name | label |
| | fruit | a | Apple |
| | fruit | b | Banana |
"""


def test_geopoint_columns(ws: Workspace, tmp_path: Path) -> None:
    form = tmp_path / "geo.md"
    form.write_text(MD, encoding="utf-8")
    iid = surveys.import_instrument(ws, form)
    surveys.add_response_from_answers(ws, iid, {"here": "39.9042, 116.4074, 44, 5",
                                                "order": ["b", "a"]})
    out = tmp_path / "out.xlsx"
    export(ws, out, ExportOptions(headers="names", values="codes"))
    book = load_workbook(out, read_only=True)
    sheet = next(s for s in book.worksheets if s.title.startswith("Geo"))
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    row = dict(zip(rows[0], rows[1], strict=False))
    assert row["here"] == "39.9042 116.4074 44 5"
    assert (row["here-Latitude"], row["here-Longitude"], row["here-Altitude"],
            row["here-Accuracy"]) == (39.9042, 116.4074, 44, 5)
    assert row["order"] == "b a"
