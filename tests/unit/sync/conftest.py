"""A small team (root key, one coordinator, one enrolled device) for the sync tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from fieldapp.sync.keys import DeviceKeys
from fieldapp.sync.roster import (
    NewTeam,
    SignedRoster,
    approve_join,
    create_team,
    make_join_request,
    read_join_request,
)

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class Team:
    new: NewTeam
    signed: SignedRoster
    device_id: str
    device_keys: DeviceKeys

    @property
    def roster(self):
        return self.signed.roster


def make_team(name: str = "Kunming HIV study", escrow: str | None = None) -> Team:
    new = create_team(name, "Coordinator 王", now=NOW, escrow_recipient=escrow)
    keys, request_bytes = make_join_request(new.signed.roster.team_id, "Researcher 李", now=NOW)
    request = read_join_request(request_bytes)
    signed = approve_join(new.signed.roster, new.root_key, request,
                          confirmed_fingerprint=keys.fingerprint(), now=NOW)
    return Team(new, signed, request.device_id, keys)


@pytest.fixture(scope="module")
def team() -> Team:
    return make_team()
