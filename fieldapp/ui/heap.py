"""Keep Python's full garbage collections short while the researcher works.

A full collection walks every object the interpreter tracks and holds the interpreter lock
while it does. Once the desktop has loaded (modules, Qt wrappers, the workspace's views) that
is about 300,000 objects and 90–100 ms, started by whichever thread happens to allocate: the
database worker saving a transcript or indexing it could freeze the window for that long
(measured with ``gc.callbacks`` during ``python -m tests.perf ui``). Those objects live as
long as the window does, so after unlocking they are moved out of the collector's sight
(``gc.freeze``); later collections walk only what was made since, and the same is done again
whenever the search index has caught up (a pause in typing). Locking gives them back to the
collector (``gc.unfreeze``) and collects, so a locked window keeps nothing frozen that the
closed workspace made.
"""

from __future__ import annotations

import gc


def settle(*, collect: bool = True) -> None:
    """Keep every object alive now out of later collections; first collect the garbage
    (``collect=False`` at unlock, where the collection would cost as much as the freeze saves,
    and the little garbage frozen with the rest is collected at the next lock)."""
    if collect:
        gc.collect()
    gc.freeze()


def release() -> None:
    """Hand every frozen object back to the collector and collect (on lock and close)."""
    gc.unfreeze()
    gc.collect()
