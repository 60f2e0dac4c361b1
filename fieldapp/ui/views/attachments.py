"""An interview's attachments: added encrypted, opened from memory, saved out on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number
from fieldapp.services import attachments
from fieldapp.store.errors import InvalidInput
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog, show_dialog
from fieldapp.ui.labels import label

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
    """Shows a decrypted image or text from memory; nothing is written to disk."""

    def __init__(self, name: str, mime: str, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachment_viewer")
        self.setWindowTitle(name)
        layout = QVBoxLayout(self)
        if mime.startswith("image/"):
            pixmap = QPixmap()
            pixmap.loadFromData(data)
            view = QLabel()
            view.setPixmap(pixmap)
            scroll = QScrollArea()
            scroll.setWidget(view)
            layout.addWidget(scroll)
        else:
            text = QPlainTextEdit()
            text.setReadOnly(True)
            text.setPlainText(data.decode("utf-8", errors="replace"))
            layout.addWidget(text)
        self.resize(720, 560)


class AttachmentsPanel(QWidget):
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
        row = QHBoxLayout()
        for b in (self.add, self.open, self.save):
            row.addWidget(b)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.add.clicked.connect(self.add_file)
        self.open.clicked.connect(self.open_selected)
        self.save.clicked.connect(self.save_selected)
        self.list.itemActivated.connect(lambda _i: self.open_selected())
        ctx.language.changed.connect(self.retranslate_ui)
        self._rows: list[dict[str, Any]] = []
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
        self.list.clear()
        self.setEnabled(False)

    def reload(self) -> None:
        interview_id = self.interview_id
        if interview_id is None:
            return
        self.ctx.tasks.run(lambda ws: attachments.attachments_of(ws, interview_id),
                           self._loaded)

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self._show_rows()

    def _show_rows(self) -> None:
        self.list.clear()
        for r in self._rows:
            item = QListWidgetItem(f"{r['filename']} · {label('attachment_kind', r['kind'])} · "
                                   f"{_size_text(int(r['size'] or 0))}")
            item.setData(Qt.ItemDataRole.UserRole, r)
            self.list.addItem(item)

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
        if int(att["size"] or 0) > MAX_PREVIEW_BYTES or not (
                str(att["mime"]).startswith(("image/", "text/"))):
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
        self.viewer = AttachmentViewer(att["filename"], att["mime"], data, self)
        show_dialog(self.viewer)

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
