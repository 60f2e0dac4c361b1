"""The team page: create or join a team; the invitation, join requests approved only after the
fingerprints match, the roster and revocation (coordinator); this device's fingerprint to read
out and its enrolment (researcher)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_datetime, ngettext
from fieldapp.services import team
from fieldapp.sync.keys import fingerprints_match
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import alive, close_dialog, show_dialog
from fieldapp.ui.interaction import error_text
from fieldapp.ui.language import refresh_message, set_message
from fieldapp.ui.team.common import (
    BAD,
    GOOD,
    WARN,
    TeamState,
)
from fieldapp.ui.team.setup_dialogs import CreateTeamDialog, JoinTeamDialog, RevokeDialog

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


def _selectable(name: str, big: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    if big:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(26)
        font.setWeight(QFont.Weight.Bold)
        label.setFont(font)
        label.setWordWrap(False)
    return label


def short_id(device_id: str) -> str:
    """The end of a device id: its start is a timestamp, the same for devices set up together."""
    return device_id[-12:]


def when(iso: str) -> str:
    try:
        return format_datetime(datetime.fromisoformat(iso).astimezone())
    except ValueError:
        return iso


def _table(name: str, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setObjectName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.setMaximumHeight(200)
    return table


class TeamPage(QWidget):
    #: the team changed here (created, joined, approved, revoked): everyone reloads
    team_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("team_page")
        self.state = TeamState()
        self.requests: list[dict[str, Any]] = []
        self.dialog: CreateTeamDialog | JoinTeamDialog | RevokeDialog | None = None

        self.heading = QLabel()
        self.heading.setObjectName("team_heading")
        self.heading.setWordWrap(True)
        self.expiry = QLabel()
        self.expiry.setObjectName("roster_expiry")
        self.expiry.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("team_message")
        self.message.setWordWrap(True)

        # Not in a team yet.
        self.start_box = QGroupBox()
        self.start_box.setObjectName("start_box")
        self.start_text = QLabel()
        self.start_text.setWordWrap(True)
        self.create_button = QPushButton()
        self.create_button.setObjectName("create_team")
        self.join_button = QPushButton()
        self.join_button.setObjectName("join_team")
        row = QHBoxLayout()
        row.addWidget(self.create_button)
        row.addWidget(self.join_button)
        row.addStretch(1)
        box = QVBoxLayout(self.start_box)
        box.addWidget(self.start_text)
        box.addLayout(row)

        # Coordinator: the invitation.
        self.invite_box = QGroupBox()
        self.invite_box.setObjectName("invite_box")
        self.invite_text = QLabel()
        self.invite_text.setWordWrap(True)
        self.team_id = _selectable("invite_team_id")
        self.root_key = _selectable("invite_root_key")
        self.root_fp = _selectable("invite_root_fingerprint", big=True)
        self.store_text = _selectable("invite_store")
        self.invite_labels = [QLabel() for _i in range(4)]
        form = QFormLayout()
        for lbl, value in zip(self.invite_labels, (self.team_id, self.root_key, self.root_fp,
                                                   self.store_text), strict=True):
            form.addRow(lbl, value)
        box = QVBoxLayout(self.invite_box)
        box.addWidget(self.invite_text)
        box.addLayout(form)

        # Coordinator: join requests, approved after comparing fingerprints.
        self.requests_box = QGroupBox()
        self.requests_box.setObjectName("requests_box")
        self.check_requests = QPushButton()
        self.check_requests.setObjectName("check_requests")
        self.request_table = _table("request_table", 4)
        self.typed_label = QLabel()
        self.typed = QLineEdit()
        self.typed.setObjectName("typed_fingerprint")
        self.typed_label.setBuddy(self.typed)
        self.match = QLabel()
        self.match.setObjectName("fingerprint_match")
        self.match.setWordWrap(True)
        self.approve_button = QPushButton()
        self.approve_button.setObjectName("approve")
        typed_row = QHBoxLayout()
        typed_row.addWidget(self.typed_label)
        typed_row.addWidget(self.typed, 1)
        typed_row.addWidget(self.approve_button)
        box = QVBoxLayout(self.requests_box)
        box.addWidget(self.check_requests, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.request_table)
        box.addLayout(typed_row)
        box.addWidget(self.match)

        # Coordinator: the roster.
        self.roster_box = QGroupBox()
        self.roster_box.setObjectName("roster_box")
        self.device_table = _table("device_table", 4)
        self.revoke_button = QPushButton()
        self.revoke_button.setObjectName("revoke")
        box = QVBoxLayout(self.roster_box)
        box.addWidget(self.device_table)
        box.addWidget(self.revoke_button, 0, Qt.AlignmentFlag.AlignLeft)

        # Researcher: this device's fingerprint and enrolment.
        self.device_box = QGroupBox()
        self.device_box.setObjectName("device_box")
        self.fp_text = QLabel()
        self.fp_text.setWordWrap(True)
        self.fingerprint = _selectable("device_fingerprint", big=True)
        self.enrolment = QLabel()
        self.enrolment.setObjectName("enrolment")
        self.enrolment.setWordWrap(True)
        self.check_enrolment = QPushButton()
        self.check_enrolment.setObjectName("check_enrolment")
        self.root_fp_text = QLabel()
        self.root_fp_text.setWordWrap(True)
        self.device_root_fp = _selectable("device_root_fingerprint")
        box = QVBoxLayout(self.device_box)
        box.addWidget(self.fp_text)
        box.addWidget(self.fingerprint)
        box.addWidget(self.enrolment)
        box.addWidget(self.check_enrolment, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.root_fp_text)
        box.addWidget(self.device_root_fp)

        # Any member: leave the team, keeping every record.
        self.leave_box = QGroupBox()
        self.leave_box.setObjectName("leave_box")
        self.leave_text = QLabel()
        self.leave_text.setWordWrap(True)
        self.leave_button = QPushButton()
        self.leave_button.setObjectName("leave_team")
        box = QVBoxLayout(self.leave_box)
        box.addWidget(self.leave_text)
        box.addWidget(self.leave_button, 0, Qt.AlignmentFlag.AlignLeft)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        for w in (self.heading, self.expiry, self.start_box, self.device_box, self.invite_box,
                  self.requests_box, self.roster_box, self.message, self.leave_box):
            layout.addWidget(w)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.create_button.clicked.connect(self.create_team)
        self.join_button.clicked.connect(self.join_team)
        self.check_requests.clicked.connect(self.load_requests)
        self.request_table.itemSelectionChanged.connect(self._compare)
        self.typed.textChanged.connect(lambda _t: self._compare())
        self.approve_button.clicked.connect(self.approve)
        self.device_table.itemSelectionChanged.connect(self._enable)
        self.revoke_button.clicked.connect(self.revoke)
        self.check_enrolment.clicked.connect(self.refresh_enrolment)
        self.leave_button.clicked.connect(self.leave_team)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()
        self.set_state(self.state)

    def retranslate_ui(self) -> None:
        self.start_box.setTitle(_("Team"))
        self.start_text.setText(_(
            "A team shares its work through a shared store: a folder (on a USB stick, a network "
            "share or a synced drive such as Nutstore) or a WebDAV server. The coordinator "
            "creates the team; each researcher asks to join, and the coordinator approves after "
            "comparing a fingerprint by phone or in person."))
        self.create_button.setText(_("Create a team (coordinator)…"))
        self.join_button.setText(_("Join a team (researcher)…"))
        self.invite_box.setTitle(_("Invitation"))
        self.invite_text.setText(_(
            "Give researchers the team ID and root key (by message or on paper). When they "
            "join, read them the root key fingerprint so they know the key is really yours."))
        for lbl, text in zip(self.invite_labels, (_("Team ID"), _("Root key"),
                                                  _("Root key fingerprint"), _("Shared store")),
                             strict=True):
            lbl.setText(text)
        self.requests_box.setTitle(_("Join requests"))
        self.check_requests.setText(_("Check for join requests"))
        self.request_table.setHorizontalHeaderLabels([_("Researcher"), _("Device"),
                                                      _("Asked on"), _("Fingerprint")])
        self.request_table.setAccessibleName(_("Join requests"))
        self.typed_label.setText(_("Fingerprint the researcher reads out:"))
        self.typed.setAccessibleName(self.typed_label.text())
        self.typed.setPlaceholderText("0000 0000 0000 0000 0000 0000")
        self.approve_button.setText(_("&Approve"))
        self.roster_box.setTitle(_("Team roster"))
        self.device_table.setHorizontalHeaderLabels([_("Researcher"), _("Device"), _("Status"),
                                                     _("Last trusted change")])
        self.device_table.setAccessibleName(_("Team roster"))
        self.revoke_button.setText(_("Revoke device…"))
        self.device_box.setTitle(_("This device"))
        self.fp_text.setText(_(
            "Read these digits to your coordinator by phone or in person. They approve your "
            "device only if their screen shows the same digits."))
        self.fingerprint.setAccessibleName(_("This device's fingerprint"))
        self.check_enrolment.setText(_("Check whether I am approved"))
        self.root_fp_text.setText(_("The team's root key fingerprint. It must be the same as "
                                    "the one your coordinator reads out from their Team page:"))
        self.device_root_fp.setAccessibleName(_("Root key fingerprint"))
        self.leave_box.setTitle(_("Leave the team"))
        self.leave_text.setText(_(
            "Leaving forgets the team's roster, keys and shared store. Every record stays in "
            "this workspace, and you can join a team again (the same team without a new "
            "approval)."))
        self.leave_button.setText(_("Leave the team…"))
        self._show_state()
        self._fill_requests()
        self._compare()
        refresh_message(self.message)

    # -- state ---------------------------------------------------------------------------

    def set_state(self, state: TeamState) -> None:
        self.state = state
        self._show_state()

    def clear(self) -> None:
        close_dialog(self.dialog)
        self.dialog = None
        self.requests = []
        self.typed.clear()
        self.message.clear()
        self._fill_requests()
        self.set_state(TeamState())

    def _show_state(self) -> None:
        s = self.state
        self.start_box.setVisible(not s.role)
        for w in (self.invite_box, self.requests_box, self.roster_box):
            w.setVisible(s.is_coordinator)
        self.device_box.setVisible(s.is_researcher)
        self.leave_box.setVisible(bool(s.role))
        self.device_root_fp.setText(s.root_fingerprint)
        if not s.role:
            self.heading.setText(_("This workspace is not part of a team yet."))
        elif s.team_name:
            role = _("coordinator") if s.is_coordinator else _("researcher")
            self.heading.setText(_("Team “{name}” — you are a {role}. Roster version {v}; "
                                   "shared store: {store}").format(
                name=s.team_name, role=role, v=s.roster_version, store=s.store))
        else:
            self.heading.setText(_("Asked to join a team; shared store: {store}").format(
                store=s.store))
        set_message(self.expiry, s.expiry_warning, WARN)
        self.expiry.setVisible(bool(s.expiry_warning))
        inv = s.invitation
        self.team_id.setText(inv.get("team_id", ""))
        self.root_key.setText(inv.get("root_key", ""))
        self.root_fp.setText(inv.get("root_fingerprint", ""))
        self.store_text.setText(inv.get("store", ""))
        self.fingerprint.setText(s.fingerprint)
        if s.enrolled:
            set_message(self.enrolment, lambda: _("Approved: this device is in the team roster. You "
                                          "can send your work."), GOOD)
        else:
            set_message(self.enrolment, lambda: _("Waiting for the coordinator to approve this "
                                          "device."), WARN)
        self.device_table.setRowCount(len(s.devices))
        for row, d in enumerate(s.devices):
            revoked = d["status"] != "active"
            status = _("revoked") if revoked else _("active")
            last = d["revoked_after_seq"] if revoked else s.merged_through.get(d["device_id"], 0)
            for col, text in enumerate((d["researcher"], d["device_id"], status,
                                        f"#{last}" if last else "—")):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, d["device_id"])
                self.device_table.setItem(row, col, item)
        self.device_table.resizeColumnsToContents()
        self._enable()

    def _enable(self) -> None:
        device = self.selected_device()
        self.revoke_button.setEnabled(device is not None and device["status"] == "active")

    def selected_device(self) -> dict[str, Any] | None:
        rows = self.device_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.state.devices):
            return None
        return self.state.devices[rows[0].row()]

    # -- starting ------------------------------------------------------------------------

    def create_team(self) -> None:
        dialog = CreateTeamDialog(self.ctx, self)
        dialog.created.connect(self._created)
        self.dialog = dialog
        show_dialog(dialog)

    def _created(self) -> None:
        set_message(self.message, lambda: _("The team is ready. Give researchers the invitation "
                                    "below."), GOOD)
        self.team_changed.emit()

    def join_team(self) -> None:
        dialog = JoinTeamDialog(self.ctx, self)
        dialog.joined.connect(self._joined)
        self.dialog = dialog
        show_dialog(dialog)

    def _joined(self, _fingerprint: str) -> None:
        set_message(self.message, lambda: _("Your request is in the shared store. Now call your "
                                    "coordinator and read them the fingerprint above."), GOOD)
        self.team_changed.emit()

    def refresh_enrolment(self) -> None:
        self.ctx.tasks.run(team.refresh_roster, lambda _r: self.team_changed.emit(),
                           lambda exc: set_message(self.message, lambda: error_text(exc), BAD))

    # -- join requests -------------------------------------------------------------------

    def load_requests(self) -> None:
        self.ctx.tasks.run(team.pending_join_requests, self._requests_loaded,
                           lambda exc: set_message(self.message, lambda: error_text(exc), BAD))

    def _requests_loaded(self, requests: list[dict[str, Any]]) -> None:
        self.requests = requests
        self._fill_requests()
        set_message(self.message, lambda: "" if requests else _("No join requests waiting."))
        if len(requests) == 1:
            self.request_table.selectRow(0)

    def _fill_requests(self) -> None:
        self.request_table.setRowCount(len(self.requests))
        for row, r in enumerate(self.requests):
            for col, text in enumerate((r["researcher"], short_id(r["device_id"]),
                                        when(r["created_at"]), r["fingerprint"])):
                self.request_table.setItem(row, col, QTableWidgetItem(text))
        self.request_table.resizeColumnsToContents()

    def selected_request(self) -> dict[str, Any] | None:
        rows = self.request_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.requests):
            return None
        return self.requests[rows[0].row()]

    def _compare(self) -> None:
        """Approve only when the fingerprint typed as the researcher reads it out (from their
        own screen, by phone or in person) matches the request's."""
        request = self.selected_request()
        typed = self.typed.text()
        digits = sum(c.isdigit() for c in typed)
        ok = request is not None and fingerprints_match(typed, request["fingerprint"])
        self.approve_button.setEnabled(ok)
        if request is None:
            set_message(self.match, lambda: _("Choose a request, then type the digits the researcher "
                                      "reads out from their screen."))
        elif ok:
            set_message(self.match, lambda: _("The fingerprints match: {name}'s device can be "
                                      "approved.").format(name=request["researcher"]), GOOD)
        elif digits >= 24:
            set_message(self.match, lambda: _("The fingerprints differ: do not approve. The request "
                                      "may not come from this researcher's device."), BAD)
        else:
            set_message(self.match, lambda: _("Type all 24 digits the researcher reads out."))

    def approve(self) -> None:
        request = self.selected_request()
        if request is None:
            return
        typed, device = self.typed.text(), request["device_id"]

        def work(ws: Workspace) -> Any:
            return team.approve(ws, device, typed)

        self.ctx.tasks.run(work, lambda _r: self._approved(request),
                           lambda exc: set_message(self.message, lambda: error_text(exc), BAD))

    def _approved(self, request: dict[str, Any]) -> None:
        self.typed.clear()
        self.requests = [r for r in self.requests if r is not request]
        self._fill_requests()
        set_message(self.message, lambda: _("{name}'s device is approved. They can now send their "
                                    "work; publish to the team so they receive the shared "
                                    "records.").format(name=request["researcher"]), GOOD)
        self.team_changed.emit()

    # -- leaving -------------------------------------------------------------------------

    def leave_team(self) -> None:
        if self.state.holds_root_key:
            text = _("This workspace holds the team's root key. After leaving, nobody can "
                     "approve, revoke or renew devices of this team any more, unless you kept a "
                     "copy of this workspace folder. Every record stays here. Leave the team and "
                     "forget its root key?")
        else:
            text = _("Leave the team “{name}”? Every record stays in this workspace; changes "
                     "not yet sent are sent if you join the team again.").format(
                name=self.state.team_name or self.state.store)
        if not self.ctx.interaction.confirm(self, _("Leave the team"), text,
                                            ok=_("Leave the team"), destructive=True):
            return
        forget = self.state.holds_root_key

        def work(ws: Workspace) -> int:
            return team.leave_team(ws, forget_root_key=forget)

        self.ctx.tasks.run(work, self._left,
                           lambda exc: set_message(self.message, lambda: error_text(exc), BAD))

    def _left(self, unsent: int) -> None:
        def text() -> str:
            done = _("This workspace has left the team. Every record stays here.")
            if unsent:
                done += " " + ngettext(
                    "{n} change has not reached the coordinators yet: it is sent when you "
                    "join the team again.",
                    "{n} changes have not reached the coordinators yet: they are sent when you "
                    "join the team again.", unsent).format(n=unsent)
            return done

        self.requests = []
        self._fill_requests()
        set_message(self.message, text, GOOD)
        self.team_changed.emit()

    # -- revoking ------------------------------------------------------------------------

    def revoke(self) -> None:
        device = self.selected_device()
        if device is None:
            return
        if alive(self.dialog):
            close_dialog(self.dialog)
        dialog = RevokeDialog(self.ctx, device["device_id"], device["researcher"],
                              self.state.merged_through.get(device["device_id"], 0), self)
        dialog.revoked.connect(self._revoked)
        self.dialog = dialog
        show_dialog(dialog)

    def _revoked(self) -> None:
        set_message(self.message, lambda: _("The device is revoked; the new roster is in the shared "
                                    "store."), GOOD)
        self.team_changed.emit()
