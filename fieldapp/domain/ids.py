"""Identifiers: UUIDv7 for every record (time-ordered, random, never reused)."""

from __future__ import annotations

import re

import uuid6

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_id() -> str:
    return str(uuid6.uuid7())


def is_id(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))
