"""Signatures and public keys in the minisign format, so the standard ``minisign -V`` checks ours.

Format (https://jedisct1.github.io/minisign/)::

    untrusted comment: <text>
    base64(<alg "Ed" or "ED"> || <key id, 8 bytes> || <Ed25519 signature, 64 bytes>)
    trusted comment: <text>
    base64(<Ed25519 signature over (signature || trusted comment)>)

``Ed`` signs the message itself; ``ED`` (what minisign >= 0.8 emits by default, and what we emit)
signs its BLAKE2b-512 hash. A public key is ``base64("Ed" || key id || 32-byte Ed25519 key)``.

Why not ``py-minisign`` (the PyPI package): it models minisign's own scrypt-protected secret-key
file, so signing with a key our encrypted store holds would mean reaching into its private
attributes; it reads signatures without a size bound, and it is a one-maintainer beta. The
format is small and fixed, ``cryptography`` (already a dependency) provides Ed25519 and
``hashlib`` BLAKE2b, and the interop tests hold this module to the real ``minisign`` program in
both directions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fieldapp.i18n import _
from fieldapp.sync.errors import Reason, SignatureError

ALG_ED = b"Ed"  # legacy: the message is signed as is
ALG_PREHASHED = b"ED"  # the BLAKE2b-512 hash of the message is signed
KEY_ID_BYTES = 8
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
MAX_COMMENT_CHARS = 1024  # minisign's COMMENTMAXBYTES
MAX_SIGNATURE_FILE = 4096
UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key with its minisign key id."""

    key_id: bytes
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key_id) != KEY_ID_BYTES or len(self.key) != PUBLIC_KEY_BYTES:
            raise SignatureError(Reason.MALFORMED_KEY, _("The public key has the wrong length."))

    def to_line(self) -> str:
        """The base64 line (``RW...``) that ``minisign -P`` takes."""
        return base64.b64encode(ALG_ED + self.key_id + self.key).decode("ascii")

    def to_file_text(self) -> str:
        """The content of a ``minisign.pub`` file."""
        comment = f"{UNTRUSTED_PREFIX}minisign public key {key_id_hex(self.key_id)}"
        return f"{comment}\n{self.to_line()}\n"

    @classmethod
    def from_line(cls, line: str) -> PublicKey:
        raw = _b64(line.strip(), 2 + KEY_ID_BYTES + PUBLIC_KEY_BYTES, Reason.MALFORMED_KEY)
        if raw[:2] != ALG_ED:
            raise SignatureError(Reason.MALFORMED_KEY, _("This is not an Ed25519 public key."))
        return cls(key_id=raw[2:10], key=raw[10:])

    @classmethod
    def from_file_text(cls, text: str) -> PublicKey:
        """Read a ``minisign.pub`` file (comment line, key line) or a bare key line."""
        lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
        if len(lines) == 2 and lines[0].startswith(UNTRUSTED_PREFIX):
            return cls.from_line(lines[1])
        if len(lines) == 1:
            return cls.from_line(lines[0])
        raise SignatureError(Reason.MALFORMED_KEY, _("This is not a minisign public key."))


@dataclass(frozen=True, slots=True)
class Signature:
    """A parsed minisign signature file; nothing in it is trusted until :func:`verify`."""

    algorithm: bytes
    key_id: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes
    untrusted_comment: str = ""

    def to_bytes(self) -> bytes:
        line1 = base64.b64encode(self.algorithm + self.key_id + self.signature).decode("ascii")
        line3 = base64.b64encode(self.global_signature).decode("ascii")
        text = (f"{UNTRUSTED_PREFIX}{self.untrusted_comment}\n{line1}\n"
                f"{TRUSTED_PREFIX}{self.trusted_comment}\n{line3}\n")
        return text.encode("utf-8")


def key_id_hex(key_id: bytes) -> str:
    """Key id as minisign prints it (a little-endian 64-bit number in upper-case hex)."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


def derive_key_id(public_key: bytes) -> bytes:
    """Our keys' ids are derived from the key, so a key id never has to be stored beside it."""
    return hashlib.blake2b(public_key, digest_size=KEY_ID_BYTES, person=b"fieldapp-keyid").digest()


def _check_comment(comment: str) -> None:
    if len(comment) > MAX_COMMENT_CHARS or any(c in comment for c in "\r\n\0"):
        raise SignatureError(Reason.MALFORMED_SIGNATURE,
                             _("A signature comment is too long or spans several lines."))


def sign(private_key: Ed25519PrivateKey, key_id: bytes, message: bytes, *,
         trusted_comment: str, untrusted_comment: str = "signature from fieldapp",
         prehashed: bool = True) -> Signature:
    """Sign ``message`` as ``minisign -S`` would (prehashed ``ED`` unless told otherwise)."""
    _check_comment(trusted_comment)
    _check_comment(untrusted_comment)
    if prehashed:
        sig = private_key.sign(hashlib.blake2b(message).digest())
        alg = ALG_PREHASHED
    else:
        sig = private_key.sign(message)
        alg = ALG_ED
    global_sig = private_key.sign(sig + trusted_comment.encode("utf-8"))
    return Signature(algorithm=alg, key_id=key_id, signature=sig,
                     trusted_comment=trusted_comment, global_signature=global_sig,
                     untrusted_comment=untrusted_comment)


def _b64(text: str, length: int, reason: Reason) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise SignatureError(reason, _("Not valid base64.")) from exc
    if len(raw) != length:
        raise SignatureError(reason, _("Unexpected length after base64 decoding."))
    return raw


def parse_signature(data: bytes) -> Signature:
    """Parse a signature file strictly: four lines, bounded size, known algorithm."""
    malformed = Reason.MALFORMED_SIGNATURE
    if len(data) > MAX_SIGNATURE_FILE:
        raise SignatureError(malformed, _("The signature file is too large."))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError(malformed, _("The signature file is not text.")) from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln.removesuffix("\r") for ln in lines]
    if len(lines) != 4 or not lines[0].startswith(UNTRUSTED_PREFIX) \
            or not lines[2].startswith(TRUSTED_PREFIX):
        raise SignatureError(malformed, _("The signature file does not have the minisign layout."))
    raw = _b64(lines[1], 2 + KEY_ID_BYTES + SIGNATURE_BYTES, malformed)
    if raw[:2] not in (ALG_ED, ALG_PREHASHED):
        raise SignatureError(malformed, _("Unknown signature algorithm."))
    trusted = lines[2][len(TRUSTED_PREFIX):]
    untrusted = lines[0][len(UNTRUSTED_PREFIX):]
    _check_comment(trusted)
    return Signature(algorithm=raw[:2], key_id=raw[2:10], signature=raw[10:],
                     trusted_comment=trusted,
                     global_signature=_b64(lines[3], SIGNATURE_BYTES, malformed),
                     untrusted_comment=untrusted)


def verify(public_key: PublicKey, message: bytes, signature: Signature) -> str:
    """Check ``signature`` over ``message``; returns the (now trusted) trusted comment."""
    if signature.key_id != public_key.key_id:
        raise SignatureError(Reason.KEY_MISMATCH,
                             _("The signature was made with a different key."))
    pk = Ed25519PublicKey.from_public_bytes(public_key.key)
    signed = hashlib.blake2b(message).digest() if signature.algorithm == ALG_PREHASHED else message
    try:
        pk.verify(signature.signature, signed)
        pk.verify(signature.global_signature,
                  signature.signature + signature.trusted_comment.encode("utf-8"))
    except InvalidSignature as exc:
        raise SignatureError(Reason.BAD_SIGNATURE, _("The signature does not match.")) from exc
    return signature.trusted_comment
