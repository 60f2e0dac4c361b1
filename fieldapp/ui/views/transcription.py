"""Transcription mode: a recording plays above the interview's notes while the researcher types.

The keys follow the transcription tools researchers already use (oTranscribe, f4/f5): one key
plays and pauses, two jump back and forward five seconds, one writes the current time into the
transcript. They work while the cursor is in a note, so the hands never leave the keyboard:

    F8  play / pause        F7  back 5 s        F9  forward 5 s        Ctrl+T  insert [mm:ss]

A time written like ``[12:34]`` or ``[1:02:03]`` anywhere in a note is a link: clicking it seeks
the recording there. The recording is decrypted into memory only (:mod:`fieldapp.ui.views.media`)
and let go when transcription mode closes, the interview changes or the workspace locks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from fieldapp.i18n import _
from fieldapp.ui.views.media import JUMP_MS, AudioPlayer, format_time

KEY_PLAY = "F8"
KEY_BACK = "F7"
KEY_FORWARD = "F9"
KEY_STAMP = "Ctrl+T"

#: ``[mm:ss]`` or ``[h:mm:ss]``, the forms :func:`stamp` writes.
TIMESTAMP = re.compile(r"\[(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)\]")


def stamp(ms: int) -> str:
    return f"[{format_time(ms)}] "


def timestamp_at(text: str, pos: int) -> int | None:
    """The time (ms) of the timestamp around character ``pos`` of ``text``, if there is one."""
    for match in TIMESTAMP.finditer(text):
        if match.start() <= pos <= match.end():
            hours = int(match.group(1) or 0)
            return ((hours * 60 + int(match.group(2))) * 60 + int(match.group(3))) * 1000
        if match.start() > pos:
            break
    return None


class TranscriptionBar(QWidget):
    """The player of transcription mode, docked above the notes; hidden until started."""

    closed = Signal()

    def __init__(self, host: QWidget, editor: Callable[[], QPlainTextEdit | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcription_bar")
        self._editor = editor
        self.player: AudioPlayer | None = None
        self.title = QLabel()
        self.title.setObjectName("transcription_title")
        self.keys = QLabel()
        self.keys.setObjectName("transcription_keys")
        self.close_button = QPushButton()
        self.close_button.setObjectName("close_transcription")
        self.close_button.clicked.connect(self.stop)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.keys)
        top.addWidget(self.close_button)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(4, 4, 4, 4)
        self.body.addLayout(top)
        self._name = ""
        self._watched: set[QObject] = set()
        # Shortcuts on the host (the interview editor) so they work while a note has focus.
        self.shortcuts = []
        for key, slot in ((KEY_PLAY, self.toggle), (KEY_BACK, lambda: self.jump(-JUMP_MS)),
                          (KEY_FORWARD, lambda: self.jump(JUMP_MS)), (KEY_STAMP, self.insert_time)):
            shortcut = QShortcut(QKeySequence(key), host)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.setEnabled(False)
            shortcut.activated.connect(slot)
            self.shortcuts.append(shortcut)
        self.retranslate_ui()
        self.hide()

    @property
    def active(self) -> bool:
        return self.player is not None

    def retranslate_ui(self) -> None:
        self.title.setText(_("Transcribing {name}").format(name=self._name) if self._name else "")
        self.keys.setText(_("{play} play/pause · {back} back 5 s · {forward} forward 5 s · "
                            "{stamp} insert the time · click a time to jump to it").format(
            play=KEY_PLAY, back=KEY_BACK, forward=KEY_FORWARD,
            stamp=QKeySequence(KEY_STAMP).toString(QKeySequence.SequenceFormat.NativeText)))
        self.close_button.setText(_("Close recording"))
        if self.player is not None:
            self.player.retranslate_ui()

    # -- starting and stopping -----------------------------------------------------------

    def start(self, name: str, data: bytes) -> None:
        self.stop()
        self._name = name
        self.player = AudioPlayer(data, name, self)
        self.body.addWidget(self.player)
        for shortcut in self.shortcuts:
            shortcut.setEnabled(True)
        self.retranslate_ui()
        self.show()

    def stop(self) -> None:
        """Close the recording and drop its decrypted bytes."""
        if self.player is None:
            return
        self.player.stop()
        self.body.removeWidget(self.player)
        self.player.hide()  # gone at once, not when the event loop next deletes it
        # Still parented, so dropping the Python reference below does not destroy the player
        # here, from Python: the event loop deletes it, after the queued stop, without the
        # interpreter lock (see AudioPlayer._call).
        self.player.deleteLater()
        self.player = None
        self._name = ""
        for shortcut in self.shortcuts:
            shortcut.setEnabled(False)
        self.hide()
        self.closed.emit()

    # -- actions -------------------------------------------------------------------------

    def toggle(self) -> None:
        if self.player is not None:
            self.player.toggle()

    def jump(self, delta_ms: int) -> None:
        if self.player is not None:
            self.player.jump(delta_ms)

    def insert_time(self) -> None:
        edit = self._editor()
        if self.player is None or edit is None or edit.isReadOnly() or not edit.isEnabled():
            return
        edit.textCursor().insertText(stamp(self.player.position()))

    def watch(self, edit: QPlainTextEdit) -> None:
        """Make the timestamps in ``edit`` clickable while a recording is open."""
        viewport = edit.viewport()
        if viewport not in self._watched:
            viewport.installEventFilter(self)
            self._watched.add(viewport)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (self.player is not None and event.type() == QEvent.Type.MouseButtonRelease
                and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton):
            edit = watched.parent()
            if isinstance(edit, QPlainTextEdit):
                cursor = edit.cursorForPosition(event.position().toPoint())
                block = cursor.block()
                ms = timestamp_at(block.text(), cursor.positionInBlock())
                if ms is not None:
                    self.player.seek(ms)
        return False
