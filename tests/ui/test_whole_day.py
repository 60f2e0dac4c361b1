"""A researcher's whole day, end to end, through the widgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QListWidget, QPlainTextEdit

from fieldapp.ui.dialogs.code import CodeDialog
from fieldapp.ui.dialogs.consent import ConsentDialog
from fieldapp.ui.dialogs.participant import ParticipantDialog
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.session import State
from fieldapp.ui.views.participant_picker import ParticipantPicker
from tests.ui.conftest import PASSPHRASE, ScriptedInteraction, type_text
from tests.ui.test_shell import create_through_dialogs

NOTE = "受访者谈到艾滋病防治项目的合同每年续签。Contract renewal is yearly."


def shortcut(qtbot: Any, window: MainWindow, key: Qt.Key,
             modifiers: Qt.KeyboardModifier) -> None:
    """Press a shortcut in the main window (made active first, as the desktop would after a
    dialog closes)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=1000)
    qtbot.keyClick(window, key, modifiers)


def visible_texts(window: MainWindow) -> str:
    """Every piece of text the window's widgets hold (shown or in their models)."""
    out = []
    for w in window.findChildren(QLabel):
        out.append(w.text())
    for w in window.findChildren(QLineEdit):
        out.append(w.text())
    for w in window.findChildren(QPlainTextEdit):
        out.append(w.toPlainText())
    for w in window.findChildren(QListWidget):
        out.extend(w.item(i).text() for i in range(w.count()))
    for w in window.findChildren(QAbstractButton):
        out.append(w.text())
    for model in (window.workspace.interviews.model, window.workspace.participants.model,
                  window.workspace.search.model):
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                out.append(str(model.index(r, c).data() or ""))
    return "\n".join(out)


def test_whole_day(qtbot: Any, window: MainWindow, workspace_path: Path,
                   interaction: ScriptedInteraction) -> None:
    ws_view = window.workspace

    # First launch: the welcome page; create a workspace, confirm the recovery key.
    window.session.start()
    assert window.stack.currentWidget() is window.welcome
    create_through_dialogs(qtbot, window, workspace_path)

    # A participant with identifying details kept apart.
    ws_view.tabs.setCurrentWidget(ws_view.participants)
    qtbot.mouseClick(ws_view.participants.new_button, Qt.MouseButton.LeftButton)
    dialog = ws_view.participants.dialog
    assert isinstance(dialog, ParticipantDialog)
    dialog.fields["code"].setText("")
    type_text(qtbot, dialog.fields["code"], "KM-HIV-001")
    type_text(qtbot, dialog.fields["real_name"], "张秀英")
    type_text(qtbot, dialog.fields["site"], "昆明")
    dialog.save_button.click()
    assert ws_view.participants.model.rowCount() == 1
    assert ws_view.participants.current is not None
    assert "张秀英" not in visible_texts(window)  # identity only on request
    ws_view.participants.show_identity.click()
    assert "张秀英" in visible_texts(window)
    ws_view.participants.show_identity.click()
    assert "张秀英" not in visible_texts(window)

    # Consent: written, with audio and quotes.
    ws_view.participants.record_consent.click()
    consent = ws_view.participants.dialog
    assert isinstance(consent, ConsentDialog)
    consent.scopes["audio"].setChecked(True)
    consent.scopes["verbatim_quotes"].setChecked(True)
    consent.save_button.click()
    assert ws_view.participants.consents.count() == 1
    assert "Consent given" in ws_view.participants.consents.item(0).text()

    # An interview with the participant, notes typed through the keyboard.
    shortcut(qtbot, window, Qt.Key.Key_I,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    interviews = ws_view.interviews
    assert ws_view.tabs.currentWidget() is interviews
    assert interviews.model.rowCount() == 1
    editor = interviews.editor
    assert editor.interview_id is not None
    picker = editor.details.widgets["participant_ids"]
    assert isinstance(picker, ParticipantPicker)
    qtbot.keyClicks(picker.search, picker.model.stringList()[0].split(" · ")[0])
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    assert len(picker.chosen()) == 1
    editor.details.save_now()
    note = editor.show_note("field_notes")
    type_text(qtbot, note.edit, NOTE)
    assert note.status.text() == "Editing…"
    qtbot.waitUntil(lambda: note.status.text() == "Saved", timeout=3000)
    assert str(len(NOTE)) in note.count.text()
    # Undo works in the editor.
    type_text(qtbot, note.edit, "!")
    note.edit.undo()
    assert not note.edit.toPlainText().endswith("!")
    note.edit.redo()
    assert note.edit.toPlainText() == NOTE + "!"
    qtbot.keyClick(note.edit, Qt.Key.Key_Backspace)
    assert note.edit.toPlainText() == NOTE
    qtbot.waitUntil(lambda: note.status.text() == "Saved", timeout=3000)

    # Lock: the key is dropped and every view is cleared.
    shortcut(qtbot, window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.session.state is State.LOCKED
    texts = visible_texts(window)
    assert "艾滋" not in texts and "KM-HIV-001" not in texts
    # Unlock: back in the same place.
    unlock = window.session.dialog
    assert isinstance(unlock, UnlockDialog)
    type_text(qtbot, unlock.passphrase, PASSPHRASE)
    qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    assert window.session.state is State.UNLOCKED
    assert ws_view.tabs.currentWidget() is interviews
    assert editor.current_note().kind == "field_notes"
    assert editor.current_note().edit.toPlainText() == NOTE

    # Search from anywhere: a two-character Chinese word.
    shortcut(qtbot, window, Qt.Key.Key_F,
             Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert ws_view.tabs.currentWidget() is ws_view.search
    type_text(qtbot, ws_view.search.query, "艾滋")
    qtbot.waitUntil(lambda: ws_view.search.model.rowCount() == 1, timeout=3000)
    html = ws_view.search.model.index(0, 0).data(Qt.ItemDataRole.UserRole + 1)
    assert "<b" in html and "艾滋" in html
    qtbot.keyClick(ws_view.search.query, Qt.Key.Key_Return)
    assert ws_view.tabs.currentWidget() is interviews
    note = editor.current_note()
    assert note.edit.textCursor().selectedText() == "艾滋"

    # Code a passage: a new code, then select text and apply it.
    ws_view.tabs.setCurrentWidget(ws_view.codes)
    ws_view.codes.new_button.click()
    code_dialog = ws_view.codes.dialog
    assert isinstance(code_dialog, CodeDialog)
    type_text(qtbot, code_dialog.name_zh, "合同管理")
    type_text(qtbot, code_dialog.name_en, "Contract management")
    code_dialog.save_button.click()
    assert len(ws_view.codebook.codes) == 1
    code_id = next(iter(ws_view.codebook.codes))
    ws_view.tabs.setCurrentWidget(interviews)
    start = NOTE.index("合同")
    note.select_span(start, start + len("合同每年续签"))
    editor.coding.select_code(code_id)
    editor.coding.may_quote.setChecked(True)
    shortcut(qtbot, window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert len(note.highlights) == 1
    assert editor.coding.codings.count() == 1
    ws_view.tabs.setCurrentWidget(ws_view.codes)
    assert ws_view.codes.passages.count() == 1
    assert "合同每年续签" in ws_view.codes.passages.item(0).text()

    # Withdraw consent: a plain confirmation, then the data is gone everywhere.
    ws_view.tabs.setCurrentWidget(ws_view.participants)
    ws_view.participants.select(ws_view.participants.model.record(0)["id"])
    interaction.confirm_answers.append(True)
    ws_view.participants.withdraw.click()
    confirmation = interaction.texts("confirm")[-1]
    assert "KM-HIV-001" in confirmation and "1 interview" in confirmation
    assert "1 note" in confirmation and "cannot be undone" in confirmation
    assert ws_view.participants.model.rowCount() == 0
    assert interviews.model.rowCount() == 0
    assert editor.interview_id is None
    assert ws_view.codes.passages.count() == 0
    ws_view.search.query.setText("艾滋")
    ws_view.search.run_search()
    assert ws_view.search.model.rowCount() == 0
    ws_view.search.query.setText("contract")
    ws_view.search.run_search()
    assert ws_view.search.model.rowCount() == 0
    texts = visible_texts(window)
    for gone in ("KM-HIV-001", "张秀英", "艾滋", "Contract renewal"):
        assert gone not in texts
