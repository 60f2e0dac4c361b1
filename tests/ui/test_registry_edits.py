"""Organisations and codes can be changed and removed from the desktop; a removal that would leave
records pointing at nothing is refused with what still refers to it."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from fieldapp.services import records, registry
from fieldapp.store.errors import InvalidInput
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import double_click_current, on_ws, select_row, type_text


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_change_an_organisation(unlocked: MainWindow, ctx: Any, qtbot: QtBot,
                                language: str) -> None:
    ctx.language.set_language(language)
    org = on_ws(ctx, lambda ws: records.add_organisation(ws, name_zh="昆明红丝带协会"))
    ctx.data.changed.emit("organisation")
    view = unlocked.workspace.organisations
    select_row(view, "昆明红丝带协会")
    view.edit_organisation()
    dialog = view.dialog
    assert dialog.windowTitle() == ("修改机构" if language == "zh_CN" else "Change organisation")
    assert dialog.fields["name_zh"].text() == "昆明红丝带协会"
    dialog.fields["name_en"].clear()
    type_text(qtbot, dialog.fields["name_en"], "Kunming Red Ribbon")
    dialog.check_duplicates()
    assert dialog.duplicates == []  # not a duplicate of itself
    dialog.save()
    assert on_ws(ctx, lambda ws: records.get(ws, "organisation", org))["name_en"] == \
        "Kunming Red Ribbon"


def test_removing_an_organisation_in_use_is_refused_with_the_reason(
        unlocked: MainWindow, ctx: Any, interaction: Any) -> None:
    def add(ws: Any) -> str:
        org = records.add_organisation(ws, name_zh="大理阳光中心")
        records.add_participant(ws, code="DL-HIV-001", organisation_id=org)
        return org

    org = on_ws(ctx, add)
    ctx.data.changed.emit("organisation")
    view = unlocked.workspace.organisations
    select_row(view, "大理阳光中心")
    interaction.confirm_answers.append(True)
    view.delete_organisation()
    kind, _title, text = interaction.shown[-1]
    assert kind == "warn"
    assert text == ("This organisation cannot be removed: 1 participant still name it. Link "
                    "them to another organisation first.")
    assert on_ws(ctx, lambda ws: records.find(ws, "organisation", org)) is not None


def test_remove_an_unused_organisation(unlocked: MainWindow, ctx: Any, interaction: Any) -> None:
    org = on_ws(ctx, lambda ws: records.add_organisation(ws, name_zh="重复录入的机构"))
    ctx.data.changed.emit("organisation")
    view = unlocked.workspace.organisations
    select_row(view, "重复录入的机构")
    interaction.confirm_answers.append(True)
    view.delete_organisation()
    assert on_ws(ctx, lambda ws: records.find(ws, "organisation", org)) is None
    assert view.proxy.rowCount() == 0


def _codes(ctx: Any) -> dict[str, str]:
    def add(ws: Any) -> dict[str, str]:
        top = records.add_code(ws, name_zh="政府购买", name_en="Contracting")
        child = records.add_code(ws, name_zh="资金困难", name_en="Funding", parent_id=top)
        other = records.add_code(ws, name_zh="信任", name_en="Trust")
        interview = records.add_interview(ws, code="KM-HIV-I001")
        note = records.add_note(ws, interview, body="经费拨付常常延迟三到六个月。")
        records.apply_code(ws, note, child, 0, 4)
        return {"top": top, "child": child, "other": other}

    ids = on_ws(ctx, add)
    ctx.data.changed.emit("*")
    return ids


def test_codes_show_their_passage_counts_and_move_in_the_tree(unlocked: MainWindow, ctx: Any,
                                                              qtbot: QtBot) -> None:
    ids = _codes(ctx)
    view = unlocked.workspace.codes
    tree = unlocked.workspace.codebook
    top = tree.item(0)
    assert top.child(0).text() == "Funding (1)"
    view._select(ids["child"])
    view.edit_code()
    dialog = view.dialog
    # The code cannot be put below itself: it is not offered as its own parent.
    assert dialog.parent_code.findData(ids["child"]) == -1
    dialog.parent_code.setCurrentIndex(dialog.parent_code.findData(ids["other"]))
    dialog.save()
    moved = on_ws(ctx, lambda ws: records.get(ws, "code", ids["child"]))
    assert moved["parent_id"] == ids["other"]


def test_a_code_cannot_move_below_its_own_sub_code(ws: Any) -> None:
    top = records.add_code(ws, name_zh="政府购买")
    child = records.add_code(ws, name_zh="资金困难", parent_id=top)
    with pytest.raises(InvalidInput) as err:
        registry.update_code(ws, top, parent_id=child)
    assert "below itself" in err.value.message
    assert records.get(ws, "code", top)["parent_id"] is None


def test_removing_a_code_with_passages_is_refused(unlocked: MainWindow, ctx: Any,
                                                  interaction: Any) -> None:
    ids = _codes(ctx)
    view = unlocked.workspace.codes
    view._select(ids["top"])
    interaction.confirm_answers.append(True)
    view.delete_code()
    assert interaction.shown[-1][2] == (
        "This code cannot be removed: it has 1 code below it. Move its sub-codes and remove its "
        "passages first.")
    view._select(ids["other"])
    interaction.confirm_answers.append(True)
    view.delete_code()
    assert on_ws(ctx, lambda ws: records.find(ws, "code", ids["other"])) is None
    names = [unlocked.workspace.codebook.item(r).text()
             for r in range(unlocked.workspace.codebook.rowCount())]
    assert names == ["Contracting"]


def test_double_click_opens_the_change_dialog(unlocked: MainWindow, ctx: Any,
                                              qtbot: QtBot) -> None:
    on_ws(ctx, lambda ws: records.add_organisation(ws, name_zh="昆明红丝带协会"))
    ctx.data.changed.emit("organisation")
    view = unlocked.workspace.organisations
    unlocked.workspace.tabs.setCurrentWidget(view)
    select_row(view, "昆明红丝带协会")
    double_click_current(qtbot, view)
    assert view.dialog is not None and view.dialog.organisation is not None
