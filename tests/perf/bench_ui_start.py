"""Cold start to the unlock dialog. Run: python -m tests.perf ui_start

Each figure is the median (``--runs``) of fresh processes, timed from just before the process is
started until it prints that its first dialog is on screen, beside a bare PySide6 window with a
dialog started the same way in the same run (goal: at most 2×):

* ``start fieldapp gui``: ``python -m fieldapp gui WORKSPACE`` (the ``fieldapp`` console script);
* ``start fieldapp-gui``: ``python -m fieldapp.gui WORKSPACE`` (the ``fieldapp-gui`` script);

each with the bytecode cache as installed (warm: a first run fills it) and with no usable one
(``PYTHONDONTWRITEBYTECODE=1`` and ``PYTHONPYCACHEPREFIX`` pointing at an empty folder, so every
module is compiled from source, as on a read-only install) — the bare window gets the same.

The app says it is ready with the hidden ``--exit-when-ready`` option: ``ready unlock`` once the
unlock dialog is shown (the benchmark refuses any other first screen).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.perf.common import Sample, log, report_sample

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "benchmark passphrase, not a secret"

BARE_WINDOW = (
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QDialog, QMainWindow\n"
    "app = QApplication([]); w = QMainWindow(); w.resize(1200, 780); w.show()\n"
    "d = QDialog(w); d.open()\n"
    "def ready():\n"
    "    print('ready unlock', flush=True); app.quit()\n"
    "QTimer.singleShot(0, ready); app.exec()\n"
)


def _time_to_ready(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from spawning ``python args`` to its ``ready`` line, and its CPU seconds."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    wall = time.perf_counter() - start
    _out, err = proc.communicate(timeout=120)
    after = os.times()
    if not line.startswith("ready unlock"):
        raise RuntimeError(f"{args[:3]} did not show the unlock dialog: {line!r} {err[-500:]}")
    return wall, (after.children_user - before.children_user
                  + after.children_system - before.children_system)


def _sample(args: list[str], env: dict[str, str], runs: int) -> Sample:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = _time_to_ready(args, env)
        walls.append(wall)
        cpus.append(cpu)
    return Sample(statistics.median(walls), statistics.median(cpus), walls, cpus)


def run(scale: float) -> None:
    from tests.perf import common

    runs = max(1, common.RUNS if scale >= 0.5 else 1)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FIELDAPP_HOME": str(home),
               "PYTHONPATH": str(ROOT)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("PYTHONPYCACHEPREFIX", None)
        workspace = Path(tmp) / "ws"
        subprocess.run([sys.executable, "-c", (
            "import sys; from fieldapp.store.keys import KDF_FLOOR; "
            "from fieldapp.store.workspace import Workspace; "
            "Workspace.initialise(sys.argv[1], sys.argv[2], kdf=KDF_FLOOR)[0].close()"),
            str(workspace), PASSPHRASE], cwd=ROOT, env=env, check=True)
        empty = Path(tmp) / "no-pycache"
        empty.mkdir()
        cold = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(empty)}
        commands = {"fieldapp gui": ["-m", "fieldapp", "gui", str(workspace)],
                    "fieldapp-gui": ["-m", "fieldapp.gui", str(workspace)]}
        for label, environ in (("", env), (", no bytecode cache", cold)):
            # One untimed start of each, so "warm" means the cache (and the OS) is warm.
            _time_to_ready(["-c", BARE_WINDOW], environ)
            for args in commands.values():
                _time_to_ready([*args, "--exit-when-ready"], environ)
            bare = _sample(["-c", BARE_WINDOW], environ, runs)
            for name, args in commands.items():
                ours = _sample([*args, "--exit-when-ready"], environ, runs)
                report_sample(f"start {name} to unlock dialog{label}", ours, bare,
                              "bare PySide6 window + dialog", goal="ratio <= 2", max_ratio=2.0)
        if any(empty.iterdir()):
            raise RuntimeError(f"bytecode was written under {empty}: the cold runs were not cold")
        log(f"{runs} runs each, offscreen")
