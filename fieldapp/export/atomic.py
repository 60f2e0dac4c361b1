"""Progress, cancellation and all-or-nothing output, shared by the xlsx and CSV writers.

An export is built under a hidden temporary name in the folder the user chose (never in the
system's temporary folder: the export is the only plaintext fieldapp writes, and only there)
and renamed to the chosen name at the very end. A cancelled or failed export removes what it
wrote and leaves anything already at the chosen path untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fieldapp.export.options import CancelCheck, ExportCancelled, Progress
from fieldapp.i18n import _
from fieldapp.store.errors import InvalidInput

TICK_EVERY = 256


class Ticker:
    """Counts rows written, reports progress and checks for cancellation every few rows."""

    def __init__(self, total: int, progress: Progress | None = None,
                 should_cancel: CancelCheck | None = None) -> None:
        self.total, self.done = total, 0
        self._progress = progress
        if isinstance(should_cancel, threading.Event):
            self._cancel = should_cancel.is_set
        else:
            self._cancel = should_cancel or (lambda: False)
        self._next = TICK_EVERY

    def check(self) -> None:
        if self._cancel():
            raise ExportCancelled("cancelled")

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self._next:
            self._next = self.done + TICK_EVERY
            self.check()
            if self._progress is not None:
                self._progress(self.done, self.total)

    def finish(self) -> None:
        self.check()
        if self._progress is not None:
            self._progress(self.total, self.total)


def check_target(path: Path, overwrite: bool) -> None:
    if not path.parent.is_dir():
        raise InvalidInput(_("The folder {folder} does not exist.").format(folder=path.parent))
    if path.exists() and not overwrite:
        raise InvalidInput(_("{path} already exists; choose another name or allow replacing it."
                             ).format(path=path))


@contextmanager
def scratch_dir(target: Path) -> Iterator[Path]:
    """A hidden working folder beside ``target``, removed whatever happens."""
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def publish(built: Path, target: Path, overwrite: bool) -> None:
    """Move a finished file or folder to ``target`` in one step (replacing it if allowed)."""
    if built.is_dir():
        if target.exists():
            if not overwrite:
                raise InvalidInput(_("{path} already exists.").format(path=target))
            old = target.with_name(f".{target.name}.{os.getpid()}.old")
            os.replace(target, old)
            try:
                os.replace(built, target)
            except BaseException:
                os.replace(old, target)
                raise
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
            return
        os.replace(built, target)
        return
    if target.is_dir():
        raise InvalidInput(_("{path} is a folder.").format(path=target))
    os.replace(built, target)
