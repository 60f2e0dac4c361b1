"""Find identifiers in the open note: what the de-identification assistant found (kind, the
words, the proposed pseudonym), highlighted in the note's text, and two ways to use it:

- **Save a de-identified copy…** — a text file with the chosen identifiers replaced; the note
  is not changed;
- **Replace in the note…** — only after an explicit confirmation: the note's own text is
  changed (and this device's codings move with it). Cancelling changes nothing.

Everything runs on this computer (:mod:`fieldapp.analysis.deidentify`, jieba's dictionary
ships with it); nothing is sent anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.analysis.deidentify import Finding
from fieldapp.i18n import N_, _, format_number, ngettext
from fieldapp.services import analysis, pseudonymise
from fieldapp.ui import textpos
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text

if TYPE_CHECKING:
    from pathlib import Path

    from fieldapp.store.workspace import Workspace

KIND_LABELS = {
    "id_number": N_("resident ID number"), "credit_code": N_("unified social credit code"),
    "mobile": N_("mobile number"), "landline": N_("phone number"), "wechat": N_("WeChat ID"),
    "email": N_("e-mail address"), "participant": N_("participant's name"),
    "organisation": N_("organisation's name"), "possible_person": N_("possible person's name"),
    "possible_place": N_("possible place name"),
}
CERTAIN_COLOUR, POSSIBLE_COLOUR = "#f5b041", "#aed6f1"


class DeidentifyDialog(QDialog):
    """The identifiers of one saved note. ``note_changed`` reports that the note itself was
    changed (after the confirmation), so the editor shows the new text."""

    note_changed = Signal(str)

    def __init__(self, ctx: AppContext, note_id: str, name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.note_id = note_id
        self.name = name
        self.setObjectName("deidentify_dialog")
        self.body = ""
        self.findings: list[Finding] = []
        self.summary = QLabel()
        self.summary.setObjectName("deid_summary")
        self.summary.setWordWrap(True)
        self.possible = QCheckBox()
        self.possible.setObjectName("deid_possible_names")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("deid_findings")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("deid_preview")
        self.preview.setReadOnly(True)
        self.local = QLabel()
        self.local.setWordWrap(True)
        self.copy_button = QPushButton()
        self.copy_button.setObjectName("deid_save_copy")
        self.apply_button = QPushButton()
        self.apply_button.setObjectName("deid_apply_to_note")
        self.close_button = QPushButton()
        self.close_button.setObjectName("deid_close")
        self.close_button.setAutoDefault(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.apply_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.possible)
        layout.addWidget(split, 1)
        layout.addWidget(self.local)
        layout.addLayout(buttons)
        self.resize(960, 560)
        self.possible.toggled.connect(lambda _on: self.run())
        self.table.currentCellChanged.connect(lambda row, _c, _r, _p: self._show_row(row))
        self.table.itemChanged.connect(lambda _item: self._update_buttons())
        self.copy_button.clicked.connect(self.save_copy)
        self.apply_button.clicked.connect(self.apply_to_note)
        self.close_button.clicked.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.cleared.connect(self.reject)  # a lock leaves nothing on screen
        self.retranslate_ui()
        self.run()

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Find identifiers — {note}").format(note=self.name))
        self.possible.setText(_("Also suggest &person and place names (less certain)"))
        self.table.setHorizontalHeaderLabels([_("Replace"), _("Kind"), _("Found"),
                                              _("Replace with")])
        self.local.setText(_("Everything is checked on this computer; nothing is sent "
                             "anywhere. The note is changed only if you choose “Replace in "
                             "the note” and confirm."))
        self.copy_button.setText(_("&Save a de-identified copy…"))
        self.apply_button.setText(_("&Replace in the note…"))
        self.close_button.setText(_("Close"))
        self._fill()

    # -- finding ---------------------------------------------------------------------------

    def run(self) -> None:
        note_id, possible = self.note_id, self.possible.isChecked()

        def work(ws: Workspace) -> tuple[str, list[Finding]]:
            return analysis.deidentify(ws, note_id=note_id, possible_names=possible)

        self.ctx.tasks.run(work, self._loaded, self._failed)

    def _loaded(self, result: tuple[str, list[Finding]]) -> None:
        self.body, self.findings = result
        self.preview.setPlainText(self.body)
        self._fill()
        self._paint()

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(error_text(exc))

    def _fill(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.findings))
        for row, f in enumerate(self.findings):
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                           | Qt.ItemFlag.ItemIsSelectable)
            previous = self.table.item(row, 0)
            checked = (previous.checkState() if previous is not None
                       and previous.data(Qt.ItemDataRole.UserRole) == (f.start, f.end)
                       else Qt.CheckState.Checked if f.certain else Qt.CheckState.Unchecked)
            check.setCheckState(checked)
            check.setData(Qt.ItemDataRole.UserRole, (f.start, f.end))
            self.table.setItem(row, 0, check)
            self.table.setItem(row, 1, QTableWidgetItem(_(KIND_LABELS.get(f.kind, f.kind))))
            self.table.setItem(row, 2, QTableWidgetItem(f.text))
            self.table.setItem(row, 3, QTableWidgetItem(
                f.replacement if f.certain else _("{pseudonym} (suggestion)").format(
                    pseudonym=f.replacement)))
        self.table.blockSignals(False)
        n = len(self.findings)
        self.summary.setText(ngettext("{n} identifier found in {note}.",
                                      "{n} identifiers found in {note}.", n).format(
            n=format_number(n), note=self.name) if n else
            _("No identifiers found in {note}.").format(note=self.name))
        self._update_buttons()

    def _paint(self) -> None:
        selections = []
        for f in self.findings:
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(CERTAIN_COLOUR if f.certain else POSSIBLE_COLOUR))
            sel.format = fmt
            cur = QTextCursor(self.preview.document())
            cur.setPosition(textpos.to_qt(self.body, f.start))
            cur.setPosition(textpos.to_qt(self.body, f.end), QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cur
            selections.append(sel)
        self.preview.setExtraSelections(selections)

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(self.findings):
            f = self.findings[row]
            cur = QTextCursor(self.preview.document())
            cur.setPosition(textpos.to_qt(self.body, f.start))
            cur.setPosition(textpos.to_qt(self.body, f.end), QTextCursor.MoveMode.KeepAnchor)
            self.preview.setTextCursor(cur)
            self.preview.centerCursor()

    def chosen(self) -> list[Finding]:
        out = []
        for row, f in enumerate(self.findings):
            item = self.table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(f)
        return out

    def set_chosen(self, row: int, on: bool) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _update_buttons(self) -> None:
        some = bool(self.chosen())
        self.copy_button.setEnabled(bool(self.findings))
        self.apply_button.setEnabled(some)

    # -- using it --------------------------------------------------------------------------

    def save_copy(self) -> None:
        chosen = self.chosen()
        title = _("Save a de-identified copy")
        path = self.ctx.interaction.save_file(self, title, _("deidentified.txt"),
                                              _("Text files (*.txt)"))
        if path is None:
            return
        note_id = self.note_id
        target: Path = path

        def work(ws: Workspace) -> None:
            pseudonymise.write_copy(ws, note_id, chosen, target)

        self.ctx.tasks.run(work, lambda _r: self.ctx.interaction.info(
            self, title, ngettext(
                "Wrote a copy with {n} identifier replaced to {file}. The note is unchanged.",
                "Wrote a copy with {n} identifiers replaced to {file}. The note is unchanged.",
                len(chosen)).format(n=format_number(len(chosen)), file=target.name)),
            lambda exc: self.ctx.interaction.warn(self, title, error_text(exc)))

    def apply_to_note(self) -> None:
        chosen = self.chosen()
        if not chosen:
            return
        title = _("Replace in the note")
        if not self.ctx.interaction.confirm(
                self, title, ngettext(
                    "Replace {n} identifier in {note} itself? The original words cannot be "
                    "brought back. Your codings move with the text.",
                    "Replace {n} identifiers in {note} itself? The original words cannot be "
                    "brought back. Your codings move with the text.", len(chosen)).format(
                    n=format_number(len(chosen)), note=self.name),
                ok=_("Replace in the note"), destructive=True):
            return
        note_id = self.note_id

        def work(ws: Workspace) -> int:
            return pseudonymise.apply_to_note(ws, note_id, chosen)

        def done(n: Any) -> None:
            self.note_changed.emit(note_id)
            self.ctx.data.changed.emit("note")
            self.ctx.interaction.info(self, title, ngettext(
                "Replaced {n} identifier in the note.", "Replaced {n} identifiers in the note.",
                int(n)).format(n=format_number(int(n))))
            self.run()

        self.ctx.tasks.run(work, done,
                           lambda exc: self.ctx.interaction.warn(self, title, error_text(exc)))
