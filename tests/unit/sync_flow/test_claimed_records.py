"""A member's device claims another researcher's note as its own, with real signed bundles.

Assignments name notes, and the whole team receives them, so any member can learn the id of
another researcher's note. A device (stolen, or running a modified version) sends a bundle
whose operation creates that note with itself as the owner and text of its own. A
coordinator who already holds the note refuses the operation. The case attacked here is a
second coordinator who has not yet collected the researcher's bundles: the claim arrives
there first. Before ids were bound to their maker, that coordinator took the claimant as the
note's owner and then refused every operation of the researcher's own on it -- her words
replaced by the forger's there. Each bundle is signed with the device's real key and
encrypted to the coordinators, through the real collect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.services import merging, records, sync
from fieldapp.store.check import check, table_rows
from tests.unit.sync_flow.test_hostile_bundles import Lab, line, own_ops


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield Lab(tmp_path, stack)


def _by_name(report: sync.CollectReport) -> dict[str, merging.BundleResult]:
    return {b.name.rsplit("/", 1)[-1]: b for b in report.bundles}


def test_a_note_claimed_by_another_device_stays_its_researcher_s_on_every_coordinator(
        lab: Lab) -> None:
    second = lab.second_coordinator()
    alice, mallory = lab.enrol("alice"), lab.enrol("mallory")
    iid = records.add_interview(alice, code="KM-HIV-I085")
    nid = records.add_note(alice, iid, body="初稿：她说经费按季度拨付")
    records.save_note_body(alice, nid, "修订：她说经费拨付延迟三个月")
    sent = sync.send(alice)
    sync.collect(lab.coordinator)  # the first coordinator holds alice's note
    records.add_interview(mallory, code="GZ-MIG-I086")
    ops = own_ops(mallory)
    seq = mallory.last_seq + 1
    claim = {"device": mallory.device_id, "seq": seq, "hlc": mallory.clock.tick().encode(),
             "entity": "note", "entity_id": nid, "pred": [],
             "values": {"_owner": mallory.device_id, "interview_id": iid,
                        "kind": "field_notes", "title": "", "body": "伪造：经费从未延迟"}}
    forged = lab.craft(mallory, [line(op) for op in ops] + [line(claim)], seq=(1, seq))
    # The second coordinator receives mallory's bundle before alice's.
    alices = lab.store_dir / sent.store_path
    parked = alices.with_name(alices.name + ".parked")
    alices.rename(parked)
    got = _by_name(sync.collect(second))[forged.name]
    assert (got.status, got.rejected_ops) == ("merged", 1)
    parked.rename(alices)
    got = _by_name(sync.collect(second))[alices.name]
    assert (got.status, got.rejected_ops) == ("merged", 0)
    got = _by_name(sync.collect(lab.coordinator))[forged.name]
    assert (got.status, got.rejected_ops) == ("merged", 1)
    for ws in (lab.coordinator, second):
        note = records.get(ws, "note", nid)
        assert (note["body"], note["owner"]) == ("修订：她说经费拨付延迟三个月", alice.device_id)
        assert check(ws).ok
    assert table_rows(lab.coordinator.db, "note") == table_rows(second.db, "note")
    # Alice edits on: both coordinators take it.
    records.save_note_body(alice, nid, "再修订：延迟三个月，社工流失")
    sync.send(alice)
    for ws in (lab.coordinator, second):
        sync.collect(ws)
        assert records.get(ws, "note", nid)["body"] == "再修订：延迟三个月，社工流失"
