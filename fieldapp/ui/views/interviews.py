"""The interviews view: a filterable, sortable list with counts, the interview editor, and the
deletion of an interview with what goes with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_list, format_number, ngettext
from fieldapp.services import records, registry, ui_support
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.empty_state import EmptyState
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import choices, label
from fieldapp.ui.models.codebook import CodebookModel
from fieldapp.ui.models.interviews import COLUMN, ID_ROLE, InterviewFilter, InterviewTableModel
from fieldapp.ui.views.interview_editor import InterviewEditor

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

FILTERS = ("site", "sector", "status", "interviewer")
NO_DATE = QDate(2000, 1, 1)


class InterviewsView(QWidget):
    #: interview id — a coordinator asked to assign its notes for blind coding
    blind_requested = Signal(str)

    def __init__(self, ctx: AppContext, codebook: CodebookModel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("interviews_view")
        self.model = InterviewTableModel(self)
        self.proxy = InterviewFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("interview_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMN["date"], Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.filter_labels = {name: QLabel() for name in (*FILTERS, "from", "to")}
        self.filters: dict[str, QComboBox] = {}
        grid = QGridLayout()
        for i, name in enumerate(FILTERS):
            combo = QComboBox()
            combo.setObjectName(f"filter_{name}")
            combo.currentIndexChanged.connect(lambda _i, n=name: self._filter_changed(n))
            self.filters[name] = combo
            self.filter_labels[name].setBuddy(combo)
            grid.addWidget(self.filter_labels[name], i // 2, (i % 2) * 2)
            grid.addWidget(combo, i // 2, (i % 2) * 2 + 1)
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for n, edit in enumerate((self.date_from, self.date_to)):
            edit.setObjectName("filter_from" if n == 0 else "filter_to")
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMinimumDate(NO_DATE)
            edit.setDate(NO_DATE)
            edit.dateChanged.connect(self._dates_changed)
            key = "from" if n == 0 else "to"
            self.filter_labels[key].setBuddy(edit)
            grid.addWidget(self.filter_labels[key], 2, n * 2)
            grid.addWidget(edit, 2, n * 2 + 1)
        self.count = QLabel()
        self.count.setObjectName("interview_count")
        self.new_button = QPushButton()
        self.new_button.setObjectName("new_interview")
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("delete_interview")
        self.reset_button = QPushButton()
        self.reset_button.setObjectName("reset_filters")
        left = QWidget()
        self.list_panel = left  # hidden in focus mode
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(grid)
        left_layout.addWidget(self.reset_button)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)
        self.editor = InterviewEditor(ctx, codebook)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.editor)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        layout.addWidget(split)
        self.setTabOrder(self.table, self.new_button)
        self.setTabOrder(self.new_button, self.delete_button)

        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.act_blind = QAction(self.table)
        self.act_blind.setObjectName("assign_blind")
        self.table.addAction(self.act_blind)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.act_blind.triggered.connect(self._blind_requested)
        self.new_button.clicked.connect(self.new_interview)
        self.delete_button.clicked.connect(self.delete_interview)
        self.delete_button.setEnabled(False)
        self.editor.shown.connect(lambda iid: self.delete_button.setEnabled(iid is not None))
        self.reset_button.clicked.connect(self.reset_filters)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.editor.details_saved.connect(self.model.update_record)
        self.editor.details_saved.connect(lambda *_a: self._fill_filters())
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self._filling = False
        self.new_button.setIcon(style.icon("add"))
        self.delete_button.setIcon(style.icon("delete"))
        style.fit_header(self.table)
        self.empty = EmptyState(
            ctx, self.table, "interviews", icon="add",
            message=lambda: _("No interviews yet. Start one here, or from a participant's "
                              "page."),
            action=lambda: _("New interview"), on_action=self.new_interview,
            filtered=lambda: self.model.rowCount() > 0,
            filtered_message=lambda: _("No interview matches these filters."),
            filtered_action=lambda: _("Show all"), on_filtered_action=self.reset_filters)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.act_blind.setText(_("Assign for blind coding…"))
        for name, text in (("site", _("&Site")), ("sector", _("S&ector")),
                           ("status", _("Stat&us")), ("interviewer", _("Inter&viewer")),
                           ("from", _("&From")), ("to", _("&To"))):
            self.filter_labels[name].setText(text)
        for name, widget in (*self.filters.items(), ("from", self.date_from),
                             ("to", self.date_to)):
            widget.setAccessibleName(_("Filter by {what}").format(
                what=self.filter_labels[name].text().replace("&", "")))
        for edit in (self.date_from, self.date_to):
            edit.setSpecialValueText(_("any date"))
        self.table.setAccessibleName(_("Interviews"))
        self.new_button.setText(_("&New interview"))
        self.delete_button.setText(_("&Delete interview…"))
        self.reset_button.setText(_("Show all"))
        self.reset_button.setToolTip(_("Clear every filter"))
        self.model.retranslate()
        self._fill_filters()
        self._update_count()

    # -- data ----------------------------------------------------------------------------

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "interview", "participant", "organisation"):
            self.reload()
        elif entity == "vocabulary":  # sites and sectors got their names
            self._fill_filters()
            self.table.viewport().update()

    def reload(self, select: str | None = None, then: Any = None) -> None:
        keep = select or self.editor.interview_id
        self.ctx.tasks.run(ui_support.interview_list, lambda rows: self._loaded(rows, keep, then))

    def _loaded(self, rows: list[dict[str, Any]], select: str | None, then: Any = None) -> None:
        self.model.set_rows(rows)
        self._fill_filters()
        if select and self.model.row_of(select) >= 0:
            self.select(select, reload_editor=select != self.editor.interview_id, then=then)
        elif self.editor.interview_id and self.model.row_of(self.editor.interview_id) < 0:
            self.editor.clear()  # erased (consent withdrawn) or deleted

    def clear(self) -> None:
        self.editor.clear()
        self.model.clear()
        self._fill_filters()

    def _fill_filters(self) -> None:
        self._filling = True
        for name, combo in self.filters.items():
            current = combo.currentData()
            combo.clear()
            combo.addItem(_("All"), "")
            if name == "status":
                for value, text in choices("interview_status"):
                    combo.addItem(text, value)
            else:
                values = sorted({str(self.model.record(r).get(name) or "")
                                 for r in range(self.model.rowCount())} - {""})
                for value in values:
                    combo.addItem(label(name, value) if name in ("site", "sector") else value,
                                  value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
        self._filling = False

    def _filter_changed(self, name: str) -> None:
        if not self._filling:
            self.proxy.set_criterion(name, self.filters[name].currentData() or "")
            self._update_count()

    def _dates_changed(self) -> None:
        def value(edit: QDateEdit) -> date | None:
            d = edit.date()
            return None if d == NO_DATE else date(d.year(), d.month(), d.day())

        self.proxy.set_dates(value(self.date_from), value(self.date_to))
        self._update_count()

    def reset_filters(self) -> None:
        for combo in self.filters.values():
            combo.setCurrentIndex(0)
        self.date_from.setDate(NO_DATE)
        self.date_to.setDate(NO_DATE)

    def _update_count(self, *_args: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if shown == total:
            self.count.setText(ngettext("{n} interview", "{n} interviews", total).format(
                n=format_number(total)))
        else:
            self.count.setText(ngettext("{shown} of {n} interview", "{shown} of {n} interviews",
                                        total).format(shown=format_number(shown),
                                                      n=format_number(total)))

    # -- selection -----------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        interview_id = current.data(ID_ROLE)
        if interview_id and interview_id != self.editor.interview_id:
            self.editor.open_interview(str(interview_id))

    def _blind_requested(self) -> None:
        interview_id = self.table.currentIndex().data(ID_ROLE)
        if interview_id:
            self.blind_requested.emit(str(interview_id))

    def select(self, interview_id: str, *, reload_editor: bool = True, then: Any = None) -> None:
        row = self.model.row_of(interview_id)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.reset_filters()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        if reload_editor or then is not None:
            self.editor.interview_id = None  # so the selection change below does not reload
            self.editor.open_interview(interview_id, then)
        self.table.selectionModel().blockSignals(True)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.selectionModel().blockSignals(False)
        self.table.scrollTo(index)

    def new_interview(self, participant_ids: list[str] | None = None) -> None:
        """Start an interview (this researcher as interviewer, today's date), linked to
        ``participant_ids`` when started from a participant's page."""
        self.ctx.tasks.run(lambda ws: ui_support.new_interview(ws, participant_ids),
                           lambda iid: self.reload(select=iid))

    def delete_interview(self) -> None:
        interview_id = self.editor.interview_id
        if interview_id is None:
            return
        self.editor.flush()  # what was typed is saved first, and then counted
        self.ctx.tasks.run(lambda ws: (records.get(ws, "interview", interview_id),
                                       registry.interview_contents(ws, interview_id)),
                           lambda r: self._confirm_delete(r[0], r[1]),
                           lambda exc: self.ctx.interaction.warn(
                               self, _("Delete interview"), error_text(exc)))

    def _confirm_delete(self, interview: dict[str, Any], contents: dict[str, int]) -> None:
        words: dict[str, Callable[[int], str]] = {
            "notes": lambda n: ngettext("{n} note", "{n} notes", n),
            "coded": lambda n: ngettext("{n} coding", "{n} codings", n),
            "attachments": lambda n: ngettext("{n} attachment", "{n} attachments", n)}
        counts = [word(contents[key]).format(n=format_number(contents[key]))
                  for key, word in words.items() if contents.get(key)]
        code = interview.get("code") or ""
        if counts:
            text = _("Delete interview {code}? These go with it: {counts}. The deletion is sent "
                     "to your team at the next sync.").format(code=code,
                                                             counts=format_list(counts))
        else:
            text = _("Delete interview {code}? It has no notes, codings or attachments. The "
                     "deletion is sent to your team at the next sync.").format(code=code)
        if not self.ctx.interaction.confirm(self, _("Delete interview"), text,
                                            ok=_("Delete"), destructive=True):
            return
        interview_id = str(interview["id"])

        def work(ws: Workspace) -> dict[str, int]:
            return registry.delete_interview(ws, interview_id)

        self.ctx.tasks.run(work, lambda _r: self._deleted(),
                           lambda exc: self.ctx.interaction.warn(
                               self, _("Delete interview"), error_text(exc)))

    def _deleted(self) -> None:
        self.editor.clear()
        self.ctx.data.changed.emit("*")
