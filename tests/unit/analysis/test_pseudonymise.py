"""Applying pseudonyms to a note itself (what the desktop does only after a confirmation):
codings move with the text, another researcher's codings stop it, a stale check stops it, and
the replaced words are gone from every page of the database, decrypted with the data key."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.analysis.deidentify import Finding
from fieldapp.services import analysis, pseudonymise, records
from fieldapp.store.errors import InvalidInput
from fieldapp.store.workspace import DB_NAME, Workspace
from tests.conftest import PASSPHRASE
from tests.unit.store.pagescan import found_in

NAME, PHONE = "鞠婧祎", "13987654321"
BODY = f"开头。{NAME}说经费拨付延迟，电话{PHONE}。结尾是评估压力。"


def _note(ws: Workspace) -> tuple[str, str]:
    pid = records.add_participant(ws, code="KM-HIV-007", identity={"real_name": NAME})
    iid = records.add_interview(ws, code="KM-HIV-I007", participant_ids=[pid])
    return pid, records.add_note(ws, iid, body=BODY)


def test_codings_move_with_the_text_and_the_words_leave_every_page(ws: Workspace) -> None:
    _pid, nid = _note(ws)
    code = records.add_code(ws, name_zh="经费")
    tail = BODY.index("评估压力")
    c_tail = records.apply_code(ws, nid, code, tail, tail + 4)
    c_name = records.apply_code(ws, nid, code, BODY.index(NAME), BODY.index("延迟") + 2)
    db, key = ws.path / DB_NAME, ws.data_key
    assert found_in(db, key, PHONE)  # the scan can see it

    _body, findings = analysis.deidentify(ws, note_id=nid)
    assert {f.kind for f in findings} == {"participant", "mobile"}
    assert pseudonymise.apply_to_note(ws, nid, findings) == 2

    body = records.get(ws, "note", nid)["body"]
    assert NAME not in body and PHONE not in body and "KM-HIV-007说" in body
    by_id = {c["id"]: c for c in records.codings_of_note(ws, nid)}
    moved = by_id[c_tail]
    assert body[moved["start_offset"]:moved["end_offset"]] == "评估压力"
    named = by_id[c_name]
    assert body[named["start_offset"]:named["end_offset"]] == "KM-HIV-007说经费拨付延迟"
    # (the name itself stays where it belongs: in the identity vault)
    assert not found_in(db, key, PHONE), "the phone number survived the replacement"
    (audit,) = [e["detail"] for e in ws.audit_log() if e["action"] == "note.pseudonymised"]
    assert audit == {"note_id": nid, "replaced": 2}  # how many, never what
    from fieldapp.store.check import check

    assert check(ws).ok


def test_a_stale_check_or_another_researchers_coding_changes_nothing(
        ws: Workspace, tmp_path: Path) -> None:
    _pid, nid = _note(ws)
    _body, findings = analysis.deidentify(ws, note_id=nid)
    records.save_note_body(ws, nid, "改过了。" + BODY)  # the note changed since the check
    seq = ws.last_seq
    with pytest.raises(InvalidInput):
        pseudonymise.apply_to_note(ws, nid, findings)
    assert ws.last_seq == seq
    overlapping = [Finding(0, 4, "mobile", "改过了。", "x"), Finding(2, 5, "mobile", "了。开", "y")]
    with pytest.raises(InvalidInput):
        pseudonymise.apply_to_note(ws, nid, overlapping)

    # A coding by another device (arrived through sync) points into the note.
    other, _ = Workspace.initialise(tmp_path / "other", PASSPHRASE)
    try:
        ws_ops = ws.ops()
        other.apply_remote(ws_ops)
        code = records.add_code(other, name_zh="外部")
        records.apply_code(other, nid, code, 0, 3)
        ws.apply_remote(other.ops())
    finally:
        other.close()
    _body, findings = analysis.deidentify(ws, note_id=nid)
    seq = ws.last_seq
    with pytest.raises(InvalidInput, match="another researcher"):
        pseudonymise.apply_to_note(ws, nid, findings)
    assert ws.last_seq == seq and PHONE in records.get(ws, "note", nid)["body"]


def test_moved_offset() -> None:
    f = [Finding(2, 5, "participant", "王小明", "P1"), Finding(8, 9, "mobile", "x", "[mobile]")]
    assert pseudonymise.moved_offset(1, f, end=False) == 1
    assert pseudonymise.moved_offset(2, f, end=False) == 2
    assert pseudonymise.moved_offset(3, f, end=False) == 2  # inside: the replacement's start
    assert pseudonymise.moved_offset(3, f, end=True) == 4   # inside: the replacement's end
    assert pseudonymise.moved_offset(5, f, end=True) == 4
    assert pseudonymise.moved_offset(10, f, end=False) == 10 - 1 + 7
