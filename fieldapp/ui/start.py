"""The start sequence of the desktop app: the unlock dialog first, the main window after.

When a workspace is there to unlock, the first thing on screen is its unlock dialog, shown on
its own: neither the main window nor its modules (the menus, the pages, the workspace views and
what they import) exist yet. The window is built when the researcher presses Unlock, while the
worker derives the key (the dialog's fields are disabled then: nothing the researcher could do
waits for it), and it is shown once the workspace is open. A dialog that is cancelled shows the
window with its locked page, as a later lock does.

With no workspace to unlock (a first run), the window is built at once: its welcome page is the
first screen.

The look (fonts and the style sheet, fieldapp/ui/theme.py) is applied to the application before
either screen, so the dialog shown alone looks as it will over the window.

From then on the window owns the session: Ctrl+L and the idle lock show the unlock dialog over
it, and every other dialog is its child.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from fieldapp.ui import theme
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.session import SessionController, State

if TYPE_CHECKING:
    from fieldapp.ui.main_window import MainWindow


class Startup(QObject):
    """Shows the first screen and builds the main window when it is needed."""

    def __init__(self, ctx: AppContext, app: QApplication) -> None:
        super().__init__()
        self.ctx = ctx
        self.app = app
        # The look (fonts, style sheet, following the palette) is the application's: set now,
        # it is the unlock dialog's as it will be the window's (fieldapp/ui/theme.py; light,
        # it loads neither QtSvg nor the window).
        theme.apply(app)
        self.window: MainWindow | None = None
        self.session = SessionController(ctx)
        self.session.unlock_started.connect(self._prepare)
        self.session.state_changed.connect(self._state_changed)
        self._quit_on_close = app.quitOnLastWindowClosed()
        self._quitting = False
        app.aboutToQuit.connect(self._about_to_quit)

    def start(self, path: Path | None = None) -> None:
        """The unlock dialog of ``path`` (or of the last or default workspace), on its own;
        else the window with its welcome page."""
        # The dialog is the only window: closing it when the workspace opens must not quit.
        self.app.setQuitOnLastWindowClosed(False)
        self.session.start(path)
        dialog = self.session.dialog
        if isinstance(dialog, UnlockDialog):
            dialog.rejected.connect(self._cancelled)
        else:
            self.show_window()

    def build_window(self) -> MainWindow:
        """The main window (hidden), built once, taking over the session."""
        if self.window is None:
            from fieldapp.ui.main_window import MainWindow

            self.window = MainWindow(self.ctx, session=self.session)
        return self.window

    def show_window(self) -> None:
        window = self.build_window()
        if not window.isVisible():
            window.show()
            # the dialog that had the keyboard is gone: shortcuts (Ctrl+L) go to the window
            window.activateWindow()
        self.app.setQuitOnLastWindowClosed(self._quit_on_close)

    def close(self) -> None:
        """Quit as the window's close does (what was typed is saved first); before the
        window is on screen nothing is open, and the app just quits."""
        if self.window is not None and self.window.isVisible():
            self.window.close()
        else:
            self.quit()

    def quit(self) -> None:
        self._quitting = True
        self.app.quit()

    def _cancelled(self) -> None:
        # Quitting closes (rejects) the dialog too: the window is shown only if the event
        # loop is still running after this turn, that is when the researcher cancelled.
        if not self._quitting:
            QTimer.singleShot(0, self._show_unless_quitting)

    def _show_unless_quitting(self) -> None:
        if not self._quitting:
            self.show_window()

    def _about_to_quit(self) -> None:
        self._quitting = True

    def _prepare(self) -> None:
        # The key is being derived on the worker: build the window and its workspace views
        # meanwhile, so they are ready when it opens.
        if self.window is None:
            self.build_window().workspace  # noqa: B018  (built on first use)

    def _state_changed(self, state: State) -> None:
        if state is State.UNLOCKED:
            self.show_window()
