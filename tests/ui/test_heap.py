"""Full garbage collections stay out of the researcher's way (fieldapp/ui/heap.py).

A full collection walks every tracked object with the interpreter lock held: about 100 ms
once the desktop has loaded, started by whichever thread allocates (the database worker saving
or indexing a transcript froze the window that long). Unlocking moves what is alive out of
the collector's sight; a pause in typing (the index caught up) does so again after collecting
what the saves left; locking hands everything back and collects.
"""

from __future__ import annotations

import gc
from typing import Any

from fieldapp.services import records
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import on_ws


def test_unlocking_freezes_what_is_alive_and_locking_gives_it_back(
        qtbot: Any, unlocked: MainWindow) -> None:
    frozen = gc.get_freeze_count()
    # Everything the window and its views hold was alive at unlock: tens of thousands of
    # objects that later collections no longer walk.
    assert frozen > 20_000
    young = sum(gc.get_count())
    assert gc.get_freeze_count() > 10 * max(young, 1)
    unlocked.session.lock()
    assert gc.get_freeze_count() == 0


def test_a_pause_after_saving_collects_and_freezes_again(
        qtbot: Any, unlocked: MainWindow) -> None:
    ctx = unlocked.ctx
    before = gc.get_freeze_count()
    iid = on_ws(ctx, lambda ws: records.add_interview(ws, code="KM-HIV-001"))
    junk = [[i] for i in range(5_000)]  # objects made after unlocking
    del junk
    keep = [[i] for i in range(3_000)]  # and some that stay alive (lists: always tracked)
    ctx.indexer.saved()
    with qtbot.waitSignal(ctx.indexer.caught_up, timeout=10_000):
        ctx.indexer.index_now()
    after = gc.get_freeze_count()
    assert after >= before + len(keep)  # what stayed alive is frozen too
    assert iid and keep
