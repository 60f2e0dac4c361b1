"""Cell rules: splitting long text, formula guards, widths, masking."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fieldapp.export.cells import (
    CELL_LIMIT,
    FORMULA_STARTS,
    MASK,
    Redactor,
    clean,
    csv_safe,
    display_width,
    split_text,
    utf16_length,
)


def test_short_text_is_one_part() -> None:
    assert split_text("合同") == ["合同"]
    assert split_text("x" * CELL_LIMIT) == ["x" * CELL_LIMIT]


def test_long_text_splits_without_loss_and_counts_utf16_units() -> None:
    text = "𠮷" * 20_000  # 40,000 UTF-16 units: two parts
    parts = split_text(text)
    assert len(parts) == 2
    assert "".join(parts) == text
    assert all(utf16_length(p) <= CELL_LIMIT for p in parts)


def test_a_part_does_not_start_with_a_formula_character() -> None:
    text = "a" * (CELL_LIMIT - 2) + "==+-@bcd" + "e" * 100
    parts = split_text(text)
    assert "".join(parts) == text
    assert all(p[:1] not in FORMULA_STARTS for p in parts[1:])


@given(st.text(alphabet=st.sampled_from("a=😀𠮷合\n-"), min_size=0, max_size=300),
       st.integers(min_value=4, max_value=40))
def test_split_round_trips(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert "".join(parts) == text
    assert all(utf16_length(p) <= limit for p in parts)


def test_csv_guard_follows_owasp() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_safe(start + "1") == "'" + start + "1"
    assert csv_safe("合同=1") == "合同=1"


def test_illegal_characters_are_replaced_and_counted() -> None:
    assert clean("a\x00b\x1fc\td") == ("a\ufffdb\ufffdc\td", 2)
    assert clean("正常") == ("正常", 0)


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("abc") == 3
    assert display_width("合同abc") == 7
    assert display_width("ＡＢ") == 4


def test_redactor_masks_character_for_character() -> None:
    redact = Redactor(["张秀英", "13812345678", "", "x"])
    text = "张秀英 rang from 13812345678; x stays"
    masked = redact(text)
    assert masked == f"{MASK * 3} rang from {MASK * 11}; x stays"
    assert len(masked) == len(text) and redact.count == 2
    assert not Redactor([], patterns=False)
    assert Redactor([])  # mobile and ID-card numbers are masked even when none are known
