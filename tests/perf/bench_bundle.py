"""Bundle benchmarks: writing ~20,000 notes' operations, and peak memory with ~500 MB attachments.

- ``bundle.write_20k_notes``: ``write_bundle`` for 20,000 operations of ~1.5 KB mixed Chinese and
  English text, beside the real ``age`` program encrypting the same ops.jsonl payload.
- ``bundle.open_20k_notes``: ``open_bundle`` (decrypt + every check) beside ``age -d``.
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
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.perf.common import log, report, scaled, stopwatch

ROOT = Path(__file__).resolve().parents[2]
_ZH = "访谈记录社会组织政府购买服务残障儿童艾滋病流动人口登记备案项目资金社区街道志愿者"
_EN = ("interview notes about contracting welfare services to grassroots NGOs registration "
       "funding community street office volunteers").split()


def _note(rng: random.Random, i: int) -> dict[str, object]:
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
    return {"op": [f"dev-{i % 7}", i], "hlc": 1_700_000_000_000 + i, "entity": "note",
            "entity_id": f"note-{i:06d}", "field": "text", "value": "".join(parts),
            "pred": [[f"dev-{i % 7}", i - 1]] if i else []}


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


def _bench_notes(scale: float, tmp: Path) -> None:
    from fieldapp.sync.bundle import open_bundle, write_bundle

    n = scaled(20_000, scale)
    rng = random.Random(7)
    ops = [_note(rng, i) for i in range(n)]
    new, roster, device_id, keys = _team()
    with stopwatch() as t:
        info = write_bundle(tmp / "notes.fab", roster=roster, device_id=device_id,
                            signing_key=keys.signing, seq_range=(1, n), prev_hash=None, ops=ops)
    payload = tmp / "ops.jsonl"
    payload.write_bytes(b"".join(json.dumps(op, ensure_ascii=False, separators=(",", ":"))
                                 .encode() + b"\n" for op in ops))
    log(f"{n} notes, ops.jsonl {payload.stat().st_size / 1e6:.1f} MB, "
        f"bundle {info.file_size / 1e6:.1f} MB")
    age = shutil.which("age")
    base_enc = base_dec = None
    if age:
        rcpt = new.coordinator_keys.identity.recipient
        base_enc = _age([age, "-r", rcpt, "-o", str(tmp / "ops.age")], payload)
        ident = tmp / "id.txt"  # a throwaway key, in the benchmark's private folder
        ident.write_bytes(new.coordinator_keys.identity.to_bytes())
        ident.chmod(0o600)
        base_dec = _age([age, "-d", "-i", str(ident), "-o", os.devnull, str(tmp / "ops.age")])
    else:
        log("age not installed: no baseline")
    report("bundle.write_20k_notes", t[0], "s", base_enc, "age -r (same payload, subprocess)")
    with stopwatch() as t2:
        vb = open_bundle(info.path, identity=new.coordinator_keys.identity, roster=roster)
        count = sum(1 for _ in vb.iter_ops())
    assert count == n
    report("bundle.open_20k_notes", t2[0], "s", base_dec, "age -d (same payload, subprocess)")


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
