"""Memos and the de-identification view driven as a researcher would.

Memos: written in the interview's Memos tab and on a code (saved by the autosave, read back
through the services), found by the Memos tab's search with Traditional characters and by the
workspace search, another researcher's memo shown read-only, a deletion cancelled and then
confirmed. The comment on a coding is edited in the coding panel.

Find identifiers: the open note's identifiers listed and highlighted; a copy written to a file
leaves the note unchanged; cancelling the confirmation changes nothing; confirming replaces
the words in the note, moves the coding with them and shows the new text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from fieldapp.services import memos, records
from fieldapp.store.workspace import Workspace
from fieldapp.ui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.ui.conftest import ScriptedInteraction, on_ws, type_text

NAME, PHONE = "鞠婧祎", "13987654321"
BODY = f"访谈开始。{NAME}说经费拨付延迟，她的电话是{PHONE}。最后谈到评估压力。"


@pytest.fixture
def interview(unlocked: MainWindow, ctx: Any) -> dict[str, str]:
    ids: dict[str, str] = {}

    def add(ws: Workspace) -> None:
        pid = records.add_participant(ws, code="KM-HIV-007", identity={"real_name": NAME})
        ids["interview"] = records.add_interview(ws, code="KM-HIV-I007", participant_ids=[pid])
        ids["note"] = records.add_note(ws, ids["interview"], kind="field_notes", body=BODY)
        ids["code"] = records.add_code(ws, name_zh="评估", name_en="Evaluation")
        start = BODY.index("评估压力")
        ids["coding"] = records.apply_code(ws, ids["note"], ids["code"], start, start + 4)

    on_ws(ctx, add)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.interviews
    view.reload(select=ids["interview"])
    qtbot_wait(lambda: view.editor.interview_id == ids["interview"])
    return ids


def qtbot_wait(condition: Any) -> None:
    from PySide6.QtWidgets import QApplication

    for _ in range(2000):
        if condition():
            return
        QApplication.processEvents()
    raise AssertionError("timed out")


# -- memos -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_memo_on_the_interview_is_written_found_and_deleted(
        unlocked: MainWindow, ctx: Any, qtbot: QtBot, interview: dict[str, str],
        interaction: ScriptedInteraction, language: str) -> None:
    ctx.language.set_language(language)
    editor = unlocked.workspace.interviews.editor
    editor.lower_tabs.setCurrentWidget(editor.memos)
    panel = editor.memos
    assert panel.list.count() == 0 and panel.new_button.isEnabled()
    panel.new_memo()
    type_text(qtbot, panel.editor.title, "访谈后反思")
    type_text(qtbot, panel.editor.body, "她对政府購買服務很谨慎")
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=4000)  # saved by the autosave
    (memo,) = on_ws(ctx, lambda ws: memos.list_memos(ws, interview_id=interview["interview"]))
    assert (memo["title"], memo["body"]) == ("访谈后反思", "她对政府購買服務很谨慎")

    # The Memos tab finds it with Simplified characters; so does the workspace search.
    tab = unlocked.workspace.memos
    unlocked.workspace.tabs.setCurrentWidget(tab)
    type_text(qtbot, tab.search, "购买服务")
    qtbot.waitUntil(lambda: tab.list.count() == 1)
    assert "KM-HIV-I007" in tab.list.item(0).text()
    search = unlocked.workspace.search
    unlocked.workspace.show_search()
    type_text(qtbot, search.query, "购买服务")
    search.run_search()
    assert search.memo_results.list.count() == 1 and search.memo_results.isVisibleTo(search)
    search.memo_results.list.itemActivated.emit(search.memo_results.list.item(0))
    assert unlocked.workspace.tabs.currentWidget() is tab
    assert tab.editor.memo_id == memo["id"] and tab.editor.body.toPlainText() == memo["body"]

    # Deleting asks once; "no" keeps it, "yes" deletes it.
    interaction.confirm_answers = [False, True]
    tab.delete_memo()
    assert on_ws(ctx, lambda ws: memos.list_memos(ws))
    tab.delete_memo()
    assert on_ws(ctx, lambda ws: memos.list_memos(ws)) == []
    qtbot.waitUntil(lambda: panel.list.count() == 0)


def test_a_memo_on_a_code_and_another_researchers_memo_is_read_only(
        unlocked: MainWindow, ctx: Any, qtbot: QtBot, interview: dict[str, str],
        tmp_path: Path) -> None:
    view = unlocked.workspace.codes
    unlocked.workspace.tabs.setCurrentWidget(view)
    view.memos.show_subject("code", code_id=interview["code"])
    view.memos.new_memo()
    type_text(qtbot, view.memos.editor.body, "评估只看活动次数")
    view.memos.editor.save_now()
    (mine,) = on_ws(ctx, lambda ws: memos.list_memos(ws, code_id=interview["code"]))
    assert mine["body"] == "评估只看活动次数"

    # A memo from another device arrives (as sync applies it).
    other, _ = Workspace.initialise(tmp_path / "other", PASSPHRASE, researcher="Lin")
    other_device = other.device_id
    try:
        on_ws(ctx, lambda ws: other.apply_remote(ws.ops()))
        theirs = memos.add_memo(other, about="code", code_id=interview["code"], body="林的看法")
        on_ws(ctx, lambda ws: ws.apply_remote(other.ops()))
    finally:
        other.close()
    ctx.data.changed.emit("memo")
    qtbot.waitUntil(lambda: view.memos.list.count() == 2)
    row = next(i for i in range(view.memos.list.count())
               if "林的看法" in view.memos.list.item(i).text())
    view.memos.list.setCurrentRow(row)
    assert view.memos.editor.memo_id == theirs
    # (outside a team this device knows the author by the device's id, in a team by name)
    assert view.memos.editor.body.isReadOnly()
    assert other_device[:8] in view.memos.editor.info.text()
    assert not view.memos.delete_button.isEnabled()
    type_text(qtbot, view.memos.editor.body, "我改的")  # read-only: nothing typed, nothing saved
    view.memos.editor.save_now()
    assert on_ws(ctx, lambda ws: memos.get_memo(ws, theirs))["body"] == "林的看法"


def test_the_comment_on_a_coding_is_edited_in_the_coding_panel(
        unlocked: MainWindow, ctx: Any, qtbot: QtBot, interview: dict[str, str]) -> None:
    panel = unlocked.workspace.interviews.editor.coding
    qtbot.waitUntil(lambda: panel.codings.count() == 1)
    assert not panel.comment.edit.isEnabled()
    panel.codings.setCurrentRow(0)
    assert panel.comment.edit.isEnabled()
    type_text(qtbot, panel.comment.edit, "压力来自民政局")
    qtbot.waitUntil(lambda: on_ws(ctx, lambda ws: records.get(
        ws, "coding", interview["coding"]))["comment"] == "压力来自民政局", timeout=4000)
    # Showing the codings again (another tab and back) keeps the comment shown and saved.
    editor = unlocked.workspace.interviews.editor
    editor.show_note("transcript")
    editor.show_note("field_notes")
    panel.codings.setCurrentRow(0)
    assert panel.comment.edit.text() == "压力来自民政局"


# -- find identifiers ------------------------------------------------------------------------


def _open_dialog(unlocked: MainWindow) -> Any:
    editor = unlocked.workspace.interviews.editor
    editor.show_note("field_notes")
    editor.find_identifiers.click()
    dialog = editor.deidentify_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_find_identifiers_lists_and_highlights_and_a_copy_leaves_the_note(
        unlocked: MainWindow, ctx: Any, qtbot: QtBot, interview: dict[str, str],
        interaction: ScriptedInteraction, tmp_path: Path, language: str) -> None:
    ctx.language.set_language(language)
    dialog = _open_dialog(unlocked)
    kinds = {f.kind: f for f in dialog.findings}
    assert set(kinds) == {"participant", "mobile"}
    assert kinds["participant"].replacement == "KM-HIV-007"
    assert dialog.table.rowCount() == 2
    assert {dialog.table.item(r, 2).text() for r in range(2)} == {NAME, PHONE}
    assert len(dialog.preview.extraSelections()) == 2  # highlighted in the text
    assert dialog.preview.toPlainText() == BODY

    target = tmp_path / "copy.txt"
    interaction.files = [target]
    dialog.copy_button.click()
    copy = target.read_text(encoding="utf-8")
    assert NAME not in copy and PHONE not in copy and "KM-HIV-007说" in copy
    assert on_ws(ctx, lambda ws: records.get(ws, "note", interview["note"]))["body"] == BODY
    assert unlocked.workspace.interviews.editor.current_note().edit.toPlainText() == BODY


def test_replacing_in_the_note_needs_the_confirmation(
        unlocked: MainWindow, ctx: Any, qtbot: QtBot, interview: dict[str, str],
        interaction: ScriptedInteraction) -> None:
    dialog = _open_dialog(unlocked)
    seq = on_ws(ctx, lambda ws: ws.last_seq)
    interaction.confirm_answers = [False]
    dialog.apply_button.click()
    assert on_ws(ctx, lambda ws: ws.last_seq) == seq  # nothing written
    assert on_ws(ctx, lambda ws: records.get(ws, "note", interview["note"]))["body"] == BODY

    # Only the phone number: untick the name.
    row = next(r for r in range(dialog.table.rowCount())
               if dialog.table.item(r, 2).text() == NAME)
    dialog.set_chosen(row, False)
    interaction.confirm_answers = [True]
    dialog.apply_button.click()
    body = on_ws(ctx, lambda ws: records.get(ws, "note", interview["note"]))["body"]
    assert PHONE not in body and NAME in body
    note = unlocked.workspace.interviews.editor.current_note()
    qtbot.waitUntil(lambda: note.edit.toPlainText() == body)
    coding = on_ws(ctx, lambda ws: records.get(ws, "coding", interview["coding"]))
    assert body[coding["start_offset"]:coding["end_offset"]] == "评估压力"
    assert [k for k, _t, _x in interaction.shown].count("confirm") == 2
