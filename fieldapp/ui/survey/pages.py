"""Laying an instrument out as pages of widgets: groups as boxes, repeats with their instances.

A field-list group is a page of its own (as in ODK: one screen); the questions and plain groups
between them are gathered into pages in form order. :class:`FormLayout` builds the widgets and
keeps the registries the runner refreshes: every question widget by address, every group box
and repeat box with its path and instance indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, current_language
from fieldapp.survey import FormState, Instrument, Node
from fieldapp.survey.model import META_TYPES
from fieldapp.ui.survey.widgets import QuestionWidget, make_widget

Idx = tuple[int, ...]


def split_pages(instrument: Instrument) -> list[list[Node]]:
    pages: list[list[Node]] = []
    current: list[Node] = []
    for node in instrument.children:
        if node.type in META_TYPES:
            continue
        if node.field_list:
            if current:
                pages.append(current)
                current = []
            pages.append([node])
        else:
            current.append(node)
    if current:
        pages.append(current)
    return pages


class RepeatBox(QGroupBox):
    """A repeat: one box per instance (each with "Remove"), then "Add"."""

    add_requested = Signal(str)              # repeat address (without position)
    remove_requested = Signal(str, int)      # repeat address, 1-based position

    def __init__(self, node: Node, address: str, idx: Idx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node, self.address, self.idx = node, address, idx
        self.setObjectName(f"repeat_{address}")
        self.instances_layout = QVBoxLayout()
        self.instances: list[QGroupBox] = []
        self.remove_buttons: list[QPushButton] = []
        self.add_button = QPushButton()
        self.add_button.setObjectName("add_instance")
        self.add_button.clicked.connect(self.request_add)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.instances_layout)
        layout.addLayout(row)

    def request_add(self) -> None:
        self.add_requested.emit(self.address)

    def request_remove(self, position: int, *_checked: object) -> None:
        self.remove_requested.emit(self.address, position)


@dataclass
class Container:
    widget: QWidget
    node: Node
    idx: Idx


@dataclass
class FormLayout:
    """The widgets of one form, built for one :class:`FormState`."""

    state: FormState
    on_answer: Callable[[str, object], None]
    on_add: Callable[[str], None]
    on_remove: Callable[[str, int], None]
    pages: list[list[Node]] = field(default_factory=list)
    page_widgets: list[QScrollArea] = field(default_factory=list)
    questions: dict[str, QuestionWidget] = field(default_factory=dict)
    containers: list[Container] = field(default_factory=list)
    repeats: dict[str, RepeatBox] = field(default_factory=dict)
    #: what each container shows, by id(widget): only changes touch the widgets
    _shown: dict[int, tuple[object, ...]] = field(default_factory=dict)

    def build(self) -> None:
        self.pages = split_pages(self.state.instrument)
        for nodes in self.pages:
            content = QWidget()
            content.setObjectName("form_page")
            layout = QVBoxLayout(content)
            layout.setContentsMargins(16, 12, 16, 12)
            self.add_nodes(nodes, (), layout)
            layout.addStretch(1)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(content)
            self.page_widgets.append(scroll)

    def address(self, node: Node, idx: Idx) -> str:
        return self.state.address(node.path, idx)

    def add_nodes(self, nodes: list[Node], idx: Idx, layout: QVBoxLayout) -> None:
        for node in nodes:
            if node.type in META_TYPES or node.type == "calculate":
                # Calculations are the form's own work, as in ODK Collect: computed and kept,
                # never shown to the person answering.
                continue
            if node.type == "group":
                box = QGroupBox()
                box.setObjectName(f"group_{self.address(node, idx)}")
                inner = QVBoxLayout(box)
                self.add_nodes(node.children, idx, inner)
                layout.addWidget(box)
                self.containers.append(Container(box, node, idx))
            elif node.type == "repeat":
                address = self.address(node, (*idx, 0)).rsplit("[", 1)[0]
                repeat = RepeatBox(node, address, idx)
                repeat.add_requested.connect(self.on_add)
                repeat.remove_requested.connect(self.on_remove)
                self.repeats[address] = repeat
                self.fill_repeat(repeat)
                layout.addWidget(repeat)
            else:
                widget = make_widget(node, self.address(node, idx), self.on_answer)
                if widget is None:
                    continue
                self.questions[widget.address] = widget
                layout.addWidget(widget)

    def fill_repeat(self, repeat: RepeatBox) -> None:
        """(Re)build the instance boxes of ``repeat`` from the state's instance count."""
        self._shown.clear()
        for box in repeat.instances:
            self.forget(box)
            repeat.instances_layout.removeWidget(box)
            box.hide()  # deleted later: its own "Remove" button may be what is running now
            box.deleteLater()
        repeat.instances, repeat.remove_buttons = [], []
        for i in range(self.state.instance_count(repeat.address)):
            box = QGroupBox()
            box.setObjectName(f"instance_{repeat.address}[{i + 1}]")
            inner = QVBoxLayout(box)
            remove = QPushButton()
            remove.setObjectName("remove_instance")
            remove.clicked.connect(partial(repeat.request_remove, i + 1))
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(remove)
            inner.addLayout(row)
            self.add_nodes(repeat.node.children, (*repeat.idx, i), inner)
            repeat.instances_layout.addWidget(box)
            box.show()
            repeat.instances.append(box)
            repeat.remove_buttons.append(remove)
            self.containers.append(Container(box, repeat.node, (*repeat.idx, i)))

    def forget(self, box: QWidget) -> None:
        """Drop the registry entries of widgets inside ``box`` (about to be deleted)."""
        for address in [a for a, w in self.questions.items() if box.isAncestorOf(w)]:
            del self.questions[address]
        self.containers = [c for c in self.containers if c.widget is not box
                           and not box.isAncestorOf(c.widget)]
        for address in [a for a, r in self.repeats.items() if box.isAncestorOf(r)]:
            del self.repeats[address]

    # -- showing the state ---------------------------------------------------------------

    def refresh(self, show_required: bool) -> None:
        state = self.state
        for widget in self.questions.values():
            widget.update_from(state, show_required)
        for c in self.containers:
            label = state.text(c.node.labels)
            if c.node.type == "repeat":
                label = _("{label} {n}").format(label=label or c.node.name, n=c.idx[-1] + 1)
            view: tuple[object, ...] = (state.is_relevant(self.address(c.node, c.idx)), label)
            if self._shown.get(id(c.widget)) != view:
                self._shown[id(c.widget)] = view
                c.widget.setVisible(bool(view[0]))
                if isinstance(c.widget, QGroupBox):
                    c.widget.setTitle(label)
        for repeat in self.repeats.values():
            label = state.text(repeat.node.labels) or repeat.node.name
            view = (label, len(repeat.remove_buttons), current_language())
            if self._shown.get(id(repeat)) == view:
                continue
            self._shown[id(repeat)] = view
            repeat.add_button.setText(_("Add another: {label}").format(label=label))
            for n, button in enumerate(repeat.remove_buttons, start=1):
                button.setText(_("Remove {label} {n}").format(label=label, n=n))

    def page_relevant(self, page: int) -> bool:
        return any(self._shows_something(node) for node in self.pages[page])

    def _shows_something(self, node: Node) -> bool:
        if node.type == "calculate":
            return False  # never shown, so it does not make a page worth showing
        if node.type == "repeat" or node.type in META_TYPES:
            return True
        if not self.state.is_relevant(self.address(node, ())):
            return False
        if node.type == "group":
            return any(self._shows_something(child) for child in node.children)
        return True

    def page_title(self, page: int) -> str:
        nodes = self.pages[page]
        for node in nodes:
            if node.is_container and node.labels:
                return self.state.text(node.labels)
        for node in nodes:
            text = self.state.text(node.labels)
            if text:
                return text if len(text) <= 60 else text[:59] + "…"
        return _("Page {n}").format(n=page + 1)

    def page_of(self, widget: QWidget) -> int:
        for i, page in enumerate(self.page_widgets):
            if page.isAncestorOf(widget):
                return i
        return -1

