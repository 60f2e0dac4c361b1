"""Setting up a team: choose the shared store, create a team (coordinator), ask to join one
(researcher), revoke a lost device. Each dialog opens without blocking and reports by signal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.services import team
from fieldapp.store.errors import FieldappError
from fieldapp.sync.errors import SyncError
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text
from fieldapp.ui.language import refresh_message, set_message
from fieldapp.ui.team.common import BAD

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


class StoreChooser(QWidget):
    """Where the team's shared store is: a folder, or a WebDAV server."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("store_chooser")
        self.use_folder = QRadioButton()
        self.use_folder.setObjectName("store_folder")
        self.use_folder.setChecked(True)
        self.folder = QLineEdit()
        self.folder.setObjectName("store_folder_path")
        self.browse = QPushButton()
        self.browse.setObjectName("store_browse")
        self.use_webdav = QRadioButton()
        self.use_webdav.setObjectName("store_webdav")
        self.url = QLineEdit()
        self.url.setObjectName("store_url")
        self.user = QLineEdit()
        self.user.setObjectName("store_user")
        self.password = QLineEdit()
        self.password.setObjectName("store_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.url_label, self.user_label, self.password_label = QLabel(), QLabel(), QLabel()
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)
        dav = QFormLayout()
        for lbl, field in ((self.url_label, self.url), (self.user_label, self.user),
                           (self.password_label, self.password)):
            lbl.setBuddy(field)
            dav.addRow(lbl, field)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.use_folder)
        layout.addLayout(folder_row)
        layout.addWidget(self.use_webdav)
        layout.addLayout(dav)
        self.browse.clicked.connect(self._browse)
        self.use_folder.toggled.connect(lambda _on: self._enable())
        self.url.textEdited.connect(lambda _t: self.use_webdav.setChecked(True))
        self.folder.textEdited.connect(lambda _t: self.use_folder.setChecked(True))
        self._enable()

    def retranslate_ui(self) -> None:
        self.use_folder.setText(_("A folder: on this computer, a USB stick, a network share or "
                                  "a synced folder (Nutstore, OneDrive…)"))
        self.browse.setText(_("Choose…"))
        self.folder.setAccessibleName(_("Shared folder"))
        self.use_webdav.setText(_("A WebDAV server (Nutstore, Nextcloud, ownCloud, Synology)"))
        self.url_label.setText(_("Address"))
        self.url.setPlaceholderText("https://dav.jianguoyun.com/dav/…")
        self.user_label.setText(_("User name"))
        self.password_label.setText(_("Password"))
        self.password.setPlaceholderText(_("kept in the encrypted workspace"))
        for lbl in (self.url_label, self.user_label, self.password_label):
            buddy = lbl.buddy()
            if buddy is not None:
                buddy.setAccessibleName(lbl.text())

    def _enable(self) -> None:
        folder = self.use_folder.isChecked()
        self.folder.setEnabled(folder)
        self.browse.setEnabled(folder)
        for w in (self.url, self.user, self.password):
            w.setEnabled(not folder)

    def _browse(self) -> None:
        path = self.ctx.interaction.choose_folder(self, _("Choose the team's shared folder"))
        if path is not None:
            self.folder.setText(str(path))
            self.use_folder.setChecked(True)

    def config(self) -> team.StoreConfig:
        """The store as entered; ValueError with a message to show when it is incomplete."""
        if self.use_folder.isChecked():
            location = self.folder.text().strip()
            if not location:
                raise ValueError(_("Choose the shared folder."))
            return team.StoreConfig(location)
        url = self.url.text().strip()
        if not url.startswith(("https://", "http://")):
            raise ValueError(_("Enter the WebDAV address, starting with https://"))
        return team.StoreConfig(url, self.user.text().strip(), self.password.text())


class _SetupDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setMinimumWidth(560)
        self.form = QFormLayout()
        self.store = StoreChooser(ctx)
        self.store_label = QLabel()
        self.store_label.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.buttons, self.ok_button = button_box()
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.store_label)
        layout.addWidget(self.store)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)

    def _row(self, name: str) -> tuple[QLabel, QLineEdit]:
        label, field = QLabel(), QLineEdit()
        field.setObjectName(f"field_{name}")
        label.setBuddy(field)
        self.form.addRow(label, field)
        return label, field

    def retranslate_ui(self) -> None:
        self.store_label.setText(_("The team's shared store:"))
        self.store.retranslate_ui()
        refresh_message(self.problem)
        for i in range(self.form.rowCount()):
            item = self.form.itemAt(i, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel) and label.buddy() is not None:
                label.buddy().setAccessibleName(label.text())

    def save(self) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        set_message(self.problem, lambda: error_text(exc), BAD)


class CreateTeamDialog(_SetupDialog):
    """Coordinator: a new team, with this workspace as its first coordinator."""

    created = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("create_team_dialog")
        self.name_label, self.team_name = self._row("team_name")
        self.you_label, self.your_name = self._row("coordinator_name")
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Create a team"))
        self.name_label.setText(_("Team name"))
        self.team_name.setPlaceholderText(_("for example 福利外包研究"))
        self.you_label.setText(_("Your name"))
        self.your_name.setPlaceholderText(_("as researchers know you"))
        self.ok_button.setText(_("Create the team"))
        super().retranslate_ui()

    def save(self) -> None:
        name, you = self.team_name.text().strip(), self.your_name.text().strip()
        if not name or not you:
            set_message(self.problem, lambda: _("Enter the team's name and yours."), BAD)
            return
        try:
            store = self.store.config()
        except ValueError as exc:
            set_message(self.problem, str(exc), BAD)
            return
        self.ok_button.setEnabled(False)

        def work(ws: Workspace) -> None:
            team.create_team(ws, team_name=name, coordinator_name=you, store=store)

        self.ctx.tasks.run(work, self._done, self._failed)

    def _done(self, _result: None) -> None:
        self.accept()
        self.created.emit()


class JoinTeamDialog(_SetupDialog):
    """Researcher: ask to join with what the coordinator gave. The root key's fingerprint is
    shown as soon as the key is typed, to compare with the digits the coordinator reads out; a
    key or team ID with a typing error is said at once. The device's fingerprint follows."""

    #: the fingerprint to read out to the coordinator
    joined = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("join_team_dialog")
        self.id_label, self.team_id = self._row("team_id")
        self.key_label, self.root_key = self._row("root_key")
        self.root_fp_label = QLabel()
        self.root_fp = QLabel()
        self.root_fp.setObjectName("root_fingerprint")
        self.root_fp.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(20)
        font.setWeight(QFont.Weight.Bold)
        self.root_fp.setFont(font)
        self.root_fp_hint = QLabel()
        self.root_fp_hint.setObjectName("root_fingerprint_hint")
        self.root_fp_hint.setWordWrap(True)
        self.root_same = QCheckBox()
        self.root_same.setObjectName("root_fingerprint_same")
        self.form.addRow(self.root_fp_label, self.root_fp)
        self.form.addRow(self.root_fp_hint)
        self.form.addRow(self.root_same)
        self.you_label, self.your_name = self._row("researcher")
        self._root_fingerprint = ""
        self.team_id.textChanged.connect(lambda _t: self._show_root_fingerprint())
        self.root_key.textChanged.connect(lambda _t: self._show_root_fingerprint())
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Join a team"))
        self.id_label.setText(_("Team ID"))
        self.key_label.setText(_("Team root key"))
        self.root_key.setPlaceholderText(_("RW… — from your coordinator"))
        self.root_fp_label.setText(_("Root key fingerprint"))
        self.root_fp.setAccessibleName(self.root_fp_label.text())
        self.root_same.setText(_("My coordinator read out these same digits"))
        self.you_label.setText(_("Your name"))
        self.your_name.setPlaceholderText(_("as the team knows you"))
        self.ok_button.setText(_("Ask to join"))
        super().retranslate_ui()
        self._show_root_fingerprint()

    def _show_root_fingerprint(self) -> None:
        """The fingerprint of the key as typed, or what is wrong with it."""
        team_id, key = self.team_id.text().strip(), self.root_key.text().strip()
        self._root_fingerprint = ""
        colour = ""
        if not key:
            hint = _("Type the team ID and root key: their fingerprint appears here. Ask your "
                     "coordinator to read theirs out, and join only if the digits are the same.")
        else:
            try:
                self._root_fingerprint = team.fingerprint_of_root(key, team_id)
            except (SyncError, FieldappError) as exc:  # a typing error, said at once
                hint, colour = error_text(exc), BAD
            else:
                hint = _("Ask your coordinator to read out the root key fingerprint from their "
                         "Team page. Join only if it is the same as these digits.")
        self.root_fp.setText(self._root_fingerprint or "—")
        set_message(self.root_fp_hint, hint, colour)
        self.root_same.setEnabled(bool(self._root_fingerprint))
        if not self._root_fingerprint:
            self.root_same.setChecked(False)

    def save(self) -> None:
        team_id, key = self.team_id.text().strip(), self.root_key.text().strip()
        you = self.your_name.text().strip()
        if not team_id or not key or not you:
            set_message(self.problem, lambda: _("Enter the team ID, the root key and your name."), BAD)
            return
        if not self._root_fingerprint:
            set_message(self.problem, lambda: _("The root key is not valid: copy the team ID and "
                                                "root key again from the invitation."), BAD)
            return
        if not self.root_same.isChecked():
            set_message(self.problem, lambda: _("Compare the root key fingerprint with the one "
                                                "your coordinator reads out, then tick the box."),
                        BAD)
            return
        try:
            store = self.store.config()
        except ValueError as exc:
            set_message(self.problem, str(exc), BAD)
            return
        self.ok_button.setEnabled(False)
        compared = self._root_fingerprint

        def work(ws: Workspace) -> str:
            return team.request_to_join(ws, team_id=team_id, root_key=key, researcher=you,
                                        store=store, root_fingerprint=compared)

        self.ctx.tasks.run(work, self._done, self._failed)

    def _done(self, fingerprint: str) -> None:
        self.accept()
        self.joined.emit(fingerprint)


class RevokeDialog(QDialog):
    """Coordinator: revoke a lost or stolen device after its last trusted change."""

    revoked = Signal()

    def __init__(self, ctx: AppContext, device_id: str, researcher: str, merged_through: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.device_id = device_id
        self.researcher = researcher
        self.merged_through = merged_through
        self.setObjectName("revoke_dialog")
        self.setMinimumWidth(520)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.seq_label = QLabel()
        self.seq = QSpinBox()
        self.seq.setObjectName("last_trusted")
        self.seq.setRange(0, 10**9)
        self.seq.setValue(merged_through)
        self.seq_label.setBuddy(self.seq)
        form = QFormLayout()
        form.addRow(self.seq_label, self.seq)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.buttons, self.ok_button = button_box()
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Revoke a device"))
        self.explain.setText(_(
            "Revoke {name}'s device ({device}) if the laptop is lost, stolen or replaced. Its "
            "changes up to the number below stay trusted; later ones are quarantined and never "
            "merged. Changes merged so far from this device go up to #{n}.").format(
            name=self.researcher, device=self.device_id[-12:], n=self.merged_through))
        self.seq_label.setText(_("Last trusted change number"))
        self.seq.setAccessibleName(self.seq_label.text())
        self.seq.setSpecialValueText(_("none"))
        self.ok_button.setText(_("Revoke the device"))
        refresh_message(self.problem)

    def save(self) -> None:
        after = self.seq.value()
        self.ok_button.setEnabled(False)

        def work(ws: Workspace) -> None:
            team.revoke(ws, self.device_id, after)

        self.ctx.tasks.run(work, self._done, self._failed)

    def _done(self, _result: None) -> None:
        self.accept()
        self.revoked.emit()

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        set_message(self.problem, lambda: error_text(exc), BAD)
