"""Export for analysis: choose format, file, labels and filters, run it off the UI thread with
progress and Cancel, and read what was written.

The export is submitted without a progress label, so the window's ProgressWatcher stays out
of it: this dialog shows its own bar (determinate, with Cancel), after the same delay.
"""

from __future__ import annotations

import logging
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, current_language
from fieldapp.services.export import ExportCancelled, ExportOptions, ExportSummary
from fieldapp.store.errors import FieldappError
from fieldapp.ui.context import AppContext
from fieldapp.ui.export.choices import FilterChoices, load_choices
from fieldapp.ui.export.filters import FiltersBox
from fieldapp.ui.export.run import ExportRun
from fieldapp.ui.export.target import FOLDER_FILES, default_name, replaceable, with_format
from fieldapp.ui.export.widgets import combo_box, refill
from fieldapp.ui.interaction import error_text
from fieldapp.ui.progress import DELAY_MS

log = logging.getLogger(__name__)
WARNING_STYLE = "color: #a04000"


class ExportDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("export_dialog")
        self.run: ExportRun | None = None
        self.summary: ExportSummary | None = None
        self._close_when_stopped = False

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.format = combo_box("export_format")
        self.target = QLineEdit()
        self.target.setObjectName("export_target")
        self.target.setMinimumWidth(self.fontMetrics().averageCharWidth() * 28)
        self.choose = QPushButton()
        self.choose.setObjectName("choose_target")
        self.language = combo_box("export_language")
        self.language.addItem("中文", "zh_CN")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(0 if current_language() == "zh_CN" else 1)
        self.values_as = combo_box("export_values")
        self.headers_as = combo_box("export_headers")
        self.bom = QCheckBox()
        self.bom.setObjectName("export_bom")
        self.bom.setChecked(True)
        self.bom_hint = QLabel()
        self.bom_hint.setWordWrap(True)
        self.identifiers = QCheckBox()
        self.identifiers.setObjectName("include_identifiers")
        self.identifiers_warning = QLabel()
        self.identifiers_warning.setObjectName("identifiers_warning")
        self.identifiers_warning.setWordWrap(True)
        self.identifiers_warning.setStyleSheet(WARNING_STYLE)
        self.pseudonymise = QCheckBox()
        self.pseudonymise.setObjectName("export_pseudonymise")
        self.pseudonymise_hint = QLabel()
        self.pseudonymise_hint.setWordWrap(True)
        self.filters = FiltersBox()
        self.labels = {k: QLabel() for k in ("format", "target", "language", "values", "headers")}

        where = QHBoxLayout()
        where.addWidget(self.target, 1)
        where.addWidget(self.choose)
        self.output_box = QGroupBox()
        form = QFormLayout(self.output_box)
        for key, field in (("format", self.format), ("target", where),
                           ("language", self.language), ("values", self.values_as),
                           ("headers", self.headers_as)):
            form.addRow(self.labels[key], field)
        self.labels["target"].setBuddy(self.target)
        for key, widget in (("format", self.format), ("language", self.language),
                            ("values", self.values_as), ("headers", self.headers_as)):
            self.labels[key].setBuddy(widget)
        form.addRow(self.bom)
        form.addRow(self.bom_hint)
        self.privacy_box = QGroupBox()
        privacy = QVBoxLayout(self.privacy_box)
        privacy.addWidget(self.pseudonymise)
        privacy.addWidget(self.pseudonymise_hint)
        privacy.addWidget(self.identifiers)
        privacy.addWidget(self.identifiers_warning)
        left = QVBoxLayout()
        left.addWidget(self.output_box)
        left.addWidget(self.privacy_box)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 5)
        columns.addWidget(self.filters, 6)
        self.form_page = QWidget()
        self.form_page.setObjectName("export_form")
        page = QVBoxLayout(self.form_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(self.intro)
        page.addLayout(columns)

        self.result_title = QLabel()
        self.result_title.setObjectName("result_title")
        self.summary_text = QPlainTextEdit()
        self.summary_text.setObjectName("export_summary")
        self.summary_text.setReadOnly(True)
        self.result_page = QWidget()
        result = QVBoxLayout(self.result_page)
        result.setContentsMargins(0, 0, 0, 0)
        result.addWidget(self.result_title)
        result.addWidget(self.summary_text, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.form_page)
        self.pages.addWidget(self.result_page)

        self.status = QLabel()
        self.status.setObjectName("export_status")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setObjectName("export_progress")
        self.bar.hide()
        self.bar_timer = QTimer(self)
        self.bar_timer.setSingleShot(True)
        self.bar_timer.setInterval(DELAY_MS)
        self.bar_timer.timeout.connect(self._show_progress)
        # Both buttons are ours: Qt names its standard Cancel again on a language change,
        # which would undo "Stop the export" and "Close".
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("start_export")
        self.export_button.setDefault(True)
        self.cancel_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setObjectName("cancel_export")
        self.cancel_button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.buttons)

        chain: list[QWidget] = [self.format, self.target, self.choose, self.language, self.values_as,
                 self.headers_as, self.bom, self.pseudonymise, self.identifiers,
                 *self.filters.order(),
                 self.summary_text, self.export_button, self.cancel_button]
        for a, b in pairwise(chain):
            QWidget.setTabOrder(a, b)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.choose.clicked.connect(self.choose_target)
        self.identifiers.toggled.connect(self._identifiers_toggled)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        ctx.language.changed.connect(self.retranslate_ui)
        ctx.data.cleared.connect(self._workspace_locked)
        self.retranslate_ui()
        self._format_changed()
        ctx.tasks.run(load_choices, self._choices_loaded, self._choices_failed)

    # -- text ----------------------------------------------------------------------------

    def retranslate_ui(self) -> None:
        self.setWindowTitle(_("Export for analysis"))
        self.intro.setText(_("Writes the data for analysis in Excel or WPS, SPSS, Stata or R. "
                             "Withdrawn participants are left out, and so is text without "
                             "consent to quote it."))
        self.output_box.setTitle(_("File"))
        self.privacy_box.setTitle(_("Privacy"))
        for key, text in (("format", _("Format")), ("target", _("Save to")),
                          ("language", _("Language of labels")), ("values", _("Answers as")),
                          ("headers", _("Column headers as"))):
            self.labels[key].setText(text)
            buddy = self.labels[key].buddy()
            if buddy is not None:
                buddy.setAccessibleName(text)
        refill(self.format, [("xlsx", _("Excel workbook (.xlsx)")),
                              ("csv", _("CSV files in a folder")),
                              ("csv-zip", _("CSV files in a zip (.zip)")),
                              ("stata", _("Stata files in a folder (.dta)")),
                              ("spss", _("SPSS files in a folder (.sav)")),
                              ("qdpx", _("REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, "
                                         "QualCoder (.qdpx)"))])
        refill(self.values_as, [("labels", _("Labels")), ("codes", _("Value codes"))])
        refill(self.headers_as, [("labels", _("Labels")),
                                  ("names", _("Variable names (for SPSS, Stata, R)"))])
        self.target.setPlaceholderText(_("Choose where to save the export"))
        self.choose.setText(_("Choose…"))
        self.choose.setAccessibleName(_("Choose where to save the export"))
        self.bom.setText(_("Start CSV files with a byte-order mark (BOM)"))
        self.bom_hint.setText(_("So Excel shows Chinese correctly. Leave it on unless a "
                                "program you use cannot read it."))
        self.pseudonymise.setText(_("Replace names in the text by pseudonyms"))
        self.pseudonymise_hint.setText(_(
            "Names of registered participants and organisations in notes, passages, comments "
            "and open answers become their codes. Your notes are not changed."))
        self.pseudonymise.setAccessibleDescription(self.pseudonymise_hint.text())
        self.identifiers.setText(_("Include direct identifiers"))
        self.identifiers.setAccessibleDescription(self._identifiers_text())
        self.identifiers_warning.setText(self._identifiers_text())
        self.export_button.setText(_("Export"))
        self.export_button.setAccessibleName(_("Start the export"))
        self.result_title.setText(_("What was written"))
        self.summary_text.setAccessibleName(_("Export summary"))
        self.bar.setAccessibleName(_("Export progress"))
        if self.summary is not None:
            self.summary_text.setPlainText("\n".join(self.summary.lines()))
        self.filters.retranslate_ui()
        self._update_buttons()

    @staticmethod
    def _identifiers_text() -> str:
        return _("Real names, phone numbers, WeChat ids and e-mail addresses. Every export with "
                 "them is written to the audit log. Only coordinators should use this.")

    def _update_buttons(self, *, running: bool | None = None) -> None:
        done = self.summary is not None
        self.export_button.setVisible(not done)
        if running is None:
            running = self.run is not None and self.run.running
        if running:
            self.cancel_button.setText(_("Stop the export"))
        elif done:
            self.cancel_button.setText(_("Close"))
        else:
            self.cancel_button.setText(_("Cancel"))
        self.cancel_button.setAccessibleName(self.cancel_button.text())

    # -- choices -------------------------------------------------------------------------

    def _choices_loaded(self, choices: FilterChoices) -> None:
        self.filters.set_choices(choices)

    def _choices_failed(self, exc: BaseException) -> None:
        self.status.setText(error_text(exc))

    def _format_changed(self, _index: int = -1) -> None:
        fmt = self.chosen_format()
        self.bom.setEnabled(fmt in ("csv", "csv-zip"))
        self.bom_hint.setEnabled(fmt in ("csv", "csv-zip"))
        text = self.target.text().strip()
        if text:
            self.target.setText(str(with_format(Path(text), fmt)))

    def chosen_format(self) -> str:
        return str(self.format.currentData() or "xlsx")

    def choose_target(self) -> None:
        fmt = self.chosen_format()
        text = self.target.text().strip()
        current = Path(text) if text else Path.home() / default_name(fmt)
        if fmt in FOLDER_FILES:
            folder = self.ctx.interaction.choose_folder(
                self, _("Choose where to put the folder of CSV files") if fmt == "csv"
                else _("Choose where to put the folder of statistics files"))
            if folder is not None:
                self.target.setText(str(folder / current.name))
            return
        filters = (_("Excel workbook (*.xlsx)") if fmt == "xlsx"
                   else _("REFI-QDA project (*.qdpx)") if fmt == "qdpx"
                   else _("Zip file (*.zip)"))
        path = self.ctx.interaction.save_file(self, _("Save the export as"), str(current),
                                              filters)
        if path is not None:
            self.target.setText(str(with_format(path, fmt)))

    def _identifiers_toggled(self, on: bool) -> None:
        if not on:
            return
        agreed = self.ctx.interaction.confirm(
            self, _("Include direct identifiers?"),
            _("The export will hold real names, phone numbers, WeChat ids and e-mail addresses "
              "of every participant in it. It will be written to the audit log under your "
              "name. Only coordinators should do this, and only when the analysis needs it; "
              "keep the file encrypted and delete it when done."),
            ok=_("Include identifiers"), destructive=True)
        if not agreed:
            self.identifiers.blockSignals(True)
            self.identifiers.setChecked(False)
            self.identifiers.blockSignals(False)

    # -- running -------------------------------------------------------------------------

    def options(self, *, overwrite: bool = False) -> ExportOptions:
        return ExportOptions(
            format=self.chosen_format(),  # type: ignore[arg-type]
            language=str(self.language.currentData()),
            values=self.values_as.currentData(), headers=self.headers_as.currentData(),
            include_identifiers=self.identifiers.isChecked(), bom=self.bom.isChecked(),
            overwrite=overwrite, filters=self.filters.filters(),
            pseudonymise=self.pseudonymise.isChecked())

    def start(self) -> None:
        if self.run is not None and self.run.running:
            return
        fmt = self.chosen_format()
        text = self.target.text().strip()
        if not text:
            self.choose_target()
            text = self.target.text().strip()
            if not text:
                return
        path = with_format(Path(text).expanduser(), fmt)
        self.target.setText(str(path))
        overwrite = False
        if path.exists():
            if not replaceable(path, fmt):
                self._show_problem(_("{path} already exists and holds other things; choose "
                                     "another name.").format(path=path))
                return
            if not self.ctx.interaction.confirm(
                    self, _("Replace the earlier export?"),
                    _("{name} already exists. Replace it with this export?").format(
                        name=path.name), ok=_("Replace"), destructive=True):
                return
            overwrite = True
        self.run = ExportRun(self.ctx.tasks, path, self.options(overwrite=overwrite), self)
        self.run.progress.connect(self._progress)
        self.run.finished.connect(self._finished)
        self.run.cancelled.connect(self._cancelled)
        self.run.failed.connect(self._failed)
        self.form_page.setEnabled(False)
        self.export_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(_("Exporting…"))
        self.bar.setRange(0, 0)
        self.bar_timer.start()
        self._update_buttons(running=True)
        self.run.start()

    def _show_progress(self) -> None:
        if self.run is not None and self.run.running:
            self.bar.show()

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, total))
        self.status.setText(_("Exporting… {done} of {total} rows written").format(
            done=done, total=total))

    def _stopped(self) -> None:
        self.bar_timer.stop()
        self.bar.hide()
        self.form_page.setEnabled(True)
        self.export_button.setEnabled(True)
        self._update_buttons()
        if self._close_when_stopped:
            self.close()

    def _finished(self, summary: ExportSummary) -> None:
        self.summary = summary
        self.summary_text.setPlainText("\n".join(summary.lines()))
        self.pages.setCurrentWidget(self.result_page)
        self.status.setText("")
        self._stopped()
        self.cancel_button.setFocus()

    def _cancelled(self, exc: ExportCancelled) -> None:
        self._show_problem(error_text(exc))
        self._stopped()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, FieldappError):
            log.error("export failed: %s", type(exc).__name__, exc_info=exc)
        self._show_problem(error_text(exc))
        self._stopped()

    def _show_problem(self, text: str) -> None:
        self.status.setStyleSheet(WARNING_STYLE)
        self.status.setText(text)

    # -- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        """Cancel while exporting stops the export (the dialog stays to say so); otherwise
        the dialog closes."""
        if self.run is not None and self.run.running:
            self.run.cancel()
            self.status.setText(_("Stopping the export…"))
            return
        super().reject()

    def _workspace_locked(self) -> None:
        """Locking hides everything at once; a running export is stopped first."""
        self.hide()
        if self.run is not None and self.run.running:
            self._close_when_stopped = True
            self.run.cancel()
        else:
            self.close()
