"""Item models of the Analysis view: query passages, the co-occurrence matrix, agreement rows.

Each is filled with what :mod:`fieldapp.services.analysis` returns (no SQL here)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from fieldapp.analysis.agreement import Table
from fieldapp.i18n import N_, _, format_number
from fieldapp.ui.models.records import RecordColumn, RecordTableModel

Index = QModelIndex | QPersistentModelIndex

PASSAGE_COLUMNS = (
    RecordColumn("interview", N_("Interview"), lambda r: r["interview_code"]),
    RecordColumn("codes", N_("Codes"), lambda r: "、".join(r["codes"])),
    RecordColumn("text", N_("Passage"), lambda r: " ".join(r["text"].split())),
)


def passages_model(parent: QObject | None = None) -> RecordTableModel:
    return RecordTableModel(PASSAGE_COLUMNS, parent)


def _figure(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


AGREEMENT_COLUMNS = (
    RecordColumn("code", N_("Code"), lambda r: r["code"]),
    RecordColumn("char_percent", N_("% (characters)"),
                 lambda r: _figure(r["character"].percent, 1)),
    RecordColumn("char_kappa", N_("κ (characters)"), lambda r: _figure(r["character"].kappa)),
    RecordColumn("char_alpha", N_("α (characters)"), lambda r: _figure(r["character"].alpha)),
    RecordColumn("seg_percent", N_("% (segments)"), lambda r: _figure(r["segment"].percent, 1)),
    RecordColumn("seg_kappa", N_("κ (segments)"), lambda r: _figure(r["segment"].kappa)),
    RecordColumn("seg_alpha", N_("α (segments)"), lambda r: _figure(r["segment"].alpha)),
)


def agreement_rows(per_code: dict[str, dict[str, Table]], names: dict[str, str],
                   overall: dict[str, Table]) -> list[dict[str, Any]]:
    rows = [{"id": code, "code": names.get(code, code), **tables}
            for code, tables in per_code.items()]
    rows.append({"id": "", "code": _("Overall"), **overall})
    return rows


def agreement_model(parent: QObject | None = None) -> RecordTableModel:
    return RecordTableModel(AGREEMENT_COLUMNS, parent)


class CooccurrenceModel(QAbstractTableModel):
    """Codes × codes; a cell holds how often the two were applied together."""

    CODE_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.codes: list[str] = []
        self.names: list[str] = []
        self.counts: dict[tuple[str, str], int] = {}

    def set_matrix(self, codes: list[str], names: list[str],
                   counts: dict[tuple[str, str], int]) -> None:
        self.beginResetModel()
        self.codes, self.names, self.counts = list(codes), list(names), dict(counts)
        self.endResetModel()

    def clear(self) -> None:
        self.set_matrix([], [], {})

    def count(self, row: int, column: int) -> int:
        a, b = sorted((self.codes[row], self.codes[column]))
        return self.counts.get((a, b), 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.codes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.codes)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            n = self.count(index.row(), index.column())
            return format_number(n) if n else ""
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == self.CODE_ROLE:
            return (self.codes[index.row()], self.codes[index.column()])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.names):
            return self.names[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
