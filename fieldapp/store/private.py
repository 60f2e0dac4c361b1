"""Files only their owner may read: a workspace's folder and everything in it.

On POSIX the workspace folder and its subfolders are created 0700 and every file 0600, whatever
the umask, so another account on the laptop cannot even copy the encrypted files to attack the
passphrase offline. SQLite creates ``data.db-wal`` and ``-shm`` with the database file's mode,
so the database is created 0600 before SQLite first opens it. :func:`restrict` tightens an
existing workspace (made by an older version, or copied in with a loose umask) on every open.
On Windows the folder inherits the user profile's ACL, which already keeps other users out.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO, cast

DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name != "nt"


def mkdir(path: Path) -> None:
    """Create ``path`` (and missing parents of it that belong to the workspace) as 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if POSIX:
        os.chmod(path, DIR_MODE)


def create_file(path: Path) -> None:
    """Create an empty file 0600 if it does not exist (for SQLite to open)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)


def open_write(path: Path, mode: str = "wb") -> BinaryIO:
    """``open(path, mode)`` for a new or replaced file, created 0600."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    flags |= os.O_APPEND if "a" in mode else os.O_TRUNC
    if "+" in mode:
        flags = (flags & ~os.O_WRONLY) | os.O_RDWR
    fd = os.open(path, flags, FILE_MODE)
    try:
        return cast(BinaryIO, os.fdopen(fd, mode))
    except BaseException:
        os.close(fd)
        raise


def restrict(root: Path) -> None:
    """Make ``root`` 0700 and everything under it 0700 (folders) / 0600 (files), where looser.
    Symbolic links are left alone (never followed)."""
    if not POSIX:
        return
    _tighten(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            _tighten(Path(folder, name), DIR_MODE)
        for name in files:
            _tighten(Path(folder, name), FILE_MODE)


def _tighten(path: Path, wanted: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return
        if stat.S_IMODE(st.st_mode) & ~wanted:
            os.chmod(path, stat.S_IMODE(st.st_mode) & wanted)
