"""Joining shows the root key's fingerprint to compare and refuses a mistyped key at once;
leaving the team is on the Team page and keeps every record. In English and in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldapp import i18n
from fieldapp.i18n import _
from fieldapp.services import records, team
from fieldapp.store.workspace import Workspace
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.team.setup_dialogs import JoinTeamDialog
from tests.ui.conftest import PASSPHRASE, ScriptedInteraction, type_text
from tests.ui.team.conftest import area_of, on_ws

LANGS = ["en", "zh_CN"]


@pytest.fixture
def other_coordinator(tmp_path: Path, store_dir: Path) -> Iterator[Workspace]:
    """The coordinator's laptop: another workspace, with the team, on the same shared folder."""
    ws, _key = Workspace.initialise(tmp_path / "coordinator-laptop", PASSPHRASE,
                                    researcher="王老师")
    team.create_team(ws, team_name="福利外包研究", coordinator_name="王老师",
                     store=team.StoreConfig(str(store_dir)))
    yield ws
    ws.close()


def switch(window: MainWindow, lang: str) -> None:
    (window.act_lang_zh if lang == "zh_CN" else window.act_lang_en).trigger()
    assert i18n.current_language() == lang


@pytest.mark.parametrize("lang", LANGS)
def test_join_page_shows_the_root_fingerprint_and_catches_a_typo(
        qtbot: Any, unlocked: MainWindow, ctx: AppContext, store_dir: Path,
        other_coordinator: Workspace, lang: str) -> None:
    switch(unlocked, lang)
    invite = team.invitation(other_coordinator)
    area = area_of(unlocked)
    unlocked.menu_team.act_members.trigger()
    area.team.join_button.click()
    join = area.team.dialog
    assert isinstance(join, JoinTeamDialog)
    assert join.root_fp_label.text() == _("Root key fingerprint")
    if lang == "zh_CN":
        assert join.root_fp_label.text() != "Root key fingerprint"  # an existing translation
    join.team_id.setText(invite["team_id"])
    key = invite["root_key"]
    typo = key[:12] + ("x" if key[12] != "x" else "y") + key[13:]
    join.root_key.setText(typo)
    assert join.root_fp.text() == "—"
    assert join.root_fp_hint.text() == _(
        "The root key or the team ID has a typing error: its check code does not match. "
        "Copy both again from the invitation; nothing was changed.")
    assert not join.root_same.isEnabled()
    type_text(qtbot, join.your_name, "李研究员")
    join.store.folder.setText(str(store_dir))
    join.ok_button.click()
    assert on_ws(ctx, team.role) == ""  # refused before anything was saved
    # The right key: its fingerprint is the coordinator's, shown big to compare.
    join.root_key.setText(key)
    assert join.root_fp.text() == invite["root_fingerprint"]
    assert join.root_fp.font().pointSize() >= 20
    join.ok_button.click()  # not yet compared
    assert join.problem.text() == _("Compare the root key fingerprint with the one your "
                                    "coordinator reads out, then tick the box.")
    assert on_ws(ctx, team.role) == ""
    join.root_same.setChecked(True)
    join.ok_button.click()
    assert area.state.is_researcher
    # The Team page keeps showing the root fingerprint, to compare again at any time.
    assert area.team.device_root_fp.text() == invite["root_fingerprint"]
    assert area.team.device_root_fp.isVisible()
    i18n.set_language("en")


@pytest.mark.parametrize("lang", LANGS)
def test_leave_the_team_from_the_team_page_keeping_every_record(
        unlocked: MainWindow, ctx: AppContext, store_dir: Path, other_coordinator: Workspace,
        interaction: ScriptedInteraction, lang: str) -> None:
    invite = team.invitation(other_coordinator)
    fp = on_ws(ctx, lambda ws: team.request_to_join(
        ws, team_id=invite["team_id"], root_key=invite["root_key"], researcher="李研究员",
        store=team.StoreConfig(str(store_dir))))
    device = on_ws(ctx, lambda ws: ws.device_id)
    team.approve(other_coordinator, device, fp)
    on_ws(ctx, team.refresh_roster)
    pid = on_ws(ctx, lambda ws: records.add_participant(ws, code="KM-HIV-401"))
    area = area_of(unlocked)
    area.reload()
    switch(unlocked, lang)
    unlocked.menu_team.act_members.trigger()
    page = area.team
    assert page.leave_box.isVisible() and page.leave_button.isEnabled()
    assert page.leave_button.text() == _("Leave the team…")
    interaction.confirm_answers.append(False)  # changed their mind
    page.leave_button.click()
    assert on_ws(ctx, team.role) == team.ROLE_RESEARCHER
    interaction.confirm_answers.append(True)
    page.leave_button.click()
    title, text = interaction.shown[-1][1:]
    assert title == _("Leave the team") and "福利外包研究" in text
    assert on_ws(ctx, team.role) == ""
    assert area.state.role == "" and page.start_box.isVisible()
    assert not page.leave_box.isVisible()
    assert page.message.text().startswith(_("This workspace has left the team. Every record "
                                            "stays here."))
    assert on_ws(ctx, lambda ws: records.find(ws, "participant", pid)) is not None
    i18n.set_language("en")


def test_the_root_key_holder_is_told_what_leaving_loses(
        coordinator: MainWindow, ctx: AppContext, interaction: ScriptedInteraction) -> None:
    page = area_of(coordinator).team
    coordinator.menu_team.act_members.trigger()
    assert page.leave_box.isVisible()
    interaction.confirm_answers.append(False)
    page.leave_button.click()
    assert "root key" in interaction.shown[-1][2]
    assert on_ws(ctx, team.role) == team.ROLE_COORDINATOR
    assert on_ws(ctx, team.holds_root_key)


@pytest.mark.parametrize("lang", LANGS)
def test_creating_on_a_missing_folder_saves_nothing_and_the_retry_works(
        qtbot: Any, unlocked: MainWindow, ctx: AppContext, tmp_path: Path, lang: str) -> None:
    from fieldapp.ui.team.setup_dialogs import CreateTeamDialog

    switch(unlocked, lang)
    area = area_of(unlocked)
    unlocked.menu_team.act_members.trigger()
    area.team.create_button.click()
    create = area.team.dialog
    assert isinstance(create, CreateTeamDialog)
    type_text(qtbot, create.team_name, "福利外包研究")
    type_text(qtbot, create.your_name, "王老师")
    folder = tmp_path / "U盘" / "team"
    create.store.folder.setText(str(folder))
    create.ok_button.click()
    expected = _("The shared folder {path} is not there (is the drive connected?).").format(
        path=str(folder))
    assert create.problem.text() == expected  # its own message, not "something went wrong"
    assert on_ws(ctx, team.role) == "" and create.ok_button.isEnabled()
    folder.mkdir(parents=True)
    create.ok_button.click()
    assert area.state.is_coordinator and area.state.team_name == "福利外包研究"
    assert (folder / "roster" / "roster.json").exists()
    i18n.set_language("en")
