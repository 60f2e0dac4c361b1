"""The shared store's common interface: what every backend (folder, WebDAV) provides.

Paths are relative, ``/``-separated, made of ``[A-Za-z0-9._-]`` segments that do not start with a
dot: names starting with a dot are reserved for the temporary files of atomic writes, which
therefore never look like bundles and are never listed.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO

from fieldapp.i18n import _
from fieldapp.sync.errors import Reason, StoreError

TEMP_PREFIX = ".fieldapp-upload-"
TEMP_SUFFIX = ".partial"
CHUNK = 1024 * 1024
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    is_dir: bool
    size: int | None = None


def split_path(path: str, *, allow_root: bool = False) -> list[str]:
    """Validate a store path and return its segments."""
    parts = [p for p in path.split("/")] if path else []
    if (not parts and not allow_root) or any(not _SEGMENT.fullmatch(p) or p in (".", "..")
                                             for p in parts):
        raise StoreError(Reason.STORE_BAD_PATH,
                         _("Not a valid path in the shared store: {path}").format(path=path[:200]))
    return parts


def temp_name() -> str:
    return f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def iter_chunks(source: BinaryIO | bytes) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for i in range(0, len(view), CHUNK):
            yield bytes(view[i:i + CHUNK])
        return
    while chunk := source.read(CHUNK):
        yield chunk


class SharedStore(ABC):
    """A team's shared store. Every method raises :class:`StoreError` with a reason on failure."""

    @abstractmethod
    def list(self, folder: str = "") -> list[Entry]:
        """Entries directly in ``folder`` (``[]`` if it does not exist), temp files left out."""

    @abstractmethod
    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A stream of the file's bytes."""

    @abstractmethod
    def write_atomic(self, path: str, source: BinaryIO | bytes) -> None:
        """Write to a temporary name beside ``path`` then rename: readers see all or nothing.

        Parent folders are made as needed; an existing file is replaced."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove a file; a missing file is not an error."""

    @abstractmethod
    def remove_empty_folder(self, path: str) -> None:
        """Remove a folder that holds nothing (a folder's name can say something too); a
        missing folder, or one with anything in it, is left as it is."""

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def makedirs(self, path: str) -> None: ...

    def read_bytes(self, path: str, *, max_bytes: int) -> bytes:
        """A small file (roster, acknowledgement) read whole, refusing more than ``max_bytes``."""
        with self.open_read(path) as stream:
            data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise StoreError(Reason.STORE_IO,
                             _("{path} in the shared store is larger than expected.").format(
                                 path=path))
        return data
