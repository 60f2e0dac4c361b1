"""When are two organisation names probably the same organisation?

A registry built by several researchers collects the same NGO under different spellings:
昆明市红丝带协会 and 昆明红丝带协会, 雲南紅絲帶協會, ＫＭ Red Ribbon, "Kunming City Red Ribbon
Association". The organisation dialog warns about a likely duplicate as the name is typed; this
module decides what "likely" means. It only ever warns — two records are never merged by it.

The normalisations chosen, in order (each one a way the same name is really written):

1. Unicode NFKC and case folding: full-width letters and digits (ＨＩＶ), compatibility forms.
2. Traditional → Simplified (OpenCC, the same folding the search index uses): 紅絲帶 → 红丝带.
3. Punctuation, brackets and spaces dropped: 昆明·红丝带, "Red-Ribbon".
4. Administrative units after a leading place name dropped, keeping the place: 云南省昆明市 →
   云南昆明, 西双版纳傣族自治州 → 西双版纳傣族; in English the words city, province, county,
   district, prefecture. Only a unit that follows two to seven characters at the start (or after
   another unit) counts, so 城市 or 市场 inside a name are left alone.
5. Legal-form and generic suffixes dropped, repeatedly: 协会, 中心, 服务中心, 有限公司, 基金会,
   Association, Centre, Ltd …
6. A name whose leading places were marked by units also matches without the outer ones, down to
   the innermost place: 云南省昆明市红丝带协会 matches 昆明红丝带协会, but never plain 红丝带协会,
   which would match every city's Red Ribbon. Two names match when any of their keys are equal.

Not chosen: pinyin or edit-distance similarity, which would warn about different organisations
with similar names (两个"阳光"中心 in different cities) far more often than it would help.
"""

from __future__ import annotations

import re

from fieldapp.domain.placenames import split_places
from fieldapp.store.search import fold

_ZH_SUFFIXES = ("有限责任公司", "有限公司", "服务中心", "发展中心", "促进会", "协会", "中心", "学会",
                "基金会", "研究会", "工作站", "联合会", "公司", "小组", "之家", "服务社", "社")
_EN_SUFFIXES = ("association", "centre", "center", "foundation", "coltd", "ltd", "limited",
                "group", "society")
_EN_ADMIN_WORDS = re.compile(r"\b(?:the|city|province|county|district|prefecture|municipality)\b")
def organisation_keys(name: str) -> set[str]:
    """Every key the name may be known by: with all its leading places, then without the outer
    ones (云南昆明红丝带, 昆明红丝带), never without the innermost."""
    spaced = _EN_ADMIN_WORDS.sub(" ", fold(name))
    text = re.sub(r"[\W_]+", "", spaced)
    places, rest = split_places(text)
    if not places:
        return {_strip_suffixes(text)} - {""}
    rest = _strip_suffixes(rest)
    return {"".join(places[i:]) + rest for i in range(len(places))}


def _strip_suffixes(text: str) -> str:
    changed = True
    while changed and text:
        changed = False
        for suffix in _ZH_SUFFIXES + _EN_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].strip()
                changed = True
    return text


def same_organisation(a: str, b: str) -> bool:
    return bool(organisation_keys(a) & organisation_keys(b))
