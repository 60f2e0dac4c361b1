"""The interview list: a table model with named columns, and a filter proxy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from fieldapp.i18n import N_, _, format_date
from fieldapp.ui.labels import label

Index = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
RAW_ROLE = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # marked with N_, translated when shown


COLUMNS = (
    Column("code", N_("Interview code")),
    Column("date", N_("Date")),
    Column("title", N_("Title")),
    Column("site", N_("Site")),
    Column("sector", N_("Sector")),
    Column("interviewer", N_("Interviewer")),
    Column("status", N_("Status")),
)
COLUMN = {c.key: i for i, c in enumerate(COLUMNS)}


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class InterviewTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []

    # -- content -------------------------------------------------------------------------

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row_of(self, record_id: str) -> int:
        for i, r in enumerate(self._rows):
            if r["id"] == record_id:
                return i
        return -1

    def record(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def update_record(self, record_id: str, values: dict[str, Any]) -> None:
        row = self.row_of(record_id)
        if row < 0:
            return
        self._rows[row] = {**self._rows[row], **values}
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    # -- Qt API --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        rec = self._rows[index.row()]
        key = COLUMNS[index.column()].key
        value = rec.get(key)
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "date":
                return format_date(_parse_date(value))
            if key == "status":
                return label("interview_status", value)
            if key in ("site", "sector"):
                return label(key, value)
            return value or ""
        if role in (Qt.ItemDataRole.ToolTipRole,) and key == "title":
            return value or None
        if role == SORT_ROLE:
            return value or ""
        if role == RAW_ROLE:
            return value
        if role == ID_ROLE:
            return rec["id"]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return _(COLUMNS[section].title)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class InterviewFilter(QSortFilterProxyModel):
    """Filters by site, sector, status, interviewer (exact) and a date range."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.criteria: dict[str, str] = {}
        self.date_from: date | None = None
        self.date_to: date | None = None
        self.setSortRole(SORT_ROLE)
        self.setSortLocaleAware(True)

    def set_criterion(self, key: str, value: str) -> None:
        self._begin()
        if value:
            self.criteria[key] = value
        else:
            self.criteria.pop(key, None)
        self._end()

    def set_dates(self, start: date | None, end: date | None) -> None:
        self._begin()
        self.date_from, self.date_to = start, end
        self._end()

    # Qt 6.10 replaced invalidateRowsFilter() by begin/endFilterChange().
    def _begin(self) -> None:
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()

    def _end(self) -> None:
        if hasattr(self, "endFilterChange"):
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - Qt before 6.10
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, InterviewTableModel):
            return True
        rec = model.record(source_row)
        for key, wanted in self.criteria.items():
            if (rec.get(key) or "") != wanted:
                return False
        when = _parse_date(rec.get("date"))
        if self.date_from and (when is None or when < self.date_from):
            return False
        return not (self.date_to and (when is None or when > self.date_to))
