"""Search from anywhere: results as you type, highlighted snippets, open at the passage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, QTimer, Signal
from PySide6.QtGui import QPainter, QTextDocument
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number, ngettext
from fieldapp.services import search as search_service
from fieldapp.services.search import SearchResult
from fieldapp.ui.context import AppContext
from fieldapp.ui.models.search import HTML_ROLE, RESULT_ROLE, SearchResultModel, ShownResult, find_spans
from fieldapp.ui.views.memos import MemoSearchResults

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

DEBOUNCE_MS = 150


class HtmlDelegate(QStyledItemDelegate):
    """Draws an item's HTML_ROLE (heading and highlighted snippet)."""

    def _document(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
                  ) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(str(index.data(HTML_ROLE) or ""))
        doc.setTextWidth(max(100, option.rect.width()))
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        text_backup = option.text
        option.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter,
                              option.widget)
        option.text = text_backup
        doc = self._document(option, index)
        painter.save()
        rect = option.rect
        painter.translate(rect.topLeft())
        doc.drawContents(painter, QRectF(0, 0, rect.width(), rect.height()))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        self.initStyleOption(option, index)
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 4)


class SearchView(QWidget):
    #: interview id, note kind, start, end (code points in the note)
    open_requested = Signal(str, str, int, int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("search_view")
        self.query = QLineEdit()
        self.query.setObjectName("search_query")
        self.query.setClearButtonEnabled(True)
        self.status = QLabel()
        self.status.setObjectName("search_status")
        self.model = SearchResultModel(self)
        self.results = QListView()
        self.results.setObjectName("search_results")
        self.results.setModel(self.model)
        self.results.setItemDelegate(HtmlDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setUniformItemSizes(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.query)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        self.memo_results = MemoSearchResults(ctx)  # memos too (fieldapp/ui/views/memos.py)
        layout.addWidget(self.memo_results)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        self.query.returnPressed.connect(self._open_first)
        self.results.activated.connect(self._open)
        self._generation = 0
        self._last_query = ""
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.query.setPlaceholderText(_("Search notes in Chinese or English (e.g. 艾滋, 登记, "
                                        "contract)"))
        self.query.setAccessibleName(_("Search"))
        self.results.setAccessibleName(_("Search results"))
        self.model.retranslate()
        self._show_status()

    def focus(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def clear(self) -> None:
        self._generation += 1
        self.timer.stop()
        self.query.blockSignals(True)
        self.query.clear()
        self.query.blockSignals(False)
        self._last_query = ""
        self.memo_results.search("")
        self.model.clear()
        self._show_status()

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "note", "interview") and self._last_query:
            self.run_search()

    def run_search(self) -> None:
        self.timer.stop()
        text = self.query.text().strip()
        self._generation += 1
        generation = self._generation
        self._last_query = text
        self.memo_results.search(text)
        if not text:
            self.model.clear()
            self._show_status()
            return

        def work(ws: Workspace) -> list[ShownResult]:
            return [ShownResult(r, find_spans(r.snippet, text))
                    for r in search_service.search(ws, text)]

        def done(rows: list[ShownResult]) -> None:
            if generation == self._generation:  # a newer query supersedes this one
                self.model.set_results(rows)
                self._show_status()

        self.ctx.tasks.run(work, done)

    def _show_status(self) -> None:
        if not self._last_query:
            self.status.setText(_("Type to search; results appear as you type."))
            return
        n = self.model.rowCount()
        self.status.setText(ngettext("{n} note found", "{n} notes found", n).format(
            n=format_number(n)) if n else _("Nothing found."))

    def _open_first(self) -> None:
        if self.timer.isActive():
            self.run_search()
        if self.model.rowCount():
            self._open(self.model.index(0, 0))

    def _open(self, index: QModelIndex) -> None:
        r = index.data(RESULT_ROLE)
        if isinstance(r, SearchResult):
            self.open_requested.emit(r.interview_id, r.note_kind, r.start, r.end)
