"""Importing a codebook made in another QDA tool from the codebook view: the file is chosen
through the dialog seam, read on the worker, the new codes appear in the tree, and the user is
told how many were added — or, for a damaged file, what is wrong with it (nothing added)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldapp.services import records
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import on_ws

SCHEMA = Path(__file__).parents[1] / "unit" / "export" / "refi" / "Codebook.xsd"
QDC = ('<?xml version="1.0" encoding="utf-8"?>\n'
       '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA"><Codes>'
       '<Code guid="11111111-2222-3333-4444-555555555555" name="合同管理" isCodable="true">'
       '<Code guid="21111111-2222-3333-4444-555555555555" name="资金来源" isCodable="true"'
       ' color="#ff0000"><Description>政府购买服务的资金</Description></Code></Code>'
       '<Code guid="31111111-2222-3333-4444-555555555555" name="Trust" isCodable="true">'
       '<Description>How officials and NGOs trust each other</Description></Code>'
       '</Codes></CodeBook>')



def _tree(model: Any) -> list[str]:
    names: list[str] = []
    stack = [model.item(r) for r in reversed(range(model.rowCount()))]
    while stack:
        item = stack.pop()
        names.append(item.text())
        stack.extend(item.child(i) for i in reversed(range(item.rowCount())))
    return names


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_import_a_qdc_codebook_from_the_codebook_view(
        unlocked: MainWindow, ctx: Any, interaction: Any, qtbot: QtBot, tmp_path: Path,
        language: str) -> None:
    ctx.language.set_language(language)
    qdc = tmp_path / "team.qdc"
    qdc.write_text(QDC, encoding="utf-8")
    assert etree.XMLSchema(etree.parse(str(SCHEMA))).validate(etree.parse(str(qdc)))
    on_ws(ctx, lambda ws: records.add_code(ws, name_en="Trust"))  # already there: not twice
    ctx.data.changed.emit("code")
    view = unlocked.workspace.codes
    assert view.import_button.text() == ("导入编码手册(&I)…" if language == "zh_CN"
                                         else "&Import codebook…")
    interaction.files.append(qdc)
    qtbot.mouseClick(view.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(interaction.texts("info")))
    assert interaction.texts("info") == [
        "已从 team.qdc 向编码手册添加 2 个编码。\n1 个编码已在编码手册中，未重复添加。"
        if language == "zh_CN" else
        "2 codes added to the codebook from team.qdc.\n1 code was already in the codebook and "
        "was not added again."]
    codes = on_ws(ctx, lambda ws: records.list_records(ws, "code"))
    by_name = {c["name_zh"] or c["name_en"]: c for c in codes}
    assert set(by_name) == {"合同管理", "资金来源", "Trust"}
    assert by_name["资金来源"]["parent_id"] == by_name["合同管理"]["id"]
    assert by_name["资金来源"]["definition_zh"] == "政府购买服务的资金"
    qtbot.waitUntil(lambda: any("资金来源" in n for n in _tree(unlocked.workspace.codebook)))
    assert view.import_button.isEnabled()
    # the import is in the audit log, with the file's name only
    log = on_ws(ctx, lambda ws: ws.audit_log(5))
    assert any(e["action"] == "codebook.import" and e["detail"]["added"] == 2 for e in log)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_malformed_codebook_is_refused_with_the_reason(
        unlocked: MainWindow, ctx: Any, interaction: Any, tmp_path: Path,
        language: str) -> None:
    ctx.language.set_language(language)
    bad = tmp_path / "broken.qdc"
    bad.write_text(QDC[: len(QDC) // 2], encoding="utf-8")  # cut off mid-element
    other = tmp_path / "notes.qdc"
    other.write_text('<?xml version="1.0"?><notes><note>not a codebook</note></notes>',
                     encoding="utf-8")
    # a .qdpx whose project is password-protected (the zip's "encrypted" flag set)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", QDC)
    data = bytearray(buf.getvalue())
    data[6] |= 1
    data[data.find(b"PK\x01\x02") + 8] |= 1
    locked = tmp_path / "locked.qdpx"
    locked.write_bytes(bytes(data))
    view = unlocked.workspace.codes
    interaction.files += [bad, other, locked]
    for _file in range(3):
        view.import_codes()
    warnings = interaction.texts("warn")
    assert len(warnings) == 3 and not interaction.texts("info")
    if language == "zh_CN":
        assert warnings[0].startswith("无法导入编码手册 broken.qdc：broken.qdc 不是有效的 XML")
        assert warnings[1] == "无法导入编码手册 notes.qdc：notes.qdc 不是 REFI-QDA 编码手册或项目。"
        assert warnings[2] == ("无法导入编码手册 locked.qdpx：locked.qdpx 设有密码或采用无法读取的"
                               "压缩方式：请在 QDA 软件中不设密码重新导出。")
    else:
        assert warnings[0].startswith(
            "Could not import the codebook broken.qdc: broken.qdc is not valid XML")
        assert warnings[1] == ("Could not import the codebook notes.qdc: notes.qdc is not a "
                               "REFI-QDA codebook or project.")
        assert warnings[2] == (
            "Could not import the codebook locked.qdpx: locked.qdpx is password-protected or "
            "compressed in a way that cannot be read: export it again from the QDA program "
            "without a password.")
    assert on_ws(ctx, lambda ws: records.list_records(ws, "code")) == []
    assert view.import_button.isEnabled()


def test_cancelling_the_file_dialog_changes_nothing(unlocked: MainWindow, ctx: Any,
                                                    interaction: Any) -> None:
    interaction.files.append(None)
    unlocked.workspace.codes.import_codes()
    assert interaction.shown == []
    assert on_ws(ctx, lambda ws: records.list_records(ws, "code")) == []

