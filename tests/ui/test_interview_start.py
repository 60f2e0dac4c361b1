"""Starting an interview as a researcher expects: the interviewer is already filled in with the
researcher's name, an interview started from a participant's page is linked to them, an
interview listed on a participant's page opens with a double-click, and "Delete interview" is
available only while an interview is open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from fieldapp.services import records, session
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import PASSPHRASE, on_ws, select_row


def _unlocked_as(window: MainWindow, ctx: AppContext, path: Path, researcher: str) -> MainWindow:
    ctx.tasks.open_workspace(lambda: session.create_workspace(path, PASSPHRASE, researcher))
    window.session.path = path
    window.session.enter_opened()
    return window


def test_the_interviewer_is_the_researcher_and_delete_needs_an_open_interview(
        qtbot: Any, window: MainWindow, ctx: AppContext, workspace_path: Path,
        interaction: Any) -> None:
    win = _unlocked_as(window, ctx, workspace_path, "林晓")
    view = win.workspace.interviews
    assert not view.delete_button.isEnabled()
    view.new_interview()
    qtbot.waitUntil(lambda: view.editor.interview_id is not None, timeout=5000)
    assert view.delete_button.isEnabled()
    assert view.editor.details.values()["interviewer"] == "林晓"
    stored = on_ws(ctx, lambda ws: records.get(ws, "interview", view.editor.interview_id))
    assert stored["interviewer"] == "林晓"
    interaction.confirm_answers.append(True)
    view.delete_interview()
    qtbot.waitUntil(lambda: view.editor.interview_id is None, timeout=5000)
    assert not view.delete_button.isEnabled()


def test_an_interview_started_from_a_participant_is_linked_to_them(
        qtbot: Any, window: MainWindow, ctx: AppContext, workspace_path: Path) -> None:
    win = _unlocked_as(window, ctx, workspace_path, "Anna")
    pid = on_ws(ctx, lambda ws: records.add_participant(ws, code="KM-HIV-004", role="项目主任"))
    ctx.data.changed.emit("participant")
    people = win.workspace.participants
    qtbot.waitUntil(lambda: people.proxy.rowCount() == 1, timeout=5000)
    assert people.current is None and not people.interview_button.isEnabled()
    select_row(people, "KM-HIV-004")
    qtbot.waitUntil(lambda: people.current is not None, timeout=5000)
    assert people.interview_button.isEnabled()
    qtbot.mouseClick(people.interview_button, Qt.MouseButton.LeftButton)
    editor = win.workspace.interviews.editor
    qtbot.waitUntil(lambda: editor.interview_id is not None, timeout=5000)
    assert win.workspace.tabs.currentWidget() is win.workspace.interviews
    interview = on_ws(ctx, lambda ws: records.get(ws, "interview", editor.interview_id))
    assert interview["participant_ids"] == [pid]
    assert interview["interviewer"] == "Anna"
    # Back on the participant's page, the interview is listed and opens with a double-click.
    first = editor.interview_id
    win.workspace.interviews.new_interview()  # another one, not linked
    qtbot.waitUntil(lambda: editor.interview_id not in (None, first), timeout=5000)
    win.workspace.tabs.setCurrentWidget(people)
    ctx.data.changed.emit("interview")
    select_row(people, "KM-HIV-004")
    people._load_detail(pid)
    qtbot.waitUntil(lambda: people.interviews.count() == 1, timeout=5000)
    item = people.interviews.item(0)
    people.interviews.itemActivated.emit(item)
    qtbot.waitUntil(lambda: editor.interview_id == first, timeout=5000)
    assert win.workspace.tabs.currentWidget() is win.workspace.interviews
