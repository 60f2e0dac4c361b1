"""Run by test_typing_crash.py in a separate process: the real desktop window, unlocked with
the passphrase from ``FIELDAPP_PASSPHRASE`` through its unlock dialog, and a researcher who
types into a note at a steady pace — a key every 0.4–0.7 s, Chinese through the input method
and English on the keyboard — until the test process kills or terminates it.

After each key it prints ``typed N T``: N characters typed so far, T the moment on
``time.monotonic()`` (one clock for every process on the machine), so the test can tell how
long ago each lost character was typed.

usage: python -m tests.ui.typing_child WORKSPACE TEXT SEED
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

from PySide6.QtCore import QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from fieldapp import i18n
from fieldapp.ui.app import close_on_termination, ensure_app, make_window
from fieldapp.ui.context import build_context
from fieldapp.ui.dialogs.unlock import UnlockDialog
from fieldapp.ui.session import State
from tests.kdf import allow_weak_kdf

allow_weak_kdf()  # the workspace was made with the test suite's Argon2id, in this process only

KEY_MS = (400, 700)


def wait_until(app: QApplication, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            print("child: timed out", flush=True)
            os._exit(3)
        app.processEvents()
        time.sleep(0.005)


def press(widget: QWidget, ch: str) -> None:
    """One key as a researcher gives it: Chinese as an input method commits it (QTest has no
    key for characters outside Latin-1), anything else as a key press."""
    if ord(ch) > 0xFF:
        event = QInputMethodEvent()
        event.setCommitString(ch)
        QApplication.sendEvent(widget, event)
    else:
        QTest.keyClicks(widget, ch)


def main(path: Path, text: str, seed: int) -> int:
    app = ensure_app()
    ctx = build_context()  # the real database thread, as in the app
    i18n.set_language("en")
    window = make_window(ctx)
    close_on_termination(window)
    window.show()
    window.session.start(path)
    dialog = window.session.dialog
    assert isinstance(dialog, UnlockDialog)
    dialog.passphrase.setText(os.environ["FIELDAPP_PASSPHRASE"])
    dialog.unlock_button.click()
    wait_until(app, lambda: window.session.state is State.UNLOCKED)
    window.workspace.interviews.new_interview()
    wait_until(app, lambda: window.workspace.interviews.editor.interview_id is not None)
    note = window.workspace.interviews.editor.show_note("field_notes")
    note.edit.setFocus()
    rng = random.Random(seed)
    typed = [0]

    def key() -> None:
        if typed[0] >= len(text):
            return
        press(note.edit, text[typed[0]])
        typed[0] += 1
        print(f"typed {typed[0]} {time.monotonic():.4f}", flush=True)
        QTimer.singleShot(rng.randint(*KEY_MS), key)

    print("ready", flush=True)
    QTimer.singleShot(0, key)
    code = app.exec()
    ctx.language.detach()
    print("closed", flush=True)
    return int(code)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
