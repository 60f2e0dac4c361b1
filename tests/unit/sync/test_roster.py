from __future__ import annotations

import json
from datetime import timedelta

import pytest

from fieldapp.sync import canonical
from fieldapp.sync.errors import Reason, RosterError
from fieldapp.sync.keys import DeviceKeys, SigningKey
from fieldapp.sync.roster import (
    DeviceStatus,
    add_coordinator,
    approve_join,
    create_team,
    make_join_request,
    read_join_request,
    renew,
    revoke_device,
    set_escrow,
    sign_roster,
    verify_roster,
)
from tests.unit.sync.conftest import NOW, make_team


def test_create_team_makes_version_one_signed_by_root() -> None:
    new = create_team("Team 团队", "Coordinator", now=NOW)
    r = new.signed.roster
    assert r.version == 1 and len(r.coordinators) == 1 and r.devices == ()
    assert r.coordinators[0].recipient == new.coordinator_keys.identity.recipient
    again = verify_roster(new.signed.data, new.signed.signature, root_key=r.root_key, now=NOW)
    assert again.roster == r
    assert json.loads(new.signed.data)["kind"] == "fieldapp-roster"


def test_join_both_sides_show_the_same_fingerprint_and_approval_enrols(team) -> None:
    device = team.roster.device(team.device_id)
    assert device is not None and device.status is DeviceStatus.ACTIVE
    assert team.roster.version == 2
    assert device.signing_key == team.device_keys.signing.public_key


def test_join_request_fingerprint_matches_device() -> None:
    keys, data = make_join_request("team-1", "Researcher", now=NOW)
    assert read_join_request(data).fingerprint() == keys.fingerprint()


def test_approval_refuses_a_wrong_fingerprint() -> None:
    new = create_team("T", "C", now=NOW)
    _, data = make_join_request(new.signed.roster.team_id, "R", now=NOW)
    other = DeviceKeys.generate().fingerprint()
    with pytest.raises(RosterError) as info:
        approve_join(new.signed.roster, new.root_key, read_join_request(data),
                     confirmed_fingerprint=other, now=NOW)
    assert info.value.reason is Reason.KEY_MISMATCH


def test_approval_refuses_another_teams_request_and_duplicates(team) -> None:
    keys, data = make_join_request("other-team", "R", now=NOW)
    with pytest.raises(RosterError) as info:
        approve_join(team.roster, team.new.root_key, read_join_request(data),
                     confirmed_fingerprint=keys.fingerprint(), now=NOW)
    assert info.value.reason is Reason.WRONG_TEAM
    keys, data = make_join_request(team.roster.team_id, "R", now=NOW, device_id=team.device_id)
    with pytest.raises(RosterError) as info:
        approve_join(team.roster, team.new.root_key, read_join_request(data),
                     confirmed_fingerprint=keys.fingerprint(), now=NOW)
    assert info.value.reason is Reason.DUPLICATE_ENTRY


def test_join_request_with_swapped_key_is_refused() -> None:
    _, data = make_join_request("team-1", "R", now=NOW)
    outer = json.loads(data)
    body = json.loads(outer["request"])
    body["signing_key"] = SigningKey.generate().public_key.to_text()  # attacker's key, old sig
    outer["request"] = canonical.dumps(body).decode()
    with pytest.raises(RosterError) as info:
        read_join_request(canonical.dumps(outer))
    assert info.value.reason is Reason.MALFORMED_REQUEST


def test_roster_signed_by_another_key_is_refused(team) -> None:
    other = SigningKey.generate()
    with pytest.raises(RosterError) as info:
        verify_roster(team.signed.data, other.sign(team.signed.data, trusted_comment="x"),
                      root_key=team.roster.root_key)
    assert info.value.reason is Reason.BAD_SIGNATURE


def test_roster_with_flipped_byte_is_refused(team) -> None:
    data = team.signed.data.replace(b"Researcher", b"Researchex")
    with pytest.raises(RosterError) as info:
        verify_roster(data, team.signed.signature, root_key=team.roster.root_key)
    assert info.value.reason is Reason.BAD_SIGNATURE


def test_roster_pinned_to_another_root_is_refused(team) -> None:
    other = make_team()
    with pytest.raises(RosterError) as info:
        verify_roster(other.signed.data, other.signed.signature, root_key=team.roster.root_key)
    assert info.value.reason is Reason.BAD_SIGNATURE


def test_rollback_to_an_older_version_is_refused(team) -> None:
    newer = revoke_device(team.roster, team.new.root_key, team.device_id, after_seq=10, now=NOW)
    seen = verify_roster(newer.data, newer.signature, root_key=team.roster.root_key).seen
    with pytest.raises(RosterError) as info:
        verify_roster(team.signed.data, team.signed.signature, root_key=team.roster.root_key,
                      last_seen=seen)
    assert info.value.reason is Reason.ROSTER_ROLLBACK
    # the same version again is fine; a different roster with the same version is a fork
    verify_roster(newer.data, newer.signature, root_key=team.roster.root_key, last_seen=seen)
    fork = renew(team.roster, team.new.root_key, now=NOW)
    assert fork.roster.version == newer.roster.version
    with pytest.raises(RosterError) as info:
        verify_roster(fork.data, fork.signature, root_key=team.roster.root_key, last_seen=seen)
    assert info.value.reason is Reason.ROSTER_FORK


def test_revoke_keeps_the_last_trusted_sequence(team) -> None:
    signed = revoke_device(team.roster, team.new.root_key, team.device_id, after_seq=41, now=NOW)
    device = signed.roster.device(team.device_id)
    assert device is not None and device.status is DeviceStatus.REVOKED
    assert device.trusts_seq(41) and not device.trusts_seq(42)
    assert signed.roster.version == team.roster.version + 1
    with pytest.raises(RosterError) as info:
        revoke_device(team.roster, team.new.root_key, "nope", after_seq=1, now=NOW)
    assert info.value.reason is Reason.UNKNOWN_DEVICE


def test_add_coordinator_and_escrow_change_recipients(team) -> None:
    second = DeviceKeys.generate()
    _, signed = add_coordinator(team.roster, team.new.root_key, name="Coordinator 2",
                                public=second.public, now=NOW)
    assert second.identity.recipient in signed.roster.coordinator_recipients()
    escrow = DeviceKeys.generate().identity.recipient
    signed = set_escrow(signed.roster, team.new.root_key, escrow, now=NOW)
    assert escrow in signed.roster.coordinator_recipients()
    assert len(signed.roster.coordinator_recipients()) == 3
    assert team.device_keys.identity.recipient in signed.roster.team_recipients()
    with pytest.raises(RosterError) as info:
        add_coordinator(signed.roster, team.new.root_key, name="again", public=second.public,
                        now=NOW)
    assert info.value.reason is Reason.DUPLICATE_ENTRY


def test_only_the_root_key_signs_rosters(team) -> None:
    with pytest.raises(RosterError) as info:
        sign_roster(team.roster, team.device_keys.signing)
    assert info.value.reason is Reason.ROOT_MISMATCH


def test_expiry_warning_and_expired_roster(team) -> None:
    r = team.roster
    assert r.expiry_warning(NOW) is None
    soon = r.expires_at - timedelta(days=10)
    warning = r.expiry_warning(soon)
    assert warning is not None and "10" in warning
    assert r.expiry_warning(r.expires_at - timedelta(days=31)) is None
    assert r.expiry_warning(r.expires_at + timedelta(days=1)) is not None
    with pytest.raises(RosterError) as info:
        verify_roster(team.signed.data, team.signed.signature, root_key=r.root_key,
                      now=r.expires_at + timedelta(seconds=1))
    assert info.value.reason is Reason.ROSTER_EXPIRED
    renewed = renew(r, team.new.root_key, now=r.expires_at)
    assert renewed.roster.expires_at > r.expires_at


def test_non_canonical_roster_is_refused_even_if_signed(team) -> None:
    pretty = json.dumps(json.loads(team.signed.data), indent=1).encode()
    sig = team.new.root_key.sign(pretty, trusted_comment="x")
    with pytest.raises(RosterError) as info:
        verify_roster(pretty, sig, root_key=team.roster.root_key)
    assert info.value.reason is Reason.MALFORMED_ROSTER


def test_roster_with_duplicate_keys_is_refused(team) -> None:
    data = team.signed.data[:-1] + b',"version":99}'
    sig = team.new.root_key.sign(data, trusted_comment="x")
    with pytest.raises(RosterError) as info:
        verify_roster(data, sig, root_key=team.roster.root_key)
    assert info.value.reason is Reason.MALFORMED_ROSTER


def test_join_request_with_a_bad_name_is_refused(team) -> None:
    _, data = make_join_request(team.roster.team_id, "bad\nname", now=NOW)
    with pytest.raises(RosterError):
        read_join_request(data)
