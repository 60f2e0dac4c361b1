"""Sending and collecting bundles through the team's shared store (DESIGN.md §5, §6).

* A researcher **sends** a bundle of its own operations since the coordinators' last
  acknowledgement (so a lost bundle heals itself), with the attachments they add.
* A coordinator **collects**: every new bundle is verified (fieldapp.sync.bundle), checked
  against the roster, dry-run to catch a bundle that would delete most of the data, merged
  through the store's one code path, acknowledged in the store, and written to the audit log.
* A coordinator **publishes** a team bundle (shared records: study, codebook, organisations,
  participant profiles, instruments, and erase orders), which researchers **receive**.

Every step is safe to repeat: a bundle already merged is skipped; a bundle that fails verification
changes nothing and is reported with its reason.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from fieldapp.domain.ops import ERASE, Op
from fieldapp.domain.schema import ENTITIES
from fieldapp.i18n import _
from fieldapp.services import records, team
from fieldapp.store.attachments import DecryptingReader, EncryptingWriter
from fieldapp.store.workspace import Workspace
from fieldapp.sync import canonical, layout
from fieldapp.sync.backends.base import SharedStore
from fieldapp.sync.bundle import Attachment, Audience, MemberEntry, Outcome, VerifiedBundle
from fieldapp.sync.bundle import open_bundle as _open_bundle
from fieldapp.sync.bundle import write_bundle as _write_bundle
from fieldapp.sync.errors import Reason, SignatureError, SyncError

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
    status: str = ""  # merged, duplicate, rejected, quarantined, held
    reason: str = ""
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


def _write_and_upload(ws: Workspace, store: SharedStore, *, ops: list[Op],
                      attachments: list[Attachment], seq_range: tuple[int, int],
                      audience: Audience) -> str:
    keys = team.device_keys(ws)
    prev = ws.meta("sync.last_bundle_hash") or None
    with tempfile.TemporaryDirectory(dir=ws.path, prefix=".outbox-") as tmp:
        # The bundle is encrypted before it touches the disk; it is kept inside the workspace
        # folder only until the upload finishes.
        info = _write_bundle(Path(tmp) / "out.fab", roster=team.roster(ws),
                             device_id=team.member_id(ws), signing_key=keys.signing,
                             seq_range=seq_range, prev_hash=prev,
                             ops=[o.to_dict() for o in ops], attachments=attachments,
                             audience=audience)
        with open(info.path, "rb") as fh:
            store.write_atomic(info.store_path, fh)
    ws.set_meta("sync.last_bundle_hash", info.bundle_hash)
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
    """Coordinator: a team bundle of every shared record and erase order, for every device."""
    if team.role(ws) != team.ROLE_COORDINATOR:
        raise team.NotCoordinator()
    with team.connected(ws) as store:
        return _publish(ws, store, progress)


def _publish(ws: Workspace, store: SharedStore, progress: Progress | None) -> SendResult:
    ops = ws.ops(entities=SHARED_ENTITIES)
    if not ops:
        return SendResult()
    _say(progress, _("Encrypting {n} changes…").format(n=len(ops)))
    path = _write_and_upload(ws, store, ops=ops, attachments=[], seq_range=(1, max(ws.last_seq, 1)),
                             audience=Audience.TEAM)
    folder = f"{layout.TEAM_DIR}/{team.member_id(ws)}"
    for entry in store.list(folder):
        if f"{folder}/{entry.name}" != path and layout.parse_bundle_file_name(entry.name):
            store.delete(f"{folder}/{entry.name}")  # team bundles are cumulative
    ws.audit("sync.publish", {"bundle": path, "ops": len(ops)})
    return SendResult(path, len(ops), 0, (1, ws.last_seq))


# -- merging -------------------------------------------------------------------------------

def _stage_attachments(ws: Workspace, bundle: VerifiedBundle, ops: list[Op]) -> list[str]:
    """Copy the bundle's attachments into the workspace, encrypted with the keys its
    operations carry. Returns the attachment ids written."""
    wanted: dict[str, tuple[str, bytes]] = {}
    for op in ops:
        if op.entity == "attachment" and op.values.get("sha256") and op.values.get("file_key"):
            wanted[str(op.values["sha256"])] = (op.entity_id,
                                                base64.b64decode(str(op.values["file_key"])))
    writers: dict[str, EncryptingWriter] = {}

    def dest_for(entry: MemberEntry) -> BinaryIO | None:
        target = wanted.get(entry.sha256)
        if target is None or ws.attachment_path(target[0]).exists():
            return None
        writer = EncryptingWriter(ws.attachment_path(target[0]), target[1])
        writers[entry.sha256] = writer
        return writer  # type: ignore[return-value]

    if not wanted:
        return []
    try:
        bundle.copy_attachments(dest_for)
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    for w in writers.values():
        w.commit()
    return [wanted[h][0] for h in writers]


def merge_bundle(ws: Workspace, bundle: VerifiedBundle, name: str, *,
                 confirm_mass_delete: bool = False) -> BundleResult:
    """Apply a verified bundle through the store's one code path."""
    result = BundleResult(name=name, author=bundle.manifest.author_id)
    applied = set(_meta_json(ws, "sync.applied", []))
    if bundle.bundle_hash in applied:
        result.status = "duplicate"
        return result
    raw_ops = [Op.from_dict(o) for o in bundle.iter_ops()]
    author = bundle.manifest.author_id
    ops: list[Op] = []
    for op in raw_ops:
        if bundle.manifest.author_kind.value == "device" and op.device != author:
            result.rejected_ops += 1  # a device may only send its own operations
            continue
        if bundle.outcome is Outcome.QUARANTINE and op.device == author and (
                bundle.trusted_through_seq is None or op.seq > bundle.trusted_through_seq):
            result.rejected_ops += 1
            continue
        ops.append(op)
    deleting = sum(1 for op in ops if op.values.get("_deleted") is True or ERASE in op.values)
    if not confirm_mass_delete and deleting >= MASS_DELETE_MINIMUM:
        # Only a bundle that deletes a lot is worth a trial run (it costs a second merge).
        trial = ws.apply_remote(ops, dry_run=True)
        live = ws.live_record_count()
    if (not confirm_mass_delete and deleting >= MASS_DELETE_MINIMUM
            and trial.deleted_live > live * MASS_DELETE_SHARE):
        result.status = "held"
        result.reason = _("This bundle would delete {n} of {total} records. It was not merged; "
                          "collect again with confirmation if this is intended.").format(
            n=trial.deleted_live, total=live)
        return result
    _stage_attachments(ws, bundle, ops)
    report = ws.apply_remote(ops)
    result.applied = report.applied
    result.rejected_ops += len(report.rejected)
    result.erased = len(report.erased_records)
    result.future_clocks = len(report.future_clocks)
    result.status = "quarantined" if bundle.outcome is Outcome.QUARANTINE else "merged"
    if bundle.outcome is Outcome.QUARANTINE:
        result.reason = _("The device was revoked; only its changes up to #{seq} were "
                          "merged.").format(seq=bundle.trusted_through_seq or 0)
    first, last = bundle.seq_range
    merged = _meta_json(ws, "sync.merged", {})
    through = int(merged.get(author, 0))
    if bundle.manifest.audience is Audience.COORDINATORS:
        if first > through + 1:
            result.gap = (through + 1, first - 1)
        else:
            merged[author] = max(through, last)
    with ws.transaction():
        applied.add(bundle.bundle_hash)
        ws._set_meta("sync.applied", json.dumps(sorted(applied)))
        ws._set_meta("sync.merged", json.dumps(merged, sort_keys=True))
        ws.audit("sync.merge", {
            "bundle": name, "author": author, "seq": [first, last], "status": result.status,
            "applied": result.applied, "rejected": result.rejected_ops, "erased": result.erased,
            "future_clocks": result.future_clocks, "gap": result.gap}, in_transaction=True)
    return result


def _open_from_store(ws: Workspace, store: SharedStore, path: str, tmp: Path) -> VerifiedBundle:
    local = tmp / "in.fab"
    with store.open_read(path) as src, open(local, "wb") as dst:
        while chunk := src.read(1024 * 1024):
            dst.write(chunk)
    return _open_bundle(local, identity=team.device_keys(ws).identity, roster=team.roster(ws))


def _collect_folder(ws: Workspace, store: SharedStore, folder: str, report: CollectReport,
                    confirm_mass_delete: bool, latest_only: bool,
                    progress: Progress | None) -> None:
    applied = set(_meta_json(ws, "sync.applied", []))
    names = sorted((n for n in (layout.parse_bundle_file_name(e.name) and e.name
                                for e in store.list(folder)) if n),
                   key=lambda n: layout.parse_bundle_file_name(n).last)  # type: ignore[union-attr]
    if latest_only:
        names = names[-1:]
    for name in names:
        parsed = layout.parse_bundle_file_name(name)
        if parsed is not None and any(h.startswith(parsed.short_hash) for h in applied):
            report.bundles.append(BundleResult(name=f"{folder}/{name}", status="duplicate"))
            continue
        _say(progress, _("Verifying {name}…").format(name=name))
        with tempfile.TemporaryDirectory(dir=ws.path, prefix=".inbox-") as tmp:
            try:
                bundle = _open_from_store(ws, store, f"{folder}/{name}", Path(tmp))
                result = merge_bundle(ws, bundle, f"{folder}/{name}",
                                      confirm_mass_delete=confirm_mass_delete)
            except SyncError as exc:
                result = BundleResult(name=f"{folder}/{name}", status="rejected",
                                      reason=exc.message)
                ws.audit("sync.reject", {"bundle": f"{folder}/{name}",
                                         "reason": exc.reason.value})
        report.bundles.append(result)
        if result.status in ("merged", "quarantined") and folder.startswith(layout.BUNDLES_DIR):
            merged = _meta_json(ws, "sync.merged", {})
            _write_ack(ws, store, result.author, int(merged.get(result.author, 0)))


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
    for coordinator in current.coordinators:
        if coordinator.coordinator_id != team.member_id(ws):
            _collect_folder(ws, store, f"{layout.TEAM_DIR}/{coordinator.coordinator_id}",
                            report, confirm_mass_delete, True, progress)
    return report


def receive(ws: Workspace, *, progress: Progress | None = None) -> CollectReport:
    """Researcher: the newest roster and every coordinator's latest team bundle."""
    with team.connected(ws) as store:
        return _receive(ws, store, progress)


def _receive(ws: Workspace, store: SharedStore, progress: Progress | None) -> CollectReport:
    team.refresh_roster(ws, store)
    report = CollectReport()
    if not team.is_enrolled(ws):
        return report
    for coordinator in team.roster(ws).coordinators:
        _collect_folder(ws, store, f"{layout.TEAM_DIR}/{coordinator.coordinator_id}", report,
                        False, True, progress)
    return report


# -- files carried by hand (USB stick) ----------------------------------------------------------

def inspect_bundle(ws: Workspace, path: Path | str) -> dict[str, Any]:
    """Verify a bundle file and describe it, without applying anything."""
    bundle = _open_bundle(Path(path), identity=team.device_keys(ws).identity,
                          roster=team.roster(ws))
    m = bundle.manifest
    counts: dict[str, int] = {}
    for op in bundle.iter_ops():
        counts[str(op.get("entity"))] = counts.get(str(op.get("entity")), 0) + 1
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
    ws.audit("sync.export_file", {"file": final.name, "ops": len(ops)})
    return final


def import_bundle_file(ws: Workspace, path: Path | str, *,
                       confirm_mass_delete: bool = False) -> BundleResult:
    bundle = _open_bundle(Path(path), identity=team.device_keys(ws).identity,
                          roster=team.roster(ws))
    return merge_bundle(ws, bundle, Path(path).name, confirm_mass_delete=confirm_mass_delete)


# -- what coordinators follow -----------------------------------------------------------------

def merged_through(ws: Workspace) -> dict[str, int]:
    """For each device: the change number this coordinator has merged through without a gap
    (what a revocation should name as the device's last trusted change)."""
    return {str(k): int(v) for k, v in _meta_json(ws, "sync.merged", {}).items()}


def erasure_status(ws: Workspace) -> list[dict[str, Any]]:
    """For each erase order: which enrolled devices confirmed it, and which not yet."""
    try:
        devices = {d.device_id: d.researcher for d in team.roster(ws).devices
                   if d.status.value == "active"}
    except team.NotInTeam:
        devices = {}
    receipts = records.list_records(ws, "receipt")
    out = []
    for device, seq, participant_id, detail in ws.erase_orders():
        confirmed = {r["device"] for r in receipts
                     if r["erase_device"] == device and r["erase_seq"] == seq}
        out.append({"order": [device, seq], "participant_id": participant_id,
                    "date": detail.get("date"), "confirmed": sorted(confirmed),
                    "waiting_for": sorted((d, n) for d, n in devices.items()
                                          if d not in confirmed)})
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
