"""Unlock a workspace. The key is derived on the worker thread: the dialog stays responsive."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.store.errors import WrongPassphrase, WrongRecoveryKey
from fieldapp.ui import passphrase as pp
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text
from fieldapp.ui.tasks import ProgressRelay


class UnlockDialog(QDialog):
    """Emits :attr:`unlocked` (path) once the workspace is open on the worker."""

    unlocked = Signal(object)
    #: the key derivation has started on the worker (the window may prepare its views now)
    started = Signal()

    def __init__(self, ctx: AppContext, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(480)
        self.ctx = ctx
        self.path = path
        self.recovery_mode = False
        self.working = False
        self.setObjectName("unlock_dialog")
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.recovery = QLineEdit()
        self.recovery.setObjectName("recovery")
        self.new_passphrase = QLineEdit()
        self.new_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.labels = {n: QLabel() for n in ("passphrase", "recovery", "new")}
        self.form = QFormLayout()
        self.form.addRow(self.labels["passphrase"], self.passphrase)
        self.form.addRow(self.labels["recovery"], self.recovery)
        self.form.addRow(self.labels["new"], self.new_passphrase)
        self.labels["passphrase"].setBuddy(self.passphrase)
        self.labels["recovery"].setBuddy(self.recovery)
        self.labels["new"].setBuddy(self.new_passphrase)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.switch = QPushButton()
        self.switch.setFlat(True)
        self.switch.setAutoDefault(False)
        self.switch.setObjectName("use_recovery")
        self.buttons, self.unlock_button = button_box()
        self.unlock_button.setObjectName("unlock")
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(self.busy)
        layout.addWidget(self.switch)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.try_unlock)
        self.buttons.rejected.connect(self.reject)
        self.switch.clicked.connect(self._toggle_mode)
        # Long work the open does on the worker (an index built again after an update) is
        # named here instead of a bare "Unlocking…".
        self.relay = ProgressRelay(self)
        self.relay.message.connect(self._progress)
        ctx.language.changed.connect(self.retranslate_ui)
        self._show_mode()
        self.retranslate_ui()
        self.passphrase.setFocus()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Unlock the workspace"))
        self.where.setText(_("Workspace: {path}").format(path=self.path))
        for name, field, text in (("passphrase", self.passphrase, _("&Passphrase")),
                                  ("recovery", self.recovery, _("&Recovery key")),
                                  ("new", self.new_passphrase, _("&New passphrase"))):
            self.labels[name].setText(text)
            field.setAccessibleName(text.replace("&", ""))
        self.recovery.setPlaceholderText(_("XXXX-XXXX-…"))
        self.switch.setText(_("Use the passphrase instead") if self.recovery_mode
                            else _("Forgot the passphrase? Use the recovery key"))
        self.unlock_button.setText(_("&Unlock"))
        self.busy.setAccessibleName(_("Unlocking"))

    def _toggle_mode(self) -> None:
        self.recovery_mode = not self.recovery_mode
        self.problem.clear()
        self._show_mode()
        self.retranslate_ui()

    def _show_mode(self) -> None:
        self.form.setRowVisible(0, not self.recovery_mode)
        self.form.setRowVisible(1, self.recovery_mode)
        self.form.setRowVisible(2, self.recovery_mode)
        (self.recovery if self.recovery_mode else self.passphrase).setFocus()

    def try_unlock(self) -> None:
        if self.working:
            return
        path, progress = self.path, self.relay.callback
        if self.recovery_mode:
            key, new = self.recovery.text(), self.new_passphrase.text()
            if pp.strength(new) == 0:
                self.problem.setText(pp.strength_text(new))
                return

            def opener() -> object:
                from fieldapp.services import session  # loaded on the worker

                return session.recover_workspace(path, key, new, progress=progress)
        else:
            secret = self.passphrase.text()
            if not secret:
                return

            def opener() -> object:
                from fieldapp.services import session  # loaded on the worker

                return session.open_workspace(path, secret, progress=progress)

        self._set_busy(True)
        self.problem.setText(_("Unlocking…"))
        self.ctx.tasks.open_workspace(opener, self._done, self._failed)
        self.started.emit()

    def _progress(self, text: str) -> None:
        if self.working:
            self.problem.setText(text)
            self.adjustSize()  # a sentence longer than "Unlocking…" wraps onto more lines

    def _set_busy(self, busy: bool) -> None:
        self.working = busy
        self.busy.setVisible(busy)
        for w in (self.passphrase, self.recovery, self.new_passphrase, self.unlock_button,
                  self.switch):
            w.setEnabled(not busy)

    def _done(self, _ws: object) -> None:
        self._set_busy(False)
        self.passphrase.clear()
        self.recovery.clear()
        self.new_passphrase.clear()
        self.problem.clear()
        self.accept()
        self.unlocked.emit(self.path)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.problem.setText(error_text(exc))
        if isinstance(exc, (WrongPassphrase, WrongRecoveryKey)):
            field = self.recovery if self.recovery_mode else self.passphrase
            field.selectAll()
            field.setFocus()
