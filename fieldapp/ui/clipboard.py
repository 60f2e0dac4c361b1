"""Copying secrets (the recovery key) without leaving them in clipboard history.

The copy carries ``x-kde-passwordManagerHint: secret`` (KDE Klipper and other clipboard managers
that honour it skip such entries) and is cleared after a minute if it is still ours.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QObject, QTimer
from PySide6.QtGui import QGuiApplication

SECRET_HINT = "x-kde-passwordManagerHint"  # noqa: S105 - a MIME type name


class SecretClipboard(QObject):
    def __init__(self, clear_after_s: int = 60, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clear_after_ms = max(1, clear_after_s) * 1000
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self._text = ""

    def copy(self, text: str) -> None:
        mime = QMimeData()
        mime.setText(text)
        mime.setData(SECRET_HINT, b"secret")
        QGuiApplication.clipboard().setMimeData(mime)
        self._text = text
        self._timer.start(self.clear_after_ms)

    def pending(self) -> bool:
        return self._timer.isActive()

    def clear(self) -> None:
        """Empty the clipboard if it still holds what we put there."""
        self._timer.stop()
        clipboard = QGuiApplication.clipboard()
        if self._text and clipboard.text() == self._text:
            clipboard.clear()
        self._text = ""
