"""The coordinator's Collect: merged, duplicate, rejected (with the reason, changing nothing)
and held bundles (confirmed through the interaction seam); the researcher's Send with progress
and pending changes by type; Publish and Receive; and the Team menu's shortcuts."""

from __future__ import annotations

from pathlib import Path

from fieldapp.services import records, sync
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import ScriptedInteraction
from tests.ui.team.conftest import Researchers, area_of, on_ws, table_texts


def participants_of(ctx: AppContext) -> list[str]:
    return sorted(p["code"] for p in on_ws(ctx, lambda ws: records.list_records(ws,
                                                                               "participant")))


def test_collect_shows_merged_then_duplicate(coordinator: MainWindow, ctx: AppContext,
                                             researchers: Researchers) -> None:
    alice = researchers.enrol("alice")
    records.add_participant(alice, code="KM-HIV-001")
    sync.send(alice)
    panel = area_of(coordinator).sync
    coordinator.menu_team.act_sync.trigger()
    assert panel.collect_box.isVisible() and not panel.send_box.isVisible()
    panel.collect_button.click()
    assert table_texts(panel.bundles, 0) == ["Merged"]
    assert table_texts(panel.bundles, 1) == ["alice"]
    assert "1 change applied" in panel.bundles.item(0, 3).text() or \
        "changes applied" in panel.bundles.item(0, 3).text()
    assert participants_of(ctx) == ["KM-HIV-001"]
    # The participants tab heard about it.
    assert coordinator.workspace.participants.model.rowCount() == 1
    panel.collect_button.click()
    assert table_texts(panel.bundles, 0) == ["Already merged"]


def test_a_damaged_bundle_is_rejected_with_its_reason_and_changes_nothing(
        coordinator: MainWindow, ctx: AppContext, researchers: Researchers,
        store_dir: Path) -> None:
    alice = researchers.enrol("alice")
    records.add_participant(alice, code="GZ-DIS-001")
    sent = sync.send(alice)
    path = store_dir / sent.store_path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    panel = area_of(coordinator).sync
    panel.collect_button.click()
    assert table_texts(panel.bundles, 0) == ["Rejected"]
    reason = panel.bundles.item(0, 3).text()
    assert reason and reason != "Rejected"
    assert "Rejected: 1" in panel.status.text()
    assert participants_of(ctx) == []


def test_a_bundle_deleting_most_of_the_data_asks_first(
        coordinator: MainWindow, ctx: AppContext, researchers: Researchers,
        interaction: ScriptedInteraction) -> None:
    alice = researchers.enrol("alice")
    orgs = [records.add_organisation(alice, name_zh=f"机构{i}") for i in range(12)]
    sync.send(alice)
    panel = area_of(coordinator).sync
    panel.collect_button.click()
    for org in orgs:
        records.delete(alice, "organisation", org)
    sync.send(alice)

    interaction.confirm_answers.append(False)  # not now
    panel.collect_button.click()
    kind, _title, text = interaction.shown[-1]
    assert kind == "confirm" and "alice" in text and "12" in text
    assert table_texts(panel.bundles, 0) == ["Held for confirmation"]
    assert len(on_ws(ctx, lambda ws: records.list_records(ws, "organisation"))) == 12

    interaction.confirm_answers.append(True)  # the researcher meant it
    panel.collect_button.click()
    assert table_texts(panel.bundles, 0) == ["Merged"]
    assert on_ws(ctx, lambda ws: records.list_records(ws, "organisation")) == []


def test_the_store_unplugged_is_said_in_the_panel(coordinator: MainWindow, store_dir: Path,
                                                  tmp_path: Path) -> None:
    store_dir.rename(tmp_path / "unplugged")
    panel = area_of(coordinator).sync
    panel.collect_button.click()
    assert "is not there (is the drive connected?)" in panel.status.text()
    assert not panel.busy and panel.collect_button.isEnabled()


def test_publish_then_a_researcher_window_receives(
        coordinator: MainWindow, ctx: AppContext, researchers: Researchers) -> None:
    alice = researchers.enrol("alice")
    org = on_ws(ctx, lambda ws: records.add_organisation(ws, name_zh="星语康复中心"))
    panel = area_of(coordinator).sync
    panel.publish_button.click()
    assert "Published" in panel.status.text()
    report = sync.receive(alice)
    assert report.count("merged") == 1
    assert records.get(alice, "organisation", org)["name_zh"] == "星语康复中心"


def test_menu_shortcuts_reach_the_sync_page(coordinator: MainWindow, researchers: Researchers
                                            ) -> None:
    alice = researchers.enrol("alice")
    records.add_participant(alice, code="KM-MIG-001")
    sync.send(alice)
    area = area_of(coordinator)
    coordinator.workspace.tabs.setCurrentIndex(0)
    coordinator.menu_team.act_collect.trigger()
    assert coordinator.workspace.tabs.currentWidget() is area
    assert area.tabs.currentWidget() is area.sync
    assert table_texts(area.sync.bundles, 0) == ["Merged"]
    coordinator.menu_team.act_send.trigger()  # a coordinator does not send: nothing happens
    coordinator.menu_team.act_conflicts.trigger()
    assert area.tabs.currentWidget() is area.conflicts
