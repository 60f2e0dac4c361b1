"""Paths in the team's shared store (see LAYOUT.md beside this file). Paths are POSIX-style and
relative to the store's root; ids are restricted to ``[A-Za-z0-9_-]`` so they are safe here."""

from __future__ import annotations

import re
from dataclasses import dataclass

BUNDLE_SUFFIX = ".fab"
ROSTER = "roster/roster.json"
ROSTER_SIGNATURE = "roster/roster.json.minisig"
ROSTER_ARCHIVE_DIR = "roster/versions"
JOIN_DIR = "join"
BUNDLES_DIR = "bundles"
ACKS_DIR = "acks"
RECEIPTS_DIR = "receipts"
TEAM_DIR = "team"  # coordinator bundles for the whole team
RELAY_DIR = "relay"  # coordinator bundles for one device (notes relayed for blind coding)
#: Where relay bundles lay before their folders were named by tags (``to/<device>/<coordinator>``,
#: which showed who held blind-coding assignments): never read; a coordinator empties its own.
LEGACY_RELAY_DIR = "to"
_BUNDLE_RE = re.compile(r"(\d{12})-(\d{12})-([0-9a-f]{16})\.fab")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_TAG_RE = re.compile(r"[0-9a-f]{32}")


def _id(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError("unsafe id for a store path")
    return value


@dataclass(frozen=True, slots=True)
class BundleName:
    first: int
    last: int
    short_hash: str


def bundle_file_name(first: int, last: int, bundle_hash: str) -> str:
    """``000000000101-000000000250-<16 hex>.fab``: sorts by sequence, never clashes."""
    return f"{first:012d}-{last:012d}-{bundle_hash[:16]}{BUNDLE_SUFFIX}"


def parse_bundle_file_name(name: str) -> BundleName | None:
    m = _BUNDLE_RE.fullmatch(name)
    if m is None:
        return None
    return BundleName(int(m.group(1)), int(m.group(2)), m.group(3))


def bundle_path(author_id: str, first: int, last: int, bundle_hash: str) -> str:
    return f"{BUNDLES_DIR}/{_id(author_id)}/{bundle_file_name(first, last, bundle_hash)}"


def team_bundle_path(coordinator_id: str, first: int, last: int, bundle_hash: str) -> str:
    return f"{TEAM_DIR}/{_id(coordinator_id)}/{bundle_file_name(first, last, bundle_hash)}"


def is_relay_tag(value: str) -> bool:
    return _TAG_RE.fullmatch(value) is not None


def relay_folder(coordinator_id: str, tag: str) -> str:
    """``relay/<coordinator-id>/<tag>``: the bundles a coordinator addressed to one device
    alone. ``tag`` (:func:`fieldapp.sync.keys.relay_tag`) is computed by that coordinator and
    that device from the secret their keys share, so the store does not say which device it
    is; the device reads this folder and no other device's."""
    if not is_relay_tag(tag):
        raise ValueError("not a relay folder tag")
    return f"{RELAY_DIR}/{_id(coordinator_id)}/{tag}"


def relay_bundle_path(coordinator_id: str, tag: str, first: int, last: int,
                      bundle_hash: str) -> str:
    name = bundle_file_name(first, last, bundle_hash)
    return f"{relay_folder(coordinator_id, tag)}/{name}"


def roster_version_path(version: int) -> str:
    return f"{ROSTER_ARCHIVE_DIR}/{version:06d}.json"


def join_request_path(device_id: str) -> str:
    return f"{JOIN_DIR}/{_id(device_id)}.request"


def ack_path(coordinator_id: str, device_id: str) -> str:
    return f"{ACKS_DIR}/{_id(device_id)}/{_id(coordinator_id)}.ack"


def receipt_path(device_id: str, erase_id: str) -> str:
    return f"{RECEIPTS_DIR}/{_id(device_id)}/{_id(erase_id)}.receipt"
