"""The set-wise merge: a batch of other devices' operations applied as a handful of statements.

A bundle brings thousands of operations at once. Applying them one at a time costs several
statements each; :func:`merge_ops` loads them into a temporary table instead and derives the
same log, heads, superseded pairs, hollowed values and rows with a handful of statements over
the whole set. The result is defined as that of applying the operations one by one in the
order given (``OpApplier.apply``, the reference): tests/unit/store/test_set_merge.py compares
the two on random operation sets. Whatever the set-wise rules below do not cover exactly
(erasures, a record whose owner the batch itself decides in an unusual way, an operation that
names itself, an operation id twice in a batch) sends the whole batch through the reference
path, before anything was written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fieldapp.domain.hlc import HLC, MAX_FUTURE_MS
from fieldapp.domain.ids import made_elsewhere
from fieldapp.domain.ops import DELETED, ERASE, OWNER, Op, dumps_pred, dumps_values
from fieldapp.domain.schema import ENTITIES, INDEXED, Entity, cascade_refs, to_column
from fieldapp.store.oplog import ApplyReport, OpApplier
from fieldapp.store.sqlite import Connection

_ALLOWED_KEYS = {name: frozenset((*ent.field_names, OWNER, DELETED, ERASE))
                 for name, ent in ENTITIES.items()}
_CASCADES = {name: cascade_refs(name) for name in ENTITIES}
_OWNED = frozenset(name for name, ent in ENTITIES.items() if ent.owned)



def _converters(ent: Entity) -> dict[str, tuple[str, Callable[[Any], Any]]]:
    """For each field of ``ent``: its column and how a value is stored there (as ``_column``)."""
    out: dict[str, tuple[str, Callable[[Any], Any]]] = {
        OWNER: ("owner", lambda v: v), DELETED: ("deleted", lambda v: 1 if v else 0)}
    for fld in ent.fields:
        out[fld.name] = (f'"{fld.name}"', functools.partial(to_column, fld))
    return out


_CONVERTERS = {name: _converters(ent) for name, ent in ENTITIES.items()}
#: Fields whose column holds exactly what ``json_extract`` gives for their JSON value.
_PLAIN = {name: frozenset([OWNER, *(f.name for f in ent.fields
                                    if f.kind in ("text", "date", "ref", "int", "bool"))])
          for name, ent in ENTITIES.items()}

_TEMP_TABLES = ("fm_inc", "fm_nm", "fm_named", "fm_nohead", "fm_touch", "fm_rec", "fm_own",
                "fm_created", "fm_sole")


class _Ineligible(Exception):
    """The batch needs the reference path (raised before anything was written)."""


def observe_clocks(clock: Any, ops: Sequence[Op], report: ApplyReport) -> None:
    """Advance ``clock`` past every operation's timestamp, reporting clocks from the future.

    Equal to calling ``clock.observe`` for each operation in turn (the clock only ever moves
    to the greatest timestamp seen), with one call in the common case where none is from
    the future."""
    if not ops:
        return
    limit = f"{clock._now() + MAX_FUTURE_MS:015d}"
    newest = max(op.hlc for op in ops)
    if newest[:15] <= limit:
        clock.observe(HLC.decode(newest))
        return
    for op in ops:
        _recorded, clamped = clock.observe(HLC.decode(op.hlc))
        if clamped:
            report.future_clocks.append(op.id)


def merge_ops(applier: OpApplier, ops: Sequence[Op], report: ApplyReport) -> None:
    """Apply other devices' operations, as ``applier.apply`` would one by one in this order.

    Set-wise when the batch allows it (see above), else through the reference path. Inside
    the caller's transaction."""
    if applier.set_wise and ops:
        try:
            _SetMerge(applier, ops, report).run()
            report.set_wise = True
            return
        except _Ineligible:
            pass
    for op in ops:
        before = report.applied
        applier.apply(op, report)
        if report.applied > before and ERASE in op.values:
            report.erase_orders.append((op.id, op.entity_id))


class _SetMerge:
    def __init__(self, applier: OpApplier, ops: Sequence[Op], report: ApplyReport) -> None:
        self.applier = applier
        self.conn = applier.conn
        self.ops = ops
        self.report = report

    def run(self) -> None:
        conn = self.conn
        try:
            self._load()
            self._check()
            self._write()
        finally:
            for name in _TEMP_TABLES:
                conn.execute(f"DROP TABLE IF EXISTS temp.{name}")

    # -- loading and the checks that may send the batch to the reference path ------------------

    def _load(self) -> None:
        conn = self.conn
        self.static_rejects: list[tuple[int, Op, str]] = []

        def rows() -> Iterator[tuple[Any, ...]]:
            encode = dumps_values
            for pos, op in enumerate(self.ops):
                values = op.values
                if ERASE in values:
                    raise _Ineligible
                allowed = _ALLOWED_KEYS.get(op.entity)
                if allowed is None:
                    self.static_rejects.append((pos, op, f"unknown record type {op.entity!r}"))
                    continue
                if not allowed.issuperset(values):
                    unknown = [k for k in values if k not in allowed]
                    self.static_rejects.append((pos, op, f"unknown fields {unknown}"))
                    continue
                # A record whose id names the device that made it is that device's alone,
                # whatever else the batch or the log says (``fieldapp.domain.ids``): state 2,
                # rejected, unless the duplicate check below finds it held already.
                foreign = op.entity in _OWNED and made_elsewhere(op.entity_id, op.device)
                yield (pos, op.device, op.seq, op.hlc, op.entity, op.entity_id,
                       encode(values), dumps_pred(op.pred) if op.pred else "[]",
                       1 if OWNER in values else 0, values.get(OWNER), 2 if foreign else 0)

        conn.execute("CREATE TEMP TABLE fm_inc (pos INTEGER PRIMARY KEY, device TEXT, "
                     "seq INTEGER, hlc TEXT, entity TEXT, entity_id TEXT, vals TEXT, pred TEXT, "
                     "has_owner INTEGER, owner TEXT, state INTEGER NOT NULL DEFAULT 0)")
        conn.executemany("INSERT INTO fm_inc (pos, device, seq, hlc, entity, entity_id, vals, "
                         "pred, has_owner, owner, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         rows())
        conn.execute("CREATE INDEX temp.fm_inc_id ON fm_inc (device, seq)")
        if conn.execute("SELECT 1 FROM fm_inc GROUP BY device, seq HAVING count(*) > 1 "
                        "LIMIT 1").fetchone():
            raise _Ineligible  # an operation id twice in the batch
        # state: 0 applied, 1 duplicate, 2 rejected (not the owner)
        conn.execute("UPDATE fm_inc SET state = 1 WHERE EXISTS (SELECT 1 FROM ops o "
                     "WHERE o.device = fm_inc.device AND o.seq = fm_inc.seq)")

    def _check(self) -> None:
        conn = self.conn
        if conn.execute("SELECT 1 FROM erased LIMIT 1").fetchone() is not None:
            ids = {op.entity_id for op in self.ops}
            for op in self.ops:
                for f in _CASCADES.get(op.entity, ()):
                    target = op.values.get(f.name)
                    if target is None:
                        continue
                    ids.update(target if isinstance(target, list) else [target])
            ids_list = list(ids)
            for start in range(0, len(ids_list), 500):
                chunk = ids_list[start:start + 500]
                if conn.execute(f"SELECT 1 FROM erased WHERE entity_id IN "
                                f"({','.join('?' * len(chunk))}) LIMIT 1", chunk).fetchone():
                    raise _Ineligible  # an erasure decides: the reference path carries it out
        self._owners()
        # Declared column types: a column made by ``CREATE TABLE ... AS`` from json_extract
        # has no affinity, and the index below then matches only on ``pdev`` -- each
        # operation of a device's bundle compared with every name of that device, which
        # made a bundle of 100,000 edits take hours (tests/unit/store/test_merge_scaling.py).
        conn.execute("CREATE TEMP TABLE fm_nm (qpos INTEGER, qdev TEXT, qseq INTEGER, "
                     "qent TEXT, pdev TEXT, pseq INTEGER, field TEXT)")
        conn.execute(
            "INSERT INTO fm_nm SELECT i.pos, i.device, i.seq, i.entity_id, "
            "json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'), f.key "
            "FROM fm_inc i, json_each(i.pred) p, json_each(i.vals) f "
            "WHERE i.state = 0 AND i.pred != '[]'")
        conn.execute("CREATE INDEX temp.fm_nm_p ON fm_nm (pdev, pseq, field)")
        # An operation that names one on another record replaces nothing (supersession is
        # bound to the record, migration 0014): every statement below matches a name only on
        # its own record, so such a batch merges set-wise like any other -- a forged bundle
        # cannot send its whole batch down the slow path that way.
        if conn.execute("SELECT 1 FROM fm_nm n WHERE n.pdev = n.qdev AND n.pseq = n.qseq "
                        "LIMIT 1").fetchone():
            raise _Ineligible  # an operation names itself

    def _owners(self) -> None:
        """Reject operations on owned records from anyone but the owner. The owner is the
        row's, or the one an operation in the log names, or -- for a record new here -- the
        one its first operation in the batch names; a batch that sets ``_owner`` any other
        way is left to the reference path."""
        conn = self.conn
        conn.execute("CREATE TEMP TABLE fm_own (entity_id TEXT PRIMARY KEY, entity TEXT, "
                     "first INTEGER, held TEXT, owner TEXT)")
        owned = sorted(_OWNED)
        marks = ",".join("?" * len(owned))
        conn.execute(
            "INSERT INTO fm_own (entity_id, entity, first) SELECT entity_id, min(entity), "
            f"min(pos) FROM fm_inc WHERE state = 0 AND entity IN ({marks}) GROUP BY entity_id",
            owned)
        if conn.execute("SELECT 1 FROM fm_own LIMIT 1").fetchone() is None:
            return
        for name in owned:
            conn.execute(
                f"UPDATE fm_own SET held = (SELECT e.owner FROM {name} e "
                f"WHERE e.id = fm_own.entity_id) WHERE entity = ?", (name,))
        conn.execute(
            "UPDATE fm_own SET held = (SELECT json_extract(o.\"values\", '$._owner') FROM ops o "
            "WHERE o.entity_id = fm_own.entity_id "
            "AND json_extract(o.\"values\", '$._owner') IS NOT NULL LIMIT 1) WHERE held IS NULL")
        if conn.execute(
                "SELECT 1 FROM fm_inc i JOIN fm_own w ON w.entity_id = i.entity_id "
                "WHERE i.state = 0 AND ((i.entity != w.entity) "
                "OR (i.has_owner AND NOT (w.held IS NULL AND i.pos = w.first)) "
                "OR (w.held IS NULL AND i.pos = w.first "
                "    AND (i.owner IS NULL OR i.owner != i.device))) LIMIT 1").fetchone():
            raise _Ineligible
        conn.execute("UPDATE fm_own SET owner = coalesce(held, "
                     "(SELECT i.owner FROM fm_inc i WHERE i.pos = fm_own.first))")
        conn.execute("UPDATE fm_inc SET state = 2 WHERE state = 0 AND EXISTS (SELECT 1 FROM "
                     "fm_own w WHERE w.entity_id = fm_inc.entity_id AND w.owner != fm_inc.device)")

    # -- writing --------------------------------------------------------------------------------

    def _write(self) -> None:
        conn = self.conn
        applier = self.applier
        if applier.has_created:
            # Records the batch touches that one operation made here: their heads as rows of
            # their own, for the statements below to change (``OpApplier.expand_created``).
            conn.execute(
                "CREATE TEMP TABLE fm_created AS SELECT c.entity_id AS entity_id, c.device AS "
                "device, c.seq AS seq FROM created_heads c WHERE c.entity_id IN "
                "(SELECT entity_id FROM fm_inc WHERE state = 0)")
            conn.execute(
                "INSERT INTO heads (entity, entity_id, field, device, seq, hlc) "
                "SELECT o.entity, o.entity_id, f.key, o.device, o.seq, o.hlc FROM fm_created c "
                'JOIN ops o ON o.device = c.device AND o.seq = c.seq, json_each(o."values") f')
            conn.execute("DELETE FROM created_heads WHERE entity_id IN "
                         "(SELECT entity_id FROM fm_created)")
        # For each incoming operation and field that another operation of the batch names:
        # the first namer before it in the batch, the first after it.
        conn.execute(
            "CREATE TEMP TABLE fm_named AS SELECT i.pos AS pos, n.field AS field, i.device AS "
            "device, min(CASE WHEN n.qpos < i.pos THEN n.qpos END) AS before_q, "
            "min(CASE WHEN n.qpos > i.pos THEN n.qpos END) AS after_q "
            "FROM fm_inc i JOIN fm_nm n ON n.pdev = i.device AND n.pseq = i.seq "
            "AND n.qent = i.entity_id "
            "WHERE i.state = 0 AND json_type(i.vals, '$.\"' || n.field || '\"') IS NOT NULL "
            "GROUP BY i.pos, n.field")
        # Fields that get no head: superseded before they arrive (by the log or an earlier
        # operation of the batch) or by a later operation of the batch.
        conn.execute(
            "CREATE TEMP TABLE fm_nohead AS "
            "SELECT i.pos AS pos, s.field AS field, 1 AS hollow FROM fm_inc i "
            "JOIN superseded s ON s.device = i.device AND s.seq = i.seq "
            "AND s.entity_id = i.entity_id "
            "WHERE i.state = 0 AND json_type(i.vals, '$.\"' || s.field || '\"') IS NOT NULL "
            "UNION SELECT n.pos, n.field, (n.before_q IS NOT NULL OR (SELECT q.device FROM "
            "fm_inc q WHERE q.pos = n.after_q) = n.device) FROM fm_named n")
        # Looked up per operation and field below (without it, every operation's every field
        # is compared with every row of the table).
        conn.execute("CREATE INDEX temp.fm_nohead_p ON fm_nohead (pos, field)")
        # Hollowed values: superseded on arrival, or -- in place -- by a later operation of the
        # same device that removed them as heads (``_husk``).
        hollow: dict[int, list[str]] = {}
        for pos, f in conn.execute(
                "SELECT pos, field FROM fm_nohead GROUP BY pos, field HAVING max(hollow) = 1"):
            hollow.setdefault(int(pos), []).append(str(f))
        if hollow:
            updates = []
            for pos, fields in hollow.items():
                values = self.ops[pos].values
                if all(values.get(f) is None for f in fields):
                    continue  # hollowed already by the device that sent it (its own edits)
                values = dict(values)
                for f in fields:
                    values[f] = None
                updates.append((dumps_values(values), pos))
            conn.executemany("UPDATE fm_inc SET vals = ? WHERE pos = ?", updates)
        # Heads in the log that the batch supersedes; the first namer of the same device
        # hollows the value in place.
        husks = conn.execute(
            "SELECT h.device, h.seq, h.field, h.entity FROM heads h JOIN (SELECT qent, pdev, "
            "pseq, field, min(qpos) AS first FROM fm_nm GROUP BY qent, pdev, pseq, field) n "
            "ON h.entity_id = n.qent AND h.field = n.field AND h.device = n.pdev "
            "AND h.seq = n.pseq WHERE (SELECT q.device FROM fm_inc q WHERE q.pos = n.first) "
            "= h.device").fetchall()
        conn.execute("DELETE FROM heads WHERE (entity_id, field, device, seq) IN "
                     "(SELECT qent, field, pdev, pseq FROM fm_nm)")
        if husks:
            conn.executemany(
                'UPDATE ops SET "values" = json_set("values", ?, json(\'null\')) '
                "WHERE device = ? AND seq = ?", [(f'$."{f}"', d, s) for d, s, f, _e in husks])
            if any(e in INDEXED for *_x, e in husks):
                applier.text_removed = True
        conn.execute("INSERT OR IGNORE INTO superseded (device, seq, entity_id, field) "
                     "SELECT pdev, pseq, qent, field FROM fm_nm")
        conn.execute(
            'INSERT INTO ops (device, seq, hlc, entity, entity_id, "values", pred, received_hlc) '
            "SELECT device, seq, hlc, entity, entity_id, vals, pred, ? FROM fm_inc "
            "WHERE state = 0 ORDER BY pos", (applier._received_hlc(),))
        sole = ""
        if applier.sole_heads:
            # A record that this operation alone makes (the batch's only one on it, naming
            # none, writing a field, superseded in none, deleting nothing, the record without
            # heads here):
            # its heads are one row of created_heads, as ``OpApplier.write_create_heads``.
            conn.execute(
                "CREATE TEMP TABLE fm_sole AS SELECT i.pos AS pos, i.entity_id AS entity_id, "
                "i.device AS device, i.seq AS seq FROM fm_inc i JOIN (SELECT min(pos) AS pos "
                "FROM fm_inc WHERE state = 0 GROUP BY entity_id HAVING count(*) = 1) o "
                "ON o.pos = i.pos WHERE i.pred = '[]' AND i.vals != '{}' "
                "AND json_type(i.vals, '$.\"' || ? || '\"') IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM fm_nohead x WHERE x.pos = i.pos) "
                "AND NOT EXISTS (SELECT 1 FROM heads h WHERE h.entity_id = i.entity_id)",
                (DELETED,))
            conn.execute("INSERT INTO created_heads (entity_id, device, seq) "
                         "SELECT entity_id, device, seq FROM fm_sole ORDER BY entity_id")
            sole = "AND i.pos NOT IN (SELECT pos FROM fm_sole) "
        conn.execute(
            "INSERT INTO heads (entity, entity_id, field, device, seq, hlc) "
            "SELECT i.entity, i.entity_id, f.key, i.device, i.seq, i.hlc "
            f"FROM fm_inc i, json_each(i.vals) f WHERE i.state = 0 {sole}AND NOT EXISTS "
            "(SELECT 1 FROM fm_nohead x WHERE x.pos = i.pos AND x.field = f.key) "
            "ORDER BY i.entity_id, f.key, i.device, i.seq")
        self._materialise()
        self._report()

    def _materialise(self) -> None:
        """Each record the batch touched gets, in every field the batch touched, the value of
        that field's winning head (as the reference leaves it after the record's last
        operation), and its first and last clock.

        Records held here before may have heads in the log: theirs are found in SQL, from the
        heads table. A record new here has no operation in the log but the batch's (each
        operation the reference applies leaves a row), so its heads are the batch's own
        operations less those superseded (``fm_nohead``), and its row is folded in Python from
        the operations already in memory -- a third of the cost of reading them back."""
        conn = self.conn
        applier = self.applier
        skip = {int(pos) for (pos,) in conn.execute("SELECT pos FROM fm_inc WHERE state != 0")}
        skip.update(pos for pos, _op, _reason in self.static_rejects)
        nohead = {(int(pos), str(f)) for pos, f in conn.execute(
            "SELECT DISTINCT pos, field FROM fm_nohead")}
        # (entity, id) -> [first position, created, updated, {field: winning head}], in the
        # order of first positions. A field's winning head is the greatest (hlc, device, seq)
        # among the operations that set it and were not superseded, with its value, as
        # ``OpApplier._winners``; None when every head is gone (the field then reads null).
        # Folded for every record in one pass; only those new here use it.
        recs: dict[tuple[str, str], list[Any]] = {}
        for pos, op in enumerate(self.ops):
            if pos in skip:
                continue
            key = (op.entity, op.entity_id)
            hlc = op.hlc
            rec = recs.get(key)
            if rec is None:
                heads: dict[str, tuple[str, str, int, Any] | None] = {}
                recs[key] = [pos, hlc, hlc, heads]
            else:
                heads = rec[3]
                if hlc < rec[1]:
                    rec[1] = hlc
                elif hlc > rec[2]:
                    rec[2] = hlc
            for f, value in op.values.items():
                if nohead and (pos, f) in nohead:
                    heads.setdefault(f, None)
                    continue
                best = heads.get(f)
                if best is None or (hlc, op.device, op.seq) > best[:3]:
                    heads[f] = (hlc, op.device, op.seq, value)
        conn.execute(
            "CREATE TEMP TABLE fm_rec (entity TEXT, entity_id TEXT, first INTEGER, "
            "created TEXT, updated TEXT, held INTEGER, PRIMARY KEY (entity, entity_id)) "
            "WITHOUT ROWID")
        conn.executemany("INSERT INTO fm_rec VALUES (?, ?, ?, ?, ?, 0)",
                         [(e, rid, rec[0], rec[1], rec[2]) for (e, rid), rec in recs.items()])
        by_type: dict[str, list[tuple[str, list[Any]]]] = {}
        for (e, rid), rec in recs.items():
            by_type.setdefault(e, []).append((rid, rec))
        held: set[tuple[str, str]] = set()
        for name in by_type:
            conn.execute(f"UPDATE fm_rec SET held = 1 WHERE entity = ? AND EXISTS "
                         f"(SELECT 1 FROM {name} e WHERE e.id = fm_rec.entity_id)", (name,))
        held.update((str(e), str(rid)) for e, rid in conn.execute(
            "SELECT entity, entity_id FROM fm_rec WHERE held = 1"))
        conn.execute(
            "CREATE TEMP TABLE fm_touch (entity TEXT, entity_id TEXT, field TEXT, wdev TEXT, "
            "wseq INTEGER, PRIMARY KEY (entity, entity_id, field)) WITHOUT ROWID")
        if held:
            conn.execute(
                "INSERT OR IGNORE INTO fm_touch (entity, entity_id, field) "
                "SELECT i.entity, i.entity_id, f.key FROM fm_inc i JOIN fm_rec r "
                "ON r.entity = i.entity AND r.entity_id = i.entity_id AND r.held = 1, "
                "json_each(i.vals) f WHERE i.state = 0")
            # The winning head of each touched field: the greatest (hlc, device, seq), as
            # ``OpApplier._winners`` (none when every head is gone).
            conn.execute(
                "UPDATE fm_touch SET (wdev, wseq) = (SELECT h.device, h.seq FROM heads h "
                "WHERE h.entity_id = fm_touch.entity_id AND h.field = fm_touch.field "
                "ORDER BY h.hlc DESC, h.device DESC, h.seq DESC LIMIT 1)")
        for name in sorted(by_type):
            group = by_type[name]
            before: dict[str, tuple[int, str] | None] = {}
            if name in INDEXED:
                for rid, _rec in group:
                    if (name, rid) in held:
                        before[rid] = applier._index_state(name, rid)
            self._update_held(name)
            self._insert_new(name, [(rid, rec) for rid, rec in group
                                    if (name, rid) not in held])
            if name in INDEXED:
                for rid, _rec in group:
                    applier.reindex(name, rid, before.get(rid))

    def _winners(self, entity: str, held: int) -> Iterator[tuple[Any, ...]]:
        """(id, created, updated, field, value, JSON type) for each touched field of the
        records of ``entity`` (held here before, or new), in the order of their first
        operation in the batch; value and type are None when the field has no head. The
        winner is the head with the greatest (hlc, device, seq), as ``OpApplier._winners``."""
        return self.conn.execute(
            "SELECT r.entity_id, r.created, r.updated, t.field, "
            "json_extract(o.\"values\", '$.\"' || t.field || '\"'), "
            "json_type(o.\"values\", '$.\"' || t.field || '\"') "
            "FROM fm_rec r LEFT JOIN fm_touch t ON t.entity = r.entity "
            "AND t.entity_id = r.entity_id "
            "LEFT JOIN ops o ON o.device = t.wdev AND o.seq = t.wseq "
            "WHERE r.entity = ? AND r.held = ? ORDER BY r.first", (entity, held))

    def _records(self, entity: str, held: int
                 ) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """(id, created, updated, {field: column value}) per record, from :meth:`_winners`."""
        conv = _CONVERTERS[entity]
        plain = _PLAIN[entity]
        current: tuple[str, str, str, dict[str, Any]] | None = None
        row: dict[str, Any] = {}
        for rid, created, updated, f, value, jtype in self._winners(entity, held):
            if current is None or current[0] != rid:
                if current is not None:
                    yield current
                row = {}
                current = (rid, created, updated, row)
            if f is None:
                continue  # an operation that sets no field: the record is there, no more
            if f in plain:
                row[f] = value  # SQLite's value is the column's (text, integer, 1/0, null)
                continue
            if jtype in ("object", "array"):
                value = json.loads(value)
            elif jtype == "true":
                value = True
            elif jtype == "false":
                value = False
            row[f] = conv[f][1](value)
        if current is not None:
            yield current

    def _update_held(self, entity: str) -> None:
        conv = _CONVERTERS[entity]
        updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for rid, created, updated, fields in self._records(entity, 1):
            updates.setdefault(tuple(fields), []).append(
                (created, updated, *fields.values(), rid))
        for fields_set, rows in updates.items():
            sets = "".join(f", {conv[f][0]} = ?" for f in fields_set)
            self.conn.executemany(
                f"UPDATE {entity} SET created_hlc = min(created_hlc, ?), "
                f"updated_hlc = max(updated_hlc, ?){sets} WHERE id = ?", rows)

    def _insert_new(self, entity: str, new: list[tuple[str, list[Any]]]) -> None:
        """Rows for records new here (``[first, created, updated, heads]`` each, as
        :meth:`_materialise` folds them), in the order of their first operation (as the
        reference creates them, so they get the same rowids)."""
        if not new:
            return
        conv = _CONVERTERS[entity]
        # Every field the batch touched on this record type (a record that did not touch one
        # gets the column's default, as the reference leaves it).
        names = sorted({f for _rid, rec in new for f in rec[3]})
        defaults = _defaults(self.conn, entity)
        plan = [(f, conv[f][1], defaults.get(conv[f][0].strip('"'))) for f in names]
        cols = ", ".join(["id", "created_hlc", "updated_hlc", *(conv[f][0] for f in names)])
        missing = object()

        def rows() -> Iterator[list[Any]]:
            for rid, (_first, created, updated, heads) in new:
                row = [rid, created, updated]
                for f, convert, default in plan:
                    head = heads.get(f, missing)
                    row.append(default if head is missing
                               else convert(None if head is None else head[3]))
                yield row

        self.conn.executemany(
            f"INSERT INTO {entity} ({cols}) VALUES ({', '.join('?' * (3 + len(names)))})",
            rows())

    def _report(self) -> None:
        report = self.report
        counts = dict(self.conn.execute(
            "SELECT state, count(*) FROM fm_inc GROUP BY state").fetchall())
        report.applied += int(counts.get(0, 0))
        report.duplicate += int(counts.get(1, 0))
        rejected = list(self.static_rejects)
        for (pos,) in self.conn.execute("SELECT pos FROM fm_inc WHERE state = 2"):
            rejected.append((int(pos), self.ops[int(pos)], "not the owner of this record"))
        for _pos, op, reason in sorted(rejected, key=lambda r: r[0]):
            report.add("rejected", op, reason)


def _defaults(conn: Connection, entity: str) -> dict[str, Any]:
    """Each column's default value (what a record the reference creates holds in a column
    no operation set)."""
    out: dict[str, Any] = {}
    for _cid, name, _type, _notnull, default, _pk in conn.execute(
            f"PRAGMA table_info({entity})").fetchall():
        out[str(name)] = (None if default is None
                          else conn.execute(f"SELECT {default}").fetchone()[0])
    return out
