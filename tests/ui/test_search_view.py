"""Workspace search in the app: the number of notes found counts every match, not only the
first page, and "Show more" shows the next ones; results can be narrowed by code, site and
date; 爱滋 and 愛滋 find 艾滋. Both languages."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt

from fieldapp import i18n
from fieldapp.services import records
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import on_ws


def _fill(ws: Any) -> dict[str, Any]:
    records.set_study(ws, sites=[{"code": "KM", "name_zh": "昆明", "name_en": "Kunming"},
                                 {"code": "GZ", "name_zh": "广州", "name_en": "Guangzhou"}])
    km = records.add_interview(ws, code="KM-1", site="KM", date="2026-03-01")
    gz = records.add_interview(ws, code="GZ-1", site="GZ", date="2026-05-01")
    records.add_notes(ws, km, [f"第{i}次：经费拨付延迟，爱滋病项目。" for i in range(60)])
    gz_notes = records.add_notes(ws, gz, [f"广州第{i}条：经费充足。" for i in range(5)])
    code = records.add_code(ws, name_zh="资金", name_en="Funding")
    records.apply_code(ws, gz_notes[0], code, 0, 2)
    return {"km": km, "gz": gz, "code": code, "coded": gz_notes[0]}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_count_more_filters_and_variants(qtbot: Any, unlocked: MainWindow, lang: str) -> None:
    i18n.set_language(lang)
    ctx = unlocked.ctx
    ids = on_ws(ctx, _fill)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.search
    unlocked.workspace.show_search()
    view.query.setText("经费")
    view.run_search()
    qtbot.waitUntil(lambda: view.model.rowCount() == 50, timeout=5000)
    expected = ("65 notes found; the newest 50 are shown" if lang == "en"
                else "找到 65 篇笔记，显示最新的 50 篇")
    assert view.status.text() == expected
    assert view.more.isVisibleTo(view)
    qtbot.mouseClick(view.more, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() == 65, timeout=5000)
    assert not view.more.isVisibleTo(view)
    # Narrowed to a site (shown by its name), then to a code, then to dates.
    site = view.site_filter
    labels = [site.itemText(i) for i in range(site.count())]
    assert ("广州" if lang == "zh_CN" else "Guangzhou") in labels
    site.setCurrentIndex(site.findData("GZ"))
    qtbot.waitUntil(lambda: view.model.rowCount() == 5, timeout=5000)
    qtbot.waitUntil(lambda: view.code_filter.findData(ids["code"]) > 0, timeout=5000)
    view.code_filter.setCurrentIndex(view.code_filter.findData(ids["code"]))
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)
    view.code_filter.setCurrentIndex(0)
    site.setCurrentIndex(0)
    view.date_to.setDate(QDate(2026, 3, 31))
    qtbot.waitUntil(lambda: view.model.rowCount() == 50, timeout=5000)
    assert "60" in view.status.text()
    view.date_to.setDate(view.date_to.minimumDate())
    # Variant spellings: the notes say 爱滋病; the standard 艾滋 and Traditional 愛滋 find them.
    for query in ("艾滋", "愛滋"):
        view.query.setText(query)
        view.run_search()
        qtbot.waitUntil(lambda: view.model.rowCount() == 50, timeout=5000)
