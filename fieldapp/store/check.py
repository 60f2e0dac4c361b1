"""Integrity check: SQLCipher's page check, SQLite's integrity check, and that the readable
tables equal a replay of the change log into an empty in-memory database."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlcipher3

from fieldapp.domain.ops import Op
from fieldapp.domain.schema import ENTITIES
from fieldapp.store.oplog import OpApplier
from fieldapp.store.workspace import MIGRATIONS, Workspace


@dataclass
class CheckReport:
    cipher_errors: list[str] = field(default_factory=list)
    sqlite_errors: list[str] = field(default_factory=list)
    replay_differences: list[str] = field(default_factory=list)
    index_differences: list[str] = field(default_factory=list)
    operations: int = 0

    @property
    def ok(self) -> bool:
        return not (self.cipher_errors or self.sqlite_errors or self.replay_differences
                    or self.index_differences)


def replay(ops: list[Op]) -> sqlcipher3.dbapi2.Connection:
    """A fresh in-memory database holding what ``ops`` say. Nothing touches the disk."""
    mem = sqlcipher3.connect(":memory:", isolation_level=None)
    for _number, _name, script in MIGRATIONS:
        mem.executescript(script)
    applier = OpApplier(mem, lambda: "")
    mem.execute("BEGIN")
    for op in sorted(ops, key=Op.sort_key):
        applier.apply(op)
    mem.execute("COMMIT")
    return mem


def table_rows(conn: sqlcipher3.dbapi2.Connection, entity: str) -> dict[str, tuple[object, ...]]:
    cur = conn.execute(f"SELECT * FROM {entity} ORDER BY id")
    return {row[0]: tuple(row) for row in cur.fetchall()}


def check(ws: Workspace) -> CheckReport:
    report = CheckReport()
    db = ws.db
    report.cipher_errors = [str(r[0]) for r in db.execute("PRAGMA cipher_integrity_check")]
    report.sqlite_errors = [str(r[0]) for r in db.execute("PRAGMA integrity_check")
                            if r[0] != "ok"]
    ops = ws.ops()
    report.operations = len(ops)
    mem = replay(ops)
    try:
        for name in ENTITIES:
            live, replayed = table_rows(db, name), table_rows(mem, name)
            for rid in sorted(set(live) | set(replayed)):
                if live.get(rid) != replayed.get(rid):
                    report.replay_differences.append(f"{name} {rid}")
    finally:
        mem.close()
    indexed = {r[0] for r in db.execute("SELECT rowid FROM search_index")}
    expected = {r[0] for r in db.execute(
        "SELECT rowid FROM note WHERE deleted = 0 AND (coalesce(body, '') != '' OR "
        "coalesce(title, '') != '')")}
    for rowid in sorted(indexed ^ expected):
        report.index_differences.append(f"note rowid {rowid}")
    return report
