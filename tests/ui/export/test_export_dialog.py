"""Exporting through the dialog: the file, the summary, filters, identifiers and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from fieldapp.services import records as records_service
from fieldapp.ui.context import AppContext
from fieldapp.ui.export import ExportDialog
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import ScriptedInteraction
from tests.ui.export.conftest import last_audit, on_worker
from tests.unit.export.conftest import IDENTITIES, NO_QUOTE_TEXT, WITHDRAWN_TEXT, Study
from tests.unit.export.helpers import all_text, records, sheets


def choose(dialog: ExportDialog, interaction: ScriptedInteraction, path: Path) -> None:
    interaction.files.append(path)
    dialog.choose.click()
    assert dialog.target.text() == str(path)


def test_menu_entry_is_in_the_workspace_menu_and_needs_an_open_workspace(
        window: MainWindow) -> None:
    assert window.act_export in window.menu_file.actions()
    assert window.act_export.shortcut().toString() == "Ctrl+E"
    assert not window.act_export.isEnabled()


def test_export_to_xlsx_through_the_dialog(ctx: AppContext, dialog: ExportDialog,
                                           interaction: ScriptedInteraction, study: Study,
                                           out_dir: Path) -> None:
    assert not dialog.identifiers.isChecked() and dialog.bom.isChecked()
    assert dialog.chosen_format() == "xlsx"
    target = out_dir / "study.xlsx"
    choose(dialog, interaction, target)
    dialog.export_button.click()

    assert dialog.summary is not None, dialog.status.text()
    assert dialog.pages.currentWidget() is dialog.result_page
    assert not dialog.export_button.isVisible()
    assert dialog.cancel_button.text() == "Close"
    book = sheets(target)
    assert {"Interviews", "Notes", "Codings", "Consent"} <= set(book)
    assert any(name.startswith("NGO survey") for name in book)
    assert len(book) == len(dialog.summary.sheets)
    text = all_text(target)
    assert "GZ-MIG-003" not in text and WITHDRAWN_TEXT not in text, "withdrawn is absent"
    assert "SECRET-WITHDRAWN-MARKER" not in text
    assert NO_QUOTE_TEXT not in text, "no quote consent: text left out"
    assert IDENTITIES["KM-HIV-001"]["real_name"] not in text
    interviews = [r["Interview code"] for r in records(book["Interviews"])]
    assert interviews == ["KM-HIV-I001", "KM-DIS-I002"]

    summary = dialog.summary_text.toPlainText()
    assert "Interviews: 2 rows" in summary
    assert "continues in columns" in summary, "the 100,000-character note is continued"
    assert "Left out for lack of verbatim-quote consent" in summary
    assert "Known identifiers masked" in summary
    entry = last_audit(ctx)
    assert entry["action"] == "export"
    assert entry["detail"]["file"] == "study.xlsx"
    assert entry["detail"]["include_identifiers"] is False
    dialog.cancel_button.click()
    assert not dialog.isVisible()


def test_csv_zip_in_chinese_with_codes_and_names_and_a_filter(
        ctx: AppContext, dialog: ExportDialog, interaction: ScriptedInteraction,
        out_dir: Path) -> None:
    import zipfile

    dialog.format.setCurrentIndex(dialog.format.findData("csv-zip"))
    assert dialog.bom.isEnabled()
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    dialog.values_as.setCurrentIndex(dialog.values_as.findData("codes"))
    dialog.headers_as.setCurrentIndex(dialog.headers_as.findData("names"))
    researchers = dialog.filters.lists["researchers"]
    assert sorted(researchers.item(i).text() for i in range(researchers.count())) == \
        ["Anna", "林晓"]
    researchers.tick({"Anna"})
    sites = dialog.filters.lists["sites"]
    assert [sites.item(i).text() for i in range(sites.count())] == \
        ["Kunming (KM)", "Guangzhou (GZ)"]
    interaction.files.append(out_dir / "wave1")  # the suffix is added for the format
    dialog.choose.click()
    assert dialog.target.text() == str(out_dir / "wave1.zip")
    dialog.export_button.click()

    assert dialog.summary is not None, dialog.status.text()
    with zipfile.ZipFile(out_dir / "wave1.zip") as z:
        names = z.namelist()
        interviews = next(n for n in names if "访谈" in n and "编码" not in n)
        data = z.read(interviews)
    assert data.startswith(b"\xef\xbb\xbf"), "the byte-order mark is on by default"
    text = data.decode("utf-8-sig")
    assert "KM-DIS-I002" in text and "KM-HIV-I001" not in text, "only Anna's interview"
    detail = last_audit(ctx)["detail"]
    assert detail["filters"] == {"researchers": ["Anna"]}
    assert (detail["format"], detail["language"], detail["values"], detail["headers"]) == \
        ("csv-zip", "zh_CN", "codes", "names")


def test_identifiers_need_a_confirmation_and_are_audited(
        ctx: AppContext, dialog: ExportDialog, interaction: ScriptedInteraction,
        out_dir: Path) -> None:
    assert "audit log" in dialog.identifiers_warning.text()
    assert "coordinators" in dialog.identifiers_warning.text()
    interaction.confirm_answers.append(False)
    dialog.identifiers.click()
    assert not dialog.identifiers.isChecked(), "declined: stays off"
    interaction.confirm_answers.append(True)
    dialog.identifiers.click()
    assert dialog.identifiers.isChecked()
    assert [t for k, t, _x in interaction.shown if k == "confirm"] == \
        ["Include direct identifiers?"] * 2
    dialog.identifiers.click()  # unticking asks nothing
    assert not dialog.identifiers.isChecked() and len(interaction.shown) == 2
    interaction.confirm_answers.append(True)
    dialog.identifiers.click()

    target = out_dir / "with-names.xlsx"
    choose(dialog, interaction, target)
    dialog.export_button.click()
    assert dialog.summary is not None and dialog.summary.identifiers_included
    assert IDENTITIES["KM-HIV-001"]["real_name"] in all_text(target)
    assert "includes direct identifiers" in dialog.summary_text.toPlainText()
    entry = last_audit(ctx)
    assert entry["action"] == "export"
    assert entry["detail"]["include_identifiers"] is True


def test_errors_are_shown_plainly_in_the_dialog(dialog: ExportDialog, tmp_path: Path) -> None:
    dialog.target.setText(str(tmp_path / "no-such-folder" / "x.xlsx"))
    dialog.export_button.click()
    assert dialog.summary is None
    assert "does not exist" in dialog.status.text()
    assert dialog.form_page.isEnabled() and dialog.export_button.isEnabled()
    assert dialog.isVisible()


def test_an_existing_file_is_replaced_only_when_the_user_agrees(
        dialog: ExportDialog, interaction: ScriptedInteraction, out_dir: Path) -> None:
    target = out_dir / "old.xlsx"
    target.write_bytes(b"earlier")
    dialog.target.setText(str(target))
    interaction.confirm_answers.append(False)
    dialog.export_button.click()
    assert target.read_bytes() == b"earlier" and dialog.summary is None
    interaction.confirm_answers.append(True)
    dialog.export_button.click()
    assert dialog.summary is not None and target.read_bytes()[:2] == b"PK"


def test_a_folder_holding_other_work_is_never_replaced(
        dialog: ExportDialog, interaction: ScriptedInteraction, out_dir: Path) -> None:
    (out_dir / "thesis.docx").write_bytes(b"years of work")
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    dialog.target.setText(str(out_dir))
    dialog.export_button.click()
    assert "choose another name" in dialog.status.text()
    assert (out_dir / "thesis.docx").read_bytes() == b"years of work"
    assert not interaction.shown


def test_csv_folder_goes_inside_the_chosen_folder(
        dialog: ExportDialog, interaction: ScriptedInteraction, out_dir: Path) -> None:
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    interaction.files.append(out_dir)
    dialog.choose.click()
    target = Path(dialog.target.text())
    assert target.parent == out_dir and target.name.startswith("fieldapp-export-")
    dialog.export_button.click()
    assert dialog.summary is not None
    assert sorted(p.suffix for p in target.iterdir()) == [".csv"] * len(dialog.summary.sheets)


def test_locking_closes_the_dialog(qtbot: Any, ctx: AppContext, unlocked: MainWindow,
                                   dialog: ExportDialog) -> None:
    assert dialog.isVisible()
    unlocked.session.lock()
    assert not dialog.isVisible()


def test_filter_lists_tick_with_the_keyboard(qtbot: Any, dialog: ExportDialog) -> None:
    statuses = dialog.filters.lists["statuses"]
    statuses.setFocus()
    statuses.setCurrentRow(1)
    qtbot.keyClick(statuses, Qt.Key.Key_Space)
    assert dialog.filters.filters().statuses == frozenset({"complete"})


@pytest.mark.parametrize(("fmt", "suffix"), [("stata", ".dta"), ("spss", ".sav")])
def test_stata_and_spss_are_format_choices(
        ctx: AppContext, dialog: ExportDialog, interaction: ScriptedInteraction,
        out_dir: Path, fmt: str, suffix: str) -> None:
    import pyreadstat

    dialog.format.setCurrentIndex(dialog.format.findData(fmt))
    assert not dialog.bom.isEnabled()
    interaction.files.append(out_dir)
    dialog.choose.click()
    target = Path(dialog.target.text())
    assert target.parent == out_dir and target.suffix == ""
    dialog.export_button.click()
    assert dialog.summary is not None, dialog.status.text()
    assert {p.suffix for p in target.iterdir()} == {suffix}
    read = pyreadstat.read_dta if fmt == "stata" else pyreadstat.read_sav
    frame, meta = read(str(target / f"Interviews{suffix}"))
    assert frame["interview_code"].tolist() == ["KM-HIV-I001", "KM-DIS-I002"]
    assert meta.variable_value_labels["mode"][1] == "In person"
    assert last_audit(ctx)["detail"]["format"] == fmt


def test_a_refi_qda_project_from_the_dialog(
        ctx: AppContext, dialog: ExportDialog, interaction: ScriptedInteraction,
        out_dir: Path) -> None:
    import zipfile

    dialog.format.setCurrentIndex(dialog.format.findData("qdpx"))
    choose(dialog, interaction, out_dir / "study.qdpx")
    dialog.export_button.click()
    assert dialog.summary is not None, dialog.status.text()
    with zipfile.ZipFile(out_dir / "study.qdpx") as archive:
        assert "project.qde" in archive.namelist()
    assert last_audit(ctx)["detail"]["format"] == "qdpx"


def test_pseudonyms_from_the_dialog(ctx: AppContext, dialog: ExportDialog,
                                    interaction: ScriptedInteraction, study: Study,
                                    out_dir: Path) -> None:
    """The checkbox puts participant codes where the notes name people; the note is kept."""
    assert not dialog.pseudonymise.isChecked()
    assert "not changed" in dialog.pseudonymise_hint.text()
    target = out_dir / "pseudonyms.xlsx"
    choose(dialog, interaction, target)
    dialog.pseudonymise.click()
    dialog.export_button.click()

    assert dialog.summary is not None, dialog.status.text()
    notes = records(sheets(target)["Notes"])
    body = next(r["Text"] for r in notes if r["Note id"] == study.ids["n1"])
    # conftest: "… 张秀英 called from 13812345678." — the name becomes her code, the phone
    # number is still masked
    assert "KM-HIV-001 called from ███████████." in body
    assert "Names replaced by pseudonyms in text: " in dialog.summary_text.toPlainText()
    assert last_audit(ctx)["detail"]["pseudonymise"] is True
    kept = on_worker(ctx, lambda ws: records_service.get(ws, "note", study.ids["n1"])["body"])
    assert "张秀英 called from 13812345678" in kept
