"""The Python side of bulk work grows with its input, not its square.

``test_bulk_scaling.py`` counts SQLite's instructions; work done in Python is invisible to it.
Here Python counts its own steps: the tracer (``sys.settrace``) is called for every line a
function of fieldapp runs, and for every turn of a loop, so the number of ``line`` events is a
measure of work that no clock or machine load moves. As there, an input four times larger must cost less
than six times the steps (a comparison of every item with every other costs sixteen).

Each case is one that did meet every item once per item, until this file's round:
looking up a passage's codes (every coding of the corpus per passage), coder agreement (every
segment once per code), cutting a note into segments (every coding per segment), finding
registered names (every name, compiled again, in every text), keeping findings that do not
overlap (every kept finding per finding) and finding a bundle's members (the manifest's list
searched per member).
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fieldapp.analysis import deidentify
from fieldapp.analysis.agreement import compare
from fieldapp.analysis.segments import Span, segments
from fieldapp.services import analysis, records
from fieldapp.store.workspace import Workspace
from fieldapp.sync import manifest as manifest_mod
from tests.conftest import PASSPHRASE
from tests.growth import assert_linear_growth, python_steps


def assert_linear(make: Callable[[int], Callable[[], object]], what: str,
                  sizes: tuple[int, int] = (50, 200)) -> None:
    """``make(n)`` prepares an input of size ``n`` (not counted) and returns the work. A
    first run, not counted, does what is done once per process (imports, caches)."""
    make(sizes[0])()
    small, large = (python_steps(make(n)) for n in sizes)
    assert_linear_growth(what, sizes, small, large, "Python steps")


def _spans(notes: int, per_note: int, codes: int, seed: int = 1) -> list[Span]:
    rnd = random.Random(seed)
    out = []
    for n in range(notes):
        for _ in range(per_note):
            start = rnd.randrange(900)
            out.append(Span(f"n{n}", f"c{rnd.randrange(codes)}", start,
                            start + rnd.randint(5, 100), rnd.choice(["ann", "bo"])))
    return out


def test_cutting_a_long_note_into_segments() -> None:
    """One note coded ``n`` times: a sweep along it, each coding met at its two ends."""
    def make(n: int) -> Callable[[], object]:
        spans = _spans(1, n, 5)
        return lambda: segments(spans)

    assert_linear(make, "segments of one note")


def test_agreement_over_many_notes_and_codes() -> None:
    """Two coders on ``n`` notes with a codebook growing with the project (``n / 5`` codes):
    each segment tallied once, whatever the number of codes."""
    def make(n: int) -> Callable[[], object]:
        spans = _spans(n, 4, n // 5)
        return lambda: compare(spans, "ann", "bo")

    assert_linear(make, "agreement")


def test_finding_registered_names_in_many_texts() -> None:
    """``n`` texts against ``n`` registered names (a study's participants and notes grow
    together): each text tried only on the names it could hold."""
    rnd = random.Random(3)
    surnames, given = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗", "明华丽伟娜芳军洋静敏强磊秀英杰涛"

    def make(n: int) -> Callable[[], object]:
        names = [deidentify.KnownName(rnd.choice(surnames) + rnd.choice(given) + rnd.choice(given),
                                      "participant", f"p{i}", f"P-{i:04d}") for i in range(n)]
        texts = [f"第{i}次访谈：{rnd.choice(names).name}说资金拨付延迟，{rnd.choice(names).name}"
                 "表示同意。" for i in range(n)]

        def work() -> None:
            finder = deidentify.NameFinder(names)
            for text in texts:
                deidentify.find(text, finder)

        return work

    assert_linear(make, "names in texts")


def test_keeping_findings_that_do_not_overlap() -> None:
    """``n`` findings in one long note: each checked against its neighbours."""
    rnd = random.Random(4)

    def make(n: int) -> Callable[[], object]:
        found = []
        for _ in range(n):
            start = rnd.randrange(20 * n)
            found.append(deidentify.Finding(start, start + rnd.randint(1, 12),
                                            "possible_person", "王小明", "[name]"))
        return lambda: deidentify._without_overlaps(found)

    assert_linear(make, "findings without overlaps")


def test_finding_every_member_of_a_bundle() -> None:
    """A manifest of ``n`` attachments, each looked up as the reader meets it."""
    def make(n: int) -> Callable[[], object]:
        members = tuple(manifest_mod.MemberEntry(f"{manifest_mod.ATTACHMENT_DIR}{i:064x}",
                                                 f"{i:064x}", 10) for i in range(n))
        manifest = manifest_mod.Manifest(
            "team", manifest_mod.AuthorKind.DEVICE, "dev", manifest_mod.Audience.COORDINATORS,
            1, 2, None, (), datetime.now(UTC), 1, 0, n, members)

        def work() -> None:
            for m in members:
                assert manifest.member(m.path) is m

        return work

    assert_linear(make, "bundle members")


def test_a_code_query_over_many_codings() -> None:
    """A query over ``n`` notes coded three times each: each passage's codes read from its
    own note's codings."""
    with tempfile.TemporaryDirectory() as tmp:
        def make(n: int) -> Callable[[], object]:
            ws, _ = Workspace.initialise(Path(tmp) / f"ws{n}-{random.random()}", PASSPHRASE)
            delay = records.add_code(ws, name_en="Delay")
            staff = records.add_code(ws, name_en="Staff")
            interview = records.add_interview(ws, code="I1")
            body = "政府购买服务的资金经常拨付延迟。The director said staff left. "
            for nid in records.add_notes(ws, interview, [body] * n):
                for code, start, end in ((delay, 0, 10), (staff, 5, 20), (delay, 30, 40)):
                    records.apply_code(ws, nid, code, start, end)

            def work() -> None:
                try:
                    assert len(analysis.run_query(ws, "Delay OR Staff").passages) == 2 * n
                finally:
                    ws.close()

            return work

        assert_linear(make, "code query", sizes=(30, 120))
