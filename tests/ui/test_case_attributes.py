"""Case attributes on the desktop, driving the real window: defined from the codebook, edited
with typed editors on the organisation and participant pages (in both languages), refused
with the service's message when they do not fit, and used as a filter in the Analysis tab."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QDoubleSpinBox, QLineEdit
from pytestqt.qtbot import QtBot

from fieldapp.analysis.attributes import Choice
from fieldapp.services import case_attributes, records
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import on_ws, select_row, type_text


def _define(ws: Any) -> dict[str, str]:
    org = records.add_organisation(ws, name_zh="昆明红丝带协会", name_en="Red Ribbon")
    pid = records.add_participant(ws, code="KM-HIV-001", organisation_id=org)
    case_attributes.define(ws, "budget", "organisation", "number", label_zh="年度预算",
                           label_en="Annual budget")
    case_attributes.define(ws, "registration", "organisation", "choice",
                           label_zh="登记状态", label_en="Registration", choices=[
                               Choice("registered", "已登记", "Registered"),
                               Choice("unregistered", "未登记", "Not registered")])
    case_attributes.define(ws, "founded", "organisation", "date")
    case_attributes.define(ws, "remark", "participant", "text", label_en="Remark",
                           label_zh="备注")
    return {"org": org, "pid": pid}


def test_the_codebook_defines_attributes(unlocked: MainWindow, ctx: Any, qtbot: QtBot,
                                         interaction: Any) -> None:
    view = unlocked.workspace.codes
    unlocked.workspace.tabs.setCurrentWidget(view)
    qtbot.mouseClick(view.attributes_button, Qt.MouseButton.LeftButton)
    dialog = view.attributes_dialog
    assert dialog is not None and dialog.isVisible()
    type_text(qtbot, dialog.name, "registration")
    dialog.applies_to.setCurrentIndex(dialog.applies_to.findData("organisation"))
    dialog.type.setCurrentIndex(dialog.type.findData("choice"))
    assert dialog.choices.isVisibleTo(dialog)
    type_text(qtbot, dialog.label_zh, "登记状态")
    dialog.choices.setPlainText("registered=已登记|Registered\nunregistered=未登记|Not registered")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    attr = on_ws(ctx, lambda ws: case_attributes.get_attribute(ws, "registration"))
    assert attr.type == "choice" and [c.label_zh for c in attr.choices] == ["已登记", "未登记"]
    assert dialog.list.count() == 1
    # a bad name is refused in the dialog, and nothing is defined
    dialog.new_attribute()
    type_text(qtbot, dialog.name, "annual budget")
    dialog.type.setCurrentIndex(dialog.type.findData("number"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "cannot be an attribute name" in dialog.status.text()
    assert len(on_ws(ctx, case_attributes.list_attributes)) == 1
    # removal asks first, then takes the attribute away
    dialog.list.setCurrentRow(0)
    interaction.confirm_answers.append(True)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert on_ws(ctx, case_attributes.list_attributes) == []
    # locking closes it: nothing stays on screen
    ctx.data.cleared.emit()
    assert not dialog.isVisible()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_organisation_page_edits_typed_values(unlocked: MainWindow, ctx: Any, qtbot: QtBot,
                                              language: str) -> None:
    ctx.language.set_language(language)
    ids = on_ws(ctx, _define)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.organisations
    unlocked.workspace.tabs.setCurrentWidget(view)
    select_row(view, "昆明红丝带协会")
    box = view.attributes
    assert box.case_id == ids["org"]
    budget = box.findChild(QDoubleSpinBox, "attribute_budget")
    registration = box.findChild(QComboBox, "attribute_registration")
    founded = box.findChild(QDateEdit, "attribute_founded")
    assert budget is not None and registration is not None and founded is not None
    labels = [box.labels[a.id].text() for a in box.attributes]
    assert labels[0] == ("年度预算：" if language == "zh_CN" else "Annual budget:")
    expected = ["—", "已登记", "未登记"] if language == "zh_CN" else \
        ["—", "Registered", "Not registered"]
    assert [registration.itemText(i) for i in range(registration.count())] == expected
    budget.setValue(1_200_000)
    registration.setCurrentIndex(registration.findData("unregistered"))
    founded.setDate(QDate(2012, 6, 1))
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    stored = on_ws(ctx, lambda ws: case_attributes.values_of(ws, ids["org"]))
    assert stored == {case_attributes.attribute_id("budget"): 1_200_000,
                      case_attributes.attribute_id("registration"): "unregistered",
                      case_attributes.attribute_id("founded"): "2012-06-01"}
    # the editors show what is stored when the organisation is chosen again
    box.show_case(None)
    select_row(view, "昆明红丝带协会")
    box.show_case(ids["org"])
    assert box.findChild(QDoubleSpinBox, "attribute_budget").value() == 1_200_000
    # clearing: the number box's lowest value is "no value"
    box.findChild(QDoubleSpinBox, "attribute_budget").setValue(box.findChild(
        QDoubleSpinBox, "attribute_budget").minimum())
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    stored = on_ws(ctx, lambda ws: case_attributes.values_of(ws, ids["org"]))
    assert case_attributes.attribute_id("budget") not in stored


def test_participant_page_refuses_what_does_not_fit_and_keeps_everything(
        unlocked: MainWindow, ctx: Any, qtbot: QtBot) -> None:
    ids = on_ws(ctx, _define)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.participants
    unlocked.workspace.tabs.setCurrentWidget(view)
    view.select(ids["pid"])
    box = view.attributes
    assert box.case_id == ids["pid"]
    remark = box.findChild(QLineEdit, "attribute_remark")
    assert remark is not None
    type_text(qtbot, remark, "长期合作")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    assert on_ws(ctx, lambda ws: case_attributes.values_of(ws, ids["pid"])) == {
        case_attributes.attribute_id("remark"): "长期合作"}
    seq = on_ws(ctx, lambda ws: ws.last_seq)
    remark.setText("x" * 2001)
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    assert "at most 2000 characters" in box.status.text()
    assert on_ws(ctx, lambda ws: ws.last_seq) == seq


def test_the_analysis_query_filters_by_case_attributes(unlocked: MainWindow, ctx: Any,
                                                       qtbot: QtBot) -> None:
    def study(ws: Any) -> None:
        ids = _define(ws)
        other = records.add_organisation(ws, name_zh="同伴小组")
        code = records.add_code(ws, name_zh="资金")
        for n, org in enumerate((ids["org"], other)):
            iid = records.add_interview(ws, code=f"I{n}", organisation_id=org)
            note = records.add_note(ws, iid, body="经费拨付延迟。")
            records.apply_code(ws, note, code, 0, 4)
        case_attributes.set_value(ws, "budget", ids["org"], 2_000_000)
        case_attributes.set_value(ws, "budget", other, 50_000)

    on_ws(ctx, study)
    view = unlocked.workspace.analysis
    unlocked.workspace.tabs.setCurrentWidget(view)
    type_text(qtbot, view.expression, "资金")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert view.passages.rowCount() == 2
    type_text(qtbot, view.query_where, "budget>=1000000")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert [view.passages.record(r)["interview_code"] for r in
            range(view.passages.rowCount())] == ["I0"]
    view.query_where.clear()
    type_text(qtbot, view.query_where, "budget>=lots")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert "lots" in view.query_status.text() and "number" in view.query_status.text()
    # the refused filter leaves the passages of the last query that ran
    assert [view.passages.record(r)["interview_code"] for r in
            range(view.passages.rowCount())] == ["I0"]


def test_saving_keeps_a_value_no_editor_can_show(unlocked: MainWindow, ctx: Any,
                                                 qtbot: QtBot) -> None:
    def study(ws: Any) -> dict[str, str]:
        ids = _define(ws)
        # as merged from another laptop whose choice list had "pending": no editor shows it
        attr = case_attributes.attribute_id("registration")
        with ws.transaction():
            ws.write("attribute_value", case_attributes.value_id(attr, ids["org"]),
                     {"attribute_id": attr, "organisation_id": ids["org"],
                      "value": "pending"}, create=True)
        return ids

    ids = on_ws(ctx, study)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.organisations
    unlocked.workspace.tabs.setCurrentWidget(view)
    select_row(view, "昆明红丝带协会")
    box = view.attributes
    assert box.findChild(QComboBox, "attribute_registration").currentData() is None
    box.findChild(QDoubleSpinBox, "attribute_budget").setValue(42)
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    stored = on_ws(ctx, lambda ws: case_attributes.values_of(ws, ids["org"]))
    assert stored[case_attributes.attribute_id("registration")] == "pending"
    assert stored[case_attributes.attribute_id("budget")] == 42
