"""Plain-text tables for the terminal, aligned for Chinese as well as English.

A terminal shows East Asian wide and full-width characters (汉字, ＡＢＣ, 、。) in two columns and
combining marks in none, so columns are padded by displayed width (``unicodedata``'s East Asian
Width property), not by ``len``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

GAP = "  "


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _clean(cell: object) -> str:
    # One line per row: line breaks and tabs in data (a note, a name) would break the layout.
    return " ".join(str(cell if cell is not None else "").split())


def render(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table: headers, a rule, one line per row; the last column is not padded."""
    cells = [[_clean(c) for c in headers]] + [[_clean(c) for c in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [pad(cell, widths[i]) if i < len(row) - 1 else cell
                 for i, cell in enumerate(row)]
        lines.append(GAP.join(parts).rstrip())
        if n == 0:
            lines.append(GAP.join("-" * w for w in widths))
    return "\n".join(lines)
