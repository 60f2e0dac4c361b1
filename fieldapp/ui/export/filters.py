"""The "Which records" part of the export dialog: a date range and ticked lists of values."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, current_language
from fieldapp.services.export import Filters
from fieldapp.ui.export.choices import Choice, FilterChoices
from fieldapp.ui.export.widgets import ChoiceList
from fieldapp.ui.labels import choices as vocabulary

#: the filters made of ticked values, in the order shown
LISTS = ("sites", "sectors", "researchers", "instruments", "statuses", "interview_statuses")


class FiltersBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filters")
        self.choices = FilterChoices()
        self.use_from, self.use_to = QCheckBox(), QCheckBox()
        self.use_from.setObjectName("use_date_from")
        self.use_to.setObjectName("use_date_to")
        self.date_from, self.date_to = QDateEdit(), QDateEdit()
        today = QDate.currentDate()
        self.date_from.setDate(today.addMonths(-3))
        self.date_to.setDate(today)
        for check, edit, name in ((self.use_from, self.date_from, "date_from"),
                                  (self.use_to, self.date_to, "date_to")):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
        dates = QHBoxLayout()
        for w in (self.use_from, self.date_from, self.use_to, self.date_to):
            dates.addWidget(w)
        dates.addStretch(1)
        self.date_label = QLabel()
        self.lists = {name: ChoiceList(name) for name in LISTS}
        self.labels = {name: QLabel() for name in LISTS}
        self.hint = QLabel()
        self.hint.setObjectName("filters_hint")
        self.hint.setWordWrap(True)
        box = QVBoxLayout(self)
        box.addWidget(self.hint)
        form = QFormLayout()
        box.addLayout(form)
        box.addStretch(1)
        form.addRow(self.date_label, dates)
        for name in LISTS:
            self.labels[name].setBuddy(self.lists[name])
            form.addRow(self.labels[name], self.lists[name])

    def order(self) -> list[QWidget]:
        """The widgets in tab order."""
        return [self.use_from, self.date_from, self.use_to, self.date_to,
                *(self.lists[name] for name in LISTS)]

    def set_choices(self, choices: FilterChoices) -> None:
        self.choices = choices
        self._fill()

    def retranslate_ui(self) -> None:
        self.setTitle(_("Which records"))
        self.hint.setText(_("Tick nothing in a list to include everything. Withdrawn "
                            "participants are never exported."))
        self.date_label.setText(_("Dates"))
        self.use_from.setText(_("From"))
        self.use_to.setText(_("To"))
        self.use_from.setAccessibleName(_("Only from this date"))
        self.use_to.setAccessibleName(_("Only up to this date"))
        self.date_from.setAccessibleName(_("First date"))
        self.date_to.setAccessibleName(_("Last date"))
        self.date_label.setToolTip(_("Interview dates, and the date a survey response was "
                                     "completed (started, for drafts)"))
        for name, text in (("sites", _("Sites")), ("sectors", _("Sectors")),
                           ("researchers", _("Researchers")),
                           ("instruments", _("Survey forms")),
                           ("statuses", _("Survey status")),
                           ("interview_statuses", _("Interview status"))):
            self.labels[name].setText(text)
            self.lists[name].setAccessibleName(text)
        self._fill()

    def _fill(self) -> None:
        lang = current_language()

        def labelled(items: list[Choice]) -> list[tuple[str, str]]:
            return [(c.value, c.label(lang)) for c in items]

        self.lists["sites"].set_items(labelled(self.choices.sites))
        self.lists["sectors"].set_items(labelled(self.choices.sectors))
        self.lists["researchers"].set_items(labelled(self.choices.researchers))
        self.lists["instruments"].set_items(labelled(self.choices.instruments))
        self.lists["statuses"].set_items(vocabulary("response_status"))
        self.lists["interview_statuses"].set_items(vocabulary("interview_status"))

    def filters(self) -> Filters:
        def day(check: QCheckBox, edit: QDateEdit) -> date | None:
            value = edit.date().toPython()
            return value if check.isChecked() and isinstance(value, date) else None

        return Filters(
            date_from=day(self.use_from, self.date_from), date_to=day(self.use_to, self.date_to),
            sites=self.lists["sites"].ticked(), sectors=self.lists["sectors"].ticked(),
            researchers=self.lists["researchers"].ticked(),
            instruments=self.lists["instruments"].ticked(),
            statuses=self.lists["statuses"].ticked(),
            interview_statuses=self.lists["interview_statuses"].ticked())
