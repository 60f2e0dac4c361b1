"""Case attributes: define typed attributes of participants and organisations, and set their
values (see :mod:`fieldapp.analysis.attributes` for the types and the condition syntax).

Definitions (``attribute`` records) are shared records like the codebook: anyone may define or
change one, and the coordinator's team bundle carries them to every device. Values
(``attribute_value`` records, one per attribute and case) are shared records too, so a value
a researcher records travels to the coordinator and on to the team.

Ids are derived, not random: an attribute's id from its name, a value's id from its attribute
and its case. Two devices that define ``budget`` while apart therefore define one attribute,
and two researchers who set the same organisation's budget while apart edit one record, which
is a field conflict like any other (both values kept, the latest shown, resolved in the
conflicts view). A value is erased with its participant when consent is withdrawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from fieldapp.analysis.attributes import (
    APPLIES_LABELS,
    APPLIES_TO,
    TYPE_LABELS,
    TYPES,
    Attribute,
    Choice,
    Condition,
    check_choices,
    check_name,
    find,
    fold,
    parse_conditions,
    parse_value,
)
from fieldapp.domain.ops import DELETED
from fieldapp.i18n import _
from fieldapp.services import records
from fieldapp.store.errors import InvalidInput
from fieldapp.store.workspace import Workspace

_NS = uuid.UUID("0c6b5f0e-2a4c-4f0e-9d3e-5a1f7c2b9e41")


def attribute_id(name: str) -> str:
    """The id every device gives the attribute called ``name`` (case and width folded)."""
    return str(uuid.uuid5(_NS, "attribute:" + fold(name)))


def value_id(attr_id: str, case_id: str) -> str:
    """The id every device gives the value of ``attr_id`` for one participant or organisation."""
    return str(uuid.uuid5(_NS, f"value:{attr_id}:{case_id}"))


# -- definitions -------------------------------------------------------------------------------

def list_attributes(ws: Workspace, applies_to: str | None = None) -> list[Attribute]:
    out = [Attribute.from_record(r) for r in records.list_records(ws, "attribute")]
    if applies_to is not None:
        out = [a for a in out if a.applies_to == applies_to]
    return sorted(out, key=lambda a: (a.applies_to != "organisation", a.sort_order, a.name))


def get_attribute(ws: Workspace, name: str) -> Attribute:
    return find(list_attributes(ws), name)


def _check_kind(applies_to: str, type_: str) -> None:
    if applies_to not in APPLIES_TO:
        raise InvalidInput(_("An attribute applies to participant or organisation, not "
                             "“{value}”.").format(value=applies_to))
    if type_ not in TYPES:
        raise InvalidInput(_("An attribute's type is text, number, date or choice, not "
                             "“{value}”.").format(value=type_))


def define(ws: Workspace, name: str, applies_to: str, type_: str, *, label_zh: str = "",
           label_en: str = "", choices: Iterable[Choice] = ()) -> Attribute:
    """Define an attribute, or change the labels and choices of the one with this name.

    Its type and what it applies to are fixed once it has values (remove it and define it
    again to change them); a choice that a case has as its value cannot be removed."""
    name = check_name(name)
    _check_kind(applies_to, type_)
    listed = check_choices(list(choices)) if type_ == "choice" else []
    if type_ != "choice" and list(choices):
        raise InvalidInput(_("Only a choice attribute has choices."))
    rid = attribute_id(name)
    values: dict[str, Any] = {"name": name, "applies_to": applies_to, "type": type_,
              "label_zh": label_zh.strip(), "label_en": label_en.strip(),
              "choices": [{"value": c.value, "label_zh": c.label_zh, "label_en": c.label_en}
                          for c in listed]}
    row = ws.get_row("attribute", rid)
    current = Attribute.from_record(records.decode_row("attribute", row)) if row else None
    live = row is not None and not row["deleted"]
    if current is not None and live:
        used = _values(ws, current.id)
        if used and (current.type != type_ or current.applies_to != applies_to):
            raise InvalidInput(_(
                "{attribute} already holds values as a {type} attribute of {applies}: remove it "
                "first to define it anew (its values go with it).").format(
                attribute=current.name, type=_(TYPE_LABELS[current.type]),
                applies=_(APPLIES_LABELS[current.applies_to])))
        kept = {c.value for c in listed}
        lost = sorted({str(v["value"]) for v in used if type_ == "choice"
                       and v.get("value") is not None and v["value"] not in kept})
        if lost:
            raise InvalidInput(_("The choices {values} are in use; keep them (the labels may "
                                 "change).").format(values=", ".join(lost)))
        records.update(ws, "attribute", rid, values)
    else:
        values["sort_order"] = len(list_attributes(ws))
        with ws.transaction():
            if row is None:
                ws.write("attribute", rid, values, create=True)
            else:  # defined before and removed: defined again under the same id
                ws.write("attribute", rid, {**values, DELETED: False})
    return Attribute.from_record(records.get(ws, "attribute", rid))


def remove(ws: Workspace, name: str) -> int:
    """Remove an attribute and its values; returns how many values went with it."""
    attr = get_attribute(ws, name)
    used = records.list_records(ws, "attribute_value", where={"attribute_id": attr.id})
    with ws.transaction():
        for v in used:
            ws.write("attribute_value", v["id"], {DELETED: True})
        ws.write("attribute", attr.id, {DELETED: True})
    return sum(1 for v in used if v.get("value") is not None)


# -- values ------------------------------------------------------------------------------------

def _values(ws: Workspace, attr_id: str) -> list[dict[str, Any]]:
    return [v for v in records.list_records(ws, "attribute_value",
                                            where={"attribute_id": attr_id})
            if v.get("value") is not None]


def _case(ws: Workspace, attr: Attribute, case_id: str) -> dict[str, Any]:
    """The participant or organisation ``case_id`` (an id or a participant's or an
    organisation's code) that ``attr`` applies to."""
    kind = attr.applies_to
    found = records.find(ws, kind, case_id)
    if found is None:
        wanted = fold(case_id)
        found = next((r for r in records.list_records(ws, kind) if wanted and wanted in {
            fold(str(r.get(f) or "")) for f in ("code", "name_zh", "name_en") if f in r}), None)
    if found is None:
        raise InvalidInput(_("{attribute} is an attribute of {applies}, and “{case}” is not one "
                             "of them (give its id, its code or, for an organisation, its name).").format(
            attribute=attr.label(), applies=_(APPLIES_LABELS[kind]), case=case_id))
    return found


def set_value(ws: Workspace, name: str, case_id: str, value: Any) -> Any:
    """Set ``name`` of a participant or organisation to ``value`` (typed text, or a typed value
    from an editor); None or empty text clears it. Returns the value as stored. A value that does
    not fit the attribute's type is refused and nothing is written."""
    attr = get_attribute(ws, name)
    case = _case(ws, attr, case_id)
    set_values(ws, case["id"], {attr.name: value})
    return values_of(ws, case["id"]).get(attr.id)


def values_of(ws: Workspace, case_id: str) -> dict[str, Any]:
    """attribute id → value, for one participant or organisation."""
    out: dict[str, Any] = {}
    for field in ("participant_id", "organisation_id"):
        for v in records.list_records(ws, "attribute_value", where={field: case_id}):
            if v.get("value") is not None:
                out[str(v["attribute_id"])] = v["value"]
    return out


def all_values(ws: Workspace) -> dict[tuple[str, str], Any]:
    """(attribute id, case id) → value, for every live attribute's values on cases of the kind
    it applies to (a value left on the wrong kind by a concurrent redefinition is ignored)."""
    attrs = {a.id: a for a in list_attributes(ws)}
    out: dict[tuple[str, str], Any] = {}
    for v in records.list_records(ws, "attribute_value"):
        attr = attrs.get(str(v.get("attribute_id") or ""))
        if attr is None or v.get("value") is None:
            continue
        case = v.get("participant_id") if attr.applies_to == "participant" \
            else v.get("organisation_id")
        if case:
            out[(attr.id, str(case))] = v["value"]
    return out


def matching_cases(ws: Workspace, conditions: tuple[Condition, ...]) -> dict[str, set[str]]:
    """For the conditions on each kind of case, the ids of the cases that meet all of them:
    ``{"participant": {...}, "organisation": {...}}`` (a kind without conditions is absent)."""
    values = all_values(ws)
    out: dict[str, set[str]] = {}
    for kind in APPLIES_TO:
        mine = [c for c in conditions if c.attribute.applies_to == kind]
        if not mine:
            continue
        ids = {r["id"] for r in records.list_records(ws, kind)}
        out[kind] = {cid for cid in ids
                     if all(c.holds(values.get((c.attribute.id, cid))) for c in mine)}
    return out


def conditions(ws: Workspace, texts: list[str] | tuple[str, ...]) -> tuple[Condition, ...]:
    """Conditions such as ``budget>=1000000`` read against the workspace's attributes."""
    if not any(t.strip() for t in texts):
        return ()
    return parse_conditions(list_attributes(ws), texts)


def interview_filter(ws: Workspace, texts: list[str] | tuple[str, ...]
                     ) -> Callable[[dict[str, Any]], bool] | None:
    """What the analysis filters keep of interviews under conditions such as ``budget>=1000000``
    (None when there are none): an interview is kept when, for conditions on organisations, its
    organisation — the interview's own, or that of one of its participants — meets them all,
    and for conditions on participants, one of its participants meets them all."""
    wanted = conditions(ws, texts)
    if not wanted:
        return None
    cases = matching_cases(ws, wanted)
    org_of = {p["id"]: p.get("organisation_id") for p in records.list_records(ws, "participant")}

    def keeps(interview: dict[str, Any]) -> bool:
        people = [str(p) for p in interview.get("participant_ids") or []]
        if "participant" in cases and not cases["participant"] & set(people):
            return False
        if "organisation" in cases:
            orgs = {interview.get("organisation_id"), *(org_of.get(p) for p in people)}
            if not cases["organisation"] & {o for o in orgs if o}:
                return False
        return True

    return keeps


def set_values(ws: Workspace, case_id: str, values: dict[str, Any]) -> int:
    """Set several attributes of one case (name → value, None clears) at once: every value is
    checked before anything is written, so one that does not fit changes nothing. Returns how
    many changed."""
    checked = []
    for name, value in values.items():
        attr = get_attribute(ws, name)
        case = _case(ws, attr, case_id)
        empty = value is None or (isinstance(value, str) and not value.strip())
        checked.append((attr, case["id"], None if empty else parse_value(attr, value)))
    changed = 0
    with ws.transaction():
        for attr, cid, stored in checked:
            rid = value_id(attr.id, cid)
            row = ws.get_row("attribute_value", rid)
            if row is None:
                if stored is None:
                    continue
                ref = "participant_id" if attr.applies_to == "participant" else "organisation_id"
                ws.write("attribute_value", rid, {"attribute_id": attr.id, ref: cid,
                                                  "value": stored}, create=True)
                changed += 1
                continue
            current = records.decode_row("attribute_value", row)
            changes: dict[str, Any] = {}
            if current["value"] != stored or (row["deleted"] and stored is not None):
                changes["value"] = stored
            if row["deleted"] and stored is not None:
                changes[DELETED] = False
            if changes:
                ws.write("attribute_value", rid, changes)
                changed += 1
    return changed


def case_form(ws: Workspace, kind: str, case_id: str) -> list[tuple[Attribute, Any]]:
    """The attributes of a participant or an organisation with its values, for an editor."""
    mine = values_of(ws, case_id)
    return [(a, mine.get(a.id)) for a in list_attributes(ws, kind)]
