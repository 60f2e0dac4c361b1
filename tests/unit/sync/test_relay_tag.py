"""The name of a relay folder: computed by its coordinator and its device from their keys, by
nobody else. Checked with keys made by the real ``age-keygen`` (its bech32 text is what the
derivation decodes) and with the ends' secrets swapped for anyone else's."""

from __future__ import annotations

import subprocess

import bech32
import pyrage
import pytest

from fieldapp.sync.errors import Reason, SignatureError
from fieldapp.sync.keys import AgeIdentity, relay_tag
from tests.programs import need

IDS = {"team_id": "team-1", "coordinator_id": "coord-1", "device_id": "dev-1"}


def _age_keygen() -> AgeIdentity:
    path = need("age-keygen")
    out = subprocess.run([path], capture_output=True, text=True, check=True, timeout=30).stdout
    (secret,) = [x for x in out.splitlines() if x.startswith("AGE-SECRET-KEY-1")]
    public = subprocess.run([path, "-y"], input=secret, capture_output=True, text=True,
                            check=True, timeout=30).stdout.strip()
    identity = AgeIdentity.from_bytes(secret.encode())
    assert identity.recipient == public
    return identity


@pytest.mark.interop
def test_both_ends_and_only_they_compute_the_tag() -> None:
    coordinator, device = _age_keygen(), _age_keygen()
    tag = relay_tag(coordinator, device.recipient, **IDS)
    assert tag == relay_tag(device, coordinator.recipient, **IDS)
    assert len(tag) == 32 and int(tag, 16) >= 0
    # The secret is the X25519 one of the two keys, as anyone holding a scalar computes it.
    assert coordinator.shared_secret(device.recipient) == device.shared_secret(
        coordinator.recipient)
    # Anyone else -- another coordinator, another device of the team, the store's host with
    # a key of their own -- holds the public keys and the ids, and gets another name.
    for other in (_age_keygen(), AgeIdentity.generate()):
        assert relay_tag(other, device.recipient, **IDS) != tag
        assert relay_tag(other, coordinator.recipient, **IDS) != tag
    # The label binds the team and both ids: no tag of one folder names another.
    for changed in ({"team_id": "team-2"}, {"coordinator_id": "dev-1", "device_id": "coord-1"},
                    {"device_id": "dev-2"}):
        assert relay_tag(coordinator, device.recipient, **{**IDS, **changed}) != tag


def test_a_damaged_or_degenerate_recipient_gives_no_tag() -> None:
    me = AgeIdentity.generate()
    good = AgeIdentity.generate().recipient
    flipped = good[:-1] + ("q" if good[-1] != "q" else "p")  # breaks the bech32 checksum
    for bad in (flipped, "age1", "not a key", good.replace("age1", "age2", 1)):
        with pytest.raises(SignatureError) as info:
            relay_tag(me, bad, **IDS)
        assert info.value.reason is Reason.MALFORMED_KEY
    # A key of order 1 (all zeros) would give the all-zero secret anyone can compute.
    zero = str(pyrage.x25519.Recipient.from_str(_bech32_of(bytes(32))))
    with pytest.raises(SignatureError) as info:
        relay_tag(me, zero, **IDS)
    assert info.value.reason is Reason.MALFORMED_KEY


def _bech32_of(data: bytes) -> str:
    """``data`` as an age recipient (BIP 173's reference encoder)."""
    return str(bech32.bech32_encode("age", bech32.convertbits(list(data), 8, 5)))
