"""Tables: what every sheet (and every CSV file) is before it is written.

A :class:`Table` names its columns and gives a fresh iterator over its rows each time
``rows()`` is called, so a writer can look at the data once (to size columns and find text too
long for a cell) and then stream it, without ever holding the whole sheet in memory. Tables are
built by functions of their own (one per sheet) that take what the export selected and return a
:class:`Table`, so other sheets can be added beside them without touching the writers.
Values are Python values of the column's kind: ``str``, ``int``, ``float``, ``date``,
``datetime`` (naive), ``time`` or ``None`` for blank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "int", "real", "date", "datetime", "time", "flag"]
Row = Sequence[Any]


class _NotAsked:
    """A question the form's skip logic hid (``relevant`` false): "not asked", as opposed to
    ``None``, asked but not answered. Only statistics files tell the two apart."""

    _instance: _NotAsked | None = None

    def __new__(cls) -> _NotAsked:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_ASKED"

    def __bool__(self) -> bool:
        return False


NOT_ASKED = _NotAsked()


@dataclass
class ColumnDoc:
    """What the codebook says about a column, in both languages."""

    type: str
    label_en: str = ""
    label_zh: str = ""
    choices_en: str = ""
    choices_zh: str = ""


@dataclass
class Column:
    #: the variable name (used as the header when headers are names)
    key: str
    #: the header when headers are labels
    label: str
    kind: Kind = "text"
    #: free text that may be longer than a cell holds, or hold known identifiers
    free_text: bool = False
    doc: ColumnDoc | None = None
    #: the categories a coded column holds, in order: (code, label in the export's language)
    choices: list[tuple[str, str]] | None = None
    #: an answer to a form question (may be "not asked" or "not answered")
    question: bool = False


@dataclass
class Table:
    #: stable name: "interviews", "notes", … or "survey:<form>:<version>[/repeat]"
    key: str
    #: sheet name and CSV file name (already translated)
    title: str
    columns: list[Column]
    rows: Callable[[], Iterable[Row]]
    #: how many rows; or a function that counts them (called once, when first needed)
    size: int | Callable[[], int]
    #: column keys that are links rather than data (index columns)
    meta: dict[str, Any] = field(default_factory=dict)
    #: a cheap upper bound of the length (code points) of any free-text cell, if known: when
    #: no text can be long enough to need splitting, planning skips its measuring pass
    text_bound: Callable[[], int] | None = None

    @property
    def count(self) -> int:
        if callable(self.size):
            self.size = self.size()
        return self.size

    def header(self, names: bool) -> list[str]:
        return [c.key if names else c.label for c in self.columns]


_BAD_TITLE = str.maketrans({c: "_" for c in "[]:*?/\\"})


def shorten(text: str, room: int) -> str:
    """``text`` in at most ``room`` characters, cut between words, not inside one: at the last
    space, dash or underscore that keeps at least half of it; Chinese, which has no spaces,
    between characters (a Latin word is never cut in two unless it is longer than ``room``)."""
    if len(text) <= room:
        return text
    cut = text[:room]
    if text[room].isascii() and text[room].isalnum() and cut[-1].isascii() \
            and cut[-1].isalnum():  # inside a Latin word: go back to where it starts
        breaks = [i for i, ch in enumerate(cut) if ch in " -_"]
        breaks += [i + 1 for i, ch in enumerate(cut) if not ch.isascii()]
        boundary = max(breaks, default=-1)
        if boundary >= room // 2:
            cut = cut[:boundary]
    return cut.rstrip(" -_")


def sheet_title(base: str, used: set[str], suffix: str = "") -> str:
    """A valid, unique sheet name: at most 31 characters, none of ``[]:*?/\\``, shortened
    between words (the codebook gives the full title)."""
    base = base.translate(_BAD_TITLE).strip("' ") or "Sheet"
    suffix = suffix.translate(_BAD_TITLE)
    room = 31 - len(suffix)
    title = shorten(base, room) + suffix
    n = 2
    while title.casefold() in used:
        tail = f" ({n})"
        title = shorten(base, room - len(tail)) + suffix + tail
        n += 1
    used.add(title.casefold())
    return title


def unique_headers(labels: list[str], keys: list[str]) -> list[str]:
    """Labels made unique by adding the variable name to any label seen twice."""
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    return [label if seen[label] == 1 or not label else f"{label} [{key}]"
            for label, key in zip(labels, keys, strict=True)]
