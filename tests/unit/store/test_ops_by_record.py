"""``Workspace.ops(entity_ids=...)`` (what a coordinator's team bundle relays for blind coding)
gives exactly the log's operations on those records, in clock order, across the chunks its
query is cut into."""

from __future__ import annotations

from typing import Any

from fieldapp.services import records


def test_operations_of_chosen_records_match_a_filter_of_the_whole_log(ws: Any) -> None:
    ids = [records.add_organisation(ws, name_zh=f"机构{i}") for i in range(450)]
    for rid in ids[::7]:
        records.update(ws, "organisation", rid, {"name_en": "renamed"})
    wanted = frozenset(ids[3:420])
    expected = [op for op in ws.ops() if op.entity_id in wanted]
    got = ws.ops(entity_ids=wanted)
    assert got == expected and len(got) > 400
    assert ws.ops(entities=("note",), entity_ids=wanted) == []
