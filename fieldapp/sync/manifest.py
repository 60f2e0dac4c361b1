"""The signed bundle manifest and the limits a reader enforces.

The manifest names the team, the author, the sequence range, the previous bundle's hash, the
intended recipients, counts, and the SHA-256 and size of every member. It is canonical JSON,
signed (minisign format) by the author; the reader parses it only after the signature and the
author's standing in the roster have been checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NoReturn

from fieldapp.i18n import _
from fieldapp.sync import canonical
from fieldapp.sync.errors import BundleError, Reason

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.minisig"
OPS_NAME = "ops.jsonl"
ATTACHMENT_DIR = "attachments/"
MAX_SIGNATURE_BYTES = 4096
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
KiB, MiB, GiB = 1024, 1024**2, 1024**3


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds a reader enforces before trusting sizes it was told (defaults fit a coordinator)."""

    max_bundle_bytes: int = 16 * GiB  # the encrypted file
    max_manifest_bytes: int = 32 * MiB
    max_ops_bytes: int = 512 * MiB  # ops.jsonl is held in memory
    max_op_line_bytes: int = 16 * MiB
    max_ops: int = 2_000_000
    max_attachments: int = 200_000
    max_attachment_bytes: int = 4 * GiB
    max_total_bytes: int = 16 * GiB  # all members together


DEFAULT_LIMITS = Limits()


class Audience(StrEnum):
    COORDINATORS = "coordinators"  # a researcher's bundle: coordinators and escrow read it
    TEAM = "team"  # a coordinator's bundle for everyone (instruments, roster, withdrawals)
    # a coordinator's bundle for one device (``to``) and the coordinators: notes relayed for
    # blind coding, which only their two coders may read
    RELAY = "relay"


class AuthorKind(StrEnum):
    DEVICE = "device"
    COORDINATOR = "coordinator"


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX64.fullmatch(value))


def attachment_path(sha256: str) -> str:
    return ATTACHMENT_DIR + sha256


@dataclass(frozen=True, slots=True)
class MemberEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Manifest:
    team_id: str
    author_kind: AuthorKind
    author_id: str
    audience: Audience
    seq_first: int
    seq_last: int
    prev_hash: str | None
    recipients: tuple[str, ...]
    created_at: datetime
    roster_version: int
    op_count: int
    attachment_count: int
    members: tuple[MemberEntry, ...]
    format: int = FORMAT_VERSION
    # The device id the author's own operations carry, when it is not ``author_id`` (a
    # coordinator's workspace records its changes under its own device id): signed here, it
    # binds those operations -- and the receipts among them -- to the signer.
    ops_device: str | None = None
    # The one device a relay bundle (``Audience.RELAY``) is for; ``None`` for other bundles.
    to: str | None = None
    # The record schema the author's fieldapp writes (its last migration's number; None from
    # versions before it was written). A reader that knows an older schema and finds a record
    # type, field or value it does not know says the bundle is from a newer version, to update
    # -- not that it is malformed -- and reads it again once updated.
    schema: int | None = None
    # The members by path, for the reader's look-up of each member it meets (a search through
    # the list made a bundle of thousands of attachments cost their number squared).
    _by_path: dict[str, MemberEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {m.path: m for m in reversed(self.members)})

    @property
    def own_device(self) -> str:
        """The ``device`` of the operations this bundle's signer made itself."""
        return self.ops_device or self.author_id

    @property
    def seq_range(self) -> tuple[int, int]:
        return self.seq_first, self.seq_last

    def member(self, path: str) -> MemberEntry | None:
        """The first member listed under ``path`` (a manifest listing one twice is refused)."""
        return self._by_path.get(path)

    @property
    def attachments(self) -> tuple[MemberEntry, ...]:
        return tuple(m for m in self.members if m.path.startswith(ATTACHMENT_DIR))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "fieldapp-bundle",
            "format": self.format,
            "team_id": self.team_id,
            "author": {"kind": self.author_kind.value, "id": self.author_id},
            "audience": self.audience.value,
            "seq": {"first": self.seq_first, "last": self.seq_last},
            "prev": self.prev_hash,
            "recipients": list(self.recipients),
            "created_at": canonical.utc_text(self.created_at),
            "roster_version": self.roster_version,
            "counts": {"ops": self.op_count, "attachments": self.attachment_count},
            "members": [{"path": m.path, "sha256": m.sha256, "size": m.size}
                        for m in self.members],
            **({"ops_device": self.ops_device} if self.ops_device else {}),
            **({"to": self.to} if self.to else {}),
            **({"schema": self.schema} if self.schema is not None else {}),
        }

    def to_bytes(self) -> bytes:
        return canonical.dumps(self.to_json())


def _bad(detail: str) -> NoReturn:
    raise BundleError(Reason.MALFORMED_MANIFEST,
                      _("The bundle manifest is malformed ({detail}).").format(detail=detail))


def _int(obj: object, key: str) -> int:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        _bad(key)
    return value


def _str(obj: object, key: str, pattern: re.Pattern[str] | None = None) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        _bad(key)
    return value


def parse_manifest(data: bytes, limits: Limits) -> Manifest:
    """Parse and bound-check a manifest whose signature has already been verified."""
    obj = canonical.loads(data, _bad, max_bytes=limits.max_manifest_bytes)
    if obj.get("kind") != "fieldapp-bundle":
        _bad("kind")
    fmt = _int(obj, "format")
    if fmt > FORMAT_VERSION:
        raise BundleError(Reason.FORMAT_TOO_NEW, _(
            "This bundle was made by a newer version of fieldapp (format {found}, this version "
            "reads up to {known}). Update fieldapp to read it.").format(found=fmt,
                                                                        known=FORMAT_VERSION))
    if fmt < 1:
        _bad("format")
    author, seq, counts = obj.get("author"), obj.get("seq"), obj.get("counts")
    try:
        author_kind = AuthorKind(_str(author, "kind"))
        audience = Audience(_str(obj, "audience"))
        created = canonical.parse_utc(_str(obj, "created_at"))
    except ValueError:
        _bad("author, audience or date")
    first, last = _int(seq, "first"), _int(seq, "last")
    if first > last:
        _bad("sequence range")
    prev = obj.get("prev")
    if prev is not None and not is_sha256(prev):
        _bad("prev")
    recipients = obj.get("recipients")
    if not isinstance(recipients, list) or not recipients \
            or not all(isinstance(r, str) and len(r) < 200 for r in recipients) \
            or recipients != sorted(set(recipients)):
        _bad("recipients")
    raw_members = obj.get("members")
    if not isinstance(raw_members, list):
        _bad("members")
    members = tuple(MemberEntry(_str(m, "path"), _str(m, "sha256", _HEX64), _int(m, "size"))
                    for m in raw_members)
    ops_device = obj.get("ops_device")
    if ops_device is not None:
        ops_device = _str(obj, "ops_device", _ID)
    # A relay bundle names the one device it is for; no other bundle names one.
    to = _str(obj, "to", _ID) if audience is Audience.RELAY else None
    if audience is not Audience.RELAY and "to" in obj:
        _bad("to")
    manifest = Manifest(
        team_id=_str(obj, "team_id", _ID), author_kind=author_kind, ops_device=ops_device,
        author_id=_str(author, "id", _ID), audience=audience, seq_first=first, seq_last=last,
        prev_hash=prev, recipients=tuple(recipients), created_at=created,
        roster_version=_int(obj, "roster_version"), op_count=_int(counts, "ops"),
        attachment_count=_int(counts, "attachments"), members=members, format=fmt, to=to,
        schema=_int(obj, "schema") if "schema" in obj else None)
    check_members(manifest, limits)
    return manifest


def check_members(manifest: Manifest, limits: Limits) -> None:
    """Every member named once, with a safe known path, within the limits."""
    seen: set[str] = set()
    total = 0
    for m in manifest.members:
        if m.path in seen:
            raise BundleError(Reason.DUPLICATE_MEMBER,
                              _("The bundle manifest lists {path} twice.").format(path=m.path))
        seen.add(m.path)
        if m.path == OPS_NAME:
            limit = limits.max_ops_bytes
        elif m.path.startswith(ATTACHMENT_DIR) and m.path[len(ATTACHMENT_DIR):] == m.sha256:
            limit = limits.max_attachment_bytes
        else:
            raise BundleError(Reason.UNSAFE_PATH, _(
                "The bundle manifest names an unexpected path: {path}").format(path=m.path[:120]))
        if m.size > limit:
            raise BundleError(Reason.MEMBER_TOO_LARGE, _(
                "{path} in the bundle is larger than allowed ({size} bytes).").format(
                    path=m.path, size=m.size))
        total += m.size
    if OPS_NAME not in seen:
        _bad("no ops.jsonl")
    attachments = len(seen) - 1
    if attachments != manifest.attachment_count:
        _bad("attachment count")
    if attachments > limits.max_attachments or manifest.op_count > limits.max_ops:
        raise BundleError(Reason.TOO_MANY_MEMBERS,
                          _("The bundle holds more items than allowed."))
    if total > limits.max_total_bytes:
        raise BundleError(Reason.MEMBER_TOO_LARGE, _("The bundle is larger than allowed."))
