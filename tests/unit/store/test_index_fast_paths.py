"""The fast paths of the note index against their references (hypothesis):

- creating notes in a batch (one ``executemany`` per table) leaves exactly what creating them
  one operation at a time leaves: the same operations, heads, rows, rowids, index pages and a
  clean ``fieldapp check`` replay;
- saving edits re-indexes only the chunks whose text changed; after any mix of creates, edits
  that add or remove words, deletes and erasures the index holds exactly the entries a
  rebuild from the notes would hold (nothing left over from removed text, nothing missing),
  and search answers exactly what a scan of the notes answers.
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain import ids
from fieldapp.domain.hlc import Clock
from fieldapp.services import records
from fieldapp.services.search import search
from fieldapp.store import search as index
from fieldapp.store import workspace as wsmod
from fieldapp.store.check import check
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE

# Text that exercises the tokenizer: Chinese runs (Simplified and Traditional), full-width
# letters, English words, sentence marks that end chunks, a character outside the BMP.
ALPHABET = "艾滋病登记注册張偉欧阳娜社工 abcxyz consent evaluation ＡＢ。.！，\n𠮷"
TEXTS = st.text(alphabet=ALPHABET, max_size=120)
WORDS = ["艾滋", "登记", "注册", "张伟", "欧阳娜", "社工", "consent", "eval", "evaluation",
         "abc", "ab", "xyz", "𠮷艾"]


@contextmanager
def _deterministic(ws: Workspace) -> Iterator[None]:
    """Ids from a counter and a clock that never moves: two workspaces copied from one
    another then produce byte-identical operations."""
    counter = itertools.count(1)

    def next_id() -> str:
        return f"00000000-0000-7000-8000-{next(counter):012x}"

    saved = ids.new_id, wsmod.new_id
    ids.new_id = wsmod.new_id = next_id  # type: ignore[assignment]
    ws.new_record_ids = lambda _entity, n: [next_id() for _ in range(n)]  # type: ignore[method-assign]
    ws.clock = Clock(ws.clock.last, now=lambda: 1_800_000_000_000)
    try:
        yield
    finally:
        ids.new_id, wsmod.new_id = saved  # type: ignore[assignment]
        del ws.new_record_ids


def _dump(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    db = ws.db
    out = {}
    for table, order in (("ops", "device, seq"), ("heads", "entity_id, field, device, seq"),
                         ("created_heads", "entity_id"),
                         ("note", "rowid"), ("search_index_data", "id"),
                         ("search_index_idx", "segid, term, pgno"),
                         ("meta", "key")):
        cols = "rowid, *" if table == "note" else "*"
        where = " WHERE key IN ('seq', 'hlc')" if table == "meta" else ""
        out[table] = db.execute(f"SELECT {cols} FROM {table}{where} ORDER BY {order}").fetchall()
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(TEXTS, max_size=12), min_size=1, max_size=3))
def test_batch_create_leaves_what_one_by_one_creates_leave(tmp_path: Path,
                                                           batches: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        first = Path(tmp) / "batch"
        ws, _ = Workspace.initialise(first, PASSPHRASE)
        iid = records.add_interview(ws, code="I1")
        ws.close()
        second = Path(tmp) / "one_by_one"
        shutil.copytree(first, second, ignore=shutil.ignore_patterns(".lock"))
        with Workspace.open(first, PASSPHRASE) as a, Workspace.open(second, PASSPHRASE) as b:
            with _deterministic(a):
                made_a = [records.add_notes(a, iid, bodies) for bodies in batches]
            with _deterministic(b):
                made_b = [records.add_notes_one_by_one(b, iid, bodies) for bodies in batches]
            assert made_a == made_b
            assert _dump(a) == _dump(b)
            assert check(a).ok and check(b).ok
            for word in WORDS:
                assert ([h.note_id for h in search(a, word)]
                        == [h.note_id for h in search(b, word)]), word


def _instances(ws: Workspace) -> set[tuple[str, int, int]]:
    """Every (token, note rowid, position within its chunk) the index holds."""
    ws.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_instance "
                  "USING fts5vocab(main, search_index, instance)")
    return {(str(t), index.note_rowid(int(d)), int(o)) for t, d, o in ws.db.execute(
        "SELECT term, doc, offset FROM temp.v_instance")}


def _expected(ws: Workspace, query: str) -> set[str]:
    """The notes a scan finds for ``query``: each term's folded text in the folded note (a
    word as the start of a word)."""
    terms = re.findall(r"[\u3400-\u9fff\U00020000-\U0003134f]+|[a-z0-9]+", index.fold(query))
    found = set()
    for note in records.list_records(ws, "note"):
        text = index.fold(index.indexed_text(note["title"], note["body"]))
        if all((t in text) if not t.isascii()
               else re.search(rf"(?<![a-z0-9]){t}", text) for t in terms):
            found.add(note["id"])
    return found


ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("batch"), st.lists(TEXTS, max_size=5)),
    st.tuples(st.just("note"), TEXTS),
    st.tuples(st.just("type"), st.integers(0, 99), st.integers(0, 200), TEXTS),
    st.tuples(st.just("cut"), st.integers(0, 99), st.integers(0, 200), st.integers(1, 60)),
    st.tuples(st.just("replace"), st.integers(0, 99), TEXTS),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("erase"), st.integers(0, 99)),
), min_size=1, max_size=20)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ACTIONS)
def test_the_index_after_any_edits_is_what_a_rebuild_makes(tmp_path: Path,
                                                           actions: list[Any]) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        ws, _ = Workspace.initialise(Path(tmp) / "ws", PASSPHRASE)
        try:
            _play(ws, actions)
            held = _instances(ws)
            for word in WORDS:
                assert {h.note_id for h in search(ws, word, limit=1000)} == _expected(ws, word)
            assert check(ws).ok
            with ws.transaction():
                index.rebuild(ws.db)
            assert held == _instances(ws)
        finally:
            ws.close()


def _play(ws: Workspace, actions: list[Any]) -> None:
    participants = [records.add_participant(ws, code=f"P{i}") for i in range(2)]
    interviews = {p: records.add_interview(ws, code=f"I{i}", participant_ids=[p])
                  for i, p in enumerate(participants)}

    def live_notes() -> list[str]:
        return [n["id"] for n in records.list_records(ws, "note")]

    for step, action in enumerate(actions):
        kind = action[0]
        notes = live_notes()
        live = list(interviews.values())
        if kind in ("batch", "note") and live:
            iid = live[step % len(live)]
            if kind == "batch":
                records.add_notes(ws, iid, action[1])
            else:
                records.add_note(ws, iid, body=action[1])
        elif kind in ("type", "cut", "replace") and notes:
            nid = notes[action[1] % len(notes)]
            body = records.get(ws, "note", nid)["body"] or ""
            if kind == "type":
                at = action[2] % (len(body) + 1)
                body = body[:at] + action[3] + body[at:]
            elif kind == "cut":
                at = action[2] % (len(body) + 1)
                body = body[:at] + body[at + action[3]:]
            else:
                body = action[2]
            records.save_note_body(ws, nid, body)
        elif kind == "delete" and notes:
            records.delete(ws, "note", notes[action[1] % len(notes)])
        elif kind == "erase" and interviews:
            pid = sorted(interviews)[action[1] % len(interviews)]
            del interviews[pid]
            records.withdraw_consent(ws, pid)


def test_chunks_are_cut_only_between_tokens() -> None:
    text = "艾滋病防治。" * 200 + "evaluation of trust. " * 200
    chunks = index._chunks(index.fold(text))
    assert len(chunks) > 1 and "".join(chunks) == index.fold(text)
    for left, right in itertools.pairwise(chunks):
        assert left[-1] in "。！？!?；;.\n" or left[-1] == " " or right[0] in " \n"
    assert sorted(index.tokens(text)) == sorted(
        t for stream in index.entries(1, text).values() for t in index._FTS_SPLIT.findall(stream))


def test_an_edit_reindexes_only_the_chunks_it_touched() -> None:
    import random

    from tests.perf.bench_store import make_note

    rng = random.Random(5)
    for _ in range(20):
        old = make_note(rng, 12_000)
        at = old.index("。", rng.randrange(len(old) // 2)) + 1
        for new in (old[:at] + "插入的一句话，谈到经费。" + old[at:],  # typing a sentence
                    old[:at] + old[old.index("。", at) + 1:]):  # deleting one
            before, after = index.entries(7, old), index.entries(7, new)
            changed = {r for r in set(before) | set(after) if before.get(r) != after.get(r)}
            # the chunk touched, and a neighbour when the edit moved a boundary
            assert len(before) >= 5 and len(changed) <= 4


def test_an_import_compacts_the_index_and_keeps_it_exact(ws: Workspace) -> None:
    iid = records.add_interview(ws, code="I1")
    bodies = [f"第{i}条笔记。访谈谈到登记注册。note {i} about consent."
              for i in range(index.IMPORT_NOTES)]
    ids_ = records.add_notes(ws, iid, bodies)
    records.save_note_body(ws, ids_[5], "改写：只剩这一句。")
    assert {h.note_id for h in search(ws, "登记", limit=2000)} == set(ids_) - {ids_[5]}
    assert [h.note_id for h in search(ws, "只剩")] == [ids_[5]]
    assert {h.note_id for h in search(ws, "cons", limit=2000)} == set(ids_) - {ids_[5]}
    held = _instances(ws)
    with ws.transaction():
        index.rebuild(ws.db)
    assert held == _instances(ws) and check(ws).ok
