"""The ``fieldapp`` command: the same use cases as the desktop app, from a terminal.

Each command group lives in its own module with a ``register(subparsers)`` function; add a
module to :data:`COMMAND_MODULES` to add a group. Exit codes: 0 success, 1 the operation failed
(the message says why), 2 the command line was wrong, 3 a check found problems.
"""

from __future__ import annotations

import argparse
import importlib
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
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    from fieldapp.store.errors import FieldappError
    from fieldapp.store.sqlite import DatabaseError, translate_error
    from fieldapp.sync.errors import SyncError

    try:
        try:
            return int(args.func(args) or 0)
        except DatabaseError as exc:
            raise translate_error(exc, getattr(args, "workspace", "") or "") from None
    except FieldappError as exc:
        print(_("error: {message}").format(message=exc.message), file=sys.stderr)
        return EXIT_FAILED
    except SyncError as exc:
        print(_("error: {message}").format(message=exc.message), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(_("interrupted; nothing was half-saved"), file=sys.stderr)
        return EXIT_FAILED
