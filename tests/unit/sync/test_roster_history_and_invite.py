"""The roster's earlier versions are only those really accepted, and the invitation's root key
carries a check code that catches a typing error in the key or the team id."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fieldapp.sync.errors import Reason, RosterError
from fieldapp.sync.keys import SigningKey
from fieldapp.sync.roster import (
    Roster,
    create_team,
    invitation_key,
    parse_invitation_key,
    renew,
    root_fingerprint_matches,
    root_key_fingerprint,
)
from tests.unit.sync.conftest import NOW, make_team


def test_at_version_answers_only_with_a_version_of_this_team_and_root() -> None:
    t = make_team()
    v2 = t.signed.roster
    v3 = renew(v2, t.new.root_key, now=NOW).roster
    other = create_team("Other", "X", now=NOW).signed.roster
    kept: dict[int, Roster] = {2: v2}
    current = replace(v3, earlier=kept.get)
    assert current.at_version(3) is current
    assert current.at_version(2) == v2
    assert current.at_version(1) is None and current.at_version(4) is None
    # A history that answers with something else is not believed.
    for wrong in (replace(other, version=2), replace(v2, version=1),
                  replace(v2, root_key=SigningKey.generate().public_key)):
        assert replace(v3, earlier=lambda _v, w=wrong: w).at_version(2) is None
    # The history is no part of the signed roster, and a new version does not carry it.
    assert current.to_bytes() == v3.to_bytes() and current == v3
    assert renew(current, t.new.root_key, now=NOW).roster.earlier is None


def test_invitation_key_round_trip_and_forgiving_typing() -> None:
    t = make_team()
    root, team_id = t.roster.root_key, t.roster.team_id
    code = invitation_key(root, team_id)
    key_text, _dash, check = code.rpartition("-")
    assert key_text == root.to_text() and len(check) == 8
    assert parse_invitation_key(code, team_id) == root
    assert parse_invitation_key(f"  {key_text[:20]}\n{key_text[20:]}-{check.lower()} ",
                                f" {team_id} ") == root
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c
                         for c in code)
    assert parse_invitation_key(full_width, team_id) == root
    assert parse_invitation_key(key_text, "") == root  # the older bare form


@pytest.mark.parametrize("where", ["key", "key id", "code", "team"])
def test_one_wrong_character_fails_the_check_code(where: str) -> None:
    t = make_team()
    root, team_id = t.roster.root_key, t.roster.team_id
    code = invitation_key(root, team_id)
    i = {"key": 40, "key id": 5, "code": len(code) - 2, "team": 3}[where]
    if where == "team":
        team_id = team_id[:i] + ("0" if team_id[i] != "0" else "1") + team_id[i + 1:]
    else:
        code = code[:i] + ("A" if code[i] != "A" else "B") + code[i + 1:]
    with pytest.raises(RosterError) as info:
        parse_invitation_key(code, team_id)
    assert info.value.reason in (Reason.KEY_MISMATCH, Reason.MALFORMED_KEY)


def test_garbage_is_not_a_root_key() -> None:
    with pytest.raises(RosterError) as info:
        parse_invitation_key("RW-not-a-key", "team")
    assert info.value.reason is Reason.MALFORMED_KEY and "RW" in info.value.message


def test_the_root_fingerprint_covers_the_key_id() -> None:
    root = make_team().roster.root_key
    text = root.to_text()
    # Characters 3..12 of the key text encode its minisign key id; the key itself follows.
    changed = text[:6] + ("A" if text[6] != "A" else "B") + text[7:]
    from fieldapp.sync.keys import VerifyKey

    other = VerifyKey.from_text(changed)
    assert other.raw == root.raw and other.key_id != root.key_id
    assert root_key_fingerprint(other) != root_key_fingerprint(root)
    assert root_fingerprint_matches(root, root_key_fingerprint(root).replace(" ", "-"))
    assert not root_fingerprint_matches(other, root_key_fingerprint(root))
