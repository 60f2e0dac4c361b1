"""Typed errors of the sync layer: every rejection carries a reason code and a human message.

The reason code is stable (tests, logs and the merge side branch on it); the message is already
translated through :func:`fieldapp.i18n._` and is what a researcher or coordinator is shown.
Messages never contain secret material.
"""

from __future__ import annotations

from enum import StrEnum

from fieldapp.errors import FieldappError


class Reason(StrEnum):
    # keys and signatures
    MALFORMED_KEY = "malformed_key"
    MALFORMED_SIGNATURE = "malformed_signature"
    BAD_SIGNATURE = "bad_signature"
    KEY_MISMATCH = "key_mismatch"
    # roster
    MALFORMED_ROSTER = "malformed_roster"
    ROOT_MISMATCH = "root_mismatch"
    ROSTER_ROLLBACK = "roster_rollback"
    ROSTER_FORK = "roster_fork"
    ROSTER_EXPIRED = "roster_expired"
    MALFORMED_REQUEST = "malformed_request"
    WRONG_TEAM = "wrong_team"
    UNKNOWN_DEVICE = "unknown_device"
    DUPLICATE_ENTRY = "duplicate_entry"
    # bundles
    UNREADABLE = "unreadable"
    BUNDLE_TOO_LARGE = "bundle_too_large"
    NOT_FOR_US = "not_for_us"
    DAMAGED = "damaged"
    TRUNCATED = "truncated"
    MALFORMED_ARCHIVE = "malformed_archive"
    MANIFEST_MISSING = "manifest_missing"
    MALFORMED_MANIFEST = "malformed_manifest"
    FORMAT_TOO_NEW = "format_too_new"
    UNKNOWN_SIGNER = "unknown_signer"
    SIGNER_MISMATCH = "signer_mismatch"
    SIGNER_NOT_ALLOWED = "signer_not_allowed"
    READDRESSED = "readdressed"
    UNSAFE_PATH = "unsafe_path"
    LINK_MEMBER = "link_member"
    DUPLICATE_MEMBER = "duplicate_member"
    UNEXPECTED_MEMBER = "unexpected_member"
    MISSING_MEMBER = "missing_member"
    MEMBER_TOO_LARGE = "member_too_large"
    TOO_MANY_MEMBERS = "too_many_members"
    SIZE_MISMATCH = "size_mismatch"
    HASH_MISMATCH = "hash_mismatch"
    MALFORMED_OPS = "malformed_ops"
    FORGED_HISTORY = "forged_history"  # an operation id already known, with other content
    BAD_INPUT = "bad_input"
    # shared store
    STORE_UNREACHABLE = "store_unreachable"
    STORE_AUTH = "store_auth"
    STORE_FULL = "store_full"
    STORE_NOT_FOUND = "store_not_found"
    STORE_DENIED = "store_denied"
    STORE_BAD_PATH = "store_bad_path"
    STORE_IO = "store_io"


class SyncError(FieldappError):
    """Base of every sync error: ``reason`` for programs, ``message`` for people (translated
    where it is raised). A user error like every other: the desktop and the command line show
    its message."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason.value!r})"


class SignatureError(SyncError):
    """A key or a minisign signature could not be parsed or did not verify."""


class RosterError(SyncError):
    """A roster or a join request was refused."""


class BundleError(SyncError):
    """A bundle was refused; nothing in it may be used."""


class StoreError(SyncError):
    """The shared store could not be reached or refused an operation."""
