"""Measures of work that no clock or machine load moves, for tests that hold bulk work to
linear growth: an input four times larger must cost less than six times as much (a little
more than four: B-trees grow a level, FTS5 merges segments), where work that meets every item
once per item costs sixteen.

- :class:`Meter` counts the instructions SQLite runs (its progress handler, called every
  ``STEP`` instructions) on the connections it watches.
- :func:`python_steps` counts the lines of fieldapp Python runs (``sys.settrace``: an event per
  line and per loop turn). Only the product's own lines: the standard library's depend on what
  ran before in the process (a pattern ``re`` compiled for an earlier test comes from its
  cache).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import fieldapp
from fieldapp.store.sqlite import Connection

STEP = 100
MAX_GROWTH = 6.0
PRODUCT = str(Path(fieldapp.__file__).parent)


class Meter:
    """Counts the instructions SQLite runs on the connections it watches while it runs."""

    def __init__(self) -> None:
        self.ticks = 0
        self.running = False
        self._conns: list[Connection] = []

    def _tick(self) -> int:
        self.ticks += 1
        return 0

    def watch(self, conn: Connection) -> None:
        self._conns.append(conn)
        if self.running:
            conn.set_progress_handler(self._tick, STEP)

    @contextlib.contextmanager
    def run(self) -> Iterator[None]:
        self.running = True
        for conn in self._conns:
            conn.set_progress_handler(self._tick, STEP)
        try:
            yield
        finally:
            self.running = False
            for conn in self._conns:
                with contextlib.suppress(Exception):  # a connection the operation closed
                    conn.set_progress_handler(None, STEP)

    @property
    def instructions(self) -> int:
        return self.ticks * STEP


def python_steps(work: Callable[[], object]) -> int:
    """Lines of fieldapp that Python runs (each loop turn counts) while ``work`` runs."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def start(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(PRODUCT) else None

    before = sys.gettrace()
    sys.settrace(start)
    try:
        work()
    finally:
        sys.settrace(before)
    return count


def assert_linear_growth(what: str, sizes: tuple[int, int], small: int, large: int,
                         unit: str) -> None:
    """Fail when the work measured at ``sizes`` grew like a comparison of every item with
    every other rather than with the input."""
    ratio = sizes[1] / sizes[0]
    growth = large / small
    assert growth < MAX_GROWTH, (
        f"{what}: {ratio:.0f}x the input ({sizes[0]} -> {sizes[1]}) took {growth:.1f}x the "
        f"{unit} ({small} -> {large}); linear work grows about {ratio:.0f}x, work that meets "
        f"every item once per item {ratio ** 2:.0f}x")
