"""What consent allows in an export, and which records the user's filters keep.

- A participant whose latest consent record is withdrawn is absent, with every interview, note,
  coding and response that involves them (withdrawal erases these in the store already; this is
  the second lock). A participant referred to but no longer known is treated the same way.
- Text is quotable only if every participant of its interview gave the ``verbatim_quotes`` scope
  in their latest consent; otherwise it is left out of the quotable columns.
- Direct identifiers (the identity vault, consent witnesses) go out only when asked for, and
  the identity vault's values are otherwise masked wherever they turn up in free text
  (:class:`~fieldapp.export.cells.Redactor`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fieldapp.export.options import Filters
from fieldapp.survey import Instrument

Record = dict[str, Any]
QUOTE_SCOPE = "verbatim_quotes"
IDENTITY_FIELDS = ("real_name", "phone", "wechat", "email", "other")


@dataclass
class ExportData:
    """Everything an export may draw on, read through the services (plain records)."""

    organisations: dict[str, Record] = field(default_factory=dict)
    participants: dict[str, Record] = field(default_factory=dict)
    identities: list[Record] = field(default_factory=list)
    consents: list[Record] = field(default_factory=list)
    interviews: list[Record] = field(default_factory=list)
    notes: list[Record] = field(default_factory=list)
    codes: dict[str, Record] = field(default_factory=dict)
    codings: list[Record] = field(default_factory=list)
    instruments: list[tuple[Record, Instrument]] = field(default_factory=list)
    responses: list[Record] = field(default_factory=list)


class ConsentView:
    def __init__(self, participants: dict[str, Record], consents: Iterable[Record]) -> None:
        self.participants = participants
        latest: dict[str, Record] = {}
        for c in sorted(consents, key=lambda c: (c.get("date") or "", c.get("created_hlc") or "")):
            latest[c["participant_id"]] = c
        self.latest = latest
        self.withdrawn = {pid for pid, c in latest.items() if c.get("status") == "withdrawn"}

    def absent(self, participant_ids: Iterable[str | None]) -> bool:
        return any(pid is not None and (pid in self.withdrawn or pid not in self.participants)
                   for pid in participant_ids)

    def scopes(self, participant_id: str) -> set[str]:
        c = self.latest.get(participant_id)
        if c is None or c.get("status") != "given":
            return set()
        return set(c.get("scopes") or [])

    def may_quote(self, participant_ids: Iterable[str]) -> bool:
        return all(QUOTE_SCOPE in self.scopes(pid) for pid in participant_ids)


def as_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def hlc_datetime(hlc: str | None) -> datetime | None:
    """When a record was created, from its hybrid logical clock (UTC, naive for spreadsheets)."""
    if not hlc:
        return None
    wall = int(hlc.partition(".")[0])
    return datetime.fromtimestamp(wall / 1000, UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class Selection:
    consent: ConsentView
    interviews: list[Record]
    notes: list[Record]
    codings: list[Record]
    participants: list[Record]
    consents: list[Record]
    identities: list[Record]
    instruments: list[tuple[Record, Instrument]]
    responses: list[Record]
    #: ids of interviews whose text may be quoted
    quotable: set[str]


def _keep(filters: Filters, site: str | None, sector: str | None, person: str | None) -> bool:
    return ((not filters.sites or (site or "") in filters.sites)
            and (not filters.sectors or (sector or "") in filters.sectors)
            and (not filters.researchers or (person or "") in filters.researchers))


def select(data: ExportData, filters: Filters) -> Selection:
    consent = ConsentView(data.participants, data.consents)
    interviews = [
        i for i in data.interviews
        if not consent.absent(i.get("participant_ids") or [])
        and _keep(filters, i.get("site"), i.get("sector"), i.get("interviewer"))
        and (not filters.interview_statuses or i.get("status") in filters.interview_statuses)
        and filters.in_dates(as_date(i.get("date")))
    ]
    kept = {i["id"] for i in interviews}
    notes = [n for n in data.notes if n.get("interview_id") in kept]
    note_ids = {n["id"] for n in notes}
    codings = [c for c in data.codings if c.get("note_id") in note_ids]
    quotable = {i["id"] for i in interviews if consent.may_quote(i.get("participant_ids") or [])}
    participants = [p for p in data.participants.values()
                    if p["id"] not in consent.withdrawn
                    and _keep(filters, p.get("site"), p.get("sector"), None)]
    people = {p["id"] for p in participants}
    wanted = filters.instruments
    instruments = [(r, inst) for r, inst in data.instruments
                   if not wanted or r["id"] in wanted or r.get("form_id") in wanted]
    inst_ids = {r["id"] for r, _inst in instruments}
    responses = [
        r for r in data.responses
        if r.get("instrument_id") in inst_ids
        and not consent.absent([r.get("participant_id")])
        and _keep(filters, r.get("site"), r.get("sector"), r.get("researcher"))
        and (not filters.statuses or r.get("status") in filters.statuses)
        and filters.in_dates(as_date(r.get("completed_at"))
                             or as_date(hlc_datetime(r.get("created_hlc"))))
    ]
    return Selection(
        consent=consent, interviews=interviews, notes=notes, codings=codings,
        participants=participants,
        consents=[c for c in data.consents if c.get("participant_id") in people],
        identities=[x for x in data.identities if x.get("participant_id") in people],
        instruments=instruments, responses=responses, quotable=quotable,
    )


def identity_values(data: ExportData) -> list[str]:
    """Every direct identifier the workspace holds (for masking), never logged."""
    values = [str(x.get(f) or "") for x in data.identities for f in IDENTITY_FIELDS]
    return [v for v in values if v.strip()]
