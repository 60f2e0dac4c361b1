"""Pseudonyms inside an export (``--pseudonymise``): the names of registered participants and
organisations, wherever they occur in free text (note titles and bodies, coded passages, coding
comments, open survey answers), are replaced by their pseudonyms. The notes themselves are
never changed: only what is written to the export.

Names are found by :func:`fieldapp.analysis.deidentify.find`: also written in Traditional
characters, full-width or with the administrative units left out, and a name of two characters
only where the segmenter sees a word boundary on both sides (王明 in 见到了王明，, not in
王明白了). A participant's pseudonym is their participant code, as in every participant column
of the export; an organisation's is its registry code, or — when naming it lacks consent — the
same pseudonymous code (``ORG-001``) its organisation columns carry, so one person or
organisation has one pseudonym across every sheet, file and the REFI-QDA project.

Other identifiers (phone numbers, ID numbers, names the finder missed) are still masked after
this, by :class:`~fieldapp.export.cells.Redactor`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldapp.analysis.deidentify import Finding, KnownName, NameFinder

NAME_KINDS = frozenset(("participant", "organisation"))


class Pseudonymiser:
    def __init__(self, names: Iterable[KnownName]) -> None:
        self.names = [n for n in names if n.name.strip() and n.pseudonym]
        self._finder: NameFinder | None = None  # compiled at the first text that needs it
        longest = max((len(n.pseudonym) for n in self.names), default=0)
        #: how many times longer a text can get (the shortest name matched has 2 characters)
        self.growth = max(1, math.ceil(longest / 2))
        #: names replaced so far
        self.count = 0

    def __bool__(self) -> bool:
        return bool(self.names)

    def findings(self, text: str) -> list[Finding]:
        if not text or not self.names:
            return []
        from fieldapp.analysis.deidentify import NameFinder, find

        if self._finder is None:
            self._finder = NameFinder(self.names)
        return [f for f in find(text, self._finder) if f.kind in NAME_KINDS]

    def __call__(self, text: str, *, count: bool = True) -> str:
        found = self.findings(text)
        if not found:
            return text
        if count:
            self.count += len(found)
        from fieldapp.analysis.deidentify import apply

        return apply(text, found)

    def rewrite(self, text: str) -> tuple[str, Callable[[int, bool], int]]:
        """``text`` with names replaced, and a function that moves an offset in ``text`` to the
        same place in the result (``end=True``: an end offset inside a replaced name moves to
        the end of its pseudonym, otherwise to its start), so coded passages still cover the
        same words."""
        found = self.findings(text)
        if not found:
            return text, lambda offset, end=False: offset
        self.count += len(found)
        starts = [f.start for f in found]
        shifts: list[int] = []  # total change in length after each finding
        total = 0
        for f in found:
            total += len(f.replacement) - (f.end - f.start)
            shifts.append(total)

        def move(offset: int, end: bool = False) -> int:
            k = bisect.bisect_right(starts, offset) - 1  # the last finding starting at or before
            if k < 0:
                return offset
            f = found[k]
            before = shifts[k - 1] if k > 0 else 0
            if offset >= f.end:
                return offset + shifts[k]
            if offset == f.start:
                return offset + before
            # inside a replaced name
            new_start = f.start + before
            return new_start + len(f.replacement) if end else new_start

        from fieldapp.analysis.deidentify import apply

        return apply(text, found), move
