"""Check that an installed fieldapp works, without a display and without touching real work.

``fieldapp --self-test`` (the packaged app) or ``python -m fieldapp.ui.selftest`` (a checkout)
opens the desktop app offscreen, explores the demo study (created in the user's data folder if
it is not there yet, with its published passphrase), locks it, unlocks it again through the
real unlock dialog and quits. It prints one ``key: value`` line per fact it checked, then
``self-test: ok`` and exits 0; on any problem it prints ``self-test: failed …`` and exits 1.
The researcher's own workspace is never opened.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from fieldapp import __version__

TIMEOUT_MS = 120_000


def _say(key: str, value: object) -> None:
    print(f"{key}: {value}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fieldapp --self-test")
    parser.add_argument("--language", choices=("en", "zh_CN"), default="zh_CN")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QWidget

    from fieldapp import crashguard, i18n
    from fieldapp.ui import fonts, paths
    from fieldapp.ui.app import ensure_app, make_window
    from fieldapp.ui.context import build_context
    from fieldapp.ui.dialogs.unlock import UnlockDialog
    from fieldapp.ui.interaction import Interaction, error_text
    from fieldapp.ui.session import State
    from fieldapp.ui.settings import Settings
    from fieldapp.ui.views.welcome import DEMO_PASSPHRASE

    crashguard.install()
    app = ensure_app()
    fonts.apply(app)
    failures: list[str] = []

    def fail(reason: str) -> None:
        if not failures:
            failures.append(reason)
        app.quit()

    class Unattended(Interaction):
        """Any prompt is a failure: nobody is there to answer it."""

        def info(self, parent: QWidget | None, title: str, text: str) -> None:
            fail(f"unexpected message: {title}")

        def warn(self, parent: QWidget | None, title: str, text: str) -> None:
            fail(f"unexpected warning: {title}: {text}")

        def error(self, parent: QWidget | None, exc: BaseException) -> None:
            fail(f"error: {error_text(exc)}")

        def confirm(self, parent: QWidget | None, title: str, text: str, *, ok: str,
                    destructive: bool = False) -> bool:
            fail(f"unexpected question: {title}")
            return False

    class Untouched(Settings):
        """The user's settings stay as they were (the last workspace is theirs, not the demo)."""

        def save(self) -> None:
            return None

    ctx = build_context(interaction=Unattended(), settings=Untouched(Path(os.devnull)))
    i18n.set_language(args.language)
    window = make_window(ctx)
    window.show()
    demo = paths.demo_workspace_path()
    if paths.is_workspace(demo):
        window.session.start(demo)  # its unlock dialog; never the researcher's own workspace
    _say("version", __version__)
    _say("data folder", paths.data_home())
    _say("chinese font", fonts.chinese_family() or "none")
    # Qt's own strings come from its shipped qtbase_*.qm, ours from fieldapp's catalog.
    _say("qt cancel button", QCoreApplication.translate("QPlatformTheme", "Cancel"))
    _say("about menu", window.act_about.text())
    _say("date", i18n.format_date(date(2026, 3, 1), "long"))
    steps = {"unlocked": 0}

    def unlock_dialog() -> None:
        dialog = window.session.dialog
        if not isinstance(dialog, UnlockDialog):
            fail("no unlock dialog after locking")
            return
        _say("unlock dialog", dialog.windowTitle())
        dialog.passphrase.setText(DEMO_PASSPHRASE)
        dialog.unlock_button.click()
        # A refused passphrase shows its reason in the dialog and waits for another try.
        watch = QTimer(dialog)

        def refused() -> None:
            if window.session.state is State.UNLOCKED:
                watch.stop()
            elif not dialog.working and dialog.problem.text():
                watch.stop()
                fail(f"the demo did not unlock: {dialog.problem.text()}")

        watch.timeout.connect(refused)
        watch.start(100)

    def state_changed(state: State) -> None:
        if state is State.LOCKED:
            _say("locked", window.windowTitle())
            QTimer.singleShot(0, unlock_dialog)
        elif state is State.UNLOCKED:
            steps["unlocked"] += 1
            _say("unlocked", f"{window.windowTitle()} ({Path(str(window.session.path))})")
            if steps["unlocked"] == 1:
                QTimer.singleShot(0, window.session.lock)
            else:
                QTimer.singleShot(0, window.close)
                QTimer.singleShot(0, app.quit)

    window.session.state_changed.connect(state_changed)
    if window.session.state is State.NONE:
        QTimer.singleShot(0, window.welcome.demo_button.click)
    else:  # the demo exists already: its unlock dialog is open
        QTimer.singleShot(0, unlock_dialog)
    QTimer.singleShot(TIMEOUT_MS, lambda: fail("timed out"))
    app.exec()
    window.close()
    ctx.language.detach()
    if failures or steps["unlocked"] < 2:
        print(f"self-test: failed: {failures[0] if failures else 'did not finish'}", flush=True)
        return 1
    print("self-test: ok", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
