"""The workspace folder on disk, apart from the open database: its files' names, the schema
migrations and the copy taken before them, shredding, and the checks an open makes of the
files before trusting them (a database left out by a copy, a file cut short, a creation that
failed half way). :mod:`fieldapp.store.workspace` opens and works with what is here.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from fieldapp.store import sqlite
from fieldapp.store.errors import DatabaseMissing, WorkspaceCorrupt, WorkspaceTooNew
from fieldapp.store.keys import KEYFILE_NAME

DB_NAME = "data.db"
LOCK_NAME = ".lock"
BACKUPS_DIR = "backups"



def _migrations() -> list[tuple[int, str, str]]:
    files = importlib.resources.files("fieldapp.store.migrations")
    found = []
    for entry in files.iterdir():
        m = re.match(r"^(\d{4})_(\w+)\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]

def backup_files(path: Path) -> list[Path]:
    folder = path / BACKUPS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() or p.is_symlink())


def shred(file: Path) -> None:
    """Overwrite a file with zeros, flush that to the disk, then delete it. (On SSDs and
    copy-on-write file systems the old blocks may survive the overwrite; the file is
    encrypted, and its key is the one the remaining workspace uses.)"""
    with contextlib.suppress(OSError):
        if file.is_file() and not file.is_symlink():
            size = file.stat().st_size
            zeros = bytes(1 << 20)
            with open(file, "r+b") as fh:
                left = size
                while left > 0:
                    n = min(left, len(zeros))
                    fh.write(zeros[:n])
                    left -= n
                fh.flush()
                os.fsync(fh.fileno())
    file.unlink(missing_ok=True)


def remove_backups(path: Path) -> bool:
    """Shred every file in ``backups/``. Returns whether none is left."""
    for file in backup_files(path):
        with contextlib.suppress(OSError):
            shred(file)
    return not backup_files(path)


def check_database_present(path: Path) -> None:
    """The key file is there: the database must be too. A missing or 0-byte data.db (a copy
    that left it out, a sync client that replaced it, a full disk) would otherwise be opened
    as a new, empty database: an empty workspace that looks as if every record had vanished."""
    db = path / DB_NAME
    wal = path / (DB_NAME + "-wal")
    try:
        size = db.stat().st_size
    except FileNotFoundError:
        raise DatabaseMissing(str(path)) from None
    if size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise DatabaseMissing(str(path))


def missing_folders(path: Path) -> list[Path]:
    """``path`` and those of its parents that do not exist yet (innermost first)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def remove_unfinished(path: Path, made: list[Path]) -> None:
    """A creation that failed (a full disk, a read-only folder) leaves nothing behind: the
    files it began and the folders it made. The key file is written last, so none exists."""
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", LOCK_NAME, KEYFILE_NAME + ".tmp"):
        with contextlib.suppress(OSError):
            (path / name).unlink()
    with contextlib.suppress(OSError):
        (path / "attachments").rmdir()
    for folder in made:
        with contextlib.suppress(OSError):
            folder.rmdir()


def check_size(conn: sqlite.Connection, path: Path) -> None:
    """A cheap test for a truncated file (a copy cut short, a full USB stick): with no WAL
    pending, the file must hold every page the header counts. Other damage is found when the
    damaged page is read (SQLCipher checks each page's HMAC) or by ``fieldapp check``."""
    wal = path / (DB_NAME + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return
    try:
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    except sqlite.DatabaseError as exc:
        raise sqlite.translate_error(exc, path) from None
    if (path / DB_NAME).stat().st_size < pages * size:
        raise WorkspaceCorrupt(str(path))


def migrate(conn: sqlite.Connection, path: Path, *, fresh: bool) -> None:
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise WorkspaceTooNew(str(path))
    pending = [m for m in MIGRATIONS if m[0] > current]
    if not pending:
        return
    if current > 0 and not fresh:
        backup(conn, path, current)
    for number, _name, script in pending:
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite.DatabaseError as exc:
            with contextlib.suppress(sqlite.DatabaseError):
                conn.execute("ROLLBACK")
            raise sqlite.translate_error(exc, path) from None


def backup(conn: sqlite.Connection, path: Path, version: int) -> Path:
    """Copy the (encrypted) database before migrating it. The copy is as encrypted as the
    original: same data key, so the same passphrase opens it. It lives only until the
    migrated workspace has passed its check and opened (``Workspace._settle_backups``)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    backups = path / BACKUPS_DIR
    backups.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backups / f"data-v{version}-{stamp}.db"
    shutil.copy2(path / DB_NAME, target)
    with open(target, "rb") as fh:
        os.fsync(fh.fileno())
    return target
