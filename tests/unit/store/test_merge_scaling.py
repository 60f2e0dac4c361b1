"""The set-wise merge does work in proportion to the batch, whatever the batch's shape.

A statement whose join cannot use its index compares every operation with every other, and
a bundle that is quick at a few hundred operations then takes hours at a hundred thousand:
a merge of one researcher's bundle of edits -- each naming the value it replaced -- did
exactly that while the benchmark's bundle of fresh records stayed fast (the names' table,
made by ``CREATE TABLE ... AS`` from ``json_extract``, had no column types, so its index
matched on the device alone).

No clock here: SQLite counts the virtual machine instructions it runs (the progress
handler, ``tests/growth.py``), and a batch four times larger must cost about
four times as many, not sixteen. Each shape is a kind of bundle a coordinator receives: chains
of edits, edits arriving before the values they replace, two devices' concurrent edits and
deletes, edits of records the receiver already holds, notes (owned and indexed) rewritten.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.domain.ops import Op
from fieldapp.services import records
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.growth import Meter, assert_linear_growth


def _edit_chains(alice: Workspace, _bob: Workspace, n: int) -> list[Op]:
    """One device: records created, each edited three times (each edit names the last)."""
    orgs = [records.add_organisation(alice, name_zh=f"机构{i}", name_en=f"Org {i}")
            for i in range(n)]
    for k in range(3):
        for i, oid in enumerate(orgs):
            records.update(alice, "organisation", oid, {"notes": f"第{k}次 renewed {i}"})
    return alice.ops()


def _edits_first(alice: Workspace, bob: Workspace, n: int) -> list[Op]:
    """The same chains arriving newest first: every value is superseded before it arrives."""
    return list(reversed(_edit_chains(alice, bob, n)))


def _two_devices(alice: Workspace, bob: Workspace, n: int) -> list[Op]:
    """Two devices edit the same records concurrently (conflicts) and delete some."""
    orgs = [records.add_organisation(alice, name_zh=f"机构{i}") for i in range(n)]
    bob.apply_remote(alice.ops())
    for i, oid in enumerate(orgs):
        records.update(alice, "organisation", oid, {"name_en": f"alice {i}"})
        records.update(bob, "organisation", oid, {"name_en": f"bob {i}"})
        if i % 7 == 0:
            records.delete(bob, "organisation", oid)
    ops = alice.ops() + bob.ops(device=bob.device_id)
    random.Random(n).shuffle(ops)
    return ops


def _notes_rewritten(alice: Workspace, _bob: Workspace, n: int) -> list[Op]:
    """Notes (owned by their maker, indexed for search) written and rewritten twice."""
    interview = records.add_interview(alice, code="I1")
    notes = [records.add_note(alice, interview, body=f"笔记 {i} 艾滋病 note") for i in range(n)]
    for k in range(2):
        for i, nid in enumerate(notes):
            records.save_note_body(alice, nid, f"改 {k} 第{i}条 HIV services contracted")
    return alice.ops()


SHAPES: dict[str, Callable[[Workspace, Workspace, int], list[Op]]] = {
    "edit chains": _edit_chains,
    "edits before what they replace": _edits_first,
    "two devices, conflicts and deletes": _two_devices,
    "notes rewritten": _notes_rewritten,
}


def _instructions(tmp: Path, shape: str, n: int, *, held: bool, set_wise: bool) -> int:
    """SQLite instructions run by merging the shape's batch of size ``n`` (set-wise, or one
    operation at a time as erasures are); with ``held``, into a receiver that already holds
    the first half of the batch."""
    with ExitStack() as stack:
        def make(name: str) -> Workspace:
            ws, _ = Workspace.initialise(tmp / f"{shape}-{n}-{held}-{set_wise}-{name}",
                                         PASSPHRASE)
            stack.callback(ws.close)
            return ws

        batch = SHAPES[shape](make("alice"), make("bob"), n)
        receiver = make("receiver")
        receiver.applier.set_wise = set_wise
        if held:
            receiver.apply_remote(batch[: len(batch) // 2])
        meter = Meter()
        meter.watch(receiver.db)
        with meter.run():
            report = receiver.apply_remote(list(batch))
        assert report.set_wise == set_wise
        assert report.applied + report.duplicate == len(batch)
        return meter.instructions


@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "one by one"])
@pytest.mark.parametrize("held", [False, True], ids=["new here", "held here"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_merge_work_grows_with_the_batch(shape: str, held: bool, set_wise: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small = _instructions(Path(tmp), shape, 60, held=held, set_wise=set_wise)
        large = _instructions(Path(tmp), shape, 240, held=held, set_wise=set_wise)
    assert_linear_growth(f"merging {shape}", (60, 240), small, large, "SQLite instructions")
