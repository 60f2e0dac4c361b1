"""A form version's validator compiled to Python code: answers in, answers to store out.

:class:`~fieldapp.survey.fill.FormPlan` fills a copy of a :class:`FormState` (seven dicts per
response, every question's relevance, requirement, read-only state and validity written to
them) and dumps it. For a response that is accepted as it is -- the common case of a batch --
only two things matter: that the reference would accept it (and, to complete it, find nothing
missing or invalid), and the answers it would store. :class:`CompiledForm` decides both with
code generated once per instrument version: one straight block per question in the program's
rank order (a loop over the instances of a repeat), with the question's paths, its repeat,
its group's relevance and what its evaluation depends on written in as constants, reading
the answers from one dict keyed like ``FormState.values`` and nothing else.

Every question's evaluation comes from the plan's memo (the same keys and entries
``FormPlan._recompute`` uses: the two share the tables, so each fills them for the other);
a key seen for the first time is evaluated by the engine itself (``FormState._evaluate`` on a
state holding these answers). So the generated code decides nothing the plan does not: it
leaves out the writing of what a stored response does not keep.

:meth:`CompiledForm.stored` returns ``None`` whenever the response is not plainly accepted
(an answer refused, hidden, read-only or changed by the form; to complete, a required answer
missing or a constraint failed): the caller then takes the plan (and through it the
reference), which says why. Forms outside what the generator handles (the plan's own
refusals, defaults the answers may hide, questions evaluated every time, repeats inside
repeats, metadata inside a repeat) are never compiled: ``reason`` says why.
``tests/unit/survey/test_compiled_form.py`` compares it with the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldapp.survey.engine import AnswerError, FormState, Idx, Slot
from fieldapp.survey.model import Node

if TYPE_CHECKING:
    from fieldapp.survey.fill import FormPlan

#: Types whose stored answer is always text (or absent): their memo key is the value itself.
_TEXT_TYPES = frozenset({"text", "select_one", "date", "time", "datetime", "calculate",
                         "start", "end", "today", "barcode", "acknowledge", "deviceid",
                         "username", "email"})
_META_IN_REPEAT = frozenset({"start", "end", "today", "deviceid", "username", "email"})


def _dict(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {name: value for name, value in items if value is not None}


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


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
        paths = [step[0] for step in steps]
        number = {path: i for i, path in enumerate(paths)}
        repeats = [p for p, c in program.nodes.items() if c.node.type == "repeat"]
        lines: list[str] = []
        emit = lines.append
        uses_today = any(step[9] for step in steps)
        emit("def run(V, C, G, T, cp, clock, miss):")
        for path in repeats:
            emit(f"    n{number[path]} = C.get(({path!r}, ()), 0)")
        for i, step in enumerate(steps):
            if step[5] is not f._PLAIN:
                emit(f"    t{i} = T[{step[0]!r}]")
        if uses_today:
            emit("    td = clock().date()")
        containers = {p for p, c in program.nodes.items() if c.node.is_container}
        for i, step in enumerate(steps):
            (path, chain, parent, _depth, checked, mode, deps, own, keep, today,
             _top) = step
            node = program.nodes[path].node
            in_repeat = bool(chain)
            pad = "    "
            if in_repeat:
                emit(f"    r{i} = []" if path in containers else "    pass")
                emit(f"    for i in range(n{number[chain[0]]}):")
                emit("        ix = (i,)")
                pad = "        "
                slot = f"({path!r}, ix)"
            else:
                slot = f"({path!r}, ())"
            if not parent:
                shown = "True"
            elif program.nodes[parent].chain:
                shown = f"r{number[parent]}[i]"
            else:
                shown = f"r{number[parent]}"
            given = plan._kind(node) in (f._INPUT, f._FILTERED)
            holds = not node.is_container
            if mode is f._PLAIN:
                emit(f"{pad}rel = {shown}")
                if path in containers:
                    emit(f"{pad}r{i}.append(rel)" if in_repeat else f"{pad}r{i} = rel")
                if holds:
                    emit(f"{pad}if not rel:")
                    emit(f"{pad}    V.pop({slot}, None)")
                    if given:
                        emit(f"{pad}    if {slot} in G: return None")
                continue
            emit(f"{pad}sh = {shown}")
            if mode is f._CONST:
                key = "(ix, sh)" if in_repeat else "sh"
            else:
                parts = ["ix" if in_repeat else "()", "sh"]
                if own:
                    parts.append(self._tagged(node, slot))
                for dep, shared, single in deps:
                    dnode = program.nodes[dep].node
                    if single:
                        dslot = f"({dep!r}, ix)" if shared else f"({dep!r}, ())"
                        parts.append(self._tagged(dnode, dslot))
                    else:
                        count = f"n{number[program.nodes[dep].chain[0]]}"
                        parts.append(f"tuple([_tag(V.get(({dep!r}, (j,)))) "
                                     f"for j in range({count})])")
                if today:
                    parts.append("td")
                key = "(" + ", ".join(parts) + ")"
            emit(f"{pad}k = {key}")
            emit(f"{pad}res = t{i}.get(k)")
            emit(f"{pad}if res is None:")
            emit(f"{pad}    res = miss({path!r}, {'ix' if in_repeat else '()'}, sh, k, t{i}, V, C)")
            emit(f"{pad}rel, val, req, ro, ok, _ch = res")
            if path in containers:
                emit(f"{pad}r{i}.append(rel)" if in_repeat else f"{pad}r{i} = rel")
            if holds:
                if keep:
                    emit(f"{pad}if not rel:")
                    emit(f"{pad}    V.pop({slot}, None)")
                else:
                    emit(f"{pad}if val is None:")
                    emit(f"{pad}    V.pop({slot}, None)")
                    emit(f"{pad}else:")
                    emit(f"{pad}    V[{slot}] = list(val) if val.__class__ is tuple else val")
            if given:
                emit(f"{pad}if {slot} in G:")
                emit(f"{pad}    if not rel or ro: return None")
                if not keep:
                    emit(f"{pad}    if V.get({slot}) != G[{slot}]: return None")
            if checked:
                emit(f"{pad}if cp and rel and ((req and V.get({slot}) is None) or not ok):")
                emit(f"{pad}    return None")
        emit("    return " + self._dump(program.instrument.children, "()", "    "))
        self.source = "\n".join(lines) + "\n"
        scope: dict[str, Any] = {"_tag": f._tag, "_dict": _dict, "_copy": _copy}
        exec(compile(self.source, "<compiled form>", "exec"), scope)  # noqa: S102
        for path in repeats:
            self._templates[path] = self._template(path)
        return scope["run"]  # type: ignore[no-any-return]

    @staticmethod
    def _tagged(node: Node, slot: str) -> str:
        """The memo key of the value at ``slot`` (as ``FormPlan._recompute`` tags it)."""
        if node.type in _TEXT_TYPES:
            return f"V.get({slot})"
        return f"_tag(V.get({slot}))"

    def _dump(self, nodes: list[Node], idx: str, pad: str) -> str:
        """An expression building ``FormState.to_dict()`` of the nodes from ``V`` and ``C``
        (keys in form order, as the plan's dump; empty groups and absent answers left out)."""
        items: list[str] = []
        for node in nodes:
            if node.type == "repeat":
                inner = self._dump(node.children, "(i,)", pad)
                items.append(f"({node.name!r}, [{inner} for i in range(C.get(({node.path!r}, "
                             f"{idx}), 0))])")
            elif node.type == "group":
                inner = self._dump(node.children, idx, pad)
                items.append(f"({node.name!r}, {inner} or None)")
            elif node.type != "note":
                value = f"V.get(({node.path!r}, {idx}))"
                if node.type not in _TEXT_TYPES:
                    value = f"_copy({value})"
                items.append(f"({node.name!r}, {value})")
        return "_dict([" + ", ".join(items) + "])"

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

    def forget(self) -> None:
        """Drop the scratch state (it holds the answers last evaluated)."""
        self._shim = self._shim_of = None

    # -- filling --------------------------------------------------------------------------------

    def stored(self, answers: Any, fresh: FormState, complete: bool
               ) -> dict[str, Any] | None:
        """The answers to store for ``answers`` on a form like ``fresh`` when the reference
        accepts them as they are (and, with ``complete``, finds nothing to validate); None
        otherwise (the caller takes :meth:`FormPlan.fill` / ``fill_complete``)."""
        run = self._run
        if run is None:
            return None
        values: dict[Slot, Any] = dict(fresh.values)
        counts: dict[tuple[str, Idx], int] = dict(fresh.counts)
        given: dict[Slot, Any] = {}
        if not self._walk(self.plan.instrument.children, answers, (), values, counts, given,
                          fresh):
            return None
        guarded = self.plan._guarded
        if guarded and any(slot[0] in guarded and slot not in given
                           for slot, value in values.items() if value is not None):
            return None  # a default the answers may hide on the way (as the plan does)
        memo = self.plan._memo.get(fresh.form_language)
        if memo is None:
            steps = self.plan._steps or []
            memo = self.plan._memo[fresh.form_language] = {step[0]: {} for step in steps}

        def miss(path: str, idx: Idx, shown: bool, key: Any, table: dict[Any, Any],
                 values: dict[Slot, Any], counts: dict[tuple[str, Idx], int]) -> Any:
            return self._evaluate(fresh, path, idx, shown, key, table, values, counts)

        return run(values, counts, given, memo, complete, fresh.clock, miss)

    def _walk(self, nodes: list[Node], data: Any, idx: Idx, values: dict[Slot, Any],
              counts: dict[tuple[str, Idx], int], given: dict[Slot, Any],
              fresh: FormState) -> bool:
        """``FormPlan._walk`` and the answers' conversion of ``FormPlan._fill``, into
        ``values``: False where the plan would fall back."""
        f, plan = self._f, self.plan
        if data.__class__ is not dict and not isinstance(data, dict):
            return False
        by_name = plan._by_name.get(id(nodes))
        if by_name is None:
            by_name = plan._by_name[id(nodes)] = {n.name: (plan._kind(n), n) for n in nodes}
        coerced = plan._coerced
        for name, raw in data.items():
            found = by_name.get(name)
            if found is None:
                return False
            kind, node = found
            if kind is f._INPUT or kind is f._FILTERED:
                slot = (node.path, idx)
                try:
                    key: tuple[str, Any] | None = (node.path, raw if raw.__class__ is str
                                                   else f._tag_raw(raw))
                    value = coerced.get(key, f._MISSING)  # type: ignore[arg-type]
                except TypeError:
                    key, value = None, f._MISSING
                if value is f._MISSING:
                    shim = self._scratch(fresh)
                    shim.allowed = {}
                    try:
                        value = shim._coerce(node, raw, slot)
                    except AnswerError:
                        value = f._REFUSED
                    if key is not None and len(coerced) < f.MEMO_SIZE * 4:
                        coerced[key] = tuple(value) if isinstance(value, list) else value
                elif value.__class__ is tuple:
                    value = list(value)
                if value is f._REFUSED:
                    return False
                if value is None:
                    values.pop(slot, None)
                else:
                    values[slot] = value
                given[slot] = value
            elif kind is f._GROUP:
                if not self._walk(node.children, raw, idx, values, counts, given, fresh):
                    return False
            elif kind is f._REPEAT:
                if not isinstance(raw, list):
                    return False
                ckey = (node.path, idx)
                have, want = counts.get(ckey, 0), len(raw)
                if want != have:
                    template, inside = self._templates[node.path]
                    for i in range(have, want):
                        for p, v in template:
                            values[(p, (i,))] = list(v) if isinstance(v, list) else v
                    for i in range(want, have):
                        for p in inside:
                            values.pop((p, (i,)), None)
                    counts[ckey] = want
                for i, item in enumerate(raw):
                    if not self._walk(node.children, item, (i,), values, counts, given, fresh):
                        return False
            elif kind is f._CALCULATED:
                return False
        return True

    def _scratch(self, fresh: FormState) -> FormState:
        """A state of ``fresh``'s form, language, clock and metadata, whose dicts are swapped
        in to let the engine coerce an answer or evaluate a question."""
        if self._shim_of is not fresh or self._shim is None:
            self._shim, self._shim_of = fresh.copy(), fresh
        return self._shim

    def _evaluate(self, fresh: FormState, path: str, idx: Idx, shown: bool, key: Any,
                  table: dict[Any, Any], values: dict[Slot, Any],
                  counts: dict[tuple[str, Idx], int]) -> Any:
        """A memo entry made as ``FormPlan._recompute`` makes it: the engine evaluates the
        question on a state holding these answers (its group's relevance given)."""
        f = self._f
        compiled = self.plan.program.nodes[path]
        shim = self._scratch(fresh)
        shim.values = dict(values)
        shim.counts = counts
        shim.relevant = ({(compiled.parent, idx[:compiled.parent_depth]): shown}
                         if compiled.parent else {})
        shim.required, shim.read_only, shim.valid, shim.allowed = {}, {}, {}, {}
        shim._evaluate(path, idx)
        slot = (path, idx)
        value = shim.values.get(slot)
        spec = self.plan._specs.get(path)
        keep = bool(spec and spec.keep)
        after = shim.allowed.get(slot)
        result = (shim.relevant[slot],
                  f._KEEP if keep else (tuple(value) if isinstance(value, list) else value),
                  shim.required[slot], shim.read_only[slot], shim.valid[slot],
                  f._SAME if after is None else tuple(after))
        if len(table) < f.MEMO_SIZE:
            table[key] = result
        return result
