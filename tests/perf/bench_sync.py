"""Team sync benchmark: collecting a bundle of N operations (verify + decrypt + merge through the
store's one code path, with the search index) against a raw executemany of the resulting rows
into a plain SQLCipher table. Run: python -m tests.perf sync

- ``sync.collect_100k_ops``: ``sync.collect`` on a coordinator's workspace (a fresh copy per
  run, opened before the clock starts) of one bundle of N operations -- organisations created,
  then edited field by field -- beside ``executemany`` of the same rows into a plain table.
  Goal: at most 5x.
- ``sync.collect_100k_ops.floor``: a lower bound for that collect, beside the same baseline:
  what any merge into this workspace must do at the least, with no check at all -- decrypt
  the bundle with age, decode each line of its operations (msgspec, to plain objects), and
  ``executemany`` the rows the merge leaves: the log, a head per field, the records (each
  record's fields folded in Python), in one transaction on a copy of the same workspace, with
  Python's cycle collector paused as the merge pauses it.
  No goal: it says how far from 5x the schema itself is.
- ``sync.collect_100k_ops.log_floor``: the least any merge that keeps a change log of one row
  per operation must do, beside the same baseline: decrypt the bundle, decode its lines a
  block at a time, and ``executemany`` each operation's line as it came into the log (its
  primary key only: the log's index by record is dropped before the clock starts) and the
  folded records -- no heads, no re-encoding, no check. No goal: if it is above 5x, no
  design with a row per logged operation reaches 5x.
- ``sync.collect_100k_ops.vs_written``: the same collect beside another baseline, with no
  goal: ``executemany`` of every row that collect leaves -- the log's rows, heads, created
  heads, names of replaced values and records, taken from a workspace that merged the bundle
  -- into a fresh copy of the same workspace (its indexes included), in one transaction.
  The ratio is what decrypting, decoding, checking and resolving add to writing what the
  merge writes; its ``.baseline`` row is that writing beside the goal's baseline.
- ``sync.collect_100k_edits``: the same collect of another bundle of N operations, the kind a
  researcher's weeks of work make: organisations created, each then edited nine times, every
  edit naming the value it replaced (so the merge resolves supersession and hollows the
  replaced values) -- beside ``executemany`` of the same rows into a plain table, written as
  the operations write them (an INSERT per record, an UPDATE per edit). Goal: at most 5x.
  Its ``.floor`` and ``.log_floor`` are those above for this bundle; the floor also writes
  the operations' names of the values they replaced (``pred``, in the log and a row per
  value replaced, as this schema keeps them), and a head for every field written; its
  ``.vs_written`` is the one above for this bundle.
- ``sync.collect_100k_ops.peak_mib``: in a fresh process, the peak resident memory of that
  collect beyond what the process held once the workspace was open (the peak is reset after
  the key derivation: ``/proc/self/clear_refs``). Goal: under 200 MiB.

The bundle's writing and opening are measured at the bundle layer (bench_bundle.py).
"""

from __future__ import annotations

import gc
import io
import json
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgspec
import pyrage
import sqlcipher3

from fieldapp.domain.ids import new_id
from fieldapp.services import records, sync, team
from fieldapp.store.keys import KDF_FLOOR
from fieldapp.store.workspace import Workspace
from tests.perf.common import Sample, log, measure_together, report, report_sample, scaled

FAST = KDF_FLOOR
PASS = "benchmark passphrase"
ROOT = Path(__file__).resolve().parents[2]


def _prepare(root: Path, n_ops: int, edits: int = 1) -> list[tuple[str, str, str]]:
    """A team (coordinator + alice) in ``root`` and alice's bundle of ``n_ops`` in the store:
    organisations created, then each edited ``edits`` times (the first edit sets a field the
    create left empty; each later one names the value it replaces). The coordinator's
    workspace is left closed in ``root/coord``."""
    (root / "store").mkdir()
    store = team.StoreConfig(str(root / "store"))
    rows: list[tuple[str, str, str]] = []
    with ExitStack() as stack:
        coord, _ = Workspace.initialise(root / "coord", PASS, kdf=FAST)
        stack.callback(coord.close)
        team.create_team(coord, team_name="bench", coordinator_name="c", store=store)
        alice, _ = Workspace.initialise(root / "alice", PASS, kdf=FAST)
        stack.callback(alice.close)
        invite = team.invitation(coord)
        fp = team.request_to_join(alice, team_id=invite["team_id"], root_key=invite["root_key"],
                                  researcher="alice", store=store)
        team.approve(coord, alice.device_id, fp)
        # N operations: organisations created and then edited field by field.
        with alice.transaction():
            for i in range(n_ops // (1 + edits)):
                oid = new_id()
                alice.write("organisation", oid, {"name_zh": f"机构{i}", "name_en": f"Org {i}"},
                            create=True)
                rows.append((oid, f"机构{i}", f"Org {i}"))
            for k in range(edits):
                for oid, _zh, _en in rows:
                    alice.write("organisation", oid, {"notes": _edit_text(k)})
        sync.send(alice)
    return rows


def _edit_text(k: int) -> str:
    return "合同续签 contract renewed" if k == 0 else f"第{k}次修改 contract revised ({k})"


def _copy(root: Path, run: int) -> Workspace:
    target = root / f"coord-{run}"
    shutil.copytree(root / "coord", target)
    ws = Workspace.open(target, PASS)
    return ws


def run(scale: float) -> None:
    n_ops = scaled(100_000, scale, minimum=200)
    with tempfile.TemporaryDirectory(prefix="fieldapp-bench-") as tmp:
        root = Path(tmp)
        rows = _prepare(root, n_ops)
        written, (base, ours, floor, log_floor, write_all) = _measure(
            root, *_works(root, rows, 1, lambda ws: None))
        report_sample("sync.collect_100k_ops", ours, base,
                      f"raw executemany of the resulting rows ({n_ops} operations)",
                      "ratio <= 5", max_ratio=5.0)
        report_sample("sync.collect_100k_ops.floor", floor, base,
                      "the same raw executemany: the floor is age -d, decoding each line and "
                      "executemany of the log, heads and records, without any check")
        report_sample("sync.collect_100k_ops.log_floor", log_floor, base,
                      "the same raw executemany: the floor of a log of a row per operation is "
                      "age -d, decoding the lines a block at a time, executemany of each line "
                      "into a log with only its primary key and of the folded records")
        _report_written("sync.collect_100k_ops", ours, write_all, base, written)
        out = subprocess.run([sys.executable, "-m", "tests.perf.bench_sync", str(root)],
                             cwd=ROOT, capture_output=True, text=True, timeout=3600)
        if out.returncode:
            raise RuntimeError(f"the memory worker failed: {out.stderr[-2000:]}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        log(f"collect of {n_ops} operations: RSS {figures['before']:.0f} MiB once the workspace "
            f"was open, peak {figures['peak']:.0f} MiB during the collect")
        report("sync.collect_100k_ops.peak_mib", figures["peak"] - figures["before"], "MiB",
               goal="< 200 MiB beyond the open workspace", max_value=200.0)
    _edits(n_ops)


def _edits(n_ops: int, edits: int = 9) -> None:
    """``sync.collect_100k_edits`` (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="fieldapp-bench-") as tmp:
        root = Path(tmp)
        rows = _prepare(root, n_ops, edits)

        def last_edit_kept(ws: Workspace) -> None:
            last = records.find(ws, "organisation", rows[-1][0])
            assert last is not None and last["notes"] == _edit_text(edits - 1)

        written, (base, ours, floor, log_floor, write_all) = _measure(
            root, *_works(root, rows, edits, last_edit_kept))
        report_sample("sync.collect_100k_edits", ours, base,
                      f"raw executemany of the resulting rows, an INSERT per record and an "
                      f"UPDATE per edit ({n_ops} operations)", "ratio <= 5", max_ratio=5.0)
        report_sample("sync.collect_100k_edits.floor", floor, base,
                      "the same raw executemany: the floor is age -d, decoding each line and "
                      "executemany of the log, a head per field written, a row per value "
                      "replaced and the records, without any check")
        report_sample("sync.collect_100k_edits.log_floor", log_floor, base,
                      "the same raw executemany: the floor of a log of a row per operation")
        _report_written("sync.collect_100k_edits", ours, write_all, base, written)


#: What a collect of the benchmark's bundles leaves, table by table (the sender's rows only).
_WRITTEN = (("ops", "device != :me"), ("heads", "entity = 'organisation'"),
            ("created_heads", "entity_id IN (SELECT id FROM organisation)"),
            ("superseded", "entity_id IN (SELECT id FROM organisation)"),
            ("organisation", "1"))


def _written(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a collect of the bundle leaves, read from a copy that collected it."""
    try:
        result = sync.collect(ws)
        assert [b.status for b in result.bundles] == ["merged"], result
        return {table: ws.db.execute(f"SELECT * FROM {table} WHERE {where}",
                                     {"me": ws.device_id}).fetchall()
                for table, where in _WRITTEN}
    finally:
        ws.close()
        shutil.rmtree(ws.path, ignore_errors=True)


def _insert_written(written: dict[str, list[tuple[Any, ...]]]) -> Callable[[Workspace], None]:
    """``executemany`` of those rows into a fresh copy of the coordinator, as they are."""
    def insert(ws: Workspace) -> None:
        try:
            with ws.transaction():
                for table, rows in written.items():
                    if rows:
                        ws.db.executemany(f"INSERT INTO {table} VALUES "
                                          f"({', '.join('?' * len(rows[0]))})", rows)
        finally:
            ws.close()
            shutil.rmtree(ws.path, ignore_errors=True)
    return insert


def _report_written(name: str, ours: Sample, write_all: Sample, base: Sample,
                    written: dict[str, list[tuple[Any, ...]]]) -> None:
    counts = ", ".join(f"{len(rows)} {table}" for table, rows in written.items())
    report_sample(f"{name}.vs_written", ours, write_all,
                  f"raw executemany of every row the collect leaves ({counts}) into a copy "
                  "of the same workspace: what decrypting, decoding, checking and resolving "
                  "add to writing them")
    report_sample(f"{name}.vs_written.baseline", write_all, base,
                  "the goal's baseline: that writing beside the raw executemany of the "
                  "resulting records")


def _measure(root: Path, setup: Callable[[], Workspace], collect: Callable[[Workspace], None],
             plain_setup: Callable[[], sqlcipher3.Connection],
             raw: Callable[[sqlcipher3.Connection], None]
             ) -> tuple[dict[str, list[tuple[Any, ...]]], list[Sample]]:
    """The rows a collect leaves (:func:`_written`), then the baseline, the collect, its two
    floors and the writing of those rows, their runs taken in turn."""
    written = _written(setup())
    return written, measure_together(
        (raw, plain_setup), (collect, setup), (_floor, lambda: (setup(), root)),
        (_log_floor, lambda: _bare_log(setup(), root)), (_insert_written(written), setup))


def _works(root: Path, rows: list[tuple[str, str, str]], edits: int,
           check: Callable[[Workspace], None]) -> tuple[Callable[[], Workspace],
                                                        Callable[[Workspace], None],
                                                        Callable[[], sqlcipher3.Connection],
                                                        Callable[[sqlcipher3.Connection], None]]:
    """The collect measured (on a fresh copy of the coordinator per run) and its baseline
    (the same rows written into a plain table as the operations write them), each with its
    setup, for the bundle ``_prepare`` left in ``root``."""
    counter = [0]

    def setup() -> Workspace:
        counter[0] += 1
        return _copy(root, counter[0])

    def collect(ws: Workspace) -> None:
        try:
            result = sync.collect(ws)
            assert [b.status for b in result.bundles] == ["merged"], result
            assert records.count(ws, "organisation") == len(rows)
            check(ws)
        finally:
            ws.close()
            shutil.rmtree(ws.path, ignore_errors=True)

    def plain_setup() -> sqlcipher3.Connection:
        counter[0] += 1
        return _plain(root / f"plain-{counter[0]}.db")

    def raw(plain: sqlcipher3.Connection) -> None:
        plain.execute("BEGIN")
        plain.executemany("INSERT INTO organisation VALUES (?, ?, ?, NULL)", rows)
        for k in range(edits):
            plain.executemany("UPDATE organisation SET notes = ? WHERE id = ?",
                              ((_edit_text(k), r[0]) for r in rows))
        plain.execute("COMMIT")
        plain.close()

    return setup, collect, plain_setup, raw


def _plain(path: Path) -> sqlcipher3.Connection:
    """The baseline's plain SQLCipher table, with the workspace's journal and sync pragmas."""
    plain = sqlcipher3.connect(str(path), isolation_level=None)
    plain.execute(f"PRAGMA key = \"x'{secrets.token_hex(32)}'\"")
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("PRAGMA synchronous = FULL")
    plain.execute("CREATE TABLE organisation (id TEXT PRIMARY KEY, name_zh TEXT, "
                  "name_en TEXT, notes TEXT)")
    return plain


def _ops_jsonl(ws: Workspace, root: Path) -> bytes:
    """The bundle's operations: decrypted with age (pyrage) and taken out of the archive."""
    path = next((root / "store" / "bundles").glob("*/*.fab"))
    plain = io.BytesIO()
    with open(path, "rb") as fh:
        pyrage.decrypt_io(fh, plain, [team.device_keys(ws).identity.pyrage_identity])
    with tarfile.open(fileobj=io.BytesIO(plain.getvalue())) as tar:
        member = tar.extractfile("ops.jsonl")
        assert member is not None
        return member.read()


_INSERT_LOG = ('INSERT INTO ops (device, seq, hlc, entity, entity_id, "values", pred, '
               "received_hlc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def _insert_records(db: Any, records: dict[tuple[str, str], dict[str, Any]]) -> None:
    """``executemany`` of the folded records, one statement per table and set of fields."""
    by_table: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    for (entity, rid), record in records.items():
        by_table.setdefault((entity, tuple(record)), []).append((rid, *record.values()))
    for (entity, cols), rows in by_table.items():
        names = ", ".join(["id", *(f'"{c}"' for c in cols)])
        db.executemany(f"INSERT INTO {entity} ({names}) "
                       f"VALUES ({', '.join('?' * (len(cols) + 1))})", rows)


def _floor(arg: tuple[Workspace, Path]) -> None:
    """The least a merge of the bundle must do (see the module docstring)."""
    ws, root = arg
    gc.disable()  # as the merge itself reads and merges (services.merging)
    try:
        lines = _ops_jsonl(ws, root).splitlines()
        decode = msgspec.json.Decoder().decode
        encode = msgspec.json.Encoder(order="sorted").encode
        log_rows: list[tuple[Any, ...]] = []
        head_rows: list[tuple[Any, ...]] = []
        named_rows: list[tuple[Any, ...]] = []
        records: dict[tuple[str, str], dict[str, Any]] = {}
        for line in lines:
            op = decode(line)
            device, seq, hlc, entity, rid = (op["device"], op["seq"], op["hlc"],
                                             op["entity"], op["entity_id"])
            pred = op.get("pred") or []
            log_rows.append((device, seq, hlc, entity, rid, encode(op["values"]).decode(),
                             encode(pred).decode() if pred else "[]", hlc))
            head_rows.extend((entity, rid, f, device, seq, hlc) for f in op["values"])
            # each value an operation replaced, by (operation, field), as the schema keeps
            named_rows.extend((d, s, rid, f) for d, s in pred for f in op["values"])
            record = records.setdefault((entity, rid), {"created_hlc": hlc})
            record["updated_hlc"] = hlc
            record.update(op["values"])
        with ws.transaction():
            db = ws.db
            db.executemany(_INSERT_LOG, log_rows)
            db.executemany("INSERT INTO heads (entity, entity_id, field, device, seq, hlc) "
                           "VALUES (?, ?, ?, ?, ?, ?)", head_rows)
            db.executemany("INSERT OR IGNORE INTO superseded (device, seq, entity_id, field) "
                           "VALUES (?, ?, ?, ?)", named_rows)
            _insert_records(db, records)
    finally:
        gc.enable()
        ws.close()
        shutil.rmtree(ws.path, ignore_errors=True)


def _bare_log(ws: Workspace, root: Path) -> tuple[Workspace, Path]:
    """Setup of the log floor: the workspace copy without the log's index by record."""
    ws.db.execute("DROP INDEX ops_entity")
    return ws, root


def _log_floor(arg: tuple[Workspace, Path]) -> None:
    """The least a merge that logs a row per operation must do (see the module docstring)."""
    ws, root = arg
    gc.disable()
    try:
        data = _ops_jsonl(ws, root)
        log_rows: list[tuple[Any, ...]] = []
        records: dict[tuple[str, str], dict[str, Any]] = {}
        for op, line in zip(msgspec.json.Decoder().decode_lines(data), data.splitlines(),
                            strict=True):
            hlc, entity, rid = op["hlc"], op["entity"], op["entity_id"]
            log_rows.append((op["device"], op["seq"], hlc, entity, rid, line, "[]", hlc))
            record = records.setdefault((entity, rid), {"created_hlc": hlc})
            record["updated_hlc"] = hlc
            record.update(op["values"])
        with ws.transaction():
            db = ws.db
            db.executemany(_INSERT_LOG, log_rows)
            _insert_records(db, records)
    finally:
        gc.enable()
        ws.close()
        shutil.rmtree(ws.path, ignore_errors=True)


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def _worker(folder: str) -> None:
    """In a fresh process: open a copy of the coordinator (the key derivation's peak is then
    forgotten), collect, print the resident memory before and the peak during the collect."""
    from tests.kdf import allow_weak_kdf

    # Under the test suite (tests/perf/test_smoke.py) the workspaces were made with the
    # suite's weak key derivation; this child accepts what its parent made.
    allow_weak_kdf()
    root = Path(folder)
    ws = _copy(root, 10_000)
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        before = _status("VmRSS:")
        result = sync.collect(ws)
        assert [b.status for b in result.bundles] == ["merged"], result
        peak = _status("VmHWM:")
    finally:
        ws.close()
    print(json.dumps({"before": before, "peak": peak}))


if __name__ == "__main__":
    _worker(sys.argv[1])
