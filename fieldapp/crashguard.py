"""Crash output without user data.

An uncaught exception normally prints its message, and a message can quote what caused it:
note text, a participant's name, a value typed into a form. fieldapp prints the exception's
type and where it happened (file, line, function, source line), never its message, so a crash
report pasted into an issue or a terminal scrollback leaks nothing.

A known failure that nothing caught (a user error: a full disk, a shared store that is not
there) is not a crash: its own message is printed, as the command line would.
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


def report(exc_type: type[BaseException], exc: BaseException | None,
           tb: TracebackType | None) -> str:
    """What to print for an exception nobody caught: a user error's message, else a crash
    report without the message."""
    from fieldapp.errors import user_error

    known = user_error(exc) if exc is not None else None
    if known is not None:
        from fieldapp.i18n import _

        return _("error: {message}").format(message=known.message) + "\n"
    return describe(exc_type, tb)


def _hook(exc_type: type[BaseException], exc: BaseException,
          tb: TracebackType | None) -> None:
    sys.stderr.write(report(exc_type, exc, tb))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    sys.stderr.write(report(args.exc_type, args.exc_value, args.exc_traceback))


def install() -> None:
    sys.excepthook = _hook
    threading.excepthook = _thread_hook
