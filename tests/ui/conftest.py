"""Fixtures for the desktop app's tests: offscreen Qt, a fresh encrypted workspace per test,
prompts replaced by a scripted double, and no real modal dialog ever allowed to block."""

from __future__ import annotations

import gc
import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported
os.environ.pop("FIELDAPP_LANG", None)

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QWidget,
)

from fieldapp import i18n
from fieldapp.services import session
from fieldapp.ui.app import make_window
from fieldapp.ui.context import AppContext, build_context
from fieldapp.ui.interaction import Interaction, error_text
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.settings import Settings

PASSPHRASE = "correct horse battery staple"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Qt warnings (a bad connection, a model misuse) fail the UI tests.
    for item in items:
        if "tests/ui/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            # The offscreen platform's own notices, not our code's; and a test machine's
            # missing sound server (PulseAudio's client says so, with no data in it).
            item.add_marker(pytest.mark.qt_log_ignore(
                r"This plugin does not support", r"propagateSizeHints",
                r"PulseAudioService: pa_context_connect", r"No audio device"))


class UnexpectedDialog(AssertionError):
    pass


class ScriptedInteraction(Interaction):
    """Prompts answered from a script; anything unscripted fails the test at once."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.confirm_answers: list[bool] = []
        self.files: list[Path | None] = []
        self.errors: list[BaseException] = []
        self.allow_errors = False

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append(("info", title, text))

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append(("warn", title, text))

    def error(self, parent: QWidget | None, exc: BaseException) -> None:
        self.shown.append(("error", "", error_text(exc)))
        self.errors.append(exc)
        if not self.allow_errors:
            raise UnexpectedDialog(f"unexpected error shown: {exc!r}")

    def confirm(self, parent: QWidget | None, title: str, text: str, *, ok: str,
                destructive: bool = False) -> bool:
        self.shown.append(("confirm", title, text))
        if not self.confirm_answers:
            raise UnexpectedDialog(f"unscripted confirmation: {title}")
        return self.confirm_answers.pop(0)

    def _file(self, what: str) -> Path | None:
        if not self.files:
            raise UnexpectedDialog(f"unscripted {what} dialog")
        return self.files.pop(0)

    def open_file(self, parent: QWidget | None, title: str, filters: str = "") -> Path | None:
        return self._file("open-file")

    def save_file(self, parent: QWidget | None, title: str, suggested: str,
                  filters: str = "") -> Path | None:
        return self._file("save-file")

    def choose_folder(self, parent: QWidget | None, title: str) -> Path | None:
        return self._file("choose-folder")

    def texts(self, kind: str | None = None) -> list[str]:
        return [t for k, _title, t in self.shown if kind is None or k == kind]


@pytest.fixture(autouse=True)
def heap_given_back() -> Iterator[None]:
    """Unlocking freezes the objects alive then (fieldapp/ui/heap.py); a test that ends
    without locking hands them back, so one test's window is not kept for the whole run."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def no_blocking_dialogs(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A real blocking dialog would hang an offscreen test: make any attempt fail at once,
    and close any modal QMessageBox/QFileDialog that still appears (failing the test)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UnexpectedDialog(f"a blocking dialog was opened: {args[:3]!r}")

    for cls, names in ((QDialog, ("exec",)),
                       (QMessageBox, ("exec", "information", "warning", "critical", "question",
                                      "about")),
                       (QFileDialog, ("exec", "getOpenFileName", "getSaveFileName",
                                      "getExistingDirectory", "getOpenFileNames")),
                       (QInputDialog, ("exec", "getText", "getInt", "getItem"))):
        for name in names:
            monkeypatch.setattr(cls, name, refuse)
    seen: list[str] = []

    def watchdog() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, (QMessageBox, QFileDialog, QInputDialog)):
            seen.append(widget.windowTitle())
            widget.close()

    timer = QTimer()
    timer.timeout.connect(watchdog)
    timer.start(50)
    yield
    timer.stop()
    assert not seen, f"unexpected modal dialogs: {seen}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FIELDAPP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def interaction() -> ScriptedInteraction:
    return ScriptedInteraction()


@pytest.fixture
def ctx(qapp: QApplication, home: Path, interaction: ScriptedInteraction) -> Iterator[AppContext]:
    context = build_context(synchronous=True, settings=Settings(), interaction=interaction)
    i18n.set_language("en")
    yield context
    context.tasks.shutdown()
    context.clipboard.clear()
    i18n.set_language("en")  # while the bus listens, so it removes Qt's Chinese catalogs
    context.language.detach()


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Iterator[MainWindow]:
    win = make_window(ctx)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def workspace_path(home: Path) -> Path:
    return session.default_workspace_path()


@pytest.fixture
def unlocked(window: MainWindow, ctx: AppContext, workspace_path: Path) -> MainWindow:
    """The window showing a fresh, empty, unlocked workspace."""
    ctx.tasks.open_workspace(lambda: session.create_workspace(workspace_path, PASSPHRASE))
    window.session.path = workspace_path
    window.session.enter_opened()
    return window


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type ``text`` as a researcher would: Latin characters as key presses, Chinese as an
    input method commits it (QTest cannot press keys for characters outside Latin-1)."""
    from PySide6.QtGui import QInputMethodEvent

    run = ""
    for ch in text + "\0":
        if ch != "\0" and ord(ch) > 0xFF:
            run += ch
            continue
        if run:
            event = QInputMethodEvent()
            event.setCommitString(run)
            QApplication.sendEvent(widget, event)
            run = ""
        if ch != "\0":
            qtbot.keyClicks(widget, ch)


def on_ws(ctx: AppContext, fn: Callable[[Any], Any]) -> Any:
    """Run ``fn`` on the window's workspace (the worker is synchronous in tests)."""
    out: list[Any] = []
    ctx.tasks.run(fn, out.append)
    assert out, "the work did not report back"
    return out[0]


def select_row(view: Any, text: str) -> None:
    """Make the row of ``view``'s table whose first column shows ``text`` the current one."""
    for row in range(view.proxy.rowCount()):
        index = view.proxy.index(row, 0)
        if index.data() == text:
            view.table.setCurrentIndex(index)
            return
    raise AssertionError(f"{text} not listed")


def double_click_current(qtbot: Any, view: Any) -> None:
    """Double-click the current row as a mouse would (a press first, as Qt's views expect)."""
    rect = view.table.visualRect(view.table.currentIndex())
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
