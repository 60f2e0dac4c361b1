"""Bundle benchmarks: writing and opening ~20,000 notes' operations, and peak memory with ~500 MB
attachments.

- ``bundle.write_20k_notes``: what sending does -- read 20,000 note operations (~1.5 KB of mixed
  Chinese and English text each) from the change log of an SQLCipher database and
  ``write_bundle`` them -- beside reading the same rows from SQLCipher plus the real ``age -r``
  encrypting the same ops.jsonl. Goal: at most 2x.
- ``bundle.open_20k_notes``: what collecting does before the merge -- ``open_bundle`` with every
  operation checked against the schema as ``services.merging.open_verified`` checks it (lines
  decoded and typed in C by ``parse_op_lines``, a block of lines per call; ``parse_op`` words
  a refusal) -- beside the real ``age -d`` plus reading the same rows from SQLCipher. Goal: at most 2x.
- ``bundle.write_500mb_attachments.peak_rss``: peak resident memory of a fresh process writing a
  bundle with ~500 MB of attachments generated on the fly (goal: under 200 MB), beside the same
  process's footprint before writing. ``bundle.open_500mb_attachments.peak_rss`` likewise for
  reading it back.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.perf.common import Sample, log, measure, report, report_sample, scaled, stopwatch

ROOT = Path(__file__).resolve().parents[2]
_ZH = "访谈记录社会组织政府购买服务残障儿童艾滋病流动人口登记备案项目资金社区街道志愿者"
_EN = ("interview notes about contracting welfare services to grassroots NGOs registration "
       "funding community street office volunteers").split()


def _note(rng: random.Random, i: int, device: str) -> dict[str, object]:
    parts: list[str] = []
    size = 0
    while size < 1500:
        if rng.random() < 0.5:
            piece = "".join(rng.choice(_ZH) for _ in range(rng.randint(8, 30))) + "。"
            size += 3 * len(piece)
        else:
            piece = " ".join(rng.choice(_EN) for _ in range(rng.randint(5, 15))) + ". "
            size += len(piece)
        parts.append(piece)
    return {"device": device, "seq": i + 1, "hlc": f"{1_700_000_000_000 + i:015d}.000000",
            "entity": "note", "entity_id": f"note-{i:06d}",
            "values": {"_owner": device, "body": "".join(parts), "kind": "field_notes"},
            "pred": []}


def _team():  # type: ignore[no-untyped-def]
    from fieldapp.sync.roster import (
        approve_join,
        create_team,
        make_join_request,
        read_join_request,
    )

    now = datetime(2025, 3, 1, tzinfo=UTC)
    new = create_team("Bench team", "Coordinator", now=now)
    keys, req = make_join_request(new.signed.roster.team_id, "Researcher", now=now)
    request = read_join_request(req)
    signed = approve_join(new.signed.roster, new.root_key, request,
                          confirmed_fingerprint=keys.fingerprint(), now=now)
    return new, signed.roster, request.device_id, keys


class _Pattern(io.RawIOBase):
    """``size`` bytes of pseudo-random content made on the fly (nothing held but one block)."""

    def __init__(self, size: int, seed: int) -> None:
        self._left = size
        self._block = hashlib.sha512(str(seed).encode()).digest() * 1024  # 64 KiB

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        out = (self._block * (n // len(self._block) + 1))[:n]
        self._left -= n
        return out


def _pattern_hash(size: int, seed: int) -> str:
    h = hashlib.sha256()
    stream = _Pattern(size, seed)
    while chunk := stream.read(1 << 20):
        h.update(chunk)
    return h.hexdigest()


def _age(args: list[str], stdin_path: Path | None = None) -> float:
    with stopwatch() as t:
        with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as fh:
            subprocess.run(args, stdin=fh, check=True, capture_output=True, timeout=600)
    return t[0]


def _log_db(path: Path, ops: list[dict[str, object]]) -> Any:
    """An SQLCipher database holding ``ops`` as the workspace's change log does."""
    import sqlcipher3

    from fieldapp.domain.ops import dumps_pred, dumps_values

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{secrets.token_hex(32)}'\"")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute('CREATE TABLE ops (device TEXT NOT NULL, seq INTEGER NOT NULL, hlc TEXT NOT '
                 'NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, "values" TEXT NOT NULL, '
                 "pred TEXT NOT NULL, received_hlc TEXT NOT NULL, PRIMARY KEY (device, seq)) "
                 "WITHOUT ROWID")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO ops VALUES (?, ?, ?, ?, ?, ?, ?, '')", [
        (o["device"], o["seq"], o["hlc"], o["entity"], o["entity_id"],
         dumps_values(o["values"]), dumps_pred(()))  # type: ignore[arg-type]
        for o in ops])
    conn.execute("COMMIT")
    return conn


def _bench_notes(scale: float, tmp: Path) -> None:
    from fieldapp.domain.ops import parse_op, parse_op_line, parse_op_lines
    from fieldapp.store.oplog import encoded_ops
    from fieldapp.sync.bundle import open_bundle, write_bundle

    n = scaled(20_000, scale)
    rng = random.Random(7)
    new, roster, device_id, keys = _team()
    ops = [_note(rng, i, device_id) for i in range(n)]
    conn = _log_db(tmp / "log.db", ops)
    ids = [(device_id, i + 1) for i in range(n)]
    del ops

    def read_rows() -> None:
        rows = conn.execute('SELECT device, seq, hlc, entity, entity_id, "values", pred '
                            "FROM ops ORDER BY hlc, device, seq").fetchall()
        assert len(rows) == n

    def write() -> None:
        write_bundle(tmp / "notes.fab", roster=roster, device_id=device_id,
                     signing_key=keys.signing, seq_range=(1, n), prev_hash=None,
                     ops=encoded_ops(conn, ids))

    ours_w = measure(write)
    payload = tmp / "ops.jsonl"
    payload.write_bytes(b"".join(line + b"\n" for line in encoded_ops(conn, ids)))
    size = (tmp / "notes.fab").stat().st_size
    log(f"{n} notes, ops.jsonl {payload.stat().st_size / 1e6:.1f} MB, bundle {size / 1e6:.1f} MB")
    rows = measure(read_rows)

    def opened() -> None:
        vb = open_bundle(tmp / "notes.fab", identity=new.coordinator_keys.identity,
                         roster=roster, check_op=parse_op, check_line=parse_op_line,
                         check_lines=parse_op_lines)
        assert vb.op_count == n

    ours_o = measure(opened)
    age = shutil.which("age")
    if not age:
        log("age not installed: no baseline")
        report_sample("bundle.write_20k_notes", ours_w, None)
        report_sample("bundle.open_20k_notes", ours_o, None)
        return
    rcpt = new.coordinator_keys.identity.recipient
    enc = measure(lambda: _age([age, "-r", rcpt, "-o", str(tmp / "ops.age")], payload))
    ident = tmp / "id.txt"  # a throwaway key, in the benchmark's private folder
    ident.write_bytes(new.coordinator_keys.identity.to_bytes())
    ident.chmod(0o600)
    dec = measure(lambda: _age([age, "-d", "-i", str(ident), "-o", os.devnull,
                                str(tmp / "ops.age")]))
    conn.close()
    report_sample("bundle.write_20k_notes", ours_w, _plus(rows, enc),
                  "reading the rows from SQLCipher + age -r (same payload, subprocess)",
                  "ratio <= 2", max_ratio=2.0)
    report_sample("bundle.open_20k_notes", ours_o, _plus(rows, dec),
                  "reading the rows from SQLCipher + age -d (same payload, subprocess)",
                  "ratio <= 2", max_ratio=2.0)


def _plus(a: Sample, b: Sample) -> Sample:
    return Sample(a.wall + b.wall, a.cpu + b.cpu,
                  [x + y for x, y in zip(a.walls, b.walls, strict=True)],
                  [x + y for x, y in zip(a.cpus, b.cpus, strict=True)])


def _worker(mode: str, folder: str, total: int) -> None:
    """Runs in a fresh process: prints its peak RSS (MB) before and after the work."""
    from fieldapp.sync import canonical
    from fieldapp.sync.bundle import open_bundle, write_bundle
    from fieldapp.sync.keys import DeviceKeys
    from fieldapp.sync.roster import roster_from_json

    tmp = Path(folder)
    count = 20
    sizes = [total // count] * count
    if mode == "write":
        new, roster, device_id, keys = _team()
        (tmp / "roster.json").write_bytes(roster.to_bytes())
        key_file = tmp / "coordinator.key"  # a throwaway key, in the benchmark's private folder
        key_file.write_bytes(new.coordinator_keys.to_bytes())
        key_file.chmod(0o600)
        hashes = [_pattern_hash(s, i) for i, s in enumerate(sizes)]
        before = _rss_mb()
        atts = [(h, s, lambda s=s, i=i: _Pattern(s, i))
                for i, (h, s) in enumerate(zip(hashes, sizes, strict=True))]
        write_bundle(tmp / "big.fab", roster=roster, device_id=device_id,
                     signing_key=keys.signing, seq_range=(1, 1), prev_hash=None,
                     ops=[{"op": 1}], attachments=atts)
    else:
        roster = roster_from_json(canonical.loads((tmp / "roster.json").read_bytes(),
                                                  _fail, max_bytes=1 << 22))
        ident = DeviceKeys.from_bytes((tmp / "coordinator.key").read_bytes()).identity
        before = _rss_mb()
        vb = open_bundle(tmp / "big.fab", identity=ident, roster=roster)
        sink = _NullSink()
        vb.copy_attachments(lambda e: sink)
        assert sink.n == sum(sizes)
    print(json.dumps({"before": before, "peak": _rss_mb()}))


class _NullSink:
    def __init__(self) -> None:
        self.n = 0

    def write(self, data: bytes) -> int:
        self.n += len(data)
        return len(data)


def _fail(detail: str):  # type: ignore[no-untyped-def]
    raise ValueError(detail)


def _rss_mb() -> float:
    """Peak resident memory of this process. On Linux from VmHWM: ru_maxrss survives exec, so
    in a child it would report the parent's peak."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def _bench_memory(scale: float, tmp: Path) -> None:
    total = scaled(500 * 1024 * 1024, scale, minimum=1024 * 1024)
    for mode, name in (("write", "bundle.write_500mb_attachments.peak_rss"),
                       ("open", "bundle.open_500mb_attachments.peak_rss")):
        out = subprocess.run([sys.executable, "-m", "tests.perf.bench_bundle", mode, str(tmp),
                              str(total)], cwd=ROOT, capture_output=True, text=True,
                             timeout=1800, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        log(f"{mode}: {total / 1e6:.0f} MB of attachments, RSS before {figures['before']:.0f} "
            f"MB, peak {figures['peak']:.0f} MB")
        report(name, figures["peak"], "MB", figures["before"],
               "same process before the bundle work", goal="< 200 MB")


def run(scale: float) -> None:
    with tempfile.TemporaryDirectory(prefix="fieldapp-bench-") as folder:
        tmp = Path(folder)
        _bench_notes(scale, tmp)
        _bench_memory(scale, tmp)


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))
