"""Elementary segments: a note cut at every start and end of a coding.

Within one segment the set of codes (per coder) is constant, so "A AND B in the same passage",
"A NOT B" and character-level agreement are all exact questions about segments, whatever the
overlaps. Offsets count Unicode code points, as codings do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise


@dataclass(frozen=True)
class Span:
    """One coding reduced to what analysis needs."""

    note_id: str
    code_id: str
    start: int
    end: int
    coder: str = ""
    coding_id: str = ""


@dataclass(frozen=True)
class Segment:
    note_id: str
    start: int
    end: int
    #: coder → codes applied over the whole segment
    codes: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return self.end - self.start

    def all_codes(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for codes in self.codes.values():
            out |= codes
        return out


def segments(spans: Iterable[Span], note_lengths: dict[str, int] | None = None,
             *, include_uncoded: bool = False) -> list[Segment]:
    """Elementary segments of every note that has spans (or a length given).

    With ``include_uncoded`` the text no coder coded is returned too (as segments whose ``codes``
    are empty), which agreement on "all text" needs; otherwise only coded text is returned.
    """
    by_note: dict[str, list[Span]] = {}
    for s in spans:
        if s.end > s.start:
            by_note.setdefault(s.note_id, []).append(s)
    notes = set(by_note) | set(note_lengths or {})
    out: list[Segment] = []
    for note_id in sorted(notes):
        note_spans = by_note.get(note_id, [])
        cuts = {0} if include_uncoded else set()
        for s in note_spans:
            cuts.add(s.start)
            cuts.add(s.end)
        if include_uncoded and note_lengths and note_id in note_lengths:
            cuts.add(note_lengths[note_id])
        points = sorted(cuts)
        # A sweep along the note: the spans covering a segment are those begun at or before
        # its start and not yet ended (every span's ends are cut points). Testing every span
        # for every segment cost a long transcript's codings squared.
        opening: dict[int, list[Span]] = {}
        closing: dict[int, list[Span]] = {}
        for s in note_spans:
            opening.setdefault(s.start, []).append(s)
            closing.setdefault(s.end, []).append(s)
        active: Counter[tuple[str, str]] = Counter()
        for start, end in pairwise(points):
            for s in closing.get(start, ()):
                active[(s.coder, s.code_id)] -= 1
                if not active[(s.coder, s.code_id)]:
                    del active[(s.coder, s.code_id)]
            for s in opening.get(start, ()):
                active[(s.coder, s.code_id)] += 1
            codes: dict[str, set[str]] = {}
            for coder, code in active:
                codes.setdefault(coder, set()).add(code)
            if codes or include_uncoded:
                out.append(Segment(note_id, start, end,
                                   {coder: frozenset(c) for coder, c in codes.items()}))
    return out


def merge_adjacent(parts: list[Segment]) -> list[tuple[str, int, int]]:
    """Runs of touching segments of one note, as (note id, start, end)."""
    runs: list[tuple[str, int, int]] = []
    for seg in sorted(parts, key=lambda s: (s.note_id, s.start)):
        if runs and runs[-1][0] == seg.note_id and runs[-1][2] == seg.start:
            runs[-1] = (seg.note_id, runs[-1][1], seg.end)
        else:
            runs.append((seg.note_id, seg.start, seg.end))
    return runs
