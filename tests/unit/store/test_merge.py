"""Merging other devices' operations: convergence (tables and conflict lists), ownership,
tombstones, erasure that wins over past and future, clamped clocks, dry runs."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain.hlc import HLC, wall_ms
from fieldapp.domain.ids import new_id
from fieldapp.domain.ops import Op
from fieldapp.domain.schema import ENTITIES
from fieldapp.services import records
from fieldapp.store.check import check, table_rows
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.unit.store.test_set_merge import maker

COMPARED = [name for name in ENTITIES if name != "receipt"]


@pytest.fixture
def team(tmp_path: Path) -> Iterator[list[Workspace]]:
    with ExitStack() as stack:
        devices = []
        for name in ("a", "b", "c"):
            ws, _ = Workspace.initialise(tmp_path / name, PASSPHRASE, researcher=name)
            stack.callback(ws.close)
            devices.append(ws)
        yield devices


def send(src: Workspace, dst: Workspace) -> None:
    dst.apply_remote(src.ops())


def snapshot(ws: Workspace) -> dict[str, dict[str, tuple[object, ...]]]:
    return {name: table_rows(ws.db, name) for name in COMPARED}


def test_concurrent_edits_are_kept_as_a_conflict_on_every_replica(team: list[Workspace]) -> None:
    a, b, _c = team
    org = records.add_organisation(a, name_zh="红丝带关爱中心", name_en="Red Ribbon Centre")
    send(a, b)
    records.update(a, "organisation", org, {"name_en": "Red Ribbon Care Centre"})
    records.update(b, "organisation", org, {"name_en": "Red-Ribbon Center"})
    send(a, b)
    send(b, a)
    assert snapshot(a) == snapshot(b)
    (conflict,) = a.conflicts()
    assert conflict == b.conflicts()[0]
    assert conflict.kind == "field" and conflict.field == "name_en"
    assert {v.value for v in conflict.versions} == {"Red Ribbon Care Centre", "Red-Ribbon Center"}
    assert {v.device for v in conflict.versions} == {a.device_id, b.device_id}
    shown = records.get(a, "organisation", org)["name_en"]
    assert shown == conflict.versions[0].value  # the latest clock is shown meanwhile
    # The coordinator writes a new value; the resolution travels like any edit.
    a.resolve("organisation", org, "name_en", "Red Ribbon Care Centre (Kunming)")
    send(a, b)
    assert a.conflicts() == [] and b.conflicts() == []
    assert records.get(b, "organisation", org)["name_en"] == "Red Ribbon Care Centre (Kunming)"


def test_edit_concurrent_with_delete_is_a_conflict_not_a_resurrection(
        team: list[Workspace]) -> None:
    a, b, _c = team
    pid = records.add_participant(a, code="KM-HIV-001", role="社工")
    send(a, b)
    records.delete(a, "participant", pid)
    records.update(b, "participant", pid, {"role": "项目主任"})
    send(a, b)
    send(b, a)
    for ws in (a, b):
        assert records.find(ws, "participant", pid) is None  # still deleted
        (conflict,) = ws.conflicts()
        assert conflict.kind == "delete" and conflict.field == "role"
        assert conflict.versions[0].value == "项目主任"
    # Restoring keeps the edit; the conflict is gone everywhere.
    b.resolve_delete("participant", pid, keep_deleted=False)
    send(b, a)
    for ws in (a, b):
        assert ws.conflicts() == []
        assert records.get(ws, "participant", pid)["role"] == "项目主任"


def test_an_operation_that_deletes_and_writes_is_no_conflict_with_itself(
        team: list[Workspace]) -> None:
    """An operation that writes fields and deletes the record at once (another version's, or a
    hand-built one) saw what it wrote: its own fields are no edit the delete missed. An edit
    made elsewhere that it did not name still is."""
    a, b, c = team
    org = new_id()
    a._seq += 1
    both = Op(a.device_id, a._seq, a.clock.tick().encode(), "organisation", org,
              {"name_zh": "已撤销的机构", "site": "KM", "_deleted": True}, ())
    b.apply_remote([both])
    assert b.conflicts() == []
    assert records.find(b, "organisation", org) is None
    # The same on a record that existed: the delete-and-write names the create; an edit
    # made meanwhile on another device, which it did not see, is a delete conflict.
    made = records.add_organisation(c, name_zh="红丝带")
    (create,) = [op for op in c.ops() if op.entity_id == made]
    send(c, a)
    send(c, b)
    records.update(b, "organisation", made, {"name_en": "Red Ribbon"})
    a._seq += 1
    seen = Op(a.device_id, a._seq, a.clock.tick().encode(), "organisation", made,
              {"name_zh": "红丝带（已撤销）", "_deleted": True}, (create.id,))
    b.apply_remote([seen])
    (conflict,) = b.conflicts()
    assert (conflict.kind, conflict.entity_id, conflict.field) == ("delete", made, "name_en")


def test_other_devices_cannot_write_owned_records(team: list[Workspace]) -> None:
    a, b, _c = team
    iid = records.add_interview(a, code="CD-MIG-I001")
    nid = records.add_note(a, iid, body="original")
    send(a, b)
    forged = Op(b.device_id, 999, HLC(wall_ms() + 10).encode(), "note", nid,
                {"body": "overwritten by someone else"}, ())
    report = a.apply_remote([forged])
    assert report.rejected and "owner" in report.rejected[0][1]
    assert records.get(a, "note", nid)["body"] == "original"


def test_erasure_wins_over_past_and_future_operations(team: list[Workspace]) -> None:
    a, b, _c = team
    pid = records.add_participant(a, code="GZ-HIV-004")
    send(a, b)
    # b, not yet aware of the withdrawal, records an interview with a note about them.
    iid = records.add_interview(b, code="GZ-HIV-I010", participant_ids=[pid])
    records.add_note(b, iid, body="她提到确诊后的经历")
    records.withdraw_consent(a, pid, reason="participant_request")
    send(b, a)  # the late interview reaches the erasing device: dropped
    assert records.find(a, "interview", iid) is None
    report = b.apply_remote(a.ops())  # the erase order reaches b: erased there too
    assert report.erase_orders and records.find(b, "interview", iid) is None
    assert records.list_records(b, "note") == []
    receipts = records.list_records(b, "receipt")
    # The erasing device's own receipt came with the order; b adds its own.
    assert {(r["device"], r["participant_id"]) for r in receipts} == {(a.device_id, pid),
                                                                      (b.device_id, pid)}
    send(b, a)  # the receipt travels back
    assert any(r["device"] == b.device_id for r in records.list_records(a, "receipt"))
    assert snapshot(a) == snapshot(b)
    assert check(a).ok and check(b).ok


def test_clock_from_the_future_is_reported_and_not_followed(team: list[Workspace]) -> None:
    a, b, _c = team
    org = records.add_organisation(a, name_zh="新市民服务社")
    send(a, b)
    far = HLC(wall_ms() + 400 * 24 * 3600 * 1000).encode()
    future = Op(a.device_id, 500, far, "organisation", org, {"name_en": "From the future"},
                tuple(a.applier.heads(org, ["name_en"])))
    report = b.apply_remote([future])
    assert report.future_clocks == [future.id]
    assert b.clock.last.wall < wall_ms() + 2 * 24 * 3600 * 1000


def test_dry_run_changes_nothing(team: list[Workspace]) -> None:
    a, b, _c = team
    for i in range(5):
        records.add_organisation(a, name_zh=f"机构{i}")
    send(a, b)
    for org in records.list_records(a, "organisation"):
        records.delete(a, "organisation", org["id"])
    before = snapshot(b)
    report = b.apply_remote(a.ops(), dry_run=True)
    assert report.deleted_live == 5
    assert snapshot(b) == before
    assert b.live_record_count() == 5


def test_importing_twice_changes_nothing(team: list[Workspace]) -> None:
    a, b, _c = team
    records.add_participant(a, code="NN-DIS-001")
    send(a, b)
    once = snapshot(b)
    report = b.apply_remote(a.ops())
    assert report.applied == 0 and report.duplicate == len(a.ops())
    assert snapshot(b) == once


ACTIONS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(
    ["org_name", "org_en", "role", "del_org", "del_part", "note", "edit_note", "erase",
     "gossip"]), st.integers(0, 1000)), min_size=3, max_size=30)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ACTIONS, st.randoms(use_true_random=False))
def test_replicas_converge_whatever_the_order(actions: list[tuple[int, str, int]],
                                              rnd: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)

        devices = [make(f"d{i}") for i in range(3)]
        coordinators = [make("c1"), make("c2")]
        base = devices[0]
        orgs = [records.add_organisation(base, name_zh=f"机构{i}") for i in range(2)]
        parts = [records.add_participant(base, code=f"P{i}", organisation_id=orgs[i % 2])
                 for i in range(3)]
        for d in devices[1:]:
            send(base, d)
        interviews: dict[int, list[str]] = {0: [], 1: [], 2: []}
        notes: dict[int, list[str]] = {0: [], 1: [], 2: []}
        for who, action, n in actions:
            ws = devices[who]
            alive_orgs = [o for o in orgs if records.find(ws, "organisation", o)]
            alive_parts = [p for p in parts if records.find(ws, "participant", p)]
            if action in ("org_name", "org_en") and alive_orgs:
                field = "name_zh" if action == "org_name" else "name_en"
                records.update(ws, "organisation", alive_orgs[n % len(alive_orgs)],
                               {field: f"{field}-{who}-{n}"})
            elif action == "role" and alive_parts:
                records.update(ws, "participant", alive_parts[n % len(alive_parts)],
                               {"role": f"role-{who}-{n}"})
            elif action == "del_org" and alive_orgs:
                records.delete(ws, "organisation", alive_orgs[n % len(alive_orgs)])
            elif action == "del_part" and alive_parts:
                records.delete(ws, "participant", alive_parts[n % len(alive_parts)])
            elif action == "note":
                links = [alive_parts[n % len(alive_parts)]] if alive_parts else []
                iid = records.add_interview(ws, code=f"I{who}-{n}", participant_ids=links)
                interviews[who].append(iid)
                notes[who].append(records.add_note(ws, iid, body=f"笔记 {n}"))
            elif action == "edit_note":
                mine = [x for x in notes[who] if records.find(ws, "note", x)]
                if mine:
                    records.save_note_body(ws, mine[n % len(mine)], f"改 {n}")
            elif action == "erase" and alive_parts:
                records.withdraw_consent(ws, alive_parts[n % len(alive_parts)])
            elif action == "gossip":
                send(ws, devices[n % 3])
        # Every coordinator imports every device's operations in its own order, in chunks,
        # with duplicates.
        for coordinator in coordinators:
            batches = []
            for d in devices:
                ops = d.ops()
                rnd.shuffle(ops)
                cut = rnd.randint(0, len(ops))
                batches += [ops[:cut], ops[cut:], ops[: rnd.randint(0, len(ops))]]
            rnd.shuffle(batches)
            for batch in batches:
                coordinator.apply_remote(batch)
        first, second = coordinators
        assert snapshot(first) == snapshot(second)
        assert first.conflicts() == second.conflicts()
        # Devices that receive everything converge with the coordinators too.
        for d in devices:
            for other in devices:
                if other is not d:
                    send(other, d)
            assert snapshot(d) == snapshot(first)
            assert d.conflicts() == first.conflicts()
        assert check(first).ok
