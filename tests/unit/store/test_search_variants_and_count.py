"""Search reads variant spellings as the standard word (爱滋 and 愛滋 find 艾滋), counts every
note that matches (not only the first page), and keeps only the notes a filter allows."""

from __future__ import annotations

from datetime import date

from fieldapp.services import records
from fieldapp.services.search import SearchFilters, search, search_page
from fieldapp.store.search import count_matches, fold
from fieldapp.store.workspace import Workspace


def test_variant_spellings_fold_to_the_standard_word() -> None:
    assert fold("爱滋病") == "艾滋病"
    assert fold("愛滋病") == "艾滋病"
    assert fold("身分证") == "身份证"
    assert len(fold("他说爱滋病防治")) == len("他说爱滋病防治")  # positions stay positions


def test_each_spelling_finds_the_others(ws: Workspace) -> None:
    iid = records.add_interview(ws, code="I-1")
    standard = records.add_note(ws, iid, kind="field_notes", body="艾滋病防治项目由街道购买。")
    variant = records.add_note(ws, iid, kind="summary", body="社工说爱滋病的污名仍然很重。")
    traditional = records.add_note(ws, iid, kind="memo", body="機構名稱：愛滋關懷協會。")
    for query in ("艾滋", "爱滋", "愛滋"):
        found = {r.note_id for r in search(ws, query)}
        assert found == {standard, variant, traditional}, query


def test_the_count_covers_every_match_and_the_filters(ws: Workspace) -> None:
    km = records.add_interview(ws, code="KM-1", site="KM", date="2026-03-01")
    gz = records.add_interview(ws, code="GZ-1", site="GZ", date="2026-05-01")
    records.add_notes(ws, km, [f"第{i}次访谈：经费拨付延迟。" for i in range(70)])
    gz_notes = records.add_notes(ws, gz, [f"广州第{i}条：经费充足。" for i in range(12)])
    records.add_notes(ws, gz, ["与经费无关的笔记"[:2] + "无关"])  # no match
    assert count_matches(ws.db, "经费") == (82, True)
    assert count_matches(ws.db, "经费", cap=30) == (30, False)
    page = search_page(ws, "经费", limit=50)
    assert len(page.results) == 50 and page.total == 82 and page.exact
    assert search_page(ws, "经费", limit=100).total == 82
    by_site = search_page(ws, "经费", filters=SearchFilters(site="GZ"))
    assert {r.interview_id for r in by_site.results} == {gz} and by_site.total == 12
    by_date = search_page(ws, "经费", filters=SearchFilters(date_from=date(2026, 4, 1)))
    assert by_date.total == 12
    until = search_page(ws, "经费", filters=SearchFilters(date_to=date(2026, 3, 31)))
    assert until.total == 70 and {r.interview_id for r in until.results} == {km}
    parent = records.add_code(ws, name_zh="资金", name_en="Funding")
    child = records.add_code(ws, name_zh="拨付延迟", name_en="Late payment", parent_id=parent)
    records.apply_code(ws, gz_notes[0], child, 0, 4)
    coded = search_page(ws, "经费", filters=SearchFilters(code_id=parent))
    assert [r.note_id for r in coded.results] == [gz_notes[0]] and coded.total == 1
    assert not search_page(ws, "经费", filters=SearchFilters(code_id=parent, site="KM")).results


def test_a_note_of_one_sentence_repeated_is_indexed_at_once(ws: Workspace) -> None:
    """60,000 copies of one sentence once made 60,000 chunks with the same hash, each probing
    past all the others (minutes); repeats now share one index row."""
    from fieldapp.store.search import _chunks, entries

    body = "很长的笔记交给你。" * 60_000
    # Each sentence ends a chunk (你: its code is a multiple of the cut).
    assert len(_chunks(fold(body))) == 60_000
    assert len(entries(1, body)) == 1
    iid = records.add_interview(ws, code="I-9")
    nid = records.add_note(ws, iid, body=body)
    assert [r.note_id for r in search(ws, "笔记")] == [nid]
    records.save_note_body(ws, nid, "只剩一句。")
    assert search(ws, "笔记") == [] and [r.note_id for r in search(ws, "一句")] == [nid]
