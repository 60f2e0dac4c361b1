"""Helpers for survey tests: build small XLSForms in a temporary folder with openpyxl."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

Sheet = list[list[object]]
MakeForm = Callable[..., Path]


def write_form(path: Path, survey: Sheet | None, choices: Sheet | None = None,
               settings: Sheet | None = None) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is None:
            continue
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if not book.worksheets:
        book.create_sheet("notes").append(["nothing here"])
    book.save(path)
    return path


@pytest.fixture
def make_form(tmp_path: Path) -> MakeForm:
    counter = iter(range(1000))

    def make(survey: Sheet | None, choices: Sheet | None = None,
             settings: Sheet | None = None) -> Path:
        return write_form(tmp_path / f"form{next(counter)}.xlsx", survey, choices, settings)

    return make
