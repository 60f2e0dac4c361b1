"""Row-by-row checks of an XLSForm's sheets, so that every problem names its sheet, row and column.

pyxform validates the form as the XLSForm ecosystem does, but its messages name at most a row, and
it stops at the first error. This pass walks the same rows pyxform read (``DefinitionData``) and
collects everything fieldapp cannot use: broken or unknown types, names, expressions, references,
choice lists, and every XLSForm feature fieldapp does not support (named, never dropped).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_SELECT

from fieldapp.i18n import _, ngettext
from fieldapp.survey.model import INPUT_TYPES, META_TYPES
from fieldapp.survey.problems import Problem
from fieldapp.survey.xfuncs import compile_expr
from fieldapp.survey.xpath import ExprError, parse, references

SIMPLE_TYPES = {
    "text": "text", "string": "text", "phone number": "text",
    "integer": "integer", "int": "integer", "decimal": "decimal",
    "date": "date", "time": "time", "datetime": "datetime", "dateTime": "datetime",
    "note": "note", "calculate": "calculate",
    "acknowledge": "acknowledge", "trigger": "acknowledge",
    "geopoint": "geopoint", "gps": "geopoint", "geotrace": "geotrace", "geoshape": "geoshape",
    "image": "image", "photo": "image", "audio": "audio", "video": "video", "file": "file",
    "barcode": "barcode", "range": "range",
    **{t: t for t in META_TYPES},
    **{f"uri:{t}": t for t in ("deviceid", "subscriberid", "simserial", "phonenumber",
                               "username", "email")},
}
#: rows that declare a secondary instance (a CSV or XML file beside the form), not a question
EXTERNAL_TYPES = {"xml-external", "csv-external"}
UNSUPPORTED_TYPES = {"osm"}
_UNSUPPORTED_PREFIXES = ("osm",)
_FROM_FILE = re.compile(
    r"^(?P<command>select_one_from_file|select_multiple_from_file|select one from file|"
    r"select multiple from file) (?P<file>\S+)$")
#: survey columns fieldapp reads (after de-aliasing); translatable ones take a language.
SURVEY_COLUMNS = {
    "type", "name", "label", "hint", "relevant", "constraint", "constraint_message", "required",
    "required_message", "calculation", "default", "read_only", "choice_filter", "appearance",
    "rows", "image", "big-image", "audio", "video", "guidance_hint", "repeat_count",
    "parameters", "trigger", "save_to", "bind_type",
}
TRANSLATABLE = {"label", "hint", "constraint_message", "required_message", "image", "big-image",
                "audio", "video", "guidance_hint"}
MEDIA_COLUMNS = ("image", "big-image", "audio", "video")
#: XLSForm survey columns that only change how a phone behaves: read, then noted as ignored.
NO_EFFECT_COLUMNS = {
    "autoplay", "buttontext", "noapperrorstring", "body", "instance", "control", "sms_field",
    "sms_option", "compact_tag", "intent", "list_name", "bind",
}
UNSUPPORTED_COLUMNS: set[str] = set()
_ALIASES = {
    "caption": "label", "relevance": "relevant", "readonly": "read_only",
    "calculate": "calculation",
    "constraining_message": "constraint_message", "requiredmsg": "required_message",
    "count": "repeat_count", "jr:count": "repeat_count", "jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message", "no_app_error_string": "noapperrorstring",
    "command": "type", "tag": "name", "value": "name", "list name": "list_name",
    "bind::entities:saveto": "save_to", "bind:entities:saveto": "save_to",
    "constraint message": "constraint_message", "required message": "required_message",
}
_CONTROL = {"group": "group", "lgroup": "repeat", "repeat": "repeat", "loop": "loop",
            "looped group": "repeat"}
_YES = {"yes", "true", "true()"}
_NO = {"no", "false", "false()"}
_NAME = re.compile(r"^[A-Za-z_\u00c0-\uffff][\w\-.\u00c0-\uffff]*$")
_REF = re.compile(r"\$\{([^}]*)\}")
EXPRESSION_COLUMNS = ("relevant", "constraint", "calculation", "required", "read_only",
                      "choice_filter", "default")


def split_header(header: str) -> tuple[str, str | None]:
    """``"label::中文 (zh)"`` → ``("label", "中文 (zh)")``; aliases resolved, base lower-cased."""
    text = header.strip()
    lower = text.lower()
    if lower in _ALIASES:
        return _ALIASES[lower], None
    if "::" in text and not lower.startswith(("bind:", "body:", "instance:", "control:")):
        base, _sep, lang = text.partition("::")
    elif lower.startswith(("bind:", "body:", "instance:", "control:")):
        base, lang = text, ""
    elif ":" in text and not lower.startswith("jr:"):
        base, _sep, lang = text.partition(":")
    else:
        base, lang = text, ""
    base = base.strip().lower()
    if base == "media":
        sub, _sep, lang = lang.partition("::")
        base = sub.strip().lower() or "media"
    if base.startswith("bind:"):
        # the legacy spellings: bind::relevant, bind:jr:constraintMsg, bind::readonly ...
        rest = base.removeprefix("bind:").removeprefix(":").strip()
        rest = _ALIASES.get(rest, rest)
        if rest == "type":
            # bind::type declares the type of a calculation's value (int, decimal, date ...);
            # it is not the row's type
            base = "bind_type"
        else:
            base = rest if rest in SURVEY_COLUMNS else "bind"
    elif base.startswith(("body:", "instance:", "control:")):
        base = base.split(":")[0]
    base = _ALIASES.get(base, base)
    return base, (lang.strip() or None)


def is_yes(value: str) -> bool:
    return value.strip() in _YES or value.strip().lower() in _YES


def is_no(value: str) -> bool:
    return value.strip().lower() in _NO


@dataclass(slots=True)
class RowInfo:
    row: int
    path: str
    type: str
    name: str
    list_name: str = ""
    or_other: bool = False
    in_repeat: str = ""  # path of the innermost repeat holding this row
    cells: dict[str, str] = field(default_factory=dict)  # canonical column -> header


@dataclass(slots=True)
class SheetCheck:
    """Runs the checks; ``rows`` maps a node path to its row once :meth:`survey` has run."""

    columns: dict[str, dict[str, str]]  # sheet -> header -> "C" letter
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    rows: dict[str, RowInfo] = field(default_factory=dict)
    choice_rows: dict[tuple[str, str], int] = field(default_factory=dict)
    choice_columns: dict[str, set[str]] = field(default_factory=dict)
    unusable: set[str] = field(default_factory=set)  # names on rows already refused
    externals: dict[str, str] = field(default_factory=dict)  # csv-/xml-external: name -> kind

    def col(self, sheet: str, header: str) -> str:
        letter = self.columns.get(sheet, {}).get(header)
        return f"{letter} ({header})" if letter else header

    def add(self, sheet: str, row: int | None, header: str | None, message: str,
            unsupported: bool = False) -> None:
        column = self.col(sheet, header) if header else None
        self.problems.append(Problem(sheet, row, column, message, unsupported))

    # -- choices --------------------------------------------------------------------------------

    def choices(self, rows: list[dict[str, Any]], allow_duplicates: bool) -> None:
        seen: Counter[tuple[str, str]] = Counter()
        reported: set[str] = set()
        for index, raw in enumerate(rows):
            row = index + 2
            cells = {split_header(h)[0]: h for h in raw}
            list_header, name_header = cells.get("list_name"), cells.get("name")
            if not raw:
                continue
            list_name = raw.get(list_header, "") if list_header else ""
            name = raw.get(name_header, "") if name_header else ""
            if not list_name:
                self.add("choices", row, list_header or "list_name",
                         _("the choice has no list_name"))
                continue
            if not name:
                self.add("choices", row, name_header or "name",
                         _("the choice in list '{list}' has no name").format(list=list_name))
                continue
            seen[(list_name, name)] += 1
            if seen[(list_name, name)] > 1 and not allow_duplicates:
                self.add("choices", row, name_header,
                         _("the choice '{name}' appears twice in list '{list}'; set "
                           "allow_choice_duplicates on the settings sheet if that is "
                           "intended").format(name=name, list=list_name))
            self.choice_rows.setdefault((list_name, name), row)
            extra = self.choice_columns.setdefault(list_name, set())
            for header in raw:
                base, _lang = split_header(header)
                if base in (*MEDIA_COLUMNS, "media"):
                    reported.add(header)  # read by pyxform into the choice's media
                elif base not in ("list_name", "name", "label"):
                    extra.add(header)

    # -- settings -------------------------------------------------------------------------------

    def settings(self, settings: dict[str, str]) -> None:
        used = {"form_title", "form_id", "version", "default_language", "allow_choice_duplicates",
                "style", "id_string", "title", "name", "clean_text_values", "omit_instanceid"}
        for header, value in settings.items():
            key = header.strip().lower()
            if key in used:
                continue
            if key in ("public_key", "submission_url", "auto_send", "auto_delete",
                       "instance_name", "namespaces"):
                self.notices.append(
                    _("settings: '{setting}' is not used: responses stay in fieldapp's encrypted "
                      "workspace").format(setting=header))
            elif key == "add_none_option" and is_no(value):
                continue
            else:
                self.notices.append(
                    _("settings: '{setting}' has no effect in fieldapp").format(setting=header))

    # -- survey ---------------------------------------------------------------------------------

    def survey(self, rows: list[dict[str, Any]], choice_lists: set[str]) -> None:
        stack: list[tuple[str, str, int]] = []  # (kind, path, row)
        siblings: list[set[str]] = [set()]
        unsupported_cols: dict[str, list[int]] = {}
        unknown_cols: set[str] = set()
        no_effect: set[str] = set()
        for index, raw in enumerate(rows):
            row = index + 2
            if not raw:
                continue
            cells: dict[str, str] = {}
            for header in raw:
                base, lang = split_header(header)
                key = f"{base}::{lang}" if lang and base in TRANSLATABLE else base
                cells[key] = header
                if base in NO_EFFECT_COLUMNS:
                    no_effect.add(header)
                elif base in UNSUPPORTED_COLUMNS or (lang and base not in TRANSLATABLE
                                                     and base in SURVEY_COLUMNS):
                    unsupported_cols.setdefault(header, []).append(row)
                elif base not in SURVEY_COLUMNS and base not in TRANSLATABLE:
                    unknown_cols.add(header)
            type_header = cells.get("type")
            type_text = " ".join(raw.get(type_header, "").split()) if type_header else ""
            name = raw.get(cells["name"], "").strip() if "name" in cells else ""
            if not type_text:
                # a comment row (text in other columns, as pyxform allows) is skipped; a row
                # that names a question but has no type is a mistake
                if name:
                    self.add("survey", row, type_header or "type", _("the row has no type"))
                continue
            if type_text in EXTERNAL_TYPES:
                self.externals[name] = type_text.split("-")[0]
                continue
            end = RE_END_CONTROL.match(type_text)
            if end:
                kind = _CONTROL.get(end.group("type"), "group")
                if not stack or stack[-1][0] != kind:
                    self.add("survey", row, type_header,
                             _("'{type}' has no matching 'begin {kind}'").format(
                                 type=type_text, kind=kind))
                else:
                    stack.pop()
                    siblings.pop()
                continue
            node_type, list_name, or_other = self._type(row, type_header or "type", type_text,
                                                        choice_lists)
            if node_type is None:
                self.unusable.add(name)
                continue
            if not name and node_type == "note":
                name = f"generated_note_name_{row}"  # as pyxform names them
            elif not name and node_type == "audit":
                name = "audit"
            if not name:
                self.add("survey", row, cells.get("name", "name"),
                         _("the question has no name"))
                continue
            if not _NAME.match(name):
                self.add("survey", row, cells["name"],
                         _("'{name}' is not a valid name: use letters, digits, '_', '-' or '.', "
                           "starting with a letter or '_'").format(name=name))
            if name in siblings[-1]:
                self.add("survey", row, cells["name"],
                         _("the name '{name}' is used twice in the same group").format(name=name))
            siblings[-1].add(name)
            parent = stack[-1][1] if stack else ""
            path = f"{parent}/{name}" if parent else name
            repeat = next((p for k, p, _r in reversed(stack) if k == "repeat"), "")
            self.rows.setdefault(path, RowInfo(row, path, node_type, name, list_name or "",
                                               or_other, repeat, cells))
            shown = ("label", "hint", "guidance_hint", *MEDIA_COLUMNS)
            # as pyxform: a question with nothing to show is refused, unless it is computed
            # (a "typed calculate": no body, only a calculation)
            if node_type in INPUT_TYPES and not any(
                    str(raw.get(h, "")).strip() for k, h in cells.items()
                    if k.split("::")[0] in (*shown, "calculation")):
                self.add("survey", row, cells.get("label", "label"),
                         _("the question '{name}' has no label: a researcher would see an empty "
                           "question; write its text in the label column").format(name=name))
            if node_type == "calculate" and not raw.get(cells.get("calculation", ""), "") \
                    and not raw.get(cells.get("default", ""), ""):
                self.add("survey", row, cells.get("calculation", "calculation"),
                         _("a calculate row needs a calculation"))
            if node_type in ("group", "repeat", "loop"):
                stack.append((node_type, path, row))
                siblings.append(set())
        for kind, _path, row in stack:
            self.add("survey", row, "type",
                     _("'begin {kind}' is never closed with 'end {kind}'").format(kind=kind))
        for header, used in unsupported_cols.items():
            more = len(used) - 1
            message = _("the column '{column}' is not supported").format(column=header)
            if more:
                message += " " + ngettext("(also used in {n} more row)",
                                          "(also used in {n} more rows)", more).format(n=more)
            self.add("survey", used[0], header, message, unsupported=True)
        for header in sorted(no_effect):
            self.notices.append(
                _("survey: the column '{column}' only changes how a phone behaves and has no "
                  "effect on the desktop").format(column=header))
        for header in sorted(unknown_cols):
            self.notices.append(
                _("survey: the column '{column}' is not part of XLSForm and was ignored").format(
                    column=header))

    def _type(self, row: int, header: str, text: str,
              choice_lists: set[str]) -> tuple[str | None, str | None, bool]:
        begin = RE_BEGIN_CONTROL.match(text)
        if begin:
            kind = _CONTROL.get(begin.group("type"), "group")
            if kind == "loop":
                list_name = begin.group("list_name") or ""
                if list_name not in choice_lists:
                    self.add("survey", row, header,
                             _("the choice list '{list}' does not exist on the choices sheet"
                               ).format(list=list_name))
                    return None, None, False
                return "loop", list_name, False
            return kind, None, False
        from_file = _FROM_FILE.match(text)
        if from_file:
            multiple = "multiple" in from_file.group("command")
            return ("select_multiple" if multiple else "select_one"), from_file.group("file"), False
        if text.startswith("rank "):
            list_name = text.split(None, 1)[1].strip()
            if list_name not in choice_lists:
                self.add("survey", row, header,
                         _("the choice list '{list}' does not exist on the choices sheet").format(
                             list=list_name))
                return None, None, False
            return "rank", list_name, False
        if text.startswith(_UNSUPPORTED_PREFIXES) or text in UNSUPPORTED_TYPES:
            self.add("survey", row, header,
                     _("the question type '{type}' is not supported").format(type=text),
                     unsupported=True)
            return None, None, False
        select = RE_SELECT.match(text)
        if select:
            command = select.group("select_command")
            multiple = "multiple" in command or "all" in command
            kind = "select_multiple" if multiple else "select_one"
            list_name = select.group("list_name")
            if _REF.fullmatch(list_name):
                # the choices are the answers of a question in a repeat (select_one ${name})
                return kind, list_name, False
            if list_name not in choice_lists:
                self.add("survey", row, header,
                         _("the choice list '{list}' does not exist on the choices sheet").format(
                             list=list_name))
                return None, None, False
            return kind, list_name, bool(select.group("specify_other"))
        if text in SIMPLE_TYPES or text.lower() in SIMPLE_TYPES:
            return SIMPLE_TYPES.get(text, SIMPLE_TYPES.get(text.lower())), None, False
        self.add("survey", row, header, _("unknown question type '{type}'").format(type=text))
        return None, None, False

    # -- expressions ----------------------------------------------------------------------------

    def expressions(self, rows: list[dict[str, Any]]) -> None:
        names = Counter(info.name for info in self.rows.values())
        by_row = {info.row: info for info in self.rows.values()}
        for index, raw in enumerate(rows):
            info = by_row.get(index + 2)
            if info is None:
                continue
            for key, header in info.cells.items():
                text = raw.get(header, "")
                base = key.split("::")[0]
                if not text:
                    continue
                if base in ("required", "read_only") and (is_yes(text) or is_no(text)):
                    continue
                if base == "default" and not _looks_dynamic(text):
                    continue
                if base in EXPRESSION_COLUMNS:
                    self._expression(info, header, text, base, names)
                elif base in TRANSLATABLE:
                    for ref in _REF.findall(text):
                        self._ref(info, header, ref.strip(), names)

    def _expression(self, info: RowInfo, header: str, text: str, base: str,
                    names: Counter[str]) -> None:
        try:
            tree = parse(text, choice_filter=(base == "choice_filter"))
            compile_expr(tree)
        except ExprError as exc:
            self.add("survey", info.row, header,
                     _("the expression '{expr}' cannot be read: {error}").format(
                         expr=text, error=exc.message))
            return
        for ref in sorted(references(tree)):
            self._ref(info, header, ref, names)

    def _ref(self, info: RowInfo, header: str, ref: str, names: Counter[str]) -> None:
        if ref in self.unusable or ref.startswith("last-saved#"):
            return
        if names[ref] == 0:
            self.add("survey", info.row, header,
                     _("'${{{ref}}}' refers to a question that does not exist").format(ref=ref))
        elif names[ref] > 1:
            self.add("survey", info.row, header,
                     _("'${{{ref}}}' is ambiguous: several questions are named '{ref}'").format(
                         ref=ref))


def _looks_dynamic(text: str) -> bool:
    return "${" in text or "(" in text
