"""``python -m tests.cli_child ARGS`` runs ``fieldapp ARGS`` as a separate process, as a user
would, but accepting and making the test suite's fast Argon2id parameters (set in this process,
see tests/kdf.py). Every test that runs the command line in a subprocess goes through
:data:`CLI`; a test of the real parameters runs ``python -m fieldapp`` instead."""

from __future__ import annotations

import sys

CLI = [sys.executable, "-m", "tests.cli_child"]
REAL_CLI = [sys.executable, "-m", "fieldapp"]

if __name__ == "__main__":
    from tests.kdf import allow_weak_kdf

    allow_weak_kdf()
    from fieldapp.cli import main

    raise SystemExit(main())
