"""The text of a note as the editor's document holds it, and positions between the two.

Qt lays out a paragraph (a text block) as a whole: every keystroke in a paragraph re-shapes
and re-wraps all of it. In one unbroken 50,000-character paragraph (a transcript pasted
without line breaks) that costs 20–40 ms per key even in a bare ``QPlainTextEdit`` — more
than a frame. So the editor never holds such a paragraph as one block: a paragraph longer
than :data:`MAX_BLOCK` characters is shown as several blocks, broken after a sentence (or
failing that a space), and each block after such a *soft break* carries the block property
:data:`SOFT_BREAK`. A soft break is not part of the note: :func:`stored_text` leaves it out,
and positions are translated by :class:`PositionMap`. A keystroke then re-lays out one block
of at most a few thousand characters.

The soft-break property travels with the document's undo stack (block formats are restored
by undo). New blocks inherit the format of the block they split from, so the editor inserts
line breaks itself (Enter, pastes) with the property cleared: see
``note_editor.PlainTextEdit``.

Positions: Qt counts UTF-16 units and one unit for every block separator; notes store code
points (see :mod:`fieldapp.ui.textpos`). A :class:`PositionMap` is built once per document
revision from the blocks (not per coding), and answers each translation with a bisection.
"""

from __future__ import annotations

import bisect
import re

from PySide6.QtGui import QTextBlock, QTextBlockFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit

#: Block property: the separator before this block is a display break, not a line break.
SOFT_BREAK = 0x100F01
#: Paragraphs longer than this are shown in blocks of at most this many characters.
MAX_BLOCK = 2000
#: Where a long paragraph is preferably broken: after the end of a sentence.
_SENTENCE_END = re.compile(r"[。！？；…!?;.](?:[”’」』）)\"']*)\s*")
_SPACE = re.compile(r"\s+")

#: How many position maps were built (a test checks a save builds one, not one per coding).
builds = 0


def split_paragraph(paragraph: str, limit: int = MAX_BLOCK) -> list[int]:
    """Where to break ``paragraph`` for display: offsets (code points) of the starts of the
    pieces after the first. Pieces are at most ``limit`` long and at least a quarter of it."""
    cuts: list[int] = []
    start = 0
    n = len(paragraph)
    while n - start > limit:
        window = paragraph[start + limit // 4:start + limit]
        cut = 0
        for m in _SENTENCE_END.finditer(window):
            cut = m.end()
        if not cut:
            for m in _SPACE.finditer(window):
                cut = m.end()
        pos = start + limit // 4 + cut if cut else start + limit
        cuts.append(pos)
        start = pos
    return cuts


def display_pieces(text: str) -> tuple[list[str], list[int]]:
    """``text`` as display blocks: the blocks' texts and the numbers of the blocks that
    follow a soft break."""
    pieces: list[str] = []
    soft_blocks: list[int] = []
    for paragraph in text.split("\n"):
        last = 0
        for cut in split_paragraph(paragraph):
            pieces.append(paragraph[last:cut])
            last = cut
            soft_blocks.append(len(pieces))
        pieces.append(paragraph[last:])
    return pieces, soft_blocks


def load(edit: QPlainTextEdit, text: str) -> int:
    """Show ``text`` in ``edit`` (undo history cleared), long paragraphs in display blocks.
    Returns the number of soft breaks."""
    pieces, soft_blocks = display_pieces(text)
    edit.setPlainText("\n".join(pieces))
    if soft_blocks:
        doc = edit.document()
        fmt = QTextBlockFormat()
        fmt.setProperty(SOFT_BREAK, True)
        cursor = QTextCursor(doc)
        for number in soft_blocks:
            cursor.setPosition(doc.findBlockByNumber(number).position())
            cursor.mergeBlockFormat(fmt)
        doc.clearUndoRedoStacks()
    return len(soft_blocks)


def is_soft(block: QTextBlock) -> bool:
    return bool(block.blockFormat().property(SOFT_BREAK))


def count_soft(doc: QTextDocument) -> int:
    n = 0
    block = doc.firstBlock()
    while block.isValid():
        if is_soft(block):
            n += 1
        block = block.next()
    return n


def _utf16_extra(text: str) -> bool:
    return len(text.encode("utf-16-le")) != 2 * len(text)


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


class PositionMap:
    """The stored text of a document at one revision, and positions between Qt and it.

    Built from one ``toPlainText()`` call and a walk over the blocks that reads one integer
    per block (its format index), so building it for a 100,000-character note costs about a
    millisecond; the translations are bisections over the soft breaks and the characters
    beyond U+FFFF (each takes two Qt units), usually none of either."""

    def __init__(self, doc: QTextDocument, *, soft: bool = True) -> None:
        """``soft=False``: the caller knows the document holds no soft breaks (no walk)."""
        global builds
        builds += 1
        self.revision = doc.revision()
        display = doc.toPlainText()  # nbsp as a space, line separators as \n (as always)
        # Qt positions of the soft separators (the character before a soft block).
        soft_q: list[int] = []
        soft_formats: dict[int, bool] = {}
        block = doc.firstBlock().next() if soft else QTextBlock()
        while block.isValid():
            index = block.blockFormatIndex()
            marked = soft_formats.get(index)
            if marked is None:
                marked = soft_formats[index] = is_soft(block)
            if marked:
                soft_q.append(block.position() - 1)
            block = block.next()
        # Display indices (code points of ``display``) of astral characters.
        self._astral_d = [m.start() for m in _ASTRAL.finditer(display)] if _utf16_extra(
            display) else []
        self._astral_q = [d + k for k, d in enumerate(self._astral_d)]
        self._soft_d = [self._q_to_d(q) for q in soft_q]
        self._soft_s = [d - k for k, d in enumerate(self._soft_d)]
        if self._soft_d:
            parts, last = [], 0
            for d in self._soft_d:
                parts.append(display[last:d])
                last = d + 1
            parts.append(display[last:])
            self.text = "".join(parts)
        else:
            self.text = display

    def _q_to_d(self, q: int) -> int:
        return q - bisect.bisect_left(self._astral_q, q - 1) if self._astral_q else q

    def to_cp(self, pos: int) -> int:
        """Qt position -> code-point offset in the stored text."""
        d = self._q_to_d(max(0, pos))
        s = d - bisect.bisect_left(self._soft_d, d)
        return max(0, min(s, len(self.text)))

    def to_qt(self, cp: int, *, end: bool = False) -> int:
        """Code-point offset in the stored text -> Qt position. Where a soft break falls,
        the start of the next block, or for the ``end`` of a span the end of the previous."""
        s = max(0, min(cp, len(self.text)))
        if self._soft_s:
            s += (bisect.bisect_left if end else bisect.bisect_right)(self._soft_s, s)
        return s + bisect.bisect_left(self._astral_d, s) if self._astral_d else s
