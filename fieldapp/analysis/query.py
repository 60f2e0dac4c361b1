"""Code queries: ``A AND B``, ``A OR B``, ``A NOT B``, ``NOT A``, parentheses.

A code is named by its Chinese or English name (case and width folded), or by its id; a name with
spaces or brackets is quoted ("Service contracting" or “政府购买服务”). A code stands for itself
and every code below it in the codebook tree, as a theme does in NVivo's aggregate view.

``A NOT B`` means A AND NOT B. Operators are also accepted in Chinese (且, 或, 非) and as symbols
(``&``, ``|``, ``-``). Precedence: NOT binds tightest, then AND, then OR.

A query is evaluated on a set of codes: those of one elementary segment ("in the same passage") or
of one whole interview ("in the same interview").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from fieldapp.errors import FieldappError
from fieldapp.i18n import _

MAX_TOKENS = 400
MAX_DEPTH = 40

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|“([^”]*)”|([&|\-])|([^\s()"“”&|]+))')
_WORDS = {"and": "AND", "且": "AND", "&": "AND", "or": "OR", "或": "OR", "|": "OR",
          "not": "NOT", "非": "NOT", "-": "NOT"}


class QueryError(FieldappError):
    """A query that cannot be read: the message says where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._message = message

    @property
    def message(self) -> str:
        return self._message


@dataclass(frozen=True)
class Code:
    name: str
    ids: frozenset[str]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


Node = Code | Not | And | Or
Resolver = Callable[[str], frozenset[str] | None]


def fold_name(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(_("The query cannot be read at “{rest}”. Put code names with "
                               "spaces in quotes.").format(rest=text[pos:pos + 20]))
        pos = m.end()
        lpar, rpar, quoted, cquoted, symbol, word = m.groups()
        if lpar:
            out.append(("(", "("))
        elif rpar:
            out.append((")", ")"))
        elif quoted is not None or cquoted is not None:
            out.append(("NAME", quoted if quoted is not None else cquoted or ""))
        elif symbol:
            out.append((_WORDS[symbol], symbol))
        elif word is not None:
            op = _WORDS.get(word.casefold())
            out.append((op, word) if op else ("NAME", word))
        if len(out) > MAX_TOKENS:
            raise QueryError(_("The query is too long: at most {n} codes and operators."
                               ).format(n=MAX_TOKENS))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], resolve: Resolver) -> None:
        self.tokens = tokens
        self.pos = 0
        self.resolve = resolve
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError(_("The query is empty: name at least one code."))
        node = self.or_()
        if self.pos < len(self.tokens):
            raise QueryError(_("The query has “{token}” where an operator (AND, OR, NOT) was "
                               "expected.").format(token=self.tokens[self.pos][1]))
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek() == "OR":
            self.take()
            node = Or(node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.unary()
        while self.peek() in ("AND", "NOT"):
            kind, _text = self.take()
            right = self.unary()
            node = And(node, Not(right) if kind == "NOT" else right)
        return node

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(_("The query nests too deeply."))
        try:
            kind = self.peek()
            if kind is None:
                raise QueryError(_("The query ends where a code was expected."))
            if kind == "NOT":
                self.take()
                return Not(self.unary())
            if kind == "(":
                self.take()
                node = self.or_()
                if self.peek() != ")":
                    raise QueryError(_("A bracket in the query is not closed."))
                self.take()
                return node
            if kind == "NAME":
                _kind, name = self.take()
                ids = self.resolve(name)
                if not ids:
                    raise QueryError(_("There is no code named “{name}” in the codebook."
                                       ).format(name=name))
                return Code(name, ids)
            raise QueryError(_("The query has “{token}” where a code was expected.").format(
                token=self.tokens[self.pos][1]))
        finally:
            self.depth -= 1


def parse(text: str, resolve: Resolver) -> Node:
    """Parse ``text``; ``resolve`` maps a code name to the ids it stands for (or None)."""
    return _Parser(_tokens(text), resolve).parse()


def matches(node: Node, codes: frozenset[str]) -> bool:
    if isinstance(node, Code):
        return bool(node.ids & codes)
    if isinstance(node, Not):
        return not matches(node.operand, codes)
    if isinstance(node, And):
        return matches(node.left, codes) and matches(node.right, codes)
    return matches(node.left, codes) or matches(node.right, codes)


def positive_codes(node: Node, negated: bool = False) -> frozenset[str]:
    """Codes the query asks to be present (not those under NOT): what a result shows."""
    if isinstance(node, Code):
        return frozenset() if negated else node.ids
    if isinstance(node, Not):
        return positive_codes(node.operand, not negated)
    return positive_codes(node.left, negated) | positive_codes(node.right, negated)
