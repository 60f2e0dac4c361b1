"""What the desktop app loads before its unlock dialog is on screen (not timed).

The start-up goal (tests/perf/bench_ui_start.py: at most twice a bare PySide6 window) holds only
while the first screen imports just what it shows. Each launcher runs in a child process with
``python -X importtime``, which names every module the process imported; the child says when the
unlock dialog is shown (``--exit-when-ready``) and quits. The store, the cryptography, the
services, the other commands, the heavy libraries, and the main window with its pages, views
and Qt modules (multimedia, PDF) must not be among them: they load on the worker, or when the
researcher presses Unlock (fieldapp/ui/start.py). Both launchers are checked with the bytecode
cache and without one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF

ROOT = Path(__file__).resolve().parents[2]

#: Modules (and packages with everything under them) the unlock dialog does not need.
NOT_BEFORE_UNLOCK = (
    "fieldapp.store.workspace", "fieldapp.store.keys", "fieldapp.store.sqlite",
    "fieldapp.store.oplog", "fieldapp.store.search", "fieldapp.services", "fieldapp.analysis",
    "fieldapp.survey", "fieldapp.sync", "fieldapp.export", "fieldapp.domain.schema",
    "fieldapp.cli.workspace_cmds", "fieldapp.cli.record_cmds", "fieldapp.cli.team_cmds",
    "fieldapp.cli.export_cmds", "fieldapp.cli.survey_cmds", "fieldapp.cli.analysis_cmds",
    # the main window and everything it shows: it is built after the unlock dialog
    "fieldapp.ui.main_window", "fieldapp.ui.views", "fieldapp.ui.team", "fieldapp.ui.progress",
    "fieldapp.ui.survey", "fieldapp.ui.export", "fieldapp.ui.models", "fieldapp.ui.notedoc",
    "fieldapp.ui.demo", "PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets", "PySide6.QtPdf",
    "PySide6.QtPdfWidgets", "PySide6.QtSvg", "PySide6.QtNetwork",
    "sqlcipher3", "cryptography", "pyrage", "argon2", "babel", "pandas", "openpyxl", "jieba",
    "pyreadstat", "opencc", "numpy",
)


def imported_before_ready(args: list[str], home: Path,
                          no_cache: Path | None = None) -> tuple[set[str], str]:
    """The modules the child imported in its whole life (it quits right after the unlock
    dialog is shown, so nothing is imported after it that would not have been before).
    ``no_cache``: an empty folder for ``PYTHONPYCACHEPREFIX``, with ``PYTHONDONTWRITEBYTECODE``,
    so every module is compiled from source (a read-only install)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FIELDAPP_HOME": str(home),
           "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if no_cache is not None:
        no_cache.mkdir(exist_ok=True)
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(no_cache))
    proc = subprocess.run([sys.executable, "-X", "importtime", *args, "--exit-when-ready"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ready"), (proc.stdout, proc.stderr[-2000:])
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "PySide6.QtWidgets" in names  # the parse found the imports
    return names, proc.stdout


def forbidden(names: set[str]) -> list[str]:
    return sorted(n for n in names for bad in NOT_BEFORE_UNLOCK
                  if n == bad or n.startswith(bad + "."))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    from fieldapp.store.workspace import Workspace

    path = tmp_path / "workspace"
    ws, _recovery = Workspace.initialise(path, PASSPHRASE, kdf=TEST_KDF)
    ws.close()
    return path


@pytest.mark.parametrize("cache", [True, False], ids=["bytecode cache", "no bytecode cache"])
@pytest.mark.parametrize("launcher", [["-m", "fieldapp", "gui"], ["-m", "fieldapp.gui"]],
                         ids=["fieldapp gui", "fieldapp-gui"])
def test_unlock_dialog_loads_no_store_crypto_services_or_views(
        launcher: list[str], cache: bool, workspace: Path, tmp_path: Path) -> None:
    no_cache = None if cache else tmp_path / "no-pycache"
    names, said = imported_before_ready([*launcher, str(workspace)], tmp_path / "home",
                                        no_cache)
    assert forbidden(names) == []
    # and it did get as far as the unlock dialog
    assert said.startswith("ready unlock")
    assert "fieldapp.ui.dialogs.unlock" in names
    if no_cache is not None:
        assert not any(no_cache.iterdir())  # nothing was cached: every module was compiled


def test_unlock_dialog_with_language_option(workspace: Path, tmp_path: Path) -> None:
    """``fieldapp --lang zh_CN gui`` takes the short path too."""
    names, said = imported_before_ready(
        ["-m", "fieldapp", "--lang", "zh_CN", "gui", str(workspace)], tmp_path / "home")
    assert forbidden(names) == []
    assert said.startswith("ready unlock")


def test_full_command_line_still_there() -> None:
    """The short path for ``gui`` leaves every other command (and ``--help``) as it was."""
    from fieldapp.cli import build_parser, command_of

    assert command_of(["gui"]) == "gui"
    assert command_of(["--lang", "en", "gui", "x"]) == "gui"
    assert command_of(["--help"]) is None
    assert command_of(["init", "gui"]) == "init"
    full = build_parser()
    choices = full._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"gui", "init", "search", "survey"} <= set(choices)
    only = build_parser(only="gui")
    assert set(only._subparsers._group_actions[0].choices) == {"gui"}  # type: ignore[union-attr]
