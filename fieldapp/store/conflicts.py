"""Open conflicts: what the set of operations leaves undecided.

* A **field conflict**: a field of a shared record has more than one head — people changed it
  while apart. Every value is kept; the one with the latest clock is shown meanwhile.
* A **delete conflict**: a record is deleted, and an edit exists that the deleter had not seen.
  The record stays deleted (no resurrection) until someone decides.

Both are functions of the set of operations (heads and ``pred``), never of arrival order, so
replicas holding the same operations list the same conflicts. Resolving writes an ordinary
operation whose ``pred`` names every head, so the resolution merges and travels like any edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fieldapp.domain.ops import DELETED, OWNER, OpId, loads_pred
from fieldapp.store.sqlite import Connection


@dataclass(frozen=True)
class Version:
    device: str
    seq: int
    hlc: str
    value: Any


@dataclass(frozen=True)
class Conflict:
    kind: str  # "field" or "delete"
    entity: str
    entity_id: str
    field: str
    versions: tuple[Version, ...]  # the shown one first

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.entity_id, self.field, self.kind)


def _value(conn: Connection, opid: OpId, field: str) -> Any:
    row = conn.execute('SELECT "values" FROM ops WHERE device = ? AND seq = ?', opid).fetchone()
    if row is None:
        return None
    return json.loads(row[0]).get(field)


def _heads(conn: Connection, entity_id: str, field: str) -> list[Version]:
    rows = conn.execute(
        "SELECT device, seq, hlc FROM heads WHERE entity_id = ? AND field = ?",
        (entity_id, field)).fetchall()
    versions = [Version(d, s, h, _value(conn, (d, s), field)) for d, s, h in rows]
    return sorted(versions, key=lambda v: (v.hlc, v.device, v.seq), reverse=True)


def list_conflicts(conn: Connection) -> list[Conflict]:
    out: list[Conflict] = []
    for entity, entity_id, field in conn.execute(
            "SELECT entity, entity_id, field FROM heads WHERE field NOT IN (?, ?) "
            "GROUP BY entity_id, field HAVING count(*) > 1 ORDER BY entity, entity_id, field",
            (OWNER, DELETED)).fetchall():
        versions = tuple(_heads(conn, entity_id, field))
        if len({json.dumps(v.value, sort_keys=True) for v in versions}) == 1:
            # The same value set on two devices while apart (two researchers recording the
            # same case attribute for the first time both name its case): nothing to decide.
            continue
        out.append(Conflict("field", entity, entity_id, field, versions))
    out.extend(_delete_conflicts(conn))
    return sorted(out, key=lambda c: (c.entity, c.entity_id, c.field, c.kind))


def _delete_conflicts(conn: Connection) -> list[Conflict]:
    out: list[Conflict] = []
    deleted_ids = conn.execute(
        "SELECT DISTINCT entity, entity_id FROM heads WHERE field = ?", (DELETED,)).fetchall()
    for entity, entity_id in deleted_ids:
        deletes = _heads(conn, entity_id, DELETED)
        if not deletes or deletes[0].value is not True:
            continue
        # What each delete saw: what it names, and what it wrote itself (an operation that
        # writes fields and deletes at once is no edit its own delete missed).
        seen: set[OpId] = {(d.device, d.seq) for d in deletes}
        for d in deletes:
            row = conn.execute("SELECT pred FROM ops WHERE device = ? AND seq = ?",
                               (d.device, d.seq)).fetchone()
            if row:
                seen.update(loads_pred(row[0]))
        unseen = conn.execute(
            "SELECT field, device, seq, hlc FROM heads WHERE entity_id = ? AND field NOT IN (?, ?) "
            "ORDER BY field, hlc DESC, device DESC, seq DESC",
            (entity_id, DELETED, OWNER)).fetchall()
        edits = [(f, d, s, h) for f, d, s, h in unseen if (d, s) not in seen]
        for field in sorted({e[0] for e in edits}):
            versions = [Version(d, s, h, _value(conn, (d, s), f)) for f, d, s, h in edits
                        if f == field]
            out.append(Conflict("delete", entity, entity_id, field, tuple(versions)))
    return out
