"""Every way a bundle is refused: each case asserts its reason, and nothing is returned."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pyrage
import pytest

from fieldapp.sync.bundle import Limits, open_bundle, write_bundle
from fieldapp.sync.errors import BundleError, Reason
from fieldapp.sync.keys import DeviceKeys, SigningKey
from fieldapp.sync.manifest import Audience, AuthorKind
from tests.unit.sync.conftest import NOW
from tests.unit.sync.forge import Forge, Member, ops_bytes


def _reason(team, path, *, identity=None, roster=None, limits=None) -> Reason:
    with pytest.raises(BundleError) as info:
        open_bundle(path, identity=identity or team.new.coordinator_keys.identity,
                    roster=roster or team.roster, limits=limits or Limits())
    assert info.value.message  # a human message comes with the code
    return info.value.reason


def _good(team, tmp_path):
    return write_bundle(tmp_path / "good.fab", roster=team.roster, device_id=team.device_id,
                        signing_key=team.device_keys.signing, seq_range=(1, 3), prev_hash=None,
                        ops=[{"n": i, "text": "x" * 30_000} for i in range(3)], now=NOW).path


def test_forge_baseline_is_accepted(team, tmp_path) -> None:
    """The forging helper makes valid bundles, so each refusal below is due to its one change."""
    vb = open_bundle(Forge(team, attachments=[b"abc"]).build(tmp_path / "f.fab"),
                     identity=team.new.coordinator_keys.identity, roster=team.roster)
    assert len(list(vb.iter_ops())) == 3


@pytest.mark.parametrize("where", [0.5, 0.9, -1])
def test_flipped_payload_byte(team, tmp_path, where) -> None:
    path = _good(team, tmp_path)
    data = bytearray(path.read_bytes())
    pos = int(len(data) * where) if where > 0 else len(data) - 1
    data[pos] ^= 0x01
    path.write_bytes(bytes(data))
    assert _reason(team, path) is Reason.DAMAGED


def test_flipped_header_byte(team, tmp_path) -> None:
    path = _good(team, tmp_path)
    data = bytearray(path.read_bytes())
    data[60] ^= 0x01  # inside the recipient stanza
    path.write_bytes(bytes(data))
    assert _reason(team, path) in (Reason.NOT_FOR_US, Reason.DAMAGED)


@pytest.mark.parametrize("keep", [0.3, 0.99, 100])
def test_truncated_file(team, tmp_path, keep) -> None:
    path = _good(team, tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep) if keep < 1 else keep])
    assert _reason(team, path) is Reason.DAMAGED


def test_truncated_archive_inside_valid_encryption(team, tmp_path) -> None:
    forge = Forge(team)
    tar = forge.tar()
    path = tmp_path / "t.fab"
    cut = tar.index(forge.ops) + 10  # in the middle of ops.jsonl
    path.write_bytes(forge.encrypt(tar[:cut]))
    assert _reason(team, path) is Reason.TRUNCATED


def test_not_an_age_file(team, tmp_path) -> None:
    path = tmp_path / "x.fab"
    path.write_bytes(b"PK\x03\x04 definitely a zip")
    assert _reason(team, path) is Reason.DAMAGED


def test_missing_file(team, tmp_path) -> None:
    assert _reason(team, tmp_path / "nope.fab") is Reason.UNREADABLE


def test_bundle_for_another_teams_coordinator(team, tmp_path) -> None:
    other = DeviceKeys.generate().identity
    path = Forge(team, recipients=[other.recipient]).build(tmp_path / "x.fab")
    assert _reason(team, path) is Reason.NOT_FOR_US


def test_another_teams_bundle_signed_by_a_shared_key(team, tmp_path) -> None:
    forge = Forge(team, manifest_changes={"team_id": "another-team"})
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.WRONG_TEAM


def test_unknown_signer(team, tmp_path) -> None:
    path = Forge(team, signer=SigningKey.generate()).build(tmp_path / "x.fab")
    assert _reason(team, path) is Reason.UNKNOWN_SIGNER


def test_unknown_signer_is_refused_before_the_manifest_is_parsed(team, tmp_path) -> None:
    path = Forge(team, signer=SigningKey.generate(), raw_manifest=b"{not json")
    assert _reason(team, path.build(tmp_path / "x.fab")) is Reason.UNKNOWN_SIGNER


def test_bad_signature_is_refused_before_the_manifest_is_parsed(team, tmp_path) -> None:
    forge = Forge(team, manifest_json_changes={"format": 99})
    members = forge.members()
    members[1] = Member("manifest.json.minisig", team.device_keys.signing.sign(
        b"something else", trusted_comment="x"))
    forge.members_override = members
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.BAD_SIGNATURE


def test_signer_claiming_another_author(team, tmp_path) -> None:
    forge = Forge(team, manifest_changes={"author_id": team.new.coordinator_id,
                                          "author_kind": AuthorKind.COORDINATOR})
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.SIGNER_MISMATCH


def test_device_signed_team_bundle(team, tmp_path) -> None:
    forge = Forge(team, manifest_changes={"audience": Audience.TEAM})
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.SIGNER_NOT_ALLOWED


def test_newer_format_version(team, tmp_path) -> None:
    forge = Forge(team, manifest_json_changes={"format": 2})
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.FORMAT_TOO_NEW


def test_readdressed_to_an_extra_recipient(team, tmp_path) -> None:
    spy = DeviceKeys.generate().identity
    rcpts = sorted([*team.roster.coordinator_recipients(), spy.recipient])
    forge = Forge(team, manifest_changes={"recipients": tuple(rcpts)}, recipients=rcpts)
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.READDRESSED


def test_reencrypted_to_someone_not_among_the_recipients(team, tmp_path) -> None:
    outsider = DeviceKeys.generate().identity
    plaintext = Forge(team).tar()
    path = tmp_path / "x.fab"
    path.write_bytes(pyrage.encrypt(plaintext, [outsider.pyrage_identity.to_public()]))
    assert _reason(team, path, identity=outsider) is Reason.READDRESSED


def test_oversized_attachment(team, tmp_path) -> None:
    path = Forge(team, attachments=[b"a" * 5000]).build(tmp_path / "x.fab")
    assert _reason(team, path, limits=Limits(max_attachment_bytes=4096)) \
        is Reason.MEMBER_TOO_LARGE


def test_oversized_ops_and_manifest(team, tmp_path) -> None:
    path = Forge(team).build(tmp_path / "x.fab")
    assert _reason(team, path, limits=Limits(max_ops_bytes=10)) is Reason.MEMBER_TOO_LARGE
    assert _reason(team, path, limits=Limits(max_manifest_bytes=100)) is Reason.MEMBER_TOO_LARGE


def test_oversized_file(team, tmp_path) -> None:
    path = Forge(team).build(tmp_path / "x.fab")
    assert _reason(team, path, limits=Limits(max_bundle_bytes=100)) is Reason.BUNDLE_TOO_LARGE


def test_too_many_attachments(team, tmp_path) -> None:
    path = Forge(team, attachments=[b"1", b"2", b"3"]).build(tmp_path / "x.fab")
    assert _reason(team, path, limits=Limits(max_attachments=2)) is Reason.TOO_MANY_MEMBERS


@pytest.mark.parametrize("name", ["../evil", "attachments/../../evil", "/etc/cron.d/x",
                                  "attachments//x", "C:/x", "a\\b"])
def test_path_escaping_the_folder(team, tmp_path, name) -> None:
    forge = Forge(team, extra_members=[Member(name, b"boom")])
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.UNSAFE_PATH


def test_manifest_naming_an_unsafe_path(team, tmp_path) -> None:
    forge = Forge(team)
    m = forge.manifest()
    bad = (*m.members, type(m.members[0])("../x", "0" * 64, 1))
    forge.manifest_changes = {"members": bad}
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.UNSAFE_PATH


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_link_member(team, tmp_path, kind) -> None:
    forge = Forge(team, extra_members=[Member("attachments/" + "0" * 64, type=kind,
                                              linkname="/etc/passwd")])
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.LINK_MEMBER


def test_directory_member(team, tmp_path) -> None:
    forge = Forge(team, extra_members=[Member("attachments", type=tarfile.DIRTYPE)])
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MALFORMED_ARCHIVE


def test_duplicate_member(team, tmp_path) -> None:
    forge = Forge(team, extra_members=[Member("ops.jsonl", ops_bytes())])
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.DUPLICATE_MEMBER


def test_member_the_manifest_does_not_list(team, tmp_path) -> None:
    blob = b"smuggled"
    forge = Forge(team, extra_members=[Member("attachments/" + hashlib.sha256(blob).hexdigest(),
                                              blob)])
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.UNEXPECTED_MEMBER


def test_member_missing(team, tmp_path) -> None:
    forge = Forge(team, attachments=[b"abc"])
    forge.members_override = forge.members()[:-1]
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MISSING_MEMBER


def test_member_with_another_hash(team, tmp_path) -> None:
    forge = Forge(team)
    members = forge.members()
    members[2] = Member("ops.jsonl", forge.ops.replace(b"1", b"2"))  # same size, other bytes
    forge.members_override = members
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.HASH_MISMATCH


def test_member_with_another_size(team, tmp_path) -> None:
    forge = Forge(team)
    members = forge.members()
    members[2] = Member("ops.jsonl", forge.ops + b"{}\n")
    forge.members_override = members
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.SIZE_MISMATCH


def test_manifest_not_first(team, tmp_path) -> None:
    forge = Forge(team)
    members = forge.members()
    forge.members_override = [members[2], members[0], members[1]]
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MANIFEST_MISSING


def test_no_signature(team, tmp_path) -> None:
    forge = Forge(team)
    members = forge.members()
    forge.members_override = [members[0], members[2]]
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MANIFEST_MISSING


def test_empty_archive(team, tmp_path) -> None:
    forge = Forge(team, members_override=[])
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MANIFEST_MISSING


@pytest.mark.parametrize("ops", [b"[1,2]\n", b"not json\n", b'{"a":1}', b'{"a":NaN}\n'])
def test_malformed_ops_with_matching_hash(team, tmp_path, ops) -> None:
    forge = Forge(team, ops=ops, manifest_changes={"op_count": 1})
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MALFORMED_OPS


def test_op_count_differs_from_manifest(team, tmp_path) -> None:
    forge = Forge(team, manifest_changes={"op_count": 4})
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MALFORMED_OPS


def test_non_canonical_manifest(team, tmp_path) -> None:
    forge = Forge(team)
    forge.raw_manifest = forge.manifest_bytes().replace(b",", b", ", 1)
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.MALFORMED_MANIFEST


def test_garbage_after_the_end_of_the_archive(team, tmp_path) -> None:
    forge = Forge(team)
    path = tmp_path / "x.fab"
    path.write_bytes(forge.encrypt(forge.tar() + b"\x01" * 512))
    assert _reason(team, path) is Reason.MALFORMED_ARCHIVE


def test_corrupt_tar_header_checksum(team, tmp_path) -> None:
    tar = bytearray(Forge(team).tar())
    tar[0] ^= 0x20  # the manifest's name, without fixing the checksum
    forge = Forge(team)
    path = tmp_path / "x.fab"
    path.write_bytes(forge.encrypt(bytes(tar)))
    assert _reason(team, path) is Reason.MALFORMED_ARCHIVE


def test_gnu_long_name_is_refused(team, tmp_path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo("manifest.json")
        tf.addfile(info, None)
    forge = Forge(team)
    path = tmp_path / "x.fab"
    path.write_bytes(forge.encrypt(buf.getvalue()))
    assert _reason(team, path) is Reason.MALFORMED_ARCHIVE


def test_member_hash_is_checked_before_its_content_is_parsed(team, tmp_path) -> None:
    forge = Forge(team)
    members = forge.members()
    members[2] = Member("ops.jsonl", b"\x00" * len(forge.ops))  # same size, not JSON at all
    forge.members_override = members
    assert _reason(team, forge.build(tmp_path / "x.fab")) is Reason.HASH_MISMATCH
