"""Attacks on heads of records one operation made (``created_heads``, migration 0013).

The promise attacked: whatever happens, a workspace that keeps a record made by one operation
(and not touched since) as one row of ``created_heads`` holds the same heads, conflicts, rows
and ``fieldapp check`` verdict as a replica that keeps every head as a row of its own
(``OpApplier.sole_heads`` off) and applied the same operations one by one; and every
operation the workspace writes names (``pred``) the same earlier operations as it would with
every head a row.

The paths attacked here are those tests/unit/store/test_created_heads.py does not take:
undeleting, delete conflicts and their resolution, resolving field conflicts before and after
receiving, operations arriving before the creates they supersede (or name from another record),
survey responses saved in a batch and then corrected and reviewed, notes imported in a batch
and then edited, searched and erased, other devices' creates that carry ``_deleted``, erasures
arriving set-wise or one by one, an attachment's delete (an edit and a delete in one
transaction), a dry run, and records made with no field at all.

How the operations a device writes are checked: a *shadow* (a workspace keeping every head
as a row, merging one by one) follows the device; before each of the device's own operations
it holds exactly what the device held, and the operation's ``pred`` must be the heads the
shadow would have named (``OpApplier.heads`` of the shadow), then the shadow applies it.
Heads are read with the tests' own SQL (tests/heads.py).
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain.ids import new_id
from fieldapp.domain.ops import DELETED, Op, OpId
from fieldapp.services import attachments, records, surveys
from fieldapp.store import search
from fieldapp.store.check import check
from fieldapp.store.errors import NotOwner
from fieldapp.store.workspace import Workspace
from tests.heads import every_head, heads_but_receipts, kept_as_created, kept_one_way
from tests.perf.bench_survey_store import FORM, make_answers
from tests.unit.store.test_created_heads import WAYS, _made
from tests.unit.store.test_merge import snapshot
from tests.unit.store.test_set_merge import maker

Make = Callable[[str], Workspace]
TERMS = ("访谈", "改", "transcript", "她说", "艾滋")


# -- helpers -----------------------------------------------------------------------------------



def _found(ws: Workspace) -> dict[str, list[str]]:
    """What a search for each term finds, by note id (the order is by rowid, which differs
    between replicas that received the notes in a different order)."""
    return {t: sorted(h.note_id for h in search.run_query(ws.db, t)) for t in TERMS}


def _reference(make: Make, name: str) -> Workspace:
    ws = make(name)
    ws.applier.sole_heads = False
    ws.applier.set_wise = False
    return ws


def _replica(make: Make, name: str, ops: list[Op], rnd: random.Random | None = None
             ) -> Workspace:
    """A workspace keeping every head as a row, that applied ``ops`` one by one (shuffled
    when ``rnd`` is given)."""
    ref = _reference(make, name)
    ops = list(ops)
    if rnd is not None:
        rnd.shuffle(ops)
    ref.apply_remote(ops)
    return ref


def _log(ws: Workspace) -> list[tuple[Any, ...]]:
    """The log, hollowed values included (receipts aside)."""
    return ws.db.execute(
        'SELECT device, seq, hlc, entity, entity_id, "values", pred FROM ops '
        "WHERE entity != 'receipt' ORDER BY device, seq").fetchall()


def _same(ws: Workspace, ref: Workspace, *, log: bool = False) -> None:
    """``ws`` (created heads kept as one row) holds what ``ref`` (every head a row) holds;
    with ``log`` (``ref`` received the same batches in the same order) the same log too,
    hollowed values and all."""
    assert ref.applier.sole_heads is False and kept_as_created(ref.db) == set()
    kept_one_way(ws.db)
    if log:
        assert _log(ws) == _log(ref)
    assert heads_but_receipts(ws.db) == heads_but_receipts(ref.db)
    assert ws.conflicts() == ref.conflicts()
    assert snapshot(ws) == snapshot(ref)
    assert _found(ws) == _found(ref)
    mine, theirs = check(ws), check(ref)
    assert mine.ok and theirs.ok, (mine, theirs)


class Shadow:
    """Follows ``device`` with a workspace keeping every head as a row; checks the ``pred`` of
    each operation the device writes inside :meth:`writes`."""

    def __init__(self, make: Make | None, name: str, device: Workspace,
                 ref: Workspace | None = None) -> None:
        """A new shadow (``make``, ``name``), or ``ref``: a workspace keeping every head as a
        row that already holds what the device holds."""
        self.device = device
        if ref is None:
            assert make is not None
            ref = _reference(make, name)
        self.ref = ref
        self.held: set[OpId] = {op.id for op in ref.ops()}
        self.checked = 0

    def follow(self) -> None:
        """Apply, one by one, whatever the device holds and the shadow not yet."""
        new = [op for op in self.device.ops() if op.id not in self.held]
        self.ref.apply_remote(new)
        self.held.update(op.id for op in new)

    @contextmanager
    def writes(self) -> Iterator[None]:
        self.follow()
        start = self.device.last_seq
        yield
        dev = self.device
        mine = sorted(dev.ops(device=dev.device_id, after_seq=start), key=lambda o: o.seq)
        for op in mine:
            fields = None if DELETED in op.values else list(op.values)
            expected = tuple(sorted(self.ref.applier.heads(op.entity_id, fields)))
            assert tuple(sorted(op.pred)) == expected, (
                f"{op.entity} {op.entity_id} {sorted(op.values)}: pred {op.pred}, "
                f"with every head a row {expected}")
            self.ref.apply_remote([op])
            self.held.add(op.id)
            self.checked += 1

    def same(self) -> None:
        self.follow()
        _same(self.device, self.ref)


def _send(src: Workspace, dst: Workspace, *, set_wise: bool = True) -> None:
    dst.applier.set_wise = set_wise
    dst.apply_remote(src.ops())
    dst.applier.set_wise = True


def _forged(forger: Workspace, entity: str, values: dict[str, Any],
            pred: tuple[OpId, ...] = (), entity_id: str | None = None) -> Op:
    """An operation of ``forger``'s device built by hand, as another version could send it."""
    forger._seq += 1
    return Op(forger.device_id, forger._seq, forger.clock.tick().encode(), entity,
              entity_id or new_id(), values, pred)


# -- undelete ----------------------------------------------------------------------------------

@pytest.mark.parametrize("way", WAYS)
def test_undeleting_and_deleting_records_kept_as_created(way: str) -> None:
    """An undelete (``_deleted: False``) of a live record kept as created, a delete, an
    undelete of the deleted record and an edit after it, and ``keep_deleted`` on a record never
    deleted: each names what it would name with every head a row, and the heads, conflicts and
    rows are the reference's, here and on replicas receiving set-wise or one by one."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        ws = make("ws")
        first, second = _made(way, make, ws)
        shadow = Shadow(make, "shadow", ws)
        assert {first, second} <= kept_as_created(ws.db)
        with shadow.writes():
            ws.resolve_delete("organisation", first, keep_deleted=False)
        (create,) = [op for op in ws.ops() if op.entity_id == first and not op.pred]
        assert ws.ops()[-1].pred == (create.id,)
        assert first not in kept_as_created(ws.db)
        with shadow.writes():
            records.delete(ws, "organisation", second)
        with shadow.writes():
            ws.resolve_delete("organisation", second, keep_deleted=False)
        with shadow.writes():
            records.update(ws, "organisation", second, {"name_en": "back again"})
        with shadow.writes():
            ws.resolve_delete("organisation", first, keep_deleted=True)
        assert shadow.checked == 5
        assert records.find(ws, "organisation", first) is None
        assert records.get(ws, "organisation", second)["name_en"] == "back again"
        shadow.same()
        _same(ws, _replica(make, "replica", ws.ops(), random.Random(3)))
        for set_wise in (True, False):
            other = make(f"other{set_wise}")
            _send(ws, other, set_wise=set_wise)
            _same(other, shadow.ref)


# -- delete conflicts --------------------------------------------------------------------------

@pytest.mark.parametrize("set_wise", [True, False])
def test_a_delete_of_records_kept_as_created_against_concurrent_edits(set_wise: bool) -> None:
    """One device deletes records every device holds as created, two others edit them while
    apart (a field the create wrote, one it did not): every replica holds the delete conflicts
    the reference holds; restoring one record and confirming the delete of another settles
    them the same way everywhere."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b, c = make("a"), make("b"), make("c")
        shadows = [Shadow(make, f"s{n}", d) for n, d in enumerate((a, b, c))]
        with shadows[0].writes():
            org, spare = a.create_many("organisation", [{"name_zh": "红丝带", "name_en": "Red"},
                                                        {"name_zh": "阳光"}])
            part = records.add_participant(a, code="P1", organisation_id=org)
        for d in (b, c):
            _send(a, d, set_wise=set_wise)
            assert {org, spare, part} <= kept_as_created(d.db)
        with shadows[0].writes():
            records.delete(a, "organisation", org)
        with shadows[1].writes():
            records.update(b, "organisation", org, {"name_en": "Red Ribbon"})
            records.update(b, "participant", part, {"role": "社工"})
        with shadows[2].writes():
            records.update(c, "organisation", org, {"site": "KM"})
            records.delete(c, "participant", part)
        for here in (a, b, c):
            for there in (a, b, c):
                if here is not there:
                    _send(there, here, set_wise=set_wise)
        kinds = {(x.entity_id, x.field, x.kind) for x in a.conflicts()}
        assert {(org, "name_en", "delete"), (org, "site", "delete"),
                (part, "role", "delete")} <= kinds
        for shadow in shadows:
            shadow.same()
        with shadows[1].writes():
            b.resolve_delete("organisation", org, keep_deleted=False)
        with shadows[2].writes():
            c.resolve_delete("participant", part, keep_deleted=True)
        for here in (a, b, c):
            for there in (a, b, c):
                if here is not there:
                    _send(there, here, set_wise=set_wise)
        for shadow in shadows:
            shadow.same()
            assert shadow.device.conflicts() == []
        assert records.get(a, "organisation", org)["name_en"] == "Red Ribbon"
        assert records.find(a, "participant", part) is None
        assert spare in kept_as_created(a.db) and spare in kept_as_created(c.db)
        _same(a, _replica(make, "replica", a.ops(), random.Random(5)))


# -- resolving field conflicts -----------------------------------------------------------------

@pytest.mark.parametrize("set_wise", [True, False])
def test_resolving_conflicts_on_records_kept_as_created_before_and_after_receiving(
        set_wise: bool) -> None:
    """A conflict on a field the create wrote, resolved by a device before it has received a
    third device's edit; a conflict on a field the create did not write, resolved on two
    devices at once (the resolutions conflict in turn) and then for good: every write names
    what it would name with every head a row, and every replica holds the reference's state."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b, c = make("a"), make("b"), make("c")
        sa, sb, sc = (Shadow(make, f"s{n}", d) for n, d in enumerate((a, b, c)))
        with sa.writes():
            x = records.add_organisation(a, name_zh="红丝带", name_en="Red")
            (y,) = a.create_many("organisation", [{"name_zh": "阳光"}])
        for d in (b, c):
            _send(a, d, set_wise=set_wise)
        with sa.writes():
            records.update(a, "organisation", x, {"name_en": "Red A"})
        with sb.writes():
            records.update(b, "organisation", x, {"name_en": "Red B"})
            records.update(b, "organisation", y, {"site": "KM"})
        with sc.writes():
            records.update(c, "organisation", x, {"name_en": "Red C"})
            records.update(c, "organisation", y, {"site": "GZ"})
        _send(b, a, set_wise=set_wise)
        assert [k.field for k in a.conflicts()] == ["name_en"]
        with sa.writes():  # before c's edit has arrived
            a.resolve("organisation", x, "name_en", "Red Ribbon")
        _send(a, c, set_wise=set_wise)  # c receives the resolution, which did not see its edit
        _send(c, b, set_wise=set_wise)
        assert {k.field for k in c.conflicts()} == {"name_en", "site"}
        with sb.writes():
            b.resolve("organisation", y, "site", "KM")
        with sc.writes():
            c.resolve("organisation", y, "site", "Kunming")
        for here in (a, b, c):
            for there in (a, b, c):
                if here is not there:
                    _send(there, here, set_wise=set_wise)
        for shadow in (sa, sb, sc):
            shadow.same()
        assert {k.field for k in a.conflicts()} == {"name_en", "site"}
        with sa.writes():
            a.resolve("organisation", x, "name_en", "Red Ribbon Centre")
            a.resolve("organisation", y, "site", "Kunming")
        for d in (b, c):
            _send(a, d, set_wise=set_wise)
        for shadow in (sa, sb, sc):
            shadow.same()
            assert shadow.device.conflicts() == []
        _same(c, _replica(make, "replica", c.ops(), random.Random(7)))


# -- out of order ------------------------------------------------------------------------------

DELIVERIES = ["batch_set_wise", "batch_one_by_one", "each_set_wise", "each_one_by_one",
              "halves_set_wise", "halves_one_by_one"]


@pytest.mark.parametrize("delivery", DELIVERIES)
def test_operations_arriving_before_the_creates_they_supersede(delivery: str) -> None:
    """Records made every way (one by one, ``create_many``, ``write_new_many``, notes in a
    batch), then edited twice, deleted, edited concurrently by another device: a third device
    receives all of it newest first -- in one batch, an operation per batch, or in two halves,
    set-wise or one by one. It holds what a replica keeping every head as a row holds, keeps
    as created exactly the records nothing touched, and its own edits afterwards name what
    they would name with every head a row."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b, r = make("a"), make("b"), make("r")
        with a.transaction():
            rows = [(new_id(), {"name_zh": f"批{i}", "notes": "备注"}) for i in range(2)]
            a.write_new_many("organisation", rows)
        orgs = [rid for rid, _v in rows]
        orgs += a.create_many("organisation", [{"name_zh": "多", "name_en": "many"},
                                               {"name_zh": "多二"}])
        orgs.append(records.add_organisation(a, name_zh="一个", name_en="one"))
        part = records.add_participant(a, code="P1", organisation_id=orgs[0])
        iid = records.add_interview(a, code="I1", participant_ids=[part])
        notes = records.add_notes(a, iid, ["访谈 transcript 一", "访谈 二", "她说 三"])
        _send(a, b)
        records.update(a, "organisation", orgs[0], {"name_en": "first"})
        records.update(a, "organisation", orgs[0], {"name_en": "first again"})  # hollows
        records.delete(a, "organisation", orgs[1])
        records.update(a, "organisation", orgs[2], {"site": "KM"})
        records.save_note_body(a, notes[0], "访谈 改了")
        records.delete(a, "note", notes[1])
        records.update(b, "organisation", orgs[0], {"name_en": "b's"})
        records.update(b, "organisation", orgs[1], {"notes": "b's note"})
        records.update(b, "participant", part, {"role": "director"})
        ops = {op.id: op for op in [*a.ops(), *b.ops()]}
        newest_first = sorted(ops.values(), key=lambda o: o.sort_key(), reverse=True)
        ref = _reference(make, "ref")
        if delivery.startswith("batch"):
            batches = [newest_first]
        elif delivery.startswith("each"):
            batches = [[op] for op in newest_first]
        else:
            half = len(newest_first) // 2
            batches = [newest_first[:half], newest_first[half:]]
        r.applier.set_wise = delivery.endswith("_set_wise")
        for batch in batches:
            r.apply_remote(batch)
            ref.apply_remote(batch)
        r.applier.set_wise = True
        _same(r, ref, log=True)
        _same(r, _replica(make, "replica", list(ops.values()), random.Random(11)))
        # A record whose create is its only operation is kept as created, however it came.
        assert kept_as_created(r.db) == {orgs[3], orgs[4], iid, notes[2]}
        shadow = Shadow(make, "shadow", r)
        with shadow.writes():
            for org in orgs:
                if records.find(r, "organisation", org):
                    records.update(r, "organisation", org, {"name_en": "r's", "site": "GZ"})
            r.resolve_delete("organisation", orgs[1], keep_deleted=False)
            records.update(r, "participant", part, {"site": "KM"})
            records.delete(r, "organisation", orgs[4])
        assert shadow.checked >= 7
        shadow.same()


def test_an_edit_alone_before_its_create_is_kept_as_created_until_the_create_comes() -> None:
    """An edit of a field the create did not write names no operation: arriving alone on a
    device that has never seen the record, it is that record's only operation (kept as one
    row), until the create arrives -- set-wise or one by one -- and both head their fields as
    with every head a row."""
    for set_wise in (True, False):
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            make = maker(tmp, stack)
            a, b, r = make("a"), make("b"), make("r")
            (org,) = a.create_many("organisation", [{"name_zh": "红丝带"}])
            _send(a, b)
            records.update(b, "organisation", org, {"site": "KM"})
            (edit,) = [op for op in b.ops() if op.device == b.device_id]
            assert edit.pred == ()
            ref = _reference(make, "ref")
            r.applier.set_wise = set_wise
            for batch in ([edit], a.ops()):
                r.apply_remote(batch)
                ref.apply_remote(batch)
                _same(r, ref, log=True)
                assert (org in kept_as_created(r.db)) == (batch == [edit])
            shadow = Shadow(make, "shadow", r)
            with shadow.writes():
                records.update(r, "organisation", org, {"site": "GZ", "name_zh": "红丝带中心"})
            shadow.same()


@pytest.mark.parametrize("set_wise", [True, False])
def test_a_create_named_from_another_record_before_it_arrives(set_wise: bool) -> None:
    """An operation on one record that names the create of another (forged, or written by a
    faulty version) arrives first; the create, arriving alone afterwards, is not superseded by
    it: supersession is bound to the record (migration 0014). It is kept as created, its
    values whole, with the heads, rows and log of a replica keeping every head as a row that
    received the operations in any order; later writes name what they would name then."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, forger, r = make("a"), make("forger"), make("r")
        x, y = a.create_many("organisation", [{"name_zh": "甲", "name_en": "A"},
                                              {"name_zh": "乙"}])
        (create_x,) = [op for op in a.ops() if op.entity_id == x]
        (create_y,) = [op for op in a.ops() if op.entity_id == y]
        cross = _forged(forger, "organisation", {"name_en": "cross"}, (create_x.id,), y)
        ref = _reference(make, "ref")
        r.applier.set_wise = set_wise
        for batch in ([cross], [create_x], [create_y]):
            r.apply_remote(batch)
            ref.apply_remote(batch)
            _same(r, ref, log=True)
        r.applier.set_wise = True
        assert x in kept_as_created(r.db)
        (held,) = [op for op in r.ops() if op.entity_id == x]
        assert held.values == {"name_zh": "甲", "name_en": "A"}
        assert records.get(r, "organisation", x)["name_en"] == "A"
        # Whichever came first: a replica that received the create before the operation
        # naming it holds the same heads and log.
        other = _reference(make, "other")
        other.apply_remote([create_x, create_y])
        other.apply_remote([cross])
        _same(r, other, log=True)
        shadow = Shadow(make, "shadow", r)
        with shadow.writes():
            records.update(r, "organisation", x, {"name_en": "A again"})
            records.update(r, "organisation", y, {"name_en": "B"})
            records.delete(r, "organisation", x)
        shadow.same()


# -- survey responses ---------------------------------------------------------------------------

@pytest.mark.parametrize("set_wise", [True, False])
def test_survey_responses_saved_in_a_batch_then_reviewed_corrected_and_merged(
        set_wise: bool) -> None:
    """Responses saved in a batch (``surveys.add_responses``, a real instrument: a row of
    created heads each) go to a coordinator, who reviews them; the researcher corrects a
    completed response (a draft saved over it, corrections, completed again) and edits
    another, the coordinator cannot edit a response it does not own, and both edit a review
    at once. Each side's writes name what they would with every head a row, and both hold
    the reference's heads, conflicts and rows, before and after the review conflict is
    resolved."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        res, coord = make("researcher"), make("coordinator")
        sr, sc = Shadow(make, "sr", res), Shadow(make, "sc", coord)
        rng = random.Random(4)
        with sr.writes():
            inst = surveys.import_instrument(res, FORM)
            done = surveys.add_responses(res, inst, [make_answers(rng) for _ in range(5)],
                                         complete_them=True,
                                         links=[{"site": "KM", "sector": "hiv"}] * 5)
            drafts = surveys.add_responses(res, inst, [make_answers(rng) for _ in range(2)])
        assert set(done + drafts) <= kept_as_created(res.db)
        _send(res, coord, set_wise=set_wise)
        assert set(done + drafts) <= kept_as_created(coord.db)
        with sc.writes():
            approved = surveys.review_response(coord, done[0], "approved")
            issues = surveys.review_response(coord, done[1], "has_issues", "年份不对")
        with pytest.raises(NotOwner):
            records.update(coord, "response", done[2], {"site": "GZ"})
        kept_one_way(coord.db)
        assert done[2] in kept_as_created(coord.db)
        _send(coord, res, set_wise=set_wise)
        with sr.writes():
            data = dict(records.get(res, "response", done[1])["data"])
            data["comments"] = "改正 corrected"
            surveys.save_draft(res, done[1], data)
            surveys.complete(res, done[1], surveys.form_state(res, done[1]))
            records.update(res, "response", done[3], {"sector": "migrants"})
            records.update(res, "review", issues, {"comment": "已改"})
            records.delete(res, "response", drafts[0])
        assert surveys.corrections_of(res, done[1])
        with sc.writes():
            records.update(coord, "review", issues, {"comment": "请再看"})
            records.update(coord, "review", approved, {"state": "has_issues",
                                                       "comment": "缺少"})
        _send(res, coord, set_wise=set_wise)
        _send(coord, res, set_wise=set_wise)
        (conflict,) = coord.conflicts()
        assert conflict.entity_id == issues and conflict.field == "comment"
        sr.same()
        sc.same()
        with sc.writes():
            coord.resolve("review", issues, "comment", "已改, 请再看")
        _send(coord, res, set_wise=set_wise)
        sr.same()
        sc.same()
        assert res.conflicts() == coord.conflicts() == []
        assert {done[4], drafts[1]} <= kept_as_created(res.db) & kept_as_created(coord.db)
        _same(coord, _replica(make, "replica", coord.ops(), random.Random(9)))


# -- notes: a batch, edits, search, erasure ------------------------------------------------------

@pytest.mark.parametrize("set_wise", [True, False])
def test_notes_made_in_a_batch_edited_searched_and_erased(set_wise: bool) -> None:
    """Notes imported in a batch (``records.add_notes``) are kept as created; edited
    (``save_note_body``, twice for one), coded by another device, searched, then erased when
    the participant of their interview withdraws consent. The heads, rows, search results and
    check are the reference's at each step on both devices, and no row of created heads
    outlives the erasure."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b = make("a"), make("b")
        sa, sb = Shadow(make, "sa", a), Shadow(make, "sb", b)
        with sa.writes():
            part = records.add_participant(a, code="P1", identity={"real_name": "王"})
            other = records.add_participant(a, code="P2")
            iid = records.add_interview(a, code="I1", participant_ids=[part])
            kept = records.add_interview(a, code="I2", participant_ids=[other])
            notes = records.add_notes(a, iid, ["访谈 transcript 一 艾滋", "访谈 二",
                                               "她说 三", "四"])
            (spare,) = records.add_notes(a, kept, ["访谈 transcript 留下"])
        assert set(notes) | {spare} <= kept_as_created(a.db)
        with sa.writes():
            records.save_note_body(a, notes[0], "访谈 改了 一")
            records.save_note_body(a, notes[0], "访谈 改了 再改")
            records.save_note_body(a, notes[1], "她说 改")
        _send(a, b, set_wise=set_wise)
        assert {notes[2], notes[3], spare} <= kept_as_created(b.db)
        with sb.writes():
            code = records.add_code(b, name_zh="信任")
            records.apply_code(b, notes[2], code, 0, 2)
            records.apply_code(b, spare, code, 0, 2)
        _send(b, a, set_wise=set_wise)
        sa.same()
        sb.same()
        assert _found(a)["访谈"] == sorted([notes[0], spare])
        with sa.writes():
            counts = records.withdraw_consent(a, part)
        assert counts["note"] == 4 and counts["coding"] == 1
        _send(a, b, set_wise=set_wise)
        for ws in (a, b):
            assert not set(notes) & kept_as_created(ws.db)
            assert spare in kept_as_created(ws.db)
            assert _found(ws)["访谈"] == [spare] and _found(ws)["她说"] == []
        sa.same()
        sb.same()
        _same(b, _replica(make, "replica", b.ops(), random.Random(2)))


# -- remote creates carrying _deleted ----------------------------------------------------------

@pytest.mark.parametrize("deleted", [True, False, None])
@pytest.mark.parametrize("set_wise", [True, False])
def test_creates_that_carry_deleted(deleted: bool | None, set_wise: bool) -> None:
    """Creates whose values hold ``_deleted`` (True, False or null) -- built by hand as another
    version could send them, or written locally in a batch -- keep their heads as a row per
    field, and a record beside them in the same batch as one row; edits and undeletes by
    other devices, a concurrent edit and its delete conflict, and the writes after them are
    what they are with every head a row."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        forger, a, b = make("forger"), make("a"), make("b")
        sa, sb = Shadow(make, "sa", a), Shadow(make, "sb", b)
        made = _forged(forger, "organisation", {"name_zh": "来的", DELETED: deleted})
        plain = _forged(forger, "organisation", {"name_zh": "旁边", "name_en": "beside"})
        note_iv = _forged(forger, "interview", {"code": "I9", "_owner": forger.device_id,
                                                DELETED: deleted})
        batch = [made, plain, note_iv]
        for d in (a, b):
            d.applier.set_wise = set_wise
            d.apply_remote(batch)
            d.applier.set_wise = True
            assert {made.entity_id, note_iv.entity_id}.isdisjoint(kept_as_created(d.db))
            assert plain.entity_id in kept_as_created(d.db)
        with sa.writes():
            with a.transaction():
                local = [(new_id(), {"name_zh": "本地", DELETED: deleted}),
                         (new_id(), {"name_zh": "本地二"})]
                a.write_new_many("organisation", local)
            many = a.create_many("organisation", [{"name_zh": "多", DELETED: deleted},
                                                  {"name_zh": "多二"}])
        assert local[0][0] not in kept_as_created(a.db) and many[0] not in kept_as_created(a.db)
        assert local[1][0] in kept_as_created(a.db) and many[1] in kept_as_created(a.db)
        _send(a, b, set_wise=set_wise)
        with sa.writes():
            a.update("organisation", made.entity_id, {"name_en": "a's"})
            a.update("organisation", plain.entity_id, {"site": "KM"})
            a.resolve_delete("organisation", local[0][0], keep_deleted=bool(deleted))
        with sb.writes():
            b.resolve_delete("organisation", made.entity_id, keep_deleted=not deleted)
            b.update("organisation", many[0], {"name_en": "b's"})
            b.delete("organisation", many[1])
        with sa.writes():
            a.update("organisation", many[1], {"notes": "a's"})
        _send(a, b, set_wise=set_wise)
        _send(b, a, set_wise=set_wise)
        sa.same()
        sb.same()
        forger.applier.set_wise = set_wise
        forger.apply_remote(a.ops())
        _same(forger, sa.ref)
        _same(a, _replica(make, "replica", a.ops(), random.Random(13)))
        # (The interview's conflicts are the forger's to settle.)
        for x in a.conflicts():
            if x.entity != "organisation":
                continue
            with sa.writes():
                if x.kind == "delete":
                    a.resolve_delete(x.entity, x.entity_id, keep_deleted=True)
                else:
                    a.resolve(x.entity, x.entity_id, x.field, x.versions[-1].value)
        sa.same()
        assert [x for x in a.conflicts() if x.entity == "organisation"] == []


# -- erasure ------------------------------------------------------------------------------------

ERASE_DELIVERIES = ["set_wise", "one_by_one", "order_first_set_wise",
                    "order_first_one_by_one", "together_set_wise", "together_one_by_one"]


@pytest.mark.parametrize("delivery", ERASE_DELIVERIES)
def test_erasure_of_records_kept_as_created(delivery: str) -> None:
    """A participant with identity, consent, an interview, notes imported in a batch, a
    coding and survey responses saved in a batch -- all kept as created where they arrive --
    is erased by one device and, concurrently, by another. A third device receives the erase
    orders after the records, before them, or in the same batch, set-wise or one by one; a
    fourth, who never saw the records, only the orders. All hold what a replica keeping every
    head as a row holds after the same deliveries one by one; nothing erased keeps a row of
    created heads; records of another participant stay kept as created."""
    set_wise = delivery.endswith("set_wise")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b, c, d = make("a"), make("b"), make("c"), make("d")
        rng = random.Random(6)
        part = records.add_participant(a, code="P1", identity={"real_name": "李"})
        other = records.add_participant(a, code="P2")
        records.record_consent(a, part, form_version="1", language="zh", method="oral",
                               date_given="2024-05-01", scopes=["audio"])
        iid = records.add_interview(a, code="I1", participant_ids=[part])
        notes = records.add_notes(a, iid, ["访谈 一", "她说 二"])
        code = records.add_code(a, name_zh="信任")
        records.apply_code(a, notes[0], code, 0, 2)
        inst = surveys.import_instrument(a, FORM)
        gone = surveys.add_responses(a, inst, [make_answers(rng) for _ in range(3)],
                                     complete_them=True,
                                     links=[{"participant_id": part}] * 3)
        stays = surveys.add_responses(a, inst, [make_answers(rng)],
                                      links=[{"participant_id": other}])
        before = a.ops()
        _send(a, b)
        assert set(notes) | set(gone) | set(stays) <= kept_as_created(b.db)
        records.withdraw_consent(a, part)
        records.withdraw_consent(b, part)
        orders = [op for op in [*a.ops(), *b.ops()] if "_erase" in op.values]
        assert len(orders) == 2
        if delivery in ("set_wise", "one_by_one"):
            batches = [before, orders]
        elif delivery.startswith("order_first"):
            batches = [orders, before]
        else:
            mixed = before + orders
            rng.shuffle(mixed)
            batches = [mixed]
        ref = _reference(make, "ref")
        c.applier.set_wise = set_wise
        for batch in batches:
            c.apply_remote(batch)
            ref.apply_remote(batch)
        c.applier.set_wise = True
        _same(c, ref, log=True)
        d.applier.set_wise = set_wise
        d.apply_remote(orders)
        d.apply_remote(a.ops())
        _same(d, _replica(make, "ref_d", d.ops(), rng))
        for ws in (a, b, c, d):
            kept_one_way(ws.db)
            erased = {r for (r,) in ws.db.execute("SELECT entity_id FROM erased")}
            # d never held the records: the orders erase the participant alone there.
            assert ({part} if ws is d else {part, iid, *notes, *gone}) <= erased
            assert not erased & kept_as_created(ws.db)
            assert set(stays) <= kept_as_created(ws.db)
        _send(c, a, set_wise=set_wise)
        _send(a, b, set_wise=set_wise)
        _same(a, _replica(make, "replica", a.ops(), rng))
        _same(b, _replica(make, "replica_b", b.ops(), rng))


# -- attachments: an edit and a delete in one transaction ------------------------------------

@pytest.mark.parametrize("set_wise", [True, False])
def test_deleting_an_attachment_kept_as_created(set_wise: bool, tmp_path: Path) -> None:
    """Deleting an attachment overwrites its key, then deletes it, in one transaction: the
    create kept as one row must first become a row per field, or the key would be neither
    superseded nor hollowed out of the log. Here and on a device that held the attachment as
    created and receives the delete (set-wise or one by one), the log -- the key hollowed --
    heads and rows are what they are with every head a row."""
    source = tmp_path / "form.pdf"
    source.write_bytes(b"%PDF-1.4 consent form")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b = make("a"), make("b")
        sa = Shadow(make, "sa", a)
        with sa.writes():
            part = records.add_participant(a, code="P1")
            iid = records.add_interview(a, code="I1", participant_ids=[part])
            aid = attachments.add_attachment(a, source, interview_id=iid, kind="document")
            spare = attachments.add_attachment(a, source, participant_id=part,
                                               kind="consent_form")
        ref = _reference(make, "ref")
        for ws in (b, ref):
            ws.applier.set_wise = set_wise and ws is b
            ws.apply_remote(a.ops())
        assert {aid, spare} <= kept_as_created(a.db) & kept_as_created(b.db)
        start = a.last_seq
        with sa.writes():
            attachments.delete_attachment(a, aid)
        (create,) = [op for op in a.ops() if op.entity_id == aid and not op.pred]
        assert create.values["file_key"] is None  # hollowed in place
        later = a.ops(device=a.device_id, after_seq=start)
        for ws in (b, ref):
            ws.apply_remote(later)
        _same(b, ref, log=True)
        (held,) = [op for op in b.ops() if op.entity_id == aid and not op.pred]
        assert held.values["file_key"] is None
        sa.same()
        assert spare in kept_as_created(b.db)


# -- a dry run ---------------------------------------------------------------------------------

@pytest.mark.parametrize("set_wise", [True, False])
def test_a_dry_run_leaves_records_kept_as_created_as_they_were(set_wise: bool) -> None:
    """``apply_remote(dry_run=True)`` of edits, deletes and an erasure of records kept as
    created rolls back what it did to them: the same rows of created heads after it, and
    then the real merge gives the reference's state."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b = make("a"), make("b")
        orgs = a.create_many("organisation", [{"name_zh": "一"}, {"name_zh": "二"}])
        part = records.add_participant(a, code="P1")
        iid = records.add_interview(a, code="I1", participant_ids=[part])
        records.add_notes(a, iid, ["访谈 一"])
        _send(a, b)
        records.update(a, "organisation", orgs[0], {"name_en": "one"})
        records.delete(a, "organisation", orgs[1])
        records.withdraw_consent(a, part)
        heads, created = heads_but_receipts(b.db), kept_as_created(b.db)
        b.applier.set_wise = set_wise
        report = b.apply_remote(a.ops(), dry_run=True)
        assert len(report.erased_records) == 3 and report.deleted_live == 4
        assert (heads_but_receipts(b.db), kept_as_created(b.db)) == (heads, created)
        kept_one_way(b.db)
        b.apply_remote(a.ops())
        _same(b, _replica(make, "replica", a.ops()))


# -- records made with no field ---------------------------------------------------------------

def test_deleting_a_record_made_with_no_field_names_what_every_head_a_row_names() -> None:
    """A record made with no field at all (``records.create(ws, "organisation", {})``,
    ``fieldapp create organisation`` with no ``--set``, ``records.set_study(ws)``) has no
    head, so it has no row of ``created_heads`` either: deleting it names nothing, as with
    every head a row. (Kept as created, its create was once named as the head of a field it
    never wrote.)"""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        ws = make("ws")
        shadow = Shadow(make, "shadow", ws)
        with shadow.writes():
            rid = records.create(ws, "organisation", {})
        assert rid not in kept_as_created(ws.db)
        assert every_head(ws.db, rid) == []
        with shadow.writes():
            records.delete(ws, "organisation", rid)
        assert ws.ops()[-1].pred == ()
        assert records.find(ws, "organisation", rid) is None
        shadow.same()


def test_editing_a_record_made_with_no_field() -> None:
    """A record made with no field has no head, and an edit of it names nothing: the edit is
    still an edit, not the record's create inserted a second time (it was, before: "UNIQUE
    constraint failed: organisation.id", shown as StorageUnavailable), with created heads or
    every head a row."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        for sole in (True, False):
            ws = make(f"ws{sole}")
            ws.applier.sole_heads = sole
            rid = records.create(ws, "organisation", {})
            records.update(ws, "organisation", rid, {"name_zh": "后来有名字"})
            assert records.get(ws, "organisation", rid)["name_zh"] == "后来有名字"
            records.delete(ws, "organisation", rid)
            assert records.find(ws, "organisation", rid) is None
            assert check(ws).ok


# -- everything at once -------------------------------------------------------------------------

ACTIONS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(
    ["org", "orgs_many", "orgs_batch", "edit", "edit_new_field", "delete", "undelete",
     "resolve", "notes", "edit_note", "erase", "forge_deleted", "gossip", "gossip_one_by_one",
     "gossip_shuffled"]), st.integers(0, 1000)), min_size=4, max_size=28)


@pytest.mark.timeout(900)
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ACTIONS, st.randoms(use_true_random=False))
def test_every_write_names_what_every_head_a_row_names(
        actions: list[tuple[int, str, int]], rnd: random.Random) -> None:
    """Three devices make records every way (one, ``create_many``, ``write_new_many``, notes
    in a batch), edit, delete, undelete, resolve whatever conflict they hold, erase, receive
    creates built by hand that carry ``_deleted``, and pass operations on set-wise, one by
    one, or a shuffled part of them (operations before the creates they supersede). Every
    operation a device writes names what it would name with every head a row, and every
    device holds, at the end and after everyone has received everything, what a replica
    keeping every head as a row holds."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        devices = [make(f"d{i}") for i in range(3)]
        forger = make("forger")
        shadows = [Shadow(make, f"s{i}", d) for i, d in enumerate(devices)]
        orgs: list[str] = []
        parts: list[str] = []
        notes: dict[int, list[str]] = {0: [], 1: [], 2: []}
        for who, action, n in actions:
            ws, shadow = devices[who], shadows[who]
            alive = [o for o in orgs if records.find(ws, "organisation", o)]
            held = [o for o in orgs if ws.get_row("organisation", o) is not None]
            dead = [o for o in held if o not in alive]
            alive_parts = [p for p in parts if records.find(ws, "participant", p)]
            mine = [x for x in notes[who] if records.find(ws, "note", x)]
            if action.startswith("gossip"):
                target = devices[n % 3]
                ops = ws.ops()
                if action == "gossip_shuffled":
                    rnd.shuffle(ops)
                    ops = ops[: rnd.randint(0, len(ops))]
                target.applier.set_wise = action != "gossip_one_by_one" and n % 2 == 0
                target.apply_remote(ops)
                target.applier.set_wise = True
                continue
            if action == "forge_deleted":
                values: dict[str, Any] = {"name_zh": f"伪{n}"}
                if n % 3:
                    values[DELETED] = n % 3 == 1
                op = _forged(forger, "organisation", values)
                ws.apply_remote([op])
                orgs.append(op.entity_id)
                continue
            with shadow.writes():
                if action == "org":
                    orgs.append(records.add_organisation(ws, name_zh=f"机构{n}"))
                    parts.append(records.add_participant(
                        ws, code=f"P{len(parts)}-{n}",
                        organisation_id=alive[n % len(alive)] if alive else None))
                elif action == "orgs_many":
                    orgs += ws.create_many("organisation", [{"name_zh": f"多{n}", "site": "KM"},
                                                            {"name_en": f"many {n}"}])
                elif action == "orgs_batch":
                    rows = [(new_id(), {"name_zh": f"批{n}-{i}", "notes": "备注"})
                            for i in range(2)]
                    with ws.transaction():
                        ws.write_new_many("organisation", rows)
                    orgs += [rid for rid, _v in rows]
                elif action in ("edit", "edit_new_field") and alive:
                    field = "name_en" if action == "edit" else "credit_code"
                    records.update(ws, "organisation", alive[n % len(alive)],
                                   {field: f"{who}-{n}"})
                elif action == "delete" and alive:
                    records.delete(ws, "organisation", alive[n % len(alive)])
                elif action == "undelete" and held:
                    target_id = (dead or held)[n % len(dead or held)]
                    ws.resolve_delete("organisation", target_id, keep_deleted=False)
                elif action == "resolve":
                    for x in ws.conflicts()[:2]:
                        if x.kind == "delete":
                            ws.resolve_delete(x.entity, x.entity_id, keep_deleted=n % 2 == 0)
                        else:
                            ws.resolve(x.entity, x.entity_id, x.field,
                                       x.versions[n % len(x.versions)].value)
                elif action == "notes":
                    links = [alive_parts[n % len(alive_parts)]] if alive_parts else []
                    iid = records.add_interview(ws, code=f"I{who}-{n}", participant_ids=links)
                    notes[who] += records.add_notes(ws, iid, [f"访谈 {n}", f"她说 {n}"])
                elif action == "edit_note" and mine:
                    records.save_note_body(ws, mine[n % len(mine)], f"改 {n}")
                elif action == "erase" and alive_parts:
                    records.withdraw_consent(ws, alive_parts[n % len(alive_parts)])
        for i, d in enumerate(devices):
            shadows[i].same()
            _same(d, _replica(make, f"r{i}", d.ops(), rnd))
        for d in devices:
            for other in devices:
                if other is not d:
                    d.apply_remote(other.ops())
        reference = _replica(make, "r_all", devices[0].ops(), rnd)
        for d in devices:
            _same(d, reference)
