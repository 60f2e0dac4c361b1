"""Code queries and co-occurrence on a workspace with crafted codings, and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from fieldapp.analysis import query as q
from fieldapp.analysis.segments import Span
from fieldapp.cli import main as cli
from fieldapp.services import analysis, records
from tests.conftest import PASSPHRASE

BODY = "政府购买服务的资金常常到得很晚。登记注册也很困难。我们和街道办的关系不错。"
REGISTRATION = BODY.index("登记注册")      # 16
RELATIONS = BODY.index("我们")             # 25


@pytest.fixture
def study(ws: Any) -> dict[str, str]:
    ids = {}
    ids["contracting"] = records.add_code(ws, name_zh="政府购买", name_en="Service contracting")
    ids["funding"] = records.add_code(ws, name_zh="资金困难", name_en="Funding problems",
                                      parent_id=ids["contracting"])
    ids["registration"] = records.add_code(ws, name_zh="登记注册", name_en="Registration")
    ids["relations"] = records.add_code(ws, name_zh="政府关系", name_en="Government relations")
    km = records.add_interview(ws, code="KM-HIV-I001", site="KM", sector="HIV")
    gz = records.add_interview(ws, code="GZ-MIG-I001", site="GZ", sector="MIG")
    n1 = records.add_note(ws, km, body=BODY)
    n2 = records.add_note(ws, gz, body=BODY)
    records.apply_code(ws, n1, ids["contracting"], 0, 16)      # 政府购买服务的资金常常到得很晚。
    records.apply_code(ws, n1, ids["funding"], 7, 16)          # 资金常常到得很晚。
    records.apply_code(ws, n1, ids["registration"], REGISTRATION, RELATIONS)    # 登记注册也很困难。
    records.apply_code(ws, n2, ids["contracting"], 0, 6)       # 政府购买服务
    records.apply_code(ws, n2, ids["relations"], RELATIONS, len(BODY))
    ids.update(km=km, gz=gz, n1=n1, n2=n2)
    return ids


def test_and_in_the_same_passage_is_the_overlap(ws: Any, study: dict[str, str]) -> None:
    result = analysis.run_query(ws, '"Service contracting" AND 资金困难')
    assert [(p.interview_code, p.start, p.end, p.text) for p in result.passages] == [
        ("KM-HIV-I001", 7, 16, "资金常常到得很晚。")]


def test_a_code_includes_the_codes_below_it(ws: Any, study: dict[str, str]) -> None:
    # 资金困难 is below 政府购买: a passage coded only with the child counts for the parent.
    result = analysis.run_query(ws, "政府购买 NOT 资金困难")
    assert sorted((p.interview_code, p.text) for p in result.passages) == [
        ("GZ-MIG-I001", "政府购买服务"), ("KM-HIV-I001", "政府购买服务的")]


def test_or_and_brackets(ws: Any, study: dict[str, str]) -> None:
    result = analysis.run_query(ws, '(登记注册 OR "Government relations") AND NOT 政府购买')
    assert sorted(p.text for p in result.passages) == ["我们和街道办的关系不错。", "登记注册也很困难。"]


def test_interview_scope_and_filters(ws: Any, study: dict[str, str]) -> None:
    both = analysis.run_query(ws, "政府购买 AND 登记注册", scope="interview")
    assert both.interviews == (study["km"],)
    assert analysis.run_query(ws, "政府购买 AND 登记注册").passages == ()  # never on one text
    only_gz = analysis.run_query(ws, "政府购买", filters=analysis.Filters(sites=("GZ",)))
    assert {p.interview_code for p in only_gz.passages} == {"GZ-MIG-I001"}


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty"), ("政府购买 AND", "ends"), ("(政府购买", "bracket"), ("不存在的编码", "no code"),
    ("政府购买 登记注册", "operator"), ("NOT " * 100 + "政府购买", "nests too deeply"),
    (" OR ".join(["政府购买"] * 300), "too long"),
])
def test_unreadable_queries_say_why(ws: Any, study: dict[str, str], text: str, says: str) -> None:
    with pytest.raises(q.QueryError) as err:
        analysis.run_query(ws, text)
    assert says in err.value.message


def test_cooccurrence_counts_places_not_codings(ws: Any, study: dict[str, str]) -> None:
    _corpus, passage = analysis.cooccurrence(ws, scope="passage")
    assert passage.count(study["contracting"], study["funding"]) == 1
    assert passage.count(study["contracting"], study["registration"]) == 0
    assert passage.count(study["contracting"], study["contracting"]) == 2  # one run per note
    assert passage.places[tuple(sorted((study["contracting"], study["funding"])))] == (
        (study["n1"], 7, 16),)
    _corpus, interview = analysis.cooccurrence(ws, scope="interview")
    assert interview.count(study["contracting"], study["registration"]) == 1
    assert interview.count(study["contracting"], study["relations"]) == 1
    assert interview.count(study["registration"], study["relations"]) == 0


def test_the_query_xlsx_withholds_text_without_quote_consent(ws: Any, study: dict[str, str],
                                                             tmp_path: Path) -> None:
    pid = records.add_participant(ws, code="KM-HIV-001")
    records.record_consent(ws, pid, form_version="1", language="zh", method="written",
                           date_given="2026-05-01", scopes=["audio"])
    records.update(ws, "interview", study["km"], {"participant_ids": [pid]})
    out = tmp_path / "passages.xlsx"
    result = analysis.run_query(ws, "政府购买")
    assert analysis.export_query(ws, result, out) == 2
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [r[:2] for r in rows[:3]] == [("Query", "政府购买"), ("Case attribute filter", None),
                                     ("Interview filter", None)]
    texts = {r[0]: r[5] for r in rows[4:]}
    assert texts["KM-HIV-I001"].startswith("[withheld")
    assert texts["GZ-MIG-I001"] == "政府购买服务"  # nobody to ask: as every export does
    assert "资金" not in json.dumps(rows[4:], ensure_ascii=False).replace(
        texts["GZ-MIG-I001"], "")


def test_cli_query_and_cooccurrence(ws: Any, study: dict[str, str], ws_path: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ws.close()
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    assert cli(["analysis", "query", str(ws_path), "政府购买 AND 资金困难", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["text"] for p in data["passages"]] == ["资金常常到得很晚。"]
    assert cli(["--lang", "zh_CN", "analysis", "query", str(ws_path), "登记注册"]) == 0
    out = capsys.readouterr().out
    assert "KM-HIV-I001" in out and "登记注册也很困难。" in out
    assert cli(["analysis", "cooccurrence", str(ws_path), "--json"]) == 0
    matrix = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in matrix["codes"]]
    i, j = names.index("Service contracting"), names.index("Funding problems")
    assert matrix["counts"][i][j] == 1
    assert cli(["analysis", "query", str(ws_path), "(登记注册"]) == 1
    assert "bracket" in capsys.readouterr().err


def test_span_level_evaluation_is_exact_for_nested_overlaps() -> None:
    spans = [Span("n", "A", 0, 10), Span("n", "B", 5, 15), Span("n", "C", 8, 9)]
    node = q.parse("A AND B NOT C", lambda name: frozenset({name}))
    from fieldapp.analysis.segments import merge_adjacent, segments

    hits = [s for s in segments(spans) if q.matches(node, s.all_codes())]
    assert merge_adjacent(hits) == [("n", 5, 8), ("n", 9, 10)]


def test_cli_agreement_between_two_laptops(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldapp.store.workspace import Workspace

    a, _ = Workspace.initialise(tmp_path / "a", PASSPHRASE, researcher="林晓")
    b, _ = Workspace.initialise(tmp_path / "b", PASSPHRASE, researcher="王芳")
    try:
        code = records.add_code(a, name_zh="资金困难", name_en="Funding problems")
        other = records.add_code(a, name_zh="登记注册", name_en="Registration")
        interview = records.add_interview(a, code="KM-HIV-I001")
        note = records.add_note(a, interview, body=BODY)
        records.apply_code(a, note, code, 7, 16)
        records.apply_code(a, note, other, REGISTRATION, RELATIONS)
        b.apply_remote(a.ops())
        records.apply_code(b, note, code, 7, 16)             # agrees on 资金
        records.apply_code(b, note, code, REGISTRATION, 20)  # calls part of 登记 资金 too
        a.apply_remote(b.ops())
        b_id = b.device_id
    finally:
        a.close()
        b.close()
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    assert cli(["analysis", "agreement", str(tmp_path / "a"), "--coders", "林晓", b_id,
                "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["first"]["name"] == "林晓"
    funding = next(c for c in data["codes"] if c["code"] == "Funding problems"
                   and c["unit"] == "character")
    # Coded text: 7–16 (both), 16–20 (b only), 20–25 (a coded 登记 there, b nothing of 资金).
    assert (funding["both"], funding["first_only"], funding["second_only"],
            funding["neither"]) == (9, 0, 4, 5)
    assert cli(["--lang", "zh_CN", "analysis", "agreement", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "林晓" in out and "资金困难" in out
