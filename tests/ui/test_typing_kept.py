"""Typing is never lost: what was typed a moment before Ctrl+L, the idle lock, closing the
window or Quit is in the workspace afterwards, for every editor that saves by itself (a note,
an interview's details, a survey draft, a memo, a coding's comment); and steady typing, which
never pauses, is saved at least every two seconds. Each check reopens the workspace and reads
it through the services.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from fieldapp import i18n
from fieldapp.services import memos, records, session, surveys
from fieldapp.store.errors import StorageUnavailable
from fieldapp.store.workspace import Workspace
from fieldapp.ui.app import make_window
from fieldapp.ui.context import AppContext, build_context
from fieldapp.ui.interaction import error_text
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.session import State
from fieldapp.ui.settings import Settings
from fieldapp.ui.survey.widgets import TextWidget
from tests.ui.conftest import PASSPHRASE, ScriptedInteraction, type_text

TEXT = "访谈对象说登记很难 registration is hard"


def read(path: Path, what: Callable[[Workspace], Any]) -> Any:
    """Open the workspace afresh (as the next unlock would) and read through the services."""
    ws = session.open_workspace(path, PASSPHRASE)
    try:
        return what(ws)
    finally:
        ws.close()


def note_body(ws: Workspace) -> str:
    notes = records.list_records(ws, "note")
    return str(notes[0]["body"]) if notes else ""


def interview_title(ws: Workspace) -> str:
    return str(records.list_records(ws, "interview")[0].get("title") or "")


def survey_remark(ws: Workspace) -> str:
    responses = surveys.list_responses(ws)
    return str((responses[0].get("data") or {}).get("remark") or "")


def write_form(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(["type", "name", "label::English (en)", "label::中文 (zh)"])
    sheet.append(["text", "remark", "Remark", "备注"])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(["Typing test", "typing_test", "1", "English (en)"])
    book.save(path)
    return path


# -- where to type: each returns the widget to type into and how to read the saved text ------

def open_note(window: MainWindow, tmp_path: Path) -> tuple[QWidget, Callable[[Workspace], str]]:
    window.workspace.interviews.new_interview()
    wait_for(lambda: window.workspace.interviews.editor.interview_id is not None)
    note = window.workspace.interviews.editor.show_note("field_notes")
    return note.edit, note_body


def open_details(window: MainWindow, tmp_path: Path
                 ) -> tuple[QWidget, Callable[[Workspace], str]]:
    window.workspace.interviews.new_interview()
    wait_for(lambda: window.workspace.interviews.editor.interview_id is not None)
    title = window.workspace.interviews.editor.details.widgets["title"]
    assert isinstance(title, QLineEdit)
    return title, interview_title


def open_survey(window: MainWindow, tmp_path: Path
                ) -> tuple[QWidget, Callable[[Workspace], str]]:
    form = write_form(tmp_path / "typing.xlsx")
    ctx = window.ctx
    made: list[str] = []

    def work(ws: Workspace) -> str:
        return surveys.new_response(ws, surveys.import_instrument(ws, form))

    ctx.tasks.run(work, made.append)
    wait_for(lambda: bool(made))
    view = window.workspace.surveys
    window.workspace.tabs.setCurrentWidget(view)
    view.open_response(made[0])
    wait_for(lambda: view.runner.form is not None)
    assert view.runner.form is not None
    widget = view.runner.form.questions["remark"]
    assert isinstance(widget, TextWidget)
    return widget.focus_widget(), survey_remark


def interview_memo(ws: Workspace) -> str:
    found = memos.list_memos(ws, about="interview")
    return str(found[0]["body"]) if found else ""


def project_memo(ws: Workspace) -> str:
    found = memos.list_memos(ws, about="project")
    return str(found[0]["body"]) if found else ""


def coding_comment(ws: Workspace) -> str:
    return str(records.list_records(ws, "coding")[0].get("comment") or "")


def open_interview_memo(window: MainWindow, tmp_path: Path
                        ) -> tuple[QWidget, Callable[[Workspace], str]]:
    window.workspace.interviews.new_interview()
    wait_for(lambda: window.workspace.interviews.editor.interview_id is not None)
    editor = window.workspace.interviews.editor
    editor.lower_tabs.setCurrentWidget(editor.memos)
    return editor.memos.editor.body, interview_memo


def open_project_memo(window: MainWindow, tmp_path: Path
                      ) -> tuple[QWidget, Callable[[Workspace], str]]:
    view = window.workspace
    view.tabs.setCurrentWidget(view.memos)
    view.memos.new_memo()
    return view.memos.editor.body, project_memo


def open_coding_comment(window: MainWindow, tmp_path: Path
                        ) -> tuple[QWidget, Callable[[Workspace], str]]:
    def make(ws: Workspace) -> str:
        iid = records.add_interview(ws, code="KM-HIV-I001")
        nid = records.add_note(ws, iid, body="合同每年续签 renewed yearly")
        records.apply_code(ws, nid, records.add_code(ws, name_zh="续签"), 0, 6)
        return iid

    made: list[str] = []
    window.ctx.tasks.run(make, made.append)
    window.ctx.data.changed.emit("*")
    interviews = window.workspace.interviews
    interviews.reload(select=made[0])
    wait_for(lambda: interviews.editor.interview_id == made[0])
    panel = interviews.editor.coding
    wait_for(lambda: panel.codings.count() == 1)
    panel.codings.setCurrentRow(0)
    return panel.comment.edit, coding_comment


EDITORS = {"note": open_note, "interview details": open_details, "survey draft": open_survey,
           "interview memo": open_interview_memo, "project memo": open_project_memo,
           "coding comment": open_coding_comment}


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        QApplication.processEvents()
        time.sleep(0.005)


# -- the ways a workspace closes -------------------------------------------------------------

def ctrl_l(qtbot: Any, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.session.state is State.LOCKED


def idle_lock(qtbot: Any, window: MainWindow) -> None:
    window.session.idle.set_interval_ms(50)  # well inside the autosave's one-second pause
    qtbot.waitUntil(lambda: window.session.state is State.LOCKED, timeout=800)


def close_window(qtbot: Any, window: MainWindow) -> None:
    assert window.close()


def quit_action(qtbot: Any, window: MainWindow) -> None:
    window.act_quit.trigger()
    assert not window.isVisible()


def new_workspace(qtbot: Any, window: MainWindow) -> None:
    window.act_new.trigger()  # another workspace will replace this one on the worker
    assert window.session.state is State.LOCKED


CLOSES = {"Ctrl+L": ctrl_l, "idle lock": idle_lock, "close window": close_window,
          "Quit": quit_action, "new workspace": new_workspace}


@pytest.mark.parametrize("close", CLOSES, ids=list(CLOSES))
@pytest.mark.parametrize("editor", EDITORS, ids=list(EDITORS))
def test_text_typed_just_before_closing_is_saved(
        qtbot: Any, unlocked: MainWindow, workspace_path: Path, tmp_path: Path,
        editor: str, close: str) -> None:
    widget, saved_text = EDITORS[editor](unlocked, tmp_path)
    widget.setFocus()
    type_text(qtbot, widget, TEXT)
    CLOSES[close](qtbot, unlocked)  # at once: no pause for the autosave
    assert read(workspace_path, saved_text) == TEXT


# -- the real database thread: a save under way when the lock comes -------------------------

@pytest.fixture
def threaded(qtbot: Any, home: Path, interaction: ScriptedInteraction
             ) -> Iterator[tuple[MainWindow, AppContext, Path]]:
    """A window whose work runs on the real worker thread, as in the app."""
    ctx = build_context(settings=Settings(), interaction=interaction)
    i18n.set_language("en")
    window = make_window(ctx)
    qtbot.addWidget(window)
    window.show()
    path = session.default_workspace_path()
    ctx.tasks.open_workspace(lambda: session.create_workspace(path, PASSPHRASE))
    ctx.tasks.wait_idle()
    window.session.path = path
    window.session.enter_opened()
    try:
        yield window, ctx, path
    finally:
        window.close()
        ctx.tasks.shutdown()
        ctx.language.detach()


@pytest.mark.parametrize("close", ["Ctrl+L", "Quit"])
def test_save_under_way_then_more_typing_then_close_keeps_all(
        qtbot: Any, threaded: tuple[MainWindow, AppContext, Path],
        monkeypatch: pytest.MonkeyPatch, close: str) -> None:
    window, ctx, path = threaded
    real = records.save_note_body

    def slow(ws: Workspace, note_id: str, body: str) -> Any:
        time.sleep(0.3)  # a slow disk: the save is still running when the lock comes
        return real(ws, note_id, body)

    monkeypatch.setattr(records, "save_note_body", slow)
    widget, saved_text = open_note(window, path)
    note = window.workspace.interviews.editor.current_note()
    type_text(qtbot, widget, "first part, ")
    note.save_now()
    wait_for(lambda: note.note_id is not None)
    type_text(qtbot, widget, "second part, ")
    note.save_now()
    assert ctx.tasks.running  # the second save is still on the worker
    type_text(qtbot, widget, "last words")
    CLOSES[close](qtbot, window)
    ctx.tasks.wait_idle()
    QApplication.processEvents()
    assert read(path, saved_text) == "first part, second part, last words"


# -- steady typing ---------------------------------------------------------------------------

@pytest.mark.parametrize("editor", EDITORS, ids=list(EDITORS))
def test_steady_typing_is_saved_at_least_every_two_seconds(
        qtbot: Any, unlocked: MainWindow, workspace_path: Path, tmp_path: Path,
        editor: str) -> None:
    """A key every 0.4–0.7 s for seven seconds never pauses long enough for a debounce:
    still, nothing typed stays unsaved for more than two seconds."""
    widget, saved_text = EDITORS[editor](unlocked, tmp_path)
    widget.setFocus()
    ctx = unlocked.ctx
    rng = random.Random(9)
    words = "访谈 steady typing 不停 "
    typed: list[tuple[float, str]] = []   # when, and the text after that key
    saves: list[tuple[float, str]] = []   # when, and what the workspace held then

    def on_save(*_args: object) -> None:
        held: list[str] = []
        ctx.tasks.run(saved_text, held.append)  # the synchronous test worker: at once
        saves.append((time.monotonic(), held[0]))

    owner = widget
    while not hasattr(owner, "saved"):
        owner = owner.parentWidget()
    owner.saved.connect(on_save)  # type: ignore[attr-defined]
    text = ""
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < 7.0:
        ch = words[i % len(words)]
        i += 1
        type_text(qtbot, widget, ch)
        text += ch
        typed.append((time.monotonic(), text))
        qtbot.wait(int(rng.uniform(400, 700)))
    end = time.monotonic()
    ages = []
    for when, after in typed:
        # (an interview's fields are saved without trailing spaces)
        stored = next((t for t, held in saves
                       if t >= when and held.startswith(after.rstrip())), end)
        ages.append(stored - when)
    # A key typed less than two seconds before the end need not be saved yet.
    judged = [age for (when, _t), age in zip(typed, ages, strict=True) if end - when > 2.0]
    assert judged and max(judged) <= 2.0, f"a key waited {max(judged):.2f} s to be saved"
    moments = [start] + [t for t, _held in saves]
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert gaps and max(gaps) <= 2.0, f"{max(gaps):.2f} s between saves while typing"
    print(f"{editor}: {len(saves)} saves in {end - start:.1f} s; longest wait of a key "
          f"{max(judged):.2f} s; longest gap between saves {max(gaps, default=0):.2f} s")
    # And a pause of a second saves the rest.
    qtbot.wait(1300)
    held: list[str] = []
    ctx.tasks.run(saved_text, held.append)
    assert [h.rstrip() for h in held] == [text.rstrip()]


# -- a save that fails at the last moment ----------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_closing_when_the_last_save_fails_keeps_the_window_and_the_text(
        qtbot: Any, unlocked: MainWindow, workspace_path: Path, tmp_path: Path,
        interaction: ScriptedInteraction, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    unlocked.ctx.language.set_language(lang)
    widget, saved_text = open_note(unlocked, tmp_path)
    real = records.save_note_body
    unplugged = [True]

    def flaky(ws: Workspace, note_id: str, body: str) -> Any:
        if unplugged[0]:
            raise StorageUnavailable("disk I/O error")
        return real(ws, note_id, body)

    monkeypatch.setattr(records, "save_note_body", flaky)
    type_text(qtbot, widget, "saved first")
    unlocked.workspace.interviews.editor.current_note().save_now()  # creates the note
    type_text(qtbot, widget, ", then the stick was pulled")
    assert not unlocked.close()
    assert unlocked.isVisible() and unlocked.session.state is State.UNLOCKED
    note = unlocked.workspace.interviews.editor.current_note()
    assert note.edit.toPlainText() == "saved first, then the stick was pulled"
    title, text = [(t, x) for kind, t, x in interaction.shown if kind == "warn"][-1]
    reason = error_text(StorageUnavailable("disk I/O error"))
    assert title == i18n._("fieldapp stays open")
    assert text == i18n._(
        "What you typed last could not be saved: {reason}\n\nCopy it somewhere safe, "
        "or fix the problem and close fieldapp again.").format(reason=reason)
    if lang == "zh_CN":
        assert "无法访问工作区所在的存储" in text  # the reason, in the researcher's language
    unplugged[0] = False
    assert unlocked.close()
    assert read(workspace_path, saved_text) == "saved first, then the stick was pulled"
