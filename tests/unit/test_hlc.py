"""A batch's clock readings (``Clock.tick_many``) are what one tick per operation gives."""

from __future__ import annotations

import itertools

from fieldapp.domain.hlc import HLC, Clock


def test_tick_many_is_ticks_while_the_wall_clock_stands_still() -> None:
    now = [1_700_000_000_000]
    batch, single = Clock(HLC(5, 3), lambda: now[0]), Clock(HLC(5, 3), lambda: now[0])
    assert batch.tick_many(0) == []
    made = batch.tick_many(500)
    assert made == [single.tick().encode() for _ in range(500)]
    assert batch.last == single.last
    # the clock goes on from the batch's last reading, also when the wall clock is behind it
    now[0] -= 10
    assert batch.tick().encode() == single.tick().encode() > made[-1]
    after = batch.tick_many(3)
    assert made[-1] < after[0] < after[1] < after[2]
    assert all(a < b for a, b in itertools.pairwise([*made, *after]))



def test_the_counter_never_outgrows_its_six_digits() -> None:
    """Timestamps sort as text: a seventh digit would put a later one before earlier ones.
    A counter that would pass 999,999 moves to the next millisecond, in a batch as in ticks."""
    now = [1_700_000_000_000]
    for batch in (True, False):
        clock = Clock(HLC(now[0], 999_990), lambda: now[0])
        made = clock.tick_many(1_000_020) if batch else \
            [clock.tick().encode() for _ in range(1_000_020)]
        assert len(made) == 1_000_020 and all(len(t) == 22 for t in made)
        assert all(a < b for a, b in itertools.pairwise(made))
        assert [HLC.decode(t) for t in made[7:10]] == [
            HLC(now[0], 999_998), HLC(now[0], 999_999), HLC(now[0] + 1, 0)]
        assert HLC.decode(made[-1]) == clock.last
