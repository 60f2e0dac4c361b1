"""Python's cycle collector paused for bulk work (merging a bundle, creating many records).

Bulk work makes several objects per record -- operations, their values, index tokens -- and
every 700 allocations the collector walks the young objects, and every so often all of them:
for a bundle of 100,000 operations some 1,200 runs, 0.1-0.7 s of a 3.5 s merge, and about a
tenth of creating 5,000 notes (measured with ``gc.callbacks`` and ``time.process_time``). It
finds nothing there: records hold no reference cycles. Reference counting frees everything as
usual; the collector runs again afterwards, as it was. (The desktop's own handling of full
collections is ``fieldapp.ui.heap``.)
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector paused inside, then enabled again if it was (exceptions included)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def without_collector(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` run with the collector :func:`paused`."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with paused():
            return fn(*args, **kwargs)

    return wrapper
