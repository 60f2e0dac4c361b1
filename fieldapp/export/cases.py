"""The mixed-methods case table, and case attributes beside coded segments and in REFI-QDA.

**Case table**: two sheets, "Cases (organisations)" and "Cases (participants)", one row per
case, in this order of columns:

1. who the case is: its id, its code or name (an organisation whose naming lacks consent by its
   pseudonymous code, as everywhere), kind or role, site, sector; a participant's real name only
   when the export includes identifiers;
2. its **case attributes**, one column each, typed (numbers, dates; a choice as its label, or
   its value when values are codes);
3. **survey answers** per form: how many *complete* responses are linked to the case
   (``<form>/_responses``) and the answers of the *latest* of them (by completion time), with
   its ``KEY`` so it joins the form's own sheet. The latest, because a case table describes
   each case once, as it now stands: a form answered in several waves has its earlier waves on
   its own sheet, one row each, and the count says there are more. An organisation's responses
   are those naming it; a participant's, those naming them. Open answers without quote consent
   are left out, as on the form's sheet;
4. **code counts**: for each code, the number of coded passages in the case's interviews (an
   organisation's interviews are those naming it or one of its people), counted over what the
   export keeps (consent, filters); children are not added into their parent.

Withdrawn participants are absent (and their responses and interviews with them).

**Coded segments**: the codings sheet gains the attributes of the interview's organisation
(typed) and of its participants (as text, joined with "; " when an interview has several).

**REFI-QDA**: every attribute becomes a ``Variable`` (number → Float, date → Date, text and
choice → Text) with a ``VariableValue`` on each participant's case; organisations become cases
too, with their attributes and the notes of their interviews.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from fieldapp.analysis.attributes import Attribute
from fieldapp.export.consent import ExportData, Selection, Stream, as_date
from fieldapp.export.labels import both
from fieldapp.export.sheets_survey import SurveySheets, _version_key, answers
from fieldapp.export.table import Column, ColumnDoc, Kind, Row, Table, sheet_title
from fieldapp.export.vocab import Vocab
from fieldapp.i18n import N_

Record = dict[str, Any]
_KIND: dict[str, Kind] = {"number": "real", "date": "date", "text": "text", "choice": "text"}
_DOC_TYPE = {"number": "decimal", "date": "date", "text": "text", "choice": "select_one"}
_REFI_TYPE = {"number": "Float", "date": "Date", "text": "Text", "choice": "Text"}


class CaseData:
    """The attributes and their values, and which interviews belong to which case."""

    def __init__(self, data: ExportData, sel: Selection, v: Vocab) -> None:
        self.v = v
        self.attributes = sorted(
            (Attribute.from_record(r) for r in data.attributes),
            key=lambda a: (a.applies_to != "organisation", a.sort_order, a.name))
        live = {a.id: a for a in self.attributes}
        self.values: dict[tuple[str, str], Any] = {}
        for r in data.attribute_values:
            attr = live.get(str(r.get("attribute_id") or ""))
            if attr is None or r.get("value") is None:
                continue
            case = r.get("participant_id" if attr.applies_to == "participant"
                         else "organisation_id")
            if case:
                self.values[(attr.id, str(case))] = r["value"]
        self.people = {p["id"] for p in sel.participants}
        org_of = {p["id"]: p.get("organisation_id") for p in data.participants.values()}
        #: interview id -> the organisations and participants it belongs to
        self.interview_orgs: dict[str, set[str]] = {}
        self.interview_people: dict[str, list[str]] = {}
        for i in sel.interviews:
            people = [str(p) for p in i.get("participant_ids") or []]
            orgs = {i.get("organisation_id"), *(org_of.get(p) for p in people)}
            self.interview_orgs[i["id"]] = {str(o) for o in orgs if o}
            self.interview_people[i["id"]] = people

    def of(self, kind: str) -> list[Attribute]:
        return [a for a in self.attributes if a.applies_to == kind]

    def cell(self, attr: Attribute, case_id: str | None) -> Any:
        """The value as a spreadsheet holds it."""
        value = self.values.get((attr.id, case_id or ""))
        if value is None or value == "":
            return None
        if attr.type == "number":
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) \
                else None
        if attr.type == "date":
            return as_date(value)
        if attr.type == "choice":
            choice = attr.choice(value)
            if self.v.codes_only or choice is None:
                return str(value)
            return self.v.tr.pick(choice.label_zh, choice.label_en) or str(value)
        return str(value)

    def column(self, attr: Attribute, *, kind: Kind | None = None, prefix: str = "") -> Column:
        tr = self.v.tr
        label = tr.pick(attr.label_zh, attr.label_en) or attr.name
        en_choices = "; ".join(f"{c.value}={c.label_en or c.label_zh or c.value}"
                               for c in attr.choices)
        zh_choices = "; ".join(f"{c.value}={c.label_zh or c.label_en or c.value}"
                               for c in attr.choices)
        doc = ColumnDoc(_DOC_TYPE[attr.type], attr.label_en or attr.name,
                        attr.label_zh or attr.name, en_choices, zh_choices)
        column = Column(f"{prefix}{attr.name}", f"{label}", kind or _KIND[attr.type],
                        attr.type == "text", doc)
        if attr.type == "choice" and kind is None:
            column.choices = [(c.value, tr.pick(c.label_zh, c.label_en) or c.value)
                              for c in attr.choices]
        return column


# -- the case table --------------------------------------------------------------------------

class _Forms:
    """Per form: the complete responses linked to each case and the columns of the latest."""

    def __init__(self, sel: Selection, v: Vocab, kind: str) -> None:
        self.kind = kind
        field = "participant_id" if kind == "participant" else "organisation_id"
        forms: dict[str, list[tuple[Record, Any]]] = {}
        for record, inst in sel.instruments:
            forms.setdefault(str(record.get("form_id") or record["id"]), []).append(
                (record, inst))
        self.sheets: list[tuple[str, SurveySheets, dict[str, Record], dict[str, int]]] = []
        self.widths: dict[str, int] = {}
        for form_id, versions in forms.items():
            versions.sort(key=lambda x: _version_key(x[0].get("version")), reverse=True)
            ids = {str(r["id"]) for r, _inst in versions}
            mine = [r for r in sel.responses if str(r.get("instrument_id")) in ids
                    and r.get("status") == "complete" and r.get(field)]
            if not mine:
                continue
            latest: dict[str, Record] = {}
            counts: dict[str, int] = {}
            for r in sorted(mine, key=lambda r: (str(r.get("completed_at") or ""),
                                                 str(r.get("created_hlc") or ""))):
                case = str(r[field])
                latest[case] = r
                counts[case] = counts.get(case, 0) + 1
            (record, inst), older = versions[0], versions[1:]
            # The case table holds, per form, the complete responses linked to a case (the
            # latest of each case is written): a form's case-linked responses, not all of them.
            sheets = SurveySheets(record, inst, Stream.of(mine), v, codes=v.codes_only,
                                  older=older, quotable=sel.may_quote_response)
            self.sheets.append((form_id, sheets, latest, counts))

    def columns(self) -> list[Column]:
        out: list[Column] = []
        for form_id, sheets, _latest, _counts in self.sheets:
            title = sheets.instrument.title(sheets.lang) or form_id
            n_en, n_zh = both(N_("Complete responses"))
            out.append(Column(f"{form_id}/_responses", f"{title}: {sheets.tr(N_('Complete responses'))}",
                              "int", False, ColumnDoc("integer", f"{form_id}: {n_en}",
                                                      f"{form_id}：{n_zh}")))
            out.append(Column(f"{form_id}/_KEY", f"{title}: KEY", "text", False,
                              ColumnDoc("text", f"{form_id}: KEY of the latest response",
                                        f"{form_id}：最新答卷的 KEY")))
            for node, _rel in sheets.root.variables:
                for c in sheets._variable_columns(node):
                    out.append(Column(f"{form_id}/{c.key}", f"{title}: {c.label}", c.kind,
                                      c.free_text, c.doc, c.choices, c.question))
        return out

    def cells(self, case_id: str) -> list[Any]:
        out: list[Any] = []
        for _form_id, sheets, latest, counts in self.sheets:
            r = latest.get(case_id)
            if r is None:
                width = self.widths.setdefault(_form_id, sum(
                    len(sheets._variable_columns(node)) for node, _rel in sheets.root.variables))
                out += [0, None] + [None] * width
                continue
            out += [counts.get(case_id, 0), f"uuid:{r['id']}"]
            out += sheets._values(sheets.root, answers(r), sheets.may_quote(r),
                                  have=sheets._have(r))
        return out


def _code_counts(sel: Selection, v: Vocab, cases: CaseData, kind: str
                 ) -> tuple[list[Column], dict[str, dict[str, int]]]:
    interview_of = {n["id"]: n["interview_id"] for n in sel.notes.light()}
    counts: dict[str, dict[str, int]] = {}
    for x in sel.codings.light():
        iid = interview_of.get(x.get("note_id") or "")
        if iid is None:
            continue
        owners = cases.interview_people.get(iid, []) if kind == "participant" \
            else sorted(cases.interview_orgs.get(iid, set()))
        for case in owners:
            per = counts.setdefault(case, {})
            per[str(x.get("code_id"))] = per.get(str(x.get("code_id")), 0) + 1
    columns = []
    seen: set[str] = set()
    for code_id in v.codes:
        name = v.code_name(code_id) or code_id
        if f"code:{name}".casefold() in seen:  # two codes of one name under other parents
            name = f"{name} ({code_id[-6:]})"
        seen.add(f"code:{name}".casefold())
        en, zh = v.code_name(code_id, _lang("en")), v.code_name(code_id, _lang("zh_CN"))
        columns.append(Column(f"code:{name}", f"{v.tr(N_('Coded passages'))}: {name}", "int",
                              False, ColumnDoc("integer", f"Coded passages: {en}",
                                               f"编码片段数：{zh}")))
    return columns, counts


def _lang(language: str) -> Any:
    from fieldapp.export.labels import Translator

    return Translator(language)


def case_tables(data: ExportData, sel: Selection, v: Vocab, used: set[str], *,
                identifiers: bool = False) -> list[Table]:
    """The case table's two sheets (see the module's description)."""
    cases = CaseData(data, sel, v)
    c = v.column
    out: list[Table] = []
    org_rows = list(data.organisations.values())
    for kind in ("organisation", "participant"):
        attrs = cases.of(kind)
        forms = _Forms(sel, v, kind)
        code_columns, code_counts = _code_counts(sel, v, cases, kind)
        if kind == "organisation":
            head = [c("organisation_id", N_("Organisation id")),
                    c("organisation", N_("Organisation")), c("kind", N_("Kind")),
                    c("site", N_("Site"), place="sites"), c("sector", N_("Sector"),
                                                            place="sectors")]
            rows_of: list[Record] = org_rows
            title, key = N_("Cases (organisations)"), "cases_organisations"
        else:
            head = [c("participant_id", N_("Participant id")),
                    c("participant_code", N_("Participant code")), c("role", N_("Role")),
                    c("organisation", N_("Organisation")),
                    c("site", N_("Site"), place="sites"), c("sector", N_("Sector"),
                                                            place="sectors")]
            if identifiers:
                head.append(c("real_name", N_("Real name")))
            rows_of = sorted(sel.participants, key=lambda p: str(p.get("code") or ""))
            title, key = N_("Cases (participants)"), "cases_participants"
        columns = head + [cases.column(a) for a in attrs] + forms.columns() + code_columns
        names = {x["participant_id"]: x.get("real_name") for x in sel.identities}

        def rows(kind: str = kind, rows_of: list[Record] = rows_of,
                 attrs: list[Attribute] = attrs, forms: _Forms = forms,
                 code_counts: dict[str, dict[str, int]] = code_counts,
                 names: dict[str, Any] = names) -> Iterator[Row]:
            for r in rows_of:
                if kind == "organisation":
                    first = [r["id"], v.organisation(r["id"]), r.get("kind") or None,
                             v.place("sites", r.get("site")), v.place("sectors", r.get("sector"))]
                else:
                    first = [r["id"], r.get("code"), r.get("role") or None,
                             v.organisation(r.get("organisation_id")),
                             v.place("sites", r.get("site")), v.place("sectors", r.get("sector"))]
                    if identifiers:
                        first.append(names.get(r["id"]) or None)
                counts = code_counts.get(r["id"], {})
                yield [*first, *(cases.cell(a, r["id"]) for a in attrs), *forms.cells(r["id"]),
                       *(counts.get(code_id, 0) for code_id in v.codes)]

        out.append(Table(key, sheet_title(v.tr(title), used), columns, rows, len(rows_of)))
    return out


# -- coded segments ----------------------------------------------------------------------------

def with_case_attributes(table: Table, data: ExportData, sel: Selection, v: Vocab) -> Table:
    """The codings sheet with the attributes of each segment's organisation and participants."""
    cases = CaseData(data, sel, v)
    orgs, people = cases.of("organisation"), cases.of("participant")
    if not orgs and not people:
        return table
    where = [col.key for col in table.columns].index("interview_id")
    interviews = {i["id"]: i for i in sel.interviews}
    columns = [*table.columns, *(cases.column(a) for a in orgs),
               *(cases.column(a, kind="text") for a in people)]
    rows_before = table.rows

    def rows() -> Iterator[Row]:
        for row in rows_before():
            interview = interviews.get(str(row[where])) or {}
            org = interview.get("organisation_id") or next(
                iter(sorted(cases.interview_orgs.get(str(row[where]), set()))), None)
            who = cases.interview_people.get(str(row[where]), [])
            extra: list[Any] = [cases.cell(a, org) for a in orgs]
            for a in people:
                found = [cases.cell(a, p) for p in who]
                texts = [str(x) for x in found if x is not None]
                extra.append("; ".join(texts) or None)
            yield [*row, *extra]

    return Table(table.key, table.title, columns, rows, table.size, table.meta,
                 text_bound=table.text_bound)


# -- REFI-QDA ----------------------------------------------------------------------------------

class RefiCases:
    """What :class:`fieldapp.export.refi.ProjectBuilder` adds to its cases."""

    def __init__(self, data: ExportData, sel: Selection, v: Vocab) -> None:
        self.cases = CaseData(data, sel, v)
        self.v = v
        described = {k[1] for k in self.cases.values}  # cases with an attribute value
        self.organisations = sorted(
            {o for orgs in self.cases.interview_orgs.values() for o in orgs
             if o in data.organisations} | {o for o in data.organisations if o in described})

    def variables(self) -> list[tuple[str, str, str]]:
        """(guid key, name, typeOfVariable) of each attribute."""
        return [(f"attribute:{a.id}", self.v.tr.pick(a.label_zh, a.label_en) or a.name,
                 _REFI_TYPE[a.type]) for a in self.cases.attributes]

    def values(self, case_id: str, kind: str) -> list[tuple[str, str, str]]:
        """(guid key, element name, text) of each value of a case."""
        out = []
        for a in self.cases.of(kind):
            cell = self.cases.cell(a, case_id)
            if cell is None:
                continue
            if a.type == "number":
                text = format(Decimal(str(cell)), "f")
                out.append((f"attribute:{a.id}", "FloatValue", text))
            elif a.type == "date":
                out.append((f"attribute:{a.id}", "DateValue", cell.isoformat()))
            else:
                out.append((f"attribute:{a.id}", "TextValue", str(cell)))
        return out

    def organisation_cases(self) -> list[tuple[str, str, list[str]]]:
        """(organisation id, name as the export shows it, ids of interviews) per organisation;
        none when no attribute describes organisations (participants stay the only cases)."""
        out: list[tuple[str, str, list[str]]] = []
        if not self.cases.of("organisation"):
            return out
        # Each organisation's interviews, gathered in one pass over the interviews (not one
        # pass per organisation).
        by_org: dict[str, list[str]] = {}
        for interview, orgs in self.cases.interview_orgs.items():
            for o in orgs:
                by_org.setdefault(o, []).append(interview)
        for oid in self.organisations:
            out.append((oid, self.v.organisation(oid) or oid, sorted(by_org.get(oid, ()))))
        return out
