"""The workspace's key file: a random data key, wrapped twice.

The SQLCipher database is keyed with a random 256-bit *data key*, never with the passphrase. The
data key is stored only wrapped (AES-256-GCM):

* under a key derived from the passphrase with Argon2id (parameters stored beside the wrap, so
  they can be raised later without breaking old workspaces), and
* under a printable *recovery key* (160 random bits, shown once at creation), stretched with
  HKDF-SHA256: it already has full entropy, so a slow KDF would add nothing.

Changing the passphrase replaces one wrap; the database is not re-encrypted. A wrong passphrase
fails the GCM tag check before anything is opened or written. Failed attempts are counted here
(the database cannot be written without the key) and moved into the audit log at the next unlock.

The key file is untrusted input: every field is checked for type, encoding, length and range
before it is used, and anything out of shape is :class:`KeyFileDamaged`, never a crash. Argon2id
parameters below :data:`KDF_FLOOR` (64 MiB, 2 passes) are refused (:class:`KdfTooWeak`); a new
wrap always uses :data:`DEFAULT_KDF`, so re-wrapping never carries weak parameters forward.
Nothing in the environment changes either: the test suite lowers them in its own process.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldapp.store import private
from fieldapp.store.errors import (
    KdfTooWeak,
    KeyFileDamaged,
    WorkspaceTooNew,
    WrongPassphrase,
    WrongRecoveryKey,
)

KEYFILE_NAME = "fieldapp-workspace.json"
KEYFILE_FORMAT = "fieldapp-workspace"
KEYFILE_VERSION = 1
DATA_KEY_BYTES = 32
RECOVERY_KEY_BYTES = 20
SALT_BYTES, NONCE_BYTES, TAG_BYTES = 16, 12, 16


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int = 131072  # 128 MiB
    iterations: int = 3
    lanes: int = 4

    @classmethod
    def default(cls) -> KdfParams:
        """The parameters of every new wrap (read at call time: see :data:`DEFAULT_KDF`)."""
        return DEFAULT_KDF

    def below(self, floor: KdfParams) -> bool:
        return self.memory_kib < floor.memory_kib or self.iterations < floor.iterations

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        kdf = Argon2id(salt=salt, length=32, iterations=self.iterations, lanes=self.lanes,
                       memory_cost=self.memory_kib)
        return kdf.derive(passphrase.encode("utf-8"))


#: Parameters for new wraps: 128 MiB, 3 passes, 4 lanes (~0.3 s here).
DEFAULT_KDF = KdfParams()
#: The weakest parameters a workspace may be created or unlocked with: 64 MiB and 2 passes.
#: The test suite lowers this (and DEFAULT_KDF) in its own process only.
KDF_FLOOR = KdfParams(memory_kib=65536, iterations=2, lanes=1)
#: Beyond these a key file is damaged, not cautious: 1 GiB, 16 passes, 16 lanes.
KDF_CEILING = KdfParams(memory_kib=1024 * 1024, iterations=16, lanes=16)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def format_recovery_key(raw: bytes) -> str:
    text = base64.b32encode(raw).decode("ascii").rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    """Accept the key as printed, in any case, with or without dashes or spaces; forgive the
    look-alikes 0/O, 1/I and 8/B that hand copies introduce."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("018", "OIB"))
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (ValueError, TypeError):
        raise WrongRecoveryKey() from None
    if len(raw) != RECOVERY_KEY_BYTES:
        raise WrongRecoveryKey()
    return raw


def _recovery_kek(raw: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=b"fieldapp recovery wrap v1").derive(raw)


@dataclass
class KeyFile:
    """The parsed key file. ``path`` is the file inside the workspace folder."""

    path: Path
    data: dict[str, Any]

    @property
    def workspace_id(self) -> str:
        return str(self.data["workspace_id"])

    # -- reading and writing -------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            raise KeyFileDamaged(str(path)) from None
        if not isinstance(data, dict) or data.get("format") != KEYFILE_FORMAT:
            raise KeyFileDamaged(str(path))
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise KeyFileDamaged(str(path))
        if version > KEYFILE_VERSION:
            raise WorkspaceTooNew(str(path))
        failed = data.get("failed_unlocks", [])
        if (not isinstance(data.get("workspace_id"), str) or not data["workspace_id"]
                or not isinstance(data.get("wraps"), dict)
                or not isinstance(failed, list)
                or not all(isinstance(e, dict) for e in failed)):
            raise KeyFileDamaged(str(path))
        return cls(path, data)

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        payload = json.dumps(self.data, indent=2, sort_keys=True).encode("utf-8")
        with private.open_write(tmp) as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    # -- wraps ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, workspace_id: str, passphrase: str,
               kdf: KdfParams | None = None) -> tuple[KeyFile, bytes, str]:
        """A new key file. Returns it, the data key, and the printable recovery key."""
        data_key = secrets.token_bytes(DATA_KEY_BYTES)
        recovery = secrets.token_bytes(RECOVERY_KEY_BYTES)
        kf = cls(path, {
            "format": KEYFILE_FORMAT,
            "version": KEYFILE_VERSION,
            "workspace_id": workspace_id,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "wraps": {},
            "failed_unlocks": [],
        })
        params = kdf or KdfParams.default()
        if params.below(KDF_FLOOR):
            raise KdfTooWeak(str(path))
        kf._wrap_passphrase(data_key, passphrase, params)
        kf._wrap_recovery(data_key, recovery)
        return kf, data_key, format_recovery_key(recovery)

    def _aad(self, kind: str) -> bytes:
        return f"fieldapp/{self.workspace_id}/{kind}".encode()

    def _wrap_passphrase(self, data_key: bytes, passphrase: str, kdf: KdfParams) -> None:
        salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
        kek = kdf.derive(passphrase, salt)
        self.data["wraps"]["passphrase"] = {
            "kdf": "argon2id",
            "memory_kib": kdf.memory_kib,
            "iterations": kdf.iterations,
            "lanes": kdf.lanes,
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "wrapped": _b64(AESGCM(kek).encrypt(nonce, data_key, self._aad("passphrase"))),
        }

    def _wrap_recovery(self, data_key: bytes, recovery: bytes) -> None:
        salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
        kek = _recovery_kek(recovery, salt)
        self.data["wraps"]["recovery"] = {
            "kdf": "hkdf-sha256",
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "wrapped": _b64(AESGCM(kek).encrypt(nonce, data_key, self._aad("recovery"))),
        }

    def _wrap(self, kind: str, kdf: str) -> tuple[bytes, bytes, bytes]:
        """One wrap's salt, nonce and ciphertext, checked for shape (KeyFileDamaged if not)."""
        w = self.data["wraps"].get(kind)
        if not isinstance(w, dict) or w.get("kdf") != kdf:
            raise KeyFileDamaged(str(self.path))
        parts = []
        for name, size in (("salt", SALT_BYTES), ("nonce", NONCE_BYTES),
                           ("wrapped", DATA_KEY_BYTES + TAG_BYTES)):
            value = w.get(name)
            try:
                raw = _unb64(value) if isinstance(value, str) else b""
            except (ValueError, UnicodeEncodeError):
                raw = b""
            if len(raw) != size:
                raise KeyFileDamaged(str(self.path))
            parts.append(raw)
        return parts[0], parts[1], parts[2]

    def kdf_params(self) -> KdfParams:
        """The passphrase wrap's Argon2id parameters: KeyFileDamaged when they are not numbers
        in a sane range, KdfTooWeak when they are below :data:`KDF_FLOOR`."""
        self._wrap("passphrase", "argon2id")
        w = self.data["wraps"]["passphrase"]
        values = [w.get(name) for name in ("memory_kib", "iterations", "lanes")]
        ceiling = (KDF_CEILING.memory_kib, KDF_CEILING.iterations, KDF_CEILING.lanes)
        if not all(_is_int(v) and 1 <= v <= top for v, top in zip(values, ceiling, strict=True)):
            raise KeyFileDamaged(str(self.path))
        params = KdfParams(*values)
        if params.memory_kib < 8 * params.lanes:  # Argon2's own minimum
            raise KeyFileDamaged(str(self.path))
        if params.below(KDF_FLOOR):
            raise KdfTooWeak(str(self.path))
        return params

    def derive_passphrase_kek(self, passphrase: str) -> bytes:
        """The slow step of an unlock (Argon2id), separate so the UI can time and thread it."""
        salt, _nonce, _wrapped = self._wrap("passphrase", "argon2id")
        return self.kdf_params().derive(passphrase, salt)

    def unwrap_with_kek(self, kek: bytes) -> bytes:
        _salt, nonce, wrapped = self._wrap("passphrase", "argon2id")
        try:
            return AESGCM(kek).decrypt(nonce, wrapped, self._aad("passphrase"))
        except InvalidTag:
            raise WrongPassphrase() from None

    def unwrap_passphrase(self, passphrase: str) -> bytes:
        return self.unwrap_with_kek(self.derive_passphrase_kek(passphrase))

    def unwrap_recovery(self, recovery_text: str) -> bytes:
        salt, nonce, wrapped = self._wrap("recovery", "hkdf-sha256")
        raw = parse_recovery_key(recovery_text)
        kek = _recovery_kek(raw, salt)
        try:
            return AESGCM(kek).decrypt(nonce, wrapped, self._aad("recovery"))
        except InvalidTag:
            raise WrongRecoveryKey() from None

    def rewrap_passphrase(self, data_key: bytes, new_passphrase: str,
                          kdf: KdfParams | None = None) -> None:
        """A new passphrase wrap, always with today's parameters (or stronger ones given):
        the old wrap's parameters are never carried forward."""
        params = kdf or KdfParams.default()
        if params.below(KDF_FLOOR):
            raise KdfTooWeak(str(self.path))
        self._wrap_passphrase(data_key, new_passphrase, params)
        self.save()

    def new_recovery_key(self, data_key: bytes) -> str:
        recovery = secrets.token_bytes(RECOVERY_KEY_BYTES)
        self._wrap_recovery(data_key, recovery)
        self.save()
        return format_recovery_key(recovery)

    # -- failed attempts -----------------------------------------------------------------

    def record_failed_unlock(self, how: str) -> None:
        entries = list(self.data.get("failed_unlocks", []))[-99:]
        entries.append({"at": datetime.now(UTC).isoformat(timespec="seconds"), "how": how})
        self.data["failed_unlocks"] = entries
        try:
            self.save()
        except OSError:
            # A full disk or a read-only folder: the wrong passphrase is what the user must
            # hear, and the count cannot be kept. Leave no half-written temporary file.
            self.path.with_name(self.path.name + ".tmp").unlink(missing_ok=True)

    def take_failed_unlocks(self) -> list[dict[str, str]]:
        entries = list(self.data.get("failed_unlocks", []))
        if entries:
            self.data["failed_unlocks"] = []
            self.save()
        return entries


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
