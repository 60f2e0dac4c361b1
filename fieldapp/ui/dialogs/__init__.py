"""Dialogs. Each is opened non-blocking (``open()``) and reports through signals."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QPushButton


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
