"""Roster changes in flight, on several workspaces standing in for laptops: bundles made under an
earlier roster version stay valid when their author was enrolled then; a roster change
republishes the team bundle to the new readers; a device that missed versions fetches them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from fieldapp.services import records, sync, team
from fieldapp.store.workspace import Workspace
from fieldapp.sync import layout
from fieldapp.sync.bundle import write_bundle
from fieldapp.sync.keys import AgeIdentity
from fieldapp.sync.roster import Device, roster_from_json
from tests.unit.sync_flow.test_team_sync import Team


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def statuses(report: sync.CollectReport) -> dict[str, str]:
    return {b.name.split("/")[1]: b.status for b in report.bundles}


def join_as_coordinator(t: Team, name: str) -> Workspace:
    ws = t.workspace(name)
    invite = team.invitation(t.coordinator)
    fp = team.request_to_join(ws, team_id=invite["team_id"], root_key=invite["root_key"],
                              researcher=name, store=t.store)
    team.approve(t.coordinator, ws.device_id, fp, as_coordinator=True)
    team.refresh_roster(ws)
    assert team.role(ws) == team.ROLE_COORDINATOR
    return ws


def test_bundles_made_under_roster_v5_are_merged_after_v6_and_v7(t: Team) -> None:
    alice = t.enrol("alice")  # v2
    team.renew(t.coordinator)  # v3
    team.renew(t.coordinator)  # v4
    bob = t.enrol("bob")  # v5
    assert team.roster(t.coordinator).version == 5
    org = records.add_organisation(t.coordinator, name_zh="星语康复中心")
    sync.publish(t.coordinator)  # a team bundle for the v5 readers
    pid = records.add_participant(alice, code="KM-HIV-101")
    sent_alice = sync.send(alice)  # addressed to the v5 coordinators
    records.add_participant(bob, code="KM-HIV-102")
    records.add_participant(bob, code="KM-HIV-103")
    sent_bob = sync.send(bob)
    trusted_bob = bob.last_seq - 1
    # While those bundles sit in the store, the roster changes three times.
    team.set_escrow(t.coordinator, AgeIdentity.generate().recipient)  # v6: new readers
    erin = join_as_coordinator(t, "erin")  # v7: another coordinator
    assert team.roster(t.coordinator).version == 7
    # A device that was never enrolled in v5 claims v5 (a crafted bundle, validly signed).
    frank = t.enrol("frank")  # v8
    frank_keys = team.device_keys(frank)
    v5 = roster_from_json(json.loads((t.store_dir / layout.roster_version_path(5)).read_bytes()))
    assert v5.version == 5 and v5.device(frank.device_id) is None
    fake_v5 = replace(v5, devices=(*v5.devices, Device(
        frank.device_id, "frank", frank_keys.signing.public_key, frank_keys.identity.recipient)))
    records.add_participant(frank, code="KM-HIV-666")
    forged = t.root / "forged.fab"
    info = write_bundle(forged, roster=fake_v5, device_id=frank.device_id,
                        signing_key=frank_keys.signing, seq_range=(1, frank.last_seq),
                        prev_hash=None, ops=[o.to_dict() for o in frank.ops(device=frank.device_id)])
    (t.store_dir / info.store_path).parent.mkdir(parents=True, exist_ok=True)
    forged.replace(t.store_dir / info.store_path)
    # bob's laptop is lost: trusted through all but its last change (v9).
    team.revoke(t.coordinator, bob.device_id, after_seq=trusted_bob)

    got = statuses(sync.collect(t.coordinator))
    expected = {
        alice.device_id: "merged",  # made under v5, alice enrolled then: valid
        bob.device_id: "quarantined",  # made under v5, bob revoked beyond its trusted change
        frank.device_id: "rejected",  # claims v5, but frank was not enrolled in v5
    }
    assert got == expected
    assert team.roster_versions(t.coordinator) == list(range(1, 10))
    assert records.find(t.coordinator, "participant", pid) is not None
    codes = {p["code"] for p in records.list_records(t.coordinator, "participant")}
    assert "KM-HIV-102" in codes and "KM-HIV-103" not in codes and "KM-HIV-666" not in codes
    assert sent_alice.sent and sent_bob.sent
    # erin, added in v7, cannot decrypt what was addressed before her; alice's next bundle is
    # cumulative since every coordinator's acknowledgement, so erin gets it all.
    resent = sync.send(alice)
    assert resent.seq_range[0] == 1
    merged = [b for b in sync.collect(erin).bundles
              if b.status == "merged" and b.name.startswith(layout.BUNDLES_DIR)]
    assert [b.author for b in merged] == [alice.device_id]
    assert records.find(erin, "participant", pid) is not None
    # The team bundle published under v5 was republished to every later roster's readers.
    assert [b.status for b in sync.receive(frank).bundles] == ["merged"]
    assert records.find(frank, "organisation", org) is not None


def test_a_roster_change_republishes_the_team_bundle_for_the_new_researcher(t: Team) -> None:
    alice = t.enrol("alice")
    org = records.add_organisation(t.coordinator, name_zh="阳光社工站", name_en="Sunshine")
    sync.publish(t.coordinator)
    (before,) = list((t.store_dir / layout.TEAM_DIR).rglob("*.fab"))
    # Approving a researcher republishes by itself: the new researcher reads it at once.
    bob = t.enrol("bob")
    (after,) = list((t.store_dir / layout.TEAM_DIR).rglob("*.fab"))
    assert after != before
    report = sync.receive(bob)
    assert [b.status for b in report.bundles] == ["merged"]
    assert records.get(bob, "organisation", org)["name_en"] == "Sunshine"
    # alice, who last saw the previous roster, reads the republished bundle too.
    assert [b.status for b in sync.receive(alice).bundles] == ["merged"]
    # Renewing and an escrow key republish as well; a revoked device cannot read what follows.
    for change in (lambda: team.renew(t.coordinator),
                   lambda: team.set_escrow(t.coordinator, AgeIdentity.generate().recipient),
                   lambda: team.revoke(t.coordinator, bob.device_id, after_seq=0)):
        change()
        (now,) = list((t.store_dir / layout.TEAM_DIR).rglob("*.fab"))
        assert now != after
        after = now
    assert [b.status for b in sync.receive(alice).bundles] == ["merged"]
    revoked = sync.receive(bob)
    assert [b.status for b in revoked.bundles] in ([], ["rejected"])


def test_a_device_that_missed_versions_fetches_them_and_reads_older_team_bundles(
        t: Team) -> None:
    alice = t.enrol("alice")  # v2; alice now stays offline
    erin = join_as_coordinator(t, "erin")  # v3
    org = records.add_organisation(erin, name_zh="彩虹互助小组")
    sync.publish(erin)  # erin's team bundle, addressed to the v3 readers
    t.enrol("bob")  # v4: erin has not republished yet
    team.renew(t.coordinator)  # v5
    # alice comes back online: she jumps from v2 to v5 and fetches v3 and v4, signed.
    report = sync.receive(alice)
    assert {b.status for b in report.bundles} == {"merged"}
    assert records.find(alice, "organisation", org) is not None
    assert team.roster_versions(alice) == [2, 3, 4, 5]
    # A version file someone altered in the store is not kept.
    dave_v = team.roster(t.coordinator).version + 1
    t.enrol("dave")
    path = t.store_dir / layout.roster_version_path(dave_v)
    data = path.read_bytes().replace(b'"dave"', b'"mallory"')
    path.write_bytes(data)
    team.renew(t.coordinator)
    sync.receive(alice)
    assert dave_v not in team.roster_versions(alice)
    assert dave_v + 1 in team.roster_versions(alice)


def test_only_versions_this_device_accepted_are_known(t: Team) -> None:
    alice = t.enrol("alice")  # v2
    team.renew(t.coordinator)  # v3
    team.refresh_roster(alice)
    assert team.roster_versions(alice) == [2, 3]
    current = team.roster(alice)
    v2 = current.at_version(2)
    assert v2 is not None and v2.version == 2 and v2.device(alice.device_id) is not None
    assert current.at_version(4) is None  # newer than anything accepted
    assert current.at_version(1) is None  # before alice joined: never seen
