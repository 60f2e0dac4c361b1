"""Files answering image/audio/video/file questions: encrypted attachments of the response."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.services import attachments, records, surveys
from fieldapp.store.errors import InvalidInput
from fieldapp.store.workspace import Workspace

MD = """
| survey |
| | type | name | label |
| | image | photo | Photo of the sign |
| | file | doc | Document |
| | text | note | Note |
| settings |
| | form_title | form_id | version |
| | Files | files | 1 |
"""
SECRET = b"\x89PNG\r\n\x1a\n" + "受访者签名 participant signature".encode() * 50


def _response(ws: Workspace, tmp_path: Path, participant: str | None = None) -> str:
    form = tmp_path / "files.md"
    form.write_text(MD, encoding="utf-8")
    iid = surveys.import_instrument(ws, form)
    return surveys.new_response(ws, iid, participant_id=participant)


def test_a_photo_is_stored_encrypted_and_answers_the_question(ws: Workspace,
                                                              tmp_path: Path) -> None:
    rid = _response(ws, tmp_path)
    photo = tmp_path / "sign.png"
    photo.write_bytes(SECRET)
    answer = surveys.attach_file(ws, rid, "photo", photo)
    aid, _sep, name = answer.partition("/")
    assert name == "sign.png"
    assert records.get(ws, "response", rid)["data"]["photo"] == answer
    assert [a["id"] for a in surveys.response_files(ws, rid)] == [aid]
    stored = ws.attachment_path(aid).read_bytes()
    assert "受访者签名".encode() not in stored and b"participant signature" not in stored
    assert attachments.read_attachment(ws, aid) == SECRET


def test_wrong_files_are_refused_and_nothing_changes(ws: Workspace, tmp_path: Path) -> None:
    rid = _response(ws, tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("x", encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        surveys.attach_file(ws, rid, "photo", text)
    assert "notes.txt" in info.value.message
    with pytest.raises(InvalidInput):
        surveys.attach_file(ws, rid, "note", text)
    with pytest.raises(InvalidInput):
        surveys.attach_file(ws, rid, "doc", tmp_path / "missing.pdf")
    assert surveys.response_files(ws, rid) == []
    assert surveys.attach_file(ws, rid, "doc", text).endswith("/notes.txt")


def test_withdrawal_erases_the_files_of_the_participants_responses(ws: Workspace,
                                                                    tmp_path: Path) -> None:
    pid = records.create(ws, "participant", {"code": "P-01"})
    rid = _response(ws, tmp_path, participant=pid)
    photo = tmp_path / "sign.png"
    photo.write_bytes(SECRET)
    aid = surveys.attach_file(ws, rid, "photo", photo).partition("/")[0]
    assert records.withdrawal_impact(ws, pid)["attachments"] == 1
    records.withdraw_consent(ws, pid)
    assert not ws.attachment_path(aid).exists()
    assert records.list_records(ws, "attachment") == []
