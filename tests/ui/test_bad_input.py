"""Bad input and bad luck: rich or huge pastes, unreadable or oversized attachments, a removed
USB stick, and the real worker thread staying out of the UI's way."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtWidgets import QApplication

from fieldapp.services import records, session
from fieldapp.store.errors import StorageUnavailable
from fieldapp.ui.context import AppContext, build_context
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.views import attachments as attachments_view
from fieldapp.ui.views import note_editor
from fieldapp.ui.views.note_editor import NoteEditor
from tests.ui.conftest import PASSPHRASE, ScriptedInteraction


def open_note(unlocked: MainWindow) -> NoteEditor:
    unlocked.workspace.interviews.new_interview()
    return unlocked.workspace.interviews.editor.show_note("transcript")


def test_rich_text_paste_keeps_plain_text(qtbot: Any, unlocked: MainWindow) -> None:
    note = open_note(unlocked)
    mime = QMimeData()
    mime.setHtml("<b>粗体</b> and <i>italic</i><table><tr><td>cell</td></tr></table>")
    mime.setText("粗体 and italic\ncell")
    note.edit.insertFromMimeData(mime)
    assert note.edit.toPlainText() == "粗体 and italic\ncell"
    note.save_now()
    assert note.status.text() == "Saved"


def test_long_paste_is_plain_and_whole_and_huge_one_refused(
        qtbot: Any, unlocked: MainWindow, interaction: ScriptedInteraction,
        monkeypatch: pytest.MonkeyPatch) -> None:
    note = open_note(unlocked)
    mime = QMimeData()
    mime.setText("访谈记录 interview transcript line.\n" * 6000)  # ~200,000 characters
    note.edit.insertFromMimeData(mime)
    assert len(note.edit.toPlainText()) == len(mime.text())
    monkeypatch.setattr(note_editor, "MAX_PASTE_CHARS", 1000)
    before = note.edit.toPlainText()
    big = QMimeData()
    big.setText("x" * 5000)
    note.edit.insertFromMimeData(big)
    assert note.edit.toPlainText() == before
    assert "at most" in interaction.texts("warn")[-1]


def test_removed_usb_stick_keeps_text_and_retries(
        qtbot: Any, unlocked: MainWindow, interaction: ScriptedInteraction,
        monkeypatch: pytest.MonkeyPatch) -> None:
    note = open_note(unlocked)
    note.edit.setPlainText("written before the stick was pulled")
    note.save_now()
    assert note.status.text() == "Saved"
    real = records.save_note_body
    unplugged = [True]

    def flaky(ws: Any, note_id: str, body: str) -> bool:
        if unplugged[0]:
            raise StorageUnavailable("disk I/O error")
        return real(ws, note_id, body)

    monkeypatch.setattr(records, "save_note_body", flaky)
    note.autosave.retry.setInterval(100)
    note.edit.appendPlainText("and after")
    note.save_now()
    assert "cannot be reached" in note.status.text()
    assert note.edit.toPlainText().endswith("and after")  # the text stays
    unplugged[0] = False
    qtbot.waitUntil(lambda: note.status.text() == "Saved", timeout=3000)
    assert not note.dirty


def test_unreadable_and_oversized_attachments_say_so(
        qtbot: Any, unlocked: MainWindow, interaction: ScriptedInteraction, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    open_note(unlocked)
    panel = unlocked.workspace.interviews.editor.attachments
    interaction.allow_errors = True
    panel.add_file(tmp_path / "missing.jpg")
    assert "could not be read" in interaction.texts("error")[-1]
    big = tmp_path / "long-recording.m4a"
    big.write_bytes(b"\0" * 4096)
    monkeypatch.setattr(attachments_view, "MAX_ATTACHMENT_BYTES", 1024)
    panel.add_file(big)
    assert "at most" in interaction.texts("error")[-1]
    assert panel.list.count() == 0


def test_attachment_added_encrypted_opened_from_memory_saved_on_request(
        qtbot: Any, unlocked: MainWindow, interaction: ScriptedInteraction, tmp_path: Path,
        workspace_path: Path) -> None:
    open_note(unlocked)
    panel = unlocked.workspace.interviews.editor.attachments
    doc = tmp_path / "consent-form.txt"
    doc.write_text("签字 signed", encoding="utf-8")
    panel.add_file(doc)
    assert panel.list.count() == 1
    stored = list((workspace_path / "attachments").rglob("*.enc"))
    assert stored and "签字".encode() not in stored[0].read_bytes()
    panel.list.setCurrentRow(0)
    panel.open_selected()
    assert panel.viewer is not None
    interaction.files.append(tmp_path / "copy.txt")
    panel.save_selected()
    assert (tmp_path / "copy.txt").read_text(encoding="utf-8") == "签字 signed"


def test_unlock_on_the_real_worker_keeps_the_window_responsive(
        qtbot: Any, qapp: QApplication, home: Path, interaction: ScriptedInteraction,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = session.default_workspace_path()
    ws, _key = session.create_workspace(path, PASSPHRASE)
    ws.close()
    slow_open = session.open_workspace
    gaps: list[float] = []

    during: dict[str, Any] = {}

    def slow(p: Path, secret: str, **kwargs: Any) -> Any:
        during["thread"] = threading.current_thread()
        during["ticks_before"] = len(gaps)
        time.sleep(0.6)  # as the real Argon2id parameters take
        during["ticks_after"] = len(gaps)
        return slow_open(p, secret, **kwargs)

    monkeypatch.setattr(session, "open_workspace", slow)
    ctx: AppContext = build_context(interaction=interaction)  # the real thread
    try:
        dialog = UnlockDialog(ctx, path)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.passphrase.setText(PASSPHRASE)
        # Measure the unlock alone: not the dialog's first paint, nor the deferred deletion
        # of earlier tests' windows, which the first turn of the event loop would do.
        qtbot.wait(200)
        def tick() -> None:
            gaps.append(0.0)

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        with qtbot.waitSignal(dialog.unlocked, timeout=5000):
            dialog.try_unlock()
            assert dialog.busy.isVisible() and dialog.working
        timer.stop()
        # The key derivation ran on the worker while the window's event loop went on: a 10 ms
        # timer kept firing throughout it (about 60 times; on the window's thread it could not
        # fire at all). Counted, not timed, so a busy machine cannot fail it.
        assert during["thread"] is not threading.main_thread()
        assert during["ticks_after"] - during["ticks_before"] >= 10, during
        assert ctx.tasks.has_workspace_hint()
    finally:
        ctx.tasks.shutdown()
        ctx.language.detach()


def test_progress_dialog_only_for_long_work(qtbot: Any, ctx: AppContext, unlocked: MainWindow
                                            ) -> None:
    worker = build_context().tasks  # a real thread, so the work can outlast the delay
    from fieldapp.ui.progress import ProgressWatcher

    watcher = ProgressWatcher(worker, unlocked)
    try:
        done: list[object] = []
        worker.submit(lambda: time.sleep(0.1), done.append, label="quick")
        qtbot.waitUntil(lambda: bool(done), timeout=3000)
        qtbot.wait(700)
        assert watcher.dialog is None
        worker.submit(lambda: time.sleep(1.0), done.append, label="Encrypting…")
        qtbot.waitUntil(lambda: watcher.dialog is not None, timeout=3000)
        assert watcher.dialog.labelText() == "Encrypting…"
        qtbot.waitUntil(lambda: watcher.dialog is None, timeout=3000)
    finally:
        worker.shutdown()
