"""Applying operations: the one code path from the change log to the readable tables.

Local writes and other devices' operations (team sync) both go through :func:`apply_op`, and a
replay of the log into an empty workspace goes through it too, so the tables are always what the
set of operations says they are. A batch of other devices' operations may instead be merged
set-wise (:mod:`fieldapp.store.setmerge`), with the same result as applying them here one by
one: that per-operation path is the reference the set-wise one is tested against. See
:mod:`fieldapp.domain.ops` for the register rules. Everything here runs inside the caller's
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fieldapp.domain.ids import made_elsewhere
from fieldapp.domain.ops import DELETED, ERASE, OWNER, Op, OpId, dumps_pred, dumps_values
from fieldapp.domain.schema import ENTITIES, INDEXED, Entity, cascade_refs, to_column
from fieldapp.store import search
from fieldapp.store.sqlite import Connection

Outcome = Literal["applied", "duplicate", "erased", "rejected"]


@dataclass
class ApplyReport:
    applied: int = 0
    duplicate: int = 0
    erased: int = 0
    rejected: list[tuple[OpId, str]] = field(default_factory=list)
    erased_records: list[tuple[str, str]] = field(default_factory=list)
    future_clocks: list[OpId] = field(default_factory=list)
    erase_orders: list[tuple[OpId, str]] = field(default_factory=list)
    deleted_live: int = 0
    #: Whether the batch was merged set-wise (``merge_ops``) rather than one by one.
    set_wise: bool = False

    def add(self, outcome: Outcome, op: Op, reason: str = "") -> None:
        if outcome == "applied":
            self.applied += 1
        elif outcome == "duplicate":
            self.duplicate += 1
        elif outcome == "erased":
            self.erased += 1
        else:
            self.rejected.append((op.id, reason))


def _column(ent: Entity, f: str, value: Any) -> tuple[str, Any]:
    """The table column a field is kept in, and the value as that column stores it."""
    if f == OWNER:
        return "owner", value
    if f == DELETED:
        return "deleted", 1 if value else 0
    return f'"{f}"', to_column(ent.field(f), value)


#: For :meth:`OpApplier.apply_fresh_many`, per (record type, fields of an operation): each
#: field with its schema field (None for ``_owner``/``deleted``), whether its column holds
#: JSON and whether a text value is its own column (text, date, ref).
_FRESH_PLANS: dict[tuple[str, tuple[str, ...]], list[tuple[str, Any, bool, bool]]] = {}
#: Per (record type, fields of an operation): its values as a format string taking the
#: fields' JSON in the order given, written in key order.
_SORTED_KEYS: dict[tuple[str, tuple[str, ...]], str] = {}


def _fresh_plan(ent: Entity, fields: tuple[str, ...]) -> list[tuple[str, Any, bool, bool]]:
    """Each field with its schema field, whether its column holds JSON and whether a text
    value is its own column (text, date, ref)."""
    plan = []
    for f in fields:
        fd = ent.field(f) if f not in (OWNER, DELETED) else None
        plan.append((f, fd, fd is not None and fd.kind in ("json", "refs"),
                     fd is not None and fd.kind in ("text", "date", "ref")))
    _FRESH_PLANS[(ent.name, fields)] = plan
    return plan


def _sorted_keys(entity: str, fields: tuple[str, ...]) -> str:
    """The operation's values as a format string taking the fields' JSON in ``fields``'
    order (see ``_SORTED_KEYS``)."""
    keys = [json.dumps(f, ensure_ascii=False).replace("{", "{{").replace("}", "}}")
            + ": {" + str(i) + "}" for i, f in sorted(enumerate(fields), key=lambda p: p[1])]
    text = _SORTED_KEYS[(entity, fields)] = "{{" + ", ".join(keys) + "}}"
    return text


#: The ``meta`` key that says an erasure's cleanup is still due (see ``_erase_tree``).
ERASURE_CLEANUP = "erasure.cleanup_pending"

#: What an erase order carries from device to device: the date of the withdrawal, nothing
#: else. The reason stays in the audit log of the device that recorded it.
ERASE_ORDER_FIELDS = frozenset({"date"})

#: Called with an erased attachment's id so its encrypted file can be removed.
AttachmentEraser = Callable[[str], None]


class OpApplier:
    """Applies operations to one connection. Holds no state beyond the callbacks."""

    def __init__(self, conn: Connection, received_hlc: Callable[[], str],
                 erase_attachment: AttachmentEraser | None = None) -> None:
        self.conn = conn
        self._received_hlc = received_hlc
        self._erase_attachment = erase_attachment
        #: Set when an applied operation took text out of an indexed record (an edit that
        #: removed words, not only added some): the caller then folds the WAL back after
        #: committing, so the old pages survive in no WAL frame.
        self.text_removed = False
        #: Set when an applied operation erased records: the caller runs the cleanup after
        #: committing (``Workspace.compact_after_erasure``).
        self.erased = False
        #: Whether :func:`merge_ops` may merge a batch set-wise (tests turn it off to get the
        #: reference path, one operation at a time).
        self.set_wise = True
        #: Whether the workspace has the table of notes whose index entries are stale
        #: (``search_pending``, migration 0012; absent only in tests of older schemas).
        self.has_pending = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_pending'"
        ).fetchone() is not None
        #: Whether re-indexing an edited note is left to the idle indexer: the change is then
        #: recorded in ``search_pending`` (see ``Workspace.write``); otherwise it is done here.
        self.defer_index = False
        #: Whether the workspace has ``created_heads`` (migration 0013): a record one
        #: operation made keeps its heads there as one row until something touches it again.
        self.has_created = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'created_heads'"
        ).fetchone() is not None
        #: Whether creates write their heads as that one row (tests turn it off to get the
        #: reference: a row of ``heads`` per field, as before migration 0013).
        self.sole_heads = self.has_created

    # -- queries used by writers ---------------------------------------------------------

    def heads(self, entity_id: str, fields: Iterable[str] | None = None) -> list[OpId]:
        """The operations heading ``fields`` of a record (any field when None)."""
        names = None if fields is None else list(fields)
        if names is None:
            rows = self.conn.execute(
                "SELECT DISTINCT device, seq FROM heads WHERE entity_id = ?", (entity_id,))
        else:
            marks = ",".join("?" * len(names))
            rows = self.conn.execute(
                f"SELECT DISTINCT device, seq FROM heads WHERE entity_id = ? AND field IN ({marks})",
                (entity_id, *names))
        found = [(str(d), int(s)) for d, s in rows.fetchall()]
        if found or not self.has_created:
            return found
        # A record with rows in heads has none in created_heads: only one without may.
        row = self.conn.execute(
            'SELECT c.device, c.seq, o."values" FROM created_heads c JOIN ops o '
            "ON o.device = c.device AND o.seq = c.seq WHERE c.entity_id = ?",
            (entity_id,)).fetchone()
        if row is None:
            return []
        if names is not None and not any(f in json.loads(row[2]) for f in names):
            return []  # fields the create did not write have no head
        return [(str(row[0]), int(row[1]))]

    def expand_created(self, entity_id: str) -> None:
        """Move a record's heads from ``created_heads`` into ``heads``, a row per field its
        creating operation wrote, before an operation on it changes them."""
        if not self.has_created:
            return
        conn = self.conn
        row = conn.execute("SELECT device, seq FROM created_heads WHERE entity_id = ?",
                           (entity_id,)).fetchone()
        if row is None:
            return
        conn.execute(
            "INSERT INTO heads (entity, entity_id, field, device, seq, hlc) "
            'SELECT o.entity, o.entity_id, f.key, o.device, o.seq, o.hlc FROM ops o, '
            'json_each(o."values") f WHERE o.device = ? AND o.seq = ?', (row[0], row[1]))
        conn.execute("DELETE FROM created_heads WHERE entity_id = ?", (entity_id,))

    def write_create_heads(self, ops: Sequence[Op]) -> None:
        """The heads of operations that each create a record (nothing precedes them, nothing
        has superseded them): one row per record in ``created_heads``, or with
        ``sole_heads`` off, or for a create that deletes, a row per field in ``heads``."""
        sole: list[Op] = []
        per_field: list[Op] = []
        for op in ops:
            # A create that writes no field heads nothing: it gets no row in either table.
            one_row = self.sole_heads and op.values and DELETED not in op.values
            (sole if one_row else per_field).append(op)
        if sole:
            self.conn.executemany(
                "INSERT INTO created_heads (entity_id, device, seq) VALUES (?, ?, ?)",
                [(op.entity_id, op.device, op.seq) for op in sole])
        if per_field:
            self.conn.executemany(
                "INSERT INTO heads (entity, entity_id, field, device, seq, hlc) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(op.entity, op.entity_id, f, op.device, op.seq, op.hlc) for op in per_field
                 for f in op.values])

    def is_erased(self, entity_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM erased WHERE entity_id = ?", (entity_id,))
        return row.fetchone() is not None

    def covered_by_erasure(self, op: Op) -> bool:
        """Whether applying ``op`` would only meet an erasure (its record, or a record it
        hangs off through a cascading reference, is erased): nothing of it may be kept,
        not even a file it brings along."""
        return self.is_erased(op.entity_id) or self._erased_parent(op) is not None

    def owner_of(self, entity: str, entity_id: str) -> str | None:
        row = self.conn.execute(f"SELECT owner FROM {entity} WHERE id = ?", (entity_id,)).fetchone()
        return None if row is None else row[0]

    # -- the one code path ---------------------------------------------------------------

    def apply(self, op: Op, report: ApplyReport | None = None, *, fresh: bool = False) -> Outcome:
        """Apply one operation. ``fresh`` promises that ``op`` creates a record under an id
        never used before, with a sequence number never used before (a local create): the
        checks that cannot fail then are skipped and the row is written in one statement.
        ``fieldapp check`` replays the log through the general path and compares, which is
        what keeps the shortcut honest."""
        report = report if report is not None else ApplyReport()
        outcome, reason = self._apply(op, report, fresh)
        report.add(outcome, op, reason)
        return outcome

    def _apply(self, op: Op, report: ApplyReport, fresh: bool) -> tuple[Outcome, str]:
        ent = ENTITIES.get(op.entity)
        if ent is None:
            return "rejected", f"unknown record type {op.entity!r}"
        unknown = [k for k in op.values if k not in ent.field_names and k not in
                   (OWNER, DELETED, ERASE)]
        if unknown:
            return "rejected", f"unknown fields {unknown}"
        if ERASE in op.values and op.entity != "participant":
            return "rejected", "only participants can be erased"
        conn = self.conn
        if fresh and ERASE not in op.values and not op.pred:
            erased_parent = self._erased_parent(op)
            if erased_parent is not None:
                self._erase_tree(op.entity, op.entity_id, erased_parent, report)
                return "erased", ""
            self._apply_fresh(op)
            return "applied", ""
        if conn.execute("SELECT 1 FROM ops WHERE device = ? AND seq = ?", op.id).fetchone():
            return "duplicate", ""
        if ERASE not in op.values:
            if self.is_erased(op.entity_id):
                return "erased", ""
            if ent.owned:
                if made_elsewhere(op.entity_id, op.device):
                    # The id names the device that made the record: no one else may write
                    # it, whether or not the record is here yet (fieldapp.domain.ids).
                    return "rejected", "not the owner of this record"
                owner = self.owner_of(op.entity, op.entity_id)
                if owner is None:
                    stored_owner = conn.execute(
                        "SELECT json_extract(\"values\", '$._owner') FROM ops "
                        "WHERE entity_id = ? AND json_extract(\"values\", '$._owner') IS NOT NULL "
                        "LIMIT 1", (op.entity_id,)).fetchone()
                    owner = stored_owner[0] if stored_owner else op.values.get(OWNER)
                if owner is not None and owner != op.device:
                    return "rejected", "not the owner of this record"
            erased_parent = self._erased_parent(op)
            if erased_parent is not None:
                self._erase_tree(op.entity, op.entity_id, erased_parent, report)
                return "erased", ""

        # The record's heads as rows of their own, for the statements below to change.
        self.expand_created(op.entity_id)
        # Fields of this op that later operations on the same record have already superseded
        # (out-of-order arrival) are hollowed out on the way in, as they would have been in
        # place. An operation on another record that names this one replaced nothing of it
        # (migration 0014): otherwise a device could name, on a record of its own, what
        # another researcher has not written yet, and hollow it out wherever it came first.
        superseded = {
            f for (f,) in conn.execute(
                "SELECT field FROM superseded WHERE device = ? AND seq = ? AND entity_id = ?",
                (op.device, op.seq, op.entity_id)).fetchall()
        }
        if (not superseded and not op.pred and ERASE not in op.values and conn.execute(
                "SELECT 1 FROM ops WHERE entity_id = ? LIMIT 1", (op.entity_id,)
        ).fetchone() is None):
            # The first operation on a record, which nothing has superseded: it is a create,
            # and the create's shortcut gives the same result (the replay check proves it).
            # (Asked of the log, not of the heads: a record made with no field has none, and
            # an edit of it naming nothing is not its create.)
            self._apply_fresh(op)
            return "applied", ""
        stored_values = {k: (None if k in superseded else v) for k, v in op.values.items()}
        order = stored_values.get(ERASE)
        if isinstance(order, dict):
            # An order from an older version may carry a free-text reason, which could name
            # someone: it is not kept, so it is never relayed either.
            stored_values[ERASE] = {k: v for k, v in order.items() if k in ERASE_ORDER_FIELDS}
        conn.execute(
            'INSERT INTO ops (device, seq, hlc, entity, entity_id, "values", pred, received_hlc) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (op.device, op.seq, op.hlc, op.entity, op.entity_id, dumps_values(stored_values),
             dumps_pred(op.pred), self._received_hlc()),
        )
        fields = list(op.values)
        for f in fields:
            for p in op.pred:
                conn.execute("INSERT OR IGNORE INTO superseded (device, seq, entity_id, field) "
                             "VALUES (?, ?, ?, ?)", (p[0], p[1], op.entity_id, f))
                deleted = conn.execute(
                    "DELETE FROM heads WHERE entity_id = ? AND field = ? AND device = ? AND seq = ?",
                    (op.entity_id, f, p[0], p[1])).rowcount
                if deleted and p[0] == op.device:
                    self._husk(p, f)
            if f not in superseded:
                conn.execute(
                    "INSERT INTO heads (entity, entity_id, field, device, seq, hlc) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (op.entity, op.entity_id, f, op.device, op.seq, op.hlc))
        if ERASE in op.values:
            self._erase_tree(op.entity, op.entity_id, op.id, report)
            return "applied", ""
        self._materialise(op, fields)
        return "applied", ""

    def _apply_fresh(self, op: Op) -> None:
        conn = self.conn
        ent = ENTITIES[op.entity]
        conn.execute(
            'INSERT INTO ops (device, seq, hlc, entity, entity_id, "values", pred, received_hlc) '
            "VALUES (?, ?, ?, ?, ?, ?, '[]', ?)",
            (op.device, op.seq, op.hlc, op.entity, op.entity_id, dumps_values(op.values),
             self._received_hlc()))
        self.write_create_heads((op,))
        cols = ["id", "created_hlc", "updated_hlc"]
        args: list[Any] = [op.entity_id, op.hlc, op.hlc]
        for f, value in op.values.items():
            column, arg = _column(ent, f, value)
            cols.append(column)
            args.append(arg)
        cur = conn.execute(
            f"INSERT INTO {op.entity} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            args)
        indexed = INDEXED.get(op.entity, ())
        if indexed and not op.values.get(DELETED):
            rowid = int(cur.lastrowid or 0)
            text = self._indexed_text(op.entity, [op.values.get(f) for f in indexed])
            if self.defer_index and self.has_pending:
                if text:
                    search.mark_stale(conn, rowid, "")
            else:
                search.index(conn, rowid, text)

    def apply_fresh_many(self, ops: list[Op], shared: dict[str, Any] | None = None,
                         own: Sequence[dict[str, Any]] | None = None) -> None:
        """:meth:`apply` with ``fresh`` for many local creates of one record type, as one
        ``executemany`` per table (bulk saves: survey imports). The ops are this device's own,
        each made just now; the caller promises what ``fresh`` promises for each op and that
        none links to an erased record (see :meth:`erased_among`). Records of an indexed type
        go one by one (the index needs each row id).

        ``shared`` and ``own`` split each op's values in two, when the caller has them so:
        ``op.values`` is ``{**shared, **own[i]}`` with no key in both. What every record
        holds (the instrument, the status) is then converted and encoded once for the batch,
        and each record only what is its own."""
        if not ops:
            return
        entity = ops[0].entity
        ent = ENTITIES[entity]
        if INDEXED.get(entity) or any(op.entity != entity or op.pred or ERASE in op.values
                                      for op in ops):
            for op in ops:
                self.apply(op, fresh=True)
            return
        conn = self.conn
        # Each value is encoded once: a JSON field's column text (sorted keys, spaced) is also
        # its piece of the operation's values, spliced in key order and minified by SQLite's
        # json(), which gives dumps_values()'s bytes (a property test compares them). Text
        # that may hold a non-finite number (JSON5 for SQLite) is encoded by dumps_values.
        log_rows: list[tuple[Any, ...]] = []
        exact_rows: list[tuple[Any, ...]] = []
        by_fields: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        formats: dict[tuple[str, ...], tuple[tuple[str, ...], str]] = {}
        pieces: dict[str, str] = {}
        common: tuple[Any, ...] = ()
        common_parts: list[str] = []
        if shared and own is not None:
            common_row: list[Any] = []
            self._fresh_values(ent, shared, common_row, common_parts, pieces,
                               _fresh_plan(ent, tuple(shared)))
            common = tuple(common_row)
            split = True
        else:
            split = False
        for n, op in enumerate(ops):
            values = own[n] if split else op.values  # type: ignore[index]
            fields = tuple(values)
            plan = _FRESH_PLANS.get((entity, fields))
            if plan is None:
                plan = _fresh_plan(ent, fields)
            parts = common_parts.copy()
            row: list[Any] = []
            self._fresh_values(ent, values, row, parts, pieces, plan)
            shape = formats.get(fields)
            if shape is None:
                every = (*shared, *fields) if split else fields  # type: ignore[misc]
                shape = formats[fields] = (every, _SORTED_KEYS.get((entity, every))
                                           or _sorted_keys(entity, every))
            by_fields.setdefault(shape[0], []).append((op.entity_id, op.hlc, op.hlc,
                                                       *common, *row))
            text = shape[1].format(*parts)
            if "Infinity" in text or "NaN" in text:
                exact_rows.append((op.device, op.seq, op.hlc, entity, op.entity_id,
                                   dumps_values(op.values), op.hlc))
            else:
                log_rows.append((op.device, op.seq, op.hlc, entity, op.entity_id, text, op.hlc))
        # A local create is received when it is made: write() records the clock it just ticked.
        insert = ('INSERT INTO ops (device, seq, hlc, entity, entity_id, "values", pred, '
                  "received_hlc) VALUES (?, ?, ?, ?, ?, {}, '[]', ?)")
        conn.executemany(insert.format("json(?)"), log_rows)
        conn.executemany(insert.format("?"), exact_rows)
        self.write_create_heads(ops)
        for fields, rows in by_fields.items():
            cols = ["id", "created_hlc", "updated_hlc", *(_column(ent, f, None)[0] for f in fields)]
            conn.executemany(
                f"INSERT INTO {entity} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                rows)

    @staticmethod
    def _fresh_values(ent: Entity, values: dict[str, Any], row: list[Any], parts: list[str],
                      pieces: dict[str, str], plan: list[tuple[str, Any, bool, bool]]) -> None:
        """Append each value's column to ``row`` and its JSON to ``parts``, in ``plan``'s
        order (see :meth:`apply_fresh_many`); ``pieces`` remembers the JSON of short text."""
        dumps = json.dumps
        for f, fd, is_json, plain in plan:
            value = values[f]
            if plain and value.__class__ is str:  # ids, codes, statuses: the same few
                row.append(value)
                piece = pieces.get(value)
                if piece is None:
                    piece = pieces[value] = dumps(value, ensure_ascii=False)
                parts.append(piece)
                continue
            column = to_column(fd, value) if fd is not None else _column(ent, f, value)[1]
            row.append(column)
            if is_json and column is not None:
                parts.append(column)
            elif value.__class__ is str:
                piece = pieces.get(value)
                if piece is None:
                    piece = pieces[value] = dumps(value, ensure_ascii=False)
                parts.append(piece)
            else:
                parts.append(dumps(value, ensure_ascii=False, sort_keys=True))

    def erased_among(self, ops: list[Op]) -> bool:
        """Whether any of ``ops`` links its record to an erased one (a cascading reference)."""
        targets: set[str] = set()
        refs = {entity: cascade_refs(entity) for entity in {op.entity for op in ops}}
        for op in ops:
            for f in refs[op.entity]:
                value = op.values.get(f.name)
                if value is not None:
                    targets.update(value if f.kind == "refs" else [value])
        found = False
        chunk = sorted(targets)
        for start in range(0, len(chunk), 500):
            part = chunk[start:start + 500]
            marks = ",".join("?" * len(part))
            found = found or self.conn.execute(
                f"SELECT 1 FROM erased WHERE entity_id IN ({marks}) LIMIT 1", part
            ).fetchone() is not None
        return found

    def _husk(self, opid: OpId, f: str) -> None:
        """Hollow out a superseded field's value: it can never be shown again, and keeping old
        text would make deleting a sentence from a note an illusion.

        The field stays in the operation (as null) because the operation still supersedes what
        *it* saw for that field. Only a value superseded by a later operation of the same
        device is hollowed: every bundle or relay that carries the old operation then carries
        the newer one too (it has a higher sequence number on the same device), so no replica
        ever sees a hollowed value as a head. Text on an owned record (a note) is only ever
        edited by its owner, so old note text never survives."""
        self.conn.execute(
            'UPDATE ops SET "values" = json_set("values", ?, json(\'null\')) '
            "WHERE device = ? AND seq = ?", (f'$."{f}"', opid[0], opid[1]))

    def _materialise(self, op: Op, fields: list[str]) -> None:
        conn = self.conn
        ent = ENTITIES[op.entity]
        indexed = INDEXED.get(op.entity, ())
        reindex = bool(indexed) and any(f in indexed or f == DELETED for f in fields)
        before = self._index_state(op.entity, op.entity_id) if reindex else None
        conn.execute(
            f"INSERT INTO {op.entity} (id, created_hlc, updated_hlc) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET "
            "created_hlc = min(created_hlc, excluded.created_hlc), "
            "updated_hlc = max(updated_hlc, excluded.updated_hlc)",
            (op.entity_id, op.hlc, op.hlc))
        sets: list[str] = []
        args: list[Any] = []
        winners = self._winners(op.entity_id, fields)
        for f in fields:
            column, arg = _column(ent, f, self._value_of(op, f, winners.get(f)))
            sets.append(f"{column} = ?")
            args.append(arg)
        if sets:
            conn.execute(f"UPDATE {op.entity} SET {', '.join(sets)} WHERE id = ?",
                         (*args, op.entity_id))
        if reindex:
            self.reindex(op.entity, op.entity_id, before)

    def _winners(self, entity_id: str, fields: list[str]) -> dict[str, OpId]:
        """For each field, the head with the greatest (hlc, device, seq)."""
        marks = ",".join("?" * len(fields))
        best: dict[str, tuple[str, str, int]] = {}
        for f, hlc, device, seq in self.conn.execute(
                f"SELECT field, hlc, device, seq FROM heads WHERE entity_id = ? "
                f"AND field IN ({marks})", (entity_id, *fields)):
            key = (str(hlc), str(device), int(seq))
            if f not in best or key > best[f]:
                best[f] = key
        return {f: (k[1], k[2]) for f, k in best.items()}

    def _value_of(self, op: Op, f: str, winner: OpId | None) -> Any:
        if winner is None:
            return None
        if winner == op.id:
            return op.values.get(f)
        return self._value_of_stored(f, winner)

    def _value_of_stored(self, f: str, winner: OpId) -> Any:
        """Field ``f`` of the operation ``winner`` as the log holds it."""
        device, seq = winner
        row = self.conn.execute(
            "SELECT json_extract(\"values\", ?) , json_type(\"values\", ?) FROM ops "
            "WHERE device = ? AND seq = ?", (f'$."{f}"', f'$."{f}"', device, seq)).fetchone()
        if row is None:
            return None
        value, jtype = row
        if jtype in ("object", "array"):
            return json.loads(value)
        if jtype == "true":
            return True
        if jtype == "false":
            return False
        return value

    # -- search index --------------------------------------------------------------------

    def _indexed_text(self, entity: str, texts: list[Any]) -> str:
        return "\n".join(str(t) for t in texts if t)

    def _index_state(self, entity: str, entity_id: str, *,
                     current: bool = False) -> tuple[int, str] | None:
        """(rowid, the text the index holds for the record), or None when it holds nothing.
        For a note whose entries are stale (``search_pending``) that is the text it was last
        indexed with; with ``current``, the record's text as it is now."""
        fields = INDEXED[entity]
        cols = ", ".join(f'"{f}"' for f in fields)
        if self.has_pending and not current:
            row = self.conn.execute(
                f"SELECT e.rowid, e.deleted, p.held, {cols} FROM {entity} e LEFT JOIN "
                f"search_pending p ON p.note_rowid = e.rowid WHERE e.id = ?",
                (entity_id,)).fetchone()
            if row is not None and row[2] is not None:
                return (int(row[0]), str(row[2])) if row[2] else None
            row = None if row is None else (row[0], row[1], *row[3:])
        else:
            row = self.conn.execute(f"SELECT rowid, deleted, {cols} FROM {entity} WHERE id = ?",
                                    (entity_id,)).fetchone()
        if row is None or row[1]:
            return None
        text = self._indexed_text(entity, list(row[2:]))
        return (int(row[0]), text) if text else None

    def reindex(self, entity: str, entity_id: str,
                before: tuple[int, str] | None) -> None:
        """Bring the index up to date with the record, which held ``before`` in the index
        (from :meth:`_index_state`, read before the record changed) — or, with
        :attr:`defer_index`, record that the note's entries are stale (what the index holds
        stays ``before`` until the idle indexer runs, see ``Workspace.index_pending``)."""
        after = self._index_state(entity, entity_id, current=True)
        state = before if before is not None else after
        if self.defer_index and self.has_pending:
            if before != after and state is not None:
                search.mark_stale(self.conn, state[0], before[1] if before is not None else "")
            return
        if self.has_pending and state is not None:
            # Whatever was pending for the note is done here (a merge touching a note edited
            # since the last idle pass).
            search.clear_stale(self.conn, state[0])
        if before == after:
            return
        if before is not None and after is not None and before[0] == after[0]:
            # Only the chunks whose text changed are re-indexed (see search.entries).
            search.reindex(self.conn, after[0], before[1], after[1])
            if search.removes_text(before[1], after[1]):
                self.text_removed = True
            return
        if before is not None:
            search.unindex(self.conn, before[0], before[1])
        if after is not None:
            search.index(self.conn, after[0], after[1])

    # -- erasure -------------------------------------------------------------------------

    def _erased_parent(self, op: Op) -> OpId | None:
        """If ``op`` links its record to an erased one through a cascading reference, the
        erase order that therefore covers this record too."""
        for f in cascade_refs(op.entity):
            if f.name not in op.values or op.values[f.name] is None:
                continue
            targets = op.values[f.name] if f.kind == "refs" else [op.values[f.name]]
            for target in targets:
                row = self.conn.execute(
                    "SELECT erase_device, erase_seq FROM erased WHERE entity_id = ?",
                    (target,)).fetchone()
                if row:
                    return (str(row[0]), int(row[1]))
        return None

    def _erase_tree(self, entity: str, entity_id: str, order: OpId,
                    report: ApplyReport) -> None:
        conn = self.conn
        todo = [(entity, entity_id)]
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        while todo:
            ent_name, rid = todo.pop()
            if rid in seen:
                continue
            seen.add(rid)
            found.append((ent_name, rid))
            for child in ENTITIES.values():
                for f in cascade_refs(child.name):
                    if f.ref != ent_name:
                        continue
                    if f.kind == "refs":
                        rows = conn.execute(
                            f'SELECT id FROM {child.name} WHERE EXISTS '
                            f'(SELECT 1 FROM json_each({child.name}."{f.name}") WHERE value = ?)',
                            (rid,)).fetchall()
                    else:
                        rows = conn.execute(
                            f'SELECT id FROM {child.name} WHERE "{f.name}" = ?', (rid,)).fetchall()
                    todo.extend((child.name, r[0]) for r in rows)
        if found:
            self.erased = True
            # The cleanup after the commit (index compaction, WAL truncation, backups) is
            # due from this transaction on: recorded with it, finished at the next open if
            # the process dies first.
            conn.execute("INSERT INTO meta (key, value) VALUES (?, '1') "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         (ERASURE_CLEANUP,))
        for ent_name, rid in found:
            if ent_name in INDEXED:
                state = self._index_state(ent_name, rid)
                if state is not None:
                    search.unindex(conn, state[0], state[1])
                if self.has_pending:
                    # A save not yet indexed: its record (with the text the index held)
                    # goes in this transaction too.
                    conn.execute("DELETE FROM search_pending WHERE note_rowid = "
                                 f"(SELECT rowid FROM {ent_name} WHERE id = ?)", (rid,))
            if ent_name == "attachment" and self._erase_attachment is not None:
                self._erase_attachment(rid)
            conn.execute(f"DELETE FROM {ent_name} WHERE id = ?", (rid,))
            conn.execute("DELETE FROM ops WHERE entity_id = ? AND NOT (device = ? AND seq = ?)",
                         (rid, order[0], order[1]))
            conn.execute("DELETE FROM heads WHERE entity_id = ?", (rid,))
            if self.has_created:
                conn.execute("DELETE FROM created_heads WHERE entity_id = ?", (rid,))
            conn.execute(
                "INSERT OR IGNORE INTO erased (entity_id, entity, erase_device, erase_seq) "
                "VALUES (?, ?, ?, ?)", (rid, ent_name, order[0], order[1]))
            report.erased_records.append((ent_name, rid))


def encoded_ops(conn: Connection, ids: Sequence[OpId]) -> Iterator[bytes]:
    """The operations ``ids``, in this order, each as the JSON object a bundle carries (the
    keys of ``Op.to_dict``), rendered by SQLite from the log's own JSON: sending a bundle
    does not decode the log only to encode it again."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS fm_send (pos INTEGER PRIMARY KEY, "
                 "device TEXT, seq INTEGER)")
    try:
        conn.execute("DELETE FROM fm_send")
        conn.executemany("INSERT INTO fm_send (device, seq) VALUES (?, ?)", ids)
        for (line,) in conn.execute(
                # The log's values and pred are JSON written by this code: spliced in as
                # they are, not parsed and rendered again.
                # As a BLOB: the UTF-8 bytes as SQLite holds them, not decoded into a Python
                # string only to be encoded again.
                "SELECT CAST('{\"device\":' || json_quote(o.device) || ',\"seq\":' || o.seq "
                "|| ',\"hlc\":' || json_quote(o.hlc) || ',\"entity\":' || json_quote(o.entity) "
                "|| ',\"entity_id\":' || json_quote(o.entity_id) || ',\"values\":' "
                "|| o.\"values\" || ',\"pred\":' || o.pred || '}' AS BLOB) "
                "FROM fm_send s JOIN ops o ON o.device = s.device AND o.seq = s.seq "
                "ORDER BY s.pos"):
            yield line
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.fm_send")
