"""Idle-time indexing (``Workspace.defer_index``): a note save records that the note's index
entries are stale and the index catches up later. Attacked from outside the code that promises
it: searches are compared with those of a fully rebuilt index on random edit sequences; the
index's vocabulary after catching up is compared with a rebuilt one; every page and WAL frame is
decrypted with the data key and searched for edited-out text; a saving process is killed with
SIGKILL before its note is indexed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.services import records
from fieldapp.services.search import search
from fieldapp.store import search as index
from fieldapp.store.check import check
from fieldapp.store.folder import DB_NAME
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.unit.store.pagescan import found_in

# Pieces that exercise folding: Traditional/Simplified, variant words, full-width, case,
# diacritics (which FTS5's tokenizer folds on its own), one-character words, prefixes.
PIECES = ["艾滋病", "愛滋病", "爱滋", "身分证", "登记注册", "登記", "ＨＩＶ", "hiv", "Consent",
          "consenting", "Ünïcödé", "unicode", "张伟", "欧阳娜娜", "病", "好", "社工", "街道办",
          "the", "registration", "13912345678"]
MARKS = ["。", "，", " ", "\n", ". ", "；", ""]
QUERIES = ["艾滋", "愛滋病", "爱滋", "身份证", "登记", "hiv", "ＨＩＶ", "consen", "consent",
           "unicode", "Ünïcödé", "张伟", "欧阳", "病", "社工 hiv", "登记 consent", "registration",
           "139", "街道办 the", "滋病"]

texts = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(MARKS)),
                 min_size=0, max_size=12).map(lambda ps: "".join(a + b for a, b in ps))
actions = st.lists(st.one_of(
    st.tuples(st.just("add"), texts),
    st.tuples(st.just("edit"), st.integers(0, 50), texts),
    st.tuples(st.just("title"), st.integers(0, 50), texts),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("index"), st.integers(0, 3)),
), min_size=1, max_size=14)


def _results(ws: Workspace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in QUERIES:
        out[q] = ([h.note_id for h in index.run_query(ws.db, q, limit=500)],
                  index.count_matches(ws.db, q))
    return out


def _rebuilt(ws: Workspace, what: Any) -> Any:
    """``what(ws)`` as it would be with every note indexed at once (the reference), in a
    savepoint that is rolled back."""
    db = ws.db
    db.execute("SAVEPOINT reference")
    try:
        index.rebuild(db)
        assert index.stale_notes(db) == []
        return what(ws)
    finally:
        db.execute("ROLLBACK TO reference")
        db.execute("RELEASE reference")


def _vocabulary(ws: Workspace) -> list[tuple[Any, ...]]:
    db = ws.db
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_inst "
               "USING fts5vocab(main, search_index, instance)")
    return sorted(db.execute("SELECT term, doc, offset FROM temp.v_inst").fetchall())


def _play(ws: Workspace, iid: str, notes: list[str], steps: list[tuple[Any, ...]]) -> None:
    for step in steps:
        live = [n for n in notes if records.find(ws, "note", n) is not None]
        if step[0] == "add":
            notes.append(records.add_note(ws, iid, body=step[1]))
        elif step[0] in ("edit", "title") and live:
            nid = live[step[1] % len(live)]
            field = "body" if step[0] == "edit" else "title"
            ws.update("note", nid, {field: step[2]})
        elif step[0] == "delete" and live:
            records.delete(ws, "note", live[step[1] % len(live)])
        elif step[0] == "index":
            ws.index_pending(step[1] or None)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=actions)
def test_search_while_indexing_is_deferred_equals_a_fully_indexed_search(
        ws: Workspace, steps: list[tuple[Any, ...]]) -> None:
    ws.defer_index = True
    iid = records.add_interview(ws, code=f"P-{os.urandom(4).hex()}")
    notes: list[str] = []
    _play(ws, iid, notes, steps)
    assert _results(ws) == _rebuilt(ws, _results)
    # Searching twice (the in-memory overlay is kept between searches) changes nothing.
    assert _results(ws) == _rebuilt(ws, _results)
    # Catching up leaves exactly the entries a rebuild makes: no token of an old text stays.
    ws.index_pending()
    assert index.stale_notes(ws.db) == []
    assert _vocabulary(ws) == _rebuilt(ws, _vocabulary)
    assert check(ws).index_differences == []


def test_the_deferred_path_leaves_what_the_immediate_path_leaves(tmp_path: Path) -> None:
    """The same saves, indexed at once (the reference) and in idle time: the same index."""
    import random

    from tests.perf.bench_store import _edit, make_note

    vocab = []
    for defer in (False, True):
        rng = random.Random(5)
        with Workspace.initialise(tmp_path / f"ws-{defer}", PASSPHRASE)[0] as w:
            w.defer_index = defer
            iid = records.add_interview(w, code="REF-1")
            ids = [records.add_note(w, iid, body=make_note(rng, 400)) for _ in range(8)]
            for i in range(30):
                nid = ids[rng.randrange(len(ids))]
                records.save_note_body(w, nid, _edit(rng, records.get(w, "note", nid)["body"], i))
                if i % 7 == 3:
                    records.delete(w, "note", ids.pop(0))
            assert (w.pending_index() > 0) == defer
            w.index_pending()
            vocab.append(_vocabulary(w))
    assert vocab[0] == vocab[1]


NAME = "鞠婧祎"
WORD = "xylographer"
PHONE = "13987654321"


def _note_with_secrets(ws: Workspace) -> str:
    import random

    from tests.perf.bench_store import make_note

    rng = random.Random(3)
    iid = records.add_interview(ws, code="KM-HIV-I010")
    records.add_notes(ws, iid, [make_note(rng, 600) for _ in range(200)])
    nid = records.add_note(ws, iid, body=f"开头。{NAME}说{WORD}的事情，电话{PHONE}。结尾。")
    for i in range(3):
        records.add_note(ws, iid, body=make_note(rng, 300) + f" 其他{i}")
    return nid


def test_text_edited_out_leaves_every_page_once_the_indexer_has_run(ws: Workspace) -> None:
    nid = _note_with_secrets(ws)
    db, key = ws.path / DB_NAME, ws.data_key
    ws.defer_index = True
    records.save_note_body(ws, nid, "开头。新的一句。结尾。")
    # Searches are exact before the index has caught up ...
    assert search(ws, WORD) == [] and search(ws, NAME) == [] and search(ws, PHONE) == []
    assert [h.note_id for h in search(ws, "新的")] == [nid]
    assert ws.pending_index() == 1
    # ... while the index (and the pending record) still hold the old text: the window.
    assert found_in(db, key, WORD)
    assert ws.index_pending() == 0
    for secret in (NAME, WORD, PHONE, NAME[:2], NAME[1:]):
        assert not found_in(db, key, secret), f"{secret!r} survived the indexer"
    assert [h.note_id for h in search(ws, "新的")] == [nid]
    assert check(ws).ok


def test_closing_the_workspace_indexes_what_is_left_before_the_key_goes(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    nid = _note_with_secrets(ws)
    db, key = ws.path / DB_NAME, ws.data_key
    ws.defer_index = True
    records.save_note_body(ws, nid, "开头。结尾。")
    assert ws.pending_index() == 1 and found_in(db, key, WORD)
    ws.close()
    for secret in (NAME, WORD, PHONE):
        assert not found_in(db, key, secret), f"{secret!r} survived the close"


def test_erasure_removes_pending_records_and_their_text_at_once(ws: Workspace) -> None:
    pid = records.add_participant(ws, code="KM-HIV-007")
    records.record_consent(ws, pid, form_version="v1", language="zh", method="oral",
                           date_given="2026-05-01", scopes=["audio"])
    iid = records.add_interview(ws, code="KM-HIV-I007", participant_ids=[pid])
    nid = records.add_note(ws, iid, body=f"{NAME}说{WORD}。")
    other = records.add_interview(ws, code="KM-HIV-I008")
    kept = records.add_note(ws, other, body="另一位受访者提到登记注册。")
    ws.defer_index = True
    for i in range(3):  # saved, never indexed: the pending record holds the indexed text
        records.save_note_body(ws, nid, f"{NAME}说{WORD}，第{i}次。电话{PHONE}")
    records.save_note_body(ws, kept, "另一位受访者提到登记注册和社工。")
    assert ws.pending_index() == 2
    records.withdraw_consent(ws, pid, reason="participant_request")
    # The erased note's pending record went with it; the other note's stays for idle time.
    assert ws.pending_index() == 1
    assert search(ws, WORD) == [] and search(ws, NAME) == []
    db, key = ws.path / DB_NAME, ws.data_key
    for secret in (NAME, WORD, PHONE):
        assert not found_in(db, key, secret), f"{secret!r} survived the erasure"
    assert [h.note_id for h in search(ws, "社工")] == [kept]
    assert check(ws).ok


_CHILD = textwrap.dedent("""
    import os, signal, sys
    from fieldapp.services import records
    from fieldapp.store.workspace import Workspace
    from tests.kdf import allow_weak_kdf

    allow_weak_kdf()
    ws = Workspace.open(sys.argv[1], os.environ["FIELDAPP_PASSPHRASE"])
    ws.defer_index = True
    records.save_note_body(ws, sys.argv[2], "开头。quetzalcoatlus 在这里。结尾。")
    os.kill(os.getpid(), signal.SIGKILL)  # saved and committed, not indexed
""")


def test_a_save_killed_before_indexing_is_indexed_on_the_next_open(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    nid = _note_with_secrets(ws)
    key = ws.data_key
    ws.close()
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(ws_path), nid], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    db = ws_path / DB_NAME
    assert found_in(db, key, WORD)  # the kill left the old text in the index's keeping
    with Workspace.open(ws_path, PASSPHRASE) as again:
        assert again.pending_index() == 0
        assert [h.note_id for h in search(again, "quetzalcoatlus")] == [nid]
        assert search(again, WORD) == [] and search(again, NAME) == []
        for secret in (NAME, WORD, PHONE):
            assert not found_in(db, key, secret), f"{secret!r} survived the reopen"
        assert check(again).ok


def test_the_overlay_uses_the_index_s_own_tokenizer(ws: Workspace) -> None:
    sql = ws.db.execute("SELECT sql FROM sqlite_master WHERE name = 'search_index'").fetchone()
    assert f"tokenize='{index.INDEX_TOKENIZE}'" in sql[0]


@pytest.mark.parametrize("defer", [False, True])
def test_a_new_note_is_found_at_once(ws: Workspace, defer: bool) -> None:
    ws.defer_index = defer
    iid = records.add_interview(ws, code="NEW-1")
    nid = records.add_note(ws, iid, body="刚写的笔记：社工流失。")
    assert ws.pending_index() == int(defer)
    assert [h.note_id for h in search(ws, "社工")] == [nid]
    assert [h.note_id for h in search(ws, "流")] == [nid]
