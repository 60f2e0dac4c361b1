"""Show the recovery key once; do not go on until the researcher says it is saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.ui import fonts
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text


class RecoveryKeyDialog(QDialog):
    def __init__(self, ctx: AppContext, recovery_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(480)
        self.ctx = ctx
        self._key = recovery_key
        self.setObjectName("recovery_key_dialog")
        self.setModal(True)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.key = QLineEdit(recovery_key)
        self.key.setReadOnly(True)
        self.key.setFont(fonts.monospace_font())
        self.key.setObjectName("recovery_key")
        self.copy = QPushButton()
        self.copy.setObjectName("copy")
        self.save = QPushButton()
        self.save.setObjectName("save")
        for b in (self.copy, self.save):
            b.setAutoDefault(False)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setObjectName("warning")
        self.status = QLabel()
        self.confirmed = QCheckBox()
        self.confirmed.setObjectName("confirmed")
        self.buttons = QDialogButtonBox()
        self.go_on = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go_on.setObjectName("continue")
        self.go_on.setEnabled(False)

        row = QHBoxLayout()
        row.addWidget(self.copy)
        row.addWidget(self.save)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.key)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.warning)
        layout.addWidget(self.confirmed)
        layout.addWidget(self.buttons)

        self.copy.clicked.connect(self._copy)
        self.save.clicked.connect(self._save)
        self.confirmed.toggled.connect(self.go_on.setEnabled)
        self.buttons.accepted.connect(self._accept_if_confirmed)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Your recovery key"))
        self.intro.setText(_("If you forget your passphrase, this recovery key is the only way "
                             "back into the workspace. It is shown only now."))
        self.key.setAccessibleName(_("Recovery key"))
        self.copy.setText(_("&Copy"))
        self.copy.setToolTip(_("Copies the key; the clipboard is cleared after a minute."))
        self.save.setText(_("&Save to file…"))
        self.warning.setText(_("Write it down or print it, and keep it apart from this laptop: "
                               "not in the workspace folder, not on this laptop's disk, not in a "
                               "cloud drive, chat or e-mail. Anyone who has it and the laptop can "
                               "read your data."))
        self.confirmed.setText(_("I have saved the recovery key somewhere safe"))
        self.go_on.setText(_("Continue"))

    def _copy(self) -> None:
        self.ctx.clipboard.copy(self._key)
        self.status.setText(_("Copied. The clipboard will be cleared in a minute."))

    def _save(self) -> None:
        target = self.ctx.interaction.save_file(
            self, _("Save the recovery key"), "fieldapp-recovery-key.txt",
            _("Text files (*.txt)"))
        if target is None:
            return
        try:
            target.write_text(_("fieldapp recovery key") + "\n\n" + self._key + "\n",
                              encoding="utf-8")
        except OSError as exc:
            self.ctx.interaction.error(self, exc)
            self.status.setText(error_text(exc))
            return
        self.status.setText(_("Saved to {path}. Move it off this laptop.").format(path=target))

    def _accept_if_confirmed(self) -> None:
        if self.confirmed.isChecked():
            self._key = ""
            self.key.clear()
            self.accept()

    def reject(self) -> None:
        # Escape and the close button must not skip the confirmation.
        if self.confirmed.isChecked():
            self._accept_if_confirmed()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirmed.isChecked():
            event.ignore()
            return
        super().closeEvent(event)
