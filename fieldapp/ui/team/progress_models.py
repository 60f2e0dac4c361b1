"""Table models for the progress page: site × sector against targets, per researcher, and
consent withdrawals with the devices that confirmed the erasure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_percent
from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from fieldapp.i18n import N_, _, babel_locale, format_list, format_number
from fieldapp.ui.labels import label
from fieldapp.ui.models.columns import ColumnsTableModel
from fieldapp.ui.team.common import GOOD, WARN, TeamState

Index = QModelIndex | QPersistentModelIndex
#: the raw value behind a cell (numbers sort as numbers)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Column:
    title: str  # marked with N_, translated when shown
    value: Callable[[dict[str, Any]], Any]
    numeric: bool = False


class RowsModel(ColumnsTableModel):
    """Rows of dicts shown through named columns; numbers right-aligned and sortable."""

    columns: tuple[Column, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns) - 1)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.rows) - 1, len(self.columns) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def text(self, row: dict[str, Any], column: Column) -> str:
        value = column.value(row)
        if column.numeric and isinstance(value, int | float):
            return format_number(value)
        return "" if value is None else str(value)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)) \
                or not (0 <= index.column() < len(self.columns)):
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, column)
        if role == SORT_ROLE:
            return column.value(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.more_data(row, index.column(), role)

    def more_data(self, row: dict[str, Any], column: int, role: int) -> Any:
        return None



def _share(row: dict[str, Any]) -> float | None:
    return row["interviews"] / row["target"] if row["target"] else None


class ProgressModel(RowsModel):
    """Interviews and consents per site × sector against the study's targets."""

    SITE, SECTOR, INTERVIEWS, CONSENTS, TARGET, DONE = range(6)
    columns = (
        Column(N_("Site"), lambda r: label("site", r["site"]) or "—"),
        Column(N_("Sector"), lambda r: label("sector", r["sector"]) or "—"),
        Column(N_("Interviews"), lambda r: r["interviews"], numeric=True),
        Column(N_("Consents"), lambda r: r["consents"], numeric=True),
        Column(N_("Target"), lambda r: r["target"], numeric=True),
        Column(N_("Done"), _share, numeric=True),
    )

    def set_table(self, table: dict[str, Any]) -> None:
        rows = []
        for key, cell in table.get("cells", {}).items():
            site, _sep, sector = key.partition("|")
            rows.append({"site": site, "sector": sector, **cell})
        self.set_rows(rows)

    def text(self, row: dict[str, Any], column: Column) -> str:
        if column is self.columns[self.DONE]:
            share = _share(row)
            return "—" if share is None else format_percent(share, locale=babel_locale())
        return super().text(row, column)

    def more_data(self, row: dict[str, Any], column: int, role: int) -> Any:
        share = _share(row)
        if column == self.DONE and share is not None and role == Qt.ItemDataRole.ForegroundRole:
            return QColor(GOOD if share >= 1 else WARN)
        if role == Qt.ItemDataRole.ToolTipRole and row["target"]:
            return _("{done} of {target} interviews").format(
                done=format_number(row["interviews"]), target=format_number(row["target"]))
        return None


class ResearcherModel(RowsModel):
    columns = (
        Column(N_("Researcher"), lambda r: r["researcher"]),
        Column(N_("Interviews"), lambda r: r["interviews"], numeric=True),
    )

    def set_table(self, table: dict[str, Any]) -> None:
        self.set_rows([{"researcher": who, "interviews": n}
                       for who, n in table.get("researchers", {}).items()])


class ErasureModel(RowsModel):
    """Each consent withdrawal: who confirmed the erasure, and which devices still hold data."""

    columns = (
        Column(N_("Withdrawn on"), lambda r: r.get("date") or ""),
        Column(N_("Participant"), lambda r: str(r.get("participant_id") or "")[-12:]),
        Column(N_("Confirmed by"), lambda r: r["confirmed_names"]),
        Column(N_("Still holding the data"), lambda r: r["waiting_names"]),
    )

    def set_status(self, rows: list[dict[str, Any]], state: TeamState) -> None:
        out = []
        for r in rows:
            out.append({**r,
                        "confirmed_names": format_list(state.who(d) for d in r["confirmed"]),
                        "waiting_names": format_list(name or state.who(d)
                                                   for d, name in r["waiting_for"])})
        self.set_rows(out)

    def text(self, row: dict[str, Any], column: Column) -> str:
        if column is self.columns[3] and not row["waiting_for"]:
            return _("nobody: erased everywhere")
        return super().text(row, column)

    def more_data(self, row: dict[str, Any], column: int, role: int) -> Any:
        if column == 3 and role == Qt.ItemDataRole.ForegroundRole:
            return QColor(WARN if row["waiting_for"] else GOOD)
        return None
