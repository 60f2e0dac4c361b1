"""Bundles against the real ``age``, ``minisign`` and ``tar`` programs."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile

import pytest

from fieldapp.sync.bundle import open_bundle, write_bundle
from fieldapp.sync.errors import BundleError, Reason
from fieldapp.sync.keys import SigningKey
from tests.unit.sync.conftest import NOW, make_team
from tests.unit.sync.forge import Forge

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def team():
    return make_team()


def _bundle(team, tmp_path):
    photo = "签名同意书 consent form".encode() * 5000
    digest = hashlib.sha256(photo).hexdigest()
    info = write_bundle(tmp_path / "b.fab", roster=team.roster, device_id=team.device_id,
                        signing_key=team.device_keys.signing, seq_range=(1, 2), prev_hash=None,
                        ops=[{"seq": 1, "v": "访谈"}, {"seq": 2, "v": "notes"}],
                        attachments=[(digest, len(photo), lambda: io.BytesIO(photo))], now=NOW)
    return info, photo, digest


def _identity_file(team, tmp_path):
    path = tmp_path / "coordinator_identity.txt"
    path.write_bytes(team.new.coordinator_keys.identity.to_bytes() + b"\n")
    path.chmod(0o600)
    return path


def test_age_decrypts_our_bundle_and_minisign_verifies_its_manifest(team, tmp_path,
                                                                     tool) -> None:
    age, minisign = tool("age"), tool("minisign")
    info, photo, digest = _bundle(team, tmp_path)
    plain = subprocess.run([age, "-d", "-i", str(_identity_file(team, tmp_path)),
                            str(info.path)], capture_output=True, timeout=60, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tf:
        names = tf.getnames()
        files = {n: tf.extractfile(n).read() for n in names}  # type: ignore[union-attr]
    assert names == ["manifest.json", "manifest.json.minisig", "ops.jsonl",
                     f"attachments/{digest}"]
    assert files["manifest.json"] == info.manifest.to_bytes()
    assert files[f"attachments/{digest}"] == photo
    assert files["ops.jsonl"].decode().splitlines()[0] == '{"seq":1,"v":"访谈"}'
    for name in ("manifest.json", "manifest.json.minisig"):
        (tmp_path / name).write_bytes(files[name])
    ok = subprocess.run([minisign, "-V", "-P", team.device_keys.signing.public_key.to_text(),
                         "-m", str(tmp_path / "manifest.json"),
                         "-x", str(tmp_path / "manifest.json.minisig")],
                        capture_output=True, text=True, timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "fieldapp bundle" in ok.stdout


def test_system_tar_lists_our_archive(team, tmp_path, tool) -> None:
    age, tar = tool("age"), tool("tar")
    info, _, digest = _bundle(team, tmp_path)
    plain = subprocess.run([age, "-d", "-i", str(_identity_file(team, tmp_path)),
                            str(info.path)], capture_output=True, timeout=60, check=True).stdout
    listing = subprocess.run([tar, "-t"], input=plain, capture_output=True, timeout=60,
                             check=True).stdout.decode().split()
    assert listing == ["manifest.json", "manifest.json.minisig", "ops.jsonl",
                       f"attachments/{digest}"]


def test_bundle_encrypted_by_real_age_but_signed_outside_the_roster(team, tmp_path,
                                                                    tool) -> None:
    age = tool("age")
    forge = Forge(team, signer=SigningKey.generate())
    out = tmp_path / "forged.fab"
    subprocess.run([age, "-r", team.new.coordinator_keys.identity.recipient, "-o", str(out)],
                   input=forge.tar(), capture_output=True, timeout=60, check=True)
    with pytest.raises(BundleError) as info:
        open_bundle(out, identity=team.new.coordinator_keys.identity, roster=team.roster)
    assert info.value.reason is Reason.UNKNOWN_SIGNER


def test_bundle_encrypted_by_real_age_and_properly_signed_is_accepted(team, tmp_path,
                                                                      tool) -> None:
    """The control for the test above: only the signer differs."""
    age = tool("age")
    out = tmp_path / "ok.fab"
    subprocess.run([age, "-r", team.new.coordinator_keys.identity.recipient, "-o", str(out)],
                   input=Forge(team).tar(), capture_output=True, timeout=60, check=True)
    vb = open_bundle(out, identity=team.new.coordinator_keys.identity, roster=team.roster)
    assert len(list(vb.iter_ops())) == 3
