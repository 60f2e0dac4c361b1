"""Opening, creating and unlocking workspaces; where they live by default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from fieldapp.store.check import CheckReport, check
from fieldapp.store.keys import KEYFILE_NAME
from fieldapp.store.workspace import Workspace

HOME_ENV = "FIELDAPP_HOME"


def data_home() -> Path:
    """The folder fieldapp keeps workspaces in: ``$FIELDAPP_HOME`` or the platform's user-data
    folder (``~/.local/share/fieldapp``, ``%LOCALAPPDATA%\\fieldapp``, ``~/Library/Application
    Support/fieldapp``)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("fieldapp", appauthor=False))


def default_workspace_path() -> Path:
    return data_home() / "workspace"


def demo_workspace_path() -> Path:
    return data_home() / "demo"


def is_workspace(path: Path | str) -> bool:
    return (Path(path) / KEYFILE_NAME).exists()


def create_workspace(path: Path | str, passphrase: str, researcher: str = ""
                     ) -> tuple[Workspace, str]:
    return Workspace.initialise(path, passphrase, researcher=researcher)


def open_workspace(path: Path | str, passphrase: str) -> Workspace:
    return Workspace.open(path, passphrase)


def recover_workspace(path: Path | str, recovery_key: str, new_passphrase: str) -> Workspace:
    """Open with the recovery key and set a new passphrase at once."""
    ws = Workspace.open_with_recovery(path, recovery_key)
    ws.change_passphrase(new_passphrase)
    return ws


def change_passphrase(ws: Workspace, new_passphrase: str) -> None:
    ws.change_passphrase(new_passphrase)


def verify(ws: Workspace) -> CheckReport:
    return check(ws)
