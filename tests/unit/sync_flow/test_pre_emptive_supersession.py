"""A member's device names, in the ``pred`` of an operation on its own record, operations that
another researcher has not written yet -- on the other researcher's own note.

``pred`` says which values an edit saw and replaced. An honest device only names operations
it holds, on the record it edits. A hostile or faulty one can name anything: here, the next
sequence numbers of alice's device. Before supersession was bound to the record, a replica
that received that bundle first took alice's later edits of her note as already replaced:
it stored them with their text hollowed out, and alice's words were gone there -- on the
coordinator, who then relays the loss -- while alice's laptop still showed them. A device
that may not write alice's note (it is hers) could thus erase what she writes into it.

Each bundle is crafted as a stolen or faulty laptop would make it: validly signed with the
device's real key, encrypted to the coordinators, through the real collect. The outcome must
not depend on which bundle a replica received first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.services import records, sync
from fieldapp.store.check import check, table_rows
from fieldapp.store.workspace import Workspace
from tests.unit.sync_flow.test_hostile_bundles import Lab, line, own_ops


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield Lab(tmp_path, stack)


def _naming_the_future(lab: Lab, mallory: Workspace, victim: Workspace, field: str,
                       entity: str, values: dict[str, object], *, ahead: int = 12) -> Path:
    """Mallory's genuine operations and one more, on a record of mallory's own, whose ``pred``
    names the victim's next ``ahead`` operations in ``field``; signed with mallory's key."""
    ops = own_ops(mallory)
    mine = next(op for op in reversed(ops) if op["entity"] == entity)
    seq = mallory.last_seq + 1
    forged = {"device": mallory.device_id, "seq": seq, "hlc": mallory.clock.tick().encode(),
              "entity": entity, "entity_id": mine["entity_id"], "values": values,
              "pred": [[mine["device"], mine["seq"]]]
              + [[victim.device_id, victim.last_seq + k] for k in range(1, ahead + 1)]}
    assert field in values
    return lab.craft(mallory, [line(op) for op in ops] + [line(forged)], seq=(1, seq))


def _values_logged(ws: Workspace, entity_id: str, field: str) -> list[object]:
    return [json.loads(v).get(field) for (v,) in ws.db.execute(
        'SELECT "values" FROM ops WHERE entity_id = ? ORDER BY hlc', (entity_id,))]


@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "one-by-one"])
def test_an_edit_named_before_it_was_written_keeps_its_text_on_the_coordinator(
        lab: Lab, set_wise: bool) -> None:
    alice, mallory = lab.enrol("alice"), lab.enrol("mallory")
    lab.coordinator.applier.set_wise = set_wise
    iid = records.add_interview(alice, code="KM-HIV-I070")
    note = records.add_note(alice, iid, body="初稿：街道办说经费按季度拨付")
    sync.send(alice)
    m_iid = records.add_interview(mallory, code="GZ-MIG-I071")
    records.add_note(mallory, m_iid, body="我的笔记")
    forged = _naming_the_future(lab, mallory, alice, "body", "note", {"body": "覆盖"})
    got = {b.name.rsplit("/", 1)[-1]: b for b in sync.collect(lab.coordinator).bundles}
    assert got[forged.name].status == "merged"
    # Alice now writes the very operations mallory named, into her own note.
    records.save_note_body(alice, note, "修订：经费拨付延迟三个月，社工流失严重")
    records.update(alice, "interview", iid, {"code": "KM-HIV-I070b"})
    sync.send(alice)
    sync.collect(lab.coordinator)
    (held,) = records.notes_of(lab.coordinator, iid)
    assert held["body"] == "修订：经费拨付延迟三个月，社工流失严重"
    assert "修订：经费拨付延迟三个月，社工流失严重" in _values_logged(lab.coordinator, note, "body")
    assert all(c.entity_id != note for c in lab.coordinator.conflicts())
    assert table_rows(lab.coordinator.db, "note")[note] == table_rows(alice.db, "note")[note]
    assert check(lab.coordinator).ok


@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "one-by-one"])
def test_the_order_of_arrival_does_not_decide_a_record_other_operations_named(
        lab: Lab, set_wise: bool) -> None:
    """A shared record (an organisation anyone may edit): mallory's operation on another
    organisation names alice's next edit of hers. Two coordinators receive the bundles in
    opposite orders and must hold the same tables, heads and log."""
    second = lab.second_coordinator()
    alice, mallory = lab.enrol("alice"), lab.enrol("mallory")
    for ws in (lab.coordinator, second):
        ws.applier.set_wise = set_wise
    org = records.add_organisation(alice, name_zh="红丝带中心")
    sync.send(alice)
    records.add_organisation(mallory, name_zh="另一机构")
    forged = _naming_the_future(lab, mallory, alice, "name_zh", "organisation",
                                {"name_zh": "被改"})
    first_mallory = lab.coordinator
    got = {b.name.rsplit("/", 1)[-1]: b for b in sync.collect(first_mallory).bundles}
    assert got[forged.name].status == "merged"  # with alice's create
    records.update(alice, "organisation", org, {"name_zh": "红丝带健康服务中心"})
    sync.send(alice)
    # The second coordinator gets alice's edit first: mallory's bundle is moved away meanwhile.
    parked = forged.with_name(forged.name + ".parked")
    forged.rename(parked)
    sync.collect(second)
    parked.rename(forged)
    got = {b.name.rsplit("/", 1)[-1]: b for b in sync.collect(second).bundles}
    assert got[forged.name].status == "merged"
    sync.collect(first_mallory)
    for ws in (first_mallory, second):
        assert records.get(ws, "organisation", org)["name_zh"] == "红丝带健康服务中心"
        assert check(ws).ok
    assert table_rows(first_mallory.db, "organisation") == table_rows(second.db, "organisation")
    heads = "SELECT entity_id, field, device, seq FROM heads ORDER BY 1, 2, 3, 4"
    assert first_mallory.db.execute(heads).fetchall() == second.db.execute(heads).fetchall()
    log = 'SELECT device, seq, "values" FROM ops ORDER BY device, seq'
    assert first_mallory.db.execute(log).fetchall() == second.db.execute(log).fetchall()
