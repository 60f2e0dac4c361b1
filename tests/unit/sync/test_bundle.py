"""Writing and reading bundles: round trips and the accepted outcomes."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from fieldapp.sync.bundle import Attachment, Limits, Outcome, open_bundle, write_bundle
from fieldapp.sync.errors import BundleError, Reason
from fieldapp.sync.keys import DeviceKeys
from fieldapp.sync.layout import parse_bundle_file_name
from fieldapp.sync.manifest import Audience
from fieldapp.sync.roster import revoke_device, set_escrow
from tests.unit.sync.conftest import NOW, make_team


def _ops(n: int) -> list[dict]:
    return [{"id": ["dev", i], "field": "note", "value": f"访谈 interview {i} 艾滋"}
            for i in range(1, n + 1)]


def _blob(n: int, seed: int = 0) -> tuple[bytes, str]:
    data = hashlib.sha256(str(seed).encode()).digest() * (n // 32 + 1)
    data = data[:n]
    return data, hashlib.sha256(data).hexdigest()


def _write(team, path, *, ops=None, attachments=(), seq=(1, 5), prev=None, **kw):
    return write_bundle(path, roster=team.roster, device_id=team.device_id,
                        signing_key=team.device_keys.signing, seq_range=seq, prev_hash=prev,
                        ops=_ops(5) if ops is None else ops, attachments=attachments, now=NOW,
                        **kw)


def test_round_trip_ops_attachments_and_manifest(team, tmp_path) -> None:
    a, ha = _blob(200_000, 1)
    b, hb = _blob(0, 2)
    prev = "ab" * 32
    info = _write(team, tmp_path / "x.fab", prev=prev,
                  attachments=[Attachment(ha, len(a), lambda: io.BytesIO(a)),
                               (hb, 0, lambda: io.BytesIO(b))])
    assert info.bundle_hash == hashlib.sha256(info.manifest.to_bytes()).hexdigest()
    assert info.file_sha256 == hashlib.sha256(info.path.read_bytes()).hexdigest()
    assert info.store_path.startswith(f"bundles/{team.device_id}/000000000001-000000000005-")
    assert parse_bundle_file_name(info.store_path.rsplit("/", 1)[1]) is not None

    vb = open_bundle(info.path, identity=team.new.coordinator_keys.identity, roster=team.roster)
    assert vb.outcome is Outcome.ACCEPT and vb.trusted_through_seq is None
    assert list(vb.iter_ops()) == _ops(5)
    m = vb.manifest
    assert (m.team_id, m.author_id, m.seq_range, m.prev_hash) == \
        (team.roster.team_id, team.device_id, (1, 5), prev)
    assert set(m.recipients) == team.roster.coordinator_recipients()
    assert (m.op_count, m.attachment_count) == (5, 2)
    assert vb.bundle_hash == info.bundle_hash
    out = io.BytesIO()
    assert vb.copy_attachment(ha, out) == len(a) and out.getvalue() == a
    got: dict[str, io.BytesIO] = {}
    copied = vb.copy_attachments(lambda e: got.setdefault(e.sha256, io.BytesIO()))
    assert {e.sha256 for e in copied} == {ha, hb}
    assert got[ha].getvalue() == a and got[hb].getvalue() == b


def test_empty_bundle_round_trip(team, tmp_path) -> None:
    info = _write(team, tmp_path / "e.fab", ops=[], seq=(7, 7))
    vb = open_bundle(info.path, identity=team.new.coordinator_keys.identity, roster=team.roster)
    assert list(vb.iter_ops()) == [] and vb.attachments == ()


def test_escrow_can_read_and_is_among_recipients(tmp_path) -> None:
    escrow = DeviceKeys.generate().identity
    t = make_team(escrow=escrow.recipient)
    info = _write(t, tmp_path / "x.fab")
    assert escrow.recipient in info.manifest.recipients
    vb = open_bundle(info.path, identity=escrow, roster=t.roster)
    assert len(list(vb.iter_ops())) == 5


def test_replay_is_not_an_error_and_reports_the_same_range(team, tmp_path) -> None:
    info = _write(team, tmp_path / "x.fab", seq=(3, 9))
    ident = team.new.coordinator_keys.identity
    one = open_bundle(info.path, identity=ident, roster=team.roster)
    two = open_bundle(info.path, identity=ident, roster=team.roster)
    assert one.seq_range == two.seq_range == (3, 9)
    assert one.bundle_hash == two.bundle_hash


def test_revoked_device_before_cutoff_is_accepted(team, tmp_path) -> None:
    info = _write(team, tmp_path / "x.fab", seq=(1, 40))
    revoked = revoke_device(team.roster, team.new.root_key, team.device_id, after_seq=50,
                            now=NOW).roster
    vb = open_bundle(info.path, identity=team.new.coordinator_keys.identity, roster=revoked)
    assert vb.outcome is Outcome.ACCEPT and vb.trusted_through_seq == 50


@pytest.mark.parametrize("after", [50, None])
def test_revoked_device_after_cutoff_is_quarantined(team, tmp_path, after) -> None:
    info = _write(team, tmp_path / "x.fab", seq=(41, 60))
    revoked = revoke_device(team.roster, team.new.root_key, team.device_id, after_seq=after,
                            now=NOW).roster
    vb = open_bundle(info.path, identity=team.new.coordinator_keys.identity, roster=revoked)
    assert vb.outcome is Outcome.QUARANTINE and vb.trusted_through_seq == after


def test_team_bundle_from_a_coordinator_reaches_devices(team, tmp_path) -> None:
    info = write_bundle(tmp_path / "t.fab", roster=team.roster,
                        device_id=team.new.coordinator_id,
                        signing_key=team.new.coordinator_keys.signing, seq_range=(1, 1),
                        prev_hash=None, ops=[{"erase": "participant-1"}], now=NOW,
                        audience=Audience.TEAM)
    assert info.store_path.startswith("team/")
    vb = open_bundle(info.path, identity=team.device_keys.identity, roster=team.roster)
    assert list(vb.iter_ops()) == [{"erase": "participant-1"}]


def test_a_device_cannot_write_to_the_whole_team(team, tmp_path) -> None:
    with pytest.raises(BundleError) as info:
        _write(team, tmp_path / "t.fab", audience=Audience.TEAM)
    assert info.value.reason is Reason.SIGNER_NOT_ALLOWED
    assert os.listdir(tmp_path) == []


def test_writer_refuses_a_key_the_roster_does_not_list(team, tmp_path) -> None:
    with pytest.raises(BundleError) as info:
        write_bundle(tmp_path / "x.fab", roster=team.roster, device_id=team.device_id,
                     signing_key=DeviceKeys.generate().signing, seq_range=(1, 1),
                     prev_hash=None, ops=[], now=NOW)
    assert info.value.reason is Reason.KEY_MISMATCH


def test_revoked_device_cannot_write(team, tmp_path) -> None:
    revoked = revoke_device(team.roster, team.new.root_key, team.device_id, after_seq=1,
                            now=NOW).roster
    with pytest.raises(BundleError) as info:
        write_bundle(tmp_path / "x.fab", roster=revoked, device_id=team.device_id,
                     signing_key=team.device_keys.signing, seq_range=(1, 1), prev_hash=None,
                     ops=[], now=NOW)
    assert info.value.reason is Reason.SIGNER_NOT_ALLOWED


@pytest.mark.parametrize("content", [b"changed!" * 10, b"short", b"x" * 81])
def test_attachment_not_matching_its_hash_aborts_and_leaves_nothing(team, tmp_path,
                                                                    content) -> None:
    data, h = _blob(80, 3)
    with pytest.raises(BundleError) as info:
        _write(team, tmp_path / "x.fab",
               attachments=[(h, len(data), lambda: io.BytesIO(content))])
    assert info.value.reason is Reason.BAD_INPUT
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [[1, 2], [{"x": float("nan")}], [{"x": object()}]])
def test_writer_refuses_ops_that_are_not_json_objects(team, tmp_path, bad) -> None:
    with pytest.raises(BundleError) as info:
        _write(team, tmp_path / "x.fab", ops=bad)
    assert info.value.reason is Reason.BAD_INPUT


def test_writer_bounds_ops(team, tmp_path) -> None:
    with pytest.raises(BundleError) as info:
        _write(team, tmp_path / "x.fab", ops=_ops(10), limits=Limits(max_ops=5))
    assert info.value.reason is Reason.MEMBER_TOO_LARGE


def test_escrow_added_later_makes_old_bundles_readdressed(team, tmp_path) -> None:
    info = _write(team, tmp_path / "x.fab")
    escrow = DeviceKeys.generate().identity
    newer = set_escrow(team.roster, team.new.root_key, escrow.recipient, now=NOW).roster
    with pytest.raises(BundleError) as err:
        open_bundle(info.path, identity=team.new.coordinator_keys.identity, roster=newer)
    assert err.value.reason is Reason.READDRESSED
    assert "version" in err.value.message


def test_copy_detects_a_file_swapped_after_checking(team, tmp_path) -> None:
    a, ha = _blob(1000, 4)
    info = _write(team, tmp_path / "x.fab", attachments=[(ha, len(a), lambda: io.BytesIO(a))])
    vb = open_bundle(info.path, identity=team.new.coordinator_keys.identity, roster=team.roster)
    other = _write(team, tmp_path / "y.fab", seq=(1, 6),
                   attachments=[(ha, len(a), lambda: io.BytesIO(a))])
    os.replace(other.path, info.path)
    with pytest.raises(BundleError) as err:
        vb.copy_attachment(ha, io.BytesIO())
    assert err.value.reason is Reason.HASH_MISMATCH
