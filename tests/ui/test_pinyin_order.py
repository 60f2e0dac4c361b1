"""The organisation registry lists Chinese names by pinyin, in both interface languages, and a
reading typed in the dialog ("sort as") puts a surname-like 曾 where a Chinese reader looks for it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from fieldapp.services import records
from fieldapp.services.collation import sort_key
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import type_text

NAMES = ["张家口阳光协会", "阿坝红丝带", "曾氏儿童之家", "AIDS Care China", "重庆同心中心",
         "北京爱知行", "银行街社区中心"]


def test_keys_follow_pinyin_not_code_points() -> None:
    ordered = sorted(NAMES, key=sort_key)
    assert ordered == ["阿坝红丝带", "AIDS Care China", "北京爱知行", "曾氏儿童之家",
                       "重庆同心中心", "银行街社区中心", "张家口阳光协会"]
    # Code-point order would put the Latin name first and 张 (U+5F20) before 曾 (U+66FE).
    assert sorted(NAMES) != ordered
    # A typed reading wins: 曾 read as the surname Zēng sorts between yin… and zhang.
    assert sort_key("曾氏儿童之家", "zeng shi") < sort_key("张家口阳光协会")
    assert sort_key("曾氏儿童之家", "zeng shi") > sort_key("银行街社区中心")


def _shown_order(window: MainWindow) -> list[str]:
    view = window.workspace.organisations
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    proxy = view.proxy
    return [proxy.index(row, 0).data() for row in range(proxy.rowCount())]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_registry_is_in_pinyin_order(unlocked: MainWindow, ctx: Any, language: str) -> None:
    ctx.language.set_language(language)
    ws_names = [n for n in NAMES if n != "AIDS Care China"]

    def add(ws: Any) -> None:
        for name in ws_names:
            records.add_organisation(ws, name_zh=name)

    ctx.tasks.run(add, lambda _r: None)
    ctx.data.changed.emit("organisation")
    assert _shown_order(unlocked) == ["阿坝红丝带", "北京爱知行", "曾氏儿童之家", "重庆同心中心",
                                      "银行街社区中心", "张家口阳光协会"]


def test_sort_as_typed_in_the_dialog_moves_the_name(unlocked: MainWindow, ctx: Any,
                                                    qtbot: Any) -> None:
    view = unlocked.workspace.organisations
    view.new_organisation()
    dialog = view.dialog
    assert dialog is not None
    type_text(qtbot, dialog.fields["name_zh"], "曾氏儿童之家")
    type_text(qtbot, dialog.fields["sort_key"], "zeng shi")
    dialog.save()

    def add(ws: Any) -> None:
        for name in ("张家口阳光协会", "银行街社区中心"):
            records.add_organisation(ws, name_zh=name)

    ctx.tasks.run(add, lambda _r: None)
    ctx.data.changed.emit("organisation")
    assert _shown_order(unlocked) == ["银行街社区中心", "曾氏儿童之家", "张家口阳光协会"]
