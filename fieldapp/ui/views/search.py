"""Search from anywhere: results as you type, highlighted snippets, open at the passage."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QTimer,
    Signal,
)
from PySide6.QtGui import QPainter, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number, ngettext, pick
from fieldapp.services import search as search_service
from fieldapp.services import ui_support
from fieldapp.services.search import SearchFilters, SearchPage, SearchResult
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.empty_state import EmptyState
from fieldapp.ui.labels import choices
from fieldapp.ui.models.search import HTML_ROLE, RESULT_ROLE, SearchResultModel, ShownResult, find_spans
from fieldapp.ui.views.memos import MemoSearchResults

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

DEBOUNCE_MS = 150
PAGE = 50  # results shown at first, and added by "Show more"
NO_DATE = QDate(2000, 1, 1)  # the date boxes' "any date"


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
        qstyle = option.widget.style() if option.widget else None
        text_backup = option.text
        option.text = ""
        if qstyle is not None:
            qstyle.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter,
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
        self.more = QPushButton()
        self.more.setObjectName("search_more")
        self.more.hide()
        self.more.clicked.connect(self.show_more)
        # Filters: a code (with its sub-codes), a site, a date range of the interviews.
        self.code_filter = QComboBox()
        self.code_filter.setObjectName("search_code")
        self.site_filter = QComboBox()
        self.site_filter.setObjectName("search_site")
        self.date_from = QDateEdit()
        self.date_from.setObjectName("search_from")
        self.date_to = QDateEdit()
        self.date_to.setObjectName("search_to")
        self.filter_labels = [QLabel() for _ in range(4)]
        filters = QHBoxLayout()
        for label_, widget in zip(self.filter_labels, (self.code_filter, self.site_filter,
                                                       self.date_from, self.date_to),
                                  strict=True):
            label_.setBuddy(widget)
            filters.addWidget(label_)
            filters.addWidget(widget, 1 if isinstance(widget, QComboBox) else 0)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMinimumDate(NO_DATE)
            edit.setDate(NO_DATE)
            edit.dateChanged.connect(lambda _d: self._filters_changed())
        for combo in (self.code_filter, self.site_filter):
            combo.currentIndexChanged.connect(lambda _i: self._filters_changed())
        self._codes: list[dict[str, object]] = []
        self._limit = PAGE
        self._filling = False
        self._total: tuple[int, bool] = (0, True)
        self.model = SearchResultModel(self)
        self.results = QListView()
        self.results.setObjectName("search_results")
        self.results.setModel(self.model)
        self.results.setItemDelegate(HtmlDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setUniformItemSizes(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        layout.addWidget(self.query)
        layout.addLayout(filters)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.more)
        layout.addLayout(status_row)
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
        self.empty = EmptyState(
            ctx, self.results, "search",
            message=lambda: _("Nothing found in the notes. Try fewer words, or another "
                              "spelling."),
            action=lambda: _("Clear the search"), on_action=self.clear_query,
            filtered=self.filtering,
            filtered_message=lambda: _("Nothing found with these filters."),
            filtered_action=lambda: _("Clear the filters"), on_filtered_action=self.clear_filters,
            shown=lambda: bool(self._last_query))
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.query.setPlaceholderText(_("Search notes in Chinese or English (e.g. 艾滋, 登记, "
                                        "contract)"))
        self.query.setAccessibleName(_("Search"))
        self.results.setAccessibleName(_("Search results"))
        for label_, text in zip(self.filter_labels, (_("&Code:"), _("S&ite:"), _("F&rom:"),
                                                     _("&To:")), strict=True):
            label_.setText(text)
        for edit in (self.date_from, self.date_to):
            edit.setSpecialValueText(_("any date"))
        self.more.setText(_("Show &more"))
        self._fill_filters()
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
        self._total = (0, True)
        self._codes = []
        self._fill_filters()
        self.memo_results.search("")
        self.model.clear()
        self._show_status()

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "code"):
            self.ctx.tasks.run(ui_support.codebook, self._codes_loaded)
        if entity == "vocabulary":
            self._fill_filters()
        if entity in ("*", "note", "interview", "coding") and self._last_query:
            self.run_search(keep_limit=True)

    def _codes_loaded(self, codes: list[dict[str, object]]) -> None:
        self._codes = codes
        self._fill_filters()

    def _fill_filters(self) -> None:
        self._filling = True
        for combo, items in (
                (self.code_filter, [(str(c["id"]), pick(str(c.get("name_zh") or ""),
                                                        str(c.get("name_en") or "")))
                                    for c in self._codes]),
                (self.site_filter, choices("site"))):
            current = combo.currentData()
            combo.clear()
            combo.addItem(_("All"), "")
            for value, text in items:
                combo.addItem(text, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
        self._filling = False

    def filters(self) -> SearchFilters:
        def day(edit: QDateEdit) -> date | None:
            d = edit.date()
            return None if d == NO_DATE else date(d.year(), d.month(), d.day())

        return SearchFilters(code_id=str(self.code_filter.currentData() or ""),
                             site=str(self.site_filter.currentData() or ""),
                             date_from=day(self.date_from), date_to=day(self.date_to))

    def filtering(self) -> bool:
        f = self.filters()
        return bool(f.code_id or f.site or f.date_from or f.date_to)

    def clear_filters(self) -> None:
        """Every filter back to "all", and the search run again."""
        self._filling = True
        for combo in (self.code_filter, self.site_filter):
            combo.setCurrentIndex(0)
        for edit in (self.date_from, self.date_to):
            edit.setDate(NO_DATE)
        self._filling = False
        self.run_search()

    def clear_query(self) -> None:
        self.query.clear()
        self.run_search()
        self.focus()

    def _filters_changed(self) -> None:
        if not self._filling and self._last_query:
            self.run_search()

    def show_more(self) -> None:
        self._limit += PAGE
        self.run_search(keep_limit=True)

    def run_search(self, keep_limit: bool = False) -> None:
        self.timer.stop()
        text = self.query.text().strip()
        self._generation += 1
        generation = self._generation
        self._last_query = text
        if not keep_limit:
            self._limit = PAGE
        limit, filters = self._limit, self.filters()
        self.memo_results.search(text)
        if not text:
            self.model.clear()
            self._total = (0, True)
            self._show_status()
            return

        def work(ws: Workspace) -> tuple[list[ShownResult], SearchPage]:
            page = search_service.search_page(ws, text, limit, filters)
            return [ShownResult(r, find_spans(r.snippet, text)) for r in page.results], page

        def done(found: tuple[list[ShownResult], SearchPage]) -> None:
            if generation == self._generation:  # a newer query supersedes this one
                rows, page = found
                self.model.set_results(rows)
                self._total = (page.total, page.exact)
                self._show_status()

        self.ctx.tasks.run(work, done)

    def _show_status(self) -> None:
        shown = self.model.rowCount()
        total, exact = self._total
        total = max(total, shown)
        self.more.setVisible(bool(self._last_query) and (total > shown or (
            not exact and shown >= self._limit)))
        self.empty.refresh()
        if not self._last_query:
            self.status.setText(_("Type to search; results appear as you type."))
            return
        if not shown:
            self.status.setText(_("Nothing found."))
        elif total > shown:
            self.status.setText(ngettext(
                "{n} note found; the newest {shown} are shown",
                "{n} notes found; the newest {shown} are shown", total).format(
                    n=format_number(total) + ("" if exact else "+"),
                    shown=format_number(shown)))
        else:
            self.status.setText(ngettext("{n} note found", "{n} notes found", shown).format(
                n=format_number(shown)))

    def _open_first(self) -> None:
        if self.timer.isActive():
            self.run_search()
        if self.model.rowCount():
            self._open(self.model.index(0, 0))

    def _open(self, index: QModelIndex) -> None:
        r = index.data(RESULT_ROLE)
        if isinstance(r, SearchResult):
            self.open_requested.emit(r.interview_id, r.note_kind, r.start, r.end)
