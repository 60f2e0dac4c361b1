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
from fieldapp.survey.model import Choice, ChoiceList, Instrument, Node
from fieldapp.survey.problems import Problem, XLSFormError
from fieldapp.survey.program import Program
from fieldapp.survey.sheetcheck import SheetCheck, is_no, is_yes

_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(r"'(survey|choices|settings|external_choices|entities)' sheet")
_TYPES = {
    "select one": "select_one", "select all that apply": "select_multiple", "dateTime": "datetime",
    "phone number": "text", "trigger": "acknowledge",
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
    check.choices(list(data.choices or []), allow_dups)
    check.settings(settings)
    check.survey(list(data.survey), set(check.choice_columns))
    check.expressions(list(data.survey))
    for sheet in ("external_choices", "entities", "osm"):
        if getattr(data, sheet, None):
            check.add(sheet, None, None,
                      _("the '{sheet}' sheet is not supported").format(sheet=sheet),
                      unsupported=True)
    problems = list(check.problems)
    warnings: list[str] = []
    try:
        survey = workbook_to_json(data, form_name="data",
                                  fallback_form_name=data.fallback_form_name, warnings=warnings)
    except (PyXFormError, KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        # pyxform's own checks; anything else it raises is still a form it could not read
        found = _pyxform_problem(exc, "survey")
        if not any(p.sheet == found.sheet and p.row == found.row for p in problems):
            problems.append(found)
        raise XLSFormError(problems, source) from exc
    if problems:
        raise XLSFormError(problems, source)
    instrument = _build(survey, check)
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


def _build(survey: dict[str, Any], check: SheetCheck) -> Instrument:
    languages: list[str] = []

    def note_languages(texts: dict[str, str]) -> dict[str, str]:
        for lang in texts:
            if lang not in languages:
                languages.append(lang)
        return texts

    def build_node(data: dict[str, Any], parent: str) -> Node | None:
        name = str(data["name"])
        path = f"{parent}/{name}" if parent else name
        info = check.rows.get(path)
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
            default=str(data.get("default", "") or ""),
            read_only=_flag(bind.get("readonly")),
            choice_filter=str(data.get("choice_filter", "") or ""),
            appearance=str(control.get("appearance", "") or ""),
            list_name=info.list_name,
            or_other=info.or_other,
        )
        if raw_type == "phone number" and not node.constraint:
            node.constraint = _PHONE_CONSTRAINT
        if control.get("rows") and "multiline" not in node.appearance:
            node.appearance = (node.appearance + " multiline").strip()
        for child in data.get("children", []) or []:
            built = build_node(child, path)
            if built is not None:
                node.children.append(built)
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
