"""Define the case attributes of participants and organisations (reached from the codebook,
since they are shared with the team the same way): a name used in analysis filters, what it
describes, its type, labels in both languages and, for a choice, its choices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.analysis.attributes import (
    APPLIES_LABELS,
    APPLIES_TO,
    TYPE_LABELS,
    TYPES,
    Attribute,
    parse_choices,
)
from fieldapp.i18n import _, format_number, ngettext
from fieldapp.services import case_attributes
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.language import refresh_message, set_message

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


class AttributesDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("attributes_dialog")
        self.setMinimumSize(760, 460)
        self.attributes: list[Attribute] = []
        self.list = QListWidget()
        self.list.setObjectName("attribute_list")
        self.name = QLineEdit()
        self.name.setObjectName("attribute_name")
        self.applies_to = QComboBox()
        self.applies_to.setObjectName("attribute_applies_to")
        self.type = QComboBox()
        self.type.setObjectName("attribute_type")
        self.label_zh = QLineEdit()
        self.label_zh.setObjectName("attribute_label_zh")
        self.label_en = QLineEdit()
        self.label_en.setObjectName("attribute_label_en")
        self.choices = QPlainTextEdit()
        self.choices.setObjectName("attribute_choices")
        self.choices.setTabChangesFocus(True)
        self.choices_hint = QLabel()
        self.choices_hint.setWordWrap(True)
        self.labels = {k: QLabel() for k in ("name", "applies_to", "type", "label_zh",
                                             "label_en", "choices")}
        form = QFormLayout()
        for key, widget in (("name", self.name), ("applies_to", self.applies_to),
                            ("type", self.type), ("label_zh", self.label_zh),
                            ("label_en", self.label_en), ("choices", self.choices)):
            self.labels[key].setBuddy(widget)
            form.addRow(self.labels[key], widget)
        form.addRow(self.choices_hint)
        self.new_button = QPushButton()
        self.new_button.setObjectName("new_attribute")
        self.save_button = QPushButton()
        self.save_button.setObjectName("save_attribute")
        self.save_button.setDefault(True)
        self.remove_button = QPushButton()
        self.remove_button.setObjectName("remove_attribute")
        self.status = QLabel()
        self.status.setObjectName("attributes_status")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(buttons)
        right.addWidget(self.status)
        right.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.list, 2)
        top.addLayout(right, 3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(close)
        self.list.currentRowChanged.connect(self._picked)
        self.type.currentIndexChanged.connect(lambda _i: self._type_changed())
        self.new_button.clicked.connect(self.new_attribute)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()
        self.reload()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Case attributes"))
        for key, text in (("name", _("&Name:")), ("applies_to", _("&Describes:")),
                          ("type", _("&Type:")), ("label_zh", _("Label (&Chinese):")),
                          ("label_en", _("Label (&English):")), ("choices", _("C&hoices:"))):
            self.labels[key].setText(text)
        self.name.setPlaceholderText(_("e.g. budget or 年度预算 (used in analysis filters)"))
        self.choices_hint.setText(_("One choice a line: value=中文标签|English label, for "
                                    "example registered=已登记|Registered."))
        for combo, items in ((self.applies_to, [(k, _(APPLIES_LABELS[k])) for k in APPLIES_TO]),
                             (self.type, [(k, _(TYPE_LABELS[k])) for k in TYPES])):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for key, text in items:
                combo.addItem(text, key)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)
        self.new_button.setText(_("&New"))
        self.save_button.setText(_("&Save attribute"))
        self.remove_button.setText(_("&Remove…"))
        self._fill_list()
        refresh_message(self.status)
        self._type_changed()

    def _type_changed(self) -> None:
        choice = self.type.currentData() == "choice"
        for w in (self.choices, self.labels["choices"], self.choices_hint):
            w.setVisible(choice)

    # -- list --------------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        self.ctx.tasks.run(lambda ws: case_attributes.list_attributes(ws),
                           lambda attrs: self._loaded(attrs, select),
                           lambda exc: set_message(self.status, lambda: error_text(exc)))

    def _loaded(self, attrs: list[Attribute], select: str | None) -> None:
        self.attributes = attrs
        self._fill_list()
        names = [a.name for a in attrs]
        if select in names:
            self.list.setCurrentRow(names.index(select))
        elif not attrs:
            self.new_attribute()

    def _fill_list(self) -> None:
        row = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        for a in self.attributes:
            item = QListWidgetItem(_("{label} — {type}, {applies}").format(
                label=a.label(), type=_(TYPE_LABELS[a.type]),
                applies=_(APPLIES_LABELS[a.applies_to])))
            item.setData(Qt.ItemDataRole.UserRole, a.name)
            self.list.addItem(item)
        self.list.setCurrentRow(row if row < self.list.count() else -1)
        self.list.blockSignals(False)

    def _picked(self, row: int) -> None:
        if not 0 <= row < len(self.attributes):
            return
        a = self.attributes[row]
        self.name.setText(a.name)
        self.name.setReadOnly(True)
        self.applies_to.setCurrentIndex(self.applies_to.findData(a.applies_to))
        self.type.setCurrentIndex(self.type.findData(a.type))
        self.label_zh.setText(a.label_zh)
        self.label_en.setText(a.label_en)
        self.choices.setPlainText("\n".join(f"{c.value}={c.label_zh}|{c.label_en}"
                                            for c in a.choices))
        self.remove_button.setEnabled(True)
        set_message(self.status, "")

    def new_attribute(self) -> None:
        self.list.setCurrentRow(-1)
        self.name.setReadOnly(False)
        for w in (self.name, self.label_zh, self.label_en):
            w.clear()
        self.choices.clear()
        self.remove_button.setEnabled(False)
        self.name.setFocus()

    # -- changes -----------------------------------------------------------------------------

    def save(self) -> None:
        name, applies_to, type_ = (self.name.text(), str(self.applies_to.currentData()),
                                   str(self.type.currentData()))
        zh, en, choices_text = self.label_zh.text(), self.label_en.text(), \
            self.choices.toPlainText()

        def work(ws: Workspace) -> Attribute:
            choices = parse_choices(choices_text) if type_ == "choice" else []
            return case_attributes.define(ws, name, applies_to, type_, label_zh=zh,
                                          label_en=en, choices=choices)

        self.ctx.tasks.run(work, self._saved, self._failed)

    def _saved(self, attr: Attribute) -> None:
        set_message(self.status, lambda: _("Saved {name}.").format(name=attr.name))
        self.ctx.data.changed.emit("attribute")
        self.reload(select=attr.name)

    def _failed(self, exc: BaseException) -> None:
        set_message(self.status, lambda: error_text(exc), "#b00020")

    def remove(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.attributes):
            return
        attr = self.attributes[row]
        if not self.ctx.interaction.confirm(
                self, _("Remove attribute"),
                _("Remove {name} and its values from every participant or organisation? It is "
                  "removed on every device after the next sync.").format(name=attr.label()),
                ok=_("Remove"), destructive=True):
            return

        def work(ws: Workspace) -> int:
            return case_attributes.remove(ws, attr.name)

        self.ctx.tasks.run(work, self._removed, self._failed)

    def _removed(self, n: int) -> None:
        set_message(self.status, lambda: ngettext(
            "Removed, with {n} value.", "Removed, with {n} values.", n).format(
            n=format_number(n)))
        self.ctx.data.changed.emit("attribute")
        self.new_attribute()
        self.reload()
