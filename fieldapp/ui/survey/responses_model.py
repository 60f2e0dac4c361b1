"""Item models of the Surveys view: instruments (with versions) and responses.

Rows are plain dicts prepared on the database worker (:func:`overview`); the models only show
them. Both have named columns; :class:`ResponseFilter` narrows responses by instrument, site,
status and researcher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from fieldapp.i18n import N_, _, format_datetime, pick
from fieldapp.services import records, surveys
from fieldapp.ui.labels import label
from fieldapp.ui.models.columns import ColumnsTableModel

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

Index = QModelIndex | QPersistentModelIndex
Row = dict[str, Any]
ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: the raw value of a column (for filtering and sorting), where the display is translated
KEY_ROLE = Qt.ItemDataRole.UserRole + 2


def overview(ws: Workspace) -> dict[str, list[Row]]:
    """Everything the Surveys view lists, in one call on the worker."""
    instruments = surveys.list_instruments(ws)
    by_id = {i["id"]: i for i in instruments}
    participants = {p["id"]: p for p in records.list_records(ws, "participant")}
    organisations = {o["id"]: o for o in records.list_records(ws, "organisation")}
    responses = []
    counts: dict[str, int] = {}
    reviews = surveys.latest_reviews(ws)
    for r in surveys.list_responses(ws):
        inst = by_id.get(r["instrument_id"]) or {}
        counts[r["instrument_id"]] = counts.get(r["instrument_id"], 0) + 1
        person = participants.get(r.get("participant_id") or "")
        org = organisations.get(r.get("organisation_id") or "")
        responses.append({
            "id": r["id"], "instrument_id": r["instrument_id"], "status": r["status"],
            "version": r.get("instrument_version") or "", "site": r.get("site") or "",
            "researcher": r.get("researcher") or "", "completed_at": r.get("completed_at") or "",
            "form_id": inst.get("form_id") or "", "title_zh": inst.get("title_zh") or "",
            "title_en": inst.get("title_en") or "",
            "participant": person["code"] if person else "",
            "organisation_zh": org.get("name_zh") or "" if org else "",
            "organisation_en": org.get("name_en") or "" if org else "",
            "review": str((reviews.get(r["id"]) or {}).get("state") or ""),
        })
    rows = [{"id": i["id"], "form_id": i["form_id"], "version": i["version"] or "",
             "title_zh": i["title_zh"] or "", "title_en": i["title_en"] or "",
             "responses": counts.get(i["id"], 0)} for i in instruments]
    return {"instruments": rows, "responses": responses,
            "organisations": sorted(organisations.values(),
                                    key=lambda o: o.get("sort_key") or o.get("name_zh") or ""),
            "participants": sorted(participants.values(), key=lambda p: p.get("code") or "")}


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # marked with N_, translated when shown
    show: Callable[[Row], str]
    raw: Callable[[Row], str] | None = None


def _title(row: Row) -> str:
    return pick(row.get("title_zh"), row.get("title_en")) or row.get("form_id", "")


def _status(row: Row) -> str:
    return label("response_status", row.get("status") or surveys.DRAFT)


def _completed(row: Row) -> str:
    try:
        return format_datetime(datetime.fromisoformat(row["completed_at"]), "short") \
            if row.get("completed_at") and row.get("status") == surveys.COMPLETE else ""
    except ValueError:
        return str(row["completed_at"])


def _review(row: Row) -> str:
    return {"approved": _("Approved"), "has_issues": _("Has issues"),
            "rejected": _("Rejected")}.get(row.get("review") or "", "")


def _linked(row: Row) -> str:
    org = pick(row.get("organisation_zh"), row.get("organisation_en"))
    return " · ".join(x for x in (row.get("participant"), org) if x)


INSTRUMENT_COLUMNS = (
    Column("title", N_("Instrument"), _title),
    Column("form_id", N_("Form id"), lambda r: r["form_id"]),
    Column("version", N_("Version"), lambda r: r["version"]),
    Column("responses", N_("Responses"), lambda r: str(r["responses"])),
)

RESPONSE_COLUMNS = (
    Column("instrument", N_("Instrument"), _title, lambda r: r["instrument_id"]),
    Column("version", N_("Version"), lambda r: r["version"]),
    Column("linked", N_("Participant / organisation"), _linked),
    Column("site", N_("Site"), lambda r: label("site", r["site"]), lambda r: r["site"]),
    Column("researcher", N_("Researcher"), lambda r: r["researcher"]),
    Column("status", N_("Status"), _status, lambda r: r["status"]),
    Column("completed", N_("Completed"), _completed, lambda r: r["completed_at"]),
    Column("review", N_("Review"), lambda r: _review(r), lambda r: r.get("review", "")),
)


class RowsModel(ColumnsTableModel):
    """A read-only table over a list of dict rows, with named columns."""

    def __init__(self, columns: tuple[Column, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self._rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row(self, row: int) -> Row:
        return self._rows[row]

    def rows(self) -> list[Row]:
        return list(self._rows)

    def column(self, key: str) -> int:
        return [c.key for c in self.columns].index(key)

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
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) \
                or not (0 <= index.column() < len(self.columns)):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.show(row)
        if role == KEY_ROLE:
            return (column.raw or column.show)(row)
        if role == ID_ROLE:
            return row["id"]
        return None



class ResponseFilter(QSortFilterProxyModel):
    """Responses of one instrument, site, status and researcher (an empty filter keeps all)."""

    FIELDS = ("instrument_id", "site", "status", "researcher")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.filters: dict[str, str] = dict.fromkeys(self.FIELDS, "")
        self.setSortLocaleAware(True)

    def set_filter(self, field: str, value: str | None) -> None:
        if field not in self.filters:
            raise KeyError(field)
        self.beginFilterChange()
        self.filters[field] = value or ""
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, RowsModel) or source_row >= model.rowCount():
            return False
        row = model.row(source_row)
        return all(not want or str(row.get(key) or "") == want
                   for key, want in self.filters.items())
