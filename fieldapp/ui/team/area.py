"""The team area of the workspace: team set-up, send and receive, conflicts and progress as
tabs, all showing the same picture of the team (loaded once on the worker)."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from fieldapp.i18n import _, format_number
from fieldapp.ui.context import AppContext
from fieldapp.ui.team.common import TeamState, load_state
from fieldapp.ui.team.conflicts import ConflictsPanel
from fieldapp.ui.team.progress_panel import ProgressPanel
from fieldapp.ui.team.sync_panel import SyncPanel
from fieldapp.ui.team.team_page import TeamPage

#: record types whose changes move the progress figures
PROGRESS_ENTITIES = ("*", "interview", "consent", "participant", "study", "receipt")


class TeamArea(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("team_area")
        self.state = TeamState()
        self.team = TeamPage(ctx)
        self.sync = SyncPanel(ctx)
        self.conflicts = ConflictsPanel(ctx)
        self.progress = ProgressPanel(ctx)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("team_tabs")
        for page in (self.sync, self.conflicts, self.progress, self.team):
            self.tabs.addTab(page, "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.team.team_changed.connect(self.reload)
        self.sync.setup_requested.connect(self.show_team)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self.conflicts.count_changed.connect(lambda _n: self._update_tab_texts())
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self._update_tab_texts()

    def _update_tab_texts(self) -> None:
        n = len(self.conflicts.items)
        conflicts = _("Conflicts ({n})").format(n=format_number(n)) if n else _("Conflicts")
        for page, text in ((self.sync, _("Send and receive")), (self.conflicts, conflicts),
                           (self.progress, _("Progress")), (self.team, _("Team members"))):
            self.tabs.setTabText(self.tabs.indexOf(page), text)

    # -- loading -------------------------------------------------------------------------

    def _data_changed(self, entity: str) -> None:
        if entity == "*":
            self.reload()
        if entity in ("*", "organisation", "participant", "code", "study", "instrument"):
            self.conflicts.mark_stale()
        if entity in PROGRESS_ENTITIES:
            self.progress.mark_stale()

    def reload(self) -> None:
        """The team as the workspace knows it; every tab updates."""
        self.ctx.tasks.run(load_state, self._state_loaded)

    def _state_loaded(self, state: TeamState) -> None:
        self.state = state
        for page in (self.team, self.sync, self.conflicts, self.progress):
            page.set_state(state)
        self.conflicts.mark_stale()
        self._update_tab_texts()

    def clear(self) -> None:
        self.state = TeamState()
        for page in (self.team, self.sync, self.conflicts, self.progress):
            page.clear()
        self._update_tab_texts()

    # -- from the menu -------------------------------------------------------------------

    def show_team(self) -> None:
        self.tabs.setCurrentWidget(self.team)

    def show_sync(self) -> None:
        self.tabs.setCurrentWidget(self.sync)

    def show_conflicts(self) -> None:
        self.tabs.setCurrentWidget(self.conflicts)

    def show_progress(self) -> None:
        self.tabs.setCurrentWidget(self.progress)
