"""Changing and removing records: organisations, codes, participants and interviews.

Both are shared records (any team member may change them; concurrent changes become conflicts, as
every shared field does). Removing one must not leave other records pointing at nothing, so a
removal is refused while something still refers to it, with a message that says what does:

- an organisation named by participants, interviews or survey responses;
- a code with codes below it, or with passages coded with it (codings belong to the researchers
  who made them, so this device could not remove other people's; they would silently lose their
  code).

- a participant named by interviews, or with consent records, survey responses or attachments
  (consent records are evidence; a participant who withdraws is erased by the withdrawal, which
  is a different thing).

A participant's identifying details are an owned record: only the device that recorded them can
change them. An interview is owned too: only its researcher's device deletes it, and with it its
notes, their codings and its attachments, all in one transaction, as ordinary deletions that
travel to the team at the next sync. The deletion is refused while any of those belong to
another researcher, or while survey responses refer to the interview.

Moving a code in the tree is a change of its parent; a move under itself or one of its own
descendants is refused.
"""

from __future__ import annotations

from typing import Any

from fieldapp.domain.ops import DELETED
from fieldapp.i18n import _, format_list, ngettext
from fieldapp.services import records
from fieldapp.services.records import Record
from fieldapp.store.errors import InvalidInput
from fieldapp.store.workspace import Workspace

ORGANISATION_FIELDS = ("name_zh", "name_en", "sort_key", "kind", "credit_code", "site", "sector")
CODE_FIELDS = ("name_zh", "name_en", "definition_zh", "definition_en", "colour", "parent_id")


def organisation_uses(ws: Workspace, org_id: str) -> dict[str, int]:
    """How many live records name the organisation."""
    records.get(ws, "organisation", org_id)
    return {entity: len(records.list_records(ws, entity, where={"organisation_id": org_id}))
            for entity in ("participant", "interview", "response")}


def update_organisation(ws: Workspace, org_id: str, **values: Any) -> None:
    changes = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()
               if k in ORGANISATION_FIELDS}
    current = records.get(ws, "organisation", org_id)
    merged = {**current, **changes}
    if not ((merged.get("name_zh") or "").strip() or (merged.get("name_en") or "").strip()):
        raise InvalidInput(_("An organisation needs a Chinese or an English name."))
    records.update(ws, "organisation", org_id, changes)


def _uses_text(uses: dict[str, int]) -> str:
    words = {"participant": lambda n: ngettext("{n} participant", "{n} participants", n),
             "interview": lambda n: ngettext("{n} interview", "{n} interviews", n),
             "response": lambda n: ngettext("{n} survey response", "{n} survey responses", n),
             "children": lambda n: ngettext("{n} code below it", "{n} codes below it", n),
             "codings": lambda n: ngettext("{n} coded passage", "{n} coded passages", n),
             "consents": lambda n: ngettext("{n} consent record", "{n} consent records", n),
             "responses": lambda n: ngettext("{n} survey response", "{n} survey responses", n),
             "attachments": lambda n: ngettext("{n} attachment", "{n} attachments", n),
             "notes": lambda n: ngettext("{n} note", "{n} notes", n),
             "coded": lambda n: ngettext("{n} coding", "{n} codings", n)}
    return format_list(words[k](n).format(n=n) for k, n in uses.items() if n)


def delete_organisation(ws: Workspace, org_id: str) -> None:
    uses = organisation_uses(ws, org_id)
    if any(uses.values()):
        raise InvalidInput(_("This organisation cannot be removed: {uses} still name it. Link "
                             "them to another organisation first.").format(uses=_uses_text(uses)))
    records.delete(ws, "organisation", org_id)


def code_uses(ws: Workspace, code_id: str) -> dict[str, int]:
    records.get(ws, "code", code_id)
    return {"children": len(records.list_records(ws, "code", where={"parent_id": code_id})),
            "codings": len(records.list_records(ws, "coding", where={"code_id": code_id}))}


def passage_counts(ws: Workspace) -> dict[str, int]:
    """Code id → how many live passages are coded with it."""
    counts: dict[str, int] = {}
    for coding in records.list_records(ws, "coding"):
        counts[coding["code_id"]] = counts.get(coding["code_id"], 0) + 1
    return counts


def update_code(ws: Workspace, code_id: str, **values: Any) -> None:
    changes = {k: (v.strip() if isinstance(v, str) and k != "parent_id" else v)
               for k, v in values.items() if k in CODE_FIELDS}
    if "parent_id" in changes:
        changes["parent_id"] = changes["parent_id"] or None
        _check_move(ws, code_id, changes["parent_id"])
    merged = {**records.get(ws, "code", code_id), **changes}
    if not ((merged.get("name_zh") or "").strip() or (merged.get("name_en") or "").strip()):
        raise InvalidInput(_("A code needs a Chinese or an English name."))
    records.update(ws, "code", code_id, changes)


def _check_move(ws: Workspace, code_id: str, parent_id: str | None) -> None:
    seen = set()
    current = parent_id
    while current:
        if current == code_id:
            raise InvalidInput(_("A code cannot be moved below itself or one of its own "
                                 "sub-codes."))
        if current in seen:
            break
        seen.add(current)
        current = records.get(ws, "code", current).get("parent_id")


def delete_code(ws: Workspace, code_id: str) -> None:
    uses = code_uses(ws, code_id)
    if any(uses.values()):
        raise InvalidInput(_("This code cannot be removed: it has {uses}. Move its sub-codes and "
                             "remove its passages first.").format(uses=_uses_text(uses)))
    records.delete(ws, "code", code_id)


# -- participants ---------------------------------------------------------------------------

PARTICIPANT_FIELDS = ("code", "role", "organisation_id", "site", "sector")
IDENTITY_FIELDS = ("real_name", "phone", "wechat", "email")


def identity_editable(ws: Workspace, participant_id: str) -> tuple[Record | None, bool]:
    """The participant's identifying details, and whether this device may change them (it
    recorded them, or there are none yet)."""
    records.get(ws, "participant", participant_id)
    identity = records.identity_of(ws, participant_id)
    return identity, identity is None or identity["owner"] == ws.device_id


def update_participant(ws: Workspace, participant_id: str, *,
                       identity: dict[str, str] | None = None, **values: Any) -> None:
    """Change a participant's shared fields and, when ``identity`` is given, their identifying
    details (refused when another device recorded them)."""
    changes = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()
               if k in PARTICIPANT_FIELDS}
    if "organisation_id" in changes:
        changes["organisation_id"] = changes["organisation_id"] or None
    current = records.get(ws, "participant", participant_id)
    if "code" in changes:
        code = changes["code"]
        if not code:
            raise InvalidInput(_("A participant needs a code."))
        if any(p["id"] != participant_id
               for p in records.list_records(ws, "participant", where={"code": code})):
            raise InvalidInput(_("The participant code {code} is already in use.").format(
                code=code))
    new_identity: dict[str, str] = {}
    existing, editable = identity_editable(ws, participant_id)
    if identity is not None:
        new_identity = {k: (identity.get(k) or "").strip() for k in IDENTITY_FIELDS}
        old = {k: (existing or {}).get(k) or "" for k in IDENTITY_FIELDS}
        if new_identity == old:
            new_identity = {}
        elif not editable:
            raise InvalidInput(_(
                "The identifying details of participant {code} were recorded on another "
                "researcher's device: only that device can change them. Nothing was changed; "
                "ask them to make the change.").format(code=current["code"]))
    real = {k: v for k, v in changes.items() if current.get(k) != v}
    records.check_values(ws, "participant", real)
    if existing is not None:
        new_identity = {k: v for k, v in new_identity.items() if existing.get(k) != v}
    if not (real or new_identity):
        return
    with ws.transaction():
        if real:
            ws.write("participant", participant_id, real)
        if new_identity and existing is not None:
            ws.write("identity", existing["id"], new_identity)
        elif new_identity:
            ws.write("identity", ws.new_record_id("identity"),
                     {"participant_id": participant_id, **new_identity}, create=True)


def participant_uses(ws: Workspace, participant_id: str) -> dict[str, int]:
    """How many live records refer to the participant (beyond their identifying details)."""
    records.get(ws, "participant", participant_id)
    return {
        "interview": sum(1 for i in records.list_records(ws, "interview")
                         if participant_id in (i.get("participant_ids") or [])),
        "consents": len(records.list_records(ws, "consent",
                                             where={"participant_id": participant_id})),
        "responses": len(records.list_records(ws, "response",
                                              where={"participant_id": participant_id})),
        "attachments": len(records.list_records(ws, "attachment",
                                                where={"participant_id": participant_id})),
    }


def check_participant_deletable(ws: Workspace, participant_id: str) -> None:
    code = records.get(ws, "participant", participant_id)["code"]
    uses = participant_uses(ws, participant_id)
    if any(uses.values()):
        raise InvalidInput(_("Participant {code} cannot be removed: they still have {uses}. "
                             "Remove those first, or record a withdrawal of consent if the "
                             "participant withdraws.").format(code=code, uses=_uses_text(uses)))
    identity, editable = identity_editable(ws, participant_id)
    if identity is not None and not editable:
        raise InvalidInput(_("Participant {code} cannot be removed here: their identifying "
                             "details were recorded on another researcher's device, and only "
                             "that device can remove them.").format(code=code))


def delete_participant(ws: Workspace, participant_id: str) -> None:
    """Delete a participant no record refers to, with their identifying details."""
    check_participant_deletable(ws, participant_id)
    identity = records.identity_of(ws, participant_id)
    with ws.transaction():
        if identity is not None:
            ws.write("identity", identity["id"], {DELETED: True})
        ws.write("participant", participant_id, {DELETED: True})


# -- interviews ----------------------------------------------------------------------------

def _interview_parts(ws: Workspace, interview_id: str) -> dict[str, list[Record]]:
    notes = records.list_records(ws, "note", where={"interview_id": interview_id})
    codings = [c for n in notes
               for c in records.list_records(ws, "coding", where={"note_id": n["id"]})]
    return {"notes": notes, "coded": codings,
            "attachments": records.list_records(ws, "attachment",
                                                where={"interview_id": interview_id})}


def interview_contents(ws: Workspace, interview_id: str) -> dict[str, int]:
    """What deleting the interview takes with it (notes, codings, attachments), by count.
    Raises :class:`InvalidInput` when this device cannot delete it: the interview or one of
    those records belongs to another researcher, or survey responses refer to it."""
    interview = records.get(ws, "interview", interview_id)
    code = interview.get("code") or ""
    if interview["owner"] != ws.device_id:
        raise InvalidInput(_("Interview {code} belongs to another researcher: only the device "
                             "that recorded it can delete it. Nothing was deleted.").format(
            code=code))
    parts = _interview_parts(ws, interview_id)
    foreign = {k: sum(1 for r in rows if r["owner"] != ws.device_id) for k, rows in parts.items()}
    if any(foreign.values()):
        raise InvalidInput(_("Interview {code} cannot be deleted here: it holds {uses} made by "
                             "other researchers, and only their devices can delete them. "
                             "Nothing was deleted.").format(code=code,
                                                            uses=_uses_text(foreign)))
    responses = {"responses": len(records.list_records(ws, "response",
                                                       where={"interview_id": interview_id}))}
    if responses["responses"]:
        raise InvalidInput(_("Interview {code} cannot be deleted: it is linked to {uses}. "
                             "Remove those first.").format(code=code,
                                                            uses=_uses_text(responses)))
    return {k: len(rows) for k, rows in parts.items()}


def delete_interview(ws: Workspace, interview_id: str) -> dict[str, int]:
    """Delete an interview of this device with its notes, their codings and its attachments,
    in one transaction. Returns how many of each went (see :func:`interview_contents`)."""
    counts = interview_contents(ws, interview_id)
    parts = _interview_parts(ws, interview_id)
    with ws.transaction():
        for entity, key in (("coding", "coded"), ("note", "notes"),
                            ("attachment", "attachments")):
            for record in parts[key]:
                ws.write(entity, record["id"], {DELETED: True})
        ws.write("interview", interview_id, {DELETED: True})
    ws.audit("interview.delete", {"interview_id": interview_id, **counts})
    return counts
