"""Agreement between two coders: percent agreement, Cohen's κ and Krippendorff's α (nominal).

For each code, every unit of text gets a yes/no from each coder (did they apply the code there?),
which gives a 2×2 table ``both / first only / second only / neither``. Units are either

- **characters** (each code point counts once: long passages weigh more), or
- **segments**: the elementary segments of :mod:`fieldapp.analysis.segments`, each counting once.

**Uncoded text.** Text that neither coder coded at all would count as agreement ("neither") for
every code and inflate every figure the longer the transcript. By default only text that at least
one coder coded with some code is counted (``scope="coded"``); ``scope="all"`` counts the whole
text of the notes both coders worked on, for comparison with tools that do.

The overall figure pools the tables of all codes (sums them) before computing. κ is Cohen's
(chance from each coder's own marginals); α is Krippendorff's for nominal data with two coders
and no missing values, computed from the coincidence matrix. A figure that is undefined (for
example κ when both coders said "no" everywhere) is ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fieldapp.analysis.segments import Span, segments

UNITS = ("character", "segment")
SCOPES = ("coded", "all")


@dataclass(frozen=True)
class Table:
    both: int = 0
    first_only: int = 0
    second_only: int = 0
    neither: int = 0

    def __add__(self, other: Table) -> Table:
        return Table(self.both + other.both, self.first_only + other.first_only,
                     self.second_only + other.second_only, self.neither + other.neither)

    @property
    def total(self) -> int:
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def percent(self) -> float | None:
        if not self.total:
            return None
        return 100.0 * (self.both + self.neither) / self.total

    @property
    def kappa(self) -> float | None:
        n = self.total
        if not n:
            return None
        observed = (self.both + self.neither) / n
        first_yes = (self.both + self.first_only) / n
        second_yes = (self.both + self.second_only) / n
        expected = first_yes * second_yes + (1 - first_yes) * (1 - second_yes)
        if expected >= 1:
            return None
        return (observed - expected) / (1 - expected)

    @property
    def alpha(self) -> float | None:
        pairable = 2 * self.total
        yes = 2 * self.both + self.first_only + self.second_only
        no = 2 * self.neither + self.first_only + self.second_only
        if pairable < 2 or not yes or not no:
            return None
        disagreements = self.first_only + self.second_only
        return 1 - (pairable - 1) * disagreements / (yes * no)


@dataclass(frozen=True)
class CodeAgreement:
    code_id: str
    unit: str
    table: Table


@dataclass(frozen=True)
class Agreement:
    first: str
    second: str
    scope: str
    notes: int
    per_code: tuple[CodeAgreement, ...]

    def overall(self, unit: str) -> Table:
        total = Table()
        for row in self.per_code:
            if row.unit == unit:
                total = total + row.table
        return total


def compare(spans: Iterable[Span], first: str, second: str, *,
            note_lengths: dict[str, int] | None = None, scope: str = "coded",
            codes: Iterable[str] | None = None) -> Agreement:
    """Agreement of coder ``first`` with coder ``second`` on the notes both coded.

    ``note_lengths`` (code points per note) is needed for ``scope="all"``. ``codes`` limits the
    comparison to those codes; by default every code either coder used.
    """
    if scope not in SCOPES:
        raise ValueError(scope)
    spans = [s for s in spans if s.coder in (first, second)]
    notes_of = {coder: {s.note_id for s in spans if s.coder == coder} for coder in (first, second)}
    shared = notes_of[first] & notes_of[second]
    spans = [s for s in spans if s.note_id in shared]
    wanted = sorted(set(codes) if codes is not None else {s.code_id for s in spans})
    lengths = {n: length for n, length in (note_lengths or {}).items() if n in shared}
    parts = segments(spans, lengths, include_uncoded=(scope == "all"))
    # One pass over the segments, each adding to the codes either coder gave it; a code's
    # "neither" is what is left of the whole. (Going through every segment once per code made
    # a codebook of 200 codes walk the corpus 400 times.)
    chosen = set(wanted)
    total = {"character": 0, "segment": 0}
    tally: dict[str, list[int]] = {}  # code -> both, first only, second only (characters),
    #                                   then the same for segments
    empty: frozenset[str] = frozenset()
    for seg in parts:
        total["character"] += seg.length
        total["segment"] += 1
        of_first, of_second = seg.codes.get(first, empty), seg.codes.get(second, empty)
        for code in of_first | of_second:
            if code not in chosen:
                continue
            cell = 0 if code in of_first and code in of_second else 1 if code in of_first else 2
            counts = tally.setdefault(code, [0] * 6)
            counts[cell] += seg.length
            counts[3 + cell] += 1
    rows = []
    for code in wanted:
        counts = tally.get(code, [0] * 6)
        for k, unit in enumerate(UNITS):
            both, first_only, second_only = counts[3 * k:3 * k + 3]
            rows.append(CodeAgreement(code, unit, Table(
                both, first_only, second_only,
                total[unit] - both - first_only - second_only)))
    return Agreement(first, second, scope, len(shared), tuple(rows))
