"""Analysis inside the vault: code queries, co-occurrence and coder agreement on a workspace.

The computation is in :mod:`fieldapp.analysis` (plain functions over spans); this module reads
the codings, notes, interviews and codebook through the record services, applies the filters a
researcher chose (site, sector, interview language, dates, conditions on case attributes such as
``budget>=1000000``: see :mod:`fieldapp.services.case_attributes`) and shapes results for the desktop and
the CLI. Nothing is written to the workspace; an xlsx of a query's passages is written only on
request, with the same consent rules as every export (text of interviews whose participants did not
all consent to verbatim quotes is withheld, and known identifiers are masked in the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fieldapp.analysis import agreement as agreement_mod
from fieldapp.analysis import cooccurrence as cooccurrence_mod
from fieldapp.analysis import deidentify as deidentify_mod
from fieldapp.analysis import query as query_mod
from fieldapp.analysis.segments import Span, merge_adjacent, segments
from fieldapp.i18n import _, pick
from fieldapp.services import case_attributes, records
from fieldapp.store.workspace import Workspace

Record = dict[str, Any]
SCOPES = ("passage", "interview")


@dataclass(frozen=True)
class Filters:
    """Which interviews an analysis looks at (empty = all)."""

    sites: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    #: conditions on case attributes, e.g. ``budget>=1000000`` (see services.case_attributes)
    where: tuple[str, ...] = ()

    def keeps(self, interview: Record) -> bool:
        if self.sites and interview.get("site") not in self.sites:
            return False
        if self.sectors and interview.get("sector") not in self.sectors:
            return False
        if self.languages and interview.get("language") not in self.languages:
            return False
        when = interview.get("date")
        if isinstance(when, str) and when:
            try:
                when = date.fromisoformat(when[:10])
            except ValueError:
                when = None
        if self.date_from and (not isinstance(when, date) or when < self.date_from):
            return False
        return not (self.date_to and (not isinstance(when, date) or when > self.date_to))


@dataclass
class Corpus:
    """What analysis reads from one workspace, already filtered."""

    codes: dict[str, Record] = field(default_factory=dict)
    interviews: dict[str, Record] = field(default_factory=dict)
    notes: dict[str, Record] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)

    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for code in self.codes.values():
            if code.get("parent_id"):
                out.setdefault(code["parent_id"], []).append(code["id"])
        return out

    def with_descendants(self, code_id: str) -> frozenset[str]:
        children = self.children()
        found, todo = set(), [code_id]
        while todo:
            current = todo.pop()
            if current in found:
                continue
            found.add(current)
            todo.extend(children.get(current, []))
        return frozenset(found)

    def resolve(self, name: str) -> frozenset[str] | None:
        wanted = query_mod.fold_name(name)
        for code in self.codes.values():
            names = {code["id"], code.get("name_zh") or "", code.get("name_en") or ""}
            if wanted in {query_mod.fold_name(n) for n in names if n}:
                return self.with_descendants(code["id"])
        return None

    def code_name(self, code_id: str) -> str:
        code = self.codes.get(code_id)
        return pick(code.get("name_zh"), code.get("name_en")) if code else code_id

    def code_path(self, code_id: str) -> str:
        parts, seen = [], set()
        current: str | None = code_id
        while current and current in self.codes and current not in seen:
            seen.add(current)
            parts.append(self.code_name(current))
            current = self.codes[current].get("parent_id")
        return " › ".join(reversed(parts))


def load(ws: Workspace, filters: Filters | None = None) -> Corpus:
    filters = filters or Filters()
    corpus = Corpus()
    corpus.codes = {c["id"]: c for c in records.list_records(ws, "code", order_by="sort_order")}
    by_case = case_attributes.interview_filter(ws, filters.where)
    corpus.interviews = {i["id"]: i for i in records.list_records(ws, "interview")
                         if filters.keeps(i) and (by_case is None or by_case(i))}
    corpus.notes = {n["id"]: n for n in records.list_records(ws, "note")
                    if n.get("interview_id") in corpus.interviews}
    for c in records.list_records(ws, "coding"):
        note = corpus.notes.get(c.get("note_id") or "")
        if note is None or c.get("code_id") not in corpus.codes:
            continue
        length = len(note.get("body") or "")
        start, end = int(c["start_offset"] or 0), int(c["end_offset"] or 0)
        start, end = max(0, min(start, length)), max(0, min(end, length))
        if end > start:
            corpus.spans.append(Span(note["id"], c["code_id"], start, end, c.get("owner") or "",
                                     c["id"]))
    return corpus


# -- queries -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Passage:
    interview_id: str
    interview_code: str
    note_id: str
    note_kind: str
    start: int
    end: int
    text: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class QueryResult:
    expression: str
    scope: str
    passages: tuple[Passage, ...]
    interviews: tuple[str, ...]
    #: the filters it ran under, written with an export
    filters: Filters = Filters()


def run_query(ws: Workspace, expression: str, *, scope: str = "passage",
              filters: Filters | None = None) -> QueryResult:
    """Passages (or interviews) where ``expression`` holds; see :mod:`fieldapp.analysis.query`."""
    if scope not in SCOPES:
        raise ValueError(scope)
    corpus = load(ws, filters)
    node = query_mod.parse(expression, corpus.resolve)
    shown = query_mod.positive_codes(node)
    if scope == "passage":
        parts = [s for s in segments(corpus.spans) if query_mod.matches(node, s.all_codes())]
        runs = merge_adjacent(parts)
    else:
        by_interview: dict[str, set[str]] = {}
        for span in corpus.spans:
            interview = corpus.notes[span.note_id]["interview_id"]
            by_interview.setdefault(interview, set()).add(span.code_id)
        hits = {i for i, used in by_interview.items() if query_mod.matches(node, frozenset(used))}
        # What to show of a matching interview: the passages of the codes the query asks for.
        runs = merge_adjacent([s for s in segments(
            [sp for sp in corpus.spans if corpus.notes[sp.note_id]["interview_id"] in hits])
            if s.all_codes() & shown])
    passages = []
    by_note: dict[str, list[Span]] = {}  # each passage looks only at its own note's spans
    for sp in corpus.spans:
        by_note.setdefault(sp.note_id, []).append(sp)
    for note_id, start, end in runs:
        note = corpus.notes[note_id]
        interview = corpus.interviews[note["interview_id"]]
        here = {sp.code_id for sp in by_note.get(note_id, ())
                if sp.start < end and start < sp.end}
        passages.append(Passage(interview["id"], interview.get("code") or "", note_id,
                                note.get("kind") or "", start, end,
                                (note.get("body") or "")[start:end],
                                tuple(sorted(corpus.code_name(c) for c in here))))
    passages.sort(key=lambda p: (p.interview_code, p.note_id, p.start))
    interviews = tuple(dict.fromkeys(p.interview_id for p in passages))
    return QueryResult(expression, scope, tuple(passages), interviews, filters or Filters())


def export_query(ws: Workspace, result: QueryResult, path: Path) -> int:
    """Write a query's passages to an .xlsx file; returns the number of rows written."""
    from openpyxl import Workbook

    from fieldapp.export.cells import Redactor, clean
    from fieldapp.export.consent import IDENTITY_FIELDS, ConsentView

    participants = {p["id"]: p for p in records.list_records(ws, "participant")}
    consent = ConsentView(participants, records.list_records(ws, "consent"))
    redact = Redactor(str(x.get(f) or "") for x in records.list_records(ws, "identity")
                      for f in IDENTITY_FIELDS)
    interviews = {i["id"]: i for i in records.list_records(ws, "interview")}
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Query"))
    sheet.append([_("Query"), result.expression])
    # The interviews it looked at: passages found under a filter are not all there is.
    given = result.filters
    sheet.append([_("Case attribute filter"), "; ".join(given.where)])
    chosen = [(_("Site"), "、".join(given.sites)), (_("Sector"), "、".join(given.sectors)),
              (_("Language"), "、".join(given.languages)),
              (_("From"), given.date_from.isoformat() if given.date_from else ""),
              (_("To"), given.date_to.isoformat() if given.date_to else "")]
    sheet.append([_("Interview filter"), "; ".join(f"{label}: {value}"
                                                   for label, value in chosen if value)])
    sheet.append([_("Interview"), _("Note"), _("Start"), _("End"), _("Codes"), _("Passage")])
    withheld = _("[withheld: not every participant consented to verbatim quotes]")
    for p in result.passages:
        ids = interviews.get(p.interview_id, {}).get("participant_ids") or []
        text = redact(clean(p.text)[0]) if consent.may_quote(ids) else withheld
        sheet.append([p.interview_code, p.note_kind, p.start, p.end, "、".join(p.codes), text])
    tmp = path.with_name(f".{path.name}.partial")
    try:
        book.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a failed save leaves no half-written passages behind
    return len(result.passages)


# -- co-occurrence ---------------------------------------------------------------------------

def cooccurrence(ws: Workspace, *, scope: str = "passage",
                 filters: Filters | None = None) -> tuple[Corpus, cooccurrence_mod.Matrix]:
    corpus = load(ws, filters)
    interview_of = {n: note["interview_id"] for n, note in corpus.notes.items()}
    used = {s.code_id for s in corpus.spans}
    matrix = cooccurrence_mod.compute(corpus.spans, scope, interview_of=interview_of,
                                      codes=used)
    # Codes in the codebook's order, as the researcher arranged them.
    order = [c for c in corpus.codes if c in used]
    return corpus, cooccurrence_mod.Matrix(matrix.scope, tuple(order), matrix.counts,
                                           matrix.places)


# -- agreement -------------------------------------------------------------------------------

def coder_names(ws: Workspace) -> dict[str, str]:
    """Device id → the researcher's name (see :func:`fieldapp.services.team.member_names`)."""
    from fieldapp.services import team

    return team.member_names(ws)


def find_coder(ws: Workspace, name_or_id: str) -> str:
    """A coder named as a researcher's name or a device id (or its last characters)."""
    wanted = query_mod.fold_name(name_or_id)
    names = coder_names(ws)
    for device in coders(ws):
        if wanted in (query_mod.fold_name(names.get(device, "")), device.casefold()) or \
                (len(wanted) >= 6 and device.casefold().endswith(wanted)):
            return device
    raise query_mod.QueryError(_("No codings by “{name}” in this workspace.").format(
        name=name_or_id))


def coders(ws: Workspace, filters: Filters | None = None) -> list[str]:
    """Every coder (device) with codings, most codings first."""
    counts: dict[str, int] = {}
    for span in load(ws, filters).spans:
        counts[span.coder] = counts.get(span.coder, 0) + 1
    return sorted(counts, key=lambda c: (-counts[c], c))


def agreement(ws: Workspace, first: str | None = None, second: str | None = None, *,
              scope: str = "coded", filters: Filters | None = None
              ) -> tuple[Corpus, agreement_mod.Agreement]:
    """Agreement of two coders on the notes both coded (the two busiest if none are named)."""
    corpus = load(ws, filters)
    if first is None or second is None:
        busiest = coders(ws, filters)
        if len(busiest) < 2:
            raise query_mod.QueryError(_("Agreement needs codings by two coders on the same "
                                         "notes; this workspace has codings by {n}.").format(
                                             n=len(busiest)))
        first, second = first or busiest[0], second or busiest[1]
    lengths = {n: len(note.get("body") or "") for n, note in corpus.notes.items()}
    return corpus, agreement_mod.compare(corpus.spans, first, second, note_lengths=lengths,
                                         scope=scope)


# -- de-identification -----------------------------------------------------------------------

def known_names(ws: Workspace) -> list[deidentify_mod.KnownName]:
    """Registered names to look for, each with its pseudonym.

    A participant's pseudonym is their participant code and an organisation's its registry code
    (or, when it has none, a code made from its id): both are part of the record that travels
    with every bundle, so the same person or organisation gets the same pseudonym in every note
    and on every device, and nothing new needs to be kept.
    """
    names: list[deidentify_mod.KnownName] = []
    participants = {p["id"]: p for p in records.list_records(ws, "participant")}
    for identity in records.list_records(ws, "identity"):
        person = participants.get(identity.get("participant_id") or "")
        if person is None or not (identity.get("real_name") or "").strip():
            continue
        names.append(deidentify_mod.KnownName(identity["real_name"], "participant", person["id"],
                                              person.get("code") or ""))
    for org in records.list_records(ws, "organisation"):
        pseudonym = org.get("code") or "ORG-" + org["id"].replace("-", "")[-6:].upper()
        for name in (org.get("name_zh"), org.get("name_en")):
            if name and name.strip():
                names.append(deidentify_mod.KnownName(name, "organisation", org["id"],
                                                      pseudonym))
    return names


def deidentify(ws: Workspace, *, note_id: str | None = None, text: str | None = None,
               possible_names: bool = False) -> tuple[str, list[deidentify_mod.Finding]]:
    """The text (a note's body or the given text) and the identifiers found in it."""
    if (note_id is None) == (text is None):
        raise ValueError("give a note or a text")
    body = records.get(ws, "note", note_id)["body"] or "" if note_id is not None else text or ""
    return body, deidentify_mod.find(body, known_names(ws), possible_names=possible_names)


def deidentified_text(ws: Workspace, note_id: str,
                      findings: list[deidentify_mod.Finding]) -> str:
    """The note's text with the confirmed findings replaced, for a copy outside the workspace.

    The note itself is never changed: other researchers' codings point into it by offset, and
    replacing 王明 by KM-HIV-001 would move every passage after it. Writing the copy is audited.
    """
    body = records.get(ws, "note", note_id)["body"] or ""
    for f in findings:
        if body[f.start:f.end] != f.text:
            raise query_mod.QueryError(_("The note changed since it was checked; check it again "
                                         "before replacing anything."))
    ws.audit("note.deidentified_copy", {"note_id": note_id, "replaced": len(findings)})
    return deidentify_mod.apply(body, findings)
