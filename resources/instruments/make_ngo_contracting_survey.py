"""Generate ngo_contracting_survey.xlsx, fieldapp's own bilingual XLSForm (run from anywhere).

A survey of NGOs about government purchase-of-service contracts (政府购买服务): one repeat
instance per contract, province → city cascade, select_multiple with "other, specify", skip logic
and constraints. Edit this script, run it, and commit both files.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

EN, ZH = "English (en)", "中文 (zh)"
SURVEY_HEADER = [
    "type", "name", f"label::{EN}", f"label::{ZH}", f"hint::{EN}", f"hint::{ZH}", "required",
    f"required_message::{EN}", f"required_message::{ZH}", "relevant", "constraint",
    f"constraint_message::{EN}", f"constraint_message::{ZH}", "calculation", "default",
    "read_only", "choice_filter", "appearance",
]


def q(type_: str, name: str, en: str = "", zh: str = "", **cols: str) -> dict[str, str]:
    row = {"type": type_, "name": name, f"label::{EN}": en, f"label::{ZH}": zh}
    keys = {"hint_en": f"hint::{EN}", "hint_zh": f"hint::{ZH}",
            "msg_en": f"constraint_message::{EN}",
            "msg_zh": f"constraint_message::{ZH}", "req_en": f"required_message::{EN}",
            "req_zh": f"required_message::{ZH}"}
    for key, value in cols.items():
        row[keys.get(key, key)] = value
    return row


SURVEY = [
    q("start", "start"),
    q("end", "end"),
    q("today", "survey_date"),
    q("select_one yes_no", "consent",
      "The purpose of this survey has been explained and the respondent agrees to take part.",
      "已向受访者说明本调查的目的，受访者同意参与。", required="yes",
      req_en="Please record whether the respondent agrees.", req_zh="请记录受访者是否同意参与。"),
    q("note", "no_consent_note", "Thank the respondent and end the survey here.",
      "感谢受访者，调查到此结束。", relevant="${consent} = 'no'"),
    q("begin group", "org", "About the organisation", "机构基本情况",
      relevant="${consent} = 'yes'", appearance="field-list"),
    q("text", "org_name", "Name of the organisation", "机构名称", required="yes",
      hint_en="Full registered name, or the name the group uses if it is not registered.",
      hint_zh="填写登记全称；未登记的组织填写常用名称。"),
    q("select_one org_type", "org_type", "Legal form of the organisation", "机构的法律形式",
      required="yes"),
    q("integer", "founded_year", "Year the organisation was founded", "机构成立年份",
      constraint=". >= 1949 and . <= number(format-date(today(), '%Y'))",
      msg_en="Enter a year between 1949 and this year.", msg_zh="请填写1949年至今年之间的年份。"),
    q("select_one province", "province", "Province where the organisation is based",
      "机构所在省份", required="yes"),
    q("select_one city", "city", "City (prefecture)", "所在地级市（州）", required="yes",
      choice_filter="province = ${province}"),
    q("integer", "staff_fulltime", "Number of full-time paid staff", "全职受薪员工人数",
      constraint=". >= 0 and . <= 5000", msg_en="Enter a number from 0 to 5000.",
      msg_zh="请填写0至5000之间的整数。"),
    q("select_multiple sector or_other", "sectors", "Fields the organisation works in",
      "机构的服务领域", required="yes",
      hint_en="Select all that apply.", hint_zh="可多选。"),
    q("end group", ""),
    q("select_one yes_no", "has_contracts",
      "In the past three years, has the organisation carried out government purchase-of-service "
      "projects?", "近三年来，贵机构是否承接过政府购买服务项目？",
      relevant="${consent} = 'yes'", required="yes"),
    q("begin group", "contracts_section", "Government purchase-of-service projects",
      "政府购买服务项目", relevant="${has_contracts} = 'yes'"),
    q("begin repeat", "contract", "Project", "项目"),
    q("calculate", "contract_no", calculation="position(..)"),
    q("note", "contract_heading", "Project ${contract_no}", "第${contract_no}个项目"),
    q("text", "project_name", "Name of the project", "项目名称", required="yes"),
    q("select_one purchaser", "purchaser", "Government body that purchased the service",
      "购买服务的政府部门或单位", required="yes"),
    q("integer", "contract_year", "Year the contract was signed", "合同签订年份", required="yes",
      constraint=". >= 2013 and . <= number(format-date(today(), '%Y'))",
      msg_en="The year must be between 2013 and this year.",
      msg_zh="签订年份应在2013年至今年之间。"),
    q("decimal", "amount", "Contract value (10,000 yuan)", "合同金额（万元）", required="yes",
      constraint=". > 0 and . < 100000", msg_en="Enter an amount greater than 0, in 10,000 yuan.",
      msg_zh="请填写大于0的金额，单位为万元。"),
    q("integer", "duration_months", "Duration of the project (months)", "项目周期（月）",
      constraint=". >= 1 and . <= 60", msg_en="Enter 1 to 60 months.", msg_zh="请填写1至60个月。"),
    q("select_one procurement", "procurement", "How was the contract awarded?",
      "项目是通过何种方式获得的？"),
    q("select_one yes_no", "paid_on_time", "Were the funds paid on schedule?",
      "项目资金是否按合同约定时间拨付？"),
    q("integer", "delay_months", "By how many months was payment delayed?",
      "资金拨付延迟了几个月？", relevant="${paid_on_time} = 'no'", required="yes",
      constraint=". >= 1", msg_en="A delay is at least one month.", msg_zh="延迟时间至少为1个月。"),
    q("end repeat", ""),
    q("calculate", "n_contracts", calculation="count(${contract})"),
    q("calculate", "total_amount", calculation="sum(${amount})"),
    q("note", "total_note", "Projects recorded: ${n_contracts}; total value: ${total_amount} "
      "(10,000 yuan).", "已记录项目${n_contracts}个，合同总金额${total_amount}万元。"),
    q("select_multiple challenge or_other", "challenges",
      "Main difficulties in carrying out these projects", "承接项目过程中遇到的主要困难",
      hint_en="Select all that apply.", hint_zh="可多选。",
      constraint="not(selected(., 'none') and count-selected(.) > 1)",
      msg_en="'No particular difficulties' cannot be combined with other answers.",
      msg_zh="“没有明显困难”不能与其他选项同时选择。"),
    q("select_one satisfaction", "satisfaction",
      "Overall, how satisfied is the organisation with its cooperation with government?",
      "总体而言，贵机构对与政府合作的满意程度如何？", appearance="likert"),
    q("end group", ""),
    q("select_one role", "respondent_role", "Respondent's position in the organisation",
      "受访者在机构中的职务", relevant="${consent} = 'yes'"),
    q("text", "comments", "Anything else the respondent wants to add",
      "受访者希望补充的其他情况", relevant="${consent} = 'yes'", appearance="multiline"),
]

CHOICES: list[tuple[str, str, str, str, str]] = [
    ("yes_no", "yes", "Yes", "是", ""),
    ("yes_no", "no", "No", "否", ""),
    ("org_type", "social_group", "Social group (association)", "社会团体", ""),
    ("org_type", "social_service", "Social service organisation (private non-enterprise unit)",
     "社会服务机构（民办非企业单位）", ""),
    ("org_type", "foundation", "Foundation", "基金会", ""),
    ("org_type", "business", "Registered as a company", "工商注册", ""),
    ("org_type", "unregistered", "Not registered", "未登记注册", ""),
    ("province", "yunnan", "Yunnan", "云南省", ""),
    ("province", "guangdong", "Guangdong", "广东省", ""),
    ("province", "sichuan", "Sichuan", "四川省", ""),
    ("province", "henan", "Henan", "河南省", ""),
    ("province", "beijing", "Beijing", "北京市", ""),
    ("city", "kunming", "Kunming", "昆明市", "yunnan"),
    ("city", "dali", "Dali", "大理白族自治州", "yunnan"),
    ("city", "honghe", "Honghe", "红河哈尼族彝族自治州", "yunnan"),
    ("city", "guangzhou", "Guangzhou", "广州市", "guangdong"),
    ("city", "shenzhen", "Shenzhen", "深圳市", "guangdong"),
    ("city", "dongguan", "Dongguan", "东莞市", "guangdong"),
    ("city", "chengdu", "Chengdu", "成都市", "sichuan"),
    ("city", "liangshan", "Liangshan", "凉山彝族自治州", "sichuan"),
    ("city", "zhengzhou", "Zhengzhou", "郑州市", "henan"),
    ("city", "zhoukou", "Zhoukou", "周口市", "henan"),
    ("city", "beijing_city", "Beijing (municipality)", "北京市辖区", "beijing"),
    ("sector", "disability_children", "Children with disabilities", "残障儿童康复与融合教育", ""),
    ("sector", "hiv", "HIV/AIDS prevention and care", "艾滋病防治与关怀", ""),
    ("sector", "migrants", "Migrant workers and their families", "流动人口及其家庭服务", ""),
    ("sector", "elderly", "Elderly care", "养老服务", ""),
    ("sector", "community", "Community services", "社区服务", ""),
    ("purchaser", "civil_affairs", "Civil affairs bureau", "民政局", ""),
    ("purchaser", "street_office", "Street office or township government", "街道办事处或乡镇政府",
     ""),
    ("purchaser", "disabled_federation", "Disabled Persons' Federation", "残疾人联合会", ""),
    ("purchaser", "health", "Health commission or CDC", "卫生健康委员会或疾控中心", ""),
    ("purchaser", "womens_federation", "Women's Federation", "妇女联合会", ""),
    ("purchaser", "youth_league", "Communist Youth League", "共青团", ""),
    ("purchaser", "other_gov", "Other government body", "其他政府部门", ""),
    ("procurement", "open_tender", "Open tender", "公开招标", ""),
    ("procurement", "negotiation", "Competitive negotiation or consultation", "竞争性谈判或磋商",
     ""),
    ("procurement", "single_source", "Single-source procurement", "单一来源采购", ""),
    ("procurement", "venture", "Venture philanthropy competition", "公益创投", ""),
    ("procurement", "direct", "Direct commission without a procedure", "直接委托", ""),
    ("procurement", "dont_know", "Don't know", "不清楚", ""),
    ("challenge", "late_payment", "Late payment of funds", "资金拨付滞后", ""),
    ("challenge", "evaluation_burden", "Heavy evaluation and reporting", "评估考核和材料负担重",
     ""),
    ("challenge", "short_term", "Projects too short", "项目周期短，难以持续", ""),
    ("challenge", "low_overhead", "Too little for staff and overhead", "人员和管理费用比例过低",
     ""),
    ("challenge", "invoices", "Invoice and tax requirements", "发票和税务要求", ""),
    ("challenge", "none", "No particular difficulties", "没有明显困难", ""),
    ("satisfaction", "5", "Very satisfied", "非常满意", ""),
    ("satisfaction", "4", "Satisfied", "比较满意", ""),
    ("satisfaction", "3", "Neutral", "一般", ""),
    ("satisfaction", "2", "Dissatisfied", "不太满意", ""),
    ("satisfaction", "1", "Very dissatisfied", "很不满意", ""),
    ("role", "director", "Director or deputy director", "负责人（理事长、主任或副职）", ""),
    ("role", "project_staff", "Project manager or officer", "项目主管或项目官员", ""),
    ("role", "finance", "Finance staff", "财务人员", ""),
    ("role", "other_role", "Other", "其他", ""),
]


def build(path: Path) -> Path:
    book = Workbook()
    bold = Font(bold=True)
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_HEADER)
    for row in SURVEY:
        survey.append([row.get(h, "") or None for h in SURVEY_HEADER])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", f"label::{EN}", f"label::{ZH}", "province"])
    for list_name, name, en, zh, province in CHOICES:
        choices.append([list_name, name, en, zh, province or None])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(["NGO government purchase-of-service contracting survey "
                     "社会组织承接政府购买服务调查",
                     "ngo_contracting_survey", "2025010101", EN])
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
    # fixed document properties so the committed file only changes when the form does
    from datetime import datetime

    book.properties.created = book.properties.modified = datetime(2025, 1, 1)
    book.properties.creator = "fieldapp"
    book.save(path)
    return path


if __name__ == "__main__":
    print(build(Path(__file__).with_name("ngo_contracting_survey.xlsx")))
