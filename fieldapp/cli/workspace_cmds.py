"""Workspace commands: init, demo, gui, search, passwd, check, audit."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from fieldapp.cli.common import (
    NEW_PASSPHRASE_ENV,
    RECOVERY_ENV,
    add_workspace_arg,
    ask_new_passphrase,
    ask_passphrase,
    open_ws,
    print_json,
)
from fieldapp.i18n import _


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help=_("create an encrypted workspace"),
                       description=_("Create an encrypted workspace in PATH. The passphrase is "
                                     "asked twice (or read from FIELDAPP_PASSPHRASE); the "
                                     "recovery key is printed once: write it down and keep it "
                                     "apart from the laptop."))
    add_workspace_arg(p)
    p.add_argument("--researcher", default="", help=_("your name as the team knows it"))
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help=_("create a workspace holding the bilingual demo study"))
    add_workspace_arg(p)
    p.set_defaults(func=cmd_demo)

    from fieldapp.cli import register_gui  # kept there: ``fieldapp gui`` builds only it

    register_gui(sub)

    p = sub.add_parser("search", help=_("search notes (Chinese and English)"),
                       description=_("Find notes by Chinese words of two or more characters, "
                                     "names, Traditional or full-width spellings, English words "
                                     "and prefixes. Every term must match."))
    add_workspace_arg(p)
    p.add_argument("query", help=_("what to look for"))
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help=_("print JSON"))
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("passwd", help=_("change the passphrase (or reset it with the recovery "
                                        "key)"),
                       description=_("Change the passphrase. The data key is re-wrapped; the "
                                     "database is not re-encrypted. With --recovery, the "
                                     "recovery key (or FIELDAPP_RECOVERY_KEY) opens the "
                                     "workspace instead of the old passphrase. The new "
                                     "passphrase is asked twice or read from "
                                     "FIELDAPP_NEW_PASSPHRASE."))
    add_workspace_arg(p)
    p.add_argument("--recovery", action="store_true", help=_("use the recovery key"))
    p.set_defaults(func=cmd_passwd)

    p = sub.add_parser("check", help=_("verify the workspace's integrity"),
                       description=_("SQLCipher's page check, SQLite's integrity check, and a "
                                     "replay of the change log compared with the tables. Exit "
                                     "code 3 when a problem is found."))
    add_workspace_arg(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("audit", help=_("show the audit log"))
    add_workspace_arg(p)
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_audit)


def cmd_init(args: argparse.Namespace) -> int:
    from fieldapp.services.session import create_workspace

    passphrase = ask_new_passphrase()
    ws, recovery = create_workspace(Path(args.workspace), passphrase, args.researcher)
    ws.close()
    print(_("Created the workspace {path}.").format(path=args.workspace))
    print(_("Recovery key (shown only now; write it down and keep it apart from this "
            "computer):"))
    print(f"    {recovery}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from fieldapp.services.demo import create_demo

    passphrase = ask_new_passphrase()
    ws, recovery = create_demo(Path(args.workspace), passphrase)
    ws.close()
    print(_("Created the demo workspace {path}.").format(path=args.workspace))
    print(_("Recovery key: {key}").format(key=recovery))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from fieldapp.services.search import search

    with open_ws(args.workspace) as ws:
        start = time.perf_counter()
        hits = search(ws, args.query, limit=args.limit)
        took = (time.perf_counter() - start) * 1000
    if args.json:
        print_json([h.__dict__ for h in hits])
        return 0
    for h in hits:
        print(f"{h.interview_code}  {h.note_kind}  {h.note_id}")
        print(f"    {h.snippet}")
    print(_("{n} found in {ms:.0f} ms").format(n=len(hits), ms=took), file=sys.stderr)
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from fieldapp.services import session

    if args.recovery:
        key = os.environ.get(RECOVERY_ENV) or ask_passphrase(RECOVERY_ENV, _("Recovery key: "))
        ws = session.open_with_recovery(
            Path(args.workspace), key,
            progress=lambda text: print(text, file=sys.stderr, flush=True))
    else:
        ws = open_ws(args.workspace)
    with ws:
        new = ask_new_passphrase(NEW_PASSPHRASE_ENV)
        start = time.perf_counter()
        session.change_passphrase(ws, new)
        took = (time.perf_counter() - start) * 1000
    print(_("The passphrase was changed ({ms:.0f} ms).").format(ms=took))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from fieldapp.services.session import verify_path

    report = verify_path(Path(args.workspace), ask_passphrase())
    pages = report.damaged_pages
    page_lines = [_("page {n} is damaged: its authentication check failed").format(n=n)
                  for n in pages] or report.cipher_errors
    for number, (label, problems) in enumerate((
            (_("page check"), page_lines),
            (_("integrity check"), report.sqlite_errors),
            (_("replay of the change log"), report.replay_differences),
            (_("search index"), report.index_differences))):
        if number and report.cipher_errors:
            state = _("skipped")
        else:
            state = _("ok") if not problems else _("{n} problems").format(n=len(problems))
        print(f"{label}: {state}")
        for problem in problems[:20]:
            print(f"    {problem}")
    if report.cipher_errors:
        print(_("The workspace is damaged: the pages above cannot be read, and the other "
                "checks were skipped. Keep this copy as it is, restore the workspace from a "
                "backup copy of its folder, and collect from your coordinator what was already "
                "sent to the team."))
    else:
        print(_("{n} operations checked").format(n=report.operations))
    return 0 if report.ok else 3


def cmd_audit(args: argparse.Namespace) -> int:
    with open_ws(args.workspace) as ws:
        print_json(ws.audit_log(args.limit))
    return 0
