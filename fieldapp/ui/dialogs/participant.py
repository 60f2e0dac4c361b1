"""Add or change a participant: a pseudonymous code, and identifying details kept apart.

When a participant is changed, their identifying details stay hidden until the researcher asks
to change them too; they can be changed only on the device that recorded them (an owned
record), and the dialog says so elsewhere."""

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
from fieldapp.services import records, registry
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

IDENTITY_FIELDS = ("real_name", "phone", "wechat", "email")


class ParticipantDialog(QDialog):
    created = Signal(str)

    def __init__(self, ctx: AppContext, organisations: list[dict[str, Any]],
                 suggested_code: str = "", parent: QWidget | None = None, *,
                 participant: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        #: the participant being changed, or None for a new one
        self.participant = participant
        #: whether this device may change the identifying details (known once they are loaded)
        self.identity_editable = True
        self.identity_loaded = False
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
        self.identity_note.setObjectName("identity_note")
        self.identity_note.setWordWrap(True)
        identity_form.addRow(self.identity_note)
        if participant is not None:
            for name in ("code", "role", "site", "sector"):
                self.fields[name].setText(participant.get(name) or "")
            self.organisation.setCurrentIndex(
                max(0, self.organisation.findData(participant.get("organisation_id") or "")))
            # Identifying details only on request: the box is unchecked, its fields empty.
            self.identity_box.setObjectName("identity_box")
            self.identity_box.setCheckable(True)
            self.identity_box.setChecked(False)
            self.identity_box.toggled.connect(self._identity_toggled)
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
        self.setWindowTitle(_("Change participant") if self.participant
                            else _("New participant"))
        texts = {"code": _("&Code"), "role": _("&Role"), "site": _("&Site"),
                 "sector": _("S&ector"), "organisation": _("&Organisation"),
                 "real_name": _("Real &name"), "phone": _("&Phone"), "wechat": _("&WeChat"),
                 "email": _("E-&mail")}
        for name, text in texts.items():
            self.labels[name].setText(text)
            widget = self.fields.get(name) or self.organisation
            widget.setAccessibleName(text.replace("&", ""))
        self.fields["code"].setPlaceholderText(_("A pseudonym, e.g. KM-HIV-012"))
        self._show_identity_note()

    def _show_identity_note(self) -> None:
        if self.participant is None:
            self.identity_box.setTitle(_("Identifying details (optional)"))
        else:
            self.identity_box.setTitle(_("Change identifying details"))
        if not self.identity_editable:
            self.identity_note.setText(_("These identifying details were recorded on another "
                                         "researcher's device: only that device can change "
                                         "them. They are shown here but cannot be changed."))
        else:
            self.identity_note.setText(_("Kept apart from the research data, shown only on "
                                         "request, never exported for analysis."))

    def _identity_toggled(self, shown: bool) -> None:
        self.identity_loaded = False
        if not shown or self.participant is None:
            for name in IDENTITY_FIELDS:
                self.fields[name].clear()
            return
        pid = self.participant["id"]
        self.ctx.tasks.run(lambda ws: registry.identity_editable(ws, pid), self._identity_loaded,
                           lambda exc: self.problem.setText(error_text(exc)))

    def _identity_loaded(self, result: tuple[dict[str, Any] | None, bool]) -> None:
        identity, editable = result
        self.identity_editable = editable
        self.identity_loaded = self.identity_box.isChecked()
        for name in IDENTITY_FIELDS:
            self.fields[name].setText((identity or {}).get(name) or "")
            self.fields[name].setReadOnly(not editable)
        self._show_identity_note()

    def save(self) -> None:
        values = {k: f.text().strip() for k, f in self.fields.items()}
        identity = {k: values.pop(k) for k in IDENTITY_FIELDS if values.get(k)}
        for k in IDENTITY_FIELDS:
            values.pop(k, None)
        org = self.organisation.currentData() or None
        participant = self.participant
        if participant is not None:
            changed = None
            if self.identity_loaded and self.identity_editable:
                changed = {k: self.fields[k].text().strip() for k in IDENTITY_FIELDS}

            def change(ws: Workspace) -> str:
                registry.update_participant(ws, participant["id"], identity=changed,
                                            organisation_id=org, **values)
                return str(participant["id"])

            self.ctx.tasks.run(change, self._done,
                               lambda exc: self.problem.setText(error_text(exc)))
            return

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
