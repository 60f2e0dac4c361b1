"""Bundles: a device's operations and attachments, signed, archived and age-encrypted.

A bundle file (``.fab``) is the age encryption, to every coordinator and the escrow key (and, for
a coordinator's bundle, every active device or the one device it is for), of a ustar archive
holding, in this order::

    manifest.json            canonical JSON (see manifest.py), signed:
    manifest.json.minisig    minisign signature by the author's Ed25519 key
    ops.jsonl                one operation per line (opaque JSON objects to this layer)
    attachments/<sha256>     attachment contents, named by their SHA-256

so a coordinator can always read one with ``age -d -i key.txt x.fab | tar x`` and check it with
``minisign -V -P <key> -m manifest.json``. Writing streams: operations are serialised in memory,
attachments are read chunk by chunk, the archive is generated on demand and encrypted as it is
pulled, into a temporary name renamed into place at the end.

Reading (:func:`open_bundle`) decrypts as a stream and checks, in order: the file size; that the
first two members are the manifest and its signature; the signature, by the key the signature
names, which must be in the roster; then -- only now parsing the manifest -- the format, the
team, that the manifest's author is the signer, the signer's standing (a device revoked before
this range gives a *quarantine* outcome), and that the intended recipients are exactly the
roster's and include us; then every member's name, size and SHA-256 against the manifest.
Decrypted data never touches the disk: operations are checked line by line as they stream and
kept only as what the check made of them (bounded by the limits), attachments are
hashed and dropped, and copied out later by a second pass (:meth:`VerifiedBundle.copy_attachments`).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import pyrage

from fieldapp.i18n import _
from fieldapp.sync import archive, layout
from fieldapp.sync.errors import BundleError, Reason
from fieldapp.sync.keys import AgeIdentity, SigningKey
from fieldapp.sync.manifest import (
    DEFAULT_LIMITS,
    MANIFEST_NAME,
    OPS_NAME,
    SIGNATURE_NAME,
    Audience,
    AuthorKind,
    Limits,
    Manifest,
    MemberEntry,
    attachment_path,
    check_members,
    is_sha256,
)
from fieldapp.sync.reader import BundleReader, Outcome, audience_readers
from fieldapp.sync.roster import Coordinator, Device, DeviceStatus, Roster

__all__ = [
    "Attachment",
    "Audience",
    "BundleInfo",
    "Limits",
    "Manifest",
    "MemberEntry",
    "Outcome",
    "VerifiedBundle",
    "open_bundle",
    "write_bundle",
]

CHUNK = 1024 * 1024
_OP_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment to send: its SHA-256 and size as recorded, and how to open its content."""

    sha256: str
    size: int
    open: Callable[[], BinaryIO]


AttachmentSource = Attachment | tuple[str, int, Callable[[], BinaryIO]]


@dataclass(frozen=True, slots=True)
class BundleInfo:
    path: Path
    bundle_hash: str  # SHA-256 of manifest.json: the bundle's identity, the next one's prev_hash
    file_sha256: str  # of the encrypted file as written
    file_size: int
    manifest: Manifest
    store_path: str  # where it goes in the shared store
    archive_size: int = 0  # of the archive inside the encryption, padding included


def _bad_input(message: str) -> BundleError:
    return BundleError(Reason.BAD_INPUT, message)


def _author(roster: Roster, author_id: str) -> tuple[AuthorKind, Coordinator | Device]:
    coord = roster.coordinator(author_id)
    if coord is not None:
        return AuthorKind.COORDINATOR, coord
    device = roster.device(author_id)
    if device is None:
        raise BundleError(Reason.UNKNOWN_SIGNER, _("This device is not in the team roster."))
    if device.status is not DeviceStatus.ACTIVE:
        raise BundleError(Reason.SIGNER_NOT_ALLOWED,
                          _("This device has been revoked and cannot send bundles."))
    return AuthorKind.DEVICE, device


def _serialise_ops(ops: Iterable[Mapping[str, Any] | bytes], limits: Limits
                   ) -> tuple[bytearray, str, int]:
    """ops.jsonl: one line per operation. An operation given as ``bytes`` is already its JSON
    text (as the change log renders it, see ``fieldapp.store.oplog.encoded_ops``) and is
    written as it is: the log is not decoded only to be encoded again."""
    parts: list[bytes] = []
    size = 0
    count = 0
    encode = _OP_ENCODER.encode
    max_line = limits.max_op_line_bytes
    for op in ops:
        if isinstance(op, bytes):
            line = op
            if not line.startswith(b"{") or b"\n" in line:
                raise _bad_input(_("An operation is not a JSON object."))
        elif isinstance(op, Mapping):
            try:
                line = encode(op).encode("utf-8")
            except (TypeError, ValueError) as exc:
                raise _bad_input(_("An operation cannot be written as JSON.")) from exc
        else:
            raise _bad_input(_("An operation is not a JSON object."))
        if len(line) + 1 > max_line:
            raise BundleError(Reason.MEMBER_TOO_LARGE, _("An operation is too large."))
        parts.append(line)
        size += len(line) + 1
        count += 1
        if size > limits.max_ops_bytes or count > limits.max_ops:
            raise BundleError(Reason.MEMBER_TOO_LARGE,
                              _("Too many operations for one bundle; split it."))
    buf = bytearray(b"\n".join(parts))
    del parts
    if count:
        buf += b"\n"
    return buf, hashlib.sha256(buf).hexdigest(), count


def _collect(attachments: Iterable[AttachmentSource], limits: Limits) -> list[Attachment]:
    out: dict[str, Attachment] = {}
    for item in attachments:
        att = item if isinstance(item, Attachment) else Attachment(*item)
        if not is_sha256(att.sha256) or not isinstance(att.size, int) or att.size < 0:
            raise _bad_input(_("An attachment has no valid SHA-256 or size."))
        if att.size > min(limits.max_attachment_bytes, archive.MAX_MEMBER_SIZE):
            raise BundleError(Reason.MEMBER_TOO_LARGE, _("An attachment is too large."))
        if att.sha256 in out and out[att.sha256].size != att.size:
            raise _bad_input(_("Two attachments share a hash but not a size."))
        out.setdefault(att.sha256, att)
    return list(out.values())


def _attachment_chunks(att: Attachment) -> Iterator[bytes]:
    digest = hashlib.sha256()
    done = 0
    with att.open() as stream:
        while True:
            chunk = stream.read(min(CHUNK, att.size - done + 1))
            if not chunk:
                break
            done += len(chunk)
            if done > att.size:
                break
            digest.update(chunk)
            yield chunk
    if done != att.size or digest.hexdigest() != att.sha256:
        raise _bad_input(_("Attachment {hash} changed or does not match its hash; the bundle "
                           "was not written.").format(hash=att.sha256[:12]))


def _archive_chunks(manifest: bytes, signature: bytes, ops: bytearray,
                    attachments: list[Attachment], mtime: int,
                    pad_quantum: int = 0) -> Iterator[bytes]:
    size = 0
    for name, data in ((MANIFEST_NAME, manifest), (SIGNATURE_NAME, signature)):
        chunk = archive.header(name, len(data), mtime) + data + archive.padding(len(data))
        size += len(chunk)
        yield chunk
    yield archive.header(OPS_NAME, len(ops), mtime)
    view = memoryview(ops)
    for i in range(0, len(ops), CHUNK):
        yield view[i:i + CHUNK].tobytes()
    yield archive.padding(len(ops))
    size += archive.BLOCK + len(ops) + len(archive.padding(len(ops)))
    for att in attachments:
        yield archive.header(attachment_path(att.sha256), att.size, mtime)
        yield from _attachment_chunks(att)
        yield archive.padding(att.size)
        size += archive.BLOCK + att.size + len(archive.padding(att.size))
    yield archive.END_OF_ARCHIVE
    size += len(archive.END_OF_ARCHIVE)
    if pad_quantum:  # zero blocks after the end marker, as tar writers leave them
        yield b"\0" * (-size % pad_quantum)


def _archive_size(manifest: bytes, signature: bytes, ops_size: int,
                  attachments: Sequence[Attachment]) -> int:
    """The size of the archive ``_archive_chunks`` makes of these, before trailing zeros."""
    sizes = (len(manifest), len(signature), ops_size, *(a.size for a in attachments))
    return sum(archive.BLOCK + n + (-n % archive.BLOCK) for n in sizes) \
        + len(archive.END_OF_ARCHIVE)


class _Zeros:
    """``size`` zero bytes, read as a file."""

    def __init__(self, size: int) -> None:
        self._left = size

    def read(self, n: int = -1) -> bytes:
        take = self._left if n < 0 else min(n, self._left)
        self._left -= take
        return bytes(take)

    def __enter__(self) -> _Zeros:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def padding_member(size: int) -> Attachment:
    """``size`` zero bytes as an attachment: what fills a relay bundle up to the size of the
    largest of its publish. Every reader takes it as it takes any attachment -- listed in the
    signed manifest, hashed as it streams -- and keeps nothing of it, since no operation
    names it (an attachment is written only for the attachment record that carries its hash
    and key)."""
    digest = hashlib.sha256()
    zeros = bytes(min(size, CHUNK))
    for done in range(0, size, CHUNK):
        digest.update(zeros[:min(CHUNK, size - done)])
    return Attachment(digest.hexdigest(), size,
                      lambda: cast(BinaryIO, _Zeros(size)))


def is_padding(entry: MemberEntry) -> bool:
    """Whether a bundle's member is only zeros (:func:`padding_member`), from its hash."""
    return entry.path != OPS_NAME and entry.sha256 == padding_member(entry.size).sha256


#: What relay bundles are padded to a multiple of (with zeros after the archive's end, which
#: every reader takes up to this much): a relay bundle of a few notes and an empty one are
#: then the same size in the store.
RELAY_PAD = archive.MAX_TRAILING_ZEROS


class _ChunkReader:
    """Turns a chunk generator into the ``read(n)`` that ``pyrage.encrypt_io`` pulls from."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._cur = b""
        self._pos = 0
        self.failure: BaseException | None = None  # pyrage wraps what read() raises

    def read(self, n: int = -1) -> bytes:
        while self._pos >= len(self._cur):
            try:
                nxt = next(self._chunks, None)
            except BaseException as exc:
                self.failure = exc
                raise
            if nxt is None:
                return b""
            self._cur, self._pos = nxt, 0
        end = len(self._cur) if n < 0 else self._pos + n
        out = self._cur[self._pos:end]
        self._pos += len(out)
        return out


class _HashingWriter:
    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._fh.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self._fh.flush()


def write_bundle(out_path: str | os.PathLike[str], *, roster: Roster, device_id: str,
                 signing_key: SigningKey, seq_range: tuple[int, int], prev_hash: str | None,
                 ops: Iterable[Mapping[str, Any] | bytes],
                 attachments: Iterable[AttachmentSource] = (),
                 now: datetime | None = None, audience: Audience = Audience.COORDINATORS,
                 limits: Limits = DEFAULT_LIMITS, ops_device: str | None = None,
                 to: str | None = None, relay_tag: str | None = None,
                 pad_quantum: int = 0, pad_to: int = 0,
                 schema: int | None = None) -> BundleInfo:
    """Write a signed, encrypted bundle to ``out_path`` (atomically: temp name, then rename).

    ``device_id`` is the author's id in the roster (a device, or a coordinator writing a bundle
    for the whole team with ``audience=Audience.TEAM``). Attachments are streamed and checked
    against their declared hash and size; a mismatch aborts and leaves nothing behind.
    ``ops_device`` names the device id the author's own operations carry when it differs from
    ``device_id`` (a coordinator's workspace); ``prev_hash`` is the manifest hash of the
    author's previous bundle, which makes the bundles of one author a hash chain. A relay
    bundle (``audience=Audience.RELAY``, a coordinator's) is for the one active device ``to``:
    it is encrypted to that device, the coordinators and the escrow key only, and goes in the
    store folder named by ``relay_tag`` (:func:`fieldapp.sync.keys.relay_tag`).
    ``pad_quantum`` (at most :data:`RELAY_PAD`, a multiple of 512): the archive is padded
    with zeros to a multiple of it, so bundles of different contents can have one size.
    ``pad_to`` (a multiple of ``pad_quantum``): the size the archive is padded to when its
    content is smaller, however much smaller (:func:`padding_member`), so the relay bundles
    of one publish can all have the size of the largest (``BundleInfo.archive_size``).
    ``schema``: the record schema the operations follow (see :class:`Manifest`)."""
    if pad_quantum < 0 or pad_quantum % archive.BLOCK or pad_quantum > RELAY_PAD:
        raise ValueError("pad_quantum must be a multiple of 512 up to RELAY_PAD")
    if pad_to < 0 or (pad_to and (not pad_quantum or pad_to % pad_quantum)):
        raise ValueError("pad_to must be a multiple of pad_quantum")
    kind, entry = _author(roster, device_id)
    if entry.signing_key != signing_key.public_key:
        raise BundleError(Reason.KEY_MISMATCH,
                          _("This signing key is not the one the roster lists for the author."))
    if audience is Audience.TEAM and kind is not AuthorKind.COORDINATOR:
        raise BundleError(Reason.SIGNER_NOT_ALLOWED,
                          _("Only a coordinator can send a bundle to the whole team."))
    if audience is Audience.RELAY and kind is not AuthorKind.COORDINATOR:
        raise BundleError(Reason.SIGNER_NOT_ALLOWED,
                          _("Only a coordinator can address a bundle to one device."))
    readers = audience_readers(roster, audience, to)
    if readers is None:
        raise _bad_input(_("A bundle for one device must name an active device of the team "
                           "roster."))
    if audience is not Audience.RELAY and to is not None:
        raise _bad_input(_("Only a bundle for one device names a device it is for."))
    if audience is Audience.RELAY and not layout.is_relay_tag(relay_tag or ""):
        raise ValueError("a relay bundle needs its folder's tag (keys.relay_tag)")
    first, last = seq_range
    if not (isinstance(first, int) and isinstance(last, int) and 0 <= first <= last):
        raise _bad_input(_("The sequence range is not valid."))
    if prev_hash is not None and not is_sha256(prev_hash):
        raise _bad_input(_("The previous bundle's hash is not a SHA-256."))
    moment = now or datetime.now(UTC)
    ops_buf, ops_hash, op_count = _serialise_ops(ops, limits)
    atts = _collect(attachments, limits)
    recipients = sorted(readers)

    def signed(atts: list[Attachment]) -> tuple[Manifest, bytes, bytes]:
        members = (MemberEntry(OPS_NAME, ops_hash, len(ops_buf)),
                   *(MemberEntry(attachment_path(a.sha256), a.sha256, a.size) for a in atts))
        manifest = Manifest(team_id=roster.team_id, author_kind=kind, author_id=device_id,
                            audience=audience, seq_first=first, seq_last=last,
                            prev_hash=prev_hash, recipients=tuple(recipients),
                            created_at=moment, roster_version=roster.version,
                            op_count=op_count, attachment_count=len(atts), members=members,
                            ops_device=ops_device if ops_device != device_id else None,
                            to=to, schema=schema)
        check_members(manifest, limits)
        manifest_bytes = manifest.to_bytes()
        return manifest, manifest_bytes, signing_key.sign(manifest_bytes, trusted_comment=(
            f"timestamp:{int(moment.timestamp())}\tfile:{MANIFEST_NAME}\t"
            f"fieldapp bundle {device_id} {first}-{last}"))

    manifest, manifest_bytes, signature = signed(atts)
    content = _archive_size(manifest_bytes, signature, len(ops_buf), atts)
    if pad_to - content >= pad_quantum > 0:
        # More to fill than the zeros after the archive's end may hold: a member of zeros
        # takes all but about half a quantum of it, the trailing zeros the rest (its own
        # header and its line in the manifest are well within that half).
        fill = (pad_to - content - pad_quantum // 2) // archive.BLOCK * archive.BLOCK \
            - archive.BLOCK
        filler = padding_member(fill)
        while any(a.sha256 == filler.sha256 for a in atts):  # an attachment of zeros as well
            fill += archive.BLOCK
            filler = padding_member(fill)
        atts = [*atts, filler]
        manifest, manifest_bytes, signature = signed(atts)
        content = _archive_size(manifest_bytes, signature, len(ops_buf), atts)
        if not pad_to - pad_quantum < content <= pad_to:
            raise AssertionError(f"padding missed its size: {content} for {pad_to}")
    archive_size = content + (-content % pad_quantum if pad_quantum else 0)
    mtime = int(moment.timestamp())
    reader = _ChunkReader(_archive_chunks(manifest_bytes, signature, ops_buf, atts, mtime,
                                          pad_quantum))
    pyrage_recipients = [pyrage.x25519.Recipient.from_str(r) for r in recipients]

    out = Path(out_path)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            writer = _HashingWriter(fh)
            try:
                pyrage.encrypt_io(reader, writer, pyrage_recipients)
            except pyrage.EncryptError:
                if reader.failure is not None:
                    raise reader.failure from None
                raise
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    bundle_hash = hashlib.sha256(manifest_bytes).hexdigest()
    if audience is Audience.RELAY:
        store = layout.relay_bundle_path(device_id, relay_tag or "", first, last, bundle_hash)
    else:
        store = (layout.bundle_path if audience is Audience.COORDINATORS
                 else layout.team_bundle_path)(device_id, first, last, bundle_hash)
    return BundleInfo(out, bundle_hash, writer.digest.hexdigest(), writer.size, manifest, store,
                      archive_size)


class VerifiedBundle:
    """A bundle whose signature, author, recipients and every member hash have been checked.

    ``outcome`` is ``ACCEPT`` or ``QUARANTINE`` (the author was revoked before the end of this
    sequence range: keep it apart, apply at most the operations up to ``trusted_through_seq``).
    Replays are not detected here: ``manifest.seq_range`` and ``bundle_hash`` let the merge do it.
    """

    def __init__(self, path: Path, reader: BundleReader, identity: AgeIdentity, roster: Roster,
                 limits: Limits) -> None:
        assert reader.manifest is not None and reader.signer is not None
        self.path = path
        self.manifest: Manifest = reader.manifest
        self.bundle_hash: str = reader.manifest_hash
        self.signer: Coordinator | Device = reader.signer
        self.outcome: Outcome = reader.outcome
        self.trusted_through_seq: int | None = reader.trusted_through_seq
        self._ops = reader.ops
        self.op_count = reader.op_lines
        #: what ``check_op`` returned for each operation (``None`` when opened without it)
        self.checked_ops: list[object] | None = reader.checked_ops
        self._identity = identity
        self._roster = roster
        self._limits = limits

    @property
    def seq_range(self) -> tuple[int, int]:
        return self.manifest.seq_range

    @property
    def attachments(self) -> tuple[MemberEntry, ...]:
        return self.manifest.attachments

    def iter_ops(self) -> Iterator[dict[str, Any]]:
        """The operations, in the order written (already checked to be JSON objects; decoded
        once, as the bundle was read). A bundle opened with ``check_op`` keeps only what
        ``check_op`` returned (:attr:`checked_ops`); its operations are given from those when
        they can say what they were (``to_dict``)."""
        if self.checked_ops is not None:
            for checked in self.checked_ops:
                yield checked.to_dict()  # type: ignore[attr-defined]
            return
        yield from self._ops

    def copy_attachments(self, dest_for: Callable[[MemberEntry], BinaryIO | None]
                         ) -> list[MemberEntry]:
        """Decrypt again and stream each attachment into ``dest_for(entry)`` (``None``: skip).

        A hash mismatch raises :class:`BundleError` after the bytes were written, so the caller
        stages what it receives and commits only once this returns."""
        reader = BundleReader(self._roster, self._identity.recipient, self._limits,
                              expect_manifest_hash=self.bundle_hash, dest_for=dest_for)
        _decrypt(self.path, self._identity.pyrage_identity, reader, self._limits)
        return reader.copied

    def copy_attachment(self, sha256: str, dest: BinaryIO) -> int:
        entry = self.manifest.member(attachment_path(sha256))
        if entry is None:
            raise KeyError(sha256)
        self.copy_attachments(lambda e: dest if e.sha256 == sha256 else None)
        return entry.size


def _decrypt(path: Path, identity: pyrage.x25519.Identity, reader: BundleReader,
             limits: Limits) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(Reason.UNREADABLE, _("The bundle file cannot be read: {error}").format(
            error=exc.strerror or exc)) from exc
    if size > limits.max_bundle_bytes:
        raise BundleError(Reason.BUNDLE_TOO_LARGE, _("The bundle file is larger than allowed."))
    with open(path, "rb") as fh:
        source = _BoundedReader(fh, limits.max_bundle_bytes)
        try:
            pyrage.decrypt_io(source, reader, [identity])
        except BundleError:
            raise
        except Exception as exc:
            failure = reader.failure or source.failure
            if failure is not None:  # what our reader or sink raised, possibly wrapped
                raise failure from None
            raise _decrypt_error(exc) from exc
    reader.close()


def _decrypt_error(exc: Exception) -> BundleError:
    if isinstance(exc, pyrage.DecryptError) and "no matching" in str(exc).lower():
        return BundleError(Reason.NOT_FOR_US, _(
            "This bundle is not addressed to this key (or its header is damaged)."))
    if isinstance(exc, pyrage.DecryptError):
        return BundleError(Reason.DAMAGED, _(
            "This file is not a readable bundle (damaged, or not in the age format)."))
    return BundleError(Reason.DAMAGED, _(
        "The bundle is damaged or incomplete; it may have been altered or cut short while "
        "copying."))


class _BoundedReader:
    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self._fh = fh
        self._left = limit
        self.failure: BundleError | None = None

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n if n >= 0 else CHUNK)
        self._left -= len(data)
        if self._left < 0:
            self.failure = BundleError(Reason.BUNDLE_TOO_LARGE,
                                       _("The bundle file is larger than allowed."))
            raise self.failure
        return data


def open_bundle(path: str | os.PathLike[str], *, identity: AgeIdentity, roster: Roster,
                limits: Limits = DEFAULT_LIMITS,
                check_op: Callable[[dict[str, Any]], object] | None = None,
                check_line: Callable[[bytes], object | None] | None = None,
                check_lines: Callable[[bytes], Sequence[object] | None] | None = None,
                schema: int | None = None) -> VerifiedBundle:
    """Decrypt and verify a bundle (see the module docstring for the order of checks).

    ``identity`` is an :class:`~fieldapp.sync.keys.AgeIdentity` (a coordinator's, the escrow's,
    or a device's for a team bundle). Raises :class:`BundleError` with a reason; on success
    nothing has been applied anywhere -- the merge decides what to do with the result.

    ``check_op`` (for example :func:`fieldapp.domain.ops.parse_op`) checks every operation as
    ``ops.jsonl`` is read; the first it refuses (``OpFormatError``) refuses the whole bundle with
    ``Reason.MALFORMED_OPS`` and the line's number. Without it operations are opaque JSON
    objects to this layer. ``check_line`` (for example :func:`fieldapp.domain.ops.parse_op_line`)
    is a faster ``check_op`` of a line's bytes that may decline a line (None); declined lines
    go through ``check_op``, which words the fault. ``check_lines`` (for example
    :func:`fieldapp.domain.ops.parse_op_lines`) does the same for a block of whole lines, or
    declines the block, which is then read line by line. ``schema``: the record schema this
    reader knows; an operation ``check_op`` refuses in a bundle whose manifest names a newer
    one refuses the bundle as ``Reason.FORMAT_TOO_NEW`` (update to read it), not as
    malformed."""
    reader = BundleReader(roster, identity.recipient, limits, keep_ops=True, check_op=check_op,
                          check_line=check_line, check_lines=check_lines, schema=schema)
    p = Path(path)
    _decrypt(p, identity.pyrage_identity, reader, limits)
    return VerifiedBundle(p, reader, identity, roster, limits)
