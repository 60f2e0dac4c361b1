"""Opening SQLCipher connections, and turning SQLite's errors into ones a user can act on."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3
from sqlcipher3 import dbapi2

from fieldapp.store.errors import (
    FieldappError,
    StorageFull,
    StorageReadOnly,
    StorageUnavailable,
    WorkspaceCorrupt,
    WorkspaceInUse,
)

# sqlcipher3 mirrors the standard sqlite3 module's API but ships no type information, so the
# standard module's types stand in for it when type-checking.
if TYPE_CHECKING:
    Connection = sqlite3.Connection
    DatabaseError = sqlite3.DatabaseError
else:
    Connection = dbapi2.Connection
    DatabaseError = dbapi2.DatabaseError


def _nearly_full(path: Path | str) -> bool:
    """Whether the file system holding ``path`` has (almost) no room left. SQLite reports a full
    disk as SQLITE_FULL only when a write comes up short; growing the WAL index or creating a
    journal on a full disk is a plain "disk I/O error"."""
    where = Path(path) if str(path) else Path.cwd()
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        return shutil.disk_usage(where).free < NEARLY_FULL
    except OSError:
        return False


NEARLY_FULL = 1024 * 1024


def translate_error(exc: BaseException, path: Path | str) -> FieldappError:
    text = str(exc).lower()
    if "full" in text or ("disk i/o" in text and _nearly_full(path)):
        return StorageFull(str(path))
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return WorkspaceCorrupt(str(path))
    if "readonly" in text or "read-only" in text:
        return StorageReadOnly(str(path))
    if "database is locked" in text or "busy" in text:
        return WorkspaceInUse(str(path))
    # "disk I/O error", "unable to open database file" and anything rarer: SQLite's own words
    # name no user data, and say more than a generic message would.
    return StorageUnavailable(str(exc))


def connect(db_path: Path, data_key: bytes) -> Connection:
    """Open ``db_path`` with the raw 256-bit ``data_key`` and fieldapp's pragmas.

    Raises WorkspaceCorrupt when the file is not a database this key can read.
    """
    conn: Connection = sqlcipher3.connect(str(db_path), isolation_level=None,
                                          check_same_thread=False)
    try:
        # SQLCipher's own diagnostics go to stderr by default; they could name the file and
        # never help a researcher, so they are off.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        # Reading the schema is the first access that needs the key; a damaged or truncated
        # file fails here, before anything is written.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA busy_timeout = 2000")
        fts5 = conn.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetchone()[0]
        if not fts5:  # pragma: no cover - the sqlcipher3 wheel always has it
            raise StorageUnavailable("SQLCipher was built without FTS5")
    except DatabaseError as exc:
        conn.close()
        raise translate_error(exc, db_path) from None
    return conn


@contextlib.contextmanager
def transaction(conn: Connection, path: Path | str) -> Iterator[Any]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any error rolls back and is translated."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except DatabaseError as exc:
        raise translate_error(exc, path) from None
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(DatabaseError):
            conn.execute("ROLLBACK")
        if isinstance(exc, DatabaseError):
            raise translate_error(exc, path) from None
        raise
