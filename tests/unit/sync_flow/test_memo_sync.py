"""Memos travel through real bundles (a shared folder, signed and encrypted) like notes: a
researcher's memos reach the coordinator, edits and deletes follow, the coordinator reads but
cannot change them, and a withdrawal the coordinator publishes erases an interview's memos on
the researcher's laptop."""

from __future__ import annotations

import pytest

from fieldapp.services import memos, records, sync
from fieldapp.store.check import check
from fieldapp.store.errors import NotOwner
from tests.unit.sync_flow.test_team_sync import Team, t  # noqa: F401 - the fixture


def test_memos_sync_edit_delete_and_ownership(t: Team) -> None:  # noqa: F811
    alice = t.enrol("alice")
    code = records.add_code(t.coordinator, name_zh="信任", name_en="Trust")
    sync.publish(t.coordinator)
    sync.receive(alice)
    pid = records.add_participant(alice, code="KM-HIV-001")
    iid = records.add_interview(alice, code="KM-HIV-I001", participant_ids=[pid])
    on_iv = memos.add_memo(alice, about="interview", interview_id=iid, title="反思",
                           body="合同续签的焦虑")
    on_code = memos.add_memo(alice, about="code", code_id=code, body="信任来自长期合作")
    project = memos.add_memo(alice, title="方法", body="滚雪球抽样")
    sync.send(alice)
    sync.collect(t.coordinator)

    seen = {m["id"]: m for m in memos.list_memos(t.coordinator)}
    assert set(seen) == {on_iv, on_code, project}
    assert seen[on_iv]["author"] == "alice" and not seen[on_iv]["mine"]
    assert [m["id"] for m in memos.list_memos(t.coordinator, text="長期合作")] == [on_code]
    with pytest.raises(NotOwner):
        memos.save_memo(t.coordinator, on_iv, body="协调人改的")

    memos.save_memo(alice, on_iv, body="合同续签的焦虑，以及评估压力")
    memos.delete_memo(alice, project)
    sync.send(alice)
    sync.collect(t.coordinator)
    assert memos.get_memo(t.coordinator, on_iv)["body"] == "合同续签的焦虑，以及评估压力"
    assert {m["id"] for m in memos.list_memos(t.coordinator)} == {on_iv, on_code}
    assert check(t.coordinator).ok and check(alice).ok


def test_a_withdrawal_erases_the_interview_memos_on_every_device(t: Team) -> None:  # noqa: F811
    alice = t.enrol("alice")
    pid = records.add_participant(alice, code="NN-HIV-002")
    iid = records.add_interview(alice, code="NN-HIV-I002", participant_ids=[pid])
    gone = memos.add_memo(alice, about="interview", interview_id=iid, body="不应再出现的备忘")
    kept = memos.add_memo(alice, title="项目备忘", body="留下")
    sync.send(alice)
    sync.collect(t.coordinator)
    assert memos.get_memo(t.coordinator, gone)
    records.withdraw_consent(t.coordinator, pid, reason="participant_request")
    assert [m["id"] for m in memos.list_memos(t.coordinator)] == [kept]
    sync.publish(t.coordinator)
    # Alice, not yet reached by the order, edits the memo; her bundle must not revive it.
    memos.save_memo(alice, gone, body="不应再出现的备忘，补充")
    sync.send(alice)
    sync.collect(t.coordinator)
    assert records.find(t.coordinator, "memo", gone) is None
    sync.receive(alice)
    assert [m["id"] for m in memos.list_memos(alice)] == [kept]
    assert records.find(alice, "memo", gone) is None
    assert memos.list_memos(alice, text="不应再出现") == []
