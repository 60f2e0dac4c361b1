"""Progress against targets as real table models (checked with qtmodeltester), the chart,
per-researcher counts and the erasures list with the devices still holding data."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from fieldapp.services import records, sync
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.team.common import TeamState
from fieldapp.ui.team.progress_models import SORT_ROLE, ErasureModel, ProgressModel
from tests.ui.team.conftest import Researchers, area_of, on_ws

TABLE = {
    "cells": {"CD|MIG": {"interviews": 0, "consents": 0, "target": 2},
              "KM|HIV": {"interviews": 3, "consents": 2, "target": 3},
              "|": {"interviews": 1, "consents": 0, "target": 0}},
    "researchers": {"alice": 3, "bob": 1},
}


def test_progress_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    model = ProgressModel()
    qtmodeltester.check(model)
    model.set_table(TABLE)
    qtmodeltester.check(model)
    assert model.rowCount() == 3 and model.columnCount() == 6
    assert model.rowCount(model.index(0, 0)) == 0
    row = next(i for i in range(3) if model.index(i, 0).data() == "KM")
    assert model.index(row, ProgressModel.INTERVIEWS).data() == "3"
    assert model.index(row, ProgressModel.DONE).data() == "100%"
    assert model.index(row, ProgressModel.TARGET).data(SORT_ROLE) == 3
    assert model.index(row, ProgressModel.INTERVIEWS).data(
        Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    blank = next(i for i in range(3) if model.index(i, 0).data() == "—")
    assert model.index(blank, ProgressModel.DONE).data() == "—"
    assert model.headerData(ProgressModel.TARGET, Qt.Orientation.Horizontal) == "Target"
    assert model.index(5, 0).data() is None and not model.flags(QModelIndex())
    model.set_table({})
    qtmodeltester.check(model)


def test_erasure_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    state = TeamState(names={"dev-a": "alice", "dev-b": "bob"})
    model = ErasureModel()
    model.set_status([
        {"order": ["c", 5], "participant_id": "0192abcd-ef", "date": "2026-05-02",
         "confirmed": ["c", "dev-a"], "waiting_for": [("dev-b", "bob")]},
        {"order": ["c", 9], "participant_id": "0192ffff-00", "date": "2026-05-03",
         "confirmed": ["dev-a", "dev-b"], "waiting_for": []},
    ], state)
    qtmodeltester.check(model)
    assert model.index(0, 2).data() == "c and alice"
    assert model.index(0, 3).data() == "bob"
    assert model.index(1, 3).data() == "nobody: erased everywhere"


def test_progress_page_with_targets_researchers_and_a_withdrawal(
        qtbot: Any, coordinator: MainWindow, ctx: AppContext, researchers: Researchers) -> None:
    alice = researchers.enrol("alice")
    on_ws(ctx, lambda ws: records.set_study(
        ws, title_en="Study", targets={"KM|HIV": 3, "CD|MIG": 2},
        sites=[{"code": "KM"}, {"code": "CD"}], sectors=[{"code": "HIV"}, {"code": "MIG"}]))
    pid = records.add_participant(alice, code="KM-HIV-001", site="KM", sector="HIV")
    records.record_consent(alice, pid, form_version="v1", language="zh", method="oral",
                           date_given="2026-05-01", scopes=["audio"])
    records.add_interview(alice, code="KM-HIV-I001", site="KM", sector="HIV",
                          participant_ids=[pid], interviewer="alice")
    sync.send(alice)
    area = area_of(coordinator)
    area.sync.collect_button.click()
    coordinator.menu_team.act_progress.trigger()
    panel = area.progress
    assert panel.model.rowCount() == 2
    assert "1 of 5 interviews" in panel.summary.text()
    assert panel.researchers.index(0, 0).data() == "alice"
    assert panel.chart.sizeHint().height() >= 40 + 30 * 2
    panel.chart.grab()  # paints without warnings

    # A withdrawal: alice's device still holds the data until it confirms.
    on_ws(ctx, lambda ws: records.withdraw_consent(ws, pid, reason="participant_request"))
    panel.reload()
    assert panel.erasures.rowCount() == 1
    assert panel.erasures.index(0, 3).data() == "alice"
    area.sync.publish_button.click()
    sync.receive(alice)
    sync.send(alice)
    area.sync.collect_button.click()
    panel.reload()
    assert panel.erasures.index(0, 3).data() == "nobody: erased everywhere"
    assert "alice" in panel.erasures.index(0, 2).data()
