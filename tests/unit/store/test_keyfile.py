"""The key file as untrusted input, the Argon2id floor, and no weakening from the environment.

Each damaged key file is given to the real command line in a separate process: the answer must
be the "key file damaged" message with what to do, exit 1, no crash report, nothing changed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fieldapp.store import keys
from fieldapp.store.errors import KdfTooWeak, KeyFileDamaged
from fieldapp.store.keys import KEYFILE_NAME, KdfParams
from fieldapp.store.workspace import Workspace
from tests.cli_child import CLI, REAL_CLI
from tests.conftest import PASSPHRASE
from tests.kdf import REAL_DEFAULT_KDF, REAL_KDF_FLOOR, TEST_KDF

Mutation = Callable[[dict[str, Any]], None]


def _pw(data: dict[str, Any]) -> dict[str, Any]:
    return data["wraps"]["passphrase"]  # type: ignore[no-any-return]


def _set(key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        _pw(data)[key] = value
    return mutate


def _drop_wraps(data: dict[str, Any]) -> None:
    del data["wraps"]


def _drop_passphrase_wrap(data: dict[str, Any]) -> None:
    del data["wraps"]["passphrase"]


def _wraps_is_a_list(data: dict[str, Any]) -> None:
    data["wraps"] = ["passphrase"]


def _short_nonce(data: dict[str, Any]) -> None:
    _pw(data)["nonce"] = base64.b64encode(b"\x00" * 4).decode()


def _short_salt(data: dict[str, Any]) -> None:
    _pw(data)["salt"] = base64.b64encode(b"\x01" * 3).decode()


def _version_text(data: dict[str, Any]) -> None:
    data["version"] = "one"


def _workspace_id_number(data: dict[str, Any]) -> None:
    data["workspace_id"] = 7


def _failed_unlocks_text(data: dict[str, Any]) -> None:
    data["failed_unlocks"] = "many"


DAMAGE: dict[str, Mutation] = {
    "no wraps": _drop_wraps,
    "no passphrase wrap": _drop_passphrase_wrap,
    "wraps of the wrong type": _wraps_is_a_list,
    "bad base64": _set("wrapped", "!!! not base64 !!!"),
    "non-ASCII base64": _set("salt", "盐盐盐盐"),
    "short nonce": _short_nonce,
    "short salt": _short_salt,
    "nonce of the wrong type": _set("nonce", 12),
    "absurd memory": _set("memory_kib", 2 ** 40),
    "absurd passes": _set("iterations", 10 ** 9),
    "zero lanes": _set("lanes", 0),
    "negative memory": _set("memory_kib", -1),
    "memory as text": _set("memory_kib", "lots"),
    "passes as a float": _set("iterations", 3.5),
    "lanes as a boolean": _set("lanes", True),
    "unknown kdf": _set("kdf", "md5"),
    "version as text": _version_text,
    "workspace id as a number": _workspace_id_number,
    "failed attempts as text": _failed_unlocks_text,
}


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(args: list[str], env: dict[str, str], *, real: bool = False
         ) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "FIELDAPP_LANG": "en", **env}
    full.pop("FIELDAPP_INSECURE_FAST_KDF_FOR_TESTS", None)
    return subprocess.run([*(REAL_CLI if real else CLI), *args], capture_output=True,
                          text=True, env=full, timeout=120, check=False)


def _assert_clean_failure(proc: subprocess.CompletedProcess[str], expected: str) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert expected in proc.stderr, proc.stderr
    for bad in ("Traceback", "unexpected error", "Something went wrong"):
        assert bad not in proc.stderr + proc.stdout


@pytest.fixture
def closed_ws(ws: Workspace, ws_path: Path) -> Path:
    ws.close()
    return ws_path


def test_every_damaged_key_file_is_a_clear_message(closed_ws: Path) -> None:
    keyfile = closed_ws / KEYFILE_NAME
    original = json.loads(keyfile.read_text())
    env = {"FIELDAPP_PASSPHRASE": PASSPHRASE}
    for name, mutate in DAMAGE.items():
        data = copy.deepcopy(original)
        mutate(data)
        keyfile.write_text(json.dumps(data))
        before = _tree_digest(closed_ws)
        proc = _cli(["search", str(closed_ws), "x"], env)
        _assert_clean_failure(proc, "is damaged, so the workspace cannot be unlocked")
        assert "backup copy" in proc.stderr, name
        assert _tree_digest(closed_ws) == before, f"{name}: something was changed"
    # Not JSON at all, and not an object.
    for text in ("{\"format\": ", "[1, 2, 3]", "\x00\x01\x02"):
        keyfile.write_text(text)
        _assert_clean_failure(_cli(["search", str(closed_ws), "x"], env), "is damaged")


def test_a_damaged_recovery_wrap_is_a_clear_message(closed_ws: Path) -> None:
    keyfile = closed_ws / KEYFILE_NAME
    data = json.loads(keyfile.read_text())
    data["wraps"]["recovery"]["nonce"] = "AAAA"
    keyfile.write_text(json.dumps(data))
    proc = _cli(["passwd", str(closed_ws), "--recovery"],
                {"FIELDAPP_RECOVERY_KEY": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH",
                 "FIELDAPP_NEW_PASSPHRASE": "a new passphrase 2026"})
    _assert_clean_failure(proc, "is damaged")


def test_parameters_below_the_floor_are_refused_and_recovery_rewraps_with_todays(
        ws_path: Path) -> None:
    # A workspace whose passphrase wrap is weak (as the removed test switch made them),
    # opened by the real command line, which has the real floor.
    ws, recovery = Workspace.initialise(ws_path, PASSPHRASE, kdf=TEST_KDF)
    ws.close()
    env = {"FIELDAPP_PASSPHRASE": PASSPHRASE}
    before = _tree_digest(ws_path)
    proc = _cli(["search", str(ws_path), "x"], env, real=True)
    _assert_clean_failure(proc, "weaker settings than fieldapp accepts")
    assert "64 MiB" in proc.stderr and "--recovery" in proc.stderr
    assert _tree_digest(ws_path) == before

    proc = _cli(["passwd", str(ws_path), "--recovery"],
                {"FIELDAPP_RECOVERY_KEY": recovery,
                 "FIELDAPP_NEW_PASSPHRASE": "a new passphrase 2026"}, real=True)
    assert proc.returncode == 0, proc.stderr
    wrap = json.loads((ws_path / KEYFILE_NAME).read_text())["wraps"]["passphrase"]
    assert (wrap["memory_kib"], wrap["iterations"], wrap["lanes"]) == (
        REAL_DEFAULT_KDF.memory_kib, REAL_DEFAULT_KDF.iterations, REAL_DEFAULT_KDF.lanes)
    proc = _cli(["search", str(ws_path), "x"], {"FIELDAPP_PASSPHRASE": "a new passphrase 2026"},
                real=True)
    assert proc.returncode == 0, proc.stderr


def test_the_environment_cannot_weaken_a_new_workspace(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    proc = _cli(["init", str(path)], {"FIELDAPP_PASSPHRASE": PASSPHRASE,
                                      "FIELDAPP_INSECURE_FAST_KDF_FOR_TESTS": "1"}, real=True)
    assert proc.returncode == 0, proc.stderr
    wrap = json.loads((path / KEYFILE_NAME).read_text())["wraps"]["passphrase"]
    assert wrap["memory_kib"] == KdfParams().memory_kib == 128 * 1024
    assert wrap["iterations"] == KdfParams().iterations == 3
    assert not [name for name in dir(keys) if "FAST" in name.upper()]


def test_weak_parameters_are_refused_at_creation_and_rewrap(
        ws: Workspace, ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "KDF_FLOOR", REAL_KDF_FLOOR)
    weak = KdfParams(memory_kib=32 * 1024, iterations=4, lanes=1)
    with pytest.raises(KdfTooWeak):
        Workspace.initialise(ws_path.parent / "other", PASSPHRASE, kdf=weak)
    assert not (ws_path.parent / "other").exists()
    with pytest.raises(KdfTooWeak):
        ws.keyfile.rewrap_passphrase(ws.data_key, "another passphrase", weak)
    with pytest.raises(KdfTooWeak):
        ws.keyfile.kdf_params()  # the fixture's own wrap is below the real floor
    # The floor itself is accepted.
    ws.keyfile.rewrap_passphrase(ws.data_key, "another passphrase", REAL_KDF_FLOOR)
    assert ws.keyfile.kdf_params() == REAL_KDF_FLOOR


def test_damage_is_reported_in_process_too(closed_ws: Path) -> None:
    keyfile = closed_ws / KEYFILE_NAME
    original = json.loads(keyfile.read_text())
    for mutate in DAMAGE.values():
        data = copy.deepcopy(original)
        mutate(data)
        keyfile.write_text(json.dumps(data))
        with pytest.raises(KeyFileDamaged):
            Workspace.open(closed_ws, PASSPHRASE)
