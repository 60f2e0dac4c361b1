"""Sending and collecting bundles through the team's shared store.

* A researcher **sends** a bundle of its own operations since the coordinators' last
  acknowledgement (so a lost bundle heals itself), with the attachments they add.
* A coordinator **collects**: every new bundle is verified (fieldapp.sync.bundle), checked
  against the roster, dry-run to catch a bundle that would delete most of the data, merged
  through the store's one code path, acknowledged in the store, and written to the audit log.
* A coordinator **publishes** a team bundle (shared records: study, codebook, organisations,
  participant profiles, instruments, and erase orders), and for each blind coder a relay bundle
  of the notes assigned to that device alone (an empty one for every other active device, in
  folders only the two ends can name); researchers **receive** the team bundles and their own
  relay bundles.

Every step is safe to repeat: a bundle already merged is skipped; a bundle that fails verification
changes nothing and is reported with its reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from fieldapp import __version__
from fieldapp.domain.ops import (
    ERASE,
    Op,
)
from fieldapp.domain.schema import ENTITIES
from fieldapp.i18n import _
from fieldapp.services import blind, records, team
from fieldapp.services.merging import (
    BundleResult,
    check_history,
    merge_bundle,
    meta_json,
    open_verified,
    parse_ops,
    refuse,
    trusted_of,
)
from fieldapp.store.attachments import DecryptingReader
from fieldapp.store.folder import SCHEMA_VERSION
from fieldapp.store.oplog import encoded_ops
from fieldapp.store.workspace import Workspace
from fieldapp.sync import canonical, layout
from fieldapp.sync.backends.base import SharedStore
from fieldapp.sync.bundle import (
    RELAY_PAD,
    Attachment,
    Audience,
    BundleInfo,
    VerifiedBundle,
    is_padding,
)
from fieldapp.sync.bundle import write_bundle as _write_bundle
from fieldapp.sync.errors import Reason, SignatureError, SyncError
from fieldapp.sync.keys import relay_tag
from fieldapp.sync.manifest import FORMAT_VERSION
from fieldapp.sync.roster import Roster

SHARED_ENTITIES = tuple(name for name, e in ENTITIES.items() if not e.owned)
Progress = Callable[[str], None]


@dataclass
class SendResult:
    store_path: str = ""
    ops: int = 0
    attachments: int = 0
    seq_range: tuple[int, int] = (0, 0)

    @property
    def sent(self) -> bool:
        return bool(self.store_path)


@dataclass
class CollectReport:
    bundles: list[BundleResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for b in self.bundles if b.status == status)


def _now() -> datetime:
    return datetime.now(UTC)


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


# -- acknowledgements ----------------------------------------------------------------------

def _ack_body(team_id: str, device_id: str, coordinator_id: str, merged: int) -> bytes:
    return canonical.dumps({"kind": "fieldapp-ack", "team_id": team_id, "device_id": device_id,
                            "coordinator_id": coordinator_id, "merged_through": merged,
                            "at": canonical.utc_text(_now())})


def _write_ack(ws: Workspace, store: SharedStore, device_id: str, merged: int) -> None:
    keys = team.device_keys(ws)
    current = team.roster(ws)
    body = _ack_body(current.team_id, device_id, team.member_id(ws), merged)
    sig = keys.signing.sign(body, trusted_comment=f"fieldapp ack {device_id} {merged}")
    store.write_atomic(layout.ack_path(team.member_id(ws), device_id),
                       canonical.dumps({"ack": body.decode("utf-8"),
                                        "signature": sig.decode("ascii")}))


def acknowledged_seq(ws: Workspace, store: SharedStore) -> int:
    """The sequence every coordinator has merged through (0 when any has not answered)."""
    current = team.roster(ws)
    me = team.member_id(ws)
    merged: list[int] = []
    for coordinator in current.coordinators:
        path = layout.ack_path(coordinator.coordinator_id, me)
        if not store.exists(path):
            merged.append(0)
            continue
        try:
            outer = json.loads(store.read_bytes(path, max_bytes=16 * 1024))
            body = str(outer["ack"]).encode("utf-8")
            coordinator.signing_key.verify(body, str(outer["signature"]).encode("ascii"))
            ack = json.loads(body)
        except (SignatureError, ValueError, KeyError, TypeError):
            merged.append(0)  # an unreadable or forged acknowledgement counts as none
            continue
        if ack.get("team_id") != current.team_id or ack.get("device_id") != me:
            merged.append(0)
            continue
        merged.append(int(ack.get("merged_through", 0)))
    return min(merged) if merged else 0


# -- sending -------------------------------------------------------------------------------

def pending(ws: Workspace, store: SharedStore | None = None) -> dict[str, int]:
    """What the next bundle would carry: operations by record type."""
    with team.connected(ws, store) as shared:
        team.refresh_roster(ws, shared)
        acked = acknowledged_seq(ws, shared)
    counts: dict[str, int] = {}
    for op in ws.ops(device=ws.device_id, after_seq=acked):
        counts[op.entity] = counts.get(op.entity, 0) + 1
    return counts


def _attachments_for(ws: Workspace, ops: list[Op]) -> list[Attachment]:
    out: dict[str, Attachment] = {}
    for op in ops:
        if op.entity != "attachment":
            continue
        row = records.find(ws, "attachment", op.entity_id)
        if row is None or not row["file_key"] or not row["sha256"]:
            continue
        path = ws.attachment_path(row["id"])
        if not path.exists():
            continue
        key = base64.b64decode(row["file_key"])

        def opener(path: Path = path, key: bytes = key) -> BinaryIO:
            return DecryptingReader(path, key)  # type: ignore[return-value]

        out[row["sha256"]] = Attachment(row["sha256"], int(row["size"] or 0), opener)
    return list(out.values())


def _relay_state(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Per device this coordinator relays to: ``prev`` (the hash of its last relay bundle for
    that device: each device's relay bundles form their own chain) and ``live`` (whether its
    folder may still hold one)."""
    raw = meta_json(ws, "sync.relay", {})
    return {str(k): v for k, v in raw.items() if isinstance(v, dict)} \
        if isinstance(raw, dict) else {}


def _write_out(ws: Workspace, folder: Path, *, ops: list[Op], attachments: list[Attachment],
               seq_range: tuple[int, int], audience: Audience, to: str | None = None,
               tag: str | None = None, pad_to: int = 0) -> BundleInfo:
    """Write one bundle of this member's into ``folder`` (a temporary folder inside the
    workspace folder: the bundle is encrypted before it touches the disk)."""
    prev: str | None
    if to is None:
        prev = ws.meta("sync.last_bundle_hash") or None
    else:
        prev = str(_relay_state(ws).get(to, {}).get("prev") or "") or None
    return _write_bundle(folder / f"{to or 'out'}.fab", roster=team.roster(ws),
                         device_id=team.member_id(ws), signing_key=team.device_keys(ws).signing,
                         seq_range=seq_range, prev_hash=prev,
                         ops=encoded_ops(ws.db, [o.id for o in ops]), attachments=attachments,
                         audience=audience, ops_device=ws.device_id, to=to, relay_tag=tag,
                         pad_quantum=RELAY_PAD if to is not None else 0, pad_to=pad_to,
                         schema=SCHEMA_VERSION)


def _upload(ws: Workspace, store: SharedStore, info: BundleInfo, tag: str | None = None) -> str:
    """Put a bundle written by :func:`_write_out` in the store, and remember it as the last
    of its chain (a relay bundle's with its folder's ``tag``)."""
    with open(info.path, "rb") as fh:
        store.write_atomic(info.store_path, fh)
    to = info.manifest.to
    if to is None:
        ws.set_meta("sync.last_bundle_hash", info.bundle_hash)
    else:
        relays = _relay_state(ws)
        relays[to] = {"prev": info.bundle_hash, "live": True, "tag": tag}
        ws.set_meta("sync.relay", json.dumps(relays, sort_keys=True))
    return info.store_path


def _write_and_upload(ws: Workspace, store: SharedStore, *, ops: list[Op],
                      attachments: list[Attachment], seq_range: tuple[int, int],
                      audience: Audience) -> str:
    with tempfile.TemporaryDirectory(dir=ws.path, prefix=".outbox-") as tmp:
        return _upload(ws, store, _write_out(ws, Path(tmp), ops=ops, attachments=attachments,
                                             seq_range=seq_range, audience=audience))


def send(ws: Workspace, *, progress: Progress | None = None) -> SendResult:
    """Researcher: write everything the coordinators have not acknowledged to the store."""
    with team.connected(ws) as store:
        return _send(ws, store, progress)


def _send(ws: Workspace, store: SharedStore, progress: Progress | None) -> SendResult:
    _say(progress, _("Reading the team roster…"))
    team.refresh_roster(ws, store)
    if not team.is_enrolled(ws):
        raise SyncError(Reason.UNKNOWN_DEVICE, _(
            "This device is not enrolled yet: the coordinator has to approve its join request."))
    acked = acknowledged_seq(ws, store)
    ws.set_meta("sync.acked_seen", str(acked))
    ops = ws.ops(device=ws.device_id, after_seq=acked)
    if not ops:
        return SendResult()
    seq_range = (acked + 1, ws.last_seq)
    attachments = _attachments_for(ws, ops)
    _say(progress, _("Encrypting {n} changes…").format(n=len(ops)))
    path = _write_and_upload(ws, store, ops=ops, attachments=attachments, seq_range=seq_range,
                             audience=Audience.COORDINATORS)
    ws.audit("sync.send", {"bundle": path, "ops": len(ops), "attachments": len(attachments)})
    _tidy_own_bundles(ws, store, acked)
    return SendResult(path, len(ops), len(attachments), seq_range)


def _tidy_own_bundles(ws: Workspace, store: SharedStore, acked: int) -> None:
    """Remove this device's bundles that every coordinator has acknowledged."""
    folder = f"{layout.BUNDLES_DIR}/{team.member_id(ws)}"
    for entry in store.list(folder):
        name = layout.parse_bundle_file_name(entry.name)
        if name is not None and name.last <= acked:
            store.delete(f"{folder}/{entry.name}")


def publish(ws: Workspace, *, progress: Progress | None = None) -> SendResult:
    """Coordinator: a team bundle of every shared record and erase order, for every device;
    and for each blind coder's device a relay bundle only it (and the coordinators) can read."""
    if team.role(ws) != team.ROLE_COORDINATOR:
        raise team.NotCoordinator()
    with team.connected(ws) as store:
        return _publish(ws, store, progress)


def _publish(ws: Workspace, store: SharedStore, progress: Progress | None) -> SendResult:
    # Shared records from everyone, and this coordinator's own receipts: the other
    # coordinators count an erasure as done here only from a bundle this coordinator signed.
    # Notes assigned for blind coding never go in here (every active device can decrypt it):
    # they travel in the coders' relay bundles (_publish_relays).
    ops = [op for op in ws.ops(entities=(*SHARED_ENTITIES, "receipt"))
           if op.entity != "receipt" or op.device == ws.device_id]
    if not ops:
        return SendResult()
    _say(progress, _("Encrypting {n} changes…").format(n=len(ops)))
    path = _write_and_upload(ws, store, ops=ops, attachments=[], seq_range=(1, max(ws.last_seq, 1)),
                             audience=Audience.TEAM)
    _keep_only(store, f"{layout.TEAM_DIR}/{team.member_id(ws)}", path)  # cumulative
    relayed = _publish_relays(ws, store, progress)
    ws.audit("sync.publish", {"bundle": path, "ops": len(ops), "relay_bundles": relayed})
    return SendResult(path, len(ops), 0, (1, ws.last_seq))


def _keep_only(store: SharedStore, folder: str, keep: str | None) -> None:
    """Remove this coordinator's bundles in ``folder`` but ``keep``: each new one holds all
    the earlier ones did (team and relay bundles are cumulative)."""
    for entry in store.list(folder):
        if f"{folder}/{entry.name}" != keep and layout.parse_bundle_file_name(entry.name):
            store.delete(f"{folder}/{entry.name}")


def relay_tag_of(ws: Workspace, roster: Roster, coordinator_id: str, device_id: str) -> str:
    """The folder tag of coordinator ``coordinator_id``'s relay bundles for ``device_id``,
    computed with this member's own key (it must be one of the two)."""
    peer = device_id if team.member_id(ws) == coordinator_id else coordinator_id
    member = roster.member(peer)
    if member is None:
        raise team.NotInTeam()
    return relay_tag(team.device_keys(ws).identity, member.recipient, team_id=roster.team_id,
                     coordinator_id=coordinator_id, device_id=device_id)


def _publish_relays(ws: Workspace, store: SharedStore, progress: Progress | None) -> int:
    """Blind double coding: for each coder's device, one cumulative bundle of the notes
    assigned to it (with their interviews and assignments, and the codings once released),
    encrypted to that device, the coordinators and the escrow key only, in
    ``relay/<this coordinator>/<tag>/``, where the tag is what only this coordinator and that
    device can compute (:func:`fieldapp.sync.keys.relay_tag`).

    So that the store does not single out the coders by the number of folders, by which
    change when or by their sizes, while blind coding is in use every active device gets one
    -- an empty bundle when nothing is assigned to it -- every one is rewritten at each
    publish, and every one has the size of the largest (the largest is written first, the
    others padded to it inside the encryption: ``write_bundle``'s ``pad_to``). A device no
    longer active (or every device, once nothing is assigned to anyone) has this coordinator's
    relay bundles and folder removed, as have the folders of the old layout
    (``to/<device>/<this coordinator>/``, which named the coders). Returns how many relay
    bundles carry notes."""
    me = team.member_id(ws)
    current = team.roster(ws)
    relayed = blind.relayed_ops(ws)
    active = [d.device_id for d in current.devices
              if current.relay_recipients(d.device_id) is not None]
    in_use = any(relayed.get(device) for device in active)
    shares = {device: relayed.get(device, []) for device in active} if in_use else {}
    with tempfile.TemporaryDirectory(dir=ws.path, prefix=".outbox-") as tmp:
        written = _write_relays(ws, Path(tmp), shares, progress)
        # In the roster's order, whatever each holds: which file is written first must not
        # single out the coder with the most relayed text (the one written first here).
        for device in shares:
            tag = relay_tag_of(ws, current, me, device)
            path = _upload(ws, store, written[device], tag)
            _keep_only(store, layout.relay_folder(me, tag), path)
    relays = _relay_state(ws)
    for device, state in relays.items():
        if device in shares or not state.get("live"):
            continue
        tag = str(state.get("tag") or "")
        if layout.is_relay_tag(tag):
            folder = layout.relay_folder(me, tag)
            _keep_only(store, folder, None)
            store.remove_empty_folder(folder)
        state["live"] = False  # (without a tag: a folder of the old layout, removed below)
    ws.set_meta("sync.relay", json.dumps(relays, sort_keys=True))
    store.remove_empty_folder(f"{layout.RELAY_DIR}/{me}")
    store.remove_empty_folder(layout.RELAY_DIR)
    _remove_legacy_relays(store, me)
    return sum(1 for ops in shares.values() if ops)


def _write_relays(ws: Workspace, folder: Path, shares: dict[str, list[Op]],
                  progress: Progress | None) -> dict[str, BundleInfo]:
    """The relay bundle of each device of ``shares``, written into ``folder``, all of one
    size: the largest first (padded to a multiple of RELAY_PAD), every other one padded to its
    size (``write_bundle``'s ``pad_to``), and all again to a new size should one come out
    larger all the same (its manifest, not its operations, being the larger)."""
    me = team.member_id(ws)
    current = team.roster(ws)
    weight = {device: sum(len(line) + 1 for line in encoded_ops(ws.db, [o.id for o in ops]))
              for device, ops in shares.items()}
    written: dict[str, BundleInfo] = {}
    size = 0
    while True:
        for device in sorted(shares, key=lambda d: (-weight[d], d)):
            if device in written and written[device].archive_size == size:
                continue
            ops = shares[device]
            if ops and device not in written:
                _say(progress, _("Encrypting {n} changes…").format(n=len(ops)))
            written[device] = _write_out(
                ws, folder, ops=ops, attachments=[], seq_range=(1, max(ws.last_seq, 1)),
                audience=Audience.RELAY, to=device, tag=relay_tag_of(ws, current, me, device),
                pad_to=size)
            size = max(size, written[device].archive_size)
        if len({info.archive_size for info in written.values()}) <= 1:
            return written


def _remove_legacy_relays(store: SharedStore, me: str) -> None:
    """Empty and remove this coordinator's folders of the old layout (``to/<device>/<me>/``),
    whose names told anyone who could list the store which devices code blind; the device
    folders go too once no coordinator's folder is left in them."""
    for entry in store.list(layout.LEGACY_RELAY_DIR):
        if not entry.is_dir:
            continue
        device_folder = f"{layout.LEGACY_RELAY_DIR}/{entry.name}"
        _keep_only(store, f"{device_folder}/{me}", None)
        store.remove_empty_folder(f"{device_folder}/{me}")
        store.remove_empty_folder(device_folder)
    store.remove_empty_folder(layout.LEGACY_RELAY_DIR)


def _download(store: SharedStore, path: str, local: Path) -> str:
    """Copy a file out of the store; returns its SHA-256."""
    digest = hashlib.sha256()
    with store.open_read(path) as src, open(local, "wb") as dst:
        while chunk := src.read(1024 * 1024):
            dst.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


#: Refusals that only say the file was made for an earlier state of the team (its roster):
#: once the device's operations in it have arrived by a later bundle, it is stale, not bad.
_STALE_REASONS = frozenset({Reason.READDRESSED, Reason.NOT_FOR_US})


def _refused(ws: Workspace) -> dict[str, Any]:
    raw = meta_json(ws, "sync.refused", {})
    return raw if isinstance(raw, dict) else {}


#: Which fieldapp refused a file: a refusal is remembered only until the file changes or
#: fieldapp is updated (the update may read what this version could not: a bundle from a newer
#: version, refused with ``format_too_new``, is read again once this device has caught up).
READER = f"{__version__}/{FORMAT_VERSION}/{SCHEMA_VERSION}"


def _remember_refused(ws: Workspace, path: str, sha256: str, status: str, code: str,
                      reason: str) -> None:
    refused = _refused(ws)
    refused[path] = {"sha256": sha256, "status": status, "code": code, "reason": reason,
                     "at": canonical.utc_text(_now()), "reader": READER}
    ws.set_meta("sync.refused", json.dumps(refused, sort_keys=True, ensure_ascii=False))


def _collect_folder(ws: Workspace, store: SharedStore, folder: str, report: CollectReport,
                    confirm_mass_delete: bool, latest_only: bool,
                    progress: Progress | None, relay: RelaySpot | None = None) -> None:
    """Merge every new bundle of one folder. A bundle that is refused is reported once, with
    its reason, and remembered by name and content hash: later collects list it as
    ``ignored`` until the file changes, and go on with every other bundle. ``relay``: the
    folder holds a coordinator's relay bundles (``relay/<coordinator>/<tag>``); anything else
    in it is refused."""
    applied = set(meta_json(ws, "sync.applied", []))
    names = sorted((n for n in (layout.parse_bundle_file_name(e.name) and e.name
                                for e in store.list(folder)) if n),
                   key=lambda n: layout.parse_bundle_file_name(n).last)  # type: ignore[union-attr]
    device_id = folder.rsplit("/", 1)[-1]
    refused_before = _refused(ws)
    gone = [p for p in refused_before if p.startswith(folder + "/")
            and p[len(folder) + 1:] not in names]
    if gone:  # a refused file that left the store is forgotten
        for p in gone:
            del refused_before[p]
        ws.set_meta("sync.refused", json.dumps(refused_before, sort_keys=True,
                                               ensure_ascii=False))
    if latest_only:
        # Only the newest file counts (each holds all the earlier ones did). One refused
        # before -- say planted under a higher range by someone who can write to the store --
        # does not hide the genuine one behind it: once reported, it is passed over.
        fresh = [n for n in names if f"{folder}/{n}" not in refused_before]
        names = (fresh or names)[-1:]
    pending: list[tuple[str, Path, str]] = []
    with tempfile.TemporaryDirectory(dir=ws.path, prefix=".inbox-") as tmpdir:
        for i, name in enumerate(names):
            path = f"{folder}/{name}"
            parsed = layout.parse_bundle_file_name(name)
            if parsed is not None and any(h.startswith(parsed.short_hash) for h in applied):
                report.bundles.append(BundleResult(name=path, status="duplicate"))
                continue
            local = Path(tmpdir) / f"{i}.fab"
            try:
                file_hash = _download(store, path, local)
            except SyncError as exc:
                report.bundles.append(BundleResult(name=path, status="rejected",
                                                   reason=exc.message, code=exc.reason.value))
                continue
            known = _refused(ws).get(path)
            if (isinstance(known, dict) and known.get("sha256") == file_hash
                    and known.get("reader") == READER):
                local.unlink()
                report.bundles.append(BundleResult(
                    name=path, author=device_id, status="ignored",
                    code=str(known.get("code", "")),
                    reason=_("Refused before; ignored until the file changes or fieldapp is "
                             "updated: {reason}").format(reason=known.get("reason", ""))))
                continue
            pending.append((path, local, file_hash))
        seen: dict[str, tuple[str | None, int, int]] = {}
        opened: dict[str, VerifiedBundle | SyncError] = {}
        chain_first = _revoked_with_history(ws, device_id) and folder.startswith(
            layout.BUNDLES_DIR)
        if chain_first:
            # A revoked device's trusted history may be spread over several files: read them
            # all first, so that each is judged against the whole chain, and merge the
            # bundles of that chain before any other.
            for path, local, _h in pending:
                try:
                    vb = _open_stored(ws, local, path, relay)
                except SyncError as exc:
                    opened[path] = exc
                    continue
                opened[path] = vb
                m = vb.manifest
                seen[vb.bundle_hash] = (m.prev_hash, m.seq_first, m.seq_last)
            trusted = trusted_of(ws, device_id, seen)
            chain = trusted.chain if trusted is not None else frozenset()
            pending.sort(key=lambda p: (not (isinstance(opened[p[0]], VerifiedBundle)
                                             and opened[p[0]].bundle_hash in chain),  # type: ignore[union-attr]
                                        p[0]))
        refused: list[tuple[int, str, str, SyncError]] = []
        for path, local, file_hash in pending:
            _say(progress, _("Verifying {name}…").format(name=path.rsplit("/", 1)[-1]))
            try:
                got = opened.get(path) or _open_stored(ws, local, path, relay)
                if isinstance(got, SyncError):
                    raise got
                result = merge_bundle(ws, got, path, confirm_mass_delete=confirm_mass_delete,
                                      seen=seen)
            except SyncError as exc:
                # Judged after the whole folder: a later file may bring this one's changes.
                refused.append((len(report.bundles), path, file_hash, exc))
                report.bundles.append(BundleResult(name=path))
                continue
            finally:
                local.unlink(missing_ok=True)
            report.bundles.append(result)
            if result.status in ("merged", "quarantined") and folder.startswith(
                    layout.BUNDLES_DIR):
                merged = meta_json(ws, "sync.merged", {})
                _write_ack(ws, store, result.author, int(merged.get(result.author, 0)))
        for index, path, file_hash, error in refused:
            report.bundles[index] = _refusal(ws, path, file_hash, error, device_id)


@dataclass(frozen=True)
class RelaySpot:
    """A relay folder being read: whose it is, and (read by the device it is for) which
    device its bundles must name. A coordinator reading another's relay folders cannot tell
    which device a tag stands for (only the two ends can compute it) and takes a relay bundle
    of that coordinator for any active device: it is a reader of every one of them."""

    coordinator_id: str
    to: str | None


def _open_stored(ws: Workspace, local: Path, path: str,
                 relay: RelaySpot | None = None) -> VerifiedBundle:
    """Open a file fetched from the store; its name must carry its manifest's hash (a file
    renamed or put in another's place is refused, not taken for the bundle it names). From a
    relay folder (``relay``), only that coordinator's relay bundle (for that device, when the
    reader is the device) is taken."""
    bundle = open_verified(ws, local)
    m = bundle.manifest
    if relay is not None and (m.audience is not Audience.RELAY
                              or m.author_kind.value != "coordinator"
                              or m.author_id != relay.coordinator_id
                              or (relay.to is not None and m.to != relay.to)):
        raise refuse(Reason.READDRESSED, _(
            "This file lies among a coordinator's bundles for one device, but it is not a "
            "coordinator's bundle addressed to that device. It is refused."))
    parsed = layout.parse_bundle_file_name(path.rsplit("/", 1)[-1])
    if parsed is None or not bundle.bundle_hash.startswith(parsed.short_hash) \
            or bundle.seq_range != (parsed.first, parsed.last):
        raise refuse(Reason.HASH_MISMATCH, _(
            "The file's name does not match the bundle inside it: it was renamed or put in "
            "another bundle's place. It is refused."))
    return bundle


def _revoked_with_history(ws: Workspace, device_id: str) -> bool:
    try:
        device = team.roster(ws).device(device_id)
    except team.NotInTeam:
        return False
    return device is not None and bool(device.trusted_history)


def _refusal(ws: Workspace, path: str, file_hash: str, exc: SyncError,
             device_id: str) -> BundleResult:
    """Report a refused bundle once and remember it, so no later collect reports it again."""
    parsed = layout.parse_bundle_file_name(path.rsplit("/", 1)[-1])
    through = int(meta_json(ws, "sync.merged", {}).get(device_id, 0))
    if exc.reason in _STALE_REASONS and parsed is not None and parsed.last <= through:
        status = "stale"
        reason = _("Made for an earlier state of the team; its changes (up to #{seq}) have "
                   "arrived in a later bundle.").format(seq=parsed.last)
    else:
        status = "rejected"
        reason = exc.message
    _remember_refused(ws, path, file_hash, status, exc.reason.value, reason)
    if exc.reason is Reason.FORGED_HISTORY:
        ws.audit("sync.forgery", {"bundle": path, "device": device_id})
    ws.audit("sync.reject", {"bundle": path, "reason": exc.reason.value, "status": status})
    return BundleResult(name=path, author=device_id, status=status, reason=reason,
                        code=exc.reason.value)


def collect(ws: Workspace, *, confirm_mass_delete: bool = False,
            progress: Progress | None = None) -> CollectReport:
    """Coordinator: import every new bundle from every enrolled device (and other
    coordinators' team bundles)."""
    if team.role(ws) != team.ROLE_COORDINATOR:
        raise team.NotCoordinator()
    with team.connected(ws) as store:
        return _collect(ws, store, confirm_mass_delete, progress)


def _collect(ws: Workspace, store: SharedStore, confirm_mass_delete: bool,
             progress: Progress | None) -> CollectReport:
    team.refresh_roster(ws, store)
    current = team.roster(ws)
    report = CollectReport()
    for device in current.devices:
        _collect_folder(ws, store, f"{layout.BUNDLES_DIR}/{device.device_id}", report,
                        confirm_mass_delete, False, progress)
    others = [c.coordinator_id for c in current.coordinators
              if c.coordinator_id != team.member_id(ws)]
    for coordinator_id in others:
        _collect_folder(ws, store, f"{layout.TEAM_DIR}/{coordinator_id}",
                        report, confirm_mass_delete, True, progress)
    # What other coordinators relay to blind coders (their adjudications among it): relay
    # bundles are encrypted to every coordinator too. Which device a folder is for only its
    # two ends can tell, so every folder of the other coordinator is read.
    for coordinator_id in others:
        for entry in store.list(f"{layout.RELAY_DIR}/{coordinator_id}"):
            if entry.is_dir and layout.is_relay_tag(entry.name):
                _collect_folder(ws, store, layout.relay_folder(coordinator_id, entry.name),
                                report, confirm_mass_delete, True, progress,
                                relay=RelaySpot(coordinator_id, None))
    return report


def receive(ws: Workspace, *, progress: Progress | None = None) -> CollectReport:
    """Researcher: the newest roster, every coordinator's latest team bundle, and the latest
    relay bundle each coordinator addressed to this device (never another device's)."""
    with team.connected(ws) as store:
        return _receive(ws, store, progress)


def _receive(ws: Workspace, store: SharedStore, progress: Progress | None) -> CollectReport:
    team.refresh_roster(ws, store)
    report = CollectReport()
    if not team.is_enrolled(ws):
        return report
    current = team.roster(ws)
    coordinators = [c.coordinator_id for c in current.coordinators]
    for coordinator_id in coordinators:
        _collect_folder(ws, store, f"{layout.TEAM_DIR}/{coordinator_id}", report,
                        False, True, progress)
    me = team.member_id(ws)
    for coordinator_id in coordinators:  # after the team bundles, which carry the assignments
        # Only this device's folder: its name is computed from this device's own key and the
        # coordinator's public key, and no other device's could be.
        _collect_folder(ws, store,
                        layout.relay_folder(coordinator_id,
                                            relay_tag_of(ws, current, coordinator_id, me)),
                        report, False, True, progress, relay=RelaySpot(coordinator_id, me))
    return report


# -- files carried by hand (USB stick) ----------------------------------------------------------

def inspect_bundle(ws: Workspace, path: Path | str) -> dict[str, Any]:
    """Verify a bundle file -- its signature, and every operation against the schema, its
    sequence range and the history already merged -- and describe it, without applying
    anything. Raises :class:`SyncError` (with the first bad line) when it would be refused."""
    bundle = open_verified(ws, Path(path))
    ops = parse_ops(ws, bundle)
    check_history(ws, bundle, ops, trusted_of(ws, bundle.manifest.author_id, {
        bundle.bundle_hash: (bundle.manifest.prev_hash, *bundle.seq_range)}))
    m = bundle.manifest
    counts: dict[str, int] = {}
    for op in ops:
        counts[op.entity] = counts.get(op.entity, 0) + 1
    return {"author": m.author_id, "author_kind": m.author_kind.value,
            "audience": m.audience.value, "seq": list(m.seq_range),
            "created_at": canonical.utc_text(m.created_at), "ops": m.op_count,
            # (a relay bundle's filler, zeros to the size of the largest, is no attachment)
            "attachments": sum(1 for a in m.attachments if not (
                m.audience is Audience.RELAY and is_padding(a))),
            "outcome": bundle.outcome.value,
            "bundle_hash": bundle.bundle_hash, "by_type": counts,
            "already_merged": bundle.bundle_hash in set(meta_json(ws, "sync.applied", []))}


def export_bundle_file(ws: Workspace, out_dir: Path | str) -> Path:
    """Write the bundle a send would make into ``out_dir`` (to carry by hand, e.g. on a USB
    stick, when the team store cannot be reached). Everything since the last acknowledgement
    known here; the file is as encrypted and signed as one sent through the store."""
    out = Path(out_dir)
    acked = int(ws.meta("sync.acked_seen") or 0)
    ops = ws.ops(device=ws.device_id, after_seq=acked)
    if not ops:
        raise SyncError(Reason.BAD_INPUT, _("Nothing to export: there are no changes."))
    keys = team.device_keys(ws)
    from fieldapp.sync.layout import bundle_file_name

    tmp_name = out / ".fieldapp-export.tmp"
    info = _write_bundle(tmp_name, roster=team.roster(ws), device_id=team.member_id(ws),
                         signing_key=keys.signing, seq_range=(acked + 1, ws.last_seq),
                         prev_hash=ws.meta("sync.last_bundle_hash") or None,
                         ops=[o.to_dict() for o in ops], attachments=_attachments_for(ws, ops),
                         schema=SCHEMA_VERSION)
    final = out / bundle_file_name(acked + 1, ws.last_seq, info.bundle_hash)
    tmp_name.replace(final)
    ws.set_meta("sync.last_bundle_hash", info.bundle_hash)  # the device's history goes on here
    ws.audit("sync.export_file", {"file": final.name, "ops": len(ops)})
    return final


def import_bundle_file(ws: Workspace, path: Path | str, *,
                       confirm_mass_delete: bool = False) -> BundleResult:
    bundle = open_verified(ws, Path(path))
    return merge_bundle(ws, bundle, Path(path).name, confirm_mass_delete=confirm_mass_delete)


# -- what coordinators follow -----------------------------------------------------------------

def merged_through(ws: Workspace) -> dict[str, int]:
    """For each device: the change number this coordinator has merged through without a gap
    (what a revocation should name as the device's last trusted change)."""
    return {str(k): int(v) for k, v in meta_json(ws, "sync.merged", {}).items()}


def erasure_status(ws: Workspace) -> list[dict[str, Any]]:
    """For each erase order: which members of the team -- every active device and every
    coordinator -- confirmed it, and which not yet (``revoked``: revoked devices that had not
    confirmed it, which may still hold the data).

    A receipt counts for the device that signed the bundle carrying it: the receipt's owner
    (the device whose operation created it, which the merge accepts only from that device's
    own bundles), and only when its ``device`` field names the same device."""
    try:
        current = team.roster(ws)
        members = {d.device_id: d.researcher for d in current.devices
                   if d.status.value == "active"}
        members.update({c.coordinator_id: c.name for c in current.coordinators})
        revoked = sorted((d.device_id, d.researcher) for d in current.devices
                         if d.status.value != "active")
        me = team.member_id(ws)
    except team.NotInTeam:
        members, revoked, me = {}, [], ws.device_id
    aliases: dict[str, str] = {**meta_json(ws, "sync.aliases", {}), ws.device_id: me}
    receipts = records.list_records(ws, "receipt")
    out = []
    for device, seq, participant_id, detail in ws.erase_orders():
        confirmed = {aliases.get(str(r["owner"]), str(r["owner"])) for r in receipts
                     if r["erase_device"] == device and r["erase_seq"] == seq
                     and r["owner"] == r["device"]}
        out.append({"order": [device, seq], "participant_id": participant_id,
                    "date": detail.get("date"), "confirmed": sorted(confirmed),
                    "waiting_for": sorted((d, n) for d, n in members.items()
                                          if d not in confirmed),
                    # revoked laptops may still hold the data and can never confirm
                    "revoked": [(d, n) for d, n in revoked if d not in confirmed]})
    return out


def progress_table(ws: Workspace) -> dict[str, Any]:
    """Interviews and consents by site × sector against the study's targets, and per
    researcher."""
    study = records.study(ws) or {}
    targets: dict[str, int] = study.get("targets") or {}
    cells: dict[str, dict[str, int]] = {}

    def cell(site: str, sector: str) -> dict[str, int]:
        key = f"{site}|{sector}"
        return cells.setdefault(key, {"interviews": 0, "consents": 0,
                                      "target": int(targets.get(key, 0))})

    for key in targets:
        site, _, sector = key.partition("|")
        cell(site, sector)
    researchers: dict[str, int] = {}
    names: dict[str, str] = {}
    try:
        names = {d.device_id: d.researcher for d in team.roster(ws).devices}
    except team.NotInTeam:
        pass
    for interview in records.list_records(ws, "interview"):
        cell(interview["site"] or "", interview["sector"] or "")["interviews"] += 1
        who = interview["interviewer"] or names.get(interview["owner"] or "", "") or "?"
        researchers[who] = researchers.get(who, 0) + 1
    participants = {p["id"]: p for p in records.list_records(ws, "participant")}
    for consent in records.list_records(ws, "consent"):
        p = participants.get(consent["participant_id"])
        if p is not None and consent["status"] == "given":
            cell(p["site"] or "", p["sector"] or "")["consents"] += 1
    return {"cells": dict(sorted(cells.items())), "researchers": dict(sorted(researchers.items())),
            "sites": [s["code"] for s in study.get("sites") or []],
            "sectors": [s["code"] for s in study.get("sectors") or []]}


def erase_ops(ws: Workspace) -> list[Op]:
    return [op for op in ws.ops(entities=("participant",)) if ERASE in op.values]
