"""An interview's details (code, date, site, participants …), saved as they are typed
(:mod:`fieldapp.ui.autosave`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from fieldapp.domain.vocabulary import canonical
from fieldapp.i18n import _, pick
from fieldapp.services import records
from fieldapp.ui.autosave import Autosaver, SaveJob
from fieldapp.ui.context import AppContext
from fieldapp.ui.labels import choices, label
from fieldapp.ui.views.participant_picker import ParticipantPicker

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

TEXT_FIELDS = ("code", "title", "interviewer", "place")
CHOICE_FIELDS = {"language": "language", "mode": "interview_mode", "status": "interview_status"}
FREE_CHOICE_FIELDS = ("site", "sector")


class InterviewDetails(QWidget):
    #: (interview id, the values saved)
    saved = Signal(str, dict)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("interview_details")
        self.interview_id: str | None = None
        self._loading = False
        self._last: dict[str, Any] = {}
        self.widgets: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name in ("code", "title", "date", "site", "sector", "organisation_id",
                     "participant_ids", "interviewer", "place", "language", "mode", "status"):
            widget: QWidget
            if name in TEXT_FIELDS:
                line = QLineEdit()
                line.textEdited.connect(self._changed)
                widget = line
            elif name == "date":
                edit = QDateEdit()
                edit.setCalendarPopup(True)
                edit.setDisplayFormat("yyyy-MM-dd")
                edit.dateChanged.connect(self._changed)
                widget = edit
            elif name == "participant_ids":
                picker = ParticipantPicker()
                picker.changed.connect(self._changed)
                widget = picker
            else:
                combo = QComboBox()
                combo.setEditable(name in FREE_CHOICE_FIELDS)
                combo.currentIndexChanged.connect(self._changed)
                if combo.isEditable():
                    line_edit = combo.lineEdit()
                    if line_edit is not None:
                        line_edit.textEdited.connect(self._changed)
                widget = combo
            widget.setObjectName(f"field_{name}")
            label = QLabel()
            label.setBuddy(widget)
            self.widgets[name] = widget
            self.labels[name] = label
            form.addRow(label, widget)
        self.autosave = Autosaver(ctx, self, self._save_job)
        self.setEnabled(False)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        names = {
            "code": _("&Code"), "title": _("&Title"), "date": _("&Date"), "site": _("&Site"),
            "sector": _("S&ector"), "organisation_id": _("&Organisation"),
            "participant_ids": _("&Participants"), "interviewer": _("Inter&viewer"),
            "place": _("P&lace"), "language": _("Lan&guage"), "mode": _("&Mode"),
            "status": _("St&atus"),
        }
        for name, text in names.items():
            self.labels[name].setText(text)
            self.widgets[name].setAccessibleName(text.replace("&", ""))
        self._code_widget().setPlaceholderText(_("e.g. KM-HIV-012"))
        self._picker().retranslate_ui()
        self._fill_choices()
        self._relabel_places()

    def _picker(self) -> ParticipantPicker:
        w = self.widgets["participant_ids"]
        assert isinstance(w, ParticipantPicker)
        return w

    def _relabel_places(self) -> None:
        """Sites and sectors show their names in the current language; the code is kept."""
        for name in FREE_CHOICE_FIELDS:
            combo = self.widgets[name]
            assert isinstance(combo, QComboBox)
            for i in range(combo.count()):
                code = combo.itemData(i)
                if code:
                    combo.setItemText(i, label(name, str(code)))

    def _code_widget(self) -> QLineEdit:
        w = self.widgets["code"]
        assert isinstance(w, QLineEdit)
        return w

    def _fill_choices(self) -> None:
        was = self._loading
        self._loading = True
        for name, vocabulary in CHOICE_FIELDS.items():
            combo = self.widgets[name]
            assert isinstance(combo, QComboBox)
            current = combo.currentData()
            combo.clear()
            combo.addItem("", "")
            for value, text in choices(vocabulary):
                combo.addItem(text, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
        self._loading = was

    # -- loading -------------------------------------------------------------------------

    def load(self, interview: dict[str, Any], organisations: list[dict[str, Any]],
             participants: list[dict[str, Any]], sites: list[str], sectors: list[str]) -> None:
        self.autosave.flush()  # what was typed into the interview shown until now
        self.autosave.cancel()
        self._loading = True
        self.interview_id = interview["id"]
        for name in TEXT_FIELDS:
            w = self.widgets[name]
            assert isinstance(w, QLineEdit)
            w.setText(interview.get(name) or "")
        date_edit = self.widgets["date"]
        assert isinstance(date_edit, QDateEdit)
        when = interview.get("date")
        date_edit.setDate(QDate.fromString(when, "yyyy-MM-dd") if when else QDate.currentDate())
        for name, values in (("site", sites), ("sector", sectors)):
            combo = self.widgets[name]
            assert isinstance(combo, QComboBox)
            combo.clear()
            combo.addItem("", "")
            for code in sorted({*values, interview.get(name) or ""} - {""}):
                combo.addItem(label(name, code), code)
            combo.setCurrentIndex(max(0, combo.findData(interview.get(name) or "")))
        org = self.widgets["organisation_id"]
        assert isinstance(org, QComboBox)
        org.clear()
        org.addItem("", "")
        for o in organisations:
            org.addItem(pick(o.get("name_zh"), o.get("name_en")), o["id"])
        org.setCurrentIndex(max(0, org.findData(interview.get("organisation_id") or "")))
        orgs = {o["id"]: o for o in organisations}

        def described(p: dict[str, Any]) -> dict[str, Any]:
            org = orgs.get(p.get("organisation_id") or "") or {}
            return {**p, "organisation": pick(org.get("name_zh"), org.get("name_en")),
                    "also_known_as": f"{org.get('name_zh') or ''} {org.get('name_en') or ''}"}

        self._picker().set_participants([described(p) for p in participants],
                                        list(interview.get("participant_ids") or []))
        for name in CHOICE_FIELDS:
            combo = self.widgets[name]
            assert isinstance(combo, QComboBox)
            value = canonical(CHOICE_FIELDS[name], interview.get(name))
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self._last = self.values()
        self._loading = False
        self.setEnabled(True)

    def clear(self) -> None:
        self.autosave.cancel()
        self._loading = True
        self.interview_id = None
        for w in self.widgets.values():
            if isinstance(w, QLineEdit):
                w.clear()
            elif isinstance(w, QComboBox) and w.isEditable():
                w.clear()
            elif isinstance(w, ParticipantPicker):
                w.clear()
        org = self.widgets["organisation_id"]
        assert isinstance(org, QComboBox)
        org.clear()
        self._loading = False
        self.setEnabled(False)

    # -- saving --------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            w = self.widgets[name]
            assert isinstance(w, QLineEdit)
            out[name] = w.text().strip()
        date_edit = self.widgets["date"]
        assert isinstance(date_edit, QDateEdit)
        d = date_edit.date()
        out["date"] = date(d.year(), d.month(), d.day()).isoformat()
        for name in FREE_CHOICE_FIELDS:
            combo = self.widgets[name]
            assert isinstance(combo, QComboBox)
            text = combo.currentText().strip()
            index = combo.currentIndex()
            # The name shown stands for its code; anything else typed is a new code.
            chosen = combo.itemData(index) if index >= 0 and combo.itemText(index) == text else None
            out[name] = str(chosen) if chosen else text
        for name in ("organisation_id", *CHOICE_FIELDS):
            combo = self.widgets[name]
            assert isinstance(combo, QComboBox)
            out[name] = combo.currentData() or None
        out["participant_ids"] = self._picker().chosen()
        return out

    def _changed(self, *_args: object) -> None:
        if not self._loading and self.interview_id is not None:
            self.autosave.changed()

    def save_now(self) -> None:
        self.autosave.save_now()

    def _save_job(self) -> SaveJob | None:
        if self.interview_id is None:
            return None
        values = self.values()
        changes = {k: v for k, v in values.items() if self._last.get(k) != v}
        if not changes:
            return None
        interview_id = self.interview_id
        self._last = values

        def work(ws: Workspace) -> None:
            records.update(ws, "interview", interview_id, changes)

        return SaveJob(work, lambda _r: self.saved.emit(interview_id, changes),
                       lambda exc: self._failed(exc, interview_id, changes))

    def _failed(self, exc: BaseException, interview_id: str, changes: dict[str, Any]) -> None:
        if interview_id == self.interview_id:
            for key in changes:
                self._last.pop(key, None)  # so the next change saves them again
        self.ctx.interaction.error(self, exc)
