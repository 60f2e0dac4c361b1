"""A long, coded transcript in the note editor: what is saved is what was typed, codings stay
on their words through edits before, inside and after them (checked against the workspace
after saving and reopening, with a model of the edits as the oracle), long paragraphs are shown
in display blocks that never reach the saved text, and a save of a note with 300 codings
builds one position map and re-highlights nothing (the cause of the old multi-second pauses:
a scan of the whole text for every coding)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from fieldapp.services import records
from fieldapp.ui import notedoc
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.views.note_editor import NoteEditor
from tests.ui.conftest import on_ws, type_text

SENTENCE = "访谈记录：受访者谈到政府购买服务的合同。The contract is renewed yearly. "


def long_paragraph(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    words = [SENTENCE, "他说：“登记很难。”", "𠮷野家的老板也来了。", "Registration is hard! ",
             "没有标点的一长串文字没有标点的一长串文字", "ＨＩＶ防治。"]
    out = ""
    while len(out) < n:
        out += rng.choice(words)
    return out[:n]


def open_coded_note(qtbot: Any, window: MainWindow, body: str,
                    spans: list[tuple[int, int]]) -> tuple[NoteEditor, str, list[str]]:
    def make(ws: Any) -> tuple[str, str, list[str]]:
        iid = records.add_interview(ws, code="LONG-1")
        nid = records.add_note(ws, iid, kind="transcript", body=body)
        cid = records.add_code(ws, name_en="Contracts", name_zh="合同")
        return iid, nid, [records.apply_code(ws, nid, cid, s, e) for s, e in spans]

    iid, nid, ids = on_ws(window.ctx, make)
    interviews = window.workspace.interviews
    interviews.reload(select=iid)
    qtbot.waitUntil(lambda: interviews.editor.interview_id == iid, timeout=3000)
    note = interviews.editor.show_note("transcript")
    assert note.note_id == nid
    return note, nid, ids


def stored(window: MainWindow, nid: str) -> tuple[str, dict[str, tuple[int, int]]]:
    def read(ws: Any) -> tuple[str, dict[str, tuple[int, int]]]:
        body = str(records.get(ws, "note", nid)["body"])
        return body, {c["id"]: (c["start_offset"], c["end_offset"])
                      for c in records.codings_of_note(ws, nid)}

    return on_ws(window.ctx, read)


def put_cursor(note: NoteEditor, start: int, end: int | None = None) -> None:
    """Place the editor's cursor at code-point offset ``start`` (selecting up to ``end``)."""
    m = note.edit.position_map()
    cur = note.edit.textCursor()
    cur.setPosition(m.to_qt(start))
    if end is not None:
        cur.setPosition(m.to_qt(end, end=True), QTextCursor.MoveMode.KeepAnchor)
    note.edit.setTextCursor(cur)


class Model:
    """What the text and the codings should be after each edit (the oracle): text typed at a
    passage's start goes before it, text typed at its end after it, text typed inside it into
    it; deleted text takes the passage's edges with it."""

    def __init__(self, text: str, spans: dict[str, tuple[int, int]]) -> None:
        self.text = text
        self.spans = dict(spans)

    def insert(self, at: int, s: str) -> None:
        self.text = self.text[:at] + s + self.text[at:]
        n = len(s)
        self.spans = {k: (a + n if a >= at else a, b + n if b > at else b)
                      for k, (a, b) in self.spans.items()}

    def delete(self, a: int, b: int) -> None:
        self.text = self.text[:a] + self.text[b:]

        def move(p: int) -> int:
            return p - (b - a) if p >= b else a if p > a else p

        self.spans = {k: (move(s), move(e)) for k, (s, e) in self.spans.items()}

    def words(self) -> dict[str, str]:
        return {k: self.text[s:e] for k, (s, e) in self.spans.items()}


def test_display_blocks_keep_the_text_and_positions(qtbot: Any) -> None:
    from fieldapp.ui.views.note_editor import PlainTextEdit

    text = ("开头\n" + long_paragraph(9000) + "\n\n𠮷" + long_paragraph(5000, 2)
            + "\nnbsp\u00a0kept as a space")
    edit = PlainTextEdit()
    qtbot.addWidget(edit)
    soft = edit.load_text(text)
    assert soft >= 6 and edit.document().blockCount() == text.count("\n") + 1 + soft
    assert max(len(b) for b in edit.document().toPlainText().split("\n")) <= notedoc.MAX_BLOCK
    expected = text.replace("\u00a0", " ")  # as QPlainTextEdit.toPlainText() always gave it
    assert edit.toPlainText() == expected
    m = edit.position_map()
    for cp in range(0, len(text) + 1):
        qt = m.to_qt(cp)
        assert m.to_cp(qt) == cp
        assert m.to_cp(m.to_qt(cp, end=True)) == cp
        if cp < len(text) and text[cp] != "\n":
            cur = QTextCursor(edit.document())
            cur.setPosition(qt)
            cur.movePosition(QTextCursor.MoveOperation.NextCharacter,
                             QTextCursor.MoveMode.KeepAnchor)
            assert cur.selectedText() == text[cp]


def test_soft_breaks_never_reach_the_saved_text(qtbot: Any, unlocked: MainWindow) -> None:
    body = long_paragraph(50_000)
    note, nid, _ids = open_coded_note(qtbot, unlocked, body, [])
    doc = note.edit.document()
    assert doc.blockCount() >= 25  # shown in display blocks of at most 2,000 characters
    assert note.count.text() == "50,000 characters"
    # Backspace at the start of a display block only joins the display: the text is the same.
    second = doc.findBlockByNumber(1)
    assert notedoc.is_soft(second)
    cur = note.edit.textCursor()
    cur.setPosition(second.position())
    note.edit.setTextCursor(cur)
    qtbot.keyClick(note.edit, Qt.Key.Key_Backspace)
    assert note.text() == body
    # Enter inside a display block is a real line break, and so are the new block's edges.
    third = doc.findBlockByNumber(3)
    at = note.edit.position_map().to_cp(third.position() + 10)
    put_cursor(note, at)
    qtbot.keyClick(note.edit, Qt.Key.Key_Return)
    expected = body[:at] + "\n" + body[at:]
    assert note.text() == expected
    assert note.count.text() == "50,001 characters"
    # Copying across a display break copies the note's text, not the break.
    block = doc.findBlockByNumber(6)
    assert notedoc.is_soft(block)
    m = note.edit.position_map()
    a, b = m.to_cp(block.position() - 5), m.to_cp(block.position() + 5)
    put_cursor(note, a, b)
    note.edit.copy()
    assert QApplication.clipboard().text() == expected[a:b]
    # Pasting two paragraphs into a display block keeps exactly their line break; a long
    # pasted paragraph is shown in display blocks at once.
    pasted = "第一段\n" + long_paragraph(7000, 3)
    put_cursor(note, a)
    QApplication.clipboard().setText(pasted)
    blocks = doc.blockCount()
    note.edit.paste()
    expected = expected[:a] + pasted + expected[a:]
    assert note.text() == expected
    assert doc.blockCount() >= blocks + 1 + 3
    # Undo and redo keep the display breaks as display breaks.
    note.edit.undo()
    assert note.text() == body[:at] + "\n" + body[at:]
    note.edit.undo()
    assert note.text() == body
    note.edit.redo()
    note.edit.redo()
    assert note.text() == expected
    note.save_now()
    assert stored(unlocked, nid)[0] == expected
    # Reopened, it is the same text (and the same count).
    unlocked.workspace.interviews.editor.open_interview(note.interview_id or "")
    assert note.text() == expected
    assert note.count.text() == f"{len(expected):,} characters"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_codings_stay_on_their_words_through_edits(qtbot: Any, unlocked: MainWindow,
                                                   seed: int) -> None:
    body = ("前言 𠮷野家。\n" + long_paragraph(12_000, seed) + "\n结尾的合同 contract 段落。")
    rng = random.Random(seed)
    spans = sorted({(s, s + rng.randint(8, 40)) for s in rng.sample(range(len(body) - 50), 25)})
    # A passage right after an astral character, and one in the last paragraph.
    spans += [(2, 6), (len(body) - 12, len(body) - 2)]
    note, nid, ids = open_coded_note(qtbot, unlocked, body, spans)
    model = Model(body, dict(zip(ids, spans, strict=True)))
    assert {h.coding_id: note.text()[h.start:h.end] for h in note.highlights} == model.words()

    def edit_once() -> None:
        what = rng.random()
        starts = [s for s, _e in model.spans.values()]
        ends = [e for _s, e in model.spans.values()]
        # Edits right at a passage's edges are the interesting ones: half of them.
        at = rng.choice(starts + ends) if rng.random() < 0.5 else rng.randrange(len(model.text))
        if what < 0.6:
            s = rng.choice(["x", "改", "𠮷", "ab c", "新的一句。"])
            put_cursor(note, at)
            type_text(qtbot, note.edit, s)
            model.insert(at, s)
        elif what < 0.75:
            put_cursor(note, at)
            qtbot.keyClick(note.edit, Qt.Key.Key_Return)
            model.insert(at, "\n")
        else:
            b = min(len(model.text), at + rng.randint(1, 5))
            trial = Model(model.text, model.spans)
            trial.delete(at, b)
            if any(e <= s for s, e in trial.spans.values()):
                return  # would delete a whole passage: not this test's question
            put_cursor(note, at, b)
            qtbot.keyClick(note.edit, Qt.Key.Key_Delete)
            model.delete(at, b)

    for round_ in range(4):
        for _ in range(12):
            edit_once()
        assert note.text() == model.text
        note.save_now()
        body_saved, offsets = stored(unlocked, nid)
        assert body_saved == model.text, f"round {round_}"
        assert {k: body_saved[s:e] for k, (s, e) in offsets.items()} == model.words()
        assert offsets == model.spans
    # Reopened from the workspace, the highlights cover the same words.
    unlocked.workspace.interviews.editor.open_interview(note.interview_id or "")
    shown = note.text()
    m = note.edit.position_map()
    assert {h.coding_id: shown[m.to_cp(h.cursor.selectionStart()):
                               m.to_cp(h.cursor.selectionEnd())]
            for h in note.highlights} == model.words()


def test_a_save_with_300_codings_builds_one_map_and_paints_nothing(
        qtbot: Any, unlocked: MainWindow) -> None:
    body = "\n".join(long_paragraph(250, i) for i in range(400))[:100_000]
    spans = [(i * 300 + 5, i * 300 + 25) for i in range(300)]
    note, nid, ids = open_coded_note(qtbot, unlocked, body, spans)
    assert len(note.highlights) == 300
    builds, paints = notedoc.builds, note.paints
    put_cursor(note, 0)
    builds = notedoc.builds
    type_text(qtbot, note.edit, "补充：")
    assert notedoc.builds == builds  # keystrokes build no map and paint nothing
    assert note.paints == paints
    note.save_now()
    # One map for the save (the text and all 300 new offsets); no highlight handed to the
    # editor again; the workspace holds every passage moved by the three characters.
    assert notedoc.builds - builds == 1
    assert note.paints == paints
    _body, offsets = stored(unlocked, nid)
    assert offsets == {cid: (s + 3, e + 3) for cid, (s, e) in zip(ids, spans, strict=True)}
    # The list beside the note follows: activating a coding selects its words.
    panel = unlocked.workspace.interviews.editor.coding
    for row in (0, 150, 299):
        panel.codings.setCurrentRow(row)
        panel.codings.itemActivated.emit(panel.codings.item(row))
        s, e = offsets[panel.codings.item(row).data(Qt.ItemDataRole.UserRole)["id"]]
        assert note.edit.textCursor().selectedText() == note.text()[s:e]
    # Typing more and saving again: still one map per save, however many codings moved.
    builds = notedoc.builds
    type_text(qtbot, note.edit, "又")
    note.save_now()
    assert notedoc.builds - builds == 1 and note.paints == paints
