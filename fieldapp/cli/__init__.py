"""The ``fieldapp`` command: the same use cases as the desktop app, from a terminal.

Each command group lives in its own module with a ``register(subparsers)`` function; add a
module to :data:`COMMAND_MODULES` to add a group. Exit codes: 0 success, 1 the operation failed
(the message says why), 2 the command line was wrong, 3 a check found problems.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from fieldapp import __version__
from fieldapp.i18n import _, set_language, system_language

COMMAND_MODULES = (
    "fieldapp.cli.workspace_cmds",
    "fieldapp.cli.record_cmds",
    "fieldapp.cli.team_cmds",
    "fieldapp.cli.export_cmds",
    "fieldapp.cli.survey_cmds",
    "fieldapp.cli.analysis_cmds",
    "fieldapp.cli.memo_cmds",
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CHECK = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldapp",
        description=_("fieldapp keeps interview notes, consent records and survey responses in "
                      "an encrypted workspace, offline. Passphrases are asked for, or read from "
                      "FIELDAPP_PASSPHRASE in scripts."),
    )
    parser.add_argument("--version", action="version", version=f"fieldapp {__version__}")
    parser.add_argument("--lang", choices=["en", "zh_CN"],
                        help=_("language of messages (default: the system's)"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


#: Variables whose value is used as text (passphrases, keys); checked like the arguments.
TEXT_ENV = ("FIELDAPP_PASSPHRASE", "FIELDAPP_NEW_PASSPHRASE", "FIELDAPP_RECOVERY_KEY")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8, kept as lone surrogates
        return False
    return True


def undecodable_input(args: list[str]) -> str:
    """A message when an argument or a passphrase variable is not UTF-8 text, else "". The
    value itself is never echoed: it may be a passphrase."""
    for number, arg in enumerate(args, start=1):
        if not _is_text(arg):
            return _("argument {n} is not valid UTF-8 text, so it cannot be used; nothing was "
                     "done. Type it again in a UTF-8 terminal, or rename a file whose name "
                     "came from another system.").format(n=number)
    for name in TEXT_ENV:
        value = os.environ.get(name)
        if value is not None and not _is_text(value):
            return _("{env} is not valid UTF-8 text, so it cannot be used; nothing was done. "
                     "Set it again from a UTF-8 terminal or script.").format(env=name)
    return ""


def main(argv: list[str] | None = None) -> int:
    from fieldapp import crashguard

    crashguard.install()
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = system_language()
    if "--lang" in args_list:
        i = args_list.index("--lang")
        if i + 1 < len(args_list):
            lang = args_list[i + 1]
    set_language(lang)
    problem = undecodable_input(args_list)
    if problem:
        print(_("error: {message}").format(message=problem), file=sys.stderr)
        return EXIT_FAILED
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    from fieldapp.errors import user_error

    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the output went to a program that stopped reading (| head)
        return EXIT_FAILED
    except Exception as exc:
        known = user_error(exc, str(getattr(args, "workspace", "") or ""))
        if known is None:
            raise  # a bug: crashguard reports where, never the message
        print(_("error: {message}").format(message=known.message), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(_("interrupted; nothing was half-saved"), file=sys.stderr)
        return EXIT_FAILED
