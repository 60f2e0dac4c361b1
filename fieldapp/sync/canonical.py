"""Canonical JSON for signed documents (roster, join requests, bundle manifests).

We sign the exact bytes and, on reading, accept only bytes that re-serialise to themselves: sorted
keys, no insignificant whitespace, UTF-8, no duplicate keys, no floats, NaN or huge nesting. Two
parsers can then never disagree about what was signed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn

MAX_DEPTH = 32


def dumps(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _depth(obj: object, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(obj, dict):
        return max((_depth(v, level + 1) for v in obj.values()), default=level)
    if isinstance(obj, list):
        return max((_depth(v, level + 1) for v in obj), default=level)
    return level


def loads(data: bytes, fail: Callable[[str], NoReturn], *, max_bytes: int) -> dict[str, Any]:
    """Parse canonical JSON into a dict, or call ``fail(detail)`` (which must raise)."""
    if len(data) > max_bytes:
        fail("too large")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                fail("duplicate key")
            out[k] = v
        return out

    def no_float(text: str) -> NoReturn:
        fail("floating-point number")

    try:
        obj = json.loads(data.decode("utf-8"), object_pairs_hook=pairs, parse_float=no_float,
                         parse_constant=no_float)
    except (UnicodeDecodeError, ValueError, RecursionError):
        fail("not JSON")
    if not isinstance(obj, dict):
        fail("not an object")
    if _depth(obj) > MAX_DEPTH:
        fail("nested too deeply")
    if dumps(obj) != data:
        fail("not in canonical form")
    return obj


def utc_text(moment: datetime) -> str:
    """``2025-03-01T08:00:00Z``; naive datetimes are refused (clocks must say their zone)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
