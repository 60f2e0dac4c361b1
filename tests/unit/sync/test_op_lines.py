"""The compiled line check (``parse_op_line``, msgspec) against the reference (the standard
JSON decoder and ``parse_op``), and the compiled encoding of values against the standard one.

The fast check may decline a line the reference accepts (the reader then takes the reference
path), but it must never accept a line the reference refuses, and what it accepts must be the
very same operation -- the same values of the same Python types (``True`` is not ``1``, ``1``
is not ``1.0``), in the same order. Lines are made from operations of every record type with
values of every kind, right and wrong, then written the ways a hostile sender might: keys
reordered, repeated, missing or extra, escapes, whitespace, numbers out of range, lone
surrogates, invalid UTF-8, and random bytes cut, inserted or flipped.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain.ops import (
    _HLC,
    _ID,
    Op,
    OpFormatError,
    dumps_pred,
    dumps_values,
    is_hlc,
    is_id,
    parse_op,
    parse_op_line,
    parse_op_lines,
)
from fieldapp.domain.schema import ENTITIES
from fieldapp.sync.reader import OP_DECODER


def reference(line: bytes) -> Op | None:
    """What the bundle reader accepts without the fast check (``BundleReader._check_line``)."""
    try:
        data = OP_DECODER.decode(line.decode("utf-8"))
        return parse_op(data)
    except (ValueError, RecursionError, OpFormatError):
        return None


def exact(op: Op) -> str:
    """The operation with every value's Python type spelled out (``==`` says True == 1)."""
    return repr((op.device, type(op.seq), op.seq, op.hlc, op.entity, op.entity_id,
                 [(k, type(v), repr(v)) for k, v in op.values.items()], op.pred))


def assert_agrees(line: bytes) -> Op | None:
    fast, ref = parse_op_line(line), reference(line)
    if fast is not None:
        assert ref is not None, line
        assert exact(fast) == exact(ref), line
    return fast


GOOD_IDS = st.sampled_from(["01a20aea-0f77-7ac0-9087-a6709dc98cd0", "dev1", "x", "a_b-c"])
IDS = st.one_of(GOOD_IDS, st.sampled_from(["", "../x", "a" * 65, "设备", "a b", "-a"]))
HLCS = st.sampled_from(["001795479441459.000000", "001795479441459.00000", "2026-05-01",
                        "001795479441459.000000\n", ""])
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.sampled_from([2**63 - 1, -(2**63), 2**63, 2**64, 10**30, 0, 1]),
    st.floats(allow_nan=False), st.sampled_from([1.0, -0.0, 1e308, 5e-324, 0.1]),
    st.text(max_size=8), st.text(alphabet=st.characters(codec="utf-8"), max_size=4),
    st.lists(st.text(max_size=3), max_size=3), st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.one_of(st.none(), st.text(max_size=3),
                                                   st.integers(), st.booleans()), max_size=2),
)
GOOD: dict[str, Any] = {
    "text": st.text(max_size=12), "date": st.just("2026-05-01"), "ref": GOOD_IDS,
    "int": st.integers(-(2**63), 2**63 - 1),
    "real": st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                      st.integers(-(2**63), 2**63 - 1)),
    "bool": st.booleans(), "refs": st.lists(GOOD_IDS, max_size=3),
    "json": st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=4),
                      st.lists(st.text(max_size=3), max_size=2),
                      st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
}
#: the parts of an operation a hostile line may get wrong, one at a time or many
FAULTS = ("value", "reserved", "device", "seq", "hlc", "entity", "entity_id", "values",
          "pred", "missing", "extra")


@st.composite
def op_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """An operation, well formed or with some faults (``FAULTS``)."""
    faults = set(draw(st.lists(st.sampled_from(FAULTS), max_size=2))
                 if draw(st.booleans()) else [])
    name = draw(st.sampled_from(sorted(ENTITIES)))
    values: dict[str, Any] = {}
    for f in draw(st.lists(st.sampled_from(ENTITIES[name].fields), min_size=1, max_size=4)):
        values[f.name] = draw(st.one_of(st.none(), GOOD[f.kind]))
    if "value" in faults:
        values[draw(st.sampled_from(ENTITIES[name].fields)).name] = draw(ODD)
    if draw(st.integers(0, 3)) == 0 or "reserved" in faults:
        key = draw(st.sampled_from(["_owner", "_deleted", "_erase", "unknown"]))
        values[key] = draw(st.one_of(GOOD_IDS, st.booleans(), st.none(),
                                     st.just({"date": "2026-01-01"}), ODD))
    data: dict[str, Any] = {
        "device": draw(st.one_of(IDS, ODD) if "device" in faults else GOOD_IDS),
        "seq": draw(st.one_of(st.integers(-2, 2**63), ODD) if "seq" in faults
                    else st.integers(1, 10**6)),
        "hlc": draw(HLCS if "hlc" in faults else st.just("001795479441459.000000")),
        "entity": draw(st.one_of(st.just("weapon"), st.sampled_from(sorted(ENTITIES)), ODD))
        if "entity" in faults else name,
        "entity_id": draw(IDS if "entity_id" in faults else GOOD_IDS),
        "values": draw(ODD) if "values" in faults else values,
    }
    good_pred = st.lists(st.tuples(GOOD_IDS, st.integers(1, 2**62)).map(list), max_size=3)
    if draw(st.booleans()) or "pred" in faults:
        data["pred"] = draw(st.lists(st.one_of(st.tuples(IDS, st.integers(-1, 2**63)).map(
            list), st.lists(ODD, max_size=3), ODD), max_size=3) if "pred" in faults
            else good_pred)
    if "missing" in faults:
        data.pop(draw(st.sampled_from(sorted(data))))
    if "extra" in faults:
        data[draw(st.sampled_from(["extra", "Device", "values "]))] = 1
    return data


def spell(data: dict[str, Any], how: int) -> bytes:
    """``data`` as a line, written one of several ways."""
    if how == 0:  # as fieldapp writes it
        return json.dumps(data, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode("utf-8", "surrogatepass")
    if how == 1:  # escaped, spaced, in its own order
        return json.dumps(data, ensure_ascii=True, indent=None).encode()
    if how == 2:  # a key repeated: the last one counts
        text = json.dumps(data, ensure_ascii=False)
        return ('{"device":"other",' + text[1:]).encode("utf-8", "surrogatepass")
    return (" " + json.dumps(data, ensure_ascii=False) + " \r").encode("utf-8", "surrogatepass")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op_dicts(), st.integers(0, 3))
def test_fast_check_accepts_only_what_the_reference_accepts(data: dict[str, Any],
                                                             how: int) -> None:
    line = spell(data, how)
    fast = assert_agrees(line)
    if how == 0 and reference(line) is not None:
        assert fast is not None  # what fieldapp itself writes never takes the slow path


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op_dicts(), st.integers(0, 3), st.lists(st.tuples(
    st.integers(0, 10_000), st.integers(0, 2), st.binary(min_size=1, max_size=3)),
    min_size=1, max_size=3))
def test_damaged_lines_are_never_accepted_by_the_fast_check_alone(
        data: dict[str, Any], how: int, edits: list[tuple[int, int, bytes]]) -> None:
    line = bytearray(spell(data, how))
    for at, what, chunk in edits:
        at %= len(line) + 1
        if what == 0:
            line[at:at] = chunk  # inserted
        elif what == 1:
            del line[at:at + len(chunk)]  # cut
        else:
            line[at:at + len(chunk)] = chunk  # overwritten
    assert_agrees(bytes(line))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(op_dicts(), st.integers(0, 3)), min_size=1, max_size=6),
       st.lists(st.sampled_from([b"", b" ", b"\r", b"{}", b"null", b"\xff"]), max_size=1),
       st.integers(0, 6))
def test_a_block_of_lines_is_checked_as_each_line_is(
        ops: list[tuple[dict[str, Any], int]], odd: list[bytes], at: int) -> None:
    """``parse_op_lines`` (one decoder call for a block, as the bundle reader reads them) gives
    exactly the operations of ``parse_op_line`` line by line, or declines the whole block --
    always when any line is declined, blank lines included (the decoder of a block would
    skip them, and the reader must refuse them with their number)."""
    lines = [spell(data, how) for data, how in ops]
    for extra in odd:
        lines.insert(at % (len(lines) + 1), extra)
    lines = [line for line in lines if b"\n" not in line]
    block = b"".join(line + b"\n" for line in lines)
    one_by_one = [parse_op_line(line) for line in lines]
    got = parse_op_lines(block)
    if got is None:
        assert any(op is None for op in one_by_one) or not lines
        return
    assert all(op is not None for op in one_by_one)
    assert [exact(op) for op in got] == [exact(op) for op in one_by_one if op is not None]
    for line in lines:
        assert_agrees(line)


def test_a_block_declines_what_a_line_would() -> None:
    good = (b'{"device":"dev1","entity":"organisation","entity_id":"org1",'
            b'"hlc":"001795479441459.000000","pred":[],"seq":1,"values":{"name_en":"A"}}')
    two = parse_op_lines(good + b"\n" + good.replace(b'"seq":1', b'"seq":2') + b"\n")
    assert two is not None and [op.seq for op in two] == [1, 2]
    assert parse_op_lines(good + b"\n\n" + good + b"\n") is None  # a blank line
    assert parse_op_lines(good + b"\n \n" + good + b"\n") is None
    assert parse_op_lines(good + good + b"\n") is None  # two objects on a line
    assert parse_op_lines(good + b"\n" + good) is None  # not ended by a newline
    assert parse_op_lines(good + b"\n" + good.replace(b"dev1", b"../x") + b"\n") is None


def test_awkward_lines() -> None:
    good = ('{"device":"dev1","entity":"organisation","entity_id":"org1",'
            '"hlc":"001795479441459.000000","pred":[],"seq":1,"values":{"name_en":"A"}}')
    assert assert_agrees(good.encode()) is not None
    cases = [
        good.replace('"A"', '"\\ud800"'),  # a lone surrogate: declined, reference decides
        good.replace('"A"', '"\xed\xa0\x80"'),
        good.replace('"seq":1', '"seq":true'),
        good.replace('"seq":1', '"seq":1.0'),
        good.replace('"seq":1', '"seq":1e0'),
        good.replace('"seq":1', '"seq":-0'),
        good.replace('"seq":1', '"seq":18446744073709551616'),
        good.replace('"pred":[]', '"pred":[["dev1",true]]'),
        good.replace('"pred":[]', '"pred":[["dev1",1,2]]'),
        good.replace('"pred":[]', '"pred":[["dev1",1.0]]'),
        good.replace('"pred":[]', '"pred":null'),
        good.replace('"name_en":"A"', '"name_en":NaN'),
        good.replace('"name_en":"A"', '"name_en":1e999'),
        good.replace('"name_en":"A"', '"name_en":"A","name_en":1'),
        good.replace('"name_en":"A"', '"nam\\u0065_en":"A"'),
        good.replace('"device":"dev1"', '"dev\\u0069ce":"dev1"'),
        good.replace('"device":"dev1"', '"device":"dev1","device":"../x"'),
        good.replace('"hlc":"001795479441459.000000"', '"hlc":"001795479441459.000000\\n"'),
        good + "x", "[" + good + "]", good[:-1], "", " ", "null", "{}",
    ]
    for text in cases:
        assert_agrees(text.encode("utf-8", "surrogatepass"))
    assert assert_agrees(cases[13].encode()) is None  # a number where text belongs (last wins)
    assert assert_agrees(cases[14].encode()) is not None
    assert assert_agrees(cases[16].encode()) is None  # the repeated device is the bad one


@given(st.dictionaries(st.text(max_size=6), st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(), st.floats(),
    st.lists(st.text(max_size=3), max_size=2)), max_size=6))
def test_values_are_encoded_as_the_standard_library_encodes_them(values: dict[str, Any]) -> None:
    try:
        expected = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except ValueError:
        return
    assert dumps_values(values) == expected


@given(st.lists(st.tuples(st.text(max_size=8), st.integers(-(2**70), 2**70)), max_size=4))
def test_pred_is_encoded_as_the_standard_library_encodes_it(
        pairs: list[tuple[str, int]]) -> None:
    """``dumps_pred`` takes msgspec for ASCII ids: the same text as ``json.dumps``, control
    characters, quotes and numbers beyond 64 bits included."""
    assert dumps_pred(tuple(pairs)) == json.dumps([list(p) for p in sorted(pairs)],
                                                  separators=(",", ":"))


def test_every_code_point_is_encoded_as_the_standard_library_encodes_it() -> None:
    points = [*range(0, 0xD800), *range(0xE000, 0x110000)]
    for start in range(0, len(points), 512):
        values = {"a": "".join(map(chr, points[start:start + 512])), "b": start, "c": None}
        assert dumps_values(values) == json.dumps(values, ensure_ascii=False, sort_keys=True,
                                                  separators=(",", ":"))
    lone = {"text": "a\ud800b"}  # kept by the standard encoder, as before
    assert dumps_values(lone) == json.dumps(lone, ensure_ascii=False, sort_keys=True,
                                            separators=(",", ":"))


ID_TEXT = st.one_of(
    st.text(max_size=70),
    st.text(alphabet="aZ09_-٠١²ⅷＡ\n é", max_size=66),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,70}", fullmatch=True),
)
HLC_TEXT = st.one_of(
    st.text(max_size=24),
    st.text(alphabet="0123456789.٣²\n", min_size=20, max_size=24),
    st.from_regex(r"[0-9]{15}\.[0-9]{6}\n?", fullmatch=True),
)


@given(ID_TEXT, HLC_TEXT)
def test_id_and_clock_checks_without_a_regular_expression_are_the_same(
        text: str, clock: str) -> None:
    assert is_id(text) == bool(_ID.fullmatch(text))
    assert is_hlc(clock) == bool(_HLC.fullmatch(clock))
