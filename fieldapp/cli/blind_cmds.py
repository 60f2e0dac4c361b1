"""``fieldapp analysis assign|release|assignments|adjudicate``: blind double coding.

    fieldapp analysis assign WS --note NOTE_ID --coders 林晓,王芳
    fieldapp analysis assign WS --interview INTERVIEW_ID --coders 林晓,王芳
    fieldapp analysis release WS --note NOTE_ID | --all
    fieldapp analysis assignments WS [--json]
    fieldapp analysis adjudicate WS ASSIGNMENT [--json]
    fieldapp analysis adjudicate WS ASSIGNMENT --resolve KEY --keep a|b|both|neither
"""

from __future__ import annotations

import argparse
from typing import Any

from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.cli.table import render
from fieldapp.i18n import _, format_number, ngettext
from fieldapp.services import analysis, blind
from fieldapp.store.errors import InvalidInput


def register(inner: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    a = inner.add_parser(
        "assign", help=_("assign a note or an interview to two coders for blind coding"),
        description=_("Coordinators only. Each coder's codings on the note reach the other "
                      "coder only after the release; until then the team bundle does not "
                      "carry them."))
    add_workspace_arg(a)
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("--note", metavar="NOTE_ID", help=_("the note to assign"))
    which.add_argument("--interview", metavar="INTERVIEW_ID",
                       help=_("assign every note of this interview"))
    a.add_argument("--coders", required=True, metavar="A,B",
                   help=_("two researchers of the roster, by name or device id, "
                          "separated by a comma"))
    a.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    a.set_defaults(func=cmd_assign)

    r = inner.add_parser("release", help=_("show each coder the other's codings on a note"))
    add_workspace_arg(r)
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--note", metavar="NOTE_ID", help=_("the note to release"))
    which.add_argument("--all", action="store_true", help=_("release every assignment"))
    r.set_defaults(func=cmd_release)

    s = inner.add_parser("assignments", help=_("blind coding assignments and their state"))
    add_workspace_arg(s)
    s.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    s.set_defaults(func=cmd_assignments)

    d = inner.add_parser(
        "adjudicate", help=_("list the disagreements of an assignment, or resolve one"),
        description=_("Without --resolve: every passage where the two coders differ, per "
                      "code. With --resolve KEY --keep: keep the first coder's passages (a), "
                      "the second's (b), both or neither; the kept text is coded by you."))
    add_workspace_arg(d)
    d.add_argument("assignment", metavar=_("ASSIGNMENT"),
                   help=_("the assignment's id or its note's id"))
    d.add_argument("--resolve", metavar="KEY", help=_("the disagreement to resolve"))
    d.add_argument("--keep", choices=blind.DECISIONS,
                   help=_("whose passages to keep"))
    d.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    d.set_defaults(func=cmd_adjudicate)


def _two(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    if len(parts) != 2:
        raise InvalidInput(_("Name exactly two coders, separated by a comma "
                             "(for example --coders 林晓,王芳)."))
    return parts[0], parts[1]


def cmd_assign(args: argparse.Namespace) -> int:
    first, second = _two(args.coders)
    ws = open_ws(args.workspace)
    try:
        if args.note:
            made = [blind.assign(ws, args.note, first, second)]
        else:
            made = blind.assign_interview(ws, args.interview, first, second)
    finally:
        ws.close()
    if args.json:
        print_json({"assignments": made})
        return 0
    print(ngettext("Assigned {n} note for blind coding. Publish the team bundle so the coders "
                   "receive it.",
                   "Assigned {n} notes for blind coding. Publish the team bundle so the coders "
                   "receive them.", len(made)).format(n=format_number(len(made))))
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        done = blind.release(ws, None if args.all else args.note)
    finally:
        ws.close()
    print(ngettext("Released {n} assignment: the next team bundle shows each coder the other's "
                   "codings.",
                   "Released {n} assignments: the next team bundle shows each coder the "
                   "other's codings.", done).format(n=format_number(done)))
    return 0


def _figure(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _coder(c: dict[str, str]) -> str:
    return c["name"] or c["device"][-8:]


def cmd_assignments(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        rows = blind.overview(ws)
    finally:
        ws.close()
    if args.json:
        print_json({"assignments": rows})
        return 0
    if not rows:
        print(_("No notes are assigned for blind coding."))
        return 0
    table = []
    for r in rows:
        figures = r["agreement"] or {}
        table.append([r["interview_code"] or "—", r["note_id"], _coder(r["coder_a"]),
                      _coder(r["coder_b"]),
                      _("released") if r["released"] else _("blind"),
                      _figure(figures.get("kappa")), _figure(figures.get("alpha"))])
    print(render([_("Interview"), _("Note"), _("First coder"), _("Second coder"), _("State"),
                  "κ", "α"], table))
    return 0


def _disagreement(d: blind.Disagreement, names: dict[str, str]) -> dict[str, Any]:
    return {"key": d.key, "code_id": d.code_id, "code": names.get(d.code_id, d.code_id),
            "start": d.start, "end": d.end, "a": [list(s) for s in d.a_spans],
            "b": [list(s) for s in d.b_spans], "decision": d.decision}


def cmd_adjudicate(args: argparse.Namespace) -> int:
    if bool(args.resolve) != bool(args.keep):
        raise InvalidInput(_("Give both --resolve KEY and --keep a|b|both|neither, or neither "
                             "to list the disagreements."))
    ws = open_ws(args.workspace)
    try:
        if args.resolve:
            blind.adjudicate(ws, args.assignment, args.resolve, args.keep)
        found = blind.disagreements(ws, args.assignment)
        corpus = analysis.load(ws)
        names = {c: corpus.code_path(c) for c in corpus.codes}
    finally:
        ws.close()
    if args.json:
        print_json({"disagreements": [_disagreement(d, names) for d in found]})
        return 0
    if args.resolve:
        print(_("Resolved {key}.").format(key=args.resolve))
    if not found:
        print(_("The two coders agree on every passage."))
        return 0

    def spans(items: tuple[tuple[int, int], ...]) -> str:
        return "、".join(f"{s}–{e}" for s, e in items) or "—"

    decisions = {"a": _("first coder's"), "b": _("second coder's"), "both": _("both"),
                 "neither": _("neither")}
    print(render([_("Key"), _("Code"), _("First coder"), _("Second coder"), _("Decision")],
                 [[d.key, names.get(d.code_id, d.code_id), spans(d.a_spans), spans(d.b_spans),
                   decisions.get(d.decision or "", "—")] for d in found]))
    return 0
