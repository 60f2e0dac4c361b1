"""REFI-QDA: the .qdpx project validated against the standard's published schema, read back
with lxml; consent rules hold there too; codebooks from other tools are imported."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from fieldapp.cli import main as cli_main
from fieldapp.services import records
from fieldapp.services.export import ExportOptions, export, import_codebook
from fieldapp.store.errors import FieldappError
from tests.conftest import PASSPHRASE
from tests.unit.export.conftest import IDENTITIES, NO_QUOTE_TEXT, WITHDRAWN_TEXT, Study

HERE = Path(__file__).parent / "refi"
NS = {"q": "urn:QDA-XML:project:1.0"}


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(HERE / name)))


def _project(path: Path) -> tuple[etree._Element, dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        texts = {n.removeprefix("Sources/"): archive.read(n).decode("utf-8")
                 for n in archive.namelist() if n.startswith("Sources/")}
    return root, texts


def test_qdpx_is_valid_and_carries_sources_codes_codings_cases(study: Study) -> None:
    ws, ids = study.ws, study.ids
    records.update(ws, "coding", ids["c1"], {"comment": "续签是关键"})
    records.add_note(ws, ids["i1"], kind="memo", body="备忘：比较两个站点。")
    path = study.tmp / "study.qdpx"
    summary = export(ws, path, ExportOptions(format="qdpx", language="zh_CN"))
    root, texts = _project(path)
    schema = _schema("Project-mrt2019.xsd")
    assert schema.validate(root), schema.error_log
    # the code tree, with the child under its parent, names in Chinese
    top = root.find("q:CodeBook/q:Codes/q:Code", NS)
    assert top is not None and top.get("name") == "合同管理" and top.get("guid") == ids["code"]
    assert [c.get("name") for c in top.findall("q:Code", NS)] == ["续签"]
    # a source per note, text in Sources/, codings at code-point positions
    source = root.find(f"q:Sources/q:TextSource[@guid='{ids['n1']}']", NS)
    assert source is not None
    assert source.get("plainTextPath") == f"internal://{ids['n1']}.txt"
    body = texts[f"{ids['n1']}.txt"]
    [sel] = source.findall("q:PlainTextSelection", NS)
    start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
    assert body[start:end] == "合同每年续签"
    assert sel.find("q:Coding/q:CodeRef", NS).get("targetGUID") == ids["child"]
    assert sel.find("q:Description", NS).text == "续签是关键"
    coder = sel.get("creatingUser")
    user = root.find(f"q:Users/q:User[@guid='{coder}']", NS)
    assert user is not None and user.get("name") == "Test"
    # the 100,000-character note, whole, with 𠮷 and emoji
    long_text = texts[f"{ids['n_long']}.txt"]
    assert len(long_text) == 100_000
    # memos are project notes referred to by the interview's sources
    [memo] = [m for m in root.findall("q:Notes/q:Note", NS)
              if texts[f"{m.get('guid')}.txt"] == "备忘：比较两个站点。"]
    assert source.find(f"q:NoteRef[@targetGUID='{memo.get('guid')}']", NS) is not None
    # cases: participants with attributes; organisation pseudonymised (no naming consent)
    cases = {c.get("name"): c for c in root.findall("q:Cases/q:Case", NS)}
    assert set(cases) == {"KM-HIV-001", "KM-DIS-002"}
    values = [v.text for v in cases["KM-HIV-001"].iter("{urn:QDA-XML:project:1.0}TextValue")]
    assert "ORG-001" in values and "昆明" in values
    assert cases["KM-HIV-001"].find(f"q:SourceRef[@targetGUID='{ids['n1']}']", NS) is not None
    # privacy: withdrawn absent, unconsented text left out, identifiers masked
    blob = etree.tostring(root, encoding="unicode") + "".join(texts.values())
    for secret in (WITHDRAWN_TEXT, "SECRET-WITHDRAWN-MARKER", NO_QUOTE_TEXT, "GZ-MIG-003",
                   IDENTITIES["KM-HIV-001"]["real_name"], IDENTITIES["KM-HIV-001"]["phone"],
                   "昆明红丝带关爱中心"):
        assert secret not in blob, secret
    assert len(body) == len("合同每年续签。Contract renewed yearly; 张秀英 called from 13812345678.")
    assert summary.withheld == {"sources": 1}
    assert study.ws.audit_log(1)[0]["detail"]["format"] == "qdpx"


def _qdc(path: Path, body: str) -> Path:
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n'
                    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA">'
                    f'<Codes>{body}</Codes></CodeBook>', encoding="utf-8")
    return path


QDC = ('<Code guid="11111111-2222-3333-4444-555555555555" name="合同管理" isCodable="true">'
       '<Code guid="21111111-2222-3333-4444-555555555555" name="资金来源" isCodable="true"'
       ' color="#ff0000"><Description>政府购买服务的资金</Description></Code></Code>'
       '<Code guid="31111111-2222-3333-4444-555555555555" name="Trust" isCodable="true">'
       '<Description>How officials and NGOs trust each other</Description></Code>')


def test_codebook_import_from_qdc_and_qdpx(study: Study) -> None:
    ws = study.ws
    qdc = _qdc(study.tmp / "team.qdc", QDC)
    assert _schema("Codebook.xsd").validate(etree.parse(str(qdc)))
    before = {c["id"] for c in records.list_records(ws, "code")}
    assert import_codebook(ws, qdc) == {"added": 2, "existing": 1}
    codes = {c.get("name_zh") or c.get("name_en"): c for c in records.list_records(ws, "code")}
    assert codes["资金来源"]["parent_id"] == study.ids["code"]  # merged under the existing code
    assert codes["资金来源"]["definition_zh"] == "政府购买服务的资金"
    assert codes["资金来源"]["colour"] == "#ff0000"
    assert codes["Trust"]["definition_en"] == "How officials and NGOs trust each other"
    # The new codes go last, in the file's order, as adding them one at a time would put them.
    added = sorted((c for c in codes.values() if c["id"] not in before),
                   key=lambda c: c["sort_order"])
    assert [c["sort_order"] for c in added] == [len(before), len(before) + 1]
    assert [c.get("name_zh") or c.get("name_en") for c in added] == ["资金来源", "Trust"]
    assert import_codebook(ws, qdc) == {"added": 0, "existing": 3}  # twice changes nothing
    # and the codebook of a project fieldapp wrote itself round-trips
    path = study.tmp / "p.qdpx"
    export(ws, path, ExportOptions(format="qdpx"))
    assert import_codebook(ws, path) == {"added": 0, "existing": 4}
    assert len(records.list_records(ws, "code")) == len(before) + 2


@pytest.mark.parametrize("content", [
    b"not xml at all",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="&e;" guid="x" '
    b'isCodable="true"/></Codes></CodeBook>',
    b'<Other xmlns="urn:example"/>',
])
def test_bad_codebook_is_refused_and_changes_nothing(study: Study, content: bytes) -> None:
    path = study.tmp / "bad.qdc"
    path.write_bytes(content)
    before = records.list_records(study.ws, "code")
    try:
        result = import_codebook(study.ws, path)
    except FieldappError as exc:
        assert "bad.qdc" in exc.message
    else:  # the external entity is never resolved: the code has no name and is skipped
        assert result == {"added": 0, "existing": 0}
    assert records.list_records(study.ws, "code") == before
    assert "root:" not in str(records.list_records(study.ws, "code"))


def test_cli_qdpx_and_codebook_import(study: Study, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", PASSPHRASE)
    ws_path = str(study.ws.path)
    qdc = _qdc(study.tmp / "team.qdc", QDC)
    study.ws.close()
    out = study.tmp / "cli.qdpx"
    assert cli_main(["export", ws_path, str(out)]) == 0
    root, _texts = _project(out)
    assert _schema("Project-mrt2019.xsd").validate(root)
    assert cli_main(["codebook", "import", ws_path, str(qdc)]) == 0
    assert "2" in capsys.readouterr().out
    assert cli_main(["codebook", "import", ws_path, str(study.tmp / "missing.qdc")]) == 1
    assert "missing.qdc" in capsys.readouterr().err
