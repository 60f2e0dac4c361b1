"""Memos in the desktop: a list and an editor, used in three places — an interview's memos
(a tab under its notes), a code's memos (in the codebook) and every memo of the project (the
Memos tab, with search and a filter by subject).

The editor saves itself through :mod:`fieldapp.ui.autosave` like a note: a new memo is created
by its first save (once it has a title or some text), later saves write what changed, and a
lock or exit flushes it. A memo written on another device is shown read-only: only its author
changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, current_language, format_number, ngettext
from fieldapp.services import memos
from fieldapp.store.errors import StorageUnavailable
from fieldapp.ui import style
from fieldapp.ui.autosave import Autosaver, SaveJob
from fieldapp.ui.context import AppContext
from fieldapp.ui.empty_state import EmptyState
from fieldapp.ui.export.widgets import refill
from fieldapp.ui.interaction import error_text
from fieldapp.ui.views.note_editor import PlainTextEdit

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

Subject = dict[str, Any]
PROJECT: Subject = {"about": "project"}


class MemoRef:
    """The id of the memo being edited, filled in on the worker by the save that creates it,
    so a save queued right behind that one (a flush) updates the same memo."""

    def __init__(self, memo_id: str | None) -> None:
        self.id = memo_id


class MemoEditor(QWidget):
    """Title and text of one memo, saved as they are typed."""

    saved = Signal(str)  # memo id

    def __init__(self, ctx: AppContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"memo_editor_{name}")
        self.subject: Subject | None = None
        self.memo_id: str | None = None
        self._ref = MemoRef(None)
        self._sent = ("", "")
        self._state = "idle"
        self._error: BaseException | None = None
        self._readonly_author = ""
        self.title = QLineEdit()
        self.title.setObjectName("memo_title")
        title_font = style.reading_font()
        title_font.setBold(True)
        self.title.setFont(title_font)  # the memo's heading, in the type of its text
        self.body = PlainTextEdit()
        self.body.setObjectName("memo_body")
        style.make_reading(self.body)
        self.body.setTabChangesFocus(True)
        self.info = QLabel()
        self.info.setObjectName("memo_info")
        self.info.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("memo_status")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.body, 1)
        row = QHBoxLayout()
        row.addWidget(self.info, 1)
        row.addWidget(self.status)
        layout.addLayout(row)
        self.autosave = Autosaver(ctx, self, self._save_job)
        self.title.textEdited.connect(lambda _t: self._typed())
        self.body.textChanged.connect(self._typed)
        ctx.language.changed.connect(self.retranslate_ui)
        self.clear()

    # -- what is shown ---------------------------------------------------------------------

    def load(self, memo: dict[str, Any] | None, subject: Subject) -> None:
        """Show ``memo``, or an empty new memo on ``subject`` (created when typed into)."""
        self.autosave.flush()  # what was typed into the memo shown until now
        self.autosave.cancel()
        self.subject = dict(subject)
        self.memo_id = memo["id"] if memo else None
        self._ref = MemoRef(self.memo_id)
        title, body = str((memo or {}).get("title") or ""), str((memo or {}).get("body") or "")
        self._sent = (title, body)
        self._error = None
        self._state = "idle"
        mine = memo is None or bool(memo.get("mine"))
        self._readonly_author = "" if mine else str(memo.get("author") or "") if memo else ""
        self.title.blockSignals(True)
        self.body.blockSignals(True)
        self.title.setText(title)
        self.body.setPlainText(body)
        self.title.blockSignals(False)
        self.body.blockSignals(False)
        for w in (self.title, self.body):
            w.setEnabled(True)
            w.setReadOnly(not mine)
        self.retranslate_ui()

    def clear(self) -> None:
        """Show nothing (the workspace was locked, or nothing is chosen)."""
        self.autosave.cancel()
        self.subject = None
        self.memo_id = None
        self._ref = MemoRef(None)
        self._sent = ("", "")
        self._state = "idle"
        self._readonly_author = ""
        for w in (self.title, self.body):
            w.blockSignals(True)
            w.clear()
            w.blockSignals(False)
            w.setEnabled(False)
        self.body.document().clearUndoRedoStacks()
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.title.setPlaceholderText(_("Memo title"))
        self.title.setAccessibleName(_("Memo title"))
        self.body.setAccessibleName(_("Memo text"))
        if self.subject is None:
            self.body.setPlaceholderText(_("Choose a memo, or start a new one."))
        else:
            self.body.setPlaceholderText(_("Write your memo here; it is saved as you go."))
        if self._readonly_author:
            self.info.setText(_("Written by {author} on another device: only they can change "
                                "it.").format(author=self._readonly_author))
        else:
            self.info.setText("")
        self.status.setText({
            "idle": "", "editing": _("Editing…"), "saving": _("Saving…"), "saved": _("Saved"),
            "error": (_("Not saved: {reason}").format(reason=error_text(self._error))
                      if self._error else ""),
        }[self._state])

    # -- saving ----------------------------------------------------------------------------

    def _typed(self) -> None:
        if self.subject is None or self._readonly_author:
            return
        self.autosave.changed()
        if self._state != "editing":
            self._state = "editing"
            self.retranslate_ui()

    def save_now(self) -> None:
        self.autosave.save_now()

    def _save_job(self) -> SaveJob | None:
        if self.subject is None or self._readonly_author:
            return None
        title, body = self.title.text(), self.body.toPlainText()
        if (title, body) == self._sent:
            return None
        ref, subject = self._ref, dict(self.subject)
        if ref.id is None and not (title.strip() or body.strip()):
            return None  # nothing worth a memo yet

        def work(ws: Workspace) -> str:
            if ref.id is None:
                ref.id = memos.add_memo(ws, title=title, body=body, **subject)
            else:
                memos.save_memo(ws, ref.id, title=title, body=body)
            return ref.id

        previous = self._sent
        self._sent = (title, body)
        self._state = "saving"
        self.retranslate_ui()
        return SaveJob(work, lambda memo_id: self._saved(ref, memo_id),
                       lambda exc: self._failed(ref, exc, previous))

    def _saved(self, ref: MemoRef, memo_id: str) -> None:
        if ref is not self._ref:
            self.saved.emit(memo_id)  # the list still shows it
            return
        self.memo_id = memo_id
        self._error = None
        current = (self.title.text(), self.body.toPlainText())
        self._state = "editing" if current != self._sent or self.autosave.in_flight else "saved"
        self.retranslate_ui()
        self.saved.emit(memo_id)

    def _failed(self, ref: MemoRef, exc: BaseException, previous: tuple[str, str]) -> None:
        if ref is not self._ref:
            self.ctx.interaction.error(self, exc)
            return
        self._sent = previous  # so the next save sends the text again
        self._error = exc
        self._state = "error"
        self.retranslate_ui()
        if not isinstance(exc, StorageUnavailable):
            self.ctx.interaction.error(self, exc)


class MemoPanel(QWidget):
    """A list of memos beside the editor. ``scope`` is ``"interview"``, ``"code"`` (the
    subject is set with :meth:`show_subject`) or ``"all"`` (every memo, searchable)."""

    def __init__(self, ctx: AppContext, scope: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.scope = scope
        self.setObjectName(f"memo_panel_{scope}")
        self.subject: Subject | None = PROJECT if scope == "all" else None
        self._memos: list[dict[str, Any]] = []
        self.search = QLineEdit()
        self.search.setObjectName("memo_search")
        self.search.setClearButtonEnabled(True)
        self.filter = QComboBox()
        self.filter.setObjectName("memo_filter")
        self.list = QListWidget()
        self.list.setObjectName("memo_list")
        self.list.setWordWrap(True)
        self.list.setSpacing(style.SPACING // 2)  # memos of two lines each, told apart
        self.count = QLabel()
        self.count.setObjectName("memo_count")
        self.new_button = QPushButton()
        self.new_button.setObjectName("new_memo")
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("delete_memo")
        self.editor = MemoEditor(ctx, scope)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        if scope == "all":
            top = QHBoxLayout()
            top.addWidget(self.search, 1)
            top.addWidget(self.filter)
            ll.addLayout(top)
        else:
            self.search.hide()
            self.filter.hide()
        ll.addWidget(self.list, 1)
        ll.addWidget(self.count)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        ll.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.editor)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        margin = style.MARGIN if scope == "all" else 0
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.addWidget(split)
        self.list.currentItemChanged.connect(lambda item, _prev: self._chosen(item))
        self.new_button.clicked.connect(self.new_memo)
        self.delete_button.clicked.connect(self.delete_memo)
        self.search.textChanged.connect(lambda _t: self.reload())
        self.filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.editor.saved.connect(self._saved)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self.new_button.setIcon(style.icon("add"))
        self.delete_button.setIcon(style.icon("delete"))
        self.empty = EmptyState(
            ctx, self.list, f"memos_{scope}", icon="add",
            message=lambda: _("No memos yet. A memo holds your thinking about the project, a "
                              "code or an interview."),
            action=lambda: _("New memo"), on_action=self.new_memo,
            filtered=lambda: bool(self.search.text().strip()),
            filtered_message=lambda: _("No memo contains these words."),
            filtered_action=lambda: _("Clear the search"),
            on_filtered_action=self.search.clear,
            shown=lambda: self.subject is not None)
        self.retranslate_ui()
        self._update_buttons()

    def retranslate_ui(self) -> None:
        self.search.setPlaceholderText(_("Search memos (Simplified or Traditional)"))
        self.search.setAccessibleName(_("Search memos"))
        self.list.setAccessibleName(_("Memos"))
        self.filter.blockSignals(True)
        refill(self.filter, [("", _("All memos")), ("project", _("On the project")),
                             ("code", _("On codes")), ("interview", _("On interviews"))])
        self.filter.blockSignals(False)
        self.new_button.setText(_("New memo"))
        self.delete_button.setText(_("Delete memo…"))
        self._fill()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.scope == "all" and self.ctx.tasks.has_workspace_hint():
            self.reload()

    # -- what is listed --------------------------------------------------------------------

    def show_subject(self, about: str, *, code_id: str | None = None,
                     interview_id: str | None = None) -> None:
        """Show the memos on one code or one interview."""
        subject: Subject = {"about": about}
        if code_id:
            subject["code_id"] = code_id
        if interview_id:
            subject["interview_id"] = interview_id
        if subject == self.subject:
            return
        self.subject = subject
        self.editor.load(None, subject)
        self.reload()

    def clear(self) -> None:
        self.subject = PROJECT if self.scope == "all" else None
        self._memos = []
        self.editor.clear()
        self.list.blockSignals(True)
        self.list.clear()
        self.list.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._fill()

    def reload(self) -> None:
        if self.subject is None:
            return
        if self.scope == "all":
            about = self.filter.currentData() or None
            where: dict[str, Any] = {"about": about, "text": self.search.text()}
        else:
            where = {k: v for k, v in self.subject.items()}
        self.ctx.tasks.run(lambda ws: memos.list_memos(ws, **where), self._loaded)

    def _loaded(self, found: list[dict[str, Any]]) -> None:
        self._memos = found
        self._fill()
        if self.editor.subject is None and self.subject is not None:
            self.editor.load(None, self._new_subject())

    def _fill(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        lang = current_language()
        chosen = None
        for m in self._memos:
            title = m.get("title") or _("(no title)")
            first = " ".join(str(m.get("body") or "").split())[:80]
            head = f"{title} · {m['author']}"
            if self.scope == "all":
                head = f"{memos.subject_label(m, lang)} · {head}"
            item = QListWidgetItem(f"{head}\n{first}" if first else head)
            item.setData(Qt.ItemDataRole.UserRole, m["id"])
            self.list.addItem(item)
            if m["id"] == self.editor.memo_id:
                chosen = item
        if chosen is not None:
            self.list.setCurrentItem(chosen)
        self.list.blockSignals(False)
        n = len(self._memos)
        self.count.setText(ngettext("{n} memo", "{n} memos", n).format(n=format_number(n))
                           if self.subject is not None else "")
        self.empty.refresh()
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.new_button.setEnabled(self.subject is not None)
        memo = self._memo(self.editor.memo_id)
        self.delete_button.setEnabled(bool(memo and memo.get("mine")))

    def _memo(self, memo_id: str | None) -> dict[str, Any] | None:
        return next((m for m in self._memos if m["id"] == memo_id), None)

    def _new_subject(self) -> Subject:
        return dict(self.subject or PROJECT) if self.scope != "all" else dict(PROJECT)

    def _chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        memo = self._memo(item.data(Qt.ItemDataRole.UserRole))
        if memo is not None:
            self.editor.load(memo, {k: memo.get(k) for k in ("about", "code_id",
                                                             "interview_id") if memo.get(k)})
            self._update_buttons()

    def _saved(self, _memo_id: str) -> None:
        self.ctx.data.changed.emit("memo")

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "memo", "interview", "code") and self.subject is not None:
            self.reload()

    # -- actions ---------------------------------------------------------------------------

    def open_memo(self, memo_id: str) -> None:
        """Show every memo (this panel is the project's list) with ``memo_id`` open."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.filter.blockSignals(True)
        self.filter.setCurrentIndex(0)
        self.filter.blockSignals(False)

        def done(found: list[dict[str, Any]]) -> None:
            self._memos = found
            memo = self._memo(memo_id)
            if memo is not None:
                self.editor.load(memo, {k: memo.get(k) for k in ("about", "code_id",
                                                                 "interview_id") if memo.get(k)})
            self._fill()

        self.ctx.tasks.run(lambda ws: memos.list_memos(ws), done)

    def new_memo(self) -> None:
        if self.subject is None:
            return
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        self.editor.load(None, self._new_subject())
        self.editor.title.setFocus()
        self._update_buttons()

    def delete_memo(self) -> None:
        memo = self._memo(self.editor.memo_id)
        if memo is None:
            return
        title = memo.get("title") or _("(no title)")
        if not self.ctx.interaction.confirm(
                self, _("Delete memo"), _("Delete the memo “{title}”? It is deleted on every "
                                          "device it reaches.").format(title=title),
                ok=_("Delete"), destructive=True):
            return
        memo_id = memo["id"]
        self.editor.autosave.flush()

        def work(ws: Workspace) -> None:
            memos.delete_memo(ws, memo_id)

        def done(_r: object) -> None:
            self.editor.load(None, self._new_subject())
            self.ctx.data.changed.emit("memo")

        self.ctx.tasks.run(work, done, lambda exc: self.ctx.interaction.warn(
            self, _("Delete memo"), error_text(exc)))


class MemoSearchResults(QWidget):
    """Memos found by the workspace search (under the notes found): the memo's subject,
    title and a piece of its text; activating one opens it in the Memos tab."""

    open_requested = Signal(str)  # memo id

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("memo_search_results")
        self.label = QLabel()
        self.list = QListWidget()
        self.list.setObjectName("memo_hits")
        self.list.setWordWrap(True)
        self.list.setMaximumHeight(160)
        self.label.setBuddy(self.list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.list)
        self.list.itemActivated.connect(
            lambda item: self.open_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self._generation = 0
        self._hits: list[memos.MemoHit] = []
        ctx.language.changed.connect(lambda _l: self._fill())
        self.search("")

    def search(self, text: str) -> None:
        """Search memos for ``text`` on the worker ("" clears)."""
        self._generation += 1
        generation = self._generation
        if not text.strip():
            self._hits = []
            self._fill()
            return

        def done(hits: list[memos.MemoHit]) -> None:
            if generation == self._generation:
                self._hits = hits
                self._fill()

        self.ctx.tasks.run(lambda ws: memos.search_memos(ws, text), done)

    def _fill(self) -> None:
        self.list.clear()
        self.setVisible(bool(self._hits))
        n = len(self._hits)
        self.label.setText(ngettext("{n} memo found", "{n} memos found", n).format(
            n=format_number(n)))
        for h in self._hits:
            about = {"project": _("Project"), "code": _("Code"),
                     "interview": _("Interview {code}").format(code=h.interview_code)
                     }.get(h.about, "")
            item = QListWidgetItem(f"{about} · {h.title or _('(no title)')}\n{h.snippet}")
            item.setData(Qt.ItemDataRole.UserRole, h.memo_id)
            self.list.addItem(item)
