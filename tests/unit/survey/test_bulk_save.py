"""Saving many responses at once: the same log, heads and rows as saving them one by one.

``Workspace.write_new_many`` writes a batch with one statement per table; ``write(create=True)``
is the reference. Both are compared row for row in the database (operations, heads, the
response table), and ``fieldapp check`` replays the whole log through the general apply path
into a fresh database and compares every table with the live one.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain.ids import new_id
from fieldapp.services import records, surveys
from fieldapp.store.check import check
from fieldapp.store.workspace import Workspace
from tests.heads import every_head
from tests.perf.bench_survey_store import FORM, make_answers
from tests.unit.survey.test_fill_plan import answer_sets


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
    hlc = db.execute("SELECT hlc FROM ops WHERE entity_id = ?", (rid,)).fetchone()[0]
    heads = sorted((e, f, d, h == hlc) for e, _r, f, d, _s, h in every_head(db, rid))
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


def test_shared_values_are_written_as_each_records_own(ws: Workspace) -> None:
    """``shared``: values every record of a batch holds, encoded once. Each record must
    still get exactly what ``write`` gives for ``{**shared, **own}``: a record's own value
    for a shared field wins (here the status, a null completion time, the instrument), and
    records of different shapes sit side by side."""
    iid = surveys.import_instrument(ws, FORM)
    rng = random.Random(5)
    shared = {"instrument_id": iid, "instrument_version": "1", "status": "complete",
              "completed_at": "2025-01-01T00:00:00+00:00"}
    owns: list[dict[str, Any]] = [
        {"data": make_answers(rng), "researcher": "Li Wei"},
        {"data": make_answers(rng), "researcher": "Li Wei", "status": "draft",
         "completed_at": None},
        {"data": make_answers(rng), "site": "昆明", "instrument_id": "other"},
        {"data": make_answers(rng), "researcher": "Li Wei"},
    ]
    batch = [(new_id(), own) for own in owns]
    single = [(new_id(), {**shared, **own}) for own in owns]
    with ws.transaction():
        ws.write_new_many("response", batch, shared=shared)
        for rid, values in single:
            ws.write("response", rid, values, create=True)
    for (a, _va), (b, _vb) in zip(batch, single, strict=True):
        assert _stored(ws, a) == _stored(ws, b)
    assert [ws.get_row("response", rid)["status"] for rid, _v in batch] == [  # type: ignore[index]
        "complete", "draft", "complete", "complete"]
    report = check(ws)
    assert report.ok, report.replay_differences


@pytest.mark.parametrize("where", ["shared", "first", "later"])
def test_a_value_of_the_wrong_shape_anywhere_in_a_batch_is_refused(ws: Workspace,
                                                                    where: str) -> None:
    """Each field's shape is looked up once per batch, but every value is still checked:
    a number for a text field in the shared values, the first record or one further on
    is refused with ``validate``'s own message, and nothing is written."""
    iid = surveys.import_instrument(ws, FORM)
    shared: dict[str, Any] = {"instrument_id": iid, "status": "complete"}
    owns: list[dict[str, Any]] = [{"data": {"n": i}, "site": "KM"} for i in range(5)]
    if where == "shared":
        shared["status"] = 3
    else:
        owns[0 if where == "first" else 3]["site"] = 5
    before = ws.last_seq
    with pytest.raises(TypeError) as refused, ws.transaction():
        ws.write_new_many("response", [(new_id(), own) for own in owns], shared=shared)
    field, kind = ("status", "int") if where == "shared" else ("site", "int")
    assert str(refused.value) == f"response.{field}: a text is expected, not a {kind}"
    assert ws.last_seq == before
    assert surveys.list_responses(ws) == []


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


# -- the fast path against the reference, on random response sets --------------------------------

CLOCK = datetime(2025, 3, 1, 9, 30)
#: Links a batch may carry: sites and sectors, and a participant (a cascading reference).
LINKS = st.fixed_dictionaries({}, optional={
    "site": st.sampled_from(["KM", "GZ", "", "昆明"]), "sector": st.sampled_from(["hiv", None]),
    "researcher": st.sampled_from(["", "Wang Fang"])})


def _log(ws: Workspace, rid: str) -> tuple[Any, ...]:
    """The operation, heads and row of one record, byte for byte, without what differs by
    construction (id, clock, sequence number)."""
    db = ws.db
    op = db.execute('SELECT device, entity, "values", pred, received_hlc = hlc FROM ops '
                    "WHERE entity_id = ?", (rid,)).fetchall()
    hlc, seq = db.execute("SELECT hlc, seq FROM ops WHERE entity_id = ?", (rid,)).fetchone()
    heads = sorted((e, f, d, h == hlc, s == seq) for e, _r, f, d, s, h in every_head(db, rid))
    cur = db.execute("SELECT * FROM response WHERE id = ?", (rid,))
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone(), strict=True))
    assert row.pop("created_hlc") == row.pop("updated_hlc")
    row.pop("id")
    return op, heads, sorted(row.items())


def _tables(ws: Workspace) -> tuple[int, ...]:
    db = ws.db
    return tuple(int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                 for t in ("ops", "heads", "created_heads", "superseded", "response",
                           "correction"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_fast_batches_store_what_the_reference_stores(ws: Workspace, data: st.DataObject
                                                       ) -> None:
    """``add_responses`` against its reference (``fill_state`` + ``validate_all`` + one
    ``Workspace.write`` per record) on random batches: realistic responses, some with a wrong
    answer, and random answer sets (wrong kinds, hidden or unknown questions), completed or
    drafts. Either both refuse the batch with the same issues and nothing is written, or
    both write the same operations (byte for byte), heads and rows, no conflicts, and the
    replay check passes."""
    iid = _IIDS.get(ws.path)
    if iid is None:
        iid = _IIDS[ws.path] = surveys.import_instrument(ws, FORM)
    inst = surveys.instrument(ws, iid)
    seed = data.draw(st.integers(0, 2**16))
    rng = random.Random(seed)
    batch: list[dict[str, Any]] = []
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["real", "real", "real", "broken", "random"]))
        if kind == "random":
            batch.append(data.draw(answer_sets(inst)))
            continue
        answers = make_answers(rng)
        if kind == "broken":
            where = data.draw(st.sampled_from(["founded_year", "consent", "city", "extra"]))
            if where == "extra":
                answers["no_such_question"] = 1
            elif where == "consent":
                answers["consent"] = "perhaps"
            else:
                answers["org"][where] = data.draw(st.sampled_from(["long ago", 1800, "nowhere"]))
        batch.append(answers)
    links = [data.draw(LINKS) for _ in batch]
    complete = data.draw(st.booleans())
    before = _tables(ws)
    outcomes = []
    for reference in (False, True):
        try:
            ids = surveys.add_responses(ws, iid, batch, complete_them=complete, links=links,
                                        clock=lambda: CLOCK, reference=reference)
        except surveys.ResponseIncomplete as exc:
            assert _tables(ws) == before  # nothing written for a refused batch
            outcomes.append([(i.address, i.message, i.kind) for i in exc.issues])
        else:
            outcomes.append([_log(ws, rid) for rid in ids])
    assert outcomes[0] == outcomes[1]
    assert ws.conflicts() == []
    if _tables(ws) != before:
        report = check(ws)
        assert report.ok, report.replay_differences


_IIDS: dict[Any, str] = {}


def test_no_answer_is_remembered_after_a_batch(ws: Workspace) -> None:
    """The plan outlives the batch (cached per instrument version, past a lock of the
    workspace); what it remembered of the answers does not, whether the batch was saved or
    refused."""
    iid = surveys.import_instrument(ws, FORM)
    plan = surveys.plan_for(iid, records.get(ws, "instrument", iid))
    rng = random.Random(4)
    answers = [make_answers(rng) for _ in range(5)]
    surveys.add_responses(ws, iid, answers, complete_them=True)
    assert plan.remembered == 0
    answers[2]["consent"] = "perhaps"
    with pytest.raises(surveys.ResponseIncomplete):
        surveys.add_responses(ws, iid, answers, complete_them=True)
    assert plan.remembered == 0
    # while it fills, it does remember (what the batch gains from)
    fresh = plan.fresh()
    plan.fill(answers[0], fresh)
    assert plan.remembered > 0
