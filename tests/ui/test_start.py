"""The start sequence (fieldapp/ui/start.py): the unlock dialog is shown before the main window
exists; the window is built when the researcher unlocks (or cancels), and from then on owns
the session as before. What the first screen imports is checked in tests/unit/test_startup.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from fieldapp.services import session
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.session import State
from fieldapp.ui.start import Startup
from tests.ui.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


def visible_main_windows() -> list[MainWindow]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and w.isVisible()]


def make_startup(qapp: QApplication, ctx: AppContext) -> Startup:
    startup = Startup(ctx, qapp)
    return startup


def test_dialog_alone_then_window_after_unlock(qtbot: Any, qapp: QApplication,
                                               ctx: AppContext, workspace_path: Path) -> None:
    session.create_workspace(workspace_path, PASSPHRASE)[0].close()
    before = set(visible_main_windows())
    startup = make_startup(qapp, ctx)
    try:
        startup.start(workspace_path)
        dialog = startup.session.dialog
        assert isinstance(dialog, UnlockDialog) and dialog.isVisible()
        assert dialog.parentWidget() is None
        assert startup.window is None
        assert set(visible_main_windows()) == before
        assert not qapp.quitOnLastWindowClosed()  # closing the dialog must not end the app
        dialog.passphrase.setText(PASSPHRASE)
        dialog.unlock_button.click()
        qtbot.waitUntil(lambda: startup.session.state is State.UNLOCKED, timeout=5000)
        window = startup.window
        assert window is not None and window.isVisible()
        assert window.session is startup.session
        assert window.stack.currentWidget() is window.workspace
        assert window.windowTitle() == f"{workspace_path.name} — fieldapp"
        assert qapp.quitOnLastWindowClosed()
        # Ctrl+L: the dialog comes back over the same window, and unlocks it again
        # the window takes the keyboard from the dialog that had it
        qtbot.waitUntil(lambda: qapp.activeWindow() is window, timeout=5000)
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        again = startup.session.dialog
        assert isinstance(again, UnlockDialog) and again.isVisible()
        assert again.parentWidget() is window
        assert window.stack.currentWidget() is window.locked
        again.passphrase.setText(PASSPHRASE)
        again.unlock_button.click()
        qtbot.waitUntil(lambda: startup.session.state is State.UNLOCKED, timeout=5000)
        assert startup.window is window
    finally:
        if startup.window is not None:
            startup.window.close()


def test_cancel_shows_the_locked_window(qtbot: Any, qapp: QApplication, ctx: AppContext,
                                        workspace_path: Path) -> None:
    session.create_workspace(workspace_path, PASSPHRASE)[0].close()
    startup = make_startup(qapp, ctx)
    try:
        startup.start(workspace_path)
        dialog = startup.session.dialog
        assert isinstance(dialog, UnlockDialog)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
        qtbot.waitUntil(lambda: startup.window is not None and startup.window.isVisible(),
                        timeout=5000)
        window = startup.window
        assert window is not None
        assert startup.session.state is State.LOCKED
        assert window.stack.currentWidget() is window.locked
        assert window.windowTitle() == "Locked — fieldapp"
        assert qapp.quitOnLastWindowClosed()
        # the locked page's button brings the dialog back, now over the window
        window.locked.unlock.click()
        dialog = startup.session.dialog
        assert isinstance(dialog, UnlockDialog) and dialog.parentWidget() is window
        dialog.passphrase.setText(PASSPHRASE)
        dialog.unlock_button.click()
        qtbot.waitUntil(lambda: startup.session.state is State.UNLOCKED, timeout=5000)
        assert window.stack.currentWidget() is window.workspace
    finally:
        if startup.window is not None:
            startup.window.close()


def test_first_run_shows_the_welcome_window(qtbot: Any, qapp: QApplication,
                                            ctx: AppContext) -> None:
    startup = make_startup(qapp, ctx)
    try:
        startup.start()
        window = startup.window
        assert window is not None and window.isVisible()
        assert startup.session.state is State.NONE
        assert window.stack.currentWidget() is window.welcome
        assert startup.session.dialog is None
    finally:
        if startup.window is not None:
            startup.window.close()


def test_real_start_unlock_lock_and_sigterm(tmp_path: Path, workspace_path: Path) -> None:
    """``fieldapp gui`` in a child process with the real database thread, driven through its
    dialogs (tests/ui/start_child.py)."""
    session.create_workspace(workspace_path, PASSPHRASE)[0].close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FIELDAPP_PASSPHRASE": PASSPHRASE,
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "tests.ui.start_child", str(workspace_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, (proc.stdout, proc.stderr[-3000:])
    assert lines[:5] == ["first dialog parent None", "main windows 0",
                         "main window module loaded False", "workspace views loaded False",
                         "Qt namespace built False"]
    assert lines[5].startswith("wrong passphrase ") and "passphrase" in lines[5].lower()
    assert lines[6:] == [
        "visible main windows 0",
        f"unlocked {workspace_path.name} — fieldapp True",
        "locked locked True True",
        "dialog over the window True",
        "unlocked again True",
        "exit 0",
    ], proc.stderr[-3000:]
