"""Add an organisation, warning about a likely duplicate as the names are typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.services import records, registry
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import choices

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

TEXT_FIELDS = ("name_zh", "name_en", "sort_key", "credit_code", "site", "sector")


class OrganisationDialog(QDialog):
    created = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 organisation: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        #: the organisation being changed, or None for a new one
        self.organisation = organisation
        self.setMinimumWidth(480)
        self.ctx = ctx
        self.setObjectName("organisation_dialog")
        self.fields = {n: QLineEdit() for n in TEXT_FIELDS}
        for name, f in self.fields.items():
            f.setObjectName(f"field_{name}")
        self.kind = QComboBox()
        self.kind.setObjectName("field_kind")
        self.labels = {n: QLabel() for n in (*TEXT_FIELDS, "kind")}
        form = QFormLayout()
        for name in ("name_zh", "sort_key", "name_en", "kind", "credit_code", "site", "sector"):
            widget = self.kind if name == "kind" else self.fields[name]
            self.labels[name].setBuddy(widget)
            form.addRow(self.labels[name], widget)
        self.duplicates: list[dict[str, Any]] = []
        self.warning = QLabel()
        self.warning.setObjectName("duplicate_warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a04000")
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.buttons, self.save_button = button_box(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.check_duplicates)
        for name in ("name_zh", "name_en", "credit_code"):
            self.fields[name].textChanged.connect(lambda _t: self.timer.start())
        if organisation:
            for name, field in self.fields.items():
                field.setText(organisation.get(name) or "")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Change organisation") if self.organisation
                            else _("New organisation"))
        for name, text in (("name_zh", _("Chinese name")),
                           ("sort_key", _("Sort as (pinyin)")),
                           ("name_en", _("English name")),
                           ("kind", _("Type")),
                           ("credit_code", _("Unified Social Credit Code")),
                           ("site", _("Site")), ("sector", _("Sector"))):
            self.labels[name].setText(text)
            buddy = self.labels[name].buddy()
            if buddy is not None:
                buddy.setAccessibleName(text)
        self.fields["credit_code"].setPlaceholderText(_("18 characters, if registered"))
        self.fields["sort_key"].setPlaceholderText(
            _("only if the name is read unusually, e.g. zeng for 曾"))
        current = self.kind.currentData() or (self.organisation or {}).get("kind")
        self.kind.clear()
        for value, text in choices("organisation_kind"):
            self.kind.addItem(text, value)
        self.kind.setCurrentIndex(max(0, self.kind.findData(current or "registered_ngo")))
        self._show_duplicates()

    def values(self) -> dict[str, str]:
        out = {n: f.text().strip() for n, f in self.fields.items()}
        out["kind"] = str(self.kind.currentData() or "other")
        return out

    def check_duplicates(self) -> None:
        v = self.values()
        if not (v["name_zh"] or v["name_en"] or v["credit_code"]):
            self.duplicates = []
            self._show_duplicates()
            return

        own = self.organisation["id"] if self.organisation else None

        def work(ws: Workspace) -> list[dict[str, Any]]:
            return records.likely_duplicates(ws, name_zh=v["name_zh"], name_en=v["name_en"],
                                             credit_code=v["credit_code"], exclude_id=own)

        self.ctx.tasks.run(work, self._found)

    def _found(self, rows: list[dict[str, Any]]) -> None:
        self.duplicates = rows
        self._show_duplicates()

    def _show_duplicates(self) -> None:
        if not self.duplicates:
            self.warning.clear()
            return
        names = "; ".join(" / ".join(n for n in (o.get("name_zh"), o.get("name_en")) if n)
                          for o in self.duplicates[:3])
        self.warning.setText(_("This may already be in the registry: {names}. Check before "
                               "adding it again (a Traditional spelling, a suffix such as 协会 or "
                               "中心, or the same credit code).").format(names=names))

    def save(self) -> None:
        v = self.values()

        organisation = self.organisation

        def work(ws: Workspace) -> str:
            if organisation is not None:
                registry.update_organisation(ws, organisation["id"], **v)
                return str(organisation["id"])
            return records.add_organisation(ws, **v)

        self.ctx.tasks.run(work, self._done, lambda exc: self.problem.setText(error_text(exc)))

    def _done(self, org_id: str) -> None:
        self.accept()
        self.created.emit(org_id)
