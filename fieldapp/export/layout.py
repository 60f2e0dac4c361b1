"""From a :class:`~fieldapp.export.table.Table` to the cells a writer streams: headers, column
widths, long text spread over numbered continuation columns, characters a spreadsheet cannot
hold replaced, known identifiers masked.

Planning looks at the data before anything is written: every row's free-text cells are measured
(only their length, cheaply) so that the number of continuation columns is known when the header
is written, and the first :data:`SAMPLE_ROWS` rows give the column widths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice
from typing import TYPE_CHECKING, Any

from fieldapp.export.cells import (
    CELL_LIMIT,
    FORMULA_STARTS,
    ILLEGAL,
    Redactor,
    clean,
    csv_safe,
    display_width,
    split_text,
)
from fieldapp.export.options import Continuation
from fieldapp.export.table import Column, Kind, Table

if TYPE_CHECKING:
    from fieldapp.export.pseudonyms import Pseudonymiser

SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8.0, 60.0


@dataclass
class Stats:
    replaced: int = 0


@dataclass
class Planned:
    table: Table
    headers: list[str]
    keys: list[str]
    kinds: list[Kind]
    widths: list[float]
    #: how many columns each of the table's columns takes (1, or more for long text)
    parts: list[int]
    continued: list[Continuation] = field(default_factory=list)
    redactor: Redactor | None = None
    stats: Stats = field(default_factory=Stats)
    #: replaces registered names in free text by pseudonyms (before masking)
    pseudonymiser: Pseudonymiser | None = None
    #: the most a part of long text may hold, in UTF-16 code units
    limit: int = CELL_LIMIT
    #: more sheets the table continued on, beyond a spreadsheet's row limit
    split_into: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.table.title

    @property
    def count(self) -> int:
        return self.table.count

    def rows(self, guard: bool = False) -> Iterator[list[Any]]:
        """The table's rows as cells: text cleaned, masked and split; with ``guard`` (CSV for
        a spreadsheet) text a spreadsheet would run as a formula gets a leading apostrophe."""
        columns = self.table.columns
        pseudo = self.pseudonymiser
        free = [c.free_text and (self.redactor is not None or pseudo is not None)
                for c in columns]
        parts = self.parts
        spread = any(p > 1 for p in parts)
        redact = self.redactor
        stats = self.stats
        if not spread and redact is None and pseudo is None:
            yield from self._plain_rows(guard)
            return
        for row in self.table.rows():
            cells: list[Any] = []
            for i, value in enumerate(row):
                if type(value) is str:
                    if free[i]:
                        if pseudo is not None:
                            value = pseudo(value)
                        if redact is not None:
                            value = redact(value)
                    value, bad = clean(value)
                    stats.replaced += bad
                    if parts[i] > 1:
                        chunks = split_text(value, self.limit)
                        if guard:
                            chunks = [csv_safe(c) for c in chunks]
                        cells.extend(chunks)
                        cells.extend([None] * (parts[i] - len(chunks)))
                        continue
                    if guard:
                        value = csv_safe(value)
                cells.append(value)
                if parts[i] > 1:
                    cells.extend([None] * (parts[i] - 1))
            yield cells

    def _plain_rows(self, guard: bool) -> Iterator[list[Any]]:
        """Rows with nothing to mask or split: only characters to replace (and formulas to
        guard), checked in one pass over each row's text cells."""
        stats = self.stats
        search = ILLEGAL.search
        for row in self.table.rows():
            out = row if type(row) is list else list(row)
            for i, value in enumerate(out):
                if type(value) is str and value:
                    if search(value) is not None:
                        value, bad = clean(value)
                        out[i] = value
                        stats.replaced += bad
                    if guard and value[0] in FORMULA_STARTS:
                        out[i] = "'" + value
            yield out


def _transformed(value: str, redactor: Redactor | None,
                 pseudonymiser: Pseudonymiser | None = None) -> str:
    if pseudonymiser is not None:
        value = pseudonymiser(value, count=False)
    if redactor is not None:
        counted = redactor.count
        value = redactor(value)
        redactor.count = counted  # counted when the row is written, not when measured
    return clean(value)[0]


def _width_of(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        first = value.split("\n", 1)[0]
        return display_width(first[:120])
    if isinstance(value, datetime):
        return 19
    if isinstance(value, (date, time)):
        return 10
    return len(str(value))


def plan(table: Table, *, names: bool, redactor: Redactor | None = None,
         limit: int = CELL_LIMIT, pseudonymiser: Pseudonymiser | None = None) -> Planned:
    """Headers, widths and continuation columns for ``table``; text longer than ``limit``
    UTF-16 units continues in numbered columns (``limit=0``: never split)."""
    columns: list[Column] = table.columns
    free = [i for i, c in enumerate(columns) if c.free_text]
    parts = [1] * len(columns)
    continued_rows = [0] * len(columns)
    # 2 UTF-16 units per code point at most; masking keeps lengths, pseudonyms may grow
    growth = pseudonymiser.growth if pseudonymiser is not None else 1
    if free and limit and table.text_bound is not None:
        if table.text_bound() * 2 * growth <= limit:
            free = []  # nothing can be too long: no pass over the rows to measure
    if free and limit:
        for row in table.rows():
            for i in free:
                value = row[i]
                # 2 UTF-16 units per code point at most: shorter text always fits.
                if isinstance(value, str) and len(value) * 2 * growth > limit:
                    n = len(split_text(_transformed(value, redactor, pseudonymiser), limit))
                    if n > 1:
                        continued_rows[i] += 1
                        parts[i] = max(parts[i], n)
    widths = [float(display_width(c.key if names else c.label)) for c in columns]
    for row in islice(table.rows(), SAMPLE_ROWS):
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _width_of(value))
    headers: list[str] = []
    keys: list[str] = []
    kinds: list[Kind] = []
    out_widths: list[float] = []
    continued: list[Continuation] = []
    for i, column in enumerate(columns):
        header = column.key if names else column.label
        width = min(max(widths[i] + 2, MIN_WIDTH), MAX_WIDTH)
        for k in range(1, parts[i] + 1):
            headers.append(header if k == 1 else
                           (f"{header}_{k}" if names else f"{header} ({k})"))
            keys.append(column.key if k == 1 else f"{column.key}_{k}")
            kinds.append(column.kind)
            out_widths.append(width)
        if parts[i] > 1:
            continued.append(Continuation(table.title, header, headers[-1], continued_rows[i]))
    return Planned(table, headers, keys, kinds, out_widths, parts, continued, redactor,
                   limit=limit or CELL_LIMIT, pseudonymiser=pseudonymiser)
