"""Build bundles by hand, including hostile ones, for the reader's tests."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyrage

from fieldapp.sync import canonical
from fieldapp.sync.keys import SigningKey
from fieldapp.sync.manifest import Audience, AuthorKind, Manifest, MemberEntry
from tests.unit.sync.conftest import NOW


def ops_bytes(n: int = 3) -> bytes:
    return b"".join(json.dumps({"seq": i, "v": f"笔记 {i}"}, ensure_ascii=False).encode() + b"\n"
                    for i in range(1, n + 1))


@dataclass
class Member:
    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""


@dataclass
class Forge:
    """A bundle assembled step by step; every part can be replaced before ``build``."""

    team: Any
    ops: bytes = field(default_factory=ops_bytes)
    attachments: list[bytes] = field(default_factory=list)
    signer: SigningKey | None = None
    manifest_changes: dict[str, Any] = field(default_factory=dict)
    manifest_json_changes: dict[str, Any] = field(default_factory=dict)
    extra_members: list[Member] = field(default_factory=list)
    members_override: list[Member] | None = None
    recipients: list[str] | None = None  # age recipients actually encrypted to
    raw_manifest: bytes | None = None

    def manifest(self) -> Manifest:
        entries = [MemberEntry("ops.jsonl", hashlib.sha256(self.ops).hexdigest(), len(self.ops))]
        for blob in self.attachments:
            h = hashlib.sha256(blob).hexdigest()
            entries.append(MemberEntry("attachments/" + h, h, len(blob)))
        roster = self.team.roster
        m = Manifest(team_id=roster.team_id, author_kind=AuthorKind.DEVICE,
                     author_id=self.team.device_id, audience=Audience.COORDINATORS,
                     seq_first=1, seq_last=len(self.ops.splitlines()) or 1, prev_hash=None,
                     recipients=tuple(sorted(roster.coordinator_recipients())), created_at=NOW,
                     roster_version=roster.version, op_count=len(self.ops.splitlines()),
                     attachment_count=len(self.attachments), members=tuple(entries))
        return replace(m, **self.manifest_changes)

    def manifest_bytes(self) -> bytes:
        if self.raw_manifest is not None:
            return self.raw_manifest
        obj = self.manifest().to_json()
        obj.update(self.manifest_json_changes)
        return canonical.dumps(obj)

    def members(self) -> list[Member]:
        if self.members_override is not None:
            return self.members_override
        m = self.manifest_bytes()
        key = self.signer or self.team.device_keys.signing
        out = [Member("manifest.json", m),
               Member("manifest.json.minisig", key.sign(m, trusted_comment="forged")),
               Member("ops.jsonl", self.ops)]
        out += [Member("attachments/" + hashlib.sha256(b).hexdigest(), b)
                for b in self.attachments]
        return out + self.extra_members

    def tar(self) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
            for member in self.members():
                info = tarfile.TarInfo(member.name)
                info.type = member.type
                info.linkname = member.linkname
                info.size = len(member.data) if member.type == tarfile.REGTYPE else 0
                tf.addfile(info, io.BytesIO(member.data) if info.size else None)
        return buf.getvalue()

    def encrypt(self, plaintext: bytes) -> bytes:
        recipients = self.recipients or sorted(self.team.roster.coordinator_recipients())
        return pyrage.encrypt(plaintext, [pyrage.x25519.Recipient.from_str(r)
                                          for r in recipients])

    def build(self, path: Path) -> Path:
        path.write_bytes(self.encrypt(self.tar()))
        return path
