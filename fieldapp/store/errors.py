"""Errors the store raises. Each carries a message for the user, in the current language.

The message is produced when the error is shown (``str(err)`` / ``err.message``), so a language
switch between raising and showing still shows the user's language. The base class lives in
:mod:`fieldapp.errors`; it is re-exported here, where most code imports it from.
"""

from __future__ import annotations

import errno

from fieldapp.errors import FieldappError
from fieldapp.i18n import _

__all__ = ["FieldappError"]


class WrongPassphrase(FieldappError):
    @property
    def message(self) -> str:
        return _("The passphrase is not correct. Nothing was changed; try again.")


class WrongRecoveryKey(FieldappError):
    @property
    def message(self) -> str:
        return _("The recovery key is not correct. Check it against the printed copy.")


class WorkspaceNotFound(FieldappError):
    @property
    def message(self) -> str:
        return _("No fieldapp workspace was found at {path}.").format(path=self.detail)


class WorkspaceExists(FieldappError):
    @property
    def message(self) -> str:
        return _("A workspace already exists at {path}; choose another folder.").format(
            path=self.detail)


class WorkspaceCorrupt(FieldappError):
    @property
    def message(self) -> str:
        return _("The workspace at {path} is damaged or incomplete and cannot be opened. "
                 "Nothing was changed. Restore it from a backup copy, or ask your coordinator "
                 "for the data already sent to the team.").format(path=self.detail)


class DatabaseMissing(WorkspaceCorrupt):
    """The key file is there but the database beside it is missing or empty: never treated as
    a new workspace (that would look like every record had vanished)."""

    @property
    def message(self) -> str:
        return _("The database of the workspace at {path} (data.db) is missing or empty, so "
                 "there is nothing to unlock. Nothing was changed. Put data.db back from a "
                 "backup copy of the workspace folder (the same folder's copy, with its "
                 "data.db-wal if there is one); work already sent to the team can also be "
                 "collected again from your coordinator.").format(path=self.detail)


class KeyFileDamaged(WorkspaceCorrupt):
    @property
    def message(self) -> str:
        return _("The key file {path} is damaged, so the workspace cannot be unlocked. Nothing "
                 "was changed and the data itself is untouched. Put back "
                 "fieldapp-workspace.json from a backup copy of this workspace folder: any "
                 "earlier copy works, with the passphrase or recovery key of that time."
                 ).format(path=self.detail)


class KdfTooWeak(KeyFileDamaged):
    @property
    def message(self) -> str:
        return _("The key file {path} protects the passphrase with weaker settings than "
                 "fieldapp accepts (Argon2id below 64 MiB and 2 passes): it was not made by "
                 "this version of fieldapp, or it was altered. Nothing was changed. Set a new "
                 "passphrase with the recovery key (fieldapp passwd PATH --recovery): the new "
                 "wrap uses today's settings.").format(path=self.detail)


class WorkspaceTooNew(FieldappError):
    @property
    def message(self) -> str:
        return _("The workspace at {path} was written by a newer version of fieldapp. "
                 "Update fieldapp to open it; nothing was changed.").format(path=self.detail)


class WorkspaceInUse(FieldappError):
    @property
    def message(self) -> str:
        return _("The workspace at {path} is already open in another fieldapp window or "
                 "program. Close it there first.").format(path=self.detail)


class WorkspaceLocked(FieldappError):
    @property
    def message(self) -> str:
        return _("The workspace is locked. Unlock it to continue.")


class StorageFull(FieldappError):
    @property
    def message(self) -> str:
        return _("The disk is full: the last change could not be saved and was rolled back. "
                 "Free some space; your earlier work is safe.")


class StorageFullOnOpen(StorageFull):
    @property
    def message(self) -> str:
        return _("The disk is full, so the workspace at {path} cannot be opened or read "
                 "(even reading needs a little free space). Nothing was changed. Free some "
                 "space and try again.").format(path=self.detail)


class DiskFull(StorageFull):
    """A full disk met outside the database (a file being written, a folder being made)."""

    @property
    def message(self) -> str:
        return _("The disk is full: {path} could not be written. Nothing was half-saved; free "
                 "some space and try again.").format(path=self.detail)


class NoPermission(FieldappError):
    """A file or folder outside the workspace (an export target, a file to attach) that cannot
    be written or read: read-only, or not ours."""

    @property
    def message(self) -> str:
        return _("{path} cannot be used: it is read-only, or you may not read or change it. "
                 "Nothing was changed; choose another place, or ask whoever manages this "
                 "computer for access.").format(path=self.detail)


class FileProblem(FieldappError):
    """Any other failure of the operating system on a file; ``detail`` is its reason."""

    @property
    def message(self) -> str:
        return _("The file could not be read or written: {reason}").format(reason=self.detail)


class StorageReadOnly(FieldappError):
    @property
    def message(self) -> str:
        return _("The workspace folder {path} cannot be written to (it is read-only or you may "
                 "not change it). Nothing was changed. Copy the workspace folder to a place "
                 "you can write to, or ask whoever manages this computer for write access."
                 ).format(path=self.detail)


class StorageUnavailable(FieldappError):
    @property
    def message(self) -> str:
        return _("The workspace's storage cannot be reached ({detail}). If it is on a removable "
                 "drive, reconnect it; the unsaved text is kept and saving will be retried."
                 ).format(detail=self.detail)


class NotFound(FieldappError):
    @property
    def message(self) -> str:
        return _("The record {id} does not exist or was deleted.").format(id=self.detail)


class RecordMissing(FieldappError):
    """A record refers to another that does not exist (a note for an unknown interview)."""

    def __init__(self, entity: str, record_id: str, referrer: str) -> None:
        super().__init__(record_id)
        self.entity, self.record_id, self.referrer = entity, record_id, referrer

    @property
    def message(self) -> str:
        return _("There is no {what} {id}, so this {record} cannot refer to it; nothing was "
                 "saved. Choose an existing {what}.").format(
            what=entity_label(self.entity), id=self.record_id,
            record=entity_label(self.referrer))


class NotOwner(FieldappError):
    """A change to an owned record (interview, note, coding, response, consent …) made on a
    device that did not create it."""

    def __init__(self, entity: str) -> None:
        super().__init__(entity)
        self.entity = entity

    @property
    def message(self) -> str:
        return _("This {what} belongs to another researcher: only the device that recorded "
                 "it can change it. Nothing was changed; ask them to make the change, or add "
                 "a memo of your own.").format(what=entity_label(self.entity))


class InvalidInput(FieldappError):
    """Bad input; the message is translated where it is raised."""


def entity_label(name: str) -> str:
    """A record type's name for a sentence, in the current language."""
    labels = {
        "study": _("study"), "organisation": _("organisation"), "participant": _("participant"),
        "identity": _("identity details"), "consent": _("consent record"),
        "interview": _("interview"), "note": _("note"), "code": _("code"),
        "coding": _("coding"), "attachment": _("attachment"), "instrument": _("form"),
        "response": _("response"), "receipt": _("receipt"), "memo": _("memo"),
    }
    return labels.get(name, name)


FULL_ERRNOS = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
DENIED_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


def from_os_error(exc: OSError, path: str) -> FieldappError:
    """An operating-system error on any file as an error a user can act on."""
    if exc.errno in FULL_ERRNOS:
        return DiskFull(path)
    if exc.errno in DENIED_ERRNOS:
        return NoPermission(path)
    return FileProblem(exc.strerror or type(exc).__name__)


def from_workspace_os_error(exc: OSError, path: str) -> FieldappError:
    """An operating-system error met while opening or creating the workspace at ``path``."""
    if exc.errno in FULL_ERRNOS:
        return StorageFullOnOpen(path)
    if exc.errno in DENIED_ERRNOS:
        return StorageReadOnly(path)
    return StorageUnavailable(exc.strerror or type(exc).__name__)
