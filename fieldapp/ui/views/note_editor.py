"""One note of an interview: plain text that saves itself as it is typed (see
:mod:`fieldapp.ui.autosave`: a second after a pause, at the latest 1.2 s after a change while
typing goes on, and before the workspace locks or the app exits).

Codings are drawn as highlights. Their cursors move with the text as it is edited, and their new
offsets are saved with the text, so a highlight stays on its passage. Offsets are translated
through one position map per change of the document (:mod:`fieldapp.ui.notedoc`), never by a
scan of the text per coding; long paragraphs are shown in display blocks so a keystroke never
re-lays out tens of thousands of characters. Ctrl+F opens the note's find bar
(:mod:`fieldapp.ui.views.find_bar`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QResizeEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from fieldapp.i18n import _, format_number, ngettext
from fieldapp.services import records
from fieldapp.store.errors import StorageUnavailable
from fieldapp.ui import notedoc, style
from fieldapp.ui.autosave import Autosaver, SaveJob
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.views.find_bar import FindBar

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

#: Pastes longer than this are refused with a message rather than freezing the editor.
MAX_PASTE_CHARS = 2_000_000


#: A character beyond U+FFFF (two UTF-16 units in Qt's count, one character to a reader).
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class PlainTextEdit(QPlainTextEdit):
    """Keeps only the plain text of a paste; refuses absurdly long ones.

    Long paragraphs are shown in several blocks (see :mod:`fieldapp.ui.notedoc`); this editor
    keeps the soft breaks out of the text: line breaks it inserts (Enter, pastes) never inherit
    the soft-break mark, copies and :meth:`toPlainText` give the note's own text."""

    paste_refused = Signal(int)
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._map: notedoc.PositionMap | None = None
        self.soft_breaks = 0  # display breaks in the document now
        self.document().contentsChanged.connect(self._forget_map)
        self.document().contentsChange.connect(self._contents_change)
        self.blockCountChanged.connect(lambda _n: self._count_soft())

    #: In focus mode the text is set in a column of at most this width (pixels), centred.
    column_width: int | None = None

    def set_column_width(self, width: int | None) -> None:
        self.column_width = width
        self._fit_column()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_column()

    def _fit_column(self) -> None:
        side = 0
        if self.column_width:
            side = max(0, (self.width() - self.column_width) // 2)
        if self.viewportMargins().left() != side:
            self.setViewportMargins(side, 0, side, 0)

    def _forget_map(self) -> None:
        self._map = None

    def position_map(self) -> notedoc.PositionMap:
        """The stored text and its positions, built once per change of the document."""
        if self._map is None or self._map.revision != self.document().revision():
            self._map = notedoc.PositionMap(self.document(), soft=self.soft_breaks > 0)
        return self._map

    def toPlainText(self) -> str:
        return self.position_map().text

    def load_text(self, text: str) -> int:
        """Show ``text`` (undo history cleared); returns the number of soft breaks."""
        self._map = None
        self.soft_breaks = notedoc.load(self, text)
        self._map = None
        return self.soft_breaks

    def _count_soft(self) -> None:
        self.soft_breaks = notedoc.count_soft(self.document())

    def _contents_change(self, position: int, _removed: int, added: int) -> None:
        # Inserted text with line breaks (a paste, an undo) may bring or replace display
        # breaks without changing the number of blocks: count them again.
        doc = self.document()
        if added and doc.findBlock(position) != doc.findBlock(position + added):
            self._count_soft()

    def _insert_lines(self, text: str) -> None:
        """Insert ``text`` at the cursor: its line breaks as real ones, a long pasted
        paragraph in display blocks (one undo step)."""
        cursor = self.textCursor()
        cursor.beginEditBlock()
        if cursor.hasSelection():
            cursor.removeSelectedText()
        pieces, soft_blocks = notedoc.display_pieces(text)
        soft = set(soft_blocks)
        for i, piece in enumerate(pieces):
            if i:
                fmt = cursor.blockFormat()
                if i in soft:
                    fmt.setProperty(notedoc.SOFT_BREAK, True)
                else:
                    fmt.clearProperty(notedoc.SOFT_BREAK)
                cursor.insertBlock(fmt)
            if piece:
                cursor.insertText(piece)
        cursor.endEditBlock()
        self.setTextCursor(cursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.escape_pressed.emit()  # and on to the parent, as before (a dialog closes)
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
                and not self.isReadOnly()):
            self._insert_lines("\n")  # a real line break, never a soft one
            self.ensureCursorVisible()
            return
        super().keyPressEvent(event)

    def createMimeDataFromSelection(self) -> QMimeData:
        cur = self.textCursor()
        m = self.position_map()
        data = QMimeData()
        data.setText(m.text[m.to_cp(cur.selectionStart()):m.to_cp(cur.selectionEnd())])
        return data

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasText()

    def insertFromMimeData(self, source: QMimeData) -> None:
        text = source.text()
        if len(text) > MAX_PASTE_CHARS:
            self.paste_refused.emit(len(text))
            return
        self._insert_lines(text.replace("\r\n", "\n").replace("\r", "\n"))
        self.ensureCursorVisible()


class NoteRef:
    """The id of the note being edited, filled in on the worker by the save that creates it,
    so a save queued right behind that one (a flush) updates the same note."""

    def __init__(self, note_id: str | None) -> None:
        self.id = note_id


@dataclass
class Highlight:
    coding_id: str
    code_id: str
    colour: str
    cursor: QTextCursor
    start: int  # code points, as last saved
    end: int


class NoteEditor(QWidget):
    """Edits the note of ``kind`` in the current interview (created on the first keystroke)."""

    saved = Signal(str)       # note id
    selection_changed = Signal()
    #: Esc in the note with the find bar closed (leaves focus mode)
    escape = Signal()

    def __init__(self, ctx: AppContext, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kind = kind
        self.setObjectName(f"note_{kind}")
        self.interview_id: str | None = None
        self.note_id: str | None = None
        self.highlights: list[Highlight] = []
        self.find_selections: list[QTextEdit.ExtraSelection] = []
        self.paints = 0  # how often the highlights were handed to the editor (tests count)
        self._saved_text = ""   # what the workspace holds
        self._sent_text = ""    # what the last queued save holds
        self._ref = NoteRef(None)
        self._error: BaseException | None = None
        self.edit = PlainTextEdit()
        self.edit.setObjectName(f"note_edit_{kind}")
        self.edit.setTabChangesFocus(True)
        style.make_reading(self.edit)
        self.edit.setEnabled(False)
        self.status = QLabel()
        self.status.setObjectName("save_status")
        self.count = QLabel()
        self.count.setObjectName("char_count")
        # Right-aligned in a fixed width: a changing count must not re-lay out the editor.
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count.setMinimumWidth(140)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        self.find_bar = FindBar(self)
        layout.addWidget(self.find_bar)
        layout.addLayout(row)
        self.autosave = Autosaver(ctx, self, self._save_job)
        self.edit.textChanged.connect(self._typed)
        self.edit.selectionChanged.connect(self.selection_changed)
        self.edit.paste_refused.connect(self._paste_refused)
        self.edit.escape_pressed.connect(self._escape)
        ctx.language.changed.connect(self.retranslate_ui)
        self._state = "idle"
        self._shown_count = -1
        self._astral = 0          # characters Qt counts twice (beyond U+FFFF)
        self._astral_stale = False
        self.edit.blockCountChanged.connect(self._blocks_changed)
        self.edit.document().contentsChange.connect(self._contents_change)
        self.retranslate_ui()

    # -- loading -------------------------------------------------------------------------

    def load(self, interview_id: str, note: dict[str, Any] | None,
             codings: list[dict[str, Any]], colours: dict[str, str]) -> None:
        self.autosave.flush()  # what was typed into the note shown until now
        self.autosave.cancel()
        self.interview_id = interview_id
        self.note_id = note["id"] if note else None
        self._ref = NoteRef(self.note_id)
        text = (note or {}).get("body") or ""
        self._saved_text = self._sent_text = text
        self._error = None
        self.edit.blockSignals(True)
        self.edit.load_text(text)
        self._astral = len(text.encode("utf-16-le")) // 2 - len(text)
        self._astral_stale = False
        self.edit.blockSignals(False)
        self.edit.setEnabled(True)
        self.find_selections = []
        self.set_codings(codings, colours)
        if self.find_bar.isVisible():
            self.find_bar.search()  # the same words in the note shown now
        self._state = "idle"
        self._update_count()
        self.retranslate_ui()

    def set_codings(self, codings: list[dict[str, Any]], colours: dict[str, str]) -> None:
        """Highlight ``codings`` (stored offsets): one position map for all of them, no scan
        of the text per coding. Each highlight's cursor then moves with the text as it is
        edited (Qt adjusts it for every change); its start does not grow when text is typed
        just before the passage, nor its end when text is typed just after it."""
        m = self.edit.position_map()
        doc = self.edit.document()
        self.highlights = []
        for c in codings:
            cur = QTextCursor(doc)
            cur.setPosition(m.to_qt(c["start_offset"]))
            cur.setPosition(m.to_qt(c["end_offset"], end=True), QTextCursor.MoveMode.KeepAnchor)
            cur.setKeepPositionOnInsert(True)
            self.highlights.append(Highlight(c["id"], c["code_id"],
                                             colours.get(c["code_id"], "#f4d03f"), cur,
                                             c["start_offset"], c["end_offset"]))
        self._paint()

    def text(self) -> str:
        """The note's text as it will be saved (soft display breaks left out)."""
        return self.edit.position_map().text

    def clear(self) -> None:
        """Forget the note (the workspace was locked or the interview closed)."""
        self.autosave.cancel()
        self.interview_id = self.note_id = None
        self._ref = NoteRef(None)
        self.highlights = []
        self.find_bar.reset()
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.soft_breaks = self._astral = 0
        self._astral_stale = False
        self.edit.document().clearUndoRedoStacks()
        self.edit.blockSignals(False)
        self.edit.setExtraSelections([])
        self.edit.setEnabled(False)
        self._saved_text = self._sent_text = ""
        self._state = "idle"
        self._update_count()
        self.retranslate_ui()

    def _escape(self) -> None:
        if self.find_bar.isVisible():
            self.find_bar.close_bar()
        else:
            self.escape.emit()

    def open_find(self) -> None:
        """Ctrl+F: the find bar, with the selected words as the query."""
        if self.interview_id is not None:
            self.find_bar.open_bar()

    def repaint_highlights(self) -> None:
        self._paint()

    def _paint(self) -> None:
        """Hand the coding highlights (and the find bar's matches) to the editor. Called when
        codings or matches change, never on a keystroke or a save: the selections' cursors
        follow the edits by themselves."""
        selections = []
        for h in self.highlights:
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            colour = QColor(h.colour)
            colour.setAlpha(90)
            fmt.setBackground(colour)
            sel.format = fmt
            sel.cursor = h.cursor
            selections.append(sel)
        selections.extend(self.find_selections)
        self.paints += 1
        self.edit.setExtraSelections(selections)

    # -- selection (for coding) ----------------------------------------------------------

    def selected_span(self) -> tuple[int, int] | None:
        """The selected passage as code-point offsets, or None."""
        cur = self.edit.textCursor()
        if not cur.hasSelection():
            return None
        m = self.edit.position_map()
        return m.to_cp(cur.selectionStart()), m.to_cp(cur.selectionEnd())

    def select_span(self, start: int, end: int) -> None:
        m = self.edit.position_map()
        cur = QTextCursor(self.edit.document())
        cur.setPosition(m.to_qt(start))
        cur.setPosition(m.to_qt(end, end=True), QTextCursor.MoveMode.KeepAnchor)
        self.edit.setTextCursor(cur)
        self.edit.centerCursor()
        self.edit.setFocus()

    # -- saving --------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self.interview_id is not None and self.text() != self._saved_text

    def _typed(self) -> None:
        # Called on every keystroke: keep it to a counter update and a timer restart.
        if self.interview_id is None:
            return
        self._update_count()
        self.autosave.changed()
        if self._state != "editing":
            self._state = "editing"
            self._show_status()

    def save_now(self) -> None:
        """Queue a save of the current text (if it changed) on the worker."""
        self.autosave.save_now()

    def _save_job(self) -> SaveJob | None:
        """The save of what the editor shows, if the workspace does not hold it yet."""
        if self.interview_id is None:
            return None
        m = self.edit.position_map()
        text = m.text
        if text == self._sent_text:
            if self._state == "editing" and not self.dirty and not self.autosave.in_flight:
                self._state = "saved"  # typed and undone: what is saved is what is shown
                self.retranslate_ui()
            return None
        interview_id, kind, ref = self.interview_id, self.kind, self._ref
        moved = self._moved_codings(m)

        def work(ws: Workspace) -> str:
            if ref.id is None:
                ref.id = records.add_note(ws, interview_id, kind=kind, body=text)
            elif moved:
                records.save_note_and_codings(ws, ref.id, text, moved)
            else:
                records.save_note_body(ws, ref.id, text)
            return ref.id

        self._sent_text = text
        self._state = "saving"
        self.retranslate_ui()
        return SaveJob(work, lambda nid: self._saved(ref, nid, text, moved),
                       lambda exc: self._failed(ref, exc))

    def _moved_codings(self, m: notedoc.PositionMap) -> list[tuple[str, int, int]]:
        """The codings whose passage moved since the last save, with their new offsets
        (from the position map of this save: no scan of the text per coding)."""
        moved = []
        for h in self.highlights:
            start = m.to_cp(h.cursor.selectionStart())
            end = m.to_cp(h.cursor.selectionEnd())
            if (start, end) != (h.start, h.end) and end > start:
                moved.append((h.coding_id, start, end))
        return moved

    def _saved(self, ref: NoteRef, note_id: str, text: str,
               moved: list[tuple[str, int, int]]) -> None:
        if ref is not self._ref:
            return  # the editor shows another note now (or none: locked)
        self._error = None
        self.note_id = note_id
        self._saved_text = text
        spans = {cid: (s, e) for cid, s, e in moved}
        for h in self.highlights:
            if h.coding_id in spans:
                h.start, h.end = spans[h.coding_id]
        if self.dirty or self.autosave.in_flight:
            self._state = "editing"
        else:
            self._state = "saved"
        self.retranslate_ui()
        self.saved.emit(note_id)

    def _failed(self, ref: NoteRef, exc: BaseException) -> None:
        if ref is not self._ref:
            # The last words of a note no longer shown (the interview changed, or the
            # workspace locked): say so, as nothing on screen will.
            self.ctx.interaction.error(self, exc)
            return
        self._sent_text = self._saved_text  # so the next save sends the text again
        self._error = exc
        self._state = "error"
        self.retranslate_ui()
        if not isinstance(exc, StorageUnavailable):  # that one is retried by the autosaver
            self.ctx.interaction.error(self, exc)

    def _paste_refused(self, length: int) -> None:
        self.ctx.interaction.warn(self, _("Paste refused"), _(
            "The text to paste has {n} characters; a note can take at most {limit} in one "
            "paste. Paste it in parts.").format(n=format_number(length),
                                                 limit=format_number(MAX_PASTE_CHARS)))

    # -- text ----------------------------------------------------------------------------

    def _blocks_changed(self, _count: int) -> None:
        # A line break was typed or removed (not on every key): recount the display breaks.
        self._update_count()

    def _contents_change(self, position: int, removed: int, added: int) -> None:
        # Per keystroke: only look at what was added (and only notes that hold characters
        # beyond U+FFFF, rare, recount them when text is removed).
        if removed and self._astral:
            self._astral_stale = True
        if added and not self._astral_stale:
            cur = QTextCursor(self.edit.document())
            cur.setPosition(min(position, self.edit.document().characterCount() - 1))
            cur.setPosition(min(position + added, self.edit.document().characterCount() - 1),
                            QTextCursor.MoveMode.KeepAnchor)
            if _ASTRAL.search(cur.selectedText()):
                self._astral_stale = True

    def _update_count(self) -> None:
        doc = self.edit.document()
        if self._astral_stale:
            raw = doc.toRawText()
            self._astral = len(raw.encode("utf-16-le")) // 2 - len(raw)
            self._astral_stale = False
        n = max(0, doc.characterCount() - 1 - self.edit.soft_breaks - self._astral)
        if n == self._shown_count:
            return
        self._shown_count = n
        self.count.setText(ngettext("{n} character", "{n} characters", n).format(
            n=format_number(n)))

    def retranslate_ui(self) -> None:
        self._shown_count = -1  # re-render the count in the new language
        self.find_bar.retranslate_ui()
        self.edit.setAccessibleName(_("Note text"))
        self.edit.setPlaceholderText(_("Type here; it is saved as you go.")
                                     if self.interview_id else _("Open an interview first."))
        self._show_status()
        self._update_count()

    def _show_status(self) -> None:
        self.status.setText({
            "idle": "",
            "editing": _("Editing…"),
            "saving": _("Saving…"),
            "saved": _("Saved"),
            "error": (_("Not saved: {reason}").format(reason=error_text(self._error))
                      if self._error else ""),
        }[self._state])
