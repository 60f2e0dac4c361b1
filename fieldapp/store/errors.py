"""Errors the store raises. Each carries a message for the user, in the current language.

The message is produced when the error is shown (``str(err)`` / ``err.message``), so a language
switch between raising and showing still shows the user's language.
"""

from __future__ import annotations

from fieldapp.i18n import _


class FieldappError(Exception):
    """Base of every error that is meant to be shown to a user."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def message(self) -> str:
        return self.detail

    def __str__(self) -> str:
        return self.message


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


class InvalidInput(FieldappError):
    pass
