"""Write planned tables to an .xlsx workbook with openpyxl's write-only (streaming) mode.

Memory stays flat however many rows there are: each row goes straight to the worksheet's XML.
openpyxl would stream that XML to the system's temporary folder; here it goes to a hidden
working folder beside the chosen file instead, removed when the export ends.

Cells: real numbers, dates and times with a number format; text as inline strings, and text that
openpyxl would otherwise store as a formula (``=…``) or an error value (``#N/A``) is forced to a
string cell, so nothing in an export can run as a formula. Every sheet has a bold, frozen
header row, an autofilter and column widths sized to the data (wide CJK characters count two).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import ALL_TEMP_FILES, WorksheetWriter

from fieldapp.export.atomic import Ticker, publish, scratch_dir
from fieldapp.export.cells import ERROR_CODES
from fieldapp.export.layout import Planned
from fieldapp.export.table import sheet_title

#: Excel's last row is 1,048,576; one is the header, so a sheet holds this many data rows.
MAX_DATA_ROWS = 1_048_575

_BOLD = Font(bold=True)
_WRAP_TOP = Alignment(vertical="top", wrap_text=True)


def _text_cell(ws: Any, value: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # never a formula or an error value
    if font is not None:
        cell.font = font
    return cell


def _guard(ws: Any, row: list[Any]) -> list[Any]:
    for i, value in enumerate(row):
        if type(value) is str and value and (value[0] == "=" or value in ERROR_CODES):
            row[i] = _text_cell(ws, value)
    return row


def _header(ws: Any, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for text in headers:
        cell = _text_cell(ws, text, _BOLD)
        cell.alignment = _WRAP_TOP
        cells.append(cell)
    return cells


def _abandon(sheets: list[Any]) -> None:
    """Close the XML streams of a workbook that will not be saved, so no file stays open."""
    for ws in sheets:
        if not ws.closed:
            with contextlib.suppress(Exception):
                ws.close()


def _open_sheet(book: Workbook, title: str, planned: Planned, work: Path,
                sheets: list[Any]) -> Any:
    ws = book.create_sheet(title)
    for i, width in enumerate(planned.widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    # What WriteOnlyWorksheet._get_writer does, with the XML kept beside the target.
    out = str(work / f"sheet{len(sheets)}.xml")
    ALL_TEMP_FILES.append(out)  # openpyxl removes it from this list once it is zipped
    ws._writer = WorksheetWriter(ws, out=out)
    ws._writer.write_top()
    sheets.append(ws)
    ws.append(_header(ws, planned.headers))
    return ws


def _filter(ws: Any, planned: Planned, rows: int) -> None:
    last = get_column_letter(max(1, len(planned.headers)))
    ws.auto_filter.ref = f"A1:{last}{rows + 1}"


def _stream(book: Workbook, planned: Planned, work: Path, ticker: Ticker,
            sheets: list[Any], used: set[str]) -> None:
    """One table; beyond Excel's row limit it continues on sheets "Title (2)", "Title (3)"…,
    listed in ``planned.split_into`` (the summary and the codebook say so)."""
    ws = _open_sheet(book, planned.title, planned, work, sheets)
    rows = 0
    for row in planned.rows():
        if rows == MAX_DATA_ROWS:
            _filter(ws, planned, rows)
            part = len(planned.split_into) + 2
            title = sheet_title(planned.title, used, f" ({part})")
            planned.split_into.append(title)
            ws, rows = _open_sheet(book, title, planned, work, sheets), 0
        ws.append(_guard(ws, row))
        rows += 1
        ticker.tick()
    _filter(ws, planned, rows)


def write_xlsx(tables: list[Planned], target: Path, ticker: Ticker, *,
               overwrite: bool = False) -> None:
    with scratch_dir(target) as work:
        book = Workbook(write_only=True)
        sheets: list[Any] = []
        used = {p.title.casefold() for p in tables}
        try:
            for planned in tables:
                _stream(book, planned, work, ticker, sheets, used)
            ticker.check()
        except BaseException:
            _abandon(sheets)
            raise
        built = work / "book.xlsx"
        book.save(built)
        ticker.check()
        publish(built, target, overwrite)
        ticker.finish()
