"""Search indexing in idle time (fieldapp.ui.idle_index): a save in the desktop leaves the
note's index entries to the moment the researcher pauses; search finds the new text at once
meanwhile; typing postpones indexing; locking indexes what is left before the key is dropped,
so edited-out text leaves every page (decrypted with the data key and searched)."""

from __future__ import annotations

from typing import Any

from fieldapp.services import search as search_service
from fieldapp.store.folder import DB_NAME
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.session import State
from tests.ui.conftest import on_ws, type_text
from tests.unit.store.pagescan import found_in

SECRET = "xylographer"


def _note(qtbot: Any, window: MainWindow) -> Any:
    window.workspace.interviews.new_interview()
    qtbot.waitUntil(lambda: window.workspace.interviews.editor.interview_id is not None)
    return window.workspace.interviews.editor.show_note("field_notes")


def _saved_with_secret_then_edited(qtbot: Any, window: MainWindow, ctx: AppContext) -> Any:
    note = _note(qtbot, window)
    type_text(qtbot, note.edit, f"访谈对象说 {SECRET} 很难。")
    note.save_now()
    # The first save is indexed before the edit (as if the researcher had paused).
    on_ws(ctx, lambda ws: search_service.index_pending(ws, None))
    note.edit.selectAll()
    type_text(qtbot, note.edit, "访谈对象说 registration 很难。")
    note.save_now()
    return note


def test_a_save_is_indexed_when_typing_pauses_and_found_before(
        qtbot: Any, unlocked: MainWindow, ctx: AppContext) -> None:
    assert ctx.tasks.synchronous
    # A pause of 1 s; keys 100 ms apart stay well inside it even on a loaded machine (the suite
    # runs on every core at once).
    ctx.indexer._timer.setInterval(1000)
    note = _saved_with_secret_then_edited(qtbot, unlocked, ctx)
    assert on_ws(ctx, search_service.pending_index) == 1
    # Exact while the index has not caught up: the new word is found, the old one not.
    assert [h.note_id for h in on_ws(ctx, lambda ws: search_service.search(
        ws, "registration"))] == [note.note_id]
    assert on_ws(ctx, lambda ws: search_service.search(ws, SECRET)) == []
    # Typing postpones indexing: keys every 100 ms for longer than the pause.
    for _ in range(15):
        type_text(qtbot, note.edit, "a")
        qtbot.wait(100)
        assert ctx.indexer.due
    assert on_ws(ctx, search_service.pending_index) >= 1
    note.save_now()
    with qtbot.waitSignal(ctx.indexer.caught_up, timeout=5000):
        pass
    assert on_ws(ctx, search_service.pending_index) == 0
    assert [h.note_id for h in on_ws(ctx, lambda ws: search_service.search(
        ws, "registration"))] == [note.note_id]


def test_locking_indexes_before_the_key_is_dropped(
        qtbot: Any, unlocked: MainWindow, ctx: AppContext) -> None:
    ctx.indexer._timer.setInterval(60_000)  # never idle long enough in this test
    _saved_with_secret_then_edited(qtbot, unlocked, ctx)
    path, key = on_ws(ctx, lambda ws: (ws.path, ws.data_key))
    assert on_ws(ctx, search_service.pending_index) == 1
    assert found_in(path / DB_NAME, key, SECRET)  # positive control: still in the index
    unlocked.session.lock()
    assert unlocked.session.state is State.LOCKED
    assert not found_in(path / DB_NAME, key, SECRET), "edited-out text survived the lock"
