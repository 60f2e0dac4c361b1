"""What the team screens share: the team as this workspace sees it, names for devices, record
types and bundle outcomes and clock formatting."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fieldapp.domain.hlc import HLC
from fieldapp.i18n import N_, _, format_datetime
from fieldapp.services import sync, team

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

COORDINATOR = team.ROLE_COORDINATOR
RESEARCHER = team.ROLE_RESEARCHER

ENTITY_LABELS = {
    "study": N_("Study"), "organisation": N_("Organisation"), "participant": N_("Participant"),
    "identity": N_("Identifying details"), "consent": N_("Consent"),
    "interview": N_("Interview"), "note": N_("Note"), "code": N_("Code"),
    "coding": N_("Coded passage"), "attachment": N_("Attachment"),
    "instrument": N_("Survey instrument"), "response": N_("Survey response"),
    "receipt": N_("Erasure receipt"), "review": N_("Review of a survey response"),
    "correction": N_("Correction of a survey response"), "memo": N_("Memo"),
    "assignment": N_("Blind coding assignment"), "adjudication": N_("Adjudication"),
}

FIELD_LABELS = {
    "name_zh": N_("Chinese name"), "name_en": N_("English name"), "kind": N_("Type"),
    "registration": N_("Registration"), "credit_code": N_("Credit code"), "site": N_("Site"),
    "sector": N_("Sector"), "notes": N_("Notes"), "code": N_("Record code"), "role": N_("Role"),
    "organisation_id": N_("Organisation"), "definition_zh": N_("Chinese definition"),
    "definition_en": N_("English definition"), "colour": N_("Colour"),
    "parent_id": N_("Parent code"), "title_zh": N_("Chinese title"),
    "title_en": N_("English title"), "targets": N_("Targets"), "sites": N_("Sites"),
    "sectors": N_("Sectors"),
}

STATUS_LABELS = {
    "merged": N_("Merged"), "duplicate": N_("Already merged"), "rejected": N_("Rejected"),
    "quarantined": N_("Quarantined"), "held": N_("Held for confirmation"),
    "ignored": N_("Refused before"), "stale": N_("Superseded by a later bundle"),
}

#: Colours for outcomes and warnings (readable on light backgrounds, not only by colour:
#: every status is also written out).
GOOD = "#1b6e20"
BAD = "#a40000"
WARN = "#8a4b00"


def entity_label(entity: str) -> str:
    text = ENTITY_LABELS.get(entity)
    return _(text) if text else entity


def field_label(name: str) -> str:
    text = FIELD_LABELS.get(name)
    return _(text) if text else name


def status_label(status: str) -> str:
    text = STATUS_LABELS.get(status)
    return _(text) if text else status


def clock_text(hlc: str) -> str:
    """When a change was made: the wall-clock part of its hybrid logical clock, local time."""
    try:
        wall = HLC.decode(hlc).wall
    except ValueError:
        return hlc
    return format_datetime(datetime.fromtimestamp(wall / 1000, tz=UTC).astimezone())


def value_text(value: Any) -> str:
    if value is None or value == "":
        return _("(empty)")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@dataclass
class TeamState:
    """The team as this workspace knows it, read from the workspace only (no store access)."""

    role: str = ""
    team_name: str = ""
    team_id: str = ""
    enrolled: bool = False
    member_id: str = ""
    fingerprint: str = ""
    store: str = ""
    names: dict[str, str] = field(default_factory=dict)
    devices: list[dict[str, Any]] = field(default_factory=list)
    roster_version: int = 0
    expiry_warning: str = ""
    invitation: dict[str, str] = field(default_factory=dict)
    merged_through: dict[str, int] = field(default_factory=dict)
    root_fingerprint: str = ""
    holds_root_key: bool = False

    @property
    def is_coordinator(self) -> bool:
        return self.role == COORDINATOR

    @property
    def is_researcher(self) -> bool:
        return self.role == RESEARCHER

    def who(self, device: str) -> str:
        """A researcher's or coordinator's name from the roster, else the device id."""
        return self.names.get(device) or device


def load_state(ws: Workspace) -> TeamState:
    """Runs on the worker."""
    state = TeamState(role=team.role(ws))
    if not state.role:
        return state
    state.member_id = team.member_id(ws)
    state.fingerprint = team.fingerprint(ws)
    state.store = team.store_config(ws).location
    state.enrolled = team.is_enrolled(ws)
    state.root_fingerprint = team.root_fingerprint(ws)
    state.holds_root_key = team.holds_root_key(ws)
    try:
        roster = team.roster(ws)
    except team.NotInTeam:  # a researcher waiting for the first roster
        return state
    state.team_name, state.team_id = roster.team_name, roster.team_id
    state.roster_version = roster.version
    state.expiry_warning = roster.expiry_warning(datetime.now(UTC)) or ""
    state.names = {c.coordinator_id: c.name for c in roster.coordinators}
    state.names.update({d.device_id: d.researcher for d in roster.devices})
    state.devices = [{"device_id": d.device_id, "researcher": d.researcher,
                      "status": d.status.value, "revoked_after_seq": d.revoked_after_seq}
                     for d in roster.devices]
    if state.is_coordinator:
        state.invitation = team.invitation(ws)
        # What this coordinator has merged from each device: the suggested last trusted
        # change number when a device is revoked.
        state.merged_through = sync.merged_through(ws)
    return state
