"""Importing an instrument from an XLSForm workbook (``.xlsx``, also ``.xls``/``.csv``/``.md``).

Reading and validation are pyxform's (``get_xlsform`` reads the workbook, ``workbook_to_json``
checks it the way ODK/Kobo/SurveyCTO do and returns the JSON survey dict); the instrument is built
from that dict. :mod:`fieldapp.survey.sheetcheck` adds, for every problem, the sheet, row and
column, and names each XLSForm feature fieldapp does not support.
"""

from __future__ import annotations

import re
import zipfile
from os import PathLike
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from fieldapp.i18n import _
from fieldapp.survey.external import ExternalFileError, read_media, read_rows
from fieldapp.survey.model import Choice, ChoiceList, Instrument, Node, pick_text
from fieldapp.survey.problems import Problem, XLSFormError
from fieldapp.survey.program import Program
from fieldapp.survey.sheetcheck import SheetCheck, is_no, is_yes, split_header

_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(r"'(survey|choices|settings|external_choices|entities)' sheet")
_TYPES = {
    "select one": "select_one", "select all that apply": "select_multiple", "dateTime": "datetime",
    "phone number": "text", "trigger": "acknowledge",
}
#: a calculation's ``bind::type`` (XForms data types, as pyxform passes them on) as question types
_DATA_TYPES = {
    "int": "integer", "integer": "integer", "decimal": "decimal", "date": "date",
    "datetime": "datetime", "time": "time", "string": "text", "text": "text",
}
_OTHER_LABELS = {"zh": "其他（请注明）", "en": "Other"}
_SPECIFY_LABELS = {"zh": "请注明其他", "en": "Specify other"}
_PHONE_CONSTRAINT = r"regex(., '^\+?[0-9 ()\-]*$')"


def load_xlsform(path: str | PathLike[str]) -> Instrument:
    """Read and check an XLSForm; raise :class:`XLSFormError` naming every problem."""
    path = Path(path)
    source = path.name
    if not path.is_file():
        raise XLSFormError([Problem("-", None, None, _("the file {path} does not exist").format(
            path=str(path)))], source)
    try:
        data = get_xlsform(str(path))
    except (PyXFormError, OSError) as exc:
        raise XLSFormError([_pyxform_problem(exc, "")], source) from exc
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, zipfile.BadZipFile,
            RecursionError) as exc:
        # pyxform's readers fail this way on a workbook that is not an XLSForm (an empty
        # sheet, a damaged file): say so rather than show their internals
        raise XLSFormError([_diagnose(path) or Problem("-", None, None, _(
            "the file cannot be read as an XLSForm (a workbook with 'survey', 'choices' and "
            "'settings' sheets); one of its sheets may be empty or damaged"))], source) from exc
    if not data.survey and data.survey_header:
        raise XLSFormError([Problem("survey", None, None, _("the 'survey' sheet has no rows"))],
                           source)
    if not data.survey:
        raise XLSFormError(
            [Problem("survey", None, None,
                     _("the workbook has no 'survey' sheet (sheets found: {sheets})").format(
                         sheets=", ".join(data.sheet_names or []) or "-"))],
            source)
    check = SheetCheck(columns=_column_letters(path))
    settings = dict(data.settings[0]) if data.settings else {}
    allow_dups = is_yes(settings.get("allow_choice_duplicates", "no"))
    bad_header = _bad_header(data)
    if bad_header is not None:
        raise XLSFormError([bad_header], source)
    check.choices(list(data.choices or []), allow_dups)
    external_lists = {str(r.get("list_name", "")) for r in (data.external_choices or [])}
    check.settings(settings)
    check.survey(list(data.survey), set(check.choice_columns) | external_lists)
    check.expressions(list(data.survey))
    if getattr(data, "osm", None):
        check.add("osm", None, None, _("OpenStreetMap questions ('osm' sheet) are not supported: "
                                       "a desktop has no map to trace on"), unsupported=True)
    problems = list(check.problems)
    warnings: list[str] = []
    try:
        survey = workbook_to_json(data, form_name="data",
                                  fallback_form_name=data.fallback_form_name, warnings=warnings)
    except RecursionError as exc:
        raise XLSFormError([*problems, Problem("survey", None, None, _(
            "the form nests too deeply to be read"))], source) from exc
    except (PyXFormError, KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        # pyxform's own checks; anything else it raises is still a form it could not read
        found = _pyxform_problem(exc, "survey")
        if not any(p.sheet == found.sheet and p.row == found.row for p in problems):
            problems.append(found)
        raise XLSFormError(problems, source) from exc
    if problems:
        raise XLSFormError(problems, source)
    instrument = _build(survey, check)
    _add_files(instrument, survey, data, check, path, problems)
    if problems:
        raise XLSFormError(problems, source)
    graph_problems = Program.check(instrument)
    if graph_problems:
        raise XLSFormError(graph_problems, source)
    return instrument


def _pyxform_problem(exc: Exception, default_sheet: str) -> Problem:
    text = str(exc)
    row = _ROW.search(text)
    sheet = _SHEET.search(text)
    message = _ROW.sub("", text).strip()
    return Problem(sheet.group(1) if sheet else (default_sheet or "-"),
                   int(row.group(1)) if row else None, None, message)


def _column_letters(path: Path) -> dict[str, dict[str, str]]:
    """Header → column letter for each sheet (lower-cased sheet names, as pyxform uses)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    out: dict[str, dict[str, str]] = {}
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return {}
    try:
        for sheet in book.worksheets:
            letters: dict[str, str] = {}
            for row in sheet.iter_rows(min_row=1, max_row=1, values_only=True):
                for i, value in enumerate(row):
                    if isinstance(value, str) and value.strip():
                        letters[" ".join(value.split())] = get_column_letter(i + 1)
            out[sheet.title.lower()] = letters
    finally:
        book.close()
    return out


# -- building the instrument from pyxform's JSON ------------------------------------------------


def _texts(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v not in (None, "")}
    return {"default": str(value)}


def _flag(value: Any) -> str:
    text = str(value or "").strip()
    if not text or is_no(text):
        return ""
    return "true()" if is_yes(text) else text


def _data_type(value: Any) -> str:
    """``int``, ``xsd:decimal``, ``dateTime`` … → the question type; "" for others (text)."""
    text = str(value or "").strip().lower().removeprefix("xsd:")
    return _DATA_TYPES.get(text, "")


def _build(survey: dict[str, Any], check: SheetCheck) -> Instrument:
    languages: list[str] = []
    generated = _generated_calculates(survey, check)

    def note_languages(texts: dict[str, str]) -> dict[str, str]:
        for lang in texts:
            if lang not in languages:
                languages.append(lang)
        return texts

    def build_node(data: dict[str, Any], parent: str, row_path: str = "") -> Node | None:
        name = str(data["name"])
        path = f"{parent}/{name}" if parent else name
        info = check.rows.get(row_path or path)
        if str(data.get("type", "")) == "loop" and info is not None:
            return build_loop(data, path, info)
        bind = data.get("bind", {}) or {}
        control = data.get("control", {}) or {}
        raw_type = str(data.get("type", ""))
        if info is None:
            sibling = check.rows.get(path.removesuffix("_other"))
            if not (name.endswith("_other") and sibling and sibling.or_other):
                return None  # pyxform's own additions (meta/instanceID): not the author's
            other_of = sibling.path
            node = Node(type="text", name=name, path=path, row=sibling.row,
                        relevant=f"selected(${{{sibling.name}}}, 'other')", other_of=other_of)
            return node
        node_type = _TYPES.get(raw_type, raw_type)
        node = Node(
            type=info.type if info.type else node_type, name=name, path=path, row=info.row,
            labels=note_languages(_texts(data.get("label"))),
            hints=note_languages(_texts(data.get("hint"))),
            relevant=str(bind.get("relevant", "") or ""),
            constraint=str(bind.get("constraint", "") or ""),
            constraint_message=note_languages(_texts(bind.get("jr:constraintMsg"))),
            required=_flag(bind.get("required")),
            required_message=note_languages(_texts(bind.get("jr:requiredMsg"))),
            calculation=str(bind.get("calculate", "") or ""),
            data_type=_data_type(bind.get("type")) if raw_type == "calculate" else "",
            default=str(data.get("default", "") or ""),
            read_only=_flag(bind.get("readonly")),
            choice_filter=str(data.get("choice_filter", "") or ""),
            appearance=str(control.get("appearance", "") or ""),
            list_name=info.list_name,
            or_other=info.or_other,
            media=_media(data.get("media"), note_languages),
            guidance=note_languages(_texts(data.get("guidance_hint"))),
            parameters=_parameters(data.get("parameters")),
            repeat_count=_repeat_count(data, generated),
            trigger=[str(t) for t in (data.get("trigger") or [])],
        )
        declared = str(bind.get("type", "") or "").strip()
        if declared and not node.data_type:
            check.notices.append(_(
                "survey row {row}: bind::type '{type}' of '{name}' has no effect in fieldapp: "
                "only a calculation's int, decimal, date, dateTime, time or string type is used"
            ).format(row=info.row, type=declared, name=name))
        if raw_type == "phone number" and not node.constraint:
            node.constraint = _PHONE_CONSTRAINT
        if control.get("rows") and "multiline" not in node.appearance:
            node.appearance = (node.appearance + " multiline").strip()
        for child in data.get("children", []) or []:
            built = build_node(child, path, f"{row_path or path}/{child.get('name', '')}")
            if built is not None:
                node.children.append(built)
        return node

    def build_loop(data: dict[str, Any], path: str, info: Any) -> Node:
        """``begin loop over list``: a group holding one group per choice, as pyxform does;
        ``%(name)s`` and ``%(label)s`` in the labels inside become the choice's."""
        node = Node(type="group", name=str(data["name"]), path=path, row=info.row,
                    labels=note_languages(_texts(data.get("label"))))
        for column in data.get("columns", []) or []:
            col_name = str(column["name"])
            col_labels = _texts(column.get("label"))
            group = Node(type="group", name=col_name, path=f"{path}/{col_name}", row=info.row,
                         labels=note_languages(dict(col_labels)))
            for child in data.get("children", []) or []:
                built = build_node(child, group.path, f"{path}/{child.get('name', '')}")
                if built is not None:
                    for inner in built.walk():
                        inner.labels = {
                            lang: text.replace("%(name)s", col_name).replace(
                                "%(label)s", pick_text(col_labels, lang))
                            for lang, text in inner.labels.items()}
                    group.children.append(built)
            node.children.append(group)
        return node

    children = [n for n in (build_node(c, "") for c in survey.get("children", [])) if n]
    choice_lists: dict[str, ChoiceList] = {}
    for list_name, items in (survey.get("choices") or {}).items():
        extra_cols = check.choice_columns.get(list_name, set())
        lst = ChoiceList(list_name)
        for item in items:
            lst.choices.append(Choice(
                name=str(item["name"]),
                labels=note_languages(_texts(item.get("label"))),
                extra={k: str(v) for k, v in item.items() if k in extra_cols},
                row=check.choice_rows.get((list_name, str(item["name"]))),
                media=_media(item.get("media"), note_languages),
            ))
        choice_lists[list_name] = lst
    default_language = str(survey.get("default_language") or "default")
    if default_language not in languages:
        named = [lang for lang in languages if lang != "default"]
        default_language = "default" if "default" in languages or not named else named[0]
    _label_other(children, choice_lists, languages)
    title = str(survey.get("title") or survey.get("id_string") or "")
    return Instrument(
        form_id=str(survey.get("id_string") or "form"),
        version=str(survey.get("version") or ""),
        titles={default_language: title} if title else {},
        default_language=default_language,
        languages=languages or ["default"],
        children=children,
        choice_lists=choice_lists,
        notices=list(check.notices),
    )


def _label_other(children: list[Node], lists: dict[str, ChoiceList], languages: list[str]) -> None:
    """Give pyxform's added "other" choice a label in every language of the form."""
    from fieldapp.survey.model import language_code

    for node in (n for c in children for n in c.walk()):
        if node.other_of:
            node.labels = {lang: _SPECIFY_LABELS.get(language_code(lang), "Specify other")
                           for lang in languages} or {"default": "Specify other"}
        if not node.or_other or node.list_name not in lists:
            continue
        other = lists[node.list_name].get("other")
        if other is None:
            continue
        for lang in languages:
            if lang not in other.labels or other.labels[lang] == "Other":
                other.labels[lang] = _OTHER_LABELS.get(language_code(lang), "Other")


def _media(value: Any, note_languages: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, dict[str, str]] = {}
    for kind, texts in value.items():
        found = _texts(texts)
        if found:
            out[str(kind)] = note_languages(found) if len(found) > 1 or "default" not in found \
                else found
    return out


def _parameters(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for part in str(value or "").replace(";", " ").replace(",", " ").split():
        key, _sep, val = part.partition("=")
        if key:
            out[key.strip()] = val.strip()
    return out


def _repeat_count(data: dict[str, Any], generated: dict[str, str]) -> str:
    """The repeat_count expression; pyxform moves it to a calculate named NAME_count."""
    control = data.get("control", {}) or {}
    count = str(control.get("jr:count", "") or "")
    found = re.fullmatch(r"\s*\$\{([^}]+)\}\s*", count)
    if found and found.group(1) in generated:
        return generated[found.group(1)]
    return count


def _generated_calculates(survey: dict[str, Any], check: SheetCheck) -> dict[str, str]:
    out: dict[str, str] = {}
    stack = list(survey.get("children", []) or [])
    while stack:
        item = stack.pop()
        stack.extend(item.get("children", []) or [])
        bind = item.get("bind", {}) or {}
        name = str(item.get("name", ""))
        if bind.get("calculate") and not any(i.name == name for i in check.rows.values()):
            out[name] = str(bind["calculate"])
    return out


def _diagnose(path: Path) -> Problem | None:
    """Why pyxform's reader failed, when it is something a person can fix: a number as a
    column header, or a data table (CSV or workbook) given instead of a form."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            first = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()[:1]
            cells = [c.strip() for c in (first[0].split(",") if first else [])]
            if cells and cells[0].lower() != "survey" and "survey" not in (c.lower() for c in
                                                                            cells[:2]):
                return Problem("-", 1, None, _(
                    "this looks like a data table, not an XLSForm (its columns: {columns}); "
                    "an XLSForm has a 'survey' sheet with type, name and label columns").format(
                        columns=", ".join(cells[:8])))
            return None
        if suffix not in (".xlsx", ".xlsm"):
            return None
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    try:
        sheets = {sheet.title.lower(): sheet for sheet in book.worksheets}
        survey = sheets.get("survey")
        if survey is None:
            return Problem("-", None, None, _(
                "the workbook has no 'survey' sheet (sheets found: {sheets})").format(
                    sheets=", ".join(s.title for s in book.worksheets) or "-"))
        for row in survey.iter_rows(min_row=1, max_row=1, values_only=True):
            for i, value in enumerate(row):
                if value is not None and not isinstance(value, str):
                    return Problem("survey", 1, f"{get_column_letter(i + 1)} ({value})", _(
                        "the column header '{header}' is a number: the first row of the "
                        "survey sheet must name XLSForm columns (type, name, label ...)").format(
                            header=value))
    finally:
        book.close()
    return None


def _bad_header(data: Any) -> Problem | None:
    """A header pyxform reads but no XLSForm has: a number, or no 'type'/'name' column at all
    (a data table given instead of a form)."""
    headers = [h for row in (data.survey_header or [])[:1] for h in row if h is not None]
    for header in headers:
        text = str(header).strip()
        if text and text.replace(".", "", 1).isdigit():
            return Problem("survey", 1, text, _(
                "the column header '{header}' is a number: the first row of the survey sheet "
                "must name XLSForm columns (type, name, label ...)").format(header=text))
    lowered = {str(h).strip().lower() for h in headers}
    if headers and "type" not in lowered and not lowered & {"command"}:
        return Problem("survey", 1, None, _(
            "the survey sheet has no 'type' column: this looks like a data table, not an "
            "XLSForm (its columns: {columns})").format(columns=", ".join(
                str(h) for h in headers[:8])))
    return None


def _add_files(instrument: Instrument, survey: dict[str, Any], data: Any, check: SheetCheck,
               path: Path, problems: list[Problem]) -> None:
    """Read what the form needs from beside it: choices from files, secondary instances,
    external choices, media, and the entities declaration."""
    instances = instrument.instances
    for name, lst in instrument.choice_lists.items():
        instances[name] = [{"name": c.name, "label": c.label(instrument.default_language),
                            **c.extra} for c in lst.choices]
    # select_one_external: the external_choices sheet, used like a choices sheet
    for row in data.external_choices or []:
        list_name = str(row.get("list_name", ""))
        if not list_name or not row.get("name"):
            continue
        lst = instrument.choice_lists.setdefault(list_name, ChoiceList(list_name))
        lst.choices.append(Choice(
            name=str(row["name"]),
            labels={k.partition("::")[2] or "default": str(v) for k, v in row.items()
                    if k.split("::")[0].split(":")[0] == "label"},
            extra={k: str(v) for k, v in row.items()
                   if k not in ("list_name", "name") and not k.startswith("label")}))
    for node in instrument.walk():
        info = check.rows.get(node.path)
        if node.list_name and "." in node.list_name and node.list_name not in \
                instrument.choice_lists:
            try:
                rows = read_rows(path, node.list_name)
            except ExternalFileError as exc:
                problems.append(Problem("survey", node.row, info.cells.get("type") if info else
                                        "type", str(exc)))
                continue
            lst = ChoiceList(node.list_name)
            for item in rows:
                name = item.get("name", "")
                if name:
                    labels = {k.partition("::")[2] or "default": v for k, v in item.items()
                              if k.split("::")[0] == "label" and v}
                    lst.choices.append(Choice(name=name, labels=labels, extra={
                        k: v for k, v in item.items() if k != "name" and k.split("::")[0]
                        != "label"}))
            instrument.choice_lists[node.list_name] = lst
            instances[node.list_name.rsplit(".", 1)[0]] = rows
    wanted = set(check.externals) | _pulldata_names(instrument)
    for name in sorted(wanted - set(instances)):
        kind = check.externals.get(name, "csv")
        try:
            instances[name] = read_rows(path, f"{name}.{kind}")
        except ExternalFileError as exc:
            instances[name] = []
            instrument.notices.append(_("data file: {problem}; lookups in '{name}' give empty "
                                        "answers until the form is imported with it").format(
                                            problem=str(exc), name=name))
    names = {f for node in instrument.walk() for texts in node.media.values()
             for f in texts.values()}
    names |= {f for lst in instrument.choice_lists.values() for c in lst.choices
              for texts in c.media.values() for f in texts.values()}
    instrument.media_files, notices = read_media(path, names)
    instrument.notices.extend(notices)
    entities = data.entities or []
    if entities:
        row = dict(entities[0])
        saves = {}
        for survey_row in data.survey or []:
            for header, value in survey_row.items():
                if split_header(header)[0] == "save_to" and value:
                    saves[str(value)] = str(survey_row.get("name", ""))
        instrument.entities = {"dataset": str(row.get("list_name", row.get("dataset", ""))),
                               "label": str(row.get("label", "")), "properties": saves}
        instrument.notices.append(_(
            "entities: fieldapp keeps no entity lists; the answers saved to the list '{list}' "
            "are kept and exported as ordinary answers").format(
                list=instrument.entities["dataset"]))


def _pulldata_names(instrument: Instrument) -> set[str]:
    found: set[str] = set()
    pattern = re.compile(r"pulldata\s*\(\s*['\"]([^'\"]+)['\"]")
    instance = re.compile(r"instance\s*\(\s*['\"]([^'\"]+)['\"]\s*\)")
    for node in instrument.walk():
        for text in (node.calculation, node.relevant, node.constraint, node.default,
                     node.choice_filter, node.required, node.read_only):
            found.update(pattern.findall(text))
            found.update(n for n in instance.findall(text) if n not in instrument.choice_lists)
    return found
