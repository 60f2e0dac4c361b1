"""Fixtures shared by every test: a fresh encrypted workspace per test, and no test touching
the user's real data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kdf import TEST_KDF, allow_weak_kdf

# Argon2id with its real parameters takes ~0.3 s; hundreds of workspaces are made in tests, so
# this process accepts and makes weak ones (see tests/kdf.py; never through the environment).
# The real parameters have their own tests (tests/unit/store/test_keyfile.py).
allow_weak_kdf()
os.environ.setdefault("FIELDAPP_LANG", "en")

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDAPP_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    from fieldapp.i18n import set_language

    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture
def ws(ws_path: Path) -> Iterator[object]:
    from fieldapp.store.workspace import Workspace

    workspace, _recovery = Workspace.initialise(ws_path, PASSPHRASE, researcher="Test",
                                                kdf=TEST_KDF)
    try:
        yield workspace
    finally:
        if workspace.conn is not None:
            workspace.close()
