"""Analysis: code queries, co-occurrence and coder agreement, computed on the database worker.

A passage found by a query opens at its place in the interview; a cell of the co-occurrence
matrix runs the query behind it ("A AND B" in the matrix's scope and with its case filter) and
shows its passages. Each of the three tabs has its own case filter ("Only cases where…
budget>=1000000", see :class:`CaseFilter`); a condition the service refuses is said in the tab,
and the tab's results stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number, ngettext
from fieldapp.services import analysis
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.export.widgets import refill
from fieldapp.ui.interaction import error_text
from fieldapp.ui.language import refresh_message, set_message
from fieldapp.ui.models.analysis import (
    CooccurrenceModel,
    agreement_model,
    agreement_rows,
    passages_model,
)
from fieldapp.ui.views.blind import BlindCodingView

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


def _table(model: Any, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setWordWrap(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    return view


class CaseFilter(QLineEdit):
    """The line "Only cases where… budget>=1000000" of one Analysis tab: conditions on case
    attributes that the tab's analysis reads (see :mod:`fieldapp.services.case_attributes`);
    Enter runs the tab. The service checks the conditions, so a bad one comes back as its
    message to the tab that ran it."""

    def __init__(self, name: str, run: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.returnPressed.connect(run)
        self.retranslate()

    def retranslate(self) -> None:
        self.setPlaceholderText(_(
            "Only cases where… e.g. budget>=1000000; registration=未登记 (case attributes: "
            "= != < <= > >=)"))
        self.setAccessibleName(_("Case attribute filter"))

    def conditions(self) -> tuple[str, ...]:
        text = self.text().strip()
        return (text,) if text else ()

    def filters(self) -> analysis.Filters:
        return analysis.Filters(where=self.conditions())


def _quoted(name: str, code_id: str) -> str:
    return f'"{name}"' if '"' not in name and name else f'"{code_id}"'


class AnalysisView(QWidget):
    #: interview id, note kind, start, end — open a passage where it is
    open_requested = Signal(str, str, int, int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("analysis_view")
        self.result: analysis.QueryResult | None = None
        self.tabs = QTabWidget()
        self.tabs.setObjectName("analysis_tabs")

        # -- query
        self.expression = QLineEdit()
        self.expression.setObjectName("query_expression")
        self.query_scope = QComboBox()
        self.query_scope.setObjectName("query_scope")
        self.query_where = CaseFilter("query_where", self.run_query)
        self.run_button = QPushButton()
        self.run_button.setObjectName("run_query")
        self.export_button = QPushButton()
        self.export_button.setObjectName("export_query")
        self.export_button.setEnabled(False)
        self.query_status = QLabel()
        self.query_status.setObjectName("query_status")
        self.query_status.setWordWrap(True)
        self.passages = passages_model(self)
        self.passage_table = _table(self.passages, "query_passages")
        self.passage_table.doubleClicked.connect(self._open_passage)
        header = self.passage_table.horizontalHeader()
        for column in (0, 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        row = QHBoxLayout()
        row.addWidget(self.expression, 1)
        row.addWidget(self.query_scope)
        row.addWidget(self.run_button)
        row.addWidget(self.export_button)
        query_page = QWidget()
        ql = QVBoxLayout(query_page)
        ql.addLayout(row)
        ql.addWidget(self.query_where)
        ql.addWidget(self.query_status)
        ql.addWidget(self.passage_table, 1)
        self.expression.returnPressed.connect(self.run_query)
        self.run_button.clicked.connect(self.run_query)
        self.export_button.clicked.connect(self.export_query)

        # -- co-occurrence
        self.matrix_scope = QComboBox()
        self.matrix_scope.setObjectName("matrix_scope")
        self.matrix_button = QPushButton()
        self.matrix_button.setObjectName("run_matrix")
        self.matrix_where = CaseFilter("matrix_where", self.run_matrix)
        self.matrix_hint = QLabel()
        self.matrix_hint.setWordWrap(True)
        self.matrix_status = QLabel()
        self.matrix_status.setObjectName("matrix_status")
        self.matrix_status.setWordWrap(True)
        #: the scope and conditions the matrix on screen was counted under (a cell's query
        #: uses them, so its passages are the ones the number counts)
        self.matrix_basis: tuple[str, tuple[str, ...]] = ("passage", ())
        self.matrix = CooccurrenceModel(self)
        self.matrix_table = QTableView()
        self.matrix_table.setObjectName("cooccurrence_matrix")
        self.matrix_table.setModel(self.matrix)
        self.matrix_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.matrix_table.doubleClicked.connect(self._open_cell)
        top = QHBoxLayout()
        top.addWidget(self.matrix_scope)
        top.addWidget(self.matrix_button)
        top.addStretch(1)
        matrix_page = QWidget()
        ml = QVBoxLayout(matrix_page)
        ml.addLayout(top)
        ml.addWidget(self.matrix_where)
        ml.addWidget(self.matrix_hint)
        ml.addWidget(self.matrix_status)
        ml.addWidget(self.matrix_table, 1)
        self.matrix_button.clicked.connect(self.run_matrix)
        self.matrix_scope.currentIndexChanged.connect(lambda _i: self.run_matrix())

        # -- agreement
        self.first_coder = QComboBox()
        self.first_coder.setObjectName("first_coder")
        self.second_coder = QComboBox()
        self.second_coder.setObjectName("second_coder")
        self.agreement_scope = QComboBox()
        self.agreement_scope.setObjectName("agreement_scope")
        self.agreement_button = QPushButton()
        self.agreement_button.setObjectName("run_agreement")
        self.agreement_where = CaseFilter("agreement_where", self.run_agreement)
        self.agreement_status = QLabel()
        self.agreement_status.setObjectName("agreement_status")
        self.agreement_status.setWordWrap(True)
        self.agreement = agreement_model(self)
        self.agreement_table = _table(self.agreement, "agreement_table")
        self.coder_labels = {key: QLabel() for key in ("first", "second", "scope")}
        form = QFormLayout()
        for key, widget in (("first", self.first_coder), ("second", self.second_coder),
                            ("scope", self.agreement_scope)):
            self.coder_labels[key].setBuddy(widget)
            form.addRow(self.coder_labels[key], widget)
        agreement_page = QWidget()
        al = QVBoxLayout(agreement_page)
        al.addLayout(form)
        al.addWidget(self.agreement_where)
        al.addWidget(self.agreement_button)
        al.addWidget(self.agreement_status)
        al.addWidget(self.agreement_table, 1)
        self.agreement_button.clicked.connect(self.run_agreement)

        self.blind = BlindCodingView(ctx)
        self.blind.open_requested.connect(self.open_requested)
        for page in (query_page, matrix_page, agreement_page, self.blind):
            self.tabs.addTab(page, "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        layout.addWidget(self.tabs)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.cleared.connect(self.clear)
        self.retranslate_ui()

    # -- language --------------------------------------------------------------------------

    def retranslate_ui(self) -> None:
        for i, text in enumerate((_("Query"), _("Co-occurrence"), _("Agreement"),
                                  _("Blind coding"))):
            self.tabs.setTabText(i, text)
        self.expression.setPlaceholderText(_("e.g. 政府购买 AND 资金困难, or \"Service "
                                             "contracting\" NOT Registration"))
        self.expression.setAccessibleName(_("Query"))
        for case_filter in (self.query_where, self.matrix_where, self.agreement_where):
            case_filter.retranslate()
        self.run_button.setText(_("&Run"))
        self.export_button.setText(_("&Export passages…"))
        self.matrix_button.setText(_("&Refresh"))
        self.agreement_button.setText(_("&Compare coders"))
        self.matrix_hint.setText(_("Double-click a number to see the passages behind it."))
        self.coder_labels["first"].setText(_("&First coder:"))
        self.coder_labels["second"].setText(_("&Second coder:"))
        self.coder_labels["scope"].setText(_("C&ount:"))
        refill(self.query_scope, [("passage", _("in the same passage")),
                                  ("interview", _("in the same interview"))])
        refill(self.matrix_scope, [("passage", _("overlapping passages")),
                                   ("interview", _("the same interview"))])
        refill(self.agreement_scope, [("coded", _("coded text only (recommended)")),
                                      ("all", _("all text of the notes"))])
        self.passages.retranslate()
        self.agreement.retranslate()
        for label in (self.query_status, self.matrix_status, self.agreement_status):
            refresh_message(label)

    def clear(self) -> None:
        self.result = None
        self.passages.clear()
        self.matrix.clear()
        self.matrix_basis = ("passage", ())
        self.agreement.clear()
        self.first_coder.clear()
        self.second_coder.clear()
        set_message(self.query_status, "")
        set_message(self.matrix_status, "")
        set_message(self.agreement_status, "")
        self.export_button.setEnabled(False)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.load_coders()

    # -- query -----------------------------------------------------------------------------

    def run_query(self) -> None:
        text = self.expression.text().strip()
        scope = str(self.query_scope.currentData() or "passage")
        filters = self.query_where.filters()

        def work(ws: Workspace) -> analysis.QueryResult:
            return analysis.run_query(ws, text, scope=scope, filters=filters)

        self.ctx.tasks.run(work, self._queried, self._query_failed)

    def _queried(self, result: analysis.QueryResult) -> None:
        self.result = result
        self.passages.set_rows([{"id": f"{p.note_id}:{p.start}", "interview_id": p.interview_id,
                                 "interview_code": p.interview_code, "note_kind": p.note_kind,
                                 "start": p.start, "end": p.end, "codes": p.codes,
                                 "text": p.text} for p in result.passages])
        found, places = len(result.passages), len(result.interviews)

        def message() -> str:
            passages = ngettext("{n} passage", "{n} passages", found).format(
                n=format_number(found))
            interviews = ngettext("{n} interview", "{n} interviews", places).format(
                n=format_number(places))
            return _("Found {passages} in {interviews}.").format(passages=passages,
                                                                  interviews=interviews)

        set_message(self.query_status, message)
        self.export_button.setEnabled(bool(result.passages))

    def _query_failed(self, exc: BaseException) -> None:
        # As on the other two tabs: the passages on screen stay, with the result they came
        # from (what an export writes, its expression and filter included); the status says
        # why the new query was refused.
        set_message(self.query_status, lambda: error_text(exc))

    def _open_passage(self, index: QModelIndex) -> None:
        row = self.passages.record(index.row())
        self.open_requested.emit(row["interview_id"], row["note_kind"], row["start"], row["end"])

    def export_query(self) -> None:
        result = self.result
        if result is None:
            return
        path = self.ctx.interaction.save_file(self, _("Export passages"), "passages.xlsx",
                                              _("Excel workbook (*.xlsx)"))
        if path is None:
            return
        target = path if path.suffix.lower() == ".xlsx" else path.with_suffix(".xlsx")

        def work(ws: Workspace) -> tuple[int, Path]:
            return analysis.export_query(ws, result, target), target

        self.ctx.tasks.run(work, self._exported, self._query_failed)

    def _exported(self, done: tuple[int, Path]) -> None:
        n, path = done
        set_message(self.query_status, lambda: ngettext(
            "Wrote {n} passage to {path}.", "Wrote {n} passages to {path}.", n).format(
            n=format_number(n), path=path))

    # -- co-occurrence ---------------------------------------------------------------------

    def run_matrix(self) -> None:
        scope = str(self.matrix_scope.currentData() or "passage")
        conditions = self.matrix_where.conditions()
        filters = self.matrix_where.filters()

        def work(ws: Workspace) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
            corpus, matrix = analysis.cooccurrence(ws, scope=scope, filters=filters)
            return (list(matrix.codes), [corpus.code_name(c) for c in matrix.codes],
                    dict(matrix.counts))

        def done(result: tuple[list[str], list[str], dict[tuple[str, str], int]]) -> None:
            self.matrix_basis = (scope, conditions)
            self.matrix.set_matrix(*result)
            set_message(self.matrix_status, "")

        self.ctx.tasks.run(work, done, self._matrix_failed)

    def _matrix_failed(self, exc: BaseException) -> None:
        # The matrix on screen stays, with what it was counted under (matrix_basis).
        set_message(self.matrix_status, lambda: error_text(exc))

    def _open_cell(self, index: QModelIndex) -> None:
        if not self.matrix.count(index.row(), index.column()):
            return
        a, b = index.row(), index.column()
        names, codes = self.matrix.names, self.matrix.codes
        first = _quoted(names[a], codes[a])
        expression = first if a == b else f"{first} AND {_quoted(names[b], codes[b])}"
        scope, conditions = self.matrix_basis
        self.expression.setText(expression)
        self.query_scope.setCurrentIndex(self.query_scope.findData(scope))
        self.query_where.setText("; ".join(conditions))
        self.tabs.setCurrentIndex(0)
        self.run_query()

    # -- agreement -------------------------------------------------------------------------

    def load_coders(self) -> None:
        def work(ws: Workspace) -> list[tuple[str, str]]:
            names = analysis.coder_names(ws)
            return [(c, names.get(c) or c[-8:]) for c in analysis.coders(ws)]

        self.ctx.tasks.run(work, self._coders_loaded, lambda _exc: None)

    def _coders_loaded(self, coders: list[tuple[str, str]]) -> None:
        for i, combo in enumerate((self.first_coder, self.second_coder)):
            current = combo.currentData()
            combo.clear()
            for device, name in coders:
                combo.addItem(name, device)
            wanted = combo.findData(current)
            combo.setCurrentIndex(wanted if wanted >= 0 else min(i, combo.count() - 1))
        enough = len(coders) >= 2
        self.agreement_button.setEnabled(enough)
        if not enough:
            set_message(self.agreement_status, lambda: _(
                "Agreement needs codings by two coders on the same notes: bring a second "
                "coder's work in through the team's bundles."))

    def run_agreement(self) -> None:
        first, second = self.first_coder.currentData(), self.second_coder.currentData()
        scope = str(self.agreement_scope.currentData() or "coded")
        if not self.agreement_button.isEnabled():
            return  # fewer than two coders: the tab already says what is needed
        if not first or not second or first == second:
            set_message(self.agreement_status, lambda: _("Choose two different coders."))
            return
        filters = self.agreement_where.filters()

        def work(ws: Workspace) -> tuple[list[dict[str, Any]], int]:
            corpus, result = analysis.agreement(ws, first, second, scope=scope,
                                                filters=filters)
            per_code: dict[str, dict[str, Any]] = {}
            for row in result.per_code:
                per_code.setdefault(row.code_id, {})[row.unit] = row.table
            names = {c: corpus.code_path(c) for c in per_code}
            overall = {u: result.overall(u) for u in ("character", "segment")}
            return agreement_rows(per_code, names, overall), result.notes

        self.ctx.tasks.run(work, self._agreed, self._agreement_failed)

    def _agreed(self, done: tuple[list[dict[str, Any]], int]) -> None:
        rows, notes = done
        self.agreement.set_rows(rows)
        set_message(self.agreement_status, lambda: ngettext(
            "Compared on {n} note both coded.", "Compared on {n} notes both coded.",
            notes).format(n=format_number(notes)))

    def _agreement_failed(self, exc: BaseException) -> None:
        # The figures on screen stay; the status says why this comparison was not made.
        set_message(self.agreement_status, lambda: error_text(exc))
