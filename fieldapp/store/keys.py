"""The workspace's key file: a random data key, wrapped twice (DESIGN.md §3).

The SQLCipher database is keyed with a random 256-bit *data key*, never with the passphrase. The
data key is stored only wrapped (AES-256-GCM):

* under a key derived from the passphrase with Argon2id (parameters stored beside the wrap, so
  they can be raised later without breaking old workspaces), and
* under a printable *recovery key* (160 random bits, shown once at creation), stretched with
  HKDF-SHA256: it already has full entropy, so a slow KDF would add nothing.

Changing the passphrase replaces one wrap; the database is not re-encrypted. A wrong passphrase
fails the GCM tag check before anything is opened or written. Failed attempts are counted here
(the database cannot be written without the key) and moved into the audit log at the next unlock.
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

from fieldapp.store.errors import (
    WorkspaceCorrupt,
    WorkspaceTooNew,
    WrongPassphrase,
    WrongRecoveryKey,
)

KEYFILE_NAME = "fieldapp-workspace.json"
KEYFILE_FORMAT = "fieldapp-workspace"
KEYFILE_VERSION = 1
DATA_KEY_BYTES = 32
RECOVERY_KEY_BYTES = 20
#: Only for the test suite, which creates hundreds of workspaces: weak Argon2id parameters.
FAST_KDF_ENV = "FIELDAPP_INSECURE_FAST_KDF_FOR_TESTS"


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int = 131072  # 128 MiB
    iterations: int = 3
    lanes: int = 4

    @classmethod
    def default(cls) -> KdfParams:
        if os.environ.get(FAST_KDF_ENV) == "1":
            return cls(memory_kib=1024, iterations=1, lanes=1)
        return cls()

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        kdf = Argon2id(salt=salt, length=32, iterations=self.iterations, lanes=self.lanes,
                       memory_cost=self.memory_kib)
        return kdf.derive(passphrase.encode("utf-8"))


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
        except (OSError, ValueError, UnicodeDecodeError):
            raise WorkspaceCorrupt(str(path)) from None
        if not isinstance(data, dict) or data.get("format") != KEYFILE_FORMAT:
            raise WorkspaceCorrupt(str(path))
        if int(data.get("version", 0)) > KEYFILE_VERSION:
            raise WorkspaceTooNew(str(path))
        return cls(path, data)

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        payload = json.dumps(self.data, indent=2, sort_keys=True).encode("utf-8")
        with open(tmp, "wb") as fh:
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
        kf._wrap_passphrase(data_key, passphrase, kdf or KdfParams.default())
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

    def kdf_params(self) -> KdfParams:
        w = self.data["wraps"]["passphrase"]
        return KdfParams(int(w["memory_kib"]), int(w["iterations"]), int(w["lanes"]))

    def derive_passphrase_kek(self, passphrase: str) -> bytes:
        """The slow step of an unlock (Argon2id), separate so the UI can time and thread it."""
        w = self.data["wraps"]["passphrase"]
        return self.kdf_params().derive(passphrase, _unb64(w["salt"]))

    def unwrap_with_kek(self, kek: bytes) -> bytes:
        w = self.data["wraps"]["passphrase"]
        try:
            return AESGCM(kek).decrypt(_unb64(w["nonce"]), _unb64(w["wrapped"]),
                                       self._aad("passphrase"))
        except InvalidTag:
            raise WrongPassphrase() from None

    def unwrap_passphrase(self, passphrase: str) -> bytes:
        return self.unwrap_with_kek(self.derive_passphrase_kek(passphrase))

    def unwrap_recovery(self, recovery_text: str) -> bytes:
        raw = parse_recovery_key(recovery_text)
        w = self.data["wraps"]["recovery"]
        kek = _recovery_kek(raw, _unb64(w["salt"]))
        try:
            return AESGCM(kek).decrypt(_unb64(w["nonce"]), _unb64(w["wrapped"]),
                                       self._aad("recovery"))
        except InvalidTag:
            raise WrongRecoveryKey() from None

    def rewrap_passphrase(self, data_key: bytes, new_passphrase: str,
                          kdf: KdfParams | None = None) -> None:
        self._wrap_passphrase(data_key, new_passphrase, kdf or self.kdf_params())
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
        self.save()

    def take_failed_unlocks(self) -> list[dict[str, str]]:
        entries = list(self.data.get("failed_unlocks", []))
        if entries:
            self.data["failed_unlocks"] = []
            self.save()
        return entries


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
