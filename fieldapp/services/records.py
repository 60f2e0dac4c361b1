"""Use cases on research records: the functions the desktop app and the CLI both call.

Every write goes through :class:`~fieldapp.store.workspace.Workspace` as an operation. Reads
return plain dicts keyed by field name, with JSON fields decoded (``Record``). Deleted records are
left out of lists unless asked for.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from fieldapp.domain import vocabulary
from fieldapp.domain.schema import (
    CONSENT_METHODS,
    CONSENT_SCOPES,
    ENTITIES,
    NOTE_KINDS,
    WITHDRAWAL_REASONS,
    entity,
    from_column,
    validate,
)
from fieldapp.i18n import _
from fieldapp.services.collector import without_collector
from fieldapp.services.organisation_names import organisation_keys
from fieldapp.store.errors import InvalidInput, NotFound, RecordMissing
from fieldapp.store.workspace import Workspace

Record = dict[str, Any]


def _decode(entity_name: str, row: dict[str, Any]) -> Record:
    ent = entity(entity_name)
    out: Record = {k: row[k] for k in ("id", "owner", "created_hlc", "updated_hlc")}
    out["deleted"] = bool(row["deleted"])
    for f in ent.fields:
        out[f.name] = from_column(f, row.get(f.name))
    return out


#: a row as the store returns it, as a record (for readers that select rows themselves)
decode_row = _decode


def get(ws: Workspace, entity_name: str, record_id: str, *,
        include_deleted: bool = False) -> Record:
    row = ws.get_row(entity_name, record_id)
    if row is None or (row["deleted"] and not include_deleted):
        raise NotFound(record_id)
    return _decode(entity_name, row)


def find(ws: Workspace, entity_name: str, record_id: str) -> Record | None:
    try:
        return get(ws, entity_name, record_id)
    except NotFound:
        return None


def list_records(ws: Workspace, entity_name: str, *, where: dict[str, Any] | None = None,
                 order_by: str = "created_hlc", include_deleted: bool = False,
                 limit: int | None = None) -> list[Record]:
    rows = ws.select_rows(entity_name, where=where, order_by=order_by,
                          include_deleted=include_deleted, limit=limit)
    return [_decode(entity_name, r) for r in rows]


def count(ws: Workspace, entity_name: str) -> int:
    return ws.count_rows(entity_name)


def check_values(ws: Workspace, entity_name: str, values: dict[str, Any]) -> None:
    """Refuse values of the wrong shape, and references (``ref``/``refs`` fields of
    :mod:`fieldapp.domain.schema`) to records that do not exist or were deleted: a note for an
    unknown interview, a coding of a missing note or code. Only local writes are checked;
    other devices' operations are merged as they come (see README, *Sync and merge*)."""
    ent = entity(entity_name)
    try:
        validate(entity_name, values)
    except KeyError:
        raise InvalidInput(_("{entity} has no field {field}; it has: {fields}").format(
            entity=entity_name, field=next(k for k in values if k not in ent.field_names
                                           and not k.startswith("_")),
            fields=", ".join(ent.field_names))) from None
    except TypeError:
        raise InvalidInput(_("A value of the {entity} has the wrong type (text, number, list "
                             "or true/false); nothing was saved.").format(
            entity=entity_name)) from None
    for key, value in values.items():
        if key.startswith("_") or not value:
            continue
        f = ent.field(key)
        if f.ref is None or f.kind not in ("ref", "refs"):
            continue
        for target in ([value] if f.kind == "ref" else value):
            row = ws.get_row(f.ref, target) if target else None
            if target and (row is None or row["deleted"]):
                raise RecordMissing(f.ref, target, entity_name)


def _canonical(entity_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Old codes of the fixed vocabularies replaced by today's (``zh+en`` → ``mixed``)."""
    if entity_name == "interview" and isinstance(values.get("language"), str):
        return {**values, "language": vocabulary.canonical("language", values["language"])}
    return values


def create(ws: Workspace, entity_name: str, values: dict[str, Any]) -> str:
    values = _canonical(entity_name, values)
    check_values(ws, entity_name, values)
    return ws.create(entity_name, values)


def update(ws: Workspace, entity_name: str, record_id: str, changes: dict[str, Any]) -> None:
    changes = _canonical(entity_name, changes)
    current = get(ws, entity_name, record_id)
    real = {k: v for k, v in changes.items() if current.get(k) != v}
    check_values(ws, entity_name, real)
    ws.update(entity_name, record_id, real)


def delete(ws: Workspace, entity_name: str, record_id: str) -> None:
    get(ws, entity_name, record_id)
    ws.delete(entity_name, record_id)


# -- study -------------------------------------------------------------------------------

def study(ws: Workspace) -> Record | None:
    rows = list_records(ws, "study", limit=1)
    return rows[0] if rows else None


def set_study(ws: Workspace, **values: Any) -> str:
    current = study(ws)
    if current is None:
        return create(ws, "study", values)
    update(ws, "study", current["id"], values)
    return str(current["id"])


# -- organisations -----------------------------------------------------------------------

def likely_duplicates(ws: Workspace, *, name_zh: str = "", name_en: str = "",
                      credit_code: str = "", exclude_id: str | None = None) -> list[Record]:
    keys = {k for n in (name_zh, name_en) if n and n.strip() for k in organisation_keys(n)}
    keys.discard("")
    code = unicodedata.normalize("NFKC", credit_code or "").strip().upper()
    found = []
    for org in list_records(ws, "organisation"):
        if org["id"] == exclude_id:
            continue
        theirs = {k for n in (org["name_zh"] or "", org["name_en"] or "") if n
                  for k in organisation_keys(n)}
        same_code = bool(code) and code == unicodedata.normalize(
            "NFKC", org["credit_code"] or "").strip().upper()
        if same_code or keys & theirs:
            found.append(org)
    return found


def add_organisation(ws: Workspace, *, name_zh: str = "", name_en: str = "",
                     kind: str = "other", **more: Any) -> str:
    if not (name_zh.strip() or name_en.strip()):
        raise InvalidInput(_("An organisation needs a Chinese or an English name."))
    return create(ws, "organisation", {"name_zh": name_zh, "name_en": name_en, "kind": kind,
                                       **more})


# -- participants, identity vault, consent -------------------------------------------------

def add_participant(ws: Workspace, *, code: str, role: str = "", organisation_id: str | None = None,
                    site: str = "", sector: str = "", identity: dict[str, str] | None = None
                    ) -> str:
    code = code.strip()
    if not code:
        raise InvalidInput(_("A participant needs a code."))
    if list_records(ws, "participant", where={"code": code}):
        raise InvalidInput(_("The participant code {code} is already in use.").format(code=code))
    check_values(ws, "participant", {"organisation_id": organisation_id})
    with ws.transaction():
        pid = ws.new_record_id("participant")
        ws.write("participant", pid, {"code": code, "role": role,
                                      "organisation_id": organisation_id, "site": site,
                                      "sector": sector}, create=True)
        if identity:
            ws.write("identity", ws.new_record_id("identity"), {"participant_id": pid,
                                                                **identity}, create=True)
    return pid


def identity_of(ws: Workspace, participant_id: str) -> Record | None:
    rows = list_records(ws, "identity", where={"participant_id": participant_id})
    return rows[0] if rows else None


def set_identity(ws: Workspace, participant_id: str, **values: str) -> str:
    get(ws, "participant", participant_id)
    current = identity_of(ws, participant_id)
    if current is None:
        return create(ws, "identity", {"participant_id": participant_id, **values})
    update(ws, "identity", current["id"], values)
    return str(current["id"])


def record_consent(ws: Workspace, participant_id: str, *, form_version: str, language: str,
                   method: str, date_given: date | str, scopes: list[str], witness: str = ""
                   ) -> str:
    get(ws, "participant", participant_id)
    if method not in CONSENT_METHODS:
        raise InvalidInput(_("Unknown consent method: {method}").format(method=method))
    bad = [s for s in scopes if s not in CONSENT_SCOPES]
    if bad:
        raise InvalidInput(_("Unknown consent scope: {scope}").format(scope=", ".join(bad)))
    cid = create(ws, "consent", {
        "participant_id": participant_id, "form_version": form_version, "language": language,
        "method": method, "date": str(date_given), "scopes": sorted(scopes), "witness": witness,
        "status": "given",
    })
    ws.audit("consent.record", {"consent_id": cid, "participant_id": participant_id,
                                "method": method, "scopes": sorted(scopes)})
    return cid


def consent_of(ws: Workspace, participant_id: str) -> list[Record]:
    return list_records(ws, "consent", where={"participant_id": participant_id},
                        order_by="date")


def withdrawal_impact(ws: Workspace, participant_id: str) -> dict[str, int]:
    """What :func:`withdraw_consent` would erase, by record type (for the confirmation)."""
    p = get(ws, "participant", participant_id)
    interviews = [i for i in list_records(ws, "interview") if p["id"] in i["participant_ids"]]
    ids = {i["id"] for i in interviews}
    notes = [n for n in list_records(ws, "note") if n["interview_id"] in ids]
    note_ids = {n["id"] for n in notes}
    response_ids = {r["id"] for r in list_records(ws, "response",
                                                  where={"participant_id": participant_id})}
    return {
        "interviews": len(interviews),
        "notes": len(notes),
        "codings": sum(1 for c in list_records(ws, "coding") if c["note_id"] in note_ids),
        "attachments": sum(1 for a in list_records(ws, "attachment")
                           if a["interview_id"] in ids or a["participant_id"] == p["id"]
                           or a.get("response_id") in response_ids),
        "consents": len(consent_of(ws, participant_id)),
        "responses": len(list_records(ws, "response", where={"participant_id": participant_id})),
        "memos": sum(1 for m in list_records(ws, "memo") if m["interview_id"] in ids),
    }


def check_withdrawal_reason(reason: str) -> None:
    """Refuse a reason that is not from :data:`WITHDRAWAL_REASONS` (empty is allowed)."""
    if reason and reason not in WITHDRAWAL_REASONS:
        raise InvalidInput(_("The reason must be one of: {reasons}. Free text is not accepted, "
                             "because it could name someone and would outlive the erasure."
                             ).format(reasons=", ".join(WITHDRAWAL_REASONS)))


def withdraw_consent(ws: Workspace, participant_id: str, *, reason: str = "",
                     withdrawn_on: date | str | None = None) -> dict[str, int]:
    """Erase the participant and everything recorded about or with them.

    Interviews the participant took part in are erased whole, with their notes, codings and
    attachments: a transcript cannot be split reliably between speakers. Organisations stay.
    ``reason`` is one of :data:`WITHDRAWAL_REASONS` (or empty); it is kept only in this
    device's audit log — the erase order that travels to the team carries the date alone.
    Returns how many records of each type were erased.
    """
    check_withdrawal_reason(reason)
    p = get(ws, "participant", participant_id)
    when = str(withdrawn_on or date.today())
    with ws.transaction():
        op = ws.write("participant", participant_id, {"_erase": {"date": when}})
        counts = ws.erased_by(op.id)
        # This device carried the order out: its receipt travels to the coordinators.
        ws.write("receipt", ws.new_record_id("receipt"), {
            "erase_device": op.device, "erase_seq": op.seq, "participant_id": participant_id,
            "device": ws.device_id, "at": when}, create=True)
        detail: dict[str, Any] = {"participant_id": p["id"], "date": when, "erased": counts}
        if reason:
            detail["reason"] = reason
        ws.audit("consent.withdraw", detail, in_transaction=True)
    # The commit ran the cleanup (index rewrite, WAL truncation, backups removed), or recorded
    # it as due for the next open if the process dies first.
    return counts


# -- interviews and notes ----------------------------------------------------------------

def add_interview(ws: Workspace, *, code: str, participant_ids: list[str] | None = None,
                  **values: Any) -> str:
    for pid in participant_ids or []:
        get(ws, "participant", pid)
    return create(ws, "interview", {"code": code, "participant_ids": participant_ids or [],
                                    "status": values.pop("status", "planned"), **values})


def add_note(ws: Workspace, interview_id: str, *, kind: str = "field_notes", body: str = "",
             title: str = "") -> str:
    get(ws, "interview", interview_id)
    if kind not in NOTE_KINDS:
        raise InvalidInput(_("Unknown note type: {kind}").format(kind=kind))
    return create(ws, "note", {"interview_id": interview_id, "kind": kind, "body": body,
                               "title": title})


def save_note_body(ws: Workspace, note_id: str, body: str) -> bool:
    """Autosave: record the note's text if it changed. Returns whether anything was written."""
    note = get(ws, "note", note_id)
    if note["body"] == body:
        return False
    ws.update("note", note_id, {"body": body})
    return True


def notes_of(ws: Workspace, interview_id: str) -> list[Record]:
    return list_records(ws, "note", where={"interview_id": interview_id})


# -- codebook and codings ----------------------------------------------------------------

def add_code(ws: Workspace, *, name_zh: str = "", name_en: str = "", parent_id: str | None = None,
             definition_zh: str = "", definition_en: str = "", colour: str = "#f4d03f",
             sort_order: int | None = None) -> str:
    """A new code, last in the codebook (``sort_order``: its place, when the caller adding
    many counts them itself rather than counting the codebook for each)."""
    if not (name_zh or name_en):
        raise InvalidInput(_("A code needs a Chinese or an English name."))
    if parent_id:
        get(ws, "code", parent_id)
    return create(ws, "code", {"name_zh": name_zh, "name_en": name_en, "parent_id": parent_id,
                               "definition_zh": definition_zh, "definition_en": definition_en,
                               "colour": colour, "sort_order": count(ws, "code")
                               if sort_order is None else sort_order})


def apply_code(ws: Workspace, note_id: str, code_id: str, start: int, end: int, *,
               may_quote: bool = False, comment: str = "") -> str:
    """Code the passage ``[start, end)`` of a note; offsets count Unicode code points."""
    note = get(ws, "note", note_id)
    get(ws, "code", code_id)
    length = len(note["body"] or "")
    if not (0 <= start < end <= length):
        raise InvalidInput(_("The passage {start}–{end} is outside the note ({length} characters)."
                             ).format(start=start, end=end, length=length))
    return create(ws, "coding", {"note_id": note_id, "code_id": code_id, "start_offset": start,
                                 "end_offset": end, "may_quote": may_quote, "comment": comment})


def codings_of_note(ws: Workspace, note_id: str) -> list[Record]:
    return list_records(ws, "coding", where={"note_id": note_id}, order_by="start_offset")


def passages_of_code(ws: Workspace, code_id: str) -> list[Record]:
    """Every passage coded with ``code_id``: the coding plus its text, note and interview."""
    out = []
    for c in list_records(ws, "coding", where={"code_id": code_id}):
        note = find(ws, "note", c["note_id"])
        if note is None:
            continue
        interview = find(ws, "interview", note["interview_id"])
        out.append({**c, "text": (note["body"] or "")[c["start_offset"]:c["end_offset"]],
                    "note_kind": note["kind"], "interview_id": note["interview_id"],
                    "interview_code": interview["code"] if interview else ""})
    return out


ENTITY_NAMES = tuple(ENTITIES)


@without_collector
def add_notes(ws: Workspace, interview_id: str, bodies: list[str], *,
              kind: str = "transcript") -> list[str]:
    """Add many notes to an interview in one transaction (importing transcripts)."""
    get(ws, "interview", interview_id)
    if kind not in NOTE_KINDS:
        raise InvalidInput(_("Unknown note type: {kind}").format(kind=kind))
    return ws.create_many("note", [{"interview_id": interview_id, "kind": kind, "body": body,
                                    "title": ""} for body in bodies])


def add_notes_one_by_one(ws: Workspace, interview_id: str, bodies: list[str], *,
                         kind: str = "transcript") -> list[str]:
    """:func:`add_notes` through the per-operation path: the reference the batch path is
    tested against (same operations, tables, index and replay)."""
    get(ws, "interview", interview_id)
    if kind not in NOTE_KINDS:
        raise InvalidInput(_("Unknown note type: {kind}").format(kind=kind))
    ids = []
    with ws.transaction():
        for body in bodies:
            nid = ws.new_record_id("note")
            ws.write("note", nid, {"interview_id": interview_id, "kind": kind, "body": body,
                                   "title": ""}, create=True)
            ids.append(nid)
    return ids


def save_note_and_codings(ws: Workspace, note_id: str, body: str,
                          spans: list[tuple[str, int, int]]) -> bool:
    """Autosave of a coded note: its text and the new offsets of the codings the edit moved,
    in one transaction (a crash never leaves codings pointing into a text that was not
    saved, or the other way round). Codings another researcher owns are left as they are
    (only their owner can move them), so they never stop the text from being saved.
    Returns whether the text changed."""
    with ws.transaction():
        note = get(ws, "note", note_id)
        changed = bool(note["body"] != body)
        if changed:
            ws.write("note", note_id, {"body": body})
        length = len(body)
        for coding_id, start, end in spans:
            if not 0 <= start < end <= length:
                raise InvalidInput(_("The passage {start}–{end} is outside the note ({length} "
                                     "characters).").format(start=start, end=end, length=length))
            if ws.applier.owner_of("coding", coding_id) not in (None, ws.device_id):
                continue
            ws.write("coding", coding_id, {"start_offset": start, "end_offset": end})
    return changed
