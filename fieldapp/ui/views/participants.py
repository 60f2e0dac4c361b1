"""Participants by pseudonymous code; identity only on request; consent; withdrawal; change and
removal (refused while records refer to the participant)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import N_, _, format_date, format_list, format_number, ngettext, pick
from fieldapp.services import records, registry, ui_support
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog, show_dialog
from fieldapp.ui.dialogs.consent import ConsentDialog
from fieldapp.ui.dialogs.participant import IDENTITY_FIELDS, ParticipantDialog
from fieldapp.ui.empty_state import EmptyState
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import label
from fieldapp.ui.models.records import ID_ROLE, RecordColumn, RecordTableModel
from fieldapp.ui.views.case_attributes import CaseAttributesBox

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


def _date(text: str | None) -> str:
    try:
        return format_date(date.fromisoformat(text)) if text else ""
    except ValueError:
        return text or ""


COLUMNS = (
    RecordColumn("code", N_("Participant code"), lambda r: r.get("code") or ""),
    RecordColumn("role", N_("Role"), lambda r: r.get("role") or ""),
    RecordColumn("organisation", N_("Organisation"),
                 lambda r: pick(r.get("organisation_zh"), r.get("organisation_en"))),
    RecordColumn("site", N_("Site"), lambda r: label("site", r.get("site"))),
    RecordColumn("consent", N_("Consent"), lambda r: label("consent_status",
                                                           r.get("consent_status") or "")),
)


class ParticipantsView(QWidget):
    #: participant id: start an interview with them (the workspace switches to Interviews)
    new_interview_requested = Signal(str)
    #: interview id: show it
    open_interview_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("participants_view")
        self.current: dict[str, Any] | None = None
        self.dialog: ParticipantDialog | ConsentDialog | None = None
        self.model = RecordTableModel(COLUMNS, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortLocaleAware(True)
        self.table = QTableView()
        self.table.setObjectName("participant_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count = QLabel()
        self.new_button = QPushButton()
        self.new_button.setObjectName("new_participant")
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("edit_participant")
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("delete_participant")

        self.heading = QLabel()
        self.heading.setObjectName("participant_heading")
        style.header(self.heading, level=2)
        self.identity_box = QGroupBox()
        self.identity_box.setObjectName("identity_box")
        self.identity_form = QFormLayout(self.identity_box)
        self.identity_labels = {n: (QLabel(), QLabel()) for n in IDENTITY_FIELDS}
        for key_label, value_label in self.identity_labels.values():
            value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.identity_form.addRow(key_label, value_label)
        self.show_identity = QPushButton()
        self.show_identity.setObjectName("show_identity")
        self.show_identity.setCheckable(True)
        self.identity_form.addRow(self.show_identity)
        self.consent_box = QGroupBox()
        consent_layout = QVBoxLayout(self.consent_box)
        self.consents = QListWidget()
        self.consents.setObjectName("consent_list")
        self.record_consent = QPushButton()
        self.record_consent.setObjectName("record_consent")
        self.withdraw = QPushButton()
        self.withdraw.setObjectName("withdraw_consent")
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_consent)
        buttons.addWidget(self.withdraw)
        consent_layout.addWidget(self.consents)
        consent_layout.addLayout(buttons)
        self.interviews_label = QLabel()
        self.interviews = QListWidget()
        self.interviews.setObjectName("participant_interviews")
        self.interviews_label.setBuddy(self.interviews)
        self.interview_button = QPushButton()
        self.interview_button.setObjectName("new_interview_with_participant")

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.table, 1)
        ll.addWidget(self.count)
        row = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button):
            row.addWidget(button)
        row.addStretch(1)
        ll.addLayout(row)
        self.detail = QWidget()
        dl = QVBoxLayout(self.detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.heading)
        dl.addWidget(self.identity_box)
        dl.addWidget(self.consent_box, 1)
        self.attributes = CaseAttributesBox(ctx, "participant", self)
        dl.addWidget(self.attributes)
        dl.addWidget(self.interviews_label)
        dl.addWidget(self.interviews, 1)
        interview_row = QHBoxLayout()
        interview_row.addWidget(self.interview_button)
        interview_row.addStretch(1)
        dl.addLayout(interview_row)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        layout.addWidget(split)

        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.new_button.clicked.connect(self.new_participant)
        self.edit_button.clicked.connect(self.edit_participant)
        self.delete_button.clicked.connect(self.delete_participant)
        self.table.doubleClicked.connect(lambda _i: self.edit_participant())
        self.show_identity.toggled.connect(self._toggle_identity)
        self.record_consent.clicked.connect(self._record_consent)
        self.withdraw.clicked.connect(self.withdraw_consent)
        self.interview_button.clicked.connect(
            lambda: self.current and self.new_interview_requested.emit(str(self.current["id"])))
        self.interviews.itemActivated.connect(
            lambda item: self.open_interview_requested.emit(
                str(item.data(Qt.ItemDataRole.UserRole))))
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self._detail: dict[str, Any] = {}
        self.new_button.setIcon(style.icon("add"))
        self.edit_button.setIcon(style.icon("edit"))
        self.delete_button.setIcon(style.icon("delete"))
        style.fit_header(self.table)
        self.empty = EmptyState(
            ctx, self.table, "participants", icon="add",
            message=lambda: _("No participants yet. Add each person you interview under a "
                              "pseudonymous code; their real name is kept apart."),
            action=lambda: _("New participant…"), on_action=self.new_participant)
        self.retranslate_ui()
        self._show_detail()

    def retranslate_ui(self) -> None:
        self.table.setAccessibleName(_("Participants"))
        self.new_button.setText(_("&New participant…"))
        self.edit_button.setText(_("C&hange…"))
        self.delete_button.setText(_("Re&move…"))
        self.delete_button.setToolTip(_("Only a participant no interview, consent record, "
                                        "survey response or attachment refers to; for a "
                                        "participant who withdraws, use Withdraw consent"))
        self.identity_box.setTitle(_("Identifying details"))
        names = {"real_name": _("Real name"), "phone": _("Phone"), "wechat": _("WeChat"),
                 "email": _("E-mail")}
        for name, (key_label, _value) in self.identity_labels.items():
            key_label.setText(names[name])
        self.show_identity.setText(_("Hide identifying details") if self.show_identity.isChecked()
                                   else _("Show identifying details"))
        self.show_identity.setToolTip(_("Shown only while you need them; hidden again when you "
                                        "choose another participant or lock"))
        self.consent_box.setTitle(_("Consent"))
        self.consents.setAccessibleName(_("Consent records"))
        self.record_consent.setText(_("Record consent…"))
        self.withdraw.setText(_("Withdraw consent…"))
        self.withdraw.setToolTip(_("Erases this participant and everything recorded with them"))
        self.interviews_label.setText(_("Interviews"))
        self.interview_button.setText(_("New interview with this participant"))
        self.interview_button.setToolTip(_("Starts an interview already linked to them; "
                                           "double-click an interview above to open it"))
        self.interviews.setAccessibleName(_("Interviews with this participant"))
        self.model.retranslate()
        self._update_count()
        self._show_detail()

    # -- data ----------------------------------------------------------------------------

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "participant", "consent", "organisation", "interview"):
            self.reload()
        elif entity == "vocabulary":  # sites and sectors got their names
            self.table.viewport().update()

    def reload(self, select: str | None = None) -> None:
        keep = select or (self.current or {}).get("id")
        self.ctx.tasks.run(ui_support.participant_overview, lambda rows: self._loaded(rows, keep))

    def _loaded(self, rows: list[dict[str, Any]], select: str | None) -> None:
        self.model.set_rows(rows)
        self._update_count()
        if select and self.model.row_of(select) >= 0:
            self.select(select)
        else:
            self.current = None
            self._detail = {}
            self._show_detail()

    def clear(self) -> None:
        close_dialog(self.dialog)
        self.dialog = None
        self.model.clear()
        self.current = None
        self._detail = {}
        self._update_count()
        self._show_detail()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count.setText(ngettext("{n} participant", "{n} participants", n).format(
            n=format_number(n)))

    def select(self, participant_id: str) -> None:
        row = self.model.row_of(participant_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            self.table.setCurrentIndex(index)
            self._load_detail(participant_id)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        pid = current.data(ID_ROLE) if current.isValid() else None
        if pid and pid != (self.current or {}).get("id"):
            self._load_detail(str(pid))

    def _load_detail(self, participant_id: str) -> None:
        self.show_identity.setChecked(False)
        self.ctx.tasks.run(lambda ws: ui_support.participant_detail(ws, participant_id),
                           self._detail_loaded)

    def _detail_loaded(self, detail: dict[str, Any]) -> None:
        self._detail = detail
        self.current = detail["participant"]
        self._show_detail()

    def _show_detail(self) -> None:
        p = self.current
        if (p or {}).get("id") != self.attributes.case_id:
            self.attributes.show_case((p or {}).get("id"))
        self.detail.setEnabled(p is not None)
        self.edit_button.setEnabled(p is not None)
        self.delete_button.setEnabled(p is not None)
        self.interview_button.setEnabled(p is not None)
        self.consents.clear()
        self.interviews.clear()
        if p is None:
            self.heading.setText(_("Choose a participant."))
            self._show_identity_values(None)
            return
        self.heading.setText(_("Participant {code}").format(code=p["code"]))
        for c in self._detail.get("consents", []):
            scopes = format_list(label("consent_scope", s) for s in c.get("scopes") or [])
            self.consents.addItem(_("{status} · {date} · form {version} · {method} · {scopes}")
                                  .format(status=label("consent_status", c.get("status")),
                                          date=_date(c.get("date")),
                                          version=c.get("form_version") or "",
                                          method=label("consent_method", c.get("method")),
                                          scopes=scopes or _("no scopes")))
        for i in self._detail.get("interviews", []):
            item = QListWidgetItem(f"{i.get('code') or ''} · {_date(i.get('date'))}")
            item.setData(Qt.ItemDataRole.UserRole, i.get("id"))
            self.interviews.addItem(item)

    def _toggle_identity(self, shown: bool) -> None:
        self.show_identity.setText(_("Hide identifying details") if shown
                                   else _("Show identifying details"))
        if not shown or self.current is None:
            self._show_identity_values(None)
            return
        pid = self.current["id"]
        self.ctx.tasks.run(lambda ws: records.identity_of(ws, pid) or {},
                           self._show_identity_values)

    def _show_identity_values(self, identity: dict[str, Any] | None) -> None:
        for name, (_key, value_label) in self.identity_labels.items():
            if identity is None:
                value_label.setText("••••" if self.current else "")
            else:
                value_label.setText(identity.get(name) or "—")

    # -- actions -------------------------------------------------------------------------

    def new_participant(self) -> None:
        def work(ws: Workspace) -> tuple[list[dict[str, Any]], int]:
            return records.list_records(ws, "organisation"), records.count(ws, "participant")

        self.ctx.tasks.run(work, lambda r: self._open_new(r[0], r[1]))

    def _open_new(self, organisations: list[dict[str, Any]], n: int) -> None:
        self.dialog = ParticipantDialog(self.ctx, organisations, f"P-{n + 1:03d}", self)
        self.dialog.created.connect(self._created)
        show_dialog(self.dialog)

    def _created(self, participant_id: str) -> None:
        self.ctx.data.changed.emit("participant")
        self.reload(select=participant_id)

    def edit_participant(self) -> None:
        participant = self.current
        if participant is None:
            return
        self.ctx.tasks.run(lambda ws: records.list_records(ws, "organisation"),
                           lambda orgs: self._open_edit(orgs, participant))

    def _open_edit(self, organisations: list[dict[str, Any]],
                   participant: dict[str, Any]) -> None:
        self.dialog = ParticipantDialog(self.ctx, organisations, parent=self,
                                        participant=participant)
        self.dialog.created.connect(self._created)
        show_dialog(self.dialog)

    def delete_participant(self) -> None:
        if self.current is None:
            return
        pid, code = self.current["id"], self.current["code"]
        self.ctx.tasks.run(lambda ws: registry.check_participant_deletable(ws, pid),
                           lambda _r: self._confirm_delete(pid, code),
                           lambda exc: self.ctx.interaction.warn(
                               self, _("Remove participant"), error_text(exc)))

    def _confirm_delete(self, pid: str, code: str) -> None:
        if not self.ctx.interaction.confirm(
                self, _("Remove participant"),
                _("Remove participant {code} and their identifying details? No interview, "
                  "consent record or survey response refers to them. They are removed on every "
                  "device after the next sync.").format(code=code),
                ok=_("Remove"), destructive=True):
            return

        def work(ws: Workspace) -> None:
            registry.delete_participant(ws, pid)

        self.ctx.tasks.run(work, lambda _r: self._deleted(),
                           lambda exc: self.ctx.interaction.warn(
                               self, _("Remove participant"), error_text(exc)))

    def _deleted(self) -> None:
        self.current = None
        self._detail = {}
        self.ctx.data.changed.emit("participant")

    def _record_consent(self) -> None:
        if self.current is None:
            return
        self.dialog = ConsentDialog(self.ctx, self.current["id"], self.current["code"], self)
        self.dialog.recorded.connect(lambda _cid: self.ctx.data.changed.emit("consent"))
        show_dialog(self.dialog)

    def withdraw_consent(self) -> None:
        if self.current is None:
            return
        pid, code = self.current["id"], self.current["code"]
        self.ctx.tasks.run(lambda ws: records.withdrawal_impact(ws, pid),
                           lambda impact: self._confirm_withdraw(pid, code, impact))

    def _confirm_withdraw(self, pid: str, code: str, impact: dict[str, int]) -> None:
        parts = [
            ngettext("{n} interview", "{n} interviews", impact.get("interviews", 0)),
            ngettext("{n} note", "{n} notes", impact.get("notes", 0)),
            ngettext("{n} coding", "{n} codings", impact.get("codings", 0)),
            ngettext("{n} attachment", "{n} attachments", impact.get("attachments", 0)),
            ngettext("{n} consent record", "{n} consent records", impact.get("consents", 0)),
            ngettext("{n} survey response", "{n} survey responses", impact.get("responses", 0)),
        ]
        counts = [p.format(n=format_number(n)) for p, n in zip(parts, (
            impact.get("interviews", 0), impact.get("notes", 0), impact.get("codings", 0),
            impact.get("attachments", 0), impact.get("consents", 0),
            impact.get("responses", 0)), strict=True)]
        if impact.get("memos"):  # memos on those interviews go with them
            counts.append(ngettext("{n} memo", "{n} memos", impact["memos"]).format(
                n=format_number(impact["memos"])))
        text = _(
            "Participant {code} withdraws consent.\n\n"
            "This permanently erases the participant, their identifying details and everything "
            "recorded with them: {counts}. Interviews they took part in are erased whole, with "
            "their notes, transcripts, codings and attachments. Organisations are kept.\n\n"
            "This cannot be undone, and the erasure is sent to your team at the next sync. "
            "The erase order carries only the date: no reason and no name travel with it."
        ).format(code=code, counts=_("; ").join(counts))
        if not self.ctx.interaction.confirm(self, _("Withdraw consent"), text,
                                            ok=_("Erase everything"), destructive=True):
            return

        def work(ws: Workspace) -> dict[str, int]:
            return records.withdraw_consent(ws, pid)

        self.ctx.tasks.run(work, lambda _counts: self._withdrawn(code),
                           label=_("Erasing the participant's data…"))

    def _withdrawn(self, code: str) -> None:
        self.current = None
        self._detail = {}
        self.ctx.data.changed.emit("*")
        self.ctx.interaction.info(self, _("Consent withdrawn"), _(
            "Everything recorded about participant {code} has been erased.").format(code=code))
