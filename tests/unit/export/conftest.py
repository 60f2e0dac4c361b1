"""A small, fixed study to export: every case the export has to get right, in one workspace.

- KM-HIV-001 (quotes allowed) and KM-DIS-002 (no verbatim quotes) with identities;
  GZ-MIG-003 withdrew (erased by the store) — none of their text may appear anywhere.
- Notes with 𠮷, emoji, text starting with ``=``/``+``/``-``/``@`` and a 100,000-character note.
- A bilingual survey with a group, a select_one, a select_multiple, a date and a repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from fieldapp.services import records, surveys
from fieldapp.store.workspace import Workspace

EN, ZH = "label::English (en)", "label::中文 (zh)"
SURVEY = [
    ["type", "name", EN, ZH, "required"],
    ["text", "org_name", "Organisation name", "机构名称", "yes"],
    ["begin group", "org", "Organisation", "机构", None],
    ["integer", "n_staff", "Staff", "员工人数", None],
    ["decimal", "budget", "Budget (10k yuan)", "预算（万元）", None],
    ["select_one yn", "registered", "Registered?", "是否登记？", None],
    ["end group", None, None, None, None],
    ["select_multiple sector", "sectors", "Sectors", "领域", None],
    ["date", "founded", "Founded", "成立日期", None],
    ["begin repeat", "contract", "Contract", "合同", None],
    ["text", "funder", "Funder", "资助方", None],
    ["decimal", "amount", "Amount", "金额", None],
    ["end repeat", None, None, None, None],
]
CHOICES = [
    ["list_name", "name", EN, ZH],
    ["yn", "yes", "Yes", "是"], ["yn", "no", "No", "否"],
    ["sector", "hiv", "HIV/AIDS", "艾滋病"], ["sector", "dis", "Disability", "残障"],
    ["sector", "mig", "Migrants", "流动人口"],
]
SETTINGS = [["form_id", "version", "form_title", "default_language"],
            ["ngo_survey", "2026050101", "NGO survey", "English (en)"]]

LONG_NOTE = ("长文本𠮷😀 Long text. " * 6000)[:100_000]
TRICKY = ["=HYPERLINK(\"http://x\")", "+86 says hello", "-2 is a number?", "@SUM(A1)",
          "\tstarts with a tab", "𠮷野家 and emoji 😀🇨🇳"]
IDENTITIES = {
    "KM-HIV-001": {"real_name": "张秀英", "phone": "13812345678", "wechat": "wx_zhang88",
                   "email": "zhang@example.org"},
    "KM-DIS-002": {"real_name": "李建国", "phone": "13987654321", "wechat": "wx_li_jg"},
    "GZ-MIG-003": {"real_name": "王海燕", "phone": "13500001111", "wechat": "wx_wanghy"},
}
WITHDRAWN_TEXT = "王海燕说：我们的合同每年都要重新谈。SECRET-WITHDRAWN-MARKER"
NO_QUOTE_TEXT = "受访者说：评估指标偏重活动次数。NO-QUOTE-MARKER"


def write_form(path: Path) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in (("survey", SURVEY), ("choices", CHOICES), ("settings", SETTINGS)):
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


@dataclass
class Study:
    ws: Workspace
    ids: dict[str, str]
    tmp: Path


def build(ws: Workspace, tmp: Path) -> Study:
    ids: dict[str, str] = {}
    records.set_study(
        ws, title_zh="测试研究", title_en="Test study",
        sites=[{"code": "KM", "name_zh": "昆明", "name_en": "Kunming"},
               {"code": "GZ", "name_zh": "广州", "name_en": "Guangzhou"}],
        sectors=[{"code": "HIV", "name_zh": "艾滋病防治", "name_en": "HIV/AIDS"},
                 {"code": "DIS", "name_zh": "残障儿童", "name_en": "Children with disabilities"},
                 {"code": "MIG", "name_zh": "流动人口", "name_en": "Migrants"}])
    ids["org"] = records.add_organisation(ws, name_zh="昆明红丝带关爱中心",
                                          name_en="Kunming Red Ribbon Care Centre",
                                          kind="registered_ngo", site="KM", sector="HIV")
    people = [("KM-HIV-001", "KM", "HIV", ["audio", "verbatim_quotes"]),
              ("KM-DIS-002", "KM", "DIS", ["audio"]),
              ("GZ-MIG-003", "GZ", "MIG", ["audio", "verbatim_quotes"])]
    for code, site, sector, scopes in people:
        pid = records.add_participant(ws, code=code, role="社工 / social worker",
                                      organisation_id=ids["org"], site=site, sector=sector,
                                      identity=IDENTITIES[code])
        ids[code] = pid
        records.record_consent(ws, pid, form_version="v2", language="zh", method="written",
                               date_given="2026-03-01", scopes=scopes, witness="陈见证")
    ids["i1"] = records.add_interview(
        ws, code="KM-HIV-I001", participant_ids=[ids["KM-HIV-001"]], title="红丝带访谈",
        site="KM", sector="HIV", organisation_id=ids["org"], date="2026-04-02",
        place="机构办公室", language="zh", interviewer="林晓", mode="in_person", status="coded")
    ids["i2"] = records.add_interview(
        ws, code="KM-DIS-I002", participant_ids=[ids["KM-DIS-002"]], title="康复中心访谈",
        site="KM", sector="DIS", date="2026-04-05", language="mixed", interviewer="Anna",
        mode="phone", status="done")
    ids["i3"] = records.add_interview(
        ws, code="GZ-MIG-I003", participant_ids=[ids["GZ-MIG-003"]], title="新市民访谈",
        site="GZ", sector="MIG", date="2026-05-01", interviewer="林晓", status="done")
    body1 = "合同每年续签。Contract renewed yearly; 张秀英 called from 13812345678."
    ids["n1"] = records.add_note(ws, ids["i1"], kind="field_notes", body=body1)
    ids["n_long"] = records.add_note(ws, ids["i1"], kind="transcript", body=LONG_NOTE)
    for k, text in enumerate(TRICKY):
        ids[f"tricky{k}"] = records.add_note(ws, ids["i1"], kind="memo", body=text, title=text)
    ids["n2"] = records.add_note(ws, ids["i2"], kind="field_notes", body=NO_QUOTE_TEXT)
    ids["n3"] = records.add_note(ws, ids["i3"], kind="field_notes", body=WITHDRAWN_TEXT)
    ids["code"] = records.add_code(ws, name_zh="合同管理", name_en="Contract management")
    ids["child"] = records.add_code(ws, name_zh="续签", name_en="Renewal", parent_id=ids["code"])
    ids["c1"] = records.apply_code(ws, ids["n1"], ids["child"], 0, 6, may_quote=True)
    ids["c2"] = records.apply_code(ws, ids["n2"], ids["code"], 0, 5)
    ids["c3"] = records.apply_code(ws, ids["n3"], ids["code"], 0, 8, may_quote=True)
    # the survey
    ids["inst"] = surveys.import_instrument(ws, write_form(tmp / "ngo_survey.xlsx"))
    answers: list[dict[str, Any]] = [
        {"org_name": "红丝带", "org": {"n_staff": 12, "budget": 35.5, "registered": "yes"},
         "sectors": ["hiv", "mig"], "founded": "2015-06-01",
         "contract": [{"funder": "民政局", "amount": 20.0}, {"funder": "=CDC", "amount": 8.5}]},
        {"org_name": "星语", "org": {"n_staff": 5, "registered": "no"}, "sectors": ["dis"],
         "contract": []},
        {"org_name": "无答案"},
    ]
    links = [{"participant_id": ids["KM-HIV-001"], "site": "KM", "sector": "HIV",
              "researcher": "林晓", "interview_id": ids["i1"]},
             {"participant_id": ids["KM-DIS-002"], "site": "KM", "sector": "DIS",
              "researcher": "Anna"},
             {"site": "KM", "sector": "HIV", "researcher": "林晓"}]
    for k, (a, link) in enumerate(zip(answers, links, strict=True)):
        ids[f"r{k}"] = surveys.add_response_from_answers(ws, ids["inst"], a, **link)
    ids["r_gone"] = surveys.add_response_from_answers(
        ws, ids["inst"], {"org_name": "SECRET-WITHDRAWN-MARKER", "sectors": ["mig"]},
        participant_id=ids["GZ-MIG-003"], site="GZ", sector="MIG", researcher="林晓")
    records.withdraw_consent(ws, ids["GZ-MIG-003"], reason="participant_request",
                             withdrawn_on="2026-06-30")
    return Study(ws, ids, tmp)


@pytest.fixture
def study(ws: Workspace, tmp_path: Path) -> Study:
    return build(ws, tmp_path)
