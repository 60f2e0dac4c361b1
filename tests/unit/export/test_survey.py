"""Survey sheets: repeats linked by index columns, select_multiple as joined + 0/1 columns,
codes or labels, names or labels as headers; read back by pandas with the expected dtypes."""

from __future__ import annotations

import pandas as pd
import pytest

from fieldapp.services import surveys
from tests.unit.export.conftest import Study, write_form
from tests.unit.export.helpers import records, run, sheets


def test_repeat_rows_link_to_their_response(study: Study) -> None:
    path, _summary = run(study, headers="names", values="codes")
    book = sheets(path)
    main = records(book["NGO survey"])
    contracts = records(book["NGO survey-contract"])
    assert [r["_index"] for r in main] == [1, 2, 3]
    assert [(r["_index"], r["_parent_index"], r["contract/funder"], r["contract/amount"])
            for r in contracts] == [(1, 1, "民政局", 20), (2, 1, "=CDC", 8.5)]
    assert {r["_parent_table"] for r in contracts} == {"NGO survey"}
    assert contracts[0]["_response_id"] == main[0]["_response_id"] == study.ids["r0"]


def test_select_multiple_joined_and_one_column_per_choice(study: Study) -> None:
    path, _summary = run(study, headers="names", values="codes")
    main = records(sheets(path)["NGO survey"])
    assert [r["sectors"] for r in main] == ["hiv mig", "dis", None]
    assert [(r["sectors/hiv"], r["sectors/dis"], r["sectors/mig"]) for r in main] == [
        (1, 0, 1), (0, 1, 0), (None, None, None)]  # blank when unanswered
    assert [r["org/registered"] for r in main] == ["yes", "no", None]
    assert main[0]["org/n_staff"] == 12 and main[0]["_status"] == "complete"


def test_pandas_reads_shapes_and_dtypes(study: Study) -> None:
    path, _summary = run(study, headers="names", values="codes")
    frames = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    main, contracts = frames["NGO survey"], frames["NGO survey-contract"]
    assert main.shape == (3, 28) and contracts.shape == (2, 8)  # + review columns on the main
    assert main["_index"].dtype == "int64"
    assert main["org/n_staff"].dtype == "float64"  # a blank makes pandas use floats
    assert main["org/budget"].dtype == "float64"
    assert str(main["founded"].dtype).startswith("datetime64")
    assert str(main["_created"].dtype).startswith("datetime64")
    assert contracts["contract/amount"].tolist() == [20.0, 8.5]
    interviews = frames["Interviews"]
    assert interviews.shape == (2, 14)
    assert str(interviews["date"].dtype).startswith("datetime64")
    assert interviews["notes"].dtype == "int64"
    notes = frames["Notes"]
    assert notes.shape[0] == 9


def test_pandas_reads_the_csv_files(study: Study) -> None:
    path, _summary = run(study, "csv", format="csv", headers="names", values="codes")
    main = pd.read_csv(path / "NGO survey.csv", encoding="utf-8-sig")
    assert main.shape == (3, 28)
    assert main["org/budget"].tolist()[0] == 35.5
    assert main["founded"].tolist()[0] == "2015-06-01"
    contracts = pd.read_csv(path / "NGO survey-contract.csv", encoding="utf-8-sig")
    assert contracts["contract/funder"].tolist() == ["民政局", "'=CDC"]


def test_versions_merge_into_one_sheet_per_form_with_stable_keys(study: Study) -> None:
    form = write_form(study.tmp / "v2.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(form)
    book["settings"]["B2"] = "2026060101"
    book["survey"].append(["integer", "volunteers", "Volunteers", "志愿者人数", None])
    book.save(form)
    v2 = surveys.import_instrument(study.ws, form)
    new = surveys.add_response_from_answers(study.ws, v2, {"org_name": "新版本", "volunteers": 9},
                                            site="GZ", researcher="Anna")
    path, summary = run(study, headers="names")
    titles = list(sheets(path))
    assert [t for t in titles if t.startswith("NGO")] == ["NGO survey", "NGO survey-contract"]
    main = records(sheets(path)["NGO survey"])
    assert [r["_version"] for r in main] == ["2026050101"] * 3 + ["2026060101"]
    by_id = {r["_response_id"]: r for r in main}
    assert by_id[new]["volunteers"] == 9 and by_id[study.ids["r0"]]["volunteers"] is None
    assert by_id[new]["KEY"] == f"uuid:{new}"
    assert summary.sheets[0].rows == 4 and summary.sheets[0].key == "survey:ngo_survey"
    # the same repeat row has the same KEY whatever the filter; _index does not
    contracts = records(sheets(path)["NGO survey-contract"])
    keys = [(r["KEY"], r["PARENT_KEY"]) for r in contracts]
    r0 = study.ids["r0"]
    assert keys == [(f"uuid:{r0}/contract[1]", f"uuid:{r0}"),
                    (f"uuid:{r0}/contract[2]", f"uuid:{r0}")]
    path2, _summary = run(study, "only_v2.xlsx", headers="names",
                          filters=_filters(instruments={v2}))
    only = records(sheets(path2)["NGO survey"])
    assert [r["KEY"] for r in only] == [f"uuid:{new}"] and only[0]["_index"] == 1


@pytest.mark.parametrize(("filters", "interviews", "responses"), [
    ({"sites": {"KM"}}, 2, 3),
    ({"sectors": {"DIS"}}, 1, 1),
    ({"researchers": {"Anna"}}, 1, 1),
    ({"interview_statuses": {"coded"}}, 1, 3),
    ({"statuses": {"draft"}}, 2, 0),
    ({"instruments": {"ngo_survey"}}, 2, 3),
    ({"instruments": {"other_form"}}, 2, None),
])
def test_filters(study: Study, filters: dict[str, set[str]], interviews: int,
                 responses: int | None) -> None:
    _path, summary = run(study, filters=_filters(**filters))
    rows = {s.key: s.rows for s in summary.sheets}
    assert rows["interviews"] == interviews
    if responses is None:
        assert not any(k.startswith("survey:") for k in rows)
    else:
        assert rows["survey:ngo_survey"] == responses


def test_date_filter(study: Study) -> None:
    from datetime import date

    _path, summary = run(study, filters=_filters(date_from=date(2026, 4, 3),
                                                 date_to=date(2026, 4, 30)))
    rows = {s.key: s.rows for s in summary.sheets}
    assert rows["interviews"] == 1 and rows["notes"] == 1
    assert rows["survey:ngo_survey"] == 0  # completed today, outside the range


def _filters(**kwargs: object):  # type: ignore[no-untyped-def]
    from fieldapp.export.options import Filters

    return Filters(**{k: frozenset(v) if isinstance(v, set) else v for k, v in kwargs.items()})
