"""Benchmarks of the encrypted workspace (issue: foundation). Run: python -m tests.perf store

Figures, each beside a baseline from the same run:
- unlock (Argon2id + open + migrations check) against Argon2id alone;
- saving a note edit on a workspace of N notes (operation + table + index, committed with
  synchronous=FULL): p50 and p95, against a raw UPDATE + commit of the same row in a plain
  SQLCipher table with the same pragmas;
- search over N notes of ~1.5 KB mixing Chinese and English: a two-character Chinese word, a
  personal name, an English word (p50/p95), against a LIKE scan of the same notes;
- creating N notes through the services (one transaction) against a raw executemany of the
  same text into a plain SQLCipher table;
- the search index's size against the raw text's size.
"""

from __future__ import annotations

import os
import random
import secrets
import tempfile
import time
from pathlib import Path

import sqlcipher3

from fieldapp.services import records
from fieldapp.services.search import search
from fieldapp.store.keys import KDF_FLOOR, KdfParams
from fieldapp.store.workspace import Workspace
from tests.perf.common import log, percentile, report, scaled

ZH = ("政府购买服务 社会组织 艾滋病防治 民政局登记注册 街道办 残障儿童康复 流动人口子女入学 "
      "项目评估 合同金额 经费拨付延迟 社工流失 同伴支持 招投标 挂靠 第三方评估 信任 自主性").split()
EN = ("government contracting evaluation registration trust autonomy funding delay staff "
      "turnover peer support bidding street office capacity outsourcing risk").split()
NAMES = ["张伟", "王芳", "欧阳娜娜", "李建国", "陈静", "刘洋"]


def make_note(rng: random.Random, size: int = 1500) -> str:
    parts: list[str] = []
    length = 0
    while length < size:
        if rng.random() < 0.65:
            piece = "".join(rng.choice(ZH) for _ in range(rng.randint(3, 8))) + "。"
        else:
            piece = " ".join(rng.choice(EN) for _ in range(rng.randint(5, 12))) + ". "
        if rng.random() < 0.05:
            piece += rng.choice(NAMES) + "说"
        parts.append(piece)
        length += len(piece)
    return "".join(parts)[:size]


def _plain_db(path: Path) -> sqlcipher3.dbapi2.Connection:
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{secrets.token_hex(32)}'\"")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT)")
    return conn


def run(scale: float) -> None:
    n = scaled(20_000, scale, minimum=50)
    rng = random.Random(7)
    bodies = [make_note(rng) for _ in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _bench_unlock(root, scale)
        # -- creating N notes ------------------------------------------------------------
        plain = _plain_db(root / "plain.db")
        start = time.perf_counter()
        plain.execute("BEGIN")
        plain.executemany("INSERT INTO note VALUES (?, ?)",
                          ((secrets.token_hex(16), b) for b in bodies))
        plain.execute("COMMIT")
        raw = time.perf_counter() - start
        ws, _ = Workspace.initialise(root / "ws", "benchmark passphrase",
                                     kdf=KDF_FLOOR)
        iid = records.add_interview(ws, code="BENCH-I001")
        start = time.perf_counter()
        note_ids = records.add_notes(ws, iid, bodies)
        ours = time.perf_counter() - start
        report("create_notes", ours, "s", raw, "raw executemany into plain SQLCipher table",
               goal="ratio <= 3")
        # -- saving an edit ----------------------------------------------------------------
        samples, base = [], []
        reps = scaled(200, scale, minimum=10)
        for i in range(reps):
            nid = note_ids[rng.randrange(len(note_ids))]
            text = bodies[i % len(bodies)] + f" 修改{i}"
            t = time.perf_counter()
            records.save_note_body(ws, nid, text)
            samples.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            plain.execute("UPDATE note SET body = ? WHERE rowid = ?", (text, 1 + i % n))
            base.append((time.perf_counter() - t) * 1000)
        report("save_note_edit_p50", percentile(samples, 50), "ms", percentile(base, 50),
               "raw UPDATE + commit, plain table")
        report("save_note_edit_p95", percentile(samples, 95), "ms", percentile(base, 95),
               "raw UPDATE + commit, plain table", goal="value <= 20 ms")
        # -- search ------------------------------------------------------------------------
        for label, query, like in (("zh2", "艾滋", "%艾滋%"), ("name", "欧阳娜娜", "%欧阳娜娜%"),
                                   ("en", "evaluation", "%evaluation%")):
            ours_s, like_s = [], []
            for _ in range(scaled(50, scale, minimum=5)):
                t = time.perf_counter()
                hits = search(ws, query, limit=20)
                ours_s.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                # Ranking needs every match, so the scan finds them all.
                plain.execute("SELECT id FROM note WHERE body LIKE ?", (like,)).fetchall()
                like_s.append((time.perf_counter() - t) * 1000)
            assert hits, query
            report(f"search_{label}_p50", percentile(ours_s, 50), "ms",
                   percentile(like_s, 50), "LIKE scan of the same notes")
            report(f"search_{label}_p95", percentile(ours_s, 95), "ms",
                   percentile(like_s, 95), "LIKE scan of the same notes",
                   goal="value <= 30 ms and ratio <= 0.05 (20x faster)")
        # -- index size ------------------------------------------------------------------
        ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # The FTS5 index lives in its shadow tables; their blocks are its size.
        index_bytes = ws.db.execute(
            "SELECT sum(length(block)) FROM search_index_data").fetchone()[0] or 0
        raw_bytes = sum(len(b.encode("utf-8")) for b in bodies)
        report("index_size", index_bytes / 2**20, "MiB", raw_bytes / 2**20, "raw text (UTF-8)")
        report("workspace_file_size", os.path.getsize(root / "ws" / "data.db") / 2**20, "MiB",
               raw_bytes / 2**20, "raw text (UTF-8)")
        log(f"notes {n}")
        ws.close()
        plain.close()


def _bench_unlock(root: Path, scale: float) -> None:
    kdf = KdfParams() if scale >= 0.5 else KDF_FLOOR
    ws, _ = Workspace.initialise(root / "unlock", "benchmark passphrase", kdf=kdf)
    ws.close()
    salt = os.urandom(16)
    argon, full = [], []
    for _ in range(3):
        t = time.perf_counter()
        kdf.derive("benchmark passphrase", salt)
        argon.append(time.perf_counter() - t)
        t = time.perf_counter()
        Workspace.open(root / "unlock", "benchmark passphrase").close()
        full.append(time.perf_counter() - t)
    report("unlock", min(full) * 1000, "ms", min(argon) * 1000, "Argon2id alone")
