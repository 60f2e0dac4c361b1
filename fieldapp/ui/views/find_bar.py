"""Find inside the open note: a bar below the note (Ctrl+F), every match highlighted, the
current one selected, "3 of 12" beside the field. Enter or F3 goes to the next match,
Shift+Enter or Shift+F3 to the previous one, Esc closes the bar. Matching folds like the
workspace search (:mod:`fieldapp.services.textfind`): Traditional and Simplified Chinese,
full-width and half-width, upper and lower case.

This is separate from the workspace search (Ctrl+Shift+F), which looks through every note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

from fieldapp.i18n import _, format_number
from fieldapp.services.textfind import find_all

if TYPE_CHECKING:
    from fieldapp.ui.views.note_editor import NoteEditor

#: At most this many matches are highlighted (all are counted and reachable).
MAX_HIGHLIGHTS = 2000
MATCH_COLOUR = QColor(255, 200, 0, 110)
CURRENT_COLOUR = QColor(255, 140, 0, 200)


class FindField(QLineEdit):
    """The query: Enter / Shift+Enter step through the matches, Esc closes the bar."""

    def __init__(self, bar: FindBar) -> None:
        super().__init__(bar)
        self.bar = bar

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.bar.previous()
            else:
                self.bar.next()
            return
        if key == Qt.Key.Key_Escape:
            self.bar.close_bar()
            return
        super().keyPressEvent(event)


class FindBar(QWidget):
    def __init__(self, note: NoteEditor) -> None:
        super().__init__(note)
        self.note = note
        self.setObjectName("find_bar")
        self.label = QLabel()
        self.query = FindField(self)
        self.query.setObjectName("find_query")
        self.query.setClearButtonEnabled(True)
        self.label.setBuddy(self.query)
        self.count = QLabel()
        self.count.setObjectName("find_count")
        self.count.setMinimumWidth(90)
        self.prev_button = QToolButton()
        self.prev_button.setObjectName("find_previous")
        self.prev_button.setArrowType(Qt.ArrowType.UpArrow)
        self.next_button = QToolButton()
        self.next_button.setObjectName("find_next")
        self.next_button.setArrowType(Qt.ArrowType.DownArrow)
        self.close_button = QToolButton()
        self.close_button.setObjectName("find_close")
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        row.addWidget(self.label)
        row.addWidget(self.query, 1)
        row.addWidget(self.count)
        row.addWidget(self.prev_button)
        row.addWidget(self.next_button)
        row.addWidget(self.close_button)
        self.matches: list[tuple[int, int]] = []  # code points in the note's text
        self.current = -1
        self._revision = -1
        self._searched = ""
        self.query.textEdited.connect(lambda _t: self.search())
        self.prev_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.close_button.clicked.connect(self.close_bar)
        # F3 / Shift+F3 work in the note and in the field while the bar is open.
        self.shortcuts = []
        for key, slot in (("F3", self.next), ("Shift+F3", self.previous)):
            shortcut = QShortcut(QKeySequence(key), note)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self.shortcuts.append(shortcut)
        self.retranslate_ui()
        self.hide()

    def retranslate_ui(self) -> None:
        self.label.setText(_("Find in note:"))
        self.query.setPlaceholderText(_("Words in this note"))
        self.query.setAccessibleName(_("Find in this note"))
        self.prev_button.setToolTip(_("Previous match (Shift+F3)"))
        self.next_button.setToolTip(_("Next match (F3)"))
        self.close_button.setToolTip(_("Close (Esc)"))
        self._show_count()

    # -- opening and closing -------------------------------------------------------------

    def open_bar(self) -> None:
        """Show the bar with the selected words (if a short selection) as the query."""
        selected = self.note.edit.textCursor().selectedText()
        if selected and len(selected) <= 100 and "\u2029" not in selected:
            self.query.setText(selected)
        self.show()
        self.query.setFocus()
        self.query.selectAll()
        self.search()

    def close_bar(self) -> None:
        self.reset()
        self.note.repaint_highlights()
        self.note.edit.setFocus()

    def reset(self) -> None:
        """Hidden, no matches (the note was closed or the workspace locked)."""
        self.hide()
        self.matches = []
        self.current = -1
        self._searched = ""
        self.note.find_selections = []

    # -- searching -----------------------------------------------------------------------

    def search(self) -> None:
        """Find every match of the query; the current one is the first at or after the
        cursor (or the selection, when it is a match)."""
        m = self.note.edit.position_map()
        query = self.query.text()
        self.matches = find_all(m.text, query) if query.strip() else []
        self._revision = self.note.edit.document().revision()
        self._searched = query
        at = m.to_cp(self.note.edit.textCursor().selectionStart())
        self.current = next((i for i, (s, _e) in enumerate(self.matches) if s >= at),
                            0 if self.matches else -1)
        self._show()

    def _fresh(self) -> None:
        """Search again if the note or the query changed since the last search."""
        if (self.note.edit.document().revision() != self._revision
                or self.query.text() != self._searched):
            self.search()

    def next(self) -> None:
        self._step(+1)

    def previous(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        if not self.isVisible():
            self.open_bar()
            return
        self._fresh()
        if not self.matches:
            return
        self.current = (self.current + delta) % len(self.matches)
        self._show()

    def _show(self) -> None:
        m = self.note.edit.position_map()
        doc = self.note.edit.document()
        selections = []
        plain = QTextCharFormat()
        plain.setBackground(MATCH_COLOUR)
        strong = QTextCharFormat()
        strong.setBackground(CURRENT_COLOUR)
        lo = max(0, self.current - MAX_HIGHLIGHTS // 2)
        for i, (s, e) in enumerate(self.matches[lo:lo + MAX_HIGHLIGHTS], start=lo):
            sel = QTextEdit.ExtraSelection()
            cur = QTextCursor(doc)
            cur.setPosition(m.to_qt(s))
            cur.setPosition(m.to_qt(e, end=True), QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cur
            sel.format = strong if i == self.current else plain
            selections.append(sel)
        self.note.find_selections = selections
        self.note.repaint_highlights()
        if 0 <= self.current < len(self.matches):
            s, e = self.matches[self.current]
            cur = QTextCursor(doc)
            cur.setPosition(m.to_qt(s))
            cur.setPosition(m.to_qt(e, end=True), QTextCursor.MoveMode.KeepAnchor)
            self.note.edit.setTextCursor(cur)
            self.note.edit.centerCursor()
        self._show_count()

    def _show_count(self) -> None:
        if not self.query.text().strip():
            self.count.setText("")
        elif not self.matches:
            self.count.setText(_("No matches"))
        else:
            self.count.setText(_("{current} of {total}").format(
                current=format_number(self.current + 1), total=format_number(len(self.matches))))
