"""Shared-store backends: a folder (local, USB, network share, sync client) and WebDAV."""

from fieldapp.sync.backends.base import Entry, SharedStore, is_temp_name
from fieldapp.sync.backends.folder import FolderStore
from fieldapp.sync.backends.webdav import WebDavStore

__all__ = ["Entry", "FolderStore", "SharedStore", "WebDavStore", "is_temp_name"]
