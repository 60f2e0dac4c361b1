"""Likely-duplicate organisations: the spellings one NGO really gets, and names that differ."""

from __future__ import annotations

import pytest

from fieldapp.services import records
from fieldapp.services.organisation_names import organisation_keys, same_organisation


@pytest.mark.parametrize(("a", "b"), [
    ("昆明市红丝带协会", "昆明红丝带协会"),            # administrative prefix
    ("云南省昆明市红丝带协会", "昆明红丝带协会"),       # province and city
    ("雲南省昆明市紅絲帶協會", "昆明红丝带协会"),       # Traditional
    ("昆明红丝带协会", "昆明 · 红丝带（协会）"),        # punctuation and brackets
    ("深圳市龙岗区阳光社工服务中心", "深圳龙岗阳光社工"),  # two units, generic suffix
    ("西双版纳傣族自治州妇女儿童发展中心", "西双版纳傣族妇女儿童中心"),
    ("Kunming City Red Ribbon Association", "kunming red-ribbon"),
    ("ＫＵＮＭＩＮＧ ＲＥＤ ＲＩＢＢＯＮ", "Kunming Red Ribbon Centre"),  # full-width
])
def test_spellings_of_one_organisation_match(a: str, b: str) -> None:
    assert same_organisation(a, b), (organisation_keys(a), organisation_keys(b))


@pytest.mark.parametrize(("a", "b"), [
    ("昆明红丝带协会", "大理红丝带协会"),               # same name, other city
    ("广州阳光中心", "成都阳光中心"),
    ("城市流动人口服务中心", "流动人口服务中心"),       # 城市 is a word here, not a unit
    ("红丝带协会", "云南省红丝带协会"),                 # never without the innermost place
    ("昆明市红丝带协会", "大理市红丝带协会"),
    ("市场监督管理局", "监督管理局"),                   # 市 of 市场 is not a unit
    ("Kunming Red Ribbon", "Dali Red Ribbon"),
])
def test_different_organisations_do_not(a: str, b: str) -> None:
    assert not same_organisation(a, b), (organisation_keys(a), organisation_keys(b))


def test_the_registry_warns_about_the_prefixed_spelling(ws) -> None:
    kept = records.add_organisation(ws, name_zh="昆明红丝带协会", name_en="Kunming Red Ribbon")
    records.add_organisation(ws, name_zh="大理红丝带协会")
    found = records.likely_duplicates(ws, name_zh="昆明市红丝带协会")
    assert [org["id"] for org in found] == [kept]
    assert records.likely_duplicates(ws, name_zh="广州同心协会") == []
