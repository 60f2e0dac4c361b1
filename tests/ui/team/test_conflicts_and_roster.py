"""Conflicts settled with a new value or by restoring a record deleted while edited; a lost
device revoked after its last trusted change; the roster's expiry warning."""

from __future__ import annotations

from typing import Any

from fieldapp.services import records, sync
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.team.common import TeamState
from fieldapp.ui.team.setup_dialogs import RevokeDialog
from tests.ui.team.conftest import Researchers, area_of, on_ws, table_texts


def shared_org(ctx: AppContext, researchers: Researchers, coordinator: MainWindow) -> Any:
    alice = researchers.enrol("alice")
    org = on_ws(ctx, lambda ws: records.add_organisation(ws, name_zh="星语康复中心",
                                                         name_en="Star Centre"))
    area_of(coordinator).sync.publish_button.click()
    sync.receive(alice)
    return alice, org


def test_a_new_value_settles_a_field_conflict(coordinator: MainWindow, ctx: AppContext,
                                              researchers: Researchers) -> None:
    alice, org = shared_org(ctx, researchers, coordinator)
    records.update(alice, "organisation", org, {"name_zh": "星语中心"})
    on_ws(ctx, lambda ws: records.update(ws, "organisation", org, {"name_zh": "星语康复"}))
    sync.send(alice)
    area = area_of(coordinator)
    area.sync.collect_button.click()
    coordinator.menu_team.act_conflicts.trigger()
    panel = area.conflicts
    assert panel.list.count() == 1 and len(panel.radios) == 2
    assert not panel.new_button.isEnabled()
    panel.new_value.setText("星语康复中心（昆明）")
    panel.new_button.click()
    assert panel.list.count() == 0
    assert on_ws(ctx, lambda ws: records.get(ws, "organisation", org))["name_zh"] == \
        "星语康复中心（昆明）"
    assert "No open conflicts" in panel.count.text()


def test_a_record_deleted_while_edited_can_be_restored(coordinator: MainWindow, ctx: AppContext,
                                                       researchers: Researchers) -> None:
    alice, org = shared_org(ctx, researchers, coordinator)
    records.update(alice, "organisation", org, {"name_en": "Star Language Centre"})
    on_ws(ctx, lambda ws: records.delete(ws, "organisation", org))
    sync.send(alice)
    area = area_of(coordinator)
    area.sync.collect_button.click()
    coordinator.menu_team.act_conflicts.trigger()
    panel = area.conflicts
    assert panel.list.count() == 1 and "deleted" in panel.list.item(0).text()
    assert panel.restore.isVisible() and panel.keep_deleted.isVisible()
    assert not panel.keep_button.isVisible()
    assert any("alice" in r.text() for r in panel.radios)
    panel.restore.click()
    assert panel.list.count() == 0
    assert on_ws(ctx, lambda ws: records.find(ws, "organisation", org)) is not None


def test_revoking_a_lost_device(qtbot: Any, coordinator: MainWindow, ctx: AppContext,
                                researchers: Researchers) -> None:
    alice = researchers.enrol("alice")
    records.add_participant(alice, code="ZZ-MIG-001")
    sync.send(alice)
    area = area_of(coordinator)
    area.sync.collect_button.click()
    trusted = alice.last_seq
    records.add_participant(alice, code="ZZ-MIG-002")  # made by whoever has the laptop now
    sync.send(alice)
    page = area.team
    coordinator.menu_team.act_members.trigger()
    assert not page.revoke_button.isEnabled()
    page.device_table.selectRow(0)
    page.revoke_button.click()
    dialog = page.dialog
    assert isinstance(dialog, RevokeDialog)
    assert dialog.seq.value() == trusted and f"#{trusted}" in dialog.explain.text()
    dialog.ok_button.click()
    assert table_texts(page.device_table, 2) == ["revoked"]
    assert table_texts(page.device_table, 3) == [f"#{trusted}"]
    area.sync.collect_button.click()
    assert table_texts(area.sync.bundles, 0) in (["Rejected"], ["Quarantined"])
    codes = {p["code"] for p in on_ws(ctx, lambda ws: records.list_records(ws, "participant"))}
    assert codes == {"ZZ-MIG-001"}


def test_roster_expiry_is_shown(coordinator: MainWindow) -> None:
    page = area_of(coordinator).team
    assert not page.expiry.isVisibleTo(page)
    page.set_state(TeamState(role="coordinator", team_name="T", expiry_warning=(
        "The team roster expires in 12 days (2026-06-01). Ask the team's root key holder to "
        "renew it.")))
    assert page.expiry.isVisibleTo(page) and "12 days" in page.expiry.text()
