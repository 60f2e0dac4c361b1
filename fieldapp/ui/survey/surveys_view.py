"""The Surveys tab: instruments and their versions, responses with filters, and the runner.

Everything is read and written through ``services.surveys`` on the database worker; this view
only shows what comes back. Opening a response (double-click, "Open", or right after "New
response…") switches the tab to the :class:`~fieldapp.ui.survey.runner.FormRunner`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, format_number, ngettext, pick
from fieldapp.services import records, surveys
from fieldapp.survey import Instrument, XLSFormError
from fieldapp.ui import style
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import alive, close_dialog, show_dialog
from fieldapp.ui.empty_state import EmptyState
from fieldapp.ui.labels import choices, label
from fieldapp.ui.survey.new_response import NewResponseDialog
from fieldapp.ui.survey.responses_model import (
    ID_ROLE,
    INSTRUMENT_COLUMNS,
    RESPONSE_COLUMNS,
    ResponseFilter,
    RowsModel,
    overview,
)
from fieldapp.ui.survey.runner import FormRunner

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


def _table(name: str, model: Any) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


class SurveysView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("surveys_view")
        self.dialog: NewResponseDialog | None = None
        self.data: dict[str, list[dict[str, Any]]] = {}
        self.instruments = RowsModel(INSTRUMENT_COLUMNS, self)
        self.responses = RowsModel(RESPONSE_COLUMNS, self)
        self.proxy = ResponseFilter(self)
        self.proxy.setSourceModel(self.responses)
        self.instrument_table = _table("instrument_table", self.instruments)
        self.response_table = _table("response_table", self.proxy)
        self.response_table.setSortingEnabled(True)
        self.import_button = QPushButton()
        self.import_button.setObjectName("import_instrument")
        self.new_button = QPushButton()
        self.new_button.setObjectName("new_response")
        self.open_button = QPushButton()
        self.open_button.setObjectName("open_response")
        self.count = QLabel()
        self.filters: dict[str, QComboBox] = {}
        self.filter_labels: dict[str, QLabel] = {}
        filter_row = QHBoxLayout()
        for field in ResponseFilter.FIELDS:
            combo = QComboBox()
            combo.setObjectName(f"filter_{field}")
            combo.setMinimumContentsLength(10)
            combo.currentIndexChanged.connect(partial(self._filter_changed, field))
            label = QLabel()
            label.setBuddy(combo)
            self.filters[field], self.filter_labels[field] = combo, label
            filter_row.addWidget(label)
            filter_row.addWidget(combo, 1)

        self.instrument_box = QGroupBox()
        il = QVBoxLayout(self.instrument_box)
        il.addWidget(self.instrument_table, 1)
        il.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.response_box = QGroupBox()
        rl = QVBoxLayout(self.response_box)
        rl.addLayout(filter_row)
        rl.addWidget(self.response_table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.new_button)
        rl.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.instrument_box)
        splitter.addWidget(self.response_box)
        splitter.setSizes([200, 500])
        self.list_page = QWidget()
        lp = QVBoxLayout(self.list_page)
        lp.setContentsMargins(style.MARGIN, style.MARGIN, style.MARGIN, style.MARGIN)
        lp.addWidget(splitter)
        self.runner = FormRunner(ctx)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list_page)
        self.stack.addWidget(self.runner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.import_button.clicked.connect(self.import_instrument)
        self.new_button.clicked.connect(self.new_response)
        self.open_button.clicked.connect(self._open_selected)
        self.response_table.doubleClicked.connect(self._open_index)
        self.instrument_table.selectionModel().currentRowChanged.connect(
            self._instrument_selected)
        self.runner.back_requested.connect(self.show_list)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.changed.connect(self._data_changed)
        ctx.data.cleared.connect(self.clear)
        self.import_button.setIcon(style.icon("import"))
        self.new_button.setIcon(style.icon("add"))
        style.fit_header(self.instrument_table)
        style.fit_header(self.response_table)
        self.instruments_empty = EmptyState(
            ctx, self.instrument_table, "instruments", icon="import",
            message=lambda: _("No questionnaires yet. Import one written as an XLSForm, as "
                              "for ODK or KoboToolbox."),
            action=lambda: _("Import instrument…"), on_action=self.import_instrument)
        have_form = self.instruments.rowCount
        self.responses_empty = EmptyState(
            ctx, self.response_table, "responses",
            icon=lambda: "add" if have_form() else "import",
            message=lambda: _("No responses yet. Start one with “New response…”.")
            if have_form() else _("Responses are listed here once a questionnaire has been "
                                  "imported."),
            action=lambda: _("New response…") if have_form() else _("Import instrument…"),
            on_action=lambda: self.new_response() if have_form() else self.import_instrument(),
            filtered=lambda: self.responses.rowCount() > 0,
            filtered_message=lambda: _("No response matches these filters."),
            filtered_action=lambda: _("Show all"), on_filtered_action=self.show_all_responses)
        self.retranslate_ui()

    # -- loading -------------------------------------------------------------------------

    def _data_changed(self, entity: str) -> None:
        if entity in ("*", "instrument", "response", "participant", "organisation"):
            self.reload()

    def reload(self) -> None:
        self.ctx.tasks.run(overview, self._loaded)

    def _loaded(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.data = data
        self.instruments.set_rows(data["instruments"])
        self.responses.set_rows(data["responses"])
        self._fill_filters()
        self._update_count()

    def clear(self) -> None:
        """The workspace was locked: show nothing."""
        close_dialog(self.dialog)
        self.dialog = None
        self.runner.clear()
        self.stack.setCurrentWidget(self.list_page)
        self.data = {}
        self.instruments.clear()
        self.responses.clear()
        self._fill_filters()
        self._update_count()

    def flush(self) -> None:
        """Queue the runner's unsaved answers now (the session's editor registry does this
        for every editor before the workspace locks or the app exits)."""
        self.runner.autosave.flush()

    # -- filters -------------------------------------------------------------------------

    def _fill_filters(self) -> None:
        rows = self.data.get("responses", [])
        options: dict[str, list[tuple[str, str]]] = {
            "instrument_id": [(i["id"], "{} ({})".format(
                pick(i["title_zh"], i["title_en"]) or i["form_id"], i["version"] or "-"))
                for i in self.data.get("instruments", [])],
            "site": [(s, label("site", s)) for s in sorted({r["site"] for r in rows if r["site"]})],
            "status": choices("response_status"),
            "researcher": [(s, s) for s in sorted({r["researcher"] for r in rows
                                                   if r["researcher"]})],
        }
        for field, combo in self.filters.items():
            current = combo.currentData() or self.proxy.filters[field]
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(_("All"), "")
            for value, text in options[field]:
                combo.addItem(text, value)
            row = combo.findData(current) if current else 0
            combo.setCurrentIndex(max(row, 0))
            combo.blockSignals(False)
            self.proxy.set_filter(field, combo.currentData() or "")
        self._update_count()

    def _filter_changed(self, field: str, *_index: object) -> None:
        self.proxy.set_filter(field, self.filters[field].currentData() or "")
        self._update_count()

    def set_filter(self, field: str, value: str) -> None:
        combo = self.filters[field]
        combo.setCurrentIndex(max(combo.findData(value), 0))

    def show_all_responses(self) -> None:
        for field in self.filters:
            self.set_filter(field, "")

    def _instrument_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.set_filter("instrument_id", str(current.data(ID_ROLE)))

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.responses.rowCount()
        self.count.setText(ngettext("{shown} of {n} response", "{shown} of {n} responses",
                                    total).format(shown=format_number(shown),
                                                  n=format_number(total)))

    # -- actions -------------------------------------------------------------------------

    def import_instrument(self) -> None:
        path = self.ctx.interaction.open_file(self, _("Import an instrument (XLSForm)"),
                                              _("XLSForm workbooks (*.xlsx *.xls)"))
        if path is None:
            return

        def work(ws: Workspace) -> Instrument:
            return surveys.instrument(ws, surveys.import_instrument(ws, Path(path)))

        self.ctx.tasks.run(work, self._imported, self._import_failed,
                           label=_("Importing the instrument…"))

    def _imported(self, inst: Instrument) -> None:
        lang = inst.resolve_language(self.ctx.language.current())
        text = _("Imported {title}, version {version}.").format(
            title=inst.title(lang), version=inst.version or "-")
        if inst.notices:
            text += "\n\n" + "\n".join(inst.notices)
        self.ctx.interaction.info(self, _("Instrument imported"), text)
        self.ctx.data.changed.emit("instrument")

    def _import_failed(self, exc: BaseException) -> None:
        if isinstance(exc, XLSFormError):
            self.ctx.interaction.warn(self, _("The form cannot be used"), str(exc))
        else:
            self.ctx.interaction.error(self, exc)

    def new_response(self) -> None:
        sites = sorted({r["site"] for r in self.data.get("responses", []) if r["site"]}
                       | {p.get("site") or "" for p in self.data.get("participants", [])}
                       - {""})
        self.dialog = NewResponseDialog(
            self.data.get("instruments", []), self.data.get("organisations", []),
            self.data.get("participants", []), sites,
            self.proxy.filters["instrument_id"] or None, self)
        self.dialog.chosen.connect(self._create)
        show_dialog(self.dialog)

    def _create(self, instrument_id: str, links: dict[str, Any]) -> None:
        def work(ws: Workspace) -> str:
            return surveys.new_response(ws, instrument_id, **links)

        self.ctx.tasks.run(work, self._created)

    def _created(self, response_id: str) -> None:
        self.ctx.data.changed.emit("response")
        self.open_response(response_id)

    def _open_selected(self) -> None:
        rows = self.response_table.selectionModel().selectedRows()
        if rows:
            self._open_index(rows[0])

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_response(str(index.data(ID_ROLE)))

    def open_response(self, response_id: str) -> None:
        """Load a response and its instrument (on the worker), then show the runner."""

        def work(ws: Workspace) -> tuple[dict[str, Any], Instrument, str]:
            response = records.get(ws, "response", response_id)
            parts = []
            if response.get("participant_id"):
                person = records.find(ws, "participant", response["participant_id"])
                parts.append(person["code"] if person else "")
            if response.get("organisation_id"):
                org = records.find(ws, "organisation", response["organisation_id"])
                if org:
                    parts.append(pick(org.get("name_zh"), org.get("name_en")))
            if response.get("site"):
                parts.append(response["site"])
            return response, surveys.instrument(ws, response["instrument_id"]), \
                " · ".join(p for p in parts if p)

        self.ctx.tasks.run(work, self._opened)

    def _opened(self, result: tuple[dict[str, Any], Instrument, str]) -> None:
        response, inst, link = result
        self.runner.load(response, inst, link)
        self.stack.setCurrentWidget(self.runner)

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_page)
        self.reload()

    # -- text ----------------------------------------------------------------------------

    def retranslate_ui(self) -> None:
        self.instrument_box.setTitle(_("Instruments"))
        self.response_box.setTitle(_("Responses"))
        self.instrument_table.setAccessibleName(_("Instruments"))
        self.response_table.setAccessibleName(_("Responses"))
        self.import_button.setText(_("&Import instrument…"))
        self.import_button.setToolTip(_("Add a survey from an XLSForm workbook (ODK, "
                                        "KoboToolbox, SurveyCTO)"))
        self.new_button.setText(_("&New response…"))
        self.open_button.setText(_("&Open response"))
        for field, text in (("instrument_id", _("Instrument:")), ("site", _("Site:")),
                            ("status", _("Status:")), ("researcher", _("Researcher:"))):
            self.filter_labels[field].setText(text)
        self.instruments.retranslate()
        self.responses.retranslate()
        self._fill_filters()
        if alive(self.dialog) and self.dialog is not None:
            self.dialog.retranslate_ui()
