"""A progress dialog for long work, shown only if it is still running after ~600 ms."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from fieldapp.ui.tasks import DbWorker, Task

DELAY_MS = 600


class ProgressWatcher(QObject):
    def __init__(self, tasks: DbWorker, window: QWidget) -> None:
        super().__init__(window)
        self.tasks = tasks
        self.window = window
        self.dialog: QProgressDialog | None = None
        self._task: Task | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self._show)
        tasks.long_task_started.connect(self._started)
        tasks.busy_changed.connect(self._busy_changed)

    def _started(self, task: Task) -> None:
        self._task = task
        self._timer.start()

    def _show(self) -> None:
        task = self._task
        if task is None or not self.tasks.is_running(task):
            return
        self.dialog = QProgressDialog(task.label, "", 0, 0, self.window)
        self.dialog.setObjectName("progress_dialog")
        self.dialog.setCancelButton(None)
        self.dialog.setMinimumDuration(0)
        self.dialog.open()

    def _busy_changed(self, _running: int) -> None:
        if self._task is not None and not self.tasks.is_running(self._task):
            self._task = None
            self._timer.stop()
            if self.dialog is not None:
                self.dialog.close()
                self.dialog.deleteLater()
                self.dialog = None
