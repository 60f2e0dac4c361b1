"""Operations: the unit of change that the store applies and bundles carry.

An operation sets one or more fields of one record. Each field of each record is a multi-value
register: an operation *supersedes*, for every field it writes, the operations named in its
``pred`` (the heads it saw). The fields' current heads are therefore a function of the set of
operations alone, never of the order they arrived in; more than one head is a conflict, and the
head with the greatest ``(hlc, device, seq)`` is what the tables show meanwhile.

A superseded value may be hollowed out to null in the log (see ``OpApplier._husk``).

Writing several fields in one operation (rather than one field per operation) keeps
a record's creation atomic and the change log a fifth of the size; registers stay per field.

Reserved fields:

``_owner``    the device that created an owned record (set once, at creation)
``_deleted``  a tombstone register (``True`` deleted, ``False`` restored)
``_erase``    a consent-withdrawal erase order on a participant: wins over every past and future
              operation on the participant and everything linked to it
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from typing import Any

import msgspec

OpId = tuple[str, int]

OWNER = "_owner"
DELETED = "_deleted"
ERASE = "_erase"
RESERVED = frozenset({OWNER, DELETED, ERASE})


class Op(msgspec.Struct, frozen=True, gc=False):
    """One operation. A frozen struct rather than a dataclass: a merge makes one per line of
    a bundle, and a frozen dataclass sets each field through ``object.__setattr__`` (0.8 µs
    an operation, where this takes 0.1). ``gc=False``: an operation refers to nothing that
    refers back to it, so the cycle collector need not visit it."""

    device: str
    seq: int
    hlc: str
    entity: str
    entity_id: str
    values: dict[str, Any]
    pred: tuple[OpId, ...] = ()

    @property
    def id(self) -> OpId:
        return (self.device, self.seq)

    def sort_key(self) -> tuple[str, str, int]:
        return (self.hlc, self.device, self.seq)

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "seq": self.seq,
            "hlc": self.hlc,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "values": self.values,
            "pred": [list(p) for p in self.pred],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Op:
        return cls(
            device=str(data["device"]),
            seq=int(data["seq"]),
            hlc=str(data["hlc"]),
            entity=str(data["entity"]),
            entity_id=str(data["entity_id"]),
            values=dict(data["values"]),
            pred=tuple((str(d), int(s)) for d, s in data.get("pred", ())),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))


def dumps_values(values: dict[str, Any]) -> str:
    """``values`` as the log keeps it: sorted keys, no whitespace, UTF-8 text unescaped."""
    if all(v is None or type(v) in _SCALARS for v in values.values()):
        # The same bytes, encoded in C: for text, whole numbers, booleans and null, msgspec's
        # sorted compact JSON is exactly the standard library's (tests/unit/sync/
        # test_op_lines.py compares them over every code point); floats and nested values,
        # whose spelling could differ, keep the standard encoder.
        try:
            return _FAST_VALUES.encode(values).decode("utf-8")
        except (msgspec.EncodeError, UnicodeError):
            pass  # a lone surrogate: the standard encoder keeps it as it always did
    return _VALUES.encode(values)


_SCALARS = frozenset({str, int, bool})
_FAST_VALUES = msgspec.json.Encoder(order="sorted")
_VALUES = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dumps_pred(pred: tuple[OpId, ...]) -> str:
    """``pred`` as the log keeps it: sorted ``[device, seq]`` pairs, compact JSON."""
    ordered = sorted(pred)
    if all(d.isascii() for d, _s in ordered):
        # For ASCII text and whole numbers msgspec writes the standard library's bytes (ids
        # are ASCII, checked on the way in), in C: a bundle of edits names 80,000 values.
        try:
            return _FAST_VALUES.encode(ordered).decode("ascii")
        except (msgspec.EncodeError, UnicodeError):
            pass
    return json.dumps([list(p) for p in ordered], separators=(",", ":"))


def loads_pred(text: str) -> tuple[OpId, ...]:
    return tuple((str(d), int(s)) for d, s in json.loads(text))


# -- checking operations that come from elsewhere ------------------------------------------------

#: Ids (records, devices) are used in SQL parameters and in attachment file names: a safe alphabet.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_HLC = re.compile(r"[0-9]{15}\.[0-9]{6}")
_KEYS = frozenset({"device", "seq", "hlc", "entity", "entity_id", "values", "pred"})
_REQUIRED = ("device", "seq", "hlc", "entity", "entity_id", "values")
MAX_SEQ = 2**62  # far beyond any device's life, well inside SQLite's 64-bit integers
MAX_PRED = 10_000
MAX_REFS = 100_000
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


class OpFormatError(ValueError):
    """An operation from another device does not have the shape the schema gives it.

    ``problem`` is one of the keys below (the caller words it for people), ``where`` names the
    key or field (never a value: values may be note text or a name)."""

    PROBLEMS = ("not_object", "unknown_key", "missing", "bad_device", "bad_seq", "bad_hlc",
                "unknown_entity", "bad_entity_id", "bad_values", "unknown_field", "bad_type",
                "bad_reserved", "bad_pred", "too_many")

    def __init__(self, problem: str, where: str = "") -> None:
        assert problem in self.PROBLEMS
        # A name from a hostile line may hold a lone surrogate, which no UTF-8 text (a
        # message kept in the workspace, the audit log) can carry: it is spelled out.
        where = where.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"{problem}: {where}" if where else problem)
        self.problem = problem
        self.where = where


_TEXT_KINDS = frozenset({"text", "date", "ref"})


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind in ("text", "date"):
        return isinstance(value, str)
    if kind == "ref":
        return isinstance(value, str)  # a lookup key only (never a file name), as written
    if kind == "int":
        return _is_int(value) and _INT_MIN <= value <= _INT_MAX
    if kind == "real":
        return (_is_int(value) and _INT_MIN <= value <= _INT_MAX) or (
            isinstance(value, float) and math.isfinite(value))
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "refs":
        return (isinstance(value, list) and len(value) <= MAX_REFS
                and all(isinstance(v, str) for v in value))
    return _json_ok(value)  # "json": any JSON without infinities (1e999 parses as one)


def _json_ok(value: Any) -> bool:
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return False
        if isinstance(v, dict):
            todo.extend(v.values())
        elif isinstance(v, list):
            todo.extend(v)
    return True


@functools.cache
def _kinds() -> dict[str, dict[str, str]]:
    from fieldapp.domain.schema import ENTITIES  # the schema builds on this module's names

    return {name: {f.name: f.kind for f in e.fields} for name, e in ENTITIES.items()}


@functools.cache
def _owned() -> frozenset[str]:
    from fieldapp.domain.schema import ENTITIES

    return frozenset(name for name, e in ENTITIES.items() if e.owned)


def _check_values(name: str, kinds: dict[str, str], values: dict[Any, Any]) -> None:
    """Each value of a known field of its declared kind; reserved fields of their shape."""
    for key, value in values.items():
        kind = kinds.get(key)
        if kind is not None:
            if type(value) is str and kind in _TEXT_KINDS:
                continue  # the common case, without a call
            if not _check_value(kind, value):
                raise OpFormatError("bad_type", f"{name}.{key}")
            continue
        if value is None and key != ERASE:
            continue  # a value hollowed out by a later operation of the same device (_husk)
        if key == OWNER:
            ok = isinstance(value, str) and bool(_ID.fullmatch(value)) and name in _owned()
        elif key == DELETED:
            ok = isinstance(value, bool)
        elif key == ERASE:
            ok = (name == "participant" and isinstance(value, dict)
                  and all(isinstance(k, str) and (v is None or isinstance(v, str))
                          for k, v in value.items()))
        else:
            raise OpFormatError("unknown_field", f"{name}.{str(key)[:40]}")
        if not ok:
            raise OpFormatError("bad_reserved", key)


def parse_op(data: object) -> Op:
    """Check an operation received from elsewhere against the schema and return it.

    Everything :meth:`OpApplier.apply` relies on is checked here, so that a bundle can be
    refused as a whole before any of it is applied: the keys and their JSON types, ids in the
    safe alphabet, a sequence number and a clock of the right form, a known record type, known
    fields with values of their declared kind (the same kinds a local write accepts, integers
    that fit a 64-bit column, no infinities anywhere),
    reserved fields of their fixed shape, and ``pred`` as a bounded list of operation ids."""
    if not isinstance(data, dict):
        raise OpFormatError("not_object")
    for key in data:
        if key not in _KEYS:
            raise OpFormatError("unknown_key", str(key)[:40])
    for key in _REQUIRED:
        if key not in data:
            raise OpFormatError("missing", key)
    op = _checked(data["device"], data["seq"], data["hlc"], data["entity"], data["entity_id"],
                  data["values"], data.get("pred", []))
    # JSON can spell half of a surrogate pair ("\ud800"), which is no text at all: it could
    # never be stored (SQLite takes UTF-8), so the operation is refused here, not at the merge.
    # Ids, clocks and record types are ASCII by now; only the values can hold one.
    for key, value in op.values.items():
        if not _unicode(key):
            raise OpFormatError("unknown_field", f"{op.entity}.{key[:40]}")
        if not _unicode(value):
            raise OpFormatError("bad_type", f"{op.entity}.{key}")
    return op


def _unicode(value: Any) -> bool:
    """Whether every string in ``value`` is valid Unicode (no lone surrogate)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked(device: Any, seq: Any, hlc: Any, name: Any, entity_id: Any, values: Any,
             pred: Any) -> Op:
    """The checks of :func:`parse_op` past the keys (shared with :func:`parse_op_line`)."""
    if not isinstance(device, str) or not _ID.fullmatch(device):
        raise OpFormatError("bad_device", "device")
    if not _is_int(seq) or not 1 <= seq <= MAX_SEQ:
        raise OpFormatError("bad_seq", "seq")
    if not isinstance(hlc, str) or not _HLC.fullmatch(hlc):
        raise OpFormatError("bad_hlc", "hlc")
    kinds = _kinds().get(name) if isinstance(name, str) else None
    if kinds is None:
        raise OpFormatError("unknown_entity", "entity")
    if not isinstance(entity_id, str) or not _ID.fullmatch(entity_id):
        raise OpFormatError("bad_entity_id", "entity_id")
    if not isinstance(values, dict) or not values:
        raise OpFormatError("bad_values", "values")
    _check_values(name, kinds, values)
    if not isinstance(pred, list):
        raise OpFormatError("bad_pred", "pred")
    if len(pred) > MAX_PRED:
        raise OpFormatError("too_many", "pred")
    for p in pred:
        if not (isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)
                and _ID.fullmatch(p[0]) and _is_int(p[1]) and 1 <= p[1] <= MAX_SEQ):
            raise OpFormatError("bad_pred", "pred")
    return Op(device, seq, hlc, name, entity_id, dict(values),
              tuple((str(d), int(s)) for d, s in pred))


class _Line(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """An operation's keys with their JSON types, as :func:`parse_op_line` decodes them.
    (``gc=False``: the instance holds no reference back to itself, and the collector, run by
    the allocation of many tracked objects, need not visit it.)"""

    device: str
    seq: int
    hlc: str
    entity: str
    entity_id: str
    values: dict[str, Any]
    pred: list[Any] = []


def is_id(text: str) -> bool:
    """``_ID.fullmatch(text)`` with string methods (a regular expression costs microseconds)."""
    return (0 < len(text) <= 64 and text.isascii() and text[0].isalnum()
            and text.replace("-", "a").replace("_", "a").isalnum())


def is_hlc(text: str) -> bool:
    """``_HLC.fullmatch(text)`` with string methods."""
    return (len(text) == 22 and text.isascii() and text[15] == "."
            and text[:15].isdigit() and text[16:].isdigit())


_LINE = msgspec.json.Decoder(_Line)


def parse_op_line(line: bytes) -> Op | None:
    """:func:`parse_op` of one line of a bundle's ``ops.jsonl``, decoded and typed in C.

    Returns the same operation as ``parse_op(json.loads(line))`` would, or None for any line
    that is not plainly well formed -- not UTF-8, not JSON, a key of the wrong JSON type, an
    unknown or missing key, a number beyond a double, a lone surrogate, or anything the
    schema check refuses. The caller then takes the reference path (the standard JSON
    decoder and :func:`parse_op`), which says what is wrong exactly as it always has: this
    only ever accepts what that path accepts (tests/unit/sync/test_op_lines.py)."""
    try:
        raw = _LINE.decode(line)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None
    return _op_of(raw, set())


def parse_op_lines(block: bytes) -> list[Op] | None:
    """:func:`parse_op_line` of every line of ``block`` (whole lines, each ending in a
    newline), decoded in one call: the same operations, or None when any line is declined
    (or is empty, which the decoder would skip) -- the caller then checks line by line. A
    bundle's operations arrive in blocks of thousands; one call per block rather than per
    line halves the cost of reading them."""
    try:
        raws = _LINE.decode_lines(block)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None
    if len(raws) != block.count(b"\n"):
        return None  # a blank line: the reader refuses it, with its number
    checked: set[str] = set()  # ids already found well formed in this block (the device's)
    out: list[Op] = []
    append = out.append
    for raw in raws:
        op = _op_of(raw, checked)
        if op is None:
            return None
        append(op)
    return out


def _op_of(raw: _Line, checked: set[str]) -> Op | None:
    """The checks of :func:`parse_op` on a decoded line; ``checked`` holds device ids found
    well formed before (and takes this one's)."""
    device, seq, name, pred = raw.device, raw.seq, raw.entity, raw.pred
    kinds = _kinds().get(name)
    if (kinds is None or not 1 <= seq <= MAX_SEQ or not is_hlc(raw.hlc)
            or not is_id(raw.entity_id) or not raw.values or len(pred) > MAX_PRED):
        return None
    if device not in checked:
        if not is_id(device):
            return None
        checked.add(device)
    for p in pred:
        if not (type(p) is list and len(p) == 2 and type(p[0]) is str
                and type(p[1]) is int and 1 <= p[1] <= MAX_SEQ):
            return None
        if p[0] not in checked:  # mostly the device's own earlier operations: checked once
            if not is_id(p[0]):
                return None
            checked.add(p[0])
    try:
        _check_values(name, kinds, raw.values)
    except OpFormatError:
        return None
    # Names repeated on every line are shared rather than kept once per operation.
    return Op(sys.intern(device), seq, raw.hlc, sys.intern(name), raw.entity_id, raw.values,
              tuple((d, s) for d, s in pred) if pred else ())


def same_history(a: Op, b: Op) -> bool:
    """Whether two copies of one operation (same id) say the same thing.

    A value superseded by a later operation of the same device is hollowed to null in the log
    (``OpApplier._husk``), so a null on either side matches anything; every other part must be
    equal. Two different contents under one id mean someone re-signed history."""
    if (a.id, a.hlc, a.entity, a.entity_id) != (b.id, b.hlc, b.entity, b.entity_id):
        return False
    if tuple(sorted(a.pred)) != tuple(sorted(b.pred)) or set(a.values) != set(b.values):
        return False
    return all(a.values[k] is None or b.values[k] is None or a.values[k] == b.values[k]
               for k in a.values)
