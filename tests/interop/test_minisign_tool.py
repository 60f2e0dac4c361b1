"""Our minisign signatures against the real ``minisign`` program, both ways."""

from __future__ import annotations

import subprocess

import pytest

from fieldapp.sync.errors import SignatureError
from fieldapp.sync.keys import SigningKey, VerifyKey

pytestmark = pytest.mark.interop


def test_real_minisign_verifies_our_signature(tool, tmp_path) -> None:
    exe = tool("minisign")
    key = SigningKey.generate()
    message = '{"team":"示例","n":1}'.encode()
    (tmp_path / "manifest.json").write_bytes(message)
    (tmp_path / "manifest.json.minisig").write_bytes(
        key.sign(message, trusted_comment="timestamp:1700000000\tfile:manifest.json\thashed"))
    ok = subprocess.run(
        [exe, "-V", "-P", key.public_key.to_text(), "-m", str(tmp_path / "manifest.json"),
         "-x", str(tmp_path / "manifest.json.minisig")],
        capture_output=True, text=True, timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "timestamp:1700000000" in ok.stdout
    # a public-key file written by us is read by minisign -p too
    (tmp_path / "k.pub").write_text(key.public_key.minisign_key.to_file_text())
    ok = subprocess.run([exe, "-V", "-p", str(tmp_path / "k.pub"), "-m",
                         str(tmp_path / "manifest.json"), "-q"],
                        capture_output=True, timeout=30, check=False)
    assert ok.returncode == 0
    # and it refuses a changed message, so the check above means something
    (tmp_path / "manifest.json").write_bytes(message + b" ")
    bad = subprocess.run(
        [exe, "-V", "-P", key.public_key.to_text(), "-m", str(tmp_path / "manifest.json"), "-q"],
        capture_output=True, timeout=30, check=False)
    assert bad.returncode != 0


def test_we_verify_a_signature_made_by_real_minisign(tool, tmp_path) -> None:
    exe = tool("minisign")
    pub, sec, msg = tmp_path / "k.pub", tmp_path / "k.sec", tmp_path / "msg"
    subprocess.run([exe, "-G", "-W", "-p", str(pub), "-s", str(sec)], check=True,
                   capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    msg.write_bytes(b"hello from the real tool\n")
    subprocess.run([exe, "-S", "-s", str(sec), "-m", str(msg), "-t", "made by minisign"],
                   check=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    key = VerifyKey.from_text(pub.read_text())
    sig = (tmp_path / "msg.minisig").read_bytes()
    assert key.verify(msg.read_bytes(), sig) == "made by minisign"
    with pytest.raises(SignatureError):
        key.verify(msg.read_bytes() + b"x", sig)
