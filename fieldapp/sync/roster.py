"""The team roster: who may sign bundles, who can read them, signed by the team's root key.

A roster is canonical JSON (``roster.json``) plus a minisign signature by the root key
(``roster.json.minisig``). Each change makes a new version; a device pins the root public key
(confirmed by its fingerprint, read out in person or by phone) and refuses a roster older than one
it has already seen, so nobody can roll a revocation back by putting an old roster in the store.

Enrolment: the device makes its keys and a self-signed join request; the coordinator reads the
request's fingerprint back to the researcher (both screens show the same digits), confirms it, and
approves, which issues the next roster version. A lost laptop is revoked *after its last trusted
sequence number*: its operations up to there stay valid, anything later is quarantined.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NoReturn

from fieldapp.i18n import _
from fieldapp.sync import canonical
from fieldapp.sync.errors import Reason, RosterError, SignatureError
from fieldapp.sync.keys import (
    DeviceKeys,
    PublicKeys,
    SigningKey,
    VerifyKey,
    fingerprint,
    fingerprints_match,
    parse_recipient,
)

ROSTER_FORMAT = 1
REQUEST_FORMAT = 1
MAX_ROSTER_BYTES = 4 * 1024 * 1024
MAX_REQUEST_BYTES = 64 * 1024
EXPIRY_WARNING_DAYS = 30
DEFAULT_VALIDITY = timedelta(days=365)
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_MAX_NAME = 200
CHECK_CODE_LENGTH = 8  # base32 characters: 40 bits
_CHECK_PERSON = b"fieldapp-invite1"


def new_id() -> str:
    return str(uuid.uuid4())


def check_id(value: object) -> str:
    """Ids appear in store paths, so they are restricted to a safe alphabet."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise RosterError(Reason.MALFORMED_ROSTER, _("An id is not valid."))
    return value


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Coordinator:
    coordinator_id: str
    name: str
    signing_key: VerifyKey
    recipient: str


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str
    researcher: str
    signing_key: VerifyKey
    recipient: str
    status: DeviceStatus = DeviceStatus.ACTIVE
    revoked_after_seq: int | None = None  # last trusted sequence number of a revoked device
    # SHA-256 of the manifest of the last bundle trusted from a revoked device: its history
    # (that bundle and the bundles its ``prev`` chain names) is the only source of operations
    # up to ``revoked_after_seq`` (see fieldapp/sync/LAYOUT.md, "History").
    trusted_history: str | None = None

    def trusts_seq(self, seq: int) -> bool:
        if self.status is DeviceStatus.ACTIVE:
            return True
        return self.revoked_after_seq is not None and seq <= self.revoked_after_seq


@dataclass(frozen=True, slots=True)
class Roster:
    team_id: str
    team_name: str
    version: int
    issued_at: datetime
    expires_at: datetime
    root_key: VerifyKey
    coordinators: tuple[Coordinator, ...] = ()
    devices: tuple[Device, ...] = ()
    escrow_recipient: str | None = None
    format: int = ROSTER_FORMAT
    #: earlier versions this device accepted, by version (not part of the signed roster)
    earlier: Callable[[int], Roster | None] | None = field(default=None, compare=False,
                                                           repr=False)

    # -- queries --------------------------------------------------------------------------------

    def coordinator(self, coordinator_id: str) -> Coordinator | None:
        return next((c for c in self.coordinators if c.coordinator_id == coordinator_id), None)

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.device_id == device_id), None)

    def signer_by_key_id(self, key_id: bytes) -> Coordinator | Device | None:
        """The member whose signing key has this minisign key id (coordinators first)."""
        members: list[Coordinator | Device] = [*self.coordinators, *self.devices]
        for member in members:
            if member.signing_key.key_id == key_id:
                return member
        return None

    def coordinator_recipients(self) -> frozenset[str]:
        """Who can read a researcher's bundle: every coordinator, plus the escrow key if any."""
        out = {c.recipient for c in self.coordinators}
        if self.escrow_recipient:
            out.add(self.escrow_recipient)
        return frozenset(out)

    def team_recipients(self) -> frozenset[str]:
        """Who can read a coordinator's bundle for the whole team: also every active device."""
        active = {d.recipient for d in self.devices if d.status is DeviceStatus.ACTIVE}
        return self.coordinator_recipients() | active

    def relay_recipients(self, device_id: str) -> frozenset[str] | None:
        """Who can read a coordinator's bundle for one device (blind-coding relay): that
        device, every coordinator and the escrow key; ``None`` when the device is not an active
        device of this roster (nothing may be addressed to it)."""
        device = self.device(device_id)
        if device is None or device.status is not DeviceStatus.ACTIVE:
            return None
        return self.coordinator_recipients() | {device.recipient}

    def root_fingerprint(self) -> str:
        return root_key_fingerprint(self.root_key)

    def at_version(self, version: int) -> Roster | None:
        """This roster, or an earlier version of it this device accepted (``None``: unknown)."""
        if version == self.version:
            return self
        if version > self.version or self.earlier is None:
            return None
        found = self.earlier(version)
        if found is None or found.version != version or found.team_id != self.team_id \
                or found.root_key != self.root_key:
            return None
        return found

    def member(self, member_id: str) -> Coordinator | Device | None:
        return self.coordinator(member_id) or self.device(member_id)

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def expiry_warning(self, now: datetime) -> str | None:
        """A message when the roster has expired or expires within 30 days, else ``None``."""
        if self.is_expired(now):
            return _("The team roster expired on {date}. Ask the team's root key holder to "
                     "renew it.").format(date=canonical.utc_text(self.expires_at)[:10])
        left = self.expires_at - now
        if left <= timedelta(days=EXPIRY_WARNING_DAYS):
            return _("The team roster expires in {days} days ({date}). Ask the team's root key "
                     "holder to renew it.").format(days=max(left.days, 0),
                                                   date=canonical.utc_text(self.expires_at)[:10])
        return None

    # -- serialisation --------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "fieldapp-roster",
            "format": self.format,
            "team_id": self.team_id,
            "team_name": self.team_name,
            "version": self.version,
            "issued_at": canonical.utc_text(self.issued_at),
            "expires_at": canonical.utc_text(self.expires_at),
            "root_key": self.root_key.to_text(),
            "escrow_recipient": self.escrow_recipient,
            "coordinators": [
                {"coordinator_id": c.coordinator_id, "name": c.name,
                 "signing_key": c.signing_key.to_text(), "recipient": c.recipient}
                for c in self.coordinators
            ],
            "devices": [
                {"device_id": d.device_id, "researcher": d.researcher,
                 "signing_key": d.signing_key.to_text(), "recipient": d.recipient,
                 "status": d.status.value, "revoked_after_seq": d.revoked_after_seq,
                 **({"trusted_history": d.trusted_history} if d.trusted_history else {})}
                for d in self.devices
            ],
        }

    def to_bytes(self) -> bytes:
        return canonical.dumps(self.to_json())


def _bad(detail: str) -> NoReturn:
    raise RosterError(Reason.MALFORMED_ROSTER,
                      _("The team roster is malformed ({detail}).").format(detail=detail))


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        _bad(key)
    return value


def _name(obj: dict[str, Any], key: str) -> str:
    value: str = _get(obj, key, str)
    if not value.strip() or len(value) > _MAX_NAME or any(ord(c) < 32 for c in value):
        _bad(key)
    return value


def _keys(obj: dict[str, Any]) -> tuple[VerifyKey, str]:
    try:
        return (VerifyKey.from_text(_get(obj, "signing_key", str)),
                parse_recipient(_get(obj, "recipient", str)))
    except SignatureError:
        _bad("key")


def roster_from_json(obj: dict[str, Any]) -> Roster:
    if obj.get("kind") != "fieldapp-roster":
        _bad("kind")
    fmt = _get(obj, "format", int)
    if fmt > ROSTER_FORMAT:
        raise RosterError(Reason.MALFORMED_ROSTER,
                          _("The team roster was made by a newer version of fieldapp."))
    coordinators = []
    for c in _get(obj, "coordinators", list):
        if not isinstance(c, dict):
            _bad("coordinators")
        key, rcpt = _keys(c)
        coordinators.append(Coordinator(check_id(c.get("coordinator_id")), _name(c, "name"),
                                        key, rcpt))
    devices = []
    for d in _get(obj, "devices", list):
        if not isinstance(d, dict):
            _bad("devices")
        key, rcpt = _keys(d)
        try:
            status = DeviceStatus(str(d.get("status")))
        except ValueError:
            _bad("status")
        after = d.get("revoked_after_seq")
        if after is not None and (not isinstance(after, int) or isinstance(after, bool)
                                  or after < 0):
            _bad("revoked_after_seq")
        history = d.get("trusted_history")
        if history is not None and not (isinstance(history, str)
                                        and re.fullmatch(r"[0-9a-f]{64}", history)):
            _bad("trusted_history")
        devices.append(Device(check_id(d.get("device_id")), _name(d, "researcher"), key, rcpt,
                              status, after, history))
    escrow = obj.get("escrow_recipient")
    try:
        root = VerifyKey.from_text(_get(obj, "root_key", str))
        escrow = parse_recipient(escrow) if isinstance(escrow, str) else escrow
        issued = canonical.parse_utc(_get(obj, "issued_at", str))
        expires = canonical.parse_utc(_get(obj, "expires_at", str))
    except (SignatureError, ValueError):
        _bad("keys or dates")
    if escrow is not None and not isinstance(escrow, str):
        _bad("escrow_recipient")
    ids = [c.coordinator_id for c in coordinators] + [d.device_id for d in devices]
    members: list[Coordinator | Device] = [*coordinators, *devices]
    key_ids = [m.signing_key.key_id for m in members] + [root.key_id]
    if len(set(ids)) != len(ids) or len(set(key_ids)) != len(key_ids):
        raise RosterError(Reason.DUPLICATE_ENTRY, _("The team roster lists a key or id twice."))
    version = _get(obj, "version", int)
    if version < 1:
        _bad("version")
    return Roster(team_id=check_id(obj.get("team_id")), team_name=_name(obj, "team_name"),
                  version=version, issued_at=issued, expires_at=expires, root_key=root,
                  coordinators=tuple(coordinators), devices=tuple(devices),
                  escrow_recipient=escrow, format=fmt)


# -- signed rosters ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterSeen:
    """What a device remembers about the newest roster it accepted (for rollback checks)."""

    version: int
    digest: str


@dataclass(frozen=True, slots=True)
class SignedRoster:
    roster: Roster
    data: bytes = field(repr=False)  # roster.json
    signature: bytes = field(repr=False)  # roster.json.minisig

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def seen(self) -> RosterSeen:
        return RosterSeen(self.roster.version, self.digest)


def sign_roster(roster: Roster, root_key: SigningKey) -> SignedRoster:
    if root_key.public_key != roster.root_key:
        raise RosterError(Reason.ROOT_MISMATCH, _("This is not the team's root key."))
    roster_from_json(roster.to_json())  # refuse to sign what readers would refuse
    data = roster.to_bytes()
    sig = root_key.sign(data, trusted_comment=f"fieldapp roster {roster.team_id} "
                                              f"v{roster.version}")
    return SignedRoster(roster, data, sig)


def verify_roster(data: bytes, signature: bytes, *, root_key: VerifyKey,
                  last_seen: RosterSeen | None = None,
                  now: datetime | None = None) -> SignedRoster:
    """Check a roster against the pinned root key; refuse rollback, forks and (given ``now``)
    expiry. Nothing in ``data`` is parsed before the signature has been checked."""
    if len(data) > MAX_ROSTER_BYTES:
        _bad("too large")
    try:
        root_key.verify(data, signature)
    except SignatureError as exc:
        raise RosterError(Reason.BAD_SIGNATURE,
                          _("The team roster is not signed by the team's root key.")) from exc
    roster = roster_from_json(canonical.loads(data, _bad, max_bytes=MAX_ROSTER_BYTES))
    if roster.root_key != root_key:
        raise RosterError(Reason.ROOT_MISMATCH,
                          _("The team roster names a different root key."))
    signed = SignedRoster(roster, data, signature)
    if last_seen is not None:
        if roster.version < last_seen.version:
            raise RosterError(Reason.ROSTER_ROLLBACK, _(
                "This team roster (version {old}) is older than the one already accepted "
                "(version {new}).").format(old=roster.version, new=last_seen.version))
        if roster.version == last_seen.version and signed.digest != last_seen.digest:
            raise RosterError(Reason.ROSTER_FORK, _(
                "Two different team rosters carry version {version}; ask the coordinator."
            ).format(version=roster.version))
    if now is not None and roster.is_expired(now):
        raise RosterError(Reason.ROSTER_EXPIRED, roster.expiry_warning(now) or "")
    return signed


# -- changes (each issues the next version, signed by the root key) ------------------------------


def _next(roster: Roster, root_key: SigningKey, now: datetime, **changes: Any) -> SignedRoster:
    changes.setdefault("expires_at", max(roster.expires_at, now + DEFAULT_VALIDITY))
    return sign_roster(replace(roster, version=roster.version + 1, issued_at=now, earlier=None,
                               **changes), root_key)


@dataclass(frozen=True, slots=True)
class NewTeam:
    root_key: SigningKey
    coordinator_id: str
    coordinator_keys: DeviceKeys
    signed: SignedRoster


def create_team(team_name: str, coordinator_name: str, *, now: datetime,
                valid_for: timedelta = DEFAULT_VALIDITY,
                escrow_recipient: str | None = None) -> NewTeam:
    """Make the team's root key, the first coordinator's keys and roster version 1."""
    root = SigningKey.generate()
    keys = DeviceKeys.generate()
    cid = new_id()
    roster = Roster(team_id=new_id(), team_name=team_name, version=1, issued_at=now,
                    expires_at=now + valid_for, root_key=root.public_key,
                    coordinators=(Coordinator(cid, coordinator_name, keys.signing.public_key,
                                              keys.identity.recipient),),
                    escrow_recipient=parse_recipient(escrow_recipient)
                    if escrow_recipient else None)
    return NewTeam(root, cid, keys, sign_roster(roster, root))


def _check_new_key(roster: Roster, public: PublicKeys) -> None:
    if roster.signer_by_key_id(public.signing_key.key_id) is not None \
            or public.signing_key == roster.root_key:
        raise RosterError(Reason.DUPLICATE_ENTRY, _("This key is already in the team roster."))


def add_coordinator(roster: Roster, root_key: SigningKey, *, name: str, public: PublicKeys,
                    now: datetime) -> tuple[str, SignedRoster]:
    _check_new_key(roster, public)
    cid = new_id()
    coord = Coordinator(cid, name, public.signing_key, parse_recipient(public.recipient))
    return cid, _next(roster, root_key, now, coordinators=(*roster.coordinators, coord))


def set_escrow(roster: Roster, root_key: SigningKey, recipient: str | None, *,
               now: datetime) -> SignedRoster:
    return _next(roster, root_key, now,
                 escrow_recipient=parse_recipient(recipient) if recipient else None)


def renew(roster: Roster, root_key: SigningKey, *, now: datetime,
          valid_for: timedelta = DEFAULT_VALIDITY) -> SignedRoster:
    return _next(roster, root_key, now, expires_at=now + valid_for)


def revoke_device(roster: Roster, root_key: SigningKey, device_id: str, *,
                  after_seq: int | None, now: datetime,
                  trusted_history: str | None = None) -> SignedRoster:
    """Revoke a device. Its operations up to ``after_seq`` stay trusted (``None``: none do),
    taken only from the history ending in the bundle ``trusted_history`` when one is named."""
    if roster.device(device_id) is None:
        raise RosterError(Reason.UNKNOWN_DEVICE, _("No such device in the team roster."))
    if after_seq is not None and after_seq < 0:
        raise ValueError("after_seq must be >= 0")
    devices = tuple(replace(d, status=DeviceStatus.REVOKED, revoked_after_seq=after_seq,
                            trusted_history=trusted_history if after_seq else None)
                    if d.device_id == device_id else d for d in roster.devices)
    return _next(roster, root_key, now, devices=devices)


# -- join requests ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinRequest:
    team_id: str
    device_id: str
    researcher: str
    public: PublicKeys
    created_at: datetime

    def fingerprint(self) -> str:
        return self.public.fingerprint()

    def _body(self) -> bytes:
        return canonical.dumps({
            "kind": "fieldapp-join-request", "format": REQUEST_FORMAT,
            "team_id": self.team_id, "device_id": self.device_id, "researcher": self.researcher,
            "signing_key": self.public.signing_key.to_text(), "recipient": self.public.recipient,
            "created_at": canonical.utc_text(self.created_at),
        })


def make_join_request(team_id: str, researcher: str, *, now: datetime,
                      device_id: str | None = None,
                      keys: DeviceKeys | None = None) -> tuple[DeviceKeys, bytes]:
    """On the new device: make its keys (or reuse ``keys``) and the request file. Show
    ``keys.fingerprint()``."""
    keys = keys or DeviceKeys.generate()
    request = JoinRequest(check_id(team_id), check_id(device_id or new_id()), researcher,
                          keys.public, now)
    body = request._body()
    sig = keys.signing.sign(body, trusted_comment=f"fieldapp join request {request.device_id}")
    return keys, canonical.dumps({"request": body.decode("utf-8"),
                                  "signature": sig.decode("ascii")})


def _bad_request(detail: str) -> NoReturn:
    raise RosterError(Reason.MALFORMED_REQUEST,
                      _("The join request is malformed ({detail}).").format(detail=detail))


def read_join_request(data: bytes) -> JoinRequest:
    """On the coordinator: read a request; it must be signed by the key it asks to enrol."""
    outer = canonical.loads(data, _bad_request, max_bytes=MAX_REQUEST_BYTES)
    body_text, sig_text = outer.get("request"), outer.get("signature")
    if not isinstance(body_text, str) or not isinstance(sig_text, str) or len(outer) != 2:
        _bad_request("layout")
    body = body_text.encode("utf-8")
    obj = canonical.loads(body, _bad_request, max_bytes=MAX_REQUEST_BYTES)
    if obj.get("kind") != "fieldapp-join-request" or obj.get("format") != REQUEST_FORMAT:
        _bad_request("kind")
    try:
        key, rcpt = _keys(obj)
        key.verify(body, sig_text.encode("ascii"))
        created = canonical.parse_utc(_get(obj, "created_at", str))
        return JoinRequest(check_id(obj.get("team_id")), check_id(obj.get("device_id")),
                           _name(obj, "researcher"), PublicKeys(key, rcpt), created)
    except (SignatureError, RosterError, ValueError, UnicodeEncodeError) as exc:
        raise RosterError(Reason.MALFORMED_REQUEST,
                          _("The join request is not valid or not signed by its key.")) from exc


def approve_join(roster: Roster, root_key: SigningKey, request: JoinRequest, *,
                 confirmed_fingerprint: str, now: datetime) -> SignedRoster:
    """Enrol the device, once the coordinator has confirmed the fingerprint with the researcher.

    ``confirmed_fingerprint`` is what the researcher's screen shows, read back or typed in."""
    if request.team_id != roster.team_id:
        raise RosterError(Reason.WRONG_TEAM, _("This join request is for another team."))
    if not fingerprints_match(confirmed_fingerprint, request.fingerprint()):
        raise RosterError(Reason.KEY_MISMATCH, _(
            "The fingerprints differ: do not approve. The request may not come from this "
            "researcher's device."))
    if roster.device(request.device_id) is not None:
        raise RosterError(Reason.DUPLICATE_ENTRY, _("This device is already enrolled."))
    _check_new_key(roster, request.public)
    device = Device(request.device_id, request.researcher, request.public.signing_key,
                    request.public.recipient)
    return _next(roster, root_key, now, devices=(*roster.devices, device))


# -- the invitation: root key with a check code --------------------------------------------------


def _compact(text: str) -> str:
    """What was typed or pasted, without spaces or line breaks; full-width letters and digits
    (typed with a Chinese input method) folded to ASCII."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _check_code(key_text: str, team_id: str) -> str:
    digest = hashlib.blake2b(f"{team_id}\0{key_text}".encode(), digest_size=16,
                             person=_CHECK_PERSON).digest()
    return base64.b32encode(digest).decode("ascii")[:CHECK_CODE_LENGTH]


def invitation_key(root_key: VerifyKey, team_id: str) -> str:
    """The root key as ``team invite`` prints it: ``RW…-CHECKCOD``, the check code covering the
    key and the team id."""
    text = root_key.to_text()
    return f"{text}-{_check_code(text, team_id)}"


def parse_invitation_key(text: str, team_id: str) -> VerifyKey:
    """The root key from what a researcher typed: ``RW…-CHECKCOD`` (checked against the team id:
    one wrong character in either is refused), or a bare ``RW…`` key as earlier versions
    printed it (then only the root fingerprint, compared by phone, catches a typing error)."""
    compact, team = _compact(text), _compact(team_id)
    key_text, sep, code = compact.rpartition("-")
    if not sep:
        key_text, code = compact, ""
    try:
        key = VerifyKey.from_text(key_text)
    except (SignatureError, ValueError) as exc:
        raise RosterError(Reason.MALFORMED_KEY, _(
            "This is not a team root key. Copy it again from the invitation (it starts with "
            "RW).")) from exc
    if sep and code.upper() != _check_code(key.to_text(), team):
        raise RosterError(Reason.KEY_MISMATCH, _(
            "The root key or the team ID has a typing error: its check code does not match. "
            "Copy both again from the invitation; nothing was changed."))
    return key


def root_key_fingerprint(root_key: VerifyKey) -> str:
    """The root key's fingerprint, read out by phone: it covers the key and its minisign key id
    (a key id copied wrongly would make every roster signature fail to verify)."""
    return fingerprint(root_key, root_key.key_id.hex())


def root_fingerprint_matches(root_key: VerifyKey, typed: str) -> bool:
    """Whether the digits a coordinator read out are this root key's fingerprint."""
    return fingerprints_match(typed, root_key_fingerprint(root_key))
