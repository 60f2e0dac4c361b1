"""Team sync end to end through a shared folder: set up a team, enrol researchers by
fingerprint, send, collect, acknowledge, resolve conflicts, publish, receive, erase across the
team with receipts, revoke, and refuse bad bundles without changing anything."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.services import records, sync, team
from fieldapp.services.attachments import add_attachment, read_attachment
from fieldapp.store.check import check, table_rows
from fieldapp.store.workspace import Workspace
from fieldapp.sync.errors import SyncError
from tests.conftest import PASSPHRASE


class Team:
    def __init__(self, root: Path, stack: ExitStack) -> None:
        self.root = root
        self.store_dir = root / "shared"
        self.store_dir.mkdir()
        self.store = team.StoreConfig(str(self.store_dir))
        self.stack = stack
        self.coordinator = self.workspace("coordinator")
        team.create_team(self.coordinator, team_name="福利外包研究", coordinator_name="Coordinator",
                         store=self.store)

    def workspace(self, name: str) -> Workspace:
        ws, _ = Workspace.initialise(self.root / name, PASSPHRASE, researcher=name)
        self.stack.callback(lambda: ws.conn is not None and ws.close())
        return ws

    def enrol(self, name: str) -> Workspace:
        ws = self.workspace(name)
        invite = team.invitation(self.coordinator)
        shown_on_device = team.request_to_join(ws, team_id=invite["team_id"],
                                               root_key=invite["root_key"], researcher=name,
                                               store=self.store)
        (request,) = [r for r in team.pending_join_requests(self.coordinator)
                      if r["device_id"] == ws.device_id]
        assert request["fingerprint"] == shown_on_device  # compared by phone
        team.approve(self.coordinator, ws.device_id, shown_on_device)
        team.refresh_roster(ws)
        assert team.is_enrolled(ws)
        return ws


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def shared_tables(ws: Workspace) -> dict[str, object]:
    return {name: table_rows(ws.db, name) for name in ("organisation", "participant", "code")}


def test_send_collect_acknowledge_and_heal(t: Team) -> None:
    alice = t.enrol("alice")
    pid = records.add_participant(alice, code="KM-HIV-001", role="社工")
    iid = records.add_interview(alice, code="KM-HIV-I001", participant_ids=[pid])
    records.add_note(alice, iid, body="访谈笔记：经费拨付延迟")
    assert sync.pending(alice)["note"] == 1
    sent = sync.send(alice)
    assert sent.sent and sent.ops >= 3
    report = sync.collect(t.coordinator)
    assert [b.status for b in report.bundles] == ["merged"]
    assert records.find(t.coordinator, "note", records.notes_of(alice, iid)[0]["id"])
    # The acknowledgement makes the next bundle start after what was merged.
    assert sync.acknowledged_seq(alice, team.open_store(alice)) == alice.last_seq
    assert sync.pending(alice) == {}
    assert not sync.send(alice).sent
    # Importing again changes nothing and is no error.
    before = table_rows(t.coordinator.db, "note")
    assert {b.status for b in sync.collect(t.coordinator).bundles} == {"duplicate"}
    assert table_rows(t.coordinator.db, "note") == before
    # A lost bundle heals: delete it from the store; the next send is cumulative since the ack.
    records.add_note(alice, iid, body="第二条笔记")
    first = sync.send(alice)
    (t.store_dir / first.store_path).unlink()
    records.add_note(alice, iid, body="第三条笔记")
    second = sync.send(alice)
    assert second.seq_range[0] == first.seq_range[0]
    sync.collect(t.coordinator)
    assert len(records.notes_of(t.coordinator, iid)) == 3
    assert check(t.coordinator).ok
    actions = [e["action"] for e in t.coordinator.audit_log()]
    assert "sync.merge" in actions


def test_attachments_travel_encrypted(t: Team, tmp_path: Path) -> None:
    alice = t.enrol("alice")
    iid = records.add_interview(alice, code="CD-DIS-I001")
    audio = tmp_path / "rec.m4a"
    audio.write_bytes(b"\x00\x01" * 200_000)
    aid = add_attachment(alice, audio, interview_id=iid)
    sync.send(alice)
    sync.collect(t.coordinator)
    assert read_attachment(t.coordinator, aid) == audio.read_bytes()


def test_conflict_resolved_by_the_coordinator_reaches_everyone(t: Team) -> None:
    alice, bob = t.enrol("alice"), t.enrol("bob")
    org = records.add_organisation(t.coordinator, name_zh="星语康复中心", name_en="Star Centre")
    sync.publish(t.coordinator)
    for ws in (alice, bob):
        sync.receive(ws)
        assert records.get(ws, "organisation", org)["name_en"] == "Star Centre"
    records.update(alice, "organisation", org, {"name_en": "Star Language Centre"})
    records.update(bob, "organisation", org, {"name_en": "Xingyu Rehabilitation Centre"})
    sync.send(alice)
    sync.send(bob)
    sync.collect(t.coordinator)
    (conflict,) = t.coordinator.conflicts()
    assert {v.value for v in conflict.versions} == {"Star Language Centre",
                                                    "Xingyu Rehabilitation Centre"}
    t.coordinator.resolve("organisation", org, "name_en", "Xingyu Star Language Centre")
    sync.publish(t.coordinator)
    for ws in (alice, bob):
        sync.receive(ws)
        assert ws.conflicts() == []
        assert records.get(ws, "organisation", org)["name_en"] == "Xingyu Star Language Centre"


def test_withdrawal_travels_to_every_device_and_comes_back_as_receipts(t: Team) -> None:
    alice, bob = t.enrol("alice"), t.enrol("bob")
    pid = records.add_participant(alice, code="NN-HIV-002")
    iid = records.add_interview(alice, code="NN-HIV-I002", participant_ids=[pid])
    records.add_note(alice, iid, body="不应再出现的句子")
    sync.send(alice)
    sync.collect(t.coordinator)
    sync.publish(t.coordinator)
    sync.receive(bob)  # bob holds the participant's profile now
    assert records.find(bob, "participant", pid)
    records.withdraw_consent(t.coordinator, pid, reason="participant_request")
    status = sync.erasure_status(t.coordinator)
    assert {d for d, _n in status[0]["waiting_for"]} == {alice.device_id, bob.device_id}
    sync.publish(t.coordinator)
    for ws in (alice, bob):
        sync.receive(ws)
        assert records.find(ws, "participant", pid) is None
        assert records.find(ws, "interview", iid) is None
        sync.send(ws)
    sync.collect(t.coordinator)
    (status,) = sync.erasure_status(t.coordinator)
    assert status["waiting_for"] == []
    assert {alice.device_id, bob.device_id} <= set(status["confirmed"])


def test_revoked_device_is_quarantined_after_its_last_trusted_sequence(t: Team) -> None:
    alice = t.enrol("alice")
    records.add_participant(alice, code="ZZ-MIG-001")
    sync.send(alice)
    sync.collect(t.coordinator)
    trusted = alice.last_seq
    # The laptop is lost; someone with it keeps writing after the revocation.
    records.add_participant(alice, code="ZZ-MIG-002")
    records.add_participant(alice, code="ZZ-MIG-003")
    bundle = sync.send(alice)
    team.revoke(t.coordinator, alice.device_id, after_seq=trusted)
    report = sync.collect(t.coordinator)
    assert bundle.sent
    statuses = [b.status for b in report.bundles]
    assert statuses in (["rejected"], ["quarantined"])
    codes = {p["code"] for p in records.list_records(t.coordinator, "participant")}
    assert codes == {"ZZ-MIG-001"}


def test_bad_bundles_are_rejected_with_a_reason_and_change_nothing(t: Team) -> None:
    alice = t.enrol("alice")
    records.add_participant(alice, code="GZ-DIS-001")
    sent = sync.send(alice)
    path = t.store_dir / sent.store_path
    good = path.read_bytes()
    before = shared_tables(t.coordinator)
    for damaged in (good[:-100], good[:50] + bytes([good[50] ^ 1]) + good[51:]):
        path.write_bytes(damaged)
        report = sync.collect(t.coordinator)
        (result,) = report.bundles
        assert result.status == "rejected" and result.reason
        assert shared_tables(t.coordinator) == before
    path.write_bytes(good)
    assert [b.status for b in sync.collect(t.coordinator).bundles] == ["merged"]


def test_a_bundle_deleting_most_of_the_data_waits_for_confirmation(t: Team) -> None:
    alice = t.enrol("alice")
    orgs = [records.add_organisation(alice, name_zh=f"机构{i}") for i in range(12)]
    sync.send(alice)
    sync.collect(t.coordinator)
    for org in orgs:
        records.delete(alice, "organisation", org)
    sync.send(alice)
    (held,) = sync.collect(t.coordinator).bundles
    assert held.status == "held" and "12" in held.reason
    assert len(records.list_records(t.coordinator, "organisation")) == 12
    (merged,) = sync.collect(t.coordinator, confirm_mass_delete=True).bundles
    assert merged.status == "merged"
    assert records.list_records(t.coordinator, "organisation") == []


def test_two_coordinators_collect_from_the_same_store_at_once(t: Team) -> None:
    second = t.workspace("coordinator2")
    # The second coordinator gets keys of its own and is added by the root key holder.
    from fieldapp.sync.keys import DeviceKeys
    from fieldapp.sync.roster import add_coordinator

    keys = DeviceKeys.generate()
    _cid, signed = add_coordinator(team.roster(t.coordinator), team._root_key(t.coordinator),
                                   name="Second", public=keys.public,
                                   now=team._now())
    team.publish_roster(t.coordinator, signed)
    import base64

    with second.transaction():
        second._set_meta("team.role", team.ROLE_COORDINATOR)
        second._set_meta("team.keys", base64.b64encode(keys.to_bytes()).decode())
        second._set_meta("team.root_public", t.coordinator.meta("team.root_public"))
        second._set_meta("team.member_id", _cid)
        second._set_meta("team.store", t.store.to_json())
    team.refresh_roster(second)
    alice = t.enrol("alice")
    for i in range(5):
        records.add_participant(alice, code=f"KM-DIS-{i:03d}")
    sync.send(alice)
    errors: list[BaseException] = []
    results: dict[str, sync.CollectReport] = {}

    def run(name: str, ws: Workspace) -> None:
        try:
            results[name] = sync.collect(ws)
        except BaseException as exc:
            errors.append(exc)

    # Each workspace is used only by its own thread.
    threads = [threading.Thread(target=run, args=("one", t.coordinator)),
               threading.Thread(target=run, args=("two", second))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert errors == []
    assert [b.status for b in results["one"].bundles] == ["merged"]
    assert [b.status for b in results["two"].bundles] == ["merged"]
    assert table_rows(t.coordinator.db, "participant") == table_rows(second.db, "participant")


def test_store_gone_mid_send_loses_nothing(t: Team) -> None:
    alice = t.enrol("alice")
    records.add_participant(alice, code="CD-HIV-001")
    t.store_dir.rename(t.root / "unplugged")
    with pytest.raises(SyncError) as info:
        sync.send(alice)
    assert info.value.message
    (t.root / "unplugged").rename(t.store_dir)
    assert sync.pending(alice)["participant"] == 1
    assert sync.send(alice).sent
    assert [b.status for b in sync.collect(t.coordinator).bundles] == ["merged"]


def test_progress_by_site_and_sector(t: Team) -> None:
    alice = t.enrol("alice")
    records.set_study(t.coordinator, title_en="Study", targets={"KM|HIV": 3, "CD|MIG": 2},
                      sites=[{"code": "KM"}, {"code": "CD"}], sectors=[{"code": "HIV"},
                                                                       {"code": "MIG"}])
    pid = records.add_participant(alice, code="KM-HIV-001", site="KM", sector="HIV")
    records.record_consent(alice, pid, form_version="v1", language="zh", method="oral",
                           date_given="2026-05-01", scopes=["audio"])
    records.add_interview(alice, code="KM-HIV-I001", site="KM", sector="HIV",
                          participant_ids=[pid], interviewer="alice")
    sync.send(alice)
    sync.collect(t.coordinator)
    table = sync.progress_table(t.coordinator)
    assert table["cells"]["KM|HIV"] == {"interviews": 1, "consents": 1, "target": 3}
    assert table["cells"]["CD|MIG"] == {"interviews": 0, "consents": 0, "target": 2}
    assert table["researchers"] == {"alice": 1}


def test_bundle_carried_by_hand(t: Team, tmp_path: Path) -> None:
    alice = t.enrol("alice")
    records.add_participant(alice, code="KM-MIG-010")
    usb = tmp_path / "usb"
    usb.mkdir()
    path = sync.export_bundle_file(alice, usb)
    info = sync.inspect_bundle(t.coordinator, path)
    assert info["author"] == alice.device_id and info["by_type"] == {"participant": 1}
    assert not info["already_merged"]
    assert sync.import_bundle_file(t.coordinator, path).status == "merged"
    assert sync.import_bundle_file(t.coordinator, path).status == "duplicate"
    assert sync.inspect_bundle(t.coordinator, path)["already_merged"]
    # A file someone altered on the stick is refused.
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(SyncError):
        sync.import_bundle_file(t.coordinator, path)


def test_a_second_coordinator_joins_and_an_escrow_key_can_read(t: Team, tmp_path: Path) -> None:
    from fieldapp.sync.bundle import open_bundle
    from fieldapp.sync.keys import AgeIdentity

    second = t.workspace("coordinator2")
    invite = team.invitation(t.coordinator)
    fp = team.request_to_join(second, team_id=invite["team_id"], root_key=invite["root_key"],
                              researcher="Second coordinator", store=t.store)
    with pytest.raises(SyncError):
        team.approve(t.coordinator, second.device_id, "1234 " * 6, as_coordinator=True)
    team.approve(t.coordinator, second.device_id, fp, as_coordinator=True)
    escrow = AgeIdentity.generate()
    team.set_escrow(t.coordinator, escrow.recipient)
    team.refresh_roster(second)
    assert team.role(second) == team.ROLE_COORDINATOR
    alice = t.enrol("alice")
    records.add_participant(alice, code="CD-DIS-007")
    sent = sync.send(alice)
    # Both coordinators, and the escrow key kept offline, can read it.
    assert [b.status for b in sync.collect(second).bundles] == ["merged"]
    assert [b.status for b in sync.collect(t.coordinator).bundles] == ["merged"]
    bundle = open_bundle(t.store_dir / sent.store_path, identity=escrow,
                         roster=team.roster(t.coordinator))
    assert bundle.manifest.op_count == 1
    # The acknowledgement counts only when every coordinator has merged.
    assert sync.acknowledged_seq(alice, team.open_store(alice)) == alice.last_seq


def test_roster_renewal(t: Team) -> None:
    before = team.roster(t.coordinator)
    after = team.renew(t.coordinator)
    assert after.version == before.version + 1 and after.expires_at >= before.expires_at
