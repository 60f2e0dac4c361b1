"""Team sync from the command line, through a real WebDAV server on loopback, with the real
``age`` and ``tar`` programs reading what fieldapp sent."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_child import CLI
from tests.programs import need
from tests.unit.sync.webdav_server import PASSWORD, USER, run_server

PASS = "a long enough passphrase"


def fa(*args: str, env: dict[str, str] | None = None, check: bool = True
       ) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "FIELDAPP_PASSPHRASE": PASS, "FIELDAPP_LANG": "en",
            "FIELDAPP_STORE_PASSWORD": PASSWORD, **(env or {})}
    proc = subprocess.run([*CLI, *args], capture_output=True,
                          text=True, env=full, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


@pytest.mark.interop
def test_team_over_webdav_from_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "dav"
    root.mkdir()
    coord, alice = str(tmp_path / "coord"), str(tmp_path / "alice")
    with run_server(root) as dav:
        fa("init", coord)
        fa("init", alice)
        fa("team", "create", coord, "--name", "福利外包研究", "--store", dav.url, "--user", USER)
        invite = json.loads(fa("team", "invite", coord).stdout)
        out = fa("team", "join", alice, "--team-id", invite["team_id"], "--root-key",
                 invite["root_key"], "--root-fingerprint", invite["root_fingerprint"],
                 "--name", "Alice", "--store", dav.url, "--user", USER).stdout
        fingerprint = out.strip().splitlines()[-1].strip()
        (request,) = json.loads(fa("team", "requests", coord, "--json").stdout)
        assert request["fingerprint"] == fingerprint
        wrong = fa("team", "approve", coord, request["device_id"], "--fingerprint",
                   "0000 0000 0000 0000 0000 0000", check=False)
        assert wrong.returncode == 1 and "fingerprints differ" in wrong.stderr
        fa("team", "approve", coord, request["device_id"], "--fingerprint", fingerprint)
        pid = fa("record", "create", alice, "participant", "--set", "code=KM-HIV-001").stdout
        fa("record", "create", alice, "interview", "--set", "code=KM-HIV-I001",
           "--set", f'participant_ids=["{pid.strip()}"]')
        assert json.loads(fa("sync", "status", alice).stdout) == {"interview": 1,
                                                                   "participant": 1}
        sent = fa("sync", "send", alice).stdout
        assert "Sent 2 changes" in sent
        collected = json.loads(fa("sync", "collect", coord, "--json").stdout)
        assert [b["status"] for b in collected] == ["merged"]
        listed = json.loads(fa("record", "list", coord, "interview").stdout)
        assert [i["code"] for i in listed] == ["KM-HIV-I001"]
        assert "Nothing to send" in fa("sync", "send", alice).stdout
        # The store holds nothing readable: every bundle is age-encrypted.
        bundles = list((root / "bundles").rglob("*.fab"))
        assert bundles and all(b.read_bytes().startswith(b"age-encryption.org/v1")
                               for b in bundles)
        # A wrong WebDAV password: a clear message, and the workspace joined nothing.
        bob = str(tmp_path / "bob")
        fa("init", bob)
        bad = fa("team", "join", bob, "--team-id", invite["team_id"], "--root-key",
                 invite["root_key"], "--root-fingerprint", invite["root_fingerprint"],
                 "--name", "Bob", "--store", dav.url, "--user", USER,
                 env={"FIELDAPP_STORE_PASSWORD": "wrong"}, check=False)
        assert bad.returncode == 1 and "Traceback" not in bad.stderr
        assert bad.stderr.startswith("error: ")
        status = fa("sync", "status", bob, check=False)
        assert status.returncode == 1 and "not part of a team" in status.stderr


@pytest.mark.interop
def test_the_age_tool_reads_what_we_send(tmp_path: Path) -> None:
    age, tar = need("age"), need("tar")
    store = tmp_path / "store"
    store.mkdir()
    coord, alice = str(tmp_path / "coord"), str(tmp_path / "alice")
    fa("init", coord)
    fa("init", alice)
    fa("team", "create", coord, "--name", "Team", "--store", str(store))
    invite = json.loads(fa("team", "invite", coord).stdout)
    fp = fa("team", "join", alice, "--team-id", invite["team_id"], "--root-key",
            invite["root_key"], "--root-fingerprint", invite["root_fingerprint"],
            "--name", "Alice", "--store", str(store)).stdout
    (request,) = json.loads(fa("team", "requests", coord, "--json").stdout)
    fa("team", "approve", coord, request["device_id"], "--fingerprint",
       fp.strip().splitlines()[-1])
    fa("record", "create", alice, "note", "--set", "body=只有协调员能读到")
    fa("sync", "send", alice)
    identity = tmp_path / "coordinator.agekey"
    fa("team", "identity", coord, str(identity))
    assert oct(identity.stat().st_mode & 0o777) == "0o600"
    (bundle,) = list((store / "bundles").rglob("*.fab"))
    plain = subprocess.run([age, "-d", "-i", str(identity), str(bundle)], capture_output=True,
                           check=True, timeout=60).stdout
    (tmp_path / "x.tar").write_bytes(plain)
    names = subprocess.run([tar, "-tf", str(tmp_path / "x.tar")], capture_output=True,
                           text=True, check=True).stdout.split()
    assert names[:3] == ["manifest.json", "manifest.json.minisig", "ops.jsonl"]
    assert "只有协调员能读到".encode() in plain  # readable only after decryption
    assert "只有协调员能读到".encode() not in bundle.read_bytes()
