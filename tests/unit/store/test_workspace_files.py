"""The workspace's files seen from outside: a missing or empty database is an error (never a new
workspace), and nothing in the folder is readable by other accounts on the laptop."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from fieldapp.services import records
from fieldapp.services.attachments import add_attachment
from fieldapp.store.errors import DatabaseMissing
from fieldapp.store.keys import KEYFILE_NAME
from fieldapp.store.workspace import DB_NAME, Workspace
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")


def _cli(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIELDAPP_LANG": "en", "FIELDAPP_PASSPHRASE": PASSPHRASE}

    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=120,
                          check=False, preexec_fn=set_umask if os.name != "nt" else None)


def _listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_missing_or_empty_database_is_an_error_not_a_new_workspace(
        ws: Workspace, ws_path: Path, damage: str) -> None:
    records.add_participant(ws, code="KM-HIV-001")
    ws.close()
    db = ws_path / DB_NAME
    if damage == "empty":
        db.write_bytes(b"")
    else:
        db.unlink()
    before = _listing(ws_path)
    for command in (["search", str(ws_path), "x"], ["check", str(ws_path)],
                    ["record", "list", str(ws_path), "participant"]):
        proc = _cli(*command)
        assert proc.returncode == 1, (command, proc.stdout, proc.stderr)
        assert "(data.db) is missing or empty" in proc.stderr
        assert "backup copy of the workspace folder" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert _listing(ws_path) == before, "nothing may be created or changed"
    with pytest.raises(DatabaseMissing):
        Workspace.open(ws_path, PASSPHRASE)
    assert _listing(ws_path) == before


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)) or ".": stat.S_IMODE(p.lstat().st_mode)
            for p in [root, *sorted(root.rglob("*"))]}


@posix_only
def test_workspace_is_private_to_its_owner_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    proc = _cli("init", str(path), umask=0o022)
    assert proc.returncode == 0, proc.stderr
    photo = tmp_path / "consent.jpg"
    photo.write_bytes(b"\xff\xd8 a photo of a signed form")
    interview = _cli("record", "create", str(path), "interview", "--set", "code=KM-1",
                     umask=0o000).stdout.strip()
    proc = _cli("attach", str(path), interview, str(photo), umask=0o000)
    assert proc.returncode == 0, proc.stderr
    modes = _modes(path)
    assert {"fieldapp-workspace.json", "data.db", ".lock", "attachments"} <= set(modes)
    assert any(name.endswith(".enc") for name in modes)
    for name, mode in modes.items():
        is_dir = (path / name).is_dir()
        assert mode == (0o700 if is_dir else 0o600), f"{name}: {oct(mode)}"


@posix_only
def test_opening_tightens_a_loose_workspace(ws: Workspace, ws_path: Path) -> None:
    add_attachment(ws, _photo(ws_path.parent), interview_id=records.add_interview(ws, code="KM-2"),
                   kind="photo")
    ws.close()
    (ws_path / "backups").mkdir()
    (ws_path / "backups" / "data-v1.db").write_bytes(b"an old copy")
    for p in [ws_path, *ws_path.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    proc = _cli("search", str(ws_path), "x")
    assert proc.returncode == 0, proc.stderr
    for name, mode in _modes(ws_path).items():
        assert mode & 0o077 == 0, f"{name} is still {oct(mode)}"
    assert stat.S_IMODE((ws_path / KEYFILE_NAME).stat().st_mode) == 0o600


def _photo(folder: Path) -> Path:
    path = folder / "photo.jpg"
    path.write_bytes(b"\xff\xd8 not much of a photo")
    return path
