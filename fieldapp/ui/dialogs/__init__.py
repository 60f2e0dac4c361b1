"""Dialogs. Each is opened non-blocking (``open()``) and reports through signals."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton


def button_box(ok: QDialogButtonBox.StandardButton | None = None) -> tuple[QDialogButtonBox,
                                                                             QPushButton]:
    """OK (a standard button, or a custom one to be named in retranslate_ui) and Cancel, with
    Return pressing OK and never Cancel."""
    box = QDialogButtonBox()
    if ok is None:
        ok_button = box.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
    else:
        ok_button = box.addButton(ok)
    cancel = box.addButton(QDialogButtonBox.StandardButton.Cancel)
    cancel.setAutoDefault(False)
    ok_button.setAutoDefault(True)
    ok_button.setDefault(True)
    return box, ok_button


def show_dialog(dialog: QDialog) -> None:
    """Open ``dialog`` window-modal without blocking; it is deleted when it closes.

    (Deleted on ``finished`` rather than with the ``WA_DeleteOnClose`` attribute: naming any
    of Qt's ``Qt.*`` enums builds that whole namespace, about a tenth of a second, and the
    unlock dialog, shown first at start-up, needs nothing else from it.)"""
    dialog.finished.connect(dialog.deleteLater)
    dialog.setModal(True)
    dialog.open()


def close_dialog(dialog: QDialog | None) -> None:
    """Close ``dialog`` if it is still there (on lock: nothing may stay on screen)."""
    if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
        dialog.reject()
        dialog.close()


def alive(dialog: QDialog | None) -> bool:
    return dialog is not None and shiboken6.isValid(dialog)
