"""The keyboard: Alt-key mnemonics never collide in a menu bar or a menu, in either language
(Alt+L opens the Language menu in both), and Ctrl+1…9 go to the tabs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from fieldapp import i18n
from fieldapp.ui.main_window import MainWindow

MNEMONIC = re.compile(r"&([^&\s])")


def mnemonic(text: str) -> str | None:
    found = MNEMONIC.findall(text.replace("&&", ""))
    return found[0].lower() if found else None


def collisions(texts: list[str]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for text in texts:
        key = mnemonic(text)
        if key:
            seen.setdefault(key, []).append(text)
    return {k: v for k, v in seen.items() if len(v) > 1}


def _menus(menu: QMenu) -> list[QMenu]:
    found = [menu]
    for action in menu.actions():
        if action.menu() is not None:
            found += _menus(action.menu())
    return found


def test_mnemonic_helper_reads_what_qt_reads() -> None:
    assert mnemonic("语言(&L)") == "l" and mnemonic("Save && &quit") == "q"
    assert collisions(["&Open", "&Other", "&Save"]) == {"o": ["&Open", "&Other"]}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_no_two_items_share_an_alt_key(unlocked: MainWindow, lang: str) -> None:
    i18n.set_language(lang)
    bar = unlocked.menuBar()
    top = [a.text() for a in bar.actions()]
    assert collisions(top) == {}
    assert {mnemonic(t) for t in top} >= {"w", "r", "t", "l", "h"}
    language = [a for a in bar.actions() if mnemonic(a.text()) == "l"]
    assert language and language[0].menu() is unlocked.menu_language
    for action in bar.actions():
        for menu in _menus(action.menu()):
            texts = [a.text() for a in menu.actions() if not a.isSeparator()]
            assert collisions(texts) == {}, (menu.title(), texts)


def test_every_menu_item_has_an_alt_key_in_chinese_when_it_has_one_in_english(
        unlocked: MainWindow) -> None:
    def items() -> list[str]:
        out = []
        for action in unlocked.menuBar().actions():
            for menu in _menus(action.menu()):
                out += [a.text() for a in menu.actions() if not a.isSeparator()]
        return out

    english = items()
    i18n.set_language("zh_CN")
    chinese = items()
    lost = [(e, c) for e, c in zip(english, chinese, strict=True)
            if mnemonic(e) and mnemonic(c) != mnemonic(e)]
    assert lost == []


def test_ctrl_and_a_digit_goes_to_that_tab(qtbot: Any, unlocked: MainWindow) -> None:
    tabs = unlocked.workspace.tabs
    for n in range(1, min(tabs.count(), 9) + 1):
        qtbot.keyClick(tabs.currentWidget(), Qt.Key(Qt.Key.Key_0.value + n),
                       Qt.KeyboardModifier.ControlModifier)
        assert tabs.currentIndex() == n - 1
    assert tabs.tabToolTip(1) == "Ctrl+2"
