"""The team: keys, roster and shared store, as one workspace sees them (DESIGN.md §6).

Everything secret (the device's signing and age keys, a coordinator's root key, a WebDAV
password) is kept in the workspace's ``meta`` table, i.e. inside the encrypted database; the
shared store only ever holds signed or encrypted files.

A researcher's device id in the roster is its workspace's device id, so the operations it signs
carry the id the roster vouches for. A coordinator's workspace is enrolled as a coordinator under
its own device id as well.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fieldapp.i18n import _
from fieldapp.store.errors import FieldappError, InvalidInput
from fieldapp.store.workspace import Workspace
from fieldapp.sync import layout
from fieldapp.sync.backends.base import SharedStore
from fieldapp.sync.backends.folder import FolderStore
from fieldapp.sync.backends.webdav import WebDavStore
from fieldapp.sync.keys import DeviceKeys, SigningKey, VerifyKey, fingerprints_match
from fieldapp.sync.roster import (
    Coordinator,
    Roster,
    RosterSeen,
    SignedRoster,
    add_coordinator,
    approve_join,
    make_join_request,
    read_join_request,
    revoke_device,
    roster_from_json,
    sign_roster,
    verify_roster,
)
from fieldapp.sync.roster import renew as roster_renew
from fieldapp.sync.roster import set_escrow as roster_set_escrow

ROLE_COORDINATOR = "coordinator"
ROLE_RESEARCHER = "researcher"
MAX_ROSTER_FILE = 1024 * 1024
ROSTER_PATH = "roster/roster.json"
ROSTER_SIG_PATH = "roster/roster.json.minisig"


class NotInTeam(FieldappError):
    @property
    def message(self) -> str:
        return _("This workspace is not part of a team yet. Create a team (coordinator) or join "
                 "one (researcher) first.")


class NotCoordinator(FieldappError):
    @property
    def message(self) -> str:
        return _("Only a coordinator's workspace can do this.")


@dataclass(frozen=True)
class StoreConfig:
    """Where the shared store is: a folder path, or a WebDAV URL with a user and password."""

    location: str
    user: str = ""
    password: str = ""

    @property
    def is_webdav(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    def open(self) -> SharedStore:
        if self.is_webdav:
            return WebDavStore(self.location, user=self.user or None,
                               password=self.password or None)
        return FolderStore(self.location)

    def to_json(self) -> str:
        return json.dumps({"location": self.location, "user": self.user,
                           "password": self.password})

    @classmethod
    def from_json(cls, text: str) -> StoreConfig:
        data = json.loads(text)
        return cls(data["location"], data.get("user", ""), data.get("password", ""))


def _now() -> datetime:
    return datetime.now(UTC)


# -- what the workspace remembers --------------------------------------------------------------

def role(ws: Workspace) -> str:
    return ws.meta("team.role")


def device_keys(ws: Workspace) -> DeviceKeys:
    raw = ws.meta("team.keys")
    if not raw:
        raise NotInTeam()
    return DeviceKeys.from_bytes(base64.b64decode(raw))


def member_id(ws: Workspace) -> str:
    return ws.meta("team.member_id") or ws.device_id


def store_config(ws: Workspace) -> StoreConfig:
    raw = ws.meta("team.store")
    if not raw:
        raise NotInTeam()
    return StoreConfig.from_json(raw)


def set_store(ws: Workspace, config: StoreConfig) -> None:
    ws.set_meta("team.store", config.to_json())


def open_store(ws: Workspace) -> SharedStore:
    """The team's store; close it with :func:`close_store` (or use :func:`connected`)."""
    return store_config(ws).open()


def close_store(store: SharedStore) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


@contextmanager
def connected(ws: Workspace, store: SharedStore | None = None) -> Iterator[SharedStore]:
    """``with connected(ws) as store``: the given store, or the team's, closed afterwards."""
    if store is not None:
        yield store
        return
    opened = open_store(ws)
    try:
        yield opened
    finally:
        close_store(opened)


def roster(ws: Workspace) -> Roster:
    raw = ws.meta("team.roster")
    if not raw:
        raise NotInTeam()
    return roster_from_json(json.loads(raw))


def _root_public(ws: Workspace) -> VerifyKey:
    return VerifyKey.from_text(ws.meta("team.root_public"))


def _remember_roster(ws: Workspace, signed: SignedRoster) -> None:
    with ws.transaction():
        ws._set_meta("team.roster", signed.data.decode("utf-8"))
        ws._set_meta("team.roster_sig", signed.signature.decode("ascii"))
        ws._set_meta("team.roster_seen", json.dumps([signed.seen.version, signed.seen.digest]))


def _seen(ws: Workspace) -> RosterSeen | None:
    raw = ws.meta("team.roster_seen")
    if not raw:
        return None
    version, digest = json.loads(raw)
    return RosterSeen(int(version), str(digest))


def _root_key(ws: Workspace) -> SigningKey:
    raw = ws.meta("team.root_key")
    if not raw:
        raise NotCoordinator()
    return SigningKey.from_bytes(base64.b64decode(raw))


def publish_roster(ws: Workspace, signed: SignedRoster, store: SharedStore | None = None) -> None:
    with connected(ws, store) as shared:
        shared.write_atomic(layout.roster_version_path(signed.roster.version), signed.data)
        shared.write_atomic(ROSTER_PATH, signed.data)
        shared.write_atomic(ROSTER_SIG_PATH, signed.signature)
    _remember_roster(ws, signed)


# -- coordinator ---------------------------------------------------------------------------

def create_team(ws: Workspace, *, team_name: str, coordinator_name: str, store: StoreConfig,
                escrow_recipient: str | None = None) -> Roster:
    """Make the team's root key and roster with this workspace as its first coordinator."""
    if role(ws):
        raise InvalidInput(_("This workspace already belongs to a team."))
    from fieldapp.sync.roster import DEFAULT_VALIDITY, new_id

    root = SigningKey.generate()
    keys = DeviceKeys.generate()
    now = _now()
    team = Roster(team_id=new_id(), team_name=team_name, version=1, issued_at=now,
                  expires_at=now + DEFAULT_VALIDITY, root_key=root.public_key,
                  coordinators=(Coordinator(ws.device_id, coordinator_name,
                                            keys.signing.public_key, keys.identity.recipient),),
                  escrow_recipient=escrow_recipient or None)
    signed = sign_roster(team, root)
    shared = store.open()
    try:
        shared.list("")  # reachable before anything is remembered
    finally:
        close_store(shared)
    with ws.transaction():
        ws._set_meta("team.role", ROLE_COORDINATOR)
        ws._set_meta("team.keys", base64.b64encode(keys.to_bytes()).decode("ascii"))
        ws._set_meta("team.root_key", base64.b64encode(root.to_bytes()).decode("ascii"))
        ws._set_meta("team.root_public", root.public_key.to_text())
        ws._set_meta("team.member_id", ws.device_id)
        ws._set_meta("team.store", store.to_json())
    publish_roster(ws, signed)
    ws.audit("team.create", {"team_id": team.team_id, "team_name": team_name})
    return team


def pending_join_requests(ws: Workspace) -> list[dict[str, Any]]:
    """Join requests in the store from devices not yet enrolled, with their fingerprints."""
    if role(ws) != ROLE_COORDINATOR:
        raise NotCoordinator()
    current = roster(ws)
    out = []
    with connected(ws) as store:
        requests = [read_join_request(store.read_bytes(f"join/{e.name}", max_bytes=64 * 1024))
                    for e in store.list("join") if not e.is_dir and e.name.endswith(".request")]
    for request in requests:
        if request.team_id != current.team_id or current.device(request.device_id):
            continue
        out.append({"device_id": request.device_id, "researcher": request.researcher,
                    "fingerprint": request.fingerprint(),
                    "created_at": request.created_at.isoformat(timespec="seconds")})
    return out


def approve(ws: Workspace, device_id: str, confirmed_fingerprint: str, *,
            as_coordinator: bool = False) -> Roster:
    """Enrol the device behind a join request, once its fingerprint has been compared. With
    ``as_coordinator`` it joins as a further coordinator: bundles are encrypted to it too, and
    it can collect and publish (but only the root key's holder changes the roster)."""
    with connected(ws) as store:
        request = read_join_request(store.read_bytes(layout.join_request_path(device_id),
                                                     max_bytes=64 * 1024))
        if as_coordinator:
            if not fingerprints_match(confirmed_fingerprint, request.fingerprint()):
                from fieldapp.sync.errors import Reason, RosterError

                raise RosterError(Reason.KEY_MISMATCH, _(
                    "The fingerprints differ: do not approve. The request may not come from "
                    "this researcher's device."))
            _cid, signed = add_coordinator(roster(ws), _root_key(ws), name=request.researcher,
                                           public=request.public, now=_now())
        else:
            signed = approve_join(roster(ws), _root_key(ws), request,
                                  confirmed_fingerprint=confirmed_fingerprint, now=_now())
        publish_roster(ws, signed, store)
    ws.audit("team.approve", {"device_id": device_id, "researcher": request.researcher,
                              "coordinator": as_coordinator})
    return signed.roster


def set_escrow(ws: Workspace, recipient: str | None) -> Roster:
    """Add (or with ``None`` remove) an escrow age recipient whose identity is kept offline:
    every later bundle can also be decrypted with it."""
    signed = roster_set_escrow(roster(ws), _root_key(ws), recipient, now=_now())
    publish_roster(ws, signed)
    ws.audit("team.escrow", {"set": recipient is not None})
    return signed.roster


def renew(ws: Workspace) -> Roster:
    """Issue the roster again with a new expiry date (it warns 30 days before it expires)."""
    signed = roster_renew(roster(ws), _root_key(ws), now=_now())
    publish_roster(ws, signed)
    ws.audit("team.renew", {"expires_at": signed.roster.expires_at.isoformat()})
    return signed.roster


def revoke(ws: Workspace, device_id: str, after_seq: int | None) -> Roster:
    from fieldapp.services import sync  # sync builds on this module

    history = sync.trusted_history(ws, device_id, after_seq) if after_seq else None
    signed = revoke_device(roster(ws), _root_key(ws), device_id, after_seq=after_seq, now=_now(),
                           trusted_history=history)
    publish_roster(ws, signed)
    ws.audit("team.revoke", {"device_id": device_id, "after_seq": after_seq,
                             "trusted_history": history})
    return signed.roster


def invitation(ws: Workspace) -> dict[str, str]:
    """What a researcher needs to join: the team id and the root key's public half and
    fingerprint (read out in person or by phone), and where the store is."""
    current = roster(ws)
    return {"team_id": current.team_id, "team_name": current.team_name,
            "root_key": ws.meta("team.root_public"),
            "root_fingerprint": current.root_fingerprint(),
            "store": store_config(ws).location}


# -- researcher ----------------------------------------------------------------------------

def request_to_join(ws: Workspace, *, team_id: str, root_key: str, researcher: str,
                    store: StoreConfig) -> str:
    """Make this device's keys and put a join request in the store. Returns the fingerprint
    both sides compare before the coordinator approves."""
    if role(ws):
        raise InvalidInput(_("This workspace already belongs to a team."))
    VerifyKey.from_text(root_key)  # refuse a mistyped key now, not at the first roster
    keys, request = make_join_request(team_id, researcher, now=_now(), device_id=ws.device_id)
    shared = store.open()
    try:
        shared.write_atomic(layout.join_request_path(ws.device_id), request)
    finally:
        close_store(shared)
    with ws.transaction():
        ws._set_meta("team.role", ROLE_RESEARCHER)
        ws._set_meta("team.keys", base64.b64encode(keys.to_bytes()).decode("ascii"))
        ws._set_meta("team.root_public", root_key)
        ws._set_meta("team.team_id", team_id)
        ws._set_meta("team.member_id", ws.device_id)
        ws._set_meta("team.store", store.to_json())
    ws.audit("team.join_request", {"team_id": team_id})
    return keys.fingerprint()


def refresh_roster(ws: Workspace, store: SharedStore | None = None) -> Roster:
    """Fetch the roster from the store and accept it if the pinned root key signed it and it
    is not older than the one already accepted."""
    with connected(ws, store) as shared:
        data = shared.read_bytes(ROSTER_PATH, max_bytes=MAX_ROSTER_FILE)
        sig = shared.read_bytes(ROSTER_SIG_PATH, max_bytes=16 * 1024)
    signed = verify_roster(data, sig, root_key=_root_public(ws), last_seen=_seen(ws))
    expected_team = ws.meta("team.team_id")
    if expected_team and signed.roster.team_id != expected_team:
        from fieldapp.sync.errors import Reason, RosterError

        raise RosterError(Reason.WRONG_TEAM, _("The shared store holds another team's roster."))
    if _seen(ws) != signed.seen:
        _remember_roster(ws, signed)
        _take_up_coordinator_role(ws, signed.roster)
    return signed.roster


def _take_up_coordinator_role(ws: Workspace, current: Roster) -> None:
    """A device approved as a coordinator finds itself in the roster by its signing key."""
    if role(ws) == ROLE_COORDINATOR:
        return
    mine = device_keys(ws).signing.public_key
    for coordinator in current.coordinators:
        if coordinator.signing_key == mine:
            with ws.transaction():
                ws._set_meta("team.role", ROLE_COORDINATOR)
                ws._set_meta("team.member_id", coordinator.coordinator_id)
            ws.audit("team.coordinator", {"coordinator_id": coordinator.coordinator_id})
            return


def is_enrolled(ws: Workspace) -> bool:
    try:
        current = roster(ws)
    except NotInTeam:
        return False
    me = member_id(ws)
    return current.device(me) is not None or current.coordinator(me) is not None


def fingerprint(ws: Workspace) -> str:
    return device_keys(ws).fingerprint()


def export_identity(ws: Workspace) -> str:
    """The age identity (secret) that decrypts bundles sent to this workspace, for reading a
    bundle with the standard ``age`` tool or for escrow. The caller writes it only where the
    user chose, and the export is in the audit log."""
    ws.audit("team.export_identity", {})
    return device_keys(ws).identity.to_bytes().decode("ascii")
