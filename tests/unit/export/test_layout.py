"""Layout the ecosystem knows: coded segments with coder, date, code path, definition and case
attributes; the qualitative code tree; one time-zone policy (UTC and China Standard Time)."""

from __future__ import annotations

from datetime import timedelta

from fieldapp.services import records
from tests.unit.export.conftest import Study
from tests.unit.export.helpers import records as as_records
from tests.unit.export.helpers import run, sheets


def test_codings_carry_coder_date_definition_and_case_attributes(study: Study) -> None:
    records.update(study.ws, "code", study.ids["child"],
                   {"definition_zh": "合同到期后再签", "definition_en": "Signing again"})
    path, _summary = run(study, headers="names")
    book = sheets(path)
    codings = {r["interview_code"]: r for r in as_records(book["Codings"])}
    row = codings["KM-HIV-I001"]
    assert row["code_path"] == "Contract management › Renewal"
    assert row["code_definition"] == "Signing again"
    assert row["coder"] == "Test"  # the researcher the workspace belongs to
    assert row["coded_at_local"] - row["coded_at"] == timedelta(hours=8)
    assert row["participants"] == "KM-HIV-001" and row["roles"] == "社工 / social worker"
    assert row["organisation"] == "ORG-001"  # no consent to name it
    assert (row["site"], row["sector"]) == ("Kunming", "HIV/AIDS")
    # the survey's times: UTC and local, named
    main = as_records(book["NGO survey"])
    assert main[0]["_created_local"] - main[0]["_created"] == timedelta(hours=8)
    codebook = {(r["sheet"], r["variable"]): r for r in as_records(book["Codebook"])}
    assert codebook[("NGO survey", "_created")]["label_en"] == "Created (UTC)"
    assert codebook[("NGO survey", "_created_local")]["label_en"] == \
        "Created (China Standard Time, UTC+8)"


def test_code_tree_sheet_lists_the_codebook_bilingually(study: Study) -> None:
    path, _summary = run(study, headers="names")
    tree = as_records(sheets(path)["Code tree"])
    assert [(r["level"], r["name_zh"], r["name_en"]) for r in tree] == [
        (1, "合同管理", "Contract management"), (2, "续签", "Renewal")]
    assert tree[1]["parent_id"] == study.ids["code"]
    assert [r["codings"] for r in tree] == [1, 1]  # the withdrawn participant's coding is gone
