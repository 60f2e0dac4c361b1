"""Interviews stored as "zh+en" by earlier desktop versions become "mixed" (the one code the
export, the demo and the CLI use) when the workspace is migrated: in the table and in the
change log, so that the replay of `check` agrees and later bundles carry the one code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.services import records
from fieldapp.store import folder as foldermod
from fieldapp.store.check import check
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF


def test_zh_plus_en_becomes_mixed_in_table_and_log(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old"
    with monkeypatch.context() as old:
        old.setattr(foldermod, "MIGRATIONS", [m for m in foldermod.MIGRATIONS if m[0] < 11])
        old.setattr(foldermod, "SCHEMA_VERSION", max(m[0] for m in foldermod.MIGRATIONS if m[0] < 11))
        ws, _ = Workspace.initialise(path, PASSPHRASE, kdf=TEST_KDF)
        both = records.add_interview(ws, code="I-1", language="zh+en")
        chinese = records.add_interview(ws, code="I-2", language="zh")
        ws.close()
    with Workspace.open(path, PASSPHRASE) as ws:
        assert records.get(ws, "interview", both)["language"] == "mixed"
        assert records.get(ws, "interview", chinese)["language"] == "zh"
        logged = [json.loads(v)["language"] for (v,) in ws.db.execute(
            "SELECT \"values\" FROM ops WHERE entity = 'interview'")]
        assert sorted(logged) == ["mixed", "zh"]
        assert check(ws).ok
