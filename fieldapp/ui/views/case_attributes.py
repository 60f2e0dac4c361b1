"""Case attributes of one participant or organisation, with an editor for each attribute's
type: a line of text, a number box, a date box, or a list of choices (in the interface's
language). Saved together with **Save attributes**, so a number half typed is never stored;
a value that does not fit is refused with the service's message and nothing changes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from fieldapp.analysis.attributes import Attribute
from fieldapp.i18n import _, format_number, ngettext
from fieldapp.services import case_attributes
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.language import refresh_message, set_message

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

#: the number box's lowest value stands for "no value" (shown as —)
NUMBER_EMPTY = -1e15
DATE_EMPTY = QDate(1900, 1, 1)


def _editor(attr: Attribute, value: Any) -> QWidget:
    if attr.type == "number":
        box = QDoubleSpinBox()
        box.setRange(NUMBER_EMPTY, 1e15)
        box.setDecimals(2)
        box.setGroupSeparatorShown(True)
        box.setSpecialValueText("—")
        box.setValue(float(value) if isinstance(value, (int, float)) else NUMBER_EMPTY)
        return box
    if attr.type == "date":
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(DATE_EMPTY)
        edit.setSpecialValueText("—")
        try:
            day = date.fromisoformat(str(value)) if value else None
        except ValueError:
            day = None
        edit.setDate(QDate(day.year, day.month, day.day) if day else DATE_EMPTY)
        return edit
    if attr.type == "choice":
        combo = QComboBox()
        combo.addItem("—", None)
        for c in attr.choices:
            combo.addItem(c.label(), c.value)
        found = combo.findData(value)
        combo.setCurrentIndex(found if found >= 0 else 0)
        return combo
    line = QLineEdit()
    line.setText(str(value or ""))
    return line


def editor_value(attr: Attribute, widget: QWidget) -> Any:
    """What an editor holds, typed (None: no value)."""
    if isinstance(widget, QDoubleSpinBox):
        return None if widget.value() <= NUMBER_EMPTY else widget.value()
    if isinstance(widget, QDateEdit):
        day = widget.date()
        return None if day <= DATE_EMPTY else day.toString("yyyy-MM-dd")
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, QLineEdit):
        return widget.text()
    return None


class CaseAttributesBox(QGroupBox):
    """The attributes of the participant or organisation shown beside it."""

    def __init__(self, ctx: AppContext, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.kind = ctx, kind
        self.setObjectName(f"{kind}_attributes")
        self.case_id: str | None = None
        self.attributes: list[Attribute] = []
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.initial: dict[str, Any] = {}
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName(f"{kind}_attributes_status")
        self.status.setWordWrap(True)
        self.save_button = QPushButton()
        self.save_button.setObjectName(f"save_{kind}_attributes")
        self.save_button.clicked.connect(self.save)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.status, 1)
        self.form.addRow(self.empty)
        self.form.addRow(row)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self.retranslate_ui()
        self._rebuild([])

    def retranslate_ui(self) -> None:
        self.setTitle(_("Case attributes"))
        self.save_button.setText(_("Save a&ttributes"))
        self.empty.setText(_("No attributes are defined for participants yet: define them "
                             "with Case attributes… in the codebook.") if self.kind == "participant"
                           else _("No attributes are defined for organisations yet: define "
                                  "them with Case attributes… in the codebook."))
        for attr in self.attributes:
            if attr.id in self.labels:
                self.labels[attr.id].setText(_("{label}:").format(label=attr.label()))
            editor = self.editors.get(attr.id)
            if isinstance(editor, QComboBox):
                for i, c in enumerate(attr.choices, start=1):
                    editor.setItemText(i, c.label())
        refresh_message(self.status)

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "attribute") and self.case_id:
            self.show_case(self.case_id)

    def clear(self) -> None:
        self.case_id = None
        self._rebuild([])
        set_message(self.status, "")

    def show_case(self, case_id: str | None) -> None:
        self.case_id = case_id
        set_message(self.status, "")
        if not case_id:
            self._rebuild([])
            return
        kind = self.kind

        def work(ws: Workspace) -> tuple[str, list[tuple[Attribute, Any]]]:
            return case_id, case_attributes.case_form(ws, kind, case_id)

        self.ctx.tasks.run(work, self._loaded, lambda exc: set_message(
            self.status, lambda: error_text(exc)))

    def _loaded(self, done: tuple[str, list[tuple[Attribute, Any]]]) -> None:
        case_id, form = done
        if case_id == self.case_id:
            self._rebuild(form)

    def _rebuild(self, form: list[tuple[Attribute, Any]]) -> None:
        while self.form.rowCount() > 2:
            self.form.removeRow(0)
        self.attributes = [a for a, _v in form]
        self.editors, self.labels = {}, {}
        # what each editor showed when loaded: only editors changed since are saved, so a
        # value no editor can show (a choice since dropped elsewhere) is never cleared by it
        self.initial = {}
        for i, (attr, value) in enumerate(form):
            editor = _editor(attr, value)
            editor.setObjectName(f"attribute_{attr.name}")
            editor.setMinimumWidth(260)
            label = QLabel(_("{label}:").format(label=attr.label()))
            label.setBuddy(editor)
            self.form.insertRow(i, label, editor)
            self.editors[attr.id], self.labels[attr.id] = editor, label
            self.initial[attr.id] = editor_value(attr, editor)
        self.empty.setVisible(not form)
        self.save_button.setVisible(bool(form))
        self.save_button.setEnabled(bool(form) and self.case_id is not None)

    def values(self) -> dict[str, Any]:
        """The values changed in the editors since they were loaded."""
        out = {}
        for a in self.attributes:
            value = editor_value(a, self.editors[a.id])
            if value != self.initial.get(a.id):
                out[a.name] = value
        return out

    def save(self) -> None:
        case_id = self.case_id
        if not case_id or not self.attributes:
            return
        values = self.values()

        def work(ws: Workspace) -> int:
            return case_attributes.set_values(ws, case_id, values)

        self.ctx.tasks.run(work, self._saved, self._failed)

    def _saved(self, n: int) -> None:
        for a in self.attributes:
            self.initial[a.id] = editor_value(a, self.editors[a.id])
        set_message(self.status, lambda: ngettext("Saved ({n} change).", "Saved ({n} changes).",
                                                  n).format(n=format_number(n)))
        self.ctx.data.changed.emit("attribute_value")

    def _failed(self, exc: BaseException) -> None:
        set_message(self.status, lambda: error_text(exc), "#b00020")
