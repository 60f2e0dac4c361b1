"""The comment on a coding, edited in the coding panel under the list of codings.

The researcher's note on why a passage got its code (REFI-QDA carries it as the coded
selection's description; the codings sheet of an export has it in "Comment"). It saves itself
through :mod:`fieldapp.ui.autosave` like a note, and only the coding's author can change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from fieldapp.i18n import _
from fieldapp.services import records
from fieldapp.store.errors import StorageUnavailable
from fieldapp.ui.autosave import Autosaver, SaveJob
from fieldapp.ui.context import AppContext

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


class CodingComment(QWidget):
    saved = Signal(str)  # coding id

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("coding_comment")
        self.coding: dict[str, Any] | None = None
        self._sent = ""
        #: comments saved here since the codings were read (the views hold copies of the
        #: coding records read before; only this device changes its codings)
        self._latest: dict[str, str] = {}
        self.label = QLabel()
        self.edit = QLineEdit()
        self.edit.setObjectName("coding_comment_edit")
        self.label.setBuddy(self.edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.edit, 1)
        self.autosave = Autosaver(ctx, self, self._save_job)
        self.edit.textEdited.connect(lambda _t: self.autosave.changed())
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.cleared.connect(self._forget)
        self.show_coding(None)

    def _forget(self) -> None:
        self.show_coding(None)
        self._latest = {}

    def retranslate_ui(self) -> None:
        self.label.setText(_("Comment:"))
        self.edit.setAccessibleName(_("Comment on this coding"))
        self.edit.setPlaceholderText(_("Why this passage has this code (saved as you type)")
                                     if self.coding else _("Choose a coding to comment on it."))

    def show_coding(self, coding: dict[str, Any] | None) -> None:
        """Edit the comment of ``coding`` (a record of the coding table), or of none."""
        self.autosave.flush()
        self.autosave.cancel()
        self.coding = coding
        self._sent = str((coding or {}).get("comment") or "")
        if coding is not None:
            self._sent = self._latest.get(str(coding["id"]), self._sent)
        self.edit.setText(self._sent)
        self.edit.setEnabled(coding is not None)
        self.retranslate_ui()

    def _save_job(self) -> SaveJob | None:
        coding = self.coding
        text = self.edit.text()
        if coding is None or text == self._sent:
            return None
        coding_id = str(coding["id"])

        def work(ws: Workspace) -> str:
            records.update(ws, "coding", coding_id, {"comment": text})
            return coding_id

        previous = self._sent
        self._sent = text

        def done(_cid: str) -> None:
            self._latest[coding_id] = text
            self.saved.emit(coding_id)

        def failed(exc: BaseException) -> None:
            if self.coding is coding:
                self._sent = previous
            if not isinstance(exc, StorageUnavailable):
                self.ctx.interaction.error(self, exc)

        return SaveJob(work, done, failed)
