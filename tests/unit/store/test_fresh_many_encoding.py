"""Bulk creates encode each value once: a JSON field's column text is spliced into the
operation's values and minified by SQLite's ``json()``. The log must hold exactly what
``dumps_values`` writes for the same values, for any JSON a record may hold (nested data,
every kind of string, big and small numbers, non-finite floats that SQLite reads as JSON5)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain.ids import new_id
from fieldapp.domain.ops import dumps_values
from fieldapp.store.check import check
from fieldapp.store.workspace import Workspace
from tests.heads import every_head

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e16, 1e-7, 5e-324, 1.7976931348623157e308]),
    st.text(), st.sampled_from(["NaN", "Infinity", "\u2028\u2029", "\x7f\x00\x1f", "\\\"/",
                                "中文 😀", "a\nb\tc"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20)


def _no_surrogates(value: Any) -> bool:
    text = json.dumps(value, ensure_ascii=False)
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(items=st.lists(st.tuples(JSON.filter(_no_surrogates),
                                st.one_of(st.none(), st.text().filter(_no_surrogates))),
                      min_size=1, max_size=5))
def test_bulk_log_holds_what_dumps_values_writes(ws: Workspace,
                                                 items: list[tuple[Any, str | None]]) -> None:
    rows = [(new_id(), {"data": data, "site": site, "status": "draft"})
            for data, site in items]
    # numbers and booleans side by side (1 and True are equal keys in Python)
    codings = [(new_id(), {"start_offset": n, "end_offset": n + 1, "may_quote": q,
                           "comment": site})
               for n, q in ((1, True), (0, False), (1, False), (0, True))
               for _data, site in items[:1]]
    with ws.transaction():
        ops = ws.write_new_many("response", rows)
        ops += ws.write_new_many("coding", codings)
    for op in ops:
        stored = ws.db.execute('SELECT "values" FROM ops WHERE device = ? AND seq = ?',
                               (op.device, op.seq)).fetchone()[0]
        assert stored == dumps_values(op.values)
        heads = every_head(ws.db, op.entity_id)
        assert [(f, (d, s)) for _e, _r, f, d, s, _h in heads] == [
            (f, op.id) for f in sorted(op.values)]
    assert check(ws).ok
