"""Filling a form from a dict of answers: the reference path and the compiled one.

:func:`fill_state` is the reference: it answers a fresh form the way the app does, one
``set_answer`` at a time in form order (each change re-evaluating what depends on it, each
repeat instance recomputing the form), retrying answers that only a later answer makes shown.

:class:`FormPlan` is compiled once per instrument version and fills many responses with the
same result, much faster: it copies a fresh form made once, puts every answer in place and
recomputes the form once, in the program's topological order. That is the reference's result
whenever the order of the reference's steps cannot matter, which the plan proves in two parts:

* statically, when it is compiled: every question whose being shown, allowed choices or
  read-only state can change while the answers go in depends (through calculations, groups and
  other answers, instance by instance) only on answers that the reference sets *before* it;
  no repeat count, no ``once()``, no location path or ``indexed-repeat()`` whose instances
  cannot be told statically, no choices taken from another answer, no computed default in a
  repeat. Then, by induction over the reference's steps, each answer meets the same form it
  meets at the end, and nothing set is cleared later.
* for each response, after the one recompute: every answer was accepted (a valid value of its
  type, the question shown and not read-only, a choice the filter allows) and kept, and no
  default (or metadata value) that the answers could hide was left unanswered.

Anything else — a form that fails the static part, a response that fails the check, an answer
of the wrong shape — goes through :func:`fill_state` itself, so the errors are the reference's
errors. ``tests/unit/survey/test_fill_plan.py`` compares the two on random answer sets.

:meth:`FormPlan.stored` goes one step further for the responses a batch accepts as they are:
code generated from the plan (:mod:`fieldapp.survey.compiled`) gives the answers to store
without a form state, and leaves every other response to :meth:`FormPlan.fill`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fieldapp.i18n import _
from fieldapp.survey.engine import AnswerError, FormState, Idx, Issue, Slot
from fieldapp.survey.model import INPUT_TYPES, META_TYPES, Instrument, Node
from fieldapp.survey.program import Program, dynamic_list
from fieldapp.survey.xpath import (
    Call,
    ExprError,
    Path,
    parse,
    path_names,
    references,
    uses_current,
    walk,
)

if TYPE_CHECKING:
    from fieldapp.survey.compiled import CompiledForm

_UNSAFE_CALLS = frozenset({"once", "indexed-repeat"})
#: Functions whose value is not decided by the answers alone: a question calling one is
#: evaluated every time (``today()`` is decided by the date, which the memo key then holds).
_UNSTABLE_CALLS = frozenset({"now", "random", "uuid", "once", "indexed-repeat"})
#: How many input combinations the memo keeps per question (free text rarely repeats: a
#: question whose combinations exceed this is evaluated as usual beyond it).
MEMO_SIZE = 4096
_KEEP = object()  # the memo's "the answer itself stays" (or is cleared when hidden)
_SAME = object()  # the memo's "the allowed choices were not touched"
_MISSING = object()
_REFUSED = object()  # an answer its question refuses

#: One question's memo entry: relevant, value (or _KEEP), required, read-only, valid,
#: allowed choices (or _SAME).
_Result = tuple[bool, Any, bool, bool, bool, Any]


def _tag(value: Any) -> Any:
    """A hashable stand-in for a stored answer that keeps its type and sign (1, 1.0, True
    and -0.0 differ in what a form shows)."""
    cls = value.__class__
    if value is None or cls is str:
        return value
    if cls is list:
        return tuple(value)
    if cls is float:
        return (cls, value.hex())  # -0.0 equals 0.0, but shows as "-0"
    return (cls, value)


def _tag_raw(raw: Any) -> Any:
    """:func:`_tag` for an answer as given (a list of anything; a dict is not hashable)."""
    if raw.__class__ is list:
        return (list, *(_tag(x) for x in raw))
    return _tag(raw)


class _MemoSpec:
    """What decides one question's evaluation, besides its parent's relevance and its
    instance: the answers it reads (path, shared repeat depth, one instance or all)."""

    __slots__ = ("deps", "keep", "own", "today")

    def __init__(self, deps: list[tuple[str, int, bool]], own: bool, keep: bool,
                 today: bool) -> None:
        self.deps, self.own, self.keep, self.today = deps, own, keep, today


def fill_state(inst: Instrument, answers: dict[str, Any], language: str = "en", *,
               program: Program | None = None, meta: dict[str, str] | None = None,
               clock: Callable[[], datetime] | None = None) -> tuple[FormState, list[Issue]]:
    """Answer a fresh form from ``answers`` (shaped as ``FormState.to_dict()``) the way the app
    does: each answer through ``set_answer`` in form order, so a wrong kind of value, a code
    that is not a choice, or an answer to a question the skip logic hides is an issue (kind
    ``"invalid"``), as is a name the form does not have. Computed values (calculate, start,
    end, today) in ``answers`` are ignored: the form computes them."""
    state = FormState(inst, None, language, program=program, meta=meta, clock=clock)
    issues: list[Issue] = []
    later: list[tuple[str, Any]] = []

    def invalid(address: str, message: str) -> None:
        issues.append(Issue(address, message, "invalid"))

    def fill(nodes: list[Node], data: Any, where: str) -> None:
        if not isinstance(data, dict):
            invalid(where or "/", _("expected a group of answers (a JSON object)"))
            return
        known = {n.name for n in nodes}
        for key in data:
            if key not in known:
                invalid(f"{where}/{key}".lstrip("/"), _("the form has no question of this name"))
        for node in nodes:
            if node.name not in data:
                continue
            raw = data[node.name]
            address = f"{where}/{node.name}".lstrip("/")
            if node.type == "group":
                fill(node.children, raw, address)
            elif node.type == "repeat":
                if not isinstance(raw, list):
                    invalid(address, _("expected a list of repeat instances"))
                    continue
                while state.instance_count(address) < len(raw):
                    state.add_instance(address)
                while state.instance_count(address) > len(raw):
                    state.remove_instance(address, state.instance_count(address))
                for i, item in enumerate(raw):
                    fill(node.children, item, f"{address}[{i + 1}]")
            elif node.type in INPUT_TYPES:
                later.append((address, raw))

    fill(inst.children, answers, "")
    # An answer may be shown only because of a later one: retry the refused ones until no
    # more go in, then report what is left.
    while later:
        refused: list[tuple[str, Any, str]] = []
        for address, raw in later:
            try:
                state.set_answer(address, raw)
            except AnswerError as exc:
                refused.append((address, raw, str(exc)))
        if len(refused) == len(later):
            for address, _raw, message in refused:
                invalid(address, message)
            break
        later = [(a, r) for a, r, _m in refused]
    return state, issues


#: One question in rank order: path, repeat chain, parent path, parent depth, whether
#: validate_all() looks at it (not a group), whether it has no expressions, its memo spec.
#: How :meth:`FormPlan._recompute` treats a question (see :meth:`FormPlan._make_steps`).
_PLAIN, _EVAL, _CONST, _MEMO = "plain", "evaluate", "constant", "memo"
#: What :meth:`FormPlan._walk` and :meth:`FormPlan.to_dict` do with a node.
_INPUT, _GROUP, _REPEAT, _OTHER = "input", "group", "repeat", "other"
_FILTERED, _CALCULATED = "filtered input", "calculated input"
_Step = tuple[str, tuple[str, ...], str, int, bool, str,
              tuple[tuple[str, int, bool], ...], bool, bool, bool,
              "list[tuple[Idx, Slot, Slot | None]] | None"]

class _Fallback(Exception):
    """This response needs the reference path."""


class FormPlan:
    """One instrument version compiled for filling many responses (see the module's doc)."""

    def __init__(self, instrument: Instrument, program: Program | None = None) -> None:
        self.instrument = instrument
        self.program = program or Program(instrument)
        #: why the compiled path is never taken for this form ("" when it is taken)
        self.unsafe = self._check_form()
        self._guarded = self._guarded_defaults() if not self.unsafe else frozenset()
        self._specs = self._memo_specs() if not self.unsafe else {}
        #: form language -> path -> memo key -> result (see :meth:`_recompute`)
        self._memo: dict[str, dict[str, dict[tuple[Any, ...], _Result]]] = {}
        self._steps: list[_Step] | None = None
        #: (path, raw answer) -> stored value, or _REFUSED (see :meth:`_fill`)
        self._coerced: dict[tuple[str, Any], Any] = {}
        #: how many responses took the compiled path, and how many the reference one
        self.compiled = self.reference = 0
        #: id(list of sibling nodes) -> name -> (kind, node)
        self._by_name: dict[int, dict[str, tuple[str, Node]]] = {}
        self._shape: list[tuple[str, str, str, Any]] | None = None  # see :meth:`to_dict`
        self._compiled: CompiledForm | None = None  # see :meth:`stored`
        #: how many responses :meth:`stored` gave the answers of
        self.fast = 0

    # -- static part ----------------------------------------------------------------------------

    def _trees(self, path: str, kinds: tuple[str, ...]) -> list[Any]:
        node = self.program.nodes[path].node
        trees = []
        for kind in kinds:
            text = getattr(node, kind)
            if kind == "default" and "${" not in text and "(" not in text:
                continue  # a plain value, as Program reads it
            if text:
                try:
                    trees.append(parse(text, choice_filter=(kind == "choice_filter")))
                except ExprError:
                    return [None]
        return trees

    def _check_form(self) -> str:
        program = self.program
        if program.problems:
            return "the form has problems"
        if program.counted:
            return "a repeat count"
        self._order = {path: i for i, path in enumerate(program.nodes)}
        for path, compiled in program.nodes.items():
            node = compiled.node
            if dynamic_list(node):
                return "choices from another answer"
            if compiled.default_fn is not None and compiled.chain:
                return "a computed default in a repeat"
            trees = self._trees(path, ("relevant", "calculation", "choice_filter", "read_only",
                                       "default", "constraint", "required"))
            if None in trees:
                return "an expression that cannot be read"
            for tree in trees:
                if path_names(tree):
                    return "a location path"
                for e in walk(tree):
                    if isinstance(e, Call) and e.name in _UNSAFE_CALLS:
                        return f"{e.name}()"
                    if isinstance(e, Path) and e.base is not None and not (
                            isinstance(e.base, Call) and e.base.name == "instance"):
                        return "a location path"
            if any(uses_current(tree)
                   for tree in self._trees(path, ("relevant", "choice_filter", "read_only"))):
                # the reference decides with the value before the answer, then again after it
                return "'.' in relevance, a choice filter or read-only"
        for path, compiled in program.nodes.items():
            if compiled.node.type in INPUT_TYPES:
                late = self._late_dependency(path)
                if late:
                    return f"'{compiled.node.name}' depends on the later '{late}'"
        return ""

    def _deps(self, path: str, with_read_only: bool) -> set[str]:
        """What decides whether ``path`` is shown, its value and its choices (and, for an
        answer, whether it is read-only)."""
        compiled = self.program.nodes[path]
        deps = set(compiled.reads)
        if compiled.parent:
            deps.add(compiled.parent)
        if with_read_only:
            for tree in self._trees(path, ("read_only",)):
                for name in references(tree):
                    found = self.program.resolve(name)
                    if found is not None:
                        deps.add(found)
        deps.discard(path)
        return deps

    def _shared(self, a: str, b: str) -> int:
        ca, cb = self.program.nodes[a].chain, self.program.nodes[b].chain
        n = 0
        while n < min(len(ca), len(cb)) and ca[n] == cb[n]:
            n += 1
        return n

    def _late_dependency(self, target: str) -> str:
        """The name of the first answer (in form order) that ``target``'s acceptance depends on
        and that the reference may set after ``target`` (in some instance), or ""."""
        nodes = self.program.nodes
        here = nodes[target].chain
        late: set[str] = set()
        # (path, bound): the first ``bound`` repeats of path's chain are target's instances.
        seen: set[tuple[str, int]] = set()
        stack = [(dep, min(len(here), self._shared(target, dep)))
                 for dep in self._deps(target, with_read_only=True)]
        while stack:
            path, bound = stack.pop()
            if (path, bound) in seen:
                continue
            seen.add((path, bound))
            compiled = nodes[path]
            if compiled.node.type in INPUT_TYPES:
                if path == target:
                    late.add(path)
                elif bound == len(compiled.chain):
                    if self._order[path] > self._order[target]:
                        late.add(path)
                else:
                    repeat = compiled.chain[bound]
                    if repeat in here or self._order[repeat] > self._order[target]:
                        late.add(path)
            for dep in self._deps(path, with_read_only=False):
                stack.append((dep, min(bound, self._shared(path, dep))))
        return nodes[min(late, key=self._order.__getitem__)].node.name if late else ""

    def _guarded_defaults(self) -> frozenset[str]:
        """Questions holding a value before any answer (a default, metadata) that the answers
        could hide or filter out on the way (the reference would then clear it for good)."""
        nodes = self.program.nodes
        out = set()
        for path, compiled in nodes.items():
            node = compiled.node
            if node.is_container or node.calculation:
                continue
            if not (node.default or compiled.default_fn or node.type in META_TYPES):
                continue
            stack, seen = list(self._deps(path, with_read_only=False)), set()
            while stack:
                dep = stack.pop()
                if dep in seen:
                    continue
                seen.add(dep)
                if nodes[dep].node.type in INPUT_TYPES:
                    out.add(path)
                    break
                stack.extend(self._deps(dep, with_read_only=False))
        return frozenset(out)

    @property
    def remembered(self) -> int:
        """How many evaluations and coerced answers the plan remembers."""
        return sum(len(t) for memo in self._memo.values() for t in memo.values()) + len(
            self._coerced)

    def forget(self) -> None:
        """Drop what the plan remembered of the answers it saw (a batch is done: answers are
        not kept in memory beyond it, nor past a lock of the workspace)."""
        self._memo.clear()
        self._coerced.clear()
        if self._compiled is not None:
            self._compiled.forget()

    def _memo_specs(self) -> dict[str, _MemoSpec | None]:
        """For each question with expressions, what its evaluation depends on (None: not
        memoised, it calls a function that the answers do not decide)."""
        program = self.program
        out: dict[str, _MemoSpec | None] = {}
        kinds = ("relevant", "calculation", "choice_filter", "constraint", "required",
                 "read_only")
        for path, compiled in program.nodes.items():
            if not compiled.fns:
                continue
            trees = self._trees(path, kinds)
            calls = {e.name for tree in trees for e in walk(tree) if isinstance(e, Call)}
            node = compiled.node
            if calls & _UNSTABLE_CALLS or (node.calculation and node.choice_filter):
                # a calculated choice is checked against the choices allowed before it
                out[path] = None
                continue
            deps = []
            for dep in sorted((compiled.reads | compiled.checks) - {path}):
                shared = self._shared(path, dep)
                deps.append((dep, shared, shared == len(program.nodes[dep].chain)))
            # Its own value decides only a constraint, a choice filter or a '.'.
            own = bool(node.constraint or node.choice_filter) or any(
                uses_current(tree) for tree in trees)
            out[path] = _MemoSpec(deps, own=own, keep=not (node.calculation or
                                                           node.choice_filter),
                                  today="today" in calls)
        return out

    def _make_steps(self) -> list[_Step]:
        """The questions in the program's rank order, with what :meth:`_recompute` needs,
        decided once: how it is recomputed (``_PLAIN``: nothing to compute; ``_EVAL``:
        evaluated every time; ``_CONST``: memoised, its evaluation decided by its instance
        and its group's relevance alone; ``_MEMO``: memoised on the answers it reads too)."""
        program = self.program
        order = sorted(program.nodes, key=program.rank.__getitem__)
        steps: list[_Step] = []
        for path in order:
            compiled = program.nodes[path]
            spec = self._specs.get(path)
            if not compiled.fns:
                mode = _PLAIN
            elif spec is None:
                mode = _EVAL
            elif not (spec.deps or spec.own or spec.today):
                mode = _CONST
            else:
                mode = _MEMO
            steps.append((path, compiled.chain, compiled.parent, compiled.parent_depth,
                          not compiled.node.is_container, mode,
                          tuple(spec.deps) if spec else (), bool(spec and spec.own),
                          bool(spec and spec.keep), bool(spec and spec.today),
                          # outside repeats: its one slot and its group's, made once
                          None if compiled.chain else [
                              ((), (path, ()), (compiled.parent, ()) if compiled.parent
                               else None)]))
        return steps

    def _recompute(self, state: FormState) -> bool:
        """``state.recompute_all()``, each question's evaluation looked up in a memo kept per
        instrument version: the same inputs (the question's instance, its parent's relevance,
        its own value, the answers its expressions read, the date for ``today()``) give the
        same relevance, value, required, read-only, validity and choices, because on this
        path every expression reads nothing else (the form passed the static part, so no
        location paths, ``once()`` or counts). Returns whether ``validate_all()`` would find
        nothing (every shown answer present where required and valid)."""
        steps = self._steps
        if steps is None:
            steps = self._steps = self._make_steps()
        memo = self._memo.get(state.form_language)
        if memo is None:
            memo = self._memo[state.form_language] = {step[0]: {} for step in steps}
        values, relevant, allowed = state.values, state.relevant, state.allowed
        required, read_only, valid = state.required, state.read_only, state.valid
        listed: dict[tuple[str, ...], list[Idx]] = {(): [()]}
        clean = True
        today: date | None = None  # read from the clock once, when a question needs it
        for (path, chain, parent, depth, checked, mode, deps, own_key, keep, uses_today,
             top) in steps:
            if top is None:
                found = listed.get(chain)
                if found is None:
                    found = listed[chain] = list(state._expand(chain, (), ()))
                slots = [(idx, (path, idx), (parent, idx[:depth]) if parent else None)
                         for idx in found]
            else:
                slots = top
            if mode is _PLAIN:  # as FormState._evaluate: shown with its group, kept
                for _idx, slot, group in slots:
                    shown = relevant.get(group, True) if group else True
                    relevant[slot] = shown
                    if not shown:
                        values.pop(slot, None)
                    required[slot] = read_only[slot] = False
                    valid[slot] = True
                continue
            table = memo[path]
            for idx, slot, group in slots:
                if mode is _EVAL:
                    state._evaluate(path, idx)
                    if checked and relevant[slot] and (
                            (required[slot] and values.get(slot) is None) or not valid[slot]):
                        clean = False
                    continue
                shown = relevant.get(group, True) if group else True
                if mode is _CONST:
                    frozen: Any = shown if top else (idx, shown)
                else:
                    key: list[Any] = [idx, shown]
                    if own_key:
                        own = values.get(slot)
                        key.append(own if own is None or own.__class__ is str else _tag(own))
                    for dep, shared, single in deps:
                        if single:
                            v = values.get((dep, idx[:shared]))
                            key.append(v if v is None or v.__class__ is str else _tag(v))
                        else:
                            key.append(tuple(_tag(values.get((dep, i)))
                                             for i in state.instances(dep, idx[:shared])))
                    if uses_today:
                        if today is None:
                            today = state.clock().date()
                        key.append(today)
                    frozen = tuple(key)
                result = table.get(frozen)
                if result is None:
                    before = allowed.get(slot)
                    state._evaluate(path, idx)
                    after = allowed.get(slot)
                    if len(table) < MEMO_SIZE:
                        value = values.get(slot)
                        table[frozen] = (
                            relevant[slot], _KEEP if keep else (
                                tuple(value) if isinstance(value, list) else value),
                            required[slot], read_only[slot], valid[slot],
                            _SAME if after is before else tuple(after or ()))
                    if checked and relevant[slot] and (
                            (required[slot] and values.get(slot) is None) or not valid[slot]):
                        clean = False
                    continue
                shown, value, needed, read_only[slot], ok, choices = result
                relevant[slot] = shown
                required[slot] = needed
                valid[slot] = ok
                if value is _KEEP:  # the answer stays (read only when it matters), or goes
                    if not shown:
                        values.pop(slot, None)
                    elif checked and needed:
                        value = values.get(slot)
                else:
                    if value.__class__ is tuple:
                        value = list(value)
                    if value is None:
                        values.pop(slot, None)
                    else:
                        values[slot] = value
                if choices is not _SAME:
                    allowed[slot] = list(choices)
                if checked and shown and ((needed and value is None) or not ok):
                    clean = False
        return clean

    # -- filling --------------------------------------------------------------------------------

    def fresh(self, language: str = "en", *, meta: dict[str, str] | None = None,
              clock: Callable[[], datetime] | None = None) -> FormState:
        """A fresh form to copy for each response of a batch (the copies share its clock,
        language and metadata)."""
        return FormState(self.instrument, None, language, program=self.program, meta=meta,
                         clock=clock)

    def fill(self, answers: dict[str, Any], fresh: FormState) -> tuple[FormState, list[Issue]]:
        """What :func:`fill_state` gives for ``answers`` on a form like ``fresh``."""
        state, issues, _clean = self._fill_any(answers, fresh)
        return state, issues

    def fill_complete(self, answers: dict[str, Any], fresh: FormState
                      ) -> tuple[FormState, list[Issue]]:
        """:meth:`fill`, with ``validate_all()``'s issues added (what completing the
        response would refuse); the compiled path knows from its recompute whether there
        are any, and looks for them only then."""
        state, issues, clean = self._fill_any(answers, fresh)
        if not clean:
            issues = issues + state.validate_all()
        return state, issues

    def stored(self, answers: dict[str, Any], fresh: FormState, complete: bool
               ) -> dict[str, Any] | None:
        """``self.to_dict(state)`` of :meth:`fill` (or, with ``complete``, of
        :meth:`fill_complete`) when that finds no issue; None when it may find one, or when
        the form is one the generated validator does not handle
        (:class:`~fieldapp.survey.compiled.CompiledForm`): then fill it, to learn why."""
        compiled = self._compiled
        if compiled is None:
            from fieldapp.survey.compiled import CompiledForm

            compiled = self._compiled = CompiledForm(self)
        data = compiled.stored(answers, fresh, complete)
        if data is not None:
            self.fast += 1
        return data

    def _fill_any(self, answers: dict[str, Any], fresh: FormState
                  ) -> tuple[FormState, list[Issue], bool]:
        if not self.unsafe:
            try:
                state, clean = self._fill(answers, fresh)
            except _Fallback:
                pass
            else:
                self.compiled += 1
                return state, [], clean
        self.reference += 1
        state, issues = fill_state(self.instrument, answers, fresh.language,
                                   program=self.program, meta=fresh.meta, clock=fresh.clock)
        return state, issues, False

    def _fill(self, answers: dict[str, Any], fresh: FormState) -> tuple[FormState, bool]:
        state = fresh.copy()
        given: list[tuple[Slot, Any, Node, bool]] = []
        self._walk(state, self.instrument.children, answers, (), given)
        stored: dict[Slot, Any] = {}
        coerced = self._coerced
        values = state.values
        for slot, raw, node, filtered in given:
            if filtered:  # the filter's choices are checked after the recompute
                state.allowed.pop(slot, None)
            # With the filter's choices set aside, an answer's stored value depends on the
            # question and the raw answer alone: remembered per instrument version.
            try:
                key: tuple[str, Any] | None = (slot[0], raw if raw.__class__ is str
                                                else _tag_raw(raw))
                value = coerced.get(key, _MISSING)  # type: ignore[arg-type]
            except TypeError:  # an answer that is not hashable (a group given for a question)
                key, value = None, _MISSING
            if value is _MISSING:
                try:
                    value = state._coerce(node, raw, slot)
                except AnswerError:
                    value = _REFUSED
                if key is not None and len(coerced) < MEMO_SIZE * 4:
                    coerced[key] = tuple(value) if isinstance(value, list) else value
            elif value.__class__ is tuple:
                value = list(value)
            if value is _REFUSED:
                raise _Fallback
            if value is None:
                values.pop(slot, None)
            else:
                values[slot] = value
            stored[slot] = value
        if self._guarded and any(slot[0] in self._guarded and slot not in stored
                                 for slot, value in values.items() if value is not None):
            raise _Fallback  # a default the answers may hide on the way: the reference clears it
        clean = self._recompute(state)
        relevant, read_only = state.relevant, state.read_only
        for slot, value in stored.items():
            if (not relevant.get(slot, False) or read_only.get(slot, False)
                    or values.get(slot) != value):
                raise _Fallback
        return state, clean

    def _walk(self, state: FormState, nodes: list[Node], data: Any, idx: Idx,
              given: list[tuple[Slot, Any, Node, bool]]) -> None:
        """Collect the answers (slot, raw value, question, whether a choice filter applies)
        and make the repeat instances they need. The order does not matter here: everything
        is recomputed once afterwards. An answer to a calculated question is refused by the
        reference (it is read-only): the plan leaves it to the reference."""
        if data.__class__ is not dict and not isinstance(data, dict):
            raise _Fallback
        by_name = self._by_name.get(id(nodes))
        if by_name is None:
            by_name = self._by_name[id(nodes)] = {n.name: (self._kind(n), n) for n in nodes}
        for name, raw in data.items():
            found = by_name.get(name)
            if found is None:
                raise _Fallback
            kind, node = found
            if kind is _INPUT:
                given.append(((node.path, idx), raw, node, False))
            elif kind is _FILTERED:
                given.append(((node.path, idx), raw, node, True))
            elif kind is _CALCULATED:
                raise _Fallback
            elif kind is _GROUP:
                self._walk(state, node.children, raw, idx, given)
            elif kind is _REPEAT:
                if not isinstance(raw, list):
                    raise _Fallback
                key = (node.path, idx)
                while state.counts.get(key, 0) < len(raw):
                    state._grow(node.path, idx)
                while state.counts.get(key, 0) > len(raw):
                    state._shrink(node.path, idx, state.counts[key])
                for i, item in enumerate(raw):
                    self._walk(state, node.children, item, (*idx, i), given)

    def _kind(self, node: Node) -> str:
        if node.type in INPUT_TYPES:
            if node.calculation:
                return _CALCULATED
            # only a choice filter puts a question's choices in FormState.allowed
            return _FILTERED if "choice_filter" in self.program.nodes[node.path].fns else _INPUT
        return _GROUP if node.type == "group" else _REPEAT if node.type == "repeat" else _OTHER

    def to_dict(self, state: FormState) -> dict[str, Any]:
        """``state.to_dict()`` for a form of this plan's instrument, with the form's shape
        read once per instrument version (which questions are groups, repeats, notes)."""
        shape = self._shape
        if shape is None:
            shape = self._shape = self._make_shape(self.instrument.children)
        return self._dump(shape, (), state.values, state.counts)

    def _make_shape(self, nodes: list[Node]) -> list[tuple[str, str, str, Any]]:
        out: list[tuple[str, str, str, Any]] = []
        for node in nodes:
            if node.type == "repeat":
                out.append((node.name, _REPEAT, node.path, self._make_shape(node.children)))
            elif node.type == "group":
                out.append((node.name, _GROUP, node.path, self._make_shape(node.children)))
            elif node.type != "note":
                out.append((node.name, _INPUT, node.path, None))
        return out

    def _dump(self, shape: list[tuple[str, str, str, Any]], idx: Idx, values: dict[Slot, Any],
              counts: dict[Slot, int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, kind, path, inner in shape:
            if kind is _INPUT:
                value = values.get((path, idx))
                if value is not None:
                    out[name] = list(value) if isinstance(value, list) else value
            elif kind is _REPEAT:
                out[name] = [self._dump(inner, (*idx, i), values, counts)
                             for i in range(counts.get((path, idx), 0))]
            else:
                group = self._dump(inner, idx, values, counts)
                if group:
                    out[name] = group
        return out
