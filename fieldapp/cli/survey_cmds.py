"""``fieldapp survey``: instruments from XLSForm and responses, from a terminal.

    fieldapp survey import WS form.xlsx          # prints the instrument id and version
    fieldapp survey list WS                      # instruments and their versions
    fieldapp survey show WS INSTRUMENT --lang zh # the questions, skip logic and constraints
    fieldapp survey respond WS INSTRUMENT answers.json [--draft] [--participant CODE] ...
    fieldapp survey responses WS [--instrument ID] [--status complete] [--site KM]   # JSON
    fieldapp survey attach WS RESPONSE QUESTION FILE  # a photo/audio/file answer, encrypted
    fieldapp survey review WS RESPONSE {approved,has_issues,rejected} [--comment TEXT]
    fieldapp survey history WS RESPONSE              # its reviews and corrections

``INSTRUMENT`` is an instrument id, or a form id (its newest version). ``answers.json`` is shaped
as a saved response: groups are objects, repeats are lists of objects, select_multiple answers
are lists (or space-separated codes); it goes through the same checks as the app, and nothing is
saved when an answer is invalid or (without ``--draft``) a required answer is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.i18n import _, ngettext
from fieldapp.store.errors import InvalidInput

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

EXIT_FAILED = 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    survey = sub.add_parser("survey", help=_("import survey instruments (XLSForm) and enter "
                                             "or list responses"))
    ssub = survey.add_subparsers(dest="action", metavar=_("ACTION"))
    ssub.required = True

    p = ssub.add_parser("import", help=_("import an XLSForm as an instrument"),
                        description=_("Checks the form and prints the new instrument's id and "
                                      "version; a form that cannot be used is refused with "
                                      "every problem's sheet, row and column."))
    add_workspace_arg(p)
    p.add_argument("form", metavar="FORM.xlsx", help=_("the XLSForm workbook"))
    p.set_defaults(func=cmd_import)

    p = ssub.add_parser("list", help=_("list instruments and their versions"))
    add_workspace_arg(p)
    p.add_argument("--json", action="store_true", help=_("print JSON"))
    p.set_defaults(func=cmd_list)

    p = ssub.add_parser("show", help=_("show an instrument's questions"))
    add_workspace_arg(p)
    p.add_argument("instrument", metavar="INSTRUMENT", help=_("instrument id or form id"))
    p.add_argument("--lang", dest="form_lang", choices=["zh", "en"], default=None,
                   help=_("language of the labels (default: the interface's)"))
    p.set_defaults(func=cmd_show)

    p = ssub.add_parser("respond", help=_("enter a response from a JSON file (paper data entry)"))
    add_workspace_arg(p)
    p.add_argument("instrument", metavar="INSTRUMENT", help=_("instrument id or form id"))
    p.add_argument("answers", metavar="ANSWERS.json", help=_("the answers, as a JSON object"))
    p.add_argument("--draft", action="store_true",
                   help=_("save as a draft: missing required answers are allowed"))
    p.add_argument("--participant", metavar="CODE", help=_("participant code or id"))
    p.add_argument("--organisation", metavar="ID", help=_("organisation id"))
    p.add_argument("--site", default="", help=_("site of the response"))
    p.add_argument("--sector", default="", help=_("sector of the response"))
    p.set_defaults(func=cmd_respond)

    p = ssub.add_parser("attach", help=_("answer an image, audio, video or file question of a "
                                         "response with a file (stored encrypted)"))
    add_workspace_arg(p)
    p.add_argument("response", metavar="RESPONSE", help=_("response id"))
    p.add_argument("question", metavar="QUESTION",
                   help=_("the question's address, e.g. photo or household[2]/photo"))
    p.add_argument("file", metavar="FILE", help=_("the file to attach"))
    p.set_defaults(func=cmd_attach)

    p = ssub.add_parser("review", help=_("review a completed response (coordinators)"))
    add_workspace_arg(p)
    p.add_argument("response", metavar="RESPONSE", help=_("response id"))
    p.add_argument("state", choices=["approved", "has_issues", "rejected"],
                   help=_("the verdict"))
    p.add_argument("--comment", default="",
                   help=_("what the researcher should fix (needed unless approved)"))
    p.set_defaults(func=cmd_review)

    p = ssub.add_parser("history", help=_("a response's reviews and corrections"))
    add_workspace_arg(p)
    p.add_argument("response", metavar="RESPONSE", help=_("response id"))
    p.add_argument("--json", action="store_true", help=_("print JSON"))
    p.set_defaults(func=cmd_history)

    p = ssub.add_parser("responses", help=_("list responses as JSON"))
    add_workspace_arg(p)
    p.add_argument("--instrument", metavar="ID", help=_("instrument id or form id"))
    p.add_argument("--status", choices=["draft", "complete"])
    p.add_argument("--site")
    p.add_argument("--researcher")
    p.set_defaults(func=cmd_responses)


def _instrument_ids(ws: Workspace, ref: str, *, newest: bool) -> list[str]:
    """The instrument ids ``ref`` names: an instrument id, or a form id (every version, or the
    newest one)."""
    from fieldapp.services import records, surveys

    if records.find(ws, "instrument", ref) is not None:
        return [ref]
    versions = surveys.versions_of(ws, ref)
    if not versions:
        known = ", ".join(sorted({r["form_id"] for r in surveys.list_instruments(ws)})) or "-"
        raise InvalidInput(_("No instrument {ref}; instruments here: {known}").format(
            ref=ref, known=known))
    ids = [str(r["id"]) for r in versions]
    return ids[-1:] if newest else ids


def cmd_import(args: argparse.Namespace) -> int:
    from fieldapp.i18n import current_language
    from fieldapp.services import surveys
    from fieldapp.survey import XLSFormError

    with open_ws(args.workspace) as ws:
        try:
            iid = surveys.import_instrument(ws, Path(args.form))
        except XLSFormError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_FAILED
        inst = surveys.instrument(ws, iid)
    print(iid)
    print(_("Imported {form} version {version}: {title}").format(
        form=inst.form_id, version=inst.version or "-", title=inst.title(current_language())))
    for notice in inst.notices:
        print(_("Notice: {notice}").format(notice=notice))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from fieldapp.services import surveys

    with open_ws(args.workspace) as ws:
        rows = surveys.list_instruments(ws)
    if args.json:
        print_json([{k: r[k] for k in ("id", "form_id", "version", "title_zh", "title_en")}
                    for r in rows])
        return 0
    if not rows:
        print(_("No instruments yet; add one with: fieldapp survey import PATH FORM.xlsx"))
    for r in rows:
        titles = dict.fromkeys(t for t in (r["title_zh"], r["title_en"]) if t)
        print(f"{r['form_id']}\t{r['version'] or '-'}\t{r['id']}\t{' / '.join(titles)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from fieldapp.i18n import current_language
    from fieldapp.services import surveys
    from fieldapp.survey import describe

    with open_ws(args.workspace) as ws:
        iid = _instrument_ids(ws, args.instrument, newest=True)[0]
        inst = surveys.instrument(ws, iid)
    print(describe(inst, args.form_lang or current_language()))
    return 0


def _read_answers(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InvalidInput(_("Cannot read {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    except ValueError as exc:
        raise InvalidInput(_("{path} is not valid JSON: {reason}").format(
            path=path, reason=exc)) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("{path} must hold one JSON object of answers").format(path=path))
    return data


def cmd_respond(args: argparse.Namespace) -> int:
    from fieldapp.i18n import current_language
    from fieldapp.services import records, surveys

    answers = _read_answers(args.answers)
    with open_ws(args.workspace) as ws:
        iid = _instrument_ids(ws, args.instrument, newest=True)[0]
        participant_id = None
        if args.participant:
            matches = records.list_records(ws, "participant", where={"code": args.participant})
            participant_id = (matches[0]["id"] if matches
                              else records.get(ws, "participant", args.participant)["id"])
        if args.organisation:
            records.get(ws, "organisation", args.organisation)
        try:
            rid = surveys.add_response_from_answers(
                ws, iid, answers, complete_it=not args.draft, participant_id=participant_id,
                organisation_id=args.organisation, site=args.site, sector=args.sector,
                language=current_language())
        except surveys.ResponseIncomplete as exc:
            print(ngettext("Nothing was saved: {n} answer needs attention.",
                           "Nothing was saved: {n} answers need attention.",
                           len(exc.issues)).format(n=len(exc.issues)), file=sys.stderr)
            for issue in exc.issues:
                print(f"  {issue.address}: {issue.message}", file=sys.stderr)
            return EXIT_FAILED
    print(rid)
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    from fieldapp.services import surveys

    with open_ws(args.workspace) as ws:
        answer = surveys.attach_file(ws, args.response, args.question, Path(args.file))
    print(answer)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from fieldapp.services import surveys

    with open_ws(args.workspace) as ws:
        print(surveys.review_response(ws, args.response, args.state, args.comment))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from fieldapp.services import records, surveys

    with open_ws(args.workspace) as ws:
        records.get(ws, "response", args.response)
        reviews = surveys.reviews_of(ws, args.response)
        fixes = surveys.corrections_of(ws, args.response)
    if args.json:
        print_json({"reviews": reviews, "corrections": fixes})
        return 0
    states = {"approved": _("approved"), "has_issues": _("has issues"),
              "rejected": _("rejected")}
    events = [(str(r["at"]), _("{at} {who}: {state}").format(
        at=r["at"], who=r["reviewer"], state=states.get(str(r["state"]), r["state"]))
        + (f" — {r['comment']}" if r["comment"] else "")) for r in reviews]
    events += [(str(c["at"]), _("{at} {who}: {address} changed from {old} to {new}").format(
        at=c["at"], who=c["by"], address=c["address"], old=json.dumps(c["old"],
                                                                       ensure_ascii=False),
        new=json.dumps(c["new"], ensure_ascii=False))) for c in fixes]
    if not events:
        print(_("Not reviewed, and no answer changed after completion."))
    for _at, line in sorted(events, key=lambda e: e[0]):
        print(line)
    return 0


def cmd_responses(args: argparse.Namespace) -> int:
    from fieldapp.services import surveys

    with open_ws(args.workspace) as ws:
        ids = _instrument_ids(ws, args.instrument, newest=False) if args.instrument else [None]
        rows = []
        for iid in ids:
            rows += surveys.list_responses(ws, instrument_id=iid, site=args.site,
                                           status=args.status, researcher=args.researcher)
        latest = surveys.latest_reviews(ws)
        for row in rows:
            review = latest.get(str(row["id"]))
            row["review"] = ({"state": review["state"], "comment": review["comment"]}
                             if review else None)
    print_json(rows)
    return 0
