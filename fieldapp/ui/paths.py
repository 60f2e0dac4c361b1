"""Where workspaces are, answered without importing the store (so the window opens quickly).

These mirror fieldapp.services.session (tests/ui/test_paths.py keeps them in step): that module
pulls in the database and cryptography libraries, which the unlock itself loads on the worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

KEYFILE_NAME = "fieldapp-workspace.json"


def data_home() -> Path:
    override = os.environ.get("FIELDAPP_HOME")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("fieldapp", appauthor=False))


def default_workspace_path() -> Path:
    return data_home() / "workspace"


def demo_workspace_path() -> Path:
    return data_home() / "demo"


def is_workspace(path: Path | str) -> bool:
    return (Path(path) / KEYFILE_NAME).exists()
