"""An instrument compiled for filling in: parsed expressions, dependencies and their order.

Built once per instrument (cheap: a few ms for hundreds of questions) and shared by every
:class:`~fieldapp.survey.engine.FormState` of that instrument. The dependency graph is static:
``dependents[path]`` lists the questions whose relevance, calculation, choices, constraint,
required or read-only state read ``path``, and ``rank`` orders questions so that everything a
value depends on (relevance, calculation, choice filter, the enclosing group) comes first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from fieldapp.i18n import _
from fieldapp.survey.model import Instrument, Node
from fieldapp.survey.problems import Problem
from fieldapp.survey.xfuncs import Fn, compile_expr
from fieldapp.survey.xpath import (
    Binary,
    Call,
    Expr,
    ExprError,
    Literal,
    Neg,
    parse,
    path_names,
    references,
    uses_current,
    walk,
)

VALUE_KINDS = ("relevant", "calculation", "choice_filter", "repeat_count")
CHECK_KINDS = ("constraint", "required", "read_only")


@dataclass(slots=True)
class Compiled:
    node: Node
    chain: tuple[str, ...]  # repeats holding the node, outermost first (a repeat holds itself)
    parent: str  # path of the enclosing group/repeat, "" at the top
    fns: dict[str, Fn] = field(default_factory=dict)
    parent_depth: int = 0  # len(chain) of the parent: the indexes that name its instance
    default_fn: Fn | None = None
    reads: set[str] = field(default_factory=set)  # paths read by value-producing expressions
    checks: set[str] = field(default_factory=set)  # paths read by constraint/required/read_only


def dynamic_list(node: Node) -> str:
    """For ``select_one ${name}``: the question whose answers are the choices, else ""."""
    text = node.list_name
    return text[2:-1].strip() if text.startswith("${") and text.endswith("}") else ""


#: Functions whose result depends on their arguments alone.
_PURE = frozenset({"true", "false", "not", "boolean", "number", "string"})


def _constant(tree: Expr) -> Fn | None:
    """For an expression that reads nothing (``true()``, ``1 = 1``): a function returning its
    value, computed once. None for any other expression."""
    for e in walk(tree):
        if not (isinstance(e, Literal | Neg | Binary)
                or (isinstance(e, Call) and e.name in _PURE)):
            return None
    try:
        value = compile_expr(tree)(None)  # type: ignore[arg-type]  # reads no context
    except Exception:  # an expression that fails is left to fail where it runs
        return None
    return lambda _ctx: value


class Program:
    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.nodes: dict[str, Compiled] = {}
        self._reads: dict[tuple[str, str], tuple[str, int, bool] | None] = {}
        self._choice_names: dict[str, frozenset[str]] = {}
        self.by_name: dict[str, list[str]] = {}
        self.problems: list[Problem] = []
        for top in instrument.children:
            self._collect(top, "", ())
        for compiled in self.nodes.values():
            self._compile(compiled)
            if compiled.parent:
                compiled.parent_depth = len(self.nodes[compiled.parent].chain)
        self.dependents: dict[str, list[str]] = {path: [] for path in self.nodes}
        for path, compiled in self.nodes.items():
            for source in compiled.reads | compiled.checks:
                if source != path and path not in self.dependents[source]:
                    self.dependents[source].append(path)
            if compiled.parent:
                self.dependents[compiled.parent].append(path)
        self.rank = self._order()
        #: the paths in rank order (filled on first use by FormState.recompute_all)
        self.ranked: list[str] | None = None
        #: repeats whose number of instances the form sets (repeat_count), outermost first
        self.counted = [p for p, c in self.nodes.items() if "repeat_count" in c.fns]

    @classmethod
    def check(cls, instrument: Instrument) -> list[Problem]:
        return cls(instrument).problems

    # -- building -------------------------------------------------------------------------------

    def _collect(self, node: Node, parent: str, chain: tuple[str, ...]) -> None:
        if node.type == "repeat":
            chain = (*chain, node.path)
        self.nodes[node.path] = Compiled(node, chain, parent)
        self.by_name.setdefault(node.name, []).append(node.path)
        for child in node.children:
            self._collect(child, node.path, chain)

    def reads_from(self, name: str, here: str) -> tuple[str, int, bool] | None:
        """Where ``${name}`` read from question ``here`` points: the question's path, how many
        repeats the two share (the instance indexes they have in common) and whether that
        names one instance (else every instance below them). None when the name is not one
        question's."""
        key = (name, here)
        found = self._reads.get(key, False)
        if found is not False:
            return found  # type: ignore[return-value]
        path = self.resolve(name)
        result: tuple[str, int, bool] | None = None
        if path is not None:
            target, chain = self.nodes[path].chain, self.nodes[here].chain
            shared = 0
            while shared < min(len(target), len(chain)) and target[shared] == chain[shared]:
                shared += 1
            result = (path, shared, shared == len(target))
        self._reads[key] = result
        return result

    def choice_names(self, list_name: str) -> frozenset[str]:
        """The names of a choice list's choices (empty for a list the form does not have)."""
        names = self._choice_names.get(list_name)
        if names is None:
            lst = self.instrument.choice_lists.get(list_name)
            names = frozenset(c.name for c in lst.choices) if lst else frozenset()
            self._choice_names[list_name] = names
        return names

    def resolve(self, name: str) -> str | None:
        paths = self.by_name.get(name, [])
        return paths[0] if len(paths) == 1 else None

    def _compile(self, compiled: Compiled) -> None:
        node = compiled.node
        source = dynamic_list(node)
        if source:
            path = self.resolve(source)
            if path is None:
                self._problem(node, "type", _("'${{{ref}}}' does not name exactly one question")
                              .format(ref=source))
            else:
                compiled.reads.add(path)
        for kind in (*VALUE_KINDS, *CHECK_KINDS, "default"):
            text: str = getattr(node, kind)
            if not text or (kind == "default" and "${" not in text and "(" not in text):
                continue
            try:
                tree = parse(text, choice_filter=(kind == "choice_filter"))
                fn = _constant(tree) or compile_expr(tree)
            except ExprError as exc:
                self._problem(node, kind, _("the expression '{expr}' cannot be read: {error}")
                              .format(expr=text, error=exc.message))
                continue
            if kind == "default":
                compiled.default_fn = fn
                continue
            if kind == "calculation" and node.trigger:
                for name in node.trigger:
                    path = self.resolve(name)
                    if path is not None:
                        compiled.reads.add(path)
            compiled.fns[kind] = fn
            target = compiled.reads if kind in VALUE_KINDS else compiled.checks
            if kind in VALUE_KINDS and uses_current(tree) and kind != "choice_filter":
                compiled.checks.add(node.path)
            for name in path_names(tree):
                found = self.by_name.get(name, [])
                target.update(found)
            for name in references(tree):
                path = self.resolve(name)
                if path is None:
                    self._problem(node, kind, _("'${{{ref}}}' does not name exactly one question")
                                  .format(ref=name))
                else:
                    target.add(path)

    def _problem(self, node: Node, column: str, message: str) -> None:
        self.problems.append(Problem("survey", node.row, column, message))

    def _order(self) -> dict[str, int]:
        """Topological rank over value edges (Kahn, ties in document order); cycles reported."""
        order = {path: i for i, path in enumerate(self.nodes)}
        incoming: dict[str, int] = dict.fromkeys(self.nodes, 0)
        value_out: dict[str, list[str]] = {path: [] for path in self.nodes}
        for path, compiled in self.nodes.items():
            sources = set(compiled.reads)
            if compiled.parent:
                sources.add(compiled.parent)
            for source in sources:
                value_out[source].append(path)
                incoming[path] += 1
        ready = [(order[p], p) for p, n in incoming.items() if n == 0]
        heapq.heapify(ready)
        rank: dict[str, int] = {}
        while ready:
            _pos, path = heapq.heappop(ready)
            rank[path] = len(rank)
            for target in value_out[path]:
                incoming[target] -= 1
                if incoming[target] == 0:
                    heapq.heappush(ready, (order[target], target))
        for path in self.nodes:
            if path not in rank:
                node = self.nodes[path].node
                column = "calculation" if node.calculation else "relevant"
                self._problem(node, column, _("'{name}' depends on itself through a cycle of "
                                              "calculations or relevance").format(name=node.name))
                rank[path] = len(rank)
        return rank
