from __future__ import annotations

import base64

import pytest

from fieldapp.sync import minisign
from fieldapp.sync.errors import Reason, SignatureError
from fieldapp.sync.keys import (
    AgeIdentity,
    DeviceKeys,
    SigningKey,
    VerifyKey,
    fingerprint,
    fingerprints_match,
    parse_recipient,
)


def test_signing_key_round_trip_and_repr_hides_secret() -> None:
    key = SigningKey.generate()
    secret = key.to_bytes()
    again = SigningKey.from_bytes(secret)
    assert again.public_key == key.public_key
    assert secret[-32:].hex() not in repr(key)
    assert "SigningKey(public=" in repr(key)


def test_verify_key_text_round_trip() -> None:
    pub = SigningKey.generate().public_key
    text = pub.to_text()
    assert text.startswith("RW")
    assert VerifyKey.from_text(text) == pub
    assert VerifyKey.from_text(pub.minisign_key.to_file_text()) == pub


def test_age_identity_round_trip_and_repr() -> None:
    ident = AgeIdentity.generate()
    again = AgeIdentity.from_bytes(ident.to_bytes())
    assert again.recipient == ident.recipient
    assert "AGE-SECRET-KEY" not in repr(ident)
    assert parse_recipient(" " + ident.recipient + "\n") == ident.recipient


def test_device_keys_round_trip() -> None:
    keys = DeviceKeys.generate()
    again = DeviceKeys.from_bytes(keys.to_bytes())
    assert again.public == keys.public
    assert again.fingerprint() == keys.fingerprint()


@pytest.mark.parametrize("bad", [b"", b"fieldapp-ed25519-v1\n" + b"x" * 31, b"nonsense" * 8])
def test_malformed_signing_key_bytes(bad: bytes) -> None:
    with pytest.raises(SignatureError) as info:
        SigningKey.from_bytes(bad)
    assert info.value.reason is Reason.MALFORMED_KEY


def test_malformed_identity_and_recipient() -> None:
    with pytest.raises(SignatureError):
        AgeIdentity.from_bytes(b"AGE-SECRET-KEY-1NOPE")
    with pytest.raises(SignatureError):
        parse_recipient("age1notarecipient")


def test_fingerprint_is_deterministic_grouped_and_key_dependent() -> None:
    keys = DeviceKeys.generate()
    fp = keys.fingerprint()
    groups = fp.split(" ")
    assert len(groups) == 6 and all(len(g) == 4 and g.isdigit() for g in groups)
    assert fingerprint(keys.signing.public_key, keys.identity.recipient) == fp
    assert DeviceKeys.generate().fingerprint() != fp
    # the recipient is bound in too: the same signing key with another age key differs
    assert fingerprint(keys.signing.public_key, AgeIdentity.generate().recipient) != fp
    assert fingerprints_match(fp, fp.replace(" ", "-"))
    assert not fingerprints_match(fp, fp[:-1] + ("0" if fp[-1] != "0" else "1"))
    assert not fingerprints_match("", "")


def test_sign_verify_prehashed_and_legacy() -> None:
    key = SigningKey.generate()
    message = "manifest 中文".encode()
    sig = key.sign(message, trusted_comment="timestamp:1\tfile:m")
    assert base64.b64decode(sig.split(b"\n")[1])[:2] == b"ED"
    assert key.public_key.verify(message, sig) == "timestamp:1\tfile:m"
    legacy = minisign.sign(key._private, key.public_key.key_id, message,
                           trusted_comment="x", prehashed=False)
    assert legacy.algorithm == b"Ed"
    assert key.public_key.verify(message, legacy.to_bytes()) == "x"


def test_flipped_message_or_comment_is_refused() -> None:
    key = SigningKey.generate()
    sig = key.sign(b"abc", trusted_comment="good")
    with pytest.raises(SignatureError) as info:
        key.public_key.verify(b"abd", sig)
    assert info.value.reason is Reason.BAD_SIGNATURE
    forged = sig.replace(b"trusted comment: good", b"trusted comment: evil")
    with pytest.raises(SignatureError) as info:
        key.public_key.verify(b"abc", forged)
    assert info.value.reason is Reason.BAD_SIGNATURE


def test_other_key_is_refused_by_key_id() -> None:
    sig = SigningKey.generate().sign(b"abc", trusted_comment="t")
    with pytest.raises(SignatureError) as info:
        SigningKey.generate().public_key.verify(b"abc", sig)
    assert info.value.reason is Reason.KEY_MISMATCH


@pytest.mark.parametrize("mangle", [
    lambda s: s[: len(s) // 2],
    lambda s: s + b"extra line\n",
    lambda s: s.replace(b"trusted comment: ", b"trusted: "),
    lambda s: b"x" * 5000,
    lambda s: s.replace(b"\nRU", b"\nRX", 1),
    lambda s: b"\xff\xfe" + s,
])
def test_malformed_signature_files(mangle) -> None:
    key = SigningKey.generate()
    sig = key.sign(b"abc", trusted_comment="t")
    with pytest.raises(SignatureError) as info:
        key.public_key.verify(b"abc", mangle(sig))
    assert info.value.reason is Reason.MALFORMED_SIGNATURE


def test_comment_with_newline_is_refused() -> None:
    with pytest.raises(SignatureError):
        SigningKey.generate().sign(b"abc", trusted_comment="a\nb")
