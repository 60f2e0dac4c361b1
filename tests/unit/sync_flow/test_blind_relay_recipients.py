"""Who can decrypt a note assigned for blind double coding, attacked from outside fieldapp.

A team of a coordinator and four researchers: alice writes an interview note, the coordinator
assigns it to bob and carol; dave is not assigned. Every file of the shared store is then
decrypted with dave's own device key by the real ``age`` program and the plaintext scanned: the
note's text (and, after the release, the coders' codings) must be in none of them -- before,
the team bundle, which every active device can decrypt, carried it. bob's key opens his relay
bundle (``relay/<coordinator>/<tag of bob>/``), which holds the note; bob and carol receive it;
dave's receive succeeds, refuses nothing and reads no other device's folder (only his own, whose
relay bundle is empty); a revoked coder's relay bundles leave the store. A second coordinator
still gets the first one's adjudication (now only in the coders' relay bundles).

Crafted files in bob's relay folder -- a relay bundle validly signed by a researcher's real key,
a coordinator's relay bundle for carol re-encrypted to bob, the team bundle copied there -- are
each refused with a reason, and change nothing on bob's device."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import pytest

from fieldapp.services import blind, records, sync, team
from fieldapp.store.check import table_rows
from fieldapp.store.workspace import Workspace
from fieldapp.sync import layout
from fieldapp.sync.manifest import Audience, AuthorKind
from tests.programs import need
from tests.unit.sync.forge import Forge
from tests.unit.sync_flow.test_hostile_bundles import Lab
from tests.unit.sync_flow.test_team_sync import Team

BODY = "社工站长说：街道办把购买服务的钱挪去修路了，这事不能让区里知道。"
INTERVIEW = "KM-WEL-I047"
TOP = 10**9  # a crafted file's range: the newest name in the folder, so it is the one read


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def _key_file(ws: Workspace, tmp: Path) -> Path:
    path = tmp / f"{ws.device_id}.key"
    path.write_text(team.export_identity(ws) + "\n", encoding="ascii")
    return path


def _readable(store: Path, key: Path) -> dict[str, bytes]:
    """Every file of the store as the holder of ``key`` can read it: decrypted by the real
    ``age`` program when it can be, else as it lies (rosters, requests, acknowledgements)."""
    out: dict[str, bytes] = {}
    for path in sorted(p for p in store.rglob("*") if p.is_file()):
        plain = _age_decrypt(key, path)
        out[path.relative_to(store).as_posix()] = plain if plain is not None else \
            path.read_bytes()
    return out


def _decrypts(store: Path, key: Path) -> set[str]:
    return {path.relative_to(store).as_posix() for path in store.rglob("*.fab")
            if _age_decrypt(key, path) is not None}


def _age_decrypt(key: Path, path: Path) -> bytes | None:
    """``path`` decrypted by the real ``age`` program with ``key``, or None if it cannot."""
    done = subprocess.run([need("age"), "-d", "-i", str(key), str(path)], capture_output=True,
                          timeout=60)
    return done.stdout if done.returncode == 0 else None


def _note_assigned(t: Team, writer: Workspace, readers: tuple[Workspace, ...],
                   coders: tuple[str, str]) -> tuple[str, str]:
    """Everyone has received the team; ``writer`` writes a note (with the interview
    :data:`INTERVIEW`) that the coordinator collects, assigns to ``coders`` and publishes.
    Returns (interview id, note id)."""
    c = t.coordinator
    sync.publish(c)
    for ws in (writer, *readers):
        sync.receive(ws)
    interview = records.add_interview(writer, code=INTERVIEW)
    note = records.add_note(writer, interview, body=BODY)
    sync.send(writer)
    sync.collect(c)
    blind.assign(c, note, *coders)
    sync.publish(c)
    return interview, note


def _ops_in(plain: bytes) -> list[dict[str, object]]:
    with tarfile.open(fileobj=io.BytesIO(plain)) as tf:
        member = tf.extractfile("ops.jsonl")
        assert member is not None
        return [json.loads(x) for x in member.read().splitlines() if x]


def _traces(data: bytes, *texts: str) -> bool:
    """Whether any of ``texts`` is in ``data``, as UTF-8 or as escaped JSON text."""
    return any(text.encode() in data or json.dumps(text)[1:-1].encode() in data
               for text in texts)


def _folder(ws: Workspace, coordinator_id: str) -> str:
    """The relay folder of ``coordinator_id`` for device ``ws``, as the device computes it."""
    return layout.relay_folder(coordinator_id, sync.relay_tag_of(
        ws, team.roster(ws), coordinator_id, team.member_id(ws)))


def _statuses(report: sync.CollectReport) -> dict[str, str]:
    return {b.name: b.status for b in report.bundles}


@pytest.mark.interop
def test_only_the_two_coders_can_decrypt_an_assigned_note(t: Team, tmp_path: Path) -> None:
    alice, bob, carol, dave = (t.enrol(n) for n in ("alice", "bob", "carol", "dave"))
    c = t.coordinator
    code = records.add_code(c, name_zh="资金挪用", name_en="Diversion")
    interview, note = _note_assigned(t, alice, (bob, carol, dave), ("bob", "carol"))

    keys = {ws.device_id: _key_file(ws, tmp_path) for ws in (alice, bob, carol, dave)}
    # dave, with his own key and the age tool, reads the team bundle but no trace of the note.
    seen = _readable(t.store_dir, keys[dave.device_id])
    assert any(name.startswith(layout.TEAM_DIR + "/") for name in
               _decrypts(t.store_dir, keys[dave.device_id]))
    assert not [name for name, data in seen.items() if _traces(data, BODY, INTERVIEW)]
    coordinator_id = team.member_id(c)
    relay = {ws.device_id: _folder(ws, coordinator_id) for ws in (bob, carol, dave)}
    # Nor alice's (she wrote it, but is not a coder: nothing is relayed to her).
    assert not [name for name, data in _readable(t.store_dir, keys[alice.device_id]).items()
                if _traces(data, BODY)]
    # bob's key opens the bundle addressed to him, which holds the note; dave's does not.
    for coder in (bob, carol):
        opened = _decrypts(t.store_dir, keys[coder.device_id])
        (mine,) = [n for n in opened if n.startswith(layout.RELAY_DIR + "/")]
        assert mine.startswith(relay[coder.device_id] + "/")
        plain = _age_decrypt(keys[coder.device_id], t.store_dir / mine)
        assert plain is not None and BODY.encode() in plain
        manifest = json.loads(tarfile.open(fileobj=io.BytesIO(plain)).extractfile(
            "manifest.json").read())  # type: ignore[union-attr]
        assert (manifest["audience"], manifest["to"]) == ("relay", coder.device_id)
        assert sorted(manifest["recipients"]) == sorted(
            team.roster(c).relay_recipients(coder.device_id) or ())
    # dave's key opens one relay bundle: the empty one in his own folder (every active device
    # gets one while blind coding is in use, so the store does not single out the coders).
    (his,) = [n for n in _decrypts(t.store_dir, keys[dave.device_id])
              if n.startswith(layout.RELAY_DIR + "/")]
    assert his.startswith(relay[dave.device_id] + "/")
    plain = _age_decrypt(keys[dave.device_id], t.store_dir / his)
    assert plain is not None and _ops_in(plain) == []

    # Through fieldapp: both coders get the note, dave gets nothing and no refusal, and never
    # reads another device's folder.
    for coder in (bob, carol):
        report = sync.receive(coder)
        assert set(_statuses(report).values()) <= {"merged", "duplicate"}
        assert records.get(coder, "note", note)["body"] == BODY
        assert records.get(coder, "interview", interview)["code"] == INTERVIEW
    report = sync.receive(dave)
    assert report.bundles and set(_statuses(report).values()) <= {"merged", "duplicate"}
    assert all(n.startswith(relay[dave.device_id] + "/") for n in _statuses(report)
               if n.startswith(layout.RELAY_DIR + "/"))
    assert records.find(dave, "note", note) is None
    assert records.find(dave, "interview", interview) is None

    # After the release the coders' codings go to the two coders, still not to dave.
    coded = {records.apply_code(bob, note, code, 0, 6), records.apply_code(carol, note, code, 2, 9)}
    sync.send(bob)
    sync.send(carol)
    sync.collect(c)
    assert blind.release(c, note) == 1
    sync.publish(c)
    for coder in (bob, carol):
        sync.receive(coder)
        assert {x["id"] for x in records.codings_of_note(coder, note)} == coded
    sync.receive(dave)
    assert records.list_records(dave, "coding") == []
    for name, data in _readable(t.store_dir, keys[dave.device_id]).items():
        assert not _traces(data, BODY, *coded), name
    bob_relay = [n for n in _decrypts(t.store_dir, keys[bob.device_id])
                 if n.startswith(layout.RELAY_DIR + "/")]
    (only,) = bob_relay  # cumulative: one file per coder and coordinator
    plain = _age_decrypt(keys[bob.device_id], t.store_dir / only)
    assert plain is not None
    assert {str(op["entity_id"]) for op in _ops_in(plain) if op["entity"] == "coding"} == coded

    # A coder revoked from the team has the relay bundles addressed to her removed from the
    # store (the roster change republishes); the other coder's stay.
    team.revoke(c, carol.device_id, after_seq=None)
    assert not (t.store_dir / relay[carol.device_id]).exists()
    assert len(list((t.store_dir / relay[bob.device_id]).glob("*.fab"))) == 1


def _place(t: Team, forge: Forge, folder: str, seq: tuple[int, int]) -> Path:
    bundle_hash = hashlib.sha256(forge.manifest_bytes()).hexdigest()
    path = t.store_dir / folder / layout.bundle_file_name(*seq, bundle_hash)
    path.parent.mkdir(parents=True, exist_ok=True)
    return forge.build(path)


def test_a_file_in_a_coders_relay_folder_not_made_for_it_is_refused(t: Team) -> None:
    alice, bob, carol = (t.enrol(n) for n in ("alice", "bob", "carol"))
    c = t.coordinator
    interview, note = _note_assigned(t, alice, (bob, carol), ("bob", "carol"))
    sync.receive(bob)
    assert records.get(bob, "note", note)["body"] == BODY
    coordinator_id = team.member_id(c)
    roster = team.roster(c)
    # The coordinator has a second note for bob that he has not received yet.
    second = records.add_note(alice, interview, body="第二条笔记")
    sync.send(alice)
    sync.collect(c)
    blind.assign(c, second, "bob", "carol")
    sync.publish(c)

    def tables() -> dict[str, object]:
        return {name: table_rows(bob.db, name) for name in ("note", "interview", "assignment")}

    before = tables()

    # 1. alice signs, with her real key, a relay bundle for bob carrying a note of her own
    #    making, encrypted exactly as a coordinator's would be, newest in bob's folder.
    def fake(device: str) -> bytes:
        return json.dumps({"device": device, "seq": TOP, "hlc": "000000000000001.000000",
                           "entity": "note", "entity_id": "forged-note-1",
                           "values": {"interview_id": interview, "kind": "field_notes",
                                      "body": "伪造的笔记"}}).encode() + b"\n"

    readers = sorted(roster.relay_recipients(bob.device_id) or ())
    author = SimpleNamespace(roster=roster, device_id=alice.device_id,
                             device_keys=team.device_keys(alice))
    forged = _place(t, Forge(author, ops=fake(alice.device_id), recipients=readers,
                             manifest_changes={"audience": Audience.RELAY, "to": bob.device_id,
                                               "recipients": tuple(readers),
                                               "seq_first": TOP, "seq_last": TOP}),
                    _folder(bob, coordinator_id), (TOP, TOP))
    report = sync.receive(bob)
    (got,) = [b for b in report.bundles if b.name.startswith(layout.RELAY_DIR + "/")]
    assert (got.name.rsplit("/", 1)[-1], got.status, got.code) == (
        forged.name, "rejected", "signer_not_allowed")
    assert "Only a coordinator can address a bundle to one device" in got.reason
    assert records.find(bob, "note", "forged-note-1") is None
    assert {k: v for k, v in tables().items() if k != "assignment"} == {
        k: v for k, v in before.items() if k != "assignment"}  # the team bundle's came
    assert records.find(bob, "note", second) is None
    # Left there, it does not hide the coordinator's relay bundle (named lower) behind it.
    report = sync.receive(bob)
    assert set(_statuses(report).values()) <= {"merged", "duplicate"}
    assert records.get(bob, "note", second)["body"] == "第二条笔记"
    assert records.find(bob, "note", "forged-note-1") is None
    forged.unlink()
    before = tables()

    # 2. The coordinator's (real key) relay bundle for carol, also encrypted to bob: its
    #    manifest names another device.
    coordinator = SimpleNamespace(roster=roster, device_id=coordinator_id,
                                  device_keys=team.device_keys(c))
    for_carol = sorted(roster.relay_recipients(carol.device_id) or ())
    forged = _place(t, Forge(coordinator, ops=fake(c.device_id),
                             recipients=[*for_carol, team.device_keys(bob).identity.recipient],
                             manifest_changes={"audience": Audience.RELAY, "to": carol.device_id,
                                               "author_kind": AuthorKind.COORDINATOR,
                                               "recipients": tuple(for_carol),
                                               "seq_first": TOP, "seq_last": TOP}),
                    _folder(bob, coordinator_id), (TOP, TOP))
    report = sync.receive(bob)
    (got,) = [b for b in report.bundles if b.name.endswith(forged.name)]
    assert (got.status, got.code) == ("rejected", "readdressed")
    assert "addressed to other recipients" in got.reason
    forged.unlink()

    # 3. A new team bundle of the coordinator's (real key, new to bob) moved into bob's relay
    #    folder, in place of his relay bundle.
    code = records.add_code(c, name_en="Diversion")
    sync.publish(c)
    relay = t.store_dir / _folder(bob, coordinator_id)
    for old in relay.glob("*.fab"):
        old.unlink()
    (team_file,) = (t.store_dir / layout.TEAM_DIR / coordinator_id).glob("*.fab")
    moved = team_file.rename(relay / team_file.name)
    report = sync.receive(bob)
    (got,) = report.bundles
    assert (got.name, got.status, got.code) == (
        f"{_folder(bob, coordinator_id)}/{moved.name}", "rejected",
        "readdressed")
    assert "not a coordinator's bundle addressed to that device" in got.reason
    assert records.find(bob, "code", code) is None
    assert {name: table_rows(bob.db, name) for name in ("note", "interview", "assignment")} \
        == before
    # Where it belongs, the same file is merged.
    moved.rename(team_file)
    assert [b.status for b in sync.receive(bob).bundles] == ["merged"]
    assert records.find(bob, "code", code) is not None



def test_a_second_coordinator_gets_the_adjudication_the_coders_receive(tmp_path: Path) -> None:
    """The adjudicator's codings travel only in the coders' relay bundles now; the other
    coordinators, recipients of every relay bundle, collect them from there."""
    with ExitStack() as stack:
        lab = Lab(tmp_path, stack)
        alice, bob = lab.enrol("alice"), lab.enrol("bob")
        c, c2 = lab.coordinator, lab.second_coordinator()
        code = records.add_code(c, name_en="Diversion")
        sync.publish(c)
        for ws in (alice, bob):
            sync.receive(ws)
        interview = records.add_interview(alice, code=INTERVIEW)
        note = records.add_note(alice, interview, body=BODY)
        records.apply_code(alice, note, code, 0, 10)
        sync.send(alice)
        sync.collect(c)
        aid = blind.assign(c, note, "alice", "bob")
        sync.publish(c)
        sync.receive(bob)
        records.apply_code(bob, note, code, 5, 15)
        sync.send(bob)
        sync.collect(c)
        blind.release(c, note)
        (d,) = blind.disagreements(c, aid)
        blind.adjudicate(c, aid, d.key, "both")
        sync.publish(c)
        report = sync.collect(c2)
        assert set(_statuses(report).values()) <= {"merged", "duplicate"}
        assert any(n.startswith(layout.RELAY_DIR + "/") for n, s in _statuses(report).items()
                   if s == "merged")
        kept = [x for x in records.codings_of_note(c2, note) if x["owner"] == c.device_id]
        assert [(x["start_offset"], x["end_offset"]) for x in kept] == [(0, 15)]
        sync.receive(alice)
        kept = [x for x in records.codings_of_note(alice, note) if x["owner"] == c.device_id]
        assert [(x["start_offset"], x["end_offset"]) for x in kept] == [(0, 15)]
