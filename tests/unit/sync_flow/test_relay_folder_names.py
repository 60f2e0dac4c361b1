"""The shared store must not say which researchers hold blind-coding assignments.

Attacked from outside, as whoever holds the store holds it (the synced drive's host, a seized
USB stick): the store is walked as a plain folder tree, and the device ids of the roster (which
is plaintext there, and names the researchers) are looked for in every path. Before, a coder's
relay bundles lay in ``to/<device-id>/<coordinator-id>/``: the folder names were the list of
coders. Now no path says more about a coder than about any other researcher -- the same folders,
the same number of files, rewritten at the same moments.

Relay bundles put in another device's folder are still refused there with their reason, and
folders of the old layout are neither read nor left behind by a coordinator who publishes."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import pytest

from fieldapp.services import blind, records, sync, team
from fieldapp.store.workspace import Workspace
from fieldapp.sync import layout
from fieldapp.sync.manifest import Audience, AuthorKind
from tests.programs import need
from tests.unit.sync.forge import Forge
from tests.unit.sync_flow.test_hostile_bundles import Lab

BODY = "社工站长说：街道办把购买服务的钱挪去修路了，这事不能让区里知道。"
TOP = 10**9
BUNDLE_NAME = re.compile(r"\d{12}-\d{12}-[0-9a-f]{16}\.fab")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield Lab(tmp_path, stack)


def _walk(store: Path) -> list[str]:
    """Every folder and file of the store, as a listing shows it (no fieldapp involved)."""
    return sorted(p.relative_to(store).as_posix() for p in store.rglob("*"))


def _shape(paths: list[str], device_id: str, coordinators: list[str]) -> list[str]:
    """The paths that name ``device_id``, with the id itself, the coordinators' ids and the
    bundle file names (sequence numbers and hashes) blanked out: what the store says about
    that device, whatever the device is called."""
    out = set()
    for path in paths:
        if device_id not in path:
            continue
        path = path.replace(device_id, "<device>")
        for i, cid in enumerate(coordinators):
            path = path.replace(cid, f"<coordinator {i}>")
        out.add("/".join("<bundle>" if BUNDLE_NAME.fullmatch(part) else part
                         for part in path.split("/")))
    return sorted(out)


def _age_payload(path: Path) -> bytes:
    """The encrypted payload of an age file, after its header (``--- <mac>`` line)."""
    data = path.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    end = data.index(b"\n", data.index(b"\n--- ") + 1)
    return data[end + 1:]


def _relay_files(store: Path) -> dict[str, list[str]]:
    """Per relay folder (``relay/<coordinator>/<tag>``), the bundle files in it."""
    return {folder.relative_to(store).as_posix(): sorted(f.name for f in folder.iterdir())
            for folder in sorted(store.glob(f"{layout.RELAY_DIR}/*/*"))}


def test_the_store_does_not_show_who_codes_blind(lab: Lab) -> None:
    researchers = {name: lab.enrol(name) for name in ("alice", "bob", "carol", "dave", "erin")}
    c, c2 = lab.coordinator, lab.second_coordinator()
    coordinators = [team.member_id(c), team.member_id(c2)]
    code = records.add_code(c, name_zh="资金挪用", name_en="Diversion")
    sync.publish(c)
    for name, ws in researchers.items():  # every researcher works and sends, coders or not
        sync.receive(ws)
        records.add_participant(ws, code=f"KM-{name}-001", role="社工")
        sync.send(ws)
    alice = researchers["alice"]
    interview = records.add_interview(alice, code="KM-WEL-I047")
    note = records.add_note(alice, interview, body=BODY)
    sync.send(alice)
    sync.collect(c)
    blind.assign(c, note, "bob", "carol")
    sync.publish(c)
    sync.collect(c2)  # the second coordinator learns the assignment and relays it too
    sync.publish(c2)
    for ws in researchers.values():
        sync.receive(ws)
    assert records.get(researchers["bob"], "note", note)["body"] == BODY  # it did travel

    paths = _walk(lab.store_dir)
    coders = {researchers[n].device_id for n in ("bob", "carol")}
    others = {ws.device_id for ws in researchers.values()} - coders
    # No folder of the old layout, and no path under relay/ names any device.
    assert not [p for p in paths if p.split("/")[0] == layout.LEGACY_RELAY_DIR]
    relayed = [p for p in paths if p.startswith(layout.RELAY_DIR + "/")]
    assert relayed
    for path in relayed:
        for device_id in coders | others:
            assert device_id not in path, path
    # Whatever the store says of a coder, it says the same of every other researcher.
    shapes = {device_id: _shape(paths, device_id, coordinators) for device_id in coders | others}
    assert len({tuple(shape) for shape in shapes.values()}) == 1, shapes
    # One relay folder per active device and coordinator, one bundle in each: the count of
    # folders is the count of researchers, which the roster shows anyway.
    folders = _relay_files(lab.store_dir)
    for cid in coordinators:
        mine = [f for f in folders if f.startswith(f"{layout.RELAY_DIR}/{cid}/")]
        assert len(mine) == len(researchers)
        assert all(re.fullmatch(r"[0-9a-f]{32}", f.rsplit("/", 1)[1]) for f in mine)
    assert all(len(files) == 1 and BUNDLE_NAME.fullmatch(files[0]) for files in folders.values())
    # And one size: a relay bundle is padded (zeros inside the encryption) to a multiple of
    # 100 KiB, so the coders' (a note each) weigh what the empty ones do. The age header
    # alone varies (the age implementation adds a random "grease" stanza to every file).
    payloads = {len(_age_payload(lab.store_dir / f / files[0])) for f, files in folders.items()}
    assert len(payloads) == 1, payloads

    # A change that concerns the coders only (their codings, released) rewrites every
    # researcher's relay bundle, not only theirs: the moments of change single nobody out.
    for name, (start, end) in (("bob", (0, 6)), ("carol", (2, 9))):
        records.apply_code(researchers[name], note, code, start, end)
        sync.send(researchers[name])
    sync.collect(c)
    assert blind.release(c, note) == 1
    sync.publish(c)
    after = _relay_files(lab.store_dir)
    assert after.keys() == folders.keys()
    changed = {f for f in folders if after[f] != folders[f]}
    assert changed == {f for f in folders if f.startswith(f"{layout.RELAY_DIR}/{coordinators[0]}/")}

    # The second coordinator still takes the first one's relay bundles: every folder of it.
    report = sync.collect(c2)
    read = {b.name.rsplit("/", 1)[0] for b in report.bundles
            if b.name.startswith(f"{layout.RELAY_DIR}/{coordinators[0]}/")}
    assert read == changed
    assert {b.status for b in report.bundles} <= {"merged", "duplicate"}
    assert len(records.codings_of_note(c2, note)) == 2


def _tag_folder(ws: Workspace, coordinator_id: str) -> str:
    return layout.relay_folder(coordinator_id, sync.relay_tag_of(
        ws, team.roster(ws), coordinator_id, team.member_id(ws)))


def _assign_blind(lab: Lab, author: Workspace, coders: tuple[str, str], code: str,
                  receivers: tuple[Workspace, ...] = (), body: str = BODY) -> tuple[str, str]:
    """The coordinator publishes (``receivers`` take it), ``author`` sends a note (``body``)
    of a new interview ``code``, the coordinator collects it, assigns it to ``coders`` for
    blind coding and publishes. Returns the note's id and the assignment's."""
    c = lab.coordinator
    sync.publish(c)
    for ws in receivers:
        sync.receive(ws)
    interview = records.add_interview(author, code=code)
    note = records.add_note(author, interview, body=body)
    sync.send(author)
    sync.collect(c)
    aid = blind.assign(c, note, *coders)
    sync.publish(c)
    return note, aid


def test_a_relay_bundle_in_another_devices_folder_is_refused(lab: Lab) -> None:
    bob, carol, dave = (lab.enrol(n) for n in ("bob", "carol", "dave"))
    c = lab.coordinator
    cid = team.member_id(c)
    note, _aid = _assign_blind(lab, bob, ("carol", "dave"), "KM-WEL-I048", (bob, carol, dave))
    interview = records.get(bob, "note", note)["interview_id"]
    # dave's folder name is his alone: carol's tag, and the coordinator's, are other names.
    assert _tag_folder(dave, cid) != _tag_folder(carol, cid)
    assert _tag_folder(dave, cid) in {f for f in _relay_files(lab.store_dir)}
    sync.receive(carol)
    assert records.get(carol, "note", note)["body"] == BODY

    # bob (no coder) gets an empty relay bundle of his own. Whoever holds the store puts
    # dave's genuine relay bundle in bob's folder instead: it is not for bob's key.
    theirs = lab.store_dir / _tag_folder(dave, cid)
    mine = lab.store_dir / _tag_folder(bob, cid)
    (own,) = mine.glob("*.fab")
    own.unlink()
    (genuine,) = theirs.glob("*.fab")
    shutil.copy(genuine, mine / genuine.name)
    report = sync.receive(bob)
    got = {b.name: (b.status, b.code) for b in report.bundles
           if b.name.startswith(layout.RELAY_DIR + "/")}
    assert got == {f"{_tag_folder(bob, cid)}/{genuine.name}": ("rejected", "not_for_us")}
    (mine / genuine.name).unlink()

    roster = team.roster(c)
    for_dave = sorted(roster.relay_recipients(dave.device_id) or ())
    line = (b'{"device": "%s", "seq": %d, "hlc": "000000000000001.000000", "entity": "note", '
            b'"entity_id": "planted-1", "values": {"interview_id": "%s", "kind": "memo", '
            b'"body": "x"}}\n')

    def plant(author: Workspace, kind: AuthorKind, to: str) -> Path:
        who = SimpleNamespace(roster=roster, device_id=team.member_id(author),
                              device_keys=team.device_keys(author))
        forge = Forge(who, ops=line % (author.device_id.encode(), TOP, interview.encode()),
                      recipients=[*for_dave, team.device_keys(bob).identity.recipient],
                      manifest_changes={"audience": Audience.RELAY, "to": to,
                                        "author_kind": kind, "recipients": tuple(for_dave),
                                        "seq_first": TOP, "seq_last": TOP})
        name = layout.bundle_file_name(TOP, TOP, hashlib.sha256(forge.manifest_bytes()).hexdigest())
        return forge.build(mine / name)

    # The coordinator's own key, a relay bundle for dave, encrypted to bob as well: refused
    # in bob's folder because it names another device.
    planted = plant(c, AuthorKind.COORDINATOR, dave.device_id)
    (got_one,) = [b for b in sync.receive(bob).bundles if b.name.endswith(planted.name)]
    assert (got_one.status, got_one.code) == ("rejected", "readdressed")
    planted.unlink()
    # A researcher's real key, a relay bundle "for bob": only a coordinator addresses one.
    planted = plant(carol, AuthorKind.DEVICE, bob.device_id)
    (got_one,) = [b for b in sync.receive(bob).bundles if b.name.endswith(planted.name)]
    assert (got_one.status, got_one.code) == ("rejected", "signer_not_allowed")
    planted.unlink()
    assert records.find(bob, "note", "planted-1") is None
    assert [n["id"] for n in records.list_records(bob, "note")] == [note]  # his own only
    # The next publish puts bob's own relay bundle back, and he takes it.
    sync.publish(c)
    assert {b.status for b in sync.receive(bob).bundles} <= {"merged", "duplicate"}


def test_old_relay_folders_are_not_read_and_a_coordinator_removes_its_own(lab: Lab) -> None:
    """Relay bundles of the old layout (``to/<device>/<coordinator>/``) told the store who
    codes. A device no longer reads there (a coordinator on this version republishes under
    the tag names at once); a coordinator who publishes empties and removes its own such
    folders, and the device folders once no other coordinator's is left in them."""
    bob, carol = lab.enrol("bob"), lab.enrol("carol")
    c = lab.coordinator
    cid = team.member_id(c)
    note, _aid = _assign_blind(lab, bob, ("carol", "bob"), "KM-WEL-I049", (bob, carol))
    # What an earlier version left: carol's relay bundle under her device id, and one of a
    # coordinator still on that version under bob's.
    (genuine,) = (lab.store_dir / _tag_folder(carol, cid)).glob("*.fab")
    old = lab.store_dir / layout.LEGACY_RELAY_DIR / carol.device_id / cid
    old.mkdir(parents=True)
    shutil.copy(genuine, old / genuine.name)
    genuine.unlink()  # and none under the tag names yet
    other = lab.store_dir / layout.LEGACY_RELAY_DIR / bob.device_id / "coordinator-on-old-version"
    other.mkdir(parents=True)
    shutil.copy(old / genuine.name, other / genuine.name)

    report = sync.receive(carol)
    assert not [b for b in report.bundles if b.name.startswith(layout.LEGACY_RELAY_DIR + "/")]
    assert records.find(carol, "note", note) is None  # not read from the old folder

    sync.publish(c)
    left = [p for p in _walk(lab.store_dir) if p.split("/")[0] == layout.LEGACY_RELAY_DIR]
    assert left == [f"{layout.LEGACY_RELAY_DIR}", f"{layout.LEGACY_RELAY_DIR}/{bob.device_id}",
                    f"{layout.LEGACY_RELAY_DIR}/{bob.device_id}/coordinator-on-old-version",
                    f"{layout.LEGACY_RELAY_DIR}/{bob.device_id}/coordinator-on-old-version/"
                    f"{genuine.name}"]
    sync.receive(carol)
    assert records.get(carol, "note", note)["body"] == BODY


def test_a_revoked_coders_folder_goes_and_blind_coding_ended_leaves_no_folder(lab: Lab) -> None:
    bob, carol, dave = (lab.enrol(n) for n in ("bob", "carol", "dave"))
    c = lab.coordinator
    cid = team.member_id(c)
    _note, aid = _assign_blind(lab, bob, ("carol", "dave"), "KM-WEL-I050", (bob, carol, dave))
    assert len(_relay_files(lab.store_dir)) == 3
    gone = _tag_folder(carol, cid)
    team.revoke(c, carol.device_id, after_seq=None)
    sync.publish(c)
    assert gone not in _relay_files(lab.store_dir) and len(_relay_files(lab.store_dir)) == 2
    records.delete(c, "assignment", aid)
    sync.publish(c)
    assert not (lab.store_dir / layout.RELAY_DIR).exists()


@pytest.mark.interop
def test_a_padded_relay_bundle_opens_with_age_and_tar_alone(lab: Lab, tmp_path: Path) -> None:
    """The padding is zero blocks after the archive's end, as tar writers leave them: the
    real ``age`` and ``tar`` programs unpack a relay bundle as they do any other."""
    age, tar = need("age"), need("tar")
    bob, carol = lab.enrol("bob"), lab.enrol("carol")
    c = lab.coordinator
    _assign_blind(lab, bob, ("bob", "carol"), "KM-WEL-I051")
    (path,) = (lab.store_dir / _tag_folder(carol, team.member_id(c))).glob("*.fab")
    key = tmp_path / "carol.key"
    key.write_text(team.export_identity(carol) + "\n", encoding="ascii")
    plain = subprocess.run([age, "-d", "-i", str(key), str(path)], capture_output=True,
                           check=True, timeout=60).stdout
    assert len(plain) % (100 * 1024) == 0
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([tar, "-x", "-v", "-C", str(out)], input=plain, capture_output=True,
                          timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "manifest.json.minisig",
                                                     "ops.jsonl"]
    assert BODY.encode() in (out / "ops.jsonl").read_bytes()


def test_a_coordinator_takes_only_the_other_coordinators_relay_bundles_from_its_folders(
        lab: Lab) -> None:
    """Another coordinator cannot compute the tags: it reads every relay folder of the first,
    and there takes only that coordinator's relay bundles (for any active device)."""
    bob, carol = lab.enrol("bob"), lab.enrol("carol")
    c, c2 = lab.coordinator, lab.second_coordinator()
    cid, cid2 = team.member_id(c), team.member_id(c2)
    _assign_blind(lab, bob, ("bob", "carol"), "KM-WEL-I052", (bob, carol))
    sync.collect(c2)
    sync.publish(c2)  # c2 relays too, into relay/<c2>/...
    records.add_code(c, name_en="Diversion")
    sync.publish(c)  # new bundles of c's, not yet collected by c2
    folder = lab.store_dir / _tag_folder(carol, cid)
    # Each planted file lies under c's folder as the newest, in place of c's own.
    (own,) = folder.glob("*.fab")
    own.unlink()
    # c2's relay bundle for carol, moved into c's folder for her: c2's own, not c's.
    (c2_relay,) = (lab.store_dir / _tag_folder(carol, cid2)).glob("*.fab")
    moved = folder / c2_relay.name
    shutil.copy(c2_relay, moved)
    report = sync.collect(c2)
    (got,) = [b for b in report.bundles if b.name.endswith(moved.name)
              and b.name.startswith(f"{layout.RELAY_DIR}/{cid}/")]
    assert (got.status, got.code) == ("rejected", "readdressed")
    moved.unlink()
    # c's next team bundle (c2 has not taken it yet) moved there.
    records.add_code(c, name_en="Funding")
    sync.publish(c)
    for f in folder.glob("*.fab"):
        f.unlink()
    (team_file,) = (lab.store_dir / layout.TEAM_DIR / cid).glob("*.fab")
    team_file.rename(folder / team_file.name)
    report = sync.collect(c2)
    (got,) = [b for b in report.bundles if b.name.startswith(f"{layout.RELAY_DIR}/{cid}/")
              and b.name.endswith(team_file.name)]
    assert (got.status, got.code) == ("rejected", "readdressed")
    # Everything else c relayed (bob's folder) was taken.
    assert {b.status for b in report.bundles if b.name != got.name} <= {
        "merged", "duplicate", "ignored"}


@pytest.mark.interop
def test_a_long_transcript_relayed_to_its_coders_does_not_make_their_bundles_larger(
        lab: Lab, tmp_path: Path) -> None:
    """A coder's relay bundle holding a long transcript (far over one 100 KiB quantum) has the
    size of every other researcher's: the others are padded inside the encryption to the
    largest, with a member of zeros that readers take and keep nothing of. Before, the size
    said "a coder, with this much text"."""
    age, tar = need("age"), need("tar")
    bob, carol, dave, erin = (lab.enrol(n) for n in ("bob", "carol", "dave", "erin"))
    c = lab.coordinator
    cid = team.member_id(c)
    transcript = "".join(f"第{i}段：{BODY}\n" for i in range(3000))  # about 400 KiB
    assert len(transcript.encode()) > 3 * 100 * 1024
    long_note, _aid = _assign_blind(lab, bob, ("carol", "dave"), "KM-WEL-I053",
                                    (bob, carol, dave, erin), body=transcript)

    folders = _relay_files(lab.store_dir)
    assert len(folders) == 4
    payloads = {f: len(_age_payload(lab.store_dir / f / files[0])) for f, files in folders.items()}
    assert len(set(payloads.values())) == 1, payloads
    assert min(payloads.values()) > 4 * 100 * 1024
    # Nor does the order they were written in (their times in the store): the roster's.
    by_time = sorted(folders, key=lambda f: (lab.store_dir / f / folders[f][0]).stat().st_mtime_ns)
    roster_order = [d.device_id for d in team.roster(c).devices]
    folder_of = {ws.device_id: _tag_folder(ws, cid) for ws in (bob, carol, dave, erin)}
    assert by_time == [folder_of[d] for d in roster_order if d in folder_of]

    # The coders receive the transcript; erin (no coder) receives nothing and keeps no file.
    for ws in (carol, dave, erin):
        report = sync.receive(ws)
        assert {b.status for b in report.bundles} <= {"merged", "duplicate"}, report.bundles
    assert records.get(carol, "note", long_note)["body"] == transcript
    assert records.find(erin, "note", long_note) is None
    assert not [p for p in (erin.path / "attachments").rglob("*") if p.is_file()]

    # erin's relay bundle, as age and tar alone unpack it: the filler is zeros, which the
    # coordinator's description of the file does not count as an attachment.
    (path,) = (lab.store_dir / _tag_folder(erin, cid)).glob("*.fab")
    described = sync.inspect_bundle(c, path)
    assert (described["audience"], described["attachments"], described["ops"]) == ("relay", 0, 0)
    key = tmp_path / "erin.key"
    key.write_text(team.export_identity(erin) + "\n", encoding="ascii")
    plain = subprocess.run([age, "-d", "-i", str(key), str(path)], capture_output=True,
                           check=True, timeout=60).stdout
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([tar, "-x", "-C", str(out)], input=plain, capture_output=True,
                          timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    (filler,) = (out / "attachments").iterdir()
    data = filler.read_bytes()
    assert len(data) > 3 * 100 * 1024 and not any(data)
    assert filler.name == hashlib.sha256(data).hexdigest()
    assert transcript.encode() not in plain and "第1段".encode() not in plain
