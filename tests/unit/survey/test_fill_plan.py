"""The compiled fill (FormPlan) against the reference (fill_state), on random answer sets.

For every generated answer set, over the bundled instrument and crafted forms that use
relevance (questions and groups), constraints, required, calculations (also over repeats),
repeats, select_multiple, choice filters, defaults and metadata: the same issues, the same
computed state (values, relevance, required, read-only, validity, allowed choices, instance
counts), the same validation messages and the same answers to store. Answers are often of the
wrong kind, hidden, filtered out or misplaced, so both the compiled path and its fall-back to
the reference are exercised; forms the plan must refuse are named.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.survey import FormPlan, FormState, Instrument, fill_state, load_xlsform
from fieldapp.survey.model import INPUT_TYPES, Node
from tests.perf.bench_survey_store import FORM as BUNDLED
from tests.perf.bench_survey_store import make_answers
from tests.unit.survey.conftest import write_form
from tests.unit.survey.test_engine import CHOICES, HEAD, SURVEY, row

CLOCK = datetime(2025, 3, 1, 9, 30)
LATER = datetime(2025, 3, 4, 23, 59)  # another day: ``. <= today()`` decides otherwise
META = {"username": "Li Wei", "deviceid": "dev-1"}

#: A form where answers hide and show each other in many ways, all on earlier answers.
CRAFTED = [
    HEAD,
    row("start", "started"),
    row("username", "who"),
    row("select_one yn", "consent", "Consent", "同意", required="yes"),
    row("integer", "age", "Age", "年龄", relevant="${consent} = 'yes'",
        constraint=". >= 18 and . < 100", required="yes"),
    row("select_multiple sector", "sectors", "Sectors", "领域", relevant="${consent} = 'yes'",
        constraint="count-selected(.) <= 2"),
    row("calculate", "n_sectors", calculation="count-selected(${sectors})"),
    row("text", "why", "Why", "为什么", relevant="${n_sectors} > 1", required="yes"),
    row("select_one province", "province", "Province", "省份"),
    row("select_one city", "city", "City", "城市", choice_filter="province = ${province}",
        required="${province} != ''"),
    row("begin group", "work", "Work", "工作", relevant="${age} > 20"),
    row("text", "org", "Organisation", "机构", default="NGO"),
    row("decimal", "budget", "Budget", "预算", constraint=". > 0"),
    row("end group", ""),
    row("begin repeat", "kids", "Kids", "子女", relevant="${age} > 25"),
    row("text", "kid_name", "Name", "姓名", required="yes"),
    row("integer", "kid_age", "Age", "年龄", constraint=". < ${age}"),
    row("select_one yn", "school", "School", "上学", relevant="${kid_age} >= 6"),
    row("select_multiple sector", "kid_sectors", "Sectors", "领域",
        choice_filter="name != 'migrants' or ${kid_age} > 10"),
    row("calculate", "older", calculation="${kid_age} > 10"),
    row("end repeat", ""),
    row("calculate", "total", calculation="sum(${kid_age})"),
    row("text", "big_family", "Why", "为什么", relevant="${total} > 10 or count(${kids}) > 2"),
    row("text", "read_only_q", "Fixed", "固定", read_only="${consent} = 'no'"),
    row("date", "when", "When", "日期", constraint=". <= today()"),
]
#: Two forms the plan must refuse: an answer shown by a later one, a choice list from answers.
LATE = [HEAD, row("text", "first", "First", "一", relevant="${second} != 'no' or ${third} = 'yes'"),
        row("select_one yn", "second", "Second", "二"),
        row("select_one yn", "third", "Third", "三")]
DYNAMIC = [HEAD, row("text", "a", "A", "甲"), row("select_one ${a}", "b", "B", "乙")]
#: An answer whose own value decides whether it is shown: the reference refuses it.
SELF = [HEAD, row("text", "self_shown", "Self", "自", relevant=". != ''")]
#: A default the answers can hide on the way: compiled unless that default stays unanswered.
GUARDED = [HEAD, row("select_one yn", "go", "Go", "走"),
           row("text", "dflt", "Default", "默认", relevant="${go} != 'no'", default="x"),
           row("text", "after", "After", "后")]


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Instrument]:
    folder = tmp_path_factory.mktemp("forms")
    out = {"bundled": load_xlsform(BUNDLED)}
    for name, survey in (("engine", SURVEY), ("crafted", CRAFTED), ("late", LATE),
                         ("dynamic", DYNAMIC), ("guarded", GUARDED), ("self", SELF)):
        out[name] = load_xlsform(write_form(folder / f"{name}.xlsx", survey, CHOICES))
    return out


def _choices(inst: Instrument, node: Node) -> list[str]:
    lst = inst.choice_lists.get(node.list_name)
    return [c.name for c in lst.choices] if lst else []


def _value(draw: st.DrawFn, inst: Instrument, node: Node) -> Any:
    names = [*_choices(inst, node), "nope"]
    kind = node.type
    options: list[st.SearchStrategy[Any]] = [st.none(), st.just(""), st.just("abc"),
                                             st.integers(-5, 120)]
    if kind in ("select_one",):
        options += [st.sampled_from(names)] * 4
    elif kind == "select_multiple":
        options += [st.lists(st.sampled_from(names), max_size=3, unique=True)] * 4
        options.append(st.lists(st.sampled_from(names), max_size=3).map(" ".join))
    elif kind in ("integer", "decimal"):
        options += [st.integers(-5, 120), st.floats(-5, 120, allow_nan=False),
                    st.integers(0, 60).map(str)] * 2
    elif kind == "date":
        options += [st.dates().map(lambda d: d.isoformat()),
                    st.dates(LATER.date() - timedelta(days=6), LATER.date() + timedelta(days=2)
                             ).map(lambda d: d.isoformat())] * 2
    else:
        options += [st.text(max_size=8)] * 3
    return draw(st.one_of(options))


@st.composite
def answer_sets(draw: st.DrawFn, inst: Instrument) -> dict[str, Any]:
    def group(nodes: list[Node], depth: int) -> Any:
        if draw(st.integers(0, 30)) == 0:
            return draw(st.sampled_from([[], "x", 3]))  # not a group at all
        out: dict[str, Any] = {}
        for node in nodes:
            if draw(st.integers(0, 4)) == 0:
                continue  # left out
            if node.type == "group":
                out[node.name] = group(node.children, depth + 1)
            elif node.type == "repeat":
                if draw(st.integers(0, 20)) == 0:
                    out[node.name] = {"not": "a list"}
                else:
                    out[node.name] = [group(node.children, depth + 1)
                                      for _ in range(draw(st.integers(0, 3)))]
            elif node.type in INPUT_TYPES:
                out[node.name] = _value(draw, inst, node)
            elif draw(st.integers(0, 3)) == 0:
                out[node.name] = "computed values are ignored"
        if draw(st.integers(0, 25)) == 0:
            out["no_such_question"] = 1
        return out

    result = group(inst.children, 0)
    return result if isinstance(result, dict) else {}


def compare(inst: Instrument, plan: FormPlan, answers: dict[str, Any], *,
            clock: datetime = CLOCK) -> None:
    want, want_issues = fill_state(inst, answers, program=plan.program, meta=META,
                                   clock=lambda: clock)
    fresh = plan.fresh(meta=META, clock=lambda: clock)
    got, got_issues = plan.fill(answers, fresh)
    assert got_issues == want_issues
    assert got.snapshot() == want.snapshot()
    assert got.validate_all() == want.validate_all()
    assert got.to_dict() == want.to_dict()
    # the plan's own dump of a state, key order included (the bytes the log stores)
    for state in (got, want):
        assert json.dumps(plan.to_dict(state)) == json.dumps(want.to_dict())
    # what completing it would refuse, found by the recompute itself
    done, done_issues = plan.fill_complete(answers, fresh)
    assert done_issues == want_issues + want.validate_all()
    assert done.snapshot() == want.snapshot()
    # the fresh form copied for the next response is untouched
    assert fresh.snapshot() == FormState(inst, None, program=plan.program, meta=META,
                                         clock=lambda: clock).snapshot()


@pytest.mark.parametrize("name", ["bundled", "engine", "crafted", "late", "dynamic", "guarded",
                                  "self"])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_compiled_fill_is_the_reference(forms: dict[str, Instrument], name: str,
                                        data: st.DataObject) -> None:
    inst = forms[name]
    plan = FormPlan(inst)
    compare(inst, plan, data.draw(answer_sets(inst)))


#: One plan per form for the whole module, as the services keep one per instrument version:
#: what it remembers (evaluations, coerced answers) builds up from example to example.
_SHARED: dict[str, FormPlan] = {}


@pytest.mark.parametrize("name", ["bundled", "engine", "crafted", "guarded"])
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_plan_filling_many_responses_stays_the_reference(forms: dict[str, Instrument],
                                                          name: str,
                                                          data: st.DataObject) -> None:
    """The plan's memo against the reference: one plan fills the responses of every example,
    each response twice (the second time the memo answers for every question), on two days
    (``today()`` in a constraint)."""
    inst = forms[name]
    plan = _SHARED.setdefault(name, FormPlan(inst))
    batch = data.draw(st.lists(answer_sets(inst), min_size=1, max_size=5))
    for answers in [*batch, *reversed(batch)]:
        compare(inst, plan, answers, clock=data.draw(st.sampled_from([CLOCK, LATER])))


def test_the_memo_knows_the_date(forms: dict[str, Instrument]) -> None:
    """``today()`` is the one input that is not an answer: a date after today is refused,
    and the same date is accepted a few days later, by the same plan."""
    inst = forms["crafted"]
    plan = FormPlan(inst)
    for clock in (CLOCK, LATER, CLOCK, LATER):
        compare(inst, plan, {"consent": "no", "when": "2025-03-03"}, clock=clock)
    fresh = plan.fresh(meta=META, clock=lambda: LATER)
    assert plan.fill_complete({"consent": "no", "when": "2025-03-03"}, fresh)[1] == []


def test_the_memo_answers_for_repeated_inputs(forms: dict[str, Instrument]) -> None:
    """A question evaluated once for some inputs is not evaluated again for the same inputs:
    filling responses a second time evaluates nothing (the reference evaluates every
    question of each response, several times), and gives the same forms."""
    inst = forms["bundled"]
    plan = FormPlan(inst)
    rng = random.Random(9)
    responses = [make_answers(rng) for _ in range(40)]
    fresh = plan.fresh(meta=META, clock=lambda: CLOCK)
    first = [plan.fill(a, fresh)[0] for a in responses]
    assert sum(s.evaluations - fresh.evaluations for s in first) > 0
    again = [plan.fill(a, fresh)[0] for a in responses]
    assert [s.evaluations - fresh.evaluations for s in again] == [0] * len(responses)
    assert [s.snapshot() for s in again] == [s.snapshot() for s in first]
    assert all(fill_state(inst, a, program=plan.program, meta=META, clock=lambda: CLOCK
                          )[0].evaluations > 50 for a in responses)


def test_which_forms_are_compiled(forms: dict[str, Instrument]) -> None:
    """The static part accepts the forms whose answers only depend on earlier ones and names
    what makes the others unsafe."""
    assert FormPlan(forms["bundled"]).unsafe == ""
    assert FormPlan(forms["engine"]).unsafe == ""
    assert FormPlan(forms["crafted"]).unsafe == ""
    assert FormPlan(forms["guarded"]).unsafe == ""
    assert FormPlan(forms["late"]).unsafe == "'first' depends on the later 'second'"
    assert FormPlan(forms["dynamic"]).unsafe == "choices from another answer"
    assert FormPlan(forms["self"]).unsafe == "'.' in relevance, a choice filter or read-only"


def test_valid_responses_take_the_compiled_path(forms: dict[str, Instrument]) -> None:
    """Realistic responses (the benchmark's) all go the fast way, with the reference's result."""
    inst = forms["bundled"]
    plan = FormPlan(inst)
    rng = random.Random(5)
    for _ in range(60):
        compare(inst, plan, make_answers(rng))
    assert (plan.compiled, plan.reference) == (120, 0)  # fill and fill_complete


def test_a_hidden_default_falls_back(forms: dict[str, Instrument]) -> None:
    """The reference clears a default that an answer hid, even if a later answer shows it
    again; the plan cannot see that in one recompute, so it leaves such a response to the
    reference — and takes the fast way once the question is answered."""
    inst = forms["guarded"]
    plan = FormPlan(inst)
    compare(inst, plan, {"go": "yes"})
    compare(inst, plan, {"go": "no"})
    compare(inst, plan, {"go": "yes", "dflt": "mine"})
    assert (plan.compiled, plan.reference) == (2, 4)  # fill and fill_complete


def test_own_value_in_relevance_uses_the_reference(forms: dict[str, Instrument]) -> None:
    inst = forms["self"]
    plan = FormPlan(inst)
    compare(inst, plan, {"self_shown": "hidden while empty"})
    assert plan.reference == 2


def test_late_dependency_uses_the_reference(forms: dict[str, Instrument]) -> None:
    inst = forms["late"]
    plan = FormPlan(inst)
    # the reference takes "first", hides it (second) and shows it again (third), empty
    compare(inst, plan, {"first": "lost on the way", "second": "no", "third": "yes"})
    assert plan.reference == 2 and plan.compiled == 0
