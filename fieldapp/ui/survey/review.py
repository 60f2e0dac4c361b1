"""The review of a response, above the form: what the coordinator said (for the researcher who
has to fix it), and for a coordinator the verdict buttons — approved, has issues, rejected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from fieldapp.i18n import _
from fieldapp.services import surveys, team
from fieldapp.ui.context import AppContext

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

_STYLES = {
    surveys.APPROVED: "background: #e6f4ea; color: #1e4620",
    surveys.HAS_ISSUES: "background: #fff4e5; color: #663c00",
    surveys.REJECTED: "background: #fdecea; color: #611a15",
}


def state_text(state: str) -> str:
    return {surveys.APPROVED: _("Approved"), surveys.HAS_ISSUES: _("Has issues"),
            surveys.REJECTED: _("Rejected")}.get(state, state)


class ReviewPanel(QFrame):
    def __init__(self, ctx: AppContext, parent: QFrame | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("review_panel")
        self.response_id: str | None = None
        self.status = ""
        self.reviews: list[dict[str, Any]] = []
        self.corrections = 0
        self.can_review = False
        self.banner = QLabel()
        self.banner.setObjectName("review_banner")
        self.banner.setWordWrap(True)
        self.banner.setContentsMargins(8, 6, 8, 6)
        self.comment = QLineEdit()
        self.comment.setObjectName("review_comment")
        self.buttons = {state: QPushButton() for state in surveys.REVIEW_STATES}
        for state, button in self.buttons.items():
            button.setObjectName(f"review_{state}")
            button.clicked.connect(lambda _c=False, s=state: self.review(s))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.comment, 1)
        for button in self.buttons.values():
            row.addWidget(button)
        self.controls = QFrame()
        self.controls.setLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.controls)
        self.ctx.language.changed.connect(lambda *_args: self._show())
        self.clear()

    def clear(self) -> None:
        self.response_id = None
        self.reviews, self.corrections, self.can_review = [], 0, False
        self.comment.clear()
        self._show()

    def load(self, response_id: str, status: str) -> None:
        """Read the response's reviews on the worker, then show them."""
        self.response_id, self.status = response_id, status

        def work(ws: Workspace) -> tuple[list[dict[str, Any]], int, bool]:
            return (surveys.reviews_of(ws, response_id),
                    len(surveys.corrections_of(ws, response_id)),
                    team.role(ws) != team.ROLE_RESEARCHER)

        def done(result: tuple[list[dict[str, Any]], int, bool]) -> None:
            if response_id == self.response_id:
                self.reviews, self.corrections, self.can_review = result
                self._show()

        self.ctx.tasks.run(work, done, lambda exc: self.ctx.interaction.error(self, exc))

    def set_status(self, status: str) -> None:
        self.status = status
        self._show()

    def review(self, state: str) -> None:
        rid, comment = self.response_id, self.comment.text()
        if rid is None:
            return

        def work(ws: Workspace) -> str:
            return surveys.review_response(ws, rid, state, comment)

        def done(_review_id: str) -> None:
            self.comment.clear()
            self.ctx.data.changed.emit("response")
            self.load(rid, self.status)

        def failed(exc: BaseException) -> None:
            from fieldapp.store.errors import InvalidInput

            if isinstance(exc, InvalidInput):
                self.ctx.interaction.warn(self, _("The review was not saved"), exc.message)
            else:
                self.ctx.interaction.error(self, exc)

        self.ctx.tasks.run(work, done, failed)

    def _show(self) -> None:
        latest = self.reviews[-1] if self.reviews else None
        if latest is not None:
            text = _("{state} by {who} on {at}").format(
                state=state_text(str(latest["state"])), who=latest["reviewer"],
                at=str(latest["at"]).replace("T", " ")[:16])
            if latest["comment"]:
                text += _(": {comment}").format(comment=latest["comment"])
            if self.corrections:
                text += "\n" + _("Answers changed since completion: {n}").format(
                    n=self.corrections)
            self.banner.setText(text)
            self.banner.setStyleSheet(_STYLES.get(str(latest["state"]), ""))
        self.banner.setVisible(latest is not None)
        self.controls.setVisible(self.can_review and self.status == surveys.COMPLETE)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.comment.setPlaceholderText(_("Comment for the researcher: what to fix"))
        for state, button in self.buttons.items():
            button.setText({surveys.APPROVED: _("Approve"), surveys.HAS_ISSUES: _("Has issues"),
                            surveys.REJECTED: _("Reject")}[state])
