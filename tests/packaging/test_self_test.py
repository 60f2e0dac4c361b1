"""The installation self-test and the packaged entry point, run from the checkout (the same
code the package freezes). The package itself is tested in test_linux_package.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.packaging.conftest import ROOT

LAUNCHER = ROOT / "packaging" / "launcher.py"


def run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FIELDAPP_HOME": str(home),
           "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def facts(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)


def test_launcher_is_the_command_line_with_arguments(tmp_path: Path) -> None:
    from fieldapp import __version__

    proc = run([str(LAUNCHER), "--version"], tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"fieldapp {__version__}"
    wrong = run([str(LAUNCHER), "no-such-command"], tmp_path)
    assert wrong.returncode == 2 and "no-such-command" in wrong.stderr


@pytest.mark.slow  # makes the demo study: ~10 s on an idle machine
def test_self_test_explores_the_demo_and_leaves_the_researchers_things_alone(
        tmp_path: Path) -> None:
    from fieldapp.services import session

    home = tmp_path / "home"
    own = home / "workspace"
    session.create_workspace(own, PASSPHRASE)[0].close()
    settings = home / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"last_workspace": str(own), "language": "en"}),
                        encoding="utf-8")
    before = settings.read_bytes()
    own_files = {p: p.read_bytes() for p in own.rglob("*") if p.is_file()}

    first = run([str(LAUNCHER), "--self-test", "--language", "en"], home)
    assert first.returncode == 0, first.stdout + first.stderr[-2000:]
    found = facts(first)
    assert found["self-test"] == "ok" and found["unlock dialog"] == "Unlock the workspace"
    assert found["unlocked"].endswith(f"({home / 'demo'})")
    # A second run finds the demo there and starts from its unlock dialog.
    second = run(["-m", "fieldapp.ui.selftest", "--language", "zh_CN"], home)
    assert second.returncode == 0, second.stdout + second.stderr[-2000:]
    assert facts(second)["qt cancel button"] != "Cancel"
    # The researcher's settings (their last workspace) and workspace are as they were.
    assert settings.read_bytes() == before
    assert {p: p.read_bytes() for p in own.rglob("*") if p.is_file()} == own_files


@pytest.mark.slow
def test_self_test_fails_loudly_when_the_demo_cannot_be_unlocked(tmp_path: Path) -> None:
    """A demo workspace whose passphrase is not the demo's: the self-test must say it failed
    (exit 1), not hang on the unlock dialog or report success."""
    from fieldapp.services import session

    home = tmp_path / "home"
    session.create_workspace(home / "demo", PASSPHRASE)[0].close()
    proc = run([str(LAUNCHER), "--self-test", "--language", "en"], home)
    assert proc.returncode == 1
    last = proc.stdout.splitlines()[-1]
    assert last.startswith("self-test: failed: the demo did not unlock: ")
    assert "passphrase" in last.lower()
