"""The bilingual NGO contracting survey filled in end to end through the widgets: importing it,
starting a response linked to a participant, skip logic, a constraint message in the current
language, the cascade, "other, specify", a repeat instance added and removed, autosave, a
missing required answer listed by "Complete" and jumped to, and the saved data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QCheckBox, QRadioButton, QWidget

from fieldapp.services import records, surveys
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.survey.new_response import NewResponseDialog
from fieldapp.ui.survey.runner import FormRunner
from fieldapp.ui.survey.surveys_view import SurveysView
from fieldapp.ui.survey.widgets import NumberWidget, SelectOneWidget, TextWidget
from tests.ui.conftest import ScriptedInteraction, type_text

FORM = Path(__file__).resolve().parents[3] / "resources" / "instruments" / \
    "ngo_contracting_survey.xlsx"
LEFT = Qt.MouseButton.LeftButton
YEAR_EN = "Enter a year between 1949 and this year."
YEAR_ZH = "请填写1949年至今年之间的年份。"


def click(qtbot: Any, button: QAbstractButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.objectName()
    QApplication.processEvents()  # lay out what was just added, as the event loop would
    if isinstance(button, QRadioButton | QCheckBox):
        # on the indicator: the row is as wide as the page, its text is not
        qtbot.mouseClick(button, LEFT, pos=QPoint(8, button.height() // 2))
    else:
        qtbot.mouseClick(button, LEFT)


class Form:
    """Shortcuts into the runner's widgets by question address."""

    def __init__(self, qtbot: Any, runner: FormRunner) -> None:
        self.qtbot, self.runner = qtbot, runner

    def widget(self, address: str) -> Any:
        assert self.runner.form is not None
        return self.runner.form.questions[address]

    def shown(self, address: str) -> bool:
        return bool(self.widget(address).isVisibleTo(self.runner))

    def choose(self, address: str, *names: str) -> None:
        widget = self.widget(address)
        for name in names:
            click(self.qtbot, widget.buttons[name])

    def choices(self, address: str) -> list[str]:
        widget = self.widget(address)
        assert isinstance(widget, SelectOneWidget)
        return list(widget.names)

    def type(self, address: str, text: str) -> None:
        widget = self.widget(address)
        assert isinstance(widget, TextWidget | NumberWidget)
        editor = widget.focus_widget()
        assert editor.isVisible(), address
        type_text(self.qtbot, editor, text)

    def erase(self, address: str) -> None:
        editor = self.widget(address).focus_widget()
        editor.selectAll()
        self.qtbot.keyClick(editor, Qt.Key.Key_Delete)

    def message(self, address: str) -> str:
        label = self.widget(address).message
        return str(label.text()) if label.isVisibleTo(self.runner) else ""

    def page_titles(self) -> list[str]:
        lst = self.runner.page_list
        return [lst.item(i).text() for i in range(lst.count()) if not lst.item(i).isHidden()]


def start_response(qtbot: Any, window: MainWindow, ctx: AppContext,
                   interaction: ScriptedInteraction) -> tuple[SurveysView, Form]:
    view = window.workspace.surveys
    window.workspace.tabs.setCurrentWidget(view)
    ctx.tasks.run(lambda ws: records.add_participant(ws, code="KM-HIV-001", site="KM"))
    ctx.data.changed.emit("participant")
    # Import through the file dialog seam.
    interaction.files.append(FORM)
    click(qtbot, view.import_button)
    assert interaction.texts("info") and "2025010101" in interaction.texts("info")[-1]
    assert view.instruments.rowCount() == 1
    # New response, linked to a participant from the registry.
    click(qtbot, view.new_button)
    dialog = view.dialog
    assert isinstance(dialog, NewResponseDialog)
    dialog.participant.setCurrentIndex(dialog.participant.findText("KM-HIV-001"))
    assert dialog.site.currentText() == "KM"
    click(qtbot, dialog.ok_button)
    assert view.stack.currentWidget() is view.runner
    assert view.responses.rowCount() == 1
    assert "KM-HIV-001" in view.runner.subtitle.text()
    return view, Form(qtbot, view.runner)


def fill_in(qtbot: Any, window: MainWindow, ctx: AppContext, interaction: ScriptedInteraction,
            *, switch_to_chinese: bool) -> None:
    view, f = start_response(qtbot, window, ctx, interaction)
    runner = view.runner

    # Page 1: consent. The later pages apply only once consent is given.
    assert len(f.page_titles()) == 1
    f.choose("consent", "no")
    assert f.shown("no_consent_note")
    assert len(f.page_titles()) == 1
    f.choose("consent", "yes")
    assert not f.shown("no_consent_note")
    assert len(f.page_titles()) == 3
    qtbot.waitUntil(lambda: runner.save_status.text() in ("Draft saved", "草稿已保存"),
                    timeout=3000)

    if switch_to_chinese:
        window.act_lang_zh.trigger()
        assert runner.next_button.text() != "&Next"
        assert "机构" in f.page_titles()[1]
    click(qtbot, runner.next_button)
    assert runner.current_page() == 1

    # The organisation page (one screen): a constraint message in the current language.
    f.type("org/org_name", "红丝带之家 Red Ribbon")
    f.type("org/founded_year", "1900")
    assert f.message("org/founded_year") == (YEAR_ZH if switch_to_chinese else YEAR_EN)
    f.erase("org/founded_year")
    assert f.message("org/founded_year") == ""
    f.type("org/founded_year", "2008")
    # The cascade: cities of the chosen province only.
    assert f.choices("org/city") == []  # no province yet
    f.choose("org/province", "guangdong")
    assert f.choices("org/city") == ["guangzhou", "shenzhen", "dongguan"]
    f.choose("org/city", "shenzhen")
    f.choose("org/province", "yunnan")
    assert f.choices("org/city") == ["kunming", "dali", "honghe"]
    assert runner.state is not None and runner.state.value("org/city") is None
    f.choose("org/city", "kunming")
    f.type("org/staff_fulltime", "12")
    # "Other, specify": shown with "other", hidden and cleared without it.
    assert not f.shown("org/sectors_other")
    f.choose("org/sectors", "hiv", "other")
    assert f.shown("org/sectors_other")
    f.type("org/sectors_other", "同伴教育")
    f.choose("org/sectors", "other")
    assert not f.shown("org/sectors_other")
    assert runner.state.value("org/sectors_other") is None
    f.choose("org/sectors", "other")
    assert f.widget("org/sectors_other").edit.text() == ""
    f.type("org/sectors_other", "peer education 同伴教育")
    # org_type (required) is left out on purpose.

    click(qtbot, runner.next_button)
    assert runner.current_page() == 2
    assert not f.widget("contracts_section/contract[1]/project_name").isVisibleTo(runner)
    f.choose("has_contracts", "yes")
    first = "contracts_section/contract[1]"
    f.type(f"{first}/project_name", "社区关怀 community care")
    f.choose(f"{first}/purchaser", "health")
    f.type(f"{first}/contract_year", "2021")
    f.type(f"{first}/amount", "-3")
    assert f.message(f"{first}/amount") in ("Enter an amount greater than 0, in 10,000 yuan.",
                                            "请填写大于0的金额，单位为万元。")
    f.erase(f"{first}/amount")
    f.type(f"{first}/amount", "15.5")
    assert not f.shown(f"{first}/delay_months")
    f.choose(f"{first}/paid_on_time", "no")
    assert f.shown(f"{first}/delay_months")
    f.type(f"{first}/delay_months", "4")

    # A second project, added and removed again (after confirming).
    repeat = runner.form.repeats["contracts_section/contract"] if runner.form else None
    assert repeat is not None
    click(qtbot, repeat.add_button)
    assert runner.state.instance_count("contracts_section/contract") == 2
    f.type("contracts_section/contract[2]/project_name", "临时 temporary")
    interaction.confirm_answers.append(True)
    click(qtbot, repeat.remove_buttons[1])
    assert runner.state.instance_count("contracts_section/contract") == 1
    assert "contracts_section/contract[2]/project_name" not in runner.form.questions
    # The count is the form's own calculation: kept with the answers, not shown.
    assert "contracts_section/n_contracts" not in f.runner.form.questions
    assert str(f.runner.state.value("contracts_section/n_contracts")) == "1"
    f.choose("contracts_section/challenges", "late_payment", "invoices")
    f.choose("contracts_section/satisfaction", "4")
    f.choose("respondent_role", "director")
    f.type("comments", "谢谢 thanks")
    qtbot.waitUntil(lambda: runner.save_status.text() in ("Draft saved", "草稿已保存"),
                    timeout=3000)

    # Complete: the missing required answer is listed; choosing it jumps there.
    click(qtbot, runner.complete_button)
    assert runner.issue_list.isVisible()
    assert runner.issue_list.count() == 1
    item = runner.issue_list.item(0)
    org_type_label = runner.state.label("org/org_type")
    assert org_type_label in item.text()
    runner.show_page(0)
    rect = runner.issue_list.visualItemRect(item)
    qtbot.mouseClick(runner.issue_list.viewport(), LEFT, pos=rect.center())
    assert runner.current_page() == 1
    target = f.widget("org/org_type").focus_widget()
    assert isinstance(target, QWidget)
    assert runner.window().focusWidget() is target
    f.choose("org/org_type", "social_service")
    assert runner.issue_list.count() == 0
    click(qtbot, runner.complete_button)
    assert runner.status == surveys.COMPLETE
    assert not runner.issue_list.isVisible()

    # The saved response holds exactly what was typed.
    saved: list[dict[str, Any]] = []
    ctx.tasks.run(lambda ws: surveys.list_responses(ws), saved.extend)
    assert len(saved) == 1 and saved[0]["status"] == surveys.COMPLETE
    data = dict(saved[0]["data"])
    for meta in ("start", "end", "survey_date"):
        assert data.pop(meta)
    assert data == {
        "consent": "yes",
        "org": {"org_name": "红丝带之家 Red Ribbon", "org_type": "social_service",
                "founded_year": 2008, "province": "yunnan", "city": "kunming",
                "staff_fulltime": 12, "sectors": ["hiv", "other"],
                "sectors_other": "peer education 同伴教育"},
        "has_contracts": "yes",
        "contracts_section": {
            "contract": [{"contract_no": "1", "project_name": "社区关怀 community care",
                          "purchaser": "health", "contract_year": 2021, "amount": 15.5,
                          "paid_on_time": "no", "delay_months": 4}],
            "n_contracts": "1", "total_amount": "15.5",
            "challenges": ["late_payment", "invoices"], "satisfaction": "4"},
        "respondent_role": "director",
        "comments": "谢谢 thanks",
    }
    # Back to the list: the response is complete, and the filters find it.
    click(qtbot, runner.back)
    assert view.stack.currentWidget() is view.list_page
    view.set_filter("status", surveys.COMPLETE)
    assert view.proxy.rowCount() == 1
    view.set_filter("status", surveys.DRAFT)
    assert view.proxy.rowCount() == 0


def test_fill_in_english(qtbot: Any, unlocked: MainWindow, ctx: AppContext,
                         interaction: ScriptedInteraction) -> None:
    fill_in(qtbot, unlocked, ctx, interaction, switch_to_chinese=False)


def test_fill_in_switching_to_chinese(qtbot: Any, unlocked: MainWindow, ctx: AppContext,
                                      interaction: ScriptedInteraction) -> None:
    fill_in(qtbot, unlocked, ctx, interaction, switch_to_chinese=True)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_broken_form_is_refused_with_its_problems(qtbot: Any, unlocked: MainWindow,
                                                    ctx: AppContext, tmp_path: Path,
                                                    interaction: ScriptedInteraction,
                                                    lang: str) -> None:
    from tests.unit.survey.conftest import write_form

    ctx.language.set_language(lang)
    bad = write_form(tmp_path / "bad.xlsx", [["type", "name", "label"],
                                             ["select_one nowhere", "q1", "Q"]])
    view = unlocked.workspace.surveys
    unlocked.workspace.tabs.setCurrentWidget(view)
    interaction.files.append(bad)
    click(qtbot, view.import_button)
    warnings = interaction.texts("warn")
    assert warnings and "nowhere" in warnings[-1] and "survey" in warnings[-1]
    assert view.instruments.rowCount() == 0
