"""The checking half of bundle reading: what the decrypted archive stream is fed into.

:class:`BundleReader` receives members from :class:`~fieldapp.sync.archive.TarReader` and refuses
the bundle (raising :class:`BundleError`, which aborts the decryption) at the first problem. The
manifest is only parsed once its signature has verified under a key the roster lists; every later
member must be named in that manifest, exactly once, with its size, and its SHA-256 is compared
before the member is handed on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, BinaryIO, NoReturn

from fieldapp.domain.ops import OpFormatError
from fieldapp.i18n import _
from fieldapp.sync import minisign
from fieldapp.sync.archive import TarReader
from fieldapp.sync.errors import BundleError, Reason, SignatureError
from fieldapp.sync.manifest import (
    MANIFEST_NAME,
    MAX_SIGNATURE_BYTES,
    OPS_NAME,
    SIGNATURE_NAME,
    Audience,
    AuthorKind,
    Limits,
    Manifest,
    MemberEntry,
    parse_manifest,
)
from fieldapp.sync.roster import Coordinator, Device, DeviceStatus, Roster


class Outcome(StrEnum):
    ACCEPT = "accept"
    QUARANTINE = "quarantine"  # signed by a device revoked before the end of this range


def audience_readers(roster: Roster, audience: Audience, to: str | None = None
                     ) -> frozenset[str] | None:
    """The age recipients of a bundle for ``audience`` under ``roster``: the coordinators and
    the escrow key; for the whole team every active device too; for a relay bundle the one
    active device ``to`` too (``None`` when ``to`` is not one). The writer encrypts to exactly
    these and the reader accepts exactly these."""
    if audience is Audience.RELAY:
        return roster.relay_recipients(to or "")
    if audience is Audience.TEAM:
        return roster.team_recipients()
    return roster.coordinator_recipients()


class BundleReader:
    """A ``write(chunk)`` sink for ``pyrage.decrypt_io`` that checks the bundle as it streams."""

    def __init__(self, roster: Roster, recipient: str, limits: Limits, *,
                 keep_ops: bool = False, expect_manifest_hash: str | None = None,
                 dest_for: Callable[[MemberEntry], BinaryIO | None] | None = None,
                 check_op: Callable[[dict[str, Any]], object] | None = None,
                 check_line: Callable[[bytes], object | None] | None = None,
                 check_lines: Callable[[bytes], Sequence[object] | None] | None = None,
                 schema: int | None = None) -> None:
        self._roster = roster
        self._recipient = recipient
        self._limits = limits
        self._keep_ops = keep_ops
        self._expect_manifest_hash = expect_manifest_hash
        self._dest_for = dest_for
        self._check_op = check_op  # raises OpFormatError for an operation the schema refuses
        # A faster ``check_op`` of the line's bytes (with ``check_op`` only): what it returns
        # is kept; None sends the line through the JSON decoder and ``check_op``, which word
        # any fault. It must accept only lines ``check_op`` accepts, and return the same.
        self._check_line_fast = check_line if check_op is not None else None
        # The same for a block of whole lines at once (None: some line needs a closer look,
        # and the block is read line by line).
        self._check_lines_fast = check_lines if check_line is not None else None
        self._schema = schema  # the record schema this reader knows (see Manifest.schema)
        self._schema_fault = False  # the first fault is the schema's (check_op refused it)
        self._tar = TarReader(self)
        self._index = 0
        self._name = ""
        self._entry: MemberEntry | None = None
        self._hash = hashlib.sha256()
        self._buf = bytearray()
        self._dest: BinaryIO | None = None
        self._seen: set[str] = set()
        self._manifest_bytes = b""
        self.manifest: Manifest | None = None
        self.manifest_hash = ""
        self.signer: Coordinator | Device | None = None
        self.outcome = Outcome.ACCEPT
        self.trusted_through_seq: int | None = None
        #: the operations as decoded JSON objects (kept only when opened without ``check_op``)
        self.ops: list[dict[str, Any]] = []
        self.op_lines = 0
        self.checked_ops: list[object] | None = None  # what check_op returned, line by line
        # ops.jsonl is checked line by line as it streams: nothing but the line being read
        # and what each line became is held.
        self._pending = bytearray()
        self._oversize = False
        self._ops_error: tuple[int, str] | None = None  # (line or 0, detail) of the first fault
        self.copied: list[MemberEntry] = []
        self.failure: BundleError | None = None

    # -- the sink pyrage writes into ------------------------------------------------------------

    def write(self, data: bytes) -> int:
        try:
            self._tar.feed(data)
        except BundleError as exc:
            self.failure = exc  # kept in case the decryptor wraps what we raise
            raise
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        """At the end of the stream: the archive must be complete and every member present."""
        if self.manifest is None:
            raise BundleError(Reason.MANIFEST_MISSING,
                              _("The bundle has no signed manifest; it is refused."))
        self._tar.close()
        missing = [m.path for m in self.manifest.members if m.path not in self._seen]
        if missing:
            raise BundleError(Reason.MISSING_MEMBER, _(
                "The bundle lacks {count} item(s) its manifest lists, e.g. {path}."
            ).format(count=len(missing), path=missing[0]))

    # -- members ------------------------------------------------------------------------------

    def begin(self, name: str, size: int) -> None:
        self._name = name
        self._hash = hashlib.sha256()
        self._buf = bytearray()
        self._dest = None
        if self._index in (0, 1):
            want, limit = ((MANIFEST_NAME, self._limits.max_manifest_bytes) if self._index == 0
                           else (SIGNATURE_NAME, MAX_SIGNATURE_BYTES))
            if name != want:
                raise BundleError(Reason.MANIFEST_MISSING, _(
                    "The bundle does not start with a signed manifest; it is refused."))
            if size > limit:
                raise BundleError(Reason.MEMBER_TOO_LARGE,
                                  _("The bundle manifest is larger than allowed."))
            return
        assert self.manifest is not None
        if name in self._seen:
            raise BundleError(Reason.DUPLICATE_MEMBER,
                              _("The bundle holds {path} twice.").format(path=name))
        entry = self.manifest.member(name)
        if entry is None:
            raise BundleError(Reason.UNEXPECTED_MEMBER, _(
                "The bundle holds {path}, which its manifest does not list.").format(path=name))
        if size != entry.size:
            raise BundleError(Reason.SIZE_MISMATCH, _(
                "{path} in the bundle does not have the size its manifest states.").format(
                    path=name))
        self._entry = entry
        if self._dest_for is not None and name != OPS_NAME:
            self._dest = self._dest_for(entry)

    def data(self, chunk: bytes) -> None:
        if self._index < 2:
            self._buf += chunk
        elif self._keep_ops and self._name == OPS_NAME:
            self._feed_ops(chunk)
        if self._index >= 2:
            self._hash.update(chunk)
        if self._dest is not None:
            self._dest.write(chunk)

    def end(self) -> None:
        index, self._index = self._index, self._index + 1
        if index == 0:
            self._manifest_bytes = bytes(self._buf)
            return
        if index == 1:
            self._check_manifest(bytes(self._buf))
            return
        entry = self._entry
        assert entry is not None
        self._seen.add(entry.path)
        if self._hash.hexdigest() != entry.sha256:
            raise BundleError(Reason.HASH_MISMATCH, _(
                "{path} in the bundle does not match its hash in the signed manifest."
            ).format(path=entry.path))
        if entry.path == OPS_NAME and self._keep_ops:
            self._finish_ops()
        if self._dest is not None:
            self.copied.append(entry)

    # -- checks ---------------------------------------------------------------------------------

    def _check_manifest(self, sig_bytes: bytes) -> None:
        data = self._manifest_bytes
        self.manifest_hash = hashlib.sha256(data).hexdigest()
        if self._expect_manifest_hash is not None \
                and self.manifest_hash != self._expect_manifest_hash:
            raise BundleError(Reason.HASH_MISMATCH,
                              _("The bundle file changed since it was checked."))
        try:
            sig = minisign.parse_signature(sig_bytes)
        except SignatureError as exc:
            raise BundleError(Reason.BAD_SIGNATURE,
                              _("The bundle's signature is malformed.")) from exc
        signer = self._roster.signer_by_key_id(sig.key_id)
        if signer is None:
            raise BundleError(Reason.UNKNOWN_SIGNER, _(
                "The bundle is signed by a key that is not in the team roster; it is refused."))
        try:
            minisign.verify(signer.signing_key.minisign_key, data, sig)
        except SignatureError as exc:
            raise BundleError(Reason.BAD_SIGNATURE, _(
                "The bundle's signature does not match its manifest; it is refused.")) from exc
        manifest = parse_manifest(data, self._limits)  # only now is the manifest parsed
        self._check_author(manifest, signer)
        self._check_recipients(manifest)
        self.manifest, self.signer = manifest, signer

    def _check_author(self, manifest: Manifest, signer: Coordinator | Device) -> None:
        if manifest.team_id != self._roster.team_id:
            raise BundleError(Reason.WRONG_TEAM, _("This bundle belongs to another team."))
        if isinstance(signer, Coordinator):
            kind, author_id = AuthorKind.COORDINATOR, signer.coordinator_id
        else:
            kind, author_id = AuthorKind.DEVICE, signer.device_id
        if manifest.author_kind is not kind or manifest.author_id != author_id:
            raise BundleError(Reason.SIGNER_MISMATCH, _(
                "The bundle claims another author than the key that signed it."))
        if manifest.audience is Audience.TEAM and kind is not AuthorKind.COORDINATOR:
            raise BundleError(Reason.SIGNER_NOT_ALLOWED,
                              _("Only a coordinator can send a bundle to the whole team."))
        if manifest.audience is Audience.RELAY and kind is not AuthorKind.COORDINATOR:
            raise BundleError(Reason.SIGNER_NOT_ALLOWED, _(
                "Only a coordinator can address a bundle to one device; this one is signed by "
                "a researcher's device and is refused."))
        if isinstance(signer, Device) and signer.status is DeviceStatus.REVOKED:
            self.trusted_through_seq = signer.revoked_after_seq
            if not signer.trusts_seq(manifest.seq_last):
                self.outcome = Outcome.QUARANTINE

    def _check_recipients(self, manifest: Manifest) -> None:
        # Addressed to the current roster's readers, or to those of the version the bundle was
        # made under when this device accepted that version and the author was enrolled in it
        # with the same key (its standing now -- revoked, trusted through -- is _check_author's).
        def readers(roster: Roster) -> frozenset[str]:
            return audience_readers(roster, manifest.audience, manifest.to) or frozenset()

        allowed = [readers(self._roster)]
        then = self._roster.at_version(manifest.roster_version)
        author_then = then.member(manifest.author_id) if then is not None else None
        author_now = self._roster.member(manifest.author_id)
        if then is not None and author_then is not None and author_now is not None \
                and author_then.signing_key == author_now.signing_key:
            allowed.append(readers(then))
        if set(manifest.recipients) not in allowed \
                or self._recipient not in manifest.recipients:
            hint = ""
            if manifest.roster_version != self._roster.version:
                hint = " " + _("It was made with team roster version {theirs}; this device has "
                               "version {ours}.").format(theirs=manifest.roster_version,
                                                         ours=self._roster.version)
            raise BundleError(Reason.READDRESSED, _(
                "The bundle is addressed to other recipients than the team roster names; it is "
                "refused.") + hint)

    def _feed_ops(self, chunk: bytes) -> None:
        """Check every complete line of ``ops.jsonl`` in ``chunk``; keep the incomplete rest.

        The first fault is only remembered: the member's hash is compared first (at its end),
        so a bundle altered in transit is reported as such, as when the lines were checked
        after the whole member had arrived."""
        pending = self._pending
        limit = self._limits.max_op_line_bytes
        start = 0
        last = chunk.rfind(b"\n")
        if (last >= 0 and self._check_lines_fast is not None and self._ops_error is None
                and not self._oversize and len(pending) + last + 1 <= limit):
            # Every whole line of the chunk (no one of which can be over the limit) at once.
            block = bytes(pending) + chunk[:last + 1] if pending else chunk[:last + 1]
            checked = self._check_lines_fast(block)
            if checked is not None:
                pending.clear()
                self.op_lines += len(checked)
                if self.checked_ops is None:
                    self.checked_ops = []
                self.checked_ops.extend(checked)
                start = last + 1
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            if pending:
                pending += chunk[start:end]
                line = bytes(pending)
                pending.clear()
            else:
                line = chunk[start:end]
            oversize, self._oversize = self._oversize, False
            self._check_line(line, oversize or len(line) > limit)
            start = end + 1
        rest = len(chunk) - start
        if rest:
            if self._oversize or len(pending) + rest > limit:
                self._oversize = True  # too long already: not kept
                pending.clear()
                pending += b"x"  # marks an unterminated line
            else:
                pending += chunk[start:]

    def _check_line(self, line: bytes, oversize: bool) -> None:
        self.op_lines = count = self.op_lines + 1
        if self._ops_error is not None:
            return
        if oversize:
            self._ops_error = (count, _("the operation is too large"))
            return
        if self._check_line_fast is not None:
            fast = self._check_line_fast(line)
            if fast is not None:
                if self.checked_ops is None:
                    self.checked_ops = []
                self.checked_ops.append(fast)
                return
        try:
            op = OP_DECODER.decode(line.decode("utf-8"))
        except (ValueError, RecursionError):
            self._ops_error = (count, _("it is not JSON"))
            return
        if not isinstance(op, dict):
            self._ops_error = (count, _("it is not a JSON object"))
            return
        if self._check_op is None:
            self.ops.append(op)
            return
        try:
            checked = self._check_op(op)
        except OpFormatError as exc:
            self._ops_error = (count, describe_op_problem(exc))
            self._schema_fault = True
            return
        if self.checked_ops is None:
            self.checked_ops = []
        self.checked_ops.append(checked)

    def _finish_ops(self) -> None:
        assert self.manifest is not None
        if self._pending or self._oversize:
            self._bad_ops(_("the last line is incomplete"))
        if self._ops_error is not None:
            self.ops, self.checked_ops = [], None
            theirs = self.manifest.schema
            if (self._schema_fault and self._schema is not None and theirs is not None
                    and theirs > self._schema):
                line, detail = self._ops_error
                raise BundleError(Reason.FORMAT_TOO_NEW, _(
                    "This bundle was made by a newer version of fieldapp (record schema "
                    "{theirs}; this version knows up to {ours}): line {line} of its operations "
                    "holds what this version does not know ({detail}). Nothing in it was "
                    "applied. Update fieldapp on this device, then collect again.").format(
                        theirs=theirs, ours=self._schema, line=line, detail=detail))
            self._bad_line(*self._ops_error)
        if self.op_lines != self.manifest.op_count:
            self._bad_ops(_("the number of operations differs from the manifest"))
        if self._check_op is not None and self.checked_ops is None:
            self.checked_ops = []

    def _bad_ops(self, detail: str) -> NoReturn:
        raise BundleError(Reason.MALFORMED_OPS,
                          _("The bundle's operations are malformed ({detail}).").format(
                              detail=detail))

    def _bad_line(self, line: int, detail: str) -> NoReturn:
        raise BundleError(Reason.MALFORMED_OPS, _(
            "Line {line} of the bundle's operations is malformed: {detail}. The whole bundle "
            "was refused and nothing in it was applied; ask the sender to send again, or "
            "revoke the device if it was not sent by its owner.").format(line=line,
                                                                         detail=detail))


def describe_op_problem(exc: OpFormatError) -> str:
    """A malformed operation's problem in words (the field is named, never a value)."""
    where = exc.where
    texts = {
        "not_object": _("it is not a JSON object"),
        "unknown_key": _("it has an unknown key {name}"),
        "missing": _("it lacks its {name}"),
        "bad_device": _("its device id is not valid"),
        "bad_seq": _("its sequence number is not a whole number from 1 up"),
        "bad_hlc": _("its clock is malformed"),
        "unknown_entity": _("its record type is unknown"),
        "bad_entity_id": _("its record id is not valid"),
        "bad_values": _("its values are not a non-empty JSON object"),
        "unknown_field": _("it sets an unknown field {name}"),
        "bad_type": _("the field {name} has a value of the wrong type or size"),
        "bad_reserved": _("the reserved field {name} is malformed or not allowed here"),
        "bad_pred": _("the operations it supersedes are malformed"),
        "too_many": _("it names too many other operations"),
    }
    return texts[exc.problem].format(name=where)


def split_lines(data: bytes) -> list[bytes]:
    """JSON lines end in ``\\n`` only (a stray ``\\r`` stays inside its line)."""
    return data[:-1].split(b"\n") if data else []


def _no_constant(name: str) -> NoReturn:
    raise ValueError(name)


OP_DECODER = json.JSONDecoder(parse_constant=_no_constant)
