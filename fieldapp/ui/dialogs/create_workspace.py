"""Create a workspace: folder, passphrase twice with a strength hint."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.ui import passphrase as pp
from fieldapp.ui import paths
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text


class CreateWorkspaceDialog(QDialog):
    """Emits :attr:`created` with (path, recovery key) once the workspace is open on the worker."""

    created = Signal(object, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 path: Path | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(480)
        self.ctx = ctx
        self.setObjectName("create_workspace_dialog")
        self.folder = QLineEdit(str(path or paths.default_workspace_path()))
        self.browse = QPushButton()
        self.browse.setAutoDefault(False)
        self.researcher = QLineEdit()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setObjectName("strength_hint")
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.buttons, self.create_button = button_box()
        self.create_button.setObjectName("create")

        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)
        self.labels = {name: QLabel() for name in ("folder", "researcher", "passphrase", "repeat")}
        self.form = QFormLayout()
        self.form.addRow(self.labels["folder"], row)
        self.form.addRow(self.labels["researcher"], self.researcher)
        self.form.addRow(self.labels["passphrase"], self.passphrase)
        self.form.addRow(self.labels["repeat"], self.repeat)
        for name, field in (("folder", self.folder), ("researcher", self.researcher),
                            ("passphrase", self.passphrase), ("repeat", self.repeat)):
            self.labels[name].setBuddy(field)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.hint)
        layout.addWidget(self.problem)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.folder, self.browse)
        self.setTabOrder(self.browse, self.researcher)
        self.setTabOrder(self.researcher, self.passphrase)
        self.setTabOrder(self.passphrase, self.repeat)

        self.browse.clicked.connect(self._browse)
        self.passphrase.textChanged.connect(self._update)
        self.repeat.textChanged.connect(self._update)
        self.buttons.accepted.connect(self._create)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()
        self.passphrase.setFocus()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Create a workspace"))
        self.intro.setText(_("Everything you record is kept encrypted in this folder. Choose a "
                             "passphrase you will remember: without it, or the recovery key shown "
                             "next, nobody can open the workspace — not even your coordinator."))
        self.browse.setText(_("Browse…"))
        self.browse.setAccessibleName(_("Choose the workspace folder"))
        for name, field, label in (
                ("folder", self.folder, _("&Folder")), ("researcher", self.researcher, _("Your &name")),
                ("passphrase", self.passphrase, _("&Passphrase")),
                ("repeat", self.repeat, _("Passphrase &again"))):
            self.labels[name].setText(label)
            field.setAccessibleName(label.replace("&", ""))
        self.researcher.setPlaceholderText(_("As your team knows you (optional)"))
        self.create_button.setText(_("Create"))
        self._update()

    def _browse(self) -> None:
        folder = self.ctx.interaction.choose_folder(self, _("Choose a folder for the workspace"))
        if folder is not None:
            self.folder.setText(str(folder / "fieldapp-workspace"))

    def _update(self) -> None:
        self.hint.setText(pp.strength_text(self.passphrase.text()))
        mismatch = bool(self.repeat.text()) and self.repeat.text() != self.passphrase.text()
        self.problem.setText(_("The two passphrases differ.") if mismatch else "")
        self.create_button.setEnabled(pp.strength(self.passphrase.text()) > 0
                                      and self.repeat.text() == self.passphrase.text())

    def _create(self) -> None:
        if not self.create_button.isEnabled():
            return
        path = Path(self.folder.text().strip()).expanduser()
        secret = self.passphrase.text()
        researcher = self.researcher.text().strip()
        self._set_busy(True)
        def create() -> object:
            from fieldapp.services import session  # loaded on the worker, not the UI thread

            return session.create_workspace(path, secret, researcher)

        self.ctx.tasks.open_workspace(
            create,
            lambda result: self._done(path, result[1]), self._failed)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for w in (self.folder, self.browse, self.researcher, self.passphrase, self.repeat,
                  self.create_button):
            w.setEnabled(not busy)
        if not busy:
            self._update()

    def _done(self, path: Path, recovery_key: str) -> None:
        self.passphrase.clear()
        self.repeat.clear()
        self.accept()
        self.created.emit(path, recovery_key)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.problem.setText(error_text(exc))
