"""Run every benchmark at a tiny scale so they keep working. No time is asserted here."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from tests.perf import common

MODULES = sorted(
    m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
)


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_runs_and_reports(name: str) -> None:
    before = len(common.RESULTS)
    importlib.import_module(f"tests.perf.{name}").run(0.002)
    rows = common.RESULTS[before:]
    assert rows, f"{name} reported no figures"
    for row in rows:
        assert set(row) >= {"name", "value", "unit", "baseline", "ratio"}
        assert row["value"] == row["value"]  # not NaN
