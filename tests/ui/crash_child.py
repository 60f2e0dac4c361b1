"""Run by test_crash.py in a separate process: type into a note, let autosave run, type more,
then die without closing anything (as a crash or a dead battery would)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fieldapp import i18n
from fieldapp.services import session
from fieldapp.ui.app import make_window
from fieldapp.ui.context import build_context
from tests.kdf import allow_weak_kdf


def wait(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(path: Path, first: str, second: str) -> None:
    allow_weak_kdf()  # the test suite's fast Argon2id, in this process only
    app = QApplication([])
    ctx = build_context()
    i18n.set_language("en")
    window = make_window(ctx)
    window.show()
    ctx.tasks.open_workspace(lambda: session.create_workspace(path, "crash test passphrase"))
    ctx.tasks.wait_idle()
    window.session.path = path
    window.session.enter_opened()
    wait(app, 0.3)
    window.workspace.interviews.new_interview()
    wait(app, 0.5)
    note = window.workspace.interviews.editor.show_note("field_notes")
    QTest.keyClicks(note.edit, first)
    wait(app, 1.8)  # past the autosave
    print("saved:", note.status.text(), flush=True)
    QTest.keyClicks(note.edit, second)
    wait(app, 0.2)
    os._exit(9)  # no close, no checkpoint, no unlock of anything


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
