"""What the user chose for an export, and what the export reports back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fieldapp.i18n import _, ngettext
from fieldapp.store.errors import FieldappError

Format = Literal["xlsx", "csv", "csv-zip", "csv-file", "stata", "spss", "qdpx"]
#: formats written as one statistics file per table in a folder
STATS_FORMATS = ("stata", "spss")
#: ``progress(done, total)``: rows written so far and rows to write in all.
Progress = Callable[[int, int], None]
CancelCheck = Callable[[], bool] | threading.Event


class ExportCancelled(FieldappError):
    @property
    def message(self) -> str:
        return _("The export was cancelled; no file was written.")


@dataclass(frozen=True)
class Filters:
    """Which records go in. Empty sets mean "all". Dates are inclusive: interview dates, and a
    response's completion date (its creation date for drafts)."""

    date_from: date | None = None
    date_to: date | None = None
    sites: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    researchers: frozenset[str] = frozenset()
    #: form ids or instrument record ids
    instruments: frozenset[str] = frozenset()
    #: response statuses (draft, complete)
    statuses: frozenset[str] = frozenset()
    #: interview statuses (planned, done, transcribed, coded)
    interview_statuses: frozenset[str] = frozenset()

    def in_dates(self, day: date | None) -> bool:
        if self.date_from is None and self.date_to is None:
            return True
        if day is None:
            return False
        return ((self.date_from is None or day >= self.date_from)
                and (self.date_to is None or day <= self.date_to))

    def to_audit(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.isoformat()
        for name in ("sites", "sectors", "researchers", "instruments", "statuses",
                     "interview_statuses"):
            value = getattr(self, name)
            if value:
                out[name] = sorted(value)
        return out


@dataclass(frozen=True)
class ExportOptions:
    format: Format = "xlsx"
    #: language of sheet names, headers and labels: "en" or "zh_CN" ("zh" is accepted)
    language: str = "en"
    #: answers and categories as their codes, or as labels in ``language``
    values: Literal["labels", "codes"] = "labels"
    #: column headers as variable names (for SPSS, Stata, R) or as labels in ``language``
    headers: Literal["labels", "names"] = "labels"
    #: put the identity vault (real names, phones, WeChat, e-mail) and witnesses in the export
    include_identifiers: bool = False
    #: CSV only: start each file with a UTF-8 byte-order mark so Excel reads Chinese correctly
    bom: bool = True
    #: CSV only: "excel" puts an apostrophe before text a spreadsheet would run as a formula;
    #: "analysis" (R, pandas, Stata, SPSS) leaves every value exactly as recorded
    csv_for: Literal["analysis", "excel"] = "excel"
    #: "csv-file" only: the one table to write (a sheet's key: interviews, notes, codings,
    #: code_tree, consent, codebook, or a form id); the path "-" is standard output
    table: str = ""
    #: replace an existing file or folder at the chosen path
    overwrite: bool = False
    filters: Filters = field(default_factory=Filters)
    #: replace the names of registered participants and organisations in free text by their
    #: pseudonyms (participant codes, organisation codes); the notes themselves are unchanged
    pseudonymise: bool = False


@dataclass
class SheetReport:
    key: str
    title: str
    rows: int
    columns: int
    #: further sheets the table continued on (beyond a spreadsheet's row limit)
    split_into: list[str] = field(default_factory=list)


@dataclass
class Continuation:
    """Text longer than a cell holds, continued in numbered columns."""

    sheet: str
    column: str
    last_column: str
    rows: int


@dataclass
class ExportSummary:
    path: Path
    format: Format
    sheets: list[SheetReport] = field(default_factory=list)
    continued: list[Continuation] = field(default_factory=list)
    #: text left out for lack of verbatim-quote consent, by sheet key
    withheld: dict[str, int] = field(default_factory=dict)
    identifiers_included: bool = False
    #: known identifiers masked in free text
    masked: int = 0
    #: characters a spreadsheet cannot hold, replaced by U+FFFD
    replaced_characters: int = 0
    #: rows written before the reader closed standard output (None: it read everything)
    output_closed: int | None = None
    #: names replaced by pseudonyms in text (None: not asked for)
    pseudonymised: int | None = None

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sheets)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "format": self.format, "rows": self.rows,
            "sheets": [vars(s) for s in self.sheets],
            "continued": [vars(c) for c in self.continued],
            "withheld": dict(self.withheld), "identifiers_included": self.identifiers_included,
            "masked": self.masked, "replaced_characters": self.replaced_characters,
            "output_closed": self.output_closed, "pseudonymised": self.pseudonymised,
        }

    def lines(self) -> list[str]:
        """The summary for people, in the current interface language."""
        out = [ngettext("Exported {rows} row to {path}", "Exported {rows} rows to {path}",
                        self.rows).format(rows=self.rows, path=self.path) + " "
               + ngettext("({n} sheet)", "({n} sheets)", len(self.sheets)).format(
                   n=len(self.sheets))]
        out += [f"  {s.title}: " + ngettext("{n} row", "{n} rows", s.rows).format(n=s.rows)
                for s in self.sheets]
        for s in self.sheets:
            if s.split_into:
                out.append(_("{sheet} has more rows than a sheet holds: continued on {sheets}"
                             ).format(sheet=s.title, sheets=", ".join(s.split_into)))
        for c in self.continued:
            out.append(ngettext(
                "Long text: {sheet} › {column} continues in columns up to {last} ({n} row)",
                "Long text: {sheet} › {column} continues in columns up to {last} ({n} rows)",
                c.rows).format(sheet=c.sheet, column=c.column, last=c.last_column, n=c.rows))
        titles = {s.key: s.title for s in self.sheets}
        for key, n in sorted(self.withheld.items()):
            out.append(ngettext(
                "Left out for lack of verbatim-quote consent: {n} text in {sheet}",
                "Left out for lack of verbatim-quote consent: {n} texts in {sheet}",
                n).format(n=n, sheet=titles.get(key, key)))
        if self.output_closed is not None:
            out.append(_("The reader closed the output after {n} rows; the rest was not "
                         "written.").format(n=self.output_closed))
        if self.pseudonymised is not None:
            out.append(_("Names replaced by pseudonyms in text: {n}").format(
                n=self.pseudonymised))
        if self.masked:
            out.append(_("Known identifiers masked in text: {n}").format(n=self.masked))
        if self.replaced_characters:
            out.append(_("Characters a spreadsheet cannot hold, replaced by �: {n}").format(
                n=self.replaced_characters))
        if self.identifiers_included:
            out.append(_("This export includes direct identifiers (real names, phone numbers, "
                         "WeChat ids): keep it encrypted and delete it when done."))
        return out
