"""Set up a development environment and run fieldapp or its tests.

Standard library only: this runs under whatever Python 3.11+ the machine has, before any
dependency is installed.

    python3 -m fieldapp.bootstrap run     # set up, then launch the desktop app
    python3 -m fieldapp.bootstrap test    # set up, then lint, type-check and run every test
    python3 -m fieldapp.bootstrap bench   # set up, then run the benchmarks in tests/perf

Setting up means: a virtual environment in ``.venv`` beside ``pyproject.toml``, the project
installed into it in editable mode with its test extras (only again when ``pyproject.toml``
changes), and the translation catalogs compiled into the package.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".fieldapp-installed"


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _say(message: str) -> None:
    print(f"[fieldapp] {message}", flush=True)


def ensure_environment() -> Path:
    if sys.version_info < (3, 11):
        sys.exit("fieldapp needs Python 3.11 or newer; this is " + sys.version.split()[0])
    python = _venv_python()
    if not python.exists():
        _say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        _say("installing fieldapp and its dependencies (first run, or pyproject.toml changed)")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"],
            check=True,
        )
        STAMP.write_text(wanted)
    subprocess.run([str(python), "-m", "fieldapp.i18n.catalog", "compile", "--quiet"],
                   check=True, cwd=ROOT)
    return python


def _run(argv: list[str]) -> int:
    return subprocess.run(argv, cwd=ROOT).returncode


def _parallel(args: list[str]) -> list[str]:
    """Spread the tests over the machine's cores, a test file per worker at a time (files share
    module fixtures), unless the caller chose otherwise with -n or -p no:xdist."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args) or "no:xdist" in args:
        return []
    return ["-n", "auto", "--maxprocesses", "4", "--dist", "loadfile"]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args else "run"
    python = ensure_environment()
    if command == "run":
        # A fresh machine may lack the system libraries Qt draws windows with: install them when
        # running as root, otherwise say which to install (Qt itself would abort).
        if _run([str(python), "-m", "fieldapp.qtcheck", "--install"]) != 0:
            return 1
        return _run([str(python), "-m", "fieldapp", "gui", *args])
    if command == "test":
        failed = []
        for name, step in (
            ("ruff", [str(python), "-m", "ruff", "check", "fieldapp", "tests", "packaging"]),
            ("mypy", [str(python), "-m", "mypy"]),
        ):
            _say(f"{name} …")
            if _run(step) != 0:
                failed.append(name)
        _say("pytest …")
        code = _run([str(python), "-m", "pytest", *_parallel(args), *args])
        if failed:
            _say("failed: " + ", ".join(failed))
            return code or 1
        return code
    if command == "bench":
        return _run([str(python), "-m", "tests.perf", *args])
    if command == "setup":
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
