"""Statistics files: one Stata ``.dta`` (format 118, UTF-8, Stata 14 and later) or one SPSS
``.sav`` per table, in a folder, written with pyreadstat (ReadStat).

- **Names**: every column gets a valid, unique variable name of at most 32 characters
  (:func:`stat_names`): letters, digits and ``_`` only, starting with a letter (a leading ``_``
  of fieldapp's own columns becomes ``m_``: ``_index`` → ``m_index``), group prefixes dropped
  before anything is cut, unique without regard to case (SPSS ignores case), never a reserved
  word. The codebook lists each column's name in these files beside its name in the form.
- **Labels**: variable labels are the column's text in the export's language; coded columns
  (select_one questions, sites, sectors, statuses, …) hold numbers with value labels in that
  language: the choice's own code when every code of the list is a whole number, otherwise
  1, 2, 3… in the list's order (the codebook gives both). 0/1 columns (select_multiple dummies,
  flags) carry the labels no/yes.
- **Dates** are dates (``%td`` / SPSS ``DATE``), date-times are date-times (``%tc`` /
  ``DATETIME``, UTC like the sheets); times of day are text (``09:30:00``), since neither package
  has a time-of-day type.
- **Missing answers** in numeric and coded question columns: *not asked* (the form's skip logic
  hid the question) and *not answered* (asked, left blank) are told apart — Stata extended
  missing values ``.a`` (not asked) and ``.b`` (not answered); in SPSS user-missing values
  ``-9999998`` (not asked) and ``-9999999`` (not answered), declared as missing and labelled.
  Text, date and time columns have no such values in either package: both are blank there.
- **Long text**: Stata keeps any length (strL); SPSS holds at most 32,767 bytes in a variable,
  so longer text continues in numbered variables, as in the spreadsheet (a part never ends
  with a space; SPSS pads text with spaces, so a value's own trailing spaces are lost there).
- **Memory**: pyreadstat writes a file from one pandas DataFrame and cannot append to it, so a
  table's values are collected while its rows stream from the database, written, and dropped
  before the next table: the bound is the largest table, not the workspace. The table is held
  compactly, once: numbers, dates and date-times as 8-byte floats in arrays (dates as the
  package's own day/millisecond/second counts with a date format, the numbers pyreadstat
  would compute), text as one pointer per cell — straight into the object array pandas
  holds, sized by the table's count — to a string kept once per distinct value (the
  database returns a fresh string for every cell), and no copy into pandas' 2-D blocks.
  pyreadstat then reads the frame row by row without copying it. What is left is ~8 bytes
  per cell plus each distinct string (ids are unique): ~40 MiB for 100,000 responses to a
  28-column form.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from fieldapp.export.atomic import Ticker, publish, scratch_dir
from fieldapp.export.csvout import file_names
from fieldapp.export.labels import Translator
from fieldapp.export.layout import Planned
from fieldapp.export.table import NOT_ASKED, Column
from fieldapp.i18n import N_

NAME_LIMIT = 32
#: SPSS: a string variable holds at most 32,767 bytes; 10,922 UTF-16 units are at most that.
SPSS_TEXT_LIMIT = 10_922
STATA_NOT_ASKED, STATA_NOT_ANSWERED = "a", "b"
SPSS_NOT_ASKED, SPSS_NOT_ANSWERED = -9_999_998, -9_999_999
LABEL_LIMIT = 80  # Stata's variable label limit (characters)
NOT_ASKED_LABEL = N_("not asked (skipped by the form's logic)")
NOT_ANSWERED_LABEL = N_("not answered")
_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _pi _pred _rc _skip str strl "
    "using with all and by eq ge gt le lt ne not or to".split())
_INVALID = re.compile(r"[^A-Za-z0-9_]+")


def _clean(text: str) -> str:
    text = _INVALID.sub("_", text).strip("_")
    return re.sub(r"_+", "_", text)


def stat_name(key: str) -> str:
    """A variable name for one column key, before making it unique."""
    meta = key.startswith("_")
    segments = [_clean(s) for s in key.split("/")]
    segments = [s for s in segments if s]
    name = "_".join(segments)
    # Too long: drop the outermost groups first, keep the question (and choice) names.
    while len(name) + (2 if meta else 0) > NAME_LIMIT and len(segments) > 1:
        segments = segments[1:]
        name = "_".join(segments)
    if meta:
        name = "m_" + name
    if not name or not name[0].isalpha() or not name.isascii():
        name = "v_" + name
    name = name[:NAME_LIMIT].rstrip("_") or "v"
    if name.casefold() in _RESERVED:
        name = (name + "_v")[:NAME_LIMIT]
    return name


def stat_names(keys: Iterable[str]) -> list[str]:
    """Valid, unique (ignoring case) names of at most 32 characters for ``keys``, in order."""
    used: set[str] = set()
    out = []
    for key in keys:
        base = stat_name(key)
        name, n = base, 2
        while name.casefold() in used:
            tail = f"_{n}"
            name = base[: NAME_LIMIT - len(tail)] + tail
            n += 1
        used.add(name.casefold())
        out.append(name)
    return out


def numeric_codes(choices: list[tuple[str, str]]) -> dict[str, int]:
    """The number each code is stored as: itself when all codes are whole numbers."""
    codes = [c for c, _label in choices]
    if codes and all(re.fullmatch(r"-?\d{1,9}", c) for c in codes):
        numbers = {c: int(c) for c in codes}
        if len(set(numbers.values())) == len(numbers) and not (
                {SPSS_NOT_ASKED, SPSS_NOT_ANSWERED} & set(numbers.values())):
            return numbers
    return {c: n for n, c in enumerate(codes, 1)}


def _columns(planned: Planned) -> list[tuple[Column, int]]:
    """Each written column's table column and part number (1, or more for continued text)."""
    out = []
    for column, parts in zip(planned.table.columns, planned.parts, strict=True):
        out += [(column, k) for k in range(1, parts + 1)]
    return out


class _Variable:
    """One variable being collected: its values, type and labels."""

    def __init__(self, column: Column, part: int, spss: bool, tr: Translator,
                 size: int = 0) -> None:
        self.column, self.spss = column, spss
        kind = column.kind
        self.coded = column.choices is not None and part == 1
        self.numeric = self.coded or kind in ("int", "real", "flag")
        self.kind = kind
        label = column.label if part == 1 else f"{column.label} ({part})"
        self.label = label[:LABEL_LIMIT] if not spss else label[:255]
        self.codes = numeric_codes(column.choices or []) if self.coded else {}
        #: value -> label; Stata's extended missing values are the letters themselves
        self.value_labels: dict[Any, str] = {}
        if self.coded:
            for code, text in column.choices or []:
                self.value_labels[self.codes[code]] = (text or code)[:LABEL_LIMIT * 4]
        elif kind == "flag":
            self.value_labels = {0: tr(N_("no")), 1: tr(N_("yes"))}
        self.missing = self.numeric and column.question
        if self.missing:
            if spss:
                self.value_labels[SPSS_NOT_ASKED] = tr(NOT_ASKED_LABEL)
                self.value_labels[SPSS_NOT_ANSWERED] = tr(NOT_ANSWERED_LABEL)
            else:
                self.value_labels[STATA_NOT_ASKED] = tr(NOT_ASKED_LABEL)
                self.value_labels[STATA_NOT_ANSWERED] = tr(NOT_ANSWERED_LABEL)
        #: numbers, dates and date-times as 8-byte floats (NaN: blank) in an array rather
        #: than a list of Python objects, which would take several times the memory while a
        #: table is collected; dates and date-times as the package's own numbers, with a format
        #: (a datetime64 column would also make pyreadstat copy the whole frame)
        self.floats = (self.numeric and not (self.missing and not spss)) or kind in (
            "date", "datetime")
        self.format = _FORMATS[spss].get(kind) if self.floats else None
        self.numbers: array[float] = array("d")
        #: text (and Stata's numbers with extended missing values) as Python objects, each
        #: distinct value held once (:attr:`_seen`): the database returns a new string for
        #: every cell, and most columns repeat a few values (sites, statuses, codes); straight
        #: into the object array pandas will hold (sized by the table's count), not a list
        #: copied into it at the end
        self.values: Any = None if self.floats else _objects(size)
        self.filled = 0
        self._seen: dict[Any, Any] = {}

    def add(self, value: Any) -> None:
        if self.numeric and not self.coded and isinstance(value, str):
            try:
                value = float(value) if self.kind == "real" else int(value)
            except ValueError:
                value = None  # not a number (kept as text in the sheet): not answered
        if value is None or value is NOT_ASKED:
            if self.missing:
                asked = value is None
                if self.spss:
                    value = SPSS_NOT_ANSWERED if asked else SPSS_NOT_ASKED
                else:
                    value = STATA_NOT_ANSWERED if asked else STATA_NOT_ASKED
            elif not self.numeric and self.kind in ("text", "time"):
                value = ""
            else:
                value = None
        elif self.coded:
            code = str(value)
            if code not in self.codes:  # a code the list does not have: numbered after it
                self.codes[code] = max([0, *[v for v in self.codes.values()]]) + 1
                self.value_labels[self.codes[code]] = code
            value = self.codes[code]
        elif self.numeric:
            value = float(value) if self.kind == "real" else int(value)
        elif self.kind == "time" and isinstance(value, time):
            value = value.isoformat()
        elif self.kind == "date" and isinstance(value, datetime):
            value = value.date()
        elif self.kind in ("text", "time") and not isinstance(value, str):
            value = str(value)
        elif self.kind in ("date", "datetime") and not isinstance(value, date):
            value = None  # an answer that was not a valid date (kept as text in the sheet)
        if self.floats:
            if value is None:
                self.numbers.append(math.nan)
            elif self.format is not None:
                self.numbers.append(_date_number(value, self.kind, self.spss))
            else:
                self.numbers.append(float(value))
            return
        # One object per distinct value (a column's values are all of one type, so 1 and
        # 1.0 never meet); past _DISTINCT values the column is mostly unique (ids, open
        # answers) and the rest are kept as they come.
        seen = self._seen
        kept = seen.get(value)
        if kept is None:
            kept = value
            if len(seen) < _DISTINCT:
                seen[value] = value
        values, n = self.values, self.filled
        if n == len(values):  # more rows than counted: grow by half
            values = self.values = _grown(values, n // 2 + 1024)
        values[n] = kept
        self.filled = n + 1

    def series(self) -> Any:
        """The collected values as one pandas column; the variable lets go of them."""
        import numpy as np
        import pandas as pd

        if self.floats:
            numbers, self.numbers = self.numbers, array("d")
            return pd.Series(np.frombuffer(numbers, dtype="float64"), copy=False)
        values, self.values, self._seen = self.values, None, {}
        if self.filled < len(values):  # fewer rows than counted
            values = values[: self.filled].copy()
        return pd.Series(values, dtype=object, copy=False)


def _objects(size: int) -> Any:
    import numpy as np

    return np.empty(size, dtype=object)


def _grown(values: Any, more: int) -> Any:
    import numpy as np

    return np.concatenate([values, np.empty(more, dtype=object)])


#: how many distinct values of a column are kept to share (see :meth:`_Variable.add`)
_DISTINCT = 5_000
#: days from 1960-01-01 (Stata) and from 1582-10-14 (SPSS) to 1970-01-01
_STATA_DAYS, _SPSS_DAYS = 3_653, 141_428
_EPOCH = date(1970, 1, 1)
#: the display formats pyreadstat itself gives dates and date-times (by Python type)
_FORMATS = {False: {"date": "%td", "datetime": "%tc"}, True: {"date": "DATE", "datetime": "DATETIME"}}


def _date_number(value: date, kind: str, spss: bool) -> float:
    """A date or date-time as the number each package stores: Stata days (``%td``) or
    milliseconds (``%tc``) since 1960-01-01, SPSS seconds since 1582-10-14 — the arithmetic
    pyreadstat does for Python dates, done here so the column is an array of floats."""
    if kind == "date":
        days = ((value.date() if isinstance(value, datetime) else value) - _EPOCH).days
        return float((days + _SPSS_DAYS) * 86_400) if spss else float(days + _STATA_DAYS)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    # as datetime.timestamp() does for UTC, which pyreadstat uses: the same float
    seconds = (value.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()
    if spss:
        return seconds + _SPSS_DAYS * 86_400
    return (seconds + _STATA_DAYS * 86_400) * 1000


def _frame(planned: Planned, names: list[str], spss: bool, tr: Translator,
           ticker: Ticker) -> tuple[Any, list[_Variable]]:
    import pandas as pd

    size = planned.count
    variables = [_Variable(c, part, spss, tr, size) for c, part in _columns(planned)]
    for row in planned.rows():
        for var, value in zip(variables, row, strict=True):
            var.add(value)
        ticker.tick()
    # Column by column, each variable letting go of its values as its column is made, and
    # no copy into 2-D blocks: the table is held once.
    frame = pd.DataFrame({name: var.series() for name, var in zip(names, variables,
                                                                  strict=True)},
                         columns=names, copy=False)
    return frame, variables


def write_table(planned: Planned, path: Path, spss: bool, tr: Translator,
                ticker: Ticker) -> list[str]:
    """Write one table; returns its variable names."""
    import pyreadstat

    names = stat_names(planned.keys)
    frame, variables = _frame(planned, names, spss, tr, ticker)
    labels: list[str | None] = [v.label for v in variables]
    value_labels = {n: v.value_labels for n, v in zip(names, variables, strict=True)
                    if v.value_labels}
    title = planned.title[:80]
    formats = {n: v.format for n, v in zip(names, variables, strict=True)
               if v.format is not None}
    if spss:
        missing: dict[str, list[Any]] = {n: [SPSS_NOT_ASKED, SPSS_NOT_ANSWERED]
                   for n, v in zip(names, variables, strict=True) if v.missing}
        pyreadstat.write_sav(frame, str(path), file_label=title, column_labels=labels,
                             variable_value_labels=value_labels, missing_ranges=missing,
                             variable_format=formats)
    else:
        missing_user = {n: [STATA_NOT_ASKED, STATA_NOT_ANSWERED]
                        for n, v in zip(names, variables, strict=True) if v.missing}
        pyreadstat.write_dta(frame, str(path), file_label=title, column_labels=labels,
                             version=14, variable_value_labels=value_labels,
                             missing_user_values=missing_user,
                             variable_format=formats)
    return names


def write_stats(tables: list[Planned], target: Path, ticker: Ticker, *, spss: bool,
                tr: Translator, overwrite: bool = False) -> list[str]:
    """One file per table in the folder ``target``; returns the file names."""
    suffix = ".sav" if spss else ".dta"
    names = [n.removesuffix(".csv") + suffix for n in file_names(tables)]
    with scratch_dir(target) as work:
        built = work / "export"
        built.mkdir()
        for name, planned in zip(names, tables, strict=True):
            write_table(planned, built / name, spss, tr, ticker)
            ticker.check()
        publish(built, target, overwrite)
    ticker.finish()
    return names
