"""The team: keys, roster and shared store, as one workspace sees them.

Everything secret (the device's signing and age keys, a coordinator's root key, a WebDAV
password) is kept in the workspace's ``meta`` table, i.e. inside the encrypted database; the
shared store only ever holds signed or encrypted files.

A researcher's device id in the roster is its workspace's device id, so the operations it signs
carry the id the roster vouches for. A coordinator's workspace is enrolled as a coordinator under
its own device id as well.

Every roster version the workspace accepts is kept (``team.roster_history.<version>``, with its
signature), so bundles made under an earlier version stay readable after the roster changes; a
roster change republishes this coordinator's team bundle to the new readers. Leaving a team
forgets the team but keeps every record and this device's keys.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fieldapp.i18n import _
from fieldapp.store.errors import FieldappError, InvalidInput
from fieldapp.store.workspace import Workspace
from fieldapp.sync import layout
from fieldapp.sync.backends.base import SharedStore
from fieldapp.sync.backends.folder import FolderStore
from fieldapp.sync.backends.webdav import WebDavStore
from fieldapp.sync.errors import Reason, RosterError, StoreError, SyncError
from fieldapp.sync.keys import DeviceKeys, SigningKey, VerifyKey, fingerprints_match
from fieldapp.sync.roster import (
    Coordinator,
    JoinRequest,
    Roster,
    RosterSeen,
    SignedRoster,
    add_coordinator,
    approve_join,
    invitation_key,
    make_join_request,
    parse_invitation_key,
    read_join_request,
    revoke_device,
    root_fingerprint_matches,
    root_key_fingerprint,
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
SIG_SUFFIX = ".minisig"
MAX_SIG_FILE = 16 * 1024
MAX_REQUEST_FILE = 64 * 1024
#: how many missing earlier roster versions one refresh fetches from the store
MAX_VERSIONS_FETCHED = 32
_HISTORY = "team.roster_history."
_HISTORY_INDEX = "team.roster_versions"
#: what leaving a team forgets (the device keys stay: see leave_team)
_TEAM_KEYS = ("team.role", "team.roster", "team.roster_sig", "team.roster_seen",
              "team.root_public", "team.team_id", "team.member_id", "team.store",
              "team.republish_due", _HISTORY_INDEX)


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
    """The newest roster this workspace accepted; its earlier versions are looked up in the
    workspace's roster history when a bundle names one."""
    raw = ws.meta("team.roster")
    if not raw:
        raise NotInTeam()
    current = roster_from_json(json.loads(raw))
    return replace(current, earlier=lambda version: _earlier_roster(ws, version))


def _earlier_roster(ws: Workspace, version: int) -> Roster | None:
    raw = ws.meta(f"{_HISTORY}{version:06d}")
    if not raw:
        return None
    try:
        kept = json.loads(raw)
        # Checked again: the history is only as good as the root key's signature on it.
        return verify_roster(str(kept["data"]).encode("utf-8"),
                             str(kept["sig"]).encode("ascii"), root_key=_root_public(ws)).roster
    except (SyncError, ValueError, KeyError, TypeError):
        return None


def roster_versions(ws: Workspace) -> list[int]:
    """The roster versions this workspace has accepted and kept, oldest first."""
    raw = ws.meta(_HISTORY_INDEX)
    return sorted(int(v) for v in json.loads(raw)) if raw else []


def _keep_version(ws: Workspace, signed: SignedRoster) -> None:
    """Add a verified roster version to the history (inside the caller's transaction)."""
    version = signed.roster.version
    ws._set_meta(f"{_HISTORY}{version:06d}", json.dumps({
        "data": signed.data.decode("utf-8"), "sig": signed.signature.decode("ascii")}))
    versions = set(roster_versions(ws))
    versions.add(version)
    ws._set_meta(_HISTORY_INDEX, json.dumps(sorted(versions)))


def _root_public(ws: Workspace) -> VerifyKey:
    return VerifyKey.from_text(ws.meta("team.root_public"))


def _remember_roster(ws: Workspace, signed: SignedRoster) -> None:
    with ws.transaction():
        ws._set_meta("team.roster", signed.data.decode("utf-8"))
        ws._set_meta("team.roster_sig", signed.signature.decode("ascii"))
        ws._set_meta("team.roster_seen", json.dumps([signed.seen.version, signed.seen.digest]))
        _keep_version(ws, signed)


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


def _write_roster(shared: SharedStore, signed: SignedRoster) -> None:
    # Each version is kept beside the current one, signed, so a device that missed a version
    # can still check bundles made under it.
    version_path = layout.roster_version_path(signed.roster.version)
    shared.write_atomic(version_path, signed.data)
    shared.write_atomic(version_path + SIG_SUFFIX, signed.signature)
    shared.write_atomic(ROSTER_PATH, signed.data)
    shared.write_atomic(ROSTER_SIG_PATH, signed.signature)


def publish_roster(ws: Workspace, signed: SignedRoster, store: SharedStore | None = None) -> None:
    """Put a new roster version in the store and accept it here; then the team bundle is
    published again, addressed to the new roster's readers."""
    with connected(ws, store) as shared:
        _write_roster(shared, signed)
    _remember_roster(ws, signed)
    republish_team_bundle(ws)


def republish_team_bundle(ws: Workspace) -> bool:
    """Publish this coordinator's team bundle again, addressed to the current roster (a new
    researcher can read it, a revoked device cannot read what follows), if it has published one.
    A failure is remembered and retried at the next refresh; returns whether it is done."""
    if role(ws) != ROLE_COORDINATOR:
        return True
    from fieldapp.services import sync

    try:
        with connected(ws) as shared:
            folder = f"{layout.TEAM_DIR}/{member_id(ws)}"
            published = any(layout.parse_bundle_file_name(e.name) for e in shared.list(folder))
        if published:
            sync.publish(ws)
    except SyncError as exc:
        ws.set_meta("team.republish_due", "1")
        ws.audit("team.republish_failed", {"reason": exc.reason.value})
        return False
    ws.set_meta("team.republish_due", "")
    return True


def republish_due(ws: Workspace) -> bool:
    """Whether the team bundle still has to be published to the roster's new readers."""
    return bool(ws.meta("team.republish_due"))


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
    # The store is checked -- reachable, not another team's, writable -- and the roster is in it
    # before anything is saved here, so a wrong address or a missing WebDAV collection leaves
    # the workspace as it was and the same command can simply be run again.
    shared = store.open()
    try:
        if shared.exists(ROSTER_PATH):
            raise InvalidInput(_(
                "The shared store {store} already holds a team's roster. Use an empty folder "
                "for a new team, or join that team; nothing was saved.").format(
                    store=store.location))
        try:
            _write_roster(shared, signed)
        except StoreError as exc:
            raise StoreError(exc.reason, _(
                "The shared store {store} cannot be written to: {error} Check that the folder "
                "(or WebDAV collection) exists and that you may write to it; nothing was "
                "saved.").format(store=store.location, error=exc.message)) from exc
    finally:
        close_store(shared)
    with ws.transaction():
        ws._set_meta("team.role", ROLE_COORDINATOR)
        ws._set_meta("team.keys", base64.b64encode(keys.to_bytes()).decode("ascii"))
        ws._set_meta("team.root_key", base64.b64encode(root.to_bytes()).decode("ascii"))
        ws._set_meta("team.root_public", root.public_key.to_text())
        ws._set_meta("team.team_id", team.team_id)
        ws._set_meta("team.member_id", ws.device_id)
        ws._set_meta("team.store", store.to_json())
    _remember_roster(ws, signed)
    ws.audit("team.create", {"team_id": team.team_id, "team_name": team_name})
    return team


def pending_join_requests(ws: Workspace, unreadable: list[str] | None = None
                          ) -> list[dict[str, Any]]:
    """Join requests in the store from devices not yet enrolled (as a researcher or as a
    coordinator), with their fingerprints. A request file that cannot be read is left out and
    its store path appended to ``unreadable``: one bad file does not hide the others."""
    if role(ws) != ROLE_COORDINATOR:
        raise NotCoordinator()
    current = roster(ws)
    requests: list[JoinRequest] = []
    with connected(ws) as store:
        for entry in store.list(layout.JOIN_DIR):
            if entry.is_dir or not entry.name.endswith(".request"):
                continue
            path = f"{layout.JOIN_DIR}/{entry.name}"
            try:
                requests.append(read_join_request(store.read_bytes(
                    path, max_bytes=MAX_REQUEST_FILE)))
            except SyncError:
                if unreadable is not None:
                    unreadable.append(path)
    out = []
    for request in requests:
        if request.team_id != current.team_id or current.device(request.device_id) \
                or current.signer_by_key_id(request.public.signing_key.key_id) is not None:
            continue
        out.append({"device_id": request.device_id, "researcher": request.researcher,
                    "fingerprint": request.fingerprint(),
                    "created_at": request.created_at.isoformat(timespec="seconds")})
    return sorted(out, key=lambda r: (r["created_at"], r["device_id"]))


def approve(ws: Workspace, device_id: str, confirmed_fingerprint: str, *,
            as_coordinator: bool = False) -> Roster:
    """Enrol the device behind a join request, once its fingerprint has been compared. With
    ``as_coordinator`` it joins as a further coordinator: bundles are encrypted to it too, and
    it can collect and publish (but only the root key's holder changes the roster)."""
    with connected(ws) as store:
        request = read_join_request(store.read_bytes(layout.join_request_path(device_id),
                                                     max_bytes=MAX_REQUEST_FILE))
        if as_coordinator:
            if not fingerprints_match(confirmed_fingerprint, request.fingerprint()):
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
    from fieldapp.services import merging  # merging builds on this module

    history = merging.trusted_history(ws, device_id, after_seq) if after_seq else None
    signed = revoke_device(roster(ws), _root_key(ws), device_id, after_seq=after_seq, now=_now(),
                           trusted_history=history)
    publish_roster(ws, signed)
    ws.audit("team.revoke", {"device_id": device_id, "after_seq": after_seq,
                             "trusted_history": history})
    return signed.roster


def invitation(ws: Workspace) -> dict[str, str]:
    """What a researcher needs to join: the team id, the root key's public half with a check
    code over both (a typing error in either is caught at join), its fingerprint (read out in
    person or by phone), and where the store is."""
    current = roster(ws)
    return {"team_id": current.team_id, "team_name": current.team_name,
            "root_key": invitation_key(current.root_key, current.team_id),
            "root_fingerprint": current.root_fingerprint(),
            "store": store_config(ws).location}


def root_fingerprint(ws: Workspace) -> str:
    """The fingerprint of the root key this workspace trusts (to compare with the
    coordinator's), also before the first roster arrived."""
    raw = ws.meta("team.root_public")
    return fingerprint_of_root(raw) if raw else ""


def fingerprint_of_root(root_key_text: str, team_id: str = "") -> str:
    """The fingerprint of a root key as typed, with or without its check code (checked against
    ``team_id``). Raises :class:`RosterError` when the key or its check code is wrong."""
    return root_key_fingerprint(parse_invitation_key(root_key_text, team_id))


# -- researcher ----------------------------------------------------------------------------

def request_to_join(ws: Workspace, *, team_id: str, root_key: str, researcher: str,
                    store: StoreConfig, root_fingerprint: str | None = None) -> str:
    """Make this device's keys (or reuse those it kept when it left a team) and put a join
    request in the store. Returns the fingerprint both sides compare before the coordinator
    approves.

    ``root_key`` is checked at once: its check code (``RW…-CODE`` as ``team invite`` prints it)
    must match the key and ``team_id``, and ``root_fingerprint`` -- the digits the coordinator
    reads out -- must be the key's. A bare key without a check code needs the fingerprint.
    Nothing is saved when a check fails."""
    if role(ws):
        raise InvalidInput(_("This workspace already belongs to a team. To join another team, "
                             "or the same team again, leave it first (fieldapp team leave, or "
                             "Leave the team on the Team page)."))
    from fieldapp.sync.roster import check_id

    try:
        team_id = check_id("".join(team_id.split()))
    except RosterError as exc:
        raise InvalidInput(_("The team ID is not valid. Copy it again from the invitation."
                             )) from exc
    root = parse_invitation_key(root_key, team_id)
    if root_fingerprint is not None and root_fingerprint.strip():
        if not root_fingerprint_matches(root, root_fingerprint):
            raise RosterError(Reason.KEY_MISMATCH, _(
                "The root key's fingerprint differs from the one your coordinator reads out: "
                "do not join. Check the root key and the team ID with your coordinator; nothing "
                "was changed."))
    elif "-" not in root_key:
        raise InvalidInput(_("Give the root key fingerprint your coordinator reads out: this "
                             "root key has no check code."))
    kept = ws.meta("team.keys")
    keys, request = make_join_request(
        team_id, researcher, now=_now(), device_id=ws.device_id,
        keys=DeviceKeys.from_bytes(base64.b64decode(kept)) if kept else None)
    shared = store.open()
    try:
        shared.write_atomic(layout.join_request_path(ws.device_id), request)
    finally:
        close_store(shared)
    with ws.transaction():
        ws._set_meta("team.role", ROLE_RESEARCHER)
        ws._set_meta("team.keys", base64.b64encode(keys.to_bytes()).decode("ascii"))
        ws._set_meta("team.root_public", root.to_text())
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
        sig = shared.read_bytes(ROSTER_SIG_PATH, max_bytes=MAX_SIG_FILE)
        root = _root_public(ws)
        signed = verify_roster(data, sig, root_key=root, last_seen=_seen(ws))
        expected_team = ws.meta("team.team_id")
        if expected_team and signed.roster.team_id != expected_team:
            raise RosterError(Reason.WRONG_TEAM,
                              _("The shared store holds another team's roster."))
        seen = _seen(ws)
        changed = seen != signed.seen
        if changed:
            _fetch_missed_versions(ws, shared, root, signed.roster,
                                   seen.version if seen else signed.roster.version - 1)
    if changed:
        _remember_roster(ws, signed)
        _take_up_coordinator_role(ws, signed.roster)
    if (changed and seen is not None) or republish_due(ws):
        republish_team_bundle(ws)
    return roster(ws)


def _fetch_missed_versions(ws: Workspace, shared: SharedStore, root: VerifyKey, new: Roster,
                           last: int) -> None:
    """Keep the signed versions between the last one accepted and ``new`` that the store holds
    (bundles made under them stay readable). One that is missing or does not verify is skipped."""
    kept = set(roster_versions(ws))
    for version in range(max(last + 1, new.version - MAX_VERSIONS_FETCHED), new.version):
        if version in kept or version < 1:
            continue
        path = layout.roster_version_path(version)
        try:
            signed = verify_roster(shared.read_bytes(path, max_bytes=MAX_ROSTER_FILE),
                                   shared.read_bytes(path + SIG_SUFFIX, max_bytes=MAX_SIG_FILE),
                                   root_key=root)
        except SyncError:
            continue
        if signed.roster.version != version or signed.roster.team_id != new.team_id:
            continue
        with ws.transaction():
            _keep_version(ws, signed)


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


def holds_root_key(ws: Workspace) -> bool:
    """Whether this workspace keeps the team's root key (the one that changes the roster)."""
    return bool(ws.meta("team.root_key"))


def leave_team(ws: Workspace, *, forget_root_key: bool = False) -> int:
    """Leave the team: forget its roster, root key, store and password, keep every record.

    This device's own keys are kept: joining the same team again needs no new approval when the
    roster still lists the device. The workspace that holds the team's root key leaves only with
    ``forget_root_key`` (without the root key nobody can approve, revoke or renew any more).
    Returns how many of this device's changes the coordinators had not acknowledged when last
    seen (they stay here and are sent after joining again)."""
    if not role(ws):
        raise NotInTeam()
    if ws.meta("team.root_key") and not forget_root_key:
        raise InvalidInput(_(
            "This workspace holds the team's root key: after leaving, nobody could approve, "
            "revoke or renew devices any more. Copy the workspace folder to keep the key, then "
            "leave with --forget-root-key (or confirm on the Team page)."))
    team_id = ws.meta("team.team_id") or (roster(ws).team_id if ws.meta("team.roster") else "")
    acked = int(ws.meta("sync.acked_seen") or 0)
    if ws.meta("team.roster"):
        from fieldapp.services import sync

        try:
            with connected(ws) as shared:
                acked = max(acked, sync.acknowledged_seq(ws, shared))
        except SyncError:
            pass  # the store cannot be reached: what was last seen will do
    unsent = len(ws.ops(device=ws.device_id, after_seq=acked))
    with ws.transaction():
        for version in roster_versions(ws):
            ws._set_meta(f"{_HISTORY}{version:06d}", "")
        for key in _TEAM_KEYS:
            ws._set_meta(key, "")
        if forget_root_key:
            ws._set_meta("team.root_key", "")
        ws.audit("team.leave", {"team_id": team_id, "root_key_forgotten": forget_root_key,
                                "unacknowledged": unsent}, in_transaction=True)
    return unsent


def member_names(ws: Workspace) -> dict[str, str]:
    """Device id → the name people know it by: every coordinator's and device's name in the
    verified roster, and this device's own researcher (also outside a team)."""
    names = {ws.device_id: ws.meta("researcher")} if ws.meta("researcher") else {}
    try:
        current = roster(ws)
    except NotInTeam:
        return names
    names.update({c.coordinator_id: c.name for c in current.coordinators})
    names.update({d.device_id: d.researcher for d in current.devices})
    return names


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

