"""Encrypted attachment files (audio, photos of signed consent forms, documents).

Each file gets its own random 256-bit key, kept only in its database row (encrypted with the
rest of the workspace). Deleting the row therefore shreds the file even where the disk keeps old
blocks. Files are encrypted in 64 KiB chunks with AES-256-GCM so a large recording is streamed,
never held whole in memory; each chunk's nonce carries its index and the last chunk is marked in
the associated data, so reordered, dropped or truncated chunks fail to decrypt.

Layout: ``magic (8) | chunk size (4, big-endian) | chunks``; a chunk is
``ciphertext+tag`` of at most ``chunk size + 16`` bytes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
from collections.abc import Generator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fieldapp.store import private

MAGIC = b"FAATT\x00\x00\x01"
CHUNK = 64 * 1024


class AttachmentDamaged(Exception):
    pass


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def encrypt_stream(source: BinaryIO, target: Path, key: bytes) -> tuple[int, str]:
    """Encrypt ``source`` into ``target`` (written under a temporary name, then renamed).
    Returns (plaintext size, SHA-256 of the plaintext)."""
    aead = AESGCM(key)
    prefix = secrets.token_bytes(8)
    digest = hashlib.sha256()
    size = 0
    private.mkdir(target.parent)
    tmp = target.with_name(target.name + ".part")
    try:
        with private.open_write(tmp) as out:
            out.write(MAGIC + struct.pack(">I", CHUNK) + prefix)
            index = 0
            chunk = source.read(CHUNK)
            while True:
                following = source.read(CHUNK) if chunk else b""
                last = not following
                digest.update(chunk)
                size += len(chunk)
                out.write(aead.encrypt(_nonce(prefix, index), chunk, b"L" if last else b"M"))
                if last:
                    break
                chunk, index = following, index + 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def decrypt_chunks(path: Path, key: bytes) -> Generator[bytes, None, None]:
    aead = AESGCM(key)
    with open(path, "rb") as fh:
        header = fh.read(len(MAGIC) + 4 + 8)
        if len(header) != len(MAGIC) + 12 or not header.startswith(MAGIC):
            raise AttachmentDamaged(str(path))
        (chunk_size,) = struct.unpack(">I", header[len(MAGIC):len(MAGIC) + 4])
        prefix = header[-8:]
        block = chunk_size + 16
        index = 0
        current = fh.read(block)
        while True:
            following = fh.read(block)
            last = not following
            try:
                yield aead.decrypt(_nonce(prefix, index), current, b"L" if last else b"M")
            except InvalidTag:
                raise AttachmentDamaged(str(path)) from None
            if last:
                return
            current, index = following, index + 1


def new_key() -> bytes:
    return secrets.token_bytes(32)


class EncryptingWriter:
    """A writable file object that encrypts what it is given into ``target`` (chunked like
    :func:`encrypt_stream`): for attachments arriving in a bundle. Call :meth:`commit` to put
    the file in place, or :meth:`abort` to leave nothing."""

    def __init__(self, target: Path, key: bytes) -> None:
        self.target = target
        self._aead = AESGCM(key)
        self._prefix = secrets.token_bytes(8)
        self._pending = b""
        self._index = 0
        self.digest = hashlib.sha256()
        self.size = 0
        private.mkdir(target.parent)
        self._tmp = target.with_name(target.name + ".part")
        self._fh: BinaryIO | None = private.open_write(self._tmp)
        self._fh.write(MAGIC + struct.pack(">I", CHUNK) + self._prefix)

    def write(self, data: bytes) -> int:
        assert self._fh is not None
        self.digest.update(data)
        self.size += len(data)
        self._pending += data
        # Keep at least one byte back: only the final chunk may be marked last.
        while len(self._pending) > CHUNK:
            chunk, self._pending = self._pending[:CHUNK], self._pending[CHUNK:]
            self._fh.write(self._aead.encrypt(_nonce(self._prefix, self._index), chunk, b"M"))
            self._index += 1
        return len(data)

    def commit(self) -> None:
        assert self._fh is not None
        self._fh.write(self._aead.encrypt(_nonce(self._prefix, self._index), self._pending, b"L"))
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        os.replace(self._tmp, self.target)

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._tmp.unlink(missing_ok=True)


class DecryptingReader:
    """A readable file object over an encrypted attachment (streams; never the whole file)."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._chunks = decrypt_chunks(path, key)
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            try:
                self._buf += next(self._chunks)
            except StopIteration:
                break
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        self._chunks.close()

    def __enter__(self) -> DecryptingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
