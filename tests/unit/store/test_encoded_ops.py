"""Sending writes each operation as SQLite renders it from the log's stored JSON
(``encoded_ops``) instead of decoding the log and encoding it again: every line must say
exactly what the operation says, whatever its text holds, and in the order asked."""

from __future__ import annotations

import json

from fieldapp.domain.ops import parse_op
from fieldapp.services import records
from fieldapp.store.oplog import encoded_ops
from fieldapp.store.workspace import Workspace


def test_lines_from_the_log_say_what_the_operations_say(ws: Workspace) -> None:
    org = records.add_organisation(ws, name_zh='引号" 反斜杠\\ 换行\n制表\t😀 \u2028', name_en="x")
    pid = records.add_participant(ws, code="P1", organisation_id=org)
    iid = records.add_interview(ws, code="I1", participant_ids=[pid])
    nid = records.add_note(ws, iid, body="笔记 \x01 control")
    records.save_note_body(ws, nid, "改过的 note")  # hollows the first body in the log
    records.delete(ws, "organisation", org)
    ops = ws.ops()
    ids = [op.id for op in reversed(ops)]
    lines = list(encoded_ops(ws.db, ids))
    assert len(lines) == len(ops)
    for op, line in zip(reversed(ops), lines, strict=True):
        assert b"\n" not in line
        data = json.loads(line)
        assert data == op.to_dict()
        assert parse_op(data) == op
