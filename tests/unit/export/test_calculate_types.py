"""Calculations written by their declared type (``bind::type``), not as text.

A real XLSForm (an .xlsx written here) with ``calculate`` rows declaring int, decimal, date and
string is imported, responses are entered, and every export format is read back with the
program an analyst would use: openpyxl for xlsx, the csv module, pyreadstat for .dta/.sav.
The column order of ``type`` and ``bind::type`` is varied: which comes first must not change
what the row is.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from openpyxl import Workbook, load_workbook

from fieldapp.services import surveys
from fieldapp.services.export import ExportOptions, export
from fieldapp.store.workspace import Workspace
from fieldapp.survey.model import Instrument, Node
from fieldapp.survey.xlsform import load_xlsform

# name, calculation, bind::type
CALCULATIONS = [
    ("twice", "${n} * 2", "int"),
    ("shortfall", "${n} - 10", "int"),
    ("quarter", "${n} div 4", "decimal"),
    ("due", "date('2024-03-01')", "date"),
    ("tag", "concat('n', ${n})", "string"),
    ("plain", "${n} + 1", None),
]
ORDERS = {"type first": ["type", "name", "label", "calculation", "bind::type"],
          "bind::type first": ["bind::type", "type", "name", "label", "calculation"]}


def _form(path: Path, order: list[str]) -> Path:
    rows: list[dict[str, Any]] = [{"type": "integer", "name": "n", "label": "How many"}]
    rows += [{"type": "calculate", "name": name, "calculation": calc, "bind::type": kind}
             for name, calc, kind in CALCULATIONS]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(order)
    for row in rows:
        sheet.append([row.get(column) for column in order])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append(["calc_form", "1", "Calc"])
    book.save(path)
    return path


@pytest.fixture(params=list(ORDERS))
def filled(request: pytest.FixtureRequest, ws: Workspace, tmp_path: Path
           ) -> tuple[Workspace, Path]:
    form = _form(tmp_path / "calc.xlsx", ORDERS[request.param])
    inst = surveys.import_instrument(ws, form)
    for n in (3, 5):
        surveys.add_response_from_answers(ws, inst, {"n": n})
    return ws, form


def test_the_declared_type_is_kept_and_the_row_stays_a_calculation(
        filled: tuple[Workspace, Path]) -> None:
    _ws, form = filled
    inst = load_xlsform(form)
    kinds = {n.name: (n.type, n.data_type) for n in inst.walk()}
    # a calculation stays hidden from the researcher: it never becomes an (unlabelled) question
    assert kinds == {"n": ("integer", ""), "twice": ("calculate", "integer"),
                     "shortfall": ("calculate", "integer"),
                     "quarter": ("calculate", "decimal"), "due": ("calculate", "date"),
                     "tag": ("calculate", "text"), "plain": ("calculate", "")}
    again = Instrument.from_json(inst.to_json())
    assert again.node("quarter").data_type == "decimal"
    assert again.to_dict() == inst.to_dict()


def test_a_type_fieldapp_does_not_use_is_named_in_the_notices(tmp_path: Path) -> None:
    form = tmp_path / "odd.md"
    form.write_text(
        "| survey |\n| | type | name | label | calculation | bind::type |\n"
        "| | text | note_it | Note | | int |\n"
        "| | calculate | flag | | 1 = 1 | boolean |\n"
        "| | calculate | n | | 1 + 1 | int |\n", encoding="utf-8")
    inst = load_xlsform(form)
    assert [(n.type, n.data_type) for n in inst.walk()] == [
        ("text", ""), ("calculate", ""), ("calculate", "integer")]
    assert [t for t in inst.notices if "bind::type" in t] == [
        "survey row 2: bind::type 'int' of 'note_it' has no effect in fieldapp: only a "
        "calculation's int, decimal, date, dateTime, time or string type is used",
        "survey row 3: bind::type 'boolean' of 'flag' has no effect in fieldapp: only a "
        "calculation's int, decimal, date, dateTime, time or string type is used"]


def test_an_instrument_stored_before_the_type_was_kept_still_loads() -> None:
    old = {"form_id": "f", "children": [
        {"type": "calculate", "name": "c", "path": "c", "calculation": "1 + 1"}]}
    node = Instrument.from_dict(old).node("c")
    assert node.data_type == "" and node.value_type == "calculate"
    assert Node.from_dict(node.to_dict()) == node


def _rows(path: Path) -> dict[str, list[Any]]:
    book = load_workbook(path, read_only=True)
    try:
        rows = [list(r) for r in book["Calc"].iter_rows(values_only=True)]
    finally:
        book.close()
    return {str(head): [r[i] for r in rows[1:]] for i, head in enumerate(rows[0])}


def test_xlsx_cells_are_numbers_and_dates(filled: tuple[Workspace, Path], tmp_path: Path
                                          ) -> None:
    ws, _form_path = filled
    out = tmp_path / "out.xlsx"
    export(ws, out, ExportOptions(headers="names"))
    columns = _rows(out)
    assert columns["twice"] == [6, 10] and all(type(v) is int for v in columns["twice"])
    assert columns["shortfall"] == [-7, -5]
    assert columns["quarter"] == [0.75, 1.25]
    assert columns["due"] == [datetime(2024, 3, 1)] * 2  # a date cell (openpyxl reads datetime)
    assert columns["tag"] == ["n3", "n5"]
    assert columns["plain"] == ["4", "6"]  # nothing declared: text, as before
    book = load_workbook(out)
    try:
        sheet = book["Calc"]
        head = [c.value for c in sheet[1]]
        cells = sheet[2]
        assert cells[head.index("twice")].data_type == "n"
        assert cells[head.index("quarter")].data_type == "n"
        assert cells[head.index("due")].is_date
        assert cells[head.index("plain")].data_type == "s"
        codebook = {row[1].value: row for row in book["Codebook"].iter_rows()
                    if len(row) > 1}
        assert any("calculate integer" == c.value for c in codebook["twice"])
    finally:
        book.close()


def test_csv_for_excel_writes_numbers_without_the_formula_guard(
        filled: tuple[Workspace, Path], tmp_path: Path) -> None:
    ws, _form_path = filled
    out = tmp_path / "csv"
    export(ws, out, ExportOptions(format="csv", headers="names", bom=False, csv_for="excel"))
    with (out / "Calc.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # text starting with "-" would be guarded with "'" for Excel; a number is not text
    assert [r["shortfall"] for r in rows] == ["-7", "-5"]
    assert [r["twice"] for r in rows] == ["6", "10"]
    assert [r["quarter"] for r in rows] == ["0.75", "1.25"]
    assert [r["due"] for r in rows] == ["2024-03-01", "2024-03-01"]


@pytest.mark.parametrize("fmt", ["stata", "spss"])
def test_statistics_files_hold_numeric_and_date_variables(
        filled: tuple[Workspace, Path], tmp_path: Path, fmt: str) -> None:
    ws, _form_path = filled
    out = tmp_path / fmt
    export(ws, out, ExportOptions(format=fmt))
    if fmt == "spss":
        frame, meta = pyreadstat.read_sav(str(out / "Calc.sav"))
    else:
        frame, meta = pyreadstat.read_dta(str(out / "Calc.dta"))
    for name in ("twice", "shortfall", "quarter"):
        assert frame[name].dtype.kind in "if", name  # a numeric variable, not a string
        assert meta.readstat_variable_types[name] != "string", name
    assert frame["twice"].tolist() == [6, 10]
    assert frame["shortfall"].tolist() == [-7, -5]
    assert frame["quarter"].tolist() == [0.75, 1.25]
    assert frame["due"].tolist() == [date(2024, 3, 1)] * 2
    assert meta.original_variable_types["due"] == ("DATE11" if fmt == "spss" else "%td")
    assert meta.readstat_variable_types["tag"] == "string"
    assert meta.readstat_variable_types["plain"] == "string"
