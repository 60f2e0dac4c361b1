"""Shared helpers for the benchmarks in tests/perf.

Every benchmark module is named ``bench_*.py`` and defines ``run(scale: float) -> None`` which
calls :func:`report` once per figure. ``scale`` is 1.0 for a real run (the sizes the issues name)
and tiny in the smoke test that keeps the benchmarks from rotting (tests/perf/test_smoke.py).

Figures are printed as JSON lines ``{"name", "value", "unit", "baseline", "ratio"}``: each one
beside a baseline measured in the same run on the same machine, because absolute times on these
machines are noisy. Nothing here asserts a time: benchmarks inform, they do not gate CI.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

RESULTS: list[dict[str, Any]] = []


def report(name: str, value: float, unit: str, baseline: float | None = None,
           baseline_name: str = "", goal: str = "") -> dict[str, Any]:
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
    if goal:
        row["goal"] = goal
    RESULTS.append(row)
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


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
