"""The look (fieldapp/ui/style.py, fieldapp/ui/empty_state.py), checked on the widgets as
drawn, in English and in Chinese: notes are set in a reading font with room between the lines,
icons follow the system palette, every list that can be empty says what to do and its button
does it, nothing on the main screens is clipped at 1366×768, and the reflective note is not
named like the Memos tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QRect, Qt
from PySide6.QtGui import QColor, QFontInfo, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTabBar,
    QTableView,
    QToolButton,
    QWidget,
)

from fieldapp.i18n import _
from fieldapp.services import records
from fieldapp.ui import fonts, style
from fieldapp.ui.context import AppContext
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import ScriptedInteraction, on_ws

LANGS = ("en", "zh_CN")
FORM = Path(__file__).resolve().parents[2] / "resources" / "instruments" / \
    "ngo_contracting_survey.xlsx"
LONG_ZH = ("受访者认为街道办对社会组织的信任在增加，尤其是在疫情之后，很多服务都交给了社会组织。"
           "Key theme: government purchase of services as a way to outsource risk. ") * 12


@pytest.fixture(params=LANGS)
def lang(request: pytest.FixtureRequest, unlocked: MainWindow, ctx: AppContext) -> str:
    ctx.language.set_language(request.param)
    return str(request.param)


def _pitch(edit: Any) -> float:
    """The distance between two lines of the first paragraph of ``edit``, in pixels."""
    doc = edit.document()
    block = doc.firstBlock()
    lines = block.layout().lineCount()
    assert lines >= 4, "the paragraph should wrap onto several lines"
    return float(doc.documentLayout().blockBoundingRect(block).height()) / lines


# -- type ----------------------------------------------------------------------------------


def test_notes_and_memos_are_set_in_a_chinese_reading_font(qtbot: Any, unlocked: MainWindow,
                                                           lang: str) -> None:
    unlocked.resize(1366, 768)
    ws = unlocked.workspace
    ws.interviews.new_interview()
    editor = ws.interviews.editor
    qtbot.waitUntil(lambda: editor.interview_id is not None)
    note = editor.current_note()
    note.edit.setPlainText(LONG_ZH)
    QApplication.processEvents()
    ui = QApplication.font()
    for edit in (note.edit, ws.memos.editor.body):
        font = edit.font()
        # A Simplified Chinese family comes first and is the one drawn, in both languages
        # (notes mix Chinese and English whatever the interface language).
        assert font.families()[0] in fonts.CJK_FAMILIES, font.families()
        assert QFontInfo(font).family() in fonts.CJK_FAMILIES
        assert font.pointSizeF() >= ui.pointSizeF() * 1.2
        assert edit.document().documentMargin() >= 8
    # Room between the lines: at least 1.4 times the type size, as laid out.
    pixel = QFontInfo(note.edit.font()).pixelSize()
    assert _pitch(note.edit) >= 1.4 * pixel, (_pitch(note.edit), pixel)


def test_focus_mode_sets_the_note_in_a_column(qtbot: Any, unlocked: MainWindow, lang: str
                                              ) -> None:
    unlocked.resize(1366, 768)
    ws = unlocked.workspace
    ws.interviews.new_interview()
    editor = ws.interviews.editor
    qtbot.waitUntil(lambda: editor.interview_id is not None)
    edit = editor.current_note().edit
    ws.set_focus_mode(True)
    QApplication.processEvents()
    em = edit.fontMetrics().horizontalAdvance("中")
    column = edit.viewport().width()
    assert 36 * em <= column <= 48 * em, (column, em)
    assert column < edit.width() - 200  # a column, not the whole window
    ws.set_focus_mode(False)
    QApplication.processEvents()
    assert edit.viewport().width() > column


# -- icons and palette ---------------------------------------------------------------------


def _ink(name: str) -> QColor:
    """The average colour of the drawn (opaque) pixels of icon ``name``."""
    image = style.icon(name).pixmap(32, 32).toImage()
    r = g = b = n = 0
    for x in range(32):
        for y in range(32):
            c = image.pixelColor(x, y)
            if c.alpha() > 200:
                r, g, b, n = r + c.red(), g + c.green(), b + c.blue(), n + 1
    assert n > 20, f"{name} draws almost nothing"
    return QColor(r // n, g // n, b // n)


def test_icons_are_drawn_in_the_palettes_text_colour(qapp: QApplication) -> None:
    saved = qapp.palette()
    try:
        for text, window in (("#f0f0f0", "#202124"), ("#111111", "#fafafa")):
            palette = QPalette(saved)
            palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
            palette.setColor(QPalette.ColorRole.Window, QColor(window))
            qapp.setPalette(palette)
            for name in style.icon_names():
                ink = _ink(name)
                assert abs(ink.lightness() - QColor(text).lightness()) < 40, (name, text)
    finally:
        qapp.setPalette(saved)


def test_tabs_and_actions_carry_distinct_icons(unlocked: MainWindow) -> None:
    tabs = unlocked.workspace.tabs
    images = []
    for i in range(tabs.count()):
        icon = tabs.tabIcon(i)
        assert not icon.isNull(), tabs.tabText(i)
        images.append(icon.pixmap(24, 24).toImage())
    assert all(images[i] != images[j] for i in range(len(images))
               for j in range(i + 1, len(images)))
    for act in (unlocked.act_new_interview, unlocked.act_new_participant, unlocked.act_lock,
                unlocked.act_export, unlocked.act_find, unlocked.act_focus):
        assert not act.icon().isNull(), act.objectName()


# -- empty states --------------------------------------------------------------------------


def _empty(view: Any, name: str) -> Any:
    found = view.findChild(QWidget, f"{name}_empty")
    assert found is not None, name
    return found


def _showing(empty: Any, text: str) -> None:
    """``empty`` is on screen over its list, saying ``text`` in full, with its button."""
    assert empty.isVisible()
    assert empty.geometry() == empty.view.viewport().rect()
    assert empty.label.text() == text
    label = empty.label
    assert label.heightForWidth(label.width()) <= label.height(), "the sentence is cut off"
    assert empty.button.isVisible() and empty.button.isEnabled()
    assert empty.button.width() >= empty.button.sizeHint().width()


def test_empty_lists_say_what_to_do_and_their_buttons_do_it(
        qtbot: Any, unlocked: MainWindow, ctx: AppContext, interaction: ScriptedInteraction,
        lang: str) -> None:
    unlocked.resize(1366, 768)
    ws = unlocked.workspace
    tabs = ws.tabs

    # Interviews: the button starts one, and the list is no longer empty.
    tabs.setCurrentWidget(ws.interviews)
    empty = _empty(ws.interviews, "interviews")
    _showing(empty, _("No interviews yet. Start one here, or from a participant's page."))
    assert empty.button.text() == _("New interview")
    assert not empty.button.icon().isNull()
    empty.button.click()
    qtbot.waitUntil(lambda: ws.interviews.model.rowCount() == 1)
    assert not empty.isVisible()
    # Filtered to nothing: it says so, and "Show all" brings the interview back.
    combo = ws.interviews.filters["status"]
    combo.setCurrentIndex(combo.findData("coded"))
    assert ws.interviews.proxy.rowCount() == 0
    _showing(empty, _("No interview matches these filters."))
    assert empty.button.text() == _("Show all")
    assert empty.button.icon().isNull()  # it starts nothing new
    empty.button.click()
    assert ws.interviews.proxy.rowCount() == 1 and not empty.isVisible()

    # Participants, organisations, codes: the button opens the dialog that adds one.
    for view, name, message in (
            (ws.participants, "participants",
             "No participants yet. Add each person you interview under a pseudonymous code; "
             "their real name is kept apart."),
            (ws.organisations, "organisations",
             "No organisations yet. Add the agencies, NGOs and groups your participants work "
             "for."),
            (ws.codes, "codebook",
             "The codebook is empty. Create your first code, or import a codebook with "
             "“Import codebook…”.")):
        tabs.setCurrentWidget(view)
        empty = _empty(view, name)
        _showing(empty, _(message))
        empty.button.click()
        assert view.dialog is not None and view.dialog.isVisible(), name
        view.dialog.reject()

    # Memos: the button opens a new, empty memo to type into.
    tabs.setCurrentWidget(ws.memos)
    empty = _empty(ws.memos, "memos_all")
    _showing(empty, _("No memos yet. A memo holds your thinking about the project, a code or "
                      "an interview."))
    empty.button.click()
    assert ws.memos.editor.subject is not None and ws.memos.editor.memo_id is None
    assert ws.memos.editor.title.hasFocus() or not unlocked.isActiveWindow()

    # Search with no result: clear the words, or the filters that hid the results.
    ws.show_search()
    search = ws.search
    empty = _empty(search, "search")
    assert not empty.isVisible()  # nothing asked yet: the status line explains
    search.query.setText("口述史 oral history")
    search.run_search()
    _showing(empty, _("Nothing found in the notes. Try fewer words, or another spelling."))
    empty.button.click()
    assert search.query.text() == "" and not empty.isVisible()
    search.query.setText("口述史")
    search.date_from.setDate(QDate(2024, 1, 1))
    search.run_search()
    _showing(empty, _("Nothing found with these filters."))
    empty.button.click()
    assert not search.filtering() and search.query.text() == "口述史"

    # Surveys: the button imports a questionnaire; then the responses list explains itself.
    tabs.setCurrentWidget(ws.surveys)
    surveys = ws.surveys
    empty = _empty(surveys, "instruments")
    _showing(empty, _("No questionnaires yet. Import one written as an XLSForm, as for ODK "
                      "or KoboToolbox."))
    # Nothing to answer yet: the responses list says where they come from.
    _showing(_empty(surveys, "responses"), _("Responses are listed here once a questionnaire "
                                             "has been imported."))
    assert _empty(surveys, "responses").button.text() == _("Import instrument…")
    interaction.files.append(FORM)
    empty.button.click()
    qtbot.waitUntil(lambda: surveys.instruments.rowCount() == 1)
    assert not empty.isVisible()
    responses = _empty(surveys, "responses")
    _showing(responses, _("No responses yet. Start one with “New response…”."))
    responses.button.click()
    assert surveys.dialog is not None and surveys.dialog.isVisible()
    surveys.dialog.reject()

    # Team: a workspace outside a team says so, with the two ways in.
    tabs.setCurrentWidget(ws.team)
    page = ws.team.team
    ws.team.tabs.setCurrentWidget(page)
    assert page.start_box.isVisible()
    assert page.create_button.isVisible() and page.join_button.isVisible()


def test_the_empty_state_follows_the_language(unlocked: MainWindow, ctx: AppContext) -> None:
    empty = _empty(unlocked.workspace.participants, "participants")
    ctx.language.set_language("en")
    english = empty.button.text()
    ctx.language.set_language("zh_CN")
    assert empty.button.text() == _("New participant…")
    ctx.language.set_language("en")
    assert empty.button.text() == english == "New participant…"


# -- names ---------------------------------------------------------------------------------


def test_the_reflective_note_is_not_named_like_memos(unlocked: MainWindow, lang: str) -> None:
    ws = unlocked.workspace
    editor = ws.interviews.editor
    kinds = list(editor.notes)
    note_tab = editor.note_tabs.tabText(kinds.index("memo")).replace("&", "")
    memos_tab = ws.tabs.tabText(ws.tabs.indexOf(ws.memos)).replace("&", "")
    lower = editor.lower_tabs.tabText(editor.lower_tabs.indexOf(editor.memos))
    for memo_name in (memos_tab, lower.replace("&", "")):
        # Neither name contains the other (备忘 / 备忘录, Memo / Memos confused readers).
        assert note_tab not in memo_name and memo_name not in note_tab, (note_tab, memo_name)
    assert note_tab == _("Reflective note")
    if lang == "en":
        assert note_tab == "Reflective note"


def test_the_stored_kind_is_unchanged(unlocked: MainWindow, ctx: AppContext) -> None:
    ws = unlocked.workspace
    ws.interviews.new_interview()
    editor = ws.interviews.editor
    note = editor.show_note("memo")
    note.edit.setPlainText("访谈后的反思：受访者对购买服务很谨慎。")
    note.autosave.flush()
    iid = editor.interview_id
    rows = on_ws(ctx, lambda w: records.list_records(w, "note",
                                                     where={"interview_id": iid}))
    assert [r["kind"] for r in rows] == ["memo"]


# -- nothing clipped -----------------------------------------------------------------------


def _clipped(root: QWidget, seen: list[str] | None = None) -> list[str]:
    """Visible texts on ``root`` that do not fit their widget (the texts measured are added
    to ``seen``)."""
    problems = []
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root) or w.width() <= 0:
            continue
        if seen is not None and isinstance(w, (QLabel, QAbstractButton)) and w.text():
            seen.append(w.text())
        name = f"{type(w).__name__} {w.objectName()!r}"
        if isinstance(w, QLabel) and w.text():
            text = w.text()
            if "<" in text:
                continue  # rich text is laid out by a document; not measured here
            inner: QRect = w.contentsRect()
            if w.wordWrap():
                if w.heightForWidth(inner.width()) > inner.height() + 1:
                    problems.append(f"{name} {text!r}: wrapped text cut off")
            else:
                width = max(w.fontMetrics().horizontalAdvance(line.replace("&", ""))
                            for line in text.splitlines())
                if width > inner.width() + 1:
                    problems.append(f"{name} {text!r}: {width} > {inner.width()}")
        elif isinstance(w, (QPushButton, QToolButton, QCheckBox)) and w.text():
            assert isinstance(w, QAbstractButton)
            need = w.minimumSizeHint().width() if isinstance(w, QCheckBox) else \
                w.sizeHint().width()
            if need > w.width() + 1:
                problems.append(f"{name} {w.text()!r}: needs {need}, has {w.width()}")
        elif isinstance(w, QHeaderView) and w.orientation() == Qt.Orientation.Horizontal \
                and isinstance(w.parent(), QTableView):
            last = w.logicalIndex(w.count() - 1)
            for i in range(w.count()):
                if w.isSectionHidden(i) or (i == last and w.stretchLastSection()):
                    continue
                heading = str(w.model().headerData(i, Qt.Orientation.Horizontal) or "")
                if heading and w.sectionSize(i) < w.sectionSizeHint(i):
                    problems.append(f"{name} heading {heading!r}: {w.sectionSize(i)} < "
                                    f"{w.sectionSizeHint(i)}")
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                rect = w.tabRect(i)
                text = w.tabText(i).replace("&", "")
                need = w.fontMetrics().horizontalAdvance(text) + \
                    (w.iconSize().width() if not w.tabIcon(i).isNull() else 0)
                if rect.width() < need:
                    problems.append(f"tab {text!r}: {rect.width()} < {need}")
    return problems


@pytest.mark.parametrize("language", LANGS)
def test_nothing_is_clipped_at_1366_by_768(qtbot: Any, unlocked: MainWindow, ctx: AppContext,
                                           language: str) -> None:
    ctx.language.set_language(language)
    unlocked.resize(1366, 768)
    ws = unlocked.workspace
    ws.interviews.new_interview()
    qtbot.waitUntil(lambda: ws.interviews.editor.interview_id is not None)
    assert (unlocked.width(), unlocked.height()) == (1366, 768)
    problems: list[str] = []
    seen: list[str] = []
    for page in (unlocked.welcome, unlocked.locked):
        unlocked.stack.setCurrentWidget(page)
        QApplication.processEvents()
        problems += [f"{page.objectName()}: {p}" for p in _clipped(page, seen)]
    unlocked.stack.setCurrentWidget(ws)
    for i in range(ws.tabs.count()):
        ws.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        problems += [f"{ws.tabs.tabText(i)}: {p}"
                     for p in _clipped(ws.tabs.currentWidget(), seen)]
    problems += _clipped(ws.tabs.tabBar())
    assert not problems, "\n".join(problems)
    assert len(seen) > 80, seen  # the screens were there to be measured


@pytest.mark.parametrize("language", LANGS)
def test_dialogs_show_their_texts_whole(qtbot: Any, unlocked: MainWindow, ctx: AppContext,
                                        workspace_path: Path, language: str) -> None:
    from fieldapp.ui.dialogs.code import CodeDialog
    from fieldapp.ui.dialogs.consent import ConsentDialog
    from fieldapp.ui.dialogs.create_workspace import CreateWorkspaceDialog
    from fieldapp.ui.dialogs.organisation import OrganisationDialog
    from fieldapp.ui.dialogs.participant import ParticipantDialog
    from fieldapp.ui.dialogs.recovery_key import RecoveryKeyDialog
    from fieldapp.ui.dialogs.unlock import UnlockDialog

    ctx.language.set_language(language)
    problems: list[str] = []
    seen: list[str] = []
    for make in (lambda: CreateWorkspaceDialog(ctx),
                 lambda: RecoveryKeyDialog(ctx, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"),
                 lambda: UnlockDialog(ctx, workspace_path),
                 lambda: ConsentDialog(ctx, "p", "KM-HIV-001"),
                 lambda: OrganisationDialog(ctx),
                 lambda: ParticipantDialog(ctx, [], "KM-HIV-001"),
                 lambda: CodeDialog(ctx, unlocked.workspace.codebook)):
        dialog = make()
        qtbot.addWidget(dialog)
        dialog.show()
        QApplication.processEvents()
        assert dialog.width() <= 1366 and dialog.height() <= 768 - 60
        problems += [f"{type(dialog).__name__}: {p}" for p in _clipped(dialog, seen)]
        dialog.close()
    assert not problems, "\n".join(problems)
    assert len(seen) > 30, seen
