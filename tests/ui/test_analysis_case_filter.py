"""The case filter ("Only cases where… budget>=1000000") on the Analysis tab's co-occurrence and
agreement pages, driven in the real window on a real workspace: two organisations and two
participants with different attribute values, coded passages in an interview of each, and a
second coder's work merged in from another workspace. The expected counts and percentages are
worked out here from the offsets the test codes, not asked of the service; a condition the
service refuses shows its message in the tab and leaves the results on screen as they were."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldapp.services import case_attributes, records
from fieldapp.store.errors import InvalidInput
from fieldapp.ui.main_window import MainWindow
from tests.kdf import TEST_KDF
from tests.ui.conftest import PASSPHRASE, on_ws, type_text

BODY = "资金到得很晚登记很难"  # ten characters
NAMES = {"A": "Funding problems", "B": "Registration"}
#: interview → codings (code, start, end) of this workspace's researcher, for the matrix
MATRIX_CODINGS = {
    "I-big": [("A", 0, 6), ("B", 4, 10)],
    "I-small": [("A", 0, 3), ("B", 2, 5), ("A", 7, 10)],
}
#: interview → the passage each coder coded with code A, for agreement
FIRST_CODER = {"I-big": (0, 10), "I-small": (0, 10)}
SECOND_CODER = {"I-big": (0, 10), "I-small": (0, 5)}
#: conditions the service refuses: an unknown attribute, an operator text cannot take, a
#: number compared to text
BAD = [("budgt>1", "budgt"), ("city>昆明", "city"), ("budget>=lots", "lots")]


def _cases(ws: Any) -> dict[str, str]:
    """Two organisations and a participant in each, with different values; an interview of
    each participant with one note."""
    big = records.add_organisation(ws, name_zh="红丝带关爱中心", name_en="Red Ribbon")
    small = records.add_organisation(ws, name_zh="同伴支持小组", name_en="Peer Group")
    lin = records.add_participant(ws, code="KM-HIV-001", organisation_id=big)
    wang = records.add_participant(ws, code="KM-HIV-002", organisation_id=small)
    case_attributes.define(ws, "budget", "organisation", "number", label_zh="年度预算",
                           label_en="Annual budget")
    case_attributes.define(ws, "years", "participant", "number")
    case_attributes.define(ws, "city", "participant", "text")
    case_attributes.set_value(ws, "budget", big, 2_000_000)
    case_attributes.set_value(ws, "budget", small, 50_000)
    case_attributes.set_value(ws, "years", lin, 8)
    case_attributes.set_value(ws, "years", wang, 2)
    ids = {"A": records.add_code(ws, name_zh="资金困难", name_en=NAMES["A"]),
           "B": records.add_code(ws, name_zh="登记注册", name_en=NAMES["B"])}
    for label, pid in (("I-big", lin), ("I-small", wang)):
        interview = records.add_interview(ws, code=label, participant_ids=[pid])
        ids[label] = records.add_note(ws, interview, body=BODY)  # the interview's one note
    return ids


def _refusal(ctx: Any, condition: str) -> str:
    """What the service says of ``condition`` in the current language."""

    def check(ws: Any) -> str:
        try:
            case_attributes.conditions(ws, [condition])
        except InvalidInput as exc:
            return exc.message
        raise AssertionError(f"{condition} was accepted")

    return str(on_ws(ctx, check))


def _analysis(window: MainWindow, page: int) -> Any:
    view = window.workspace.analysis
    window.workspace.tabs.setCurrentWidget(view)
    view.tabs.setCurrentIndex(page)
    return view


def _enter(qtbot: QtBot, line: Any, text: str) -> None:
    line.clear()
    type_text(qtbot, line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


# -- co-occurrence -----------------------------------------------------------------------------

def _refusals_keep(qtbot: QtBot, ctx: Any, line: Any, status: Any,
                   on_screen: Callable[[], Any], kept: Any) -> None:
    """Each refused condition of :data:`BAD`, entered in ``line``, shows the service's message
    (naming what is wrong) in ``status`` and leaves the results on screen as they were."""
    for condition, word in BAD:
        _enter(qtbot, line, condition)
        message = _refusal(ctx, condition)
        assert word in message
        assert status.text() == message
        assert on_screen() == kept


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _expected_matrix(interviews: list[str]) -> dict[tuple[str, str], int]:
    """Codings of a code stand apart from each other and every overlap is a passage of its own,
    so a code's own count is its codings and a pair's count its overlapping codings."""
    counts: Counter[tuple[str, str]] = Counter()
    for interview in interviews:
        codings = MATRIX_CODINGS[interview]
        for code, _start, _end in codings:
            counts[(NAMES[code], NAMES[code])] += 1
        for (a, s1, e1), (b, s2, e2) in combinations(codings, 2):
            if a != b and s1 < e2 and s2 < e1:
                counts[_pair(NAMES[a], NAMES[b])] += 1
    return dict(counts)


def _matrix_on_screen(view: Any) -> dict[tuple[str, str], int]:
    model = view.matrix
    names = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    out: dict[tuple[str, str], int] = {}
    for r, c in combinations(range(len(names)), 2):
        text = model.index(r, c).data()
        if text:
            out[_pair(names[r], names[c])] = int(text)
    for i, name in enumerate(names):
        text = model.index(i, i).data()
        if text:
            out[(name, name)] = int(text)
    return out


def _cell(view: Any, a: str, b: str) -> Any:
    model = view.matrix
    names = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    return model.index(names.index(a), names.index(b))


def test_the_matrix_counts_only_the_cases_the_filter_keeps(unlocked: MainWindow, ctx: Any,
                                                           qtbot: QtBot) -> None:
    def study(ws: Any) -> None:
        ids = _cases(ws)
        for interview, codings in MATRIX_CODINGS.items():
            for code, start, end in codings:
                records.apply_code(ws, ids[interview], ids[code], start, end)

    on_ws(ctx, study)
    view = _analysis(unlocked, 1)
    assert view.matrix_where.accessibleName() == view.query_where.accessibleName() == \
        "Case attribute filter"
    assert view.matrix_where.placeholderText() == view.query_where.placeholderText()
    qtbot.mouseClick(view.matrix_button, Qt.MouseButton.LeftButton)
    everything = _expected_matrix(["I-big", "I-small"])
    assert everything[("Funding problems", "Registration")] == 2  # the data is what we meant
    assert _matrix_on_screen(view) == everything

    # An organisation's attribute: only the big organisation's interview is counted.
    _enter(qtbot, view.matrix_where, "budget>=1000000")
    assert _matrix_on_screen(view) == _expected_matrix(["I-big"])
    assert view.matrix_status.text() == ""
    # Its cell opens the passages it counts: the query runs under the same filter.
    view._open_cell(_cell(view, NAMES["A"], NAMES["B"]))
    assert view.tabs.currentIndex() == 0
    assert view.query_where.text() == "budget>=1000000"
    assert [view.passages.record(r)["interview_code"] for r in range(view.passages.rowCount())] \
        == ["I-big"]
    assert [view.passages.record(r)["text"] for r in range(view.passages.rowCount())] == \
        [BODY[4:6]]

    # A participant's attribute: only the participant with fewer years.
    view.tabs.setCurrentIndex(1)
    _enter(qtbot, view.matrix_where, "years<5")
    kept = _expected_matrix(["I-small"])
    assert _matrix_on_screen(view) == kept

    # A refused condition says why in the tab; the matrix and what a cell opens stay.
    _refusals_keep(qtbot, ctx, view.matrix_where, view.matrix_status,
                   lambda: _matrix_on_screen(view), kept)
    view._open_cell(_cell(view, NAMES["A"], NAMES["B"]))
    assert view.query_where.text() == "years<5"
    assert [view.passages.record(r)["text"] for r in range(view.passages.rowCount())] == \
        [BODY[2:3]]


# -- agreement ---------------------------------------------------------------------------------

def _expected_agreement(interviews: list[str]) -> tuple[str, str]:
    """Percent agreement on code A over the text either coder coded, in characters and in
    segments (the stretches between any two coding boundaries)."""
    chars = chars_agreed = parts = parts_agreed = 0
    for interview in interviews:
        first, second = FIRST_CODER[interview], SECOND_CODER[interview]
        cuts = sorted({*first, *second})
        for start, end in pairwise(cuts):
            a, b = first[0] <= start < first[1], second[0] <= start < second[1]
            if a or b:
                chars += end - start
                parts += 1
                if a == b:
                    chars_agreed += end - start
                    parts_agreed += 1
    return f"{100 * chars_agreed / chars:.1f}", f"{100 * parts_agreed / parts:.1f}"


def _agreement_on_screen(view: Any) -> list[tuple[str, str, str]]:
    model = view.agreement
    return [(model.index(r, 0).data(), model.index(r, 1).data(), model.index(r, 4).data())
            for r in range(model.rowCount())]


def _rows(figures: tuple[str, str]) -> list[tuple[str, str, str]]:
    return [(NAMES["A"], *figures), ("Overall", *figures)]


def _two_coders(ws: Any, elsewhere: Path) -> str:
    """This researcher codes; a second researcher's workspace receives everything, codes the
    same notes, and its codings are merged back. Returns the second coder's device id."""
    from fieldapp.store.workspace import Workspace

    ids = _cases(ws)
    for interview, (start, end) in FIRST_CODER.items():
        records.apply_code(ws, ids[interview], ids["A"], start, end)
    other, _recovery = Workspace.initialise(elsewhere, PASSPHRASE, researcher="王芳",
                                            kdf=TEST_KDF)
    try:
        other.apply_remote(ws.ops())
        for interview, (start, end) in SECOND_CODER.items():
            records.apply_code(other, ids[interview], ids["A"], start, end)
        ws.apply_remote(other.ops(device=other.device_id))
        return str(other.device_id)
    finally:
        other.close()


def test_agreement_compares_only_the_cases_the_filter_keeps(unlocked: MainWindow, ctx: Any,
                                                            qtbot: QtBot, tmp_path: Path) -> None:
    second = on_ws(ctx, lambda ws: _two_coders(ws, tmp_path / "other"))
    first = on_ws(ctx, lambda ws: ws.device_id)
    view = _analysis(unlocked, 2)
    view.load_coders()
    view.first_coder.setCurrentIndex(view.first_coder.findData(first))
    view.second_coder.setCurrentIndex(view.second_coder.findData(second))
    assert view.agreement_where.accessibleName() == "Case attribute filter"
    assert view.agreement_where.placeholderText() == view.query_where.placeholderText()
    qtbot.mouseClick(view.agreement_button, Qt.MouseButton.LeftButton)
    everything = _expected_agreement(["I-big", "I-small"])
    assert everything == ("75.0", "66.7")  # the data is what we meant
    assert _agreement_on_screen(view) == _rows(everything)
    assert view.agreement_status.text() == "Compared on 2 notes both coded."

    # Enter in the filter compares again, on the kept cases only.
    _enter(qtbot, view.agreement_where, "budget>=1000000")
    assert _agreement_on_screen(view) == _rows(_expected_agreement(["I-big"]))
    assert view.agreement_status.text() == "Compared on 1 note both coded."
    _enter(qtbot, view.agreement_where, "years<5")
    kept = _rows(_expected_agreement(["I-small"]))
    assert _agreement_on_screen(view) == kept
    assert view.agreement_status.text() == "Compared on 1 note both coded."

    _refusals_keep(qtbot, ctx, view.agreement_where, view.agreement_status,
                   lambda: _agreement_on_screen(view), kept)


def test_the_filters_speak_chinese(unlocked: MainWindow, ctx: Any, qtbot: QtBot) -> None:
    on_ws(ctx, _cases)
    ctx.language.set_language("zh_CN")
    view = _analysis(unlocked, 1)
    for line in (view.query_where, view.matrix_where, view.agreement_where):
        assert line.placeholderText() == (
            "只看满足条件的个案……例如 年度预算>=1000000；登记状态=未登记（个案属性：= != < <= > >=）")
        assert line.accessibleName() == "个案属性筛选"
    _enter(qtbot, view.matrix_where, "budget>=lots")
    message = _refusal(ctx, "budget>=lots")
    assert "年度预算" in message and "lots" in message
    assert view.matrix_status.text() == message
