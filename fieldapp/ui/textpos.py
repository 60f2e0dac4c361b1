"""Qt counts text positions in UTF-16 units; fieldapp stores code points."""

from __future__ import annotations


def _has_astral(text: str) -> bool:
    return any(ord(c) > 0xFFFF for c in text)


def to_qt(text: str, cp: int) -> int:
    """Code-point offset in ``text`` -> Qt (UTF-16) position."""
    if not _has_astral(text):
        return cp
    return cp + sum(1 for c in text[:cp] if ord(c) > 0xFFFF)


def from_qt(text: str, pos: int) -> int:
    """Qt (UTF-16) position in ``text`` -> code-point offset."""
    if not _has_astral(text):
        return pos
    units = 0
    for i, c in enumerate(text):
        if units >= pos:
            return i
        units += 2 if ord(c) > 0xFFFF else 1
    return len(text)
