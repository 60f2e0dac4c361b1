"""The promise attacked from outside: the real window in another process is typed into
steadily (a key every 0.4–0.7 s, never a pause long enough for a debounce), then

* killed with SIGKILL at a random moment — reopening the workspace here finds everything but
  at most the last two seconds of typing;
* terminated with SIGTERM (what the end of a desktop session or a shutdown sends) — it closes
  as Quit does and everything typed is in the workspace.

The workspace is created here, with the test fixture, and the child is given only its path
and the passphrase (``FIELDAPP_PASSPHRASE``).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from fieldapp.services import records, session
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
TEXT = ("上午在社区服务中心访谈了两位社工 the director said registration took two years "
        "因为找不到业务主管单位 so they work as a company 现在承接政府购买服务 ") * 3
LOSS_LIMIT = 2.0  # seconds of typing a crash may lose
KILLS = 3


class Child:
    """The typing window in its own process, with its output read as it comes."""

    def __init__(self, path: Path, seed: int) -> None:
        env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                           os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.typing_child", str(path), TEXT, str(seed)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8")
        self.lines: list[str] = []
        self.typed: dict[int, float] = {}  # characters typed -> when
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())
            if line.startswith("typed "):
                _word, n, when = line.split()
                self.typed[int(n)] = float(when)

    def wait_for(self, what: str, timeout: float = 90.0) -> None:
        end = time.monotonic() + timeout
        while not any(line.startswith(what) for line in self.lines):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.proc.kill()
                _out, err = self.proc.communicate()
                pytest.fail(f"the child did not get to {what!r}: {self.lines[-5:]} "
                            f"{(err or '')[-2000:]}")
            time.sleep(0.01)

    def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        code = self.proc.wait(timeout)
        self._reader.join(timeout)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, err


def saved_note(path: Path) -> str:
    ws = session.open_workspace(path, PASSPHRASE)
    try:
        notes = records.list_records(ws, "note")
        return str(notes[0]["body"]) if notes else ""
    finally:
        ws.close()


@pytest.fixture
def workspace(ws: Any, ws_path: Path) -> Path:
    """A fresh workspace made here, closed so the child can open it."""
    ws.close()
    return ws_path


def test_sigkill_during_steady_typing_loses_at_most_two_seconds(workspace: Path) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    losses = []
    known: set[str] = set()
    for run in range(KILLS):
        child = Child(workspace, seed + run)
        child.wait_for("typed ")
        time.sleep(rng.uniform(2.5, 6.0))  # a random moment of steady typing
        killed_at = time.monotonic()
        os.kill(child.proc.pid, signal.SIGKILL)
        code, _err = child.finish()
        assert code == -signal.SIGKILL
        # The child starts a new interview each run: its note is the one not seen before.
        ws = session.open_workspace(workspace, PASSPHRASE)
        try:
            notes = {str(n["id"]): str(n["body"]) for n in records.list_records(ws, "note")}
            assert len(records.list_records(ws, "interview")) == run + 1
        finally:
            ws.close()
        new = [body for nid, body in notes.items() if nid not in known]
        known.update(notes)
        assert len(new) <= 1
        body = new[0] if new else ""
        assert TEXT.startswith(body), "what was saved is not what was typed"
        typed = max(child.typed)
        assert typed >= 3 and child.typed[typed] - child.typed[1] >= 1.5  # steady typing
        first_lost = child.typed.get(len(body) + 1)  # None: nothing typed was lost
        loss = 0.0 if first_lost is None else killed_at - first_lost
        losses.append(loss)
        assert loss <= LOSS_LIMIT, (
            f"seed {seed}, run {run}: killed after {typed} characters, {len(body)} were "
            f"saved; the first lost one was typed {loss:.2f} s before the kill")
    print(f"SIGKILL during steady typing (seed {seed}): typing lost "
          + ", ".join(f"{x:.2f}" for x in losses) + f" s; worst {max(losses):.2f} s")


def test_sigterm_during_steady_typing_saves_everything(workspace: Path) -> None:
    child = Child(workspace, random.randrange(1_000_000))
    child.wait_for("typed ")
    time.sleep(random.uniform(1.5, 3.0))
    # Right after a key, so the debounce and the maximum wait are both still running.
    seen = len(child.typed)
    end = time.monotonic() + 5
    while len(child.typed) == seen and time.monotonic() < end:
        time.sleep(0.002)
    os.kill(child.proc.pid, signal.SIGTERM)
    code, err = child.finish()
    assert code == 0, err[-2000:]
    assert "closed" in child.lines
    typed = max(child.typed)
    assert saved_note(workspace) == TEXT[:typed]
