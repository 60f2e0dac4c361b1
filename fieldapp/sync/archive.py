"""The plain archive inside a bundle: a strict subset of POSIX ustar, written and read as streams.

Writing yields headers, data and padding as chunks, so the age encryption can pull the archive
without it ever being whole in memory. Reading is push-driven (the age decryption hands us
plaintext chunks): :class:`TarReader` accepts only regular files with short, relative,
``..``-free names and exact octal fields; links, directories, devices, pax and GNU extensions,
and anything after the end marker but zero padding are refused. A standard ``tar`` reads what we
write, so a coordinator can unpack a bundle with ``age -d`` and ``tar x`` alone.
"""

from __future__ import annotations

import tarfile
from typing import Protocol

from fieldapp.i18n import _
from fieldapp.sync.errors import BundleError, Reason

BLOCK = 512
END_OF_ARCHIVE = b"\0" * (2 * BLOCK)
MAX_TRAILING_ZEROS = 20 * BLOCK * 10  # tar writers pad to a record (10 KiB by default)
MAX_NAME_BYTES = 100
MAX_MEMBER_SIZE = 8**11 - 1  # what eleven octal digits hold


def header(name: str, size: int, mtime: int = 0) -> bytes:
    """A ustar header for a regular file (no owner names, mode 0600)."""
    if len(name.encode("utf-8")) > MAX_NAME_BYTES or not 0 <= size <= MAX_MEMBER_SIZE:
        raise ValueError("name too long or size out of range")
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    info.type = tarfile.REGTYPE
    info.uname = info.gname = ""
    return info.tobuf(format=tarfile.USTAR_FORMAT, encoding="utf-8", errors="strict")


def padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


class MemberSink(Protocol):
    def begin(self, name: str, size: int) -> None: ...
    def data(self, chunk: bytes) -> None: ...
    def end(self) -> None: ...


def _malformed(detail: str) -> BundleError:
    return BundleError(Reason.MALFORMED_ARCHIVE,
                       _("The bundle's archive is malformed ({detail}).").format(detail=detail))


def _octal(field: bytes, what: str) -> int:
    text = field.rstrip(b"\0 ").lstrip(b" ")
    if not text or any(c not in b"01234567" for c in text):
        raise _malformed(what)
    return int(text, 8)


def _cstr(field: bytes) -> bytes:
    end = field.find(b"\0")
    return field if end < 0 else field[:end]


def check_member_name(name: str) -> None:
    """Refuse absolute paths, drive letters, backslashes, ``.``/``..`` and empty segments."""
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or ":" in name
            or any(p in ("", ".", "..") for p in parts)
            or any(ord(c) < 32 for c in name)):
        raise BundleError(Reason.UNSAFE_PATH,
                          _("The bundle contains an unsafe path: {path}").format(path=name[:120]))


def parse_header(block: bytes) -> tuple[str, int]:
    """Check one 512-byte header strictly; returns (name, size) of a regular file."""
    stored = _octal(block[148:156], "checksum")
    if stored != sum(block[:148]) + 8 * 32 + sum(block[156:]):
        raise _malformed("checksum")
    if block[257:263] != b"ustar\0" or block[263:265] != b"00":
        raise _malformed("not ustar")
    kind = block[156:157]
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        raise BundleError(Reason.LINK_MEMBER, _("The bundle contains a link, which is refused."))
    if kind not in (tarfile.REGTYPE, tarfile.AREGTYPE):
        raise _malformed("member type")
    try:
        name = _cstr(block[0:100]).decode("utf-8")
        prefix = _cstr(block[345:500]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed("name encoding") from exc
    if prefix:
        name = f"{prefix}/{name}"
    check_member_name(name)
    return name, _octal(block[124:136], "size")


class TarReader:
    """Push parser: ``feed`` plaintext chunks, then ``close`` at the end of the stream."""

    def __init__(self, sink: MemberSink) -> None:
        self._sink = sink
        self._buf = bytearray()
        self._remaining = 0  # data bytes left in the current member
        self._pad = 0  # padding bytes left after it
        self._in_member = False
        self._zero_blocks = 0
        self._trailing = 0
        self.finished = False

    def feed(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            if self._in_member:
                take = min(self._remaining, len(view))
                if take:
                    self._sink.data(bytes(view[:take]))
                    view = view[take:]
                    self._remaining -= take
                if self._remaining == 0:
                    self._in_member = False
                    self._sink.end()
                continue
            if self._pad:
                take = min(self._pad, len(view))
                if any(view[:take]):
                    raise _malformed("padding")
                view = view[take:]
                self._pad -= take
                continue
            if self.finished:
                self._trailing += len(view)
                if any(view) or self._trailing > MAX_TRAILING_ZEROS:
                    raise _malformed("data after the end")
                return
            need = BLOCK - len(self._buf)
            self._buf += view[:need]
            view = view[need:]
            if len(self._buf) == BLOCK:
                block = bytes(self._buf)
                self._buf.clear()
                self._header(block)

    def _header(self, block: bytes) -> None:
        if not any(block):
            self._zero_blocks += 1
            if self._zero_blocks == 2:
                self.finished = True
            return
        if self._zero_blocks:
            raise _malformed("zero block inside the archive")
        name, size = parse_header(block)
        self._sink.begin(name, size)
        self._remaining = size
        self._pad = -size % BLOCK
        self._in_member = True
        if size == 0:
            self._in_member = False
            self._sink.end()

    def close(self) -> None:
        if not self.finished or self._buf:
            raise BundleError(Reason.TRUNCATED, _(
                "The bundle's archive ends too early; it may have been cut short while copying."))
