"""Fixtures for the team-sync screens: a coordinator's window with a team on a shared folder,
and researchers' workspaces enrolled through the services (the end-to-end test enrols through
the screens instead)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldapp.services import team
from fieldapp.store.workspace import Workspace
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.team.area import TeamArea
from tests.ui.conftest import PASSPHRASE, on_ws

__all__ = ["on_ws"]  # the team tests import it from here


def area_of(window: MainWindow) -> TeamArea:
    return window.workspace.team


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    path = tmp_path / "shared"
    path.mkdir()
    return path


@pytest.fixture
def coordinator(unlocked: MainWindow, ctx: AppContext, store_dir: Path) -> MainWindow:
    on_ws(ctx, lambda ws: team.create_team(ws, team_name="福利外包研究",
                                           coordinator_name="王老师",
                                           store=team.StoreConfig(str(store_dir))))
    area_of(unlocked).reload()
    return unlocked


class Researchers:
    def __init__(self, root: Path, ctx: AppContext, store_dir: Path) -> None:
        self.root, self.ctx, self.store_dir = root, ctx, store_dir
        self.open: list[Workspace] = []

    def enrol(self, name: str) -> Workspace:
        ws, _key = Workspace.initialise(self.root / name, PASSPHRASE, researcher=name)
        self.open.append(ws)
        invite = on_ws(self.ctx, team.invitation)
        fp = team.request_to_join(ws, team_id=invite["team_id"], root_key=invite["root_key"],
                                  researcher=name, store=team.StoreConfig(str(self.store_dir)))
        on_ws(self.ctx, lambda c: team.approve(c, ws.device_id, fp))
        team.refresh_roster(ws)
        return ws


@pytest.fixture
def researchers(tmp_path: Path, ctx: AppContext, store_dir: Path,
                coordinator: MainWindow) -> Iterator[Researchers]:
    r = Researchers(tmp_path, ctx, store_dir)
    yield r
    for ws in r.open:
        if ws.conn is not None:
            ws.close()


def table_texts(table: Any, column: int) -> list[str]:
    return [table.item(row, column).text() for row in range(table.rowCount())]
