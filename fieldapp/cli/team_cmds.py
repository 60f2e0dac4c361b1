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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.cli.table import render
from fieldapp.i18n import N_, _, format_date, format_datetime
from fieldapp.store.errors import InvalidInput

STORE_PASSWORD_ENV = "FIELDAPP_STORE_PASSWORD"  # noqa: S105 - a variable name

#: Collect outcomes as a coordinator reads them (``--json`` keeps the raw words for scripts).
STATUS_LABELS = {
    "merged": N_("Merged"), "duplicate": N_("Already merged"), "rejected": N_("Rejected"),
    "quarantined": N_("Quarantined"), "held": N_("Held for confirmation"),
    "ignored": N_("Refused before"), "stale": N_("Superseded by a later bundle"),
}


def status_label(status: str) -> str:
    text = STATUS_LABELS.get(status)
    return _(text) if text else status


def local_time(value: datetime | str | None) -> str:
    """A moment in the user's time zone and language."""
    if isinstance(value, str):
        try:
            if len(value) == 10:  # a day, not a moment
                return format_date(date.fromisoformat(value))
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(), "short")


def clock_time(hlc: str) -> str:
    """When a change was made: the wall-clock part of its hybrid logical clock."""
    from fieldapp.domain.hlc import HLC

    try:
        wall = HLC.decode(hlc).wall
    except ValueError:
        return hlc
    return local_time(datetime.fromtimestamp(wall / 1000, tz=UTC))


def names_list(names: list[str]) -> str:
    """Names joined as the language writes a list (Chinese: 甲、乙)."""
    from fieldapp.i18n import current_language

    return ("、" if current_language() == "zh_CN" else ", ").join(names) if names else "—"


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

    p = tsub.add_parser(
        "join", help=_("ask to join a team; prints the fingerprint to compare"),
        description=_("Ask to join a team. The team ID, the root key and the root key "
                      "fingerprint come from your coordinator: they run `fieldapp team invite` "
                      "(or open the Team page) and give you the ID and key by message or on "
                      "paper, and read the fingerprint out to you by phone or in person."))
    add_workspace_arg(p)
    p.add_argument("--team-id", required=True,
                   help=_("the team ID from your coordinator's invitation"))
    p.add_argument("--root-key", required=True,
                   help=_("the team's root key from the invitation (RW…-CODE; the code after "
                          "the dash catches a typing error)"))
    p.add_argument("--root-fingerprint", required=True, metavar=_("DIGITS"),
                   help=_("the root key fingerprint your coordinator reads out (24 digits): "
                          "joining stops if it differs"))
    p.add_argument("--name", required=True, help=_("your name as the team knows it"))
    _store_args(p)
    p.set_defaults(func=cmd_join)

    p = tsub.add_parser("leave", help=_("leave the team; every record stays in the workspace"))
    add_workspace_arg(p)
    p.add_argument("--forget-root-key", action="store_true",
                   help=_("the workspace holding the team's root key leaves only with this: "
                          "without the key nobody can approve, revoke or renew any more"))
    p.set_defaults(func=cmd_leave)

    p = tsub.add_parser("requests", help=_("join requests waiting for approval"))
    add_workspace_arg(p)
    p.add_argument("--json", action="store_true", help=_("print JSON"))
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
    p.add_argument("--after-seq", type=int, default=None, metavar="N",
                   help=_("its last trusted change number: changes up to N stay trusted, later "
                          "ones are quarantined. `fieldapp team show` lists what has been merged "
                          "from each device (\"merged through #N\"). Without --after-seq none of "
                          "its changes are trusted any more: every bundle from it is "
                          "quarantined, also one not yet collected (changes already merged "
                          "stay)."))
    p.set_defaults(func=cmd_revoke)

    p = tsub.add_parser("show", help=_("the team roster, expiry and this device's fingerprint"))
    add_workspace_arg(p)
    p.add_argument("--json", action="store_true", help=_("print JSON"))
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
                                  researcher=args.name, store=_store(args),
                                  root_fingerprint=args.root_fingerprint)
        root_fp = team.root_fingerprint(ws)
    print(_("The root key fingerprint matches what your coordinator read out: {fp}").format(
        fp=root_fp))
    print(_("Join request written. Read this fingerprint to your coordinator:"))
    print(f"    {fp}")
    return 0


def cmd_leave(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        unsent = team.leave_team(ws, forget_root_key=args.forget_root_key)
    print(_("This workspace has left the team. Every record stays here; you can join a team "
            "again."))
    if unsent:
        print(_("{n} of your changes have not reached the coordinators yet: they are sent when "
                "you join the team again.").format(n=unsent))
    return 0


def cmd_requests(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    unreadable: list[str] = []
    with open_ws(args.workspace) as ws:
        requests = team.pending_join_requests(ws, unreadable)
    for path in unreadable:
        print(_("warning: {path} in the shared store is not a readable join request; it was "
                "skipped.").format(path=path), file=sys.stderr)
    if args.json:
        print_json(requests)
        return 0
    if not requests:
        print(_("No join requests waiting."))
        return 0
    print(render([_("Researcher"), _("Device"), _("Asked on"), _("Fingerprint")],
                 [[r["researcher"], r["device_id"], local_time(r["created_at"]),
                   r["fingerprint"]] for r in requests]))
    print()
    print(_("Approve one after the researcher reads out the same fingerprint: fieldapp team "
            "approve PATH DEVICE --fingerprint \"…\""))
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.approve(ws, args.device, args.fingerprint,
                              as_coordinator=args.as_coordinator)
        _warn_republish(ws)
    print(_("Enrolled; the team roster is now version {v}.").format(v=roster.version))
    return 0


def _warn_republish(ws: Any) -> None:
    from fieldapp.services import team

    if team.republish_due(ws):
        print(_("warning: the team bundle could not be published to the new roster yet; it is "
                "tried again at the next collect (or run fieldapp sync publish)."),
              file=sys.stderr)


def cmd_escrow(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.set_escrow(ws, args.recipient)
        _warn_republish(ws)
    print(_("The team roster is now version {v}.").format(v=roster.version))
    return 0


def cmd_renew(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.renew(ws)
        _warn_republish(ws)
    print(_("The team roster now expires on {date}.").format(
        date=roster.expires_at.date().isoformat()))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from fieldapp.services import team

    with open_ws(args.workspace) as ws:
        roster = team.revoke(ws, args.device, args.after_seq)
        _warn_republish(ws)
    print(_("Revoked; the team roster is now version {v}.").format(v=roster.version))
    if args.after_seq is None:
        print(_("No change from this device is trusted any more: its bundles are quarantined."))
    else:
        print(_("Its changes up to #{n} stay trusted; later ones are quarantined.").format(
            n=args.after_seq))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from fieldapp.services import sync, team

    with open_ws(args.workspace) as ws:
        role = team.role(ws)
        if not role:
            raise team.NotInTeam()
        fingerprint = team.fingerprint(ws)
        root_fp = team.root_fingerprint(ws)
        try:
            roster = team.roster(ws)
        except team.NotInTeam:
            roster = None  # a researcher waiting for approval has no roster yet
        merged = sync.merged_through(ws)
        me = team.member_id(ws)
    now = datetime.now(UTC)
    if args.json:
        data: dict[str, Any] = roster.to_json() if roster is not None else {}
        data.update({"this_device_fingerprint": fingerprint, "role": role,
                     "root_fingerprint": root_fp,
                     "expiry_warning": roster.expiry_warning(now) if roster else None,
                     "merged_through": merged})
        print_json(data)
        return 0
    print(_("Root key fingerprint (compare it with your coordinator's): {fp}").format(fp=root_fp))
    print(_("This device's fingerprint: {fp}").format(fp=fingerprint))
    if roster is None:
        print(_("Waiting for the coordinator to approve this device."))
        return 0
    print(_("Team “{name}” ({id}), roster version {v}, valid until {date}.").format(
        name=roster.team_name, id=roster.team_id, v=roster.version,
        date=local_time(roster.expires_at)))
    warning = roster.expiry_warning(now)
    if warning:
        print(warning)
    rows: list[list[object]] = []
    for c in roster.coordinators:
        rows.append([c.name + (" *" if c.coordinator_id == me else ""), _("coordinator"),
                     c.coordinator_id, _("active"), ""])
    for d in roster.devices:
        active = d.status.value == "active"
        if active:
            status = _("active")
        elif d.revoked_after_seq is None:
            status = _("revoked, nothing trusted")
        else:
            status = _("revoked after #{n}").format(n=d.revoked_after_seq)
        through = merged.get(d.device_id)
        rows.append([d.researcher + (" *" if d.device_id == me else ""), _("researcher"),
                     d.device_id, status,
                     _("merged through #{n}").format(n=through) if through else "—"])
    print(render([_("Name"), _("Role"), _("Device"), _("Status"), _("Merged here")], rows))
    if roster.escrow_recipient:
        print(_("Escrow key: {key}").format(key=roster.escrow_recipient))
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


def _report(report, as_json: bool, names: dict[str, str] | None = None  # type: ignore[no-untyped-def]
            ) -> int:
    rows = [b.__dict__ for b in report.bundles]
    if as_json:
        print_json(rows)
    elif report.bundles:
        table = []
        for b in report.bundles:
            details = []
            if b.applied:
                details.append(_("{n} changes").format(n=b.applied))
            if b.reason:
                details.append(b.reason)
            if b.gap:
                details.append(_("missing changes {a}–{b}").format(a=b.gap[0], b=b.gap[1]))
            if b.future_clocks:
                details.append(_("{n} changes carry a date in the future: check that device's "
                                 "clock").format(n=b.future_clocks))
            who = (names or {}).get(b.author, "") if b.author else ""
            table.append([status_label(b.status), who, b.name, "; ".join(details)])
        print(render([_("Status"), _("From"), _("Bundle"), _("Details")], table))
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
        report = sync.receive(ws)
        return _report(report, args.json, _names(ws))


def _names(ws: Any) -> dict[str, str]:
    from fieldapp.services import team

    return team.member_names(ws)


def cmd_publish(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        result = sync.publish(ws)
    print(_("Published {ops} changes as {path}.").format(ops=result.ops, path=result.store_path))
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from fieldapp.services import sync

    with open_ws(args.workspace) as ws:
        report = sync.collect(ws, confirm_mass_delete=args.confirm_mass_delete)
        return _report(report, args.json, _names(ws))


def cmd_conflicts(args: argparse.Namespace) -> int:
    with open_ws(args.workspace) as ws:
        conflicts = ws.conflicts()
        names = _names(ws)
    if args.json:
        print_json([{"kind": c.kind, "entity": c.entity, "id": c.entity_id, "field": c.field,
                     "versions": [v.__dict__ for v in c.versions]} for c in conflicts])
        return 0
    if not conflicts:
        print(_("No open conflicts."))
        return 0
    rows: list[list[object]] = []
    for n, c in enumerate(conflicts, 1):
        field = _("(deleted or edited)") if c.kind == "delete" else c.field
        for i, v in enumerate(c.versions):
            value = v.value if isinstance(v.value, str) else json.dumps(v.value,
                                                                        ensure_ascii=False)
            if len(value) > 60:
                value = value[:59] + "…"
            rows.append([str(n) if i == 0 else "", f"{c.entity} {c.entity_id}" if i == 0 else "",
                         field if i == 0 else "", value,
                         names.get(v.device, v.device), clock_time(v.hlc)])
    print(render(["#", _("Record"), _("Field"), _("Value"), _("By"), _("When")], rows))
    print()
    print(_("The first value of each conflict is the one shown. Settle one with: fieldapp sync "
            "resolve PATH TYPE ID FIELD VALUE"))
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
        status = sync.erasure_status(ws)
        names = _names(ws)
    if args.json:
        print_json(status)
        return 0
    if not status:
        print(_("No consent withdrawals."))
        return 0

    def who(entry: Any) -> str:
        if isinstance(entry, list | tuple):  # (device, name)
            return str(entry[1] or names.get(str(entry[0]), entry[0]))
        return names.get(str(entry), str(entry))

    rows = [[local_time(e.get("date")) if e.get("date") else "", e["participant_id"],
             names_list([who(d) for d in e.get("confirmed", [])]),
             names_list([who(d) for d in e.get("waiting_for", [])])] for e in status]
    print(render([_("Withdrawn on"), _("Participant"), _("Erased on"), _("Still holds the data")],
                 rows))
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
