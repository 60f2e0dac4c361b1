"""An interview's attachments: added encrypted, opened from memory, saved out on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_list, format_number
from fieldapp.services import attachments
from fieldapp.store.errors import InvalidInput
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog, show_dialog
from fieldapp.ui.labels import label
from fieldapp.ui.language import refresh_message, set_message
from fieldapp.ui.views import media

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

#: Larger files are refused before any work: a clear message instead of a long wait.
MAX_ATTACHMENT_BYTES = 512 * 1024 * 1024
#: What "Open" will decrypt into memory to show; larger files must be saved out.
MAX_PREVIEW_BYTES = 64 * 1024 * 1024


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return _("{n} MB").format(n=format_number(round(size / 1024 / 1024, 1)))
    return _("{n} KB").format(n=format_number(max(1, round(size / 1024))))


class AttachmentViewer(QDialog):
    """Shows a decrypted picture, PDF, recording or text from memory; nothing is written to disk."""

    def __init__(self, ctx: AppContext, name: str, mime: str, data: bytes,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachment_viewer")
        self.setWindowTitle(name)
        layout = QVBoxLayout(self)
        self.view = media.view_for(mime, name, data, self)
        if self.view is not None:
            layout.addWidget(self.view)
        ctx.language.changed.connect(self.retranslate_ui)
        self.resize(760, 560 if not isinstance(self.view, media.AudioPlayer) else 140)

    def retranslate_ui(self) -> None:
        for label_ in self.findChildren(QLabel):
            refresh_message(label_)
        if isinstance(self.view, media.AudioPlayer):
            self.view.retranslate_ui()

    def done(self, result: int) -> None:
        if isinstance(self.view, media.AudioPlayer):
            self.view.stop()  # let go of the decrypted recording
        super().done(result)
        # The decrypted bytes go with the dialog, deleted from the event loop (not from Python:
        # see AudioPlayer._call).
        self.deleteLater()


class AttachmentsPanel(QWidget):
    #: (file name, decrypted bytes) of a recording to transcribe in the interview editor
    transcribe_requested = Signal(str, bytes)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("attachments_panel")
        self.interview_id: str | None = None
        self.viewer: AttachmentViewer | None = None
        self.list = QListWidget()
        self.list.setObjectName("attachment_list")
        self.add = QPushButton()
        self.add.setObjectName("add_attachment")
        self.open = QPushButton()
        self.open.setObjectName("open_attachment")
        self.save = QPushButton()
        self.save.setObjectName("save_attachment")
        self.transcribe = QPushButton()
        self.transcribe.setObjectName("transcribe_attachment")
        self.delete = QPushButton()
        self.delete.setObjectName("delete_attachment")
        self.empty = QLabel()
        self.empty.setObjectName("attachments_empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.consent_note = QLabel()
        self.consent_note.setObjectName("audio_consent_note")
        self.consent_note.setWordWrap(True)
        self.consent_note.hide()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.list)
        for button, icon in ((self.add, "add"), (self.open, "open"),
                             (self.transcribe, "transcribe"), (self.save, "export"),
                             (self.delete, "delete")):
            button.setIcon(style.icon(icon))
        row = QHBoxLayout()
        for b in (self.add, self.open, self.transcribe, self.save):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.delete)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.consent_note)
        layout.addWidget(self.pages, 1)
        layout.addLayout(row)
        self.add.clicked.connect(self.add_file)
        self.open.clicked.connect(self.open_selected)
        self.save.clicked.connect(self.save_selected)
        self.transcribe.clicked.connect(self.transcribe_selected)
        self.delete.clicked.connect(self.delete_selected)
        self.list.itemActivated.connect(lambda _i: self.open_selected())
        self.list.currentItemChanged.connect(lambda *_a: self._update_buttons())
        ctx.language.changed.connect(self.retranslate_ui)
        self._rows: list[dict[str, Any]] = []
        self._missing_audio_consent: list[str] = []
        self.retranslate_ui()
        self.setEnabled(False)

    def retranslate_ui(self) -> None:
        self.list.setAccessibleName(_("Attachments"))
        self.add.setText(_("Add file…"))
        self.add.setToolTip(_("Audio, photos of signed forms, documents: stored encrypted"))
        self.open.setText(_("Open"))
        self.open.setToolTip(_("Show it from memory; no copy is written to disk"))
        self.save.setText(_("Save a copy as…"))
        self.save.setToolTip(_("Writes an unencrypted copy where you choose"))
        self.transcribe.setText(_("Transcribe"))
        self.transcribe.setToolTip(_("Play the recording above the notes and type the transcript"))
        self.delete.setText(_("Delete…"))
        self.delete.setToolTip(_("Delete the attachment and its encrypted file"))
        self.empty.setText(_("No attachments yet. Use “Add file…” to keep the interview's "
                             "recording, a photo of the signed consent form or a document with "
                             "it: files are stored encrypted in the workspace."))
        refresh_message(self.consent_note)
        self._show_rows()

    def load(self, interview_id: str) -> None:
        self.interview_id = interview_id
        self.setEnabled(True)
        self.reload()

    def clear(self) -> None:
        close_dialog(self.viewer)
        self.viewer = None
        self.interview_id = None
        self._rows = []
        self._missing_audio_consent = []
        self.list.clear()
        self.consent_note.hide()
        self.setEnabled(False)

    def reload(self) -> None:
        interview_id = self.interview_id
        if interview_id is None:
            return
        def work(ws: Workspace) -> tuple[list[dict[str, Any]], list[str]]:
            return (attachments.attachments_of(ws, interview_id),
                    attachments.audio_consent_missing(ws, interview_id))

        self.ctx.tasks.run(work, lambda result: self._loaded(interview_id, *result))

    def _loaded(self, interview_id: str, rows: list[dict[str, Any]],
                missing: list[str]) -> None:
        if interview_id != self.interview_id:
            return  # another interview was opened meanwhile
        self._rows = rows
        self._missing_audio_consent = missing
        if missing:
            set_message(self.consent_note, lambda: _(
                "{codes} did not consent to audio recording: do not record this interview, and "
                "recordings cannot be attached to it.").format(codes=format_list(missing)),
                "#a15c00")
            self.consent_note.show()
        else:
            self.consent_note.hide()
        self._show_rows()

    def _show_rows(self) -> None:
        self.list.clear()
        for r in self._rows:
            item = QListWidgetItem(f"{r['filename']} · {label('attachment_kind', r['kind'])} · "
                                   f"{_size_text(int(r['size'] or 0))}")
            item.setData(Qt.ItemDataRole.UserRole, r)
            self.list.addItem(item)
        self.pages.setCurrentWidget(self.list if self._rows else self.empty)
        self._update_buttons()

    def _update_buttons(self) -> None:
        att = self._selected()
        for b in (self.open, self.save, self.delete):
            b.setEnabled(att is not None)
        self.transcribe.setEnabled(att is not None and attachments.is_recording(
            str(att["filename"]), str(att["kind"])))

    def _selected(self) -> dict[str, Any] | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def add_file(self, path: Path | None = None) -> None:
        if self.interview_id is None:
            return
        source = path or self.ctx.interaction.open_file(self, _("Add an attachment"))
        if source is None:
            return
        try:
            size = source.stat().st_size
        except OSError as exc:
            self.ctx.interaction.error(self, exc)
            return
        if size > MAX_ATTACHMENT_BYTES:
            self.ctx.interaction.error(self, InvalidInput(_(
                "{name} is {size}; attachments can be at most {limit}. Split the recording or "
                "compress it first.").format(name=source.name, size=_size_text(size),
                                             limit=_size_text(MAX_ATTACHMENT_BYTES))))
            return
        interview_id = self.interview_id

        def work(ws: Workspace) -> str:
            return attachments.add_attachment(ws, source, interview_id=interview_id,
                                              max_bytes=MAX_ATTACHMENT_BYTES)

        self.ctx.tasks.run(work, lambda _aid: self.reload(),
                           lambda exc: self.ctx.interaction.error(self, exc),
                           label=_("Encrypting {name}…").format(name=source.name))

    def open_selected(self) -> None:
        att = self._selected()
        if att is None:
            return
        if int(att["size"] or 0) > MAX_PREVIEW_BYTES or not media.can_show(str(att["mime"])):
            self.ctx.interaction.info(self, _("Open an attachment"), _(
                "{name} cannot be shown inside fieldapp. Use “Save a copy as…” to open it in "
                "another program, and delete the copy afterwards.").format(name=att["filename"]))
            return
        aid = att["id"]
        self.ctx.tasks.run(lambda ws: attachments.read_attachment(ws, aid),
                           lambda data: self._show(att, data),
                           lambda exc: self.ctx.interaction.error(self, exc),
                           label=_("Decrypting {name}…").format(name=att["filename"]))

    def _show(self, att: dict[str, Any], data: bytes) -> None:
        close_dialog(self.viewer)
        self.viewer = AttachmentViewer(self.ctx, att["filename"], att["mime"], data, self)
        show_dialog(self.viewer)

    def transcribe_selected(self) -> None:
        att = self._selected()
        if att is None or not attachments.is_recording(str(att["filename"]), str(att["kind"])):
            return
        if int(att["size"] or 0) > MAX_PREVIEW_BYTES:
            self.ctx.interaction.info(self, _("Transcribe"), _(
                "{name} is too large to play from memory (more than {limit}). Split the "
                "recording into parts and attach those.").format(
                name=att["filename"], limit=_size_text(MAX_PREVIEW_BYTES)))
            return
        aid, name = att["id"], str(att["filename"])
        self.ctx.tasks.run(lambda ws: attachments.read_attachment(ws, aid),
                           lambda data: self.transcribe_requested.emit(name, data),
                           lambda exc: self.ctx.interaction.error(self, exc),
                           label=_("Decrypting {name}…").format(name=name))

    def delete_selected(self) -> None:
        att = self._selected()
        if att is None:
            return
        if not self.ctx.interaction.confirm(
                self, _("Delete the attachment"),
                _("Delete {name}? Its encrypted file is removed from this workspace, and the "
                  "deletion reaches the team with the next sync. This cannot be undone.").format(
                    name=att["filename"]),
                ok=_("Delete"), destructive=True):
            return
        aid = att["id"]
        self.ctx.tasks.run(lambda ws: attachments.delete_attachment(ws, aid),
                           lambda _r: self.reload(),
                           lambda exc: self.ctx.interaction.error(self, exc),
                           label=_("Deleting {name}…").format(name=att["filename"]))

    def save_selected(self) -> None:
        att = self._selected()
        if att is None:
            return
        target = self.ctx.interaction.save_file(self, _("Save a copy of the attachment"),
                                                att["filename"])
        if target is None:
            return
        aid = att["id"]
        self.ctx.tasks.run(lambda ws: attachments.save_attachment_as(ws, aid, target), None,
                           lambda exc: self.ctx.interaction.error(self, exc),
                           label=_("Saving {name}…").format(name=att["filename"]))
