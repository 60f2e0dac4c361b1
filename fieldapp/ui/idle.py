"""Lock the workspace after a period without keyboard or mouse input."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent

_input_events: frozenset[QEvent.Type] = frozenset()


def input_events() -> frozenset[QEvent.Type]:
    """The events that count as the researcher's input. Built when first needed (a workspace
    is open): ``QEvent.Type`` is a large enum, and the unlock dialog at start-up needs none of
    it."""
    global _input_events
    if not _input_events:
        from PySide6.QtCore import QEvent

        _input_events = frozenset({
            QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
            QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.InputMethod,
        })
    return _input_events


class IdleWatcher(QObject):
    """An application-wide event filter; emits :attr:`idle` after ``minutes`` without input."""

    idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_minutes(minutes)

    def set_minutes(self, minutes: int) -> None:
        self.interval_ms = max(1, minutes) * 60_000

    def set_interval_ms(self, ms: int) -> None:
        self.interval_ms = ms
        if self._timer.isActive():
            self._timer.start(ms)

    def start(self) -> None:
        self._timer.start(self.interval_ms)

    def stop(self) -> None:
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # the timer first: it runs only while a workspace is open
        if self._timer.isActive() and event.type() in input_events():
            self._timer.start(self.interval_ms)
        return False
