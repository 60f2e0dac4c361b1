"""The form runner: answer one response of an instrument, page by page.

Every answer goes through the response's :class:`~fieldapp.survey.FormState` (the survey
engine), so skip logic hides and clears, calculations and cascades follow, and constraint and
required messages appear at the question in the current language. The response is saved as a
draft as it is answered (on the database worker, through ``services.surveys.save_draft``, with
the timing of :mod:`fieldapp.ui.autosave`); "Complete" checks the whole form and lists what needs
attention, each entry jumping to its question.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, ngettext
from fieldapp.services import surveys
from fieldapp.store.errors import StorageUnavailable
from fieldapp.survey import AnswerError, FormState, Instrument, Issue
from fieldapp.ui.autosave import Autosaver, SaveJob
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import label
from fieldapp.ui.survey.pages import FormLayout
from fieldapp.ui.survey.review import ReviewPanel
from fieldapp.ui.survey.widgets import AttachRequest

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

ADDRESS_ROLE = Qt.ItemDataRole.UserRole + 1


class FormRunner(QWidget):
    saved = Signal(str)        # response id
    completed = Signal(str)    # response id
    back_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("form_runner")
        self.response_id: str | None = None
        self.state: FormState | None = None
        self.form: FormLayout | None = None
        self.link_text = ""
        self.status = "draft"
        self.show_required = False
        self._saved_data: dict[str, Any] = {}  # what the workspace holds
        self._sent_data: dict[str, Any] = {}   # what the last queued save holds
        self._save_state = "idle"
        self._error: BaseException | None = None

        self.back = QPushButton()
        self.back.setObjectName("back_to_list")
        self.title = QLabel()
        self.title.setObjectName("form_title")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 15pt; font-weight: 600")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("form_subtitle")
        self.pages_label = QLabel()
        self.page_list = QListWidget()
        self.page_list.setObjectName("page_list")
        self.page_list.setWordWrap(True)
        self.page_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.page_list.setSpacing(2)
        self.pages_label.setBuddy(self.page_list)
        self.stack = QStackedWidget()
        self.prev_button = QPushButton()
        self.prev_button.setObjectName("previous_page")
        self.next_button = QPushButton()
        self.next_button.setObjectName("next_page")
        self.save_status = QLabel()
        self.save_status.setObjectName("save_status")
        self.complete_button = QPushButton()
        self.complete_button.setObjectName("complete_response")
        self.issues_label = QLabel()
        self.issues_label.setObjectName("issues_label")
        self.issues_label.setWordWrap(True)
        self.issues_label.setStyleSheet("color: #b00020; font-weight: 600")
        self.issue_list = QListWidget()
        self.issue_list.setObjectName("issue_list")
        self.issue_list.setMaximumHeight(140)
        self.issues_label.setBuddy(self.issue_list)

        header = QHBoxLayout()
        header.addWidget(self.back)
        heading = QVBoxLayout()
        heading.addWidget(self.title)
        heading.addWidget(self.subtitle)
        header.addLayout(heading, 1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.pages_label)
        ll.addWidget(self.page_list)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.stack, 1)
        rl.addWidget(self.issues_label)
        rl.addWidget(self.issue_list)
        nav = QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        nav.addWidget(self.save_status, 1)
        nav.addWidget(self.complete_button)
        rl.addLayout(nav)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 780])
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        self.review = ReviewPanel(ctx)
        layout.addWidget(self.review)
        layout.addWidget(splitter, 1)

        self.autosave = Autosaver(ctx, self, self._save_job)
        self.back.clicked.connect(self._back)
        self.page_list.currentRowChanged.connect(self._page_chosen)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.complete_button.clicked.connect(self.complete)
        self.issue_list.itemActivated.connect(self._issue_chosen)
        self.issue_list.itemClicked.connect(self._issue_chosen)
        ctx.language.changed.connect(self.retranslate_ui)
        self._show_issues([])
        self.retranslate_ui()

    # -- loading -------------------------------------------------------------------------

    def load(self, response: dict[str, Any], instrument: Instrument, link_text: str = "") -> None:
        """Show ``response`` (a record) of ``instrument`` for answering."""
        self.autosave.flush()  # the answers given to the response shown until now
        self.clear()
        self.response_id = str(response["id"])
        self.status = str(response.get("status") or surveys.DRAFT)
        self.link_text = link_text
        self.state = FormState(instrument, response.get("data") or {},
                               self.ctx.language.current())
        self._saved_data = self._sent_data = self.state.to_dict()
        self.form = FormLayout(self.state, self._answered, self._add_instance,
                               self._remove_instance)
        self.form.build()
        for page in self.form.page_widgets:
            self.stack.addWidget(page)
            self.page_list.addItem(QListWidgetItem())
        self._refresh()
        self.retranslate_ui()
        self.show_page(0)
        self.review.load(self.response_id, self.status)

    def clear(self) -> None:
        """Forget the response (the workspace was locked, or another response opens)."""
        self.autosave.cancel()
        self.response_id = None
        self.state = None
        self.form = None
        self.show_required = False
        self._save_state = "idle"
        self._error = None
        self.review.clear()
        self.page_list.clear()
        while (page := self.stack.widget(0)) is not None:
            self.stack.removeWidget(page)
            page.deleteLater()
        self._show_issues([])
        self.retranslate_ui()

    # -- answering -----------------------------------------------------------------------

    def _answered(self, address: str, value: object) -> None:
        if self.state is None or self.form is None:
            return
        if isinstance(value, AttachRequest):
            chosen = self.ctx.interaction.open_file(self, _("Attach a file"), value.filters)
            if chosen is not None:
                self._attach(address, chosen)
            return
        widget = self.form.questions.get(address)
        try:
            self.state.set_answer(address, value)
            if widget is not None:
                widget.bad_input = False
        except AnswerError:
            # Text that is no value of this type yet ("-", "12a"): say so at the question and
            # keep no answer until it is one.
            if widget is not None:
                widget.bad_input = True
            if self.state.value(address) is not None:
                self.state.clear(address)
        self._changed()

    def _attach(self, address: str, source: Path) -> None:
        """A file chosen for an image/audio/video/file question: saved (encrypted, as an
        attachment of the response) on the worker, then given as the answer."""
        rid = self.response_id
        if rid is None:
            return
        self.save_now()

        def work(ws: Workspace) -> str:
            return surveys.attach_file(ws, rid, address, source)

        def done(answer: str) -> None:
            if rid == self.response_id and self.state is not None:
                self._answered(address, answer)
                self.save_now()

        self.ctx.tasks.run(work, done, self._failed)

    def _add_instance(self, address: str) -> None:
        if self.state is None or self.form is None:
            return
        self.state.add_instance(address)
        repeat = self.form.repeats[address]
        self.form.fill_repeat(repeat)
        self._changed()
        new = repeat.instances[-1]
        repeat.setFocus()
        scroll = self.form.page_widgets[self.form.page_of(repeat)]
        scroll.ensureWidgetVisible(new)

    def _remove_instance(self, address: str, position: int) -> None:
        if self.state is None or self.form is None:
            return
        repeat = self.form.repeats[address]
        label = self.state.text(repeat.node.labels) or repeat.node.name
        if not self.ctx.interaction.confirm(
                self, _("Remove {label} {n}").format(label=label, n=position),
                _("Remove {label} {n} and every answer in it?").format(label=label, n=position),
                ok=_("Remove"), destructive=True):
            return
        self.state.remove_instance(address, position)
        self.form.fill_repeat(repeat)
        self._changed()

    def _changed(self) -> None:
        self._refresh()
        data = self.state.to_dict() if self.state is not None else self._saved_data
        if data != self._saved_data:
            self._save_state = "editing"
        if data != self._saved_data or data != self._sent_data:
            self.autosave.changed()  # (also an answer taken back while its save was queued)
        self._update_status()

    def _refresh(self) -> None:
        if self.form is None or self.state is None:
            return
        self.form.refresh(self.show_required)
        for row in range(self.page_list.count()):
            item = self.page_list.item(row)
            hidden, title = not self.form.page_relevant(row), self.form.page_title(row)
            if item.isHidden() != hidden:
                item.setHidden(hidden)
            if item.text() != title:
                item.setText(title)
        if self.show_required:
            self._show_issues(self.state.validate_all())
        self._update_nav()

    # -- pages ---------------------------------------------------------------------------

    def show_page(self, row: int) -> None:
        if 0 <= row < self.page_list.count():
            self.page_list.setCurrentRow(row)

    def current_page(self) -> int:
        return self.stack.currentIndex()

    def step(self, direction: int) -> None:
        row = self.current_page() + direction
        while 0 <= row < self.page_list.count() and self.page_list.item(row).isHidden():
            row += direction
        self.show_page(row)

    def _page_chosen(self, row: int) -> None:
        if 0 <= row < self.stack.count():
            self.stack.setCurrentIndex(row)
        self._update_nav()

    def _update_nav(self) -> None:
        rows = [r for r in range(self.page_list.count()) if not self.page_list.item(r).isHidden()]
        current = self.current_page()
        self.prev_button.setEnabled(any(r < current for r in rows))
        self.next_button.setEnabled(any(r > current for r in rows))
        self.complete_button.setEnabled(self.state is not None)

    # -- issues --------------------------------------------------------------------------

    def _show_issues(self, issues: list[Issue]) -> None:
        self.issue_list.clear()
        for issue in issues:
            label = self._place(issue.address)
            item = QListWidgetItem(f"{label} — {issue.message}")
            item.setData(ADDRESS_ROLE, issue.address)
            item.setToolTip(issue.address)
            self.issue_list.addItem(item)
        self.issue_list.setVisible(bool(issues))
        self.issues_label.setVisible(bool(issues))
        self.issues_label.setText(ngettext(
            "{n} question needs attention before the response can be completed:",
            "{n} questions need attention before the response can be completed:",
            len(issues)).format(n=len(issues)))

    def _place(self, address: str) -> str:
        """A question's label, and for one inside a repeat which instance: "Amount (Project 2)"."""
        if self.state is None or self.form is None:
            return address
        try:
            label = self.state.label(address) or address
        except KeyError:
            return address
        head, sep, rest = address.rpartition("[")
        repeat = self.form.repeats.get(head)
        if sep and repeat is not None:
            name = self.state.text(repeat.node.labels) or repeat.node.name
            # TRANSLATORS: a question in one instance of a repeat, e.g. "Age (Member 2)"
            label = _("{question} ({repeat} {n})").format(question=label, repeat=name,
                                                         n=rest.split("]")[0])
        return label

    def _issue_chosen(self, item: QListWidgetItem) -> None:
        self.jump_to(str(item.data(ADDRESS_ROLE)))

    def jump_to(self, address: str) -> None:
        """Show the page of the question at ``address``, scroll to it and focus its editor."""
        if self.form is None:
            return
        widget = self.form.questions.get(address)
        if widget is None:
            return
        page = self.form.page_of(widget)
        self.show_page(page)
        scroll = self.form.page_widgets[page]
        scroll.ensureWidgetVisible(widget)
        widget.focus_widget().setFocus(Qt.FocusReason.OtherFocusReason)

    # -- saving and completing -----------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self.state is not None and self.state.to_dict() != self._saved_data

    def save_now(self) -> None:
        """Queue a draft save of the answers (if they changed) on the worker."""
        self.autosave.save_now()

    def _save_job(self) -> SaveJob | None:
        if self.state is None or self.response_id is None:
            return None
        rid, data = self.response_id, self.state.to_dict()
        if data == self._sent_data:
            return None
        self._sent_data = data

        def work(ws: Workspace) -> None:
            surveys.save_draft(ws, rid, data)

        self._save_state = "saving"
        self._update_status()
        return SaveJob(work, lambda _r: self._saved(rid, data),
                       lambda exc: self._failed(exc, rid))

    def _saved(self, rid: str, data: dict[str, Any]) -> None:
        if rid != self.response_id:
            return
        self._error = None
        self._saved_data = data
        if self.status == surveys.COMPLETE:
            self.status = surveys.DRAFT  # an edit after completing makes it a draft again
            self.review.load(rid, self.status)  # shows the corrections made since
            self.ctx.data.changed.emit("response")
        if self.dirty or self.autosave.in_flight:
            self._save_state = "editing"
        else:
            self._save_state = "saved"
        self._update_status()
        self.saved.emit(rid)

    def _failed(self, exc: BaseException, rid: str | None = None) -> None:
        if rid is not None and rid != self.response_id:
            self.ctx.interaction.error(self, exc)  # answers of a response no longer shown
            return
        self._sent_data = self._saved_data  # so the next save sends the answers again
        self._error = exc
        self._save_state = "error"
        self._update_status()
        if not isinstance(exc, StorageUnavailable):  # that one is retried by the autosaver
            self.ctx.interaction.error(self, exc)

    def complete(self) -> None:
        """Check the whole form; list what needs attention, or save it as complete."""
        if self.state is None or self.response_id is None:
            return
        self.show_required = True
        issues = self.state.validate_all()
        self._refresh()
        if issues:
            self.jump_to(issues[0].address)
            return
        self.autosave.cancel()
        rid, data = self.response_id, self.state.to_dict()
        self._sent_data = data
        snapshot = FormState(self.state.instrument, data, self.state.language,
                             program=self.state.program)

        def work(ws: Workspace) -> None:
            surveys.complete(ws, rid, snapshot)

        self._save_state = "saving"
        self._update_status()
        self.ctx.tasks.run(work, lambda _r: self._completed(rid, data), self._complete_failed)

    def _completed(self, rid: str, data: dict[str, Any]) -> None:
        if rid != self.response_id:
            return
        self._saved_data = data
        self.status = surveys.COMPLETE
        self._save_state = "completed"
        self.review.load(rid, self.status)
        self._update_status()
        self.ctx.data.changed.emit("response")
        self.completed.emit(rid)
        if self.dirty:
            self._save_state = "editing"
            self.autosave.changed()

    def _complete_failed(self, exc: BaseException) -> None:
        if isinstance(exc, surveys.ResponseIncomplete) and self.state is not None:
            self._sent_data = self._saved_data
            self._save_state = "idle"
            self._show_issues(self.state.validate_all())
            self._update_status()
            return
        self._failed(exc)

    def _back(self) -> None:
        self.save_now()
        self.back_requested.emit()

    # -- text ----------------------------------------------------------------------------

    def _update_status(self) -> None:
        self.save_status.setText({
            "idle": label("response_status", self.status),
            "editing": _("Editing…"),
            "saving": _("Saving…"),
            "saved": _("Draft saved"),
            "completed": label("response_status", surveys.COMPLETE),
            "error": (_("Not saved: {reason}").format(reason=error_text(self._error))
                      if self._error else ""),
        }[self._save_state])

    def retranslate_ui(self) -> None:
        if self.state is not None:
            self.state.language = self.ctx.language.current()
            inst = self.state.instrument
            self.title.setText(inst.title(self.state.form_language))
            parts = [_("Version {version}").format(version=inst.version or "-")]
            if self.link_text:
                parts.append(self.link_text)
            parts.append(_("Form language: {language}").format(
                language=self.state.form_language))
            self.subtitle.setText(" · ".join(parts))
        else:
            self.title.setText("")
            self.subtitle.setText("")
        self.back.setText(_("← Responses"))
        self.pages_label.setText(_("Pages"))
        self.page_list.setAccessibleName(_("Pages"))
        self.prev_button.setText(_("&Previous"))
        self.next_button.setText(_("&Next"))
        self.complete_button.setText(_("&Complete"))
        self.complete_button.setToolTip(_("Check every answer and mark the response complete"))
        self.issue_list.setAccessibleName(_("Questions that need attention"))
        if self.state is None or not self.show_required:
            self._show_issues([])  # hidden, but its text follows the language too
        self._refresh()
        self._update_status()
