"""Start a response: which instrument (version), and whom it is about, from the registry."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget

from fieldapp.i18n import _, pick
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.labels import label


class NewResponseDialog(QDialog):
    """Reports the choice through :attr:`chosen` (instrument id, link fields) on OK."""

    chosen = Signal(str, dict)

    def __init__(self, instruments: list[dict[str, Any]], organisations: list[dict[str, Any]],
                 participants: list[dict[str, Any]], sites: list[str],
                 current_instrument: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("new_response_dialog")
        self.setMinimumWidth(460)
        self.instruments, self.organisations = instruments, organisations
        self.participants = participants
        self.instrument = QComboBox()
        self.instrument.setObjectName("field_instrument")
        self.participant = QComboBox()
        self.participant.setObjectName("field_participant")
        self.organisation = QComboBox()
        self.organisation.setObjectName("field_organisation")
        self.site = QComboBox()
        self.site.setObjectName("field_site")
        self.site.setEditable(True)
        self.labels = {n: QLabel() for n in ("instrument", "participant", "organisation", "site")}
        form = QFormLayout()
        for name, widget in (("instrument", self.instrument), ("participant", self.participant),
                             ("organisation", self.organisation), ("site", self.site)):
            self.labels[name].setBuddy(widget)
            form.addRow(self.labels[name], widget)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.buttons, self.ok_button = button_box()
        self.ok_button.setObjectName("start_response")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.participant.currentIndexChanged.connect(self._participant_changed)
        self._fill(sites, current_instrument)
        self.retranslate_ui()

    def _fill(self, sites: list[str], current: str | None) -> None:
        for inst in self.instruments:
            self.instrument.addItem("", inst["id"])
        newest: dict[str, int] = {}
        for i, inst in enumerate(self.instruments):
            newest[inst["form_id"]] = i  # listed by form id, then version
        chosen = next((i for i, inst in enumerate(self.instruments) if inst["id"] == current),
                      max(newest.values(), default=0))
        self.instrument.setCurrentIndex(chosen)
        self.participant.addItem("", "")
        for p in self.participants:
            self.participant.addItem(p.get("code") or p["id"], p["id"])
        self.organisation.addItem("", "")
        for o in self.organisations:
            self.organisation.addItem("", o["id"])
        self.site.addItem("", "")
        for code in sites:
            self.site.addItem(label("site", code), code)
        self.ok_button.setEnabled(bool(self.instruments))

    def _participant_changed(self) -> None:
        """A participant's organisation and site are the likely ones for the response."""
        pid = self.participant.currentData()
        person = next((p for p in self.participants if p["id"] == pid), None)
        if person is None:
            return
        if person.get("organisation_id"):
            row = self.organisation.findData(person["organisation_id"])
            if row >= 0:
                self.organisation.setCurrentIndex(row)
        if person.get("site") and not self.site.currentText():
            row = self.site.findData(person["site"])
            if row >= 0:
                self.site.setCurrentIndex(row)
            else:
                self.site.setCurrentText(person["site"])

    def _accept(self) -> None:
        iid = self.instrument.currentData()
        if not iid:
            return
        self.chosen.emit(str(iid), {
            "participant_id": self.participant.currentData() or None,
            "organisation_id": self.organisation.currentData() or None,
            "site": self._site(),
        })
        self.accept()

    def _site(self) -> str:
        """The code of the site shown, or what was typed (a site the study does not list)."""
        text = self.site.currentText().strip()
        row = self.site.currentIndex()
        if row >= 0 and self.site.itemText(row) == text and self.site.itemData(row):
            return str(self.site.itemData(row))
        return text

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("New survey response"))
        self.labels["instrument"].setText(_("&Instrument:"))
        self.labels["participant"].setText(_("&Participant:"))
        self.labels["organisation"].setText(_("&Organisation:"))
        self.labels["site"].setText(_("&Site:"))
        self.ok_button.setText(_("Start answering"))
        for i, inst in enumerate(self.instruments):
            title = pick(inst.get("title_zh"), inst.get("title_en")) or inst["form_id"]
            self.instrument.setItemText(i, _("{title} — version {version}").format(
                title=title, version=inst.get("version") or "-"))
        self.participant.setItemText(0, _("(none)"))
        self.organisation.setItemText(0, _("(none)"))
        for i, o in enumerate(self.organisations, start=1):
            self.organisation.setItemText(i, pick(o.get("name_zh"), o.get("name_en")) or o["id"])
        self.note.setText(_("Link the response to a participant or an organisation from the "
                            "registry, or to neither for an anonymous questionnaire.")
                          if self.instruments else
                          _("Import an instrument (an XLSForm) first."))
