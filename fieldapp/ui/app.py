"""Start the desktop app: ``python -m fieldapp gui`` (or the ``fieldapp-gui`` script).

On Linux, typing Chinese needs an input method Qt can reach. The PySide6 wheel ships no fcitx
plugin, so start fieldapp with ``QT_IM_MODULE=ibus`` (IBus with ibus-libpinyin or ibus-rime) if
the input method does not switch to Chinese. ``FIELDAPP_HOME`` moves the data and config folders.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon  # loaded with QtWidgets anyway
from PySide6.QtWidgets import QApplication, QWidget

from fieldapp import i18n

if TYPE_CHECKING:
    from fieldapp.ui.context import AppContext
    from fieldapp.ui.main_window import MainWindow

_START = time.perf_counter()

#: What ``--exit-when-ready`` prints once the first screen is up: the start-up benchmark
#: (tests/perf/bench_ui_start.py) and the packaging check time a process until this line.
READY_UNLOCK, READY_OTHER = "ready unlock", "ready welcome"


def initial_language(ctx: AppContext) -> str:
    from fieldapp.ui import settings as keys

    chosen = ctx.settings.get(keys.LANGUAGE)
    return chosen or i18n.system_language()


def _warm_up() -> None:
    import fieldapp.services.records
    import fieldapp.services.search
    import fieldapp.services.session
    import fieldapp.services.ui_support  # noqa: F401


def route_errors(ctx: AppContext) -> None:
    """Errors of background tasks nobody else handles are shown to the researcher."""
    ctx.tasks.default_error = lambda exc: ctx.interaction.error(None, exc)


def make_window(ctx: AppContext) -> MainWindow:
    """A main window wired to ``ctx``; the caller shows it and calls ``session.start``.
    (``fieldapp gui`` shows the unlock dialog first and builds the window after it:
    fieldapp/ui/start.py.)"""
    from fieldapp.ui import style
    from fieldapp.ui.main_window import MainWindow

    app = QApplication.instance()
    if isinstance(app, QApplication):
        style.apply(app)  # the fonts and the look (fieldapp/ui/style.py)
    route_errors(ctx)
    return MainWindow(ctx)


def close_on_termination(target: QWidget | Callable[[], object],
                         owner: QObject | None = None) -> None:
    """SIGTERM (the desktop session ending, a system shutdown, ``kill``) and SIGHUP (the
    terminal closed) close the window as Quit does, so what was typed is saved first.
    ``target`` is the window, or what closes the app (the start sequence's ``close``, which
    quits when no window is shown yet); ``owner`` keeps the wake-up socket alive.

    Python runs a signal handler only when it next gets control; Qt's event loop may sleep in
    C++ for long. A socket written on each signal (``signal.set_wakeup_fd``) wakes it."""
    from PySide6.QtCore import QSocketNotifier

    if isinstance(target, QWidget):
        close: Callable[[], object] = target.close
        owner = owner or target
    else:
        close = target
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, owner)

    def drain() -> None:
        try:
            reader.recv(512)
        except OSError:
            pass

    notifier.activated.connect(drain)
    notifier.sockets = (reader, writer)  # type: ignore[attr-defined]  # live as the owner
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, lambda _n, _f: close())


def app_icon() -> QIcon:
    """fieldapp's icon (a notebook with a lock), drawn from the SVG shipped in the package."""
    return QIcon(str(Path(__file__).with_name("icons") / "fieldapp.svg"))


def _silence_media_logging() -> None:
    """Qt's multimedia back end, asked to log, prints a recording's name and metadata (which can
    name an interviewee) on standard error. Whatever logging rules the environment sets, the
    multimedia categories stay off: a rule given last in ``QT_LOGGING_RULES`` wins, and Qt reads
    that variable when the application object is made. FFmpeg's own debug switch is dropped."""
    rules = os.environ.get("QT_LOGGING_RULES", "")
    os.environ["QT_LOGGING_RULES"] = ";".join(r for r in (rules, "qt.multimedia*=false") if r)
    os.environ.pop("QT_FFMPEG_DEBUG", None)


def ensure_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    _silence_media_logging()
    app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName("fieldapp")
    app.setWindowIcon(app_icon())
    app.setOrganizationName("fieldapp")
    app.setDesktopFileName("fieldapp")
    return app


def main(argv: list[str] | None = None) -> int:
    """Show the unlock dialog (or the welcome page) as early as possible.

    Only what that first screen needs is imported before it is shown: Qt's core and widgets,
    the session, the unlock dialog and the look (fieldapp/ui/theme.py). The main window, its
    menus and pages and the workspace views are imported and built when the researcher presses
    Unlock, while the worker derives the key (fieldapp/ui/start.py); the store, cryptography
    and services are imported on the worker, and warmed up there while the researcher types
    the passphrase."""
    parser = argparse.ArgumentParser(prog="fieldapp gui")
    parser.add_argument("workspace", nargs="?", type=Path, help="workspace folder to open")
    parser.add_argument("--language", choices=i18n.LANGUAGES)
    # For the start-up benchmark: report when the unlock dialog (or welcome page) is shown.
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from fieldapp import crashguard

    crashguard.install()
    from PySide6.QtCore import QTimer

    from fieldapp.ui.context import build_context
    from fieldapp.ui.start import Startup

    app = ensure_app()  # Startup applies the look (fonts, style sheet) before the first screen
    ctx = build_context()
    i18n.set_language(args.language or initial_language(ctx))
    route_errors(ctx)
    startup = Startup(ctx, app)
    close_on_termination(startup.close, startup)
    startup.start(args.workspace)
    # Load the database and cryptography code on the worker while the researcher types the
    # passphrase, rather than after they press Unlock.
    QTimer.singleShot(300, lambda: ctx.tasks.submit(_warm_up, None, lambda _exc: None))
    if args.exit_when_ready:
        def ready() -> None:
            from fieldapp.ui.dialogs.unlock import UnlockDialog

            dialog = startup.session.dialog
            shown = isinstance(dialog, UnlockDialog) and dialog.isVisible()
            print(READY_UNLOCK if shown else READY_OTHER, f"{time.perf_counter() - _START:.4f}",
                  flush=True)
            if startup.window is not None:
                startup.window.close()
            startup.quit()

        QTimer.singleShot(0, ready)
    code = app.exec()
    ctx.language.detach()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
