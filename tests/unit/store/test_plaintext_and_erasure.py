"""Nothing readable on disk without the key; and withdrawal really erases, even from the pages
an attacker holding the key could decrypt."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.services import memos, records
from fieldapp.services.attachments import add_attachment, read_attachment
from fieldapp.services.search import search
from fieldapp.store.workspace import DB_NAME, Workspace
from tests.conftest import PASSPHRASE
from tests.unit.store.pagescan import encodings, found_in

SENTENCE = "受访者说她在二〇一九年确诊了艾滋病 and asked us never to name her clinic"
NAME = "欧阳娜娜"
#: A memo the researcher wrote on the interview: erased with it.
MEMO_TEXT = "访谈后反思：她担心诊所的qwertymemo记录被同事看到"
PHONE = "13912345678"


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _populate(ws: Workspace) -> tuple[str, str, str]:
    pid = records.add_participant(ws, code="KM-HIV-007", role="peer educator",
                                  identity={"real_name": NAME, "phone": PHONE})
    records.record_consent(ws, pid, form_version="v1", language="zh", method="oral",
                           date_given="2026-05-01", scopes=["audio"])
    iid = records.add_interview(ws, code="KM-HIV-I007", participant_ids=[pid])
    nid = records.add_note(ws, iid, body=f"{SENTENCE}\n{NAME}的电话是{PHONE}")
    code = records.add_code(ws, name_zh="信任", name_en="Trust")
    records.apply_code(ws, nid, code, 0, 10, may_quote=False)
    return pid, iid, nid


@pytest.mark.parametrize("close_first", [True, False])
def test_no_plaintext_in_any_file_of_the_workspace(ws_path: Path, tmp_path: Path,
                                                   close_first: bool) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    _pid, iid, _nid = _populate(ws)
    secret_file = tmp_path / "consent-form.txt"
    secret_file.write_text(f"signed by {NAME} {PHONE}", encoding="utf-8")
    add_attachment(ws, secret_file, interview_id=iid, kind="consent_form")
    if close_first:
        ws.close()
    try:
        files = _all_files(ws_path)
        assert any(f.name == DB_NAME for f in files)
        for f in files:
            data = f.read_bytes()
            for needle in (SENTENCE, NAME, PHONE, "KM-HIV-007", "peer educator"):
                for enc in encodings(needle):
                    assert enc not in data, f"{needle!r} readable in {f.name}"
    finally:
        if ws.conn is not None:
            ws.close()


def test_withdrawal_erases_from_every_page_and_wal_frame(ws_path: Path, tmp_path: Path) -> None:
    ws, _ = Workspace.initialise(ws_path, PASSPHRASE)
    # Other participants' data around it, so pages are shared and not simply dropped.
    other = records.add_participant(ws, code="KM-HIV-008")
    other_iv = records.add_interview(ws, code="KM-HIV-I008", participant_ids=[other])
    records.add_note(ws, other_iv, body="另一位受访者的笔记，提到登记注册的问题。")
    pid, iid, nid = _populate(ws)
    # Edit the note a few times: old versions must not survive either.
    for i in range(3):
        records.save_note_body(ws, nid, f"{SENTENCE} v{i}\n{NAME}")
    memo = memos.add_memo(ws, about="interview", interview_id=iid, title=f"{NAME}的访谈",
                          body=MEMO_TEXT)
    for i in range(3):  # and the memo's earlier versions
        memos.save_memo(ws, memo, body=f"{MEMO_TEXT} v{i}")
    project_memo = memos.add_memo(ws, title="项目备忘", body="与撤回无关的备忘录")
    photo = tmp_path / "form.jpg"
    photo.write_bytes(b"JPEG" + NAME.encode() * 10)
    att = add_attachment(ws, photo, participant_id=pid, kind="consent_form")
    att_file = ws.attachment_path(att)
    key = ws.data_key
    db = ws_path / DB_NAME
    # Positive control: before erasure the decryptor sees the text (so the scan can fail).
    assert found_in(db, key, NAME) and found_in(db, key, SENTENCE)
    assert found_in(db, key, MEMO_TEXT)
    assert search(ws, "欧阳")

    impact = records.withdrawal_impact(ws, pid)
    assert impact["interviews"] == 1 and impact["notes"] == 1 and impact["codings"] == 1
    assert impact["memos"] == 1
    counts = records.withdraw_consent(ws, pid, reason="participant_request")
    assert counts["participant"] == 1 and counts["note"] == 1 and counts["identity"] == 1
    assert counts["attachment"] == 1 and counts["consent"] == 1 and counts["coding"] == 1
    assert counts["memo"] == 1
    assert records.find(ws, "memo", memo) is None
    assert [m["id"] for m in memos.list_memos(ws)] == [project_memo]

    # Gone from every view and from search.
    assert records.find(ws, "participant", pid) is None
    assert records.find(ws, "interview", iid) is None
    assert records.find(ws, "note", nid) is None
    assert search(ws, "欧阳") == [] and search(ws, "确诊") == []
    assert not att_file.exists()
    # The other participant is untouched.
    assert search(ws, "登记") and records.find(ws, "participant", other)
    # And from every page of the database and the WAL, decrypted with the key.
    for needle in (SENTENCE, NAME, PHONE, "KM-HIV-007", "欧阳", "确诊了艾滋病", MEMO_TEXT,
                   "qwertymemo"):
        assert not found_in(db, key, needle), f"{needle!r} survived erasure"
    assert found_in(db, key, "与撤回无关的备忘录")  # the project memo stays
    ws.close()
    for needle in (SENTENCE, NAME, PHONE, "qwertymemo"):
        assert not found_in(db, key, needle)


def test_erasure_wins_over_later_operations_that_link_to_the_participant(ws: Workspace) -> None:
    pid = records.add_participant(ws, code="ZZ-MIG-003")
    records.withdraw_consent(ws, pid)
    # A stale view (or another device that had not heard of the withdrawal) links to them.
    from fieldapp.domain.ids import new_id

    with ws.transaction():
        iid = new_id()
        ws.write("interview", iid, {"code": "ZZ-MIG-I099", "participant_ids": [pid]},
                 create=True)
    assert records.find(ws, "interview", iid) is None
    with ws.transaction():
        ws.write("note", new_id(), {"interview_id": iid, "body": "late note"}, create=True)
    assert records.list_records(ws, "note") == []


def test_attachment_round_trip_and_tamper(ws: Workspace, tmp_path: Path) -> None:
    from fieldapp.services.attachments import AttachmentUnreadable

    data = bytes(range(256)) * 1000 + "录音".encode()
    src = tmp_path / "interview.m4a"
    src.write_bytes(data)
    iid = records.add_interview(ws, code="CD-DIS-I001")
    aid = add_attachment(ws, src, interview_id=iid)
    assert records.get(ws, "attachment", aid)["kind"] == "audio"
    assert read_attachment(ws, aid) == data
    path = ws.attachment_path(aid)
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(AttachmentUnreadable):
        read_attachment(ws, aid)
    # Truncation (dropping the last chunk) is detected too.
    path.write_bytes(bytes(raw[: 12 + 8 + 8 + 65536 + 16]))
    with pytest.raises(AttachmentUnreadable):
        read_attachment(ws, aid)


def test_attachment_over_the_limit_or_unreadable(ws: Workspace, tmp_path: Path) -> None:
    from fieldapp.services.attachments import AttachmentUnreadable, add_attachment
    from fieldapp.store.errors import InvalidInput

    iid = records.add_interview(ws, code="CD-DIS-I002")
    big = tmp_path / "big.wav"
    big.write_bytes(b"\0" * 2048)
    with pytest.raises(InvalidInput) as info:
        add_attachment(ws, big, interview_id=iid, max_bytes=1024)
    assert "at most" in info.value.message
    with pytest.raises(AttachmentUnreadable):
        add_attachment(ws, tmp_path / "missing.jpg", interview_id=iid)
    assert records.list_records(ws, "attachment") == []
