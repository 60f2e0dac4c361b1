"""Identifiers: UUIDv7 for every record (time-ordered, random, never reused); for a record only
its maker may write (``ENTITIES[...].owned``: notes, interviews, codings, responses...), an id
bound to the device that made it.

A record's owner is the device that made it, and every replica refuses others' operations on
it. A replica that has not yet received the record cannot tell its maker from the id alone if
the id is only random: a device that learned the id elsewhere (assignments name notes) could
claim the record first and have the maker's own operations refused there. An id from
:func:`owned_id` carries a 48-bit tag of the maker's device id over the rest of the id, so
every replica decides the owner the same way, whatever the order of arrival
(:func:`made_by`). It is a UUIDv8 (RFC 9562, custom layout): 48 bits of milliseconds as in
UUIDv7, version 8, 26 random bits, variant 10, the tag. Ids made before keep the first-claim
rule: nothing in a UUIDv7 says who made it."""

from __future__ import annotations

import hashlib
import re
import secrets
import time

import uuid6

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_id() -> str:
    return str(uuid6.uuid7())


def _milliseconds(n: int) -> int:
    """The first of ``n`` milliseconds for ``n`` new ids, continuing the sequence
    ``uuid6.uuid7()`` keeps: each id a millisecond after the one before, never reused."""
    now = time.time_ns() // 1_000_000
    state = vars(uuid6)  # the last millisecond uuid6.uuid7() used, kept by that module
    last = state.get("_last_v7_timestamp")
    first = now if last is None or now > last else last + 1
    state["_last_v7_timestamp"] = first + n - 1
    return int(first)


def new_ids(n: int) -> list[str]:
    """``n`` ids, as ``n`` calls of :func:`new_id` give them (UUIDv7: each a millisecond after
    the one before, 74 random bits), made in one go for a batch of records. They continue
    the sequence ``uuid6.uuid7()`` keeps, so ids made before and after stay in order."""
    if n <= 0:
        return []
    first = _milliseconds(n)
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


_BOUND = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_TAG_CONTEXT = b"fieldapp record made by device\n"


def _tag(device_id: str, head: str) -> str:
    """48 bits of SHA-256 over the device id and the id's first four groups, in hex."""
    return hashlib.sha256(_TAG_CONTEXT + device_id.encode("utf-8") + b"\n"
                          + head.encode("ascii")).hexdigest()[:12]


def owned_ids(device_id: str, n: int) -> list[str]:
    """``n`` ids for records ``device_id`` makes and alone may write, bound to it (see the
    module's docstring); in the same millisecond sequence as :func:`new_ids`."""
    if n <= 0:
        return []
    first = _milliseconds(n)
    pool = secrets.token_bytes(4 * n)  # 26 random bits per id (of 32 read)
    out = []
    for i in range(n):
        ms, bits = (first + i) & 0xFFFFFFFFFFFF, int.from_bytes(pool[4 * i:4 * i + 4]) >> 6
        head = f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-8{bits >> 14:03x}-{0x8000 | bits & 0x3FFF:04x}"
        out.append(f"{head}-{_tag(device_id, head)}")
    return out


def owned_id(device_id: str) -> str:
    return owned_ids(device_id, 1)[0]


def is_bound(entity_id: str) -> bool:
    """Whether ``entity_id`` has the form of an id bound to the device that made it."""
    return len(entity_id) == 36 and entity_id[14] == "8" and bool(_BOUND.fullmatch(entity_id))


def made_by(entity_id: str, device_id: str) -> bool:
    """Whether the bound id ``entity_id`` was made by ``device_id`` (its tag is that device's)."""
    return secrets.compare_digest(entity_id[24:], _tag(device_id, entity_id[:23]))


def made_elsewhere(entity_id: str, device_id: str) -> bool:
    """Whether ``entity_id`` is bound to a device other than ``device_id``: an operation of
    ``device_id`` on it is refused on every replica, whatever arrived first."""
    return is_bound(entity_id) and not made_by(entity_id, device_id)
