"""Shared helpers for the benchmarks in tests/perf.

Every benchmark module is named ``bench_*.py`` and defines ``run(scale: float) -> None`` which
calls :func:`report` once per figure. ``scale`` is 1.0 for a real run (the sizes the issues name)
and tiny in the smoke test that keeps the benchmarks from rotting (tests/perf/test_smoke.py).

Honest figures:
- every figure is measured beside a baseline from the same run on the same machine, because
  absolute times on shared machines are noisy; the ratio is what the goals name;
- :func:`measure` runs a piece of work ``RUNS`` times (``--runs``, at least 3 in a real run) and
  keeps the median wall time and the median CPU time (process plus children), so one hiccup of the
  machine does not decide a figure;
- every run starts with the disk settled (:func:`settle`: ``os.sync()`` before the clock
  starts), so no figure pays for an earlier benchmark's writes;
- every row carries the machine's 1-minute load average when it was measured;
- a row may carry ``max_ratio`` / ``max_value``: ``python -m tests.perf --check`` exits non-zero
  when any measured figure misses its goal. Nothing here runs in CI: benchmarks inform, they do
  not gate the suite.

Figures are printed as JSON lines ``{"name", "value", "unit", "baseline", "ratio", ...}``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

RESULTS: list[dict[str, Any]] = []
RUNS = 3  # set by ``--runs``; the smoke test keeps 1 to stay fast


def load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - platforms without getloadavg
        return float("nan")


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Sample:
    """Median wall and CPU seconds of several runs of one piece of work."""

    wall: float
    cpu: float
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def settle() -> None:
    """Write every dirty page to disk before a run's clock starts (untimed).

    A run's commit waits for fsync, and on a journaling file system that can wait for pages
    others wrote: an earlier benchmark's hundred megabytes of notes, or this run's own setup.
    Without this a figure carried the previous benchmark's writes, its baseline seldom did
    (a baseline is short): the survey batch read 4.3x alone and 5.9x straight after the
    100,000-note benchmark."""
    if hasattr(os, "sync"):
        os.sync()


def measure(work: Callable[[], Any], runs: int | None = None,
            setup: Callable[[], Any] | None = None) -> Sample:
    """Run ``work`` ``runs`` times (default ``RUNS``); ``setup`` (untimed) runs before each.

    When ``setup`` returns a value, ``work`` is called with it.
    """
    n = max(1, runs if runs is not None else RUNS)
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(n):
        arg = setup() if setup is not None else None
        settle()
        c0, t0 = cpu_seconds(), time.perf_counter()
        if setup is not None and arg is not None:
            work(arg)  # type: ignore[call-arg]
        else:
            work()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return Sample(statistics.median(walls), statistics.median(cpus), walls, cpus)


def measure_together(*works: tuple[Callable[..., Any], Callable[[], Any] | None],
                     runs: int | None = None) -> list[Sample]:
    """:func:`measure` for several ``(work, setup)`` pairs, their runs taken in turn (run 1 of
    each, then run 2 of each, ...) rather than all runs of one before the next: a machine
    whose speed drifts over minutes (a shared virtual machine does) then moves each figure
    and its baseline alike instead of the ratio between them."""
    n = max(1, runs if runs is not None else RUNS)
    walls: list[list[float]] = [[] for _ in works]
    cpus: list[list[float]] = [[] for _ in works]
    for _ in range(n):
        for k, (work, setup) in enumerate(works):
            arg = setup() if setup is not None else None
            settle()
            c0, t0 = cpu_seconds(), time.perf_counter()
            if setup is not None and arg is not None:
                work(arg)
            else:
                work()
            walls[k].append(time.perf_counter() - t0)
            cpus[k].append(cpu_seconds() - c0)
    return [Sample(statistics.median(w), statistics.median(c), w, c)
            for w, c in zip(walls, cpus, strict=True)]


def report(name: str, value: float, unit: str, baseline: float | None = None,
           baseline_name: str = "", goal: str = "", *, cpu: float | None = None,
           baseline_cpu: float | None = None, runs: int | None = None,
           max_ratio: float | None = None, max_value: float | None = None) -> dict[str, Any]:
    """Print and keep one figure. ``value``/``baseline`` are medians when ``runs`` > 1."""
    ratio = (value / baseline) if baseline else None
    row: dict[str, Any] = {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "baseline": round(baseline, 4) if baseline is not None else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
    }
    if baseline_name:
        row["baseline_name"] = baseline_name
    if cpu is not None:
        row["cpu_s"] = round(cpu, 4)
    if baseline_cpu is not None:
        row["baseline_cpu_s"] = round(baseline_cpu, 4)
        if cpu is not None and baseline_cpu:
            row["cpu_ratio"] = round(cpu / baseline_cpu, 3)
    if runs is not None:
        row["runs"] = runs
    if goal:
        row["goal"] = goal
    if max_ratio is not None:
        row["max_ratio"] = max_ratio
    if max_value is not None:
        row["max_value"] = max_value
    row["load"] = load()
    RESULTS.append(row)
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def report_sample(name: str, ours: Sample, base: Sample | None, baseline_name: str = "",
                  goal: str = "", *, max_ratio: float | None = None) -> dict[str, Any]:
    """Report two :class:`Sample` figures (seconds) as one row with wall and CPU ratios."""
    return report(name, ours.wall, "s", base.wall if base else None, baseline_name, goal,
                  cpu=ours.cpu, baseline_cpu=base.cpu if base else None, runs=len(ours.walls),
                  max_ratio=max_ratio)


def missed_goals(rows: list[dict[str, Any]] | None = None) -> list[str]:
    """The rows whose measured figure misses its ``max_ratio`` / ``max_value`` goal."""
    missed = []
    for row in RESULTS if rows is None else rows:
        if row.get("max_ratio") is not None and (row["ratio"] is None
                                                 or row["ratio"] > row["max_ratio"]):
            missed.append(f"{row['name']}: ratio {row['ratio']} > {row['max_ratio']}")
        if row.get("max_value") is not None and row["value"] > row["max_value"]:
            missed.append(f"{row['name']}: {row['value']} {row['unit']} > {row['max_value']}")
    return missed


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def timeit(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(p) - 1]


def scaled(n: int, scale: float, minimum: int = 5) -> int:
    return max(minimum, int(n * scale))


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)
