"""A table of hostile and awkward bundles, played on several workspaces acting as laptops.

Every bundle here is crafted the way a stolen laptop would make it: validly signed with the
device's real Ed25519 key from its workspace and age-encrypted to the coordinators, with
garbage, a rewritten history or a lie inside. Each case states what must happen, and each
failed on the code before "a bad bundle is one rejected bundle":

========================================  ============================================================
case                                      expected outcome
========================================  ============================================================
MALFORMED[*] (one bad operation, line n)  that bundle ``rejected`` (``malformed_ops``, reason names line
                                          n), nothing of it applied, the other device's bundle of the
                                          same collect ``merged``; the next collect lists it as
                                          ``ignored``; ``bundle verify`` refuses it too
refused file, collected again             ``ignored`` (exit 0 on the command line); a changed file is
                                          checked again
stale file (made for an earlier roster)   never ``rejected`` once a later bundle brought its changes
forged receipt (bob confirms for carol)   carol (and bob) still listed as holding the data
erasure across coordinators               every coordinator is tracked; a second coordinator's receipt
                                          reaches the first through its team bundle
re-signed history, revoked device         both coordinators report ``forged_history``, merge the genuine
                                          history only, and hold the same data
re-signed history, device not revoked     the coordinator holding the real one reports it
forgery under the real bundle's file name refused (``hash_mismatch``) by a coordinator without the real one
late attachment after an erasure          no file of the erased attachment is written, not even briefly
mass delete after applied deletes         a bundle adding one note is merged, not held
========================================  ============================================================
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fieldapp.domain.ids import new_id
from fieldapp.services import merging, records, sync, team
from fieldapp.services.attachments import add_attachment
from fieldapp.store.check import table_rows
from fieldapp.store.workspace import Workspace
from fieldapp.sync import layout
from fieldapp.sync.errors import SyncError
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE
from tests.programs import need
from tests.unit.sync.forge import Forge
from tests.unit.sync_flow.test_team_sync import Team


class Lab(Team):
    """The team of laptops: the coordinator who created the team, researchers, and (on
    demand) a second coordinator approved by fingerprint."""

    def second_coordinator(self) -> Workspace:
        ws = self.workspace("coordinator2")
        invite = team.invitation(self.coordinator)
        fp = team.request_to_join(ws, team_id=invite["team_id"], root_key=invite["root_key"],
                                  researcher="Second coordinator", store=self.store)
        team.approve(self.coordinator, ws.device_id, fp, as_coordinator=True)
        team.refresh_roster(ws)
        assert team.role(ws) == team.ROLE_COORDINATOR
        return ws

    def craft(self, ws: Workspace, lines: list[bytes], *, seq: tuple[int, int] | None = None,
              prev: str | None = None, manifest: dict[str, Any] | None = None) -> Path:
        """A bundle of exactly these JSON lines, signed with ``ws``'s real device key and
        encrypted to the roster's coordinators, put where the device's bundles go
        (``manifest``: other manifest fields to sign, e.g. ``schema``)."""
        device = SimpleNamespace(roster=team.roster(ws), device_id=ws.device_id,
                                 device_keys=team.device_keys(ws))
        ops = b"".join(line + b"\n" for line in lines)
        first, last = seq or (1, max(len(lines), 1))
        forge = Forge(device, ops=ops, manifest_changes={"seq_first": first, "seq_last": last,
                                                         "prev_hash": prev, **(manifest or {})})
        bundle_hash = hashlib.sha256(forge.manifest_bytes()).hexdigest()
        path = self.store_dir / layout.bundle_path(ws.device_id, first, last, bundle_hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        return forge.build(path)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield Lab(tmp_path, stack)


def own_ops(ws: Workspace) -> list[dict[str, Any]]:
    return [op.to_dict() for op in ws.ops(device=ws.device_id)]


def line(op: dict[str, Any]) -> bytes:
    return json.dumps(op, ensure_ascii=False).encode("utf-8")


def fresh(report: sync.CollectReport) -> list[merging.BundleResult]:
    return [b for b in report.bundles if b.status != "duplicate"]


def by_name(report: sync.CollectReport) -> dict[str, merging.BundleResult]:
    return {b.name.rsplit("/", 1)[-1]: b for b in report.bundles}


# -- malformed contents -------------------------------------------------------------------------

def _first(ops: list[dict[str, Any]], entity: str) -> int:
    return next(i for i, op in enumerate(ops) if op["entity"] == entity)


def _set(entity: str, key: str, value: Any) -> Callable[[list[dict[str, Any]]], int]:
    def mutate(ops: list[dict[str, Any]]) -> int:
        i = _first(ops, entity)
        if key.startswith("values."):
            ops[i]["values"][key[7:]] = value
        else:
            ops[i][key] = value
        return i
    return mutate


def _drop(key: str) -> Callable[[list[dict[str, Any]]], int]:
    def mutate(ops: list[dict[str, Any]]) -> int:
        del ops[1][key]
        return 1
    return mutate


def _repeat(ops: list[dict[str, Any]]) -> int:
    ops.insert(2, dict(ops[0]))
    return 2


def _pred_flood(ops: list[dict[str, Any]]) -> int:
    ops[1]["pred"] = [[ops[0]["device"], n] for n in range(1, 20_002)]
    return 1


#: (case, mutation of the laptop's real operations -> index of the bad one, raw replacement)
MALFORMED: list[tuple[str, Callable[[list[dict[str, Any]]], int], tuple[str, str] | None]] = [
    ("an operation without its clock", _drop("hlc"), None),
    ("an operation without its values", _drop("values"), None),
    ("a non-numeric sequence", _set("note", "seq", "二"), None),
    ("a sequence of zero", _set("note", "seq", 0), None),
    ("a malformed clock", _set("note", "hlc", "2026-05-01 10:00"), None),
    ("text in an integer field", _set("code", "values.sort_order", "ten"), None),
    ("an integer too large for any column", _set("code", "values.sort_order", 10**30), None),
    ("an infinite number", _set("code", "values.sort_order", "@INF@"), ('"@INF@"', "1e999")),
    ("an unknown record type", _set("note", "entity", "weapon"), None),
    ("an unknown field", _set("note", "values.password", "x"), None),
    ("values that are a list", _set("note", "values", ["body", "text"]), None),
    ("a record id that is a path", _set("note", "entity_id", "../../../attachments/x"), None),
    ("references that are numbers", _set("interview", "values.participant_ids", [1, 2]), None),
    ("pred that is an object", _set("note", "pred", {"device": "x"}), None),
    ("twenty thousand preds", _pred_flood, None),
    ("an erase order on a note", _set("note", "values._erase", {"date": "2026-01-01"}), None),
    ("a sequence outside the signed range", _set("note", "seq", 99_999), None),
    ("the same change twice", _repeat, None),
    ("a line that is an array", _set("note", "device", "@ARRAY@"), None),
    # half a surrogate pair is valid JSON but no text: it once reached SQLite and crashed the
    # collect with a UnicodeEncodeError
    ("text that is half a surrogate pair", _set("note", "values.body", "@HALF@"),
     ('"@HALF@"', '"a\\ud800b"')),
    ("a field name that is half a surrogate pair", _set("note", "values.@HALF@", None),
     ('"@HALF@"', '"\\udfff"')),
]


@pytest.fixture(scope="module")
def malformed_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Workspace,
                                                                                Workspace]]:
    with ExitStack() as stack:
        lab = Lab(tmp_path_factory.mktemp("malformed"), stack)
        alice, bob = lab.enrol("alice"), lab.enrol("bob")
        pid = records.add_participant(alice, code="KM-HIV-031", role="社工")
        iid = records.add_interview(alice, code="KM-HIV-I031", participant_ids=[pid])
        records.add_note(alice, iid, body="访谈笔记：经费拨付延迟")
        records.create(alice, "code", {"name_zh": "经费", "sort_order": 1})
        yield lab, alice, bob


@pytest.mark.parametrize(("case", "mutate", "raw"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_a_validly_signed_bundle_with_a_malformed_operation_is_one_rejected_bundle(
        malformed_lab: tuple[Lab, Workspace, Workspace], case: str,
        mutate: Callable[[list[dict[str, Any]]], int], raw: tuple[str, str] | None) -> None:
    lab, alice, bob = malformed_lab
    ops = own_ops(alice)
    bad = mutate(ops)
    lines = [line(op) for op in ops]
    if raw is not None:
        lines[bad] = lines[bad].replace(raw[0].encode(), raw[1].encode())
    if case == "a line that is an array":
        lines[bad] = b'["not", "an", "operation"]'
    crafted = lab.craft(alice, lines, seq=(1, alice.last_seq))
    try:
        _collect_around(lab, alice, bob, crafted, bad)
    finally:
        crafted.unlink()  # each case on its own: the next one starts from a clean store


def _collect_around(lab: Lab, alice: Workspace, bob: Workspace, crafted: Path, bad: int) -> None:
    records.add_participant(bob, code=f"KM-MIG-{new_id()[-8:]}")
    assert sync.send(bob).sent
    before = {e: table_rows(lab.coordinator.db, e) for e in ("participant", "note", "code")}

    report = sync.collect(lab.coordinator)  # must not raise
    results = by_name(report)
    refused = results[crafted.name]
    assert refused.status == "rejected"
    assert f"Line {bad + 1} " in refused.reason
    assert refused.code == "malformed_ops"
    assert [b.status for b in report.bundles if b.author == bob.device_id] == ["merged"]
    after = {e: table_rows(lab.coordinator.db, e) for e in ("participant", "note", "code")}
    assert after["note"] == before["note"] and after["code"] == before["code"]
    assert "KM-HIV-031" not in {p["code"] for p in records.list_records(lab.coordinator,
                                                                          "participant")}
    # The next collect does not report it as new, and goes on with everything else.
    again = by_name(sync.collect(lab.coordinator))[crafted.name]
    assert again.status == "ignored" and again.code == "malformed_ops"
    # Checking the file by hand checks its contents, not only its signature.
    with pytest.raises(SyncError) as info:
        sync.inspect_bundle(lab.coordinator, crafted)
    assert info.value.reason.value == "malformed_ops"
    assert f"Line {bad + 1} " in info.value.message


def _fieldapp(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE, "FIELDAPP_LANG": "en"}
    return subprocess.run([*CLI, *args], capture_output=True,
                          text=True, env=env, timeout=180)


@pytest.mark.interop
def test_garbage_the_age_tool_reads_is_refused_once_from_the_command_line(
        lab: Lab, tmp_path: Path) -> None:
    """The crafted file really is a well-formed, validly signed bundle (the real ``age`` and
    ``minisign`` programs read and verify it) with text in an integer field on line 3; the
    command line refuses it once with that line, then ignores it, and never shows a traceback."""
    age, minisign = need("age"), need("minisign")
    alice = lab.enrol("alice")
    records.create(alice, "code", {"name_zh": "政府购买服务", "sort_order": 1})
    records.create(alice, "code", {"name_zh": "经费", "sort_order": 2})
    records.create(alice, "code", {"name_zh": "登记", "sort_order": 3})
    ops = own_ops(alice)
    ops[2]["values"]["sort_order"] = "三"
    crafted = lab.craft(alice, [line(op) for op in ops], seq=(1, alice.last_seq))
    identity = tmp_path / "coordinator.key"
    identity.write_text(team.export_identity(lab.coordinator) + "\n", encoding="ascii")
    plain = subprocess.run([age, "-d", "-i", str(identity), str(crafted)], capture_output=True,
                           check=True, timeout=60).stdout
    out = tmp_path / "opened"
    out.mkdir()
    (out / "b.tar").write_bytes(plain)
    with tarfile.open(out / "b.tar") as tf:
        tf.extractall(out, filter="data")
    key = team.device_keys(alice).signing.public_key.to_text()  # the roster's RW… line
    subprocess.run([minisign, "-V", "-P", key, "-m", str(out / "manifest.json")],
                   capture_output=True, check=True, timeout=60)
    third = (out / "ops.jsonl").read_bytes().split(b"\n")[2]
    assert json.loads(third)["values"]["sort_order"] == "三"
    lab.coordinator.close()
    ws = str(lab.root / "coordinator")
    verify = _fieldapp("bundle", "verify", ws, str(crafted))
    assert verify.returncode == 1 and "Line 3 " in verify.stdout + verify.stderr
    first = _fieldapp("sync", "collect", ws)
    second = _fieldapp("sync", "collect", ws)
    for proc in (verify, first, second):
        assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr.lower()
    assert first.returncode == 1 and "Line 3 " in first.stdout
    assert second.returncode == 0 and "ignored" in second.stdout


def test_a_refused_file_is_reported_once_and_checked_again_when_it_changes(lab: Lab) -> None:
    alice = lab.enrol("alice")
    records.add_participant(alice, code="CD-DIS-001")
    ops = own_ops(alice)
    ops[0]["hlc"] = "soon"
    crafted = lab.craft(alice, [line(op) for op in ops])
    statuses = [by_name(sync.collect(lab.coordinator))[crafted.name].status for _ in range(3)]
    assert statuses == ["rejected", "ignored", "ignored"]
    crafted.write_bytes(crafted.read_bytes()[:-1] + b"\x00")  # the same name, other content
    assert by_name(sync.collect(lab.coordinator))[crafted.name].status == "rejected"
    crafted.unlink()
    assert sync.send(alice).sent  # the real laptop sends its own bundle: nothing is stuck
    assert [b.status for b in sync.collect(lab.coordinator).bundles] == ["merged"]


def test_a_stale_file_stops_being_reported_once_its_changes_arrived(lab: Lab) -> None:
    from fieldapp.sync.keys import AgeIdentity

    alice = lab.enrol("alice")
    records.add_participant(alice, code="GZ-HIV-001")
    stale = lab.store_dir / sync.send(alice).store_path
    team.set_escrow(lab.coordinator, AgeIdentity.generate().recipient)  # a new roster version
    records.add_participant(alice, code="GZ-HIV-002")
    sync.send(alice)
    first = by_name(sync.collect(lab.coordinator))
    assert first[stale.name].status in ("stale", "merged")
    assert len(records.list_records(lab.coordinator, "participant")) == 2
    assert by_name(sync.collect(lab.coordinator))[stale.name].status in ("ignored", "duplicate")


# -- receipts and erasure across the team --------------------------------------------------------

def test_a_receipt_counts_only_for_the_device_that_signed_it(lab: Lab) -> None:
    alice, bob, carol = lab.enrol("alice"), lab.enrol("bob"), lab.enrol("carol")
    pid = records.add_participant(lab.coordinator, code="NN-MIG-004")
    sync.publish(lab.coordinator)
    for ws in (alice, bob, carol):
        sync.receive(ws)
    records.withdraw_consent(lab.coordinator, pid, reason="participant_request")
    (order,) = lab.coordinator.erase_orders()
    sync.publish(lab.coordinator)
    sync.receive(alice)
    sync.send(alice)
    # bob never received the order, and confirms it in carol's name (and in his own field).
    with bob.transaction():
        for device in (carol.device_id, lab.coordinator.device_id):
            bob.write("receipt", new_id(), {"erase_device": order[0], "erase_seq": order[1],
                                            "participant_id": pid, "device": device,
                                            "at": "2026-05-02"}, create=True)
    sync.send(bob)
    report = sync.collect(lab.coordinator)
    assert {b.status for b in report.bundles} == {"merged"}
    (status,) = sync.erasure_status(lab.coordinator)
    waiting = {d for d, _n in status["waiting_for"]}
    assert waiting == {bob.device_id, carol.device_id}
    assert alice.device_id in status["confirmed"]


def test_every_coordinator_is_tracked_and_their_receipts_travel_to_each_other(lab: Lab) -> None:
    second = lab.second_coordinator()
    alice = lab.enrol("alice")
    me_second = team.member_id(second)
    pid = records.add_participant(lab.coordinator, code="KM-DIS-040")
    records.withdraw_consent(lab.coordinator, pid, reason="participant_request")
    (status,) = sync.erasure_status(lab.coordinator)
    assert {d for d, _n in status["waiting_for"]} == {me_second, alice.device_id}
    sync.publish(lab.coordinator)
    sync.collect(second)  # the second coordinator carries the order out ...
    (seen_there,) = sync.erasure_status(second)
    assert {d for d, _n in seen_there["waiting_for"]} == {alice.device_id}
    sync.publish(second)  # ... and its receipt travels in its own signed team bundle
    sync.collect(lab.coordinator)
    (status,) = sync.erasure_status(lab.coordinator)
    assert {d for d, _n in status["waiting_for"]} == {alice.device_id}
    sync.receive(alice)
    sync.send(alice)
    sync.collect(lab.coordinator)
    (status,) = sync.erasure_status(lab.coordinator)
    assert status["waiting_for"] == []


def test_an_erased_attachment_is_never_written_again_by_a_cumulative_bundle(
        lab: Lab, tmp_path: Path) -> None:
    lab.second_coordinator()  # has not collected: every bundle stays cumulative from #1
    alice = lab.enrol("alice")
    pid = records.add_participant(lab.coordinator, code="CD-HIV-009")
    sync.publish(lab.coordinator)
    sync.receive(alice)
    iid = records.add_interview(alice, code="CD-HIV-I009", participant_ids=[pid])
    photo = tmp_path / "signed-consent.jpg"
    photo.write_bytes(os.urandom(300_000))
    aid = add_attachment(alice, photo, interview_id=iid)
    sync.send(alice)
    sync.collect(lab.coordinator)
    assert lab.coordinator.attachment_path(aid).exists()
    records.withdraw_consent(lab.coordinator, pid, reason="participant_request")
    assert not lab.coordinator.attachment_path(aid).exists()
    records.add_note(alice, records.add_interview(alice, code="CD-HIV-I010"), body="另一次访谈")
    sent = sync.send(alice)
    assert sent.seq_range[0] == 1 and sent.attachments == 1  # it still carries the photo
    report = sync.collect(lab.coordinator)
    assert [b.status for b in report.bundles if b.author == alice.device_id] == ["merged"]
    files = [p for p in (lab.coordinator.path / "attachments").rglob("*") if p.is_file()]
    assert files == []


def test_a_bundle_with_one_new_note_is_not_held_for_deletes_already_applied(lab: Lab) -> None:
    lab.second_coordinator()  # has not collected: alice's bundles stay cumulative
    alice = lab.enrol("alice")
    orgs = [records.add_organisation(alice, name_zh=f"社会组织{i}") for i in range(71)]
    sync.send(alice)
    sync.collect(lab.coordinator)
    for org in orgs[:58]:
        records.delete(alice, "organisation", org)
    sync.send(alice)
    (held,) = fresh(sync.collect(lab.coordinator))
    assert held.status == "held" and "58 of 71" in held.reason
    (merged,) = fresh(sync.collect(lab.coordinator, confirm_mass_delete=True))
    assert merged.status == "merged"
    iid = records.add_interview(alice, code="KM-GOV-I001")
    records.add_note(alice, iid, body="一条新笔记")
    sent = sync.send(alice)
    assert sent.seq_range[0] == 1  # it carries the 58 deletes again
    assert [b.status for b in fresh(sync.collect(lab.coordinator))] == ["merged"]
    assert len(records.list_records(lab.coordinator, "organisation")) == 13
    assert len(records.notes_of(lab.coordinator, iid)) == 1


# -- tamper-evident history ----------------------------------------------------------------------

def _rewrite_note(ws: Workspace, text: str) -> list[bytes]:
    ops = own_ops(ws)
    ops[_first(ops, "note")]["values"]["body"] = text
    return [line(op) for op in ops]


def test_a_thief_re_signing_trusted_history_is_reported_by_every_coordinator(lab: Lab) -> None:
    second = lab.second_coordinator()
    alice = lab.enrol("alice")
    pid = records.add_participant(alice, code="KM-HIV-050")
    iid = records.add_interview(alice, code="KM-HIV-I050", participant_ids=[pid])
    records.add_note(alice, iid, body="经费拨付延迟三个月")
    genuine = sync.send(alice)
    sync.collect(lab.coordinator)  # the first coordinator merged it; the second has not yet
    trusted = alice.last_seq
    # The laptop is stolen: the thief re-signs the trusted changes with other content.
    forged = lab.craft(alice, _rewrite_note(alice, "该机构从未收到经费"), seq=(1, trusted))
    team.revoke(lab.coordinator, alice.device_id, after_seq=trusted)
    revoked = team.roster(lab.coordinator).device(alice.device_id)
    assert revoked is not None and revoked.trusted_history is not None
    assert genuine.store_path.endswith(revoked.trusted_history[:16] + ".fab")

    first = by_name(sync.collect(lab.coordinator))[forged.name]
    second_report = by_name(sync.collect(second))
    assert (first.status, first.code) == ("rejected", "forged_history")
    forged_there = second_report[forged.name]
    assert (forged_there.status, forged_there.code) == ("rejected", "forged_history")
    assert second_report[Path(genuine.store_path).name].status == "merged"
    for ws in (lab.coordinator, second):
        (note,) = records.notes_of(ws, iid)
        assert note["body"] == "经费拨付延迟三个月"
        assert "sync.forgery" in [e["action"] for e in ws.audit_log()]
    assert table_rows(lab.coordinator.db, "note") == table_rows(second.db, "note")


def test_a_thief_who_removed_the_real_bundle_gets_nothing_merged(lab: Lab) -> None:
    second = lab.second_coordinator()
    alice = lab.enrol("alice")
    records.add_participant(alice, code="ZZ-MIG-051")
    genuine = sync.send(alice)
    sync.collect(lab.coordinator)
    trusted = alice.last_seq
    ops = own_ops(alice)
    ops[0]["values"]["code"] = "ZZ-MIG-999"
    forged = lab.craft(alice, [line(op) for op in ops], seq=(1, trusted))
    (lab.store_dir / genuine.store_path).unlink()
    team.revoke(lab.coordinator, alice.device_id, after_seq=trusted)
    result = by_name(sync.collect(second))[forged.name]
    assert records.list_records(second, "participant") == []
    assert (result.status, result.code) == ("rejected", "forged_history")


def test_a_rewritten_change_of_an_enrolled_device_is_reported(lab: Lab) -> None:
    lab.second_coordinator()  # has not collected: alice's bundles stay cumulative
    alice = lab.enrol("alice")
    iid = records.add_interview(alice, code="NN-DIS-I060")
    records.add_note(alice, iid, body="原始笔记")
    org = records.add_organisation(alice, name_zh="草根组织")
    records.update(alice, "organisation", org, {"name_zh": "草根组织甲"})
    sync.send(alice)
    sync.collect(lab.coordinator)
    # Honest re-sends are not forgeries: the next cumulative bundle carries the same changes,
    # some hollowed out since on the laptop (a delete undone, a name changed twice).
    records.delete(alice, "organisation", org)
    alice.resolve_delete("organisation", org, keep_deleted=False)
    records.update(alice, "organisation", org, {"name_zh": "草根组织乙"})
    assert sync.send(alice).seq_range[0] == 1
    assert [b.status for b in fresh(sync.collect(lab.coordinator))] == ["merged"]
    assert records.get(lab.coordinator, "organisation", org)["name_zh"] == "草根组织乙"
    forged = lab.craft(alice, _rewrite_note(alice, "改写的笔记"), seq=(1, alice.last_seq))
    result = by_name(sync.collect(lab.coordinator))[forged.name]
    assert result.status == "rejected" and "differs" in result.reason
    assert result.code == "forged_history"
    (note,) = records.notes_of(lab.coordinator, iid)
    assert note["body"] == "原始笔记"


def test_a_forgery_put_in_place_of_the_real_bundle_is_refused(lab: Lab) -> None:
    second = lab.second_coordinator()
    alice = lab.enrol("alice")
    iid = records.add_interview(alice, code="KM-NGO-I070")
    records.add_note(alice, iid, body="真实的笔记")
    genuine = lab.store_dir / sync.send(alice).store_path
    forged = lab.craft(alice, _rewrite_note(alice, "伪造的笔记"), seq=(1, alice.last_seq))
    forged.replace(genuine)  # the thief overwrites the real file under its name
    result = by_name(sync.collect(second))[genuine.name]
    assert records.notes_of(second, iid) == []
    assert (result.status, result.code) == ("rejected", "hash_mismatch")
