"""Sending and collecting bundles through the team's shared store.

* A researcher **sends** a bundle of its own operations since the coordinators' last
  acknowledgement (so a lost bundle heals itself), with the attachments they add.
* A coordinator **collects**: every new bundle is verified (fieldapp.sync.bundle), checked
  against the roster, dry-run to catch a bundle that would delete most of the data, merged
  through the store's one code path, acknowledged in the store, and written to the audit log.
* A coordinator **publishes** a team bundle (shared records: study, codebook, organisations,
  participant profiles, instruments, and erase orders), and for each blind coder a relay bundle
  of the notes assigned to that device alone; researchers **receive** the team bundles and
  their own relay bundles.

Every step is safe to repeat: a bundle already merged is skipped; a bundle that fails verification
changes nothing and is reported with its reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from fieldapp.domain.ops import (
    ERASE,
    Op,
    OpFormatError,
    dumps_pred,
    dumps_values,
    loads_pred,
    parse_op,
    parse_op_line,
    same_history,
)
from fieldapp.domain.schema import ENTITIES
from fieldapp.i18n import _
from fieldapp.services import blind, records, team
from fieldapp.store import bundle_history
from fieldapp.store.attachments import DecryptingReader, EncryptingWriter
from fieldapp.store.oplog import encoded_ops
from fieldapp.store.workspace import Workspace
from fieldapp.sync import canonical, layout
from fieldapp.sync.backends.base import SharedStore
from fieldapp.sync.bundle import Attachment, Audience, MemberEntry, Outcome, VerifiedBundle
from fieldapp.sync.bundle import open_bundle as _open_bundle
from fieldapp.sync.bundle import write_bundle as _write_bundle
from fieldapp.sync.errors import Reason, SignatureError, SyncError
from fieldapp.sync.reader import describe_op_problem

SHARED_ENTITIES = tuple(name for name, e in ENTITIES.items() if not e.owned)
MASS_DELETE_SHARE = 0.5
MASS_DELETE_MINIMUM = 10
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
class BundleResult:
    name: str
    author: str = ""
    # merged, duplicate, rejected, quarantined, held; ignored (refused by an earlier collect,
    # unchanged since), stale (made for an earlier roster, its changes arrived since)
    status: str = ""
    reason: str = ""
    code: str = ""  # the refusal's Reason value (malformed_ops, forged_history, ...)
    applied: int = 0
    rejected_ops: int = 0
    erased: int = 0
    gap: tuple[int, int] | None = None
    future_clocks: int = 0


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


def _meta_json(ws: Workspace, key: str, default: Any) -> Any:
    raw = ws.meta(key)
    return json.loads(raw) if raw else default


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
    raw = _meta_json(ws, "sync.relay", {})
    return {str(k): v for k, v in raw.items() if isinstance(v, dict)} \
        if isinstance(raw, dict) else {}


def _write_and_upload(ws: Workspace, store: SharedStore, *, ops: list[Op],
                      attachments: list[Attachment], seq_range: tuple[int, int],
                      audience: Audience, to: str | None = None) -> str:
    keys = team.device_keys(ws)
    relays = _relay_state(ws)
    prev: str | None
    if to is None:
        prev = ws.meta("sync.last_bundle_hash") or None
    else:
        prev = str(relays.get(to, {}).get("prev") or "") or None
    with tempfile.TemporaryDirectory(dir=ws.path, prefix=".outbox-") as tmp:
        # The bundle is encrypted before it touches the disk; it is kept inside the workspace
        # folder only until the upload finishes.
        info = _write_bundle(Path(tmp) / "out.fab", roster=team.roster(ws),
                             device_id=team.member_id(ws), signing_key=keys.signing,
                             seq_range=seq_range, prev_hash=prev,
                             ops=encoded_ops(ws.db, [o.id for o in ops]), attachments=attachments,
                             audience=audience, ops_device=ws.device_id, to=to)
        with open(info.path, "rb") as fh:
            store.write_atomic(info.store_path, fh)
    if to is None:
        ws.set_meta("sync.last_bundle_hash", info.bundle_hash)
    else:
        relays[to] = {"prev": info.bundle_hash, "live": True}
        ws.set_meta("sync.relay", json.dumps(relays, sort_keys=True))
    return info.store_path


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


def _publish_relays(ws: Workspace, store: SharedStore, progress: Progress | None) -> int:
    """Blind double coding: for each coder's device, one cumulative bundle of the notes
    assigned to it (with their interviews and assignments, and the codings once released),
    encrypted to that device, the coordinators and the escrow key only, in
    ``to/<device>/<this coordinator>/``. A device no longer assigned anything (or no longer
    active) has this coordinator's relay bundles removed. Returns how many were written."""
    me = team.member_id(ws)
    current = team.roster(ws)
    shares = {device: ops for device, ops in blind.relayed_ops(ws).items()
              if ops and current.relay_recipients(device) is not None}
    for device, ops in shares.items():
        _say(progress, _("Encrypting {n} changes…").format(n=len(ops)))
        path = _write_and_upload(ws, store, ops=ops, attachments=[],
                                 seq_range=(1, max(ws.last_seq, 1)), audience=Audience.RELAY,
                                 to=device)
        _keep_only(store, layout.relay_folder(device, me), path)
    relays = _relay_state(ws)
    for device, state in relays.items():
        if device not in shares and state.get("live"):
            _keep_only(store, layout.relay_folder(device, me), None)
            state["live"] = False
    ws.set_meta("sync.relay", json.dumps(relays, sort_keys=True))
    return len(shares)


# -- merging -------------------------------------------------------------------------------

def _check_op(data: dict[str, Any]) -> object:
    # A bundle holds up to 100,000 operations, all kept until the merge: the names that repeat
    # on every line (device, record type, field names) are shared rather than one copy each.
    if isinstance(data, dict):
        for key in ("device", "entity"):
            text = data.get(key)
            if type(text) is str:
                data[key] = sys.intern(text)
        values = data.get("values")
        if type(values) is dict:
            data["values"] = {sys.intern(k) if type(k) is str else k: v
                              for k, v in values.items()}
    return parse_op(data)


def open_verified(ws: Workspace, path: Path) -> VerifiedBundle:
    """Decrypt and verify a bundle, every operation checked against the schema."""
    return _open_bundle(path, identity=team.device_keys(ws).identity, roster=team.roster(ws),
                        check_op=_check_op, check_line=parse_op_line)


def _stage_attachments(ws: Workspace, bundle: VerifiedBundle, ops: list[Op]
                       ) -> dict[str, EncryptingWriter]:
    """Copy the bundle's attachments into the workspace (under temporary names), encrypted
    with the keys their operations carry. An attachment that is erased here, or hangs off an
    erased record, is never written, not even under a temporary name. Returns the writers by
    attachment id; the caller commits those whose record is live after the merge."""
    wanted: dict[str, tuple[str, bytes]] = {}
    for op in ops:
        if op.entity == "attachment" and op.values.get("sha256") and op.values.get("file_key"):
            if ws.applier.covered_by_erasure(op):
                continue
            try:
                key = base64.b64decode(str(op.values["file_key"]), validate=True)
            except ValueError:
                continue  # not a key: no file can be decrypted with it, none is written
            if len(key) != 32:
                continue
            wanted[str(op.values["sha256"])] = (op.entity_id, key)
    writers: dict[str, EncryptingWriter] = {}

    def dest_for(entry: MemberEntry) -> BinaryIO | None:
        target = wanted.get(entry.sha256)
        if target is None or target[0] in writers or ws.attachment_path(target[0]).exists():
            return None
        ws.attachment_path(target[0]).parent.mkdir(parents=True, exist_ok=True)
        writer = EncryptingWriter(ws.attachment_path(target[0]), target[1])
        writers[target[0]] = writer
        return writer  # type: ignore[return-value]

    if not wanted:
        return {}
    try:
        bundle.copy_attachments(dest_for)
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    return writers


def _refuse(reason: Reason, message: str) -> SyncError:
    return SyncError(reason, message)


@dataclass(frozen=True)
class TrustedHistory:
    """What a revocation trusts of a device: operations up to ``through`` taken from the
    bundles in ``chain`` (the named bundle and its ``prev`` ancestors), which cover the
    device's operations up to ``covered``."""

    through: int
    chain: frozenset[str]
    covered: int


def trusted_history(ws: Workspace, device_id: str, after_seq: int | None) -> str | None:
    """For a revocation: the bundle from ``device_id`` whose history ends the trusted part
    (the last one merged here that carries an operation up to ``after_seq``)."""
    if not after_seq:
        return None
    best: tuple[int, str] | None = None
    for bundle_hash, _prev, first, last in bundle_history.links(ws.db, device_id):
        if int(first) <= after_seq and (best is None or int(last) > best[0]):
            best = (int(last), str(bundle_hash))
    return best[1] if best else None


def _trusted(ws: Workspace, device_id: str,
             seen: dict[str, tuple[str | None, int, int]]) -> TrustedHistory | None:
    """The trusted history of a revoked device, following ``prev`` links through the bundles
    merged here and those just opened (``seen``: hash -> (prev, first, last))."""
    try:
        device = team.roster(ws).device(device_id)
    except team.NotInTeam:
        return None
    if device is None or device.status.value != "revoked" or not device.trusted_history:
        return None
    links = {h: (p, f, last) for h, p, f, last in bundle_history.links(ws.db, device_id)}
    links.update(seen)
    through = device.revoked_after_seq or 0
    chain: set[str] = set()
    covered = 0
    current: str | None = device.trusted_history
    while current is not None and current not in chain:
        chain.add(current)
        link = links.get(current)
        if link is None:
            break
        covered = max(covered, link[2])
        current = link[0]
    if device.trusted_history not in links:
        covered = through  # the trusted bundle is not here (yet): nothing else may stand in
    return TrustedHistory(through, frozenset(chain), min(covered, through))


def _check_history(ws: Workspace, bundle: VerifiedBundle, ops: list[Op],
                   trusted: TrustedHistory | None) -> None:
    """Refuse a bundle that rewrites history: an operation id already held here with other
    content, or -- from a revoked device -- an operation of its trusted part that does not
    come from its trusted history and is not already held as it is there."""
    held = ws.ops_by_id([op.id for op in ops])
    author = bundle.manifest.author_id
    on_chain = trusted is not None and bundle.bundle_hash in trusted.chain
    if not held and (trusted is None or on_chain):
        return  # nothing here to differ from, no trusted history to keep to
    for line, op in enumerate(ops, start=1):
        known = held.get(op.id)
        if known is not None and not _same_as_held(op, known):
            raise _refuse(Reason.FORGED_HISTORY, _(
                "Change #{seq} of this device (line {line}) differs from the change #{seq} "
                "already merged: someone re-signed the device's history with other content. "
                "Nothing in this bundle was merged. Revoke the device if it was lost or "
                "stolen.").format(seq=op.seq, line=line))
        if (trusted is not None and not on_chain and op.device == author
                and op.seq <= trusted.covered and known is None
                and not ws.applier.covered_by_erasure(op)):
            raise _refuse(Reason.FORGED_HISTORY, _(
                "Change #{seq} of this revoked device (line {line}) is not part of the history "
                "its revocation trusts: the bundle was re-signed with the device's key. "
                "Nothing in this bundle was merged.").format(seq=op.seq, line=line))


def _same_as_held(op: Op, held: tuple[str, ...]) -> bool:
    hlc, entity, entity_id, values, pred = held
    if (hlc, entity, entity_id, pred) != (op.hlc, op.entity, op.entity_id, dumps_pred(op.pred)):
        return False
    if values == dumps_values(op.values):
        return True  # the common case, without parsing what is stored
    return same_history(Op(op.device, op.seq, hlc, entity, entity_id, json.loads(values),
                           loads_pred(pred)), op)


def _parse_ops(ws: Workspace, bundle: VerifiedBundle) -> list[Op]:
    """The bundle's operations (each already checked against the schema when the bundle was
    opened), with the checks that need the manifest: the author's own operations lie inside
    the signed sequence range, and no operation id appears twice."""
    first, last = bundle.seq_range
    m = bundle.manifest
    if m.ops_device is not None:
        current = team.roster(ws)
        taken = _meta_json(ws, "sync.aliases", {}).get(m.ops_device, m.author_id)
        if (m.author_kind.value != "coordinator" or taken != m.author_id
                or current.device(m.ops_device) is not None
                or current.coordinator(m.ops_device) is not None):
            raise _refuse(Reason.SIGNER_MISMATCH, _(
                "The bundle says its author's changes carry the id of another member of the "
                "team; it is refused."))
    author = m.own_device
    ops: list[Op] = []
    seen: set[tuple[str, int]] = set()
    checked = bundle.checked_ops
    for line, raw in enumerate(checked if checked is not None else bundle.iter_ops(), start=1):
        try:
            op = raw if isinstance(raw, Op) else parse_op(raw)
        except OpFormatError as exc:  # a bundle opened without the schema check
            raise _refuse(Reason.MALFORMED_OPS, _(
                "Line {line} of the bundle's operations is malformed: {detail}.").format(
                    line=line, detail=describe_op_problem(exc))) from None
        if op.device == author and not first <= op.seq <= last:
            raise _refuse(Reason.MALFORMED_OPS, _(
                "Line {line} of the bundle's operations is malformed: its sequence number "
                "#{seq} lies outside the signed range {first}–{last}.").format(
                    line=line, seq=op.seq, first=first, last=last))
        oid = (op.device, op.seq)
        if oid in seen:
            raise _refuse(Reason.MALFORMED_OPS, _(
                "Line {line} of the bundle's operations repeats change #{seq}.").format(
                    line=line, seq=op.seq))
        seen.add(oid)
        ops.append(op)
    return ops


def merge_bundle(ws: Workspace, bundle: VerifiedBundle, name: str, *,
                 confirm_mass_delete: bool = False,
                 seen: dict[str, tuple[str | None, int, int]] | None = None) -> BundleResult:
    """Apply a verified bundle through the store's one code path.

    Nothing is applied unless every operation passed: a malformed or re-signed bundle raises
    :class:`SyncError` and changes nothing."""
    result = BundleResult(name=name, author=bundle.manifest.author_id)
    applied = set(_meta_json(ws, "sync.applied", []))
    if bundle.bundle_hash in applied:
        result.status = "duplicate"
        return result
    author = bundle.manifest.author_id
    raw_ops = _parse_ops(ws, bundle)
    m = bundle.manifest
    own = {bundle.bundle_hash: (m.prev_hash, m.seq_first, m.seq_last)}
    trusted = _trusted(ws, author, {**(seen or {}), **own})
    _check_history(ws, bundle, raw_ops, trusted)
    on_chain = trusted is not None and bundle.bundle_hash in trusted.chain
    ops: list[Op] = []
    for op in raw_ops:
        if bundle.manifest.author_kind.value == "device" and op.device != author:
            result.rejected_ops += 1  # a device may only send its own operations
            continue
        if op.entity == "receipt" and (op.device != m.own_device
                                       or op.values.get("device") != m.own_device):
            result.rejected_ops += 1  # a receipt counts only from the device that signed it
            continue
        if bundle.outcome is Outcome.QUARANTINE and op.device == author and (
                bundle.trusted_through_seq is None or op.seq > bundle.trusted_through_seq):
            result.rejected_ops += 1
            continue
        if (trusted is not None and not on_chain and op.device == author
                and op.seq <= trusted.covered):
            continue  # held already, as the trusted history has it (checked above)
        ops.append(op)
    if bundle.manifest.audience in (Audience.TEAM, Audience.RELAY) \
            and team.role(ws) != team.ROLE_COORDINATOR:
        # Another researcher's notes and codings are kept only for this device's blind-coding
        # assignments (and codings only once released): see fieldapp.services.blind.
        ops = blind.keep_received(ws, ops, m.own_device)
    deleting = sum(1 for op in ops if op.values.get("_deleted") is True or ERASE in op.values)
    if not confirm_mass_delete and deleting >= MASS_DELETE_MINIMUM:
        # Only a bundle that deletes a lot is worth a trial run (it costs a second merge).
        # The trial counts what would disappear from the tables now: deletes merged before
        # (a cumulative bundle carries them again) do not count.
        live = ws.live_record_count()
        trial = ws.apply_remote(ops, dry_run=True)
        if trial.deleted_live > live * MASS_DELETE_SHARE:
            result.status = "held"
            result.reason = _("This bundle would delete {n} of {total} records. It was not "
                              "merged; collect again with confirmation if this is intended."
                              ).format(n=trial.deleted_live, total=live)
            return result
    writers = _stage_attachments(ws, bundle, ops)
    try:
        report = ws.apply_remote(ops)
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    for attachment_id, w in writers.items():
        # Only a file whose record is live after the merge is kept: an erase order in this
        # very bundle (or met on the way) leaves no file behind.
        if ws.applier.is_erased(attachment_id) or ws.get_row("attachment", attachment_id) \
                is None:
            w.abort()
        else:
            w.commit()
    result.applied = report.applied
    result.rejected_ops += len(report.rejected)
    result.erased = len(report.erased_records)
    result.future_clocks = len(report.future_clocks)
    first, last = bundle.seq_range
    merged = _meta_json(ws, "sync.merged", {})
    through = int(merged.get(author, 0))
    result.status = "quarantined" if bundle.outcome is Outcome.QUARANTINE else "merged"
    if (bundle.manifest.audience is Audience.COORDINATORS and last <= through
            and report.applied == 0 and not report.rejected):
        result.status = "duplicate"  # a stale file: its changes arrived in a later bundle
    elif bundle.outcome is Outcome.QUARANTINE:
        result.reason = _("The device was revoked; only its changes up to #{seq} were "
                          "merged.").format(seq=bundle.trusted_through_seq or 0)
    if bundle.manifest.audience is Audience.COORDINATORS:
        if first > through + 1:
            result.gap = (through + 1, first - 1)
        else:
            merged[author] = max(through, last)
    aliases = _meta_json(ws, "sync.aliases", {})
    if m.ops_device and aliases.get(m.ops_device) != author:
        aliases[m.ops_device] = author  # whose receipts these are (signed in the manifest)
    with ws.transaction():
        ws._set_meta("sync.aliases", json.dumps(aliases, sort_keys=True))
        applied.add(bundle.bundle_hash)
        ws._set_meta("sync.applied", json.dumps(sorted(applied)))
        ws._set_meta("sync.merged", json.dumps(merged, sort_keys=True))
        if bundle.manifest.audience is Audience.COORDINATORS:
            bundle_history.record(ws.db, author, (bundle.bundle_hash, m.prev_hash, first, last))
        ws.audit("sync.merge", {
            "bundle": name, "author": author, "seq": [first, last], "status": result.status,
            "applied": result.applied, "rejected": result.rejected_ops, "erased": result.erased,
            "future_clocks": result.future_clocks, "gap": result.gap}, in_transaction=True)
    return result


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
    raw = _meta_json(ws, "sync.refused", {})
    return raw if isinstance(raw, dict) else {}


def _remember_refused(ws: Workspace, path: str, sha256: str, status: str, code: str,
                      reason: str) -> None:
    refused = _refused(ws)
    refused[path] = {"sha256": sha256, "status": status, "code": code, "reason": reason,
                     "at": canonical.utc_text(_now())}
    ws.set_meta("sync.refused", json.dumps(refused, sort_keys=True, ensure_ascii=False))


def _collect_folder(ws: Workspace, store: SharedStore, folder: str, report: CollectReport,
                    confirm_mass_delete: bool, latest_only: bool,
                    progress: Progress | None, relay_to: str | None = None) -> None:
    """Merge every new bundle of one folder. A bundle that is refused is reported once, with
    its reason, and remembered by name and content hash: later collects list it as
    ``ignored`` until the file changes, and go on with every other bundle. ``relay_to``: the
    folder holds a coordinator's relay bundles for that device (``to/<device>/<coordinator>``);
    anything else in it is refused."""
    applied = set(_meta_json(ws, "sync.applied", []))
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
            if isinstance(known, dict) and known.get("sha256") == file_hash:
                local.unlink()
                report.bundles.append(BundleResult(
                    name=path, author=device_id, status="ignored",
                    code=str(known.get("code", "")),
                    reason=_("Refused before; ignored until the file changes: {reason}").format(
                        reason=known.get("reason", ""))))
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
                    vb = _open_stored(ws, local, path, relay_to)
                except SyncError as exc:
                    opened[path] = exc
                    continue
                opened[path] = vb
                m = vb.manifest
                seen[vb.bundle_hash] = (m.prev_hash, m.seq_first, m.seq_last)
            trusted = _trusted(ws, device_id, seen)
            chain = trusted.chain if trusted is not None else frozenset()
            pending.sort(key=lambda p: (not (isinstance(opened[p[0]], VerifiedBundle)
                                             and opened[p[0]].bundle_hash in chain),  # type: ignore[union-attr]
                                        p[0]))
        refused: list[tuple[int, str, str, SyncError]] = []
        for path, local, file_hash in pending:
            _say(progress, _("Verifying {name}…").format(name=path.rsplit("/", 1)[-1]))
            try:
                got = opened.get(path) or _open_stored(ws, local, path, relay_to)
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
                merged = _meta_json(ws, "sync.merged", {})
                _write_ack(ws, store, result.author, int(merged.get(result.author, 0)))
        for index, path, file_hash, error in refused:
            report.bundles[index] = _refusal(ws, path, file_hash, error, device_id)


def _open_stored(ws: Workspace, local: Path, path: str,
                 relay_to: str | None = None) -> VerifiedBundle:
    """Open a file fetched from the store; its name must carry its manifest's hash (a file
    renamed or put in another's place is refused, not taken for the bundle it names). From a
    relay folder (``relay_to``), only a coordinator's relay bundle for that device is taken."""
    bundle = open_verified(ws, local)
    m = bundle.manifest
    if relay_to is not None and (m.audience is not Audience.RELAY or m.to != relay_to
                                 or m.author_kind.value != "coordinator"):
        raise _refuse(Reason.READDRESSED, _(
            "This file lies among a coordinator's bundles for one device, but it is not a "
            "coordinator's bundle addressed to that device. It is refused."))
    parsed = layout.parse_bundle_file_name(path.rsplit("/", 1)[-1])
    if parsed is None or not bundle.bundle_hash.startswith(parsed.short_hash) \
            or bundle.seq_range != (parsed.first, parsed.last):
        raise _refuse(Reason.HASH_MISMATCH, _(
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
    through = int(_meta_json(ws, "sync.merged", {}).get(device_id, 0))
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
    # bundles are encrypted to every coordinator too.
    relayed_to = {e.name for e in store.list(layout.RELAY_DIR) if e.is_dir} if others else set()
    for coordinator_id in others:
        for device in current.devices:
            if device.device_id in relayed_to and device.status.value == "active":
                _collect_folder(ws, store, layout.relay_folder(device.device_id, coordinator_id),
                                report, confirm_mass_delete, True, progress,
                                relay_to=device.device_id)
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
    coordinators = [c.coordinator_id for c in team.roster(ws).coordinators]
    for coordinator_id in coordinators:
        _collect_folder(ws, store, f"{layout.TEAM_DIR}/{coordinator_id}", report,
                        False, True, progress)
    me = team.member_id(ws)
    for coordinator_id in coordinators:  # after the team bundles, which carry the assignments
        _collect_folder(ws, store, layout.relay_folder(me, coordinator_id), report, False, True,
                        progress, relay_to=me)
    return report


# -- files carried by hand (USB stick) ----------------------------------------------------------

def inspect_bundle(ws: Workspace, path: Path | str) -> dict[str, Any]:
    """Verify a bundle file -- its signature, and every operation against the schema, its
    sequence range and the history already merged -- and describe it, without applying
    anything. Raises :class:`SyncError` (with the first bad line) when it would be refused."""
    bundle = open_verified(ws, Path(path))
    ops = _parse_ops(ws, bundle)
    _check_history(ws, bundle, ops, _trusted(ws, bundle.manifest.author_id, {
        bundle.bundle_hash: (bundle.manifest.prev_hash, *bundle.seq_range)}))
    m = bundle.manifest
    counts: dict[str, int] = {}
    for op in ops:
        counts[op.entity] = counts.get(op.entity, 0) + 1
    return {"author": m.author_id, "author_kind": m.author_kind.value,
            "audience": m.audience.value, "seq": list(m.seq_range),
            "created_at": canonical.utc_text(m.created_at), "ops": m.op_count,
            "attachments": m.attachment_count, "outcome": bundle.outcome.value,
            "bundle_hash": bundle.bundle_hash, "by_type": counts,
            "already_merged": bundle.bundle_hash in set(_meta_json(ws, "sync.applied", []))}


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
                         ops=[o.to_dict() for o in ops], attachments=_attachments_for(ws, ops))
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
    return {str(k): int(v) for k, v in _meta_json(ws, "sync.merged", {}).items()}


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
    aliases: dict[str, str] = {**_meta_json(ws, "sync.aliases", {}), ws.device_id: me}
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
