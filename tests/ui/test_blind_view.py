"""The Blind coding tab on a real team (coordinator and two researchers, bundles through a
shared folder, built by fieldapp.services.demo_blind): the coordinator assigns, adjudicates
and releases from the view; a coder sees that the other's work is hidden, and the note it
was given opens read-only with only its own codings — in both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldapp.i18n import _, ngettext
from fieldapp.services import blind, demo_blind, records, session, sync
from fieldapp.ui.labels import label
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import PASSPHRASE, on_ws


@pytest.fixture
def made(tmp_path: Path) -> dict[str, str]:
    return demo_blind.make_team(tmp_path / "team", PASSPHRASE)


def _open(window: MainWindow, ctx: Any, path: str) -> Any:
    window.resize(1366, 768)  # the smallest laptop screen researchers bring
    ctx.tasks.open_workspace(lambda: session.open_workspace(path, PASSPHRASE))
    window.session.path = Path(path)
    window.session.enter_opened()
    window.stack.setCurrentWidget(window.workspace)
    analysis = window.workspace.analysis
    window.workspace.tabs.setCurrentWidget(analysis)
    analysis.tabs.setCurrentWidget(analysis.blind)
    return analysis.blind


def _texts(model: Any, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_coordinator_assigns_adjudicates_and_releases(window: MainWindow, ctx: Any,
                                                      qtbot: QtBot, made: dict[str, str],
                                                      language: str) -> None:
    ctx.language.set_language(language)
    view = _open(window, ctx, made["coordinator"])
    assert window.workspace.analysis.tabs.tabText(3) == _("Blind coding")
    assert view.assign_box.isVisible() and view.adjudication_box.isVisible()
    assert _texts(view.assignments, 2) == ["林晓"] and _texts(view.assignments, 3) == ["王芳"]
    assert _texts(view.assignments, 4) == [_("Blind")]
    # Agreement per code with the assignment's two coders, and the overall row.
    codes = _texts(view.agreement, 0)
    assert codes[-1] == ("总体" if language == "zh_CN" else "Overall")
    assert set(codes[:-1]) == ({"政府购买", "拨付延迟", "登记注册"} if language == "zh_CN"
                               else {"Service contracting", "Payment delays", "Registration"})
    # Disagreements side by side: the first coder's passage, the second's.
    rows = [view.disagreements.record(r) for r in range(view.disagreements.rowCount())]
    assert len(rows) == 3
    assert [bool(r["a_text"]) for r in rows].count(False) == 1  # 登记注册 only by the second
    assert view.disagreements.index(1, 1).data() == _("(not coded)")
    assert not view.decision_buttons["both"].isEnabled()  # not before the release

    # Assign the other interview's note, chosen in the interview list.
    interviews = window.workspace.interviews
    window.workspace.tabs.setCurrentWidget(interviews)
    other = on_ws(ctx, lambda ws: next(i["id"] for i in records.list_records(ws, "interview")
                                       if i["code"] == "KM-DIS-I008"))
    interviews.select(other)
    assert interviews.act_blind in interviews.table.actions()
    interviews.act_blind.trigger()
    assert window.workspace.tabs.currentWidget() is window.workspace.analysis
    assert window.workspace.analysis.tabs.currentWidget() is view
    assert view.interview.currentText() == "KM-DIS-I008"
    assert view.note.currentText() == (label("note_kind", "field_notes"))
    qtbot.mouseClick(view.assign_button, Qt.MouseButton.LeftButton)
    assert view.assignments.rowCount() == 2
    assert view.status.text() == ngettext(
        "Assigned {n} note. Publish the team bundle so the coders receive it.",
        "Assigned {n} notes. Publish the team bundle so the coders receive them.", 1).format(n=1)
    assert len(on_ws(ctx, blind.assignments)) == 2

    # Release the chosen note only (adjudication comes after the release).
    view.assignment_table.selectRow(view.assignments.row_of(made["assignment"]))
    qtbot.mouseClick(view.release_button, Qt.MouseButton.LeftButton)
    states = {a.note_id: a.released for a in on_ws(ctx, blind.assignments)}
    assert states[made["note"]] is True and list(states.values()).count(True) == 1
    row = view.assignments.row_of(made["assignment"])
    assert view.assignments.index(row, 4).data() == _("Released")
    assert not view.release_button.isEnabled()

    # Keep both coders' passages of the first disagreement.
    view.disagreement_table.selectRow(0)
    first = view.disagreements.record(0)
    assert view.decision_buttons["both"].width() > 0
    qtbot.mouseClick(view.decision_buttons["both"], Qt.MouseButton.LeftButton)
    assert view.disagreements.index(0, 3).data() == _("Both")
    decided = on_ws(ctx, lambda ws: blind.disagreements(ws, made["assignment"]))
    assert [d.decision for d in decided if d.key == first["id"]] == ["both"]
    mine = on_ws(ctx, lambda ws: [c for c in records.codings_of_note(ws, made["note"])
                                  if c["owner"] == ws.device_id])
    assert len(mine) == 1


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_coder_sees_the_other_coders_work_hidden_until_release(
        window: MainWindow, ctx: Any, qtbot: QtBot, made: dict[str, str],
        language: str) -> None:
    ctx.language.set_language(language)
    view = _open(window, ctx, made["bob"])
    assert view.banner.text() == ngettext(
        "Blind coding: the other coder's work is hidden until release ({n} note).",
        "Blind coding: the other coder's work is hidden until release ({n} notes).",
        1).format(n=1)
    assert not view.assign_box.isVisible() and not view.release_button.isVisible()
    assert not view.adjudication_box.isVisible()
    assert view.agreement.rowCount() == 0
    # Asking from the interview list explains who assigns.
    window.workspace.assign_blind(made["interview"])
    assert view.status.text() == _("Only a coordinator assigns notes for blind coding.")
    # The assigned note opens where it can be coded, read-only, with bob's codings only.
    view._open_note(view.assignments.index(0, 0))
    editor = window.workspace.interviews.editor
    assert window.workspace.tabs.currentWidget() is window.workspace.interviews
    note = editor.current_note()
    assert note.note_id == made["note"]
    assert note.edit.isReadOnly()
    owners = {c["owner"] for c in editor._codings[made["note"]]}
    bob = on_ws(ctx, lambda ws: ws.device_id)
    assert owners == {bob}
    assert editor.coding.codings.count() == 3  # the coding panel lists bob's three


def test_after_release_the_coder_sees_both_and_the_agreement(
        window: MainWindow, ctx: Any, qtbot: QtBot, made: dict[str, str]) -> None:
    view = _open(window, ctx, made["coordinator"])
    qtbot.mouseClick(view.release_all_button, Qt.MouseButton.LeftButton)
    on_ws(ctx, sync.publish)
    view = _open(window, ctx, made["bob"])
    on_ws(ctx, sync.receive)
    view.refresh()
    assert view.banner.text() == _(
        "No note is assigned to you for blind coding. Your coordinator assigns notes and "
        "releases them; assignments arrive with the team bundle.")
    assert _texts(view.assignments, 4) == [_("Released")]
    assert view.agreement.rowCount() == 4  # three codes and the overall row
    owners = on_ws(ctx, lambda ws: {c["owner"] for c in records.codings_of_note(
        ws, made["note"])})
    assert len(owners) == 2
