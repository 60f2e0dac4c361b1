"""Review of submissions: a coordinator's verdict travels to the researcher through a real
bundle; edits after completion keep a corrections log; exports carry the review state."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.services import records, surveys
from fieldapp.store.errors import InvalidInput
from fieldapp.store.workspace import Workspace

MD = """
| survey |
| | type | name | label |
| | integer | staff | Staff |
| | begin repeat | contract | Contract |
| | text | funder | Funder |
| | end repeat | | |
| settings |
| | form_title | form_id | version |
| | Review | review_form | 1 |
"""


def _complete(ws: Workspace, tmp_path: Path) -> str:
    form = tmp_path / "review.md"
    form.write_text(MD, encoding="utf-8")
    iid = surveys.import_instrument(ws, form)
    return surveys.add_response_from_answers(
        ws, iid, {"staff": 12, "contract": [{"funder": "民政局"}]})


def test_review_states_and_their_rules(ws: Workspace, tmp_path: Path) -> None:
    rid = _complete(ws, tmp_path)
    with pytest.raises(InvalidInput):
        surveys.review_response(ws, rid, "has_issues")  # says nothing about what to fix
    with pytest.raises(InvalidInput):
        surveys.review_response(ws, rid, "maybe", "?")
    surveys.review_response(ws, rid, "has_issues", "员工人数与年报不符，请核实")
    surveys.review_response(ws, rid, "approved")
    assert [r["state"] for r in surveys.reviews_of(ws, rid)] == ["has_issues", "approved"]
    assert surveys.latest_reviews(ws)[rid]["state"] == "approved"
    draft = surveys.new_response(ws, records.get(ws, "response", rid)["instrument_id"])
    with pytest.raises(InvalidInput):
        surveys.review_response(ws, draft, "approved")
    assert any(a["action"] == "response.review" for a in ws.audit_log())


def test_edits_after_completion_are_logged(ws: Workspace, tmp_path: Path) -> None:
    rid = _complete(ws, tmp_path)
    surveys.save_draft(ws, rid, {"staff": 15, "contract": [{"funder": "卫健委"}]})
    log = [(c["address"], c["old"], c["new"], c["by"]) for c in surveys.corrections_of(ws, rid)]
    assert log == [("contract[1]/funder", "民政局", "卫健委", "Test"), ("staff", 12, 15, "Test")]
    assert all(c["at"] for c in surveys.corrections_of(ws, rid))
    assert records.get(ws, "response", rid)["status"] == surveys.DRAFT
    # a draft never completed keeps no log
    other = surveys.new_response(ws, records.get(ws, "response", rid)["instrument_id"])
    surveys.save_draft(ws, other, {"staff": 3})
    assert surveys.corrections_of(ws, other) == []


def test_export_carries_the_review_state(ws: Workspace, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from fieldapp.services.export import ExportOptions, export

    rid = _complete(ws, tmp_path)
    surveys.review_response(ws, rid, "rejected", "受访者不在调研点")
    surveys.save_draft(ws, rid, {"staff": 13, "contract": [{"funder": "民政局"}]})
    out = tmp_path / "out.xlsx"
    export(ws, out, ExportOptions(headers="names", values="codes", include_identifiers=False))
    book = load_workbook(out, read_only=True)
    sheet = next(s for s in book.worksheets if s.title.startswith("Review"))
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    row = dict(zip(rows[0], rows[1], strict=False))
    assert row["_review"] == "rejected"
    assert row["_review_comment"] == "受访者不在调研点"
    assert row["_corrections"] == 1


def test_a_review_travels_to_the_researcher_and_the_fix_comes_back(tmp_path: Path) -> None:
    from contextlib import ExitStack

    from fieldapp.services import sync
    from tests.unit.sync_flow.test_team_sync import Team

    with ExitStack() as stack:
        (tmp_path / "team").mkdir()
        t = Team(tmp_path / "team", stack)
        alice = t.enrol("alice")
        form = tmp_path / "review.md"
        form.write_text(MD, encoding="utf-8")
        iid = surveys.import_instrument(t.coordinator, form)
        sync.publish(t.coordinator)
        sync.receive(alice)
        rid = surveys.add_response_from_answers(
            alice, iid, {"staff": 12, "contract": [{"funder": "民政局"}]})
        with pytest.raises(InvalidInput):  # a researcher does not review
            surveys.review_response(alice, rid, "approved")
        sync.send(alice)
        sync.collect(t.coordinator)
        surveys.review_response(t.coordinator, rid, "has_issues", "员工人数请与年报核对")
        sync.publish(t.coordinator)
        sync.receive(alice)
        (review,) = surveys.reviews_of(alice, rid)
        assert (review["state"], review["comment"], review["reviewer"]) == (
            "has_issues", "员工人数请与年报核对", "coordinator")
        surveys.save_draft(alice, rid, {"staff": 14, "contract": [{"funder": "民政局"}]})
        state = surveys.form_state(alice, rid)
        surveys.complete(alice, rid, state)
        sync.send(alice)
        sync.collect(t.coordinator)
        (fix,) = surveys.corrections_of(t.coordinator, rid)
        assert (fix["address"], fix["old"], fix["new"], fix["by"]) == ("staff", 12, 14, "alice")
        assert records.get(t.coordinator, "response", rid)["data"]["staff"] == 14
        surveys.review_response(t.coordinator, rid, "approved")
        assert surveys.latest_reviews(t.coordinator)[rid]["state"] == "approved"
