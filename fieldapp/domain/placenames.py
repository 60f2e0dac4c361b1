"""Leading place names in Chinese organisation names: 云南省昆明市红丝带协会 → 云南, 昆明.

An organisation's name often starts with the places it belongs to, each followed by its
administrative unit (省, 市, 自治州 …), and the same organisation is written with or without them.
Only a unit that follows two to seven characters at the start, or right after another such place,
counts, so 城市 or 市场 inside a name are left alone.
"""

from __future__ import annotations

import re

UNITS = ("特别行政区", "自治区", "自治州", "自治县", "地区", "省", "市", "县", "区", "州", "盟", "旗")
_PLACE = re.compile(rf"([\u4e00-\u9fff]{{2,7}}?)(?:{'|'.join(UNITS)})")


def split_places(text: str) -> tuple[list[str], str]:
    """The leading places marked by a unit (without the unit), and the rest of the text."""
    places = []
    while match := _PLACE.match(text):
        places.append(match.group(1))
        text = text[match.end():]
    return places, text


def without_units(text: str) -> str:
    """The text with the units after its leading places dropped: 昆明市红丝带 → 昆明红丝带."""
    places, rest = split_places(text)
    return "".join(places) + rest
