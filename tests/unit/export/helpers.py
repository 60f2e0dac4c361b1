"""Reading exports back for the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from fieldapp.services.export import ExportOptions, ExportSummary, export
from tests.unit.export.conftest import Study


def run(study: Study, name: str = "out.xlsx", **options: Any) -> tuple[Path, ExportSummary]:
    path = study.tmp / name
    return path, export(study.ws, path, ExportOptions(**options))


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    book = load_workbook(path, read_only=True)
    try:
        out = {}
        for ws in book.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            width = max((len(r) for r in rows), default=0)
            out[ws.title] = [r + [None] * (width - len(r)) for r in rows]
        return out
    finally:
        book.close()


def records(rows: list[list[Any]]) -> list[dict[str, Any]]:
    head = rows[0]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


def all_text(path: Path) -> str:
    """Every cell of every sheet as one string, for searching."""
    return "\n".join("\t".join("" if v is None else str(v) for v in row)
                     for rows in sheets(path).values() for row in rows)
