"""Parser for the ODK XPath subset used in XLSForm expressions.

Why a parser of our own rather than ``elementpath``: XLSForm expressions are not run against an XML
document here but against a dict of answers, with ODK's rules (an empty answer is ``""``, numbers
from empty text are NaN, ``${name}`` references resolved relative to the current repeat instance,
``.`` meaning the answer being checked, bare names in ``choice_filter`` meaning columns of the
choices sheet, dates compared as days). We also need to know, before anything is evaluated, which
questions every expression reads, so that a changed answer recomputes only its dependents. A small
Pratt parser gives all of that in a few hundred lines; an XML XPath engine would need the form
rebuilt as an XML tree on every change and would hide the dependencies.

:func:`parse` turns text into a tree of :class:`Expr` nodes (once, at import);
:mod:`fieldapp.survey.xfuncs` compiles that tree to a Python closure and evaluates it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from fieldapp.errors import FieldappError
from fieldapp.i18n import _


class ExprError(FieldappError, ValueError):
    """A broken expression; ``message`` (translated where raised) says what, ``position`` where
    (1-based character position)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


# -- tree ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Expr:
    pass


@dataclass(slots=True)
class Literal(Expr):
    value: str | float


@dataclass(slots=True)
class Ref(Expr):
    """``${name}`` (or ``../name``): the answer of another question."""

    name: str


@dataclass(slots=True)
class Current(Expr):
    """``.``: the answer of the question the expression belongs to."""


@dataclass(slots=True)
class Parent(Expr):
    """``..``: only meaningful as the argument of ``position(..)``."""


@dataclass(slots=True)
class Column(Expr):
    """A bare name in a ``choice_filter``: a column of the choices sheet (``name``, ``cf`` ...)."""

    name: str


@dataclass(slots=True)
class Neg(Expr):
    operand: Expr


@dataclass(slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Call(Expr):
    name: str
    args: list[Expr] = field(default_factory=list)


@dataclass(slots=True)
class Step:
    """One location step: a child name, ``..``, ``.`` or ``*``, with its predicates."""

    name: str
    predicates: list[Expr] = field(default_factory=list)


@dataclass(slots=True)
class Path(Expr):
    """A location path: ``instance('list')/root/item[name = ${x}]/label``, ``${rep}[2]/age``,
    ``current()/../q``, ``/data/group/q``. ``base`` is None for an absolute path."""

    base: Expr | None
    steps: list[Step] = field(default_factory=list)


def children(expr: Expr) -> Iterator[Expr]:
    if isinstance(expr, Neg):
        yield expr.operand
    elif isinstance(expr, Binary):
        yield expr.left
        yield expr.right
    elif isinstance(expr, Call):
        yield from expr.args
    elif isinstance(expr, Path):
        if expr.base is not None:
            yield expr.base
        for step in expr.steps:
            yield from step.predicates


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of the tree, iteratively (long sums make deep left-leaning trees)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(children(node))))


def references(expr: Expr) -> set[str]:
    """Names of the questions an expression reads (``${name}``, ``../name``, jr:choice-name's)."""
    names = {e.name for e in walk(expr) if isinstance(e, Ref)}
    for e in walk(expr):
        if isinstance(e, Call) and e.name == "jr:choice-name" and len(e.args) == 2:
            target = e.args[1]
            if isinstance(target, Literal) and isinstance(target.value, str):
                found = _REF_IN_STRING.fullmatch(target.value.strip())
                if found:
                    names.add(found.group(1))
    return names


def path_names(expr: Expr) -> set[str]:
    """Names in location paths through the form (``${rep}[2]/age`` reads ``age``): questions
    the expression may read besides its ``${...}`` references."""
    names: set[str] = set()
    for e in walk(expr):
        if isinstance(e, Path) and not _is_instance(e.base):
            names.update(s.name for s in e.steps if s.name not in (".", "..", "*"))
    return names


def _is_instance(base: Expr | None) -> bool:
    return isinstance(base, Call) and base.name == "instance"


def depth(expr: Expr) -> int:
    """How deeply the tree nests (without recursion, so any expression can be measured)."""
    deepest, stack = 0, [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, Binary):  # a chain a + b + c ... is evaluated as a loop
            stack.append((node.left, level))
            stack.append((node.right, level + 1))
        else:
            stack.extend((child, level + 1) for child in children(node))
    return deepest


MAX_DEPTH = 200


def uses_current(expr: Expr) -> bool:
    return any(isinstance(e, Current) for e in walk(expr))


# -- tokens -------------------------------------------------------------------------------------

_REF_IN_STRING = re.compile(r"\$\{\s*([^}\s]+)\s*\}")
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{[^}]*\})
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<op>!=|<=|>=|\.\.|[=<>+\-*|(),./\[\]])
  | (?P<name>[^\W\d][\w\-]*(?:\.[\w\-]+)*(?::[^\W\d][\w\-]*)?)
    """,
    re.VERBOSE,
)
_NAME_OK = re.compile(r"[^\W\d][\w\-.]*")
#: as pyxform does, typographic quotes in expressions are straight quotes
_SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@dataclass(slots=True)
class Token:
    kind: str  # ref, str, num, op, name, end
    text: str
    pos: int  # 1-based


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise ExprError(
                _("unexpected character '{char}' at position {pos}").format(
                    char=text[i], pos=i + 1
                ),
                i + 1,
            )
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), i + 1))
        i = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# -- Pratt parser -------------------------------------------------------------------------------

_BINARY = {
    "or": 10, "and": 20,
    "=": 30, "!=": 30,
    "<": 40, "<=": 40, ">": 40, ">=": 40,
    "+": 50, "-": 50,
    "*": 60, "div": 60, "mod": 60,
}
_WORD_OPS = {"or", "and", "div", "mod"}


class _Parser:
    def __init__(self, text: str, choice_filter: bool) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.choice_filter = choice_filter
        self.in_predicate = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    def expect(self, text: str) -> Token:
        if self.tok.text != text or self.tok.kind not in ("op",):
            raise self.error(_("expected '{expected}'").format(expected=text))
        return self.advance()

    def error(self, message: str) -> ExprError:
        tok = self.tok
        shown = tok.text or _("the end")
        return ExprError(
            _("{message} at position {pos} (near '{near}')").format(
                message=message, pos=tok.pos, near=shown
            ),
            tok.pos,
        )

    def infix_op(self) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.text in _BINARY:
            return tok.text
        if tok.kind == "name" and tok.text in _WORD_OPS:
            return tok.text
        return None

    def expression(self, rbp: int = 0) -> Expr:
        left = self.prefix()
        while True:
            op = self.infix_op()
            if op is None or _BINARY[op] <= rbp:
                break
            self.advance()
            left = Binary(op, left, self.expression(_BINARY[op]))
        if self.at("|"):
            raise self.error(_("node-set unions ('|') are not supported"))
        return left

    def prefix(self) -> Expr:
        return self.postfix(self.primary())

    def postfix(self, base: Expr) -> Expr:
        """``[predicate]`` and ``/step`` after a primary make a location path."""
        steps: list[Step] = []
        if self.at("["):
            steps.append(Step(".", self.predicates()))
        while self.at("/"):
            self.advance()
            steps.append(self.step())
        if not steps:
            return base
        if isinstance(base, Path):
            base.steps.extend(steps)
            return base
        return Path(base, steps)

    def step(self) -> Step:
        tok = self.advance()
        if tok.kind == "op" and tok.text in ("..", "."):
            name = tok.text
        elif tok.kind == "op" and tok.text == "*":
            name = "*"
        elif tok.kind == "name":
            name = tok.text
        else:
            self.i -= 1
            raise self.error(_("expected a name after '/'"))
        return Step(name, self.predicates())

    def predicates(self) -> list[Expr]:
        found: list[Expr] = []
        while self.at("["):
            self.advance()
            self.in_predicate += 1
            found.append(self.expression())
            self.in_predicate -= 1
            self.expect("]")
        return found

    def primary(self) -> Expr:
        tok = self.advance()
        if tok.kind == "num":
            return Literal(float(tok.text))
        if tok.kind == "str":
            return Literal(tok.text[1:-1])
        if tok.kind == "ref":
            name = tok.text[2:-1].strip()
            if name.startswith("last-saved#"):
                # the previous response's answer: a desktop form starts from none, as ODK
                # Collect does for a first response
                return Literal("")
            if not _NAME_OK.fullmatch(name):
                self.i -= 1
                raise self.error(
                    _("'{ref}' is not a valid question reference").format(ref=tok.text)
                )
            return Ref(name)
        if tok.kind == "op":
            if tok.text == "(":
                inner = self.expression()
                self.expect(")")
                return inner
            if tok.text == "-":
                return Neg(self.expression(70))
            if tok.text == ".":
                return Current()
            if tok.text == "..":
                if self.at("/") and self.tokens[self.i + 1].kind == "name" and not (
                        self.tokens[self.i + 2].kind == "op"
                        and self.tokens[self.i + 2].text in ("/", "[")):
                    self.advance()
                    return Ref(self.advance().text)
                return Path(Current(), [Step("..")]) if self.at("/") else Parent()
            if tok.text == "/":
                if self.tok.kind != "name":
                    raise self.error(_("expected a name after '/'"))
                return Path(None, [self.step()])
        if tok.kind == "name":
            if self.at("("):
                return self.call(tok.text)
            if self.choice_filter or self.in_predicate:
                if self.at("/"):
                    return Path(Column(tok.text), [])
                return Column(tok.text)
            self.i -= 1
            raise self.error(
                _("'{word}' is neither a function nor a reference; write ${{{word}}} for a "
                  "question or '{word}' for text").format(word=tok.text)
            )
        self.i -= 1
        raise self.error(_("unexpected '{token}'").format(token=tok.text or _("end")))

    def call(self, name: str) -> Expr:
        self.expect("(")
        args: list[Expr] = []
        if not (self.tok.kind == "op" and self.tok.text == ")"):
            while True:
                args.append(self.expression())
                if self.tok.kind == "op" and self.tok.text == ",":
                    self.advance()
                    continue
                break
        self.expect(")")
        return Call(name, args)


def parse(text: str, choice_filter: bool = False) -> Expr:
    """Parse an expression. ``choice_filter=True`` lets bare names stand for choice columns."""
    if not text.strip():
        raise ExprError(_("the expression is empty"), 1)
    text = text.translate(_SMART_QUOTES)
    parser = _Parser(text, choice_filter)
    try:
        expr = parser.expression()
    except RecursionError:
        raise ExprError(_("the expression nests too deeply; split it into several calculate "
                          "rows")) from None
    if parser.tok.kind != "end":
        raise parser.error(_("unexpected text after the expression"))
    if depth(expr) > MAX_DEPTH:
        raise ExprError(_("the expression nests {n} levels deep (at most {limit}); split it into "
                          "several calculate rows").format(n=depth(expr), limit=MAX_DEPTH))
    return expr
