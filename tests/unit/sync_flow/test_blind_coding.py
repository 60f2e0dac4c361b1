"""Blind double coding through real bundles in a shared folder: a coordinator and three
researchers (alice writes the interview and codes it, bob codes it too, carol is not assigned).

Before the release, bob's codings are in no read path of alice's workspace (coding panel,
query, co-occurrence, export, the change log itself) nor in the team and relay bundles she can
decrypt with her own key; carol holds neither the note nor any coding (that she cannot decrypt
them either is test_blind_relay_recipients.py's). After the release both coders see each
other's work; the coordinator computes agreement on the pair and adjudicates."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.export.options import ExportOptions
from fieldapp.services import analysis, blind, export, records, search, sync, team
from fieldapp.store.check import check
from fieldapp.store.errors import InvalidInput
from fieldapp.store.workspace import Workspace
from fieldapp.sync import layout
from fieldapp.sync.bundle import open_bundle
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE
from tests.unit.sync_flow.test_team_sync import Team

BODY = "政府购买服务的资金经常拨付延迟，机构只能先垫付。"  # 24 code points


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Team]:
    with ExitStack() as stack:
        yield Team(tmp_path, stack)


def _readable_ops(t: Team, reader: Workspace) -> list[dict[str, object]]:
    """Every operation of the coordinator's team bundle and of its relay bundle for
    ``reader``, decrypted with ``reader``'s own key: what a coder could see with the age tool
    and a hex editor (other devices' relay bundles are not encrypted to it)."""
    coordinator_id = team.member_id(t.coordinator)
    (path,) = [p for p in (t.store_dir / layout.TEAM_DIR / coordinator_id).iterdir()
               if p.suffix == ".fab"]
    relay = t.store_dir / layout.relay_folder(coordinator_id, sync.relay_tag_of(
        reader, team.roster(reader), coordinator_id, reader.device_id))
    paths = [path, *(relay.glob("*.fab") if relay.exists() else ())]
    return [dict(op) for p in paths
            for op in open_bundle(p, identity=team.device_keys(reader).identity,
                                  roster=team.roster(reader)).iter_ops()]


def _coders_in_export(ws: Workspace, out: Path) -> set[str]:
    export.export(ws, out, ExportOptions(format="csv"))
    (codings,) = [p for p in out.iterdir() if p.name.lower().startswith("coding")]
    with open(codings, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    return {cell for row in rows[1:] for cell in row if cell in ("alice", "bob", "Coordinator")}


def _reads(ws: Workspace, note_id: str, tmp: Path) -> dict[str, object]:
    """What a coder sees of a note's codings through every read path."""
    owners = {c["owner"] for c in records.codings_of_note(ws, note_id)}  # the coding panel
    passages = analysis.run_query(ws, "Delay OR Funding").passages
    _corpus, matrix = analysis.cooccurrence(ws)
    return {"panel": owners,
            "query": {(p.start, p.end) for p in passages},
            "cooccurrence": dict(matrix.counts),
            "export": _coders_in_export(ws, Path(tempfile.mkdtemp(dir=tmp)) / "out"),
            "log": {op.device for op in ws.ops(entities=("coding",))}}


def test_codings_stay_apart_until_release_then_agreement_and_adjudication(
        t: Team, tmp_path: Path) -> None:
    alice, bob, carol = t.enrol("alice"), t.enrol("bob"), t.enrol("carol")
    c = t.coordinator
    delay = records.add_code(c, name_zh="拨付延迟", name_en="Delay")
    funding = records.add_code(c, name_zh="资金", name_en="Funding")
    sync.publish(c)
    for ws in (alice, bob, carol):
        sync.receive(ws)
    interview = records.add_interview(alice, code="KM-HIV-I001")
    note = records.add_note(alice, interview, body=BODY)
    records.apply_code(alice, note, delay, 0, 10)
    sync.send(alice)
    sync.collect(c)

    # Coordinators cannot code blind; a researcher cannot assign.
    with pytest.raises(InvalidInput):
        blind.assign(c, note, "alice", "Coordinator")
    with pytest.raises(InvalidInput):
        blind.assign(alice, note, "alice", "bob")
    aid = blind.assign(c, note, "alice", "bob")
    sync.publish(c)
    for ws in (alice, bob, carol):
        sync.receive(ws)

    # bob received the note to code; carol (not assigned) holds nothing of it.
    assert records.get(bob, "note", note)["body"] == BODY
    assert records.find(carol, "note", note) is None
    assert records.find(carol, "interview", interview) is None
    assert search.search(carol, "拨付") == []
    assert [r.note_id for r in search.search(bob, "拨付")] == [note]
    assert blind.blind_notes(bob) == {note}
    assert records.codings_of_note(bob, note) == []  # alice's coding is not relayed

    records.apply_code(bob, note, delay, 5, 15)
    records.apply_code(bob, note, funding, 0, 4)
    sync.send(bob)
    records.apply_code(alice, note, funding, 0, 4)  # agree on Funding
    sync.send(alice)
    sync.collect(c)
    sync.publish(c)
    for ws in (alice, bob, carol):
        sync.receive(ws)

    # Before the release: nothing of bob's in any read path of alice's, and the reverse.
    a_reads = _reads(alice, note, tmp_path)
    assert a_reads["panel"] == {alice.device_id}
    assert a_reads["log"] == {alice.device_id}
    assert a_reads["query"] == {(0, 10)}  # alice's Delay [0,10) with her Funding [0,4) inside
    assert a_reads["export"] == {"alice"}
    b_reads = _reads(bob, note, tmp_path)
    assert b_reads["panel"] == b_reads["log"] == {bob.device_id}
    assert b_reads["query"] == {(0, 4), (5, 15)}
    assert b_reads["export"] == {"bob"}
    # Nor in the team bundle and her relay bundle, which alice can decrypt with her own key;
    # the relay bundle holds the note she was assigned.
    readable = _readable_ops(t, alice)
    assert [op for op in readable if op["entity"] == "coding"] == []
    assert note in {op["entity_id"] for op in readable if op["entity"] == "note"}
    assert records.list_records(carol, "coding") == []

    # The coordinator has both and computes agreement on the pair.
    result = blind.agreement_of(c, aid)
    assert (result.first, result.second) == (alice.device_id, bob.device_id)
    per = {(r.code_id, r.unit): r.table for r in result.per_code}
    # Delay, characters, coded text only (0..15): both 5..10, alice only 0..5, bob only 10..15.
    assert (per[(delay, "character")].both, per[(delay, "character")].first_only,
            per[(delay, "character")].second_only, per[(delay, "character")].neither) == (
        5, 5, 5, 0)
    # Funding: both on 0..4, neither on the rest of the coded text.
    f = per[(funding, "character")]
    assert (f.both, f.first_only, f.second_only, f.neither) == (4, 0, 0, 11)
    (row,) = blind.overview(c)
    assert row["agreement"] is not None and row["released"] is False

    # Release: each coder now sees the other's codings, through every read path.
    assert blind.release(c, note) == 1
    sync.publish(c)
    for ws in (alice, bob, carol):
        sync.receive(ws)
    assert blind.blind_notes(alice) == set()
    for ws in (alice, bob):
        reads = _reads(ws, note, tmp_path)
        assert reads["panel"] == reads["log"] == {alice.device_id, bob.device_id}
        assert reads["query"] == {(0, 15)}
        assert reads["export"] == {"alice", "bob"}
        assert check(ws).ok
    assert records.list_records(carol, "coding") == []
    assert records.find(carol, "note", note) is None
    # Agreement on alice's device, now that bob's work is there, equals the coordinator's.
    assert blind.agreement_of(alice, aid) == result

    # Adjudication: Delay differs on 0..15; Funding agrees.
    (d,) = blind.disagreements(c, aid)
    assert (d.code_id, d.start, d.end, d.a_spans, d.b_spans) == (
        delay, 0, 15, ((0, 10),), ((5, 15),))
    blind.adjudicate(c, aid, d.key, "a")
    blind.adjudicate(c, aid, d.key, "both")  # changed: the first decision's coding goes
    mine = [x for x in records.codings_of_note(c, note) if x["owner"] == c.device_id]
    assert [(x["code_id"], x["start_offset"], x["end_offset"]) for x in mine] == [
        (delay, 0, 15)]
    (again,) = blind.disagreements(c, aid)
    assert again.decision == "both"
    sync.publish(c)
    sync.receive(alice)
    kept = [x for x in records.codings_of_note(alice, note) if x["owner"] == c.device_id]
    assert [(x["start_offset"], x["end_offset"]) for x in kept] == [(0, 15)]
    (decided,) = records.list_records(alice, "adjudication")
    assert decided["decision"] == "both"
    assert check(c).ok and check(alice).ok


def test_a_forged_assignment_or_release_from_a_researcher_relays_nothing(t: Team) -> None:
    alice, bob = t.enrol("alice"), t.enrol("bob")
    c = t.coordinator
    code = records.add_code(c, name_en="Delay")
    sync.publish(c)
    for ws in (alice, bob):
        sync.receive(ws)
    interview = records.add_interview(alice, code="KM-HIV-I002")
    note = records.add_note(alice, interview, body=BODY)
    other = records.add_note(alice, interview, body="另一条笔记，没有分配。")
    records.apply_code(alice, note, code, 0, 10)
    sync.send(alice)
    sync.collect(c)
    aid = blind.assign(c, note, "alice", "bob")
    sync.publish(c)
    sync.receive(bob)
    records.apply_code(bob, note, code, 2, 8)
    # bob writes the release himself, and an assignment of alice's other note to himself,
    # straight into his change log (past the service's check), and sends them.
    records.update(bob, "assignment", aid, {"released": True})
    bob.create("assignment", {"note_id": other, "coder_a": bob.device_id,
                              "coder_b": alice.device_id, "released": True})
    sync.send(bob)
    sync.collect(c)
    assert [a.released for a in blind.assignments(c)] == [False]
    sync.publish(c)
    sync.receive(alice)
    sync.receive(bob)
    assert {x["owner"] for x in records.codings_of_note(alice, note)} == {alice.device_id}
    assert {x["owner"] for x in records.codings_of_note(bob, note)} == {bob.device_id}
    assert records.find(bob, "note", other) is None
    ops = _readable_ops(t, bob)
    assert not [op for op in ops if op["entity"] == "coding"]
    assert not [op for op in ops if op["entity_id"] == other]


def _cli(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE, "FIELDAPP_LANG": lang}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_assign_release_assignments_adjudicate(t: Team) -> None:
    alice, bob = t.enrol("alice"), t.enrol("bob")
    c = t.coordinator
    code = records.add_code(c, name_zh="拨付延迟", name_en="Delay")
    sync.publish(c)
    for ws in (alice, bob):
        sync.receive(ws)
    interview = records.add_interview(alice, code="KM-HIV-I003")
    note = records.add_note(alice, interview, body=BODY)
    records.apply_code(alice, note, code, 0, 10)
    sync.send(alice)
    sync.collect(c)
    path = str(c.path)
    c.close()

    # Bad input: exit 1, a message naming the problem, nothing changed.
    bad = _cli("analysis", "assign", path, "--note", note, "--coders", "alice")
    assert bad.returncode == 1 and "two coders" in bad.stderr and "Traceback" not in bad.stderr
    bad = _cli("analysis", "assign", path, "--note", note, "--coders", "alice,Coordinator")
    assert bad.returncode == 1 and "cannot code blind" in bad.stderr
    made = _cli("analysis", "assign", path, "--note", note, "--coders", "alice,bob", lang="zh_CN")
    assert made.returncode == 0, made.stderr
    again = _cli("analysis", "assign", path, "--note", note, "--coders", "alice,bob")
    assert again.returncode == 1 and "already assigned" in again.stderr
    listed = json.loads(_cli("analysis", "assignments", path, "--json").stdout)["assignments"]
    assert [(r["note_id"], r["coder_a"]["name"], r["coder_b"]["name"], r["released"])
            for r in listed] == [(note, "alice", "bob", False)]
    aid = listed[0]["id"]

    c = t.stack.enter_context(Workspace.open(path, PASSPHRASE))
    sync.publish(c)
    sync.receive(bob)
    records.apply_code(bob, note, code, 5, 15)
    sync.send(bob)
    sync.collect(c)
    c.close()

    shown = _cli("analysis", "agreement", path, "--assignment", aid, "--json")
    assert shown.returncode == 0, shown.stderr
    figures = json.loads(shown.stdout)
    assert figures["first"]["name"] == "alice" and figures["second"]["name"] == "bob"
    assert figures["overall"]["character"]["both"] == 5
    out = _cli("analysis", "adjudicate", path, aid, "--json")
    (d,) = json.loads(out.stdout)["disagreements"]
    assert (d["start"], d["end"], d["a"], d["b"], d["decision"]) == (
        0, 15, [[0, 10]], [[5, 15]], None)
    early = _cli("analysis", "adjudicate", path, aid, "--resolve", d["key"], "--keep", "b")
    assert early.returncode == 1 and "Release the note before adjudicating" in early.stderr
    assert _cli("analysis", "release", path, "--all").returncode == 0
    bad = _cli("analysis", "adjudicate", path, aid, "--resolve", "nope:1-2", "--keep", "a")
    assert bad.returncode == 1 and "No disagreement" in bad.stderr
    done = _cli("analysis", "adjudicate", path, aid, "--resolve", d["key"], "--keep", "b")
    assert done.returncode == 0, done.stderr
    listed = json.loads(_cli("analysis", "assignments", path, "--json").stdout)["assignments"]
    assert listed[0]["released"] is True

    c = t.stack.enter_context(Workspace.open(path, PASSPHRASE))
    kept = [x for x in records.codings_of_note(c, note) if x["owner"] == c.device_id]
    assert [(x["start_offset"], x["end_offset"]) for x in kept] == [(5, 15)]
    (d2,) = blind.disagreements(c, aid)
    assert d2.decision == "b"
    actions = [e["action"] for e in c.audit_log()]
    assert {"blind.assign", "blind.release", "blind.adjudicate"} <= set(actions)
