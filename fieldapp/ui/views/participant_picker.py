"""Who took part in an interview: the chosen participants at a glance, and a search field to add
one (by code, role or organisation, in either script), instead of a checkbox list of everyone.

A study has hundreds of participants; an interview has one to five. The chosen ones are shown as
a short list with a remove button; typing in the field offers the matching participants
(substring, case-insensitive, Traditional/Simplified and full-width folded) and Enter or a click
adds the highlighted one.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.services.collation import to_simplified


def _fold(text: str) -> str:
    """What typing is matched on: full-width folded (NFKC), case-insensitive, and Traditional
    characters read as Simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text).casefold())


class ParticipantPicker(QWidget):
    """The chosen participants of an interview, and a field to add more."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("participant_picker")
        self._all: dict[str, dict[str, Any]] = {}
        self._chosen: list[str] = []
        self._labels: list[str] = []
        self.list = QListWidget()
        self.list.setObjectName("chosen_participants")
        self.list.setMaximumHeight(84)
        self.search = QLineEdit()
        self.search.setObjectName("participant_search")
        self.search.setClearButtonEnabled(True)
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.search.setCompleter(self.completer)
        self.remove = QPushButton()
        self.remove.setObjectName("remove_participant")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.search, 1)
        row.addWidget(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.completer.activated.connect(self._add_label)
        self.search.returnPressed.connect(lambda: self.add_matching(self.search.text()))
        self.remove.clicked.connect(self.remove_selected)
        self.list.currentRowChanged.connect(lambda _r: self._update())
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.search.setPlaceholderText(_("Add a participant: type a code, role or organisation"))
        self.list.setAccessibleName(_("Participants of this interview"))
        self.remove.setText(_("Remove from interview"))
        self._show()

    # -- contents ------------------------------------------------------------------------

    def set_participants(self, participants: list[dict[str, Any]], chosen: list[str]) -> None:
        """Everyone who can be chosen (with ``code``, ``role``, ``organisation`` shown, and
        ``also_known_as``: more text to match, such as the organisation's other name) and the
        ids chosen for this interview, in their order."""
        self._all = {str(p["id"]): p for p in participants}
        self._chosen = [pid for pid in chosen if pid]
        self._show()

    def clear(self) -> None:
        self.set_participants([], [])

    def chosen(self) -> list[str]:
        return list(self._chosen)

    def describe(self, pid: str) -> str:
        p = self._all.get(pid)
        if p is None:
            return _("(removed participant)")
        parts = [str(p.get("code") or "")]
        for key in ("role", "organisation"):
            if p.get(key):
                parts.append(str(p[key]))
        return " · ".join(parts)

    # -- editing -------------------------------------------------------------------------

    def add(self, pid: str) -> None:
        if pid in self._all and pid not in self._chosen:
            self._chosen.append(pid)
            self._show()
            self.changed.emit()
        self.search.clear()

    def add_matching(self, text: str) -> bool:
        """Add the one participant ``text`` matches (the highlighted suggestion, or the only
        match); say nothing and add nothing when it matches several or none."""
        needle = _fold(text.strip())
        if not needle:
            return False
        matches = [pid for pid in self._all if pid not in self._chosen
                   and needle in _fold(self.describe(pid) + " "
                                       + str(self._all[pid].get("also_known_as") or ""))]
        exact = [pid for pid in matches if _fold(str(self._all[pid].get("code") or "")) == needle]
        pick = exact or matches
        if len(pick) != 1:
            return False
        self.add(pick[0])
        return True

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._chosen):
            del self._chosen[row]
            self._show()
            self.changed.emit()

    def _add_label(self, text: str) -> None:
        for pid in self._all:
            if self.describe(pid) == text:
                self.add(pid)
                return

    def _show(self) -> None:
        self.list.clear()
        for pid in self._chosen:
            item = QListWidgetItem(self.describe(pid))
            item.setData(Qt.ItemDataRole.UserRole, pid)
            self.list.addItem(item)
        if not self._chosen:
            empty = QListWidgetItem(_("Nobody yet: add the people interviewed below."))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(empty)
        self.model.setStringList([self.describe(pid) for pid in self._all
                                  if pid not in self._chosen])
        self._update()

    def _update(self) -> None:
        self.remove.setEnabled(0 <= self.list.currentRow() < len(self._chosen))
