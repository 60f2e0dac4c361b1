"""Run every benchmark at a tiny scale so they keep working. No time is asserted here."""

from __future__ import annotations

import importlib
import pkgutil
import time
from pathlib import Path

import pytest

from tests.perf import common

MODULES = sorted(
    m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
)


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_runs_and_reports(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "RUNS", 1)
    before = len(common.RESULTS)
    importlib.import_module(f"tests.perf.{name}").run(0.002)
    rows = common.RESULTS[before:]
    assert rows, f"{name} reported no figures"
    for row in rows:
        assert set(row) >= {"name", "value", "unit", "baseline", "ratio"}
        assert row["value"] == row["value"]  # not NaN


def test_check_names_every_missed_goal() -> None:
    rows = [
        {"name": "a", "value": 5.0, "unit": "s", "ratio": 4.0, "max_ratio": 3},
        {"name": "b", "value": 25.0, "unit": "ms", "ratio": None, "max_value": 20},
        {"name": "c", "value": 1.0, "unit": "s", "ratio": 1.0, "max_ratio": 3},
        {"name": "d", "value": 1.0, "unit": "s", "ratio": None, "max_ratio": 3},
    ]
    assert [m.split(":")[0] for m in common.missed_goals(rows)] == ["a", "b", "d"]


def test_measure_keeps_the_median_of_its_runs() -> None:
    calls: list[int] = []
    sample = common.measure(lambda: calls.append(1), runs=5)
    assert len(calls) == 5 and len(sample.walls) == 5
    assert sample.wall == sorted(sample.walls)[2]


def test_measure_together_takes_the_runs_in_turn() -> None:
    order: list[str] = []
    a, b = common.measure_together((lambda: order.append("a"), None),
                                   (lambda x: order.append(x), lambda: "b"), runs=3)
    assert order == ["a", "b"] * 3 and len(a.walls) == len(b.walls) == 3


def test_every_run_starts_after_the_disk_is_settled_and_off_the_clock(
        monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    clock = time.perf_counter
    monkeypatch.setattr(common.os, "sync", lambda: events.append("sync"))

    def read_clock() -> float:
        events.append("clock")
        return clock()

    monkeypatch.setattr(common.time, "perf_counter", read_clock)
    common.measure_together((lambda: events.append("a"), None),
                            (lambda x: events.append(x), lambda: "b"), runs=2)
    common.measure(lambda: events.append("c"), runs=2)
    # Settled before the clock starts for every run, and never between its two readings.
    run = ["sync", "clock", "{}", "clock"]
    expected = [e.format(w) for w in ("a", "b", "a", "b", "c", "c") for e in run]
    assert events == expected
