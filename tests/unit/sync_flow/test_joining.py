"""Joining and setting up cannot leave a dead workspace: a mistyped root key or team id is caught
at once, the root fingerprint is compared, a team can be left without losing records and joined
again, and creating a team checks the store (a real WebDAV server on loopback) before saving."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.services import records, sync, team
from fieldapp.store.errors import FieldappError
from fieldapp.store.workspace import Workspace
from fieldapp.sync.errors import SyncError
from tests.unit.sync.webdav_server import PASSWORD, USER, run_server
from tests.unit.sync_flow.test_team_sync import Team

BASE64 = string.ascii_letters + string.digits + "+/"


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def team_meta(ws: Workspace) -> dict[str, str]:
    keys = ("team.role", "team.keys", "team.root_public", "team.team_id", "team.store",
            "team.roster", "team.member_id")
    return {k: ws.meta(k) for k in keys}


def test_a_root_key_or_team_id_with_one_wrong_character_is_refused_at_once(t: Team) -> None:
    invite = team.invitation(t.coordinator)
    key, team_id = invite["root_key"], invite["team_id"]
    ws = t.workspace("alice")
    before = team_meta(ws)
    typos = []
    for i, c in enumerate(key):
        if c == "-":
            continue
        pool = BASE64 if i < key.index("-") else "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        typos.append((key[:i] + pool[(pool.index(c) + 7) % len(pool)] + key[i + 1:], team_id))
    for i, c in enumerate(team_id):
        if c != "-":
            other = "0123456789abcdef"[("0123456789abcdef".index(c) + 3) % 16]
            typos.append((key, team_id[:i] + other + team_id[i + 1:]))
    assert len(typos) > 90
    for bad_key, bad_id in typos:
        with pytest.raises((SyncError, FieldappError)):
            team.request_to_join(ws, team_id=bad_id, root_key=bad_key, researcher="alice",
                                 store=t.store)
        assert team_meta(ws) == before  # nothing saved: the next attempt can succeed
    assert not list((t.store_dir / "join").glob("*.request")) if (t.store_dir / "join").exists() \
        else True
    # Typed with a Chinese input method (full-width), with spaces and a lower-case code: fine.
    widened = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in key[:20]) + key[20:]
    fp = team.request_to_join(ws, team_id=f" {team_id} ", root_key=widened[:30] + " " +
                              widened[30:-8] + key[-8:].lower(), researcher="alice",
                              store=t.store)
    assert fp == team.fingerprint(ws)
    assert team.root_fingerprint(ws) == invite["root_fingerprint"]


def test_a_bare_root_key_needs_the_fingerprint_read_out(t: Team) -> None:
    invite = team.invitation(t.coordinator)
    bare = invite["root_key"].rpartition("-")[0]
    ws = t.workspace("alice")
    with pytest.raises(FieldappError, match="fingerprint"):
        team.request_to_join(ws, team_id=invite["team_id"], root_key=bare, researcher="alice",
                             store=t.store)
    typo = bare[:10] + ("A" if bare[10] != "A" else "B") + bare[11:]
    with pytest.raises(SyncError, match="fingerprint differs"):
        team.request_to_join(ws, team_id=invite["team_id"], root_key=typo, researcher="alice",
                             store=t.store, root_fingerprint=invite["root_fingerprint"])
    assert team.role(ws) == ""
    team.request_to_join(ws, team_id=invite["team_id"], root_key=bare, researcher="alice",
                         store=t.store, root_fingerprint=invite["root_fingerprint"])
    assert team.root_fingerprint(ws) == team.roster(t.coordinator).root_fingerprint()


def test_leaving_keeps_every_record_and_joining_again_needs_no_new_approval(t: Team) -> None:
    alice = t.enrol("alice")
    pid = records.add_participant(alice, code="KM-HIV-201")
    sync.send(alice)
    sync.collect(t.coordinator)
    records.add_participant(alice, code="KM-HIV-202")  # not sent yet
    team.renew(t.coordinator)
    team.refresh_roster(alice)
    fingerprint = team.fingerprint(alice)
    unsent = team.leave_team(alice)
    assert unsent == 1
    assert team.role(alice) == "" and team.roster_versions(alice) == []
    assert alice.meta("team.store") == ""  # the WebDAV password would be here
    with pytest.raises(team.NotInTeam):
        sync.send(alice)
    assert records.find(alice, "participant", pid) is not None
    assert {p["code"] for p in records.list_records(alice, "participant")} == {"KM-HIV-201",
                                                                             "KM-HIV-202"}
    assert "team.leave" in [e["action"] for e in alice.audit_log()]
    # Join again: the same device keys, still in the roster, so no new approval is needed.
    invite = team.invitation(t.coordinator)
    assert team.request_to_join(alice, team_id=invite["team_id"], root_key=invite["root_key"],
                                researcher="alice", store=t.store) == fingerprint
    sync.send(alice)
    sync.collect(t.coordinator)
    assert {p["code"] for p in records.list_records(t.coordinator, "participant")} == {
        "KM-HIV-201", "KM-HIV-202"}
    assert team.pending_join_requests(t.coordinator) == []


def test_the_root_key_holder_leaves_only_when_told_to_forget_the_key(t: Team) -> None:
    org = records.add_organisation(t.coordinator, name_zh="星语康复中心")
    with pytest.raises(FieldappError, match="root key"):
        team.leave_team(t.coordinator)
    assert team.role(t.coordinator) == team.ROLE_COORDINATOR
    team.leave_team(t.coordinator, forget_root_key=True)
    assert t.coordinator.meta("team.root_key") == "" and team.role(t.coordinator) == ""
    assert records.find(t.coordinator, "organisation", org) is not None


def test_requests_hide_devices_approved_as_coordinators_and_survive_a_bad_file(t: Team) -> None:
    erin = t.workspace("erin")
    bob = t.workspace("bob")
    invite = team.invitation(t.coordinator)
    fp = team.request_to_join(erin, team_id=invite["team_id"], root_key=invite["root_key"],
                              researcher="erin", store=t.store)
    team.request_to_join(bob, team_id=invite["team_id"], root_key=invite["root_key"],
                         researcher="bob", store=t.store)
    (t.store_dir / "join" / "garbage.request").write_bytes(b"\x00not a request")
    unreadable: list[str] = []
    pending = team.pending_join_requests(t.coordinator, unreadable)
    assert {r["researcher"] for r in pending} == {"erin", "bob"}
    assert unreadable == ["join/garbage.request"]
    team.approve(t.coordinator, erin.device_id, fp, as_coordinator=True)
    assert [r["researcher"] for r in team.pending_join_requests(t.coordinator)] == ["bob"]


@pytest.mark.interop
def test_create_over_webdav_checks_the_store_before_saving_so_a_retry_works(
        tmp_path: Path) -> None:
    root = tmp_path / "dav"
    root.mkdir()
    with ExitStack() as stack:
        ws, _recovery = Workspace.initialise(tmp_path / "coord", "correct horse battery staple",
                                             researcher="王")
        stack.callback(ws.close)
        with run_server(root) as dav:
            missing = team.StoreConfig(dav.url + "no-such-collection/", USER, PASSWORD)
            before = team_meta(ws)
            with pytest.raises(SyncError, match="nothing was saved"):
                team.create_team(ws, team_name="福利外包研究", coordinator_name="王",
                                 store=missing)
            assert team_meta(ws) == before and ws.meta("team.root_key") == ""
            (root / "no-such-collection").mkdir()
            created = team.create_team(ws, team_name="福利外包研究", coordinator_name="王",
                                       store=missing)
            stored = json.loads((root / "no-such-collection/roster/roster.json").read_bytes())
            assert stored["team_id"] == created.team_id
            # Another workspace pointed at the same store cannot overwrite the team's roster.
            other, _r = Workspace.initialise(tmp_path / "other", "correct horse battery staple",
                                             researcher="李")
            stack.callback(other.close)
            with pytest.raises(FieldappError, match="already holds"):
                team.create_team(other, team_name="x", coordinator_name="李", store=missing)
            assert team.role(other) == ""
            assert json.loads((root / "no-such-collection/roster/roster.json").read_bytes()
                              )["team_id"] == created.team_id
        # An unreachable folder: nothing saved either, and the retry works once it is there.
        folder = tmp_path / "usb" / "team"
        with pytest.raises(SyncError):
            team.create_team(other, team_name="Team", coordinator_name="李",
                             store=team.StoreConfig(str(folder)))
        assert team.role(other) == ""
        folder.mkdir(parents=True)
        team.create_team(other, team_name="Team", coordinator_name="李",
                         store=team.StoreConfig(str(folder)))
        assert team.role(other) == team.ROLE_COORDINATOR
