"""Every head a workspace holds, whichever way it keeps them.

A record keeps its heads as a row per field in ``heads``, or -- made by one operation and not
touched since -- as one row in ``created_heads`` (that operation heads every field it wrote).
Tests that compare heads compare what they mean, read here with SQL of the tests' own rather
than through the product's readers, and check that no record is kept both ways.
"""

from __future__ import annotations

from typing import Any

from fieldapp.store.sqlite import Connection

_EVERY_HEAD = (
    "SELECT entity, entity_id, field, device, seq, hlc FROM heads UNION ALL "
    "SELECT o.entity, c.entity_id, f.key, c.device, c.seq, o.hlc FROM created_heads c "
    'JOIN ops o ON o.device = c.device AND o.seq = c.seq, json_each(o."values") f')


def every_head(db: Connection, entity_id: str | None = None) -> list[tuple[Any, ...]]:
    """(entity, entity_id, field, device, seq, hlc) of every head, sorted; of one record
    when ``entity_id`` is given. Fails when the two ways of keeping heads disagree."""
    where = "" if entity_id is None else " WHERE entity_id = ?"
    args = () if entity_id is None else (entity_id,)
    if not _has_created(db):  # a workspace from before migration 0013
        return sorted(db.execute(f"SELECT * FROM heads{where}", args).fetchall())
    kept_one_way(db)
    return sorted(db.execute(f"SELECT * FROM ({_EVERY_HEAD}){where}", args).fetchall())


def heads_but_receipts(db: Connection) -> list[tuple[Any, ...]]:
    """:func:`every_head` less a receipt's (a receipt is a record of the receiving device
    alone, made when it merges)."""
    return [h for h in every_head(db) if h[0] != "receipt"]


def kept_as_created(db: Connection) -> set[str]:
    """The records whose heads are one row of ``created_heads``."""
    return {rid for (rid,) in db.execute("SELECT entity_id FROM created_heads")}


def _has_created(db: Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'created_heads'"
                      ).fetchone() is not None


def kept_one_way(db: Connection) -> None:
    """Each row of ``created_heads`` names an operation in the log, on that record, that
    names no earlier operation and deletes nothing; and that record has no row in ``heads``."""
    both = db.execute("SELECT c.entity_id FROM created_heads c "
                      "WHERE EXISTS (SELECT 1 FROM heads h WHERE h.entity_id = c.entity_id)"
                      ).fetchall()
    assert not both, f"records with heads kept both ways: {both}"
    bad = db.execute(
        "SELECT c.entity_id FROM created_heads c LEFT JOIN ops o ON o.device = c.device "
        "AND o.seq = c.seq WHERE o.entity_id IS NOT c.entity_id OR o.pred != '[]' "
        "OR json_type(o.\"values\", '$._deleted') IS NOT NULL").fetchall()
    assert not bad, f"created_heads rows that name no creating operation: {bad}"
