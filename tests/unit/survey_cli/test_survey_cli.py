"""``fieldapp survey``: import, list, show, respond and responses, run in-process through
``fieldapp.cli.main`` with the passphrase from the environment as scripts give it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fieldapp.cli import main
from tests.unit.survey.conftest import write_form

FORM = Path(__file__).resolve().parents[3] / "resources" / "instruments" / \
    "ngo_contracting_survey.xlsx"
PASS = "a long enough passphrase"

GOOD = {
    "consent": "yes",
    "org": {"org_name": "红丝带之家", "org_type": "social_service", "founded_year": 2008,
            "province": "yunnan", "city": "kunming", "staff_fulltime": 12,
            "sectors": ["hiv", "other"], "sectors_other": "同伴教育"},
    "has_contracts": "yes",
    "contracts_section": {
        "contract": [
            {"project_name": "社区关怀", "purchaser": "health", "contract_year": 2021,
             "amount": 15.5, "paid_on_time": "no", "delay_months": 4},
            {"project_name": "Peer support", "purchaser": "civil_affairs",
             "contract_year": 2023, "amount": 8, "paid_on_time": "yes"},
        ],
        "challenges": "late_payment invoices",
    },
    "respondent_role": "director",
}


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        rc = main(["--lang", "en", *args])
        out, err = self.capsys.readouterr()
        assert rc == code, (out, err)
        return out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASS)
    return Cli(capsys)


@pytest.fixture
def ws(cli: Cli, tmp_path: Path) -> str:
    path = str(tmp_path / "ws")
    cli("init", path)
    return path


@pytest.fixture
def instrument_id(cli: Cli, ws: str) -> str:
    out, _err = cli("survey", "import", ws, str(FORM))
    return out.splitlines()[0]


def write_answers(tmp_path: Path, answers: dict[str, Any], name: str = "answers.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_prints_id_and_version_and_refuses_the_same_version(cli: Cli, ws: str) -> None:
    out, _err = cli("survey", "import", ws, str(FORM))
    first, second = out.splitlines()[:2]
    assert len(first) == 36
    assert "ngo_contracting_survey" in second and "2025010101" in second
    _out, err = cli("survey", "import", ws, str(FORM), code=1)
    assert "already imported" in err


def test_a_broken_form_lists_every_problem_with_sheet_row_and_column(
        cli: Cli, ws: str, tmp_path: Path) -> None:
    bad = write_form(tmp_path / "bad.xlsx",
                     [["type", "name", "label", "relevant"],
                      ["text", "q1", "First", "${nowhere} = 'x'"],
                      ["select_one no_such_list", "q2", "Second", None]],
                     [["list_name", "name", "label"], ["yn", "yes", "Yes"]])
    out, err = cli("survey", "import", ws, str(bad), code=1)
    assert out == ""
    assert "bad.xlsx" in err
    lines = [line for line in err.splitlines() if line.strip().startswith("- ")]
    assert lines, err
    for line in lines:
        assert "sheet 'survey'" in line and "row" in line
    assert any("nowhere" in line and "column" in line for line in lines), err
    assert any("no_such_list" in line for line in lines), err
    out, _err = cli("survey", "list", ws)
    assert "No instruments" in out


def test_list_and_show_in_both_languages(cli: Cli, ws: str, instrument_id: str) -> None:
    out, _err = cli("survey", "list", ws)
    assert "ngo_contracting_survey\t2025010101\t" + instrument_id in out
    out, _err = cli("survey", "list", ws, "--json")
    assert json.loads(out)[0]["id"] == instrument_id
    en, _err = cli("survey", "show", ws, "ngo_contracting_survey", "--lang", "en")
    assert "Name of the organisation" in en and "choices where" in en
    zh, _err = cli("survey", "show", ws, instrument_id, "--lang", "zh")
    assert "机构" in zh and "Name of the organisation" not in zh
    _out, err = cli("survey", "show", ws, "no_such_form", code=1)
    assert "No instrument no_such_form" in err and "ngo_contracting_survey" in err


def test_respond_complete_and_list_responses(cli: Cli, ws: str, instrument_id: str,
                                             tmp_path: Path) -> None:
    cli("record", "create", ws, "participant", "--set", "code=KM-HIV-001")
    out, _err = cli("survey", "respond", ws, "ngo_contracting_survey",
                    write_answers(tmp_path, GOOD), "--participant", "KM-HIV-001",
                    "--site", "KM")
    rid = out.strip()
    out, _err = cli("survey", "responses", ws, "--status", "complete", "--site", "KM")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [rid]
    data = rows[0]["data"]
    assert data["org"]["org_name"] == "红丝带之家"
    assert data["org"]["sectors"] == ["hiv", "other"]
    contracts = data["contracts_section"]["contract"]
    assert [c["project_name"] for c in contracts] == ["社区关怀", "Peer support"]
    assert contracts[0]["delay_months"] == 4 and contracts[1]["amount"] == 8.0
    assert data["contracts_section"]["challenges"] == ["late_payment", "invoices"]
    assert rows[0]["participant_id"] and rows[0]["instrument_version"] == "2025010101"
    assert json.loads(cli("survey", "responses", ws, "--status", "draft")[0]) == []
    assert json.loads(cli("survey", "responses", ws, "--site", "GZ")[0]) == []
    by_form = json.loads(cli("survey", "responses", ws, "--instrument",
                             "ngo_contracting_survey")[0])
    assert [r["id"] for r in by_form] == [rid]


def test_invalid_answers_are_listed_and_nothing_is_saved(cli: Cli, ws: str, instrument_id: str,
                                                         tmp_path: Path) -> None:
    bad = json.loads(json.dumps(GOOD))
    bad["org"]["founded_year"] = 1900            # constraint
    bad["org"]["city"] = "guangzhou"              # not a city of Yunnan (the cascade)
    bad["org"]["staff_fulltime"] = "many"         # not an integer
    bad["org"]["nickname"] = "x"                  # no such question
    del bad["org"]["org_name"]                    # required
    bad["contracts_section"]["contract"][1]["delay_months"] = 2   # hidden: paid on time
    _out, err = cli("survey", "respond", ws, instrument_id, write_answers(tmp_path, bad),
                    code=1)
    assert "Nothing was saved" in err
    for where in ("org/founded_year", "org/city", "org/staff_fulltime", "org/nickname",
                  "org/org_name", "contracts_section/contract[2]/delay_months"):
        assert where in err, (where, err)
    assert json.loads(cli("survey", "responses", ws)[0]) == []


def test_a_draft_may_miss_required_answers_but_not_hold_invalid_ones(
        cli: Cli, ws: str, instrument_id: str, tmp_path: Path) -> None:
    out, _err = cli("survey", "respond", ws, instrument_id,
                    write_answers(tmp_path, {"consent": "yes", "org": {"org_name": "星星"}}),
                    "--draft", "--site", "GZ")
    rows = json.loads(cli("survey", "responses", ws, "--status", "draft")[0])
    assert [r["id"] for r in rows] == [out.strip()]
    assert rows[0]["site"] == "GZ"
    _out, err = cli("survey", "respond", ws, instrument_id,
                    write_answers(tmp_path, {"consent": "maybe"}), "--draft", code=1)
    assert "consent" in err


def test_unreadable_answers(cli: Cli, ws: str, instrument_id: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    _out, err = cli("survey", "respond", ws, instrument_id, str(path), code=1)
    assert "not valid JSON" in err
    path.write_text("[1, 2]", encoding="utf-8")
    _out, err = cli("survey", "respond", ws, instrument_id, str(path), code=1)
    assert "one JSON object" in err


def test_respond_in_chinese_shows_the_forms_chinese_messages(
        cli: Cli, ws: str, instrument_id: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = json.loads(json.dumps(GOOD))
    bad["org"]["founded_year"] = 1900
    rc = main(["--lang", "zh_CN", "survey", "respond", ws, instrument_id,
               write_answers(tmp_path, bad)])
    _out, err = capsys.readouterr()
    assert rc == 1
    assert "请填写1949年至今年之间的年份" in err
    assert "Enter a year" not in err
    # one answer: the singular
    _out, err = cli("survey", "respond", ws, instrument_id, write_answers(tmp_path, bad),
                    code=1)
    assert "1 answer needs attention" in err


def test_attach_a_file_to_a_response(cli: Cli, ws: str, tmp_path: Path) -> None:
    form = tmp_path / "files.md"
    form.write_text("| survey |\n| | type | name | label |\n| | image | photo | Photo |\n"
                    "| settings |\n| | form_id | version |\n| | files | 1 |\n",
                    encoding="utf-8")
    out, _err = cli("survey", "import", ws, str(form))
    rid = cli("survey", "respond", ws, out.splitlines()[0], write_answers(tmp_path, {}))[0]
    photo = tmp_path / "门牌.jpg"
    photo.write_bytes(b"\xff\xd8\xff jpeg")
    answer = cli("survey", "attach", ws, rid.strip(), "photo", str(photo))[0].strip()
    assert answer.endswith("/门牌.jpg")
    saved = json.loads(cli("survey", "responses", ws)[0])
    assert saved[0]["data"]["photo"] == answer
    _out, err = cli("survey", "attach", ws, rid.strip(), "photo", str(tmp_path / "none.jpg"),
                    code=1)
    assert "none.jpg" in err


def test_review_and_history(cli: Cli, ws: str, instrument_id: str, tmp_path: Path) -> None:
    rid = cli("survey", "respond", ws, instrument_id, write_answers(tmp_path, GOOD))[0].strip()
    _out, err = cli("survey", "review", ws, rid, "rejected", code=1)
    assert "comment" in err
    cli("survey", "review", ws, rid, "has_issues", "--comment", "请补充合同金额的单位")
    out, _err = cli("survey", "history", ws, rid)
    assert "has issues — 请补充合同金额的单位" in out
    listed = json.loads(cli("survey", "responses", ws)[0])
    assert listed[0]["review"] == {"state": "has_issues", "comment": "请补充合同金额的单位"}
