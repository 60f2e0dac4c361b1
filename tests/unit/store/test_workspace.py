"""The encrypted workspace: create, unlock, recover, change passphrase, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.services import records
from fieldapp.store.errors import (
    StorageFull,
    WorkspaceCorrupt,
    WorkspaceExists,
    WorkspaceInUse,
    WorkspaceNotFound,
    WorkspaceTooNew,
    WrongPassphrase,
    WrongRecoveryKey,
)
from fieldapp.store.folder import DB_NAME, SCHEMA_VERSION
from fieldapp.store.keys import KEYFILE_NAME, KdfParams, parse_recovery_key
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE


def test_create_close_reopen_keeps_records(ws_path: Path) -> None:
    ws, recovery = Workspace.initialise(ws_path, PASSPHRASE)
    pid = records.add_participant(ws, code="KM-HIV-001", role="社工")
    ws.close()
    with Workspace.open(ws_path, PASSPHRASE) as again:
        assert records.get(again, "participant", pid)["role"] == "社工"
    assert len(parse_recovery_key(recovery)) == 20


def test_pragmas_are_the_safe_ones(ws: Workspace) -> None:
    db = ws.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert db.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    assert db.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")


def test_wrong_passphrase_is_refused_before_anything_is_written(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    ws.close()
    before = (ws_path / DB_NAME).read_bytes()
    with pytest.raises(WrongPassphrase) as info:
        Workspace.open(ws_path, "not the passphrase")
    assert "passphrase is not correct" in str(info.value)
    assert (ws_path / DB_NAME).read_bytes() == before
    # The failed attempt is counted in the key file and lands in the audit log at next unlock.
    assert json.loads((ws_path / KEYFILE_NAME).read_text())["failed_unlocks"]
    with Workspace.open(ws_path, PASSPHRASE) as again:
        actions = [e["action"] for e in again.audit_log()]
    assert "unlock.failed" in actions


def test_recovery_key_opens_and_sets_a_new_passphrase(ws_path: Path) -> None:
    from fieldapp.services.session import recover_workspace

    ws, recovery = Workspace.initialise(ws_path, PASSPHRASE)
    ws.close()
    # As copied by hand: lower case, spaces instead of dashes, 0 for O.
    typed = recovery.lower().replace("-", " ").replace("o", "0")
    recover_workspace(ws_path, typed, "a brand new passphrase").close()
    with pytest.raises(WrongPassphrase):
        Workspace.open(ws_path, PASSPHRASE)
    Workspace.open(ws_path, "a brand new passphrase").close()


def test_wrong_recovery_key(ws_path: Path) -> None:
    ws, recovery = Workspace.initialise(ws_path, PASSPHRASE)
    ws.close()
    wrong = ("B" if recovery[0] != "B" else "C") + recovery[1:]
    with pytest.raises(WrongRecoveryKey):
        Workspace.open_with_recovery(ws_path, wrong)
    with pytest.raises(WrongRecoveryKey):
        Workspace.open_with_recovery(ws_path, "too-short")


def test_change_passphrase_rewraps_without_touching_the_database(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE, kdf=KdfParams())  # real parameters
    records.add_participant(ws, code="CD-MIG-001")
    ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db_before = (ws_path / DB_NAME).read_bytes()
    ws.change_passphrase("new passphrase 2026")
    ws.close()
    # Re-wrapping is one Argon2id run, not a re-encryption: the database pages are unchanged
    # apart from the audit row, so compare sizes and that most pages are identical.
    db_after = (ws_path / DB_NAME).read_bytes()
    pages = [db_before[i:i + 4096] == db_after[i:i + 4096] for i in range(0, len(db_before), 4096)]
    assert sum(pages) >= len(pages) - 3
    with pytest.raises(WrongPassphrase):
        Workspace.open(ws_path, PASSPHRASE)
    Workspace.open(ws_path, "new passphrase 2026").close()


def test_default_kdf_parameters_are_the_tuned_ones() -> None:
    # What the product uses outside this test process (tests/kdf.py lowers them here).
    from tests.kdf import REAL_DEFAULT_KDF, REAL_KDF_FLOOR

    assert REAL_DEFAULT_KDF == KdfParams()
    assert REAL_DEFAULT_KDF.memory_kib >= 128 * 1024 and REAL_DEFAULT_KDF.iterations >= 3
    assert (REAL_KDF_FLOOR.memory_kib, REAL_KDF_FLOOR.iterations) == (64 * 1024, 2)


def test_creating_over_an_existing_workspace_is_refused(ws: Workspace, ws_path: Path) -> None:
    with pytest.raises(WorkspaceExists):
        Workspace.initialise(ws_path, PASSPHRASE)


def test_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceNotFound):
        Workspace.open(tmp_path / "nothing-here", PASSPHRASE)


def test_same_workspace_opened_twice_is_refused(ws: Workspace, ws_path: Path) -> None:
    with pytest.raises(WorkspaceInUse) as info:
        Workspace.open(ws_path, PASSPHRASE)
    assert "already open" in info.value.message
    records.add_participant(ws, code="still-works")  # the first one is unaffected


def test_truncated_database_is_a_clear_message(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    for i in range(200):
        records.add_participant(ws, code=f"P{i:03d}", role="x" * 200)
    ws.close()
    db = ws_path / DB_NAME
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkspaceCorrupt) as info:
        Workspace.open(ws_path, PASSPHRASE)
    assert "damaged" in info.value.message
    assert "not a database" not in info.value.message


def test_first_page_corrupted_is_a_clear_message(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    ws.close()
    db = ws_path / DB_NAME
    data = bytearray(db.read_bytes())
    data[100] ^= 0xFF
    db.write_bytes(bytes(data))
    with pytest.raises(WorkspaceCorrupt):
        Workspace.open(ws_path, PASSPHRASE)


def test_key_file_corrupted_is_a_clear_message(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    ws.close()
    (ws_path / KEYFILE_NAME).write_text("{not json")
    with pytest.raises(WorkspaceCorrupt):
        Workspace.open(ws_path, PASSPHRASE)


def test_workspace_from_a_newer_version_is_refused(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    ws.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    ws.close()
    with pytest.raises(WorkspaceTooNew) as info:
        Workspace.open(ws_path, PASSPHRASE)
    assert "newer version" in info.value.message


def test_key_file_from_a_newer_version_is_refused(ws_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    ws.close()
    data = json.loads((ws_path / KEYFILE_NAME).read_text())
    data["version"] = 99
    (ws_path / KEYFILE_NAME).write_text(json.dumps(data))
    with pytest.raises(WorkspaceTooNew):
        Workspace.open(ws_path, PASSPHRASE)


def test_pending_migration_backs_up_first(ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldapp.store import folder as foldermod

    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    records.add_participant(ws, code="KM-DIS-001")
    ws.close()
    from fieldapp.store import check as check_mod

    extra = (SCHEMA_VERSION + 1, "test_column",
             "ALTER TABLE participant ADD COLUMN test_extra TEXT;")
    monkeypatch.setattr(foldermod, "MIGRATIONS", [*foldermod.MIGRATIONS, extra])
    monkeypatch.setattr(check_mod, "MIGRATIONS", [*foldermod.MIGRATIONS])
    monkeypatch.setattr(foldermod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    taken: list[bytes] = []
    real_shred = foldermod.shred
    monkeypatch.setattr(foldermod, "shred", lambda f: (taken.append(f.read_bytes()), real_shred(f)))
    with Workspace.open(ws_path, PASSPHRASE) as again:
        assert again.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        (removed,) = [e for e in again.audit_log() if e["action"] == "backup.remove"]
        assert removed["detail"] == {"copies": 1, "all": True}
    # One copy was taken, encrypted with the same key (no plaintext SQLite header), and
    # removed once the migrated workspace had passed its check.
    assert len(taken) == 1 and not taken[0].startswith(b"SQLite format 3")
    assert list((ws_path / "backups").iterdir()) == []


def test_failed_migration_rolls_back(ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldapp.store import folder as foldermod

    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    ws.close()
    broken = (SCHEMA_VERSION + 1, "broken", "CREATE TABLE half (x);\nTHIS IS NOT SQL;")
    monkeypatch.setattr(foldermod, "MIGRATIONS", [*foldermod.MIGRATIONS, broken])
    monkeypatch.setattr(foldermod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(Exception):  # noqa: B017 - any error; what matters is below
        Workspace.open(ws_path, PASSPHRASE)
    monkeypatch.undo()
    with Workspace.open(ws_path, PASSPHRASE) as again:
        assert again.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in again.db.execute("SELECT name FROM sqlite_master")}
        assert "half" not in tables


def test_full_disk_rolls_back_and_says_so(ws: Workspace) -> None:
    nid_interview = records.add_interview(ws, code="GZ-MIG-I001")
    note = records.add_note(ws, nid_interview, body="before the disk filled up")
    ops_before = len(ws.ops())
    pages = ws.db.execute("PRAGMA page_count").fetchone()[0]
    ws.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(StorageFull) as info:
        records.save_note_body(ws, note, "很长的文字" * 50_000)
    assert "disk is full" in info.value.message
    assert records.get(ws, "note", note)["body"] == "before the disk filled up"
    assert len(ws.ops()) == ops_before
    ws.db.execute("PRAGMA max_page_count = 1073741823")
    # The sequence counter was rolled back with the transaction: the next write is fine.
    records.save_note_body(ws, note, "after space was freed")
    assert records.get(ws, "note", note)["body"] == "after space was freed"


@pytest.mark.parametrize("text", [
    "𠮷野家的𠮷", "emoji 😀👩🏽‍⚕️ 和中文", "\u0000 nul inside", "ＦＵＬＬ　ｗｉｄｔｈ",
])
def test_rare_characters_are_stored_and_found_intact(ws: Workspace, text: str) -> None:
    from fieldapp.services.search import search

    iid = records.add_interview(ws, code="NN-HIV-I001")
    nid = records.add_note(ws, iid, body=text)
    assert records.get(ws, "note", nid)["body"] == text
    query = text.split()[0].replace("\u0000", "")
    if query.strip():
        assert [h.note_id for h in search(ws, query)] == [nid]
