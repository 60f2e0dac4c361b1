"""Add a participant: a pseudonymous code, and identifying details kept apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, pick
from fieldapp.services import records
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

IDENTITY_FIELDS = ("real_name", "phone", "wechat", "email")


class ParticipantDialog(QDialog):
    created = Signal(str)

    def __init__(self, ctx: AppContext, organisations: list[dict[str, Any]],
                 suggested_code: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(480)
        self.ctx = ctx
        self.setObjectName("participant_dialog")
        self.fields: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout()
        for name in ("code", "role", "site", "sector"):
            self._add(form, name)
        self.fields["code"].setText(suggested_code)
        self.organisation = QComboBox()
        self.organisation.setObjectName("field_organisation")
        self.organisation.addItem("", "")
        for o in organisations:
            self.organisation.addItem(pick(o.get("name_zh"), o.get("name_en")), o["id"])
        self.labels["organisation"] = QLabel()
        self.labels["organisation"].setBuddy(self.organisation)
        form.addRow(self.labels["organisation"], self.organisation)
        self.identity_box = QGroupBox()
        identity_form = QFormLayout(self.identity_box)
        for name in IDENTITY_FIELDS:
            self._add(identity_form, name)
        self.identity_note = QLabel()
        self.identity_note.setWordWrap(True)
        identity_form.addRow(self.identity_note)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.buttons, self.save_button = button_box(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.identity_box)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def _add(self, form: QFormLayout, name: str) -> None:
        field = QLineEdit()
        field.setObjectName(f"field_{name}")
        label = QLabel()
        label.setBuddy(field)
        self.fields[name] = field
        self.labels[name] = label
        form.addRow(label, field)

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("New participant"))
        texts = {"code": _("&Code"), "role": _("&Role"), "site": _("&Site"),
                 "sector": _("S&ector"), "organisation": _("&Organisation"),
                 "real_name": _("Real &name"), "phone": _("&Phone"), "wechat": _("&WeChat"),
                 "email": _("E-&mail")}
        for name, text in texts.items():
            self.labels[name].setText(text)
            widget = self.fields.get(name) or self.organisation
            widget.setAccessibleName(text.replace("&", ""))
        self.fields["code"].setPlaceholderText(_("A pseudonym, e.g. KM-HIV-012"))
        self.identity_box.setTitle(_("Identifying details (optional)"))
        self.identity_note.setText(_("Kept apart from the research data, shown only on "
                                     "request, never exported for analysis."))

    def save(self) -> None:
        values = {k: f.text().strip() for k, f in self.fields.items()}
        identity = {k: values.pop(k) for k in IDENTITY_FIELDS if values.get(k)}
        for k in IDENTITY_FIELDS:
            values.pop(k, None)
        org = self.organisation.currentData() or None

        def work(ws: Workspace) -> str:
            return records.add_participant(ws, code=values["code"], role=values["role"],
                                           organisation_id=org, site=values["site"],
                                           sector=values["sector"], identity=identity or None)

        self.ctx.tasks.run(work, self._done, lambda exc: self.problem.setText(error_text(exc)))

    def _done(self, participant_id: str) -> None:
        for f in self.fields.values():
            f.clear()
        self.accept()
        self.created.emit(participant_id)
