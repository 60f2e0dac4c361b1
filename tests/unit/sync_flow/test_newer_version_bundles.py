"""A team whose laptops are not all updated at once.

A bundle names the record schema its fieldapp writes (``schema`` in the signed manifest). A
coordinator still on an older version that finds in it a record field it does not know must say
the bundle comes from a newer version and to update -- not call it malformed, which reads as an
attack -- apply none of it, and read it again once updated (a refusal is remembered only by the
fieldapp that made it). A newer version's bundle that uses nothing new is merged as any other.
Every bundle here is validly signed with the laptop's real key and encrypted to the team.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.services import merging, records, sync
from fieldapp.store.folder import SCHEMA_VERSION
from tests.unit.sync_flow.test_hostile_bundles import Lab, by_name, line, own_ops


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield Lab(tmp_path, stack)


def test_fieldapps_own_bundles_name_the_schema_they_follow(lab: Lab) -> None:
    alice = lab.enrol("alice")
    records.add_organisation(alice, name_zh="红丝带之家")
    sync.send(alice)
    path = next((lab.store_dir / "bundles" / alice.device_id).glob("*.fab"))
    assert merging.open_verified(lab.coordinator, path).manifest.schema == SCHEMA_VERSION


def test_a_newer_versions_field_says_update_and_is_read_again_once_updated(
        lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = lab.enrol("alice")
    iid = records.add_interview(alice, code="KM-HIV-I040")
    note = records.add_note(alice, iid, body="访谈笔记：经费拨付延迟")
    ops = own_ops(alice)
    at = next(i for i, op in enumerate(ops) if op["entity"] == "note")
    ops[at]["values"]["sentiment"] = "negative"  # a field of a later version's notes
    crafted = lab.craft(alice, [line(op) for op in ops], seq=(1, alice.last_seq),
                        manifest={"schema": SCHEMA_VERSION + 1})

    got = by_name(sync.collect(lab.coordinator))[crafted.name]
    assert (got.status, got.code) == ("rejected", "format_too_new")
    assert "newer version of fieldapp" in got.reason and "Update fieldapp" in got.reason
    assert f"line {at + 1} " in got.reason and "sentiment" in got.reason
    assert "malformed" not in got.reason
    assert records.find(lab.coordinator, "interview", iid) is None  # nothing of it applied
    assert records.find(lab.coordinator, "note", note) is None
    # The same fieldapp passes over it from then on ...
    assert by_name(sync.collect(lab.coordinator))[crafted.name].status == "ignored"
    # ... an updated one reads it again (here one that knows the newer schema number but not
    # the field: it then says the operation is malformed).
    monkeypatch.setattr(sync, "READER", sync.READER + "+1")
    monkeypatch.setattr(merging, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    again = by_name(sync.collect(lab.coordinator))[crafted.name]
    assert (again.status, again.code) == ("rejected", "malformed_ops")
    assert f"Line {at + 1} " in again.reason and "sentiment" in again.reason


@pytest.mark.parametrize("schema", [None, SCHEMA_VERSION])
def test_an_unknown_field_without_a_newer_schema_is_malformed(lab: Lab,
                                                              schema: int | None) -> None:
    alice = lab.enrol("alice")
    records.add_organisation(alice, name_zh="红丝带之家")
    ops = own_ops(alice)
    ops[0]["values"]["sentiment"] = "negative"
    crafted = lab.craft(alice, [line(op) for op in ops], seq=(1, alice.last_seq),
                        manifest={"schema": schema})
    got = by_name(sync.collect(lab.coordinator))[crafted.name]
    assert (got.status, got.code) == ("rejected", "malformed_ops")


def test_a_newer_schema_does_not_excuse_a_line_that_is_not_json(lab: Lab) -> None:
    alice = lab.enrol("alice")
    records.add_organisation(alice, name_zh="红丝带之家")
    lines = [line(op) for op in own_ops(alice)]
    lines[0] = lines[0][:-1]
    crafted = lab.craft(alice, lines, seq=(1, alice.last_seq),
                        manifest={"schema": SCHEMA_VERSION + 1})
    got = by_name(sync.collect(lab.coordinator))[crafted.name]
    assert (got.status, got.code) == ("rejected", "malformed_ops")


def test_a_newer_versions_bundle_that_uses_nothing_new_is_merged(lab: Lab) -> None:
    alice = lab.enrol("alice")
    org = records.add_organisation(alice, name_zh="红丝带之家")
    crafted = lab.craft(alice, [line(op) for op in own_ops(alice)], seq=(1, alice.last_seq),
                        manifest={"schema": SCHEMA_VERSION + 5})
    assert by_name(sync.collect(lab.coordinator))[crafted.name].status == "merged"
    assert records.get(lab.coordinator, "organisation", org)["name_zh"] == "红丝带之家"


def test_reading_and_merging_leave_the_cycle_collector_as_they_found_it(lab: Lab) -> None:
    """The collector is paused while a bundle is read and merged (``merging``); a refusal
    halfway must not leave it paused for the rest of the session, nor start one the caller
    had paused."""
    import gc

    alice = lab.enrol("alice")
    records.add_organisation(alice, name_zh="红丝带之家")
    ops = own_ops(alice)
    ops[0]["values"]["sentiment"] = "negative"
    lab.craft(alice, [line(op) for op in ops], seq=(1, alice.last_seq))  # refused
    sync.send(alice)  # and a good one
    assert gc.isenabled()
    statuses = sorted(b.status for b in sync.collect(lab.coordinator).bundles)
    assert statuses == ["merged", "rejected"]
    assert gc.isenabled()
    gc.disable()
    try:
        records.add_organisation(alice, name_zh="同心社工")
        sync.send(alice)
        sync.collect(lab.coordinator)
        assert not gc.isenabled()
    finally:
        gc.enable()
