"""Which codes are applied together: in overlapping passages, or anywhere in one interview.

Counts are of *places*, so a coding applied twice does not count twice:

- ``passage``: the number of runs of text (merged elementary segments, per note) that carry both
  codes at once — two codings that overlap once count once, however long the overlap;
- ``interview``: the number of interviews in which both codes were applied.

The diagonal holds each code's own count (its coded runs, or the interviews using it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from fieldapp.analysis.segments import Segment, Span, merge_adjacent, segments

SCOPES = ("passage", "interview")


@dataclass(frozen=True)
class Matrix:
    scope: str
    codes: tuple[str, ...]
    counts: dict[tuple[str, str], int]
    #: (code, code) → where they meet: (note id, start, end) for passages, interview ids otherwise
    places: dict[tuple[str, str], tuple[tuple[str, int, int] | str, ...]]

    def count(self, a: str, b: str) -> int:
        return self.counts.get(_pair(a, b), 0)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def compute(spans: Iterable[Span], scope: str, *,
            interview_of: dict[str, str] | None = None,
            codes: Iterable[str] | None = None) -> Matrix:
    """``interview_of`` maps note id → interview id (needed for the interview scope)."""
    if scope not in SCOPES:
        raise ValueError(scope)
    spans = list(spans)
    wanted = tuple(sorted(set(codes) if codes is not None else {s.code_id for s in spans}))
    keep = set(wanted)
    places: dict[tuple[str, str], list[tuple[str, int, int] | str]] = {}
    if scope == "passage":
        hits: dict[tuple[str, str], list[Segment]] = {}
        for seg in segments(spans):
            used = sorted(seg.all_codes() & keep)
            for code in used:
                hits.setdefault((code, code), []).append(seg)
            for a, b in combinations(used, 2):
                hits.setdefault((a, b), []).append(seg)
        for pair, parts in hits.items():
            places[pair] = list(merge_adjacent(parts))
    else:
        assert interview_of is not None
        by_interview: dict[str, set[str]] = {}
        for s in spans:
            interview = interview_of.get(s.note_id)
            if interview is not None and s.code_id in keep:
                by_interview.setdefault(interview, set()).add(s.code_id)
        for interview, codes_used in sorted(by_interview.items()):
            for code in codes_used:
                places.setdefault((code, code), []).append(interview)
            for a, b in combinations(sorted(codes_used), 2):
                places.setdefault((a, b), []).append(interview)
    return Matrix(scope, wanted, {k: len(v) for k, v in places.items()},
                  {k: tuple(v) for k, v in places.items()})
