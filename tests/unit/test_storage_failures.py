"""Real storage failures and bad input, given to the command line in a separate process: a
full disk (a small tmpfs filled to the last byte), a read-only workspace folder (the tmpfs
remounted read-only: chmod does not stop root, which the tests may run as), a wrong passphrase
on a full disk, bytes that are not UTF-8, and a damaged page. Each gets a clear message and
exit 1 (3 for ``check``), and nothing is changed.

The mounts need root (or CAP_SYS_ADMIN); where they cannot be made, those tests are skipped
and say so.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp.services import records
from fieldapp.store.keys import KEYFILE_NAME
from fieldapp.store.workspace import DB_NAME, Workspace
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF


def _cli(*args: str | bytes, env: dict[str, str] | None = None,
         env_bytes: dict[bytes, bytes] | None = None) -> subprocess.CompletedProcess[str]:
    full: dict[bytes, bytes] = {k.encode(): v.encode() for k, v in os.environ.items()}
    full.update({b"FIELDAPP_LANG": b"en", b"FIELDAPP_PASSPHRASE": PASSPHRASE.encode()})
    full.update({k.encode(): v.encode() for k, v in (env or {}).items()})
    full.update(env_bytes or {})
    argv = [a if isinstance(a, bytes) else a.encode() for a in [*CLI, *args]]
    proc = subprocess.run(argv, capture_output=True, env=full, timeout=120, check=False)
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def _assert_clean(proc: subprocess.CompletedProcess[str], code: int, *expected: str) -> None:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    for text in expected:
        assert text in proc.stderr + proc.stdout, proc.stderr + proc.stdout
    for bad in ("Traceback", "unexpected error", "Something went wrong"):
        assert bad not in proc.stderr + proc.stdout


def _digest(root: Path) -> dict[str, str]:
    """Every file's hash, less what holds no data: SQLite may leave an empty WAL and its
    shared-memory index (-shm, rebuilt from the WAL at every open) after a refused open."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "filler"
            and not p.name.endswith("-shm")
            and not (p.name.endswith("-wal") and p.stat().st_size == 0)}


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(where)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("a tmpfs cannot be mounted here (needs root); the storage-failure tests "
                    "did not run")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _fill(disk: Path) -> None:
    """Take every free byte of the file system."""
    with open(disk / "filler", "wb", buffering=0) as fh:
        for block in (b"\0" * 65536, b"\0" * 512, b"\0"):
            try:
                while fh.write(block):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with _tmpfs(tmp_path / "disk", "4m") as disk:
        yield disk


@pytest.fixture
def full_ws(small_disk: Path) -> Iterator[Path]:
    """A workspace holding one participant on a disk with no byte left."""
    path = small_disk / "ws"
    ws, _recovery = Workspace.initialise(path, PASSPHRASE, kdf=TEST_KDF)
    records.add_participant(ws, code="KM-HIV-001")
    ws.close()
    _fill(small_disk)
    yield path
    (small_disk / "filler").unlink()


def _participants(path: Path) -> list[str]:
    with Workspace.open(path, PASSPHRASE) as ws:
        return [r["code"] for r in records.list_records(ws, "participant")]


def test_a_full_disk_refuses_a_write_and_says_so(full_ws: Path) -> None:
    before = _digest(full_ws)
    proc = _cli("record", "create", str(full_ws), "participant", "--set", "code=KM-HIV-002")
    _assert_clean(proc, 1, "The disk is full")
    assert _digest(full_ws) == before
    (full_ws.parent / "filler").unlink()
    assert _participants(full_ws) == ["KM-HIV-001"]
    (full_ws.parent / "filler").write_bytes(b"")


def test_a_full_disk_is_named_when_only_reading_too(full_ws: Path) -> None:
    before = _digest(full_ws)
    proc = _cli("search", str(full_ws), "KM")
    _assert_clean(proc, 1, "The disk is full")
    assert "cannot be opened or read" in proc.stderr
    assert _digest(full_ws) == before


def test_a_wrong_passphrase_on_a_full_disk_is_still_a_wrong_passphrase(full_ws: Path) -> None:
    before = _digest(full_ws)
    proc = _cli("search", str(full_ws), "KM", env={"FIELDAPP_PASSPHRASE": "not the passphrase"})
    _assert_clean(proc, 1, "The passphrase is not correct")
    assert _digest(full_ws) == before
    assert sorted(p.name for p in full_ws.iterdir()) == sorted(
        [".lock", "attachments", DB_NAME, KEYFILE_NAME])


def test_creating_a_workspace_on_a_full_disk_leaves_nothing(small_disk: Path) -> None:
    _fill(small_disk)
    proc = _cli("init", str(small_disk / "new"))
    _assert_clean(proc, 1, "The disk is full")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_read_only_workspace_folder(small_disk: Path) -> None:
    path = small_disk / "ws"
    ws, _recovery = Workspace.initialise(path, PASSPHRASE, kdf=TEST_KDF)
    records.add_participant(ws, code="KM-HIV-001")
    ws.close()
    before = _digest(path)
    remount = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)],
                             capture_output=True, check=False)
    assert remount.returncode == 0, remount.stderr
    try:
        with pytest.raises(OSError):
            (path / "probe").write_bytes(b"")  # really read-only, even for root
        for command in (["record", "create", str(path), "participant", "--set", "code=X"],
                        ["search", str(path), "KM"]):
            proc = _cli(*command)
            _assert_clean(proc, 1, "cannot be written to", str(path))
        proc = _cli("init", str(small_disk / "other"))
        _assert_clean(proc, 1, "cannot be written to")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=False)
    assert _digest(path) == before
    assert _participants(path) == ["KM-HIV-001"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX byte arguments")
def test_arguments_and_passphrases_that_are_not_utf8(ws: Workspace, ws_path: Path) -> None:
    records.add_participant(ws, code="KM-HIV-001")
    ws.close()
    before = _digest(ws_path)
    gbk = "受访者".encode("gbk")  # a GBK terminal's bytes
    proc = _cli("record", "create", str(ws_path), "participant", "--set", b"code=" + gbk)
    _assert_clean(proc, 1, "argument 6 is not valid UTF-8 text")
    proc = _cli("search", str(ws_path), gbk)
    _assert_clean(proc, 1, "argument 3 is not valid UTF-8 text")
    proc = _cli("search", str(ws_path), "KM", env_bytes={b"FIELDAPP_PASSPHRASE": b"pass\xff\xfe"})
    _assert_clean(proc, 1, "FIELDAPP_PASSPHRASE is not valid UTF-8 text")
    assert "pass" not in proc.stderr.replace("passphrase", "").replace("PASSPHRASE", "")
    proc = _cli("--lang", "zh_CN", "search", str(ws_path), gbk)
    _assert_clean(proc, 1, "UTF-8")
    assert _digest(ws_path) == before
    data = json.loads((ws_path / KEYFILE_NAME).read_text())
    assert data["failed_unlocks"] == []


def test_check_names_a_damaged_page_and_exits_3(ws: Workspace, ws_path: Path) -> None:
    for i in range(300):
        records.add_participant(ws, code=f"P{i:03d}", role="社工" * 50)
    ws.close()
    db = ws_path / DB_NAME
    pages = db.stat().st_size // 4096
    damaged = pages // 2 + 1  # 1-based, as SQLite counts
    with open(db, "r+b") as fh:
        fh.seek((damaged - 1) * 4096 + 200)
        fh.write(os.urandom(64))
    before = _digest(ws_path)
    proc = _cli("check", str(ws_path))
    _assert_clean(proc, 3, f"page {damaged} is damaged")
    assert "restore the workspace from a backup copy" in proc.stdout
    assert _digest(ws_path) == before
