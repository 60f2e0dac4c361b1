"""Add or change a code: names and definitions in both languages, a colour, a parent (where it
sits in the tree)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import N_, _
from fieldapp.services import records, registry
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import button_box
from fieldapp.ui.interaction import error_text
from fieldapp.ui.models.codebook import CodebookModel, swatch

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

COLOURS = (("#e67e22", N_("Orange")), ("#2e86c1", N_("Blue")), ("#27ae60", N_("Green")),
           ("#8e44ad", N_("Purple")), ("#c0392b", N_("Red")), ("#f1c40f", N_("Yellow")),
           ("#16a085", N_("Teal")), ("#7f8c8d", N_("Grey")))


class CodeDialog(QDialog):
    created = Signal(str)

    def __init__(self, ctx: AppContext, codebook: CodebookModel, parent_id: str | None = None,
                 parent: QWidget | None = None, *, code: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        #: the code being changed, or None for a new one
        self.code = code
        self.setMinimumWidth(480)
        self.ctx = ctx
        self.setObjectName("code_dialog")
        self.name_zh = QLineEdit()
        self.name_zh.setObjectName("field_name_zh")
        self.name_en = QLineEdit()
        self.name_en.setObjectName("field_name_en")
        self.definition_zh = QPlainTextEdit()
        self.definition_zh.setTabChangesFocus(True)
        self.definition_zh.setMaximumHeight(70)
        self.definition_en = QPlainTextEdit()
        self.definition_en.setTabChangesFocus(True)
        self.definition_en.setMaximumHeight(70)
        self.colour = QComboBox()
        for c, _name in COLOURS:
            self.colour.addItem(swatch(c), "", c)
        self.colour.setCurrentIndex(len(codebook.codes) % len(COLOURS))
        self.parent_code = QComboBox()
        self.parent_code.addItem("", "")
        below = codebook.descendants(code["id"]) if code else set()
        for cid in codebook.codes:
            if cid not in below:  # a code cannot sit below itself or its own sub-codes
                self.parent_code.addItem(codebook.name(cid), cid)
        if code:
            parent_id = code.get("parent_id")
            self.name_zh.setText(code.get("name_zh") or "")
            self.name_en.setText(code.get("name_en") or "")
            self.definition_zh.setPlainText(code.get("definition_zh") or "")
            self.definition_en.setPlainText(code.get("definition_en") or "")
            self.colour.setCurrentIndex(max(0, self.colour.findData(code.get("colour"))))
        self.parent_code.setCurrentIndex(max(0, self.parent_code.findData(parent_id or "")))
        self.labels = {n: QLabel() for n in ("name_zh", "name_en", "definition_zh",
                                              "definition_en", "colour", "parent")}
        form = QFormLayout()
        for name, widget in (("name_zh", self.name_zh), ("name_en", self.name_en),
                             ("definition_zh", self.definition_zh),
                             ("definition_en", self.definition_en), ("colour", self.colour),
                             ("parent", self.parent_code)):
            self.labels[name].setBuddy(widget)
            form.addRow(self.labels[name], widget)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.buttons, self.save_button = button_box(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Change code") if self.code else _("New code"))
        for name, text in (("name_zh", _("Chinese name")), ("name_en", _("English name")),
                           ("definition_zh", _("Definition (Chinese)")),
                           ("definition_en", _("Definition (English)")), ("colour", _("Colour")),
                           ("parent", _("Under"))):
            self.labels[name].setText(text)
            buddy = self.labels[name].buddy()
            if buddy is not None:
                buddy.setAccessibleName(text)
        self.parent_code.setItemText(0, _("(top level)"))
        for i, (_c, name) in enumerate(COLOURS):
            self.colour.setItemText(i, _(name))

    def save(self) -> None:
        values = {"name_zh": self.name_zh.text().strip(), "name_en": self.name_en.text().strip(),
                  "definition_zh": self.definition_zh.toPlainText().strip(),
                  "definition_en": self.definition_en.toPlainText().strip(),
                  "colour": str(self.colour.currentData())}
        parent_id = self.parent_code.currentData() or None

        code = self.code

        def work(ws: Workspace) -> str:
            if code is not None:
                registry.update_code(ws, code["id"], **values, parent_id=parent_id)
                return str(code["id"])
            return records.add_code(ws, name_zh=values["name_zh"], name_en=values["name_en"],
                                    definition_zh=values["definition_zh"],
                                    definition_en=values["definition_en"],
                                    colour=values["colour"], parent_id=parent_id)

        self.ctx.tasks.run(work, self._done, lambda exc: self.problem.setText(error_text(exc)))

    def _done(self, code_id: str) -> None:
        self.accept()
        self.created.emit(code_id)
