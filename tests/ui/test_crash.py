"""Killing the app mid-typing loses at most the last couple of seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fieldapp.services import records, session

ROOT = Path(__file__).resolve().parents[2]


def test_crash_mid_typing_keeps_what_autosave_saved(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    first, second = "Morning at the centre; staff of eight.", " Afternoon: the director"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.crash_child", str(path), first, second],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr[-2000:]
    assert "saved: Saved" in proc.stdout
    ws = session.open_workspace(path, "crash test passphrase")
    try:
        notes = records.list_records(ws, "note")
        assert len(notes) == 1
        body = notes[0]["body"]
        # Everything typed before the pause survived; what came after may be lost.
        assert body.startswith(first)
        assert (first + second).startswith(body)
    finally:
        ws.close()
