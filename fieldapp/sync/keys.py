"""Team keys: Ed25519 signing keys (root, coordinator, device) and age X25519 identities.

Secret keys are turned into bytes for the encrypted store to keep (``to_bytes``/``from_bytes``);
this module never writes them anywhere itself, and their ``repr`` shows only public parts.
Public keys travel as text: a signing key as the minisign base64 line (``RW...``), an age
recipient as ``age1...``. :func:`fingerprint` gives the short code two people compare in person or
by phone before trusting a key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import bech32
import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from fieldapp.i18n import _
from fieldapp.sync import minisign
from fieldapp.sync.errors import Reason, SignatureError

_ED_MAGIC = b"fieldapp-ed25519-v1\n"
_DEVICE_MAGIC = b"fieldapp-device-keys-v1\n"
_FP_PERSON = b"fieldapp-fp-v1"
FINGERPRINT_GROUPS = 6
_AGE_SECRET_MAX = 200


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """A public Ed25519 key (with its minisign key id)."""

    minisign_key: minisign.PublicKey

    @property
    def raw(self) -> bytes:
        return self.minisign_key.key

    @property
    def key_id(self) -> bytes:
        return self.minisign_key.key_id

    def to_text(self) -> str:
        return self.minisign_key.to_line()

    @classmethod
    def from_text(cls, text: str) -> VerifyKey:
        return cls(minisign.PublicKey.from_file_text(text))

    def verify(self, message: bytes, signature: bytes) -> str:
        """Verify a minisign signature file's bytes; returns the trusted comment."""
        return minisign.verify(self.minisign_key, message, minisign.parse_signature(signature))

    def __str__(self) -> str:
        return self.to_text()


class SigningKey:
    """A secret Ed25519 key. Its repr names only the public key id."""

    __slots__ = ("_private", "_public")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._public = VerifyKey(minisign.PublicKey(minisign.derive_key_id(raw), raw))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_bytes(cls, data: bytes) -> SigningKey:
        if not data.startswith(_ED_MAGIC) or len(data) != len(_ED_MAGIC) + 32:
            raise SignatureError(Reason.MALFORMED_KEY, _("This is not a fieldapp signing key."))
        return cls(Ed25519PrivateKey.from_private_bytes(data[len(_ED_MAGIC):]))

    def to_bytes(self) -> bytes:
        """Secret material: hand it to the encrypted store only."""
        return _ED_MAGIC + self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                       NoEncryption())

    @property
    def public_key(self) -> VerifyKey:
        return self._public

    def sign(self, message: bytes, *, trusted_comment: str) -> bytes:
        """A minisign (prehashed) signature file over ``message``."""
        sig = minisign.sign(self._private, self._public.key_id, message,
                            trusted_comment=trusted_comment,
                            untrusted_comment="signature from fieldapp key "
                            + minisign.key_id_hex(self._public.key_id))
        return sig.to_bytes()

    def __repr__(self) -> str:
        return f"SigningKey(public={self._public.to_text()!r})"


class AgeIdentity:
    """A secret age X25519 identity (what decrypts bundles). Its repr shows only the recipient."""

    __slots__ = ("_identity", "_recipient")

    def __init__(self, identity: pyrage.x25519.Identity) -> None:
        self._identity = identity
        self._recipient = str(identity.to_public())

    @classmethod
    def generate(cls) -> AgeIdentity:
        return cls(pyrage.x25519.Identity.generate())

    @classmethod
    def from_bytes(cls, data: bytes) -> AgeIdentity:
        try:
            text = data.decode("ascii").strip()
            if len(text) > _AGE_SECRET_MAX:
                raise ValueError("too long")
            return cls(pyrage.x25519.Identity.from_str(text))
        except (UnicodeDecodeError, ValueError, pyrage.IdentityError) as exc:
            raise SignatureError(Reason.MALFORMED_KEY,
                                 _("This is not an age identity.")) from exc

    def to_bytes(self) -> bytes:
        """Secret material (``AGE-SECRET-KEY-1...``): hand it to the encrypted store only."""
        return str(self._identity).encode("ascii")

    @property
    def recipient(self) -> str:
        return self._recipient

    @property
    def pyrage_identity(self) -> pyrage.x25519.Identity:
        return self._identity

    def shared_secret(self, recipient: str) -> bytes:
        """The X25519 shared secret of this identity and another member's recipient: the same
        32 bytes on both sides (``a.shared_secret(b.recipient) == b.shared_secret(a.recipient)``)
        and unknown to anyone holding neither secret key."""
        scalar = _bech32_payload(str(self._identity), "age-secret-key-")
        private = X25519PrivateKey.from_private_bytes(scalar)
        own = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        if own != _bech32_payload(self._recipient, "age"):  # the age key is what we decoded
            raise SignatureError(Reason.MALFORMED_KEY, _("This is not an age identity."))
        try:
            peer = X25519PublicKey.from_public_bytes(
                _bech32_payload(parse_recipient(recipient), "age"))
            return private.exchange(peer)
        except ValueError as exc:  # a low-order point: no secret to share with it
            raise SignatureError(Reason.MALFORMED_KEY, _(
                "This is not an age recipient: {value}").format(value=recipient[:80])) from exc

    def __repr__(self) -> str:
        return f"AgeIdentity(recipient={self._recipient!r})"


def _bech32_payload(text: str, hrp: str) -> bytes:
    """The 32 key bytes of an age key in bech32 (``age1...``, ``AGE-SECRET-KEY-1...``), its
    human-readable part and checksum checked (BIP 173's reference decoder, which age's keys
    fit: at most 90 characters, one case)."""
    found, values = bech32.bech32_decode(text.strip())
    data = bech32.convertbits(values, 5, 8, False) if values is not None else None
    if found is None or found.lower() != hrp or data is None or len(data) != 32:
        raise SignatureError(Reason.MALFORMED_KEY, _("This is not an age recipient: {value}")
                             .format(value=text[:80] if hrp == "age" else "…"))
    return bytes(data)


def relay_tag(identity: AgeIdentity, peer_recipient: str, *, team_id: str,
              coordinator_id: str, device_id: str) -> str:
    """The name of the store folder where coordinator ``coordinator_id`` leaves relay bundles
    for device ``device_id``: 32 hex digits of HMAC-SHA256 keyed with the X25519 secret the
    two share (``identity`` is one side's, ``peer_recipient`` the other's public key).

    Both can compute it, nobody else can: the shared store never shows which device a relay
    folder is for. The label, the team and both ids are under the MAC so a tag means one
    folder of one team only."""
    secret = identity.shared_secret(peer_recipient)
    message = b"\0".join((_RELAY_LABEL, team_id.encode("utf-8"),
                          coordinator_id.encode("utf-8"), device_id.encode("utf-8")))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:RELAY_TAG_HEX]


_RELAY_LABEL = b"fieldapp relay folder v1"
RELAY_TAG_HEX = 32


def parse_recipient(text: str) -> str:
    """Validate an age X25519 recipient (``age1...``) and return it normalised."""
    text = text.strip()
    try:
        return str(pyrage.x25519.Recipient.from_str(text))
    except (ValueError, pyrage.RecipientError) as exc:
        raise SignatureError(Reason.MALFORMED_KEY,
                             _("This is not an age recipient: {value}").format(value=text[:80])
                             ) from exc


def fingerprint(signing_key: VerifyKey, recipient: str | None = None) -> str:
    """Six groups of four digits, deterministic from the public keys, for reading aloud.

    80 bits: enough that nobody can make a second key pair with the same code in any time that
    matters, short enough to read over a phone in Chinese or English.
    """
    h = hashlib.blake2b(digest_size=32, person=_FP_PERSON)
    h.update(signing_key.raw)
    h.update(b"\0")
    h.update((recipient or "").encode("ascii"))
    number = int.from_bytes(h.digest(), "big") % 10 ** (4 * FINGERPRINT_GROUPS)
    digits = f"{number:0{4 * FINGERPRINT_GROUPS}d}"
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def fingerprints_match(a: str, b: str) -> bool:
    """Compare two fingerprints typed or read back, ignoring spaces and dashes."""
    def norm(s: str) -> bytes:
        return "".join(c for c in s if c.isdigit()).encode("ascii")

    return hmac.compare_digest(norm(a), norm(b)) and len(norm(a)) == 4 * FINGERPRINT_GROUPS


@dataclass(frozen=True, slots=True)
class PublicKeys:
    """The public half of a device's or coordinator's keys, as text."""

    signing_key: VerifyKey
    recipient: str

    def fingerprint(self) -> str:
        return fingerprint(self.signing_key, self.recipient)


class DeviceKeys:
    """A device's (or coordinator's) own keys: one signing key and one age identity."""

    __slots__ = ("identity", "signing")

    def __init__(self, signing: SigningKey, identity: AgeIdentity) -> None:
        self.signing = signing
        self.identity = identity

    @classmethod
    def generate(cls) -> DeviceKeys:
        return cls(SigningKey.generate(), AgeIdentity.generate())

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(self.signing.public_key, self.identity.recipient)

    def fingerprint(self) -> str:
        return self.public.fingerprint()

    def to_bytes(self) -> bytes:
        """Secret material: hand it to the encrypted store only."""
        ed = self.signing.to_bytes()
        return _DEVICE_MAGIC + len(ed).to_bytes(2, "big") + ed + self.identity.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> DeviceKeys:
        if not data.startswith(_DEVICE_MAGIC) or len(data) < len(_DEVICE_MAGIC) + 2:
            raise SignatureError(Reason.MALFORMED_KEY, _("These are not fieldapp device keys."))
        rest = data[len(_DEVICE_MAGIC):]
        n = int.from_bytes(rest[:2], "big")
        return cls(SigningKey.from_bytes(rest[2:2 + n]), AgeIdentity.from_bytes(rest[2 + n:]))

    def __repr__(self) -> str:
        return f"DeviceKeys(fingerprint={self.fingerprint()!r})"
