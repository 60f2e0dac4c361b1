"""Case attributes: typed facts about participants and organisations (annual budget, staff,
registration status, years of government contracts), and conditions on them.

An attribute has a *name* (used in conditions: letters — Chinese too —, digits and ``_``), a
record type it *applies to* (``participant`` or ``organisation``), a *type* and labels in both
languages:

- ``text``: any text; conditions ``=`` and ``!=`` (case and width folded).
- ``number``: a whole or decimal number (``1000000``, ``1,000,000``, ``2.5``); all operators.
- ``date``: a calendar date, ``YYYY-MM-DD``; all operators.
- ``choice``: one of a list of choices, each with a value and a label in both languages; a
  value is given by the choice's value or either label; conditions ``=`` and ``!=``.

A condition is ``NAME OP VALUE`` with OP one of ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``
(full-width ``＞＝`` too), e.g. ``budget>=1000000``, ``registration=registered``,
``founded<2015-01-01``. The value is read by the attribute's type, so a bad number, date or
choice is refused with a message that says what is expected. A case without a value for the
attribute matches no condition on it.

Plain functions: no workspace, no I/O (the record services read and write the values).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fieldapp.i18n import N_, _, format_list, pick
from fieldapp.store.errors import InvalidInput

TYPES = ("text", "number", "date", "choice")
APPLIES_TO = ("participant", "organisation")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
ORDERED_TYPES = ("number", "date")
TYPE_LABELS = {"text": N_("text"), "number": N_("number"), "date": N_("date"),
               "choice": N_("choice")}
APPLIES_LABELS = {"participant": N_("participants"), "organisation": N_("organisations")}
MAX_TEXT = 2000

_NAME = re.compile(r"^[^\W\d]\w{0,39}$")
_CONDITION = re.compile(r"^\s*([^\s=!<>]+)\s*(>=|<=|!=|==|=|<|>)\s*(.*?)\s*$", re.S)


def fold(text: str) -> str:
    """Width and case folded, for comparing names, labels and text values."""
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


@dataclass(frozen=True)
class Choice:
    value: str
    label_zh: str = ""
    label_en: str = ""

    def label(self) -> str:
        return pick(self.label_zh, self.label_en) or self.value


@dataclass(frozen=True)
class Attribute:
    id: str
    name: str
    applies_to: str
    type: str
    label_zh: str = ""
    label_en: str = ""
    choices: tuple[Choice, ...] = ()
    sort_order: int = 0

    def label(self) -> str:
        """The label in the current language (the name when it has none)."""
        return pick(self.label_zh, self.label_en) or self.name

    def choice(self, value: Any) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Attribute:
        choices = tuple(Choice(str(c.get("value") or ""), str(c.get("label_zh") or ""),
                               str(c.get("label_en") or ""))
                        for c in (r.get("choices") or []) if isinstance(c, dict))
        return cls(str(r["id"]), str(r.get("name") or ""), str(r.get("applies_to") or ""),
                   str(r.get("type") or "text"), str(r.get("label_zh") or ""),
                   str(r.get("label_en") or ""), choices, int(r.get("sort_order") or 0))


def check_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(_("“{name}” cannot be an attribute name: use letters (Chinese too), "
                             "digits and _ (at most 40, starting with a letter), for example "
                             "budget or 年度预算.").format(name=name))
    return name


def check_choices(choices: list[Choice]) -> list[Choice]:
    seen: set[str] = set()
    out = []
    for c in choices:
        value = unicodedata.normalize("NFKC", c.value).strip()
        if not value:
            raise InvalidInput(_("Every choice needs a value."))
        if fold(value) in seen:
            raise InvalidInput(_("The choice {value} is listed twice.").format(value=value))
        seen.add(fold(value))
        out.append(Choice(value, c.label_zh.strip(), c.label_en.strip()))
    if not out:
        raise InvalidInput(_("A choice attribute needs at least one choice."))
    return out


def parse_choices(text: str) -> list[Choice]:
    """Choices written as ``value=中文标签|English label; value2=…`` (labels optional)."""
    out = []
    for part in re.split(r"[;；\n]", text or ""):
        if not part.strip():
            continue
        value, _sep, labels = part.partition("=")
        zh, _bar, en = labels.partition("|")
        out.append(Choice(value.strip(), zh.strip(), en.strip()))
    return check_choices(out)


def format_choices(choices: tuple[Choice, ...] | list[Choice]) -> str:
    return "; ".join(f"{c.value}={c.label_zh}|{c.label_en}" for c in choices)


def _number(text: str) -> int | float | None:
    flat = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace(" ", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", flat):
        return None
    value = float(flat)
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


def expected(attr: Attribute) -> str:
    """What a value of ``attr`` must look like, for a message."""
    if attr.type == "number":
        return _("a number, such as 1000000 or 2.5")
    if attr.type == "date":
        return _("a date written YYYY-MM-DD, such as 2024-03-31")
    if attr.type == "choice":
        return _("one of: {choices}").format(
            choices=format_list([f"{c.value} ({c.label()})" if c.label() != c.value
                                 else c.value for c in attr.choices]))
    return _("text")


def _bad(attr: Attribute, text: str) -> InvalidInput:
    return InvalidInput(_("“{value}” is not a valid value of {attribute}: it must be "
                          "{expected}. Nothing was changed.").format(
        value=text if len(text) <= 40 else text[:39] + "…", attribute=attr.label(),
        expected=expected(attr)))


def parse_value(attr: Attribute, raw: Any) -> Any:
    """A value for ``attr`` from what a person typed (or a typed value from an editor), as it
    is stored: text → str, number → int or float, date → ``YYYY-MM-DD``, choice → the choice's
    value. Raises :class:`InvalidInput` naming the attribute and what is expected."""
    if attr.type == "number":
        if isinstance(raw, bool):
            raise _bad(attr, str(raw))
        if isinstance(raw, (int, float)):
            if not math.isfinite(raw):
                raise _bad(attr, str(raw))
            return int(raw) if float(raw).is_integer() and abs(raw) < 2 ** 53 else float(raw)
        number = _number(str(raw))
        if number is None:
            raise _bad(attr, str(raw))
        return number
    text = raw.isoformat() if isinstance(raw, date) else str(raw if raw is not None else "")
    if attr.type == "date":
        flat = unicodedata.normalize("NFKC", text).strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", flat):
                raise ValueError(flat)
            return date.fromisoformat(flat).isoformat()
        except ValueError:
            raise _bad(attr, text) from None
    if attr.type == "choice":
        wanted = fold(text)
        for c in attr.choices:
            if wanted and wanted in {fold(c.value), fold(c.label_zh), fold(c.label_en)}:
                return c.value
        raise _bad(attr, text)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(_("A text attribute holds at most {n} characters; nothing was "
                             "changed.").format(n=MAX_TEXT))
    return text


def display(attr: Attribute, value: Any) -> str:
    """A stored value as a person reads it (a choice by its label in the current language)."""
    if value is None or value == "":
        return ""
    if attr.type == "choice":
        c = attr.choice(value)
        return c.label() if c else str(value)
    if attr.type == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- conditions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    attribute: Attribute
    op: str
    value: Any
    text: str = field(default="", compare=False)

    def holds(self, value: Any) -> bool:
        """Whether a case whose value is ``value`` (None: no value) meets the condition."""
        if value is None or value == "":
            return False
        mine: Any = value
        theirs: Any = self.value
        if self.attribute.type == "text":
            mine, theirs = fold(str(value)), fold(str(theirs))
        elif self.attribute.type == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
        elif self.attribute.type == "date":
            # only a real date compares: "['2020']" from a hostile bundle sorts after any date
            try:
                mine = date.fromisoformat(value).isoformat() if isinstance(value, str) else None
            except ValueError:
                mine = None
            if mine is None:
                return False
        return bool({"=": mine == theirs, "!=": mine != theirs,
                "<": self._ordered() and mine < theirs, "<=": self._ordered() and mine <= theirs,
                ">": self._ordered() and mine > theirs,
                ">=": self._ordered() and mine >= theirs}[self.op])

    def _ordered(self) -> bool:
        return self.attribute.type in ORDERED_TYPES


def find(attributes: list[Attribute], name: str) -> Attribute:
    """An attribute named by its name or by its label in either language."""
    wanted = fold(name)
    for a in attributes:
        if wanted == fold(a.name):
            return a
    for a in attributes:
        if wanted and wanted in (fold(a.label_zh), fold(a.label_en)):
            return a
    if not attributes:
        raise InvalidInput(_("There is no case attribute “{name}”: none is defined yet "
                             "(fieldapp attributes WORKSPACE define …, or Case attributes… in "
                             "the codebook).").format(name=name))
    raise InvalidInput(_("There is no case attribute “{name}”. Defined: {names}.").format(
        name=name, names=format_list([a.name for a in attributes])))


def parse_condition(attributes: list[Attribute], text: str) -> Condition:
    """``budget>=1000000`` → a condition (see the module's description)."""
    flat = unicodedata.normalize("NFKC", text or "")
    m = _CONDITION.match(flat)
    if not m or not m.group(3):
        raise InvalidInput(_("“{text}” is not a condition: write an attribute name, an operator "
                             "(=, !=, <, <=, >, >=) and a value, for example budget>=1000000."
                             ).format(text=text))
    name, op, raw = m.group(1), m.group(2), m.group(3)
    op = "=" if op == "==" else op
    attr = find(attributes, name)
    if op not in ("=", "!=") and attr.type not in ORDERED_TYPES:
        raise InvalidInput(_("{attribute} is a {type} attribute: only = and != compare it."
                             ).format(attribute=attr.label(), type=_(TYPE_LABELS[attr.type])))
    raw = raw.strip().strip("\"'“”")
    return Condition(attr, op, parse_value(attr, raw), text)


def parse_conditions(attributes: list[Attribute], texts: list[str] | tuple[str, ...]
                     ) -> tuple[Condition, ...]:
    """Several conditions, each given apart or several joined by ``;`` (all must hold)."""
    out: list[Condition] = []
    for text in texts:
        for part in re.split(r"[;；]", text):
            if part.strip():
                out.append(parse_condition(attributes, part))
    return tuple(out)
