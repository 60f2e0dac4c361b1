"""Where fieldapp keeps workspaces: ``$FIELDAPP_HOME`` or the platform's user-data folder
(``~/.local/share/fieldapp``, ``%LOCALAPPDATA%\\fieldapp``, ``~/Library/Application
Support/fieldapp``).

Kept free of the store's imports (database, cryptography) so the desktop app can answer "is
there a workspace?" before those libraries have loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "FIELDAPP_HOME"
KEYFILE_NAME = "fieldapp-workspace.json"  # the same name as fieldapp.store.keys.KEYFILE_NAME


def data_home() -> Path:
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


def cache_dir() -> Path:
    """Rebuildable files that hold nothing of the user's (the segmenter's dictionary cache)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / "cache"
    return Path(platformdirs.user_cache_dir("fieldapp", appauthor=False))
