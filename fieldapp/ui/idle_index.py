"""Search indexing in idle time.

In the desktop a note save only records that the note's search entries are stale (see
``fieldapp.store.search``: searches stay exact meanwhile); this brings the index up to date
when the researcher pauses. After a save, once no editor has changed for :data:`IDLE_MS`, one
note is indexed per task on the database worker; a keystroke in any editor postpones the next
step, so indexing never queues ahead of a save. The tokenising runs piece by piece (a few
thousand characters per C call), so the window's event loop keeps running while a long
transcript is indexed.

Lock, quit and closing the workspace index whatever is left before the key is dropped
(``Workspace.close``), and an open indexes what a crash left.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from fieldapp.ui import heap
from fieldapp.ui.tasks import DbWorker

#: Index this long after the last change in any editor.
IDLE_MS = 1500


class IdleIndexer(QObject):
    #: the index caught up with every save (emitted on the main thread)
    caught_up = Signal()

    def __init__(self, tasks: DbWorker, parent: QObject | None = None, *,
                 idle_ms: int = IDLE_MS) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(idle_ms)
        self._timer.timeout.connect(self._step)
        self._due = False      # saves were made that may have left notes unindexed
        self._running = False  # a step is on the worker

    def changed(self) -> None:
        """An editor changed: postpone indexing until typing pauses."""
        if self._due:
            self._timer.start()

    def saved(self) -> None:
        """A save finished: index when the researcher pauses."""
        self._due = True
        self._timer.start()

    @property
    def due(self) -> bool:
        return self._due

    def index_now(self) -> None:
        """Start indexing now rather than after the pause (benchmarks, tests)."""
        self._timer.stop()
        self._step()

    def _step(self) -> None:
        if self._running or not self._due:
            return
        self._running = True

        def step(ws: Any) -> int:
            # Imported here: the unlock dialog shows before the store is loaded.
            from fieldapp.services.search import index_pending

            return index_pending(ws, 1)

        self._tasks.run(step, self._stepped, self._failed)

    def _stepped(self, left: int) -> None:
        self._running = False
        if left:
            if not self._timer.isActive():  # no typing meanwhile: the next note at once
                QTimer.singleShot(0, self, self._go_on)
            return
        self._due = False
        self.caught_up.emit()
        heap.settle()  # a pause in typing: what the saves left behind is collected now

    def _failed(self, _exc: BaseException) -> None:
        # Locked or unreachable: closing or the next open indexes what is left.
        self._running = False
        self._due = False

    def _go_on(self) -> None:
        if not self._timer.isActive():  # typing since the last step waits for its pause
            self._step()
