"""Survey sheets, laid out as KoboToolbox and ODK Central do.

One sheet per instrument *version* (each instrument record: a response is bound to the version
it was answered with, and versions may differ in their questions), and one per repeat group.
A response is one row of the main sheet; each repeat instance is one row of its repeat's sheet,
linked by ``_index`` (the row's number in its sheet) and ``_parent_index`` (the ``_index`` of the
row it belongs to, in the sheet named by ``_parent_table``). A repeat instance with no answer
at all is left out. Groups are flattened: a question's
variable name is its path (``org/n_staff``). A select_multiple question gives its answer joined
(codes separated by spaces, or labels by "; ") and one 0/1 column per choice (``sectors/hiv``),
blank when the question was not answered.

Open answers (text questions, and calculations that are not numbers) of a response whose
participants did not all consent to verbatim quotes are left out, and ``_text_withheld`` says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from fieldapp.export.consent import hlc_datetime
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
            return int(raw)
        if node_type == "decimal":
            return float(raw)
        if node_type in ("date", "today"):
            return date.fromisoformat(str(raw)[:10])
        if node_type in ("datetime", "start", "end"):
            return datetime.fromisoformat(str(raw)).replace(tzinfo=None)
        if node_type == "time":
            return time.fromisoformat(str(raw)).replace(tzinfo=None)
    except (TypeError, ValueError):
        return str(raw)
    return raw if isinstance(raw, str) else str(raw)


def _is_open(node: Node, raw: Any) -> bool:
    """An answer in the participant's own words: text, or a calculation that is not a number."""
    if raw is None or raw == "":
        return False
    if node.type == "text":
        return True
    if node.type == "calculate":
        try:
            float(str(raw))
        except ValueError:
            return True
    return False


class SurveySheets:
    def __init__(self, record: Record, instrument: Instrument, responses: list[Record],
                 vocab: Vocab, *, codes: bool, versioned_title: bool,
                 quotable: set[str] | None = None, not_asked: bool = False) -> None:
        self.record, self.instrument, self.responses = record, instrument, responses
        #: tell "not asked" (skip logic) from "not answered": evaluates each response's form
        self.program = Program(instrument) if not_asked else None
        self._last: tuple[str, FormState | None] = ("", None)
        #: ids of responses whose open answers may be exported (None: all)
        self.quotable = quotable
        self.v, self.tr, self.codes = vocab, vocab.tr, codes
        self.lang = instrument.resolve_language(vocab.tr.language)
        self.root = _Level(None, ())
        _collect(instrument.children, self.root, ())
        self.versioned_title = versioned_title

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
        doc = ColumnDoc(f"{node.type} {node.list_name}".strip(),
                        self._texts(node.labels, "en"), self._texts(node.labels, "zh"),
                        self._choice_doc(node, "en"), self._choice_doc(node, "zh"))
        free = node.type in ("text", "calculate")
        columns = [Column(node.path, label, _KINDS.get(node.type, "text"), free, doc,
                          question=True)]
        if node.type == "select_one":
            lst = self.instrument.choice_lists.get(node.list_name)
            columns[0].choices = [(c.name, c.label(self.lang, self.instrument.default_language))
                                  for c in (lst.choices if lst else [])]
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
        return Column(key, key if key.startswith("_") and "index" in key else self.tr(label),
                      kind, False, doc, choices=coded)

    def _main_meta(self) -> list[Column]:
        m = self._meta
        return [
            m("_index", N_("Row number in this sheet"), "int"),
            m("_response_id", N_("Response id")),
            m("_instrument_version", N_("Instrument version")),
            m("_status", N_("Response status"), choices="response_status"),
            m("_researcher", N_("Researcher")), m("_site", N_("Site")),
            m("_sector", N_("Sector")), m("_participant", N_("Participant code")),
            m("_organisation", N_("Organisation")), m("_interview", N_("Interview code")),
            m("_created", N_("Created (UTC)"), "datetime"),
            m("_completed", N_("Completed (UTC)"), "datetime"),
            m("_text_withheld", N_("Text left out (no verbatim-quote consent)"), "flag"),
        ]

    def _repeat_meta(self) -> list[Column]:
        m = self._meta
        return [m("_index", N_("Row number in this sheet"), "int"),
                m("_parent_index", N_("Row number of the parent row"), "int"),
                m("_parent_table", N_("Sheet of the parent row")),
                m("_response_id", N_("Response id"))]

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
        return [convert(node.type, raw)]

    def _values(self, level: _Level, instance: Any, open_text: bool = True,
                state: FormState | None = None, idx: tuple[int, ...] = ()) -> list[Any]:
        out: list[Any] = []
        for node, rel in level.variables:
            raw = _dig(instance, rel)
            if not open_text and _is_open(node, raw):
                raw = None
            if state is not None and not state.relevant.get((node.path, idx), True):
                raw = NOT_ASKED
            out.extend(self._cells(node, raw))
        return out

    def _state(self, r: Record) -> FormState | None:
        """The response's form, evaluated (only when "not asked" is told apart)."""
        if self.program is None:
            return None
        if self._last[0] != r["id"]:
            try:
                state: FormState | None = FormState(self.instrument, r.get("data") or {},
                                                    program=self.program)
            except Exception:
                state = None
            self._last = (r["id"], state)
        return self._last[1]

    def may_quote(self, r: Record) -> bool:
        return self.quotable is None or r["id"] in self.quotable

    # -- tables ------------------------------------------------------------------------------

    def _main_row(self, index: int, r: Record) -> list[Any]:
        v = self.v
        completed = r.get("completed_at")
        done = None
        if completed:
            try:
                done = datetime.fromisoformat(str(completed)).replace(tzinfo=None)
            except ValueError:
                done = None
        return [index, r["id"], r.get("instrument_version") or None,
                v.enum("response_status", r.get("status")), r.get("researcher") or None,
                v.place("sites", r.get("site")), v.place("sectors", r.get("sector")),
                v.participant_code(r.get("participant_id")),
                v.organisation(r.get("organisation_id")),
                v.interviews.get(r.get("interview_id") or ""),
                hlc_datetime(r.get("created_hlc")), done, 0 if self.may_quote(r) else 1]

    def _chain(self, level: _Level) -> list[_Level]:
        chain: list[_Level] = []
        node: _Level | None = level
        while node is not None and node.node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def _instances(self, level: _Level
                   ) -> Iterator[tuple[int, int, Record, Any, tuple[int, ...]]]:
        """(index, parent index, response, instance) for every instance of a repeat, numbered
        in the same order as the parent sheet numbers its rows."""
        chain = self._chain(level)
        counters = [0] * len(chain)
        last = len(chain) - 1

        def descend(data: Any, depth: int, parent: int, r: Record, idx: tuple[int, ...]
                    ) -> Iterator[tuple[int, int, Record, Any, tuple[int, ...]]]:
            items = _dig(data, chain[depth].rel)
            if not isinstance(items, list):
                return
            for position, item in enumerate(items):
                if _empty(item):
                    continue
                counters[depth] += 1
                if depth == last:
                    yield counters[depth], parent, r, item, (*idx, position)
                else:
                    yield from descend(item, depth + 1, counters[depth], r, (*idx, position))

        for number, r in enumerate(self.responses, 1):
            yield from descend(r.get("data") or {}, 0, number, r, ())

    def tables(self, used: set[str]) -> list[Table]:
        inst, record = self.instrument, self.record
        base = inst.title(self.lang)
        version = f" v{record.get('version')}" if self.versioned_title and record.get("version") \
            else ""
        key = f"survey:{inst.form_id}:{record.get('version') or ''}"
        out: list[Table] = []
        for level in _levels(self.root):
            variables = [c for node, _rel in level.variables for c in self._variable_columns(node)]
            if level.node is None:
                level.title = sheet_title(base, used, version)
                columns = self._main_meta() + variables
                def main_rows(level: _Level = level) -> Iterator[Row]:
                    for n, r in enumerate(self.responses, 1):
                        yield self._main_row(n, r) + self._values(
                            level, r.get("data") or {}, self.may_quote(r), self._state(r))

                table = Table(key, level.title, columns, main_rows, len(self.responses))
            else:
                level.title = sheet_title(base, used, f"{version}-{level.node.name}")
                columns = self._repeat_meta() + variables
                parent = level.parent
                parent_title = parent.title if parent is not None else ""

                def repeat_rows(level: _Level = level, parent_title: str = parent_title
                                ) -> Iterator[Row]:
                    for index, parent_index, r, item, idx in self._instances(level):
                        yield [index, parent_index, parent_title, r["id"],
                               *self._values(level, item, self.may_quote(r), self._state(r),
                                             idx)]

                count = sum(1 for _ in self._instances(level))
                table = Table(f"{key}/{level.node.path}", level.title, columns, repeat_rows,
                              count)
            labels = unique_headers([c.label for c in columns], [c.key for c in columns])
            for column, label in zip(columns, labels, strict=True):
                column.label = label
            out.append(table)
        return out


def survey_tables(instruments: list[tuple[Record, Instrument]], responses: list[Record],
                  vocab: Vocab, used: set[str], *, codes: bool,
                  quotable: set[str] | None = None, not_asked: bool = False) -> list[Table]:
    by_instrument: dict[str, list[Record]] = {}
    for r in responses:
        by_instrument.setdefault(r["instrument_id"], []).append(r)
    forms: dict[str, int] = {}
    for record, _inst in instruments:
        forms[record.get("form_id") or ""] = forms.get(record.get("form_id") or "", 0) + 1
    out: list[Table] = []
    for record, inst in instruments:
        sheets = SurveySheets(record, inst, by_instrument.get(record["id"], []), vocab,
                              codes=codes, versioned_title=forms[record.get("form_id") or ""] > 1,
                              quotable=quotable, not_asked=not_asked)
        out.extend(sheets.tables(used))
    return out

