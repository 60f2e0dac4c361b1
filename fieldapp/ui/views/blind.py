"""Blind coding: a coordinator assigns notes to two coders, releases them, sees agreement per
assignment and adjudicates disagreements; a coder sees what is assigned and that the other
coder's work is hidden until the release. Everything runs on the database worker through
:mod:`fieldapp.services.blind`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import N_, _, format_number, ngettext
from fieldapp.services import analysis, blind, records
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.export.widgets import refill
from fieldapp.ui.interaction import error_text
from fieldapp.ui.labels import label
from fieldapp.ui.language import refresh_message, set_message
from fieldapp.ui.models.analysis import agreement_model, agreement_rows
from fieldapp.ui.models.records import RecordColumn, RecordTableModel

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

ALL_NOTES = "*"


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _state(r: dict[str, Any]) -> str:
    return _("Released") if r["released"] else _("Blind")


ASSIGNMENT_COLUMNS = (
    RecordColumn("interview", N_("Interview"), lambda r: r["interview_code"] or "—"),
    RecordColumn("note", N_("Note"),
                 lambda r: label("note_kind", r["note_kind"]) if r["note_here"]
                 else _("not on this device")),
    RecordColumn("first", N_("First coder"), lambda r: r["coder_a"]["name"]
                 or r["coder_a"]["device"][-8:]),
    RecordColumn("second", N_("Second coder"), lambda r: r["coder_b"]["name"]
                 or r["coder_b"]["device"][-8:]),
    RecordColumn("state", N_("State"), _state),
    RecordColumn("kappa", N_("κ (characters)"),
                 lambda r: _figure((r["agreement"] or {}).get("kappa"))),
    RecordColumn("alpha", N_("α (characters)"),
                 lambda r: _figure((r["agreement"] or {}).get("alpha"))),
)

DECISION_LABELS = {"a": N_("First coder's"), "b": N_("Second coder's"), "both": N_("Both"),
                   "neither": N_("Neither")}

def _decision(value: str | None) -> str:
    text = DECISION_LABELS.get(value or "")
    return _(text) if text else "—"


DISAGREEMENT_COLUMNS = (
    RecordColumn("code", N_("Code"), lambda r: r["code"]),
    RecordColumn("first", N_("First coder"), lambda r: r["a_text"] or _("(not coded)")),
    RecordColumn("second", N_("Second coder"), lambda r: r["b_text"] or _("(not coded)")),
    RecordColumn("decision", N_("Decision"), lambda r: _decision(r.get("decision"))),
)


def _table(model: Any, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setWordWrap(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _snippet(body: str, spans: tuple[tuple[int, int], ...]) -> str:
    return " … ".join(" ".join(body[s:e].split()) for s, e in spans)


class BlindCodingView(QWidget):
    #: interview id, note kind, start, end — open an assigned note to code it
    open_requested = Signal(str, str, int, int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("blind_view")
        self.coordinator = False
        self.notes_of: dict[str, list[tuple[str, str]]] = {}
        self._wanted_interview: str | None = None
        self._can_decide = False

        self.banner = QLabel()
        self.banner.setObjectName("blind_banner")
        self.banner.setWordWrap(True)

        # -- assigning (coordinators)
        self.interview = QComboBox()
        self.interview.setObjectName("blind_interview")
        self.note = QComboBox()
        self.note.setObjectName("blind_note")
        self.coder_a = QComboBox()
        self.coder_a.setObjectName("blind_coder_a")
        self.coder_b = QComboBox()
        self.coder_b.setObjectName("blind_coder_b")
        self.assign_button = QPushButton()
        self.assign_button.setObjectName("blind_assign")
        self.labels = {k: QLabel() for k in ("interview", "note", "first", "second")}
        self.assign_box = QWidget()
        grid = QGridLayout(self.assign_box)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, (key, widget) in enumerate((("interview", self.interview),
                                             ("note", self.note),
                                             ("first", self.coder_a),
                                             ("second", self.coder_b))):
            self.labels[key].setBuddy(widget)
            grid.addWidget(self.labels[key], 0, col)
            grid.addWidget(widget, 1, col)
            grid.setColumnStretch(col, 1)
        grid.addWidget(self.assign_button, 1, 4)
        self.interview.currentIndexChanged.connect(lambda _i: self._fill_notes())
        self.assign_button.clicked.connect(self.assign)

        # -- assignments
        self.assignments = RecordTableModel(ASSIGNMENT_COLUMNS, self)
        self.assignment_table = _table(self.assignments, "blind_assignments")
        self.assignment_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.assignment_table.selectionModel().currentRowChanged.connect(
            lambda _c, _p: self.load_details())
        self.assignment_table.doubleClicked.connect(self._open_note)
        self.release_button = QPushButton()
        self.release_button.setObjectName("blind_release")
        self.release_all_button = QPushButton()
        self.release_all_button.setObjectName("blind_release_all")
        self.status = QLabel()
        self.status.setObjectName("blind_status")
        self.status.setWordWrap(True)
        self.release_button.clicked.connect(lambda: self.release(all_notes=False))
        self.release_all_button.clicked.connect(lambda: self.release(all_notes=True))
        buttons = QHBoxLayout()
        buttons.addWidget(self.release_button)
        buttons.addWidget(self.release_all_button)
        buttons.addWidget(self.status, 1)

        # -- agreement and adjudication of the chosen assignment
        self.agreement_title = QLabel()
        self.agreement = agreement_model(self)
        self.agreement_table = _table(self.agreement, "blind_agreement")
        self.agreement_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.agreement_title.setWordWrap(True)
        self.adjudication_title = QLabel()
        self.disagreements = RecordTableModel(DISAGREEMENT_COLUMNS, self)
        self.disagreement_table = _table(self.disagreements, "blind_disagreements")
        header = self.disagreement_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.decision_buttons: dict[str, QPushButton] = {}
        decide = QHBoxLayout()
        for decision in blind.DECISIONS:
            button = QPushButton()
            button.setObjectName(f"blind_keep_{decision}")
            button.clicked.connect(lambda _c=False, d=decision: self.adjudicate(d))
            self.decision_buttons[decision] = button
            decide.addWidget(button)
        decide.addStretch(1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.agreement_title)
        ll.addWidget(self.agreement_table, 1)
        self.adjudication_box = QWidget()
        rl = QVBoxLayout(self.adjudication_box)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.adjudication_title)
        rl.addWidget(self.disagreement_table, 1)
        rl.addLayout(decide)
        self.split = lower = QSplitter()
        lower.addWidget(left)
        lower.addWidget(self.adjudication_box)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        layout.addWidget(self.banner)
        layout.addWidget(self.assign_box)
        layout.addWidget(self.assignment_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(lower, 2)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.cleared.connect(self.clear)
        self.retranslate_ui()
        self._set_role(False, 0)

    # -- language --------------------------------------------------------------------------

    def retranslate_ui(self) -> None:
        self.labels["interview"].setText(_("&Interview:"))
        self.labels["note"].setText(_("N&ote:"))
        self.labels["first"].setText(_("&First coder:"))
        self.labels["second"].setText(_("&Second coder:"))
        self.assign_button.setText(_("&Assign"))
        self.release_button.setText(_("&Release"))
        self.release_all_button.setText(_("Release a&ll"))
        for decision, button in self.decision_buttons.items():
            button.setText({"a": _("Keep &first coder's"), "b": _("Keep s&econd coder's"),
                            "both": _("Keep &both"), "neither": _("Keep &neither")}[decision])
        all_label = _("every note of the interview")
        if self.note.count() and self.note.itemData(0) == ALL_NOTES:
            self.note.setItemText(0, all_label)
        for model in (self.assignments, self.agreement, self.disagreements):
            model.retranslate()
        for widget in (self.banner, self.status, self.agreement_title,
                       self.adjudication_title):
            refresh_message(widget)

    def clear(self) -> None:
        for model in (self.assignments, self.agreement, self.disagreements):
            model.clear()
        for combo in (self.interview, self.note, self.coder_a, self.coder_b):
            combo.clear()
        set_message(self.status, "")

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        def work(ws: Workspace) -> dict[str, Any]:
            coordinator = blind.is_coordinator(ws)
            out: dict[str, Any] = {"coordinator": coordinator, "rows": blind.overview(ws),
                                   "blind": len(blind.blind_notes(ws)), "coders": [],
                                   "interviews": [], "notes": {}}
            if coordinator:
                out["coders"] = blind.eligible_coders(ws)
                taken = {a.note_id for a in blind.assignments(ws)}
                for i in records.list_records(ws, "interview"):
                    notes = [(n["id"], n["kind"] or "") for n in records.notes_of(ws, i["id"])
                             if n["id"] not in taken]
                    if notes:
                        out["interviews"].append((i["id"], i["code"] or i["id"][-8:]))
                        out["notes"][i["id"]] = notes
            return out

        self.ctx.tasks.run(work, self._loaded, self._failed)

    def _loaded(self, data: dict[str, Any]) -> None:
        current = self._current_id()
        self.notes_of = data["notes"]
        self.assignments.set_rows(data["rows"])
        coders = [(d, n or d[-8:]) for d, n in data["coders"]]
        refill(self.coder_a, coders)
        refill(self.coder_b, coders)
        refill(self.interview, list(data["interviews"]))
        wanted = self.interview.findData(self._wanted_interview)
        if wanted >= 0:
            self.interview.setCurrentIndex(wanted)
        elif self._wanted_interview and data["coordinator"]:
            set_message(self.status, lambda: _(
                "Every note of this interview is already assigned (or it has none)."))
        elif self._wanted_interview:
            set_message(self.status, lambda: _(
                "Only a coordinator assigns notes for blind coding."))
        self._wanted_interview = None
        self._fill_notes()
        if self.coder_b.currentIndex() == self.coder_a.currentIndex() and len(coders) > 1:
            self.coder_b.setCurrentIndex(1)
        self._set_role(data["coordinator"], data["blind"])
        row = self.assignments.row_of(current) if current else -1
        if row < 0 and self.assignments.rowCount():
            row = 0
        if row >= 0:
            self.assignment_table.selectRow(row)
        self.load_details()

    def preselect(self, interview_id: str) -> None:
        """Show the assigning row with this interview chosen (from the interview list)."""
        self._wanted_interview = interview_id
        self.refresh()

    def _fill_notes(self) -> None:
        notes = self.notes_of.get(str(self.interview.currentData() or ""), [])
        items = [(ALL_NOTES, _("every note of the interview"))] if len(notes) > 1 else []
        items += [(nid, label("note_kind", kind)) for nid, kind in notes]
        refill(self.note, items)
        self.assign_button.setEnabled(bool(items) and self.coder_a.count() > 1)

    def _set_role(self, coordinator: bool, blind_notes: int) -> None:
        self.coordinator = coordinator
        for widget in (self.assign_box, self.release_button, self.release_all_button):
            widget.setVisible(coordinator)
        for button in self.decision_buttons.values():
            button.setVisible(coordinator)
        was_shown = self.adjudication_box.isVisibleTo(self)
        self.adjudication_box.setVisible(coordinator)
        if coordinator and not was_shown:
            # A splitter gives a pane shown again the width it had hidden (none): share it.
            half = max(self.split.width() // 2, 200)
            self.split.setSizes([half, half])
        if coordinator:
            set_message(self.banner, lambda: _(
                "Assign a note to two researchers: each one's codings on it stay off the other's "
                "device until you release it. Publish the team bundle after assigning or "
                "releasing."))
        elif blind_notes:
            set_message(self.banner, lambda: ngettext(
                "Blind coding: the other coder's work is hidden until release ({n} note).",
                "Blind coding: the other coder's work is hidden until release ({n} notes).",
                blind_notes).format(n=format_number(blind_notes)), "#8a5a00")
        else:
            set_message(self.banner, lambda: _(
                "No note is assigned to you for blind coding. Your coordinator assigns notes "
                "and releases them; assignments arrive with the team bundle."))

    def _open_note(self, index: Any) -> None:
        row = self.assignments.record(index.row())
        if row["note_here"] and row["interview_id"]:
            self.open_requested.emit(row["interview_id"], row["note_kind"], 0, 0)

    def _current_id(self) -> str | None:
        index = self.assignment_table.currentIndex()
        if not index.isValid():
            return None
        return str(self.assignments.record(index.row())["id"])

    def load_details(self) -> None:
        aid = self._current_id()
        if aid is None:
            self.agreement.clear()
            self.disagreements.clear()
            return
        row = self.assignments.record(self.assignments.row_of(aid))
        self.release_button.setEnabled(not row["released"])
        self._can_decide = bool(row["released"])
        if row["released"]:
            set_message(self.adjudication_title,
                        lambda: _("Disagreements: passages where the coders differ"))
        else:
            set_message(self.adjudication_title, lambda: _(
                "Disagreements: passages where the coders differ. Release the note to "
                "adjudicate them."))
        if self.coordinator or row["released"]:
            set_message(self.agreement_title, lambda: _("Agreement of the two coders on this "
                                                        "note"))
        else:
            set_message(self.agreement_title, lambda: _(
                "Agreement is shown here once the coordinator releases the note and the "
                "other coder's work arrives."))

        def work(ws: Workspace) -> dict[str, Any]:
            corpus = analysis.load(ws)
            names = {c: corpus.code_path(c) for c in corpus.codes}
            out: dict[str, Any] = {"agreement": [], "disagreements": []}
            if not set(blind.blind_notes(ws)) & {row["note_id"]} and row["agreement"]:
                result = blind.agreement_of(ws, aid)
                per_code: dict[str, dict[str, Any]] = {}
                for r in result.per_code:
                    per_code.setdefault(r.code_id, {})[r.unit] = r.table
                overall = {u: result.overall(u) for u in ("character", "segment")}
                out["agreement"] = agreement_rows(per_code, names, overall)
            if blind.is_coordinator(ws) and row["note_here"]:
                body = records.get(ws, "note", row["note_id"])["body"] or ""
                out["disagreements"] = [
                    {"id": d.key, "code": names.get(d.code_id, d.code_id),
                     "a_text": _snippet(body, d.a_spans), "b_text": _snippet(body, d.b_spans),
                     "decision": d.decision} for d in blind.disagreements(ws, aid)]
            return out

        self.ctx.tasks.run(work, self._details, self._failed)

    def _details(self, data: dict[str, Any]) -> None:
        self.agreement.set_rows(data["agreement"])
        current = self.disagreement_table.currentIndex()
        self.disagreements.set_rows(data["disagreements"])
        self.disagreement_table.resizeRowsToContents()  # whole passages, wrapped
        if self.disagreements.rowCount():
            self.disagreement_table.selectRow(min(max(current.row(), 0),
                                                  self.disagreements.rowCount() - 1))
        for button in self.decision_buttons.values():
            button.setEnabled(self._can_decide and bool(self.disagreements.rowCount()))

    def _failed(self, exc: BaseException) -> None:
        set_message(self.status, lambda: error_text(exc), "#b00020")

    # -- actions ---------------------------------------------------------------------------

    def assign(self) -> None:
        interview, note = self.interview.currentData(), self.note.currentData()
        first, second = self.coder_a.currentData(), self.coder_b.currentData()
        if not interview or not note:
            return

        def work(ws: Workspace) -> int:
            if note == ALL_NOTES:
                return len(blind.assign_interview(ws, interview, first, second))
            blind.assign(ws, note, first, second)
            return 1

        self.ctx.tasks.run(work, self._assigned, self._failed)

    def _assigned(self, n: int) -> None:
        set_message(self.status, lambda: ngettext(
            "Assigned {n} note. Publish the team bundle so the coders receive it.",
            "Assigned {n} notes. Publish the team bundle so the coders receive them.",
            n).format(n=format_number(n)))
        self.refresh()

    def release(self, *, all_notes: bool) -> None:
        aid = self._current_id()
        if not all_notes and aid is None:
            return
        note = None if all_notes else self.assignments.record(
            self.assignments.row_of(aid or ""))["note_id"]

        def work(ws: Workspace) -> int:
            return blind.release(ws, note)

        self.ctx.tasks.run(work, self._released, self._failed)

    def _released(self, n: int) -> None:
        set_message(self.status, lambda: ngettext(
            "Released {n} note: publish the team bundle and each coder receives the other's "
            "codings.",
            "Released {n} notes: publish the team bundle and each coder receives the other's "
            "codings.", n).format(n=format_number(n)))
        self.refresh()

    def adjudicate(self, decision: str) -> None:
        aid = self._current_id()
        index = self.disagreement_table.currentIndex()
        if aid is None or not index.isValid():
            return
        key = str(self.disagreements.record(index.row())["id"])

        def work(ws: Workspace) -> blind.Disagreement:
            return blind.adjudicate(ws, aid, key, decision)

        self.ctx.tasks.run(work, self._adjudicated, self._failed)

    def _adjudicated(self, _d: blind.Disagreement) -> None:
        set_message(self.status, lambda: _(
            "Decision recorded; the kept passages are coded by you and reach the two coders "
            "at the next publish."))
        self.ctx.data.changed.emit("coding")
        self.load_details()
