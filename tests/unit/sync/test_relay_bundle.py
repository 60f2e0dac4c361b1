"""A coordinator's relay bundle for one device (blind coding): who it is encrypted to, what its
signed manifest must say, and every way a reader refuses one."""

from __future__ import annotations

from types import SimpleNamespace

import pyrage
import pytest

from fieldapp.sync import layout
from fieldapp.sync.bundle import Limits, open_bundle, write_bundle
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
