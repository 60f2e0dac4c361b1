"""Memos in exports, read back from the files: the memos sheet in xlsx and CSV under the
consent rules, and REFI-QDA notes validated against the standard's schema."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

from lxml import etree

from fieldapp.services import memos, records
from fieldapp.services.export import ExportOptions, export
from tests.unit.export.conftest import IDENTITIES, Study
from tests.unit.export.helpers import records as rows_of
from tests.unit.export.helpers import sheets

REFI = Path(__file__).parent / "refi"
NS = {"q": "urn:QDA-XML:project:1.0"}


# -- exports, read back from the files -------------------------------------------------------


def _memo_study(study: Study) -> dict[str, str]:
    ws, ids = study.ws, study.ids
    name = IDENTITIES["KM-HIV-001"]["real_name"]
    out = {
        "project": memos.add_memo(ws, title="研究设计", body=f"与{name}的访谈改变了抽样思路"),
        "code": memos.add_memo(ws, about="code", code_id=ids["child"], title="续签",
                               body="续签是信任的标志"),
        "quotable": memos.add_memo(ws, about="interview", interview_id=ids["i1"],
                                   title="KM-HIV-I001 反思", body="她说“合同是命根子”"),
        "no_quote": memos.add_memo(ws, about="interview", interview_id=ids["i2"],
                                   title="NO-QUOTE-MEMO", body="他说：评估只看数字 NO-QUOTE-MEMO"),
    }
    # A participant who withdraws after a memo was written on their interview.
    pid = records.add_participant(ws, code="KM-HIV-009")
    records.record_consent(ws, pid, form_version="v2", language="zh", method="oral",
                           date_given="2026-03-01", scopes=["verbatim_quotes"])
    iid = records.add_interview(ws, code="KM-HIV-I009", participant_ids=[pid], site="KM")
    memos.add_memo(ws, about="interview", interview_id=iid, title="GONE-MEMO",
                   body="WITHDRAWN-MEMO-MARKER")
    records.withdraw_consent(ws, pid)
    return out


def test_memos_sheet_in_xlsx_and_csv_respects_consent(study: Study) -> None:
    ids = _memo_study(study)
    path = study.tmp / "out.xlsx"
    summary = export(study.ws, path, ExportOptions(language="en", headers="names"))
    book = sheets(path)
    memo_rows = rows_of(book["Memos"])
    by_id = {r["memo_id"]: r for r in memo_rows}
    assert set(by_id) == set(ids.values())
    assert by_id[ids["project"]]["about"] == "Project"
    assert by_id[ids["code"]]["code"] == "Renewal"
    assert by_id[ids["quotable"]]["body"] == "她说“合同是命根子”"
    assert by_id[ids["quotable"]]["interview_code"] == "KM-HIV-I001"
    # no verbatim-quote consent: the interview memo's words are left out and flagged
    assert by_id[ids["no_quote"]]["body"] is None and by_id[ids["no_quote"]]["title"] is None
    assert by_id[ids["no_quote"]]["withheld"] == 1
    assert summary.withheld.get("memos") == 1
    # identifiers masked in a project memo; the withdrawn participant's memo is gone
    project_text = by_id[ids["project"]]["body"]
    assert IDENTITIES["KM-HIV-001"]["real_name"] not in project_text
    assert project_text.endswith("的访谈改变了抽样思路")
    blob = json.dumps(book, ensure_ascii=False, default=str)
    for secret in ("WITHDRAWN-MEMO-MARKER", "GONE-MEMO", "NO-QUOTE-MEMO"):
        assert secret not in blob, secret

    folder = study.tmp / "csv"
    export(study.ws, folder, ExportOptions(format="csv", language="en"))
    (memo_csv,) = [p for p in folder.iterdir() if p.stem == "Memos"]
    with memo_csv.open(encoding="utf-8-sig", newline="") as f:
        csv_rows = list(csv.DictReader(f))
    assert {r["Memo id"] for r in csv_rows} == set(ids.values())
    assert "WITHDRAWN-MEMO-MARKER" not in memo_csv.read_text(encoding="utf-8-sig")


def test_memos_in_refi_qda_are_notes_referred_to_by_codes_sources_and_project(
        study: Study) -> None:
    ids = _memo_study(study)
    path = study.tmp / "study.qdpx"
    summary = export(study.ws, path, ExportOptions(format="qdpx", language="zh_CN"))
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("project.qde")
    root = etree.fromstring(xml)
    schema = etree.XMLSchema(etree.parse(str(REFI / "Project-mrt2019.xsd")))
    assert schema.validate(root), schema.error_log
    notes = {n.get("guid"): n for n in root.findall("q:Notes/q:Note", NS)}
    for key in ("project", "code", "quotable"):
        assert ids[key] in notes, key
    assert ids["no_quote"] not in notes  # a QDA project is made of quotations
    assert notes[ids["code"]].find("q:PlainTextContent", NS).text == "续签是信任的标志"
    code = root.find(f".//q:Code[@guid='{study.ids['child']}']", NS)
    assert code.find(f"q:NoteRef[@targetGUID='{ids['code']}']", NS) is not None
    source = root.find(f"q:Sources/q:TextSource[@guid='{study.ids['n1']}']", NS)
    assert source.find(f"q:NoteRef[@targetGUID='{ids['quotable']}']", NS) is not None
    assert root.find(f"q:NoteRef[@targetGUID='{ids['project']}']", NS) is not None
    text = xml.decode("utf-8")
    for secret in ("WITHDRAWN-MEMO-MARKER", "NO-QUOTE-MEMO",
                   IDENTITIES["KM-HIV-001"]["real_name"]):
        assert secret not in text, secret
    assert summary.sheets[1].key == "memos" and summary.sheets[1].rows >= 3
