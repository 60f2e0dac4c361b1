"""Erasure leaves nothing decryptable, attacked from outside the code that promises it: every
page and WAL frame of ``data.db`` and of every file in ``backups/`` is decrypted with the data
key (what someone who learned the passphrase would do) and searched; backups are copied into
place and opened; a withdrawal is killed with SIGKILL between its commit and its cleanup."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fieldapp.services import memos, records
from fieldapp.services.search import search
from fieldapp.store import folder as foldermod
from fieldapp.store.workspace import DB_NAME, Workspace
from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF
from tests.unit.store.pagescan import decrypted_pages, encodings, found_in

NAME = "鞠婧祎"
PHONE = "13987654321"
# A word no other note has, so FTS5 stores it whole (not prefix-compressed) in its pages.
NOTE_WORD = "xylographer"
NOTE_TEXT = f"她在诊所做{NOTE_WORD}的工作，确诊后不再去了"
ANSWER = "quokkaberry"
# A memo on the interview (a word no other text has), erased with the interview.
MEMO_WORD = "zanthoxylmemo"
SECRETS = (NAME, PHONE, NOTE_WORD, ANSWER, "确诊后不再", MEMO_WORD)


def _populate(ws: Workspace) -> str:
    """A participant with identity, consent, an interview with a note, and a survey answer;
    another participant's data around them, so pages are shared and not simply dropped."""
    other = records.add_participant(ws, code="KM-HIV-008")
    other_iv = records.add_interview(ws, code="KM-HIV-I008", participant_ids=[other])
    records.add_note(ws, other_iv, body="另一位受访者的笔记，提到登记注册的问题。")
    pid = records.add_participant(ws, code="KM-HIV-007", role="peer educator",
                                  identity={"real_name": NAME, "phone": PHONE})
    records.record_consent(ws, pid, form_version="v1", language="zh", method="oral",
                           date_given="2026-05-01", scopes=["audio"])
    iid = records.add_interview(ws, code="KM-HIV-I007", participant_ids=[pid])
    records.add_note(ws, iid, body=NOTE_TEXT)
    records.create(ws, "response", {"participant_id": pid, "status": "complete",
                                    "data": {"q_job": ANSWER}})
    if "memo" in {r[0] for r in ws.db.execute("SELECT name FROM sqlite_master")}:
        # (the workspace made "as an older version" has no memos yet: see the migration test)
        memos.add_memo(ws, about="interview", interview_id=iid, title="反思",
                       body=f"{NAME}提到{MEMO_WORD}")
    return pid


def _backups(ws_path: Path) -> list[Path]:
    folder = ws_path / "backups"
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _files_to_scan(ws_path: Path) -> list[Path]:
    return [ws_path / DB_NAME, *_backups(ws_path)]


def _survivors(ws_path: Path, key: bytes) -> list[tuple[str, str]]:
    """(file, secret) for every secret readable in any page or WAL frame of any file."""
    found = []
    for f in _files_to_scan(ws_path):
        pages = list(decrypted_pages(f, key))
        for secret in SECRETS:
            if any(n in page for page in pages for n in encodings(secret)):
                found.append((f.name, secret))
    return found


def _old_schema(monkeypatch: pytest.MonkeyPatch, version: int) -> None:
    """Make this process create workspaces as a version of fieldapp with schema ``version``."""
    monkeypatch.setattr(foldermod, "MIGRATIONS", [m for m in foldermod.MIGRATIONS if m[0] <= version])
    monkeypatch.setattr(foldermod, "SCHEMA_VERSION", version)


def _nothing_comes_back(ws_path: Path, tmp_path: Path) -> None:
    """Copy each backup into place, as someone restoring it would, and open it."""
    for i, backup in enumerate(_backups(ws_path)):
        copy = tmp_path / f"restored-{i}"
        shutil.copytree(ws_path, copy, ignore=shutil.ignore_patterns(".lock", "data.db-*"))
        shutil.copy2(backup, copy / DB_NAME)
        with Workspace.open(copy, PASSPHRASE) as restored:
            assert records.list_records(restored, "participant",
                                        where={"code": "KM-HIV-007"}) == []
            assert records.list_records(restored, "identity") == []
            assert search(restored, NAME) == [] and search(restored, NOTE_WORD) == []


# -- backups ---------------------------------------------------------------------------------


def test_a_migration_backup_does_not_outlive_the_verified_open(
        ws_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_schema(monkeypatch, foldermod.SCHEMA_VERSION - 1)
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    pid = _populate(ws)
    key = ws.data_key
    ws.close()
    assert found_in(ws_path / DB_NAME, key, NAME)  # the scan can see what it looks for
    monkeypatch.undo()

    ws = Workspace.open(ws_path, PASSPHRASE)  # migrates, with a backup taken first
    try:
        assert ws.db.execute("PRAGMA user_version").fetchone()[0] == foldermod.SCHEMA_VERSION
        (iv,) = records.list_records(ws, "interview", where={"code": "KM-HIV-I007"})
        memos.add_memo(ws, about="interview", interview_id=iv["id"], body=MEMO_WORD)
        assert found_in(ws_path / DB_NAME, key, MEMO_WORD)
        assert _backups(ws_path) == []
        assert "backup.remove" in [e["action"] for e in ws.audit_log()]
        # The migrated index answers like the old one.
        assert search(ws, NOTE_WORD) and search(ws, "登记")
        records.withdraw_consent(ws, pid)
        assert _survivors(ws_path, key) == []
    finally:
        ws.close()
    assert _survivors(ws_path, key) == []
    _nothing_comes_back(ws_path, tmp_path)


def test_a_backup_left_by_an_older_version_is_removed_when_the_workspace_opens(
        ws_path: Path, tmp_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    pid = _populate(ws)
    key = ws.data_key
    ws.close()
    # What earlier versions left behind: a full copy taken before a migration.
    (ws_path / "backups").mkdir()
    left = ws_path / "backups" / "data-v1-20260101T000000Z.db"
    shutil.copy2(ws_path / DB_NAME, left)
    assert found_in(left, key, NAME) and found_in(left, key, PHONE)

    with Workspace.open(ws_path, PASSPHRASE) as ws:
        assert _backups(ws_path) == []
        records.withdraw_consent(ws, pid)
        assert _survivors(ws_path, key) == []
    assert _survivors(ws_path, key) == []
    _nothing_comes_back(ws_path, tmp_path)


def test_a_backup_kept_because_the_check_failed_is_removed_by_the_next_erasure(
        ws_path: Path, tmp_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    pid = _populate(ws)
    key = ws.data_key
    # Damage: a table that no longer matches the change log, so the check fails.
    ws.db.execute("UPDATE participant SET role = 'changed behind the log' WHERE id = ?", (pid,))
    ws.close()
    (ws_path / "backups").mkdir()
    shutil.copy2(ws_path / DB_NAME, ws_path / "backups" / "data-v1-20260101T000000Z.db")

    with Workspace.open(ws_path, PASSPHRASE) as ws:
        # Not verified: the copy may be the way back, so it stays …
        assert len(_backups(ws_path)) == 1
        # … until an erasure, which no copy may outlive.
        records.withdraw_consent(ws, pid)
        assert _survivors(ws_path, key) == []
        assert _backups(ws_path) == []
        assert "backup.keep" in [e["action"] for e in ws.audit_log()]
    _nothing_comes_back(ws_path, tmp_path)


# -- text edited out of a note ---------------------------------------------------------------


def test_a_word_edited_out_of_a_note_leaves_every_page(ws: Workspace) -> None:
    import random

    from tests.perf.bench_store import make_note

    rng = random.Random(3)
    iid = records.add_interview(ws, code="KM-HIV-I010")
    # Enough other notes that the index has many pages and segments.
    records.add_notes(ws, iid, [make_note(rng, 600) for _ in range(300)])
    nid = records.add_note(ws, iid, body=f"开头。{NAME}说{NOTE_WORD}的事情，电话{PHONE}。结尾。")
    for i in range(3):  # more segments after it
        records.add_note(ws, iid, body=make_note(rng, 300) + f" 其他{i}")
    db, key = ws.path / DB_NAME, ws.data_key
    for secret in (NAME, NOTE_WORD, PHONE):
        assert found_in(db, key, secret), secret  # positive control
    assert search(ws, NOTE_WORD) and search(ws, NAME)

    records.save_note_body(ws, nid, "开头。结尾。")

    for secret in (NAME, NOTE_WORD, PHONE, NAME[:2], NAME[1:]):
        assert not found_in(db, key, secret), f"{secret!r} survived the edit"
    assert search(ws, NOTE_WORD) == [] and search(ws, NAME) == []
    assert [h.note_id for h in search(ws, "开头")] == [nid]
    # Typing (only adding text) does not fold the WAL back on every save; it has nothing to.
    records.save_note_body(ws, nid, "开头。新的一句。结尾。")
    assert [h.note_id for h in search(ws, "新的")] == [nid]
    from fieldapp.store.check import check

    assert check(ws).ok


def test_removes_text_tells_typing_from_deleting() -> None:
    from fieldapp.store.search import removes_text

    assert not removes_text("", "abc")
    assert not removes_text("abc", "abc")
    assert not removes_text("abc", "abXc")
    assert not removes_text("abc", "Xabc") and not removes_text("abc", "abcX")
    assert removes_text("abc", "ab")
    assert removes_text("abc", "aXc")
    assert removes_text("abcabc", "abcXbc")
    assert removes_text("欧阳娜娜", "欧阳娜")


# -- a withdrawal killed between its commit and its cleanup ----------------------------------

_CHILD = textwrap.dedent("""
    import os, signal, sys
    from fieldapp.services import records
    from fieldapp.store import workspace as w
    from tests.kdf import allow_weak_kdf

    allow_weak_kdf()  # the workspace was made with the test suite's parameters

    path, stop_at = sys.argv[1], sys.argv[2]

    def die(*_args):
        os.kill(os.getpid(), signal.SIGKILL)

    if stop_at == "before_cleanup":
        w.Workspace.compact_after_erasure = die
    else:
        w._cleanup_step = lambda step: die() if step == stop_at else None
    ws = w.Workspace.open(path, os.environ["FIELDAPP_PASSPHRASE"])
    (p,) = records.list_records(ws, "participant", where={"code": "KM-HIV-007"})
    records.withdraw_consent(ws, p["id"])
    print("the cleanup ran to the end")
""")


@pytest.mark.parametrize("stop_at", ["before_cleanup", "compacted", "checkpointed"])
def test_withdrawal_killed_between_commit_and_cleanup_is_finished_on_the_next_open(
        ws_path: Path, stop_at: str) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    _populate(ws)
    key = ws.data_key
    ws.close()
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(ws_path), stop_at], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    if stop_at == "before_cleanup":
        # The kill left erased text in pages: what the next open has to clean up.
        assert _survivors(ws_path, key)

    with Workspace.open(ws_path, PASSPHRASE) as again:
        assert records.list_records(again, "participant", where={"code": "KM-HIV-007"}) == []
        assert _survivors(ws_path, key) == []
        assert again.meta("erasure.cleanup_pending") == ""
        assert "erasure.cleanup_finished" in [e["action"] for e in again.audit_log()]
        assert search(again, "登记")  # the other participant's note is still found
    assert _survivors(ws_path, key) == []


def test_an_index_made_by_an_earlier_tokenizer_is_rebuilt_before_text_is_edited_out(
        ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A removal from the contentless index hands FTS5 the entries the current code computes
    for the old text; entries an earlier tokenizer made (here: tokenizer 5's chunks of a few
    hundred characters) would not match them (without the rebuild the edit fails: FTS5 finds
    its index corrupt), and could keep the edited-out word. The first open with a new
    tokenizer rebuilds the index, so the edit goes through and the word leaves every page."""
    from fieldapp.store import search as index

    long_body = "。".join(f"第{i}句谈到登记注册和项目评估" for i in range(60))
    body = f"{long_body}。{NAME}说{NOTE_WORD}的事情。{long_body}。"
    with monkeypatch.context() as old:
        old.setattr(index, "_CUT_EVERY", 8)
        old.setattr(index, "_CHUNK_MAX", 1000)
        old.setattr(index, "TOKENIZER_VERSION", "5")
        assert index.entries(1, body) != {}  # (made while the old tokenizer is in place)
        old_rows = set(index.entries(1, body))
        ws, _ = Workspace.initialise(ws_path, PASSPHRASE, kdf=TEST_KDF)
        with ws:
            iid = records.add_interview(ws, code="KM-HIV-I011")
            nid = records.add_note(ws, iid, body=body)
    assert old_rows != set(index.entries(1, body))  # the chunking did change
    with Workspace.open(ws_path, PASSPHRASE) as ws:
        assert [h.note_id for h in search(ws, NOTE_WORD)] == [nid]
        records.save_note_body(ws, nid, f"{long_body}。{long_body}。")
        db, key = ws.path / DB_NAME, ws.data_key
        assert not found_in(db, key, NOTE_WORD), "the edited-out word survived in the index"
        assert search(ws, NOTE_WORD) == [] and search(ws, "登记") != []
