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

Memory: notes, codings and survey responses — the records there can be a hundred thousand of —
are :class:`Stream` objects, read afresh from the database on every pass and never held together.
What needs a view of all of them (which participants withdrew, which organisations may be named,
how many rows a sheet will have) is decided first from their small columns
(:meth:`Stream.light`: ids and links, no text or answers); the selection keeps only predicates
and small sets of ids (interviews, participants), never a list of notes or responses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from fieldapp.export.options import Filters
from fieldapp.survey import Instrument

if TYPE_CHECKING:
    from fieldapp.analysis.deidentify import KnownName

Record = dict[str, Any]
QUOTE_SCOPE = "verbatim_quotes"
NAME_ORG_SCOPE = "name_organisation"
IDENTITY_FIELDS = ("real_name", "phone", "wechat", "email", "other")


class Stream:
    """Records read afresh on every pass (a database cursor read in batches), so that a pass
    holds one batch, never every record.

    ``full()`` gives whole records; ``light()`` the same records with only their small fields
    (ids, links, dates, statuses: no text, no answers), for deciding what goes in before
    anything is written. ``where`` keeps the records a predicate accepts, on both kinds (the
    predicate may only look at light fields). A list is a stream too (:meth:`of`).
    """

    def __init__(self, full: Callable[[], Iterable[Record]],
                 light: Callable[[], Iterable[Record]] | None = None,
                 keep: Callable[[Record], bool] | None = None) -> None:
        self._full, self._light, self._keep = full, light or full, keep

    @classmethod
    def of(cls, records: Iterable[Record]) -> Stream:
        if isinstance(records, Stream):
            return records
        items = list(records)
        return cls(lambda: items)

    def __iter__(self) -> Iterator[Record]:
        keep = self._keep
        for r in self._full():
            if keep is None or keep(r):
                yield r

    def light(self) -> Iterator[Record]:
        keep = self._keep
        for r in self._light():
            if keep is None or keep(r):
                yield r

    def where(self, keep: Callable[[Record], bool]) -> Stream:
        before = self._keep
        both = keep if before is None else (lambda r: before(r) and keep(r))
        return Stream(self._full, self._light, both)

    def count(self) -> int:
        return sum(1 for _r in self.light())


@dataclass
class ExportData:
    """Everything an export may draw on, read through the services (plain records).

    ``notes``, ``codings`` and ``responses`` are :class:`Stream` objects (lists are accepted and
    wrapped). Their order: notes and responses by creation (``created_hlc``, id); codings by
    their note's place in that order, then start offset. Codings carry their note's
    ``interview_id`` and ``created_hlc`` as ``_interview_id`` and ``_note_hlc``.
    """

    organisations: dict[str, Record] = field(default_factory=dict)
    participants: dict[str, Record] = field(default_factory=dict)
    identities: list[Record] = field(default_factory=list)
    consents: list[Record] = field(default_factory=list)
    interviews: list[Record] = field(default_factory=list)
    notes: Stream = field(default_factory=lambda: Stream.of([]))
    codes: dict[str, Record] = field(default_factory=dict)
    codings: Stream = field(default_factory=lambda: Stream.of([]))
    instruments: list[tuple[Record, Instrument]] = field(default_factory=list)
    responses: Stream = field(default_factory=lambda: Stream.of([]))
    #: device id -> the researcher's name (the coder of a coding), from the team roster
    coders: dict[str, str] = field(default_factory=dict)
    #: memo records (fieldapp.export.memos decides what consent lets out)
    memos: list[Record] = field(default_factory=list)
    #: case attributes and their values (fieldapp.export.cases)
    attributes: list[Record] = field(default_factory=list)
    attribute_values: list[Record] = field(default_factory=list)
    #: cheap upper bounds of the longest text, by sheet family ("notes", "codings",
    #: "responses"): see :attr:`~fieldapp.export.table.Table.text_bound`
    text_bounds: dict[str, Callable[[], int]] = field(default_factory=dict)
    #: registered names and their pseudonyms (only read for a pseudonymised export)
    known_names: list[KnownName] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.notes, Stream):
            self.notes = Stream.of(sorted(self.notes, key=note_key))
        if not isinstance(self.codings, Stream):
            notes = {n["id"]: n for n in self.notes}
            linked = []
            for c in self.codings:
                note = notes.get(c.get("note_id") or "") or {}
                linked.append({**c, "_interview_id": note.get("interview_id"),
                               "_note_hlc": note.get("created_hlc")})
            linked.sort(key=lambda c: (c["_note_hlc"] or "", c.get("note_id") or "",
                                       c.get("start_offset") or 0))
            self.codings = Stream.of(linked)
        if not isinstance(self.responses, Stream):
            self.responses = Stream.of(self.responses)


def has_text(n: Record) -> bool:
    """Whether a note has a title or body (light records say it in ``_has_text``)."""
    if "_has_text" in n:
        return bool(n["_has_text"])
    return bool(n.get("body") or n.get("title"))


def note_key(n: Record) -> tuple[str, str]:
    """A note's place in the export's order (the order of :attr:`ExportData.notes`)."""
    return str(n.get("created_hlc") or ""), str(n.get("id") or "")


def coding_note_key(c: Record) -> tuple[str, str]:
    return str(c.get("_note_hlc") or ""), str(c.get("note_id") or "")


def with_codings(notes: Iterable[Record], codings: Iterable[Record]
                 ) -> Iterator[tuple[Record, list[Record]]]:
    """Each note with its codings, both read in one pass each: both are in the notes' order
    (:func:`note_key`), so this is a merge, holding one note's codings at a time. Codings of
    notes not in ``notes`` are passed over."""
    pending = iter(codings)
    current = next(pending, None)
    for note in notes:
        key = note_key(note)
        while current is not None and coding_note_key(current) < key:
            current = next(pending, None)
        mine = []
        while current is not None and coding_note_key(current) == key:
            mine.append(current)
            current = next(pending, None)
        yield note, mine


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
    #: the notes of the kept interviews (a stream: see :class:`Stream`)
    notes: Stream
    #: the codings of those notes, in the notes' order
    codings: Stream
    participants: list[Record]
    consents: list[Record]
    identities: list[Record]
    instruments: list[tuple[Record, Instrument]]
    #: the responses kept (a stream)
    responses: Stream
    #: ids of interviews whose text may be quoted
    quotable: set[str]
    #: whether a response's open answers may be exported
    may_quote_response: Callable[[Record], bool] = lambda r: True
    #: organisation id -> pseudonymous code, for organisations that may not be named
    org_pseudonyms: dict[str, str] = field(default_factory=dict)
    text_bounds: dict[str, Callable[[], int]] = field(default_factory=dict)


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
    for r in data.responses.light():
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
    notes = data.notes.where(lambda n: n.get("interview_id") in kept)
    codings = data.codings.where(lambda c: c.get("_interview_id") in kept)
    quotable = {i["id"] for i in interviews if consent.may_quote(i.get("participant_ids") or [])}
    participants = [p for p in data.participants.values()
                    if p["id"] not in consent.withdrawn
                    and _keep(filters, p.get("site"), p.get("sector"), None)]
    people = {p["id"] for p in participants}
    wanted = filters.instruments
    instruments = [(r, inst) for r, inst in data.instruments
                   if not wanted or r["id"] in wanted or r.get("form_id") in wanted]
    inst_ids = {r["id"] for r, _inst in instruments}

    def keep_response(r: Record) -> bool:
        return (r.get("instrument_id") in inst_ids
                and not consent.absent(response_people(r, all_interviews))
                and _keep(filters, r.get("site"), r.get("sector"), r.get("researcher"))
                and (not filters.statuses or r.get("status") in filters.statuses)
                and filters.in_dates(as_date(r.get("completed_at"))
                                     or as_date(hlc_datetime(r.get("created_hlc")))))

    def may_quote_response(r: Record) -> bool:
        return consent.may_quote(p for p in response_people(r, all_interviews) if p)

    return Selection(
        consent=consent, interviews=interviews, notes=notes, codings=codings,
        participants=participants,
        consents=[c for c in data.consents if c.get("participant_id") in people],
        identities=[x for x in data.identities if x.get("participant_id") in people],
        instruments=instruments, responses=data.responses.where(keep_response),
        quotable=quotable, may_quote_response=may_quote_response,
        org_pseudonyms=org_pseudonyms(data, consent),
        text_bounds=data.text_bounds,
    )


def identity_values(data: ExportData) -> list[str]:
    """Every direct identifier the workspace holds (for masking), never logged."""
    values = [str(x.get(f) or "") for x in data.identities for f in IDENTITY_FIELDS]
    return [v for v in values if v.strip()]
