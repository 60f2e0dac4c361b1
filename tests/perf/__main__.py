"""Run every benchmark: ``python -m tests.perf [--scale S] [--runs N] [--check] [name ...]``.

Also reachable as ``python3 -m fieldapp.bootstrap bench``. Prints JSON lines (see common.py) and,
with ``--out FILE``, writes them to a file for comparing runs over time. ``--check`` exits 1 when
a measured figure misses its goal (for a person at a quiet machine, never for CI).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

from tests.perf import common


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf")
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3,
                        help="runs per figure; the median is reported (default 3)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a figure misses its goal")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    common.RUNS = max(1, args.runs)
    common.log(f"load average {common.load()} on {os.cpu_count()} CPUs, {common.RUNS} runs each")
    here = Path(__file__).parent
    modules = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if args.names:
        modules = [m for m in modules if any(n in m for n in args.names)]
    failed = []
    for name in modules:
        common.log(f"running {name} at scale {args.scale}")
        module = importlib.import_module(f"tests.perf.{name}")
        try:
            module.run(args.scale)
        except Exception as exc:  # report and go on: one broken benchmark must not hide the rest
            common.log(f"{name} failed: {exc!r}")
            failed.append(name)
    if args.out:
        args.out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in common.RESULTS))
    missed = common.missed_goals() if args.check else []
    for line in missed:
        common.log(f"goal missed: {line}")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
