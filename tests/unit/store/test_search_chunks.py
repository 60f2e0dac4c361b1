"""Where the search index cuts a note into chunks: the fast path against the rule as written.

A chunk ends after a run of sentence marks that follows a character whose code is a multiple
of 32, or after the run that takes it past 4,000 characters. ``_chunks`` finds the first kind
with one regular expression and the second with a search from the limit; ``_chunks_reference``
applies the rule one sentence at a time. A difference would change which index rows a note
has, and a removal in secure-delete mode would then miss tokens (the fingerprint of the
tokenizer is computed from one probe text only, so it cannot stand guard alone)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.store.search import _CHUNK_MAX, _chunks, _chunks_reference, fold

MARKS = "。！？!?；;.\n"
#: characters whose code is a multiple of 32 (cut after), in and beyond the Multilingual Plane,
#: beside neighbours that are not
CUTTERS = [chr(0x6200 + 0x20 * k) for k in range(3)] + ["\U00020000", "\U0002a6c0", "@", "`"]
OTHERS = ["\U00020001", "\U0002a6c1", "a", "你", "好", " ", "\u3001", "\u0301"]


def text_from(parts: list[tuple[str, int]]) -> str:
    return "".join(piece * times for piece, times in parts)


pieces = st.one_of(st.sampled_from(list(MARKS)), st.sampled_from(CUTTERS),
                   st.sampled_from(OTHERS))
texts = st.lists(st.tuples(pieces, st.sampled_from([1, 1, 1, 2, 7, 900, 4100])),
                 max_size=60).map(text_from)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_the_fast_cut_is_the_rule(text: str) -> None:
    assert _chunks(text) == _chunks_reference(text)


@given(st.text(max_size=300))
def test_any_text_is_cut_as_the_rule_says(text: str) -> None:
    folded = fold(text)
    assert _chunks(folded) == _chunks_reference(folded)


def test_the_limit_cuts_at_the_first_run_that_reaches_it() -> None:
    # No cutting character anywhere: only the 4,000-character limit ends chunks, each at the
    # first run of marks that reaches it, even a run that starts before the limit.
    sentence = "a" * 998 + "!!"  # 1,000 characters; "a" is 97, not a multiple of 32
    text = sentence * 9
    chunks = _chunks(text)
    assert chunks == _chunks_reference(text)
    assert [len(c) for c in chunks] == [4000, 4000, 1000]
    assert all(c.endswith("!!") for c in chunks)
    # A run of marks straddling the limit ends its chunk where the run ends.
    straddle = "a" * (_CHUNK_MAX - 2) + "....." + "b" * 10
    assert _chunks(straddle) == _chunks_reference(straddle) == [
        "a" * (_CHUNK_MAX - 2) + ".....", "b" * 10]


def test_a_character_beyond_the_multilingual_plane_cuts_only_when_its_code_does() -> None:
    # 𠀀 (U+20000) is a multiple of 32, 𠀁 (U+20001) is not.
    assert _chunks("甲𠀀。乙𠀁。丙") == ["甲𠀀。", "乙𠀁。丙"]
    assert _chunks("甲𠀁。乙") == ["甲𠀁。乙"]
