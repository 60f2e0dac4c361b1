"""What consent allows in an export, and which records the user's filters keep.

- A participant whose latest consent record is withdrawn is absent, with every interview, note,
  coding and response that involves them, whichever link leads there: a response is absent if
  its participant *or any participant of its interview* is (withdrawal erases these in the store
  already; this is the second lock). A participant or interview referred to but no longer known
  is treated the same way.
- Text is quotable only if every participant of its interview (for a response: its participant
  and its interview's participants) gave the ``verbatim_quotes`` scope in their latest consent;
  otherwise it is left out: note bodies and titles, coded passages and coding comments, and a
  response's open (text) answers.
- An organisation is named only if every participant linked to it — by their profile, by an
  interview or by a response — gave the ``name_organisation`` scope; otherwise it appears as a
  pseudonymous code (``ORG-001``: its rank among the workspace's organisations in creation
  order) in *every* row, so no row can link the code to the name, and its names are masked in
  free text. An organisation no participant is linked to is named.
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
NAME_ORG_SCOPE = "name_organisation"
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
    #: device id -> the researcher's name (the coder of a coding), from the team roster
    coders: dict[str, str] = field(default_factory=dict)
    #: memo records (fieldapp.export.memos decides what consent lets out)
    memos: list[Record] = field(default_factory=list)


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

    def may_name_organisation(self, participant_ids: Iterable[str]) -> bool:
        return all(NAME_ORG_SCOPE in self.scopes(pid) for pid in participant_ids
                   if pid not in self.withdrawn)


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
    #: ids of responses whose open answers may be exported
    quotable_responses: set[str] = field(default_factory=set)
    #: organisation id -> pseudonymous code, for organisations that may not be named
    org_pseudonyms: dict[str, str] = field(default_factory=dict)


def _keep(filters: Filters, site: str | None, sector: str | None, person: str | None) -> bool:
    return ((not filters.sites or (site or "") in filters.sites)
            and (not filters.sectors or (sector or "") in filters.sectors)
            and (not filters.researchers or (person or "") in filters.researchers))


def response_people(r: Record, interviews: dict[str, Record]) -> list[str | None]:
    """Everyone a response involves: its participant and its interview's participants. An
    interview that is no longer known stands for someone unknown (``None`` is not enough)."""
    people: list[str | None] = [r.get("participant_id")]
    iid = r.get("interview_id")
    if iid:
        interview = interviews.get(iid)
        people += (interview.get("participant_ids") or []) if interview else [f"?{iid}"]
    return people


def org_pseudonyms(data: ExportData, consent: ConsentView) -> dict[str, str]:
    """Organisations that may not be named, with their pseudonymous codes (see module doc)."""
    linked: dict[str, set[str]] = {}
    for p in data.participants.values():
        if p.get("organisation_id"):
            linked.setdefault(p["organisation_id"], set()).add(p["id"])
    by_id = {i["id"]: i for i in data.interviews}
    for i in data.interviews:
        if i.get("organisation_id"):
            linked.setdefault(i["organisation_id"], set()).update(i.get("participant_ids") or [])
    for r in data.responses:
        if r.get("organisation_id"):
            people = {p for p in response_people(r, by_id) if p}
            linked.setdefault(r["organisation_id"], set()).update(people)
    width = max(3, len(str(len(data.organisations))))
    codes = {oid: f"ORG-{n:0{width}d}" for n, oid in enumerate(sorted(data.organisations), 1)}
    return {oid: code for oid, code in codes.items()
            if not consent.may_name_organisation(linked.get(oid, ()))}


def select(data: ExportData, filters: Filters) -> Selection:
    consent = ConsentView(data.participants, data.consents)
    all_interviews = {i["id"]: i for i in data.interviews}
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
        and not consent.absent(response_people(r, all_interviews))
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
        quotable_responses={r["id"] for r in responses if consent.may_quote(
            p for p in response_people(r, all_interviews) if p)},
        org_pseudonyms=org_pseudonyms(data, consent),
    )


def identity_values(data: ExportData) -> list[str]:
    """Every direct identifier the workspace holds (for masking), never logged."""
    values = [str(x.get(f) or "") for x in data.identities for f in IDENTITY_FIELDS]
    return [v for v in values if v.strip()]
