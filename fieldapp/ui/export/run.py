"""One export running on the database worker, reporting back through Qt signals.

The export service calls ``progress(done, total)`` on the worker thread; :class:`ExportRun`
re-emits it as a signal, which Qt queues to the main thread. Cancel sets a
``threading.Event`` that the service checks every few hundred rows; the service then removes
its partial output and raises :class:`ExportCancelled`, reported here as :attr:`cancelled`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from fieldapp.services import export as export_service
from fieldapp.services.export import ExportCancelled, ExportOptions, ExportSummary
from fieldapp.ui.tasks import DbWorker, Task

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


class ExportRun(QObject):
    #: rows written so far, rows in all (on the main thread)
    progress = Signal(int, int)
    #: the :class:`ExportSummary`
    finished = Signal(object)
    #: the export stopped because Cancel was pressed; nothing was written
    cancelled = Signal(object)
    #: any other error (a FieldappError carries its translated message)
    failed = Signal(object)

    def __init__(self, tasks: DbWorker, path: Path, options: ExportOptions,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.path = path
        self.options = options
        self.cancel_requested = threading.Event()
        self.task: Task | None = None
        #: from start() until the worker reported back (with a synchronous worker, the report
        #: comes before ``tasks.run`` returns, so the task alone cannot tell)
        self.running = False

    def start(self) -> None:
        path, options, cancel = self.path, self.options, self.cancel_requested

        def work(ws: Workspace) -> ExportSummary:
            # runs on the worker thread: the signal is queued to the main thread
            return export_service.export(ws, path, options, progress=self.progress.emit,
                                         should_cancel=cancel)

        self.running = True
        self.task = self.tasks.run(work, self._done, self._error)

    def cancel(self) -> None:
        self.cancel_requested.set()

    def _done(self, summary: ExportSummary) -> None:
        self.running = False
        self.finished.emit(summary)

    def _error(self, exc: BaseException) -> None:
        self.running = False
        if isinstance(exc, ExportCancelled):
            self.cancelled.emit(exc)
        else:
            self.failed.emit(exc)
