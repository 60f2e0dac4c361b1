"""Saving many responses at once: the same log, heads and rows as saving them one by one.

``Workspace.write_new_many`` writes a batch with one statement per table; ``write(create=True)``
is the reference. Both are compared row for row in the database (operations, heads, the
response table), and ``fieldapp check`` replays the whole log through the general apply path
into a fresh database and compares every table with the live one.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from fieldapp.domain.ids import new_id
from fieldapp.services import surveys
from fieldapp.store.check import check
from fieldapp.store.workspace import Workspace
from tests.perf.bench_survey_store import FORM, make_answers


def _values(ws: Workspace, iid: str, rng: random.Random) -> dict[str, Any]:
    return {"instrument_id": iid, "instrument_version": "1", "data": make_answers(rng),
            "status": "complete", "site": rng.choice(["KM", "GZ", ""]),
            "researcher": "Li Wei", "completed_at": "2025-01-01T00:00:00+00:00"}


def _stored(ws: Workspace, rid: str) -> tuple[Any, ...]:
    """Everything stored for one record, without what differs by construction (id, clock,
    sequence number)."""
    db = ws.db
    op = db.execute('SELECT device, entity, "values", pred, received_hlc = hlc FROM ops '
                    "WHERE entity_id = ?", (rid,)).fetchall()
    heads = sorted(db.execute("SELECT entity, field, device, hlc = (SELECT hlc FROM ops "
                              "WHERE entity_id = ?) FROM heads WHERE entity_id = ?",
                              (rid, rid)).fetchall())
    cur = db.execute("SELECT * FROM response WHERE id = ?", (rid,))
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone(), strict=True))
    for key in ("id", "created_hlc", "updated_hlc"):
        row.pop(key)
    return op, heads, sorted(row.items())


def test_batch_writes_what_one_by_one_writes(ws: Workspace) -> None:
    iid = surveys.import_instrument(ws, FORM)
    rng = random.Random(3)
    batch = [(new_id(), _values(ws, iid, rng)) for _ in range(40)]
    rng = random.Random(3)
    single = [(new_id(), _values(ws, iid, rng)) for _ in range(40)]
    with ws.transaction():
        ops = ws.write_new_many("response", batch)
    with ws.transaction():
        for rid, values in single:
            ws.write("response", rid, values, create=True)
    assert [op.seq for op in ops] == list(range(ops[0].seq, ops[0].seq + 40))
    for (a, _va), (b, _vb) in zip(batch, single, strict=True):
        assert _stored(ws, a) == _stored(ws, b)
    report = check(ws)
    assert report.ok, report.replay_differences
    # a replica that merges the log has the batch too
    assert {rid for rid, _v in batch} <= {r["id"] for r in surveys.list_responses(ws)}


def test_add_responses_stores_what_the_reference_stores(ws: Workspace) -> None:
    """The bulk save (compiled plan, one statement per table) against the per-response path
    (reference fill, new_response + complete): the same answers, status and links."""
    iid = surveys.import_instrument(ws, FORM)
    rng = random.Random(8)
    answers = [make_answers(rng) for _ in range(25)]
    links = [{"site": "KM", "sector": "hiv"} for _ in answers]
    bulk = surveys.add_responses(ws, iid, answers, complete_them=True, links=links)
    one = [surveys.add_response_from_answers(ws, iid, a, complete_it=True, **link)
           for a, link in zip(answers, links, strict=True)]

    def shown(rid: str) -> tuple[Any, ...]:
        row = ws.get_row("response", rid)
        assert row is not None
        data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        for key in ("started", "start", "end", "today"):
            data.pop(key, None)  # when it was filled in
        return (data, row["status"], row["site"], row["sector"], row["researcher"],
                row["instrument_id"], row["instrument_version"])

    assert [shown(r) for r in bulk] == [shown(r) for r in one]
    assert check(ws).ok


def test_bulk_save_refuses_like_the_reference(ws: Workspace) -> None:
    """A batch with a bad response saves nothing and names the same problems."""
    iid = surveys.import_instrument(ws, FORM)
    rng = random.Random(2)
    good = make_answers(rng)
    bad = make_answers(rng)
    bad["org"]["founded_year"] = "long ago"
    bad["consent"] = "perhaps"
    with pytest.raises(surveys.ResponseIncomplete) as bulk:
        surveys.add_responses(ws, iid, [good, bad], complete_them=True)
    with pytest.raises(surveys.ResponseIncomplete) as single:
        surveys.add_response_from_answers(ws, iid, bad, complete_it=True)
    assert [(i.address, i.message, i.kind) for i in bulk.value.issues] == [
        (f"#2/{i.address}", i.message, i.kind) for i in single.value.issues]
    assert surveys.list_responses(ws) == []
