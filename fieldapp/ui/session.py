"""Which workspace is open, and the transitions: create, open, unlock, lock, idle lock."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from fieldapp.i18n import _
from fieldapp.ui import heap, paths
from fieldapp.ui import settings as keys
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import alive, close_dialog, show_dialog
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.idle import IdleWatcher


class State(enum.Enum):
    NONE = "none"          # no workspace chosen: the welcome page
    LOCKED = "locked"      # a workspace is chosen but its key is not in memory
    UNLOCKED = "unlocked"


class SessionController(QObject):
    state_changed = Signal(object)
    #: emitted before the workspace closes (views remember where the researcher was); every
    #: editor's unsaved typing is then queued by the editor registry, ahead of the close
    about_to_lock = Signal()
    #: an unlock is under way on the worker
    unlock_started = Signal()

    def __init__(self, ctx: AppContext, window: QWidget | None = None) -> None:
        super().__init__(window)
        self.ctx = ctx
        #: the main window, parent of the dialogs; None at start-up until it is built (the
        #: first unlock dialog is shown on its own, see fieldapp/ui/start.py)
        self.window = window
        self.path: Path | None = None
        self.state = State.NONE
        self.dialog: QDialog | None = None
        self.idle = IdleWatcher(ctx.settings.get(keys.IDLE_LOCK_MINUTES), self)
        self.idle.idle.connect(self.lock)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.installEventFilter(self.idle)
            # Quitting without the window's close (the application menu on macOS, a quit
            # from elsewhere) and the desktop session ending save what was typed too.
            app.aboutToQuit.connect(self.shutdown)
            app.commitDataRequest.connect(self._commit_data)

    def attach(self, window: QWidget) -> None:
        """The main window, built after the first dialog: later dialogs are its children."""
        self.window = window
        self.setParent(window)

    # -- entry points --------------------------------------------------------------------

    def start(self, path: Path | None = None) -> None:
        """Choose what the window shows first."""
        candidates = [path] if path else []
        last = self.ctx.settings.get(keys.LAST_WORKSPACE)
        if last:
            candidates.append(Path(last))
        candidates.append(paths.default_workspace_path())
        for candidate in candidates:
            if candidate is not None and paths.is_workspace(candidate):
                self.path = candidate
                self._set_state(State.LOCKED)
                self.request_unlock()
                return
        self._set_state(State.NONE)

    def request_create(self) -> None:
        if self.state is State.UNLOCKED:
            self.lock()  # the new workspace replaces this one on the worker: save, drop the key
        from fieldapp.ui.dialogs.create_workspace import CreateWorkspaceDialog

        dialog = CreateWorkspaceDialog(self.ctx, self.window)
        dialog.created.connect(self._created)
        self._show(dialog)

    def request_open(self) -> None:
        folder = self.ctx.interaction.choose_folder(self.window, _("Open a workspace folder"))
        if folder is None:
            return
        if not paths.is_workspace(folder):
            self.ctx.interaction.warn(self.window, _("Open a workspace"),
                                      _("No fieldapp workspace was found at {path}.").format(
                                          path=folder))
            return
        if self.state is State.UNLOCKED:
            self.lock()
        self.path = folder
        self._set_state(State.LOCKED)
        self.request_unlock()

    def open_path(self, folder: Path) -> None:
        """Switch to the workspace at ``folder`` (locked until the passphrase is given)."""
        if self.state is State.UNLOCKED:
            self.lock()
        self.path = folder
        self._set_state(State.LOCKED)
        self.request_unlock()

    def request_unlock(self) -> None:
        if self.path is None or self.state is State.UNLOCKED:
            return
        if isinstance(self.dialog, UnlockDialog) and alive(self.dialog) and self.dialog.isVisible():
            self.dialog.raise_()
            return
        dialog = UnlockDialog(self.ctx, self.path, self.window)
        dialog.unlocked.connect(lambda _path: self._enter())
        dialog.started.connect(self.unlock_started)
        self._show(dialog)

    def lock(self) -> None:
        if self.state is not State.UNLOCKED:
            return
        self.idle.stop()
        self.about_to_lock.emit()
        # Queued before the close: the worker writes every editor's last words, then drops
        # the key. The views are cleared at once and hold no plain text after this call.
        self.ctx.editors.flush_all()
        self.ctx.tasks.close_workspace()
        self.ctx.clipboard.clear()
        self.ctx.data.cleared.emit()
        heap.release()
        self._set_state(State.LOCKED)
        self.request_unlock()

    def save_before_exit(self) -> BaseException | None:
        """Write every editor's unsaved typing now and wait until the worker has; returns
        why a save failed, if one did (the workspace stays open and the text on screen)."""
        if self.state is not State.UNLOCKED:
            return None
        saves = self.ctx.editors.flush_all()
        if saves:
            self.ctx.tasks.wait_idle(timeout=None)
        return next((task.error for task in saves if task.error is not None), None)

    def _commit_data(self, _manager: object) -> None:
        self.save_before_exit()  # the session manager may still cancel the logout

    def shutdown(self) -> None:
        if self.state is State.UNLOCKED:
            self.about_to_lock.emit()
            self.ctx.editors.flush_all()  # queued before the close in tasks.shutdown()
        self.idle.stop()
        self.ctx.tasks.shutdown()
        self.state = State.NONE

    # -- transitions ---------------------------------------------------------------------

    def _created(self, path: Path, recovery_key: str) -> None:
        self.path = path
        self._set_state(State.LOCKED)  # open on the worker, but nothing shown yet
        from fieldapp.ui.dialogs.recovery_key import RecoveryKeyDialog

        dialog = RecoveryKeyDialog(self.ctx, recovery_key, self.window)
        dialog.accepted.connect(self._enter)
        self._show(dialog)

    def enter_opened(self) -> None:
        """The worker has opened ``self.path`` (the demo): show it."""
        self._enter()

    def _enter(self) -> None:
        assert self.path is not None
        self.ctx.settings.set(keys.LAST_WORKSPACE, str(self.path))
        self._set_state(State.UNLOCKED)
        self.idle.set_minutes(self.ctx.settings.get(keys.IDLE_LOCK_MINUTES))
        self.idle.start()
        self.ctx.data.changed.emit("*")
        heap.settle(collect=False)

    def _set_state(self, state: State) -> None:
        self.state = state
        self.state_changed.emit(state)

    def _show(self, dialog: QDialog) -> None:
        if self.dialog is not dialog:
            close_dialog(self.dialog)
        self.dialog = dialog
        show_dialog(dialog)

    def settings_changed(self, **_kw: Any) -> None:
        self.idle.set_minutes(self.ctx.settings.get(keys.IDLE_LOCK_MINUTES))
        if self.state is State.UNLOCKED:
            self.idle.start()
