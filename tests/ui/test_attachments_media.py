"""Attachments in the desktop app: pictures, PDFs and recordings open from memory, a recording
is transcribed with the keyboard, attachments are deleted after one question, an empty list says
what to do, and the panel says when consent forbids a recording. Both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from fieldapp import i18n
from fieldapp.services import attachments, records
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.views import media
from fieldapp.ui.views.interview_editor import InterviewEditor
from fieldapp.ui.views.transcription import stamp, timestamp_at
from tests.media import samples
from tests.ui.conftest import ScriptedInteraction, on_ws

pytestmark = pytest.mark.skipif(media.multimedia_problem() is not None,
                                reason="QtMultimedia cannot load here (libpulse0 missing)")


def _editor(unlocked: MainWindow) -> InterviewEditor:
    unlocked.workspace.interviews.new_interview()
    return unlocked.workspace.interviews.editor


def _add(qtbot: Any, editor: InterviewEditor, path: Path) -> None:
    before = editor.attachments.list.count()
    editor.attachments.add_file(path)
    qtbot.waitUntil(lambda: editor.attachments.list.count() == before + 1, timeout=5000)


def _select(editor: InterviewEditor, filename: str) -> None:
    panel = editor.attachments
    for row in range(panel.list.count()):
        if panel.list.item(row).text().startswith(filename):
            panel.list.setCurrentRow(row)
            return
    raise AssertionError(f"{filename} not listed")


def test_the_empty_list_says_how_to_add_and_buttons_follow_the_selection(
        qtbot: Any, unlocked: MainWindow, tmp_path: Path) -> None:
    editor = _editor(unlocked)
    panel = editor.attachments
    assert panel.pages.currentWidget() is panel.empty
    assert "Add file" in panel.empty.text() and "encrypted" in panel.empty.text()
    assert not panel.open.isEnabled() and not panel.delete.isEnabled()
    picture = tmp_path / "signed-form.png"
    picture.write_bytes(samples.png())
    _add(qtbot, editor, picture)
    assert panel.pages.currentWidget() is panel.list
    _select(editor, "signed-form.png")
    assert panel.open.isEnabled() and panel.delete.isEnabled()
    assert not panel.transcribe.isEnabled()  # a photo is no recording
    i18n.set_language("zh_CN")
    assert panel.transcribe.text() == "转录"
    assert panel.delete.text() == "删除…"


@pytest.mark.parametrize("name,make,kind", [
    ("签字表.png", samples.png, media.ImageView),
    ("项目合同.pdf", lambda: samples.pdf(3), media.PdfView),
    ("访谈录音.wav", samples.wav, media.AudioPlayer),
])
def test_pictures_pdfs_and_recordings_open_inside_the_app(
        qtbot: Any, unlocked: MainWindow, tmp_path: Path, name: str, make: Any,
        kind: type) -> None:
    editor = _editor(unlocked)
    path = tmp_path / name
    path.write_bytes(make())
    _add(qtbot, editor, path)
    _select(editor, name)
    editor.attachments.open_selected()
    viewer = editor.attachments.viewer
    assert viewer is not None and isinstance(viewer.view, kind)
    if isinstance(viewer.view, media.ImageView):
        assert viewer.view.loaded
    if isinstance(viewer.view, media.PdfView):
        assert viewer.view.ready and viewer.view.document.pageCount() == 3
        assert viewer.view.info.text() == "3 pages"
    if isinstance(viewer.view, media.AudioPlayer):
        player = viewer.view
        qtbot.waitUntil(lambda: player.duration() > 11_000, timeout=10_000)
        player.seek(4_000)
        qtbot.waitUntil(lambda: abs(player.position() - 4_000) < 600, timeout=5_000)
    viewer.reject()


def test_transcription_mode_plays_stamps_and_seeks_from_the_keyboard(
        qtbot: Any, unlocked: MainWindow, tmp_path: Path) -> None:
    editor = _editor(unlocked)
    recording = tmp_path / "interview.wav"
    recording.write_bytes(samples.wav(seconds=20))
    _add(qtbot, editor, recording)
    _select(editor, "interview.wav")
    assert editor.attachments.transcribe.isEnabled()
    editor.attachments.transcribe_selected()
    bar = editor.transcription
    assert bar.active and bar.isVisible()
    note = editor.notes["transcript"]
    assert editor.current_note() is note and note.edit.hasFocus()
    player = bar.player
    assert player is not None
    qtbot.waitUntil(lambda: player.duration() > 19_000, timeout=10_000)
    # F9 jumps forward, F7 back; Ctrl+T writes the time where the cursor is.
    qtbot.keyClick(note.edit, Qt.Key.Key_F9)
    qtbot.keyClick(note.edit, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: abs(player.position() - 10_000) < 600, timeout=5_000)
    qtbot.keyClick(note.edit, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: abs(player.position() - 5_000) < 600, timeout=5_000)
    qtbot.keyClick(note.edit, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert note.edit.toPlainText() == "[00:05] "
    note.edit.insertPlainText("主任说经费拨付延迟。\n")
    # F8 plays and pauses.
    qtbot.keyClick(note.edit, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: player.playing, timeout=5_000)
    qtbot.keyClick(note.edit, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: not player.playing, timeout=5_000)
    # A time written in the transcript is a link to that moment.
    note.edit.insertPlainText("[00:17] 后来又谈到招投标。")
    player.seek(0)
    qtbot.waitUntil(lambda: player.position() < 600, timeout=5_000)
    block = note.edit.document().findBlockByNumber(1)
    cursor = note.edit.textCursor()
    cursor.setPosition(block.position() + 3)
    rect = note.edit.cursorRect(cursor)
    qtbot.mouseClick(note.edit.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(rect.center().x(), rect.center().y()))
    qtbot.waitUntil(lambda: abs(player.position() - 17_000) < 600, timeout=5_000)
    # The transcript typed meanwhile is saved like any note.
    note.save_now()
    qtbot.waitUntil(lambda: not note.dirty, timeout=5_000)
    body = on_ws(unlocked.ctx, lambda ws: records.notes_of(ws, editor.interview_id))
    assert any(n["body"].startswith("[00:05] 主任说") for n in body)
    # Closing transcription mode lets go of the recording; the keys do nothing then.
    bar.stop()
    assert not bar.active and not bar.isVisible()
    qtbot.keyClick(note.edit, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert note.edit.toPlainText().count("[") == 2


def test_timestamps_are_read_back_as_written() -> None:
    assert stamp(65_000) == "[01:05] "
    assert stamp(3_725_000) == "[1:02:05] "
    assert timestamp_at("见 [01:05] 处", 4) == 65_000
    assert timestamp_at("见 [1:02:05] 处", 6) == 3_725_000
    assert timestamp_at("见 [01:05] 处", 0) is None
    assert timestamp_at("价格 [12:99]", 5) is None  # not a time


def test_deleting_asks_once_and_cancel_keeps_it(
        qtbot: Any, unlocked: MainWindow, tmp_path: Path, interaction: ScriptedInteraction,
        workspace_path: Path) -> None:
    editor = _editor(unlocked)
    doc = tmp_path / "notes.txt"
    doc.write_text("会议纪要", encoding="utf-8")
    _add(qtbot, editor, doc)
    _select(editor, "notes.txt")
    interaction.confirm_answers.append(False)
    editor.attachments.delete_selected()
    assert editor.attachments.list.count() == 1
    assert list((workspace_path / "attachments").rglob("*.enc"))
    interaction.confirm_answers.append(True)
    editor.attachments.delete_selected()
    qtbot.waitUntil(lambda: editor.attachments.list.count() == 0, timeout=5_000)
    assert "notes.txt" in interaction.texts("confirm")[-1]
    assert not list((workspace_path / "attachments").rglob("*.enc"))
    assert editor.attachments.pages.currentWidget() is editor.attachments.empty


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_panel_says_when_consent_forbids_a_recording(
        qtbot: Any, unlocked: MainWindow, tmp_path: Path, interaction: ScriptedInteraction,
        lang: str) -> None:
    i18n.set_language(lang)
    ctx = unlocked.ctx

    def setup(ws: Any) -> str:
        pid = records.add_participant(ws, code="KM-HIV-002")
        records.record_consent(ws, pid, form_version="v1", language="zh", method="oral",
                               date_given="2026-05-02", scopes=["verbatim_quotes"])
        return records.add_interview(ws, code="KM-I-002", participant_ids=[pid])

    iid = on_ws(ctx, setup)
    editor = unlocked.workspace.interviews.editor
    editor.open_interview(iid)
    panel = editor.attachments
    qtbot.waitUntil(lambda: not panel.consent_note.isHidden(), timeout=5_000)
    note = panel.consent_note.text()
    assert "KM-HIV-002" in note
    assert ("录音" in note) if lang == "zh_CN" else ("audio recording" in note)
    recording = tmp_path / "rec.wav"
    recording.write_bytes(samples.wav(seconds=1))
    interaction.allow_errors = True
    panel.add_file(recording)
    assert isinstance(interaction.errors[-1], attachments.AudioNotConsented)
    assert "KM-HIV-002" in interaction.texts("error")[-1]
    assert panel.list.count() == 0
    QApplication.processEvents()
