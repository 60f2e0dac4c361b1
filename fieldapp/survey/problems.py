"""Problems found while reading an XLSForm, and the error that carries them.

Every problem names where it is: the sheet, the 1-based spreadsheet row (the header is row 1) and
the column as the form's author sees it (its letter and its header), so a researcher can open the
workbook and go straight to the cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldapp.errors import FieldappError
from fieldapp.i18n import _


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a form cannot be used (``row``/``column`` are ``None`` when not applicable)."""

    sheet: str
    row: int | None
    column: str | None
    message: str
    unsupported: bool = False  # a feature fieldapp does not support, rather than a broken form

    def __str__(self) -> str:
        if self.row is not None and self.column:
            where = _("sheet '{sheet}', row {row}, column {column}").format(
                sheet=self.sheet, row=self.row, column=self.column
            )
        elif self.row is not None:
            where = _("sheet '{sheet}', row {row}").format(sheet=self.sheet, row=self.row)
        elif self.column:
            where = _("sheet '{sheet}', column {column}").format(
                sheet=self.sheet, column=self.column
            )
        else:
            where = _("sheet '{sheet}'").format(sheet=self.sheet)
        return f"{where}: {self.message}"


class XLSFormError(FieldappError):
    """The form cannot be used; ``problems`` lists every reason found, in sheet/row order."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.sheet, p.row if p.row is not None else 0, p.column or "")
        )
        self.source = source
        super().__init__(source)

    @property
    def message(self) -> str:
        head = (
            _("The form {source} cannot be used:").format(source=self.source)
            if self.source
            else _("The form cannot be used:")
        )
        return "\n".join([head, *("  - " + str(p) for p in self.problems)])
