"""Identifiers: UUIDv7 for every record (time-ordered, random, never reused)."""

from __future__ import annotations

import re
import secrets
import time

import uuid6

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_id() -> str:
    return str(uuid6.uuid7())


def new_ids(n: int) -> list[str]:
    """``n`` ids, as ``n`` calls of :func:`new_id` give them (UUIDv7: each a millisecond after
    the one before, 74 random bits), made in one go for a batch of records. They continue
    the sequence ``uuid6.uuid7()`` keeps, so ids made before and after stay in order."""
    if n <= 0:
        return []
    now = time.time_ns() // 1_000_000
    state = vars(uuid6)  # the last millisecond uuid6.uuid7() used, kept by that module
    last = state.get("_last_v7_timestamp")
    first = now if last is None or now > last else last + 1
    state["_last_v7_timestamp"] = first + n - 1
    out = []
    pool = secrets.token_bytes(10 * n)  # 80 random bits per id, from the OS, in one read
    from_bytes = int.from_bytes
    for i in range(n):
        # 48 bits of milliseconds, version 7, 12 random bits, variant 10, 62 random bits
        ms, bits = (first + i) & 0xFFFFFFFFFFFF, from_bytes(pool[10 * i:10 * i + 10]) >> 6
        out.append(f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{bits >> 62:03x}-"
                   f"{0x8000 | (bits >> 48) & 0x3FFF:04x}-{bits & 0xFFFFFFFFFFFF:012x}")
    return out


def is_id(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))
