"""A table model over a list of records, with named columns (participants, organisations)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from fieldapp.ui.models.columns import ColumnsTableModel

Index = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: what a proxy sorts by: a column's ``sort`` key, else its text folded for case
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class RecordColumn:
    key: str
    title: str  # marked with N_, translated when shown
    show: Callable[[dict[str, Any]], str]
    sort: Callable[[dict[str, Any]], str] | None = None


class RecordTableModel(ColumnsTableModel):
    def __init__(self, columns: tuple[RecordColumn, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self._rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def record(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def row_of(self, record_id: str) -> int:
        for i, r in enumerate(self._rows):
            if r["id"] == record_id:
                return i
        return -1

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(self.columns) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        rec = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[index.column()].show(rec)
        if role == ID_ROLE:
            return rec["id"]
        if role == SORT_ROLE:
            column = self.columns[index.column()]
            return column.sort(rec) if column.sort else column.show(rec).casefold()
        return None

