"""The main window: welcome page, locked page or the workspace views, and the menus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QStackedWidget, QWidget

if TYPE_CHECKING:
    from fieldapp.ui.views.workspace_view import WorkspaceView

from fieldapp.i18n import _, ngettext
from fieldapp.ui import settings as keys
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.progress import ProgressWatcher
from fieldapp.ui.session import SessionController, State
from fieldapp.ui.team.menu import TeamMenu
from fieldapp.ui.views.locked import LockedPage
from fieldapp.ui.views.welcome import WelcomePage

IDLE_CHOICES = (1, 5, 10, 15, 30, 60)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 session: SessionController | None = None) -> None:
        """``session``: the controller that already showed the first unlock dialog (the start
        sequence builds the window after it, fieldapp/ui/start.py); else a new one."""
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("main_window")
        if session is None:
            session = SessionController(ctx, self)
        else:
            session.attach(self)
        self.session = session
        self.stack = QStackedWidget()
        self.welcome = WelcomePage(ctx)
        self.locked = LockedPage(ctx)
        self._workspace: WorkspaceView | None = None  # built when first needed
        for page in (self.welcome, self.locked):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)
        self._place: dict[str, object] | None = None
        self.progress = ProgressWatcher(ctx.tasks, self)

        self.welcome.create_requested.connect(self.session.request_create)
        self.welcome.open_requested.connect(self.session.request_open)
        self.welcome.demo_requested.connect(self._demo)
        self.locked.unlock_requested.connect(self.session.request_unlock)
        self.session.state_changed.connect(self._state_changed)
        self.session.about_to_lock.connect(self._remember_place)
        self.session.unlock_started.connect(lambda: self.workspace)
        self._build_actions()
        self._build_menus()
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()
        self._state_changed(self.session.state)
        geometry = ctx.settings.get(keys.WINDOW_GEOMETRY)
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        self.fit_screen(restored=bool(geometry))

    def fit_screen(self, restored: bool = False) -> None:
        """Open within the screen: 1200×780 where there is room, else the screen's available
        area (a 1366×768 or 1280×720 laptop, minus its panels). A size remembered from a larger
        monitor is shrunk and moved back onto this one."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            if not restored:
                self.resize(1200, 780)
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()  # title bar, borders
        if frame.height() <= 0:  # not shown yet: leave room for a title bar and borders
            frame.setWidth(16)
            frame.setHeight(40)
        width = min(self.width() if restored else 1200, area.width() - frame.width())
        height = min(self.height() if restored else 780, area.height() - frame.height())
        self.resize(max(width, 320), max(height, 240))
        x = min(max(self.x(), area.left()), area.right() - self.frameGeometry().width() + 1)
        y = min(max(self.y(), area.top()), area.bottom() - self.frameGeometry().height() + 1)
        if restored or not self.isVisible():
            self.move(max(x, area.left()), max(y, area.top()))

    @property
    def workspace(self) -> WorkspaceView:
        """The workspace views, built on first use: the first unlock builds them while the
        worker derives the key, so the window itself opens quickly."""
        if self._workspace is None:
            from fieldapp.ui.views.workspace_view import WorkspaceView

            self._workspace = WorkspaceView(self.ctx)
            self._workspace.focus_changed.connect(self.act_focus.setChecked)
            self.stack.addWidget(self._workspace)
        return self._workspace

    # -- actions and menus ---------------------------------------------------------------

    def _action(self, name: str,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None) -> QAction:
        action = QAction(self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.act_new = self._action("new_workspace", QKeySequence.StandardKey.New)
        self.act_open = self._action("open_workspace", QKeySequence.StandardKey.Open)
        self.act_export = self._action("export", "Ctrl+E")
        self.act_lock = self._action("lock", "Ctrl+L")
        self.act_quit = self._action("quit", QKeySequence.StandardKey.Quit)
        # Ctrl+F finds in the open note (as in any editor); the workspace search, which looks
        # through every note, is Ctrl+Shift+F.
        self.act_find = self._action("find", "Ctrl+Shift+F")
        self.act_find_note = self._action("find_in_note", QKeySequence.StandardKey.Find)
        self.act_focus = self._action("focus_mode", "F11")
        self.act_focus.setCheckable(True)
        self.act_new_interview = self._action("new_interview", "Ctrl+Shift+I")
        self.act_new_participant = self._action("new_participant", "Ctrl+Shift+P")
        self.act_apply_code = self._action("apply_code", "Ctrl+K")
        self.act_lang_en = self._action("language_en")
        self.act_lang_zh = self._action("language_zh")
        self.act_ime_help = self._action("input_method_help")
        self.act_about = self._action("about")
        for act, icon in ((self.act_new_interview, "interviews"),
                          (self.act_new_participant, "participants"), (self.act_lock, "lock"),
                          (self.act_export, "export"), (self.act_find, "search"),
                          (self.act_focus, "focus"), (self.act_apply_code, "codebook")):
            act.setIcon(style.icon(icon))
        languages = QActionGroup(self)
        for act in (self.act_lang_en, self.act_lang_zh):
            act.setCheckable(True)
            languages.addAction(act)
        self.idle_group = QActionGroup(self)
        self.idle_actions: dict[int, QAction] = {}
        for minutes in IDLE_CHOICES:
            act = self._action(f"idle_{minutes}")
            act.setCheckable(True)
            act.setData(minutes)
            self.idle_group.addAction(act)
            self.idle_actions[minutes] = act
            act.triggered.connect(lambda _c=False, m=minutes: self._set_idle(m))

        self.act_new.triggered.connect(self.session.request_create)
        self.act_open.triggered.connect(self.session.request_open)
        self.act_export.triggered.connect(self._export)
        self.act_lock.triggered.connect(self.session.lock)
        self.act_quit.triggered.connect(self.close)
        self.act_find.triggered.connect(lambda: self.workspace.show_search())
        self.act_find_note.triggered.connect(lambda: self.workspace.find_in_note())
        self.act_focus.triggered.connect(lambda on: self.workspace.set_focus_mode(on))
        self.act_new_interview.triggered.connect(lambda: self.workspace.new_interview())
        self.act_new_participant.triggered.connect(
            lambda: self.workspace.new_participant())
        self.act_apply_code.triggered.connect(lambda: self.workspace.apply_code())
        self.act_lang_en.triggered.connect(lambda: self._set_language("en"))
        self.act_lang_zh.triggered.connect(lambda: self._set_language("zh_CN"))
        self.act_ime_help.triggered.connect(self._ime_help)
        self.act_about.triggered.connect(self._about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.menu_file = QMenu(self)
        self.menu_file.setObjectName("menu_file")
        for act in (self.act_new, self.act_open):
            self.menu_file.addAction(act)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_export)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_lock)
        self.menu_idle = self.menu_file.addMenu("")
        self.menu_idle.setObjectName("menu_idle")
        for act in self.idle_actions.values():
            self.menu_idle.addAction(act)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.act_quit)
        self.menu_records = QMenu(self)
        self.menu_records.setObjectName("menu_records")
        for act in (self.act_new_interview, self.act_new_participant, self.act_apply_code,
                    self.act_find_note, self.act_find):
            self.menu_records.addAction(act)
        self.menu_view = QMenu(self)
        self.menu_view.setObjectName("menu_view")
        self.menu_view.addAction(self.act_focus)
        self.menu_language = QMenu(self)
        self.menu_language.setObjectName("menu_language")
        self.menu_language.addAction(self.act_lang_en)
        self.menu_language.addAction(self.act_lang_zh)
        self.menu_help = QMenu(self)
        self.menu_help.setObjectName("menu_help")
        self.menu_help.addAction(self.act_ime_help)
        self.menu_help.addAction(self.act_about)
        self.menu_team = TeamMenu(self.ctx, self.session, lambda: self.workspace.team, self)
        for menu in (self.menu_file, self.menu_records, self.menu_view, self.menu_team,
                     self.menu_language, self.menu_help):
            bar.addMenu(menu)

    def retranslate_ui(self) -> None:
        self._update_title()
        self.menu_file.setTitle(_("&Workspace"))
        self.menu_records.setTitle(_("&Records"))
        self.menu_language.setTitle(_("&Language"))
        self.menu_help.setTitle(_("&Help"))
        self.menu_idle.setTitle(_("Lock when &idle"))
        self.act_new.setText(_("&New workspace…"))
        self.act_open.setText(_("&Open workspace…"))
        self.act_export.setText(_("&Export for analysis…"))
        self.act_lock.setText(_("&Lock"))
        self.act_lock.setToolTip(_("Drop the key from memory and hide everything (Ctrl+L)"))
        self.act_quit.setText(_("&Quit"))
        self.act_find.setText(_("&Search…"))
        self.act_find_note.setText(_("&Find in note…"))
        self.menu_view.setTitle(_("&View"))
        self.act_focus.setText(_("F&ocus mode"))
        self.act_focus.setToolTip(_("Only the note on screen, for writing (F11; Esc returns)"))
        self.act_new_interview.setText(_("New &interview"))
        self.act_new_participant.setText(_("New &participant"))
        self.act_apply_code.setText(_("Apply the selected &code to the selected passage"))
        # Each language is named in itself, as language menus do.
        self.act_lang_en.setText("English")
        self.act_lang_zh.setText("简体中文")
        self.act_ime_help.setText(_("Typing Chinese…"))
        self.act_about.setText(_("&About fieldapp"))
        for minutes, act in self.idle_actions.items():
            act.setText(ngettext("After {n} minute", "After {n} minutes", minutes).format(
                n=minutes))
        lang = self.ctx.language.current()
        self.act_lang_zh.setChecked(lang == "zh_CN")
        self.act_lang_en.setChecked(lang != "zh_CN")
        current = self.ctx.settings.get(keys.IDLE_LOCK_MINUTES)
        if current in self.idle_actions:
            self.idle_actions[current].setChecked(True)

    def _update_title(self) -> None:
        path = self.session.path
        if self.session.state is State.UNLOCKED and path is not None:
            self.setWindowTitle(_("{name} — fieldapp").format(name=path.name))
        elif self.session.state is State.LOCKED:
            self.setWindowTitle(_("Locked — fieldapp"))
        else:
            self.setWindowTitle(_("fieldapp"))

    # -- state ---------------------------------------------------------------------------

    def _state_changed(self, state: State) -> None:
        page: QWidget = (self.workspace if state is State.UNLOCKED
                         else self.welcome if state is State.NONE else self.locked)
        self.stack.setCurrentWidget(page)
        unlocked = state is State.UNLOCKED
        for act in (self.act_lock, self.act_export, self.act_find, self.act_find_note,
                    self.act_focus, self.act_new_interview,
                    self.act_new_participant, self.act_apply_code):
            act.setEnabled(unlocked)
        if unlocked and self._place is not None:
            self.workspace.restore_place(self._place)
            self._place = None
        self._update_title()

    def _remember_place(self) -> None:
        if self._workspace is not None:
            self._place = self._workspace.place()

    def _set_language(self, lang: str) -> None:
        self.ctx.settings.set(keys.LANGUAGE, lang)
        self.ctx.language.set_language(lang)

    def _set_idle(self, minutes: int) -> None:
        self.ctx.settings.set(keys.IDLE_LOCK_MINUTES, minutes)
        self.session.settings_changed()

    def _demo(self) -> None:
        from fieldapp.ui.demo import start_demo

        start_demo(self.ctx, self.session, self)

    def _export(self) -> None:
        from fieldapp.ui.export import open_export_dialog

        open_export_dialog(self.ctx, self)

    def _ime_help(self) -> None:
        self.ctx.interaction.info(self, _("Typing Chinese"), _(
            "fieldapp accepts any input method your system provides. On Linux, the Qt that "
            "fieldapp uses has no fcitx plugin: if you cannot switch to Chinese input, start "
            "fieldapp with the environment variable QT_IM_MODULE=ibus (IBus with ibus-libpinyin "
            "or ibus-rime), for example:\n\nQT_IM_MODULE=ibus fieldapp-gui"))

    def _about(self) -> None:
        from fieldapp import __version__
        from fieldapp.ui import paths

        self.ctx.interaction.info(self, _("About fieldapp"), "\n\n".join([
            _("fieldapp {version}").format(version=__version__),
            _("fieldapp keeps fieldwork records encrypted on this computer and works offline."),
            _("Workspaces are kept in {folder} unless you chose another folder when you created "
              "them.").format(folder=paths.data_home()),
        ]))

    # -- closing -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        problem = self.session.save_before_exit()
        if problem is not None:
            # Closing now would lose what is on screen: stay open and say why.
            event.ignore()
            self.ctx.interaction.warn(self, _("fieldapp stays open"), _(
                "What you typed last could not be saved: {reason}\n\nCopy it somewhere safe, "
                "or fix the problem and close fieldapp again.").format(
                    reason=error_text(problem)))
            return
        self.ctx.settings.set(keys.WINDOW_GEOMETRY,
                              bytes(self.saveGeometry().toBase64().data()).decode("ascii"))
        self.session.shutdown()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.session.idle)
        super().closeEvent(event)
