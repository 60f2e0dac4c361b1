"""Sorting names as a Chinese reader expects: by pinyin, with a reading typed where it is ambiguous.

Qt's locale-aware comparison follows the interface language, so under English a list of Chinese
names falls into code-point order, and ICU's Chinese collation reads 曾, 单, 解, 仇 and 区 as the
common words (céng, dān, jiě …) rather than as the surnames they are (Zēng, Shàn, Xiè, Qiú, Ōu).
fieldapp sorts every list of names by a key built here, whatever the interface language:

1. the record's own reading when someone typed one (an organisation's "sort as" field), else
2. the name in pinyin from ``pypinyin``, which reads words in context (重庆 chóngqìng, 银行
   yínháng) — Latin names stay as they are, so "AIDS Care China" sorts among "ài…" names;
3. then tones, then the name itself, so the order is total and stable.
"""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

_TONE = re.compile(r"[1-5]")


def sort_key(name: str, reading: str = "") -> str:
    """A key that orders ``name`` by pinyin; ``reading`` (pinyin typed by a person) wins."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    said = unicodedata.normalize("NFKC", reading or "").strip() or text
    syllables = lazy_pinyin(said, style=Style.TONE3, neutral_tone_with_five=True)
    plain = " ".join(_TONE.sub("", s) for s in syllables).casefold()
    tones = " ".join(syllables).casefold()
    return f"{plain}\x1f{tones}\x1f{text.casefold()}"


_T2S: list[object] = []


def to_simplified(text: str) -> str:
    """``text`` with Traditional characters read as Simplified (OpenCC's ``t2s``), so what a
    person types in either script finds the same names."""
    if not _T2S:
        import opencc

        _T2S.append(opencc.OpenCC("t2s"))
    converter = _T2S[0]
    return str(converter.convert(text))  # type: ignore[attr-defined]
