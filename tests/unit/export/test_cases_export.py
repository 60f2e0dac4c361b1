"""The mixed-methods case table, case attributes beside coded segments, and cases in REFI-QDA:
exported from the fixed study, read back with pandas, openpyxl and lxml (schema-validated)."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lxml import etree

from fieldapp.analysis.attributes import Choice
from fieldapp.services import case_attributes
from fieldapp.services.export import ExportOptions, export
from tests.unit.export.conftest import Study
from tests.unit.export.helpers import all_text, run

HERE = Path(__file__).parent / "refi"
NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def cases(study: Study) -> Study:
    ws, ids = study.ws, study.ids
    case_attributes.define(ws, "budget", "organisation", "number", label_zh="年度预算",
                           label_en="Annual budget")
    case_attributes.define(ws, "registration", "organisation", "choice", choices=[
        Choice("registered", "已登记", "Registered"), Choice("unregistered", "未登记", "No")])
    case_attributes.define(ws, "joined", "participant", "date", label_en="Joined")
    case_attributes.define(ws, "remark", "participant", "text")
    case_attributes.set_value(ws, "budget", ids["org"], "1,200,000.5")
    case_attributes.set_value(ws, "registration", ids["org"], "registered")
    case_attributes.set_value(ws, "joined", ids["KM-HIV-001"], "2019-07-01")
    case_attributes.set_value(ws, "joined", ids["KM-DIS-002"], "2021-01-15")
    # an identifier typed into a text attribute is masked like in any free text
    case_attributes.set_value(ws, "remark", ids["KM-HIV-001"], "call 13812345678 first")
    return study


def _sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name)


def test_case_table_holds_attributes_latest_answers_and_code_counts(cases: Study) -> None:
    path, summary = run(cases, headers="names")
    people = _sheet(path, "Cases (participants)").set_index("participant_code")
    # the withdrawn participant is absent; the others in code order
    assert list(people.index) == ["KM-DIS-002", "KM-HIV-001"]
    assert people.loc["KM-HIV-001", "joined"] == datetime(2019, 7, 1)
    assert "13812345678" not in str(people.loc["KM-HIV-001", "remark"])
    # survey: one complete response each; the latest one's answers
    assert people.loc["KM-HIV-001", "ngo_survey/_responses"] == 1
    assert people.loc["KM-HIV-001", "ngo_survey/org/n_staff"] == 12
    assert people.loc["KM-HIV-001", "ngo_survey/org_name"] == "红丝带"
    assert people.loc["KM-DIS-002", "ngo_survey/org/n_staff"] == 5
    # KM-DIS-002 gave no verbatim-quote consent: the open answer stays out
    assert pd.isna(people.loc["KM-DIS-002", "ngo_survey/org_name"])
    assert people.loc["KM-HIV-001", "ngo_survey/_KEY"] == f"uuid:{cases.ids['r0']}"
    # code counts per case: codings of the case's interviews, children not added to parents
    assert people.loc["KM-HIV-001", "code:Renewal"] == 1
    assert people.loc["KM-HIV-001", "code:Contract management"] == 0
    assert people.loc["KM-DIS-002", "code:Contract management"] == 1
    assert "real_name" not in people.columns

    orgs = _sheet(path, "Cases (organisations)")
    (org,) = orgs.to_dict("records")
    # no participant linked to it consented to naming it: its pseudonym, as on every sheet
    assert org["organisation"] == "ORG-001"
    assert org["budget"] == pytest.approx(1_200_000.5)
    assert org["registration"] == "Registered"
    # its interviews: the one naming it and the one of its participant KM-DIS-002
    assert (org["code:Contract management"], org["code:Renewal"]) == (1, 1)
    text = all_text(path)
    assert "昆明红丝带关爱中心" not in text and "SECRET-WITHDRAWN-MARKER" not in text
    assert {s.key for s in summary.sheets} >= {"cases_organisations", "cases_participants"}


def test_coded_segments_carry_the_case_attributes(cases: Study) -> None:
    path, _summary = run(cases, headers="names")
    codings = _sheet(path, "Codings").set_index("interview_code")
    assert codings.loc["KM-HIV-I001", "budget"] == pytest.approx(1_200_000.5)
    assert codings.loc["KM-HIV-I001", "registration"] == "Registered"
    assert codings.loc["KM-HIV-I001", "joined"] == "2019-07-01"
    assert codings.loc["KM-DIS-I002", "joined"] == "2021-01-15"
    # KM-DIS-I002 names no organisation; its participant's organisation is the case's
    assert codings.loc["KM-DIS-I002", "budget"] == pytest.approx(1_200_000.5)


def test_values_as_codes_and_identifiers_only_when_asked(cases: Study) -> None:
    path, _summary = run(cases, headers="names", values="codes", include_identifiers=True)
    people = _sheet(path, "Cases (participants)").set_index("participant_code")
    assert people.loc["KM-HIV-001", "real_name"] == "张秀英"
    orgs = _sheet(path, "Cases (organisations)")
    assert orgs.loc[0, "registration"] == "registered"


def test_chinese_labels(cases: Study) -> None:
    path, summary = run(cases, language="zh_CN")
    org_sheet = next(s.title for s in summary.sheets if s.key == "cases_organisations")
    orgs = pd.read_excel(path, sheet_name=org_sheet)
    assert "年度预算" in orgs.columns
    assert orgs.loc[0, "年度预算"] == pytest.approx(1_200_000.5)
    assert "已登记" in set(orgs.iloc[0].astype(str))


@pytest.mark.parametrize("fmt", ["stata", "spss", "csv"])
def test_statistics_and_csv_formats_take_the_case_sheets(cases: Study, fmt: str) -> None:
    out = cases.tmp / f"out-{fmt}"
    summary = export(cases.ws, out, ExportOptions(format=fmt))
    keys = {s.key for s in summary.sheets}
    assert {"cases_organisations", "cases_participants"} <= keys
    if fmt == "stata":
        (dta,) = [p for p in out.iterdir() if "organisations" in p.name.lower()
                  and p.suffix == ".dta"]
        frame = pd.read_stata(dta, convert_categoricals=False)
        assert frame["budget"].iloc[0] == pytest.approx(1_200_000.5)


def test_refi_cases_carry_attributes_and_validate(cases: Study) -> None:
    path = cases.tmp / "study.qdpx"
    export(cases.ws, path, ExportOptions(format="qdpx"))
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(HERE / "Project-mrt2019.xsd")))
    assert schema.validate(root), schema.error_log
    variables = {v.get("name"): v for v in root.findall("q:Variables/q:Variable", NS)}
    assert variables["Annual budget"].get("typeOfVariable") == "Float"
    assert variables["Joined"].get("typeOfVariable") == "Date"
    assert variables["registration"].get("typeOfVariable") == "Text"

    def values(case: Any) -> dict[str, str]:
        names = {v.get("guid"): v.get("name") for v in variables.values()}
        out = {}
        for value in case.findall("q:VariableValue", NS):
            ref = value.find("q:VariableRef", NS).get("targetGUID")
            out[names[ref]] = value[1].text
        return out

    cases_by_name = {c.get("name"): c for c in root.findall("q:Cases/q:Case", NS)}
    assert set(cases_by_name) == {"KM-HIV-001", "KM-DIS-002", "ORG-001"}
    person = values(cases_by_name["KM-HIV-001"])
    assert person["Joined"] == "2019-07-01"
    assert "13812345678" not in person["remark"]
    org = cases_by_name["ORG-001"]
    assert values(org) == {"Annual budget": "1200000.5", "registration": "Registered"}
    # the organisation's case refers to the quotable notes of its interviews
    refs = {r.get("targetGUID") for r in org.findall("q:SourceRef", NS)}
    assert cases.ids["n1"] in refs and cases.ids["n2"] not in refs
