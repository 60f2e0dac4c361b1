"""The organisation registry: Chinese and English names, type, credit code, site."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import N_, _, format_number, ngettext
from fieldapp.services import records, registry
from fieldapp.services.collation import sort_key
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog, show_dialog
from fieldapp.ui.dialogs.organisation import OrganisationDialog
from fieldapp.ui.empty_state import EmptyState
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import label
from fieldapp.ui.models.records import SORT_ROLE, RecordColumn, RecordTableModel
from fieldapp.ui.views.case_attributes import CaseAttributesBox

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

COLUMNS = (
    RecordColumn("name_zh", N_("Chinese name"), lambda r: r.get("name_zh") or "",
                 sort=lambda r: sort_key(r.get("name_zh") or r.get("name_en") or "",
                                         r.get("sort_key") or "")),
    RecordColumn("name_en", N_("English name"), lambda r: r.get("name_en") or ""),
    RecordColumn("kind", N_("Type"), lambda r: label("organisation_kind", r.get("kind"))),
    RecordColumn("site", N_("Site"), lambda r: label("site", r.get("site"))),
    RecordColumn("sector", N_("Sector"), lambda r: label("sector", r.get("sector"))),
    RecordColumn("credit_code", N_("Credit code"), lambda r: r.get("credit_code") or ""),
)


class OrganisationsView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("organisations_view")
        self.dialog: OrganisationDialog | None = None
        self.model = RecordTableModel(COLUMNS, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)  # pinyin for Chinese names, whatever the UI language
        self.table = QTableView()
        self.table.setObjectName("organisation_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count = QLabel()
        self.new_button = QPushButton()
        self.new_button.setObjectName("new_organisation")
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("edit_organisation")
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("delete_organisation")
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.attributes = CaseAttributesBox(ctx, "organisation", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addLayout(buttons)
        layout.addWidget(self.attributes)
        self.table.selectionModel().currentRowChanged.connect(
            lambda _c, _p: self.attributes.show_case((self.current() or {}).get("id")))
        self.new_button.clicked.connect(self.new_organisation)
        self.edit_button.clicked.connect(self.edit_organisation)
        self.delete_button.clicked.connect(self.delete_organisation)
        self.table.doubleClicked.connect(lambda _i: self.edit_organisation())
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self.new_button.setIcon(style.icon("add"))
        self.edit_button.setIcon(style.icon("edit"))
        self.delete_button.setIcon(style.icon("delete"))
        style.fit_header(self.table)
        self.empty = EmptyState(
            ctx, self.table, "organisations", icon="add",
            message=lambda: _("No organisations yet. Add the agencies, NGOs and groups your "
                              "participants work for."),
            action=lambda: _("New organisation…"), on_action=self.new_organisation)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.table.setAccessibleName(_("Organisations"))
        self.new_button.setText(_("New &organisation…"))
        self.edit_button.setText(_("C&hange…"))
        self.delete_button.setText(_("Re&move…"))
        self.model.retranslate()
        self._update_count()

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "organisation"):
            self.reload()
        elif entity == "vocabulary":  # sites and sectors got their names
            self.table.viewport().update()

    def reload(self) -> None:
        self.ctx.tasks.run(lambda ws: records.list_records(ws, "organisation"), self._loaded)

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        self.model.set_rows(rows)
        self._update_count()

    def clear(self) -> None:
        close_dialog(self.dialog)
        self.dialog = None
        self.model.clear()
        self._update_count()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count.setText(ngettext("{n} organisation", "{n} organisations", n).format(
            n=format_number(n)))

    def new_organisation(self) -> None:
        self.dialog = OrganisationDialog(self.ctx, self)
        self.dialog.created.connect(lambda _oid: self.ctx.data.changed.emit("organisation"))
        show_dialog(self.dialog)

    def current(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.record(self.proxy.mapToSource(index).row())

    def edit_organisation(self) -> None:
        organisation = self.current()
        if organisation is None:
            return
        self.dialog = OrganisationDialog(self.ctx, self, organisation=organisation)
        self.dialog.created.connect(lambda _oid: self.ctx.data.changed.emit("organisation"))
        show_dialog(self.dialog)

    def delete_organisation(self) -> None:
        organisation = self.current()
        if organisation is None:
            return
        name = " / ".join(n for n in (organisation.get("name_zh"), organisation.get("name_en"))
                          if n)
        if not self.ctx.interaction.confirm(
                self, _("Remove organisation"),
                _("Remove {name} from the registry? It is removed on every device after the "
                  "next sync.").format(name=name), ok=_("Remove"), destructive=True):
            return
        org_id = organisation["id"]

        def work(ws: Workspace) -> None:
            registry.delete_organisation(ws, org_id)

        self.ctx.tasks.run(work, lambda _r: self.ctx.data.changed.emit("organisation"),
                           lambda exc: self.ctx.interaction.warn(self, _("Remove organisation"),
                                                                 error_text(exc)))
