"""The Surveys view's item models on their own, checked with qtmodeltester, and the filters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from fieldapp import i18n
from fieldapp.ui.survey.responses_model import (
    ID_ROLE,
    INSTRUMENT_COLUMNS,
    KEY_ROLE,
    RESPONSE_COLUMNS,
    ResponseFilter,
    RowsModel,
)


def response(rid: str, **kw: Any) -> dict[str, Any]:
    row = {"id": rid, "instrument_id": "i1", "status": "draft", "version": "1", "site": "KM",
           "researcher": "林晓", "completed_at": "", "form_id": "ngo", "title_zh": "机构调查",
           "title_en": "NGO survey", "participant": "", "organisation_zh": "",
           "organisation_en": ""}
    row.update(kw)
    return row


ROWS = [
    response("r1"),
    response("r2", status="complete", completed_at="2026-05-01T08:30:00", site="GZ",
             participant="GZ-MIG-003", organisation_zh="新市民之家", organisation_en="New Citizens"),
    response("r3", instrument_id="i2", version="2", researcher="Anna"),
]


def test_instrument_model(qtmodeltester: Any) -> None:
    model = RowsModel(INSTRUMENT_COLUMNS)
    model.set_rows([{"id": "i1", "form_id": "ngo", "version": "1", "title_zh": "机构调查",
                     "title_en": "NGO survey", "responses": 3}])
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == \
        ["Instrument", "Form id", "Version", "Responses"]
    assert model.index(0, 0).data() == "NGO survey"
    i18n.set_language("zh_CN")
    assert model.index(0, 0).data() == "机构调查"
    i18n.set_language("en")


def test_response_model_columns_and_roles(qtmodeltester: Any) -> None:
    model = RowsModel(RESPONSE_COLUMNS)
    model.set_rows(ROWS)
    qtmodeltester.check(model)
    assert [c.key for c in model.columns] == ["instrument", "version", "linked", "site",
                                              "researcher", "status", "completed", "review"]
    assert model.index(0, model.column("review")).data() == ""
    r2 = model.index(1, model.column("linked"))
    assert r2.data() == "GZ-MIG-003 · New Citizens"
    assert r2.data(ID_ROLE) == "r2"
    status = model.index(1, model.column("status"))
    assert status.data() == "Complete" and status.data(KEY_ROLE) == "complete"
    assert model.index(0, model.column("completed")).data() == ""
    assert "2026" in model.index(1, model.column("completed")).data()
    model.clear()
    assert model.rowCount() == 0


def test_filters(qtmodeltester: Any) -> None:
    model = RowsModel(RESPONSE_COLUMNS)
    model.set_rows(ROWS)
    proxy = ResponseFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)

    def ids() -> list[str]:
        return sorted(proxy.index(r, 0).data(ID_ROLE) for r in range(proxy.rowCount()))

    assert ids() == ["r1", "r2", "r3"]
    proxy.set_filter("instrument_id", "i1")
    assert ids() == ["r1", "r2"]
    proxy.set_filter("site", "KM")
    assert ids() == ["r1"]
    proxy.set_filter("site", "")
    proxy.set_filter("status", "complete")
    assert ids() == ["r2"]
    proxy.set_filter("status", None)
    proxy.set_filter("instrument_id", "")
    proxy.set_filter("researcher", "Anna")
    assert ids() == ["r3"]
    qtmodeltester.check(proxy)
