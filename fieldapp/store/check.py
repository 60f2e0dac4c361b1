"""Integrity check: SQLCipher's page check, SQLite's integrity check, and that the readable
tables equal a replay of the change log into an empty in-memory database.

A page whose authentication fails cannot be read at all, so the page check runs first and, when
it finds damage, the checks that would read the damaged pages are skipped: the report names the
pages instead of failing on the first one. When the damage stops the workspace from opening,
:func:`check_pages` checks the pages with nothing but the data key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlcipher3

from fieldapp.domain.ops import Op
from fieldapp.domain.schema import ENTITIES
from fieldapp.store import search, sqlite
from fieldapp.store.folder import DB_NAME, MIGRATIONS
from fieldapp.store.oplog import OpApplier
from fieldapp.store.workspace import (
    Workspace,
    _storage_errors,
    unlock_key,
)


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

    @property
    def damaged_pages(self) -> list[int]:
        pages = []
        for line in self.cipher_errors:
            m = re.search(r"page (\d+)", line)
            if m:
                pages.append(int(m.group(1)))
        return sorted(set(pages))


def replay(ops: list[Op], *, index: bool = True) -> sqlcipher3.dbapi2.Connection:
    """A fresh in-memory database holding what ``ops`` say. Nothing touches the disk.
    Without ``index``, notes are only marked for indexing, not indexed: the check compares
    the replay's tables, and the live index against the live notes."""
    mem = sqlcipher3.connect(":memory:", isolation_level=None)
    for _number, _name, script in MIGRATIONS:
        mem.executescript(script)
    applier = OpApplier(mem, lambda: "")
    applier.defer_index = not index
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
    if report.cipher_errors:
        return report  # every further check would stop at the first damaged page
    try:
        _check_contents(ws, report)
    except sqlite.DatabaseError as exc:
        report.sqlite_errors.append(str(exc))
    return report


@_storage_errors
def check_pages(path: Path, passphrase: str) -> CheckReport:
    """SQLCipher's page check alone, with nothing but the key file and the data key: no schema
    read, nothing written (a wrong passphrase is counted, as at every unlock)."""
    _keyfile, data_key, lock = unlock_key(path, "passphrase", passphrase)
    try:
        conn = sqlcipher3.connect(str(path / DB_NAME), isolation_level=None)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
            rows = conn.execute("PRAGMA cipher_integrity_check").fetchall()
        except sqlcipher3.dbapi2.DatabaseError as exc:
            raise sqlite.translate_error(exc, path) from None
        finally:
            conn.close()
    finally:
        lock.release()
    return CheckReport(cipher_errors=[str(r[0]) for r in rows])


def _check_contents(ws: Workspace, report: CheckReport) -> None:
    db = ws.db
    report.sqlite_errors = [str(r[0]) for r in db.execute("PRAGMA integrity_check")
                            if r[0] != "ok"]
    ops = ws.ops()
    report.operations = len(ops)
    mem = replay(ops, index=False)
    try:
        for name in ENTITIES:
            live, replayed = table_rows(db, name), table_rows(mem, name)
            for rid in sorted(set(live) | set(replayed)):
                if live.get(rid) != replayed.get(rid):
                    report.replay_differences.append(f"{name} {rid}")
    finally:
        mem.close()
    indexed = search.indexed_notes(db)
    expected = {r[0] for r in db.execute(
        "SELECT rowid FROM note WHERE deleted = 0 AND (coalesce(body, '') != '' OR "
        "coalesce(title, '') != '')")}
    if search.has_pending_table(db):
        # A note saved but not yet indexed: the index holds what it was last indexed with.
        for rowid, held in db.execute("SELECT note_rowid, held FROM search_pending"):
            expected.discard(rowid)
            if held:
                expected.add(rowid)
    for rowid in sorted(indexed ^ expected):
        report.index_differences.append(f"note rowid {rowid}")
