"""The records fieldapp keeps and the rules that bind them.

Each entity is a table of the same name with the common columns ``id``, ``owner``,
``created_hlc``, ``updated_hlc``, ``deleted`` and one column per field below. Values travel in
operations as JSON; :func:`to_column` / :func:`from_column` convert between the two.

*Owned* records (interviews, notes, codings, responses, attachments, consent records, identity
details) belong to the device that created them; sync rejects other devices' operations on them.
*Shared* records (study, organisations, participant profiles, codebook, instruments) are edited by
anyone and merge field by field.

``cascade`` on a reference means: when the referenced record is erased (consent withdrawn), so is
this one. Organisations are never erased by a withdrawal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "int", "real", "bool", "json", "date", "ref", "refs"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind = "text"
    ref: str | None = None
    cascade: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    owned: bool
    fields: tuple[Field, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        index: dict[str, Field] | None = self.__dict__.get("_index")
        if index is None:  # made once: saving a batch looks fields up for every value
            index = {f.name: f for f in self.fields}
            object.__setattr__(self, "_index", index)
        found = index.get(name)
        if found is None:
            raise KeyError(f"{self.name} has no field {name!r}")
        return found


def _f(name: str, kind: Kind = "text", ref: str | None = None, cascade: bool = False) -> Field:
    return Field(name, kind, ref, cascade)


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("study", False, (
            _f("title_zh"), _f("title_en"), _f("sites", "json"), _f("sectors", "json"),
            _f("targets", "json"),
        )),
        Entity("organisation", False, (
            _f("code"), _f("name_zh"), _f("name_en"), _f("kind"), _f("registration"),
            _f("credit_code"), _f("site"), _f("sector"), _f("sort_key"), _f("notes"),
        )),
        Entity("participant", False, (
            _f("code"), _f("role"), _f("organisation_id", "ref", "organisation"), _f("site"),
            _f("sector"), _f("sort_key"),
        )),
        Entity("identity", True, (
            _f("participant_id", "ref", "participant", cascade=True), _f("real_name"),
            _f("phone"), _f("wechat"), _f("email"), _f("other"),
        )),
        Entity("consent", True, (
            _f("participant_id", "ref", "participant", cascade=True), _f("form_version"),
            _f("language"), _f("method"), _f("date", "date"), _f("witness"),
            _f("scopes", "json"), _f("status"), _f("withdrawn_date", "date"),
            _f("withdrawal_reason"),
        )),
        Entity("interview", True, (
            _f("code"), _f("title"), _f("site"), _f("sector"),
            _f("organisation_id", "ref", "organisation"),
            _f("participant_ids", "refs", "participant", cascade=True), _f("date", "date"),
            _f("place"), _f("language"), _f("interviewer"), _f("mode"), _f("status"),
        )),
        Entity("note", True, (
            _f("interview_id", "ref", "interview", cascade=True), _f("kind"), _f("title"),
            _f("body"),
        )),
        Entity("code", False, (
            _f("parent_id", "ref", "code"), _f("name_zh"), _f("name_en"), _f("definition_zh"),
            _f("definition_en"), _f("colour"), _f("sort_order", "int"),
        )),
        Entity("coding", True, (
            _f("note_id", "ref", "note", cascade=True), _f("code_id", "ref", "code"),
            _f("start_offset", "int"), _f("end_offset", "int"), _f("may_quote", "bool"),
            _f("comment"),
        )),
        Entity("attachment", True, (
            _f("interview_id", "ref", "interview", cascade=True),
            _f("participant_id", "ref", "participant", cascade=True), _f("kind"),
            _f("filename"), _f("mime"), _f("size", "int"), _f("sha256"), _f("file_key"),
            _f("response_id", "ref", "response", cascade=True),
        )),
        Entity("instrument", False, (
            _f("form_id"), _f("version"), _f("title_zh"), _f("title_en"),
            _f("definition", "json"),
        )),
        Entity("response", True, (
            _f("instrument_id", "ref", "instrument"), _f("instrument_version"),
            _f("data", "json"), _f("status"),
            _f("participant_id", "ref", "participant", cascade=True),
            _f("organisation_id", "ref", "organisation"),
            _f("interview_id", "ref", "interview", cascade=True), _f("site"), _f("sector"),
            _f("researcher"), _f("completed_at"),
        )),
        # A coordinator's review of a response (approved / has_issues / rejected + comment).
        # Shared, so that the coordinator's team bundle carries it to the researcher; only a
        # coordinator creates one (services.surveys.review_response).
        Entity("review", False, (
            _f("response_id", "ref", "response", cascade=True), _f("state"), _f("comment"),
            _f("reviewer"), _f("at"),
        )),
        # One answer changed after the response was completed: who, when, old -> new.
        Entity("correction", True, (
            _f("response_id", "ref", "response", cascade=True), _f("address"),
            _f("old", "json"), _f("new", "json"), _f("by"), _f("at"),
        )),
        # An analytic memo: the researcher's own writing about the project, a code or an
        # interview (``about`` says which; a code or an interview may have several). Owned like
        # a note: only the device that wrote it changes it, the coordinators read it. A memo on
        # an interview goes with the interview when a withdrawal erases it.
        Entity("memo", True, (
            _f("about"), _f("code_id", "ref", "code"),
            _f("interview_id", "ref", "interview", cascade=True), _f("title"), _f("body"),
        )),
        # Blind double coding: a coordinator assigns a note to two coders (device ids of the
        # roster); each one's codings on it reach the other only once ``released`` is set by
        # a coordinator (fieldapp.services.blind). Shared, so the team bundle carries it.
        Entity("assignment", False, (
            _f("note_id", "ref", "note", cascade=True), _f("coder_a"), _f("coder_b"),
            _f("released", "bool"), _f("assigned_by"), _f("assigned_at"), _f("released_at"),
        )),
        # A coordinator's decision on one disagreement of an assignment (a code's passage
        # where the two coders differ): keep a, b, both or neither. The kept text is coded
        # again by the adjudicator with ordinary codings.
        Entity("adjudication", False, (
            _f("note_id", "ref", "note", cascade=True), _f("code_id", "ref", "code"),
            _f("start_offset", "int"), _f("end_offset", "int"), _f("decision"),
            _f("by"), _f("at"),
        )),
        # Case attributes: a typed attribute of participants or organisations, defined once
        # beside the codebook (shared, so it travels like the codebook), and one value per
        # (attribute, participant or organisation). A value's id is derived from the pair
        # (fieldapp.services.case_attributes.value_id), so two devices setting the same
        # attribute of the same case while apart edit one record: a conflict like any field.
        Entity("attribute", False, (
            _f("name"), _f("applies_to"), _f("type"), _f("label_zh"), _f("label_en"),
            _f("choices", "json"), _f("sort_order", "int"),
        )),
        Entity("attribute_value", False, (
            _f("attribute_id", "ref", "attribute"),
            _f("participant_id", "ref", "participant", cascade=True),
            _f("organisation_id", "ref", "organisation"), _f("value", "json"),
        )),
        # A device's confirmation that it carried out an erase order (consent withdrawal).
        # participant_id is a plain id, not a cascading reference: the receipt must outlive
        # the participant it speaks of.
        Entity("receipt", True, (
            _f("erase_device"), _f("erase_seq", "int"), _f("participant_id"), _f("device"),
            _f("at"),
        )),
    )
}

COMMON_COLUMNS = ("id", "owner", "created_hlc", "updated_hlc", "deleted")

#: Text that the search index covers: entity -> fields.
INDEXED = {"note": ("title", "body")}

#: What a memo is about (``memo.about``).
MEMO_SUBJECTS = ("project", "code", "interview")
NOTE_KINDS = ("field_notes", "transcript", "summary", "memo")
CONSENT_METHODS = ("written", "oral", "recorded")
CONSENT_SCOPES = ("audio", "verbatim_quotes", "name_organisation", "archiving", "share_outside_team")
ORGANISATION_KINDS = ("government", "registered_ngo", "grassroots", "gongo", "foundation", "other")
INTERVIEW_MODES = ("in_person", "phone", "video", "group")
INTERVIEW_STATUSES = ("planned", "done", "transcribed", "coded")

#: Why consent was withdrawn: a fixed list, never free text. Free text can name the participant
#: or someone else, and would then outlive the erasure it documents. Kept in the audit log of
#: the device that recorded the withdrawal; the erase order that travels carries no reason.
WITHDRAWAL_REASONS = ("participant_request", "consent_invalid", "ethics_decision", "other")


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown record type {name!r}") from None


def cascade_refs(child: str) -> tuple[Field, ...]:
    """The reference fields of ``child`` through which an erasure spreads to it."""
    return tuple(f for f in ENTITIES[child].fields if f.cascade)


#: What ``json.dumps(value, ensure_ascii=False, sort_keys=True)`` uses, made once.
_COLUMN_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def to_column(f: Field, value: Any) -> Any:
    """Operation value (JSON) -> SQL column value."""
    if value is None:
        return None
    if f.kind in ("json", "refs"):
        return _COLUMN_JSON.encode(value)
    if f.kind == "bool":
        return 1 if value else 0
    if f.kind == "int":
        return int(value)
    if f.kind == "real":
        return float(value)
    return str(value)


def from_column(f: Field, value: Any) -> Any:
    if value is None:
        return [] if f.kind == "refs" else None
    if f.kind in ("json", "refs"):
        return json.loads(value)
    if f.kind == "bool":
        return bool(value)
    return value


#: What a value of each kind of field may be (checked only for the field's own kind).
_SHAPES: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, str),
    "ref": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "real": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "refs": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "json": lambda v: True,
}


def validate(entity_name: str, values: dict[str, Any]) -> None:
    """Reject unknown fields and values of the wrong shape before they reach the log."""
    ent = entity(entity_name)
    for key, value in values.items():
        if key.startswith("_"):
            continue
        f = ent.field(key)
        if value is None:
            continue
        if not _SHAPES[f.kind](value):
            # The value itself is never put in the message: it may be note text or a name.
            raise TypeError(f"{entity_name}.{key}: a {f.kind} is expected, "
                            f"not a {type(value).__name__}")


def validate_many(entity_name: str, values_list: Iterable[dict[str, Any]]) -> None:
    """:func:`validate` for each of many values dicts (a batch of new records): the fields
    of each distinct set of names are looked up once, and a value of the wrong shape is
    reported by :func:`validate` itself, with its message."""
    ent = entity(entity_name)
    checks: dict[tuple[str, ...], list[tuple[str, Callable[[Any], bool]]]] = {}
    for values in values_list:
        names = tuple(values)
        shapes = checks.get(names)
        if shapes is None:
            validate(entity_name, values)  # an unknown field is refused here
            shapes = checks[names] = [(k, _SHAPES[ent.field(k).kind]) for k in names
                                      if not k.startswith("_") and ent.field(k).kind != "json"]
            continue
        for key, shape in shapes:
            value = values[key]
            if value is not None and not shape(value):
                validate(entity_name, values)
