"""``fieldapp attributes``: typed case attributes of participants and organisations.

    fieldapp attributes WS define budget --for organisation --type number --label-zh 年度预算
    fieldapp attributes WS define registration --for organisation --type choice \\
        --choices 'registered=已登记|Registered; unregistered=未登记|Not registered'
    fieldapp attributes WS list [--json]
    fieldapp attributes WS set budget ORG-CODE 1200000
    fieldapp attributes WS unset budget ORG-CODE
    fieldapp attributes WS values [--json]
    fieldapp attributes WS remove budget
"""

from __future__ import annotations

import argparse
from typing import Any

from fieldapp.analysis.attributes import (
    APPLIES_LABELS,
    APPLIES_TO,
    TYPE_LABELS,
    TYPES,
    display,
    format_choices,
    parse_choices,
)
from fieldapp.cli.common import add_workspace_arg, open_ws, print_json
from fieldapp.cli.table import render
from fieldapp.i18n import _, format_number, ngettext, pick
from fieldapp.services import case_attributes, records


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "attributes", help=_("typed case attributes of participants and organisations"),
        description=_("Attributes such as annual budget, staff or registration status, defined "
                      "once for the team (they travel with the codebook) and set per "
                      "participant or organisation. Types: text, number, date (YYYY-MM-DD) and "
                      "choice. Use them in analysis filters: --where 'budget>=1000000'."))
    add_workspace_arg(p)
    inner = p.add_subparsers(dest="attributes_command", metavar=_("ACTION"))
    inner.required = True

    d = inner.add_parser("define", help=_("define an attribute, or change its labels and "
                                          "choices"))
    d.add_argument("name", help=_("letters (Chinese too), digits and _, e.g. budget"))
    d.add_argument("--for", dest="applies_to", choices=APPLIES_TO, required=True,
                   help=_("the kind of case it describes"))
    d.add_argument("--type", choices=TYPES, required=True)
    d.add_argument("--label-zh", default="", help=_("label in Chinese"))
    d.add_argument("--label-en", default="", help=_("label in English"))
    d.add_argument("--choices", default="",
                   help=_("for a choice attribute: 'value=中文|English; value2=…'"))
    d.set_defaults(func=cmd_define)

    ls = inner.add_parser("list", help=_("the attributes defined"))
    ls.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    ls.set_defaults(func=cmd_list)

    s = inner.add_parser("set", help=_("set an attribute of a participant or an organisation"))
    s.add_argument("name", help=_("the attribute's name or label"))
    s.add_argument("case", help=_("the participant's or organisation's code or id"))
    s.add_argument("value", help=_("a number, a date (YYYY-MM-DD), a choice or text"))
    s.set_defaults(func=cmd_set)

    u = inner.add_parser("unset", help=_("clear an attribute of a participant or an "
                                         "organisation"))
    u.add_argument("name", help=_("the attribute's name or label"))
    u.add_argument("case", help=_("the participant's or organisation's code or id"))
    u.set_defaults(func=cmd_unset)

    v = inner.add_parser("values", help=_("every case with its attribute values"))
    v.add_argument("--for", dest="applies_to", choices=APPLIES_TO)
    v.add_argument("--json", action="store_true", help=_("print JSON for scripts"))
    v.set_defaults(func=cmd_values)

    r = inner.add_parser("remove", help=_("remove an attribute with all its values"))
    r.add_argument("name", help=_("the attribute's name or label"))
    r.set_defaults(func=cmd_remove)


def cmd_define(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        choices = parse_choices(args.choices) if args.choices.strip() else []
        attr = case_attributes.define(ws, args.name, args.applies_to, args.type,
                                      label_zh=args.label_zh, label_en=args.label_en,
                                      choices=choices)
    finally:
        ws.close()
    print(_("Defined {name}: a {type} attribute of {applies}.").format(
        name=attr.name, type=_(TYPE_LABELS[attr.type]), applies=_(APPLIES_LABELS[attr.applies_to])))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        attrs = case_attributes.list_attributes(ws)
    finally:
        ws.close()
    if args.json:
        print_json([{"id": a.id, "name": a.name, "applies_to": a.applies_to, "type": a.type,
                     "label_zh": a.label_zh, "label_en": a.label_en,
                     "choices": [vars(c) for c in a.choices]} for a in attrs])
        return 0
    if not attrs:
        print(_("No case attributes are defined yet."))
        return 0
    print(render([_("Name"), _("Label"), _("For"), _("Type"), _("Choices")],
                 [[a.name, a.label(), _(APPLIES_LABELS[a.applies_to]), _(TYPE_LABELS[a.type]),
                   format_choices(a.choices)] for a in attrs]))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        stored = case_attributes.set_value(ws, args.name, args.case, args.value)
        attr = case_attributes.get_attribute(ws, args.name)
    finally:
        ws.close()
    if stored is None:
        print(_("Cleared {attribute} of {case}.").format(attribute=attr.label(), case=args.case))
    else:
        print(_("{attribute} of {case} is now {value}.").format(
            attribute=attr.label(), case=args.case, value=display(attr, stored)))
    return 0


def cmd_unset(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        case_attributes.set_value(ws, args.name, args.case, None)
        attr = case_attributes.get_attribute(ws, args.name)
    finally:
        ws.close()
    print(_("Cleared {attribute} of {case}.").format(attribute=attr.label(), case=args.case))
    return 0


def _case_name(kind: str, r: dict[str, Any]) -> str:
    if kind == "participant":
        return str(r.get("code") or r["id"])
    return str(r.get("code") or pick(r.get("name_zh"), r.get("name_en")) or r["id"])


def cmd_values(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        attrs = case_attributes.list_attributes(ws)
        values = case_attributes.all_values(ws)
        cases = {kind: records.list_records(ws, kind) for kind in APPLIES_TO}
    finally:
        ws.close()
    out: list[dict[str, Any]] = []
    for kind in APPLIES_TO:
        if args.applies_to and kind != args.applies_to:
            continue
        mine = [a for a in attrs if a.applies_to == kind]
        for r in cases[kind]:
            got = {a.name: values[(a.id, r["id"])] for a in mine if (a.id, r["id"]) in values}
            if got:
                out.append({"kind": kind, "id": r["id"], "case": _case_name(kind, r),
                            "values": got})
    if args.json:
        print_json(out)
        return 0
    by_name = {a.name: a for a in attrs}
    if out:
        kinds = {k: _(APPLIES_LABELS[k]) for k in APPLIES_TO}
        print(render([_("For"), _("Case"), _("Values")],
                     [[kinds[row["kind"]], row["case"],
                       "; ".join(f"{by_name[n].label()}={display(by_name[n], v)}"
                                 for n, v in row["values"].items())] for row in out]))
    print(ngettext("{n} case has attribute values.", "{n} cases have attribute values.",
                   len(out)).format(n=format_number(len(out))))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    ws = open_ws(args.workspace)
    try:
        attr = case_attributes.get_attribute(ws, args.name)
        n = case_attributes.remove(ws, args.name)
    finally:
        ws.close()
    print(ngettext("Removed {name} and {n} value.", "Removed {name} and {n} values.", n).format(
        name=attr.name, n=format_number(n)))
    return 0
