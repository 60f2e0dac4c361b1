"""The look is the application's, from the first screen on, and follows the system palette
while the app runs (fieldapp/ui/theme.py, fieldapp/ui/style.py):

* the unlock dialog that the start sequence shows alone, before the main window exists, has the
  app's fonts and style sheet (it used to be drawn in bare Qt, the window in fieldapp's look);
* switching the application palette from light to dark in a running window redraws the tab,
  menu and button icons in the dark scheme's text colour and re-applies the style sheet with
  the dark palette's colours (the icons used to keep the colour of the palette they were made
  under, and the sheet the colours Qt resolved first).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QFontDatabase, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from fieldapp.services import session
from fieldapp.ui import fonts, style
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.start import Startup
from tests.ui.conftest import PASSPHRASE

LIGHT = {"WindowText": "#141414", "Text": "#141414", "Window": "#fafafa", "Base": "#ffffff",
         "Button": "#efefef", "ButtonText": "#141414"}
DARK = {"WindowText": "#ececec", "Text": "#ececec", "Window": "#202124", "Base": "#2b2b2d",
        "Button": "#35363a", "ButtonText": "#ececec"}


def scheme(base: QPalette, colours: dict[str, str]) -> QPalette:
    palette = QPalette(base)
    for role, colour in colours.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    return palette


def ink(icon: QIcon, mode: QIcon.Mode = QIcon.Mode.Normal) -> QColor:
    """The average colour of the drawn (opaque) pixels of ``icon`` rendered at 32 px."""
    image = icon.pixmap(QSize(32, 32), mode).toImage()
    r = g = b = n = 0
    for x in range(image.width()):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            if c.alpha() > 200:
                r, g, b, n = r + c.red(), g + c.green(), b + c.blue(), n + 1
    assert n > 20, "the icon draws almost nothing"
    return QColor(r // n, g // n, b // n)


@pytest.fixture
def saved_look(qapp: QApplication) -> Iterator[None]:
    palette, sheet, font = qapp.palette(), qapp.styleSheet(), qapp.font()
    yield
    qapp.setPalette(palette)
    QApplication.processEvents()
    qapp.setStyleSheet(sheet)
    qapp.setFont(font)


def test_unlock_dialog_shown_first_has_the_apps_look(qtbot: Any, qapp: QApplication,
                                                     ctx: AppContext, workspace_path: Path,
                                                     saved_look: None) -> None:
    session.create_workspace(workspace_path, PASSPHRASE)[0].close()
    # As in a fresh process: Qt's own look, before fieldapp has set anything.
    qapp.setStyleSheet("")
    qapp.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
    startup = Startup(ctx, qapp)
    try:
        startup.start(workspace_path)
        dialog = startup.session.dialog
        assert isinstance(dialog, UnlockDialog) and dialog.isVisible()
        assert startup.window is None  # shown alone, before the window is built
        qtbot.waitExposed(dialog)
        # the app's style sheet, for the current palette, is the one in force...
        assert qapp.styleSheet() == style.style_sheet(qapp.palette())
        assert qapp.styleSheet().strip()
        button = dialog.switch
        assert button.style().metaObject().className() == "QStyleSheetStyle"
        # ...and it is drawn: the buttons have the sheet's padding, not bare Qt's
        styled = button.sizeHint()
        qapp.setStyleSheet("")
        bare = button.sizeHint()
        assert styled != bare, (styled, bare)
        qapp.setStyleSheet(style.style_sheet(qapp.palette()))
        # the window's fonts too: the Simplified Chinese family follows the interface family
        cjk = fonts.chinese_family()
        if cjk is not None:
            assert cjk in dialog.passphrase.font().families()
            assert cjk in dialog.where.font().families()
        # cancelled, it gives way to the (locked) window, in the same look
        dialog.reject()
        qtbot.waitUntil(lambda: startup.window is not None and startup.window.isVisible())
        assert qapp.styleSheet() == style.style_sheet(qapp.palette())
    finally:
        if startup.window is not None:
            startup.window.close()


def test_icons_and_style_sheet_follow_a_switch_to_dark(qtbot: Any, qapp: QApplication,
                                                       unlocked: MainWindow,
                                                       saved_look: None) -> None:
    tabs = unlocked.workspace.tabs
    interviews = unlocked.workspace.interviews

    def icons() -> list[tuple[str, QIcon]]:
        found = [(tabs.tabText(i), tabs.tabIcon(i)) for i in range(tabs.count())]
        found += [(a.objectName(), a.icon()) for a in (
            unlocked.act_new_interview, unlocked.act_lock, unlocked.act_export,
            unlocked.act_find)]
        found += [("new interview button", interviews.new_button.icon()),
                  ("delete interview button", interviews.delete_button.icon())]
        return found

    interviews.new_interview()  # a note editor, set for reading on the palette's page colour
    qtbot.waitUntil(lambda: interviews.editor.interview_id is not None)
    note = interviews.editor.current_note().edit

    def page() -> str:
        """The note's page colour as drawn (a corner of the empty editor)."""
        QApplication.processEvents()
        image = note.viewport().grab().toImage()
        return str(image.pixelColor(image.width() - 4, image.height() - 4).name())

    base = qapp.palette()
    light = scheme(base, LIGHT)
    qapp.setPalette(light)
    qtbot.waitUntil(lambda: qapp.styleSheet() == style.style_sheet(qapp.palette()))
    light_sheet = qapp.styleSheet()
    assert LIGHT["Base"] in light_sheet
    assert page() == LIGHT["Base"]
    for what, icon in icons():
        assert abs(ink(icon).lightness() - QColor(LIGHT["WindowText"]).lightness()) < 40, what

    # the system switches to its dark scheme while the window is open
    qapp.setPalette(scheme(base, DARK))
    QApplication.processEvents()
    qtbot.waitUntil(lambda: qapp.styleSheet() != light_sheet)
    assert qapp.styleSheet() == style.style_sheet(qapp.palette())
    assert DARK["Base"] in qapp.styleSheet() and LIGHT["Base"] not in qapp.styleSheet()
    assert page() == DARK["Base"]  # Qt alone kept the sheet's first page colour
    dark_text = QColor(DARK["WindowText"]).lightness()
    for what, icon in icons():  # the very icons set when the window was built
        assert abs(ink(icon).lightness() - dark_text) < 40, (what, ink(icon).name())
    # a disabled icon is drawn in the dark palette's disabled text colour
    disabled = qapp.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    assert abs(ink(tabs.tabIcon(0), QIcon.Mode.Disabled).lightness()
               - disabled.lightness()) < 40

    # and back to light
    dark_sheet = qapp.styleSheet()
    qapp.setPalette(light)
    qtbot.waitUntil(lambda: qapp.styleSheet() != dark_sheet)
    assert qapp.styleSheet() == light_sheet
    assert abs(ink(tabs.tabIcon(0)).lightness()
               - QColor(LIGHT["WindowText"]).lightness()) < 40
    assert page() == LIGHT["Base"]


def test_a_changed_copy_of_an_icon_keeps_drawing(qapp: QApplication) -> None:
    """Changing a copy of an icon makes Qt clone its engine (written in Python): the clone
    must live as long as the copy, and the original stay as it was."""
    original = style.icon("add")
    copy = QIcon(original)
    copy.addPixmap(QPixmap(8, 8))  # detaches: the engine is cloned
    del original
    gc.collect()
    text = QColor(qapp.palette().color(QPalette.ColorRole.WindowText)).lightness()
    assert abs(ink(copy).lightness() - text) < 40
    assert abs(ink(style.icon("add")).lightness() - text) < 40
