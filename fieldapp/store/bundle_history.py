"""Which bundles of each device were merged here, and the ``prev`` link each names.

The table (migration 0005) is written in the merge's transaction and read when a revocation
names a device's last trusted bundle and when a revoked device's bundles are judged against
that history (fieldapp/sync/LAYOUT.md, "History")."""

from __future__ import annotations

from fieldapp.store.sqlite import Connection

#: (bundle hash, prev hash or None, first sequence, last sequence)
Link = tuple[str, str | None, int, int]


def record(conn: Connection, device: str, link: Link) -> None:
    """Remember a merged bundle (inside the caller's transaction)."""
    bundle_hash, prev, first, last = link
    conn.execute("INSERT OR IGNORE INTO bundle_history (bundle_hash, device, prev, seq_first, "
                 "seq_last) VALUES (?, ?, ?, ?, ?)", (bundle_hash, device, prev, first, last))


def links(conn: Connection, device: str) -> list[Link]:
    rows = conn.execute("SELECT bundle_hash, prev, seq_first, seq_last FROM bundle_history "
                        "WHERE device = ? ORDER BY seq_last", (device,)).fetchall()
    return [(str(h), None if p is None else str(p), int(f), int(last))
            for h, p, f, last in rows]
