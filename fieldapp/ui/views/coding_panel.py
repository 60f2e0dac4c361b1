"""Beside the notes: the codebook to apply from, and the codings of the note in view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.ui.context import AppContext
from fieldapp.ui.models.codebook import ID_ROLE, CodebookModel, swatch
from fieldapp.ui.views.coding_comment import CodingComment


class CodingPanel(QWidget):
    apply_requested = Signal(str, bool)     # code id, may quote
    remove_requested = Signal(str)          # coding id
    coding_activated = Signal(int, int)     # start, end (code points)

    def __init__(self, ctx: AppContext, codebook: CodebookModel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.codebook = codebook
        self.setObjectName("coding_panel")
        #: the current offsets of a coding (by id), when the note knows better than the list
        self.current_span: Callable[[str], tuple[int, int] | None] | None = None
        self.codes_label = QLabel()
        self.tree = QTreeView()
        self.tree.setObjectName("code_tree")
        self.tree.setModel(codebook)
        self.tree.setHeaderHidden(True)
        self.codes_label.setBuddy(self.tree)
        self.may_quote = QCheckBox()
        self.may_quote.setObjectName("may_quote")
        self.apply = QPushButton()
        self.apply.setObjectName("apply_code")
        self.list_label = QLabel()
        self.codings = QListWidget()
        self.codings.setObjectName("codings")
        self.list_label.setBuddy(self.codings)
        self.remove = QPushButton()
        self.remove.setObjectName("remove_coding")
        row = QHBoxLayout()
        row.addWidget(self.may_quote)
        row.addWidget(self.apply)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.codes_label)
        layout.addWidget(self.tree, 2)
        layout.addLayout(row)
        layout.addWidget(self.list_label)
        layout.addWidget(self.codings, 1)
        self.comment = CodingComment(ctx)  # the selected coding's comment, saved as typed
        layout.addWidget(self.comment)
        layout.addWidget(self.remove)
        self.apply.clicked.connect(self.request_apply)
        self.tree.doubleClicked.connect(lambda _i: self.request_apply())
        self.remove.clicked.connect(self._remove)
        self.codings.itemActivated.connect(self._activated)
        self.codings.itemClicked.connect(self._activated)
        self.codings.currentItemChanged.connect(lambda item, _p: self.comment.show_coding(
            item.data(Qt.ItemDataRole.UserRole) if item is not None else None))
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.codes_label.setText(_("Co&debook"))
        self.tree.setAccessibleName(_("Codebook"))
        self.may_quote.setText(_("May &quote"))
        self.may_quote.setToolTip(_("The participant allowed this passage to be quoted"))
        self.apply.setText(_("&Apply code"))
        self.apply.setToolTip(_("Code the selected passage with the selected code (Ctrl+K)"))
        self.list_label.setText(_("Codings in this note"))
        self.codings.setAccessibleName(_("Codings in this note"))
        self.remove.setText(_("Remove coding"))

    def selected_code(self) -> str | None:
        index: QModelIndex = self.tree.currentIndex()
        if not index.isValid():
            return None
        value = index.data(ID_ROLE)
        return str(value) if value else None

    def select_code(self, code_id: str) -> None:
        for row in range(self.codebook.rowCount()):
            stack = [self.codebook.item(row)]
            while stack:
                item = stack.pop()
                if item.data(ID_ROLE) == code_id:
                    self.tree.setCurrentIndex(item.index())
                    return
                stack.extend(item.child(i) for i in range(item.rowCount()))

    def request_apply(self) -> None:
        code_id = self.selected_code()
        if code_id:
            self.apply_requested.emit(code_id, self.may_quote.isChecked())

    def show_codings(self, codings: list[dict[str, Any]], text: str) -> None:
        # The comment being edited stays as it is if its coding is still listed.
        shown = self.comment.coding["id"] if self.comment.coding else None
        self.codings.blockSignals(True)
        self.codings.clear()
        colours = self.codebook.colours()
        for c in codings:
            passage = text[c["start_offset"]:c["end_offset"]].replace("\n", " ")
            if len(passage) > 40:
                passage = passage[:40] + "…"
            name = self.codebook.name(c["code_id"])
            item = QListWidgetItem(
                _("{code} (may quote): {passage}").format(code=name, passage=passage)
                if c.get("may_quote") else _("{code}: {passage}").format(code=name, passage=passage))
            item.setData(Qt.ItemDataRole.UserRole, c)
            item.setData(Qt.ItemDataRole.DecorationRole, swatch(colours.get(c["code_id"], "")))
            self.codings.addItem(item)
            if c["id"] == shown:
                self.codings.setCurrentItem(item)
        self.codings.blockSignals(False)
        if shown is not None and self.codings.currentItem() is None:
            self.comment.show_coding(None)

    def _remove(self) -> None:
        item = self.codings.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(Qt.ItemDataRole.UserRole)["id"])

    def _activated(self, item: QListWidgetItem) -> None:
        c = item.data(Qt.ItemDataRole.UserRole)
        # Offsets as the note holds them now: typing above a passage moves it after the
        # list was filled (the list is not rebuilt for that).
        span = self.current_span(c["id"]) if self.current_span else None
        self.coding_activated.emit(*(span or (c["start_offset"], c["end_offset"])))
