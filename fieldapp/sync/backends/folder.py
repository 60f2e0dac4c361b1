"""The folder backend: a local folder, a USB stick, a network share or a sync client's folder.

Atomic writes go to a temporary name in the destination folder (same file system), are flushed
and fsynced, then renamed over the final name with ``os.replace``; a sync client or a reader
therefore sees either the old file or the whole new one. Temporary names start with a dot and end
in ``.partial``: they never look like bundles, are never listed, and stale ones (a crash, a pulled
USB stick) are removed by :meth:`FolderStore.cleanup_stale`.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from fieldapp.i18n import _
from fieldapp.sync.backends.base import (
    Entry,
    SharedStore,
    is_temp_name,
    iter_chunks,
    split_path,
    temp_name,
)
from fieldapp.sync.errors import Reason, StoreError


def _os_error(exc: OSError, path: str) -> StoreError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreError(Reason.STORE_FULL, _("The shared folder is full."))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(Reason.STORE_DENIED, _(
            "No permission to write in the shared folder ({path}).").format(path=path))
    if exc.errno == errno.ENOENT:
        return StoreError(Reason.STORE_NOT_FOUND,
                          _("{path} is not in the shared folder.").format(path=path))
    return StoreError(Reason.STORE_IO, _("The shared folder cannot be used: {error}").format(
        error=exc.strerror or exc.__class__.__name__))


class FolderStore(SharedStore):
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise StoreError(Reason.STORE_UNREACHABLE, _(
                "The shared folder {path} is not there (is the drive connected?).").format(
                    path=str(self.root)))
        self._real_root = os.path.realpath(self.root)

    def _path(self, path: str, *, allow_root: bool = False) -> Path:
        full = self.root.joinpath(*split_path(path, allow_root=allow_root))
        real = os.path.realpath(full)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise StoreError(Reason.STORE_BAD_PATH, _(
                "{path} leads outside the shared folder.").format(path=path))
        return full

    def list(self, folder: str = "") -> list[Entry]:
        base = self._path(folder, allow_root=True)
        try:
            with os.scandir(base) as it:
                entries = [Entry(e.name, e.is_dir(follow_symlinks=False),
                                 None if e.is_dir(follow_symlinks=False)
                                 else e.stat(follow_symlinks=False).st_size)
                           for e in it if not is_temp_name(e.name)
                           and not e.is_symlink()]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise _os_error(exc, folder) from exc
        return sorted(entries, key=lambda e: e.name)

    @contextmanager
    def _open(self, path: str) -> Iterator[BinaryIO]:
        try:
            fh = open(self._path(path), "rb")
        except OSError as exc:
            raise _os_error(exc, path) from exc
        with fh:
            yield fh

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        return self._open(path)

    def write_atomic(self, path: str, source: BinaryIO | bytes) -> None:
        final = self._path(path)
        tmp = final.parent / temp_name()
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "xb") as fh:
                for chunk in iter_chunks(source):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _os_error(exc, path) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)

    def delete(self, path: str) -> None:
        try:
            self._path(path).unlink(missing_ok=True)
        except OSError as exc:
            raise _os_error(exc, path) from exc

    def remove_empty_folder(self, path: str) -> None:
        try:
            self._path(path).rmdir()
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise _os_error(exc, path) from exc

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def makedirs(self, path: str) -> None:
        try:
            self._path(path).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, path) from exc

    def cleanup_stale(self, older_than: timedelta = timedelta(hours=6)) -> int:
        """Remove temporary files older than ``older_than`` anywhere in the store."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for folder, _dirs, files in os.walk(self.root, followlinks=False):
            for name in files:
                p = Path(folder) / name
                try:
                    if is_temp_name(name) and p.lstat().st_mtime < cutoff:
                        p.unlink()
                        removed += 1
                except OSError:
                    continue  # another device may be finishing or cleaning it right now
        return removed


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); not possible, and not needed, on Windows."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
