"""Small widgets of the export dialog: ticked lists that wrap, and combo boxes refilled in
another language without losing the choice."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QWidget,
)


class ChoiceList(QListWidget):
    """Values side by side, each with a tick box; nothing ticked means "all"."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"filter_{name}")
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit()

    def _fit(self) -> None:
        """As tall as the wrapped items need at the current width: no scrolling, no gap."""
        self.doItemsLayout()
        bottom = max((self.visualItemRect(self.item(i)).bottom() + self.verticalOffset()
                      for i in range(self.count())),
                     default=self.fontMetrics().height() + 6)
        self.setFixedHeight(bottom + 2 * self.frameWidth() + 2 * self.spacing() + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def sizeHint(self) -> QSize:
        return QSize(240, self.height())

    def set_items(self, items: list[tuple[str, str]]) -> None:
        """(value, label) pairs; values ticked before stay ticked."""
        ticked = self.ticked()
        self.clear()
        for value, text in items:
            item = QListWidgetItem(text, self)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if value in ticked
                               else Qt.CheckState.Unchecked)
        self.setEnabled(self.count() > 0)
        self._fit()

    def ticked(self) -> frozenset[str]:
        return frozenset(str(self.item(i).data(Qt.ItemDataRole.UserRole))
                         for i in range(self.count())
                         if self.item(i).checkState() == Qt.CheckState.Checked)

    def tick(self, values: set[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in values:
                item.setCheckState(Qt.CheckState.Checked)


def combo_box(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    return combo


def refill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    """Replace the items, keeping the chosen value."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for value, text in items:
        combo.addItem(text, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)
