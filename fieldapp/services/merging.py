"""Merging one verified bundle into the workspace: the checks a bundle's operations pass
before anything is applied (each line against the schema, the author's trusted history, the
sequence range, a mass deletion held for confirmation), then the store's one code path.

Split from :mod:`fieldapp.services.sync`, which fetches bundles from the shared store, sends,
publishes and acknowledges; both sides of a collect meet in :func:`merge_bundle`.
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from fieldapp.domain.ids import made_elsewhere
from fieldapp.domain.ops import (
    ERASE,
    Op,
    OpFormatError,
    dumps_pred,
    dumps_values,
    loads_pred,
    parse_op,
    parse_op_line,
    parse_op_lines,
    same_history,
)
from fieldapp.i18n import _
from fieldapp.services import blind, team
from fieldapp.services.collector import without_collector
from fieldapp.store import bundle_history
from fieldapp.store.attachments import EncryptingWriter
from fieldapp.store.folder import SCHEMA_VERSION
from fieldapp.store.workspace import Workspace
from fieldapp.sync.bundle import Audience, MemberEntry, Outcome, VerifiedBundle
from fieldapp.sync.bundle import open_bundle as _open_bundle
from fieldapp.sync.errors import Reason, SyncError
from fieldapp.sync.reader import describe_op_problem

MASS_DELETE_SHARE = 0.5
MASS_DELETE_MINIMUM = 10


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


def meta_json(ws: Workspace, key: str, default: Any) -> Any:
    raw = ws.meta(key)
    return json.loads(raw) if raw else default


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


@without_collector
def open_verified(ws: Workspace, path: Path) -> VerifiedBundle:
    """Decrypt and verify a bundle, every operation checked against the schema."""
    return _open_bundle(path, identity=team.device_keys(ws).identity, roster=team.roster(ws),
                        check_op=_check_op, check_line=parse_op_line,
                        check_lines=parse_op_lines, schema=SCHEMA_VERSION)


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
            if made_elsewhere(op.entity_id, op.device):
                continue  # another device's attachment: the merge refuses the operation
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


def refuse(reason: Reason, message: str) -> SyncError:
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


def trusted_of(ws: Workspace, device_id: str,
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


def check_history(ws: Workspace, bundle: VerifiedBundle, ops: list[Op],
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
            raise refuse(Reason.FORGED_HISTORY, _(
                "Change #{seq} of this device (line {line}) differs from the change #{seq} "
                "already merged: someone re-signed the device's history with other content. "
                "Nothing in this bundle was merged. Revoke the device if it was lost or "
                "stolen.").format(seq=op.seq, line=line))
        if (trusted is not None and not on_chain and op.device == author
                and op.seq <= trusted.covered and known is None
                and not ws.applier.covered_by_erasure(op)):
            raise refuse(Reason.FORGED_HISTORY, _(
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


def parse_ops(ws: Workspace, bundle: VerifiedBundle) -> list[Op]:
    """The bundle's operations (each already checked against the schema when the bundle was
    opened), with the checks that need the manifest: the author's own operations lie inside
    the signed sequence range, and no operation id appears twice."""
    first, last = bundle.seq_range
    m = bundle.manifest
    if m.ops_device is not None:
        current = team.roster(ws)
        taken = meta_json(ws, "sync.aliases", {}).get(m.ops_device, m.author_id)
        if (m.author_kind.value != "coordinator" or taken != m.author_id
                or current.device(m.ops_device) is not None
                or current.coordinator(m.ops_device) is not None):
            raise refuse(Reason.SIGNER_MISMATCH, _(
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
            raise refuse(Reason.MALFORMED_OPS, _(
                "Line {line} of the bundle's operations is malformed: {detail}.").format(
                    line=line, detail=describe_op_problem(exc))) from None
        if op.device == author and not first <= op.seq <= last:
            raise refuse(Reason.MALFORMED_OPS, _(
                "Line {line} of the bundle's operations is malformed: its sequence number "
                "#{seq} lies outside the signed range {first}–{last}.").format(
                    line=line, seq=op.seq, first=first, last=last))
        oid = (op.device, op.seq)
        if oid in seen:
            raise refuse(Reason.MALFORMED_OPS, _(
                "Line {line} of the bundle's operations repeats change #{seq}.").format(
                    line=line, seq=op.seq))
        seen.add(oid)
        ops.append(op)
    return ops


@without_collector
def merge_bundle(ws: Workspace, bundle: VerifiedBundle, name: str, *,
                 confirm_mass_delete: bool = False,
                 seen: dict[str, tuple[str | None, int, int]] | None = None) -> BundleResult:
    """Apply a verified bundle through the store's one code path.

    Nothing is applied unless every operation passed: a malformed or re-signed bundle raises
    :class:`SyncError` and changes nothing."""
    result = BundleResult(name=name, author=bundle.manifest.author_id)
    applied = set(meta_json(ws, "sync.applied", []))
    if bundle.bundle_hash in applied:
        result.status = "duplicate"
        return result
    author = bundle.manifest.author_id
    raw_ops = parse_ops(ws, bundle)
    m = bundle.manifest
    own = {bundle.bundle_hash: (m.prev_hash, m.seq_first, m.seq_last)}
    trusted = trusted_of(ws, author, {**(seen or {}), **own})
    check_history(ws, bundle, raw_ops, trusted)
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
    merged = meta_json(ws, "sync.merged", {})
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
    aliases = meta_json(ws, "sync.aliases", {})
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


