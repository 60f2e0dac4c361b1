"""Benchmark of memo search (issue: memos). Run: python -m tests.perf memos

Memos are searched by folding their text in the service (not through the note index), so this
measures, on N memos of ~2,000 characters mixing Chinese and English:
- the first search after the workspace opens (every memo folded: OpenCC's phrase conversion);
- a later search (each memo's folded text reused until it changes);
against reading the same memo rows and matching the raw text with ``in`` (no folding at all),
the least any scan of the memo table costs.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from fieldapp.domain.ids import new_id
from fieldapp.services import memos, records
from fieldapp.store.workspace import Workspace
from tests.kdf import TEST_KDF, allow_weak_kdf
from tests.perf.bench_store import make_note
from tests.perf.common import log, measure, report_sample, scaled


def run(scale: float) -> None:
    allow_weak_kdf()
    n = scaled(1000, scale)
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ws"
        ws, _ = Workspace.initialise(path, "benchmark passphrase", kdf=TEST_KDF)
        with ws.transaction():
            for i in range(n):
                ws.write("memo", new_id(), {"about": "project", "title": f"备忘 {i}",
                                            "body": make_note(rng, 2000)}, create=True)
        ws.close()
        log(f"memos: {n} memos of ~2,000 characters")

        def raw_scan() -> None:
            found = [m for m in records.list_records(ws, "memo") if "经费拨付" in (m["body"] or "")]
            assert found is not None

        opened: list[Workspace] = []

        def fresh() -> Workspace:  # untimed: close the last one, open afresh
            while opened:
                opened.pop().close()
            opened.append(Workspace.open(path, "benchmark passphrase"))
            return opened[-1]

        first_sample = measure(lambda w: memos.search_memos(w, "经费拨付"), setup=fresh)
        while opened:
            opened.pop().close()
        ws = Workspace.open(path, "benchmark passphrase")
        try:
            memos.search_memos(ws, "warm up")
            base = measure(raw_scan)
            warm = measure(lambda: memos.search_memos(ws, "經費撥付"))
        finally:
            ws.close()
        report_sample(f"memo search, first after open ({n} memos)", first_sample, base,
                      "raw scan of the memo table")
        report_sample(f"memo search, later ({n} memos)", warm, base,
                      "raw scan of the memo table")
