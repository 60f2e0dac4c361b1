"""Memo commands: write, list, read, edit and delete analytic memos.

    fieldapp memo add WS (--project | --code CODE | --interview INTERVIEW) --title T [--body B]
    fieldapp memo list WS [--project | --code CODE | --interview INTERVIEW] [--search WORDS]
                          [--author NAME] [--json]
    fieldapp memo show WS ID [--json]
    fieldapp memo edit WS ID [--title T] [--body B | --body-file FILE]
    fieldapp memo delete WS ID

A code is named by its id or its Chinese or English name, an interview by its id or code.
``--body-file -`` reads the text from standard input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.cli.table import render
from fieldapp.i18n import _, current_language, ngettext
from fieldapp.store.errors import InvalidInput


def _subject_args(p: argparse.ArgumentParser, *, required: bool) -> None:
    group = p.add_mutually_exclusive_group(required=required)
    group.add_argument("--project", action="store_true", help=_("a memo on the whole project"))
    group.add_argument("--code", metavar="CODE", help=_("a memo on this code (name or id)"))
    group.add_argument("--interview", metavar="INTERVIEW",
                       help=_("a memo on this interview (code or id)"))


def _body_args(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--body", help=_("the memo's text"))
    group.add_argument("--body-file", metavar="FILE",
                       help=_("read the memo's text from a UTF-8 file (- for standard input)"))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    memo = sub.add_parser("memo", help=_("write, list, read, edit or delete analytic memos"),
                          description=_("Memos are your own analytic writing about the project, "
                                        "a code or an interview. They sync like notes: only "
                                        "the device that wrote a memo can change it."))
    msub = memo.add_subparsers(dest="action", metavar=_("ACTION"))
    msub.required = True

    p = msub.add_parser("add", help=_("write a new memo and print its id"))
    add_workspace_arg(p)
    _subject_args(p, required=True)
    p.add_argument("--title", default="", help=_("the memo's title"))
    _body_args(p)
    p.set_defaults(func=cmd_add)

    p = msub.add_parser("list", help=_("list memos, newest first"))
    add_workspace_arg(p)
    _subject_args(p, required=False)
    p.add_argument("--search", default="", metavar="WORDS",
                   help=_("only memos containing these words (Traditional and Simplified, "
                          "full-width and half-width alike)"))
    p.add_argument("--author", metavar="NAME", help=_("only memos by this researcher"))
    p.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    p.set_defaults(func=cmd_list)

    p = msub.add_parser("show", help=_("print one memo"))
    add_workspace_arg(p)
    p.add_argument("id")
    p.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    p.set_defaults(func=cmd_show)

    p = msub.add_parser("edit", help=_("change a memo's title or text"))
    add_workspace_arg(p)
    p.add_argument("id")
    p.add_argument("--title", default=None, help=_("the memo's title"))
    _body_args(p)
    p.set_defaults(func=cmd_edit)

    p = msub.add_parser("delete", help=_("delete a memo (a tombstone that syncs)"))
    add_workspace_arg(p)
    p.add_argument("id")
    p.set_defaults(func=cmd_delete)


def _body(args: argparse.Namespace) -> str | None:
    if args.body_file is None:
        return str(args.body) if args.body is not None else None
    try:
        if args.body_file == "-":
            return sys.stdin.read()
        return Path(args.body_file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("{file} is not UTF-8 text; save it as UTF-8 and try again. "
                             "Nothing was saved.").format(file=args.body_file)) from None
    except OSError as exc:
        raise InvalidInput(_("Cannot read {file}: {reason}. Nothing was saved.").format(
            file=args.body_file, reason=exc.strerror or type(exc).__name__)) from None


def _subject(ws: Any, args: argparse.Namespace) -> dict[str, Any]:
    from fieldapp.services import memos

    if args.code:
        return {"about": "code", "code_id": memos.find_code(ws, args.code)}
    if args.interview:
        return {"about": "interview", "interview_id": memos.find_interview(ws, args.interview)}
    if args.project:
        return {"about": "project"}
    return {}


def _public(memo: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "about", "code_id", "interview_id", "interview_code", "code_name_zh",
            "code_name_en", "title", "body", "author", "owner", "mine", "created_hlc",
            "updated_hlc")
    return {k: memo.get(k) for k in keys}


def cmd_add(args: argparse.Namespace) -> int:
    from fieldapp.services import memos

    body = _body(args) or ""
    with open_ws(args.workspace) as ws:
        print(memos.add_memo(ws, title=args.title, body=body, **_subject(ws, args)))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from fieldapp.services import memos

    with open_ws(args.workspace) as ws:
        found = memos.list_memos(ws, text=args.search, author=args.author, **_subject(ws, args))
    if args.json:
        print_json([_public(m) for m in found])
        return 0
    if found:
        lang = current_language()
        print(render([_("Id"), _("About"), _("Author"), _("Title"), _("Text")],
                     [[m["id"], memos.subject_label(m, lang), m["author"], m["title"] or "",
                       _short(m["body"] or "")] for m in found]))
    print(ngettext("{n} memo.", "{n} memos.", len(found)).format(n=len(found)))
    return 0


def _short(text: str, limit: int = 50) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cmd_show(args: argparse.Namespace) -> int:
    from fieldapp.services import memos

    with open_ws(args.workspace) as ws:
        memo = memos.get_memo(ws, args.id)
    if args.json:
        print_json(_public(memo))
        return 0
    print(memo["title"] or _("(no title)"))
    print(_("About: {subject}").format(subject=memos.subject_label(memo, current_language())))
    print(_("Author: {author}").format(author=memo["author"]))
    print()
    print(memo["body"] or "")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from fieldapp.services import memos

    body = _body(args)
    if args.title is None and body is None:
        raise InvalidInput(_("Give --title, --body or --body-file: there is nothing to change."))
    with open_ws(args.workspace) as ws:
        changed = memos.save_memo(ws, args.id, title=args.title, body=body)
    print(_("Memo saved.") if changed else _("Nothing changed."))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from fieldapp.services import memos

    with open_ws(args.workspace) as ws:
        memos.delete_memo(ws, args.id)
    print(_("Memo deleted."))
    return 0
