"""Empty states: what an empty list says, and the button that starts filling it.

An :class:`EmptyState` lies over the viewport of a list, table or tree and shows itself while
the view's model has no rows: one short sentence saying what the list holds and how to start,
and a button doing that. A list that is empty because of a filter or a search says so instead,
with its own button (show everything again). The texts are given as functions so they follow
the interface language.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractItemView, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp.ui import style
from fieldapp.ui.context import AppContext

Text = Callable[[], str]


class EmptyState(QWidget):
    def __init__(self, ctx: AppContext, view: QAbstractItemView, name: str, *,
                 message: Text, action: Text, on_action: Callable[[], None],
                 icon: str | Text | None = None,
                 filtered: Callable[[], bool] | None = None,
                 filtered_message: Text | None = None, filtered_action: Text | None = None,
                 on_filtered_action: Callable[[], None] | None = None,
                 shown: Callable[[], bool] | None = None) -> None:
        super().__init__(view.viewport())
        self.setObjectName(f"{name}_empty")
        self.view = view
        self._texts = (message, action)
        self._filtered_texts = (filtered_message or message, filtered_action or action)
        self._on_action = on_action
        self._on_filtered_action = on_filtered_action or on_action
        self._filtered = filtered or (lambda: False)
        self._shown = shown or (lambda: True)
        self.setAutoFillBackground(False)
        self.label = style.muted(QLabel())
        self.label.setObjectName(f"{name}_empty_text")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton()
        self.button.setObjectName(f"{name}_empty_action")
        self._icon = icon
        self._icon_shown = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SECTION, style.SECTION, style.SECTION, style.SECTION)
        layout.setSpacing(style.SPACING + 4)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.button.clicked.connect(self._clicked)
        view.viewport().installEventFilter(self)
        self._model: QAbstractItemModel | None = None
        self._watch_model()
        ctx.language.changed.connect(self.refresh)
        self.refresh()

    def _watch_model(self) -> None:
        model = self.view.model()
        if model is self._model or model is None:
            return
        self._model = model
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset,
                       model.layoutChanged):
            signal.connect(self.refresh)

    def is_filtered(self) -> bool:
        return bool(self._filtered())

    def _clicked(self) -> None:
        (self._on_filtered_action if self.is_filtered() else self._on_action)()

    def refresh(self, *_args: object) -> None:
        """Show or hide as the model has rows; put the texts in the current language."""
        self._watch_model()
        model = self.view.model()
        empty = model is None or model.rowCount() == 0
        message, action = self._filtered_texts if self.is_filtered() else self._texts
        self.label.setText(message())
        self.button.setText(action())
        self.button.setVisible(bool(self.button.text()))
        # The icon says what the button starts; "show all again" has none.
        icon = "" if self.is_filtered() else (
            self._icon() if callable(self._icon) else self._icon) or ""
        if icon != self._icon_shown:
            self.button.setIcon(style.icon(icon) if icon else QIcon())
            self._icon_shown = icon
        self._fit()
        self.setVisible(empty and bool(self._shown()))
        if self.isVisible():
            self.raise_()

    def _fit(self) -> None:
        self.setGeometry(self.view.viewport().rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False
