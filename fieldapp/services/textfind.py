"""Find inside one note, folded the way workspace search folds: full-width and half-width,
upper and lower case, Traditional and Simplified Chinese (``愛滋`` finds ``艾滋``, ``ｈｉｖ``
finds ``HIV``). Matches are reported as code-point offsets into the note's own text.

Folding can change a text's length (``ﬁ`` → ``fi``, ``ß`` → ``ss``); each folded character
keeps the offset of the character it came from, so a match maps back onto the original text.
A note is folded paragraph by paragraph and each paragraph's folding is cached, so typing in
one paragraph and searching again folds only that paragraph.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import OrderedDict

from fieldapp.store.search import fold

#: Paragraph foldings kept (a few notes' worth).
_CACHE_SIZE = 4000
_cache: OrderedDict[str, tuple[str, list[int] | None]] = OrderedDict()


@functools.lru_cache(maxsize=16384)
def _width_case(c: str) -> str:
    return unicodedata.normalize("NFKC", c).casefold()


def _fold_with_map(paragraph: str) -> tuple[str, list[int] | None]:
    """The folded paragraph and, when its length differs from the paragraph's, the offset in
    the paragraph of every folded character (None: the offsets are the same).

    Width and case are folded character by character (so each folded character knows where
    it came from), then Traditional → Simplified over the whole paragraph (OpenCC converts
    phrases: 愛滋病 → 艾滋病), as the search index does."""
    hit = _cache.get(paragraph)
    if hit is not None:
        _cache.move_to_end(paragraph)
        return hit
    pieces = [_width_case(c) for c in paragraph]
    simple = "".join(pieces)
    origin: list[int] | None = None
    if len(simple) != len(paragraph):
        origin = [i for i, piece in enumerate(pieces) for _ in piece]
    folded = fold(simple)  # width and case are folded already: this adds OpenCC
    if len(folded) != len(simple):
        # A phrase conversion changed the length: convert character by character instead.
        folded = "".join(fold(c) if len(fold(c)) == 1 else c for c in simple)
    result = (folded, origin)
    _cache[paragraph] = result
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return result


def find_all(text: str, query: str, limit: int = 10_000) -> list[tuple[int, int]]:
    """Every match of ``query`` in ``text`` (folded), as ``(start, end)`` code-point offsets,
    in order, not overlapping; at most ``limit``. A match never spans a line break."""
    needle = fold(query.strip())
    if not needle or "\n" in needle:
        return []
    out: list[tuple[int, int]] = []
    base = 0
    for paragraph in text.split("\n"):
        if paragraph:
            folded, origin = _fold_with_map(paragraph)
            at = folded.find(needle)
            while at >= 0:
                end = at + len(needle)
                if origin is None:
                    out.append((base + at, base + end))
                else:
                    start = origin[at]
                    stop = origin[end - 1] + 1
                    out.append((base + start, base + stop))
                if len(out) >= limit:
                    return out
                at = folded.find(needle, end)
        base += len(paragraph) + 1
    return out
