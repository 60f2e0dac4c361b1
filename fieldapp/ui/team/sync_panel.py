"""Send and receive (researcher), collect and publish (coordinator), through the team's store.

Work runs on the database worker; the services' progress messages come back through a
:class:`ProgressRelay` (a queued signal), so the window stays responsive while a bundle is
encrypted and uploaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number, ngettext
from fieldapp.services import sync
from fieldapp.services.merging import BundleResult
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.language import refresh_message, set_message
from fieldapp.ui.tasks import ProgressRelay
from fieldapp.ui.team.common import (
    BAD,
    GOOD,
    WARN,
    TeamState,
    entity_label,
    status_label,
)

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

STATUS_COLOURS = {"merged": GOOD, "quarantined": WARN, "held": WARN, "rejected": BAD}


def _table(name: str, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setObjectName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(True)
    return table


def _item(text: str, colour: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if colour:
        from PySide6.QtGui import QColor

        item.setForeground(QColor(colour))
    return item


def bundle_details(b: BundleResult) -> str:
    parts = []
    if b.applied:
        parts.append(ngettext("{n} change applied", "{n} changes applied", b.applied).format(
            n=format_number(b.applied)))
    if b.reason:
        parts.append(b.reason)
    if b.rejected_ops:
        parts.append(ngettext("{n} change refused (not this device's to make)",
                              "{n} changes refused (not this device's to make)",
                              b.rejected_ops).format(n=format_number(b.rejected_ops)))
    if b.erased:
        parts.append(ngettext("{n} record erased", "{n} records erased", b.erased).format(
            n=format_number(b.erased)))
    if b.gap:
        parts.append(_("changes #{a}–#{b} from this device are missing; they should arrive "
                       "with its next bundle").format(a=b.gap[0], b=b.gap[1]))
    if b.future_clocks:
        parts.append(ngettext("{n} change carries a date in the future: check that device's "
                              "clock", "{n} changes carry a date in the future: check that "
                              "device's clock", b.future_clocks).format(n=b.future_clocks))
    return "; ".join(parts)


class SyncPanel(QWidget):
    #: the user asked to set up or join a team (the team page is shown)
    setup_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("sync_panel")
        self.state = TeamState()
        self.pending: dict[str, int] | None = None
        self.report: sync.CollectReport | None = None
        self.busy = False
        self.relay = ProgressRelay(self)

        self.no_team = QLabel()
        self.no_team.setObjectName("sync_no_team")
        self.no_team.setWordWrap(True)
        self.no_team.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setup_button = QPushButton()
        self.setup_button.setObjectName("sync_setup")
        self.setup_button.setIcon(style.icon("team"))

        # Researcher: what will be sent, send, receive.
        self.send_box = QGroupBox()
        self.send_box.setObjectName("send_box")
        self.pending_label = QLabel()
        self.pending_table = _table("pending_table", 2)
        self.pending_table.setMaximumHeight(180)
        self.check_button = QPushButton()
        self.check_button.setObjectName("check_pending")
        self.send_button = QPushButton()
        self.send_button.setObjectName("send")
        self.export_button = QPushButton()
        self.export_button.setObjectName("export_bundle")
        self.receive_button = QPushButton()
        self.receive_button.setObjectName("receive")
        row = QHBoxLayout()
        for b in (self.check_button, self.send_button, self.receive_button, self.export_button):
            row.addWidget(b)
        row.addStretch(1)
        box = QVBoxLayout(self.send_box)
        box.addWidget(self.pending_label)
        box.addWidget(self.pending_table)
        box.addLayout(row)

        # Coordinator: collect, publish.
        self.collect_box = QGroupBox()
        self.collect_box.setObjectName("collect_box")
        self.collect_button = QPushButton()
        self.collect_button.setObjectName("collect")
        self.publish_button = QPushButton()
        self.publish_button.setObjectName("publish")
        self.import_button = QPushButton()
        self.import_button.setObjectName("import_bundle")
        row = QHBoxLayout()
        for b in (self.collect_button, self.publish_button, self.import_button):
            row.addWidget(b)
        row.addStretch(1)
        box = QVBoxLayout(self.collect_box)
        box.addLayout(row)

        # Either role: progress, the outcome, and each bundle's result.
        self.progress = QProgressBar()
        self.progress.setObjectName("sync_progress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("sync_status")
        self.status.setWordWrap(True)
        self.bundles_label = QLabel()
        self.bundles = _table("bundle_table", 4)
        header = self.bundles.horizontalHeader()
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)

        layout = QVBoxLayout(self)
        layout.addWidget(self.no_team)
        layout.addWidget(self.setup_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.send_box)
        layout.addWidget(self.collect_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.bundles_label)
        layout.addWidget(self.bundles, 1)
        # Outside a team the offer stays together at the top (the bundle list, when shown,
        # takes the room: its stretch wins over this spacer's).
        self.no_team.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addStretch(0)

        self.relay.message.connect(self.status.setText)
        self.setup_button.clicked.connect(self.setup_requested)
        self.check_button.clicked.connect(self.check_pending)
        self.send_button.clicked.connect(self.send)
        self.receive_button.clicked.connect(self.receive)
        self.export_button.clicked.connect(self.export_file)
        self.collect_button.clicked.connect(lambda: self.collect(False))
        self.publish_button.clicked.connect(self.publish)
        self.import_button.clicked.connect(self.import_file)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()
        self.set_state(self.state)

    def retranslate_ui(self) -> None:
        self.no_team.setText(_("This workspace is not part of a team yet. Create a team "
                               "(coordinator) or join one (researcher) first."))
        self.setup_button.setText(_("Set up or join a team…"))
        self.send_box.setTitle(_("Send to the coordinators"))
        self.check_button.setText(_("Check again"))
        self.send_button.setText(_("&Send to team store"))
        self.send_button.setToolTip(_("Encrypt every change the coordinators do not have yet "
                                      "and put it in the team's shared store"))
        self.receive_button.setText(_("Receive from coor&dinators"))
        self.receive_button.setToolTip(_("Get the newest team roster, shared records and "
                                         "consent withdrawals from the shared store"))
        self.export_button.setText(_("Save to a folder…"))
        self.export_button.setToolTip(_("Write the bundle to a folder or USB stick to carry "
                                        "by hand, when the shared store cannot be reached"))
        self.collect_box.setTitle(_("Collect from researchers"))
        self.collect_button.setText(_("&Collect"))
        self.collect_button.setToolTip(_("Verify and merge every new bundle in the shared "
                                         "store"))
        self.publish_button.setText(_("&Publish to team"))
        self.publish_button.setToolTip(_("Send shared records, resolved conflicts and consent "
                                         "withdrawals to every researcher"))
        self.import_button.setText(_("Import a bundle file…"))
        self.pending_table.setHorizontalHeaderLabels([_("Record type"), _("Changes")])
        self.pending_table.setAccessibleName(_("Changes not yet sent"))
        self.bundles.setHorizontalHeaderLabels([_("Result"), _("From"), _("Bundle"),
                                                _("Details")])
        self.bundles.setAccessibleName(_("Bundles"))
        self.bundles_label.setText(_("Bundles:"))
        self._show_pending()
        refresh_message(self.status)
        self._show_report()

    # -- state ---------------------------------------------------------------------------

    def set_state(self, state: TeamState) -> None:
        self.state = state
        in_team = bool(state.role)
        self.no_team.setVisible(not in_team)
        self.setup_button.setVisible(not in_team)
        self.send_box.setVisible(state.is_researcher)
        self.collect_box.setVisible(state.is_coordinator)
        self._fill_bundles()  # names from the newest roster
        self._enable()

    def clear(self) -> None:
        self.pending = None
        self.report = None
        self.status.clear()
        self.set_state(TeamState())
        self._show_pending()
        self._show_report()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.state.is_researcher and self.pending is None and not self.busy:
            self.check_pending()

    def _enable(self) -> None:
        idle = not self.busy
        for b in (self.check_button, self.send_button, self.receive_button, self.export_button,
                  self.collect_button, self.publish_button, self.import_button):
            b.setEnabled(idle)
        self.progress.setVisible(self.busy)

    def _run(self, work: Callable[[Workspace], Any], done: Callable[[Any], None],
             starting: str) -> None:
        """Run ``work`` on the worker with the panel busy; failures are shown in the panel."""
        self.busy = True
        set_message(self.status, starting)
        self._enable()

        def finished(result: Any) -> None:
            self.busy = False
            self._enable()
            done(result)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._enable()
            set_message(self.status, lambda: error_text(exc), BAD)

        self.ctx.tasks.run(work, finished, failed)

    # -- researcher ----------------------------------------------------------------------

    def check_pending(self) -> None:
        self._run(sync.pending, self._pending_loaded, _("Asking the shared store what the "
                                                        "coordinators already have…"))

    def _pending_loaded(self, counts: dict[str, int]) -> None:
        self.pending = counts
        self.status.clear()
        self._show_pending()

    def _show_pending(self) -> None:
        counts = self.pending or {}
        self.pending_table.setRowCount(len(counts))
        for row, (entity, n) in enumerate(sorted(counts.items(), key=lambda kv: -kv[1])):
            self.pending_table.setItem(row, 0, _item(entity_label(entity)))
            self.pending_table.setItem(row, 1, _item(format_number(n)))
        total = sum(counts.values())
        if self.pending is None:
            self.pending_label.setText(_("Press “Check again” to see what the coordinators do "
                                         "not have yet."))
        elif total:
            self.pending_label.setText(ngettext(
                "{n} change is not yet with the coordinators:",
                "{n} changes are not yet with the coordinators:", total).format(
                n=format_number(total)))
        else:
            self.pending_label.setText(_("The coordinators have every change made here."))

    def send(self) -> None:
        relay = self.relay
        self._run(lambda ws: sync.send(ws, progress=relay.callback), self._sent,
                  _("Sending…"))

    def _sent(self, result: sync.SendResult) -> None:
        if not result.sent:
            set_message(self.status, lambda: _("Nothing to send: the coordinators have everything."))
        else:
            set_message(self.status, lambda: ngettext(
                "Sent {n} change (#{first}–#{last}) and {att} attachments to the team store.",
                "Sent {n} changes (#{first}–#{last}) and {att} attachments to the team store.",
                result.ops).format(n=format_number(result.ops), first=result.seq_range[0],
                                   last=result.seq_range[1], att=result.attachments), GOOD)
        self.pending = {}
        self._show_pending()

    def receive(self) -> None:
        relay = self.relay
        self._run(lambda ws: sync.receive(ws, progress=relay.callback), self._received,
                  _("Receiving…"))

    def _received(self, report: sync.CollectReport) -> None:
        self._take_report(report)
        if not self.state.enrolled and not report.bundles:
            set_message(self.status, lambda: _("Not enrolled yet: the coordinator has not approved "
                                       "this device. Try again after they have."), WARN)
        elif not report.count("merged"):
            set_message(self.status, lambda: _("Nothing new from the coordinators."))
        self.ctx.data.changed.emit("*")

    def export_file(self) -> None:
        folder = self.ctx.interaction.choose_folder(self, _("Save the bundle to a folder"))
        if folder is None:
            return
        self._run(lambda ws: sync.export_bundle_file(ws, folder), self._exported,
                  _("Encrypting…"))

    def _exported(self, path: Path) -> None:
        set_message(self.status, lambda: _("Saved {name}. Give the file to your coordinator; it is "
                                   "encrypted and signed.").format(name=path.name), GOOD)

    # -- coordinator ---------------------------------------------------------------------

    def collect(self, confirmed: bool = False) -> None:
        relay = self.relay

        def work(ws: Workspace) -> sync.CollectReport:
            return sync.collect(ws, confirm_mass_delete=confirmed, progress=relay.callback)

        self._run(work, self._collected, _("Collecting…"))

    def _collected(self, report: sync.CollectReport) -> None:
        self._take_report(report)
        if any(b.status in ("merged", "quarantined") for b in report.bundles):
            self.ctx.data.changed.emit("*")
        held = [b for b in report.bundles if b.status == "held"]
        if held and self.ctx.interaction.confirm(
                self, _("Merge a bundle that deletes most of the data?"),
                "\n\n".join(f"{self.state.who(b.author)}: {b.reason}" for b in held)
                + "\n\n" + _("Merge only if the researcher really meant to delete these "
                             "records. Otherwise ask them first; the bundle stays in the "
                             "store."),
                ok=_("Merge and delete"), destructive=True):
            self.collect(True)

    def publish(self) -> None:
        relay = self.relay
        self._run(lambda ws: sync.publish(ws, progress=relay.callback), self._published,
                  _("Publishing…"))

    def _published(self, result: sync.SendResult) -> None:
        if result.sent:
            set_message(self.status, lambda: ngettext(
                "Published {n} change to the team.", "Published {n} changes to the team.",
                result.ops).format(n=format_number(result.ops)), GOOD)
        else:
            set_message(self.status, lambda: _("Nothing to publish yet."))

    def import_file(self) -> None:
        path = self.ctx.interaction.open_file(self, _("Import a bundle file"),
                                              _("fieldapp bundles (*.fab)"))
        if path is None:
            return

        def work(ws: Workspace) -> sync.CollectReport:
            return sync.CollectReport([sync.import_bundle_file(ws, path)])

        self._run(work, self._collected, _("Verifying…"))

    # -- results -------------------------------------------------------------------------

    def _take_report(self, report: sync.CollectReport) -> None:
        self.report = report
        self._show_report()

    def _show_report(self) -> None:
        self._fill_bundles()
        self._summarise()

    def _fill_bundles(self) -> None:
        bundles = self.report.bundles if self.report else []
        self.bundles.setRowCount(len(bundles))
        for row, b in enumerate(bundles):
            colour = STATUS_COLOURS.get(b.status, "")
            self.bundles.setItem(row, 0, _item(status_label(b.status), colour))
            # A refused bundle has no verified author; its folder in the store names the device.
            parts = b.name.split("/")
            author = b.author or (parts[1] if len(parts) == 3 else "")
            self.bundles.setItem(row, 1, _item(self.state.who(author) if author else ""))
            self.bundles.setItem(row, 2, _item(b.name.rsplit("/", 1)[-1]))
            self.bundles.setItem(row, 3, _item(bundle_details(b)))
        self.bundles.resizeRowsToContents()
        self.bundles_label.setVisible(bool(bundles))
        self.bundles.setVisible(bool(bundles))

    def _summarise(self) -> None:
        if self.report is None or self.busy:
            return
        bundles = self.report.bundles
        counts = [(status, self.report.count(status)) for status in
                  ("merged", "duplicate", "rejected", "quarantined", "held")]
        summary = ", ".join(f"{status_label(s)}: {format_number(n)}" for s, n in counts if n)
        if not bundles:
            set_message(self.status, lambda: _("No bundles in the shared store."))
        else:
            bad = any(b.status in ("rejected", "held", "quarantined") for b in bundles)
            set_message(self.status, summary, WARN if bad else GOOD)
