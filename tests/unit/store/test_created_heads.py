"""Heads of records one operation made, kept as one row (``created_heads``, migration 0013).

A record made by one operation and not touched since keeps one row of heads instead of a row
per field. Whatever happens next -- a local edit or delete, another device's edit arriving
one by one or set-wise, a concurrent edit, an erasure -- the heads, conflicts and rows must be
what they are with every head a row of its own (``OpApplier.sole_heads`` off, the reference),
and the operations a device writes must name the same earlier operations. Heads are read
here with the tests' own SQL (``tests/heads.py``), not through the product's readers.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain.ids import new_id
from fieldapp.services import records
from fieldapp.store import folder as foldermod
from fieldapp.store.check import check
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.heads import every_head, heads_but_receipts, kept_as_created, kept_one_way
from tests.kdf import TEST_KDF
from tests.unit.store.test_merge import snapshot
from tests.unit.store.test_set_merge import maker

WAYS = ["write", "create_many", "write_new_many", "received_set_wise", "received_one_by_one"]


def _made(way: str, make: Callable[[str], Workspace], ws: Workspace) -> list[str]:
    """Two organisations made on ``ws`` the given way; their ids."""
    values = [{"name_zh": "红丝带", "name_en": "Red Ribbon", "site": "KM"},
              {"name_zh": "阳光", "notes": "社区"}]
    if way == "write":
        ids = []
        with ws.transaction():
            for v in values:
                rid = new_id()
                ws.write("organisation", rid, v, create=True)
                ids.append(rid)
        return ids
    if way == "create_many":
        return ws.create_many("organisation", values)
    if way == "write_new_many":
        rows = [(new_id(), v) for v in values]
        with ws.transaction():
            ws.write_new_many("organisation", rows)
        return [rid for rid, _v in rows]
    other = make("maker")
    rows = [(new_id(), v) for v in values]
    with other.transaction():
        other.write_new_many("organisation", rows)
    ws.applier.set_wise = way == "received_set_wise"
    report = ws.apply_remote(other.ops())
    assert report.set_wise == (way == "received_set_wise")
    ws.applier.set_wise = True
    return [rid for rid, _v in rows]



@pytest.mark.parametrize("way", WAYS)
def test_an_edit_of_a_record_however_made_names_the_operation_that_made_it(
        way: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        ws = make("ws")
        first, second = _made(way, make, ws)
        assert kept_as_created(ws.db) == {first, second}  # one row each, none in heads
        assert ws.db.execute("SELECT count(*) FROM heads WHERE entity = 'organisation'"
                             ).fetchone()[0] == 0
        (create,) = [op for op in ws.ops() if op.entity_id == first]
        records.update(ws, "organisation", first, {"name_en": "Red Ribbon Centre"})
        edit = ws.ops()[-1]
        assert edit.pred == (create.id,)  # it supersedes the create: no conflict
        assert kept_as_created(ws.db) == {second}
        heads = {f: (d, s) for _e, _r, f, d, s, _h in every_head(ws.db, first)}
        assert heads == {"name_zh": create.id, "name_en": edit.id, "site": create.id}
        # A field the create did not write: nothing to supersede.
        records.update(ws, "organisation", second, {"site": "GZ"})
        assert ws.ops()[-1].pred == ()
        records.delete(ws, "organisation", first)
        assert set(ws.ops()[-1].pred) == {create.id, edit.id}
        assert ws.conflicts() == []
        assert records.find(ws, "organisation", first) is None
        assert records.get(ws, "organisation", second)["site"] == "GZ"
        assert check(ws).ok


@pytest.mark.parametrize("set_wise", [True, False])
def test_concurrent_edits_of_a_record_kept_as_created_are_a_conflict(set_wise: bool) -> None:
    """Two devices edit a record each holds as created: each receives the other's edit (set-wise
    or one by one) onto its own row of created heads, and both hold the conflict."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        a, b = make("a"), make("b")
        (org,) = a.create_many("organisation", [{"name_zh": "红丝带", "name_en": "Red"}])
        b.apply_remote(a.ops())
        assert kept_as_created(a.db) == kept_as_created(b.db) == {org}
        records.update(a, "organisation", org, {"name_en": "Red Ribbon"})
        records.update(b, "organisation", org, {"name_en": "Red-Ribbon"})
        for here, there in ((a, b), (b, a)):
            here.applier.set_wise = set_wise
            here.apply_remote(there.ops())
        assert snapshot(a) == snapshot(b)
        (conflict,) = a.conflicts()
        assert conflict == b.conflicts()[0] and conflict.field == "name_en"
        assert {v.value for v in conflict.versions} == {"Red Ribbon", "Red-Ribbon"}
        assert every_head(a.db, org) == every_head(b.db, org)
        assert kept_as_created(a.db) == kept_as_created(b.db) == set()


def test_withdrawing_consent_leaves_no_row_of_created_heads() -> None:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        ws = maker(tmp, stack)("ws")
        (org,) = ws.create_many("organisation", [{"name_zh": "阳光"}])
        part = records.add_participant(ws, code="P1", organisation_id=org)
        iid = records.add_interview(ws, code="I1", participant_ids=[part])
        note = records.add_note(ws, iid, body="她说的话")
        assert {part, iid, note} <= kept_as_created(ws.db)
        records.withdraw_consent(ws, part)
        held = kept_as_created(ws.db)
        assert part not in held and note not in held
        assert ws.db.execute("SELECT count(*) FROM heads WHERE entity_id IN (?, ?)",
                             (part, note)).fetchone()[0] == 0
        kept_one_way(ws.db)



def _schema_12_with_supersession_by_record() -> list[tuple[int, str, str]]:
    """Migrations up to 12, the last also giving ``superseded`` the shape of 0014 (the code
    under test writes that shape; 0014 derives the table again from the log when it runs)."""
    older = [m for m in foldermod.MIGRATIONS if m[0] < 13]
    (by_record,) = [m for m in foldermod.MIGRATIONS if m[0] == 14]
    number, name, script = older[-1]
    return [*older[:-1], (number, name, script + "\n" + by_record[2])]


def test_a_workspace_from_before_created_heads_keeps_its_heads_and_conflicts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace made before migration 0013 (every head a row of its own, a conflict held)
    is migrated: its heads stay as they were, its records edit as before, and the records
    made after the update keep their heads as one row."""
    path = tmp_path / "old"
    with monkeypatch.context() as old:
        old.setattr(foldermod, "MIGRATIONS", _schema_12_with_supersession_by_record())
        old.setattr(foldermod, "SCHEMA_VERSION", 12)
        ws, _ = Workspace.initialise(path, PASSPHRASE, kdf=TEST_KDF)
        other, _ = Workspace.initialise(tmp_path / "other", PASSPHRASE, kdf=TEST_KDF)
        assert not ws.applier.has_created
        org = records.add_organisation(ws, name_zh="红丝带", name_en="Red")
        untouched = records.add_organisation(ws, name_zh="阳光")
        other.apply_remote(ws.ops())
        records.update(ws, "organisation", org, {"name_en": "Red Ribbon"})
        records.update(other, "organisation", org, {"name_en": "Red-Ribbon"})
        ws.apply_remote(other.ops())
        before = every_head(ws.db)
        conflicts = ws.conflicts()
        assert len(conflicts) == 1
        ws.close()
        other.close()
    with Workspace.open(path, PASSPHRASE) as ws:
        assert ws.db.execute("PRAGMA user_version").fetchone()[0] == foldermod.SCHEMA_VERSION
        assert every_head(ws.db) == before and ws.conflicts() == conflicts
        assert kept_as_created(ws.db) == set()
        old_create = next(op for op in ws.ops() if op.entity_id == untouched)
        records.update(ws, "organisation", untouched, {"name_zh": "阳光社工"})
        assert ws.ops()[-1].pred == (old_create.id,)
        ws.resolve("organisation", org, "name_en", "Red Ribbon Centre")
        new = records.add_organisation(ws, name_zh="新的")
        assert kept_as_created(ws.db) == {new}
        assert ws.conflicts() == []
        assert check(ws).ok


ACTIONS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(
    ["one", "many", "batch", "edit", "edit_other", "delete", "erase", "gossip",
     "gossip_one_by_one"]), st.integers(0, 1000)), min_size=3, max_size=30)


def _replica(make: Callable[[str], Workspace], name: str, ops: list[Any],
             rnd: random.Random) -> Workspace:
    """A workspace that keeps every head as a row of its own and applies ``ops`` one by one,
    shuffled (heads are a function of the set of operations, not of their order)."""
    ws = make(name)
    ws.applier.sole_heads = False
    ws.applier.set_wise = False
    ops = list(ops)
    rnd.shuffle(ops)
    ws.apply_remote(ops)
    return ws


# Each example builds six workspaces.
@pytest.mark.timeout(900)
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ACTIONS, st.randoms(use_true_random=False))
def test_heads_kept_as_created_are_the_heads_kept_one_by_one(
        actions: list[tuple[int, str, int]], rnd: random.Random) -> None:
    """Three devices make records every way there is, edit, delete, erase and exchange their
    operations set-wise or one by one; each then holds the heads, conflicts and rows that a
    replica keeping every head as a row of its own holds for the same operations."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        devices = [make(f"d{i}") for i in range(3)]
        orgs: list[str] = []
        parts: list[str] = []
        for who, action, n in actions:
            ws = devices[who]
            alive = [o for o in orgs if records.find(ws, "organisation", o)]
            alive_parts = [p for p in parts if records.find(ws, "participant", p)]
            if action == "one":
                orgs.append(records.add_organisation(ws, name_zh=f"机构{n}"))
                parts.append(records.add_participant(
                    ws, code=f"P{len(parts)}-{n}", organisation_id=alive[n % len(alive)] if alive else None))
            elif action == "many":
                orgs += ws.create_many("organisation", [{"name_zh": f"多{n}", "site": "KM"},
                                                        {"name_en": f"many {n}"}])
            elif action == "batch":
                rows = [(new_id(), {"name_zh": f"批{n}-{i}", "notes": "备注"}) for i in range(3)]
                with ws.transaction():
                    ws.write_new_many("organisation", rows)
                orgs += [rid for rid, _v in rows]
            elif action in ("edit", "edit_other") and alive:
                field = "name_en" if action == "edit" else "site"
                records.update(ws, "organisation", alive[n % len(alive)], {field: f"{who}-{n}"})
            elif action == "delete" and alive:
                records.delete(ws, "organisation", alive[n % len(alive)])
            elif action == "erase" and alive_parts:
                records.withdraw_consent(ws, alive_parts[n % len(alive_parts)])
            elif action in ("gossip", "gossip_one_by_one"):
                target = devices[n % 3]
                target.applier.set_wise = action == "gossip"
                target.apply_remote(ws.ops())
                target.applier.set_wise = True
        for i, d in enumerate(devices):
            kept_one_way(d.db)
            reference = _replica(make, f"r{i}", d.ops(), rnd)
            assert heads_but_receipts(d.db) == heads_but_receipts(reference.db)
            assert snapshot(d) == snapshot(reference)
            assert d.conflicts() == reference.conflicts()
        # Everyone receives everything, set-wise: the same again, and the same everywhere.
        for d in devices:
            for other in devices:
                if other is not d:
                    d.apply_remote(other.ops())
        reference = _replica(make, "r_all", devices[0].ops(), rnd)
        for d in devices:
            kept_one_way(d.db)
            assert heads_but_receipts(d.db) == heads_but_receipts(reference.db)
            assert snapshot(d) == snapshot(reference)
            assert d.conflicts() == reference.conflicts()
