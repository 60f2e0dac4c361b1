"""The open workspace: interviews, participants, organisations, codebook, search, analysis,
surveys and team as tabs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from fieldapp.domain.vocabulary import Term
from fieldapp.i18n import _
from fieldapp.services import registry, ui_support
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.labels import clear_study_terms, set_study_terms
from fieldapp.ui.models.codebook import CodebookModel
from fieldapp.ui.survey.surveys_view import SurveysView
from fieldapp.ui.team.area import TeamArea
from fieldapp.ui.views.analysis import AnalysisView
from fieldapp.ui.views.codebook import CodebookView
from fieldapp.ui.views.interviews import InterviewsView
from fieldapp.ui.views.memos import MemoPanel
from fieldapp.ui.views.organisations import OrganisationsView
from fieldapp.ui.views.participants import ParticipantsView
from fieldapp.ui.views.search import SearchView


class WorkspaceView(QWidget):
    focus_changed = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("workspace_view")
        self.codebook = CodebookModel(self)
        self.interviews = InterviewsView(ctx, self.codebook)
        self.participants = ParticipantsView(ctx)
        self.organisations = OrganisationsView(ctx)
        self.codes = CodebookView(ctx, self.codebook)
        self.search = SearchView(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("main_tabs")
        for view in (self.interviews, self.participants, self.organisations, self.codes,
                     self.search):
            self.tabs.addTab(view, "")
        self.analysis = AnalysisView(ctx)
        self.tabs.addTab(self.analysis, "")
        self.memos = MemoPanel(ctx, "all")  # every memo of the project
        self.tabs.addTab(self.memos, "")
        self.surveys = SurveysView(ctx)
        self.tabs.addTab(self.surveys, "")
        self.team = TeamArea(ctx)
        self.tabs.addTab(self.team, "")
        for i, name in enumerate(style.TAB_ICONS):
            self.tabs.setTabIcon(i, style.icon(name))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.focus_mode = False
        self.interviews.editor.leave_focus.connect(lambda: self.set_focus_mode(False))
        self.search.open_requested.connect(self.open_passage)
        self.codes.open_requested.connect(self.open_passage)
        self.analysis.open_requested.connect(self.open_passage)
        self.participants.new_interview_requested.connect(
            lambda pid: self.new_interview([pid]))
        self.participants.open_interview_requested.connect(self.open_interview)
        self.search.memo_results.open_requested.connect(self.open_memo)
        self.interviews.blind_requested.connect(self.assign_blind)
        self.interviews.editor.codings_changed.connect(
            lambda: self.ctx.data.changed.emit("coding"))
        # Ctrl+1 … Ctrl+9 go to the tabs in order, as in browsers and editors.
        self.tab_shortcuts: list[QShortcut] = []
        for n in range(1, 10):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{n}"), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda i=n - 1: self._go_to_tab(i))
            self.tab_shortcuts.append(shortcut)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.codebook.clear_codes)
        ctx.data.cleared.connect(clear_study_terms)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        for i, text in enumerate((_("Interviews"), _("Participants"), _("Organisations"),
                                  _("Codebook"), _("Search"))):
            self.tabs.setTabText(i, text)
        self.tabs.setTabText(self.tabs.indexOf(self.analysis), _("Analysis"))
        self.tabs.setTabText(self.tabs.indexOf(self.memos), _("Memos"))
        self.tabs.setTabText(self.tabs.indexOf(self.surveys), _("Surveys"))
        self.tabs.setTabText(self.tabs.indexOf(self.team), _("Team"))
        for i in range(self.tabs.count()):
            if i < 9:
                self.tabs.setTabToolTip(i, QKeySequence(f"Ctrl+{i + 1}").toString(
                    QKeySequence.SequenceFormat.NativeText))
        self.codebook.retranslate()

    def _go_to_tab(self, index: int) -> None:
        if index < self.tabs.count() and self.tabs.isTabEnabled(index):
            self.tabs.setCurrentIndex(index)

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "study", "interview", "participant", "organisation"):
            self.ctx.tasks.run(ui_support.study_terms, self._terms_loaded)
        if entity in ("*", "code", "coding"):
            self.ctx.tasks.run(lambda ws: (ui_support.codebook(ws), registry.passage_counts(ws)),
                               self._codes_loaded)

    def _terms_loaded(self, terms: tuple[list[Term], list[Term]]) -> None:
        set_study_terms(*terms)
        self.ctx.data.changed.emit("vocabulary")  # lists showing sites and sectors redraw

    def _codes_loaded(self, loaded: tuple[list[dict[str, Any]], dict[str, int]]) -> None:
        codes, counts = loaded
        self.codebook.set_codes(codes, counts)
        self.interviews.editor.refresh_colours()

    # -- actions from the menus ----------------------------------------------------------

    def assign_blind(self, interview_id: str) -> None:
        self.tabs.setCurrentWidget(self.analysis)
        self.analysis.tabs.setCurrentWidget(self.analysis.blind)
        self.analysis.blind.preselect(interview_id)

    def show_search(self) -> None:
        if self.focus_mode:
            self.set_focus_mode(False)
        self.tabs.setCurrentWidget(self.search)
        self.search.focus()

    def find_in_note(self) -> None:
        """Ctrl+F: the find bar of the note in view (the interviews tab, an interview open)."""
        editor = self.interviews.editor
        if editor.interview_id is None:
            return
        self.tabs.setCurrentWidget(self.interviews)
        editor.current_note().open_find()

    def set_focus_mode(self, on: bool) -> None:
        """Focus mode for writing: the interview's notes fill the window; the tabs, the
        interview list and the details below are hidden; the coding panel has a toggle.
        It lasts until switched off (F11, Esc in the note, the bar's button), also across
        a lock, for as long as the app runs."""
        on = bool(on)
        if on:
            self.tabs.setCurrentWidget(self.interviews)
        self.focus_mode = on
        self.tabs.tabBar().setVisible(not on)
        self.interviews.list_panel.setVisible(not on)
        self.interviews.editor.set_focus_mode(on)
        if on:
            self.interviews.editor.current_note().edit.setFocus()
        self.focus_changed.emit(on)

    def new_interview(self, participant_ids: list[str] | None = None) -> None:
        self.tabs.setCurrentWidget(self.interviews)
        self.interviews.new_interview(participant_ids)

    def open_interview(self, interview_id: str) -> None:
        self.tabs.setCurrentWidget(self.interviews)
        self.interviews.select(interview_id)

    def new_participant(self) -> None:
        self.tabs.setCurrentWidget(self.participants)
        self.participants.new_participant()

    def apply_code(self) -> None:
        if self.tabs.currentWidget() is self.interviews:
            self.interviews.editor.apply_code()

    def open_memo(self, memo_id: str) -> None:
        self.tabs.setCurrentWidget(self.memos)
        self.memos.open_memo(memo_id)

    def open_passage(self, interview_id: str, note_kind: str, start: int, end: int) -> None:
        """Show an interview's note with the passage selected."""
        self.tabs.setCurrentWidget(self.interviews)
        editor = self.interviews.editor

        def jump() -> None:
            note = editor.show_note(note_kind)
            if start >= 0 and end > start:
                note.select_span(start, end)

        self.interviews.select(interview_id, then=jump)

    # -- where the researcher was (kept across a lock) -----------------------------------

    def place(self) -> dict[str, Any]:
        editor = self.interviews.editor
        note = editor.current_note()
        cursor = note.edit.textCursor()
        return {"tab": self.tabs.currentIndex(), "interview_id": editor.interview_id,
                "note_kind": note.kind, "cursor": cursor.position(),
                "participant_id": (self.participants.current or {}).get("id")}

    def restore_place(self, place: dict[str, Any]) -> None:
        self.tabs.setCurrentIndex(int(place.get("tab") or 0))
        interview_id = place.get("interview_id")
        if interview_id:
            def jump() -> None:
                note = self.interviews.editor.show_note(str(place.get("note_kind")))
                cursor = note.edit.textCursor()
                cursor.setPosition(min(int(place.get("cursor") or 0),
                                       max(0, note.edit.document().characterCount() - 1)))
                note.edit.setTextCursor(cursor)

            self.interviews.reload(select=str(interview_id), then=jump)
        if place.get("participant_id"):
            self.participants.reload(select=str(place["participant_id"]))
