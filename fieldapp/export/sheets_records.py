"""The fixed sheets: interviews, notes, codings, consent status, and (only when asked for)
identifiers. Text without verbatim-quote consent is left out of the quotable columns (note
bodies, coded passages) and flagged in a ``withheld`` column.

Each function takes the selection and returns one :class:`~fieldapp.export.table.Table` whose
rows are generated on every pass from the selection's streams (notes and codings are read from
the database in batches, one pass per writer pass); counts come from the records' small columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fieldapp.domain.schema import CONSENT_SCOPES
from fieldapp.export.consent import (
    IDENTITY_FIELDS,
    Selection,
    as_date,
    has_text,
    hlc_datetime,
    with_codings,
)
from fieldapp.export.sheets_survey import LOCAL_OFFSET
from fieldapp.export.table import Row, Table, sheet_title
from fieldapp.export.vocab import SCOPE_LABELS, Vocab
from fieldapp.i18n import N_

Record = dict[str, Any]


def interviews_table(sel: Selection, v: Vocab, used: set[str]) -> Table:
    c = v.column
    columns = [
        c("interview_id", N_("Interview id")), c("interview_code", N_("Interview code")),
        c("title", N_("Title"), free=True), c("site", N_("Site"), place="sites"),
        c("sector", N_("Sector"), place="sectors"), c("organisation", N_("Organisation")),
        c("participants", N_("Participants")), c("date", N_("Date"), "date"),
        c("place", N_("Place"), free=True), c("language", N_("Language"), enum="language"),
        c("interviewer", N_("Interviewer")), c("mode", N_("Mode"), enum="mode"),
        c("status", N_("Status"), enum="interview_status"), c("notes", N_("Notes"), "int"),
    ]
    notes_per: dict[str, int] = {}
    for n in sel.notes.light():
        notes_per[n["interview_id"]] = notes_per.get(n["interview_id"], 0) + 1

    def rows() -> Iterator[Row]:
        for i in sel.interviews:
            codes = [v.participant_code(p) or "" for p in i.get("participant_ids") or []]
            yield [i["id"], i.get("code"), i.get("title") or None, v.place("sites", i.get("site")),
                   v.place("sectors", i.get("sector")), v.organisation(i.get("organisation_id")),
                   "; ".join(codes) or None, as_date(i.get("date")), i.get("place") or None,
                   v.enum("language", i.get("language")), i.get("interviewer") or None,
                   v.enum("mode", i.get("mode")), v.enum("interview_status", i.get("status")),
                   notes_per.get(i["id"], 0)]

    return Table("interviews", sheet_title(v.tr(N_("Interviews")), used), columns, rows,
                 len(sel.interviews))


def notes_table(sel: Selection, v: Vocab, used: set[str]) -> Table:
    c = v.column
    columns = [
        c("note_id", N_("Note id")), c("interview_id", N_("Interview id")),
        c("interview_code", N_("Interview code")), c("kind", N_("Note type"), enum="note_kind"),
        c("title", N_("Title"), free=True), c("body", N_("Text"), free=True),
        c("withheld", N_("Text left out (no verbatim-quote consent)"), "flag"),
        c("characters", N_("Length in characters"), "int"),
    ]
    code_of = {i["id"]: i.get("code") for i in sel.interviews}

    def rows() -> Iterator[Row]:
        for n in sel.notes:
            quotable = n["interview_id"] in sel.quotable
            body = n.get("body") or ""
            yield [n["id"], n["interview_id"], code_of.get(n["interview_id"]),
                   v.enum("note_kind", n.get("kind")), (n.get("title") or None) if quotable else None,
                   (body or None) if quotable else None, 0 if quotable else 1, len(body)]

    return Table("notes", sheet_title(v.tr(N_("Notes")), used), columns, rows, sel.notes.count,
                 text_bound=sel.text_bounds.get("notes"))


def codings_table(sel: Selection, v: Vocab, used: set[str]) -> Table:
    c = v.column
    columns = [
        c("coding_id", N_("Coding id")), c("interview_code", N_("Interview code")),
        c("interview_id", N_("Interview id")), c("note_id", N_("Note id")),
        c("note_kind", N_("Note type"), enum="note_kind"), c("code_id", N_("Code id")),
        c("code", N_("Code")), c("code_path", N_("Code with its parents")),
        c("start", N_("Start (characters)"), "int"), c("end", N_("End (characters)"), "int"),
        c("may_quote", N_("Marked as quotable"), "flag"), c("passage", N_("Passage"), free=True),
        c("withheld", N_("Text left out (no verbatim-quote consent)"), "flag"),
        c("comment", N_("Comment"), free=True),
        c("code_definition", N_("Definition of the code"), free=True),
        c("coder", N_("Coder")), c("coded_at", N_("Coded (UTC)"), "datetime"),
        c("coded_at_local", N_("Coded (China Standard Time, UTC+8)"), "datetime"),
        c("participants", N_("Participants")), c("roles", N_("Roles of the participants")),
        c("organisation", N_("Organisation")), c("site", N_("Site"), place="sites"),
        c("sector", N_("Sector"), place="sectors"),
    ]
    code_of = {i["id"]: i.get("code") for i in sel.interviews}
    interviews = {i["id"]: i for i in sel.interviews}

    def rows() -> Iterator[Row]:
        for note, codings in with_codings(sel.notes, sel.codings):
            for x in codings:
                yield row(note, x)

    def row(note: Record, x: Record) -> Row:
        iid = note["interview_id"]
        quotable = iid in sel.quotable
        start, end = x.get("start_offset"), x.get("end_offset")
        passage = (note.get("body") or "")[start:end] if quotable else None
        interview = interviews.get(iid) or {}
        people = [v.participants.get(p) or {} for p in interview.get("participant_ids") or []]
        code = v.codes.get(x.get("code_id") or "") or {}
        coded = hlc_datetime(x.get("created_hlc"))
        return [x["id"], code_of.get(iid), iid, note["id"],
                v.enum("note_kind", note.get("kind")),
                x.get("code_id"), v.code_name(x.get("code_id")) or None,
                v.code_path(x.get("code_id")) or None, start, end,
                1 if x.get("may_quote") else 0, passage or None, 0 if quotable else 1,
                (x.get("comment") or None) if quotable else None,
                v.tr.pick(code.get("definition_zh"), code.get("definition_en")) or None,
                v.coders.get(str(x.get("owner") or "")) or x.get("owner") or None,
                coded, coded + LOCAL_OFFSET if coded else None,
                "; ".join(str(p.get("code") or "") for p in people) or None,
                "; ".join(str(p.get("role") or "") for p in people if p.get("role")) or None,
                v.organisation(interview.get("organisation_id")),
                v.place("sites", interview.get("site")),
                v.place("sectors", interview.get("sector"))]

    return Table("codings", sheet_title(v.tr(N_("Codings")), used), columns, rows,
                 sel.codings.count, text_bound=sel.text_bounds.get("codings"))


def code_tree_table(sel: Selection, v: Vocab, used: set[str]) -> Table:
    """The qualitative codebook: the code tree with bilingual names and definitions."""
    c = v.column
    columns = [
        c("code_id", N_("Code id")), c("parent_id", N_("Parent code id")),
        c("level", N_("Level in the tree"), "int"), c("code_path", N_("Code with its parents")),
        c("name_zh", N_("Name (Chinese)")), c("name_en", N_("Name (English)")),
        c("definition_zh", N_("Definition (Chinese)"), free=True),
        c("definition_en", N_("Definition (English)"), free=True),
        c("colour", N_("Colour")), c("codings", N_("Codings in this export"), "int"),
    ]
    uses: dict[str, int] = {}
    for x in sel.codings.light():
        uses[str(x.get("code_id"))] = uses.get(str(x.get("code_id")), 0) + 1
    children: dict[str | None, list[Record]] = {}
    for code in v.codes.values():
        up = code.get("parent_id")
        children.setdefault(up if up in v.codes else None, []).append(code)
    ordered: list[tuple[int, Record]] = []

    def walk(parent: str | None, depth: int, seen: frozenset[str]) -> None:
        for code in children.get(parent, []):
            if code["id"] not in seen:
                ordered.append((depth, code))
                walk(code["id"], depth + 1, seen | {code["id"]})

    walk(None, 1, frozenset())

    def rows() -> Iterator[Row]:
        for depth, code in ordered:
            yield [code["id"], code.get("parent_id") or None, depth,
                   v.code_path(code["id"]) or None, code.get("name_zh") or None,
                   code.get("name_en") or None, code.get("definition_zh") or None,
                   code.get("definition_en") or None, code.get("colour") or None,
                   uses.get(code["id"], 0)]

    return Table("code_tree", sheet_title(v.tr(N_("Code tree")), used), columns, rows,
                 len(ordered))


def consent_table(sel: Selection, v: Vocab, used: set[str], *, identifiers: bool) -> Table:
    c = v.column
    columns = [
        c("participant_id", N_("Participant id")), c("participant_code", N_("Participant code")),
        c("role", N_("Role")), c("organisation", N_("Organisation")),
        c("site", N_("Site"), place="sites"), c("sector", N_("Sector"), place="sectors"),
        c("status", N_("Consent status"), enum="consent_status"),
        c("form_version", N_("Consent form version")),
        c("language", N_("Consent language"), enum="language"),
        c("method", N_("Consent method"), enum="method"), c("date", N_("Consent date"), "date"),
    ]
    if identifiers:
        columns.append(c("witness", N_("Witness")))
    columns += [c(f"scope_{s}", SCOPE_LABELS[s], "flag") for s in CONSENT_SCOPES]
    by_participant: dict[str, list[Record]] = {}
    for k in sel.consents:
        by_participant.setdefault(k["participant_id"], []).append(k)
    people = sorted(sel.participants, key=lambda p: str(p.get("code") or ""))
    count = sum(max(1, len(by_participant.get(p["id"], []))) for p in people)

    def rows() -> Iterator[Row]:
        for p in people:
            head = [p["id"], p.get("code"), p.get("role") or None,
                    v.organisation(p.get("organisation_id")), v.place("sites", p.get("site")),
                    v.place("sectors", p.get("sector"))]
            records = sorted(by_participant.get(p["id"], []), key=lambda k: k.get("date") or "")
            if not records:
                blank = [None] * (len(columns) - len(head) - 1)
                yield [*head, v.enum("consent_status", "none"), *blank]
                continue
            for k in records:
                scopes = set(k.get("scopes") or [])
                given = k.get("status") == "given"
                row = [*head, v.enum("consent_status", k.get("status")), k.get("form_version"),
                       v.enum("language", k.get("language")), v.enum("method", k.get("method")),
                       as_date(k.get("date"))]
                if identifiers:
                    row.append(k.get("witness") or None)
                row += [1 if given and s in scopes else 0 for s in CONSENT_SCOPES]
                yield row

    return Table("consent", sheet_title(v.tr(N_("Consent")), used), columns, rows, count)


def identifiers_table(sel: Selection, v: Vocab, used: set[str]) -> Table:
    c = v.column
    labels = {"real_name": N_("Real name"), "phone": N_("Phone"), "wechat": N_("WeChat"),
              "email": N_("E-mail"), "other": N_("Other identifying details")}
    columns = [c("participant_id", N_("Participant id")),
               c("participant_code", N_("Participant code"))]
    columns += [c(f, labels[f]) for f in IDENTITY_FIELDS]

    def rows() -> Iterator[Row]:
        for x in sel.identities:
            yield [x["participant_id"], v.participant_code(x["participant_id"]),
                   *[x.get(f) or None for f in IDENTITY_FIELDS]]

    return Table("identifiers", sheet_title(v.tr(N_("Identifiers")), used), columns, rows,
                 len(sel.identities))


def withheld_counts(sel: Selection) -> dict[str, int]:
    notes = sum(1 for n in sel.notes.light() if n["interview_id"] not in sel.quotable
                and has_text(n))
    passages = sum(1 for x in sel.codings.light() if x["_interview_id"] not in sel.quotable)
    return {k: n for k, n in (("notes", notes), ("codings", passages)) if n}
