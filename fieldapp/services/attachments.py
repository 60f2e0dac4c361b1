"""Attachments: added encrypted, opened into memory, saved out only on explicit request."""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path

from fieldapp.domain.ops import DELETED
from fieldapp.i18n import _, format_list
from fieldapp.services import records
from fieldapp.store.attachments import AttachmentDamaged, decrypt_chunks, encrypt_stream, new_key
from fieldapp.store.errors import FieldappError, InvalidInput
from fieldapp.store.workspace import Workspace

MAX_ATTACHMENT_BYTES = 1024 * 1024 * 1024  # 1 GiB: a long interview recording fits
KINDS = ("audio", "consent_form", "photo", "document")


class AudioNotConsented(FieldappError):
    """A recording would break a participant's consent: it is refused, not merely flagged."""

    def __init__(self, name: str, codes: list[str]) -> None:
        super().__init__(name)
        self.codes = codes

    @property
    def message(self) -> str:
        return _("{name} is a recording, but {codes} did not consent to audio recording. "
                 "Record their consent to audio first (Participants → Consent), or keep only "
                 "written notes of this interview.").format(name=self.detail,
                                                            codes=format_list(self.codes))


class AttachmentUnreadable(FieldappError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name)
        self.reason = reason

    @property
    def message(self) -> str:
        return _("The file {name} cannot be read: {reason}").format(name=self.detail,
                                                                    reason=self.reason)


def is_recording(filename: str, kind: str | None = None) -> bool:
    """Audio or video: both record a voice, so both need consent to audio recording."""
    mime = mimetypes.guess_type(filename)[0] or ""
    return kind == "audio" or mime.startswith(("audio/", "video/"))


def audio_consent_missing(ws: Workspace, interview_id: str) -> list[str]:
    """Codes of the interview's participants whose current consent does not cover audio.

    The current consent is the latest one given (a withdrawn participant's records are gone
    altogether). A participant with no consent recorded has not consented to a recording
    either. An interview with nobody linked has nobody to ask, so nothing is missing.
    """
    interview = records.get(ws, "interview", interview_id)
    missing = []
    for pid in interview.get("participant_ids") or []:
        participant = records.find(ws, "participant", pid)
        if participant is None:
            continue
        given = [c for c in records.consent_of(ws, pid) if c.get("status") == "given"]
        if not given or "audio" not in (given[-1].get("scopes") or []):
            missing.append(str(participant.get("code") or pid))
    return sorted(missing)


def _guess_kind(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or ""
    if mime.startswith("audio/"):
        return "audio"
    if mime.startswith("image/"):
        return "photo"
    return "document"


def add_attachment(ws: Workspace, source: Path | str, *, interview_id: str | None = None,
                   participant_id: str | None = None, kind: str | None = None,
                   max_bytes: int = MAX_ATTACHMENT_BYTES, response_id: str | None = None) -> str:
    source = Path(source)
    if response_id:
        records.get(ws, "response", response_id)
    if interview_id:
        records.get(ws, "interview", interview_id)
    if participant_id:
        records.get(ws, "participant", participant_id)
    kind = kind or _guess_kind(source)
    if kind not in KINDS:
        raise InvalidInput(_("Unknown attachment type: {kind}").format(kind=kind))
    if interview_id and is_recording(source.name, kind):
        missing = audio_consent_missing(ws, interview_id)
        if missing:
            raise AudioNotConsented(source.name, missing)
    try:
        size = source.stat().st_size
        if size > max_bytes:
            raise InvalidInput(_("{name} is {size} MB; attachments can be at most {limit} MB."
                                 ).format(name=source.name, size=size // 2**20,
                                          limit=max_bytes // 2**20))
        aid = ws.new_record_id("attachment")
        key = new_key()
        target = ws.attachment_path(aid)
        with open(source, "rb") as fh:
            real_size, sha = encrypt_stream(fh, target, key)
    except OSError as exc:
        raise AttachmentUnreadable(source.name, exc.strerror or str(exc)) from None
    try:
        with ws.transaction():
            ws.write("attachment", aid, {
                "interview_id": interview_id, "participant_id": participant_id, "kind": kind,
                "filename": source.name,
                "mime": mimetypes.guess_type(source.name)[0] or "application/octet-stream",
                "size": real_size, "sha256": sha,
                "file_key": base64.b64encode(key).decode("ascii"),
                **({"response_id": response_id} if response_id else {}),
            }, create=True)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return aid


def read_attachment(ws: Workspace, attachment_id: str) -> bytes:
    """The decrypted file, in memory only."""
    att = records.get(ws, "attachment", attachment_id)
    key = base64.b64decode(att["file_key"])
    try:
        return b"".join(decrypt_chunks(ws.attachment_path(attachment_id), key))
    except (AttachmentDamaged, OSError):
        raise AttachmentUnreadable(att["filename"], _("the encrypted file is damaged or missing")
                                   ) from None


def save_attachment_as(ws: Workspace, attachment_id: str, target: Path | str) -> None:
    """Write the decrypted file where the user chose (the only plaintext copy we make)."""
    att = records.get(ws, "attachment", attachment_id)
    key = base64.b64decode(att["file_key"])
    target = Path(target)
    tmp = target.with_name(target.name + ".part")
    try:
        with open(tmp, "wb") as out:
            for chunk in decrypt_chunks(ws.attachment_path(attachment_id), key):
                out.write(chunk)
        os.replace(tmp, target)
    except AttachmentDamaged:
        tmp.unlink(missing_ok=True)
        raise AttachmentUnreadable(att["filename"], _("the encrypted file is damaged or missing")
                                   ) from None
    ws.audit("attachment.save_out", {"attachment_id": attachment_id})


def delete_attachment(ws: Workspace, attachment_id: str) -> None:
    """Delete an attachment: its row (and so its key) and its encrypted file.

    Only the device that added it may delete it (the store refuses the others). The key is
    overwritten before the delete, so the superseded value is hollowed out of the log and the
    file cannot be decrypted from any copy of the workspace; then the file itself goes.
    The delete travels through sync like any change.
    """
    att = records.get(ws, "attachment", attachment_id)
    with ws.transaction():
        ws.write("attachment", attachment_id, {"file_key": ""})
        ws.write("attachment", attachment_id, {DELETED: True})
    ws.forget_old_pages()
    try:
        ws.attachment_path(attachment_id).unlink(missing_ok=True)
    except OSError:
        pass  # the key is gone: what is left on disk cannot be decrypted
    ws.audit("attachment.delete", {"attachment_id": attachment_id, "kind": att.get("kind")})


def remove_orphaned_files(ws: Workspace) -> int:
    """Remove encrypted files whose attachment is gone (deleted on another device and merged
    here, or left by a crash between writing the file and recording it). Their keys are gone
    with their rows, so they could not be read anyway; this frees the space and leaves nothing
    behind. Returns how many were removed."""
    folder = ws.path / "attachments"
    if not folder.is_dir():
        return 0
    live = {str(r[0]) for r in ws.db.execute("SELECT id FROM attachment WHERE deleted = 0")}
    removed = 0
    for file in folder.glob("*/*.enc"):
        if file.stem not in live:
            try:
                file.unlink()
                removed += 1
            except OSError:
                continue
    return removed


def attachments_of(ws: Workspace, interview_id: str) -> list[records.Record]:
    return records.list_records(ws, "attachment", where={"interview_id": interview_id})
