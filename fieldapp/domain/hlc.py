"""Hybrid logical clocks.

A timestamp is (wall milliseconds, logical counter). Local events take ``max(now, last)`` and
bump the counter on ties, so a device's own operations are strictly ordered even when its clock
stands still or steps back. Remote timestamps advance the clock, except that a timestamp more than
:data:`MAX_FUTURE_MS` ahead of our wall clock (a laptop with a wrong date) is clamped and reported
instead of trusted: one bad clock must not drag every other device into the future.

Timestamps are stored as fixed-width strings so that SQL ``ORDER BY`` sorts them correctly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_FUTURE_MS = 24 * 3600 * 1000
#: The largest counter the fixed-width encoding holds (six digits). A counter that would pass it
#: moves to the next millisecond instead: a wider number would sort before a narrower one.
MAX_LOGICAL = 999_999


@dataclass(frozen=True, order=True)
class HLC:
    wall: int
    logical: int = 0

    def encode(self) -> str:
        return f"{self.wall:015d}.{self.logical:06d}"

    @classmethod
    def decode(cls, text: str) -> HLC:
        wall, _, logical = text.partition(".")
        return cls(int(wall), int(logical or 0))

    def __str__(self) -> str:
        return self.encode()


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock:
    """The clock of one device. Not thread-safe: the store's single writer owns it."""

    def __init__(self, last: HLC | None = None, now: Callable[[], int] = wall_ms) -> None:
        self._last = last or HLC(0, 0)
        self._now = now

    @property
    def last(self) -> HLC:
        return self._last

    def tick(self) -> HLC:
        pt = self._now()
        if pt > self._last.wall:
            self._last = HLC(pt, 0)
        elif self._last.logical >= MAX_LOGICAL:
            self._last = HLC(self._last.wall + 1, 0)
        else:
            self._last = HLC(self._last.wall, self._last.logical + 1)
        return self._last

    def tick_many(self, n: int) -> list[str]:
        """``n`` ticks, encoded, for a batch of local events: what ``n`` calls of
        :meth:`tick` give while the wall clock stands still (it is read once), each
        timestamp after the one before."""
        if n <= 0:
            return []
        first = self.tick()
        wall, logical = first.wall, first.logical
        if logical + n - 1 > MAX_LOGICAL:  # (a million at once) as many ticks would do
            return [first.encode(), *(self.tick().encode() for _ in range(n - 1))]
        self._last = HLC(wall, logical + n - 1)
        return [f"{wall:015d}.{c:06d}" for c in range(logical, logical + n)]

    def observe(self, remote: HLC) -> tuple[HLC, bool]:
        """Advance past ``remote``. Returns (the timestamp to record for it, whether it was clamped)."""
        pt = self._now()
        clamped = False
        if remote.wall > pt + MAX_FUTURE_MS:
            remote = HLC(pt + MAX_FUTURE_MS, 0)
            clamped = True
        if remote > self._last:
            self._last = HLC(max(remote.wall, self._last.wall), remote.logical)
        return remote, clamped
