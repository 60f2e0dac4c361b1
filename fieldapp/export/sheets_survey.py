"""Survey sheets, laid out as KoboToolbox and ODK Central do.

One sheet per *form*, with every version of it merged (``_version`` says which version a
response was answered with), and one per repeat group — not one per version: analysts pool the
waves of a survey, KoboToolbox and ODK Central export a form this way, and a sheet per version
would split the same question over several sheets. Columns are the newest version's questions
in its order, followed by questions only older versions had; a question a response's version
did not have is blank (in statistics files: "not asked"). Labels and choices are the newest
version's.

A response is one row of the main sheet; each repeat instance is one row of its repeat's sheet.
Rows carry stable keys, as ODK does: ``KEY`` is ``uuid:<response id>`` on the main sheet and
``uuid:<response id>/<repeat path>[n]`` on a repeat's (n counts the instances as the form
holds them), and ``PARENT_KEY`` is the parent row's ``KEY``, so two exports, however filtered,
join. ``_index`` / ``_parent_index`` (row numbers in this export) are kept for convenience. A
repeat instance with no answer at all is left out.

Time: ``_created`` and ``_completed`` are in UTC; ``_created_local`` and ``_completed_local``
are the same moments in China Standard Time (UTC+8, the study's fieldwork time zone).

Groups are flattened: a question's variable name is its path (``org/n_staff``). A
select_multiple question gives its answer joined (codes separated by spaces, or labels by "; ")
and one 0/1 column per choice (``sectors/hiv``), blank when the question was not answered.

Open answers (text questions, and calculations that are not numbers) of a response whose
participants did not all consent to verbatim quotes are left out, and ``_text_withheld`` says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fieldapp.export.consent import Stream, hlc_datetime
from fieldapp.export.labels import both
from fieldapp.export.table import (
    NOT_ASKED,
    Column,
    ColumnDoc,
    Kind,
    Row,
    Table,
    sheet_title,
    unique_headers,
)
from fieldapp.export.vocab import ENUMS, Vocab
from fieldapp.i18n import N_
from fieldapp.survey import Instrument, Node
from fieldapp.survey.engine import FormState
from fieldapp.survey.model import INPUT_TYPES, META_TYPES, pick_text
from fieldapp.survey.program import Program

Record = dict[str, Any]
_REVIEW_LABELS = {"approved": N_("Approved"), "has_issues": N_("Has issues"),
                  "rejected": N_("Rejected")}
_GEO_PARTS = (("Latitude", N_("latitude")), ("Longitude", N_("longitude")),
              ("Altitude", N_("altitude")), ("Accuracy", N_("accuracy")))
_Instance = tuple[int, int, Record, Any, tuple[int, ...], str, str]
_KINDS: dict[str, Kind] = {"integer": "int", "decimal": "real", "date": "date", "today": "date",
                           "datetime": "datetime", "start": "datetime", "end": "datetime",
                           "time": "time"}


@dataclass
class _Level:
    """The main sheet (node None) or one repeat's sheet."""

    node: Node | None
    rel: tuple[str, ...]  # from the parent level's instance to this repeat's list
    variables: list[tuple[Node, tuple[str, ...]]] = field(default_factory=list)
    children: list[_Level] = field(default_factory=list)
    parent: _Level | None = None
    title: str = ""


def _collect(nodes: list[Node], level: _Level, prefix: tuple[str, ...]) -> None:
    for node in nodes:
        if node.type == "group":
            _collect(node.children, level, (*prefix, node.name))
        elif node.type == "repeat":
            child = _Level(node, (*prefix, node.name), parent=level)
            level.children.append(child)
            _collect(node.children, child, ())
        elif node.type in INPUT_TYPES or node.type in META_TYPES or node.type == "calculate":
            level.variables.append((node, (*prefix, node.name)))


def _levels(level: _Level) -> Iterator[_Level]:
    yield level
    for child in level.children:
        yield from _levels(child)


def _dig(data: Any, rel: tuple[str, ...]) -> Any:
    for segment in rel:
        if not isinstance(data, dict):
            return None
        data = data.get(segment)
    return data


def _empty(data: Any) -> bool:
    """An instance with no answer anywhere in it (the engine starts every repeat with one)."""
    if isinstance(data, dict):
        return all(_empty(v) for v in data.values())
    if isinstance(data, list):
        return all(_empty(v) for v in data)
    return data is None or data == ""


def convert(node_type: str, raw: Any) -> Any:
    """An answer as the spreadsheet should hold it: numbers, dates and times as such."""
    if raw is None or raw == "":
        return None
    try:
        if node_type == "integer":
            try:
                return int(raw)
            except ValueError:
                # a calculation declared "int" whose result has a fraction: truncated, as
                # ODK Collect stores it
                return int(float(str(raw)))
        if node_type == "decimal":
            return float(raw)
        if node_type in ("date", "today"):
            return date.fromisoformat(str(raw)[:10])
        if node_type in ("datetime", "start", "end"):
            return datetime.fromisoformat(str(raw)).replace(tzinfo=None)
        if node_type == "time":
            return time.fromisoformat(str(raw)).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError):
        return str(raw)
    return raw if isinstance(raw, str) else str(raw)


def _is_open(node: Node, raw: Any) -> bool:
    """An answer in the participant's own words: text, or a calculation that is not a number
    (nor declared as a number, date or time)."""
    if raw is None or raw == "":
        return False
    if node.value_type in _KINDS:
        return False
    if node.type == "text":
        return True
    if node.type == "calculate":
        try:
            float(str(raw))
        except ValueError:
            return True
    return False


def answers(r: Record) -> dict[str, Any]:
    """A response's answers: stored JSON text is decoded here, one row at a time."""
    data = r.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {}
    return data if isinstance(data, dict) else {}


def _merge(into: _Level, other: _Level) -> None:
    """Add to ``into`` the questions and repeats only ``other`` (an older version) has."""
    have = {node.path for node, _rel in into.variables}
    into.variables += [(n, rel) for n, rel in other.variables if n.path not in have]
    children = {c.node.path: c for c in into.children if c.node is not None}
    for child in other.children:
        if child.node is not None and child.node.path in children:
            _merge(children[child.node.path], child)
        else:
            child.parent = into
            into.children.append(child)


def _paths(instrument: Instrument) -> set[str]:
    return {n.path for top in instrument.children for n in top.walk()}


def _utc(value: Any) -> datetime | None:
    """An ISO time as naive UTC (a time without an offset is taken as UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def local_time(utc: datetime | None) -> datetime | None:
    """A naive UTC time in China Standard Time (UTC+8, no daylight saving)."""
    return utc + LOCAL_OFFSET if utc is not None else None


LOCAL_OFFSET = timedelta(hours=8)


class SurveySheets:
    def __init__(self, record: Record, instrument: Instrument, responses: Stream,
                 vocab: Vocab, *, codes: bool,
                 older: Sequence[tuple[Record, Instrument]] = (),
                 quotable: Callable[[Record], bool] | None = None, not_asked: bool = False,
                 text_bound: Callable[[], int] | None = None) -> None:
        """``record``/``instrument``: the form's newest version; ``older``: its other
        versions, merged into the same sheets; ``responses``: of every version, read afresh
        (in batches) on every pass over a sheet."""
        self.record, self.instrument, self.responses = record, instrument, responses
        versions = [(record, instrument), *older]
        self.versions = {str(r["id"]): inst for r, inst in versions}
        self.paths = {rid: _paths(inst) for rid, inst in self.versions.items()}
        #: tell "not asked" (skip logic) from "not answered": evaluates each response's form
        self.programs = ({rid: Program(inst) for rid, inst in self.versions.items()}
                         if not_asked else None)
        self.not_asked = not_asked
        self._last: tuple[str, FormState | None] = ("", None)
        #: whether a response's open answers may be exported (None: all)
        self.quotable = quotable
        self.text_bound = text_bound
        self.v, self.tr, self.codes = vocab, vocab.tr, codes
        self.lang = instrument.resolve_language(vocab.tr.language)
        self.root = _Level(None, ())
        _collect(instrument.children, self.root, ())
        for _record, inst in older:
            other = _Level(None, ())
            _collect(inst.children, other, ())
            _merge(self.root, other)

    # -- columns -----------------------------------------------------------------------------

    def _texts(self, texts: dict[str, str], language: str) -> str:
        return pick_text(texts, language, self.instrument.default_language)

    def _choice_doc(self, node: Node, language: str) -> str:
        lst = self.instrument.choice_lists.get(node.list_name)
        if lst is None:
            return ""
        return "; ".join(f"{c.name}={c.label(language, self.instrument.default_language)}"
                         for c in lst.choices)

    def _variable_columns(self, node: Node) -> list[Column]:
        label = self._texts(node.labels, self.lang) or node.name
        doc = ColumnDoc(f"{node.type} {node.list_name or node.data_type}".strip(),
                        self._texts(node.labels, "en"), self._texts(node.labels, "zh"),
                        self._choice_doc(node, "en"), self._choice_doc(node, "zh"))
        free = node.value_type in ("text", "calculate")
        columns = [Column(node.path, label, _KINDS.get(node.value_type, "text"), free, doc,
                          question=True)]
        if node.type == "select_one":
            lst = self.instrument.choice_lists.get(node.list_name)
            columns[0].choices = [(c.name, c.label(self.lang, self.instrument.default_language))
                                  for c in (lst.choices if lst else [])]
        if node.type == "geopoint":  # as ODK Central: q-Latitude, q-Longitude ...
            for suffix, part in _GEO_PARTS:
                en, zh = both(part)
                columns.append(Column(f"{node.path}-{suffix}", f"{label}: {self.tr(part)}",
                                      "real", False, ColumnDoc("decimal", f"{doc.label_en}: {en}",
                                                               f"{doc.label_zh}: {zh}")))
        if node.type == "select_multiple":
            lst = self.instrument.choice_lists.get(node.list_name)
            for c in lst.choices if lst else []:
                en, zh = (c.label(x, self.instrument.default_language) for x in ("en", "zh"))
                cdoc = ColumnDoc("0/1", f"{doc.label_en}: {en}", f"{doc.label_zh}: {zh}",
                                 "0=no; 1=yes", "0=否; 1=是")
                columns.append(Column(f"{node.path}/{c.name}",
                                      f"{label}: {c.label(self.lang, '')}", "flag", False, cdoc,
                                      question=True))
        return columns

    def _meta(self, key: str, label: str, kind: Kind = "text", choices: str = "") -> Column:
        en, zh = both(label)
        doc = ColumnDoc({"int": "integer", "datetime": "dateTime"}.get(kind, "text"), en, zh)
        coded = None
        if choices:
            doc.choices_en, doc.choices_zh = self.v.enum_choices(choices)
            coded = [(c, self.tr(m)) for c, m in ENUMS[choices].items()]
        keep = (key.startswith("_") and "index" in key) or key in ("KEY", "PARENT_KEY")
        return Column(key, key if keep else self.tr(label), kind, False, doc, choices=coded)

    def _main_meta(self) -> list[Column]:
        m = self._meta
        return [
            m("_index", N_("Row number in this sheet"), "int"),
            m("KEY", N_("Row key (stable across exports)")),
            m("_response_id", N_("Response id")),
            m("_version", N_("Instrument version")),
            m("_status", N_("Response status"), choices="response_status"),
            m("_researcher", N_("Researcher")), m("_site", N_("Site")),
            m("_sector", N_("Sector")), m("_participant", N_("Participant code")),
            m("_organisation", N_("Organisation")), m("_interview", N_("Interview code")),
            m("_created", N_("Created (UTC)"), "datetime"),
            m("_created_local", N_("Created (China Standard Time, UTC+8)"), "datetime"),
            m("_completed", N_("Completed (UTC)"), "datetime"),
            m("_completed_local", N_("Completed (China Standard Time, UTC+8)"), "datetime"),
            m("_text_withheld", N_("Text left out (no verbatim-quote consent)"), "flag"),
        ]

    def _review_meta(self) -> list[Column]:
        """After the answers: the coordinator's latest review and the corrections count."""
        m = self._meta
        return [m("_review", N_("Review")), m("_review_comment", N_("Review comment")),
                m("_corrections", N_("Answers corrected after completion"), "int")]

    def _repeat_meta(self) -> list[Column]:
        m = self._meta
        return [m("_index", N_("Row number in this sheet"), "int"),
                m("_parent_index", N_("Row number of the parent row"), "int"),
                m("_parent_table", N_("Sheet of the parent row")),
                m("_response_id", N_("Response id")),
                m("KEY", N_("Row key (stable across exports)")),
                m("PARENT_KEY", N_("Key of the parent row"))]

    # -- values ------------------------------------------------------------------------------

    def _label(self, node: Node, code: str) -> str:
        lst = self.instrument.choice_lists.get(node.list_name)
        choice = lst.get(code) if lst else None
        return choice.label(self.lang, self.instrument.default_language) if choice else code

    def _cells(self, node: Node, raw: Any) -> list[Any]:
        if raw is NOT_ASKED:
            width = 1
            if node.type == "select_multiple":
                lst = self.instrument.choice_lists.get(node.list_name)
                width += len(lst.choices) if lst else 0
            return [NOT_ASKED] * width
        if node.type == "select_one":
            if raw is None or raw == "":
                return [None]
            return [str(raw) if self.codes else self._label(node, str(raw))]
        if node.type == "select_multiple":
            lst = self.instrument.choice_lists.get(node.list_name)
            names = [c.name for c in lst.choices] if lst else []
            if raw is None:
                return [None] + [None] * len(names)
            picked = raw.split() if isinstance(raw, str) else [str(x) for x in raw]
            joined = (" ".join(picked) if self.codes
                      else "; ".join(self._label(node, p) for p in picked))
            chosen = set(picked)
            return [joined or None] + [1 if n in chosen else 0 for n in names]
        if node.type == "geopoint":
            parts: list[Any] = [None] * 4
            if raw:
                for i, text in enumerate(str(raw).split()[:4]):
                    try:
                        parts[i] = float(text)
                    except ValueError:
                        parts[i] = None
            return [raw or None, *parts]
        if node.type == "rank" and isinstance(raw, list):
            return [" ".join(raw) if self.codes
                    else "; ".join(self._label(node, p) for p in raw)]
        if node.type in ("image", "audio", "video", "file") and raw:
            return [str(raw).partition("/")[2] or str(raw)]
        return [convert(node.value_type, raw)]

    def _values(self, level: _Level, instance: Any, open_text: bool = True,
                state: FormState | None = None, idx: tuple[int, ...] = (),
                have: set[str] | None = None) -> list[Any]:
        out: list[Any] = []
        missing = NOT_ASKED if self.not_asked else None
        for node, rel in level.variables:
            if have is not None and node.path not in have:  # not in the response's version
                out.extend(self._cells(node, NOT_ASKED) if missing is NOT_ASKED
                           else self._cells(node, None))
                continue
            raw = _dig(instance, rel)
            if not open_text and _is_open(node, raw):
                raw = None
            if state is not None and not state.relevant.get((node.path, idx), True):
                raw = NOT_ASKED
            out.extend(self._cells(node, raw))
        return out

    def _state(self, r: Record) -> FormState | None:
        """The response's form, evaluated (only when "not asked" is told apart)."""
        if self.programs is None:
            return None
        if self._last[0] != r["id"]:
            rid = str(r.get("instrument_id") or "")
            try:
                state: FormState | None = FormState(
                    self.versions[rid], answers(r), program=self.programs[rid])
            except Exception:
                state = None
            self._last = (r["id"], state)
        return self._last[1]

    def _have(self, r: Record) -> set[str] | None:
        return self.paths.get(str(r.get("instrument_id") or ""))

    def may_quote(self, r: Record) -> bool:
        return self.quotable is None or self.quotable(r)

    # -- tables ------------------------------------------------------------------------------

    def _main_row(self, index: int, r: Record) -> list[Any]:
        v = self.v
        done = _utc(r.get("completed_at"))
        created = hlc_datetime(r.get("created_hlc"))
        return [index, f"uuid:{r['id']}", r["id"], r.get("instrument_version") or None,
                v.enum("response_status", r.get("status")), r.get("researcher") or None,
                v.place("sites", r.get("site")), v.place("sectors", r.get("sector")),
                v.participant_code(r.get("participant_id")),
                v.organisation(r.get("organisation_id")),
                v.interviews.get(r.get("interview_id") or ""),
                created, local_time(created), done, local_time(done),
                0 if self.may_quote(r) else 1]

    def _review_row(self, r: Record) -> list[Any]:
        return [self._review(r.get("_review")), r.get("_review_comment") or None,
                r.get("_corrections") or 0]

    def _review(self, state: Any) -> str | None:
        if not state:
            return None
        return str(state) if self.codes else self.tr(_REVIEW_LABELS.get(str(state), str(state)))

    def _chain(self, level: _Level) -> list[_Level]:
        chain: list[_Level] = []
        node: _Level | None = level
        while node is not None and node.node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def _instances(self, level: _Level) -> Iterator[_Instance]:
        """(index, parent index, response, instance, positions, key, parent key) for every
        instance of a repeat, numbered in the same order as the parent sheet numbers its
        rows."""
        chain = self._chain(level)
        counters = [0] * len(chain)
        last = len(chain) - 1

        def descend(data: Any, depth: int, parent: int, r: Record, idx: tuple[int, ...],
                    parent_key: str) -> Iterator[_Instance]:
            rel = chain[depth].rel
            items = _dig(data, rel)
            if not isinstance(items, list):
                return
            for position, item in enumerate(items):
                if _empty(item):
                    continue
                counters[depth] += 1
                key = f"{parent_key}/{'/'.join(rel)}[{position + 1}]"
                if depth == last:
                    yield (counters[depth], parent, r, item, (*idx, position), key, parent_key)
                else:
                    yield from descend(item, depth + 1, counters[depth], r, (*idx, position),
                                       key)

        for number, r in enumerate(self.responses, 1):
            yield from descend(answers(r), 0, number, r, (), f"uuid:{r['id']}")

    def tables(self, used: set[str]) -> list[Table]:
        inst = self.instrument
        base = inst.title(self.lang)
        version = ""
        key = f"survey:{inst.form_id}"
        out: list[Table] = []
        for level in _levels(self.root):
            variables = [c for node, _rel in level.variables for c in self._variable_columns(node)]
            if level.node is None:
                level.title = sheet_title(base, used, version)
                columns = self._main_meta() + variables + self._review_meta()
                def main_rows(level: _Level = level) -> Iterator[Row]:
                    for n, r in enumerate(self.responses, 1):
                        yield (self._main_row(n, r) + self._values(
                            level, answers(r), self.may_quote(r), self._state(r),
                            have=self._have(r)) + self._review_row(r))

                table = Table(key, level.title, columns, main_rows, self.responses.count,
                              text_bound=self.text_bound)
                table.meta["full_title"] = base
            else:
                level.title = sheet_title(base, used, f"{version}-{level.node.name}")
                columns = self._repeat_meta() + variables
                parent = level.parent
                parent_title = parent.title if parent is not None else ""

                def repeat_rows(level: _Level = level, parent_title: str = parent_title
                                ) -> Iterator[Row]:
                    for index, parent_index, r, item, idx, key, parent_key in \
                            self._instances(level):
                        yield [index, parent_index, parent_title, r["id"], key, parent_key,
                               *self._values(level, item, self.may_quote(r), self._state(r),
                                             idx, self._have(r))]

                def count(level: _Level = level) -> int:
                    return sum(1 for _ in self._instances(level))

                table = Table(f"{key}/{level.node.path}", level.title, columns, repeat_rows,
                              count, text_bound=self.text_bound)
                table.meta["full_title"] = f"{base}-{level.node.name}"
            labels = unique_headers([c.label for c in columns], [c.key for c in columns])
            for column, label in zip(columns, labels, strict=True):
                column.label = label
            out.append(table)
        return out


def survey_tables(instruments: list[tuple[Record, Instrument]], responses: Stream,
                  vocab: Vocab, used: set[str], *, codes: bool,
                  quotable: Callable[[Record], bool] | None = None, not_asked: bool = False,
                  text_bound: Callable[[], int] | None = None) -> list[Table]:
    """The sheets of every form: one per form (its versions merged) and one per repeat.

    Nothing is read here but the forms: each sheet's rows are generated from ``responses``
    (filtered to the form's versions) when it is written."""
    forms: dict[str, list[tuple[Record, Instrument]]] = {}
    for record, inst in instruments:
        forms.setdefault(str(record.get("form_id") or record["id"]), []).append((record, inst))
    out: list[Table] = []
    for versions in forms.values():
        versions.sort(key=lambda v: _version_key(v[0].get("version")), reverse=True)
        ids = {str(r["id"]) for r, _inst in versions}
        mine = Stream.of(responses).where(
            lambda r, ids=ids: str(r.get("instrument_id")) in ids)  # type: ignore[misc]
        (record, inst), older = versions[0], versions[1:]
        sheets = SurveySheets(record, inst, mine, vocab, codes=codes, older=older,
                              quotable=quotable, not_asked=not_asked, text_bound=text_bound)
        out.extend(sheets.tables(used))
    return out


def _version_key(version: Any) -> tuple[int, int | str]:
    """Versions compare as numbers when they are numbers (XLSForm's usual yyyymmddrr)."""
    text = str(version or "")
    return (1, int(text)) if text.isdigit() else (0, text)

