"""Open conflicts: shared records changed by several people while apart.

Each conflict lists every version with who made it and when; the coordinator keeps one or
writes a new value. A delete conflict (a record deleted while someone else edited it) is
settled by keeping it deleted or restoring it. A resolution is an ordinary change: it reaches
the team with the next publish.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number, ngettext, pick
from fieldapp.services import records
from fieldapp.store.errors import NotFound
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.language import Message, refresh_message, set_message
from fieldapp.ui.team.common import (
    BAD,
    GOOD,
    TeamState,
    clock_text,
    entity_label,
    field_label,
    value_text,
)

if TYPE_CHECKING:
    from fieldapp.store.conflicts import Conflict, Version
    from fieldapp.store.workspace import Workspace


def record_name(entity: str, row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    if entity in ("organisation", "code"):
        return pick(row.get("name_zh"), row.get("name_en")) or str(row.get("code") or "")
    if entity == "study":
        return pick(row.get("title_zh"), row.get("title_en"))
    if entity == "instrument":
        return pick(row.get("title_zh"), row.get("title_en")) or str(row.get("form_id") or "")
    return str(row.get("code") or "")


def load_conflicts(ws: Workspace) -> list[tuple[Conflict, str]]:
    """Runs on the worker: each conflict with the name of its record."""
    out = []
    for conflict in ws.conflicts():
        try:
            row = records.get(ws, conflict.entity, conflict.entity_id, include_deleted=True)
        except NotFound:
            row = None
        out.append((conflict, record_name(conflict.entity, row) or conflict.entity_id[-12:]))
    return out


def parse_value(text: str, versions: tuple[Version, ...]) -> Any:
    """A new value as typed: text for a text field, JSON where the versions are not text."""
    if all(isinstance(v.value, str) or v.value is None for v in versions):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class ConflictsPanel(QWidget):
    #: how many conflicts are open (after each load)
    count_changed = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("conflicts_panel")
        self.state = TeamState()
        self.items: list[tuple[Conflict, str]] = []
        self.stale = True

        self.count = QLabel()
        self.count.setObjectName("conflict_count")
        self.list = QListWidget()
        self.list.setObjectName("conflict_list")
        self.list.setWordWrap(True)

        self.details = QGroupBox()
        self.details.setObjectName("conflict_details")
        self.explain = QLabel()
        self.explain.setObjectName("conflict_explain")
        self.explain.setWordWrap(True)
        self.versions_box = QVBoxLayout()
        self.choice = QButtonGroup(self)
        self.radios: list[QRadioButton] = []
        self.keep_button = QPushButton()
        self.keep_button.setObjectName("use_version")
        self.new_value = QLineEdit()
        self.new_value.setObjectName("new_value")
        self.new_button = QPushButton()
        self.new_button.setObjectName("use_new_value")
        self.keep_deleted = QPushButton()
        self.keep_deleted.setObjectName("keep_deleted")
        self.restore = QPushButton()
        self.restore.setObjectName("restore")
        self.message = QLabel()
        self.message.setObjectName("conflict_message")
        self.message.setWordWrap(True)
        new_row = QHBoxLayout()
        new_row.addWidget(self.new_value, 1)
        new_row.addWidget(self.new_button)
        delete_row = QHBoxLayout()
        delete_row.addWidget(self.keep_deleted)
        delete_row.addWidget(self.restore)
        delete_row.addStretch(1)
        keep_row = QHBoxLayout()
        keep_row.addWidget(self.keep_button)
        keep_row.addStretch(1)
        box = QVBoxLayout(self.details)
        box.addWidget(self.explain)
        box.addLayout(self.versions_box)
        box.addLayout(keep_row)
        box.addLayout(new_row)
        box.addLayout(delete_row)
        box.addStretch(1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.count)
        left_layout.addWidget(self.list, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

        self.list.currentRowChanged.connect(self._show_current)
        self.keep_button.clicked.connect(self.use_chosen)
        self.new_button.clicked.connect(self.use_new)
        self.new_value.returnPressed.connect(self.use_new)
        self.new_value.textChanged.connect(lambda _t: self._enable())
        self.keep_deleted.clicked.connect(lambda: self.settle_delete(True))
        self.restore.clicked.connect(lambda: self.settle_delete(False))
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.list.setAccessibleName(_("Conflicts"))
        self.details.setTitle(_("Versions"))
        self.keep_button.setText(_("&Keep the chosen version"))
        self.new_value.setPlaceholderText(_("Or write a new value"))
        self.new_value.setAccessibleName(_("New value"))
        self.new_button.setText(_("Use the &new value"))
        self.keep_deleted.setText(_("Keep &deleted"))
        self.restore.setText(_("&Restore"))
        row = self.list.currentRow()
        self._fill_list()
        self.list.setCurrentRow(row)
        self._show_current(row)
        refresh_message(self.message)

    def set_state(self, state: TeamState) -> None:
        self.state = state
        self._fill_list()
        self._show_current(self.list.currentRow())

    # -- loading -------------------------------------------------------------------------

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
        self.ctx.tasks.run(load_conflicts, self._loaded)

    def clear(self) -> None:
        self.items = []
        self.message.clear()
        self._fill_list()
        self._show_current(-1)
        self.stale = True

    def _loaded(self, items: list[tuple[Conflict, str]]) -> None:
        current = self.current()
        self.items = items
        self._fill_list()
        keys = [c.key for c, _name in items]
        row = keys.index(current.key) if current is not None and current.key in keys else 0
        self.list.setCurrentRow(row if items else -1)
        self._show_current(self.list.currentRow())

    def _fill_list(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for conflict, name in self.items:
            if conflict.kind == "delete":
                text = _("{type} “{name}”: deleted while someone edited it").format(
                    type=entity_label(conflict.entity), name=name)
            else:
                text = ngettext("{type} “{name}”, {field}: {n} version",
                                "{type} “{name}”, {field}: {n} versions",
                                len(conflict.versions)).format(
                    type=entity_label(conflict.entity), name=name,
                    field=field_label(conflict.field), n=len(conflict.versions))
            QListWidgetItem(text, self.list)
        self.list.blockSignals(False)
        n = len(self.items)
        self.count.setText(ngettext("{n} open conflict", "{n} open conflicts", n).format(
            n=format_number(n)) if n else _("No open conflicts."))
        self.count_changed.emit(n)

    def current(self) -> Conflict | None:
        row = self.list.currentRow()
        return self.items[row][0] if 0 <= row < len(self.items) else None

    # -- one conflict --------------------------------------------------------------------

    def _show_current(self, row: int) -> None:
        for radio in self.radios:
            self.choice.removeButton(radio)
            radio.hide()
            self.versions_box.removeWidget(radio)
            radio.deleteLater()
        self.radios = []
        conflict = self.current()
        self.details.setEnabled(conflict is not None)
        if conflict is None:
            self.explain.setText(_("Nothing to settle: nobody changed the same thing while "
                                   "apart.") if not self.items else "")
            self._enable()
            return
        if conflict.kind == "delete":
            self.explain.setText(_("Someone deleted this record while someone else edited it. "
                                   "It stays deleted until you decide. The edits:"))
        else:
            self.explain.setText(_("People changed this while apart. The newest version is "
                                   "shown meanwhile. Keep one, or write a new value; your "
                                   "choice reaches the team when you publish."))
        for i, version in enumerate(conflict.versions):
            radio = QRadioButton(self.version_text(conflict, version))
            radio.setObjectName(f"version_{i}")
            self.choice.addButton(radio, i)
            self.versions_box.addWidget(radio)
            self.radios.append(radio)
        if self.radios:
            self.radios[0].setChecked(True)
        self._enable()

    def version_text(self, conflict: Conflict, version: Version) -> str:
        who = self.state.who(version.device)
        when = clock_text(version.hlc)
        if conflict.kind == "delete":
            return _("changed by {who}, {when}").format(who=who, when=when)
        return _("“{value}” — {who}, {when}").format(value=value_text(version.value), who=who,
                                                    when=when)

    def _enable(self) -> None:
        conflict = self.current()
        field_kind = conflict is not None and conflict.kind == "field"
        delete_kind = conflict is not None and conflict.kind == "delete"
        for radio in self.radios:
            radio.setEnabled(field_kind)
        self.keep_button.setVisible(field_kind)
        self.keep_button.setEnabled(field_kind and self.choice.checkedId() >= 0)
        self.new_value.setVisible(field_kind)
        self.new_button.setVisible(field_kind)
        self.new_button.setEnabled(field_kind and bool(self.new_value.text().strip()))
        self.keep_deleted.setVisible(delete_kind)
        self.restore.setVisible(delete_kind)

    # -- settling ------------------------------------------------------------------------

    def use_chosen(self) -> None:
        conflict = self.current()
        index = self.choice.checkedId()
        if conflict is None or conflict.kind != "field" or index < 0:
            return
        self._resolve(conflict, conflict.versions[index].value)

    def use_new(self) -> None:
        conflict = self.current()
        text = self.new_value.text().strip()
        if conflict is None or conflict.kind != "field" or not text:
            return
        self._resolve(conflict, parse_value(text, conflict.versions))

    def _resolve(self, conflict: Conflict, value: Any) -> None:
        def work(ws: Workspace) -> None:
            ws.resolve(conflict.entity, conflict.entity_id, conflict.field, value)

        self.ctx.tasks.run(work, lambda _r: self._settled(conflict, lambda: _(
            "Settled: {field} is now “{value}”. Publish to send it to the team.").format(
            field=field_label(conflict.field), value=value_text(value))), self._failed)

    def settle_delete(self, keep_deleted: bool) -> None:
        conflict = self.current()
        if conflict is None or conflict.kind != "delete":
            return

        def work(ws: Workspace) -> None:
            ws.resolve_delete(conflict.entity, conflict.entity_id, keep_deleted=keep_deleted)

        def text() -> str:
            return (_("Settled: the record stays deleted. Publish to send it to the team.")
                    if keep_deleted else
                    _("Settled: the record is restored. Publish to send it to the team."))

        self.ctx.tasks.run(work, lambda _r: self._settled(conflict, text), self._failed)

    def _settled(self, conflict: Conflict, text: Message) -> None:
        self.new_value.clear()
        set_message(self.message, text, GOOD)
        self.ctx.data.changed.emit(conflict.entity)
        self.reload()

    def _failed(self, exc: BaseException) -> None:
        set_message(self.message, lambda: error_text(exc), BAD)
