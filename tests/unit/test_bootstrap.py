"""The test command spreads the suite over the machine's cores unless told otherwise
(fieldapp/bootstrap.py: README's second quick-start command, which CI runs verbatim)."""

from __future__ import annotations

import pytest

from fieldapp.bootstrap import _parallel


def test_the_whole_suite_runs_on_every_core_a_file_per_worker() -> None:
    assert _parallel([]) == ["-n", "auto", "--maxprocesses", "4", "--dist", "loadfile"]
    # Other pytest arguments keep the parallel run.
    assert _parallel(["-m", "not packaging", "-x"])[:2] == ["-n", "auto"]


@pytest.mark.parametrize("args", [
    ["-n", "0"], ["-n0"], ["-n", "3"], ["--numprocesses", "1"], ["--numprocesses=2"],
    ["-p", "no:xdist"],
])
def test_a_caller_who_chose_the_workers_is_obeyed(args: list[str]) -> None:
    assert _parallel(args) == []


def test_an_option_that_merely_starts_with_n_is_not_taken_for_a_worker_count() -> None:
    # "--no-header" and "--nf" are pytest's own; only -n/--numprocesses choose the workers.
    assert _parallel(["--no-header"])[:2] == ["-n", "auto"]
    assert _parallel(["--nf"])[:2] == ["-n", "auto"]
