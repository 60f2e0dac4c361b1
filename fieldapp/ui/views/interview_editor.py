"""One interview: details, the four notes, codings beside them, attachments below."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.schema import NOTE_KINDS
from fieldapp.i18n import _
from fieldapp.services import records, ui_support
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog, show_dialog
from fieldapp.ui.labels import label
from fieldapp.ui.models.codebook import CodebookModel
from fieldapp.ui.views.attachments import AttachmentsPanel
from fieldapp.ui.views.coding_panel import CodingPanel
from fieldapp.ui.views.deidentify import DeidentifyDialog
from fieldapp.ui.views.interview_details import InterviewDetails
from fieldapp.ui.views.memos import MemoPanel
from fieldapp.ui.views.note_editor import NoteEditor
from fieldapp.ui.views.transcription import TranscriptionBar

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


class InterviewEditor(QWidget):
    details_saved = Signal(str, dict)
    codings_changed = Signal()
    #: the interview shown changed: its id, or None when none is shown
    shown = Signal(object)
    #: Esc in a note (find bar closed), or the focus bar's "Leave focus mode"
    leave_focus = Signal()

    def __init__(self, ctx: AppContext, codebook: CodebookModel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.codebook = codebook
        self.setObjectName("interview_editor")
        self.interview_id: str | None = None
        self.deidentify_dialog: DeidentifyDialog | None = None
        self.heading = QLabel()
        self.heading.setObjectName("interview_heading")
        style.header(self.heading, level=2)
        self.details = InterviewDetails(ctx)
        self.notes: dict[str, NoteEditor] = {kind: NoteEditor(ctx, kind) for kind in NOTE_KINDS}
        self.note_tabs = QTabWidget()
        self.note_tabs.setObjectName("note_tabs")
        for editor in self.notes.values():
            self.note_tabs.addTab(editor, "")
        self.coding = CodingPanel(ctx, codebook)
        self.attachments = AttachmentsPanel(ctx)
        self.transcription = TranscriptionBar(
            self, lambda: self.current_note().edit if self.interview_id else None)
        for editor in self.notes.values():
            self.transcription.watch(editor.edit)
        self.attachments.transcribe_requested.connect(self._transcribe)
        self.lower_tabs = QTabWidget()
        self.lower_tabs.setObjectName("interview_lower_tabs")
        # The details form scrolls rather than holding the window taller than a laptop screen.
        self.details_scroll = QScrollArea()
        self.details_scroll.setObjectName("interview_details_scroll")
        self.details_scroll.setWidget(self.details)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.lower_tabs.addTab(self.details_scroll, "")
        self.lower_tabs.addTab(self.attachments, "")
        self.memos = MemoPanel(ctx, "interview")  # the interview's memos
        self.lower_tabs.addTab(self.memos, "")

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.note_tabs)
        top.addWidget(self.coding)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.lower_tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.heading, 1)
        self.find_identifiers = QPushButton()  # the de-identification view of the open note
        self.find_identifiers.setObjectName("find_identifiers")
        self.find_identifiers.clicked.connect(self.open_deidentify)
        head.addWidget(self.find_identifiers)
        layout.addLayout(head)
        layout.addWidget(self._build_focus_bar())
        layout.addWidget(self.transcription)
        layout.addWidget(split, 1)

        self.details.saved.connect(self.details_saved)
        self.details.saved.connect(self._details_saved)
        self.coding.apply_requested.connect(self.apply_code)
        self.coding.remove_requested.connect(self.remove_coding)
        self.coding.coding_activated.connect(lambda s, e: self.current_note().select_span(s, e))
        self.note_tabs.currentChanged.connect(lambda _i: self._show_codings())
        for editor in self.notes.values():
            editor.saved.connect(lambda _nid, e=editor: self._note_saved(e))
            editor.escape.connect(self._escape)
        self.coding.current_span = self._current_span
        ctx.language.changed.connect(self.retranslate_ui)
        self._codings: dict[str, list[dict[str, Any]]] = {}
        self._heading = ("", "")
        self.retranslate_ui()
        self.clear()

    # -- focus mode ----------------------------------------------------------------------

    def _build_focus_bar(self) -> QWidget:
        """Shown only in focus mode: the coding panel's toggle and the way back."""
        self.focus_bar = QWidget()
        self.focus_bar.setObjectName("focus_bar")
        self.focus_codings = QToolButton()
        self.focus_codings.setObjectName("focus_coding_toggle")
        self.focus_codings.setCheckable(True)
        self.focus_codings.toggled.connect(lambda on: self.coding.setVisible(on))
        self.focus_leave = QToolButton()
        self.focus_leave.setObjectName("focus_leave")
        self.focus_leave.clicked.connect(self.leave_focus)
        row = QHBoxLayout(self.focus_bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.focus_codings)
        row.addStretch(1)
        row.addWidget(self.focus_leave)
        self.focus_bar.hide()
        self.focus_mode = False
        return self.focus_bar

    def set_focus_mode(self, on: bool) -> None:
        """Only the notes (and, if toggled on, the coding panel) below the heading."""
        self.focus_mode = on
        self.focus_bar.setVisible(on)
        self.lower_tabs.setVisible(not on)
        self.coding.setVisible(not on or self.focus_codings.isChecked())
        # Lines of a comfortable length (style.COLUMN_EMS Chinese characters).
        for editor in self.notes.values():
            editor.edit.set_column_width(style.column_width(editor.edit) if on else None)

    def _escape(self) -> None:
        if self.focus_mode:
            self.leave_focus.emit()

    def retranslate_ui(self) -> None:
        self.focus_codings.setText(_("Coding panel"))
        self.focus_codings.setToolTip(_("Show or hide the codebook and the codings beside the "
                                        "note"))
        self.focus_leave.setText(_("Leave focus mode (F11 or Esc)"))
        for i, kind in enumerate(NOTE_KINDS):
            self.note_tabs.setTabText(i, label("note_kind", kind))
        self.lower_tabs.setTabText(0, _("Details"))
        self.lower_tabs.setTabText(1, _("Attachments"))
        self.transcription.retranslate_ui()
        self.find_identifiers.setText(_("Find identifiers…"))
        self.find_identifiers.setToolTip(_("List the names, phone numbers, ID numbers and other "
                                           "identifiers in this note and replace them with "
                                           "pseudonyms"))
        self.lower_tabs.setTabText(self.lower_tabs.indexOf(self.memos), _("Memos"))
        self._update_heading()

    def open_deidentify(self) -> None:
        """Show the identifiers of the note in view (saved first, so offsets match)."""
        editor = self.current_note()
        if self.interview_id is None:
            return
        if editor.note_id is None and not editor.edit.toPlainText():
            self.ctx.interaction.info(self, _("Find identifiers"),
                                      _("This note is empty: there is nothing to check."))
            return
        if editor.dirty or editor.note_id is None:
            def after_save(_nid: str) -> None:
                editor.saved.disconnect(after_save)
                self.open_deidentify()

            editor.saved.connect(after_save)
            editor.save_now()
            return
        note_id = editor.note_id
        code = self._heading[0]
        name = f"{code} · {label('note_kind', editor.kind)}" if code else label(
            "note_kind", editor.kind)
        dialog = DeidentifyDialog(self.ctx, note_id, name, self)
        dialog.note_changed.connect(lambda _nid: self.open_interview(self.interview_id or ""))
        self.deidentify_dialog = dialog
        show_dialog(dialog)

    def _update_heading(self, code: str | None = None, title: str | None = None) -> None:
        if code is not None:
            self._heading = (code, title or "")
        code, title = self._heading
        if self.interview_id is None:
            self.heading.setText(_("Choose an interview from the list, or create one."))
        else:
            self.heading.setText(_("Interview {code}").format(code=code or "")
                                 + (f" — {title}" if title else ""))

    # -- loading -------------------------------------------------------------------------

    def open_interview(self, interview_id: str, then: Any = None) -> None:
        self.flush()
        self.ctx.tasks.run(lambda ws: ui_support.interview_bundle(ws, interview_id),
                           lambda bundle: self._loaded(bundle, then))

    def _loaded(self, bundle: dict[str, Any], then: Any = None) -> None:
        interview = bundle["interview"]
        if interview["id"] != self.interview_id:
            self.transcription.stop()  # the recording belongs to the interview shown until now
        self.interview_id = interview["id"]
        self.details.load(interview, bundle["organisations"], bundle["participants"],
                          bundle["sites"], bundle["sectors"])
        colours = self.codebook.colours()
        self._codings = dict(bundle["codings"])
        for kind, editor in self.notes.items():
            note = bundle["notes"].get(kind)
            editor.load(interview["id"], note, self._codings.get(note["id"], []) if note else [],
                        colours)
            # Another device's note (a blind-coding assignment, a coordinator's view): it can
            # be read and coded here, never edited, since only its owner's changes count.
            editor.edit.setReadOnly(bool(note) and note.get("owner") not in (
                None, bundle.get("device_id")))
        self.attachments.load(interview["id"])
        self.memos.show_subject("interview", interview_id=interview["id"])
        self._update_heading(interview.get("code") or "", interview.get("title") or "")
        self._show_codings()
        self.shown.emit(self.interview_id)
        if callable(then):
            then()

    def clear(self) -> None:
        self.transcription.stop()
        close_dialog(self.deidentify_dialog)
        self.interview_id = None
        self.details.clear()
        for editor in self.notes.values():
            editor.clear()
        self.attachments.clear()
        self.memos.clear()
        self.coding.codings.clear()
        self._codings = {}
        self._update_heading()
        self.shown.emit(None)

    def flush(self) -> None:
        """Queue saves of anything typed but not yet saved (before another interview opens)."""
        self.details.autosave.flush()
        for editor in self.notes.values():
            editor.autosave.flush()
        self.memos.editor.autosave.flush()

    def _details_saved(self, _interview_id: str, changes: dict[str, Any]) -> None:
        if "code" in changes or "title" in changes:
            values = self.details.values()
            self._update_heading(values["code"], values["title"])

    def _transcribe(self, name: str, data: bytes) -> None:
        """Transcription mode: the recording plays above the notes; the transcript has focus."""
        self.transcription.start(name, data)
        editor = self.show_note("transcript") if "transcript" in self.notes else self.current_note()
        editor.edit.setFocus()

    # -- notes and codings ---------------------------------------------------------------

    def current_note(self) -> NoteEditor:
        widget = self.note_tabs.currentWidget()
        assert isinstance(widget, NoteEditor)
        return widget

    def show_note(self, kind: str) -> NoteEditor:
        editor = self.notes[kind]
        self.note_tabs.setCurrentWidget(editor)
        return editor

    def note_kind_of(self, note_id: str) -> str | None:
        for kind, editor in self.notes.items():
            if editor.note_id == note_id:
                return kind
        return None

    def _show_codings(self) -> None:
        editor = self.current_note()
        codings = self._codings.get(editor.note_id or "", [])
        self.coding.show_codings(codings, editor.edit.toPlainText())

    def _note_saved(self, editor: NoteEditor) -> None:
        """A save moved codings: keep their offsets current here (the list beside the note
        asks for them when a coding is activated; it is rebuilt only when a passage's
        words changed)."""
        codings = self._codings.get(editor.note_id or "")
        if not codings:
            return
        spans = {h.coding_id: (h.start, h.end) for h in editor.highlights}
        resized = False
        for c in codings:
            span = spans.get(c["id"])
            if span is not None and span != (c["start_offset"], c["end_offset"]):
                resized |= span[1] - span[0] != c["end_offset"] - c["start_offset"]
                c["start_offset"], c["end_offset"] = span
        if resized and editor is self.current_note():
            self._show_codings()

    def _current_span(self, coding_id: str) -> tuple[int, int] | None:
        for c in self._codings.get(self.current_note().note_id or "", []):
            if c["id"] == coding_id:
                return int(c["start_offset"]), int(c["end_offset"])
        return None

    def apply_code(self, code_id: str | None = None, may_quote: bool | None = None) -> None:
        editor = self.current_note()
        code_id = code_id or self.coding.selected_code()
        span = editor.selected_span()
        if self.interview_id is None or not code_id:
            return
        if span is None:
            self.ctx.interaction.info(self, _("Apply a code"),
                                      _("Select a passage in the note first."))
            return
        quote = self.coding.may_quote.isChecked() if may_quote is None else may_quote
        if editor.dirty or editor.note_id is None:
            # The passage must be saved before it can be coded.
            def after_save(_nid: str) -> None:
                editor.saved.disconnect(after_save)
                self._apply(editor, code_id, span, quote)

            editor.saved.connect(after_save)
            editor.save_now()
            return
        self._apply(editor, code_id, span, quote)

    def _apply(self, editor: NoteEditor, code_id: str, span: tuple[int, int],
               may_quote: bool) -> None:
        note_id = editor.note_id
        assert note_id is not None

        def work(ws: Workspace) -> list[dict[str, Any]]:
            records.apply_code(ws, note_id, code_id, span[0], span[1], may_quote=may_quote)
            return records.codings_of_note(ws, note_id)

        self.ctx.tasks.run(work, lambda codings: self._codings_loaded(editor, note_id, codings))

    def remove_coding(self, coding_id: str) -> None:
        editor = self.current_note()
        note_id = editor.note_id
        if note_id is None:
            return

        def work(ws: Workspace) -> list[dict[str, Any]]:
            records.delete(ws, "coding", coding_id)
            return records.codings_of_note(ws, note_id)

        self.ctx.tasks.run(work, lambda codings: self._codings_loaded(editor, note_id, codings))

    def _codings_loaded(self, editor: NoteEditor, note_id: str,
                        codings: list[dict[str, Any]]) -> None:
        self._codings[note_id] = codings
        if editor.note_id == note_id:
            editor.set_codings(codings, self.codebook.colours())
        self._show_codings()
        self.codings_changed.emit()

    def refresh_colours(self) -> None:
        for editor in self.notes.values():
            if editor.note_id:
                editor.set_codings(self._codings.get(editor.note_id, []),
                                   self.codebook.colours())
        self._show_codings()
