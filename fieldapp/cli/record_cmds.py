"""Record commands: create, list, show, update and delete any record; withdraw consent;
attach files; code passages. Values are given as ``--set field=value`` (JSON values such as
lists are parsed: ``--set 'participant_ids=["…"]'``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.domain.schema import ENTITIES, WITHDRAWAL_REASONS, entity
from fieldapp.i18n import _
from fieldapp.store.errors import InvalidInput


def _parse_sets(entity_name: str, pairs: list[str]) -> dict[str, Any]:
    ent = entity(entity_name)
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise InvalidInput(_("Expected field=value, got {pair}").format(pair=pair))
        try:
            f = ent.field(key)
        except KeyError:
            raise InvalidInput(_("{entity} has no field {field}; it has: {fields}").format(
                entity=entity_name, field=key, fields=", ".join(ent.field_names))) from None
        if f.kind in ("json", "refs", "int", "bool", "real"):
            try:
                values[key] = json.loads(raw)
            except ValueError:
                raise InvalidInput(_("{field} needs a JSON value, got {raw}").format(
                    field=key, raw=raw)) from None
        else:
            values[key] = raw
    return values


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rec = sub.add_parser("record", help=_("create, list, show, update or delete records"),
                         description=_("Record types: {types}").format(
                             types=", ".join(ENTITIES)))
    rsub = rec.add_subparsers(dest="action", metavar=_("ACTION"))
    rsub.required = True

    p = rsub.add_parser("create", help=_("create a record and print its id"))
    add_workspace_arg(p)
    p.add_argument("entity", choices=list(ENTITIES))
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=VALUE")
    p.set_defaults(func=cmd_create)

    p = rsub.add_parser("list", help=_("list records as JSON"))
    add_workspace_arg(p)
    p.add_argument("entity", choices=list(ENTITIES))
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--deleted", action="store_true", help=_("include deleted records"))
    p.set_defaults(func=cmd_list)

    p = rsub.add_parser("show", help=_("show one record as JSON"))
    add_workspace_arg(p)
    p.add_argument("entity", choices=list(ENTITIES))
    p.add_argument("id")
    p.set_defaults(func=cmd_show)

    p = rsub.add_parser("update", help=_("change fields of a record"))
    add_workspace_arg(p)
    p.add_argument("entity", choices=list(ENTITIES))
    p.add_argument("id")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=VALUE")
    p.set_defaults(func=cmd_update)

    p = rsub.add_parser("delete", help=_("delete a record (a tombstone that syncs)"))
    add_workspace_arg(p)
    p.add_argument("entity", choices=list(ENTITIES))
    p.add_argument("id")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("withdraw", help=_("withdraw a participant's consent and erase their data"),
                       description=_("Erases the participant, their identity details, consent "
                                     "records, the interviews they took part in with notes, "
                                     "codings and attachments, and their survey responses. "
                                     "The erase order sent to the team carries only the date; "
                                     "the reason stays in this device's audit log."))
    add_workspace_arg(p)
    p.add_argument("participant", help=_("participant code or id"))
    p.add_argument("--reason", default="", metavar="REASON",
                   help=_("why, from a fixed list ({reasons}); free text is refused because it "
                          "could name someone. Kept only in this device's audit log, never "
                          "sent to the team").format(reasons=", ".join(WITHDRAWAL_REASONS)))
    p.add_argument("--date", default=None, help=_("date of the withdrawal (default: today)"))
    p.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    p.set_defaults(func=cmd_withdraw)

    p = sub.add_parser("attach", help=_("add an encrypted attachment to an interview"))
    add_workspace_arg(p)
    p.add_argument("interview", help=_("interview id"))
    p.add_argument("file")
    p.add_argument("--kind", choices=["audio", "consent_form", "photo", "document"])
    p.set_defaults(func=cmd_attach)

    p = sub.add_parser("code", help=_("apply a code to a passage of a note"))
    add_workspace_arg(p)
    p.add_argument("note", help=_("note id"))
    p.add_argument("code", help=_("code id"))
    p.add_argument("start", type=int)
    p.add_argument("end", type=int)
    p.add_argument("--may-quote", action="store_true")
    p.set_defaults(func=cmd_code)


def cmd_create(args: argparse.Namespace) -> int:
    from fieldapp.services import records

    values = _parse_sets(args.entity, args.sets)
    with open_ws(args.workspace) as ws:
        print(records.create(ws, args.entity, values))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from fieldapp.services import records

    where = {k: v for k, v in (w.split("=", 1) for w in args.where)}
    with open_ws(args.workspace) as ws:
        print_json(records.list_records(ws, args.entity, where=where,
                                        include_deleted=args.deleted))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from fieldapp.services import records

    with open_ws(args.workspace) as ws:
        print_json(records.get(ws, args.entity, args.id, include_deleted=True))
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    from fieldapp.services import records

    values = _parse_sets(args.entity, args.sets)
    with open_ws(args.workspace) as ws:
        records.update(ws, args.entity, args.id, values)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from fieldapp.services import records

    with open_ws(args.workspace) as ws:
        records.delete(ws, args.entity, args.id)
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    import sys

    from fieldapp.services import records

    records.check_withdrawal_reason(args.reason)
    with open_ws(args.workspace) as ws:
        matches = records.list_records(ws, "participant", where={"code": args.participant})
        pid = matches[0]["id"] if matches else records.get(ws, "participant", args.participant)["id"]
        impact = records.withdrawal_impact(ws, pid)
        print(_("This erases, on this device: {impact}").format(
            impact=", ".join(f"{k} {v}" for k, v in impact.items())))
        if not args.yes:
            if not sys.stdin.isatty():
                raise InvalidInput(_("Add --yes to confirm the erasure."))
            if input(_("Type YES to erase: ")).strip() != "YES":
                print(_("Nothing was erased."))
                return 1
        counts = records.withdraw_consent(ws, pid, reason=args.reason, withdrawn_on=args.date)
    print(_("Erased: {counts}").format(counts=", ".join(f"{k} {v}" for k, v in
                                                       sorted(counts.items()))))
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    from fieldapp.services.attachments import add_attachment

    with open_ws(args.workspace) as ws:
        print(add_attachment(ws, args.file, interview_id=args.interview, kind=args.kind))
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from fieldapp.services import records

    with open_ws(args.workspace) as ws:
        print(records.apply_code(ws, args.note, args.code, args.start, args.end,
                                 may_quote=args.may_quote))
    return 0
