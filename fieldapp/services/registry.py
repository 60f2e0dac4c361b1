"""Changing and removing shared records: organisations and codes.

Both are shared records (any team member may change them; concurrent changes become conflicts, as
every shared field does). Removing one must not leave other records pointing at nothing, so a
removal is refused while something still refers to it, with a message that says what does:

- an organisation named by participants, interviews or survey responses;
- a code with codes below it, or with passages coded with it (codings belong to the researchers
  who made them, so this device could not remove other people's; they would silently lose their
  code).

Moving a code in the tree is a change of its parent; a move under itself or one of its own
descendants is refused.
"""

from __future__ import annotations

from typing import Any

from fieldapp.i18n import _, format_list, ngettext
from fieldapp.services import records
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
             "codings": lambda n: ngettext("{n} coded passage", "{n} coded passages", n)}
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
