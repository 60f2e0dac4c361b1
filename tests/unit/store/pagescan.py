"""Read a SQLCipher 4 database and its WAL page by page, decrypted with the raw data key, the
way an attacker who learned the passphrase would: every page, live or free, and every WAL frame.

SQLCipher 4 defaults: 4096-byte pages, each ending in a 16-byte IV and a 64-byte HMAC
(reserve 80); AES-256-CBC over the rest; page 1 starts with the 16-byte salt in clear. With a raw
key (``x'…'``) the key is the AES key itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
RESERVE = 80
WAL_HEADER = 32
FRAME_HEADER = 24


def _decrypt_page(page: bytes, key: bytes, first: bool) -> bytes:
    start = 16 if first else 0
    iv = page[PAGE - RESERVE:PAGE - RESERVE + 16]
    body = page[start:PAGE - RESERVE]
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(body) + dec.finalize()


def decrypted_pages(db: Path, key: bytes) -> Iterator[bytes]:
    data = db.read_bytes()
    for i in range(0, len(data) - PAGE + 1, PAGE):
        yield _decrypt_page(data[i:i + PAGE], key, first=(i == 0))
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        w = wal.read_bytes()
        pos = WAL_HEADER
        while pos + FRAME_HEADER + PAGE <= len(w):
            page_no = int.from_bytes(w[pos:pos + 4], "big")
            yield _decrypt_page(w[pos + FRAME_HEADER:pos + FRAME_HEADER + PAGE], key,
                                first=(page_no == 1))
            pos += FRAME_HEADER + PAGE


def encodings(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]


def found_in(db: Path, key: bytes, text: str) -> bool:
    needles = encodings(text)
    return any(n in page for page in decrypted_pages(db, key) for n in needles)
