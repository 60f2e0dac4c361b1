"""Crash output without user data.

An uncaught exception normally prints its message, and a message can quote what caused it:
note text, a participant's name, a value typed into a form. fieldapp prints the exception's
type and where it happened (file, line, function, source line), never its message, so a crash
report pasted into an issue or a terminal scrollback leaks nothing.
"""

from __future__ import annotations

import sys
import threading
import traceback
from types import TracebackType


def describe(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    frames = "".join(traceback.format_tb(tb))
    return (f"fieldapp stopped on an unexpected error: {exc_type.__name__}\n{frames}"
            "(The error's message is left out because it may contain research data.)\n")


def _hook(exc_type: type[BaseException], exc: BaseException,
          tb: TracebackType | None) -> None:
    sys.stderr.write(describe(exc_type, tb))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    sys.stderr.write(describe(args.exc_type, args.exc_traceback))


def install() -> None:
    sys.excepthook = _hook
    threading.excepthook = _thread_hook
