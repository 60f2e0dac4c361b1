"""Long texts are folded for the index in pieces (so a save on the worker lets the UI thread
run between them); the pieces must fold exactly as the whole text does, or a search would
miss what the index should hold."""

from __future__ import annotations

import random

from fieldapp.store import search

WORDS = ["愛滋病", "登記註冊", "ＨＩＶ", "Ünïcödé", "e\u0301", "consent ", "𠮷野家", "。", "！",
         "\n", "社會組織", "政府購買服務", "ﬁle", "Straße", "；", "? "]


def _text(rng: random.Random, n: int, punctuation: bool) -> str:
    words = WORDS if punctuation else [w for w in WORDS if w not in ("。", "！", "\n", "；", "? ")]
    out = ""
    while len(out) < n:
        out += rng.choice(words)
    return out


def test_pieces_fold_like_the_whole_text() -> None:
    rng = random.Random(5)
    for n in (search.FOLD_PIECE - 1, search.FOLD_PIECE * 3 + 17, 100_000):
        text = _text(rng, n, punctuation=True)
        pieces = search._pieces(text)
        assert "".join(pieces) == text
        assert len(pieces) >= n // search.FOLD_PIECE
        assert search.fold(text) == search._fold_piece(text)


def test_a_forced_cut_never_splits_a_character_from_its_accent() -> None:
    text = ("e\u0301" * (search.FOLD_PIECE * 2))
    pieces = search._pieces(text)
    assert len(pieces) > 1 and "".join(pieces) == text
    assert all(not p.startswith("\u0301") for p in pieces)
    assert search.fold(text) == search._fold_piece(text)
