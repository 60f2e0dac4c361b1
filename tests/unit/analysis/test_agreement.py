"""Agreement figures: a textbook example with known κ, Krippendorff's α judged by the maintained
``krippendorff`` package on the very same units, and the uncoded-text inflation kept out."""

from __future__ import annotations

import random
from itertools import pairwise

import krippendorff
import numpy as np
import pytest

from fieldapp.analysis.agreement import Table, compare
from fieldapp.analysis.segments import Span


def test_cohens_kappa_of_the_textbook_example() -> None:
    # 50 units: both yes 20, first only 5, second only 10, both no 15 → po 0.70, pe 0.50, κ 0.40.
    table = Table(both=20, first_only=5, second_only=10, neither=15)
    assert table.percent == pytest.approx(70.0)
    assert table.kappa == pytest.approx(0.40)


def _units(table: Table) -> np.ndarray:
    first = [1] * table.both + [1] * table.first_only + [0] * table.second_only + \
        [0] * table.neither
    second = [1] * table.both + [0] * table.first_only + [1] * table.second_only + \
        [0] * table.neither
    return np.array([first, second], dtype=float)


@pytest.mark.parametrize("table", [
    Table(20, 5, 10, 15), Table(1, 0, 0, 1), Table(40, 3, 1, 200), Table(5, 5, 5, 5),
    Table(0, 3, 4, 10),
])
def test_alpha_agrees_with_the_krippendorff_package(table: Table) -> None:
    expected = krippendorff.alpha(reliability_data=_units(table),
                                  level_of_measurement="nominal")
    assert table.alpha == pytest.approx(expected, abs=1e-9)


def test_undefined_figures_are_none_not_a_number() -> None:
    nobody = Table(0, 0, 0, 30)
    assert nobody.kappa is None
    assert nobody.alpha is None
    assert nobody.percent == 100.0
    assert Table().percent is None


def _char_units(spans: list[Span], length: int, code: str, coded_only: bool) -> np.ndarray:
    rows = []
    for coder in ("a", "b"):
        rows.append([1.0 if any(s.coder == coder and s.code_id == code and s.start <= i < s.end
                                for s in spans) else 0.0 for i in range(length)])
    data = np.array(rows)
    if coded_only:
        anything = [any(s.start <= i < s.end for s in spans) for i in range(length)]
        data = data[:, anything]
    return data


def test_character_level_matches_the_package_on_random_codings() -> None:
    rng = random.Random(7)
    length = 400
    spans = []
    for coder in ("a", "b"):
        for _ in range(12):
            start = rng.randrange(0, length - 20)
            end = min(length, start + rng.randrange(5, 60))
            spans.append(Span("n1", rng.choice(["X", "Y"]), start, end, coder))
    for coded_only in (True, False):
        result = compare(spans, "a", "b", note_lengths={"n1": length},
                         scope="coded" if coded_only else "all")
        for code in ("X", "Y"):
            row = next(r for r in result.per_code if r.code_id == code and r.unit == "character")
            data = _char_units(spans, length, code, coded_only)
            assert row.table.total == data.shape[1]
            expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
            assert row.table.alpha == pytest.approx(expected, abs=1e-9)
            agree = float((data[0] == data[1]).mean() * 100)
            assert row.table.percent == pytest.approx(agree)


def test_uncoded_text_does_not_inflate_agreement() -> None:
    # Two coders disagree about every passage either of them coded, in a long transcript.
    spans = [Span("n1", "X", 0, 10, "a"), Span("n1", "X", 10, 20, "b")]
    coded = compare(spans, "a", "b", note_lengths={"n1": 10_000}, scope="coded")
    everything = compare(spans, "a", "b", note_lengths={"n1": 10_000}, scope="all")
    char_coded = coded.overall("character")
    char_all = everything.overall("character")
    assert char_coded.percent == 0.0
    assert char_coded.kappa is not None and char_coded.kappa < 0
    # Counting 9,980 characters nobody coded as "agreement" is what inflates other tools' figures.
    assert char_all.percent is not None and char_all.percent > 99
    assert char_all.kappa is not None and char_all.kappa < 0.01


def test_segments_count_once_whatever_their_length() -> None:
    spans = [Span("n1", "X", 0, 100, "a"), Span("n1", "X", 0, 100, "b"),
             Span("n1", "X", 100, 102, "a"), Span("n1", "Y", 100, 102, "b")]
    result = compare(spans, "a", "b", scope="coded")
    x_chars = next(r.table for r in result.per_code if r.code_id == "X" and r.unit == "character")
    x_segs = next(r.table for r in result.per_code if r.code_id == "X" and r.unit == "segment")
    assert (x_chars.both, x_chars.first_only) == (100, 2)
    assert (x_segs.both, x_segs.first_only) == (1, 1)


def test_only_notes_both_coded_count() -> None:
    spans = [Span("n1", "X", 0, 5, "a"), Span("n1", "X", 0, 5, "b"),
             Span("n2", "X", 0, 50, "a")]  # n2 was never given to b
    result = compare(spans, "a", "b")
    assert result.notes == 1
    assert result.overall("character").percent == 100.0


@pytest.mark.parametrize("scope", ["coded", "all"])
@pytest.mark.parametrize("seed", range(5))
def test_each_table_counts_every_segment_by_its_definition(seed: int, scope: str) -> None:
    """``compare`` tallies the segments in one pass; each code's table must be what its
    definition says, counted here segment by segment for each code: both coders gave the
    segment the code, one did, or neither (weighted by characters, or one per segment)."""
    from fieldapp.analysis.segments import segments

    rnd = random.Random(seed)
    codes = [f"c{k}" for k in range(6)]
    lengths = {f"n{k}": rnd.randint(40, 200) for k in range(5)}
    spans = []
    for note, length in lengths.items():
        for coder in ("ann", "bo", "cy"):
            for _ in range(rnd.randint(0, 8)):
                start = rnd.randrange(length - 1)
                spans.append(Span(note, rnd.choice(codes), start,
                                  rnd.randint(start + 1, length), coder))
    result = compare(spans, "ann", "bo", note_lengths=lengths, scope=scope)
    kept = [s for s in spans if s.coder in ("ann", "bo")]
    shared = {s.note_id for s in kept if s.coder == "ann"} & \
        {s.note_id for s in kept if s.coder == "bo"}
    kept = [s for s in kept if s.note_id in shared]
    parts = segments(kept, {n: v for n, v in lengths.items() if n in shared},
                     include_uncoded=(scope == "all"))
    assert parts and result.per_code
    for row in result.per_code:
        counts = [0, 0, 0, 0]
        for seg in parts:
            a = row.code_id in seg.codes.get("ann", frozenset())
            b = row.code_id in seg.codes.get("bo", frozenset())
            counts[0 if a and b else 1 if a else 2 if b else 3] += \
                seg.length if row.unit == "character" else 1
        assert row.table == Table(*counts), row
    assert {r.code_id for r in result.per_code} == {s.code_id for s in kept}


@pytest.mark.parametrize("include_uncoded", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_segments_hold_the_codes_of_every_span_covering_them(seed: int,
                                                            include_uncoded: bool) -> None:
    """The sweep that cuts notes into segments must give each segment exactly the codes, by
    coder, of the spans that cover it whole -- counted here span by span -- with spans that
    nest, repeat, touch and share ends."""
    from fieldapp.analysis.segments import segments

    rnd = random.Random(seed)
    lengths = {f"n{k}": rnd.randint(20, 60) for k in range(3)}
    spans = []
    for note, length in lengths.items():
        for _ in range(rnd.randint(0, 25)):
            start = rnd.randrange(length - 1)
            spans.append(Span(note, rnd.choice("xyz"), start, rnd.randint(start + 1, length),
                              rnd.choice(["ann", "bo"])))
        spans += spans[-2:]  # the same coding twice
    parts = segments(spans, lengths, include_uncoded=include_uncoded)
    covered = 0
    for seg in parts:
        expected: dict[str, frozenset[str]] = {}
        for coder in ("ann", "bo"):
            codes = frozenset(s.code_id for s in spans if s.note_id == seg.note_id
                              and s.coder == coder and s.start <= seg.start
                              and seg.end <= s.end)
            if codes:
                expected[coder] = codes
        assert seg.codes == expected, seg
        covered += bool(expected)
    assert covered
    # Consecutive segments of a note meet: no text is skipped or counted twice.
    for a, b in pairwise(parts):
        if a.note_id == b.note_id and include_uncoded:
            assert a.end == b.start
