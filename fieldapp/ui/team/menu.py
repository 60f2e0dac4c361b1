"""The Team menu: send, receive, collect, publish, and the team pages, with shortcuts.

The main window adds it to its menu bar; it finds the team area through a getter, because
the workspace views are built only when a workspace is first opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QTabWidget, QWidget

from fieldapp.i18n import _
from fieldapp.ui.context import AppContext
from fieldapp.ui.session import SessionController, State

if TYPE_CHECKING:  # the team screens load with the workspace views, not with the window
    from fieldapp.ui.team.area import TeamArea


def bring_to_front(widget: QWidget) -> None:
    """Select, in every tab widget around ``widget``, the tab that holds it."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QTabWidget):
            for i in range(parent.count()):
                page = parent.widget(i)
                if page is not None and (page is widget or page.isAncestorOf(widget)):
                    parent.setCurrentIndex(i)
        parent = parent.parentWidget()


class TeamMenu(QMenu):
    def __init__(self, ctx: AppContext, session: SessionController,
                 area: Callable[[], TeamArea], window: QWidget) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.area = area
        self.setObjectName("menu_team")

        def action(name: str, shortcut: str | None = None) -> QAction:
            act = QAction(window)
            act.setObjectName(name)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            window.addAction(act)
            self.addAction(act)
            return act

        self.act_sync = action("team_sync_page", "Ctrl+Shift+Y")
        self.act_send = action("team_send", "Ctrl+Shift+S")
        self.act_receive = action("team_receive", "Ctrl+Shift+R")
        self.act_collect = action("team_collect", "Ctrl+Shift+G")
        self.act_publish = action("team_publish")
        self.addSeparator()
        self.act_conflicts = action("team_conflicts")
        self.act_progress = action("team_progress")
        self.addSeparator()
        self.act_members = action("team_members")

        self.act_sync.triggered.connect(lambda: self._page().show_sync())
        self.act_send.triggered.connect(lambda: self._sync_action("researcher", "send"))
        self.act_receive.triggered.connect(lambda: self._sync_action("researcher", "receive"))
        self.act_collect.triggered.connect(lambda: self._sync_action("coordinator", "collect"))
        self.act_publish.triggered.connect(lambda: self._sync_action("coordinator", "publish"))
        self.act_conflicts.triggered.connect(lambda: self._page().show_conflicts())
        self.act_progress.triggered.connect(lambda: self._page().show_progress())
        self.act_members.triggered.connect(lambda: self._page().show_team())
        self.aboutToShow.connect(self._update_roles)
        session.state_changed.connect(self._session_state)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()
        self._session_state(State.NONE)

    def retranslate_ui(self) -> None:
        self.setTitle(_("&Team"))
        self.act_sync.setText(_("Send and &receive…"))
        self.act_send.setText(_("&Send to team store"))
        self.act_receive.setText(_("Receive from coor&dinators"))
        self.act_collect.setText(_("&Collect from researchers"))
        self.act_publish.setText(_("&Publish to team"))
        self.act_conflicts.setText(_("C&onflicts"))
        self.act_progress.setText(_("Pro&gress and withdrawals"))
        self.act_members.setText(_("Team &members and devices"))

    def _session_state(self, state: State) -> None:
        for act in self.actions():
            act.setEnabled(state is State.UNLOCKED)

    def _update_roles(self) -> None:
        """Show the actions of this workspace's role (all of them before it is known)."""
        role = self.area().state.role
        for act in (self.act_send, self.act_receive):
            act.setVisible(role != "coordinator")
        for act in (self.act_collect, self.act_publish):
            act.setVisible(role != "researcher")

    def _page(self) -> TeamArea:
        area = self.area()
        bring_to_front(area)
        return area

    def _sync_action(self, role: str, what: str) -> None:
        area = self._page()
        area.show_sync()
        if area.state.role == role and not area.sync.busy:
            getattr(area.sync, what)()
