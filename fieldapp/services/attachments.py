"""Attachments: added encrypted, opened into memory, saved out only on explicit request."""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path

from fieldapp.domain.ids import new_id
from fieldapp.i18n import _
from fieldapp.services import records
from fieldapp.store.attachments import AttachmentDamaged, decrypt_chunks, encrypt_stream, new_key
from fieldapp.store.errors import FieldappError, InvalidInput
from fieldapp.store.workspace import Workspace

MAX_ATTACHMENT_BYTES = 1024 * 1024 * 1024  # 1 GiB: a long interview recording fits
KINDS = ("audio", "consent_form", "photo", "document")


class AttachmentUnreadable(FieldappError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name)
        self.reason = reason

    @property
    def message(self) -> str:
        return _("The file {name} cannot be read: {reason}").format(name=self.detail,
                                                                    reason=self.reason)


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
    try:
        size = source.stat().st_size
        if size > max_bytes:
            raise InvalidInput(_("{name} is {size} MB; attachments can be at most {limit} MB."
                                 ).format(name=source.name, size=size // 2**20,
                                          limit=max_bytes // 2**20))
        aid = new_id()
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


def attachments_of(ws: Workspace, interview_id: str) -> list[records.Record]:
    return records.list_records(ws, "attachment", where={"interview_id": interview_id})
