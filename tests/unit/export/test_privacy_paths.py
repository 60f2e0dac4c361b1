"""Privacy on every path, not only the usual one: each case is crafted in a real workspace,
exported, and the written files (xlsx read back with openpyxl, CSV bytes) are searched.

- a response reaches a withdrawn participant only through its interview;
- an organisation whose participants did not consent to naming it;
- "no verbatim quotes" covers note titles, coding comments and open survey answers;
- identifiers in free text written differently from the vault (spaces, dashes, +86), ID-card
  numbers, names as tokens;
- the audit entry names the folder written to.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd

from fieldapp.services import records, surveys
from fieldapp.services.export import ExportOptions, export
from tests.unit.export.conftest import Study
from tests.unit.export.helpers import all_text, run, sheets
from tests.unit.export.helpers import records as as_records

ORG_NAMES = ("昆明红丝带关爱中心", "Kunming Red Ribbon Care Centre")


def _csv_text(study: Study, **options: object) -> str:
    path, _summary = run(study, "out.zip", format="csv-zip", overwrite=True, **options)
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())


def _everything(study: Study, **options: object) -> str:
    path, _summary = run(study, "all.xlsx", overwrite=True, **options)
    return all_text(path) + "\n" + _csv_text(study, **options)


def _withdraw_by_status(study: Study, code: str) -> None:
    """A withdrawal that reached this device as a consent status only (not yet an erasure)."""
    consent = records.consent_of(study.ws, study.ids[code])[0]
    records.update(study.ws, "consent", consent["id"], {"status": "withdrawn"})


def test_response_linked_to_a_withdrawn_participant_only_through_the_interview(
        study: Study) -> None:
    # The response names no participant, only the interview KM-DIS-002 took part in.
    rid = surveys.add_response_from_answers(
        study.ws, study.ids["inst"], {"org_name": "x", "org": {"n_staff": 4321}},
        interview_id=study.ids["i2"], site="KM", sector="DIS", researcher="Anna")
    before = _everything(study)
    assert rid in before and "4321" in before  # the response is there while consent stands
    _withdraw_by_status(study, "KM-DIS-002")
    after = _everything(study, values="codes", headers="names")
    assert rid not in after and "4321" not in after
    assert "KM-DIS-I002" not in after and "KM-DIS-002" not in after
    path, summary = run(study, "x.xlsx", headers="names")
    main = as_records(sheets(path)["NGO survey"])
    assert {r["_response_id"] for r in main} == {study.ids["r0"], study.ids["r2"]}
    assert summary.sheets[0].rows == 2


def test_organisation_without_naming_consent_is_a_pseudonymous_code_everywhere(
        study: Study) -> None:
    ws = study.ws
    # The organisation's name typed into a note and a response linked to the organisation.
    records.add_note(ws, study.ids["i1"], body="今天去了昆明红丝带关爱中心 (Kunming Red Ribbon "
                                                "Care Centre) 开会。")
    surveys.add_response_from_answers(ws, study.ids["inst"], {"org_name": "x"},
                                      organisation_id=study.ids["org"], site="KM", sector="HIV",
                                      researcher="林晓")
    for lang in ("en", "zh_CN"):
        text = _everything(study, language=lang)
        for name in ORG_NAMES:
            assert name not in text, (lang, name)
        assert "ORG-001" in text
    path, _summary = run(study, "o.xlsx", headers="names")
    book = sheets(path)
    assert {r["organisation"] for r in as_records(book["Interviews"])} == {"ORG-001", None}
    assert {r["organisation"] for r in as_records(book["Consent"])} == {"ORG-001"}
    assert "ORG-001" in {r["_organisation"] for r in as_records(book["NGO survey"])}

    # Once every participant linked to it consents to naming it, it is named.
    for code in ("KM-HIV-001", "KM-DIS-002"):
        records.record_consent(ws, study.ids[code], form_version="v3", language="zh",
                               method="written", date_given="2026-07-01",
                               scopes=["audio", "name_organisation"])
    path, _summary = run(study, "named.xlsx", headers="names")
    book = sheets(path)
    assert {r["organisation"] for r in as_records(book["Interviews"])} == {
        "Kunming Red Ribbon Care Centre", None}
    assert "ORG-001" not in all_text(path)


def test_no_verbatim_quotes_covers_titles_comments_and_open_answers(study: Study) -> None:
    ws = study.ws
    records.add_note(ws, study.ids["i2"], kind="memo", title="TITLE-NOQUOTE 她说的原话",
                     body="BODY-NOQUOTE")
    records.update(ws, "coding", study.ids["c2"], {"comment": "COMMENT-NOQUOTE 原话"})
    surveys.add_response_from_answers(
        ws, study.ids["inst"],
        {"org_name": "OPEN-NOQUOTE", "org": {"n_staff": 7},
         "contract": [{"funder": "REPEAT-NOQUOTE", "amount": 3.0}]},
        participant_id=study.ids["KM-DIS-002"], site="KM", sector="DIS", researcher="Anna")
    # The participant who allows quotes keeps their words.
    surveys.add_response_from_answers(
        ws, study.ids["inst"], {"org_name": "QUOTE-OK", "contract": [{"funder": "FUNDER-OK"}]},
        participant_id=study.ids["KM-HIV-001"], site="KM", sector="HIV", researcher="林晓")
    for text in (_everything(study), _everything(study, values="codes", language="zh_CN")):
        for secret in ("TITLE-NOQUOTE", "BODY-NOQUOTE", "COMMENT-NOQUOTE", "OPEN-NOQUOTE",
                       "REPEAT-NOQUOTE", "星语"):
            assert secret not in text, secret
        assert "QUOTE-OK" in text and "FUNDER-OK" in text
    path, _summary = run(study, "q.xlsx", headers="names")
    book = sheets(path)
    main = as_records(book["NGO survey"])
    withheld = {r["_participant"]: r["_text_withheld"] for r in main if r["_participant"]}
    assert withheld == {"KM-HIV-001": 0, "KM-DIS-002": 1}
    numbers = [r["org/n_staff"] for r in main if r["_participant"] == "KM-DIS-002"]
    assert 7 in numbers  # numbers are not the participant's words
    frame = pd.read_excel(path, sheet_name="Notes")
    memo = frame[frame["interview_code"] == "KM-DIS-I002"]
    assert memo["title"].isna().all() and (memo["withheld"] == 1).all()


def test_identifiers_in_free_text_as_tokens(study: Study) -> None:
    ws = study.ws
    pid = records.add_participant(
        ws, code="KM-HIV-004", role="志愿者", organisation_id=None, site="KM", sector="HIV",
        identity={"real_name": "王明", "phone": "+86 139 0000 1234", "wechat": "lihua",
                  "other": "身份证 11010519491231002X"})
    records.record_consent(ws, pid, form_version="v2", language="zh", method="oral",
                           date_given="2026-03-02", scopes=["verbatim_quotes"])
    iid = records.add_interview(ws, code="KM-HIV-I004", participant_ids=[pid], site="KM",
                                sector="HIV", date="2026-04-09", interviewer="林晓")
    body = ("王明说他明白了。王明白天在机构。电话 139-0000-1234，或 13900001234，"
            "或 139 0000 1234；另一个 15811112222。身份证 110105 19491231 002x。"
            "微信 lihua，lihuazhang 不是他。")
    records.add_note(ws, iid, body=body)
    path, summary = run(study, "t.xlsx", headers="names")
    notes = as_records(sheets(path)["Notes"])
    [text] = [n["body"] for n in notes if n["interview_code"] == "KM-HIV-I004"]
    assert len(text) == len(body)  # masked character for character: offsets still line up
    assert not text.startswith("王明说")
    assert "王明白天" in text  # 明白 is a word: not the name
    for leaked in ("139-0000-1234", "13900001234", "139 0000 1234", "15811112222",
                   "19491231", "lihua，"):
        assert leaked not in text, leaked
    assert "lihuazhang" in text  # a longer word is not the WeChat id
    assert "身份证" in text and "电话" in text
    assert summary.masked >= 7
    # the same in CSV
    blob = _csv_text(study)
    assert "13900001234" not in blob and "139 0000 1234" not in blob and "王明说" not in blob
    rows = list(csv.reader(io.StringIO(blob)))
    assert any("王明白天" in cell for row in rows for cell in row)


def test_audit_entry_names_the_folder(study: Study) -> None:
    folder = study.tmp / "exports for 王老师"
    folder.mkdir()
    export(study.ws, folder / "study.xlsx", ExportOptions())
    detail = study.ws.audit_log(1)[0]["detail"]
    assert detail["file"] == "study.xlsx"
    assert Path(detail["folder"]) == folder.absolute()
