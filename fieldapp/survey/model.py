"""The instrument model: plain dataclasses, serialisable to one JSON value and back.

An :class:`Instrument` is what fieldapp keeps of an XLSForm after import: the question tree,
the choice lists and every expression as the author wrote it (expressions are parsed again, and
cheaply, when a :class:`~fieldapp.survey.engine.FormState` is built). Text that exists per language
(labels, hints, messages) is a ``dict`` from the form's language name (``"English (en)"``,
``"中文 (zh)"``, or ``"default"`` for columns without a language) to the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

Texts = dict[str, str]

#: Question types that hold an answer the researcher types or picks.
INPUT_TYPES = frozenset(
    {"text", "integer", "decimal", "select_one", "select_multiple", "date", "time", "datetime",
     "acknowledge", "geopoint", "geotrace", "geoshape", "barcode", "range", "rank", "image",
     "audio", "video", "file"}
)
#: Types whose answer is a file, kept as an encrypted attachment of the response.
FILE_TYPES = frozenset({"image", "audio", "video", "file"})
#: Types whose answer is one or more coordinates ("lat lon alt accuracy", ";"-separated).
GEO_TYPES = frozenset({"geopoint", "geotrace", "geoshape"})
#: Types filled in by the form itself (metadata). A desktop has no GPS, SIM card or
#: microphone running in the background: those are left empty.
META_TYPES = frozenset(
    {"start", "end", "today", "deviceid", "username", "email", "phonenumber", "simserial",
     "subscriberid", "imei", "audit", "start-geopoint", "background-geopoint",
     "background-audio", "hidden"}
)
CONTAINER_TYPES = frozenset({"group", "repeat"})
ALL_TYPES = INPUT_TYPES | META_TYPES | CONTAINER_TYPES | {"note", "calculate"}

_CODE_IN_PARENS = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$")
_LANGUAGE_NAMES = {
    "english": "en", "chinese": "zh", "中文": "zh", "汉语": "zh", "简体中文": "zh",
    "french": "fr", "spanish": "es", "default": "",
}


def language_code(language: str) -> str:
    """The ISO code of a form language name: ``"中文 (zh)"`` → ``"zh"``; ``"chinese"`` too."""
    found = _CODE_IN_PARENS.search(language)
    if found:
        return found.group(1).replace("_", "-").split("-")[0].lower()
    return _LANGUAGE_NAMES.get(language.strip().lower(), language.strip().lower())


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SEPARATORS = re.compile(r"\s*(?:/|\||｜|／|\s[-–—]\s)\s*")
_LATIN_THEN_CJK = re.compile(r"^([^\u3400-\u9fff]*[A-Za-z][^\u3400-\u9fff]*?)\s+"
                             r"([\u3400-\u9fff].*)$")
_CJK_THEN_LATIN = re.compile(r"^(.*[\u3400-\u9fff][^A-Za-z]*?)\s+([A-Za-z][^\u3400-\u9fff]*)$")


def bilingual_part(text: str, language: str) -> str:
    """The Chinese or the other part of a title written in both, for ``language``; the whole
    text when it is not written in both (or the language is neither)."""
    code = language_code(language.replace("_", "-").split("-")[0]) if language else ""
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if len(parts) > 2:
        return text
    if len(parts) == 1:
        match = _LATIN_THEN_CJK.match(text.strip()) or _CJK_THEN_LATIN.match(text.strip())
        parts = [match.group(1).strip(), match.group(2).strip()] if match else []
    chinese = [p for p in parts if _CJK.search(p)]
    other = [p for p in parts if not _CJK.search(p)]
    if len(chinese) != 1 or len(other) != 1:
        return text
    if code == "zh":
        return chinese[0]
    return other[0] if code else text


def pick_text(texts: Texts, language: str, fallback: str = "") -> str:
    """The text for ``language`` (a form language name or a code such as ``en``/``zh_CN``).

    Falls back to the form's ``fallback`` language, then ``default``, then any language, so a
    question never shows up blank just because one translation is missing.
    """
    if not texts:
        return ""
    if language in texts:
        return texts[language]
    code = language_code(language.replace("_", "-").split("-")[0]) if language else ""
    for name, text in texts.items():
        if code and language_code(name) == code:
            return text
    for name in (fallback, "default"):
        if name in texts:
            return texts[name]
    return next(iter(texts.values()))


@dataclass(slots=True)
class Choice:
    name: str
    labels: Texts = field(default_factory=dict)
    #: other columns of the choices sheet (used by choice_filter), by header
    extra: dict[str, str] = field(default_factory=dict)
    row: int | None = None
    media: dict[str, Texts] = field(default_factory=dict)

    def label(self, language: str, fallback: str = "") -> str:
        return pick_text(self.labels, language, fallback) or self.name


@dataclass(slots=True)
class ChoiceList:
    name: str
    choices: list[Choice] = field(default_factory=list)

    def get(self, name: str) -> Choice | None:
        for choice in self.choices:
            if choice.name == name:
                return choice
        return None


@dataclass(slots=True)
class Node:
    """A question, note, calculation, group or repeat."""

    type: str
    name: str
    path: str  # names from the top joined with "/", e.g. "contracts/amount"
    row: int | None = None  # row on the survey sheet
    labels: Texts = field(default_factory=dict)
    hints: Texts = field(default_factory=dict)
    relevant: str = ""
    constraint: str = ""
    constraint_message: Texts = field(default_factory=dict)
    required: str = ""  # an expression; "true()" for plain "yes"
    required_message: Texts = field(default_factory=dict)
    calculation: str = ""
    #: a calculation's declared value type (the ``bind::type`` column) as a question type:
    #: "integer", "decimal", "date", "datetime", "time" or "text"; "" when none was declared
    data_type: str = ""
    default: str = ""
    read_only: str = ""
    choice_filter: str = ""
    appearance: str = ""
    list_name: str = ""
    or_other: bool = False
    #: the "other, specify" text question pyxform adds after a select with ``or_other``
    other_of: str = ""
    #: media files shown with the question: {"image": {language: file name}, "audio": ...}
    media: dict[str, Texts] = field(default_factory=dict)
    guidance: Texts = field(default_factory=dict)
    #: the ``parameters`` column, parsed (range start/end/step, geo accuracy, randomize ...)
    parameters: dict[str, str] = field(default_factory=dict)
    #: a repeat's fixed number of instances (the ``repeat_count`` column), as an expression
    repeat_count: str = ""
    #: questions whose change recomputes this one's calculation (the ``trigger`` column)
    trigger: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    @property
    def is_container(self) -> bool:
        return self.type in CONTAINER_TYPES

    @property
    def value_type(self) -> str:
        """The type of the value this node holds: a calculation's declared type, else its own."""
        return self.data_type if self.type == "calculate" and self.data_type else self.type

    @property
    def field_list(self) -> bool:
        return self.type == "group" and "field-list" in self.appearance.split()

    def label(self, language: str, fallback: str = "") -> str:
        return pick_text(self.labels, language, fallback)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "children":
                if value:
                    out["children"] = [c.to_dict() for c in value]
            elif value or f.name in ("type", "name", "path"):
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Node:
        kwargs = {k: v for k, v in data.items() if k != "children"}
        node = cls(**kwargs)
        node.children = [cls.from_dict(c) for c in data.get("children", [])]
        return node


@dataclass(slots=True)
class Instrument:
    form_id: str
    version: str = ""
    titles: Texts = field(default_factory=dict)
    default_language: str = "default"
    languages: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    choice_lists: dict[str, ChoiceList] = field(default_factory=dict)
    #: notes for the person importing (settings fieldapp ignores because they do not apply)
    notices: list[str] = field(default_factory=list)
    #: secondary instances: name -> rows (choice lists, CSV/XML files beside the form), each row
    #: a dict of column -> text; read by instance('name')/root/item and pulldata()
    instances: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: media files found beside the form, by file name, base64-encoded
    media_files: dict[str, str] = field(default_factory=dict)
    #: the entities sheet: {"dataset": ..., "label": expression, "properties": {name: question}}
    entities: dict[str, Any] = field(default_factory=dict)

    # -- lookup -------------------------------------------------------------------------------

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            yield from child.walk()

    def node(self, path: str) -> Node:
        for node in self.walk():
            if node.path == path:
                return node
        raise KeyError(path)

    def title(self, language: str) -> str:
        """The form's title in ``language``. XLSForm has one ``form_title`` for all languages,
        so bilingual forms write both in it ("NGO survey 社会组织调查", "社会组织调查 / NGO
        survey"); such a title shows only the part in the language asked for."""
        text = pick_text(self.titles, language, self.default_language) or self.form_id
        if len(self.titles) > 1:
            return text
        return bilingual_part(text, language)

    def resolve_language(self, language: str) -> str:
        """The form language that fits an interface language (``en``, ``zh_CN``), or the default."""
        if language in self.languages:
            return language
        code = language_code(language.replace("_", "-").split("-")[0])
        for name in self.languages:
            if language_code(name) == code:
                return name
        return self.default_language

    # -- JSON ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "form_id": self.form_id,
            "version": self.version,
            "titles": self.titles,
            "default_language": self.default_language,
            "languages": self.languages,
            "children": [c.to_dict() for c in self.children],
            "choice_lists": {
                name: [
                    {k: v for k, v in (("name", c.name), ("labels", c.labels),
                                       ("extra", c.extra), ("row", c.row), ("media", c.media))
                     if v or k == "name"}
                    for c in lst.choices
                ]
                for name, lst in self.choice_lists.items()
            },
            "notices": self.notices,
            **({"instances": self.instances} if self.instances else {}),
            **({"media_files": self.media_files} if self.media_files else {}),
            **({"entities": self.entities} if self.entities else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instrument:
        return cls(
            form_id=data["form_id"],
            version=data.get("version", ""),
            titles=dict(data.get("titles", {})),
            default_language=data.get("default_language", "default"),
            languages=list(data.get("languages", [])),
            children=[Node.from_dict(c) for c in data.get("children", [])],
            choice_lists={
                name: ChoiceList(name, [Choice(**c) for c in choices])
                for name, choices in data.get("choice_lists", {}).items()
            },
            notices=list(data.get("notices", [])),
            instances={k: list(v) for k, v in data.get("instances", {}).items()},
            media_files=dict(data.get("media_files", {})),
            entities=dict(data.get("entities", {})),
        )

    @classmethod
    def from_json(cls, text: str) -> Instrument:
        return cls.from_dict(json.loads(text))
