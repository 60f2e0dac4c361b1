"""A coordinator's relay bundle for one device (blind coding): who it is encrypted to, what its
signed manifest must say, and every way a reader refuses one."""

from __future__ import annotations

import hashlib
import io
import tarfile
from types import SimpleNamespace

import pyrage
import pytest

from fieldapp.sync import layout
from fieldapp.sync.bundle import RELAY_PAD, Limits, is_padding, open_bundle, write_bundle
from fieldapp.sync.errors import BundleError, Reason
from fieldapp.sync.keys import DeviceKeys, relay_tag
from fieldapp.sync.manifest import Audience, AuthorKind
from tests.unit.sync.conftest import NOW
from tests.unit.sync.forge import Forge


def _coordinator(team):
    return SimpleNamespace(roster=team.roster, device_id=team.new.coordinator_id,
                           device_keys=team.new.coordinator_keys)


def _tag(team) -> str:
    return relay_tag(team.new.coordinator_keys.identity, team.device_keys.identity.recipient,
                     team_id=team.roster.team_id, coordinator_id=team.new.coordinator_id,
                     device_id=team.device_id)


def _relay(team, tmp_path, to, **kw):
    return write_bundle(tmp_path / "r.fab", roster=team.roster, device_id=team.new.coordinator_id,
                        signing_key=team.new.coordinator_keys.signing, seq_range=(1, 2),
                        prev_hash=None, ops=[{"n": 1, "text": "分配的笔记"}], now=NOW,
                        audience=Audience.RELAY, to=to, relay_tag=_tag(team), **kw)


def _reason(team, path, identity) -> Reason:
    with pytest.raises(BundleError) as info:
        open_bundle(path, identity=identity, roster=team.roster, limits=Limits())
    assert info.value.message
    return info.value.reason


def test_a_relay_bundle_is_for_its_device_and_the_coordinators_only(team, tmp_path) -> None:
    info = _relay(team, tmp_path, team.device_id)
    assert info.store_path.startswith(
        f"{layout.RELAY_DIR}/{team.new.coordinator_id}/{_tag(team)}/")
    assert team.device_id not in info.store_path
    assert set(info.manifest.recipients) == team.roster.coordinator_recipients() | {
        team.device_keys.identity.recipient}
    for identity in (team.device_keys.identity, team.new.coordinator_keys.identity):
        vb = open_bundle(info.path, identity=identity, roster=team.roster)
        assert (vb.manifest.audience, vb.manifest.to) == (Audience.RELAY, team.device_id)
    # Any other key (another device of the team would hold one like it) opens nothing.
    stranger = DeviceKeys.generate().identity
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(info.path.read_bytes(), [stranger.pyrage_identity])


def test_write_bundle_refuses_a_relay_that_is_not_a_coordinators_for_an_active_device(
        team, tmp_path) -> None:
    with pytest.raises(BundleError) as info:
        _relay(team, tmp_path, "no-such-device")
    assert info.value.reason is Reason.BAD_INPUT
    with pytest.raises(BundleError) as info:
        write_bundle(tmp_path / "d.fab", roster=team.roster, device_id=team.device_id,
                     signing_key=team.device_keys.signing, seq_range=(1, 1), prev_hash=None,
                     ops=[{"n": 1}], audience=Audience.RELAY, to=team.device_id)
    assert info.value.reason is Reason.SIGNER_NOT_ALLOWED
    with pytest.raises(BundleError) as info:
        write_bundle(tmp_path / "t.fab", roster=team.roster, device_id=team.new.coordinator_id,
                     signing_key=team.new.coordinator_keys.signing, seq_range=(1, 1),
                     prev_hash=None, ops=[{"n": 1}], audience=Audience.TEAM, to=team.device_id)
    assert info.value.reason is Reason.BAD_INPUT


def _for_device(team):
    return sorted(team.roster.relay_recipients(team.device_id))


def test_a_device_signed_relay_bundle_is_refused(team, tmp_path) -> None:
    readers = _for_device(team)
    forge = Forge(team, recipients=readers, manifest_changes={
        "audience": Audience.RELAY, "to": team.device_id, "recipients": tuple(readers)})
    path = forge.build(tmp_path / "x.fab")
    assert _reason(team, path, team.device_keys.identity) is Reason.SIGNER_NOT_ALLOWED


def test_a_coordinators_relay_bundle_for_another_device_is_refused(team, tmp_path) -> None:
    """Named for a device the roster does not list as active, yet encrypted to this device."""
    readers = sorted(team.roster.coordinator_recipients())
    forge = Forge(_coordinator(team), recipients=[*readers, team.device_keys.identity.recipient],
                  manifest_changes={"audience": Audience.RELAY, "to": "someone-else",
                                    "author_kind": AuthorKind.COORDINATOR,
                                    "recipients": tuple(readers)})
    path = forge.build(tmp_path / "x.fab")
    assert _reason(team, path, team.device_keys.identity) is Reason.READDRESSED
    # Naming this device but addressed to more keys than its own and the coordinators'.
    spy = DeviceKeys.generate().identity.recipient
    more = sorted([*_for_device(team), spy])
    forge = Forge(_coordinator(team), recipients=more, manifest_changes={
        "audience": Audience.RELAY, "to": team.device_id,
        "author_kind": AuthorKind.COORDINATOR, "recipients": tuple(more)})
    path = forge.build(tmp_path / "y.fab")
    assert _reason(team, path, team.device_keys.identity) is Reason.READDRESSED


@pytest.mark.parametrize("changes", [{"to": "x-1"}, {"audience": "relay"}])
def test_to_is_named_by_relay_bundles_and_by_no_other(team, tmp_path, changes) -> None:
    forge = Forge(_coordinator(team), manifest_json_changes=changes,
                  manifest_changes={"author_kind": AuthorKind.COORDINATOR})
    path = forge.build(tmp_path / "x.fab")
    assert _reason(team, path, team.new.coordinator_keys.identity) is Reason.MALFORMED_MANIFEST


def test_relay_paths() -> None:
    h = "0123456789abcdef" * 4
    tag = "0123456789abcdef" * 2
    assert layout.relay_folder("c-1", tag) == f"relay/c-1/{tag}"
    assert layout.relay_bundle_path("c-1", tag, 1, 99, h) == \
        f"relay/c-1/{tag}/000000000001-000000000099-0123456789abcdef.fab"
    for bad in ("../x", "a/b", ""):
        with pytest.raises(ValueError):
            layout.relay_folder(bad, tag)
    for bad in ("../x", "dev-1", tag.upper(), tag[:-1], tag + "0", ""):
        with pytest.raises(ValueError):
            layout.relay_folder("c-1", bad)


def _archive(team, path) -> bytes:
    """The archive inside a bundle, decrypted with the device's key by pyrage alone."""
    return pyrage.decrypt(path.read_bytes(), [team.device_keys.identity.pyrage_identity])


@pytest.mark.parametrize("text", [0, 1, 40_000, 95_000, 101_000, 150_000, 300_000, 409_000,
                                  451_000, 460_000, 470_000, 500_000])
def test_a_relay_bundle_padded_to_a_size_has_exactly_that_size(team, tmp_path, text) -> None:
    """Whatever is relayed to a device, up to the largest of a publish, its relay bundle can
    be padded to that one size: zeros after the archive's end when a quantum's worth is
    enough, a member of zeros besides when more is missing. Sizes around each way's edge."""
    pad_to = 5 * RELAY_PAD
    info = write_bundle(tmp_path / "r.fab", roster=team.roster,
                        device_id=team.new.coordinator_id,
                        signing_key=team.new.coordinator_keys.signing, seq_range=(1, 2),
                        prev_hash=None, ops=[{"n": 1, "text": "笔" * (text // 3)}], now=NOW,
                        audience=Audience.RELAY, to=team.device_id, relay_tag=_tag(team),
                        pad_quantum=RELAY_PAD, pad_to=pad_to)
    plain = _archive(team, info.path)
    assert len(plain) == info.archive_size == pad_to
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:  # the standard library's reader
        names = tar.getnames()
        assert names[:3] == ["manifest.json", "manifest.json.minisig", "ops.jsonl"]
        for name in names[3:]:  # the filler, when zeros after the end were not enough
            member = tar.extractfile(name)
            assert member is not None
            data = member.read()
            assert not any(data) and name == f"attachments/{hashlib.sha256(data).hexdigest()}"
        ends = [m.offset_data + -(-m.size // 512) * 512 for m in tar.getmembers()]
    # What follows the last member is zeros that every reader takes (at most RELAY_PAD, the
    # end marker included), and the filler is there only when that was not enough (give or
    # take the block its line may add to the manifest).
    assert 2 * 512 <= pad_to - ends[-1] <= RELAY_PAD and not any(plain[ends[-1]:])
    if len(names) == 4:
        assert pad_to - ends[2] > RELAY_PAD - 512
    vb = open_bundle(info.path, identity=team.device_keys.identity, roster=team.roster)
    assert [line["text"] for line in vb.iter_ops()] == ["笔" * (text // 3)]
    assert [is_padding(m) for m in vb.manifest.members] == [False] + [True] * (len(names) - 3)


def test_a_relay_bundle_larger_than_its_size_to_pad_to_keeps_its_own(team, tmp_path) -> None:
    """Padding never cuts: content over ``pad_to`` is padded to the next quantum only (the
    publish then pads the others to that: sync._publish_relays)."""
    info = write_bundle(tmp_path / "r.fab", roster=team.roster,
                        device_id=team.new.coordinator_id,
                        signing_key=team.new.coordinator_keys.signing, seq_range=(1, 2),
                        prev_hash=None, ops=[{"text": "长" * 100_000}], now=NOW,
                        audience=Audience.RELAY, to=team.device_id, relay_tag=_tag(team),
                        pad_quantum=RELAY_PAD, pad_to=RELAY_PAD)
    assert len(_archive(team, info.path)) == info.archive_size == 3 * RELAY_PAD
    assert info.manifest.attachment_count == 0
    with pytest.raises(ValueError):
        _relay(team, tmp_path, team.device_id, pad_quantum=RELAY_PAD, pad_to=RELAY_PAD + 512)
    with pytest.raises(ValueError):
        _relay(team, tmp_path, team.device_id, pad_to=RELAY_PAD)
