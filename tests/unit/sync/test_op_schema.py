"""The schema check every received operation passes (``parse_op``) never refuses what fieldapp
itself writes: every operation of the demo study (organisations, participants with identities
and consent, interviews, notes, codebook, codings, attachments' records, a withdrawal and its
receipt, deletes, conflicts settled) passes, and comes back equal."""

from __future__ import annotations

import json

from fieldapp.domain.ops import parse_op, same_history
from fieldapp.services import demo, records
from fieldapp.store.workspace import Workspace


def test_everything_fieldapp_writes_passes_the_check_of_a_receiver(ws: Workspace) -> None:
    demo.populate(ws, 2026)
    org = records.list_records(ws, "organisation")[0]["id"]
    records.update(ws, "organisation", org, {"name_en": "Renamed"})
    records.delete(ws, "organisation", org)
    ws.resolve_delete("organisation", org, keep_deleted=False)
    ops = ws.ops()
    kinds = {op.entity for op in ops}
    assert {"participant", "identity", "consent", "interview", "note", "code", "coding",
            "receipt", "organisation"} <= kinds
    for op in ops:
        # as a bundle carries it: JSON text, read back
        parsed = parse_op(json.loads(json.dumps(op.to_dict(), ensure_ascii=False)))
        assert parsed == op and same_history(parsed, op)
