"""Every prompt the app shows goes through one seam, so tests can replace it.

Views call ``ctx.interaction.confirm(...)`` and friends, never ``QMessageBox`` or
``QFileDialog`` directly. The test suite swaps in a scripted double; an unexpected real modal
dialog fails the test instead of hanging it (tests/ui/conftest.py).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from fieldapp.errors import user_error
from fieldapp.i18n import _

# The message box and file dialog are imported when first shown: the unlock dialog, shown
# first at start-up, uses neither (each PySide6 class costs milliseconds to set up).
if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    """What to tell the user about ``exc``: the message of the user error it is (store, sync,
    survey, export, a full disk or read-only folder), or a plain fallback that names no data (an
    unexpected error's text may hold anything)."""
    known = user_error(exc)
    if known is not None:
        return known.message
    return _("Something went wrong ({kind}). Your saved work is safe; "
             "try again, and tell your coordinator if it keeps happening.").format(
        kind=type(exc).__name__)


class Interaction:
    """The real prompts: Qt message boxes and file dialogs."""

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(parent, title, text)

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(parent, title, text)

    def error(self, parent: QWidget | None, exc: BaseException) -> None:
        if user_error(exc) is None:
            # Where it happened, never the message: an exception's text can quote user data.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("unexpected error: %s\n%s", type(exc).__name__, frames)
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(parent, _("fieldapp"), error_text(exc))

    def confirm(self, parent: QWidget | None, title: str, text: str, *, ok: str,
                destructive: bool = False) -> bool:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
                          title, text, QMessageBox.StandardButton.NoButton, parent)
        yes = box.addButton(ok, QMessageBox.ButtonRole.DestructiveRole if destructive
                            else QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is yes

    def open_file(self, parent: QWidget | None, title: str, filters: str = "") -> Path | None:
        return self._choose(file_dialog(parent, title, "open", filters=filters))

    def save_file(self, parent: QWidget | None, title: str, suggested: str,
                  filters: str = "") -> Path | None:
        return self._choose(file_dialog(parent, title, "save", suggested, filters))

    def choose_folder(self, parent: QWidget | None, title: str) -> Path | None:
        return self._choose(file_dialog(parent, title, "folder"))

    def _choose(self, dialog: QFileDialog) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        chosen = dialog.selectedFiles() if dialog.exec() == QFileDialog.DialogCode.Accepted else []
        dialog.deleteLater()
        return Path(chosen[0]) if chosen and chosen[0] else None


def file_dialog(parent: QWidget | None, title: str, mode: str, suggested: str = "",
                filters: str = "") -> QFileDialog:
    """Qt's own file dialog, not the desktop's: it speaks the app's language (Qt's Chinese
    catalog is loaded with ours), and it keeps no history. A desktop's native chooser (GTK on
    Linux) follows the system language and records every file chosen in its "recently used"
    list, which would name exported files outside the workspace."""
    from PySide6.QtWidgets import QFileDialog

    dialog = QFileDialog(parent, title, suggested, filters)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    if mode == "open":
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    elif mode == "save":
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    else:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return dialog
