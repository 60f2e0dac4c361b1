"""Properties of the change log (hypothesis): clocks order events; replaying the log reproduces
the tables whatever order the operations arrive in."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.domain.hlc import HLC, MAX_FUTURE_MS, Clock
from fieldapp.services import records
from fieldapp.store.check import check, replay, table_rows
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE


@given(st.lists(st.integers(min_value=-5_000, max_value=5_000), min_size=1, max_size=60))
def test_local_clock_is_strictly_increasing_even_when_the_wall_clock_steps_back(
        steps: list[int]) -> None:
    now = [1_700_000_000_000]

    def wall() -> int:
        return now[0]

    clock = Clock(now=wall)
    last = clock.tick()
    for step in steps:
        now[0] += step
        stamp = clock.tick()
        assert stamp > last
        assert HLC.decode(stamp.encode()) == stamp
        assert (stamp.encode() > last.encode()) == (stamp > last)
        last = stamp


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=999),
       st.integers(min_value=0, max_value=10**13))
def test_observe_moves_past_remote_or_clamps_the_future(remote_wall: int, logical: int,
                                                        local_wall: int) -> None:
    clock = Clock(now=lambda: local_wall)
    recorded, clamped = clock.observe(HLC(remote_wall, logical))
    assert clamped == (remote_wall > local_wall + MAX_FUTURE_MS)
    if not clamped:
        assert recorded == HLC(remote_wall, logical)
    assert clock.last.wall <= max(local_wall + MAX_FUTURE_MS, local_wall)
    assert clock.tick() > recorded


ACTIONS = st.lists(
    st.tuples(st.sampled_from(["participant", "interview", "note", "edit", "delete", "erase",
                               "code", "coding"]),
              st.integers(min_value=0, max_value=50),
              st.text(alphabet="艾滋病登记abc 𠮷😀", max_size=12)),
    min_size=1, max_size=25)


def _run(ws: Workspace, actions: list[tuple[str, int, str]]) -> None:
    participants: list[str] = []
    interviews: list[str] = []
    notes: list[str] = []
    codes: list[str] = []

    def pick(items: list[str], n: int) -> str | None:
        alive = [i for i in items if records.find(ws, _kind(i), i) is not None]
        return alive[n % len(alive)] if alive else None

    kinds: dict[str, str] = {}

    def _kind(rid: str) -> str:
        return kinds[rid]

    for action, n, text in actions:
        if action == "participant":
            pid = records.add_participant(ws, code=f"P{len(participants)}-{n}", role=text)
            participants.append(pid)
            kinds[pid] = "participant"
        elif action == "interview":
            pid = pick(participants, n)
            iid = records.add_interview(ws, code=f"I{n}", participant_ids=[pid] if pid else [])
            interviews.append(iid)
            kinds[iid] = "interview"
        elif action == "note":
            iid = pick(interviews, n)
            if iid:
                nid = records.add_note(ws, iid, body=text)
                notes.append(nid)
                kinds[nid] = "note"
        elif action == "edit":
            nid = pick(notes, n)
            if nid:
                records.save_note_body(ws, nid, text + str(n))
        elif action == "delete":
            rid = pick(notes + interviews, n)
            if rid:
                records.delete(ws, _kind(rid), rid)
        elif action == "erase":
            pid = pick(participants, n)
            if pid:
                records.withdraw_consent(ws, pid)
        elif action == "code":
            cid = records.add_code(ws, name_en=f"code {n}", name_zh=text or "码")
            codes.append(cid)
            kinds[cid] = "code"
        elif action == "coding":
            nid, cid = pick(notes, n), pick(codes, n)
            if nid and cid:
                body = records.get(ws, "note", nid)["body"] or ""
                if body:
                    records.apply_code(ws, nid, cid, 0, len(body))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS, st.randoms(use_true_random=False))
def test_replaying_the_log_in_any_order_reproduces_the_tables(
        actions: list[tuple[str, int, str]], rnd: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = Workspace.initialise(Path(tmp) / "ws", PASSPHRASE)
        try:
            _run(ws, actions)
            report = check(ws)
            assert report.ok, report
            ops = ws.ops()
            shuffled = list(ops)
            rnd.shuffle(shuffled)
            in_order = replay(ops)
            # Arrival order must not matter: apply the shuffled list without sorting.
            from fieldapp.store import check as check_mod

            mem = check_mod.sqlcipher3.connect(":memory:", isolation_level=None)
            for _n, _name, script in check_mod.MIGRATIONS:
                mem.executescript(script)
            applier = check_mod.OpApplier(mem, lambda: "")
            for op in shuffled:
                applier.apply(op)
            for name in ("participant", "interview", "note", "code", "coding", "consent"):
                assert table_rows(mem, name) == table_rows(in_order, name), name
                assert table_rows(in_order, name) == table_rows(ws.db, name), name
        finally:
            ws.close()
