"""Bundle operations are checked line by line as the decrypted archive streams. Validly signed
bundles with thousands of lines (so that lines, and characters inside them, straddle the
decryptor's chunks) must read back exactly, and a fault anywhere must be reported as before:
the right line number, an altered member as altered (not as malformed), an unterminated last
line as incomplete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.sync.bundle import Limits, open_bundle
from fieldapp.sync.errors import BundleError, Reason
from tests.unit.sync.conftest import make_team
from tests.unit.sync.forge import Forge

N = 3000


@pytest.fixture(scope="module")
def team():  # type: ignore[no-untyped-def]
    return make_team()


def lines(n: int = N) -> list[bytes]:
    # Odd lengths and three-byte characters: chunk edges fall inside characters too.
    return [json.dumps({"seq": i, "v": "访谈记录" * (i % 37) + "x" * (i % 11)},
                       ensure_ascii=False).encode() for i in range(1, n + 1)]


def open_forged(team, tmp_path: Path, ops: bytes, limits: Limits | None = None, **kw):  # type: ignore[no-untyped-def]
    path = Forge(team, ops=ops, **kw).build(tmp_path / "b.fab")
    return open_bundle(path, identity=team.new.coordinator_keys.identity, roster=team.roster,
                       **({"limits": limits} if limits else {}))


def test_every_line_reads_back_whole(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    raw = lines()
    vb = open_forged(team, tmp_path, b"".join(line + b"\n" for line in raw))
    assert vb.op_count == N
    assert list(vb.iter_ops()) == [json.loads(line) for line in raw]


@pytest.mark.parametrize("bad", [1, 1234, N])
def test_a_bad_line_is_named_wherever_it_falls(team, tmp_path: Path, bad: int) -> None:  # type: ignore[no-untyped-def]
    raw = lines()
    raw[bad - 1] = raw[bad - 1][:-1]  # cut the closing brace: not JSON
    with pytest.raises(BundleError) as err:
        open_forged(team, tmp_path, b"".join(line + b"\n" for line in raw))
    assert err.value.reason is Reason.MALFORMED_OPS
    assert f"Line {bad} of the bundle's operations is malformed: it is not JSON" in str(err.value)


def test_a_line_over_the_limit_is_named(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    raw = lines()
    raw[2000] = json.dumps({"seq": 2001, "v": "长" * 40_000}, ensure_ascii=False).encode()
    with pytest.raises(BundleError) as err:
        open_forged(team, tmp_path, b"".join(line + b"\n" for line in raw),
                    limits=Limits(max_op_line_bytes=64 * 1024))
    assert "Line 2001 of the bundle's operations is malformed: the operation is too large" \
        in str(err.value)


def test_an_altered_member_is_reported_as_altered_not_malformed(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = b"".join(line + b"\n" for line in lines())
    forge = Forge(team, ops=good)
    manifest = forge.manifest_bytes()
    members = forge.members()
    members[2].data = good[:50_000] + b"garbage that is not JSON\n" + good[50_025:]
    forge.members_override = members
    forge.raw_manifest = manifest
    path = forge.build(tmp_path / "b.fab")
    with pytest.raises(BundleError) as err:
        open_bundle(path, identity=team.new.coordinator_keys.identity, roster=team.roster)
    assert err.value.reason is Reason.HASH_MISMATCH


def test_an_unterminated_last_line_is_incomplete(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    raw = lines()
    ops = b"".join(line + b"\n" for line in raw)[:-1]
    with pytest.raises(BundleError) as err:
        open_forged(team, tmp_path, ops)
    assert "(the last line is incomplete)" in str(err.value)


# -- with the schema check the merge uses (blocks of lines decoded at once) -------------------

def op_lines(n: int = N) -> list[bytes]:
    """Operations as fieldapp writes them, of odd lengths with three-byte characters."""
    return [json.dumps({"device": "dev1", "entity": "organisation", "entity_id": f"org{i}",
                        "hlc": f"{1795479441459 + i:015d}.000000", "pred": [], "seq": i,
                        "values": {"name_zh": "访谈记录" * (i % 37) + "x" * (i % 11)}},
                       ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
            for i in range(1, n + 1)]


def open_checked(team, tmp_path: Path, ops: bytes):  # type: ignore[no-untyped-def]
    from fieldapp.domain.ops import parse_op, parse_op_line, parse_op_lines

    path = Forge(team, ops=ops).build(tmp_path / "b.fab")
    return open_bundle(path, identity=team.new.coordinator_keys.identity, roster=team.roster,
                       check_op=parse_op, check_line=parse_op_line, check_lines=parse_op_lines)


def test_checked_operations_read_back_whole(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fieldapp.domain.ops import parse_op

    raw = op_lines()
    vb = open_checked(team, tmp_path, b"".join(line + b"\n" for line in raw))
    assert vb.op_count == N
    assert vb.checked_ops == [parse_op(json.loads(line)) for line in raw]


@pytest.mark.parametrize(("bad", "how", "says"), [
    (1, "cut", "it is not JSON"), (1234, "blank", "it is not JSON"),
    (2999, "device", "device"), (N, "seq", "seq")])
def test_a_checked_bad_line_is_named_wherever_it_falls(team, tmp_path: Path, bad: int,  # type: ignore[no-untyped-def]
                                                       how: str, says: str) -> None:
    raw = op_lines()
    line = raw[bad - 1]
    raw[bad - 1] = {"cut": line[:-1], "blank": b"",
                    "device": line.replace(b'"dev1"', b'"../dev1"'),
                    "seq": line.replace(f'"seq":{bad}'.encode(), b'"seq":0')}[how]
    assert raw[bad - 1] != line
    with pytest.raises(BundleError) as err:
        open_checked(team, tmp_path, b"".join(line + b"\n" for line in raw))
    assert err.value.reason is Reason.MALFORMED_OPS
    assert f"Line {bad} of the bundle's operations is malformed" in str(err.value)
    assert says in str(err.value)
