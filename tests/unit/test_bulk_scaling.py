"""The product's bulk operations do SQL work in proportion to their input, not its square.

The set-wise merge once compared every operation of a bundle with every other (an index that
matched on its first column only) while its benchmark stayed fast; ``store/test_merge_scaling.py``
guards the merge. This file applies the same measure to every other operation that loops over
many records: saving a batch of survey responses, importing notes, sending and collecting a
bundle, erasing a participant, ``fieldapp check``, the idle indexer, searching, exporting, blind
coding, importing a codebook.

No clock: SQLite counts the virtual machine instructions it runs (the progress handler, see
``tests/growth.py``, on every connection the operation uses), and a workload four times
larger must cost about four times as many, not sixteen. Python's own work is not counted, only
SQL's: what a missing index or a statement run once per record over every record costs.

Each test says what its work should grow with. "One by one" workloads repeat a single-record
operation ``n`` times in a workspace that grows as they go: each must cost about the same
whatever the workspace already holds, or the whole grows with the square.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

import fieldapp.store.check as check_module
from fieldapp.export.options import ExportOptions
from fieldapp.services import blind, case_attributes, records, registry, search, surveys, sync
from fieldapp.services.attachments import add_attachment
from fieldapp.services.export import export, import_codebook
from fieldapp.store import search as search_index
from fieldapp.store.oplog import OpApplier
from fieldapp.store.sqlite import Connection
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.growth import Meter, assert_linear_growth
from tests.perf.bench_survey_store import FORM, make_answers
from tests.unit.sync_flow.test_team_sync import Team

SMALL, LARGE = 50, 200


#: Prepares a workload of size ``n`` under ``root`` (workspaces closed by ``stack``), has the
#: meter watch the connections the operation uses, and returns the operation to count.
Scenario = Callable[[Path, int, ExitStack, Meter], Callable[[], object]]


def _workspace(root: Path, name: str, stack: ExitStack) -> Workspace:
    ws, _ = Workspace.initialise(root / name, PASSPHRASE, researcher=name)
    stack.callback(lambda: ws.conn is not None and ws.close())
    return ws


def _body(i: int) -> str:
    """A few sentences of a field note: words every note shares, and some only this one has."""
    return (f"第{i}次访谈。政府购买服务的资金经常拨付延迟，机构只能先垫付！"
            f"The NGO's director (case {i}) said contracting delays hurt staff retention. "
            f"社工流失严重；编号 KM-{i:05d} 的服务点已经停办。\n")


def instructions(scenario: Scenario, n: int) -> int:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        meter = Meter()
        action = scenario(Path(tmp), n, stack, meter)
        with meter.run():
            action()
        return meter.instructions


def assert_linear(scenario: Scenario, what: str, sizes: tuple[int, int] = (SMALL, LARGE)
                  ) -> None:
    small, large = (instructions(scenario, n) for n in sizes)
    assert_linear_growth(what, sizes, small, large, "SQLite instructions")


# -- survey responses --------------------------------------------------------------------------

def _responses_batch(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    iid = surveys.import_instrument(ws, FORM)
    people = [records.add_participant(ws, code=f"P{i:04d}") for i in range(n)]
    rng = random.Random(n)
    answers = [make_answers(rng) for _ in range(n)]
    links = [{"participant_id": p, "site": "KM"} for p in people]
    meter.watch(ws.db)
    return lambda: surveys.add_responses(ws, iid, answers, complete_them=True, links=links)


def test_saving_a_batch_of_responses() -> None:
    """``add_responses``: one statement per table for the whole batch, and a look-up of each
    linked participant among the erased records. Work per response is constant: linear."""
    assert_linear(_responses_batch, "add_responses")


def _responses_one_by_one(root: Path, n: int, stack: ExitStack,
                          meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    iid = surveys.import_instrument(ws, FORM)
    rng = random.Random(n)
    answers = [make_answers(rng) for _ in range(n)]
    meter.watch(ws.db)

    def save() -> None:
        for data in answers:
            surveys.add_response_from_answers(ws, iid, data)

    return save


def test_saving_responses_one_by_one() -> None:
    """Data entry from paper, a response at a time (create, then complete): each save reads
    and writes its own record, whatever the workspace already holds. Linear."""
    assert_linear(_responses_one_by_one, "add_response_from_answers, one by one")


# -- notes -------------------------------------------------------------------------------------

def _importing(add: Callable[[Workspace, str, list[str]], object]) -> Scenario:
    """``n`` notes imported into one interview by ``add``."""
    def scenario(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
        ws = _workspace(root, "ws", stack)
        interview = records.add_interview(ws, code="I1")
        bodies = [_body(i) for i in range(n)]
        meter.watch(ws.db)
        return lambda: add(ws, interview, bodies)

    return scenario


_notes_batch = _importing(records.add_notes)
_notes_batch_reference = _importing(records.add_notes_one_by_one)


def test_importing_notes_at_once() -> None:
    """``add_notes``: the log, heads, rows and index entries of every note, one statement per
    table; the index grows by each note's tokens. Linear."""
    assert_linear(_notes_batch, "add_notes")


def test_importing_notes_through_the_per_operation_path() -> None:
    """``add_notes_one_by_one`` (one transaction, ``write`` per note): the reference path the
    batch is tested against. Linear."""
    assert_linear(_notes_batch_reference, "add_notes_one_by_one")


def _notes_one_by_one(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    interview = records.add_interview(ws, code="I1")
    meter.watch(ws.db)

    def write() -> None:
        for i in range(n):
            nid = records.add_note(ws, interview, body=_body(i))
            records.save_note_body(ws, nid, _body(i) + "补充：经费到位。")

    return write


def test_writing_notes_one_by_one() -> None:
    """A note added and then edited, ``n`` times, each in its own transaction (the desktop's
    autosave, indexing at once): each save touches the note's own rows and index entries.

    Each commit leaves FTS5 a new segment, merged only when a level holds 16 (no automerge),
    and removing an edit's old tokens looks each one up in every segment: a save costs more
    as the levels fill, by a logarithm (``n log n`` in all). Between 50 and 200 notes the
    second level fills and the growth is 6.0x; from 200 to 800, 4.5x. A statement meeting
    every note per save would still give 16x."""
    assert_linear(_notes_one_by_one, "add_note + save_note_body, one by one", (200, 800))


# -- idle-time indexing and search -------------------------------------------------------------

def _indexer(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    interview = records.add_interview(ws, code="I1")
    notes = records.add_notes(ws, interview, [_body(i) for i in range(n)])
    search.defer_indexing(ws)
    for i, nid in enumerate(notes):
        records.save_note_body(ws, nid, f"改写 {i}：" + _body(i + 1))
    for i in range(n):
        records.add_note(ws, interview, body=_body(n + i))
    assert search.pending_index(ws) == 2 * n
    meter.watch(ws.db)
    return lambda: search.index_pending(ws, None)


def test_idle_indexer_catching_up() -> None:
    """``search_pending``: ``n`` notes edited and ``n`` added with indexing deferred, then
    caught up in one pass. Each stale note is read once and its changed chunks swapped:
    linear. (A note at a time -- its entries removed, then added, then the next note's --
    made FTS5 write out a segment per note, and each removal looked its tokens up in every
    segment: 5.2x here and growing with the notes, 446,000 instructions for 50 notes where
    the pass now takes 99,000, all removals first.)"""
    assert_linear(_indexer, "index_pending (catch up)")


def _rebuild(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    interview = records.add_interview(ws, code="I1")
    records.add_notes(ws, interview, [_body(i) for i in range(n)])
    meter.watch(ws.db)

    def rebuild() -> None:
        with ws.transaction():
            assert search_index.rebuild(ws.db) == n

    return rebuild


def test_rebuilding_the_search_index() -> None:
    """The rebuild an open does after a tokenizer change: every note read once and its
    entries written. Linear."""
    assert_linear(_rebuild, "search index rebuild")


QUERIES = ("拨付延迟", "contract", "staff retention", "垫", "社工 KM", "停办 NGO")


def _searches(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    interview = records.add_interview(ws, code="I1")
    notes = records.add_notes(ws, interview, [_body(i) for i in range(n)])
    search.defer_indexing(ws)  # a few stale notes: searched in the in-memory overlay
    for nid in notes[: n // 10]:
        records.save_note_body(ws, nid, "改写：政府购买服务的资金 contract staff")
    meter.watch(ws.db)

    def run() -> None:
        for query in QUERIES:
            search.search_page(ws, query)

    return run


def test_searching_many_notes() -> None:
    """A fixed set of queries, each a page of results and the count of every match, over
    ``n`` notes (a tenth of them stale). The words are in every note, so a count walks every
    match once and a one-character query scans every note once: linear in the notes, not
    more (the page of 50 itself costs the same whatever the notes)."""
    assert_linear(_searches, "search_page over the notes")


# -- a study: sync, erasure, check and export work on it ---------------------------------------

def _fill(ws: Workspace, n: int) -> None:
    """``n`` participants, each with a consent, an interview, a coded note; a photo for every
    fifth interview, every fourth note deleted (at least ten, so that a collect at either size
    tries the bundle before merging it: ``MASS_DELETE_MINIMUM``); an organisation edited
    twice."""
    code = records.add_code(ws, name_zh="拨付延迟", name_en="Delay")
    org = records.add_organisation(ws, name_zh="星语康复中心", name_en="Star Centre")
    photo = ws.path.parent / f"{ws.path.name}-photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(2000))
    for i in range(n):
        pid = records.add_participant(ws, code=f"KM-{i:04d}", organisation_id=org)
        records.record_consent(ws, pid, form_version="v1", language="zh", method="written",
                               date_given="2025-03-01", scopes=["audio", "verbatim_quotes"])
        iid = records.add_interview(ws, code=f"KM-I{i:04d}", participant_ids=[pid])
        note = records.add_note(ws, iid, body=_body(i))
        records.apply_code(ws, note, code, 0, 5)
        if i % 5 == 0:
            add_attachment(ws, photo, interview_id=iid)
        if i % 4 == 3:
            records.delete(ws, "note", note)
    records.update(ws, "organisation", org, {"name_en": "Star Language Centre"})
    records.update(ws, "organisation", org, {"name_en": "Xingyu Centre"})


# -- sync --------------------------------------------------------------------------------------

def _send(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    t = Team(root, stack)
    alice = t.enrol("alice")
    _fill(alice, n)
    meter.watch(alice.db)
    return lambda: sync.send(alice)


def test_sending_a_bundle() -> None:
    """``sync.send`` on the researcher's device: its operations since the last
    acknowledgement read once, rendered to JSON by SQLite (``encoded_ops``), attachments
    looked up per attachment operation. Linear in the operations."""
    assert_linear(_send, "sync.send (sender's connection)")


def _collect(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    t = Team(root, stack)
    alice = t.enrol("alice")
    _fill(alice, n)
    sync.send(alice)
    meter.watch(t.coordinator.db)
    return lambda: sync.collect(t.coordinator)


def test_collecting_a_bundle() -> None:
    """``sync.collect`` on the coordinator: the history check, a trial merge (the bundle
    deletes more than ten records) and the set-wise merge, the acknowledgement. Linear in the
    operations."""
    assert_linear(_collect, "sync.collect (coordinator's connection)")


def _receive(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    t = Team(root, stack)
    alice = t.enrol("alice")
    c = t.coordinator
    parent = records.add_code(c, name_zh="资金", name_en="Funding")
    for i in range(n):
        org = records.add_organisation(c, name_zh=f"机构{i}", name_en=f"Org {i}")
        records.add_participant(c, code=f"KM-{i:04d}", organisation_id=org)
        records.add_code(c, name_zh=f"主题{i}", parent_id=parent)
    sync.publish(c)
    meter.watch(alice.db)
    return lambda: sync.receive(alice)


def test_receiving_a_team_bundle() -> None:
    """``sync.receive`` on a researcher's device: the coordinator's team bundle of ``n``
    organisations, participants and codes, filtered for blind coding (the log's assignments
    read once) and merged. Linear."""
    assert_linear(_receive, "sync.receive (researcher's connection)")


# -- erasure -----------------------------------------------------------------------------------

def _withdraw(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    _fill(ws, n)  # other participants: the erasure must leave them alone
    code = records.add_code(ws, name_en="Funding")
    pid = records.add_participant(ws, code="KM-WITHDRAWN")
    records.record_consent(ws, pid, form_version="v1", language="zh", method="written",
                           date_given="2025-03-01", scopes=["audio", "verbatim_quotes"])
    for i in range(n):
        iid = records.add_interview(ws, code=f"W-I{i:04d}", participant_ids=[pid])
        for k in range(2):
            note = records.add_note(ws, iid, body=_body(i * 2 + k))
            records.apply_code(ws, note, code, 0, 5)
            records.apply_code(ws, note, code, 6, 12)
    meter.watch(ws.db)

    def withdraw() -> None:
        records.withdrawal_impact(ws, pid)
        counts = records.withdraw_consent(ws, pid, reason="", withdrawn_on="2025-04-01")
        assert counts["interview"] == n

    return withdraw


def test_withdrawing_consent() -> None:
    """``withdrawal_impact`` then ``withdraw_consent`` for a participant with ``n``
    interviews (two notes, four codings each), among ``n`` other participants: the tree of
    what hangs off the participant found reference by reference (each an index look-up, the
    interviews' participant lists scanned once), each record's rows, log and index entries
    removed, then the index rewritten (``optimize``, in proportion to the index). Linear."""
    assert_linear(_withdraw, "withdrawal_impact + withdraw_consent")


# -- fieldapp check ----------------------------------------------------------------------------

def _check(root: Path, n: int, stack: ExitStack, meter: Meter,
           monkeypatch: pytest.MonkeyPatch) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    _fill(ws, n)
    interview = records.add_interview(ws, code="EDITS")
    for i, nid in enumerate(records.add_notes(ws, interview, [_body(i) for i in range(n)])):
        records.save_note_body(ws, nid, f"改 {i} " + _body(i))
    meter.watch(ws.db)

    class Watched(OpApplier):
        """The replay's applier, on the in-memory database it replays into: watched too."""

        def __init__(self, conn: Connection, *args: Any, **kwargs: Any) -> None:
            meter.watch(conn)
            super().__init__(conn, *args, **kwargs)

    monkeypatch.setattr(check_module, "OpApplier", Watched)

    def run() -> None:
        report = check_module.check(ws)
        assert report.ok, report

    return run


def test_check_replaying_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fieldapp check``: the page and integrity checks, the whole log replayed into an
    in-memory database (counted too) one operation at a time, every table compared, the
    index's notes compared. Each operation's replay costs the same whatever came before
    (but for the replay's own index, whose edits leave FTS5 segments as the idle indexer's
    do): linear in the log."""
    def scenario(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
        return _check(root, n, stack, meter, monkeypatch)

    assert_linear(scenario, "check (live and replay connections)")


# -- export ------------------------------------------------------------------------------------

def _export(fmt: Any) -> Scenario:
    """The export in format ``fmt`` of a study of ``n`` (see :func:`_fill`) and ``n``
    survey responses."""
    def scenario(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
        ws = _workspace(root, "ws", stack)
        _fill(ws, n)
        iid = surveys.import_instrument(ws, FORM)
        rng = random.Random(n)
        surveys.add_responses(ws, iid, [make_answers(rng) for _ in range(n)],
                              complete_them=True)
        meter.watch(ws.db)
        out = root / ("out.qdpx" if fmt == "qdpx" else "out")
        return lambda: export(ws, out, ExportOptions(format=fmt))

    return scenario


@pytest.mark.parametrize("fmt", ["csv", "qdpx"])
def test_exporting(fmt: str) -> None:
    """An export (CSV for analysis, a REFI-QDA project) of ``n`` participants, interviews,
    notes, codings, attachments and responses: each table streamed once in batches (rows
    fetched by primary key). Linear."""
    assert_linear(_export(fmt), f"export ({fmt})")


# -- blind coding ------------------------------------------------------------------------------

def _blind_team(root: Path, n: int, stack: ExitStack) -> tuple[Workspace, str]:
    t = Team(root, stack)
    t.enrol("alice")
    t.enrol("bob")
    c = t.coordinator
    interview = records.add_interview(c, code="I1")
    records.add_notes(c, interview, [_body(i) for i in range(n)])
    return c, interview


def _assign(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    c, interview = _blind_team(root, n, stack)
    meter.watch(c.db)
    return lambda: blind.assign_interview(c, interview, "alice", "bob")


def test_assigning_an_interview_for_blind_coding() -> None:
    """``assign_interview`` of an interview of ``n`` notes (a transcript imported as many
    notes): an assignment record per note. Linear in the notes. (It grew 13.8x: every note
    read every assignment again, and each read scanned the whole change log for them.)"""
    assert_linear(_assign, "blind.assign_interview")


def _overview(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    """``n`` notes assigned to alice and bob, each coded by both (on their own devices, sent
    and collected), listed with their agreement."""
    t = Team(root, stack)
    alice, bob = t.enrol("alice"), t.enrol("bob")
    c = t.coordinator
    code = records.add_code(c, name_en="Delay")
    interview = records.add_interview(c, code="I1")
    records.add_notes(c, interview, [_body(i) for i in range(n)])
    blind.assign_interview(c, interview, "alice", "bob")
    sync.publish(c)
    for k, coder in enumerate((alice, bob)):
        sync.receive(coder)
        for note_id in sorted(blind.blind_notes(coder)):
            records.apply_code(coder, note_id, code, k, 10 + k)
        sync.send(coder)
    sync.collect(c)
    meter.watch(c.db)

    def listing() -> None:
        rows = blind.overview(c)
        assert len(rows) == n and all(r["agreement"] is not None for r in rows)

    return listing


def test_listing_blind_assignments_with_their_agreement() -> None:
    """``overview``, the blind-coding view's list: each assignment's note, coders and
    agreement. Linear in the assignments. (It grew 14-22x: each row with both coders' work
    looked its assignment up again, reading every assignment.)"""
    assert_linear(_overview, "blind.overview")


def _release(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    c, interview = _blind_team(root, n, stack)
    blind.assign_interview(c, interview, "alice", "bob")
    meter.watch(c.db)
    return lambda: blind.release(c)


def test_releasing_every_assignment() -> None:
    """``release`` of every one of ``n`` assignments: the assignments read once, each
    released by an update of its record. Linear."""
    assert_linear(_release, "blind.release (all)")


def _relay(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    c, interview = _blind_team(root, n, stack)
    blind.assign_interview(c, interview, "alice", "bob")
    blind.release(c)
    meter.watch(c.db)
    return lambda: sync.publish(c)


def test_publishing_relay_bundles() -> None:
    """``sync.publish`` with ``n`` released assignments: the team bundle and a relay bundle
    per coder, each note's interview and codings looked up by index. Linear."""
    assert_linear(_relay, "sync.publish with relays")


# -- codebook and registry ---------------------------------------------------------------------

def _codebook(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    codes = "".join(
        f'<Code guid="00000000-0000-4000-8000-{i:012d}" name="主题{i}" isCodable="true">'
        f'<Description>第{i}个主题</Description>'
        f'<Code guid="10000000-0000-4000-8000-{i:012d}" name="Sub {i}" isCodable="true"/>'
        "</Code>" for i in range(n // 2))
    path = root / "book.qdc"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<CodeBook '
                    f'xmlns="urn:QDA-XML:codebook:1.0"><Codes>{codes}</Codes></CodeBook>',
                    encoding="utf-8")
    meter.watch(ws.db)
    return lambda: import_codebook(ws, path)


def test_importing_a_codebook() -> None:
    """``import_codebook`` of ``n`` codes (half of them sub-codes): a code record each.
    Linear. (It grew 8.4x: each code's place was found by counting the whole codebook.)"""
    assert_linear(_codebook, "import_codebook")


def _participants(root: Path, n: int, stack: ExitStack, meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    meter.watch(ws.db)

    def add() -> None:
        for i in range(n):
            records.add_participant(ws, code=f"KM-{i:04d}", role="社工",
                                    identity={"real_name": f"张{i}"})

    return add


def test_registering_participants_one_by_one() -> None:
    """``n`` participants entered one after another (each code checked for reuse): each
    entry should cost the same whatever the register holds. Linear. (It grew 8.0x: the
    code's reuse check read the whole register, until migration 0015 indexed codes.)"""
    assert_linear(_participants, "add_participant, one by one")


def _delete_interview(root: Path, n: int, stack: ExitStack,
                      meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    code = records.add_code(ws, name_en="Delay")
    interview = records.add_interview(ws, code="I1")
    for nid in records.add_notes(ws, interview, [_body(i) for i in range(n)]):
        records.apply_code(ws, nid, code, 0, 5)
    meter.watch(ws.db)
    return lambda: registry.delete_interview(ws, interview)


def test_deleting_an_interview() -> None:
    """``delete_interview`` of an interview of ``n`` notes, each coded: a delete of each
    record (its heads, row and index entries). Linear."""
    assert_linear(_delete_interview, "registry.delete_interview")


def _attribute_values(root: Path, n: int, stack: ExitStack,
                      meter: Meter) -> Callable[[], object]:
    ws = _workspace(root, "ws", stack)
    case_attributes.define(ws, "budget", "participant", "number", label_en="Budget")
    people = [records.add_participant(ws, code=f"KM-{i:04d}") for i in range(n)]
    meter.watch(ws.db)

    def set_all() -> None:
        for i, pid in enumerate(people):
            case_attributes.set_value(ws, "budget", pid, str(1000 * i))

    return set_all


def test_setting_case_attributes_one_by_one() -> None:
    """A case attribute set on ``n`` participants, one after another, each named by its id
    (the editor's way): each reads the attribute and the participant's own values. Linear."""
    assert_linear(_attribute_values, "case_attributes.set_value by id, one by one")
