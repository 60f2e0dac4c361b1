"""Record consent: form version, language, method, scopes, witness, date."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.schema import CONSENT_SCOPES
from fieldapp.i18n import _
from fieldapp.services import records
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import choices, label

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


class ConsentDialog(QDialog):
    recorded = Signal(str)

    def __init__(self, ctx: AppContext, participant_id: str, participant_code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(480)
        self.ctx = ctx
        self.participant_id = participant_id
        self.participant_code = participant_code
        self.setObjectName("consent_dialog")
        self.form_version = QLineEdit("v1")
        self.form_version.setObjectName("field_form_version")
        self.language = QComboBox()
        self.language.setObjectName("field_language")
        self.method = QComboBox()
        self.method.setObjectName("field_method")
        self.date = QDateEdit(QDate.currentDate())
        self.date.setObjectName("field_date")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.witness = QLineEdit()
        self.witness.setObjectName("field_witness")
        self.scope_box = QGroupBox()
        scope_layout = QVBoxLayout(self.scope_box)
        self.scopes: dict[str, QCheckBox] = {}
        for scope in CONSENT_SCOPES:
            box = QCheckBox()
            box.setObjectName(f"scope_{scope}")
            self.scopes[scope] = box
            scope_layout.addWidget(box)
        self.labels = {n: QLabel() for n in ("form_version", "language", "method", "date",
                                              "witness")}
        form = QFormLayout()
        for name, widget in (("form_version", self.form_version), ("language", self.language),
                             ("method", self.method), ("date", self.date),
                             ("witness", self.witness)):
            self.labels[name].setBuddy(widget)
            form.addRow(self.labels[name], widget)
        self.intro = QLabel()
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.buttons, self.save_button = button_box(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.scope_box)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Record consent"))
        self.intro.setText(_("Consent of participant {code}").format(code=self.participant_code))
        for name, text in (("form_version", _("Form &version")), ("language", _("Form &language")),
                           ("method", _("&Method")), ("date", _("&Date")),
                           ("witness", _("&Witness"))):
            self.labels[name].setText(text)
            buddy = self.labels[name].buddy()
            if buddy is not None:
                buddy.setAccessibleName(text.replace("&", ""))
        for combo, vocabulary in ((self.language, "language"), (self.method, "consent_method")):
            current = combo.currentData()
            combo.clear()
            for value, text in choices(vocabulary):
                combo.addItem(text, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
        self.witness.setPlaceholderText(_("Name or role of the witness (oral consent)"))
        self.scope_box.setTitle(_("The participant agrees to"))
        for scope, box in self.scopes.items():
            box.setText(label("consent_scope", scope))

    def save(self) -> None:
        pid = self.participant_id
        d = self.date.date()
        when = date(d.year(), d.month(), d.day())
        values = {"form_version": self.form_version.text().strip(),
                  "language": self.language.currentData() or "",
                  "method": self.method.currentData() or "",
                  "witness": self.witness.text().strip()}
        scopes = [s for s, box in self.scopes.items() if box.isChecked()]

        def work(ws: Workspace) -> str:
            return records.record_consent(ws, pid, form_version=values["form_version"],
                                          language=values["language"], method=values["method"],
                                          date_given=when, scopes=scopes,
                                          witness=values["witness"])

        self.ctx.tasks.run(work, self._done, lambda exc: self.problem.setText(error_text(exc)))

    def _done(self, consent_id: str) -> None:
        self.accept()
        self.recorded.emit(consent_id)
