"""The app shell: first launch, create, recovery key, unlock, lock (manual and idle)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from fieldapp.services import session
from fieldapp.ui.clipboard import SECRET_HINT
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs.create_workspace import CreateWorkspaceDialog
from fieldapp.ui.dialogs.recovery_key import RecoveryKeyDialog
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.session import State
from tests.ui.conftest import PASSPHRASE, ScriptedInteraction


def create_through_dialogs(qtbot: Any, window: MainWindow, path: Path) -> str:
    qtbot.mouseClick(window.welcome.create_button, Qt.MouseButton.LeftButton)
    dialog = window.session.dialog
    assert isinstance(dialog, CreateWorkspaceDialog)
    dialog.folder.setText(str(path))
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    assert not dialog.create_button.isEnabled()
    qtbot.keyClicks(dialog.repeat, PASSPHRASE)
    assert dialog.create_button.isEnabled()
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    recovery = window.session.dialog
    assert isinstance(recovery, RecoveryKeyDialog)
    key = recovery.key.text()
    assert len(key) > 20
    # It does not go on until the researcher confirms the key is saved.
    assert not recovery.go_on.isEnabled()
    recovery.reject()
    assert recovery.isVisible()
    assert window.session.state is not State.UNLOCKED
    recovery.confirmed.setChecked(True)
    qtbot.mouseClick(recovery.go_on, Qt.MouseButton.LeftButton)
    assert window.session.state is State.UNLOCKED
    return key


def test_first_launch_shows_welcome(window: MainWindow) -> None:
    window.session.start()
    assert window.stack.currentWidget() is window.welcome
    assert window.welcome.demo_button.isVisible()


def test_create_shows_recovery_key_then_the_workspace(qtbot: Any, window: MainWindow,
                                                      workspace_path: Path) -> None:
    window.session.start()
    create_through_dialogs(qtbot, window, workspace_path)
    assert window.stack.currentWidget() is window.workspace
    assert session.is_workspace(workspace_path)


def test_passphrase_mismatch_and_strength_hint(qtbot: Any, window: MainWindow) -> None:
    window.session.request_create()
    dialog = window.session.dialog
    assert isinstance(dialog, CreateWorkspaceDialog)
    qtbot.keyClicks(dialog.passphrase, "short")
    assert "Too short" in dialog.hint.text()
    dialog.passphrase.setText(PASSPHRASE)
    qtbot.keyClicks(dialog.repeat, "something else entirely")
    assert "differ" in dialog.problem.text()
    assert not dialog.create_button.isEnabled()


def test_recovery_key_copy_is_marked_secret_and_cleared(qtbot: Any, ctx: AppContext) -> None:
    dialog = RecoveryKeyDialog(ctx, "ABCD-EFGH-IJKL")
    qtbot.addWidget(dialog)
    ctx.clipboard.clear_after_ms = 50
    dialog.copy.click()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text() == "ABCD-EFGH-IJKL"
    assert bytes(mime.data(SECRET_HINT).data()) == b"secret"
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == "", timeout=2000)


def test_recovery_key_saved_to_chosen_file(qtbot: Any, ctx: AppContext,
                                           interaction: ScriptedInteraction, tmp_path: Path
                                           ) -> None:
    dialog = RecoveryKeyDialog(ctx, "ABCD-EFGH-IJKL")
    qtbot.addWidget(dialog)
    interaction.files.append(tmp_path / "key.txt")
    dialog.save.click()
    assert "ABCD-EFGH-IJKL" in (tmp_path / "key.txt").read_text(encoding="utf-8")


def test_wrong_passphrase_says_so_then_unlocks(qtbot: Any, ctx: AppContext, window: MainWindow,
                                               workspace_path: Path) -> None:
    ws, _key = session.create_workspace(workspace_path, PASSPHRASE)
    ws.close()
    window.session.start()
    dialog = window.session.dialog
    assert isinstance(dialog, UnlockDialog)
    assert window.stack.currentWidget() is window.locked
    qtbot.keyClicks(dialog.passphrase, "not the passphrase")
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    assert "not correct" in dialog.problem.text()
    assert window.session.state is State.LOCKED
    dialog.passphrase.setText(PASSPHRASE)
    dialog.unlock_button.click()
    assert window.session.state is State.UNLOCKED


def test_unlock_with_recovery_key_sets_new_passphrase(qtbot: Any, window: MainWindow,
                                                      workspace_path: Path) -> None:
    ws, key = session.create_workspace(workspace_path, PASSPHRASE)
    ws.close()
    window.session.start()
    dialog = window.session.dialog
    assert isinstance(dialog, UnlockDialog)
    dialog.switch.click()
    qtbot.keyClicks(dialog.recovery, key.lower())
    qtbot.keyClicks(dialog.new_passphrase, "a brand new passphrase")
    dialog.unlock_button.click()
    assert window.session.state is State.UNLOCKED
    window.session.lock()
    window.session.request_unlock()
    dialog = window.session.dialog
    assert isinstance(dialog, UnlockDialog)
    dialog.passphrase.setText("a brand new passphrase")
    dialog.try_unlock()
    assert window.session.state is State.UNLOCKED


def test_ctrl_l_locks_and_clears(qtbot: Any, unlocked: MainWindow) -> None:
    unlocked.workspace.interviews.new_interview()
    assert unlocked.workspace.interviews.model.rowCount() == 1
    qtbot.keyClick(unlocked, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert unlocked.session.state is State.LOCKED
    assert unlocked.stack.currentWidget() is unlocked.locked
    assert unlocked.workspace.interviews.model.rowCount() == 0
    assert not unlocked.ctx.tasks.has_workspace_hint()


def test_idle_lock(qtbot: Any, unlocked: MainWindow) -> None:
    unlocked.session.idle.set_interval_ms(100)
    qtbot.waitUntil(lambda: unlocked.session.state is State.LOCKED, timeout=3000)
    assert isinstance(unlocked.session.dialog, UnlockDialog)


def test_second_window_of_same_workspace_is_refused(qtbot: Any, unlocked: MainWindow,
                                                    workspace_path: Path) -> None:
    dialog = UnlockDialog(unlocked.ctx, workspace_path)
    qtbot.addWidget(dialog)
    # A second app instance would have its own worker; opening directly shows the refusal.
    try:
        session.open_workspace(workspace_path, PASSPHRASE)
    except Exception as exc:
        dialog._failed(exc)
    assert "already open" in dialog.problem.text()
