"""Case attributes through the services: typed values refused when they do not fit (nothing
written), conditions that filter queries, removal, and erasure with the participant."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from fieldapp.analysis.attributes import Choice
from fieldapp.services import analysis, case_attributes, records
from fieldapp.store.check import check
from fieldapp.store.errors import InvalidInput


def _study(ws: Any) -> dict[str, str]:
    big = records.add_organisation(ws, name_zh="红丝带关爱中心", name_en="Red Ribbon")
    small = records.add_organisation(ws, name_zh="同伴支持小组", name_en="Peer Group")
    lin = records.add_participant(ws, code="KM-HIV-001", organisation_id=big)
    wang = records.add_participant(ws, code="KM-HIV-002", organisation_id=small)
    money = records.add_code(ws, name_zh="资金", name_en="Funding")
    ids = {"big": big, "small": small, "lin": lin, "wang": wang, "code": money}
    for key, pid in (("i_lin", lin), ("i_wang", wang)):
        iid = records.add_interview(ws, code=key, participant_ids=[pid])
        note = records.add_note(ws, iid, body="经费拨付延迟，资金困难。")
        records.apply_code(ws, note, money, 0, 6)
        ids[key] = iid
    case_attributes.define(ws, "budget", "organisation", "number", label_zh="年度预算",
                           label_en="Annual budget")
    case_attributes.define(ws, "registration", "organisation", "choice", choices=[
        Choice("registered", "已登记", "Registered"),
        Choice("unregistered", "未登记", "Not registered")])
    case_attributes.define(ws, "joined", "participant", "date")
    case_attributes.define(ws, "staff", "organisation", "number")
    return ids


def test_values_are_typed_and_read_in_either_language(ws: Any) -> None:
    ids = _study(ws)
    assert case_attributes.set_value(ws, "budget", ids["big"], "1,200,000") == 1_200_000
    assert case_attributes.set_value(ws, "年度预算", ids["small"], "８００００.５") == 80000.5
    assert case_attributes.set_value(ws, "registration", "同伴支持小组", "未登记") == "unregistered"
    assert case_attributes.set_value(ws, "registration", "Red Ribbon", "Registered") == \
        "registered"
    assert case_attributes.set_value(ws, "joined", "KM-HIV-001", "2023-05-01") == "2023-05-01"
    assert case_attributes.values_of(ws, ids["big"]) == {
        case_attributes.attribute_id("budget"): 1_200_000,
        case_attributes.attribute_id("registration"): "registered"}
    # Cleared with empty text; the record stays, holding nothing.
    case_attributes.set_value(ws, "joined", "KM-HIV-001", "")
    assert case_attributes.values_of(ws, ids["lin"]) == {}
    assert check(ws).ok


@pytest.mark.parametrize(("name", "case", "value", "words"), [
    ("budget", "Red Ribbon", "lots", ("lots", "Annual budget", "number")),
    ("budget", "Red Ribbon", "1e999", ("1e999", "number")),
    ("budget", "Red Ribbon", "nan", ("nan", "number")),
    ("joined", "KM-HIV-001", "2024-02-30", ("2024-02-30", "YYYY-MM-DD")),
    ("joined", "KM-HIV-001", "01/05/2023", ("01/05/2023", "YYYY-MM-DD")),
    ("registration", "Red Ribbon", "maybe", ("maybe", "registered", "unregistered")),
    # an attribute of organisations set on a participant, and an unknown case
    ("budget", "KM-HIV-001", "5", ("KM-HIV-001", "organisations")),
    ("joined", "nobody", "2023-01-01", ("nobody",)),
    ("salary", "KM-HIV-001", "1", ("salary", "budget")),
])
def test_a_value_that_does_not_fit_is_refused_and_nothing_is_written(
        ws: Any, name: str, case: str, value: str, words: tuple[str, ...]) -> None:
    _study(ws)
    case_attributes.set_value(ws, "budget", "Red Ribbon", "100")
    seq = ws.last_seq
    with pytest.raises(InvalidInput) as err:
        case_attributes.set_value(ws, name, case, value)
    for word in words:
        assert word in err.value.message
    assert ws.last_seq == seq
    assert case_attributes.all_values(ws) == {
        (case_attributes.attribute_id("budget"), records.list_records(
            ws, "organisation", where={"name_en": "Red Ribbon"})[0]["id"]): 100}


def test_the_refusal_is_in_chinese_when_the_interface_is(ws: Any) -> None:
    from fieldapp.i18n import set_language

    _study(ws)
    set_language("zh_CN")
    with pytest.raises(InvalidInput) as err:
        case_attributes.set_value(ws, "registration", "Red Ribbon", "maybe")
    assert "已登记" in err.value.message and "registered" in err.value.message


def test_conditions_filter_the_interviews_a_query_reads(ws: Any) -> None:
    ids = _study(ws)
    case_attributes.set_value(ws, "budget", ids["big"], 1_200_000)
    case_attributes.set_value(ws, "budget", ids["small"], 80_000)
    case_attributes.set_value(ws, "registration", ids["small"], "unregistered")
    case_attributes.set_value(ws, "joined", ids["lin"], "2023-05-01")

    def interviews(*where: str) -> set[str]:
        result = analysis.run_query(ws, "资金", filters=analysis.Filters(where=where))
        return {i for i in result.interviews}

    assert interviews() == {ids["i_lin"], ids["i_wang"]}
    assert interviews("budget>=1000000") == {ids["i_lin"]}
    assert interviews("年度预算 < 1000000") == {ids["i_wang"]}
    assert interviews("budget>=80000; budget<=80000") == {ids["i_wang"]}
    assert interviews("budget!=80000") == {ids["i_lin"]}
    assert interviews("registration=未登记") == {ids["i_wang"]}
    # A case with no value meets no condition on it, != included.
    assert interviews("registration!=unregistered") == set()
    assert interviews("joined>=2023-01-01") == {ids["i_lin"]}
    assert interviews("joined<2023-01-01") == set()
    assert interviews("staff>1") == set()
    # A condition on participants and one on organisations: both must hold.
    assert interviews("joined>=2023-01-01", "budget<1000000") == set()


def test_an_exported_query_names_the_filter_it_ran_under(ws: Any, tmp_path: Path) -> None:
    ids = _study(ws)
    case_attributes.set_value(ws, "budget", ids["big"], 1_200_000)
    case_attributes.set_value(ws, "budget", ids["small"], 80_000)
    records.update(ws, "interview", ids["i_lin"], {"date": "2026-05-01", "site": "KM"})
    result = analysis.run_query(ws, "资金", filters=analysis.Filters(sites=("KM",),
        where=("budget>=1000000", "年度预算 < 2000000"), date_to=date(2099, 1, 1)))
    out = tmp_path / "passages.xlsx"
    assert analysis.export_query(ws, result, out) == len(result.passages) > 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[1][:2] == ("Case attribute filter", "budget>=1000000; 年度预算 < 2000000")
    assert rows[2][:2] == ("Interview filter", "Site: KM; To: 2099-01-01")
    assert {r[0] for r in rows[4:]} == {records.get(ws, "interview", ids["i_lin"])["code"]}


@pytest.mark.parametrize(("where", "words"), [
    ("budget>=lots", ("lots", "number")),
    ("registration>registered", ("only = and !=",)),
    ("budgt>1", ("budgt", "budget", "registration")),
    ("budget", ("not a condition",)),
    ("joined>2023-13-01", ("2023-13-01", "YYYY-MM-DD")),
])



def test_a_bad_condition_says_what_is_wrong(ws: Any, where: str, words: tuple[str, ...]) -> None:
    _study(ws)
    with pytest.raises(InvalidInput) as err:
        analysis.run_query(ws, "资金", filters=analysis.Filters(where=(where,)))
    for word in words:
        assert word in err.value.message


def test_definitions_guard_their_values(ws: Any) -> None:
    ids = _study(ws)
    case_attributes.set_value(ws, "registration", ids["small"], "unregistered")
    case_attributes.set_value(ws, "budget", ids["small"], 5)
    with pytest.raises(InvalidInput, match="remove it first"):
        case_attributes.define(ws, "budget", "organisation", "text")
    with pytest.raises(InvalidInput, match="unregistered"):
        case_attributes.define(ws, "registration", "organisation", "choice",
                               choices=[Choice("registered")])
    with pytest.raises(InvalidInput, match="cannot be an attribute name"):
        case_attributes.define(ws, "annual budget", "organisation", "number")
    with pytest.raises(InvalidInput, match="listed twice"):
        case_attributes.define(ws, "size", "organisation", "choice",
                               choices=[Choice("big"), Choice("BIG")])
    # Labels and new choices may change; the id stays the one every device derives.
    attr = case_attributes.define(ws, "registration", "organisation", "choice", choices=[
        Choice("registered", "已登记"), Choice("unregistered", "未登记", "Unregistered"),
        Choice("pending", "申请中", "Pending")])
    assert attr.id == case_attributes.attribute_id("REGISTRATION")
    assert [c.value for c in attr.choices] == ["registered", "unregistered", "pending"]


def test_removing_an_attribute_takes_its_values_and_defining_it_again_starts_empty(
        ws: Any) -> None:
    ids = _study(ws)
    case_attributes.set_value(ws, "budget", ids["small"], 5)
    assert case_attributes.remove(ws, "budget") == 1
    assert "budget" not in [a.name for a in case_attributes.list_attributes(ws)]
    assert case_attributes.all_values(ws) == {}
    attr = case_attributes.define(ws, "budget", "organisation", "text")
    assert attr.type == "text"
    assert case_attributes.values_of(ws, ids["small"]) == {}
    case_attributes.set_value(ws, "budget", ids["small"], "about 5 yuan")
    assert case_attributes.values_of(ws, ids["small"]) == {attr.id: "about 5 yuan"}
    assert check(ws).ok


def test_withdrawal_erases_the_participants_values_from_table_and_log(ws: Any) -> None:
    ids = _study(ws)
    case_attributes.set_value(ws, "joined", ids["wang"], "2019-07-01")
    case_attributes.set_value(ws, "budget", ids["small"], 80_000)
    records.withdraw_consent(ws, ids["wang"])
    assert case_attributes.values_of(ws, ids["wang"]) == {}
    rows = ws.db.execute('SELECT count(*) FROM ops WHERE "values" LIKE ?',
                         ("%2019-07-01%",)).fetchone()[0]
    assert rows == 0
    assert ws.db.execute("SELECT count(*) FROM attribute_value WHERE participant_id = ?",
                         (ids["wang"],)).fetchone()[0] == 0
    # the organisation's values stay: organisations are never erased by a withdrawal
    assert case_attributes.values_of(ws, ids["small"]) == {
        case_attributes.attribute_id("budget"): 80_000}
