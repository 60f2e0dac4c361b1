"""Supersession bound to the record (migration 0014).

An operation's ``pred`` names the values it replaced. Only an operation on the same record
replaces anything: one on another record naming an operation -- forged, or from a faulty
version -- supersedes nothing, whether the named operation arrived before or after it. The
attack through real bundles is in tests/unit/sync_flow/test_pre_emptive_supersession.py;
here the migration of a workspace holding the old table, and the rule on both merge paths
(set-wise and one by one), with the honest out-of-order case beside it as the control: an
edit that arrives after the edit that replaced it is still hollowed out and is no head."""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest

from fieldapp.domain.ids import new_id
from fieldapp.domain.ops import Op, OpId
from fieldapp.services import records
from fieldapp.store import folder as foldermod
from fieldapp.store.check import check
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.heads import every_head
from tests.unit.store.test_set_merge import derived_state, maker


def _forged(forger: Workspace, entity_id: str, values: dict[str, object],
            pred: tuple[OpId, ...]) -> Op:
    forger._seq += 1
    return Op(forger.device_id, forger._seq, forger.clock.tick().encode(), "organisation",
              entity_id, values, pred)


def _superseded(ws: Workspace) -> list[tuple[object, ...]]:
    return ws.db.execute("SELECT device, seq, entity_id, field FROM superseded "
                         "ORDER BY 1, 2, 3, 4").fetchall()


def _logged(ws: Workspace, op: Op) -> dict[str, object]:
    (values,) = ws.db.execute('SELECT "values" FROM ops WHERE device = ? AND seq = ?',
                              op.id).fetchone()
    return dict(json.loads(values))


class _Story:
    """Device a's organisation x, edited twice (the second edit names the first); a forger's
    operation on its own organisation y names a's create of x and a's next, unwritten
    operation; then a writes that operation (an edit of x's Chinese name)."""

    def __init__(self, make: object) -> None:
        assert callable(make)
        a, forger = make("a"), make("forger")
        self.x = records.add_organisation(a, name_zh="红丝带", name_en="Red Ribbon")
        records.update(a, "organisation", self.x, {"name_en": "Red Ribbon Centre"})
        records.update(a, "organisation", self.x, {"name_en": "Red Ribbon Health Centre"})
        self.create, self.first_edit, self.second_edit = a.ops()
        self.y = new_id()
        forger_create = _forged(forger, self.y, {"name_zh": "另一机构"}, ())
        self.cross = _forged(forger, self.y, {"name_zh": "被改", "name_en": "changed"},
                             (forger_create.id, self.create.id, (a.device_id, a.last_seq + 1)))
        records.update(a, "organisation", self.x, {"name_zh": "红丝带健康服务中心"})
        self.future = a.ops()[-1]
        assert self.future.id == (a.device_id, self.first_edit.seq + 2)
        self.before = [self.create, forger_create, self.cross, self.second_edit]
        self.after = [self.first_edit, self.future]


def _holds_the_story(ws: Workspace, story: _Story) -> None:
    org = records.get(ws, "organisation", story.x)
    assert (org["name_zh"], org["name_en"]) == ("红丝带健康服务中心", "Red Ribbon Health Centre")
    # The control: the first edit came after the edit that replaced it, and is hollowed out.
    assert _logged(ws, story.first_edit) == {"name_en": None}
    # The edit the forger named before it was written keeps its text; x has no conflict.
    assert _logged(ws, story.future) == {"name_zh": "红丝带健康服务中心"}
    assert [c for c in ws.conflicts() if c.entity_id == story.x] == []
    heads = {(h[2], h[3], h[4]) for h in every_head(ws.db, story.x) if h[2].startswith("name")}
    assert heads == {("name_zh", *story.future.id), ("name_en", *story.second_edit.id)}
    assert check(ws).ok


@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "one-by-one"])
def test_an_operation_on_another_record_supersedes_nothing_in_either_order(
        set_wise: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        make = maker(tmp, stack)
        story = _Story(make)
        first, last = make("named-first"), make("named-last")
        first_ref, last_ref = make("named-first-ref"), make("named-last-ref")
        for ws in (first, last):
            ws.applier.set_wise = set_wise
        for ws in (first_ref, last_ref):
            ws.applier.set_wise = False
        rest = [op for op in story.before if op not in (story.create, story.second_edit)]
        for ws, batches in ((first, [story.before, story.after]),
                            (first_ref, [story.before, story.after]),
                            (last, [[story.create, story.second_edit, *story.after], rest]),
                            (last_ref, [[story.create, story.second_edit, *story.after], rest])):
            for batch in batches:
                # Names of another record's operations no longer send a batch down the
                # reference path.
                assert ws.apply_remote(batch).set_wise == ws.applier.set_wise
        for ws in (first, last):
            _holds_the_story(ws, story)
        assert every_head(first.db) == every_head(last.db)
        assert derived_state(first) == derived_state(first_ref)
        assert derived_state(last) == derived_state(last_ref)


def test_a_workspace_holding_the_old_table_is_migrated_from_its_log(tmp_path: Path) -> None:
    """A workspace at schema 13 (``superseded`` without the record) that holds the forger's
    operation and the honest second edit: migrated, its table is what the log says, the
    forger's names bound to the forger's record; the operations arriving after the update
    are taken as the rule says."""
    with ExitStack() as stack:
        make = maker(str(tmp_path), stack)
        story = _Story(make)
    path = tmp_path / "old"
    ws, _ = Workspace.initialise(path, PASSPHRASE)
    ws.apply_remote(story.before)
    expected = _superseded(ws)
    assert (story.create.device, story.create.seq, story.y, "name_zh") in expected
    assert (story.first_edit.device, story.first_edit.seq, story.x, "name_en") in expected
    # The table as schema 13 kept it: (device, seq, field), the record not said.
    ws.db.executescript(
        "BEGIN; CREATE TABLE old (device TEXT NOT NULL, seq INTEGER NOT NULL, field TEXT NOT "
        "NULL, PRIMARY KEY (device, seq, field)) WITHOUT ROWID; INSERT OR IGNORE INTO old "
        "SELECT device, seq, field FROM superseded; DROP TABLE superseded; "
        "ALTER TABLE old RENAME TO superseded; PRAGMA user_version = 13; COMMIT;")
    ws.close()
    with Workspace.open(path, PASSPHRASE) as ws:
        assert ws.db.execute("PRAGMA user_version").fetchone()[0] == foldermod.SCHEMA_VERSION
        assert _superseded(ws) == expected
        ws.apply_remote(story.after)
        _holds_the_story(ws, story)

