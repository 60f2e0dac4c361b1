"""Argon2id parameters for the test suite, set inside the test process (never through the
environment: nothing a user can set there weakens a workspace).

The product refuses Argon2id below ``fieldapp.store.keys.KDF_FLOOR`` (64 MiB, 2 passes; ~0.1 s)
and creates new wraps with ``DEFAULT_KDF`` (128 MiB, 3 passes; ~0.3 s). Hundreds of workspaces
are made and opened in the tests, so :func:`allow_weak_kdf` lowers both to :data:`TEST_KDF` in
this process; ``tests/conftest.py`` calls it, and so does every child process the tests start
(``tests/cli_child.py`` for the command line, ``tests/ui/crash_child.py``). A test that checks
the real parameters runs ``python -m fieldapp`` itself, or passes ``KdfParams()``.
"""

from __future__ import annotations

from fieldapp.store import keys

TEST_KDF = keys.KdfParams(memory_kib=1024, iterations=1, lanes=1)
REAL_DEFAULT_KDF = keys.DEFAULT_KDF
REAL_KDF_FLOOR = keys.KDF_FLOOR


def allow_weak_kdf() -> None:
    keys.DEFAULT_KDF = TEST_KDF
    keys.KDF_FLOOR = TEST_KDF
