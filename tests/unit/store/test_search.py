"""Search: two-character Chinese words, names, Traditional and full-width spellings, English
words and prefixes; each case with expected hits and non-hits."""

from __future__ import annotations

import pytest

from fieldapp.services import records
from fieldapp.services.search import search
from fieldapp.store.search import fold, parse_query, tokens
from fieldapp.store.workspace import Workspace

NOTES = {
    "hiv": "今天访问了艾滋病防治中心，主任张伟介绍了HIV检测服务。",
    "registration": "机构在民政局登记注册花了两年。The NGO finally registered in 2019.",
    "login": "社工登陆系统后记录了服务次数。",  # 登 and 记 both present, but not 登记
    "mugwort": "端午节挂艾草，滋味很好。",  # 艾 and 滋 both present, never 艾滋
    "contract": "Government contracting of services; the contract is renewed yearly.",
    "name": "与欧阳娜娜女士的第二次访谈，谈到 consent 的问题。",
    "traditional": "愛滋病感染者的同伴支持小組",  # stored in Traditional
    "fullwidth": "ＮＧＯ与政府的关系",
}


@pytest.fixture
def notes(ws: Workspace) -> dict[str, str]:
    iid = records.add_interview(ws, code="KM-HIV-I001")
    return {key: records.add_note(ws, iid, body=body) for key, body in NOTES.items()}


@pytest.mark.parametrize(("query", "hits"), [
    ("艾滋", {"hiv", "traditional"}),
    ("艾滋病", {"hiv", "traditional"}),
    ("登记", {"registration"}),
    ("张伟", {"hiv"}),
    ("欧阳娜娜", {"name"}),
    ("愛滋病", {"hiv", "traditional"}),        # Traditional query finds Simplified text
    ("同伴支持小组", {"traditional"}),          # Simplified query finds Traditional text
    ("ＨＩＶ", {"hiv"}),                        # full-width query
    ("hiv", {"hiv"}),
    ("ngo", {"registration", "fullwidth"}),   # full-width text, ASCII query
    ("contract", {"contract"}),
    ("contr", {"contract"}),                  # prefix
    ("registered", {"registration"}),
    ("艾滋 HIV", {"hiv"}),                      # every term must match
    ("consent 访谈", {"name"}),
    ("草", {"mugwort"}),                        # one character: scan
    ("tract", set()),                         # not a prefix of a word
    ("滋艾", set()),
    ("记登", set()),
    ("", set()),
    ("!!!", set()),
])
def test_search_cases(ws: Workspace, notes: dict[str, str], query: str, hits: set[str]) -> None:
    found = {h.note_id for h in search(ws, query)}
    assert found == {notes[k] for k in hits}


def test_results_carry_interview_and_highlight_span(ws: Workspace, notes: dict[str, str]) -> None:
    (hit,) = search(ws, "登记")
    assert hit.interview_code == "KM-HIV-I001"
    body = NOTES["registration"]
    assert body[hit.start:hit.end] == "登记"
    assert "登记" in hit.snippet


def test_edits_and_deletes_update_the_index(ws: Workspace, notes: dict[str, str]) -> None:
    records.save_note_body(ws, notes["hiv"], "改写后的笔记：流动人口子女入学")
    assert {h.note_id for h in search(ws, "艾滋")} == {notes["traditional"]}
    assert {h.note_id for h in search(ws, "流动人口")} == {notes["hiv"]}
    records.delete(ws, "note", notes["traditional"])
    assert search(ws, "艾滋") == []


def test_rare_and_astral_characters(ws: Workspace) -> None:
    iid = records.add_interview(ws, code="X")
    nid = records.add_note(ws, iid, body="𠮷野家的老板说😀很好")
    assert [h.note_id for h in search(ws, "𠮷野")] == [nid]
    assert [h.note_id for h in search(ws, "老板")] == [nid]


def test_folding_and_tokens() -> None:
    assert fold("ＨＩＶ") == "hiv"
    assert fold("愛滋病") == "艾滋病"
    assert tokens("艾滋病 HIV") == ["艾", "艾滋", "滋病", "病", "hiv"]
    assert tokens("我") == ["我", "我"]
    q = parse_query("艾滋病 cont")
    assert q.match == '"艾滋 滋病" AND "cont" *'
    assert parse_query("社").match is None and parse_query("社").scan_terms == ("社",)
