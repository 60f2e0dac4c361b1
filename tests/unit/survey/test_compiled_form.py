"""The generated validator (``FormPlan.stored``) against the reference (``fill_state``).

Whenever the validator gives answers to store, the reference must accept the response as it
is (no issue; to complete, nothing missing or invalid) and store exactly those answers, byte
for byte as JSON; and the validator takes it in the common case (the benchmark's responses, most of the
reference's own answers fed back). Responses are drawn two ways: random answer sets (mostly
wrong: the validator must say None, and ``add_responses`` then reports the reference's
issues), and the reference's own stored answers fed back with one change (an invalid value, an
answer to a hidden question or an irrelevant branch, a constraint broken, a repeat instance
added or removed), over the bundled instrument, crafted forms (repeats with defaults, choice
filters, position(), calculations over repeats) and every form of pyxform's test corpus the
validator compiles.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.survey import FormPlan, Instrument, fill_state, load_xlsform
from fieldapp.survey.model import INPUT_TYPES, Node
from fieldapp.survey.problems import XLSFormError
from tests.perf.bench_survey_store import make_answers
from tests.unit.survey.conftest import write_form
from tests.unit.survey.test_engine import CHOICES, HEAD, row
from tests.unit.survey.test_fill_plan import CLOCK, LATER, META, answer_sets, forms

__all__ = ["forms"]  # the fixture, shared with the plan's tests

#: Repeats that start with defaults, filtered choices in a repeat, position(), a sum over a
#: repeat read by a later question, a required answer that only some branches ask for.
REPEATS = [
    HEAD,
    row("select_one yn", "go", "Go", "走", required="yes"),
    row("text", "top_default", "Top", "顶", default="here"),
    row("begin group", "more", "More", "更多", relevant="${go} = 'yes'"),
    row("text", "why", "Why", "为何", required="yes"),
    row("end group", ""),
    row("begin repeat", "people", "People", "人"),
    row("calculate", "no", calculation="position(..)"),
    row("text", "name", "Name", "名", required="${no} = 1"),
    row("integer", "age", "Age", "岁", constraint=". >= 0 and . < 120"),
    row("select_one yn", "adult", "Adult", "成年", default="no"),
    row("select_one province", "province", "Province", "省"),
    row("select_one city", "city", "City", "市", choice_filter="province = ${province}"),
    row("begin group", "job", "Job", "工作", relevant="${age} >= 16"),
    row("text", "employer", "Employer", "单位", required="yes"),
    row("end group", ""),
    row("end repeat", ""),
    row("calculate", "total_age", calculation="sum(${age})"),
    row("integer", "guess", "Guess", "猜", constraint=". = ${total_age}",
        relevant="count(${people}) > 1"),
    row("decimal", "share", "Share", "份额", constraint=". > -1"),
]


@pytest.fixture(scope="module")
def more_forms(tmp_path_factory: pytest.TempPathFactory,
               forms: dict[str, Instrument]) -> dict[str, Instrument]:
    folder = tmp_path_factory.mktemp("compiled")
    return {**forms, "repeats": load_xlsform(write_form(folder / "repeats.xlsx", REPEATS,
                                                         CHOICES))}


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def check(inst: Instrument, plan: FormPlan, answers: Any, clock: datetime = CLOCK) -> str:
    """Compare the validator with the reference for one response, as a draft and to
    complete; returns what the validator did for each ("stored" or "refused"), as
    "draft/complete"."""
    fresh = plan.fresh(meta=META, clock=lambda: clock)
    want, issues = fill_state(inst, answers, program=plan.program, meta=META,
                              clock=lambda: clock)
    missing = want.validate_all()
    outcome = []
    for complete in (False, True):
        got = plan.stored(answers, fresh, complete)
        if got is not None:
            assert not issues and not (complete and missing), (answers, issues, missing)
            assert _json(got) == _json(want.to_dict())
        outcome.append("stored" if got is not None else "refused")
    return "/".join(outcome)


def _mutate(rng: random.Random, inst: Instrument, data: dict[str, Any]) -> dict[str, Any]:
    """One change to stored answers: often one the reference refuses."""
    data = json.loads(json.dumps(data))
    inputs: list[tuple[dict[str, Any], Node]] = []

    def visit(nodes: list[Node], where: dict[str, Any]) -> None:
        for node in nodes:
            inner = where.get(node.name)
            if node.type == "group":
                if not isinstance(inner, dict):
                    inner = where[node.name] = {}
                visit(node.children, inner)
            elif node.type == "repeat":
                if isinstance(inner, list):
                    for item in inner:
                        if isinstance(item, dict):
                            visit(node.children, item)
            elif node.type in INPUT_TYPES:
                inputs.append((where, node))

    visit(inst.children, data)
    if not inputs:
        return data
    where, node = rng.choice(inputs)
    lst = inst.choice_lists.get(node.list_name)
    names = [c.name for c in lst.choices] if lst else []
    where[node.name] = rng.choice([None, "", "nope", -1, 0, 1.5, 200, 30, "x y", [],
                                   names[:2], *names, *(n + " " for n in names[:1])])
    if rng.random() < 0.2:
        repeats = [n for n in _nodes(inst.children) if n.type == "repeat"]
        if repeats:
            rep = rng.choice(repeats)
            holder = _holder(data, inst.children, rep)
            if holder is not None:
                items = holder.get(rep.name)
                holder[rep.name] = ([] if items else [{}, {}]) if rng.random() < 0.5 else (
                    [*items, {}] if isinstance(items, list) else items)
    return data


def _nodes(nodes: list[Node]) -> list[Node]:
    return [m for n in nodes for m in (n, *_nodes(n.children))]


def _holder(data: dict[str, Any], nodes: list[Node], target: Node) -> dict[str, Any] | None:
    for node in nodes:
        if node is target:
            return data
        if node.type == "group":
            inner = data.setdefault(node.name, {})
            found = _holder(inner, node.children, target) if isinstance(inner, dict) else None
            if found is not None:
                return found
    return None


FORMS = ["bundled", "engine", "crafted", "guarded", "late", "dynamic", "self", "repeats"]


@pytest.mark.parametrize("name", FORMS)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_validator_is_the_reference(more_forms: dict[str, Instrument], name: str,
                                    data: st.DataObject) -> None:
    """Random answer sets, then the reference's own answers fed back (accepted, as a rule)
    and with one change; one plan per example, so each memo starts empty."""
    inst = more_forms[name]
    plan = FormPlan(inst)
    answers = data.draw(answer_sets(inst))
    clock = data.draw(st.sampled_from([CLOCK, LATER]))
    check(inst, plan, answers, clock)
    stored = fill_state(inst, answers, program=plan.program, meta=META,
                        clock=lambda: clock)[0].to_dict()
    check(inst, plan, stored, clock)
    rng = random.Random(data.draw(st.integers(0, 10_000)))
    check(inst, plan, _mutate(rng, inst, stored), clock)


_SHARED: dict[str, FormPlan] = {}


@pytest.mark.parametrize("name", ["bundled", "crafted", "repeats"])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_one_validator_for_many_responses(more_forms: dict[str, Instrument], name: str,
                                          data: st.DataObject) -> None:
    """One plan for the whole module, as a batch keeps one: its memo fills up from responses
    of every kind, on two days, and the validator still gives the reference's answers."""
    inst = more_forms[name]
    plan = _SHARED.setdefault(name, FormPlan(inst))
    rng = random.Random(data.draw(st.integers(0, 10_000)))
    clock = data.draw(st.sampled_from([CLOCK, LATER]))
    for answers in data.draw(st.lists(answer_sets(inst), min_size=1, max_size=4)):
        stored = fill_state(inst, answers, program=plan.program, meta=META,
                            clock=lambda: clock)[0].to_dict()
        for each in (answers, stored, _mutate(rng, inst, stored), stored):
            check(inst, plan, each, clock)


def test_realistic_responses_are_stored_by_the_validator(more_forms: dict[str, Instrument]
                                                         ) -> None:
    """The benchmark's responses all take the generated validator, with the reference's
    answers; a broken constraint, a hidden answer or an unknown name is left to the plan."""
    inst = more_forms["bundled"]
    plan = FormPlan(inst)
    assert plan.stored({}, plan.fresh(), False) is not None  # compiled
    assert plan._compiled is not None and plan._compiled.reason == ""
    rng = random.Random(5)
    responses = [make_answers(rng) for _ in range(80)]
    assert [check(inst, plan, a) for a in responses] == ["stored/stored"] * 80
    bad = json.loads(json.dumps(responses[0]))
    bad["org"]["founded_year"] = 1900  # constraint: >= 1949
    assert check(inst, plan, bad) == "stored/refused"  # a draft may break a constraint
    hidden = {**responses[0], "consent": "no"}  # org is hidden, and answered
    assert check(inst, plan, hidden) == "refused/refused"
    assert check(inst, plan, {**responses[0], "nope": 1}) == "refused/refused"


def test_forms_the_validator_leaves_to_the_plan(more_forms: dict[str, Instrument]) -> None:
    from fieldapp.survey.compiled import CompiledForm

    assert CompiledForm(FormPlan(more_forms["repeats"])).reason == ""
    assert CompiledForm(FormPlan(more_forms["crafted"])).reason == ""
    assert CompiledForm(FormPlan(more_forms["late"])).reason == (
        "'first' depends on the later 'second'")
    assert CompiledForm(FormPlan(more_forms["guarded"])).reason == ""
    assert CompiledForm(FormPlan(more_forms["dynamic"])).reason == "choices from another answer"


def _corpus_forms(tmp: Path) -> list[Instrument]:
    from tests.unit.survey.test_corpus import written_forms

    out = []
    for _src, form in written_forms(tmp):
        try:
            out.append(load_xlsform(form))
        except (XLSFormError, ValueError, KeyError, OSError):
            continue
    return out


def test_corpus_forms(tmp_path: Path) -> None:
    """Every form of pyxform's test corpus the validator compiles: random responses, the
    reference's answers fed back, and one change to them."""
    from fieldapp.survey.compiled import CompiledForm

    compiled = 0
    stored = 0
    for inst in _corpus_forms(tmp_path):
        plan = FormPlan(inst)
        if CompiledForm(plan).reason or (plan.fresh(meta=META, clock=lambda: CLOCK).values
                                         != plan.fresh(meta=META, clock=lambda: CLOCK).values):
            continue  # not compiled, or a fresh form differs each time (uuid() as a default)
        compiled += 1
        for seed in range(4):
            rng = random.Random(seed)
            answers = _random(rng, inst)
            check(inst, plan, answers)
            back = fill_state(inst, answers, program=plan.program, meta=META,
                              clock=lambda: CLOCK)[0].to_dict()
            stored += check(inst, plan, back).startswith("stored")
            check(inst, plan, _mutate(rng, inst, back))
    assert compiled > 200
    assert stored > compiled  # most forms store the reference's answers fed back


def _random(rng: random.Random, inst: Instrument) -> dict[str, Any]:
    def group(nodes: list[Node]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for node in nodes:
            if rng.random() < 0.3:
                continue
            if node.type == "group":
                out[node.name] = group(node.children)
            elif node.type == "repeat":
                out[node.name] = [group(node.children) for _ in range(rng.randint(0, 2))]
            elif node.type in INPUT_TYPES:
                lst = inst.choice_lists.get(node.list_name)
                names = [c.name for c in lst.choices] if lst else []
                out[node.name] = rng.choice([*names[:3], "a", 3, 2.5, "2024-01-02", None,
                                             names[:2]])
        return out

    return group(inst.children)


TRICKY: list[Any] = [True, False, 0, -0.0, 3, 3.0, 2.5, "3", " 3", "3 ", "", " ", None, [],
                     float("inf"), float("nan"), 10**400, "yes", " yes", "yes ", "yes no",
                     ["yes"], ["yes", "yes"], ["yes", 1], ("yes",), {"a": 1}, "2025-03-01",
                     "ordinary text", "  padded  "]


@pytest.mark.parametrize("name", ["bundled", "crafted", "repeats", "engine"])
def test_every_kind_of_value_for_every_question(more_forms: dict[str, Instrument],
                                                name: str) -> None:
    """Each question of a form given each awkward value (a bool for a number, an infinite
    decimal, a padded choice, a repeated choice, a tuple, a dict...) in an otherwise accepted
    response: what the validator stores is what the reference stores, or it leaves it."""
    inst = more_forms[name]
    plan = FormPlan(inst)
    rng = random.Random(4)
    bases = [make_answers(rng) for _ in range(3)] if name == "bundled" else [
        fill_state(inst, _random(rng, inst), program=plan.program, meta=META,
                   clock=lambda: CLOCK)[0].to_dict() for _ in range(8)]
    for base in bases:  # a read-only answer (a default kept) is refused when given back
        for node in _nodes(inst.children):
            holder = _holder(base, inst.children, node) if node.read_only else None
            if holder is not None:
                holder.pop(node.name, None)
    outcomes: list[str] = []
    for base in bases:
        for node in _nodes(inst.children):
            if node.type not in INPUT_TYPES:
                continue
            lst = inst.choice_lists.get(node.list_name)
            names = [c.name for c in lst.choices] if lst else []
            for value in [*TRICKY, *names[:2], names[:2], [n + " " for n in names[:1]]]:
                data = json.loads(json.dumps(base))
                holder = _holder(data, inst.children, node)
                if holder is None:  # inside a repeat
                    continue
                holder[node.name] = value
                try:
                    outcomes += check(inst, plan, data).split("/")
                except OverflowError:
                    continue  # the reference itself cannot read 10**400 as a decimal
    assert outcomes.count("stored") > 20 and outcomes.count("refused") > 20


#: Numbers checked against constants only, which the validator checks in its own code (no
#: memo): both sides of every bound, a negative literal, a literal on the left, = and !=,
#: "or", required or not, outside and inside a repeat, under a group shown or hidden.
BOUNDS = [
    HEAD,
    row("select_one yn", "go", "Go", "走"),
    row("integer", "count", "Count", "数", constraint=". >= 0 and . <= 10"),
    row("decimal", "share", "Share", "份额", constraint=". > -1.5 and . != 0", required="yes"),
    row("integer", "code", "Code", "码", constraint=". = 3 or . = -7"),
    row("integer", "low", "Low", "低", constraint="-2 < ."),
    row("begin group", "more", "More", "更多", relevant="${go} = 'yes'"),
    row("integer", "inner", "Inner", "内", constraint=". < 5", required="yes"),
    row("end group", ""),
    row("begin repeat", "items", "Items", "项"),
    row("decimal", "amount", "Amount", "金额", constraint=". > 0 and . < 100", required="yes"),
    row("integer", "n", "N", "数", constraint=". <= -1 or . >= 1"),
    row("end repeat", ""),
]


def test_numbers_checked_against_constants_are_checked_as_the_reference_does(
        tmp_path: Path) -> None:
    """Each of those questions answered at, just inside and just outside each bound, with
    nothing, a whole or a decimal number, text and a boolean: the validator stores exactly
    when the reference accepts the response (as a draft; to complete, with nothing missing
    or invalid), and stores the reference's answers."""
    inst = load_xlsform(write_form(tmp_path / "bounds.xlsx", BOUNDS, CHOICES))
    plan = FormPlan(inst)
    fresh = plan.fresh(meta=META, clock=lambda: CLOCK)
    assert plan.stored({}, fresh, False) is not None
    assert plan._compiled is not None
    source = plan._compiled.source
    assert source.count("y = float(w)") == 7, source  # every one of them inline
    base: dict[str, Any] = {"go": "yes", "count": 1, "share": 1.0, "code": 3, "low": 0,
                            "more": {"inner": 1}, "items": [{"amount": 5.0, "n": 1}]}
    tried = ([None, True, "4", 2**60, 10**18 + 1]
             + [c + d for c in (0, 10, -1.5, 3, -7, -2, 5, 100, -1, 1) for d in (-1, -0.5, 0, 0.5, 1)])
    places = [("count",), ("share",), ("code",), ("low",), ("more", "inner"),
              ("items", 0, "amount"), ("items", 0, "n")]
    outcomes: set[tuple[bool, bool]] = set()
    for place in places:
        for value in tried:
            for go in ("yes", "no"):
                answers = json.loads(json.dumps({**base, "go": go}))
                where: Any = answers
                for key in place[:-1]:
                    where = where[key]
                if value is None:
                    del where[place[-1]]
                else:
                    where[place[-1]] = value
                want, issues = fill_state(inst, answers, program=plan.program, meta=META,
                                          clock=lambda: CLOCK)
                missing = want.validate_all()
                for complete in (False, True):
                    accepted = not issues and not (complete and missing)
                    got = plan.stored(answers, fresh, complete)
                    assert (got is not None) == accepted, (place, value, go, complete, issues,
                                                           missing)
                    if got is not None:
                        assert _json(got) == _json(want.to_dict())
                    outcomes.add((complete, accepted))
    assert outcomes == {(False, True), (False, False), (True, True), (True, False)}
