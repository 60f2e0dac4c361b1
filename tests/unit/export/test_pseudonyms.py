"""``--pseudonymise``: names of registered participants and organisations in free text become
their pseudonyms in every sheet, file and the REFI-QDA project; the notes are never changed.

The study (tests/unit/export/conftest.py) registers 张秀英 (KM-HIV-001, consents to quotes)
and the organisation 昆明红丝带关爱中心, whose participants did not consent to naming it, so
its columns carry ORG-001. Here a participant 王明 is added, and text that names them in
Traditional characters, with the administrative unit 市, and inside the word 明白.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

from lxml import etree

from fieldapp.services import records, surveys
from fieldapp.services.export import ExportOptions, export
from tests.cli_child import CLI
from tests.conftest import PASSPHRASE
from tests.unit.export.conftest import Study
from tests.unit.export.helpers import all_text, sheets
from tests.unit.export.helpers import records as as_records

ROOT = Path(__file__).resolve().parents[3]
NS = {"q": "urn:QDA-XML:project:1.0"}
#: 张秀英 in Traditional characters; the organisation with 市 and in Traditional; 王明 as a
#: name and inside 王明白了 ("Wang understood", where 明白 is a word)
BODY = ("張秀英说：昆明市紅絲帶關愛中心的合同每年续签。王明白了这个道理。"
        "我们见到了王明，他也在昆明红丝带关爱中心工作。")
PASSAGE = (BODY.index("我们见到了王明"), BODY.index("我们见到了王明") + len("我们见到了王明"))


def _setup(study: Study) -> dict[str, str]:
    ws, ids = study.ws, study.ids
    wang = records.add_participant(ws, code="KM-HIV-004", site="KM", sector="HIV",
                                   organisation_id=ids["org"], identity={"real_name": "王明"})
    records.record_consent(ws, wang, form_version="v2", language="zh", method="written",
                           date_given="2026-03-01", scopes=["verbatim_quotes"])
    interview = records.add_interview(ws, code="KM-HIV-I004", participant_ids=[wang],
                                      title="与王明的访谈", site="KM", sector="HIV",
                                      date="2026-04-03")
    note = records.add_note(ws, interview, kind="field_notes", body=BODY, title="張秀英的介绍")
    coding = records.apply_code(ws, note, ids["code"], *PASSAGE, may_quote=True)
    records.update(ws, "coding", coding, {"comment": "王明提到了张秀英"})
    response = surveys.add_response_from_answers(
        ws, ids["inst"], {"org_name": "昆明市紅絲帶關愛中心（王明填写）", "sectors": ["hiv"]},
        participant_id=wang, site="KM", sector="HIV", researcher="林晓")
    return {"wang": wang, "note": note, "coding": coding, "response": response}


def _expected(org: str) -> str:
    return (f"KM-HIV-001说：{org}的合同每年续签。王明白了这个道理。"
            f"我们见到了KM-HIV-004，他也在{org}工作。")


def test_names_become_pseudonyms_in_every_sheet(study: Study) -> None:
    made = _setup(study)
    path = study.tmp / "out.xlsx"
    summary = export(study.ws, path, ExportOptions(pseudonymise=True))

    book = sheets(path)
    row = next(r for r in as_records(book["Notes"]) if r["Note id"] == made["note"])
    texts = [v for v in row.values() if isinstance(v, str)]
    # the organisation has no naming consent: the same code as in its organisation columns
    assert _expected("ORG-001") in texts
    assert "KM-HIV-001的介绍" in texts  # the title: Traditional 張秀英
    coding = next(r for r in as_records(book["Codings"]) if r["Coding id"] == made["coding"])
    assert "我们见到了KM-HIV-004" in coding.values()
    assert "KM-HIV-004提到了KM-HIV-001" in coding.values()
    survey = as_records(book["NGO survey"])
    answer = next(r for r in survey if made["response"] in r.values())
    assert "ORG-001（KM-HIV-004填写）" in answer.values()
    consent = next(r for r in as_records(book["Consent"])
                   if r["Participant code"] == "KM-HIV-004")
    assert consent["Organisation"] == "ORG-001"  # the organisation column: the same code
    everything = all_text(path)
    for name in ("張秀英", "张秀英", "紅絲帶", "昆明红丝带关爱中心", "见到了王明", "王明提到"):
        assert name not in everything
    assert "王明白了这个道理" in everything  # 明白 is a word: not a name there
    assert summary.pseudonymised is not None and summary.pseudonymised >= 8
    # the notes themselves are unchanged
    assert records.get(study.ws, "note", made["note"])["body"] == BODY
    assert study.ws.audit_log(1)[0]["detail"]["pseudonymise"] is True


def test_without_the_option_names_are_masked_not_replaced(study: Study) -> None:
    made = _setup(study)
    path = study.tmp / "plain.xlsx"
    summary = export(study.ws, path, ExportOptions())
    assert summary.pseudonymised is None
    everything = all_text(path)
    assert "KM-HIV-004，" not in everything
    assert "见到了██，" in everything
    assert records.get(study.ws, "note", made["note"])["body"] == BODY


def test_the_qdpx_carries_the_same_pseudonyms_with_passages_moved(study: Study) -> None:
    made = _setup(study)
    path = study.tmp / "p.qdpx"
    export(study.ws, path, ExportOptions(format="qdpx", pseudonymise=True))
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        text = archive.read(f"Sources/{made['note']}.txt").decode("utf-8")
    assert text == _expected("ORG-001")
    source = root.find(f".//q:TextSource[@guid='{made['note']}']", NS)
    assert source is not None and "KM-HIV-001" in source.get("name")
    selection = source.find(f"q:PlainTextSelection[@guid='{made['coding']}']", NS)
    assert selection is not None
    start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
    assert text[start:end] == "我们见到了KM-HIV-004"  # the coded words, with the pseudonym
    comment = selection.find("q:Description", NS)
    assert comment is not None and comment.text == "KM-HIV-004提到了KM-HIV-001"
    case = root.find(f".//q:Case[@guid='{made['wang']}']", NS)
    assert case is not None and case.get("name") == "KM-HIV-004"
    assert records.get(study.ws, "note", made["note"])["body"] == BODY


def test_cli_pseudonymise(study: Study, ws_path: Path) -> None:
    made = _setup(study)
    study.ws.close()
    out = study.tmp / "cli.zip"
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*CLI, "export", str(ws_path), str(out), "--pseudonymise",
                           "--lang", "zh_CN", "--csv-for", "analysis", "--json"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        text = "\n".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    assert _expected("ORG-001") in text
    assert "張秀英" not in text and made["note"] in text
