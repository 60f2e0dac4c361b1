"""Two windows, one shared folder: a coordinator and a researcher go through the whole team
workflow with the screens alone — create a team, join, compare fingerprints, approve, send,
collect, a conflict made while apart, its resolution, publish and receive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from fieldapp import i18n
from fieldapp.services import records, session
from fieldapp.ui.app import make_window
from fieldapp.ui.context import build_context
from fieldapp.ui.dialogs.organisation import OrganisationDialog
from fieldapp.ui.dialogs.participant import ParticipantDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.settings import Settings
from fieldapp.ui.team.setup_dialogs import CreateTeamDialog, JoinTeamDialog
from tests.ui.conftest import PASSPHRASE, ScriptedInteraction, type_text
from tests.ui.team.conftest import area_of, on_ws, table_texts


@pytest.fixture
def researcher_window(qtbot: Any, qapp: QApplication, home: Path,
                      tmp_path: Path) -> Iterator[MainWindow]:
    """A second window with its own context, worker and workspace (another laptop)."""
    ctx = build_context(synchronous=True, settings=Settings(), interaction=ScriptedInteraction())
    win = make_window(ctx)
    qtbot.addWidget(win)
    win.show()
    path = tmp_path / "researcher-laptop"
    ctx.tasks.open_workspace(lambda: session.create_workspace(path, PASSPHRASE))
    win.session.path = path
    win.session.enter_opened()
    yield win
    win.close()
    ctx.tasks.shutdown()
    ctx.language.detach()
    i18n.set_language("en")


def org_names(window: MainWindow) -> list[str]:
    return [r["name_en"] for r in window.workspace.organisations.model._rows]


def test_team_workflow_through_the_screens(qtbot: Any, unlocked: MainWindow,
                                           researcher_window: MainWindow,
                                           interaction: ScriptedInteraction,
                                           tmp_path: Path) -> None:
    coordinator, researcher = unlocked, researcher_window
    shared = tmp_path / "坚果云" / "team"
    shared.mkdir(parents=True)
    c_area, r_area = area_of(coordinator), area_of(researcher)

    # The coordinator creates the team on a shared folder.
    coordinator.menu_team.act_members.trigger()
    assert c_area.team.start_box.isVisible()
    c_area.team.create_button.click()
    create = c_area.team.dialog
    assert isinstance(create, CreateTeamDialog)
    create.ok_button.click()
    assert "name" in create.problem.text()  # nothing entered yet
    type_text(qtbot, create.team_name, "福利外包研究")
    type_text(qtbot, create.your_name, "王老师")
    interaction.files.append(shared)
    create.store.browse.click()
    create.ok_button.click()
    assert c_area.state.is_coordinator and c_area.state.team_name == "福利外包研究"
    assert c_area.team.invite_box.isVisible()
    team_id, root_key = c_area.team.team_id.text(), c_area.team.root_key.text()
    assert team_id and root_key.startswith("RW")
    assert len(c_area.team.root_fp.text().split()) == 6

    # The researcher joins with what the coordinator gave, and sees the fingerprint.
    researcher.menu_team.act_members.trigger()
    r_area.team.join_button.click()
    join = r_area.team.dialog
    assert isinstance(join, JoinTeamDialog)
    join.team_id.setText(team_id)
    join.root_key.setText(root_key)
    assert join.root_fp.text() == c_area.team.root_fp.text()  # read out by phone: the same
    join.root_same.setChecked(True)
    type_text(qtbot, join.your_name, "李研究员")
    join.store.folder.setText(str(shared))
    join.ok_button.click()
    assert r_area.state.is_researcher and not r_area.state.enrolled
    read_out = r_area.team.fingerprint.text()
    assert len(read_out.replace(" ", "")) == 24 and r_area.team.fingerprint.font().pointSize() >= 20
    assert "Waiting" in r_area.team.enrolment.text()

    # The coordinator compares the fingerprint read out by phone before approving.
    c_area.team.check_requests.click()
    assert table_texts(c_area.team.request_table, 0) == ["李研究员"]
    wrong = "1111 2222 3333 4444 5555 6666"
    c_area.team.typed.setText(wrong)
    assert "do not approve" in c_area.team.match.text()
    assert not c_area.team.approve_button.isEnabled()
    c_area.team.typed.setText(read_out.replace(" ", "-"))
    assert "match" in c_area.team.match.text()
    c_area.team.approve_button.click()
    assert table_texts(c_area.team.device_table, 0) == ["李研究员"]
    assert c_area.team.request_table.rowCount() == 0

    # The researcher checks, is approved, records a participant and sends.
    r_area.team.check_enrolment.click()
    assert r_area.state.enrolled and "Approved" in r_area.team.enrolment.text()
    r_ws = researcher.workspace
    r_ws.tabs.setCurrentWidget(r_ws.participants)
    r_ws.participants.new_button.click()
    dialog = r_ws.participants.dialog
    assert isinstance(dialog, ParticipantDialog)
    dialog.fields["code"].setText("KM-HIV-001")
    dialog.save_button.click()
    researcher.menu_team.act_sync.trigger()
    sync_r = r_area.sync
    sync_r.check_button.click()
    assert "Participant" in table_texts(sync_r.pending_table, 0)
    sync_r.send_button.click()
    assert "Sent" in sync_r.status.text()
    assert "coordinators have every change" in sync_r.pending_label.text()

    # The coordinator collects: merged.
    coordinator.menu_team.act_collect.trigger()
    assert table_texts(c_area.sync.bundles, 0) == ["Merged"]
    assert table_texts(c_area.sync.bundles, 1) == ["李研究员"]
    assert coordinator.workspace.participants.model.rowCount() == 1

    # An organisation goes out to the team…
    c_ws = coordinator.workspace
    c_ws.tabs.setCurrentWidget(c_ws.organisations)
    c_ws.organisations.new_button.click()
    org_dialog = c_ws.organisations.dialog
    assert isinstance(org_dialog, OrganisationDialog)
    type_text(qtbot, org_dialog.fields["name_zh"], "星语康复中心")
    type_text(qtbot, org_dialog.fields["name_en"], "Star Centre")
    org_dialog.save_button.click()
    c_area.sync.publish_button.click()
    r_area.sync.receive_button.click()
    assert org_names(researcher) == ["Star Centre"]
    org = researcher.workspace.organisations.model._rows[0]["id"]

    # …and both rename it while apart (there is no rename screen yet: the service does it).
    on_ws(researcher.ctx, lambda ws: records.update(ws, "organisation", org,
                                                    {"name_en": "Star Language Centre"}))
    on_ws(coordinator.ctx, lambda ws: records.update(ws, "organisation", org,
                                                     {"name_en": "Xingyu Rehabilitation"}))
    r_area.sync.send_button.click()
    c_area.sync.collect_button.click()
    assert table_texts(c_area.sync.bundles, 0) == ["Merged"]

    # The conflict shows both versions with who made them; the coordinator keeps one.
    coordinator.menu_team.act_conflicts.trigger()
    panel = c_area.conflicts
    assert panel.list.count() == 1
    assert "English name" in panel.list.item(0).text()
    assert "Conflicts (1)" in c_area.tabs.tabText(c_area.tabs.indexOf(panel))
    texts = [r.text() for r in panel.radios]
    assert any("Star Language Centre" in t and "李研究员" in t for t in texts)
    assert any("Xingyu Rehabilitation" in t and "王老师" in t for t in texts)
    chosen = next(r for r in panel.radios if "Star Language Centre" in r.text())
    chosen.setChecked(True)
    panel.keep_button.click()
    assert panel.list.count() == 0 and "Settled" in panel.message.text()
    assert org_names(coordinator) == ["Star Language Centre"]

    # Published, received: the researcher sees the resolution and no conflict.
    c_area.sync.publish_button.click()
    r_area.sync.receive_button.click()
    assert org_names(researcher) == ["Star Language Centre"]
    researcher.menu_team.act_conflicts.trigger()
    assert r_area.conflicts.list.count() == 0
    assert on_ws(researcher.ctx, lambda ws: ws.conflicts()) == []
