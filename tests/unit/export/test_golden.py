"""Golden workbooks: the fixed study exported and compared cell by cell — values and types —
in English and in Chinese. Ids (UUIDv7) and creation times differ per run and are compared by
shape only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from fieldapp.export.labels import Translator
from fieldapp.i18n import current_language
from tests.unit.export.conftest import Study
from tests.unit.export.helpers import records, run, sheets

ID = "<id>"
ZH_ = Translator("zh_CN")  # a sheet added with its translation still to be merged
GOLDEN: dict[str, dict[str, Any]] = {
    "en": {
        "sheets": ["NGO survey", "NGO survey-contract", "Interviews", "Notes", "Codings",
                   "Code tree", "Consent", "Cases (organisations)", "Cases (participants)",
                   "Codebook"],
        "interviews": [
            ["Interview id", "Interview code", "Title", "Site", "Sector", "Organisation",
             "Participants", "Date", "Place", "Language", "Interviewer", "Mode", "Status",
             "Notes"],
            [ID, "KM-HIV-I001", "红丝带访谈", "Kunming", "HIV/AIDS",
             "ORG-001", "KM-HIV-001", datetime(2026, 4, 2), "机构办公室",
             "Chinese", "林晓", "In person", "Coded", 8],
            [ID, "KM-DIS-I002", "康复中心访谈", "Kunming", "Children with disabilities", None,
             "KM-DIS-002", datetime(2026, 4, 5), None, "Chinese and English", "Anna", "Phone",
             "Done", 1],
        ],
        "survey": [
            ["_index", "Organisation name", "Staff", "Budget (10k yuan)", "Registered?",
             "Sectors", "Sectors: HIV/AIDS", "Sectors: Disability", "Sectors: Migrants",
             "Founded", "Participant code", "Response status", "Site"],
            [1, "红丝带", 12, 35.5, "Yes", "HIV/AIDS; Migrants", 1, 0, 1, datetime(2015, 6, 1),
             "KM-HIV-001", "Complete", "Kunming"],
            [2, None, 5, None, "No", "Disability", 0, 1, 0, None, "KM-DIS-002", "Complete",
             "Kunming"],
            [3, "无答案", None, None, None, None, None, None, None, None, None, "Complete",
             "Kunming"],
        ],
        "consent_head": ["Participant code", "Consent status", "Consents to verbatim quotes"],
        "consent": [["KM-DIS-002", "Consent given", 0], ["KM-HIV-001", "Consent given", 1]],
    },
    "zh_CN": {
        "sheets": ["NGO survey", "NGO survey-contract", "访谈", "笔记", "编码",
                   ZH_("Code tree"), "知情同意", ZH_("Cases (organisations)"),
                   ZH_("Cases (participants)"), "编码手册"],
        "interviews": [
            ["访谈 ID", "访谈编号", "标题", "调研点", "领域", "机构", "受访者", "日期", "访谈地点",
             "语言", "访谈员", "方式", "状态", "笔记"],
            [ID, "KM-HIV-I001", "红丝带访谈", "昆明", "艾滋病防治", "ORG-001",
             "KM-HIV-001", datetime(2026, 4, 2), "机构办公室", "中文", "林晓", "面对面", "已编码",
             8],
            [ID, "KM-DIS-I002", "康复中心访谈", "昆明", "残障儿童", None, "KM-DIS-002",
             datetime(2026, 4, 5), None, "中英文", "Anna", "电话", "已完成", 1],
        ],
        "survey": [
            ["_index", "机构名称", "员工人数", "预算（万元）", "是否登记？", "领域 [sectors]", "领域: 艾滋病",
             "领域: 残障", "领域: 流动人口", "成立日期", "受访者编号", "答卷状态", "调研点"],
            [1, "红丝带", 12, 35.5, "是", "艾滋病; 流动人口", 1, 0, 1, datetime(2015, 6, 1),
             "KM-HIV-001", "已完成", "昆明"],
            [2, None, 5, None, "否", "残障", 0, 1, 0, None, "KM-DIS-002", "已完成", "昆明"],
            [3, "无答案", None, None, None, None, None, None, None, None, None, "已完成", "昆明"],
        ],
        "consent_head": ["受访者编号", "知情同意状态", "同意逐字引用"],
        "consent": [["KM-DIS-002", "已同意", 0], ["KM-HIV-001", "已同意", 1]],
    },
}


def _same(actual: Any, expected: Any) -> bool:
    if expected == ID:
        return isinstance(actual, str) and len(actual) == 36
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_golden_workbook(study: Study, lang: str) -> None:
    golden = GOLDEN[lang]
    path, _summary = run(study, language=lang)
    book = sheets(path)
    assert list(book) == golden["sheets"]
    assert current_language() == "en"  # the interface language is untouched

    interviews = book[golden["sheets"][2]]
    assert len(interviews) == len(golden["interviews"])
    for actual, expected in zip(interviews, golden["interviews"], strict=True):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert _same(a, e), (a, e)

    survey = records(book["NGO survey"])
    head = golden["survey"][0]
    for row, expected in zip(survey, golden["survey"][1:], strict=True):
        for key, e in zip(head, expected, strict=True):
            assert _same(row[key], e), (key, row[key], e)
        assert isinstance(row[head[0]], int)

    consent = records(book[golden["sheets"][6]])
    assert [[r[k] for k in golden["consent_head"]] for r in consent] == golden["consent"]


def test_cell_types_and_formats(study: Study) -> None:
    path, _summary = run(study)
    book = load_workbook(path)
    ws = book["Interviews"]
    date_cell = ws["H2"]
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    assert ws["N2"].data_type == "n" and ws["N2"].value == 8
    survey = book["NGO survey"]
    created = survey.cell(row=2, column=12)
    assert created.is_date and isinstance(created.value, datetime)
    assert survey.cell(row=2, column=19).value == 35.5
    # header: bold, frozen, filtered, sized
    assert ws["A1"].font.bold
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:N3"
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert 8 <= widths["B"] <= 60
    # "康复中心访谈" (6 wide characters = 12 columns) is wider than "Title" (5)
    assert widths["C"] >= 12
    # date columns are real dates in every sheet that has one
    consent = book["Consent"]
    assert consent["K2"].is_date and consent["K2"].value == datetime(2026, 3, 1)
    assert date(2026, 3, 1) == consent["K2"].value.date()


def test_codebook_lists_every_column_in_both_languages(study: Study) -> None:
    path, _summary = run(study)
    book = sheets(path)
    codebook = records(book["Codebook"])
    listed = {(r["Sheet"], r["Column header"]) for r in codebook}
    for title, rows in book.items():
        if title == "Codebook":
            continue
        for header in rows[0]:
            assert (title, header) in listed
    by_var = {(r["Sheet"], r["Variable"]): r for r in codebook}
    sectors = by_var[("NGO survey", "sectors")]
    assert sectors["Type"] == "select_multiple sector"
    assert sectors["Text (English)"] == "Sectors" and sectors["Text (Chinese)"] == "领域"
    assert sectors["Choices (English)"] == "hiv=HIV/AIDS; dis=Disability; mig=Migrants"
    assert sectors["Choices (Chinese)"] == "hiv=艾滋病; dis=残障; mig=流动人口"
    mode = by_var[("Interviews", "mode")]
    assert mode["Text (Chinese)"] == "方式"
    # the desktop's labels (fieldapp.domain.vocabulary), in both languages
    assert mode["Choices (English)"] == "in_person=In person; phone=Phone; video=Video; group=Group"
    assert mode["Choices (Chinese)"] == "in_person=面对面; phone=电话; video=视频; group=小组访谈"
    consent = by_var[("Consent", "status")]
    assert consent["Choices (English)"] == (
        "given=Consent given; withdrawn=Withdrawn; none=No consent recorded")
    assert consent["Choices (Chinese)"] == "given=已同意; withdrawn=已撤回; none=未记录知情同意"
    status = by_var[("NGO survey", "_status")]
    assert status["Choices (English)"] == "draft=Draft; complete=Complete"
    assert status["Choices (Chinese)"] == "draft=草稿; complete=已完成"
    assert by_var[("Notes", "body_2")]["Text (English)"] == "Text (continued, part 2)"


def test_summary_rows_match_the_sheets(study: Study) -> None:
    path, summary = run(study)
    book = sheets(path)
    assert {s.title: s.rows for s in summary.sheets} == {t: len(r) - 1 for t, r in book.items()}
