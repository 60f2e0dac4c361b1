"""Run by test_start.py in a separate process: the real ``fieldapp gui`` start (``app.main``, the
real database thread), driven as a researcher would, printing one line per thing it saw.

1. the unlock dialog is the only window, and the main window's module is not even imported
   (nor PySide6's costly ``Qt`` namespace built);
2. a wrong passphrase is refused in the dialog, still with no main window;
3. the right one opens the workspace in the main window;
4. Ctrl+L locks it: the unlock dialog comes back over the same window;
5. unlocking again shows the same window, then SIGTERM closes the app.

usage: python -m tests.ui.start_child WORKSPACE   (passphrase in ``FIELDAPP_PASSPHRASE``)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

from PySide6 import QtCore
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMainWindow

from fieldapp.ui import app as gui
from fieldapp.ui.dialogs.unlock import UnlockDialog
from tests.kdf import allow_weak_kdf

allow_weak_kdf()  # the workspace was made with the test suite's Argon2id, in this process only

Wait = Callable[[], bool]


def say(*words: object) -> None:
    print(*words, flush=True)


def unlock_dialog() -> UnlockDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, UnlockDialog) and widget.isVisible():
            return widget
    return None


def main_windows() -> list[QMainWindow]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)]


def script(passphrase: str) -> Iterator[Wait]:
    yield lambda: unlock_dialog() is not None
    dialog = unlock_dialog()
    assert dialog is not None
    say("first dialog parent", dialog.parentWidget())
    say("main windows", len(main_windows()))
    say("main window module loaded", "fieldapp.ui.main_window" in sys.modules)
    say("workspace views loaded", "fieldapp.ui.views.workspace_view" in sys.modules)
    # PySide6 builds its Qt namespace (every Qt.* enum, a tenth of a second) when it is first
    # named; nothing before the dialog should have named it
    say("Qt namespace built", "Qt" in vars(QtCore))
    QTest.keyClicks(dialog.passphrase, "not the passphrase")
    dialog.unlock_button.click()
    yield lambda: not dialog.working
    say("wrong passphrase", dialog.problem.text())
    say("visible main windows", sum(w.isVisible() for w in main_windows()))
    dialog.passphrase.clear()
    QTest.keyClicks(dialog.passphrase, passphrase)
    dialog.unlock_button.click()
    from PySide6.QtCore import Qt

    from fieldapp.ui.main_window import MainWindow
    from fieldapp.ui.session import State

    def shown() -> MainWindow | None:
        for w in main_windows():
            if isinstance(w, MainWindow) and w.isVisible() and w.session.state is State.UNLOCKED:
                return w
        return None

    def active() -> bool:
        # Ctrl+L is a window shortcut: it works once the window has the keyboard, which
        # the window system gives it a moment after it is shown (asked for again meanwhile).
        w = shown()
        if w is None:
            return False
        if not w.isActiveWindow():
            w.activateWindow()
        return w.isActiveWindow()

    yield active
    window = shown()
    assert window is not None
    say("unlocked", window.windowTitle(), window.stack.currentWidget() is window.workspace)
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    yield lambda: unlock_dialog() is not None
    again = unlock_dialog()
    assert again is not None
    say("locked", window.session.state.value, window.isVisible(),
        window.stack.currentWidget() is window.locked)
    say("dialog over the window", again.parentWidget() is window)
    QTest.keyClicks(again.passphrase, passphrase)
    again.unlock_button.click()
    yield lambda: window.session.state is State.UNLOCKED
    say("unlocked again", main_windows() == [window])
    os.kill(os.getpid(), signal.SIGTERM)


def main(path: Path) -> int:
    application = gui.ensure_app()
    steps = script(os.environ["FIELDAPP_PASSPHRASE"])
    waiting: list[Wait] = [next(steps)]
    deadline = time.monotonic() + 60

    def poll() -> None:
        if time.monotonic() > deadline:
            say("timed out")
            os._exit(3)
        if waiting and waiting[0]():
            try:
                waiting[0] = next(steps)
            except StopIteration:
                waiting.clear()

    timer = QTimer(application)
    timer.timeout.connect(poll)
    timer.start(20)
    code = gui.main([str(path), "--language", "en"])
    say("exit", code)
    return code


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
