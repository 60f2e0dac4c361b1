"""The codebook as a tree model: Chinese or English names by language, colours, definitions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPixmap, QStandardItem, QStandardItemModel

from fieldapp.i18n import _, format_number, pick

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def swatch(colour: str) -> QPixmap:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour or "#f4d03f"))
    return pixmap


class CodebookModel(QStandardItemModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.codes: dict[str, dict[str, Any]] = {}
        #: code id -> passages coded with it (shown beside the name)
        self.counts: dict[str, int] = {}
        self.setColumnCount(1)

    def set_codes(self, codes: list[dict[str, Any]],
                  counts: dict[str, int] | None = None) -> None:
        self.codes = {c["id"]: c for c in codes}
        if counts is not None:
            self.counts = dict(counts)
        self._rebuild()

    def descendants(self, code_id: str) -> set[str]:
        """The code and every code below it."""
        found, todo = set(), [code_id]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(c for c, rec in self.codes.items() if rec.get("parent_id") == current)
        return found

    def clear_codes(self) -> None:
        self.codes = {}
        self.counts = {}
        self._rebuild()

    def colours(self) -> dict[str, str]:
        return {cid: c.get("colour") or "#f4d03f" for cid, c in self.codes.items()}

    def name(self, code_id: str) -> str:
        c = self.codes.get(code_id)
        return pick(c.get("name_zh"), c.get("name_en")) if c else ""

    def retranslate(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        self.clear()
        self.setColumnCount(1)
        self.setHorizontalHeaderLabels([_("Code")])
        items: dict[str, QStandardItem] = {}
        ordered = sorted(self.codes.values(), key=lambda c: (c.get("sort_order") or 0))
        for c in ordered:
            n = self.counts.get(c["id"], 0)
            name = pick(c.get("name_zh"), c.get("name_en"))
            item = QStandardItem(f"{name} ({format_number(n)})" if n else name)
            item.setEditable(False)
            item.setData(c["id"], ID_ROLE)
            item.setData(swatch(c.get("colour") or ""), Qt.ItemDataRole.DecorationRole)
            other = c.get("name_en") if pick("zh", "en") == "zh" else c.get("name_zh")
            definition = pick(c.get("definition_zh"), c.get("definition_en"))
            tip = "\n".join(t for t in (other, definition) if t)
            if tip:
                item.setToolTip(tip)
            items[c["id"]] = item
        for c in ordered:
            parent = items.get(c.get("parent_id") or "")
            (parent or self.invisibleRootItem()).appendRow(items[c["id"]])
