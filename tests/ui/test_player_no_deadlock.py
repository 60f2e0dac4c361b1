"""Playing, pausing, seeking and closing recordings never hangs the window.

Qt's FFmpeg back end tears down its decoding threads inside play/pause/stop/seek. Called from
Python, those calls hold the interpreter lock while waiting for a mutex that a decoding thread
holds while it waits for the lock: the whole window froze (a full run of the suite hung on it).
The player now queues them so they run from the event loop without the lock. The old code
hangs in this test within a few seconds; the new one finishes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp.ui.views import media

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(media.multimedia_problem() is not None,
                                reason="QtMultimedia cannot load here (libpulse0 missing)")


def test_players_driven_hard_never_deadlock(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path)}
    try:
        result = subprocess.run([sys.executable, "-m", "tests.media.player_stress", "150"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=100)
    except subprocess.TimeoutExpired as exc:  # the deadlock: the child never gets to "done"
        pytest.fail(f"the players hung (deadlock); last output: {exc.stdout!r}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "done"
