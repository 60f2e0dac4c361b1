"""Consent and identity: withdrawn participants absent, unconsented quotes left out, identifiers
out unless asked for — checked in every cell of every sheet and every byte of every CSV."""

from __future__ import annotations

import zipfile

import pytest

from fieldapp.services import records
from fieldapp.services.export import ExportOptions, collect, export
from tests.unit.export.conftest import IDENTITIES, NO_QUOTE_TEXT, WITHDRAWN_TEXT, Study
from tests.unit.export.helpers import all_text, run, sheets
from tests.unit.export.helpers import records as as_records

VAULT = [v for person in IDENTITIES.values() for v in person.values()]


def _csv_bytes(study: Study, **options: object) -> bytes:
    path, _summary = run(study, "out.zip", format="csv-zip", overwrite=True, **options)
    with zipfile.ZipFile(path) as archive:
        return b"\n".join(archive.read(n) for n in archive.namelist())


@pytest.mark.parametrize("values", ["labels", "codes"])
def test_withdrawn_participant_is_absent_everywhere(study: Study, values: str) -> None:
    path, _summary = run(study, values=values, headers="names")
    text = all_text(path)
    blob = _csv_bytes(study, values=values).decode("utf-8-sig")
    for haystack in (text, blob):
        assert "GZ-MIG-003" not in haystack and "GZ-MIG-I003" not in haystack
        assert WITHDRAWN_TEXT not in haystack and "SECRET-WITHDRAWN-MARKER" not in haystack
        assert study.ids["GZ-MIG-003"] not in haystack
        assert study.ids["r_gone"] not in haystack


def test_a_consent_record_marked_withdrawn_is_honoured_even_before_erasure(study: Study) -> None:
    # A withdrawal that reached this device as a status change only (not yet an erasure).
    consent = records.consent_of(study.ws, study.ids["KM-DIS-002"])[0]
    records.update(study.ws, "consent", consent["id"], {"status": "withdrawn"})
    path, _summary = run(study)
    text = all_text(path)
    assert "KM-DIS-002" not in text and "KM-DIS-I002" not in text and "NO-QUOTE" not in text


def test_text_without_quote_consent_is_left_out(study: Study) -> None:
    path, summary = run(study)
    assert NO_QUOTE_TEXT not in all_text(path)
    assert NO_QUOTE_TEXT[:5] not in all_text(path)  # the coded passage
    assert NO_QUOTE_TEXT not in _csv_bytes(study).decode("utf-8-sig")
    book = sheets(path)
    notes = {r["Interview code"]: r for r in as_records(book["Notes"])
             if r["Note type"] == "Field notes"}
    assert notes["KM-DIS-I002"]["Text"] is None
    assert notes["KM-DIS-I002"]["Text left out (no verbatim-quote consent)"] == 1
    assert notes["KM-HIV-I001"]["Text left out (no verbatim-quote consent)"] == 0
    codings = {r["Interview code"]: r for r in as_records(book["Codings"])}
    assert codings["KM-DIS-I002"]["Passage"] is None
    assert codings["KM-HIV-I001"]["Passage"] == "合同每年续签"
    assert summary.withheld == {"notes": 1, "codings": 1}
    assert any("verbatim-quote" in line for line in summary.lines())


def test_no_identifier_in_any_cell_or_csv_byte_by_default(study: Study) -> None:
    for options in ({}, {"values": "codes", "headers": "names"}, {"language": "zh_CN"}):
        path, summary = run(study, overwrite=True, **options)  # type: ignore[arg-type]
        text = all_text(path)
        blob = _csv_bytes(study, **options).decode("utf-8-sig")
        for value in [*VAULT, "陈见证"]:  # and the consent witness
            assert value not in text, value
            assert value not in blob, value
        assert "Identifiers" not in sheets(path)
        assert summary.masked == 2  # the name and phone number typed into a note


def test_identifiers_only_when_asked_for_and_audited(study: Study) -> None:
    path, summary = run(study, include_identifiers=True)
    book = sheets(path)
    ids = as_records(book["Identifiers"])
    assert {r["Participant code"]: r["Real name"] for r in ids} == {
        "KM-HIV-001": "张秀英", "KM-DIS-002": "李建国"}  # never the withdrawn participant
    assert "王海燕" not in all_text(path)
    assert summary.identifiers_included and any("identifiers" in x for x in summary.lines())
    entry = study.ws.audit_log(1)[0]
    assert entry["action"] == "export" and entry["detail"]["include_identifiers"] is True


def test_every_export_is_audited_without_contents(study: Study) -> None:
    path = study.tmp / "x.xlsx"
    summary = export(study.ws, path, ExportOptions(language="zh_CN", values="codes"))
    entry = study.ws.audit_log(1)[0]
    detail = entry["detail"]
    assert entry["action"] == "export" and entry["actor"] == study.ws.device_id
    assert detail["file"] == "x.xlsx" and detail["format"] == "xlsx"
    assert detail["include_identifiers"] is False
    assert detail["rows"]["interviews"] == 2 and detail["total_rows"] == summary.rows
    flat = str(entry)
    for secret in [*VAULT, "合同每年续签", "红丝带访谈", "KM-HIV-001"]:
        assert secret not in flat


def test_collect_reads_only_through_services(study: Study) -> None:
    data = collect(study.ws)
    assert study.ids["GZ-MIG-003"] not in data.participants  # erased by the store
    assert len(data.instruments) == 1
