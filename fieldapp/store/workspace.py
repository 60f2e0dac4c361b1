"""The encrypted workspace: one folder per researcher per device.

    <workspace>/
        fieldapp-workspace.json   key file: wrapped data key, KDF parameters (no secrets in clear)
        data.db (+ -wal, -shm)    SQLCipher 4 database
        attachments/              files encrypted with per-file keys kept in the database
        backups/                  an encrypted copy taken before a schema migration, kept only
                                  until the migrated workspace has passed its check and opened
        .lock                     held while the workspace is open

A :class:`Workspace` owns one connection. It is not shared between threads: the desktop app
opens, uses and closes it on its single database worker; the CLI uses it on the main thread.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

from fieldapp.domain.hlc import HLC, Clock
from fieldapp.domain.ids import new_id, new_ids, owned_ids
from fieldapp.domain.ops import DELETED, ERASE, OWNER, Op, dumps_values
from fieldapp.domain.schema import ENTITIES, INDEXED, validate
from fieldapp.i18n import format_number, ngettext
from fieldapp.store import private, search, sqlite
from fieldapp.store.conflicts import Conflict, list_conflicts
from fieldapp.store.errors import (
    FieldappError,
    NotFound,
    NotOwner,
    StorageFull,
    StorageFullOnOpen,
    WorkspaceExists,
    WorkspaceInUse,
    WorkspaceNotFound,
    WrongPassphrase,
    WrongRecoveryKey,
    from_workspace_os_error,
)
from fieldapp.store.folder import (
    DB_NAME,
    LOCK_NAME,
    backup_files,
    check_database_present,
    check_size,
    migrate,
    missing_folders,
    remove_backups,
    remove_unfinished,
)
from fieldapp.store.keys import KEYFILE_NAME, KdfParams, KeyFile
from fieldapp.store.oplog import (
    ERASURE_CLEANUP,
    ApplyReport,
    OpApplier,
    _column,
)
from fieldapp.store.setmerge import merge_ops, observe_clocks


def _cleanup_step(step: str) -> None:
    """Called at each step of the cleanup after an erasure ("committed", "compacted",
    "checkpointed", "backups_removed"). Does nothing; it is the point where the crash tests'
    child process stops itself with SIGKILL, to prove the cleanup resumes on the next open."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _storage_errors(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Opening or creating a workspace: a full disk, a read-only folder or a vanished drive is
    the store's error naming the workspace, not an OSError; a full disk is reported as such
    even when only reading was asked for (SQLite and the lock need a little space)."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        path = next((str(a) for a in args if isinstance(a, (str, Path))), "")
        try:
            return fn(*args, **kwargs)
        except OSError as exc:
            raise from_workspace_os_error(exc, path) from None
        except StorageFull as exc:
            if type(exc) is StorageFull:
                raise StorageFullOnOpen(path) from None
            raise

    return wrapper


class _FileLock:
    """An exclusive OS lock on ``.lock``, released when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def acquire(self) -> None:
        fh = private.open_write(self.path, "a+b")
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise WorkspaceInUse(str(self.path.parent)) from None
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@dataclass(frozen=True)
class UnlockInfo:
    failed_attempts: int


def unlock_key(path: Path, unwrap: str, secret: str) -> tuple[KeyFile, bytes, _FileLock]:
    """The first steps of every unlock: read the key file, make sure the database is there, take
    the lock and unwrap the data key with the passphrase or the recovery key (a wrong one is
    counted). The caller owns the returned lock; it is released here only on failure."""
    try:
        keyfile = KeyFile.load(path / KEYFILE_NAME)
    except FileNotFoundError:
        raise WorkspaceNotFound(str(path)) from None
    check_database_present(path)
    lock = _FileLock(path / LOCK_NAME)
    lock.acquire()
    try:
        data_key = (keyfile.unwrap_passphrase(secret) if unwrap == "passphrase"
                    else keyfile.unwrap_recovery(secret))
    except (WrongPassphrase, WrongRecoveryKey):
        keyfile.record_failed_unlock(unwrap)
        lock.release()
        raise
    except BaseException:
        lock.release()
        raise
    return keyfile, data_key, lock


class Workspace:
    """An open, unlocked workspace."""

    def __init__(self, path: Path, keyfile: KeyFile, data_key: bytes, lock: _FileLock,
                 conn: sqlite.Connection) -> None:
        self.path = path
        self.keyfile = keyfile
        self._key = bytearray(data_key)
        self._lock = lock
        self.conn: sqlite.Connection | None = conn
        self.device_id = self.meta("device_id")
        self._seq = int(self.meta("seq", "0"))
        self.clock = Clock(HLC.decode(self.meta("hlc", HLC(0, 0).encode())))
        self.applier = OpApplier(conn, lambda: self.clock.last.encode(), self._shred_attachment)
        #: Whether local note saves leave re-indexing to :meth:`index_pending` (idle time on
        #: the desktop) instead of doing it in the save's transaction. Off by default: the
        #: command line and every batch path index at once (the reference path).
        self.defer_index = False
        private.restrict(path)

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    @_storage_errors
    def initialise(cls, path: Path | str, passphrase: str, *, researcher: str = "",
               kdf: KdfParams | None = None) -> tuple[Workspace, str]:
        """Create a workspace; returns it open, and the recovery key to show the user once."""
        path = Path(path)
        if (path / KEYFILE_NAME).exists() or (path / DB_NAME).exists():
            raise WorkspaceExists(str(path))
        made = missing_folders(path)
        private.mkdir(path)
        private.mkdir(path / "attachments")
        lock = _FileLock(path / LOCK_NAME)
        lock.acquire()
        conn: sqlite.Connection | None = None
        try:
            workspace_id = new_id()
            keyfile, data_key, recovery = KeyFile.create(path / KEYFILE_NAME, workspace_id,
                                                         passphrase, kdf)
            private.create_file(path / DB_NAME)  # 0600 before SQLite (and its WAL) see it
            conn = sqlite.connect(path / DB_NAME, data_key)
            migrate(conn, path, fresh=True)
            with sqlite.transaction(conn, path):
                for key, value in (("workspace_id", workspace_id), ("device_id", new_id()),
                                   ("seq", "0"), ("researcher", researcher),
                                   ("created", datetime.now(UTC).isoformat(timespec="seconds"))):
                    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            # The key file is written last: a crash before this leaves no workspace that
            # looks openable, only a folder to delete.
            keyfile.save()
        except BaseException:
            if conn is not None:
                conn.close()
            lock.release()
            remove_unfinished(path, made)
            raise
        ws = cls(path, keyfile, data_key, lock, conn)
        ws._after_open()
        ws.audit("workspace.create", {})
        return ws, recovery

    @classmethod
    @_storage_errors
    def _open(cls, path: Path | str, unwrap: str, secret: str,
              progress: Callable[[str], None] | None = None) -> tuple[Workspace, UnlockInfo]:
        path = Path(path)
        keyfile, data_key, lock = unlock_key(path, unwrap, secret)
        try:
            conn = sqlite.connect(path / DB_NAME, data_key)
            try:
                check_size(conn, path)
                migrate(conn, path, fresh=False)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            lock.release()
            raise
        ws = cls(path, keyfile, data_key, lock, conn)
        try:
            ws._after_open(progress)
        except BaseException:
            ws.close()
            raise
        failed = keyfile.take_failed_unlocks()
        if failed:
            ws.audit("unlock.failed", {"attempts": failed})
        ws.audit("unlock", {"how": unwrap})
        return ws, UnlockInfo(len(failed))

    @classmethod
    def open(cls, path: Path | str, passphrase: str, *,
             progress: Callable[[str], None] | None = None) -> Workspace:
        """Unlock and open. ``progress`` (called on this thread with a translated sentence)
        hears of long work an open owes the workspace, such as rebuilding the search index
        after an update."""
        return cls._open(path, "passphrase", passphrase, progress)[0]

    @classmethod
    def open_with_recovery(cls, path: Path | str, recovery_key: str, *,
                           progress: Callable[[str], None] | None = None) -> Workspace:
        return cls._open(path, "recovery", recovery_key, progress)[0]

    def close(self) -> None:
        """Finish deferred indexing, checkpoint, close the connection, drop the key and
        release the lock."""
        if self.conn is not None:
            with contextlib.suppress(FieldappError, sqlite.DatabaseError):
                # Before the key goes: the index must not keep text edited out of a note
                # (a failure here is finished by the next open).
                self.index_pending()
            with contextlib.suppress(sqlite.DatabaseError):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()
            self.conn = None
        for i in range(len(self._key)):
            self._key[i] = 0
        self._lock.release()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite.Connection:
        if self.conn is None:
            raise sqlite.DatabaseError("the workspace is closed")
        return self.conn

    @property
    def data_key(self) -> bytes:
        return bytes(self._key)

    # -- passphrase ----------------------------------------------------------------------

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key; the database itself is not touched (well under a second)."""
        self.keyfile.rewrap_passphrase(self.data_key, new_passphrase)
        self.audit("passphrase.change", {})

    def new_recovery_key(self) -> str:
        key = self.keyfile.new_recovery_key(self.data_key)
        self.audit("recovery_key.replace", {})
        return key

    # -- meta and audit ------------------------------------------------------------------

    def meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._set_meta(key, value)

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def audit(self, action: str, detail: dict[str, Any], *, in_transaction: bool = False) -> None:
        """Record who did what. ``detail`` must never hold note text or identities."""
        import json

        args = (datetime.now(UTC).isoformat(timespec="seconds"), self.device_id, action,
                json.dumps(detail, ensure_ascii=False, sort_keys=True))
        sql = "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)"
        if in_transaction:
            self.db.execute(sql, args)
        else:
            with self.transaction():
                self.db.execute(sql, args)

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        import json

        rows = self.db.execute(
            "SELECT at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [{"at": a, "actor": who, "action": act, "detail": json.loads(d)}
                for a, who, act, d in rows.fetchall()]

    # -- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite.Connection]:
        seq, last = self._seq, self.clock.last
        self.applier.text_removed = self.applier.erased = False
        try:
            with sqlite.transaction(self.db, self.path) as conn:
                yield conn
                if self._seq != seq:
                    self._set_meta("seq", str(self._seq))
                    self._set_meta("hlc", self.clock.last.encode())
        except BaseException:
            self._seq, self.clock = seq, Clock(last)
            self.applier.text_removed = self.applier.erased = False
            raise
        if self.applier.erased:
            # Whatever erased records (a withdrawal here, an erase order from the team, a
            # late record linked to an erased one), the cleanup follows the commit.
            self.applier.erased = self.applier.text_removed = False
            try:
                self.compact_after_erasure()
            except (FieldappError, sqlite.DatabaseError, OSError):
                # The erasure itself is committed; its cleanup stays recorded as due and the
                # next open finishes it (a full disk must not turn a done erasure into an error).
                pass
        if self.applier.text_removed:
            # Text was taken out of a note: the index pages no longer hold it (secure-delete)
            # and SQLite zeroed the old row, but the WAL still holds earlier versions of those
            # pages, and the database file the versions before them. Folding the WAL back
            # overwrites both.
            self.applier.text_removed = False
            self._fold_wal()

    def forget_old_pages(self) -> None:
        """Fold the WAL back after a committed change that removed a secret (an attachment's
        key): the WAL's older versions of the pages, and the file's, are overwritten."""
        self._fold_wal()

    def _fold_wal(self) -> None:
        with contextlib.suppress(sqlite.DatabaseError):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def _next_op(self, entity: str, entity_id: str, values: dict[str, Any],
                 pred_fields: list[str] | None, *, create: bool = False) -> Op:
        self._seq += 1
        # A create names a new id: nothing can precede it, so there are no heads to look up.
        pred = () if create else tuple(sorted(self.applier.heads(entity_id, pred_fields)))
        return Op(self.device_id, self._seq, self.clock.tick().encode(), entity, entity_id,
                  values, pred)

    def write(self, entity: str, entity_id: str, values: dict[str, Any], *,
              create: bool = False) -> Op:
        """Record a local change as an operation and apply it. Call inside :meth:`transaction`."""
        validate(entity, values)
        if create and ENTITIES[entity].owned:
            values = {OWNER: self.device_id, **values}
        elif not create and self.get_row(entity, entity_id) is None:
            raise NotFound(entity_id)
        fields = None if DELETED in values else list(values)
        op = self._next_op(entity, entity_id, values, fields, create=create)
        report = ApplyReport()
        self.applier.defer_index = self.defer_index
        try:
            self.applier.apply(op, report, fresh=create)
        finally:
            self.applier.defer_index = False
        if report.rejected:
            raise NotOwner(entity)
        return op

    def write_new_many(self, entity: str, rows: list[tuple[str, dict[str, Any]]],
                       shared: dict[str, Any] | None = None) -> list[Op]:
        """:meth:`write` with ``create`` for many new records of one type (ids from
        ``new_id()``, never used before): the same operations, heads and rows, written with
        one statement per table. Call inside :meth:`transaction`.

        ``shared``: values every record of the batch holds besides its own (a record's own
        value for the same field wins), each checked, converted and encoded once."""
        from fieldapp.domain.schema import validate_many

        ent = ENTITIES[entity]
        common = dict(shared or {})
        if ent.owned:
            common = {OWNER: self.device_id, **common}
        own = [values for _rid, values in rows]
        taken = common.keys() & {f for values in own for f in values} if common else set()
        if taken:  # a record's own value wins: those fields are each record's own
            own = [{**{f: common[f] for f in taken if f not in values}, **values}
                   for values in own]
            common = {f: v for f, v in common.items() if f not in taken}
        validate(entity, common)
        validate_many(entity, own)
        device, seq = self.device_id, self._seq
        ops = [Op(device, seq + n, hlc, entity, entity_id,
                  {**common, **values} if common else values, ())
               for n, ((entity_id, _v), values, hlc) in enumerate(
                   zip(rows, own, self.clock.tick_many(len(rows)), strict=True), start=1)]
        self._seq = seq + len(ops)
        if self.applier.erased_among(ops):
            # A link to an erased record: the general path erases what it must, op by op.
            for op in ops:
                report = ApplyReport()
                self.applier.apply(op, report, fresh=True)
                if report.rejected:
                    raise NotOwner(entity)
        else:
            self.applier.apply_fresh_many(ops, common, own)
        return ops

    def new_record_ids(self, entity: str, n: int) -> list[str]:
        """Ids for ``n`` new records of ``entity``: bound to this device for a record only
        its maker may write (``fieldapp.domain.ids.owned_ids``), else UUIDv7."""
        return owned_ids(self.device_id, n) if ENTITIES[entity].owned else new_ids(n)

    def new_record_id(self, entity: str) -> str:
        return self.new_record_ids(entity, 1)[0]

    def create(self, entity: str, values: dict[str, Any]) -> str:
        with self.transaction():
            rid = self.new_record_id(entity)
            self.write(entity, rid, values, create=True)
        return rid

    def create_many(self, entity: str, values_list: list[dict[str, Any]]) -> list[str]:
        """Create many records in one transaction (importing transcripts, batch entry).

        The result is what :meth:`create` called for each would leave — the same operations,
        heads, rows, rowids and index entries (a property test compares the two) — written
        with one ``executemany`` per table instead of several statements per record. Records
        whose references meet an erasure take the one-at-a-time path, which erases them."""
        ent = ENTITIES[entity]
        ids = self.new_record_ids(entity, len(values_list))
        with self.transaction():
            ops: list[Op] = []
            for rid, values in zip(ids, values_list, strict=True):
                validate(entity, values)
                if ent.owned:
                    values = {OWNER: self.device_id, **values}
                ops.append(self._next_op(entity, rid, values, None, create=True))
            seen: dict[str, bool] = {}
            plain: list[Op] = []
            for op in ops:
                key = repr(sorted((k, v) for k, v in op.values.items() if k in ent.field_names
                                  and ent.field(k).ref is not None))
                if key not in seen:
                    seen[key] = self.applier._erased_parent(op) is None
                if seen[key] and not op.values.get(DELETED) and ERASE not in op.values:
                    plain.append(op)
                else:
                    self.applier.apply(op, fresh=True)
            self._insert_fresh(ent.name, plain)
            if ent.name in INDEXED and len(plain) >= search.IMPORT_NOTES:
                # An import leaves its entries in several segments, which every later save
                # would have to search for the entries it removes: make them one.
                search.compact(self.db)
        return ids

    def _insert_fresh(self, entity: str, ops: list[Op]) -> None:
        """The rows of local creates (see :meth:`create_many`), table by table."""
        if not ops:
            return
        db = self.db
        ent = ENTITIES[entity]
        # received_hlc is the clock when an operation is applied: right after its own tick.
        db.executemany(
            'INSERT INTO ops (device, seq, hlc, entity, entity_id, "values", pred, received_hlc) '
            "VALUES (?, ?, ?, ?, ?, ?, '[]', ?)",
            [(op.device, op.seq, op.hlc, entity, op.entity_id, dumps_values(op.values), op.hlc)
             for op in ops])
        self.applier.write_create_heads(ops)
        # SQLite gives a new row the largest rowid + 1; naming it keeps the index in step.
        top = int(db.execute(f"SELECT coalesce(max(rowid), 0) FROM {entity}").fetchone()[0])
        by_fields: dict[tuple[str, ...], list[list[Any]]] = {}
        for i, op in enumerate(ops):
            cols: list[str] = ["rowid", "id", "created_hlc", "updated_hlc"]
            args: list[Any] = [top + 1 + i, op.entity_id, op.hlc, op.hlc]
            for f, value in op.values.items():
                column, arg = _column(ent, f, value)
                cols.append(column)
                args.append(arg)
            by_fields.setdefault(tuple(cols), []).append(args)
        for cols_key, rows in by_fields.items():
            db.executemany(f"INSERT INTO {entity} ({', '.join(cols_key)}) "
                           f"VALUES ({', '.join('?' * len(cols_key))})", rows)
        indexed = INDEXED.get(entity, ())
        if indexed:
            search.index_many(db, (
                (top + 1 + i, self.applier._indexed_text(entity,
                                                         [op.values.get(f) for f in indexed]))
                for i, op in enumerate(ops)))

    def update(self, entity: str, entity_id: str, values: dict[str, Any]) -> None:
        if not values:
            return
        with self.transaction():
            self.write(entity, entity_id, values)

    def delete(self, entity: str, entity_id: str) -> None:
        with self.transaction():
            self.write(entity, entity_id, {DELETED: True})

    def apply_remote(self, ops: list[Op], *, dry_run: bool = False) -> ApplyReport:
        """Apply other devices' operations (team sync) in one transaction.

        A clock more than a day ahead of ours is reported (``report.future_clocks``) and does
        not drag our clock along; the operation keeps its timestamp so that every replica
        orders values the same way. Every erase order carried out here gets a receipt. With
        ``dry_run`` nothing is kept: the report says what applying would do.
        """
        report = ApplyReport()
        seq, last = self._seq, self.clock.last
        with self.transaction():
            self.db.execute("SAVEPOINT remote")
            observe_clocks(self.clock, ops, report)
            merge_ops(self.applier, ops, report)
            if dry_run:
                # What disappears from the tables *now*: a delete or an erasure applied before
                # (a cumulative bundle carries it again) removes nothing and is not counted.
                gone = {(op.entity, op.entity_id) for op in ops
                        if op.values.get(DELETED) is True and not self._is_live(op.entity,
                                                                                 op.entity_id)}
                gone.update(report.erased_records)
                self.db.execute("ROLLBACK TO remote")
                self.db.execute("RELEASE remote")
                self._seq, self.clock = seq, Clock(last)
                self.applier.erased = self.applier.text_removed = False
                report.deleted_live = sum(1 for ent, rid in gone if self._is_live(ent, rid))
                return report
            for order, participant_id in report.erase_orders:
                self.write("receipt", self.new_record_id("receipt"), {
                    "erase_device": order[0], "erase_seq": order[1],
                    "participant_id": participant_id, "device": self.device_id,
                    "at": datetime.now(UTC).isoformat(timespec="seconds")}, create=True)
            self.db.execute("RELEASE remote")
        return report

    def _is_live(self, entity: str, entity_id: str) -> bool:
        ENTITIES[entity]
        return self.db.execute(f"SELECT 1 FROM {entity} WHERE id = ? AND deleted = 0",
                               (entity_id,)).fetchone() is not None

    def live_record_count(self) -> int:
        return sum(self.count_rows(name) for name in ENTITIES if name not in ("receipt",))

    # -- conflicts -----------------------------------------------------------------------

    def conflicts(self) -> list[Conflict]:
        return list_conflicts(self.db)

    def resolve(self, entity: str, entity_id: str, field: str, value: Any) -> Op:
        """Settle a field conflict with ``value`` (one of the versions, or a new one)."""
        with self.transaction():
            return self.write(entity, entity_id, {field: value})

    def resolve_delete(self, entity: str, entity_id: str, *, keep_deleted: bool) -> Op:
        """Settle a delete conflict: confirm the delete, or restore the record. The new
        operation names every head of the record, so no edit stays unseen."""
        with self.transaction():
            return self.write(entity, entity_id, {DELETED: keep_deleted})

    # -- reading -------------------------------------------------------------------------

    def get_row(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        ENTITIES[entity]
        cur = self.db.execute(f"SELECT * FROM {entity} WHERE id = ?", (entity_id,))
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def select_rows(self, entity: str, *, where: dict[str, Any] | None = None,
                    order_by: str = "created_hlc", include_deleted: bool = False,
                    limit: int | None = None) -> list[dict[str, Any]]:
        """Rows of one record table; ``where`` matches fields by equality (None: IS NULL)."""
        ent = ENTITIES[entity]
        names = set(ent.field_names) | {"id", "owner", "created_hlc", "updated_hlc"}
        clauses: list[str] = []
        args: list[Any] = []
        if not include_deleted:
            clauses.append("deleted = 0")
        for key, value in (where or {}).items():
            if key not in names:
                raise KeyError(key)
            if value is None:
                clauses.append(f'"{key}" IS NULL')
            else:
                clauses.append(f'"{key}" = ?')
                args.append(value)
        if order_by not in names:
            raise KeyError(order_by)
        sql = f"SELECT * FROM {entity}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += f' ORDER BY "{order_by}", id'
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cur = self.db.execute(sql, args)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def count_rows(self, entity: str) -> int:
        ENTITIES[entity]
        return int(self.db.execute(f"SELECT count(*) FROM {entity} WHERE deleted = 0"
                                   ).fetchone()[0])

    def erased_by(self, order: tuple[str, int]) -> dict[str, int]:
        """How many records of each type the erase operation ``order`` erased."""
        rows = self.db.execute(
            "SELECT entity, count(*) FROM erased WHERE erase_device = ? AND erase_seq = ? "
            "GROUP BY entity", order).fetchall()
        return {str(e): int(n) for e, n in rows}

    def ops(self, *, device: str | None = None, after_seq: int = 0,
            entities: tuple[str, ...] | None = None,
            entity_ids: frozenset[str] | None = None) -> list[Op]:
        """Operations in the log, in clock order; optionally only ``device``'s after a
        sequence number, only those on some record types, or on some records."""
        import json

        from fieldapp.domain.ops import loads_pred

        if entity_ids is not None:
            wanted = sorted(entity_ids)
            found: list[Op] = []
            for start in range(0, len(wanted), 400):
                chunk = frozenset(wanted[start:start + 400])
                found += self._ops_of(chunk, entities)
            return sorted(found, key=lambda o: (o.hlc, o.device, o.seq))
        sql = 'SELECT device, seq, hlc, entity, entity_id, "values", pred FROM ops'
        clauses: list[str] = []
        args: list[Any] = []
        if device is not None:
            clauses += ["device = ?", "seq > ?"]
            args += [device, after_seq]
        if entities is not None:
            clauses.append(f"entity IN ({','.join('?' * len(entities))})")
            args += list(entities)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = self.db.execute(sql + " ORDER BY hlc, device, seq", args).fetchall()
        return [Op(d, s, h, e, i, json.loads(v), loads_pred(p)) for d, s, h, e, i, v, p in rows]

    def _ops_of(self, ids: frozenset[str], entities: tuple[str, ...] | None) -> list[Op]:
        import json

        from fieldapp.domain.ops import loads_pred

        sql = ('SELECT device, seq, hlc, entity, entity_id, "values", pred FROM ops '
               f"WHERE entity_id IN ({','.join('?' * len(ids))})")
        args: list[Any] = list(ids)
        if entities is not None:
            sql += f" AND entity IN ({','.join('?' * len(entities))})"
            args += list(entities)
        rows = self.db.execute(sql, args).fetchall()
        return [Op(d, s, h, e, i, json.loads(v), loads_pred(p)) for d, s, h, e, i, v, p in rows]

    def ops_by_id(self, ids: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, ...]]:
        """The operations held under these ids, as stored: ``(hlc, entity, entity_id, values
        JSON, pred JSON)`` (an id not held is absent from the result)."""
        out: dict[tuple[str, int], tuple[str, ...]] = {}
        spans: dict[str, list[int]] = {}
        for device, seq in ids:
            span = spans.get(device)
            if span is None:
                spans[device] = [seq, seq]
            elif seq < span[0]:
                span[0] = seq
            elif seq > span[1]:
                span[1] = seq
        # A device of which the log holds nothing in the span asked for needs no look-up by
        # id (a bundle new to this workspace: 100,000 ids, none held).
        held = {device for device, (low, high) in spans.items() if self.db.execute(
            "SELECT 1 FROM ops WHERE device = ? AND seq BETWEEN ? AND ? LIMIT 1",
            (device, low, high)).fetchone()}
        if len(held) < len(spans):
            ids = [i for i in ids if i[0] in held]
        for start in range(0, len(ids), 400):
            chunk = ids[start:start + 400]
            marks = ",".join("(?, ?)" for _ in chunk)
            rows = self.db.execute(
                'SELECT device, seq, hlc, entity, entity_id, "values", pred FROM ops '
                f"WHERE (device, seq) IN (VALUES {marks})",
                [x for pair in chunk for x in pair]).fetchall()
            for d, s, *rest in rows:
                out[(str(d), int(s))] = tuple(str(x) for x in rest)
        return out

    @property
    def last_seq(self) -> int:
        return self._seq

    def erase_orders(self) -> list[tuple[str, int, str, dict[str, Any]]]:
        """Every erase order held: (device, seq, participant id, its details)."""
        import json

        rows = self.db.execute(
            "SELECT device, seq, entity_id, json_extract(\"values\", '$._erase') FROM ops "
            "WHERE json_extract(\"values\", '$._erase') IS NOT NULL ORDER BY hlc").fetchall()
        return [(str(d), int(s), str(e), json.loads(v)) for d, s, e, v in rows]

    # -- erasure plumbing ----------------------------------------------------------------

    def attachment_path(self, attachment_id: str) -> Path:
        return self.path / "attachments" / attachment_id[-2:] / f"{attachment_id}.enc"

    def _shred_attachment(self, attachment_id: str) -> None:
        # The file is encrypted with a key that lives only in the (now deleted) row, so
        # removing the file is tidiness; the key's deletion is what makes it unreadable.
        with contextlib.suppress(FileNotFoundError):
            self.attachment_path(attachment_id).unlink()

    def compact_after_erasure(self) -> None:
        """The cleanup after an erasure: rewrite the search index, fold the WAL back and remove
        every backup copy, so no erased text survives in an index page, a free page, an old WAL
        frame or a copy of the database.

        The erasing transaction recorded that this is due (``meta``, see
        ``OpApplier._erase_tree``); the record is cleared only when every step is done, and an
        open finishes a cleanup that a crash interrupted."""
        _cleanup_step("committed")
        with self.transaction():
            search.compact(self.db)
        _cleanup_step("compacted")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        _cleanup_step("checkpointed")
        if not remove_backups(self.path):
            return  # a copy could not be removed: the cleanup stays due
        _cleanup_step("backups_removed")
        with self.transaction():
            self.db.execute("DELETE FROM meta WHERE key = ?", (ERASURE_CLEANUP,))
        self._fold_wal()

    # -- idle-time indexing --------------------------------------------------------------

    def pending_index(self) -> int:
        """How many notes' index entries are stale (saved with :attr:`defer_index`)."""
        return len(search.stale_notes(self.db))

    def index_pending(self, notes: int | None = None) -> int:
        """Bring the index up to date for up to ``notes`` stale notes (all by default), in
        one transaction, then fold the WAL back: the edited-out text that the index and the
        pending records held leaves every page. Returns how many notes are still stale."""
        if not self.applier.has_pending:
            return 0
        todo = search.stale_notes(self.db, notes)
        if not todo:
            return 0
        with self.transaction():
            search.catch_up(self.db, todo)
        self._fold_wal()
        return len(search.stale_notes(self.db)) if notes is not None else 0

    # -- after opening -------------------------------------------------------------------

    def _after_open(self, progress: Callable[[str], None] | None = None) -> None:
        """Work an open owes the workspace before anyone uses it: fill or rebuild the search
        index if it is new or the tokenizer changed, index the notes saved but not yet indexed,
        finish an erasure's cleanup that a crash interrupted, and remove backup copies once
        the workspace has passed its check."""
        fingerprint = search.tokenizer_fingerprint()
        if self.meta("search.rebuild") or self.meta("search.tokenizer") != fingerprint:
            if progress is not None:
                n = self.count_rows("note")
                progress(ngettext(
                    "This version of fieldapp indexes notes differently: building the search "
                    "index of {n} note again (once)…",
                    "This version of fieldapp indexes notes differently: building the search "
                    "index of {n} notes again (once)…", n).format(n=format_number(n)))
            with self.transaction():
                notes = search.rebuild(self.db)
                self._set_meta("search.tokenizer", fingerprint)
                self.db.execute("DELETE FROM meta WHERE key = 'search.rebuild'")
            self._fold_wal()
            self.audit("search.rebuild", {"notes": notes})
        # Saves that a crash (or a kill) left unindexed are indexed now, and the text edited
        # out of them leaves the index and the pending records.
        self.index_pending()
        if self.meta(ERASURE_CLEANUP):
            self.compact_after_erasure()
            self.audit("erasure.cleanup_finished", {})
        self._settle_backups()

    def _settle_backups(self) -> None:
        """A backup copy holds the data as it was, under the same data key: it would bring back
        whatever is erased later. It is kept only until the workspace it was taken from has
        been migrated, checked (page check, integrity check, change-log replay) and opened.
        Copies left by earlier versions of fieldapp are removed the same way. If the check
        fails the copies are kept (they may be the way back), until an erasure removes them."""
        backups = backup_files(self.path)
        if not backups:
            return
        from fieldapp.store.check import check  # check imports this module

        if check(self).ok:
            removed = remove_backups(self.path)
            self.audit("backup.remove", {"copies": len(backups), "all": removed})
        else:
            self.audit("backup.keep", {"copies": len(backups)})
