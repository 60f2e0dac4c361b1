"""The team screens switch to Chinese at once, leaving no English behind but names of
programs and services, and the data itself (team ids, keys, paths)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from fieldapp.services import records, sync
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.team.common import TeamState
from fieldapp.ui.team.setup_dialogs import CreateTeamDialog, JoinTeamDialog, RevokeDialog
from fieldapp.ui.team.team_page import TeamPage
from tests.ui.team.conftest import Researchers, area_of, on_ws
from tests.ui.test_language import ALLOWED, DATA, WORD, strings_of

#: Names of programs and services, and the example WebDAV address.
NAMES = ALLOWED | {"WebDAV", "Nutstore", "Nextcloud", "ownCloud", "Synology", "OneDrive",
                   "https", "dav", "ID", "jianguoyun", "com", "RW", "fab", "Ctrl", "Shift"}


def english_left(root: QWidget, data: list[str]) -> list[str]:
    left = []
    for where, text in strings_of(root):
        for value in data:
            text = text.replace(value, "")
        for pattern in DATA:
            text = pattern.sub("", text)
        words = {w for w in WORD.findall(text.replace("&", "")) if w not in NAMES}
        if words:
            left.append(f"{where}: {text!r}")
    return left


def test_team_screens_in_chinese(qtbot: Any, coordinator: MainWindow, ctx: AppContext,
                                 researchers: Researchers) -> None:
    alice = researchers.enrol("alice")
    org = on_ws(ctx, lambda ws: records.add_organisation(ws, name_zh="星语康复中心"))
    area = area_of(coordinator)
    area.sync.publish_button.click()
    sync.receive(alice)
    records.update(alice, "organisation", org, {"name_zh": "星语中心"})
    on_ws(ctx, lambda ws: records.update(ws, "organisation", org, {"name_zh": "星语康复"}))
    sync.send(alice)
    area.sync.collect_button.click()
    area.team.load_requests()
    coordinator.menu_team.act_conflicts.trigger()
    assert area.conflicts.list.count() == 1

    researcher_page = TeamPage(ctx)
    researcher_page.set_state(TeamState(role="researcher", fingerprint="1234 5678 9012 3456 "
                                        "7890 1234", store="/media/usb/team"))
    dialogs: list[QWidget] = [researcher_page, CreateTeamDialog(ctx), JoinTeamDialog(ctx),
                              RevokeDialog(ctx, alice.device_id, "alice", 3)]
    for d in dialogs:
        qtbot.addWidget(d)

    coordinator.act_lang_zh.trigger()
    qtbot.wait(20)
    data = [s for s in (area.state.team_id, area.state.invitation.get("root_key", ""),
                        area.state.store, alice.device_id, alice.device_id[-12:], "alice")
            if s]
    problems: list[str] = []
    for i in range(area.tabs.count()):
        area.tabs.setCurrentIndex(i)
        problems += english_left(area, data)
    problems += english_left(coordinator.menuBar(), data)
    for menu_action in coordinator.menuBar().actions():
        if menu_action.menu() is not None:
            problems += english_left(menu_action.menu(), data)
    for d in dialogs:
        problems += english_left(d, data)
    assert not problems, "English left after switching to Chinese:\n" + "\n".join(problems)
    assert area.tabs.tabText(area.tabs.indexOf(area.sync)) == "发送与接收"
    assert area.sync.bundles.item(0, 0).text() == "已合并"
    assert coordinator.menu_team.title() == "团队(&T)"
