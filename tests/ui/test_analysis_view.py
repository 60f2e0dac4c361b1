"""The Analysis tab driven as a researcher would: a query typed and run, a passage opened where it
is, a co-occurrence cell opened into its passages, agreement with one coder explained — in both
languages."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldapp.services import records
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import type_text

BODY = "政府购买服务的资金常常到得很晚。登记注册也很困难。"


@pytest.fixture
def coded(unlocked: MainWindow, ctx: Any) -> dict[str, str]:
    ids: dict[str, str] = {}

    def add(ws: Any) -> None:
        ids["contracting"] = records.add_code(ws, name_zh="政府购买", name_en="Service contracting")
        ids["funding"] = records.add_code(ws, name_zh="资金困难", name_en="Funding problems")
        ids["interview"] = records.add_interview(ws, code="KM-HIV-I001")
        ids["note"] = records.add_note(ws, ids["interview"], kind="transcript", body=BODY)
        records.apply_code(ws, ids["note"], ids["contracting"], 0, 16)
        records.apply_code(ws, ids["note"], ids["funding"], 7, 16)

    ctx.tasks.run(add, lambda _r: None)
    ctx.data.changed.emit("*")
    return ids


def _view(window: MainWindow) -> Any:
    view = window.workspace.analysis
    window.workspace.tabs.setCurrentWidget(view)
    return view


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_query_finds_the_overlap_and_opens_it(unlocked: MainWindow, ctx: Any, qtbot: QtBot,
                                                coded: dict[str, str], language: str) -> None:
    ctx.language.set_language(language)
    view = _view(unlocked)
    type_text(qtbot, view.expression, "政府购买 AND 资金困难")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert view.passages.rowCount() == 1
    assert view.passages.record(0)["text"] == "资金常常到得很晚。"
    assert view.query_status.text() == ("在 1 个访谈中找到 1 个片段。" if language == "zh_CN"
                                        else "Found 1 passage in 1 interview.")
    view._open_passage(view.passages.index(0, 0))
    assert unlocked.workspace.tabs.currentWidget() is unlocked.workspace.interviews


def test_a_bad_query_says_why_in_place(unlocked: MainWindow, ctx: Any, qtbot: QtBot,
                                       coded: dict[str, str]) -> None:
    view = _view(unlocked)
    type_text(qtbot, view.expression, "政府购买 AND 不存在")
    qtbot.keyClick(view.expression, Qt.Key.Key_Return)
    assert view.query_status.text() == "There is no code named “不存在” in the codebook."
    assert view.passages.rowCount() == 0
    assert not view.export_button.isEnabled()
    # After a query that found something, a refused one leaves its passages (and their
    # export) on screen, as the co-occurrence and agreement tabs leave theirs.
    view.expression.clear()
    type_text(qtbot, view.expression, "政府购买 AND 资金困难")
    qtbot.keyClick(view.expression, Qt.Key.Key_Return)
    found = [view.passages.record(r)["text"] for r in range(view.passages.rowCount())]
    assert found == ["资金常常到得很晚。"]
    view.expression.clear()
    type_text(qtbot, view.expression, "政府购买 OR 不存在")
    qtbot.keyClick(view.expression, Qt.Key.Key_Return)
    assert view.query_status.text() == "There is no code named “不存在” in the codebook."
    assert [view.passages.record(r)["text"] for r in range(view.passages.rowCount())] == found
    assert view.export_button.isEnabled()
    assert view.result is not None and view.result.expression == "政府购买 AND 资金困难"


def test_a_matrix_cell_opens_its_passages(unlocked: MainWindow, ctx: Any, qtbot: QtBot,
                                          coded: dict[str, str]) -> None:
    view = _view(unlocked)
    view.tabs.setCurrentIndex(1)
    view.run_matrix()
    names = [view.matrix.headerData(i, Qt.Orientation.Horizontal) for i in
             range(view.matrix.columnCount())]
    assert sorted(names) == ["Funding problems", "Service contracting"]
    a, b = names.index("Service contracting"), names.index("Funding problems")
    assert view.matrix.index(a, b).data() == "1"
    view._open_cell(view.matrix.index(a, b))
    assert view.tabs.currentIndex() == 0
    assert view.expression.text() == '"Service contracting" AND "Funding problems"'
    assert [view.passages.record(i)["text"] for i in range(view.passages.rowCount())] == \
        ["资金常常到得很晚。"]


def test_agreement_with_one_coder_says_what_is_needed(unlocked: MainWindow, ctx: Any,
                                                      coded: dict[str, str]) -> None:
    view = _view(unlocked)
    view.tabs.setCurrentIndex(2)
    view.load_coders()
    assert view.first_coder.count() == 1
    assert not view.agreement_button.isEnabled()
    assert "two coders" in view.agreement_status.text()


def test_the_query_export_goes_where_the_researcher_chose(unlocked: MainWindow, ctx: Any,
                                                          qtbot: QtBot, coded: dict[str, str],
                                                          interaction: Any, tmp_path: Any) -> None:
    from openpyxl import load_workbook

    view = _view(unlocked)
    type_text(qtbot, view.expression, "资金困难")
    view.run_query()
    target = tmp_path / "out"
    interaction.files.append(target)
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    rows = list(load_workbook(tmp_path / "out.xlsx").active.iter_rows(values_only=True))
    assert rows[4][0] == "KM-HIV-I001" and rows[4][5] == "资金常常到得很晚。"
