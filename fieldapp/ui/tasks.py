"""The one background-task helper: a single database worker thread that owns the Workspace.

Every piece of work that touches the workspace (or is slow: key derivation, search, attachment
import, demo creation) goes through :class:`DbWorker`. The work runs on the worker thread — the
SQLCipher connection is only ever used there — and its callback comes back on the main thread
with either the result or the error. A reference to each running task is kept until it has
reported back.

Tests make the worker *synchronous* (the work and its callback run at once, on the calling
thread) so they need not wait; a few tests use the real thread.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from fieldapp.store.errors import WorkspaceLocked

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class ProgressRelay(QObject):
    """Hands progress messages from the worker thread to the main thread: ``callback`` is
    called on the worker; ``message`` is delivered to main-thread receivers, queued."""

    message = Signal(str)

    def callback(self, text: str) -> None:
        self.message.emit(text)


@dataclass(eq=False)
class Task:
    """A unit of work; ``label`` (translated) asks for a progress dialog if it runs long."""

    fn: Callable[[], Any]
    on_done: Done | None
    on_error: Failed | None
    label: str = ""
    started: float = field(default_factory=time.monotonic)
    result: Any = None
    error: BaseException | None = None


class DbWorker(QObject):
    """Runs work on one thread that owns the open :class:`Workspace` (or none, when locked)."""

    #: emitted (on the main thread) when a task is queued or finishes; carries the running count
    busy_changed = Signal(int)
    #: a task with a progress label started: (task)
    long_task_started = Signal(object)
    _finished = Signal(object)

    def __init__(self, *, synchronous: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._ws: Workspace | None = None  # touched only by work running on the worker
        self._running: set[Task] = set()
        self._thread_id: int | None = None
        self.default_error: Failed | None = None
        self._finished.connect(self._report)

    # -- submitting work -----------------------------------------------------------------

    def run(self, fn: Callable[[Workspace], Any], on_done: Done | None = None,
            on_error: Failed | None = None, *, label: str = "") -> Task:
        """Run ``fn(workspace)`` on the worker; fails with WorkspaceLocked when none is open."""

        def with_ws() -> Any:
            if self._ws is None:
                raise WorkspaceLocked()
            return fn(self._ws)

        return self.submit(with_ws, on_done, on_error, label=label)

    def submit(self, fn: Callable[[], Any], on_done: Done | None = None,
               on_error: Failed | None = None, *, label: str = "") -> Task:
        """Run ``fn()`` on the worker (for work that needs no open workspace)."""
        task = Task(fn, on_done, on_error, label)
        self._running.add(task)
        self.busy_changed.emit(len(self._running))
        if label:
            self.long_task_started.emit(task)
        if self.synchronous:
            self._execute(task)
            self._report(task)
        else:
            self._pool().submit(self._execute_and_signal, task)
        return task

    def open_workspace(self, opener: Callable[[], Any], on_done: Done | None = None,
                       on_error: Failed | None = None, *, label: str = "") -> Task:
        """Run ``opener()`` (which returns a Workspace, or a tuple starting with one) on the
        worker and keep the workspace there. The callback gets what ``opener`` returned."""

        def open_and_keep() -> Any:
            from fieldapp.services.search import defer_indexing

            if self._ws is not None:
                self._ws.close()
                self._ws = None
            result = opener()
            ws = result[0] if isinstance(result, tuple) else result
            # Saves in the desktop leave re-indexing to idle time (fieldapp.ui.idle_index).
            defer_indexing(ws)
            self._ws = ws
            return result

        return self.submit(open_and_keep, on_done, on_error, label=label)

    def close_workspace(self, on_done: Done | None = None) -> Task:
        """Close the workspace on the worker: the key is dropped, the lock released."""

        def close() -> None:
            ws, self._ws = self._ws, None
            if ws is not None:
                ws.close()

        return self.submit(close, on_done, lambda exc: log.warning("close failed: %r", exc))

    def is_running(self, task: Task) -> bool:
        return task in self._running

    @property
    def running(self) -> int:
        return len(self._running)

    def has_workspace_hint(self) -> bool:
        """Whether a workspace is open (a hint for the UI; the worker is the authority)."""
        return self._ws is not None

    def wait_idle(self, timeout: float | None = 10.0) -> None:
        """Block until queued work has run (tests, and saving before the app exits: it
        processes no events; ``None`` waits as long as that takes)."""
        if self._executor is None:
            return
        self._executor.submit(lambda: None).result(timeout)

    def shutdown(self) -> None:
        """Close the workspace and stop the thread (on quit)."""
        if self.synchronous:
            ws, self._ws = self._ws, None
            if ws is not None:
                ws.close()
            return
        if self._executor is None:
            return
        self.close_workspace()
        self._executor.shutdown(wait=True)
        self._executor = None

    def abandon(self) -> None:
        """Forget the workspace without closing it: what a crash does (crash tests only)."""
        self._ws = None

    # -- internals -----------------------------------------------------------------------

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="fieldapp-db")
        return self._executor

    def _execute(self, task: Task) -> None:
        self._thread_id = threading.get_ident()
        try:
            task.result = task.fn()
        except BaseException as exc:  # reported to the main thread, never swallowed
            task.error = exc

    def _execute_and_signal(self, task: Task) -> None:
        self._execute(task)
        self._finished.emit(task)

    def _report(self, task: Task) -> None:
        self._running.discard(task)
        self.busy_changed.emit(len(self._running))
        if task.error is not None:
            if isinstance(task.error, WorkspaceLocked) and task.on_error is None:
                # Work a view asked for while the workspace was being locked (a view clearing
                # itself moves its selection): there is nothing to show, and the locked page
                # already tells the researcher what to do.
                return
            handler = task.on_error or self.default_error
            if handler is not None:
                handler(task.error)
            else:
                log.error("background task failed: %r", type(task.error).__name__)
        elif task.on_done is not None:
            task.on_done(task.result)
