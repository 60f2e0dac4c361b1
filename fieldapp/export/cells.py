"""What one cell may hold: characters a spreadsheet accepts, the cell size limit, formula guards,
display width and masking of known identifiers.

Excel holds at most 32,767 characters in a cell, counted in UTF-16 code units (so 𠮷 or an
emoji counts two). Longer text is split into parts (never cut); a part never begins with a
character a spreadsheet could read as the start of a formula, so a CSV part needs no prefix and
the parts join back to the original text exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

CELL_LIMIT = 32_767
#: Characters that make Excel, LibreOffice or WPS treat a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Strings openpyxl would store as error values rather than text.
ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
#: Control characters XML 1.0 cannot carry, lone surrogates and non-characters.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"
MASK = "█"


def clean(text: str) -> tuple[str, int]:
    """``text`` with characters no spreadsheet can hold replaced by U+FFFD, and how many."""
    if _ILLEGAL.search(text) is None:
        return text, 0
    return _ILLEGAL.subn(REPLACEMENT, text)


def utf16_length(text: str) -> int:
    if len(text) * 2 <= CELL_LIMIT:
        return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = CELL_LIMIT) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-16 units; ``"".join(parts) == text``.

    A surrogate pair is never split, and a part other than the first does not start with a
    formula character when the boundary can move back to avoid it.
    """
    if utf16_length(text) <= limit:
        return [text]
    parts: list[str] = []
    start, units, i, n = 0, 0, 0, len(text)
    while i < n:
        width = 2 if ord(text[i]) > 0xFFFF else 1
        if units + width > limit:
            cut = i
            while cut - 1 > start and text[cut] in FORMULA_STARTS:
                cut -= 1
            if cut - 1 <= start:  # nothing but formula characters: cut where the limit is
                cut = i
            parts.append(text[start:cut])
            start, i, units = cut, cut, 0
            continue
        units += width
        i += 1
    parts.append(text[start:])
    return parts


def csv_safe(text: str) -> str:
    """OWASP: a text cell a spreadsheet could run as a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def display_width(text: str) -> int:
    """Columns ``text`` needs on screen: wide and full-width (CJK) characters count two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Redactor:
    """Masks known direct identifiers (names, phone numbers, WeChat ids, e-mail addresses)
    wherever they occur in exported text, character for character so that passage offsets
    still line up. Values shorter than two characters are ignored (they would mask everything).
    """

    def __init__(self, values: Iterable[str]) -> None:
        unique = sorted({v.strip() for v in values if v and len(v.strip()) >= 2},
                        key=lambda v: (-len(v), v))
        self._pattern = re.compile("|".join(re.escape(v) for v in unique)) if unique else None
        self.count = 0

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        out, n = self._pattern.subn(lambda m: MASK * len(m.group(0)), text)
        self.count += n
        return out
