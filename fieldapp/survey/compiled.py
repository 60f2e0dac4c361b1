"""A form version's validator compiled to Python code: answers in, answers to store out.

:class:`~fieldapp.survey.fill.FormPlan` fills a copy of a :class:`FormState` (seven dicts per
response, every question's relevance, requirement, read-only state and validity written to
them) and dumps it. For a response that is accepted as it is -- the common case of a batch --
only two things matter: that the reference would accept it (and, to complete it, find nothing
missing or invalid), and the answers it would store. :class:`CompiledForm` decides both with
code generated once per instrument version: one straight block per question in the program's
rank order (a loop over the instances of a repeat), with the question's paths, its repeat,
its group's relevance and what its evaluation depends on written in as constants. The
answers of questions outside repeats are local variables of the generated function; those
inside repeats sit in one dict keyed like ``FormState.values``; nothing else is read. A
name the form does not know at its level is found with one subset test per dict.

Each question's evaluation comes from a memo keyed by what decides it (its group's
relevance, the values its expressions read, its own answer where a constraint reads it, the
date for ``today()``, its instance only where an expression reads a position: the inputs
``FormPlan`` keys its memo by); a key seen for the first time is evaluated by the engine itself
(``FormState._evaluate`` on a state holding these answers, the locals joined into its dict).
The common entry (shown, kept, not read-only, not required, valid) is one shared object,
passed over by identity. Three kinds of question need no memo: one whose expressions read
nothing (written in as the two outcomes its group's relevance gives, evaluated by the engine
when the code is made); ``sum()`` over a repeat's numbers (added up as the engine reads
them); and a number whose constraint only compares it with constant numbers (``. >= 0 and
. <= 5000``; its requirement constant): the comparison is written in, on the answer read as
the engine reads it (a float), so free numbers (amounts, ages), which would miss the memo
for nearly every response, cost no evaluation. So the generated code decides nothing the
engine does not: it leaves out what a stored response does not keep.

:meth:`CompiledForm.stored` returns ``None`` whenever the response is not plainly accepted
(an answer refused, hidden, read-only or changed by the form; to complete, a required answer
missing or a constraint failed): the caller then takes the plan (and through it the
reference), which says why; so does a default the answers may hide on the way. Forms
outside what the generator handles (the plan's own refusals, questions evaluated every time,
repeats inside repeats, metadata inside a repeat) are never compiled: ``reason`` says why.
``tests/unit/survey/test_compiled_form.py`` compares it with the reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldapp.survey.engine import AnswerError, FormState, Idx, Slot
from fieldapp.survey.model import Node
from fieldapp.survey.xfuncs import number_to_string
from fieldapp.survey.xpath import (
    Binary,
    Call,
    Current,
    Expr,
    ExprError,
    Literal,
    Neg,
    Parent,
    Path,
    Ref,
    parse,
    walk,
)

if TYPE_CHECKING:
    from fieldapp.survey.fill import FormPlan

#: Types whose stored answer is always text (or absent): their memo key is the value itself.
_TEXT_TYPES = frozenset({"text", "select_one", "date", "time", "datetime", "calculate",
                         "start", "end", "today", "barcode", "acknowledge", "deviceid",
                         "username", "email"})
#: Functions whose result depends on their arguments alone (as the program's constants).
_PURE = frozenset({"true", "false", "not", "boolean", "number", "string"})
#: XPath's comparisons of two numbers, as Python writes them.
_COMPARE = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_META_IN_REPEAT = frozenset({"start", "end", "today", "deviceid", "username", "email"})


def _sum(values: list[Any]) -> str | None:
    """What ``FormState._evaluate`` stores for ``sum(${q})`` over these stored numbers (int,
    float, None): each read as XPath reads it (its string, then a number: the same float,
    NaN when empty), added with fsum, written as XPath's string; "NaN" stores nothing."""
    text = number_to_string(math.fsum(math.nan if v is None else float(v) for v in values))
    return None if text == "NaN" else text


def _joined(values: dict[Slot, Any], slots: tuple[Slot, ...], top: tuple[Any, ...]
            ) -> dict[Slot, Any]:
    """The answers as ``FormState.values`` holds them: those in ``values`` and, of the
    questions outside repeats (``slots``), those answered in ``top``."""
    joined = dict(values)
    for slot, value in zip(slots, top, strict=True):
        if value is not None:
            joined[slot] = value
    return joined


class CompiledForm:
    """The generated validator of one :class:`FormPlan` (see the module's doc)."""

    def __init__(self, plan: FormPlan) -> None:
        from fieldapp.survey import fill as f

        self.plan = plan
        self._f = f
        self.reason = self._refusal()
        self._run: Callable[..., dict[str, Any] | None] | None = None
        self.source = ""
        #: repeat path -> (values of a new instance by question path, paths inside it)
        self._templates: dict[str, tuple[list[tuple[str, Any]], list[str]]] = {}
        self._shim: FormState | None = None
        self._shim_of: FormState | None = None
        #: form language -> question path -> memo key -> entry (see :meth:`_evaluate`)
        self._tables: dict[str, dict[str, dict[Any, Any]]] = {}
        self._number: dict[str, int] = {}
        #: The memo entry of a question shown, its answer kept, not read-only, not required
        #: and valid: one object, which the generated code tells by identity.
        self._ok: tuple[Any, ...] = (True, f._KEEP, False, False, False)
        #: question path -> number of its local, for the questions outside repeats
        self._top: dict[str, int] = {}
        #: the fresh form last seen, and its values split for ``run`` (see :meth:`stored`)
        self._start: tuple[Any, ...] | None = None
        if not self.reason:
            self._run = self._generate()

    # -- what is compiled -----------------------------------------------------------------------

    def _refusal(self) -> str:
        plan = self.plan
        if plan.unsafe:
            return plan.unsafe
        for path, compiled in plan.program.nodes.items():
            if len(compiled.chain) > 1:
                return "a repeat inside a repeat"
            if compiled.chain and compiled.node.type in _META_IN_REPEAT:
                return "metadata inside a repeat"
            if compiled.fns and plan._specs.get(path) is None:
                return f"'{compiled.node.name}' is evaluated every time"
        return ""

    # -- code generation ------------------------------------------------------------------------

    def _generate(self) -> Callable[..., dict[str, Any] | None]:
        f, plan, program = self._f, self.plan, self.plan.program
        steps = plan._steps
        if steps is None:
            steps = plan._steps = plan._make_steps()
        number = {step[0]: i for i, step in enumerate(steps)}
        self._number = number
        repeats = [p for p, c in program.nodes.items() if c.node.type == "repeat"]
        scope: dict[str, Any] = {"_tag": f._tag, "_sum": _sum, "M": f._MISSING,
                                 "R": f._REFUSED}
        out: list[str] = []

        def emit(pad: int, text: str) -> None:
            out.append("    " * pad + text)

        # The answers outside repeats live in locals (L0, L1, ...: ``_top``), the rest in V
        # keyed like FormState.values; the engine, on a memo miss, gets them as one dict.
        self._top = {p: j for j, p in enumerate(p for p, c in program.nodes.items()
                                                if not c.chain)}
        scope["TS"] = tuple((p, ()) for p in self._top)
        scope["W"] = _joined
        scope["OK"] = self._ok
        emit(0, "def run(A, V, F, C, G, T, cp, clock, miss, co, resize):")
        if self._top:
            emit(1, ", ".join(f"L{j}" for j in self._top.values()) + ", = F")
        # 1. the answers: each put in place, converted to its stored form (the common
        # kinds of value inline, the rest through the plan's conversion), repeats sized.
        answered = [f"g{number[path]}" for path, compiled in program.nodes.items()
                    if not compiled.chain
                    and plan._kind(compiled.node) in (f._INPUT, f._FILTERED)]
        if answered:
            emit(1, " = ".join(answered) + " = M")
        emit(1, "if A.__class__ is not dict and not isinstance(A, dict): return None")
        self._walk_code(program.instrument.children, "A", 0, False, 1, emit, scope)
        for path in repeats:
            emit(1, f"n{number[path]} = C.get(({path!r}, ()), 0)")
        for path in sorted(plan._guarded, key=number.__getitem__):
            # a default the answers may hide on the way: the plan leaves it to the reference
            chain = program.nodes[path].chain
            given = plan._kind(program.nodes[path].node) in (f._INPUT, f._FILTERED)
            if chain:
                emit(1, f"for i in range(n{number[chain[0]]}):")
                test = f" and ({path!r}, (i,)) not in G" if given else ""
                emit(2, f"if V.get(({path!r}, (i,))) is not None{test}: return None")
            else:
                test = f" and g{number[path]} is M" if given else ""
                emit(1, f"if {self._get(path)} is not None{test}: return None")
        # 2. every question in rank order, its evaluation from the memo
        for i, step in enumerate(steps):
            if step[5] is not f._PLAIN:
                emit(1, f"t{i} = T[{step[0]!r}]")
        if any(step[9] for step in steps):
            emit(1, "td = clock().date()")
        i = 0
        while i < len(steps):
            chain = steps[i][1]
            if not chain:
                self._step_code(i, steps[i], emit)
                i += 1
                continue
            # a run of questions of one repeat: one loop over its instances (what one reads
            # of another in the same repeat is in the same instance, evaluated just before)
            end = i
            while end < len(steps) and steps[end][1] == chain:
                end += 1
            for j in range(i, end):
                if program.nodes[steps[j][0]].node.is_container:
                    emit(1, f"r{j} = []")
            emit(1, f"for i in range(n{number[chain[0]]}):")
            emit(2, "ix = (i,)")
            for j in range(i, end):
                self._step_code(j, steps[j], emit)
            i = end
        # 3. the answers to store, as FormState.to_dict() gives them
        self._dump_code(program.instrument.children, "o0", "()", 1, emit, [0])
        emit(1, "return o0")
        self.source = "\n".join(out) + "\n"
        # Only the form's question paths and names (as repr() literals), numbers and the
        # code above go into the source: a form cannot put code there. Choice names and the
        # questions themselves are passed in the scope.
        exec(compile(self.source, "<compiled form>", "exec"), scope)  # noqa: S102
        for path in repeats:
            self._templates[path] = self._template(path)
        return scope["run"]  # type: ignore[no-any-return]

    def _walk_code(self, nodes: list[Node], data: str, level: int, in_repeat: bool, pad: int,
                   emit: Callable[[int, str], None], scope: dict[str, Any]) -> None:
        """The answers of ``nodes`` in the dict ``data``, whose names must all be names the
        form knows at that level (``K{n}``: a name not among them refuses the response)."""
        f, plan = self._f, self.plan
        known = f"K{len([k for k in scope if k.startswith('K')])}"
        scope[known] = frozenset(node.name for node in nodes)
        emit(pad, f"if not {data}.keys() <= {known}: return None")
        idx = "ix" if in_repeat else "()"
        for node in nodes:
            kind = plan._kind(node)
            name = node.name
            if kind is f._INPUT or kind is f._FILTERED:
                k = self._number[node.path]
                scope[f"N{k}"] = node
                emit(pad, f"x = {data}.get({name!r}, M)")
                emit(pad, "if x is not M:")
                slot = f"({node.path!r}, {idx})"
                keep = f"G[{slot}] = v" if in_repeat else f"{self._get(node.path)} = g{k} = v"
                fast = self._inline_coercion(node, k, scope)
                if fast and not in_repeat:
                    emit(pad + 1, f"if {fast[0]}: {self._get(node.path)} = g{k} = {fast[1]}")
                    emit(pad + 1, "else:")
                    emit(pad + 2, f"v = co(N{k}, x, {slot})")
                    emit(pad + 2, "if v is R: return None")
                    emit(pad + 2, keep)
                    continue
                if fast:
                    emit(pad + 1, f"if {fast[0]}: v = {fast[1]}")
                    emit(pad + 1, "else:")
                    emit(pad + 2, f"v = co(N{k}, x, {slot})")
                    emit(pad + 2, "if v is R: return None")
                else:
                    emit(pad + 1, f"v = co(N{k}, x, {slot})")
                    emit(pad + 1, "if v is R: return None")
                if in_repeat:
                    emit(pad + 1, "if v is None:")
                    emit(pad + 2, f"V.pop({slot}, None)")
                    emit(pad + 1, "else:")
                    emit(pad + 2, f"V[{slot}] = v")
                emit(pad + 1, keep)
            elif kind is f._GROUP:
                inner = f"d{level + 1}"
                emit(pad, f"{inner} = {data}.get({name!r}, M)")
                emit(pad, f"if {inner} is not M:")
                emit(pad + 1, f"if {inner}.__class__ is not dict and not isinstance({inner}, "
                              "dict): return None")
                self._walk_code(node.children, inner, level + 1, in_repeat, pad + 1, emit,
                                scope)
            elif kind is f._REPEAT:
                inner = f"d{level + 1}"
                emit(pad, f"x = {data}.get({name!r}, M)")
                emit(pad, "if x is not M:")
                emit(pad + 1, "if not isinstance(x, list): return None")
                emit(pad + 1, f"h = C.get(({node.path!r}, ()), 0)")
                emit(pad + 1, "if h != len(x):")
                emit(pad + 2, f"resize({node.path!r}, h, len(x), V)")
                emit(pad + 2, f"C[({node.path!r}, ())] = len(x)")
                emit(pad + 1, f"for i, {inner} in enumerate(x):")
                emit(pad + 2, "ix = (i,)")
                emit(pad + 2, f"if {inner}.__class__ is not dict and not isinstance({inner}, "
                              "dict): return None")
                self._walk_code(node.children, inner, level + 1, True, pad + 2, emit, scope)
            elif kind is f._CALCULATED:
                emit(pad, f"if {name!r} in {data}: return None")
            # a note, metadata, a calculation: its answer is ignored

    def _inline_coercion(self, node: Node, k: int, scope: dict[str, Any]
                         ) -> tuple[str, str] | None:
        """(test, value) for the answers whose stored form is plain: what the engine's
        conversion gives for them, without calling it."""
        kind = node.type
        if kind == "text":
            return "x.__class__ is str and x != ''", "x"
        if kind == "integer":
            return "x.__class__ is int", "x"
        if kind == "decimal":
            return "x.__class__ is float and x - x == 0.0", "x"
        if kind in ("select_one", "select_multiple"):
            names = frozenset(n for n in self.plan.program.choice_names(node.list_name)
                              if n and n == n.strip() and " " not in n)
            scope[f"S{k}"] = names
            if kind == "select_one":
                return f"x.__class__ is str and x in S{k}", "x"
            return (f"x.__class__ is list and x and len(set(x)) == len(x) and "
                    f"all(y.__class__ is str and y in S{k} for y in x)", "list(x)")
        return None

    def _step_code(self, i: int, step: Any, emit: Callable[[int, str], None]) -> None:
        f, plan, program = self._f, self.plan, self.plan.program
        number = self._number
        (path, chain, parent, _depth, checked, mode, deps, own, keep, today, _top) = step
        node = program.nodes[path].node
        container = node.is_container
        pad = 1
        if chain:  # inside the loop over the repeat's instances (see _generate)
            pad = 2
            emit(pad, f"s = ({path!r}, ix)")
            slot = "s"
        else:
            slot = f"({path!r}, ())"
        if not parent:
            shown = "True"
        elif program.nodes[parent].chain:
            shown = f"r{number[parent]}[i]"
        else:
            shown = f"r{number[parent]}"
        given = plan._kind(node) in (f._INPUT, f._FILTERED)
        is_given = f"{slot} in G" if chain else f"g{i} is not M"
        given_value = f"G[{slot}]" if chain else f"g{i}"
        if mode is f._PLAIN:
            if container:
                emit(pad, f"r{i}.append({shown})" if chain else f"r{i} = {shown}")
            elif shown != "True":
                emit(pad, f"if not {shown}:")
                emit(pad + 1, self._pop(path, slot))
                if given:
                    emit(pad + 1, f"if {is_given}: return None")
            return
        sh = shown  # its group's relevance: a name, or an item read once per instance
        if chain and shown != "True":
            emit(pad, f"sh = {shown}")
            sh = "sh"
        summed = self._sum_of(path, step)
        if summed:  # sum() over a repeat's numbers: different for nearly every response
            n = f"n{number[program.nodes[summed].chain[0]]}"
            emit(pad, f"val = _sum([V.get(({summed!r}, (j,))) for j in range({n})]) "
                      f"if {sh} else None")
            emit(pad, "if val is None:")
            emit(pad + 1, self._pop(path, slot))
            emit(pad, "else:")
            emit(pad + 1, self._set(path, slot, "val"))
            return
        at = self._positional(path)
        if mode is f._CONST and keep and not at and self._pure(path):
            # decided by its group's relevance alone: both outcomes written in as code
            if shown == "True":
                self._const_code(path, True, pad, slot, is_given, given, checked, container, i,
                                 chain, emit)
                return
            emit(pad, f"if {sh}:")
            self._const_code(path, True, pad + 1, slot, is_given, given, checked, container, i,
                             chain, emit)
            emit(pad, "else:")
            self._const_code(path, False, pad + 1, slot, is_given, given, checked, container,
                             i, chain, emit)
            return
        checks = None if at else self._constant_checks(path, step)
        if checks is not None:
            # a number compared with constants: checked here, as the engine reads it (the
            # answer as a float), with no memo; anything but a number takes the memo below
            test, required = checks
            emit(pad, f"w = {self._get(path, slot)}")
            emit(pad, "if w is None or w.__class__ is int or w.__class__ is float:")
            el = ""
            if sh != "True":
                emit(pad + 1, f"if not {sh}:")
                emit(pad + 2, self._pop(path, slot))
                if given:
                    emit(pad + 2, f"if {is_given}: return None")
                el = "el"
            emit(pad + 1, f"{el}if w is not None:")
            emit(pad + 2, "y = float(w)")  # read as the engine reads it, complete or not
            emit(pad + 2, f"if cp and not {test}: return None")
            if required:
                emit(pad + 1, "elif cp: return None")
            emit(pad, "else:")
            pad += 1
        if mode is f._CONST:
            key = (f"(ix, {sh})" if chain else f"((), {sh})") if at else sh
        else:
            parts = [("ix" if chain else "()")] if at else []
            parts.append(sh)
            if own:
                parts.append(self._tagged(node, self._get(path, slot)))
            for dep, shared, single in deps:
                dnode = program.nodes[dep].node
                if single:
                    parts.append(self._tagged(dnode, f"V.get(({dep!r}, ix))" if shared
                                              else self._get(dep)))
                else:
                    n = f"n{number[program.nodes[dep].chain[0]]}"
                    parts.append(f"tuple([_tag(V.get(({dep!r}, (j,)))) for j in range({n})])")
            if today:
                parts.append("td")
            key = "(" + ", ".join(parts) + ")"
        emit(pad, f"k = {key}")
        emit(pad, f"e = t{i}.get(k)")
        emit(pad, "if e is None:")
        every = ("W(V, TS, (" + "".join(f"L{j}, " for j in self._top.values()) + "))"
                 if self._top else "V")
        emit(pad + 1, f"e = miss({path!r}, {'ix' if chain else '()'}, {sh}, k, t{i}, {every}, "
                      "C)")
        if container:
            emit(pad, f"r{i}.append(e[0])" if chain else f"r{i} = e[0]")
            return
        if keep:
            # the common outcome (shown, the answer kept, not read-only, not required,
            # valid) asks for nothing: its entry is the one OK, passed over
            emit(pad, "if e is not OK:")
            pad += 1
        emit(pad, "rel, val, ro, need, bad = e")
        if keep:
            emit(pad, "if not rel:")
            emit(pad + 1, self._pop(path, slot))
        else:
            emit(pad, "if val is None:")
            emit(pad + 1, self._pop(path, slot))
            emit(pad, "else:")
            emit(pad + 1, self._set(path, slot, "list(val) if val.__class__ is tuple else val"))
        if given:
            emit(pad, f"if {is_given}:")
            emit(pad + 1, "if not rel or ro: return None")
            if not keep:
                emit(pad + 1, f"if {self._get(path, slot)} != {given_value}: return None")
        if checked:
            emit(pad, f"if cp and (bad or (need and {self._get(path, slot)} is None)): "
                      "return None")

    def _constant_checks(self, path: str, step: Any) -> tuple[str, bool] | None:
        """For a number question whose only expressions are a constraint comparing its
        answer with constant numbers (``. >= 0 and . <= 5000``) and a constant requirement:
        the constraint as Python over ``y`` (the answer as XPath reads it, a float), and
        whether the question is required when shown. None for any other question."""
        f = self._f
        compiled = self.plan.program.nodes[path]
        node = compiled.node
        _p, _c, _parent, _d, checked, mode, deps, own, keep, today, _t = step
        fns = set(compiled.fns)
        if (mode is not f._MEMO or node.type not in ("integer", "decimal") or not checked
                or not keep or not own or deps or today or "constraint" not in fns
                or not fns <= {"constraint", "required"}):
            return None
        try:
            test = self._compare_code(parse(node.constraint))
        except ExprError:
            return None
        if test is None:
            return None
        required = False
        if "required" in fns:
            trees = self.plan._trees(path, ("required",))
            if None in trees or not all(
                    isinstance(e, Literal | Neg | Binary) or (isinstance(e, Call)
                                                              and e.name in _PURE)
                    for tree in trees for e in walk(tree)):
                return None
            # what the engine finds for it shown and unanswered (its constraint unread)
            scratch = self.plan.fresh().copy()
            idx = (0,) if compiled.chain else ()
            scratch.values, scratch.counts = {}, {}
            scratch.required, scratch.read_only, scratch.valid, scratch.allowed = {}, {}, {}, {}
            scratch.relevant = ({(compiled.parent, idx[:compiled.parent_depth]): True}
                                if compiled.parent else {})
            scratch._evaluate(path, idx)
            required = bool(scratch.required[(path, idx)])
        return test, required

    def _compare_code(self, tree: Expr) -> str | None:
        """``tree`` as Python over ``y`` when it is only comparisons of ``.`` with finite
        number literals joined by ``and`` / ``or`` (each comparison a boolean, as
        ``to_bool`` reads it); None otherwise."""
        if isinstance(tree, Binary) and tree.op in ("and", "or"):
            left, right = self._compare_code(tree.left), self._compare_code(tree.right)
            return None if left is None or right is None else f"({left} {tree.op} {right})"
        if isinstance(tree, Binary) and tree.op in _COMPARE:
            left, right = self._number_code(tree.left), self._number_code(tree.right)
            if left is None or right is None or "y" not in (left, right):
                return None
            return f"({left} {_COMPARE[tree.op]} {right})"
        return None

    @staticmethod
    def _number_code(tree: Expr) -> str | None:
        """``.`` as ``y``, a finite number literal (negated or not) as Python writes it."""
        if isinstance(tree, Current):
            return "y"
        sign = 1.0
        if isinstance(tree, Neg):
            tree, sign = tree.operand, -1.0
        if isinstance(tree, Literal) and isinstance(tree.value, float) \
                and math.isfinite(tree.value):
            return repr(sign * tree.value)
        return None

    def _pure(self, path: str) -> bool:
        """Whether the question's expressions read nothing at all (``true()``, ``1 > 0``):
        no answer, no date, no language, no position, no secondary instance."""
        trees = self.plan._trees(path, ("relevant", "calculation", "choice_filter",
                                        "constraint", "required", "read_only"))
        return None not in trees and all(
            isinstance(e, Literal | Neg | Binary) or (isinstance(e, Call) and e.name in _PURE)
            for tree in trees for e in walk(tree))

    def _const_code(self, path: str, shown: bool, pad: int, slot: str, is_given: str,
                    given: bool, checked: bool, container: bool, i: int, chain: Any,
                    emit: Callable[[int, str], None]) -> None:
        """The code of a question whose evaluation is decided by ``shown`` alone: the
        engine evaluates it once, here, and only what the outcome asks for is written."""
        compiled = self.plan.program.nodes[path]
        scratch = self.plan.fresh().copy()
        idx = (0,) if chain else ()
        scratch.values, scratch.counts = {}, {}
        scratch.required, scratch.read_only, scratch.valid, scratch.allowed = {}, {}, {}, {}
        scratch.relevant = ({(compiled.parent, idx[:compiled.parent_depth]): shown}
                            if compiled.parent else {})
        scratch._evaluate(path, idx)
        key = (path, idx)
        rel, ro = scratch.relevant[key], scratch.read_only[key]
        need, bad = rel and scratch.required[key], rel and not scratch.valid[key]
        emit(pad, "pass")
        if container:
            emit(pad, f"r{i}.append({rel!r})" if chain else f"r{i} = {rel!r}")
            return
        if not rel:
            emit(pad, self._pop(path, slot))
        if given and (not rel or ro):
            emit(pad, f"if {is_given}: return None")
        if checked and bad:
            emit(pad, "if cp: return None")
        elif checked and need:
            emit(pad, f"if cp and {self._get(path, slot)} is None: return None")

    def _sum_of(self, path: str, step: Any) -> str:
        """For a calculation that is only ``sum(${q})`` of a number question in a repeat: q's
        path (the generated code adds the numbers as the engine does, see :func:`_sum`)."""
        f, program = self._f, self.plan.program
        compiled = program.nodes[path]
        node = compiled.node
        deps, own, today = step[6], step[7], step[9]
        if (step[5] is not f._MEMO or node.type != "calculate" or set(compiled.fns)
                != {"calculation"} or compiled.default_fn is not None or own or today
                or len(deps) != 1 or deps[0][1:] != (0, False)):
            return ""
        try:
            tree = parse(node.calculation)
        except ExprError:
            return ""
        if not (isinstance(tree, Call) and tree.name == "sum" and len(tree.args) == 1
                and isinstance(tree.args[0], Ref)):
            return ""
        dep = deps[0][0]
        if program.reads_from(tree.args[0].name, path) != (dep, 0, False):
            return ""
        target = program.nodes[dep]
        return dep if target.node.type in ("integer", "decimal") and len(target.chain) == 1 else ""

    def _positional(self, path: str) -> bool:
        """Whether the question's expressions read its instance's position (else its
        evaluation is decided by its group's relevance and the values in its key alone)."""
        trees = self.plan._trees(path, ("relevant", "calculation", "choice_filter",
                                        "constraint", "required", "read_only"))
        # any location path counts too (``..``, a secondary instance's rows): kept exact
        return any((isinstance(e, Call) and e.name == "position") or isinstance(e, Path | Parent)
                   for tree in trees for e in walk(tree))

    def _get(self, path: str, slot: str = "") -> str:
        """The code reading the stored answer of ``path`` at ``slot`` (its local outside
        repeats)."""
        j = self._top.get(path)
        return f"L{j}" if j is not None else f"V.get({slot or f'({path!r}, ())'})"

    def _pop(self, path: str, slot: str) -> str:
        """The statement clearing the answer of ``path`` at ``slot``."""
        j = self._top.get(path)
        return f"L{j} = None" if j is not None else f"V.pop({slot}, None)"

    def _set(self, path: str, slot: str, value: str) -> str:
        """The statement storing ``value`` (not None) as the answer of ``path`` at ``slot``."""
        j = self._top.get(path)
        return f"L{j} = {value}" if j is not None else f"V[{slot}] = {value}"

    @staticmethod
    def _tagged(node: Node, read: str) -> str:
        """The value at ``slot`` as a memo key: hashable, and telling apart values a form
        tells apart. Each place in a key holds one question's values, always of its type:
        text as it is, a whole number as it is, a decimal as it is unless zero (-0.0 and
        0.0 are equal keys but divide differently), a list as a tuple, anything else tagged
        with its type as the plan does."""
        if node.type in _TEXT_TYPES or node.type == "integer":
            return read
        if node.type == "decimal":
            return f"(w if (w := {read}) else _tag(w))"
        if node.type == "select_multiple":
            return f"(None if (w := {read}) is None else tuple(w))"
        return f"_tag({read})"

    def _dump_code(self, nodes: list[Node], target: str, idx: str, pad: int,
                   emit: Callable[[int, str], None], counter: list[int]) -> None:
        """Statements filling ``target`` as ``FormState.to_dict()`` does (keys in form order;
        empty groups and absent answers left out)."""
        emit(pad, f"{target} = {{}}")
        for node in nodes:
            if node.type == "repeat":
                counter[0] += 1
                inner, items = f"o{counter[0]}", f"l{counter[0]}"
                emit(pad, f"{items} = []")
                emit(pad, f"for i in range(n{self._number[node.path]}):")
                self._dump_code(node.children, inner, "(i,)", pad + 1, emit, counter)
                emit(pad + 1, f"{items}.append({inner})")
                emit(pad, f"{target}[{node.name!r}] = {items}")
            elif node.type == "group":
                counter[0] += 1
                inner = f"o{counter[0]}"
                self._dump_code(node.children, inner, idx, pad, emit, counter)
                emit(pad, f"if {inner}: {target}[{node.name!r}] = {inner}")
            elif node.type != "note":
                j = self._top.get(node.path)
                if j is None:
                    emit(pad, f"v = V.get(({node.path!r}, {idx}))")
                v = "v" if j is None else f"L{j}"
                if node.type in _TEXT_TYPES:
                    emit(pad, f"if {v} is not None: {target}[{node.name!r}] = {v}")
                else:
                    emit(pad, f"if {v} is not None: {target}[{node.name!r}] = "
                              f"list({v}) if {v}.__class__ is list else {v}")

    def _template(self, path: str) -> tuple[list[tuple[str, Any]], list[str]]:
        """What a new instance of a repeat holds before any answer (its static defaults), as
        ``FormState._grow`` makes it, and the paths of the questions inside it."""
        node = self.plan.program.nodes[path].node
        scratch = self.plan.fresh().copy()
        scratch.values = {}
        scratch.counts, scratch.allowed = {}, {}
        scratch._create([node], (0,), repeat_new=True)
        inside = [p for p in self.plan.program.nodes if p.startswith(path + "/")]
        return [(p, v) for (p, _idx), v in scratch.values.items()], inside

    # -- filling --------------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop the scratch state and the memo (they hold answers last seen)."""
        self._shim = self._shim_of = self._start = None
        self._tables.clear()

    def stored(self, answers: Any, fresh: FormState, complete: bool
               ) -> dict[str, Any] | None:
        """The answers to store for ``answers`` on a form like ``fresh`` when the reference
        accepts them as they are (and, with ``complete``, finds nothing to validate); None
        otherwise (the caller takes :meth:`FormPlan.fill` / ``fill_complete``)."""
        run = self._run
        if run is None:
            return None
        start = self._start
        if start is None or start[0] is not fresh:
            start = self._start = self._begin(fresh)
        return run(answers, dict(start[1]), start[2], dict(fresh.counts), {}, start[3], complete,
                   fresh.clock, start[4], start[5], self._resize)

    def _begin(self, fresh: FormState) -> tuple[Any, ...]:
        """What :meth:`stored` passes ``run`` for every response on a form like ``fresh``:
        its answers inside repeats (a dict to copy) and outside (a tuple of the locals'
        first values), the memo of its language, and the engine's two entry points."""
        tables = self._tables.get(fresh.form_language)
        if tables is None:
            tables = self._tables[fresh.form_language] = {
                path: {} for path in self._number}

        def miss(path: str, idx: Idx, shown: bool, key: Any, table: dict[Any, Any],
                 values: dict[Slot, Any], counts: dict[tuple[str, Idx], int]) -> Any:
            return self._evaluate(fresh, path, idx, shown, key, table, values, counts)

        def co(node: Node, raw: Any, slot: Slot) -> Any:
            return self._coerce(fresh, node, raw, slot)

        top = self._top
        return (fresh, {k: v for k, v in fresh.values.items() if k[1] or k[0] not in top},
                tuple(fresh.values.get((p, ())) for p in top), tables, miss, co)

    def _coerce(self, fresh: FormState, node: Node, raw: Any, slot: Slot) -> Any:
        """An answer's stored form (or ``_REFUSED``), as ``FormPlan._fill`` converts it,
        remembered in the plan's table of conversions."""
        f = self._f
        coerced = self.plan._coerced
        try:
            key: tuple[str, Any] | None = (node.path, raw if raw.__class__ is str
                                           else f._tag_raw(raw))
            value = coerced.get(key, f._MISSING)  # type: ignore[arg-type]
        except TypeError:  # not hashable (a group given for a question)
            key, value = None, f._MISSING
        if value is f._MISSING:
            shim = self._scratch(fresh)
            shim.allowed = {}  # a choice filter's choices are checked after the recompute
            try:
                value = shim._coerce(node, raw, slot)
            except AnswerError:
                value = f._REFUSED
            if key is not None and len(coerced) < f.MEMO_SIZE * 4:
                coerced[key] = tuple(value) if isinstance(value, list) else value
        elif value.__class__ is tuple:
            value = list(value)
        return value

    def _resize(self, path: str, have: int, want: int, values: dict[Slot, Any]) -> None:
        """``FormState._grow`` / ``_shrink`` at the end of a repeat, on the values alone."""
        template, inside = self._templates[path]
        for i in range(have, want):
            for p, v in template:
                values[(p, (i,))] = list(v) if isinstance(v, list) else v
        for i in range(want, have):
            for p in inside:
                values.pop((p, (i,)), None)

    def _scratch(self, fresh: FormState) -> FormState:
        """A state of ``fresh``'s form, language, clock and metadata, whose dicts are swapped
        in to let the engine coerce an answer or evaluate a question."""
        if self._shim_of is not fresh or self._shim is None:
            self._shim, self._shim_of = fresh.copy(), fresh
        return self._shim

    def _evaluate(self, fresh: FormState, path: str, idx: Idx, shown: bool, key: Any,
                  table: dict[Any, Any], values: dict[Slot, Any],
                  counts: dict[tuple[str, Idx], int]) -> Any:
        """A memo entry: the engine evaluates the question (``FormState._evaluate``) on a
        state holding these answers, its group's relevance given. The entry is (shown,
        value or ``_KEEP``, read-only, shown and required, shown and invalid)."""
        f = self._f
        compiled = self.plan.program.nodes[path]
        shim = self._scratch(fresh)
        shim.values = values  # what the engine writes there, the generated code writes too
        shim.counts = counts
        shim.relevant = ({(compiled.parent, idx[:compiled.parent_depth]): shown}
                         if compiled.parent else {})
        shim.required, shim.read_only, shim.valid, shim.allowed = {}, {}, {}, {}
        shim._evaluate(path, idx)
        slot = (path, idx)
        value = values.get(slot)
        spec = self.plan._specs.get(path)
        relevant = shim.relevant[slot]
        result = (relevant,
                  f._KEEP if spec is None or spec.keep else (
                      tuple(value) if isinstance(value, list) else value),
                  shim.read_only[slot], relevant and shim.required[slot],
                  relevant and not shim.valid[slot])
        if result == self._ok:
            result = self._ok
        shim.values, shim.counts = {}, {}
        if len(table) < f.MEMO_SIZE:
            table[key] = result
        return result
