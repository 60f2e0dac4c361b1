"""Team and sync commands: set up a team, enrol devices, send and collect bundles, resolve
conflicts, follow progress and erasures, and inspect or carry bundle files by hand.

The shared store is a folder (``/media/usb/team``, a synced folder) or a WebDAV URL
(``https://dav.example.org/team/``) with ``--user``; the WebDAV password is read from
``FIELDAPP_STORE_PASSWORD`` or asked for, and kept in the encrypted workspace.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.i18n import _
from fieldapp.store.errors import InvalidInput

STORE_PASSWORD_ENV = "FIELDAPP_STORE_PASSWORD"  # noqa: S105 - a variable name


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from fieldapp.services.team import StoreConfig

    location = args.store
    if location.startswith(("http://", "https://")):
        password = os.environ.get(STORE_PASSWORD_ENV)
        if password is None and args.user:
            if not sys.stdin.isatty():
                raise InvalidInput(_("Set {env} for the WebDAV password.").format(
                    env=STORE_PASSWORD_ENV))
            password = getpass.getpass(_("WebDAV password: "))
        return StoreConfig(location, args.user or "", password or "")
    return StoreConfig(str(Path(location).expanduser().resolve()))


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, help=_("the shared store: a folder or a WebDAV URL"))
    p.add_argument("--user", default="", help=_("WebDAV user name"))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    t = sub.add_parser("team", help=_("set up a team, enrol and revoke devices"))
    tsub = t.add_subparsers(dest="action", metavar=_("ACTION"))
    tsub.required = True

    p = tsub.add_parser("create", help=_("create a team with this workspace as coordinator"))
    add_workspace_arg(p)
    p.add_argument("--name", required=True, help=_("the team's name"))
    p.add_argument("--coordinator", default="", help=_("your name as coordinator"))
    p.add_argument("--escrow", default=None, help=_("an age recipient (age1…) kept offline"))
    _store_args(p)
    p.set_defaults(func=cmd_create)

    p = tsub.add_parser("invite", help=_("what a researcher needs to join (team id, root key)"))
    add_workspace_arg(p)
    p.set_defaults(func=cmd_invite)

    p = tsub.add_parser("join", help=_("ask to join a team; prints the fingerprint to compare"))
    add_workspace_arg(p)
    p.add_argument("--team-id", required=True)
    p.add_argument("--root-key", required=True, help=_("the team's root public key (RW…)"))
    p.add_argument("--name", required=True, help=_("your name as the team knows it"))
    _store_args(p)
    p.set_defaults(func=cmd_join)

    p = tsub.add_parser("requests", help=_("join requests waiting for approval"))
    add_workspace_arg(p)
    p.set_defaults(func=cmd_requests)

    p = tsub.add_parser("approve", help=_("enrol a device after comparing its fingerprint"))
    add_workspace_arg(p)
    p.add_argument("device")
    p.add_argument("--fingerprint", required=True,
                   help=_("the fingerprint the researcher reads out from their screen"))
    p.add_argument("--as-coordinator", action="store_true",
                   help=_("enrol this device as a further coordinator"))
    p.set_defaults(func=cmd_approve)

    p = tsub.add_parser("escrow", help=_("set or remove the team's escrow key"))
    add_workspace_arg(p)
    p.add_argument("recipient", nargs="?", default=None,
                   help=_("an age recipient (age1…) whose identity is kept offline; omit to "
                          "remove"))
    p.set_defaults(func=cmd_escrow)

    p = tsub.add_parser("renew", help=_("renew the team roster before it expires"))
    add_workspace_arg(p)
    p.set_defaults(func=cmd_renew)

    p = tsub.add_parser("revoke", help=_("revoke a lost or stolen device"))
    add_workspace_arg(p)
    p.add_argument("device")
    p.add_argument("--after-seq", type=int, default=None,
                   help=_("its last trusted change number (later ones are quarantined)"))
    p.set_defaults(func=cmd_revoke)

    p = tsub.add_parser("show", help=_("the team roster, expiry and this device's fingerprint"))
    add_workspace_arg(p)
    p.set_defaults(func=cmd_show)

    p = tsub.add_parser("identity", help=_("write this workspace's age identity to a file "
                                           "(to read bundles with the age tool)"))
    add_workspace_arg(p)
    p.add_argument("out", help=_("where to write it (keep it offline)"))
    p.set_defaults(func=cmd_identity)

    s = sub.add_parser("sync", help=_("send, collect, publish and receive bundles"))
    ssub = s.add_subparsers(dest="action", metavar=_("ACTION"))
    ssub.required = True
    for name, helptext, func in (
        ("status", _("what the next bundle would carry"), cmd_status),
        ("send", _("researcher: send changes to the team store"), cmd_send),
        ("receive", _("researcher: receive the roster and coordinator bundles"), cmd_receive),
        ("publish", _("coordinator: send shared records and erasures to the team"), cmd_publish),
        ("conflicts", _("list open conflicts"), cmd_conflicts),
        ("progress", _("interviews and consents by site and sector against targets"),
         cmd_progress),
        ("erasures", _("consent withdrawals and which devices confirmed them"), cmd_erasures),
    ):
        p = ssub.add_parser(name, help=helptext)
        add_workspace_arg(p)
        p.add_argument("--json", action="store_true", help=_("print JSON"))
        p.set_defaults(func=func)
    p = ssub.add_parser("collect", help=_("coordinator: import every new bundle"))
    add_workspace_arg(p)
    p.add_argument("--confirm-mass-delete", action="store_true",
                   help=_("merge bundles that would delete most of the data"))
    p.add_argument("--json", action="store_true", help=_("print JSON"))
    p.set_defaults(func=cmd_collect)
    p = ssub.add_parser("resolve", help=_("settle a conflict with a value"))
    add_workspace_arg(p)
    p.add_argument("entity")
    p.add_argument("id")
    p.add_argument("field")
    p.add_argument("value", nargs="?", default=None)
    p.add_argument("--keep-deleted", action="store_true",
                   help=_("delete conflict: confirm the delete"))
    p.add_argument("--restore", action="store_true", help=_("delete conflict: restore"))
    p.set_defaults(func=cmd_resolve)

    b = sub.add_parser("bundle", help=_("inspect, verify, export or import bundle files"))
    bsub = b.add_subparsers(dest="action", metavar=_("ACTION"))
    bsub.required = True
    p = bsub.add_parser("inspect", help=_("verify a bundle file and describe it"))
    add_workspace_arg(p)
    p.add_argument("file")
    p.set_defaults(func=cmd_inspect)
    p = bsub.add_parser("verify", help=_("verify a bundle file; exit code 1 if it is refused"))
    add_workspace_arg(p)
    p.add_argument("file")
    p.set_defaults(func=cmd_verify)
    p = bsub.add_parser("export", help=_("write the next bundle to a folder (to carry by hand)"))
    add_workspace_arg(p)
    p.add_argument("folder")
    p.set_defaults(func=cmd_export)
    p = bsub.add_parser("import", help=_("verify and merge a bundle file (carried by hand)"))
    add_workspace_arg(p)
    p.add_argument("file")
    p.add_argument("--confirm-mass-delete", action="store_true")
    p.set_defaults(func=cmd_import)


def cmd_create(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.create_team(ws, team_name=args.name,
                                  coordinator_name=(args.coordinator or ws.meta("researcher")
                                                    or _("Coordinator")),
                                  store=_store(args), escrow_recipient=args.escrow)
        invite = team.invitation(ws)
    print(_("Created the team {name} ({id}).").format(name=roster.team_name, id=roster.team_id))
    print(_("Root key fingerprint (researchers compare it when they join): {fp}").format(
        fp=invite["root_fingerprint"]))
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        print_json(team.invitation(ws))
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        fp = team.request_to_join(ws, team_id=args.team_id, root_key=args.root_key,
                                  researcher=args.name, store=_store(args))
    print(_("Join request written. Read this fingerprint to your coordinator:"))
    print(f"    {fp}")
    return 0


def cmd_requests(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        print_json(team.pending_join_requests(ws))
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.approve(ws, args.device, args.fingerprint,
                              as_coordinator=args.as_coordinator)
    print(_("Enrolled; the team roster is now version {v}.").format(v=roster.version))
    return 0


def cmd_escrow(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.set_escrow(ws, args.recipient)
    print(_("The team roster is now version {v}.").format(v=roster.version))
    return 0


def cmd_renew(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.renew(ws)
    print(_("The team roster now expires on {date}.").format(
        date=roster.expires_at.date().isoformat()))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.revoke(ws, args.device, args.after_seq)
    print(_("Revoked; the team roster is now version {v}.").format(v=roster.version))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.roster(ws)
        data = roster.to_json()
        data["this_device_fingerprint"] = team.fingerprint(ws)
        data["role"] = team.role(ws)
        data["expiry_warning"] = roster.expiry_warning(datetime.now(UTC))
    print_json(data)
    return 0


def cmd_identity(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        secret = team.export_identity(ws)
    out = Path(args.out)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret + "\n")
    print(_("Wrote the identity to {path}. Anyone with this file can read bundles sent to you: "
            "keep it offline.").format(path=out))
    return 0


def _report(report, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    rows = [b.__dict__ for b in report.bundles]
    if as_json:
        print_json(rows)
    for b in report.bundles:
        if not as_json:
            line = f"{b.status:12} {b.name}"
            if b.applied:
                line += "  " + _("{n} changes").format(n=b.applied)
            if b.reason:
                line += f"  — {b.reason}"
            if b.gap:
                line += "  " + _("missing changes {a}–{b}").format(a=b.gap[0], b=b.gap[1])
            if b.future_clocks:
                line += "  " + _("{n} changes carry a date in the future: check that device's "
                                 "clock").format(n=b.future_clocks)
            print(line)
    return 1 if any(b.status in ("rejected", "held") for b in report.bundles) else 0


def cmd_status(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        print_json(sync.pending(ws))
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        result = sync.send(ws)
    if not result.sent:
        print(_("Nothing to send: the coordinators have everything."))
    else:
        print(_("Sent {ops} changes and {att} attachments as {path}.").format(
            ops=result.ops, att=result.attachments, path=result.store_path))
    return 0


def cmd_receive(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        return _report(sync.receive(ws), args.json)


def cmd_publish(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        result = sync.publish(ws)
    print(_("Published {ops} changes as {path}.").format(ops=result.ops, path=result.store_path))
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        return _report(sync.collect(ws, confirm_mass_delete=args.confirm_mass_delete),
                       args.json)


def cmd_conflicts(args: argparse.Namespace) -> int:
    with open_ws(args.workspace) as ws:
        conflicts = ws.conflicts()
    print_json([{"kind": c.kind, "entity": c.entity, "id": c.entity_id, "field": c.field,
                 "versions": [v.__dict__ for v in c.versions]} for c in conflicts])
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    with open_ws(args.workspace) as ws:
        if args.keep_deleted or args.restore:
            ws.resolve_delete(args.entity, args.id, keep_deleted=args.keep_deleted)
        else:
            value = args.value
            try:
                value = json.loads(value) if value is not None else None
            except ValueError:
                pass  # plain text
            ws.resolve(args.entity, args.id, args.field, value)
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        table = sync.progress_table(ws)
    if args.json:
        print_json(table)
        return 0
    print(_("site|sector   interviews  consents  target"))
    for key, cell in table["cells"].items():
        print(f"{key:14} {cell['interviews']:>10} {cell['consents']:>9} {cell['target']:>7}")
    for who, n in table["researchers"].items():
        print(f"{who}: {n}")
    return 0


def cmd_erasures(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        print_json(sync.erasure_status(ws))
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        print_json(sync.inspect_bundle(ws, args.file))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        info = sync.inspect_bundle(ws, args.file)
    print(_("Verified: signed by {author}, changes {first}–{last}, {ops} operations.").format(
        author=info["author"], first=info["seq"][0], last=info["seq"][1], ops=info["ops"]))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        path = sync.export_bundle_file(ws, args.folder)
    print(path)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        result = sync.import_bundle_file(ws, args.file,
                                         confirm_mass_delete=args.confirm_mass_delete)
    print_json(result.__dict__)
    return 0 if result.status in ("merged", "duplicate", "quarantined") else 1
