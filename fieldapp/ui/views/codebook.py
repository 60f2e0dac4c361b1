"""The codebook: the tree of codes, a code's definition, and the passages coded with it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number, ngettext, pick
from fieldapp.services import records, registry
from fieldapp.services.export import import_codebook
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog, show_dialog
from fieldapp.ui.dialogs.attributes import AttributesDialog
from fieldapp.ui.dialogs.code import CodeDialog
from fieldapp.ui.empty_state import EmptyState
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import label
from fieldapp.ui.models.codebook import ID_ROLE, CodebookModel
from fieldapp.ui.views.memos import MemoPanel

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


class CodebookView(QWidget):
    #: interview id, note kind, start, end
    open_requested = Signal(str, str, int, int)

    def __init__(self, ctx: AppContext, codebook: CodebookModel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.codebook = codebook
        self.setObjectName("codebook_view")
        self.code_id: str | None = None
        self.dialog: CodeDialog | None = None
        self.attributes_dialog: AttributesDialog | None = None
        self.tree = QTreeView()
        self.tree.setObjectName("codebook_tree")
        self.tree.setModel(codebook)
        self.tree.setHeaderHidden(True)
        self.new_button = QPushButton()
        self.new_button.setObjectName("new_code")
        self.definition = QLabel()
        self.definition.setObjectName("code_definition")
        self.definition.setWordWrap(True)
        self.definition.setTextFormat(Qt.TextFormat.PlainText)
        self.passages_label = QLabel()
        self.passages = QListWidget()
        self.passages.setObjectName("code_passages")
        self.passages.setWordWrap(True)
        self.passages.setSpacing(style.SPACING // 2)  # passages of two lines each
        self.passages_label.setBuddy(self.passages)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.tree, 1)
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("edit_code")
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("delete_code")
        self.import_button = QPushButton()
        self.import_button.setObjectName("import_codebook")
        self.attributes_button = QPushButton()
        self.attributes_button.setObjectName("case_attributes")
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button,
                       self.import_button):
            buttons.addWidget(button)
        ll.addLayout(buttons)
        ll.addWidget(self.attributes_button)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.definition)
        rl.addWidget(self.passages_label)
        rl.addWidget(self.passages, 1)
        self.memos_label = QLabel()
        self.memos = MemoPanel(ctx, "code")  # the selected code's memos
        rl.addWidget(self.memos_label)
        rl.addWidget(self.memos, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        layout.addWidget(split)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.new_button.clicked.connect(self.new_code)
        self.edit_button.clicked.connect(self.edit_code)
        self.delete_button.clicked.connect(self.delete_code)
        self.import_button.clicked.connect(self.import_codes)
        self.attributes_button.clicked.connect(self.edit_attributes)
        self.tree.doubleClicked.connect(lambda _i: self.edit_code())
        self.passages.itemActivated.connect(self._open)
        codebook.modelReset.connect(self._restore_selection)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self._passages: list[dict[str, Any]] = []
        self.new_button.setIcon(style.icon("add"))
        self.edit_button.setIcon(style.icon("edit"))
        self.delete_button.setIcon(style.icon("delete"))
        self.import_button.setIcon(style.icon("import"))
        self.empty = EmptyState(
            ctx, self.tree, "codebook", icon="add",
            message=lambda: _("The codebook is empty. Create your first code, or import a "
                              "codebook with “Import codebook…”."),
            action=lambda: _("New code…"), on_action=self.new_code)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.tree.setAccessibleName(_("Codebook"))
        self.new_button.setText(_("New &code…"))
        self.edit_button.setText(_("C&hange…"))
        self.delete_button.setText(_("Re&move…"))
        self.import_button.setText(_("&Import codebook…"))
        self.import_button.setToolTip(_(
            "Add the codes of a codebook made in NVivo, ATLAS.ti, MAXQDA or QualCoder "
            "(a REFI-QDA .qdc codebook or .qdpx project)"))
        self.passages.setAccessibleName(_("Coded passages"))
        self.memos_label.setText(_("Memos on this code"))
        self.attributes_button.setText(_("Case &attributes…"))
        self.attributes_button.setToolTip(_(
            "Typed attributes of participants and organisations (budget, staff, registration "
            "status…), shared with the team like the codebook"))
        self._show()

    def edit_attributes(self) -> None:
        self.attributes_dialog = AttributesDialog(self.ctx, self)
        show_dialog(self.attributes_dialog)

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "coding", "note", "interview") and self.code_id:
            self._load_passages(self.code_id)

    def clear(self) -> None:
        close_dialog(self.dialog)
        close_dialog(self.attributes_dialog)
        self.dialog = self.attributes_dialog = None
        self.code_id = None
        self._passages = []
        self._show()

    def _restore_selection(self) -> None:
        if self.code_id:
            self._select(self.code_id)
        self._show()

    def _select(self, code_id: str) -> None:
        for row in range(self.codebook.rowCount()):
            stack = [self.codebook.item(row)]
            while stack:
                item = stack.pop()
                if item.data(ID_ROLE) == code_id:
                    self.tree.setCurrentIndex(item.index())
                    return
                stack.extend(item.child(i) for i in range(item.rowCount()))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        code_id = current.data(ID_ROLE) if current.isValid() else None
        if code_id and code_id != self.code_id:
            self.code_id = str(code_id)
            self._load_passages(self.code_id)
            self.memos.show_subject("code", code_id=self.code_id)

    def _load_passages(self, code_id: str) -> None:
        self.ctx.tasks.run(lambda ws: records.passages_of_code(ws, code_id),
                           lambda rows: self._loaded(code_id, rows))

    def _loaded(self, code_id: str, rows: list[dict[str, Any]]) -> None:
        if code_id == self.code_id:
            self._passages = rows
            self._show()

    def _show(self) -> None:
        code = self.codebook.codes.get(self.code_id or "")
        self.passages.clear()
        if code is None:
            self.definition.setText(_("Choose a code to see its definition and passages."))
            self.passages_label.setText(_("Coded passages"))
            return
        names = " / ".join(n for n in (code.get("name_zh"), code.get("name_en")) if n)
        definition = pick(code.get("definition_zh"), code.get("definition_en"))
        self.definition.setText(names + ("\n\n" + definition if definition else ""))
        n = len(self._passages)
        self.passages_label.setText(ngettext("{n} coded passage", "{n} coded passages", n).format(
            n=format_number(n)))
        for p in self._passages:
            quote = _("may quote") if p.get("may_quote") else _("do not quote")
            text = p["text"].replace("\n", " ")
            item = QListWidgetItem(f"{p['interview_code']} · {label('note_kind', p['note_kind'])}"
                                   f" · {quote}\n{text[:200]}")
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.passages.addItem(item)

    def _open(self, item: QListWidgetItem) -> None:
        p = item.data(Qt.ItemDataRole.UserRole)
        self.open_requested.emit(p["interview_id"], p["note_kind"], p["start_offset"],
                                 p["end_offset"])

    def new_code(self) -> None:
        self.dialog = CodeDialog(self.ctx, self.codebook, self.code_id, self)
        self.dialog.created.connect(self._created)
        show_dialog(self.dialog)

    def edit_code(self) -> None:
        code = self.codebook.codes.get(self.code_id or "")
        if code is None:
            return
        self.dialog = CodeDialog(self.ctx, self.codebook, parent=self, code=code)
        self.dialog.created.connect(self._created)
        show_dialog(self.dialog)

    def delete_code(self) -> None:
        code = self.codebook.codes.get(self.code_id or "")
        if code is None:
            return
        name = self.codebook.name(code["id"])
        if not self.ctx.interaction.confirm(
                self, _("Remove code"), _("Remove the code “{name}” from the codebook?").format(
                    name=name), ok=_("Remove"), destructive=True):
            return
        code_id = code["id"]

        def work(ws: Workspace) -> None:
            registry.delete_code(ws, code_id)

        self.ctx.tasks.run(work, lambda _r: self._removed(),
                           lambda exc: self.ctx.interaction.warn(self, _("Remove code"),
                                                                 error_text(exc)))

    def import_codes(self) -> None:
        """Add the codes of a REFI-QDA codebook or project chosen by the user (on the worker).
        A code already in the codebook (same name under the same parent) is not added twice."""
        title = _("Import codebook")
        path = self.ctx.interaction.open_file(
            self, title, _("REFI-QDA codebook or project (*.qdc *.qdpx)"))
        if path is None:
            return
        chosen = Path(path)

        def work(ws: Workspace) -> dict[str, int]:
            return import_codebook(ws, chosen)

        self.import_button.setEnabled(False)
        self.ctx.tasks.run(work, lambda counts: self._imported(chosen, counts),
                           lambda exc: self._import_failed(chosen, exc))

    def _imported(self, path: Path, counts: dict[str, int]) -> None:
        self.import_button.setEnabled(True)
        added, existing = counts.get("added", 0), counts.get("existing", 0)
        text = ngettext("{n} code added to the codebook from {file}.",
                        "{n} codes added to the codebook from {file}.", added).format(
            n=format_number(added), file=path.name)
        if existing:
            text += "\n" + ngettext(
                "{n} code was already in the codebook and was not added again.",
                "{n} codes were already in the codebook and were not added again.",
                existing).format(n=format_number(existing))
        self.ctx.data.changed.emit("code")
        self.ctx.interaction.info(self, _("Import codebook"), text)

    def _import_failed(self, path: Path, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        self.ctx.interaction.warn(
            self, _("Import codebook"),
            _("Could not import the codebook {file}: {reason}").format(
                file=path.name, reason=error_text(exc)))

    def _removed(self) -> None:
        self.code_id = None
        self.ctx.data.changed.emit("code")

    def _created(self, code_id: str) -> None:
        self.code_id = code_id
        self.ctx.data.changed.emit("code")
