"""The de-identification assistant: what it finds in Chinese and English notes, what it leaves
alone, and that the original note is never changed."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from fieldapp.analysis.deidentify import (
    KnownName,
    apply,
    find,
    valid_credit_code,
    valid_id_number,
)
from fieldapp.cli import main as cli
from fieldapp.services import analysis, records
from tests.conftest import PASSPHRASE

# Check characters computed by hand from GB 11643 / GB 32100 (and a digit changed each time).
GOOD_ID, BAD_ID = "11010519491231002X", "110105194912310021"
GOOD_USCC, BAD_USCC = "91350100M000100Y43", "91350100M000100Y44"


def kinds(text: str, names: list[KnownName] | None = None) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find(text, names or [])]


def test_check_digits() -> None:
    assert valid_id_number(GOOD_ID) and not valid_id_number(BAD_ID)
    assert not valid_id_number("110105194913310029")  # month 13
    assert valid_credit_code(GOOD_USCC) and not valid_credit_code(BAD_USCC)
    assert kinds(f"身份证号{GOOD_ID}，另一个{BAD_ID}。") == [("id_number", GOOD_ID)]
    assert kinds(f"代码 {GOOD_USCC} 与 {BAD_USCC}") == [("credit_code", GOOD_USCC)]


@pytest.mark.parametrize("phone", ["13812345678", "138 1234 5678", "138-1234-5678",
                                   "+86 138 1234 5678", "0086-138-1234-5678", "138.1234.5678"])
def test_mobile_numbers_however_written(phone: str) -> None:
    assert kinds(f"他的电话是{phone}，晚上打。") == [("mobile", phone)]


@pytest.mark.parametrize("phone", ["0871-65432100", "(0871) 6543-2100", "（010）8888 1234",
                                   "010 88881234", "400-800-1234"])
def test_landlines(phone: str) -> None:
    assert kinds(f"办公室：{phone}") == [("landline", phone)]


def test_numbers_that_are_not_phones_stay() -> None:
    assert kinds("2019年资助了12345678元，编号20190312。") == []
    assert kinds("order 138123456789 is too long") == []


def test_wechat_only_after_its_keyword_and_email() -> None:
    assert kinds("微信号：wang_ming88，邮箱 wm@example.org") == [
        ("wechat", "wang_ming88"), ("email", "wm@example.org")]
    assert kinds("项目叫 sunshine_2020，与微信无关") == []
    assert kinds("add me on WeChat: hiv_support1") == [("wechat", "hiv_support1")]


def test_two_character_names_only_as_words() -> None:
    person = [KnownName("王明", "participant", "p1", "KM-HIV-001")]
    assert kinds("今天见到了王明，他很忙。", person) == [("participant", "王明")]
    assert kinds("他说王明白了这个政策。", person) == []


def test_names_in_traditional_and_full_width() -> None:
    people = [KnownName("张丽华", "participant", "p1", "KM-HIV-002"),
              KnownName("Li Wei", "participant", "p2", "GZ-MIG-004")]
    assert kinds("訪談對象張麗華說", people) == [("participant", "張麗華")]
    assert kinds("We met ＬＩ ＷＥＩ at the centre.", people) == [("participant", "ＬＩ ＷＥＩ")]


def test_organisations_with_and_without_administrative_units() -> None:
    orgs = [KnownName("昆明红丝带协会", "organisation", "o1", "KM-ORG-03"),
            KnownName("云南省大理市阳光中心", "organisation", "o2", "DL-ORG-01")]
    assert kinds("在昆明市红丝带协会开会", orgs) == [("organisation", "昆明市红丝带协会")]
    assert kinds("大理阳光中心的社工", orgs) == [("organisation", "大理阳光中心")]
    assert kinds("昆明的红丝带很多", orgs) == []


def test_apply_replaces_with_pseudonyms_in_the_texts_language() -> None:
    people = [KnownName("王明", "participant", "p1", "KM-HIV-001")]
    text = "见到了王明，电话 138 1234 5678。"
    assert apply(text, find(text, people)) == "见到了KM-HIV-001，电话 ［手机号］。"
    english = "Call 138 1234 5678 or mail a@b.org"
    assert apply(english, find(english)) == "Call [mobile] or mail [e-mail]"


def test_possible_names_are_suggestions_only() -> None:
    findings = find("我们采访了李建国和刘晓燕，在西双版纳。", possible_names=True)
    suggested = {(f.kind, f.text) for f in findings}
    assert ("possible_person", "李建国") in suggested
    assert all(not f.certain for f in findings)


@pytest.fixture
def registered(ws: Any) -> dict[str, str]:
    pid = records.add_participant(ws, code="KM-HIV-001", identity={"real_name": "王明",
                                                                   "phone": "13812345678"})
    org = records.add_organisation(ws, name_zh="昆明红丝带协会", name_en="Kunming Red Ribbon")
    interview = records.add_interview(ws, code="KM-HIV-I001", participant_ids=[pid])
    body = "在昆明市红丝带协会见到了王明，他的手机 138-1234-5678，他说王明白了。"
    note = records.add_note(ws, interview, body=body, title="第一次访谈")
    return {"pid": pid, "org": org, "note": note, "body": body}


def test_service_proposes_registry_pseudonyms(ws: Any, registered: dict[str, str]) -> None:
    body, findings = analysis.deidentify(ws, note_id=registered["note"])
    assert body == registered["body"]
    org_code = "ORG-" + registered["org"].replace("-", "")[-6:].upper()
    assert [(f.kind, f.replacement) for f in findings] == [
        ("organisation", org_code), ("participant", "KM-HIV-001"), ("mobile", "［手机号］")]


def test_cli_copy_leaves_the_original(ws: Any, registered: dict[str, str], ws_path: Path,
                                      tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ws.close()
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "clean.txt"
    assert cli(["analysis", "deidentify", str(ws_path), "--note", registered["note"],
                "--output", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["kind"] for f in data["findings"]] == ["organisation", "participant", "mobile"]
    clean = out.read_text(encoding="utf-8")
    assert "王明，" not in clean and "13812345678" not in clean.replace("-", "")
    assert "他说王明白了" in clean  # ordinary words are left alone
    from fieldapp.store.workspace import Workspace

    again = Workspace.open(ws_path, PASSPHRASE)
    try:
        assert records.get(again, "note", registered["note"])["body"] == registered["body"]
        assert len(records.list_records(again, "note")) == 1
        assert "note.deidentified_copy" in [e["action"] for e in again.audit_log(5)]
    finally:
        again.close()
    assert cli(["analysis", "deidentify", str(ws_path), "--note", registered["note"],
                "--output", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_cli_in_chinese(ws: Any, registered: dict[str, str], ws_path: Path,
                        capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    ws.close()
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    assert cli(["--lang", "zh_CN", "analysis", "deidentify", str(ws_path), "--text",
                "王明的微信号：wm_kunming88"]) == 0
    out = capsys.readouterr().out
    assert "受访者姓名" in out and "微信号" in out and "KM-HIV-001" in out


# -- many names: the finder tries a text only against the names it could hold -----------------

_SURNAMES = "王李张刘陈杨黄赵周吴欧阳司马"
_GIVEN = "明华丽伟娜芳军洋静敏强磊"
_ORGS = ["昆明市红丝带协会", "云南省大理市阳光中心", "广州市番禺区流动人口服务站", "阳光助残服务中心",
         "Kunming Red Ribbon Association", "Sunshine Migrant Workers Centre"]


def _many_names(rnd: Any) -> list[KnownName]:
    names = [KnownName(rnd.choice(_SURNAMES) + "".join(rnd.sample(_GIVEN, rnd.randint(1, 2))),
                       "participant", f"p{i}", f"P-{i:03d}") for i in range(60)]
    names += [KnownName(n, "organisation", f"o{i}", f"ORG-{i:02d}") for i, n in enumerate(_ORGS)]
    names += [KnownName("Li Wei", "participant", "px", "P-X"), KnownName("王", "participant",
                                                                           "py", "P-Y")]
    return names


def _written(rnd: Any, name: KnownName) -> str:
    """A name as a note may write it: as registered, without its administrative units or its
    outer places, in Traditional characters, in full-width letters, in capitals."""
    from fieldapp.domain.placenames import split_places, without_units

    places, rest = split_places(name.name)
    forms = [name.name, without_units(name.name), name.name.upper(),
             "".join(places[-1:]) + rest,  # 云南省大理市阳光中心 written 大理阳光中心
             name.name.replace("红", "紅").replace("阳", "陽").replace("广", "廣").replace("华", "華"),
             name.name.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})]
    return rnd.choice(forms)


@pytest.mark.parametrize("seed", range(6))
def test_a_finder_made_once_finds_what_trying_every_name_finds(seed: int) -> None:
    """:class:`NameFinder` skips the names whose anchor a text lacks; what it finds must be
    exactly what trying every registered name on every text finds."""
    import random

    from fieldapp.analysis.deidentify import NameFinder

    rnd = random.Random(seed)
    names = _many_names(rnd)
    finder = NameFinder(names)

    class EveryName(NameFinder):
        def candidates(self, folded: str) -> list[int]:
            return list(range(len(self.names)))

    every = EveryName(names)
    filler = ["，", "说", "政府购买服务", " the director of ", "。", "和", "明白了", "\n", "市"]
    tried = found = 0
    for _ in range(40):
        parts = [rnd.choice(filler) if rnd.random() < 0.5 else _written(rnd, rnd.choice(names))
                 for _ in range(rnd.randint(1, 12))]
        text = "".join(parts)
        expected = find(text, every)
        assert find(text, finder) == expected, text
        assert find(text, names) == expected, text
        tried += 1
        found += len(expected)
    assert found > tried  # the texts do name people and organisations


@pytest.mark.parametrize("seed", range(5))
def test_overlapping_findings_keep_the_longest_then_the_certain_then_the_first(seed: int
                                                                                ) -> None:
    """Of overlapping findings the longest is kept (then a certain one, then the earlier):
    checked against the rule itself, every kept finding compared with every other."""
    import random

    from fieldapp.analysis.deidentify import Finding, _without_overlaps

    rnd = random.Random(seed)
    found = []
    for k in range(300):
        start = rnd.randrange(400)
        kind = rnd.choice(["participant", "possible_person", "mobile"])
        found.append(Finding(start, start + rnd.randint(1, 12), kind, f"t{k}", "x"))
    kept = _without_overlaps(found)
    rank = {id(f): (-(f.end - f.start), not f.certain, f.start) for f in found}
    assert [f.start for f in kept] == sorted(f.start for f in kept)
    for a, b in pairwise(kept):
        assert a.end <= b.start  # disjoint
    held = {id(f) for f in kept}
    for f in found:
        if id(f) in held:
            continue
        # Left out only for a kept finding that overlaps it and ranks before it.
        assert any(k.start < f.end and f.start < k.end and rank[id(k)] <= rank[id(f)]
                   for k in kept), f
    # And exactly the findings the rule's plain statement keeps, in order.
    plain: list[Finding] = []
    for f in sorted(found, key=lambda f: rank[id(f)]):
        if all(f.end <= k.start or k.end <= f.start for k in plain):
            plain.append(f)
    assert kept == sorted(plain, key=lambda f: f.start)
