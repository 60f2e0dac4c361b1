"""Autosave for every editor that saves by itself, and the registry that flushes them all.

What a researcher types is written to the workspace:

* about a second after typing pauses (:data:`PAUSE_MS`);
* while typing goes on, at most :data:`MAX_WAIT_MS` after the first change that is not saved
  yet — a steady typist (a key every half second) never waits for a pause: saves come at
  least every two seconds, and a crash or a dead battery loses at most the last second or so;
* at once, before the workspace is locked (Ctrl+L, the idle lock, opening another workspace)
  and before the app exits (closing the window, Quit, the end of the desktop session).

An editor owns one :class:`Autosaver` and tells it :meth:`Autosaver.changed` on every edit.
The autosaver registers itself, on construction, with the context's :class:`EditorRegistry`;
the session flushes the registry before the key is dropped. So a new view cannot forget the
last flush: using the helper registers it, and a test refuses a view that debounces its own
saves with a timer of its own.

Saves run on the database worker. It is one thread that takes work in order, so a save queued
by a flush runs before the workspace closes, which is queued after it. A save leaves the
search index to idle time (``fieldapp.ui.idle_index``): each keystroke postpones it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from shiboken6 import isValid

from fieldapp.store.errors import StorageUnavailable

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace
    from fieldapp.ui.context import AppContext
    from fieldapp.ui.tasks import Task

#: Save this long after the last change.
PAUSE_MS = 1000
#: While changes keep coming, save at the latest this long after the first unsaved one.
MAX_WAIT_MS = 1200
#: After the storage was unreachable (a pulled USB stick), try again this often.
RETRY_MS = 3000


@dataclass
class SaveJob:
    """One save an editor asks for: ``work`` runs on the worker with what the editor held
    when the job was made; ``done`` (its result) or ``failed`` come back on the main thread."""

    work: Callable[[Workspace], Any]
    done: Callable[[Any], None]
    failed: Callable[[BaseException], None]


class Autosaver(QObject):
    """The save timing of one editor: a debounce with a maximum wait, saves one at a time,
    retries while the storage is unreachable, and an immediate flush.

    ``prepare`` is the editor's: it returns a :class:`SaveJob` for what is not saved yet, or
    None when there is nothing to save. It is called on the main thread.
    """

    def __init__(self, ctx: AppContext, parent: QObject,
                 prepare: Callable[[], SaveJob | None], *, pause_ms: int = PAUSE_MS,
                 max_wait_ms: int = MAX_WAIT_MS, retry_ms: int = RETRY_MS) -> None:
        super().__init__(parent)
        self.setObjectName(f"autosave_{parent.objectName()}")
        self._tasks = ctx.tasks
        self._indexer = ctx.indexer
        self._prepare = prepare
        self._pause = self._timer(pause_ms)
        self._deadline = self._timer(max_wait_ms)
        self.retry = self._timer(retry_ms)
        self._outstanding = 0  # saves queued on the worker and not reported back yet
        self._again = False    # a save was asked for while one was under way
        ctx.editors.register(self)

    def _timer(self, ms: int) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(self.save_now)
        return timer

    # -- what editors call ---------------------------------------------------------------

    def changed(self) -> None:
        """An edit: save after a pause, and no later than the maximum wait."""
        self._indexer.changed()
        self._pause.start()
        if not self._deadline.isActive():
            self._deadline.start()

    @property
    def pending(self) -> bool:
        """A save is scheduled (the editor holds changes not yet queued)."""
        return self._pause.isActive() or self._deadline.isActive()

    @property
    def in_flight(self) -> bool:
        return self._outstanding > 0

    def save_now(self) -> None:
        """Queue a save now; if one is under way, queue the next as soon as it reports."""
        self._stop_timers()
        if self._outstanding:
            self._again = True
            return
        self._submit()

    def flush(self) -> Task | None:
        """Queue a save of everything not saved yet at once, even while an earlier save is
        under way (the worker runs them in order). Returns the queued task, if any."""
        self._stop_timers()
        self.retry.stop()
        self._again = False
        return self._submit()

    def cancel(self) -> None:
        """Forget scheduled saves (the editor shows something else now). Saves already on
        the worker still run and report back."""
        self._stop_timers()
        self.retry.stop()
        self._again = False

    # -- internals -----------------------------------------------------------------------

    def _stop_timers(self) -> None:
        self._pause.stop()
        self._deadline.stop()

    def _submit(self) -> Task | None:
        job = self._prepare()
        if job is None:
            return None
        self._outstanding += 1
        return self._tasks.run(job.work, lambda result: self._done(job, result),
                               lambda exc: self._failed(job, exc))

    def _done(self, job: SaveJob, result: Any) -> None:
        self._outstanding -= 1
        self._indexer.saved()
        job.done(result)
        self._next()

    def _failed(self, job: SaveJob, exc: BaseException) -> None:
        self._outstanding -= 1
        self._again = False
        if isinstance(exc, StorageUnavailable) and isValid(self.retry):
            self.retry.start()  # the text stays in the editor; try again shortly
        job.failed(exc)

    def _next(self) -> None:
        if self._again and not self._outstanding and isValid(self):
            self._again = False
            self._submit()


class EditorRegistry:
    """Every :class:`Autosaver` of the open window, so the session can flush them all."""

    def __init__(self) -> None:
        self._savers: list[weakref.ref[Autosaver]] = []

    def register(self, saver: Autosaver) -> None:
        self._savers.append(weakref.ref(saver))
        saver.destroyed.connect(lambda *_a: self._prune())

    def savers(self) -> list[Autosaver]:
        alive = [s for ref in self._savers if (s := ref()) is not None and isValid(s)]
        return alive

    def _prune(self) -> None:
        self._savers = [ref for ref in self._savers
                        if (s := ref()) is not None and isValid(s)]

    def flush_all(self) -> list[Task]:
        """Queue every editor's unsaved changes on the worker now; returns the queued saves.
        Work queued after this call (closing the workspace) runs after them."""
        return [task for saver in self.savers() if (task := saver.flush()) is not None]
