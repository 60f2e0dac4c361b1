"""The state of one response being filled in: answers, relevance, calculations, validity.

Addresses name a question inside repeat instances with 1-based indexes, as ODK shows them:
``"org_name"``, ``"contracts[2]/amount"``, ``"background/staff"``. A bare name is accepted for
any question outside repeats whose name is unique in the form.

A change to one answer re-evaluates only what depends on it: the compiled
:class:`~fieldapp.survey.program.Program` knows statically which questions read which, and a heap
ordered by the program's topological rank visits each affected question after everything its
value depends on. ``evaluations`` counts question evaluations, so tests can see how much work a
change did. Irrelevant questions (and everything inside an irrelevant group) are hidden and their
answers cleared, as ODK does.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from fieldapp.i18n import _
from fieldapp.survey.model import GEO_TYPES, META_TYPES, Choice, Instrument, Node, pick_text
from fieldapp.survey.program import Compiled, Program, dynamic_list
from fieldapp.survey.xfuncs import Value, XNode, number_to_string, to_bool, to_number, to_string

Idx = tuple[int, ...]
Slot = tuple[str, Idx]
Answer = str | int | float | list[str] | None
MAX_REPEAT_COUNT = 500
_SEGMENT = re.compile(r"^([^\[\]/]+)(?:\[(\d+)\])?$")
_REF = re.compile(r"\$\{([^}]*)\}")
_META_VALUES = frozenset({"start", "end", "today", "deviceid", "username", "email"})


class AnswerError(ValueError):
    """An answer that cannot be stored (wrong kind of value, read-only or hidden question)."""


@dataclass(frozen=True, slots=True)
class Issue:
    address: str
    message: str
    kind: str  # "required" or "constraint"


class _Ctx:
    """The evaluation context: which question (slot) is being evaluated, and for choices, which."""

    __slots__ = ("choice", "idx", "path", "state")

    def __init__(self, state: FormState, path: str, idx: Idx) -> None:
        self.state, self.path, self.idx = state, path, idx
        self.choice: Choice | None = None

    def ref(self, name: str) -> Value:
        return self.state._read(name, self.path, self.idx)

    def current(self) -> Value:
        return self.state._expr_value(self.path, self.idx)

    def position(self) -> int:
        return (self.idx[-1] + 1) if self.idx else 1

    def column(self, name: str) -> str:
        choice = self.choice
        if choice is None:
            return ""
        if name == "name":
            return choice.name
        if name == "label":
            return choice.label(self.state.form_language)
        return choice.extra.get(name, "")

    def choice_label(self, question: str, value: str) -> str:
        path = self.state.program.resolve(question)
        if path is None:
            return ""
        node = self.state.program.nodes[path].node
        lst = self.state.instrument.choice_lists.get(node.list_name)
        labels = [lst.get(v) for v in value.split()] if lst else []
        return " ".join(c.label(self.state.form_language) for c in labels if c is not None)

    def now(self) -> datetime:
        return self.state.clock()

    # -- location paths (see xfuncs.compile_path) ------------------------------------------------

    def here(self) -> XNode:
        return ("f", self.path, self.idx)

    def context_node(self) -> XNode:
        return ("f", self.path, self.idx)

    def _shared(self, path: str) -> Idx:
        target = self.state.program.nodes[path].chain
        here = self.state.program.nodes[self.path].chain
        shared = 0
        while shared < min(len(target), len(here)) and target[shared] == here[shared]:
            shared += 1
        return self.idx[:shared]

    def form_nodes(self, name: str) -> list[XNode]:
        path = self.state.program.resolve(name)
        if path is None:
            return []
        return [("f", path, i) for i in self.state.instances(path, self._shared(path))]

    def form_children(self, node: XNode, name: str) -> list[XNode]:
        _kind, path, idx = node
        child = f"{path}/{name}" if path else name
        compiled = self.state.program.nodes.get(child)
        if compiled is None:
            return []
        return [("f", child, i) for i in self.state.instances(child, idx)]

    def form_parent(self, node: XNode) -> XNode | None:
        _kind, path, idx = node
        if not path:
            return None
        parent = self.state.program.nodes[path].parent
        if not parent:
            return ("f", "", ())
        return ("f", parent, idx[: len(self.state.program.nodes[parent].chain)])

    def node_value(self, node: XNode) -> Value:
        if node[0] == "i":
            _kind, name, row, column = node
            rows = self.state.instrument.instances.get(name, [])
            return rows[row].get(column, "") if column and 0 <= row < len(rows) else ""
        _kind, path, idx = node
        if not path or self.state.program.nodes[path].node.is_container:
            return ""
        return self.state._expr_value(path, idx)

    def instance_rows(self, name: str) -> list[dict[str, str]]:
        return self.state.instrument.instances.get(name, [])

    def indexed(self, target: str, levels: list[tuple[str, int]]) -> Value:
        program = self.state.program
        path = program.resolve(target)
        if path is None:
            return ""
        wanted = {program.resolve(name): n - 1 for name, n in levels}
        here = self._shared(path)
        idx: list[int] = []
        for depth, repeat in enumerate(program.nodes[path].chain):
            if repeat in wanted:
                idx.append(wanted[repeat])
            elif depth < len(here):
                idx.append(here[depth])
            else:
                idx.append(0)
        if (path, tuple(idx)) not in self.state.relevant:
            return ""
        return self.state._expr_value(path, tuple(idx))


class FormState:
    def __init__(self, instrument: Instrument, answers: dict[str, Any] | None = None,
                 language: str = "en", *, program: Program | None = None,
                 clock: Callable[[], datetime] | None = None,
                 meta: dict[str, str] | None = None) -> None:
        self.instrument = instrument
        #: what the desktop knows for metadata questions: deviceid, username (the researcher)
        self.meta = dict(meta or {})
        self._syncing = False
        self.program = program or Program(instrument)
        self.clock: Callable[[], datetime] = clock or datetime.now
        self.language = language
        self.evaluations = 0
        self.values: dict[Slot, Answer] = {}
        self.relevant: dict[Slot, bool] = {}
        self.required: dict[Slot, bool] = {}
        self.read_only: dict[Slot, bool] = {}
        self.valid: dict[Slot, bool] = {}
        self.allowed: dict[Slot, list[Choice]] = {}
        self.counts: dict[tuple[str, Idx], int] = {}
        if answers is None:
            self._create(instrument.children, ())
        else:
            self._load(instrument.children, (), answers)
        self.recompute_all()

    # -- language -------------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self._language

    @language.setter
    def language(self, language: str) -> None:
        self._language = language
        self.form_language = self.instrument.resolve_language(language)

    def text(self, texts: dict[str, str]) -> str:
        return pick_text(texts, self.form_language, self.instrument.default_language)

    # -- addresses ------------------------------------------------------------------------------

    def slot(self, address: str) -> Slot:
        if "/" not in address and "[" not in address:
            path = self.program.resolve(address)
            if path is not None and not self.program.nodes[path].chain:
                return path, ()
        names: list[str] = []
        idx: list[int] = []
        for segment in address.strip("/").split("/"):
            m = _SEGMENT.match(segment)
            if not m:
                raise KeyError(address)
            names.append(m.group(1))
            path = "/".join(names)
            compiled = self.program.nodes.get(path)
            if compiled is None:
                raise KeyError(address)
            if compiled.node.type == "repeat":
                idx.append(int(m.group(2) or 1) - 1)
            elif m.group(2):
                raise KeyError(address)
        path = "/".join(names)
        if path not in self.program.nodes:
            raise KeyError(address)
        if (path, tuple(idx)) not in self.relevant:
            raise KeyError(address)
        return path, tuple(idx)

    def address(self, path: str, idx: Idx) -> str:
        parts: list[str] = []
        depth = 0
        for name in path.split("/"):
            prefix = "/".join([*[p.split("[")[0] for p in parts], name])
            if self.program.nodes[prefix].node.type == "repeat":
                parts.append(f"{name}[{idx[depth] + 1}]")
                depth += 1
            else:
                parts.append(name)
        return "/".join(parts)

    def instances(self, path: str, prefix: Idx = ()) -> Iterator[Idx]:
        """Every instance index of the question ``path`` whose outer indexes start with prefix."""
        chain = self.program.nodes[path].chain
        yield from self._expand(chain, prefix, ())

    def _expand(self, chain: tuple[str, ...], prefix: Idx, built: Idx) -> Iterator[Idx]:
        if len(built) == len(chain):
            yield built
            return
        level = len(built)
        count = self.counts.get((chain[level], built), 0)
        choices: Any = [prefix[level]] if level < len(prefix) else range(count)
        for i in choices:
            if i < count:
                yield from self._expand(chain, prefix, (*built, i))

    # -- reading --------------------------------------------------------------------------------

    def _expr_value(self, path: str, idx: Idx) -> Value:
        value = self.values.get((path, idx))
        if value is None or value == "":
            return ""
        if isinstance(value, list):
            return " ".join(value)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return float(value)
        node_type = self.program.nodes[path].node.type
        if node_type in ("date", "today"):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
        if node_type in ("datetime", "start", "end"):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                return value
        return value

    def _read(self, name: str, from_path: str, from_idx: Idx) -> Value:
        where = self.program.reads_from(name, from_path)
        if where is None:
            return ""
        path, shared, single = where
        if single:
            return self._expr_value(path, from_idx[:shared])
        return [to_string(self._expr_value(path, i))
                for i in self.instances(path, from_idx[:shared])]

    def value(self, address: str) -> Answer:
        return self.values.get(self.slot(address))

    def is_relevant(self, address: str) -> bool:
        return self.relevant.get(self.slot(address), False)

    def is_required(self, address: str) -> bool:
        return self.required.get(self.slot(address), False)

    def is_read_only(self, address: str) -> bool:
        slot = self.slot(address)
        node = self.program.nodes[slot[0]].node
        return self.read_only.get(slot, False) or node.type in ("calculate", "note") or bool(
            node.calculation) or node.type in META_TYPES

    def choices(self, address: str) -> list[Choice]:
        path, idx = self.slot(address)
        node = self.program.nodes[path].node
        if (path, idx) in self.allowed:
            return self.allowed[(path, idx)]
        source = dynamic_list(node)
        if source:
            return self._answers_as_choices(source, path, idx)
        lst = self.instrument.choice_lists.get(node.list_name)
        return list(lst.choices) if lst else []

    def _answers_as_choices(self, source: str, path: str, idx: Idx) -> list[Choice]:
        """``select_one ${name}``: the non-empty answers to ``name`` (in a repeat), in order."""
        found = self._read(source, path, idx)
        values = found if isinstance(found, list) else [to_string(found)]
        return [Choice(name=v, labels={"default": v}) for v in dict.fromkeys(values) if v]

    def label(self, address: str) -> str:
        path, idx = self.slot(address)
        return self.render(self.text(self.program.nodes[path].node.labels), path, idx)

    def render(self, text: str, path: str, idx: Idx) -> str:
        """Replace ``${name}`` in a label or message by the answer it names."""
        return _REF.sub(lambda m: to_string(self._read(m.group(1).strip(), path, idx))
                        if not m.group(1).strip().startswith("last-saved#") else "", text)

    def instance_count(self, address: str) -> int:
        path, idx = self._repeat_slot(address)
        return self.counts.get((path, idx), 0)

    # -- writing --------------------------------------------------------------------------------

    def set_answer(self, address: str, value: Any) -> None:
        path, idx = self.slot(address)
        node = self.program.nodes[path].node
        if node.is_container or node.type in ("note", "calculate") or node.type in META_TYPES:
            raise AnswerError(_("'{name}' cannot be answered").format(name=node.name))
        if self.is_read_only(address):
            raise AnswerError(_("'{name}' is read-only").format(name=node.name))
        if not self.relevant.get((path, idx), False):
            raise AnswerError(_("'{name}' is not shown, so it cannot be answered").format(
                name=node.name))
        stored = self._coerce(node, value, (path, idx))
        if self.values.get((path, idx)) == stored:
            return
        self.values[(path, idx)] = stored
        self._propagate([(path, idx)], include_self=True)

    def clear(self, address: str) -> None:
        self.set_answer(address, None)

    def _coerce(self, node: Node, value: Any, slot: Slot) -> Answer:
        if value is None or value == "" or value == []:
            return None
        try:
            return _COERCE[node.type](self, node, value, slot)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, AnswerError):
                raise
            raise AnswerError(_("'{value}' is not a valid answer to '{name}' ({type})").format(
                value=value, name=node.name, type=node.type)) from exc

    def counted(self, address: str) -> bool:
        """Whether the form sets the number of instances of this repeat (repeat_count)."""
        path, _prefix = self._repeat_slot(address)
        return "repeat_count" in self.program.nodes[path].fns

    def add_instance(self, address: str) -> int:
        """Add an instance at the end of a repeat; returns its 1-based position."""
        path, prefix = self._repeat_slot(address)
        if "repeat_count" in self.program.nodes[path].fns and not self._syncing:
            raise AnswerError(_("the form sets how many times '{name}' repeats").format(
                name=self.program.nodes[path].node.name))
        position = self._grow(path, prefix)
        self.recompute_all()
        return position

    def _grow(self, path: str, prefix: Idx) -> int:
        """Add an instance of the repeat ``path`` (inside the instances ``prefix``), computing
        nothing; returns its 1-based position."""
        count = self.counts.get((path, prefix), 0)
        self.counts[(path, prefix)] = count + 1
        self._create([self.program.nodes[path].node], (*prefix, count), repeat_new=True)
        return count + 1

    def remove_instance(self, address: str, position: int) -> None:
        """Remove the instance at 1-based ``position``; later instances move up."""
        path, prefix = self._repeat_slot(address)
        count = self.counts.get((path, prefix), 0)
        if not 1 <= position <= count:
            raise IndexError(position)
        if "repeat_count" in self.program.nodes[path].fns and not self._syncing:
            raise AnswerError(_("the form sets how many times '{name}' repeats").format(
                name=self.program.nodes[path].node.name))
        self._shrink(path, prefix, position)
        self.recompute_all()

    def _shrink(self, path: str, prefix: Idx, position: int) -> None:
        """Remove the instance at 1-based ``position``, computing nothing."""
        count = self.counts.get((path, prefix), 0)
        depth = len(prefix)
        removed = position - 1
        for table in (self.values, self.relevant, self.required, self.read_only, self.valid,
                      self.allowed):
            moved: dict[Any, Any] = {}
            for (p, idx) in list(table):
                if (p == path or p.startswith(path + "/")) and idx[:depth] == prefix:
                    item = table.pop((p, idx))
                    if idx[depth] != removed:
                        shift = idx[depth] - (1 if idx[depth] > removed else 0)
                        moved[(p, (*prefix, shift, *idx[depth + 1:]))] = item
            table.update(moved)
        moved_counts: dict[tuple[str, Idx], int] = {}
        for (p, idx), n in list(self.counts.items()):
            if p.startswith(path + "/") and idx[:depth] == prefix and len(idx) > depth:
                del self.counts[(p, idx)]
                if idx[depth] != removed:
                    shift = idx[depth] - (1 if idx[depth] > removed else 0)
                    moved_counts[(p, (*prefix, shift, *idx[depth + 1:]))] = n
        self.counts.update(moved_counts)
        self.counts[(path, prefix)] = count - 1

    def _repeat_slot(self, address: str) -> tuple[str, Idx]:
        """A repeat's path and the indexes of the instances that hold it (not its own)."""
        base = re.sub(r"\[\d+\]$", "", address.strip("/"))
        parent, _sep, name = base.rpartition("/")
        if parent:
            ppath, pidx = self.slot(parent)
            path = f"{ppath}/{name}"
        else:
            path, pidx = name, ()
        compiled = self.program.nodes.get(path) or self.program.nodes.get(
            self.program.resolve(name) or "")
        if compiled is None or compiled.node.type != "repeat":
            raise KeyError(address)
        return compiled.node.path, pidx[: len(compiled.chain) - 1]

    # -- creating and loading -------------------------------------------------------------------

    def _create(self, nodes: list[Node], idx: Idx, repeat_new: bool = False) -> None:
        now = self.clock()
        for node in nodes:
            if node.type == "repeat" and not repeat_new:
                self.counts[(node.path, idx)] = 1
                self._create([node], (*idx, 0), repeat_new=True)
                continue
            repeat_new = False
            slot = (node.path, idx)
            self.relevant[slot] = True
            if node.type in _META_VALUES:
                meta: dict[str, Answer] = {"start": now.isoformat(timespec="seconds"),
                                           "end": now.isoformat(timespec="seconds"),
                                           "today": now.date().isoformat(),
                                           "deviceid": self.meta.get("deviceid") or None,
                                           "username": self.meta.get("username") or None,
                                           "email": self.meta.get("email") or None}
                if meta[node.type] is not None:
                    self.values[slot] = meta[node.type]
            compiled = self.program.nodes[node.path]
            if compiled.default_fn is not None:
                result = compiled.default_fn(_Ctx(self, node.path, idx))
                self.values[slot] = self._safe(node, to_string(result), slot)
            elif node.default and not node.is_container:
                self.values[slot] = self._safe(node, node.default, slot)
            self._create(node.children, idx)

    def _safe(self, node: Node, value: Any, slot: Slot) -> Answer:
        try:
            return self._coerce(node, value, slot)
        except AnswerError:
            return None

    def _load(self, nodes: list[Node], idx: Idx, data: dict[str, Any]) -> None:
        for node in nodes:
            raw = data.get(node.name)
            if node.type == "repeat":
                items = raw if isinstance(raw, list) else []
                self.counts[(node.path, idx)] = len(items)
                for i, item in enumerate(items):
                    self.relevant[(node.path, (*idx, i))] = True
                    self._load(node.children, (*idx, i), item if isinstance(item, dict) else {})
                continue
            self.relevant[(node.path, idx)] = True
            if node.type == "group":
                self._load(node.children, idx, raw if isinstance(raw, dict) else {})
            elif raw is not None:
                self.values[(node.path, idx)] = list(raw) if isinstance(raw, list) else raw

    def copy(self) -> FormState:
        """An independent state holding the same answers and computed values (no recomputing:
        a fresh form copied for each of many responses)."""
        other = object.__new__(FormState)
        other.__dict__.update(self.__dict__)
        other.meta = dict(self.meta)
        for name in ("values", "relevant", "required", "read_only", "valid", "allowed",
                     "counts"):
            setattr(other, name, dict(getattr(self, name)))
        return other

    def to_dict(self) -> dict[str, Any]:
        """The answers as a JSON-able dict: groups nest, repeats are lists of instances."""
        return self._dump(self.instrument.children, ())

    def _dump(self, nodes: list[Node], idx: Idx) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for node in nodes:
            if node.type == "repeat":
                count = self.counts.get((node.path, idx), 0)
                out[node.name] = [self._dump(node.children, (*idx, i)) for i in range(count)]
            elif node.type == "group":
                inner = self._dump(node.children, idx)
                if inner:
                    out[node.name] = inner
            elif node.type != "note":
                value = self.values.get((node.path, idx))
                if value is not None:
                    out[node.name] = list(value) if isinstance(value, list) else value
        return out

    # -- recomputing ----------------------------------------------------------------------------

    def recompute_all(self) -> None:
        """Evaluate every question once, in dependency order (the baseline incremental beats)."""
        program = self.program
        order = program.ranked
        if order is None:
            order = program.ranked = sorted(program.nodes, key=program.rank.__getitem__)
        # Instances are listed once per repeat chain: evaluating changes no count.
        listed: dict[tuple[str, ...], list[Idx]] = {(): [()]}
        nodes = program.nodes
        for path in order:
            chain = nodes[path].chain
            found = listed.get(chain)
            if found is None:
                found = listed[chain] = list(self._expand(chain, (), ()))
            for idx in found:
                self._evaluate(path, idx)
        self._sync_counts()

    def _sync_counts(self) -> None:
        """Give every repeat with a repeat_count the number of instances its count says."""
        if self._syncing or not self.program.counted:
            return
        self._syncing = True
        try:
            for _round in range(len(self.program.counted) + 1):
                changed = False
                for path in self.program.counted:
                    compiled = self.program.nodes[path]
                    outer = compiled.chain[-2] if len(compiled.chain) > 1 else ""
                    prefixes = list(self.instances(outer)) if outer else [()]
                    for prefix in prefixes:
                        ctx = _Ctx(self, compiled.parent or path, prefix)
                        n = to_number(compiled.fns["repeat_count"](ctx))
                        want = 0 if math.isnan(n) else max(0, min(int(n), MAX_REPEAT_COUNT))
                        have = self.counts.get((path, prefix), 0)
                        address = self.address(path, (*prefix, 0))
                        while have < want:
                            self.add_instance(address)
                            have += 1
                            changed = True
                        while have > want:
                            self.remove_instance(address, have)
                            have -= 1
                            changed = True
                if not changed:
                    break
        finally:
            self._syncing = False

    def _propagate(self, changed: list[Slot], include_self: bool = False) -> None:
        rank = self.program.rank
        heap: list[tuple[int, Idx, str]] = []
        pending: set[Slot] = set()

        def push_dependents(path: str, idx: Idx) -> None:
            source_chain = self.program.nodes[path].chain
            for dependent in self.program.dependents[path]:
                chain = self.program.nodes[dependent].chain
                shared = 0
                while (shared < min(len(chain), len(source_chain))
                       and chain[shared] == source_chain[shared]):
                    shared += 1
                for didx in self.instances(dependent, idx[:shared]):
                    if (dependent, didx) not in pending:
                        pending.add((dependent, didx))
                        heapq.heappush(heap, (rank[dependent], didx, dependent))

        for path, idx in changed:
            if include_self:
                pending.add((path, idx))
                heapq.heappush(heap, (rank[path], idx, path))
            push_dependents(path, idx)
        touched = False
        while heap:
            _rank, idx, path = heapq.heappop(heap)
            pending.discard((path, idx))
            if self._evaluate(path, idx):
                touched = True
                push_dependents(path, idx)
        if touched or include_self:
            self._sync_counts()

    def _evaluate(self, path: str, idx: Idx) -> bool:
        """Re-evaluate one question; True if its value or relevance changed."""
        self.evaluations += 1
        compiled = self.program.nodes[path]
        slot = (path, idx)
        fns = compiled.fns
        old_value, old_relevant = self.values.get(slot), self.relevant.get(slot, True)
        relevant = True
        if compiled.parent:
            parent_idx = idx[: compiled.parent_depth]
            relevant = self.relevant.get((compiled.parent, parent_idx), True)
        if not fns:  # nothing to compute: shown with its group, kept, never required
            self.relevant[slot] = relevant
            value = old_value if relevant else None
            if value is None:
                self.values.pop(slot, None)
            self.required[slot] = self.read_only[slot] = False
            self.valid[slot] = True
            return value != old_value or relevant != old_relevant
        ctx = _Ctx(self, path, idx)
        fn = fns.get("relevant")
        if relevant and fn is not None:
            relevant = to_bool(fn(ctx))
        self.relevant[slot] = relevant
        value = old_value
        if not relevant:
            value = None
        else:
            fn = fns.get("calculation")
            if fn is not None:
                text = to_string(fn(ctx))
                value = None if text in ("", "NaN") else self._safe(compiled.node, text, slot)
            if "choice_filter" in fns:
                value = self._filter_choices(compiled, ctx, value)
        if value is None:
            self.values.pop(slot, None)
        else:
            self.values[slot] = value
        fn = fns.get("required")
        self.required[slot] = relevant and fn is not None and to_bool(fn(ctx))
        fn = fns.get("read_only")
        self.read_only[slot] = fn is not None and to_bool(fn(ctx))
        fn = fns.get("constraint")
        self.valid[slot] = (not relevant or value is None or fn is None or to_bool(fn(ctx)))
        return value != old_value or relevant != old_relevant

    def _filter_choices(self, compiled: Compiled, ctx: _Ctx, value: Answer) -> Answer:
        lst = self.instrument.choice_lists.get(compiled.node.list_name)
        if lst is None:
            return value
        fn = compiled.fns["choice_filter"]
        allowed: list[Choice] = []
        for choice in lst.choices:
            ctx.choice = choice
            if to_bool(fn(ctx)):
                allowed.append(choice)
        ctx.choice = None
        self.allowed[(compiled.node.path, ctx.idx)] = allowed
        names = {c.name for c in allowed}
        if isinstance(value, list):
            kept = [v for v in value if v in names]
            return kept or None
        if isinstance(value, str) and value not in names:
            return None
        return value

    # -- checking -------------------------------------------------------------------------------

    def issues(self, address: str) -> list[Issue]:
        path, idx = self.slot(address)
        return self._issues(path, idx)

    def _issues(self, path: str, idx: Idx) -> list[Issue]:
        node = self.program.nodes[path].node
        slot = (path, idx)
        if not self.relevant.get(slot, False) or node.is_container:
            return []
        out: list[Issue] = []
        if self.required.get(slot) and self.values.get(slot) is None:
            text = self.text(node.required_message) or _("This question needs an answer.")
            out.append(Issue(self.address(path, idx), self.render(text, path, idx), "required"))
        if not self.valid.get(slot, True):
            text = self.text(node.constraint_message) or _("This answer is not allowed.")
            out.append(Issue(self.address(path, idx), self.render(text, path, idx), "constraint"))
        return out

    def validate_all(self) -> list[Issue]:
        """Every missing or invalid answer, in form order, with messages in the current language."""
        out: list[Issue] = []
        relevant, required, valid, values = self.relevant, self.required, self.valid, self.values
        listed: dict[tuple[str, ...], list[Idx]] = {(): [()]}
        for path, compiled in self.program.nodes.items():
            if compiled.node.is_container:
                continue
            chain = compiled.chain
            found = listed.get(chain)
            if found is None:
                found = listed[chain] = list(self._expand(chain, (), ()))
            for idx in found:
                slot = (path, idx)
                if relevant.get(slot, False) and (
                        (required.get(slot) and values.get(slot) is None)
                        or not valid.get(slot, True)):
                    out.extend(self._issues(path, idx))
        return out

    def snapshot(self) -> tuple[Any, ...]:
        """Everything computed, for comparing two states (tests: incremental == full)."""
        return (dict(self.values), dict(self.relevant), dict(self.required),
                dict(self.read_only), dict(self.valid),
                {k: [c.name for c in v] for k, v in self.allowed.items()}, dict(self.counts))


# -- coercing answers -----------------------------------------------------------------------------


def _integer(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    return int(str(value).strip()) if not isinstance(value, int) else value


def _decimal(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    if isinstance(value, bool):
        raise TypeError(value)
    number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(value)
    return number


def _select_one(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    name = str(value).strip()
    if name not in _choice_names(state, node, slot):
        raise ValueError(value)
    return name


def _select_multiple(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    items = value.split() if isinstance(value, str) else [str(v) for v in value]
    allowed = _choice_names(state, node, slot)
    if any(item not in allowed for item in items):
        raise ValueError(value)
    return list(dict.fromkeys(items))


def _choice_names(state: FormState, node: Node, slot: Slot) -> set[str] | frozenset[str]:
    if slot in state.allowed:
        return {c.name for c in state.allowed[slot]}
    source = dynamic_list(node)
    if source:
        return {c.name for c in state._answers_as_choices(source, *slot)}
    return state.program.choice_names(node.list_name)


def _date(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value).strip()[:10]).isoformat()


def _time(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    return time.fromisoformat(str(value).strip()[:8]).isoformat(timespec="seconds")


def _datetime(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return datetime.fromisoformat(str(value).strip()).isoformat(timespec="seconds")


def _text(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    return str(value)


def _acknowledge(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    return "OK" if value in (True, "OK", "ok", "1", 1, "true", "yes") else None


_GEO_SPLIT = re.compile(r"[\s,，]+")


def parse_point(text: str) -> tuple[float, float, float, float]:
    """"lat lon [altitude [accuracy]]", with spaces or commas (as copied from a map)."""
    parts = [p for p in _GEO_SPLIT.split(text.strip()) if p]
    if not 2 <= len(parts) <= 4:
        raise ValueError(text)
    numbers = [float(p) for p in parts] + [0.0] * (4 - len(parts))
    lat, lon, alt, acc = numbers
    if any(math.isnan(x) or math.isinf(x) for x in numbers):
        raise ValueError(text)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or acc < 0:
        raise ValueError(text)
    return lat, lon, alt, acc


def format_point(point: tuple[float, float, float, float]) -> str:
    return " ".join(number_to_string(float(x)) for x in point)


def _geo(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    text = ";".join(value) if isinstance(value, list) else str(value)
    pieces = [p for p in text.replace("\n", ";").split(";") if p.strip()]
    points = [parse_point(p) for p in pieces]
    if node.type == "geopoint" and len(points) != 1:
        raise ValueError(value)
    if node.type == "geotrace" and len(points) < 2:
        raise ValueError(value)
    if node.type == "geoshape":
        if points and points[0][:2] != points[-1][:2]:
            points.append(points[0])
        if len({p[:2] for p in points}) < 3:
            raise ValueError(value)
    return ";".join(format_point(p) for p in points)


def _range(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    number = _decimal(state, node, value, slot)
    assert isinstance(number, float)
    start, end, step = range_bounds(node)
    low, high = min(start, end), max(start, end)
    if not low <= number <= high:
        raise ValueError(value)
    if step and abs(((number - start) / step) - round((number - start) / step)) > 1e-9:
        raise ValueError(value)
    return int(number) if number.is_integer() else number


def range_bounds(node: Node) -> tuple[float, float, float]:
    params = node.parameters
    try:
        return (float(params.get("start", 1)), float(params.get("end", 10)),
                abs(float(params.get("step", 1))))
    except ValueError:
        return 1.0, 10.0, 1.0


def _rank(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    items = value.split() if isinstance(value, str) else [str(v) for v in value]
    allowed = _choice_names(state, node, slot)
    if any(item not in allowed for item in items) or len(set(items)) != len(items):
        raise ValueError(value)
    return items


def _file(state: FormState, node: Node, value: Any, slot: Slot) -> Answer:
    """A file answer: "ATTACHMENT_ID/file name" (the encrypted attachment of the response)."""
    text = str(value).strip()
    ident, sep, name = text.partition("/")
    if not sep or not ident or not name or "/" in name:
        raise ValueError(value)
    return text


_COERCE: dict[str, Callable[[FormState, Node, Any, Slot], Answer]] = {
    "text": _text, "integer": _integer, "decimal": _decimal, "select_one": _select_one,
    "select_multiple": _select_multiple, "date": _date, "time": _time, "datetime": _datetime,
    "acknowledge": _acknowledge, "calculate": _text, "note": _text,
    "start": _datetime, "end": _datetime, "today": _date, "barcode": _text, "range": _range,
    "rank": _rank, **{t: _geo for t in GEO_TYPES},
    **{t: _file for t in ("image", "audio", "video", "file")},
    **{t: _text for t in ("deviceid", "username", "email", "phonenumber", "simserial",
                          "subscriberid", "imei", "audit", "start-geopoint",
                          "background-geopoint", "background-audio", "hidden")},
}

