"""Progress against targets (site × sector, per researcher) with a bar chart, and the
consent withdrawals with the devices that have not confirmed the erasure yet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, QSize, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number
from fieldapp.services import sync
from fieldapp.ui.team.common import TeamState
from fieldapp.ui.team.progress_models import (
    SORT_ROLE,
    ErasureModel,
    ProgressModel,
    ResearcherModel,
    RowsModel,
)

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

INTERVIEW_COLOUR = QColor("#2f6db5")
CONSENT_COLOUR = QColor("#7fb35a")
TARGET_COLOUR = QColor("#8c8c8c")
ROW_HEIGHT = 30


class BarChart(QWidget):
    """Horizontal bars per site × sector: interviews and consents, the target as an outline."""

    def __init__(self, model: ProgressModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progress_chart")
        self.model = model
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        model.modelReset.connect(self._changed)
        model.dataChanged.connect(self._changed)

    def _changed(self) -> None:
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(520, 40 + ROW_HEIGHT * max(1, self.model.rowCount()))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def retranslate(self) -> None:
        self.setAccessibleName(_("Interviews and consents against targets, by site and sector"))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        rows = self.model.rows
        # The legend.
        x = 8.0
        for colour, text, outline in ((INTERVIEW_COLOUR, _("Interviews"), False),
                                      (CONSENT_COLOUR, _("Consents"), False),
                                      (TARGET_COLOUR, _("Target"), True)):
            box = QRectF(x, 8, 12, 12)
            if outline:
                painter.setPen(QPen(colour, 1.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
            painter.drawRect(box)
            painter.setPen(self.palette().windowText().color())
            painter.drawText(QRectF(x + 18, 4, 200, 20), Qt.AlignmentFlag.AlignVCenter, text)
            x += 18 + metrics.horizontalAdvance(text) + 20
        if not rows:
            painter.drawText(QRectF(8, 32, self.width() - 16, 24), Qt.AlignmentFlag.AlignLeft,
                             _("No interviews or targets yet."))
            return
        labels = [f"{r['site'] or '—'} · {r['sector'] or '—'}" for r in rows]
        label_w = max(metrics.horizontalAdvance(t) for t in labels) + 16
        numbers_w = metrics.horizontalAdvance("0000 / 0000") + 16
        top = 32.0
        width = max(40.0, self.width() - label_w - numbers_w - 16)
        scale = max(max(max(r["interviews"], r["consents"], r["target"]) for r in rows), 1)
        text_colour = self.palette().windowText().color()
        for i, (row, text) in enumerate(zip(rows, labels, strict=True)):
            y = top + i * ROW_HEIGHT
            painter.setPen(text_colour)
            painter.drawText(QRectF(8, y, label_w - 8, ROW_HEIGHT - 6),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
            x0 = float(label_w)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(INTERVIEW_COLOUR)
            painter.drawRect(QRectF(x0, y + 2, width * row["interviews"] / scale, 12))
            painter.setBrush(CONSENT_COLOUR)
            painter.drawRect(QRectF(x0, y + 15, width * row["consents"] / scale, 7))
            if row["target"]:
                painter.setPen(QPen(TARGET_COLOUR, 1.5, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(x0, y + 1, width * row["target"] / scale, 22))
            painter.setPen(text_colour)
            figures = f"{format_number(row['interviews'])} / {format_number(row['target'])}" \
                if row["target"] else format_number(row["interviews"])
            painter.drawText(QRectF(x0 + width + 8, y, numbers_w, ROW_HEIGHT - 6),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, figures)
        painter.end()


def _view(name: str, model: RowsModel) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setObjectName(name)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    return view


def load_progress(ws: Workspace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Runs on the worker."""
    return sync.progress_table(ws), sync.erasure_status(ws)


class ProgressPanel(QWidget):
    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("progress_panel")
        self.state = TeamState()
        self.stale = True
        self.erasure_rows: list[dict[str, Any]] = []
        self.model = ProgressModel(self)
        self.researchers = ResearcherModel(self)
        self.erasures = ErasureModel(self)
        self.table = _view("progress_table", self.model)
        self.researcher_table = _view("researcher_table", self.researchers)
        self.erasure_table = _view("erasure_table", self.erasures)
        self.chart = BarChart(self.model)
        self.summary = QLabel()
        self.summary.setObjectName("progress_summary")
        self.summary.setWordWrap(True)
        self.targets_box = QGroupBox()
        self.people_box = QGroupBox()
        self.erasure_box = QGroupBox()
        self.erasure_text = QLabel()
        self.erasure_text.setWordWrap(True)
        box = QVBoxLayout(self.targets_box)
        box.addWidget(self.summary)
        box.addWidget(self.chart)
        row = QHBoxLayout()
        row.addWidget(self.table, 3)
        box.addLayout(row)
        QVBoxLayout(self.people_box).addWidget(self.researcher_table)
        box = QVBoxLayout(self.erasure_box)
        box.addWidget(self.erasure_text)
        box.addWidget(self.erasure_table)
        lower = QHBoxLayout()
        lower.addWidget(self.people_box, 1)
        lower.addWidget(self.erasure_box, 2)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.targets_box, 3)
        layout.addLayout(lower, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.targets_box.setTitle(_("Interviews and consents by site and sector"))
        self.people_box.setTitle(_("Interviews per researcher"))
        self.erasure_box.setTitle(_("Consent withdrawals"))
        self.erasure_text.setText(_("Each withdrawal erases the participant's data on every "
                                    "device the team's bundles reach. A device confirms when it "
                                    "next sends; until then it may still hold the data."))
        self.table.setAccessibleName(_("Progress against targets"))
        self.researcher_table.setAccessibleName(_("Interviews per researcher"))
        self.erasure_table.setAccessibleName(_("Consent withdrawals"))
        for model in (self.model, self.researchers, self.erasures):
            model.retranslate()
        self.chart.retranslate()
        self._summarise()

    def set_state(self, state: TeamState) -> None:
        self.state = state
        self.erasures.set_status(self.erasure_rows, state)

    def mark_stale(self) -> None:
        self.stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.stale:
            self.reload()

    def reload(self) -> None:
        self.stale = False
        self.ctx.tasks.run(load_progress, self._loaded)

    def clear(self) -> None:
        self.erasure_rows = []
        for model in (self.model, self.researchers, self.erasures):
            model.set_rows([])
        self.stale = True
        self._summarise()

    def _loaded(self, result: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
        table, erasures = result
        self.model.set_table(table)
        self.researchers.set_table(table)
        self.erasure_rows = erasures
        self.erasures.set_status(erasures, self.state)
        for view in (self.table, self.researcher_table, self.erasure_table):
            view.resizeColumnsToContents()
        self._summarise()

    def _summarise(self) -> None:
        rows = self.model.rows
        done = sum(r["interviews"] for r in rows)
        target = sum(r["target"] for r in rows)
        consents = sum(r["consents"] for r in rows)
        if target:
            text = _("{done} of {target} interviews done; {consents} consents recorded.").format(
                done=format_number(done), target=format_number(target),
                consents=format_number(consents))
        else:
            text = _("{done} interviews, {consents} consents. No targets set in the study "
                     "yet.").format(done=format_number(done), consents=format_number(consents))
        self.summary.setText(text)
