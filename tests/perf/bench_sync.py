"""Team sync benchmark: importing a bundle of N operations (verify + decrypt + merge through the
store's one code path, with the search index) against a raw executemany of the same rows into a
plain SQLCipher table. Run: python -m tests.perf sync

The bundle's writing and peak memory are measured at the bundle layer (bench_bundle.py)."""

from __future__ import annotations

import secrets
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import sqlcipher3

from fieldapp.domain.ids import new_id
from fieldapp.services import records, sync, team
from fieldapp.store.keys import KDF_FLOOR
from fieldapp.store.workspace import Workspace
from tests.perf.common import report, scaled

FAST = KDF_FLOOR


def run(scale: float) -> None:
    n_ops = scaled(100_000, scale, minimum=200)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        (root / "store").mkdir()
        store = team.StoreConfig(str(root / "store"))
        coord, _ = Workspace.initialise(root / "coord", "benchmark passphrase", kdf=FAST)
        stack.callback(coord.close)
        team.create_team(coord, team_name="bench", coordinator_name="c", store=store)
        alice, _ = Workspace.initialise(root / "alice", "benchmark passphrase", kdf=FAST)
        stack.callback(alice.close)
        invite = team.invitation(coord)
        fp = team.request_to_join(alice, team_id=invite["team_id"], root_key=invite["root_key"],
                                  researcher="alice", store=store)
        team.approve(coord, alice.device_id, fp)
        # N operations: organisations created and then edited field by field.
        rows = []
        with alice.transaction():
            for i in range(n_ops // 2):
                oid = new_id()
                alice.write("organisation", oid, {"name_zh": f"机构{i}", "name_en": f"Org {i}"},
                            create=True)
                rows.append((oid, f"机构{i}", f"Org {i}"))
            for oid, _zh, _en in rows:
                alice.write("organisation", oid, {"notes": "合同续签 contract renewed"})
        sent = sync.send(alice)
        start = time.perf_counter()
        result = sync.collect(coord)
        ours = time.perf_counter() - start
        assert [b.status for b in result.bundles] == ["merged"], result
        assert records.count(coord, "organisation") == len(rows)
        plain = sqlcipher3.connect(str(root / "plain.db"), isolation_level=None)
        plain.execute(f"PRAGMA key = \"x'{secrets.token_hex(32)}'\"")
        plain.execute("PRAGMA journal_mode = WAL")
        plain.execute("PRAGMA synchronous = FULL")
        plain.execute("CREATE TABLE organisation (id TEXT PRIMARY KEY, name_zh TEXT, "
                      "name_en TEXT, notes TEXT)")
        start = time.perf_counter()
        plain.execute("BEGIN")
        plain.executemany("INSERT INTO organisation VALUES (?, ?, ?, NULL)", rows)
        plain.executemany("UPDATE organisation SET notes = ? WHERE id = ?",
                          (("合同续签 contract renewed", r[0]) for r in rows))
        plain.execute("COMMIT")
        raw = time.perf_counter() - start
        plain.close()
        report("import_bundle", ours, "s", raw,
               f"raw executemany of the same rows ({sent.ops} operations)", goal="ratio <= 3")
