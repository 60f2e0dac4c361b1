"""The item models on their own, checked with Qt's model tester."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt

from fieldapp.services.search import SearchResult
from fieldapp.ui.models.codebook import CodebookModel
from fieldapp.ui.models.interviews import COLUMN, COLUMNS, InterviewFilter, InterviewTableModel
from fieldapp.ui.models.records import RecordTableModel
from fieldapp.ui.models.search import SearchResultModel, ShownResult, find_spans
from fieldapp.ui.views.participants import COLUMNS as PARTICIPANT_COLUMNS


def interview(n: int, **values: Any) -> dict[str, Any]:
    return {"id": f"id{n}", "code": f"INT-{n:03d}", "title": "", "site": "昆明", "sector": "HIV",
            "interviewer": "林", "status": "done", "date": f"2026-05-{n:02d}", **values}


def test_interview_model_columns_and_tester(qtmodeltester: Any) -> None:
    model = InterviewTableModel()
    model.set_rows([interview(1), interview(2, site="成都", status="planned")])
    qtmodeltester.check(model, force_py=True)
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(COLUMNS))][:3] == \
        ["Interview code", "Date", "Title"]
    assert model.index(1, COLUMN["status"]).data() == "Planned"
    assert "2026" in model.index(0, COLUMN["date"]).data()
    model.update_record("id2", {"code": "CD-HIV-002"})
    assert model.index(1, COLUMN["code"]).data() == "CD-HIV-002"
    model.clear()
    qtmodeltester.check(model, force_py=True)


def test_interview_filter_and_sort(qtmodeltester: Any) -> None:
    model = InterviewTableModel()
    model.set_rows([interview(n, site="昆明" if n % 2 else "成都") for n in range(1, 11)])
    proxy = InterviewFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_criterion("site", "成都")
    assert proxy.rowCount() == 5
    proxy.set_dates(date(2026, 5, 5), date(2026, 5, 8))
    assert proxy.rowCount() == 2  # the 6th and the 8th
    proxy.set_criterion("site", "")
    proxy.set_dates(None, None)
    proxy.sort(COLUMN["date"], Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, COLUMN["code"]).data() == "INT-010"


def test_record_and_search_and_codebook_models(qtmodeltester: Any) -> None:
    people = RecordTableModel(PARTICIPANT_COLUMNS)
    people.set_rows([{"id": "p1", "code": "KM-HIV-001", "role": "社工", "organisation_zh": "红丝带",
                      "organisation_en": "", "site": "昆明", "consent_status": "given"}])
    qtmodeltester.check(people, force_py=True)
    assert people.index(0, 4).data() == "Consent given"

    results = SearchResultModel()
    hit = SearchResult("n1", "transcript", "", "i1", "INT-001", "", "…谈到艾滋病防治…", 10, 12)
    results.set_results([ShownResult(hit, find_spans(hit.snippet, "艾滋"))])
    qtmodeltester.check(results, force_py=True)
    assert "<b" in results.index(0, 0).data(Qt.ItemDataRole.UserRole + 1)

    codes = CodebookModel()
    codes.set_codes([
        {"id": "a", "name_zh": "政府购买服务", "name_en": "Government purchase", "parent_id": None,
         "colour": "#e67e22", "sort_order": 0, "definition_zh": "", "definition_en": "def"},
        {"id": "b", "name_zh": "招投标", "name_en": "Bidding", "parent_id": "a",
         "colour": "#f0b27a", "sort_order": 1, "definition_zh": "", "definition_en": ""},
    ])
    qtmodeltester.check(codes, force_py=True)
    assert codes.item(0).text() == "Government purchase"
    assert codes.item(0).child(0).text() == "Bidding"


def test_find_spans_maps_back_through_folding() -> None:
    assert find_spans("…谈到艾滋病…", "艾滋") == ((3, 5),)
    assert find_spans("ＨＩＶ and Contract", "contract") == ((8, 16),)
