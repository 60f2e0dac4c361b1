"""Attachments shown from memory: pictures, PDFs and recordings, never a decrypted copy on disk.

Every widget here is given the decrypted bytes and reads them through a :class:`QBuffer`:
``QPdfDocument.load(QIODevice)`` and ``QMediaPlayer.setSourceDevice`` both stream from the
buffer, so no file is written (Qt's FFmpeg back end reads through its own I/O callbacks; nothing
is passed a path). ``tests/ui/test_attachments_in_memory.py`` checks this from outside: a child
process opens each kind while every place it could write to is scanned for the plaintext.

QtPdf and QtMultimedia are optional at run time: a machine without PulseAudio's client library
(``libpulse0`` on Debian/Ubuntu) cannot load QtMultimedia, and the player then says which
package to install instead of the app failing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Q_ARG, QBuffer, QByteArray, QIODevice, QMetaObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number
from fieldapp.ui.language import set_message

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QMediaPlayer

#: Playback speeds offered for transcribing (1.0 is normal).
SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
#: How far "back" and "forward" jump, in milliseconds.
JUMP_MS = 5000


def memory_device(data: bytes, parent: Any = None) -> QBuffer:
    """An open, read-only device over ``data``: what Qt's PDF and media readers stream from."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    return buffer


def format_time(ms: int) -> str:
    """``mm:ss`` below an hour, ``h:mm:ss`` from an hour on (what transcripts are stamped with)."""
    seconds = max(0, int(ms)) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


_QUIET = False


def quiet_multimedia() -> None:
    """Keep Qt's multimedia back end from describing recordings on standard error.

    When it opens a file FFmpeg prints the file's name and metadata (title, comment, artist...),
    which can name an interviewee, through Qt's ``qt.multimedia.*`` logging categories. They are
    switched off, and a message handler drops them even when ``QT_LOGGING_RULES`` (which has
    the last word over the rules set here) turns them on: nothing in the environment may make
    the app write what is inside a recording. ``QT_FFMPEG_DEBUG`` is dropped for the same reason.
    """
    global _QUIET
    if _QUIET:
        return
    _QUIET = True
    import os

    from PySide6.QtCore import QLoggingCategory, qInstallMessageHandler

    os.environ.pop("QT_FFMPEG_DEBUG", None)
    QLoggingCategory.setFilterRules("qt.multimedia*=false")
    previous = None

    def handler(mode: Any, context: Any, message: str) -> None:
        category = str(getattr(context, "category", "") or "")
        if category.startswith("qt.multimedia"):
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            import sys

            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def multimedia_problem() -> str | None:
    """Why recordings cannot play on this machine, or None when they can."""
    try:
        from PySide6 import QtMultimedia  # noqa: F401
    except ImportError as exc:
        text = str(exc)
        if "libpulse" in text:
            return _("Recordings cannot play: the system library libpulse.so.0 is missing. "
                     "Install the package libpulse0 (sudo apt install libpulse0) and restart "
                     "fieldapp.")
        return _("Recordings cannot play: Qt's multimedia module is missing. Reinstall fieldapp "
                 "with its dependencies (python3 -m fieldapp.bootstrap run).")
    return None


class ImageView(QScrollArea):
    def __init__(self, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("image_view")
        pixmap = QPixmap()
        self.loaded = pixmap.loadFromData(data)
        label = QLabel()
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if self.loaded:
            label.setPixmap(pixmap)
        else:
            set_message(label, lambda: _("This picture cannot be shown: its data is damaged or in "
                                         "a format fieldapp does not know."))
        self.setWidget(label)
        self.setWidgetResizable(not self.loaded)


class PdfView(QWidget):
    """A PDF read from memory, page by page, with the page count."""

    def __init__(self, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtPdfWidgets import QPdfView

        self.setObjectName("pdf_view")
        self.buffer = memory_device(data, self)
        self.document = QPdfDocument(self)
        self.document.load(self.buffer)
        self.view = QPdfView(self)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        self.info = QLabel()
        self.info.setObjectName("pdf_info")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.info)
        set_message(self.info, self._info)

    @property
    def ready(self) -> bool:
        from PySide6.QtPdf import QPdfDocument

        return bool(self.document.status() == QPdfDocument.Status.Ready)

    def _info(self) -> str:
        if not self.ready:
            return _("This PDF cannot be shown: it is damaged or protected.")
        n = self.document.pageCount()
        return _("{n} pages").format(n=format_number(n))


class TextView(QPlainTextEdit):
    def __init__(self, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("text_view")
        self.setReadOnly(True)
        self.setPlainText(data.decode("utf-8", errors="replace"))


class AudioPlayer(QWidget):
    """Plays a recording from memory: play/pause, back and forward 5 s, speed, position.

    Used on its own in the attachment viewer and inside the transcription bar.
    """

    position_changed = Signal(int)  # ms

    def __init__(self, data: bytes, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audio_player")
        self.player: QMediaPlayer | None = None
        self._seeks = 0  # seeks queued and not yet carried out (see _call)
        self._seek_target = 0
        self.problem = multimedia_problem()
        self.play_button = QPushButton()
        self.play_button.setObjectName("play_pause")
        self.back_button = QPushButton()
        self.back_button.setObjectName("back_5s")
        self.forward_button = QPushButton()
        self.forward_button.setObjectName("forward_5s")
        self.speed = QComboBox()
        self.speed.setObjectName("playback_speed")
        for rate in SPEEDS:
            self.speed.addItem(f"{format_number(rate)}×", rate)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("audio_position")
        self.time = QLabel("00:00 / 00:00")
        self.time.setObjectName("audio_time")
        self.message = QLabel()
        self.message.setObjectName("audio_message")
        self.message.setWordWrap(True)
        style = self.style()
        for button, icon in ((self.back_button, QStyle.StandardPixmap.SP_MediaSeekBackward),
                             (self.forward_button, QStyle.StandardPixmap.SP_MediaSeekForward)):
            button.setIcon(style.standardIcon(icon))
        row = QHBoxLayout()
        for w in (self.back_button, self.play_button, self.forward_button):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time)
        row.addWidget(self.speed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.retranslate_ui()
        if self.problem:
            widgets: tuple[QWidget, ...] = (self.play_button, self.back_button,
                                             self.forward_button, self.speed, self.slider)
            for widget in widgets:
                widget.setEnabled(False)
            self.message.setText(self.problem)
            return
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        quiet_multimedia()
        self.buffer = memory_device(data, self)
        self.player = QMediaPlayer(self)
        self.buffer.setParent(self.player)  # freed after the player has stopped its threads
        self.output = QAudioOutput(self)
        self.player.setAudioOutput(self.output)
        # A name, not a path: it only tells the decoder the format; nothing is opened by it.
        self.player.setSourceDevice(self.buffer, QUrl(f"memory:{name}"))
        self.player.durationChanged.connect(self._duration)
        self.player.positionChanged.connect(self._position)
        self.player.playbackStateChanged.connect(lambda _s: self.retranslate_ui())
        self.player.errorOccurred.connect(self._error)
        self.play_button.clicked.connect(self.toggle)
        self.back_button.clicked.connect(lambda: self.jump(-JUMP_MS))
        self.forward_button.clicked.connect(lambda: self.jump(JUMP_MS))
        self.speed.currentIndexChanged.connect(self._rate_chosen)
        self.slider.sliderMoved.connect(self.seek)

    # -- state ---------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        if self.player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return bool(self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)

    def position(self) -> int:
        """Where the player is, or where a seek not yet carried out will take it (seeks are
        queued, so F9 pressed twice jumps 10 s)."""
        if self._seeks:
            return self._seek_target
        return int(self.player.position()) if self.player is not None else 0

    def duration(self) -> int:
        return int(self.player.duration()) if self.player is not None else 0

    # -- actions -------------------------------------------------------------------------

    def _call(self, slot: str, *args: Any) -> None:
        """Run one of the player's slots from the event loop instead of from Python.

        Qt's FFmpeg back end starts and tears down its decoding threads inside ``play``,
        ``pause``, ``stop`` and seeks. While it does, one of those threads may be destroying an
        object whose Python wrapper needs the interpreter lock, while the slot, called from
        Python, holds that lock and waits for the thread's mutex: a deadlock (seen in the
        suite, and possible for a user pressing F8). Queued, the slot runs in C++ from the event
        loop, which runs without the interpreter lock."""
        if self.player is None:
            return
        QMetaObject.invokeMethod(self.player, slot, Qt.ConnectionType.QueuedConnection,
                                 *(Q_ARG(kind, value) for kind, value in args))

    def toggle(self) -> None:
        if self.player is None:
            return
        self._call("pause" if self.playing else "play")

    def pause(self) -> None:
        self._call("pause")

    def jump(self, delta_ms: int) -> None:
        self.seek(self.position() + delta_ms)

    def seek(self, ms: int) -> None:
        if self.player is None:
            return
        end = self.duration()
        self._seek_target = max(0, min(int(ms), end) if end else max(0, int(ms)))
        self._seeks += 1
        self._call("setPosition", ("qint64", self._seek_target))
        # Posted after the seek to the same thread's queue, so it runs once the seek is done.
        QMetaObject.invokeMethod(self, "_seek_done", Qt.ConnectionType.QueuedConnection)

    @Slot()
    def _seek_done(self) -> None:
        self._seeks -= 1

    def _rate_chosen(self, _index: int) -> None:
        self._call("setPlaybackRate", (float, float(self.speed.currentData())))

    def rate(self) -> float:
        return float(self.player.playbackRate()) if self.player is not None else 1.0

    def set_rate(self, rate: float) -> None:
        if rate in SPEEDS:
            self.speed.setCurrentIndex(SPEEDS.index(rate))

    def stop(self) -> None:
        """Stop playing. The decrypted bytes go with the player: the buffer is the player's
        child, so the player's own teardown (which stops its decoding threads) runs before the
        buffer is freed. Resetting the source here instead (``setSourceDevice(None)``) can
        deadlock Qt's FFmpeg back end while its threads still wait on the stopped sink; see
        :meth:`_call` for why the stop is queued."""
        self._call("stop")

    # -- display -------------------------------------------------------------------------

    def retranslate_ui(self) -> None:
        self.play_button.setText(_("Pause") if self.playing else _("Play"))
        self.play_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if self.playing
            else QStyle.StandardPixmap.SP_MediaPlay))
        self.back_button.setText(_("Back 5 s"))
        self.forward_button.setText(_("Forward 5 s"))
        self.speed.setToolTip(_("Playback speed"))
        self.slider.setAccessibleName(_("Position in the recording"))

    def _duration(self, ms: int) -> None:
        self.slider.setRange(0, int(ms))
        self._show_time()

    def _position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(int(ms))
        self._show_time()
        self.position_changed.emit(int(ms))

    def _show_time(self) -> None:
        self.time.setText(f"{format_time(self.position())} / {format_time(self.duration())}")

    def _error(self, *_args: Any) -> None:
        set_message(self.message, lambda: _("This recording cannot be played: it is damaged or in "
                                            "a format fieldapp cannot decode."))


def view_for(mime: str, name: str, data: bytes, parent: QWidget | None = None) -> QWidget | None:
    """The widget that shows ``data`` from memory, or None when fieldapp cannot show it."""
    if mime.startswith("image/"):
        return ImageView(data, parent)
    if mime == "application/pdf":
        return PdfView(data, parent)
    if mime.startswith(("audio/", "video/")):
        return AudioPlayer(data, name, parent)
    if mime.startswith("text/") or mime in ("application/json", "text/csv"):
        return TextView(data, parent)
    return None


def can_show(mime: str) -> bool:
    return mime.startswith(("image/", "audio/", "video/", "text/")) or mime in (
        "application/pdf", "application/json")
