"""Write planned tables to an .xlsx workbook with openpyxl's write-only (streaming) mode.

Memory stays flat however many rows there are: each row goes straight to the worksheet's XML.
openpyxl would stream that XML to the system's temporary folder; here it goes to a hidden
working folder beside the chosen file instead, removed when the export ends.

Cells: real numbers, dates and times with a number format; text as inline strings — always, so
text openpyxl would otherwise store as a formula (``=…``) or an error value (``#N/A``) is a
string cell too and nothing in an export can run as a formula. Every sheet has a bold, frozen
header row, an autofilter and column widths sized to the data (wide CJK characters count two).

Speed: data rows do not go through openpyxl's cell objects (a ``WriteOnlyCell`` per value,
type inference, style lookup per cell): :class:`_RowWriter` builds each row's ``<row>``
element directly, with the same XML openpyxl writes for these cells (the same number
formatting, date serials and date styles, which it takes from openpyxl), and hands it to
openpyxl's XML stream. The workbook around the rows (styles, widths, panes, filters, the
zip) is still openpyxl's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from lxml.etree import Element, SubElement
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import ALL_TEMP_FILES, WorksheetWriter

from fieldapp.export.atomic import Ticker, publish, scratch_dir
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


_PRESERVE = {"{http://www.w3.org/XML/1998/namespace}space": "preserve"}


class _RowWriter:
    """Writes a sheet's rows straight to its XML stream (see the module's doc)."""

    def __init__(self, ws: Any, width: int) -> None:
        self.ws = ws
        self.letters = [get_column_letter(i) for i in range(1, width + 1)]
        #: style ids of dates, date-times and times, as openpyxl gives them
        self.styles = {kind: str(WriteOnlyCell(ws, value=sample).style_id) for kind, sample in (
            (datetime, datetime(2000, 1, 1)), (date, date(2000, 1, 1)), (time, time(0)))}
        self.epoch = ws.parent.epoch
        self.index = 0
        self._stream = self._rows()
        next(self._stream)
        ws._rows = self._stream  # closing the sheet ends the stream (WriteOnlyWorksheet.close)

    def _rows(self) -> Generator[None, list[Any] | tuple[str, list[Any]], None]:
        xf = self.ws._writer.xf.send(True)
        with xf.element("sheetData"):
            try:
                while True:
                    row = yield
                    if isinstance(row, tuple):  # the header: styled cells, through openpyxl
                        self.index += 1
                        with xf.element("row", {"r": str(self.index)}):
                            for k, cell in enumerate(row[1], 1):
                                cell.column, cell.row = k, self.index
                                write_cell(xf, self.ws, cell, cell.has_style)
                    else:
                        xf.write(self._row(row))
            except GeneratorExit:
                pass
        self.ws._writer.xf.send(None)

    def header(self, cells: list[WriteOnlyCell]) -> None:
        self._stream.send(("header", cells))

    def append(self, row: list[Any]) -> None:
        self._stream.send(row)

    def _row(self, values: list[Any]) -> Any:
        self.index += 1
        r = str(self.index)
        el = Element("row", {"r": r})
        for letter, value in zip(self.letters, values, strict=True):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                c = SubElement(el, "c", {"r": letter + r, "t": "inlineStr"})
                t = SubElement(SubElement(c, "is"), "t", _PRESERVE if value != value.strip()
                               else {})
                t.text = value
            elif kind is int or kind is float:
                c = SubElement(el, "c", {"r": letter + r, "t": "n"})
                SubElement(c, "v").text = safe_string(value)
            elif kind in self.styles:
                c = SubElement(el, "c", {"r": letter + r, "s": self.styles[kind], "t": "n"})
                SubElement(c, "v").text = safe_string(to_excel(value, self.epoch))
            elif kind is bool:
                c = SubElement(el, "c", {"r": letter + r, "t": "b"})
                SubElement(c, "v").text = "1" if value else "0"
            else:  # anything else is written as its text
                text = str(value)
                c = SubElement(el, "c", {"r": letter + r, "t": "inlineStr"})
                SubElement(SubElement(c, "is"), "t").text = text
        return el


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
                sheets: list[Any]) -> _RowWriter:
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
    rows = _RowWriter(ws, len(planned.headers))
    rows.header(_header(ws, planned.headers))
    return rows


def _filter(ws: Any, planned: Planned, rows: int) -> None:
    last = get_column_letter(max(1, len(planned.headers)))
    ws.auto_filter.ref = f"A1:{last}{rows + 1}"


def _stream(book: Workbook, planned: Planned, work: Path, ticker: Ticker,
            sheets: list[Any], used: set[str]) -> None:
    """One table; beyond Excel's row limit it continues on sheets "Title (2)", "Title (3)"…,
    listed in ``planned.split_into`` (the summary and the codebook say so)."""
    out = _open_sheet(book, planned.title, planned, work, sheets)
    rows = 0
    for row in planned.rows():
        if rows == MAX_DATA_ROWS:
            _filter(out.ws, planned, rows)
            part = len(planned.split_into) + 2
            title = sheet_title(planned.title, used, f" ({part})")
            planned.split_into.append(title)
            out, rows = _open_sheet(book, title, planned, work, sheets), 0
        out.append(row)
        rows += 1
        ticker.tick()
    _filter(out.ws, planned, rows)


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
