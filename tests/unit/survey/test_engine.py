"""The form state engine: relevance, validity, calculations, cascades, repeats, recompute."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.survey import AnswerError, FormState, Instrument, Program, load_xlsform
from tests.unit.survey.conftest import MakeForm

EN, ZH = "label::English (en)", "label::中文 (zh)"
HEAD = ["type", "name", EN, ZH, "relevant", "constraint", "constraint_message::English (en)",
        "constraint_message::中文 (zh)", "required", "required_message::English (en)",
        "required_message::中文 (zh)", "calculation", "default", "read_only", "choice_filter"]


def row(type_: str, name: str, en: str = "", zh: str = "", **cols: str) -> list[object]:
    values = {"type": type_, "name": name, EN: en, ZH: zh}
    names = {"msg_en": "constraint_message::English (en)",
             "msg_zh": "constraint_message::中文 (zh)",
             "req_en": "required_message::English (en)", "req_zh": "required_message::中文 (zh)"}
    values.update({names.get(k, k): v for k, v in cols.items()})
    return [values.get(h) or None for h in HEAD]


SURVEY = [
    HEAD,
    row("select_one yn", "works", "Works with government?", "是否与政府合作？", required="yes",
        req_en="Please answer.", req_zh="请回答。"),
    row("begin group", "gov", "Government work", "政府合作", relevant="${works} = 'yes'"),
    row("integer", "n_staff", "Staff", "员工人数", constraint=". >= 0 and . <= 100",
        msg_en="0 to 100 staff", msg_zh="员工人数应在0到100之间"),
    row("text", "note_text", "Note", "备注", relevant="${n_staff} > 5"),
    row("end group", ""),
    row("calculate", "double_staff", calculation="${n_staff} * 2"),
    row("text", "country", "Country", "国家", default="China", read_only="yes"),
    row("select_one province", "province", "Province", "省份"),
    row("select_one city", "city", "City", "城市", choice_filter="province = ${province}"),
    row("select_multiple sector or_other", "sectors", "Sectors", "领域"),
    row("begin repeat", "contract", "Contract", "合同"),
    row("calculate", "pos", calculation="position(..)"),
    row("decimal", "amount", "Amount", "金额", constraint=". > 0", msg_en="Must be positive",
        msg_zh="金额必须大于0"),
    row("calculate", "share", calculation="${amount} div ${total}"),
    row("end repeat", ""),
    row("calculate", "total", calculation="sum(${amount})"),
    row("calculate", "n_contracts", calculation="count(${contract})"),
    row("text", "unrelated", "Unrelated", "无关"),
]
CHOICES = [
    ["list_name", "name", EN, ZH, "province"],
    ["yn", "yes", "Yes", "是", None], ["yn", "no", "No", "否", None],
    ["province", "yn_p", "Yunnan", "云南", None], ["province", "gd", "Guangdong", "广东", None],
    ["city", "km", "Kunming", "昆明", "yn_p"], ["city", "dl", "Dali", "大理", "yn_p"],
    ["city", "gz", "Guangzhou", "广州", "gd"],
    ["sector", "hiv", "HIV/AIDS", "艾滋病", None],
    ["sector", "migrants", "Migrants", "流动人口", None],
]
CLOCK = datetime(2025, 3, 1, 9, 30)


@pytest.fixture
def instrument(make_form: MakeForm) -> Instrument:
    return load_xlsform(make_form(SURVEY, CHOICES))


def new_state(instrument: Instrument, **kwargs: object) -> FormState:
    return FormState(instrument, clock=lambda: CLOCK, **kwargs)  # type: ignore[arg-type]


def test_relevance_hides_and_clears_answers_including_groups(instrument: Instrument) -> None:
    state = new_state(instrument)
    assert not state.is_relevant("gov/n_staff")
    with pytest.raises(AnswerError):
        state.set_answer("gov/n_staff", 3)
    state.set_answer("works", "yes")
    state.set_answer("gov/n_staff", 8)
    state.set_answer("gov/note_text", "many")
    assert state.is_relevant("gov/note_text")
    assert state.value("double_staff") == "16"
    state.set_answer("works", "no")  # the whole group is hidden and emptied
    assert not state.is_relevant("gov") and not state.is_relevant("gov/note_text")
    assert state.value("gov/n_staff") is None and state.value("gov/note_text") is None
    assert state.value("double_staff") is None
    state.set_answer("works", "yes")
    assert state.value("gov/n_staff") is None  # cleared answers do not come back


def test_constraints_and_required_with_messages_per_language(instrument: Instrument) -> None:
    state = new_state(instrument, language="en")
    assert [(i.address, i.message, i.kind) for i in state.validate_all()] == [
        ("works", "Please answer.", "required")]
    state.set_answer("works", "yes")
    state.set_answer("gov/n_staff", 500)
    state.add_instance("contract")
    state.set_answer("contract[2]/amount", -1)
    issues = [(i.address, i.message) for i in state.validate_all()]
    assert issues == [("gov/n_staff", "0 to 100 staff"), ("contract[2]/amount", "Must be positive")]
    state.language = "zh_CN"
    assert [i.message for i in state.validate_all()] == ["员工人数应在0到100之间", "金额必须大于0"]
    state.set_answer("gov/n_staff", 50)
    state.set_answer("contract[2]/amount", 3)
    assert state.validate_all() == []
    state.set_answer("works", "no")
    state.language = "en"
    assert state.label("works") == "Works with government?"


def test_calculation_default_and_read_only(instrument: Instrument) -> None:
    state = new_state(instrument)
    assert state.value("country") == "China"
    assert state.is_read_only("country") and state.is_read_only("double_staff")
    with pytest.raises(AnswerError):
        state.set_answer("country", "Elsewhere")
    with pytest.raises(AnswerError):
        state.set_answer("double_staff", "3")
    with pytest.raises(AnswerError):
        state.set_answer("works", "maybe")
    loaded = new_state(instrument, answers={"works": "no"})
    assert loaded.value("country") is None  # defaults apply to new responses only


def test_choice_filter_cascade(instrument: Instrument) -> None:
    state = new_state(instrument)
    assert state.choices("city") == []
    state.set_answer("province", "yn_p")
    assert [c.name for c in state.choices("city")] == ["km", "dl"]
    with pytest.raises(AnswerError):
        state.set_answer("city", "gz")
    state.set_answer("city", "dl")
    state.set_answer("province", "gd")
    assert [c.label("zh_CN") for c in state.choices("city")] == ["广州"]
    assert state.value("city") is None  # no longer one of the choices


def test_select_multiple_with_other(instrument: Instrument) -> None:
    state = new_state(instrument)
    assert not state.is_relevant("sectors_other")
    state.set_answer("sectors", ["hiv", "other"])
    assert state.is_relevant("sectors_other")
    state.set_answer("sectors_other", "残障儿童")
    assert state.to_dict()["sectors"] == ["hiv", "other"]
    state.set_answer("sectors", "hiv")
    assert state.value("sectors") == ["hiv"] and state.value("sectors_other") is None


def test_repeats_add_remove_and_position(instrument: Instrument) -> None:
    state = new_state(instrument)
    assert state.instance_count("contract") == 1
    assert state.add_instance("contract") == 2
    assert state.add_instance("contract") == 3
    for i, amount in enumerate((10, 20, 70), start=1):
        state.set_answer(f"contract[{i}]/amount", amount)
    assert [state.value(f"contract[{i}]/pos") for i in (1, 2, 3)] == ["1", "2", "3"]
    assert state.value("total") == "100" and state.value("n_contracts") == "3"
    assert state.value("contract[3]/share") == "0.7"
    state.remove_instance("contract", 2)
    assert state.instance_count("contract") == 2
    assert [state.value(f"contract[{i}]/amount") for i in (1, 2)] == [10.0, 70.0]
    assert state.value("contract[2]/pos") == "2" and state.value("total") == "80"
    with pytest.raises(KeyError):
        state.value("contract[3]/amount")
    assert state.to_dict()["contract"] == [
        {"pos": "1", "amount": 10.0, "share": "0.125"}, {"pos": "2", "amount": 70.0,
                                                        "share": "0.875"}]


def test_change_recomputes_only_dependents(instrument: Instrument) -> None:
    state = new_state(instrument)
    state.set_answer("works", "yes")
    before = state.evaluations
    state.set_answer("unrelated", "x")
    assert state.evaluations - before == 1  # itself, nothing reads it
    before = state.evaluations
    state.set_answer("gov/n_staff", 3)
    # itself, note_text (relevant), double_staff (calculation): not the other 15 questions
    assert state.evaluations - before == 3
    before = state.evaluations
    state.set_answer("contract[1]/amount", 5)
    # amount, total, then share (reads amount and total) of the one instance
    assert state.evaluations - before == 3
    full = state.evaluations
    state.recompute_all()
    assert state.evaluations - full == sum(1 for p in state.program.nodes
                                           for _ in state.instances(p))


def test_json_round_trip_of_instrument_and_answers(instrument: Instrument) -> None:
    state = new_state(instrument)
    state.set_answer("works", "yes")
    state.set_answer("gov/n_staff", 7)
    state.set_answer("gov/note_text", "备注：多名员工")
    state.set_answer("province", "yn_p")
    state.set_answer("city", "km")
    state.add_instance("contract")
    state.set_answer("contract[2]/amount", 2.5)
    copy = Instrument.from_json(instrument.to_json())
    assert copy == instrument
    import json

    data = json.loads(json.dumps(state.to_dict(), ensure_ascii=False))
    again = new_state(copy, answers=data)
    assert again.to_dict() == state.to_dict()
    assert again.snapshot() == state.snapshot()


def test_own_instrument_fills_in(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[3] / "resources" / "instruments"
    state = FormState(load_xlsform(path / "ngo_contracting_survey.xlsx"), language="zh_CN",
                      clock=lambda: CLOCK)
    state.set_answer("consent", "yes")
    state.set_answer("has_contracts", "yes")
    state.set_answer("contracts_section/contract[1]/amount", 12.5)
    state.set_answer("contracts_section/contract[1]/contract_year", 2010)
    messages = {i.address: i.message for i in state.validate_all()}
    year = messages["contracts_section/contract[1]/contract_year"]
    assert year == "签订年份应在2013年至今年之间。"
    assert state.label("contracts_section/contract[1]/contract_heading") == "第1个项目"
    state.set_answer("org/province", "yunnan")
    assert "大理白族自治州" in [c.label("zh_CN") for c in state.choices("org/city")]


# -- property: incremental recompute gives the same state as a full recompute --------------------

ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("works"), st.sampled_from(["yes", "no", None])),
    st.tuples(st.just("gov/n_staff"), st.one_of(st.none(), st.integers(-5, 200))),
    st.tuples(st.just("gov/note_text"), st.sampled_from(["a", "艾滋", None])),
    st.tuples(st.just("province"), st.sampled_from(["yn_p", "gd", None])),
    st.tuples(st.just("city"), st.sampled_from(["km", "dl", "gz", None])),
    st.tuples(st.just("sectors"), st.sampled_from([["hiv"], ["other", "migrants"], None])),
    st.tuples(st.just("sectors_other"), st.sampled_from(["x", None])),
    st.tuples(st.just("amount"), st.tuples(st.integers(1, 3), st.integers(-3, 50))),
    st.tuples(st.just("add"), st.none()),
    st.tuples(st.just("remove"), st.integers(1, 3)),
), max_size=25)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_incremental_equals_full_recompute(instrument: Instrument,
                                           actions: list[tuple[str, object]]) -> None:
    program = Program(instrument)
    state = FormState(instrument, program=program, clock=lambda: CLOCK)
    for what, value in actions:
        try:
            if what == "add":
                state.add_instance("contract")
            elif what == "remove":
                state.remove_instance("contract", int(value))  # type: ignore[call-overload]
            elif what == "amount":
                index, amount = value  # type: ignore[misc]
                state.set_answer(f"contract[{index}]/amount", amount)
            else:
                state.set_answer(what, value)
        except (AnswerError, KeyError, IndexError):
            continue
        full = FormState(instrument, answers=state.to_dict(), program=program, clock=lambda: CLOCK)
        assert full.snapshot() == state.snapshot()
