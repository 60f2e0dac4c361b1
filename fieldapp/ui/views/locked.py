"""What the window shows while the workspace is locked: nothing of the data."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp.i18n import _
from fieldapp.ui.context import AppContext


class LockedPage(QWidget):
    unlock_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("locked_page")
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.unlock = QPushButton()
        self.unlock.setObjectName("unlock")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.unlock, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self.unlock.clicked.connect(self.unlock_requested)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.message.setText(_("The workspace is locked. Its key has been dropped from memory."))
        self.unlock.setText(_("Unlock…"))
        self.unlock.setAccessibleName(_("Unlock the workspace"))
