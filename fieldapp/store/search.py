"""Full-text search over notes that finds two-character Chinese words.

FTS5's own tokenizers cannot: ``unicode61`` makes a whole run of Han characters one token, and
``trigram`` cannot match a two-character query. Word segmenters (jieba) miss personal names. So we
tokenise ourselves and hand FTS5 a space-separated token stream:

* text is folded for the index only (stored notes are never changed): NFKC (full-width ``ＨＩＶ``
  becomes ``HIV``), case-folded, and Traditional Chinese converted to Simplified with OpenCC's
  ``tw2sp`` phrase tables (so ``愛滋病`` folds to ``艾滋病``, not merely ``爱滋病``);
* a run of CJK characters becomes its overlapping bigrams, framed by its first and last
  character (``艾滋病`` → ``艾 艾滋 滋病 病``); a query of two or more characters becomes a
  phrase of its bigrams, which matches exactly the documents that contain the run (the framing
  keeps a phrase from matching across two runs);
* other words stay words; a query word matches as a prefix (``consen`` finds ``consent``).

A single-character query cannot use bigrams and falls back to a scan of the notes.

The index is contentless (it keeps no copy of the text) and runs in FTS5's ``secure-delete``
mode: removing a note's entries (an edit, a delete, an erasure) takes them out of the index
pages at once instead of leaving them until a later merge. FTS5 can only do that when it is told
which tokens to remove, so every removal hands it the token stream of the text as it was
indexed (:func:`unindex`); the tokenizer's fingerprint is kept in ``meta`` and a change of it
rebuilds the index (:func:`rebuild`), so a removal never misses a token.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import opencc

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U00030000-\U0003134f"
)
_TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)", re.UNICODE)
_HAS_CJK = re.compile(f"[{_CJK}]")


@functools.lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("tw2sp")


#: Long texts are folded in pieces of about this many characters. Each piece is a few C calls
#: (NFKC, OpenCC) that hold the interpreter lock; between pieces the UI thread gets it, so
#: saving a 100,000-character transcript on the worker does not freeze the window for the
#: 100+ ms one call over the whole text takes.
FOLD_PIECE = 4096
_PIECE_END = re.compile(r"[\n。！？!?；;]")


def _pieces(text: str) -> list[str]:
    """``text`` cut after a line or sentence end (where neither NFKC nor OpenCC's phrases
    reach across), or failing that before a character that starts a grapheme."""
    out: list[str] = []
    start = 0
    while len(text) - start > FOLD_PIECE:
        end = start + FOLD_PIECE
        cut = 0
        for m in _PIECE_END.finditer(text, start + FOLD_PIECE // 2, end):
            cut = m.end()
        if not cut:
            cut = end
            while cut < len(text) and unicodedata.combining(text[cut]):
                cut += 1
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return out


#: Variant spellings of a word, read as the standard one (after Traditional → Simplified):
#: 愛滋病 is written 爱滋病 in Simplified by many, while the standard term is 艾滋病. Each
#: variant has the length of its standard word, so positions in folded text stay positions in
#: the original (find in the note relies on it).
VARIANT_WORDS = {"爱滋": "艾滋", "身分证": "身份证"}
assert all(len(k) == len(v) for k, v in VARIANT_WORDS.items())
_VARIANT_RE = re.compile("|".join(map(re.escape, VARIANT_WORDS)))


def _fold_piece(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    if _HAS_CJK.search(text):
        text = _VARIANT_RE.sub(lambda m: VARIANT_WORDS[m.group(0)], _converter().convert(text))
    return text


def fold(text: str) -> str:
    if len(text) <= FOLD_PIECE:
        return _fold_piece(text)
    return "".join(_fold_piece(piece) for piece in _pieces(text))


def tokens(text: str) -> list[str]:
    """Index tokens of ``text`` as FTS5 sees them (folding is applied here)."""
    return _FTS_SPLIT.findall(index_text(text)) if text else []


# The token stream is built with C-speed string operations only (no Python loop per character
# or per bigram): it is the largest cost of creating and saving notes.
_CJK_RUN_SPLIT = re.compile(f"([{_CJK}]+)")
_FTS_SPLIT = re.compile(r"[^\W_]+")
_PAIR = bytes(8) + " ".encode("utf-32-le")  # two UTF-32 characters and a space


def _bigram_stream(runs: list[str]) -> str:
    """The overlapping bigrams of every CJK run, each run framed by its first and last
    character on its own: ``["艾滋病", "好"]`` → ``" 艾 艾滋 滋病 病 好 好 "``.

    The framing characters keep runs apart: without them the last bigram of one run and the
    first of the next would stand at consecutive positions, and a phrase query could match
    across the gap (``艾滋，滋病`` would be found for ``艾滋病``). Built as UTF-32 by strided
    copies: pair *i* is characters *i* and *i+1* of ``" run run … "`` and a space."""
    if not runs:
        return ""
    framed = " " + " ".join(runs) + " "
    raw = framed.encode("utf-32-le")
    pairs = len(framed) - 1
    out = bytearray(_PAIR * pairs)
    for k in range(4):
        out[k::12] = raw[k:4 * pairs:4]
        out[4 + k::12] = raw[4 + k::4]
    return out.decode("utf-32-le")


def _stream(folded: str) -> str:
    parts = _CJK_RUN_SPLIT.split(folded)
    return _bigram_stream(parts[1::2]) + " ".join(parts[0::2])


def index_text(text: str) -> str:
    """The token stream FTS5 indexes for ``text``: the bigram stream of the folded text's CJK
    runs, then the rest of the folded text, which FTS5's ``unicode61`` tokenizer splits into
    words. (The index holds it cut into chunks, see :func:`entries`.)

    Only the order of bigrams within a run matters (phrase queries); words are matched one
    at a time, so they need not stand where they stood in the text."""
    return _stream(fold(text))


# -- chunks ------------------------------------------------------------------------------------
#
# A note is indexed as chunks of a few sentences, each its own FTS5 row, so that saving an edit
# re-indexes only the chunks whose text changed: removing a note's entries from an index of
# 100,000 notes in secure-delete mode costs in proportion to the tokens removed.
#
# Chunks end only after a sentence mark, which no CJK run and no word contains: every token, and
# every phrase a query can ask for, lies inside one chunk. Where a chunk ends depends only on the
# sentence before (a hash of it), not on positions, so an edit moves no boundary elsewhere.
# A chunk's FTS5 rowid is the note's rowid shifted left by ``CHUNK_BITS``, plus a number drawn
# from a hash of the chunk's text: the entries of a text can be computed from the text alone,
# which is what a removal in secure-delete mode needs, and nothing about chunks is stored.

CHUNK_BITS = 20
_CHUNK_MASK = (1 << CHUNK_BITS) - 1
#: The marks that end a sentence (no word and no run of Chinese characters holds one).
_MARKS = "。！？!?；;.\n"
_SENTENCE_END = re.compile(f"[{_MARKS}]+")
#: A chunk ends after a sentence whose last character's code is divisible by this (about one
#: sentence in 32: chunks of a thousand characters or so) …
#:
#: The size trades a save's catch-up against everything else. Every chunk is its own FTS5 row,
#: and a row costs an entry per distinct token it holds: chunks of a few hundred characters
#: (one sentence in eight, until tokenizer 5) repeated a note's common words in every row, and
#: made importing 20,000 notes spend 7.9 s in FTS5 where this size spends 5.4 s, and a search
#: walk twice the entries (p50 16.7 ms where this size takes 8.8 ms, at 60,000 notes).
#: Re-indexing an edit's chunk in idle time costs little more (p50 30 ms where it took 27 ms):
#: most of that is folding the note, whatever the chunk size.
_CUT_EVERY = 32
#: … or after the sentence that takes it past this many characters.
_CHUNK_MAX = 4000
#: Chunks per note at most: half the numbers a rowid has room for, so probing always ends.
_MAX_CHUNKS = 1 << (CHUNK_BITS - 1)


#: Where a chunk may end: a run of sentence marks after a character whose code is a multiple
#: of ``_CUT_EVERY``. A Basic Multilingual Plane character is tested by the expression itself
#: (a table of 2,000 characters that compiles in a few milliseconds); one beyond it by
#: :func:`_chunks`, as a table of every such character (35,000) takes 40 ms to compile and
#: the expression engine would look through it entry by entry. No sentence mark is itself a
#: multiple, so a match always starts a whole run of marks.
_CUT_AFTER = re.compile(
    f"[{_MARKS}](?<=["
    + "".join(re.escape(chr(c)) for c in range(0, 0x10000, _CUT_EVERY)
              if not 0xD800 <= c < 0xE000)
    + f"\U00010000-\U0010ffff][{_MARKS}])[{_MARKS}]*")
assert not any(ord(c) % _CUT_EVERY == 0 for c in _MARKS)


def _chunks(folded: str) -> list[str]:
    """``folded`` cut after each run of sentence marks that follows a character whose code is
    a multiple of ``_CUT_EVERY``, or failing that after the run that takes a chunk past
    ``_CHUNK_MAX`` characters (see :func:`_chunks_reference`, the same rule run by one Python
    step per sentence: a fifth of the time of creating notes went there). Candidates are
    found by :data:`_CUT_AFTER`, in C; a chunk whose next candidate lies beyond ``_CHUNK_MAX``
    ends instead at the first run of marks that reaches it."""
    out: list[str] = []
    start = 0
    limit = len(folded)
    search = _CUT_AFTER.search
    while start < limit:
        m = search(folded, start)
        while m is not None and ord(folded[m.start() - 1]) % _CUT_EVERY:
            m = search(folded, m.end())  # beyond the Multilingual Plane and not a multiple
        if m is not None and m.end() - start < _CHUNK_MAX:
            end = m.end()
        else:
            # The first run of marks with a character at or past start + _CHUNK_MAX - 1 (a
            # run found from inside ends where the whole run ends): it ends at or before
            # any candidate beyond the limit, and every run before it ends short of it.
            reach = _SENTENCE_END.search(folded, start + _CHUNK_MAX - 1)
            if reach is None:
                break
            end = reach.end()
        out.append(folded[start:end])
        start = end
    if start < limit:
        out.append(folded[start:])
    return _at_most_max(out)


def _chunks_reference(folded: str) -> list[str]:
    """:func:`_chunks` one sentence at a time: the rule as written, which the tests compare
    the fast path with."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(folded):
        end = m.end()
        before = m.start() - 1
        if (before >= 0 and ord(folded[before]) % _CUT_EVERY == 0) or end - start >= _CHUNK_MAX:
            out.append(folded[start:end])
            start = end
    if start < len(folded):
        out.append(folded[start:])
    return _at_most_max(out)


def _at_most_max(out: list[str]) -> list[str]:
    if len(out) > _MAX_CHUNKS:  # a note of millions of characters: fewer, longer chunks
        size = -(-len(out) // _MAX_CHUNKS)
        out = ["".join(out[i:i + size]) for i in range(0, len(out), size)]
    return out


def entries(rowid: int, text: str) -> dict[int, str]:
    """The index rows of a note's text: {FTS5 rowid: token stream}, one per chunk that holds
    any token."""
    out: dict[int, str] = {}
    base = rowid << CHUNK_BITS
    seen: set[str] = set()
    for chunk in _chunks(fold(text)):
        if chunk in seen:
            # A chunk repeated word for word adds nothing a search could find, and would give
            # each repeat its own probe from the same hash: one row holds them all.
            continue
        seen.add(chunk)
        stream = _stream(chunk)
        if not stream.strip():
            continue
        k = zlib.crc32(chunk.encode("utf-8")) & _CHUNK_MASK
        while base | k in out:
            k = (k + 1) & _CHUNK_MASK
        out[base | k] = stream
    if not out and text:
        out[base] = ""  # a note with no token is still in the index (``fieldapp check``)
    return out


def note_rowid(entry_rowid: int) -> int:
    """The note an index row belongs to."""
    return entry_rowid >> CHUNK_BITS


#: Bump when :func:`index_text` changes what it produces for the same text.
TOKENIZER_VERSION = "6"
_PROBE = ("愛滋病 艾滋病 爱滋。登記註冊！ＨＩＶ Ünïcödé consent. 𠮷野家；欧阳娜娜? 13912345678\n"
          * 3)


def tokenizer_fingerprint() -> str:
    """Identifies the token streams :func:`index_text` produces (our code and OpenCC's tables).
    Stored with the index: when it changes, the index is rebuilt, because a removal that
    hands FTS5 different tokens from those indexed would leave the old ones behind."""
    probe = repr(sorted(entries(1, _PROBE).items())).encode("utf-8")
    return f"{TOKENIZER_VERSION}:{hashlib.sha256(probe).hexdigest()[:16]}"


_INSERT = "INSERT INTO search_index (rowid, tokens) VALUES (?, ?)"
_DELETE = "INSERT INTO search_index (search_index, rowid, tokens) VALUES ('delete', ?, ?)"


def index(conn: Any, rowid: int, text: str) -> None:
    """Add a note's text (title and body joined) to the index under the note's rowid."""
    if text:
        conn.executemany(_INSERT, entries(rowid, text).items())


def index_many(conn: Any, items: Iterable[tuple[int, str]]) -> None:
    """:func:`index` for many (rowid, text) pairs in one statement."""
    conn.executemany(_INSERT, (e for rowid, text in items if text
                               for e in entries(rowid, text).items()))


def unindex(conn: Any, rowid: int, text: str) -> None:
    """Remove what :func:`index` added for ``text``. In secure-delete mode FTS5 takes the
    entries out of the index pages now; with a contentless index it needs the tokens."""
    if text:
        conn.executemany(_DELETE, entries(rowid, text).items())


def reindex(conn: Any, rowid: int, old: str, new: str) -> None:
    """Change a note's entries from those of ``old`` to those of ``new``: only the chunks
    whose text changed are removed and added."""
    removed, added = _changed_entries(rowid, old, new)
    conn.executemany(_DELETE, removed)
    conn.executemany(_INSERT, added)


def _changed_entries(rowid: int, old: str, new: str
                     ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The entries of note ``rowid`` that a change from ``old`` to ``new`` removes and adds:
    those of the chunks whose text changed."""
    before, after = entries(rowid, old), entries(rowid, new)
    return ([(r, t) for r, t in before.items() if after.get(r) != t],
            [(r, t) for r, t in after.items() if before.get(r) != t])


# -- idle-time indexing ------------------------------------------------------------------------
#
# On the desktop a note save does not re-index the note inside its transaction: it records in
# ``search_pending`` (same transaction) that the note's entries are stale, with the text the
# index holds for it (``held``), and :func:`catch_up` brings the entries up to date later, when
# the researcher pauses, and always before the key is dropped. In between, searches read the
# index for every other note and answer for the stale ones from an in-memory index of their
# current text (:func:`_fresh_overlay`): built by the same code, queried by the same MATCH
# expressions, so results equal those of a fully indexed workspace.

#: The tokenizer the index is declared with (migration 0003); the in-memory overlay of stale
#: notes is declared with the same.
INDEX_TOKENIZE = "unicode61 remove_diacritics 2"


def has_pending_table(conn: Any) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                        "AND name = 'search_pending'").fetchone() is not None


def mark_stale(conn: Any, rowid: int, held: str) -> None:
    """Record that note ``rowid``'s entries are stale; the index holds those of ``held``.
    A note already recorded keeps its first ``held``: the index has not changed since."""
    conn.execute("INSERT OR IGNORE INTO search_pending (note_rowid, held) VALUES (?, ?)",
                 (rowid, held))


def clear_stale(conn: Any, *rowids: int) -> None:
    conn.executemany("DELETE FROM search_pending WHERE note_rowid = ?",
                     [(rowid,) for rowid in rowids])


def _current_text(deleted: Any, title: str | None, body: str | None) -> str:
    return "" if deleted is None or deleted else indexed_text(title, body)


def stale_notes(conn: Any, limit: int | None = None) -> list[int]:
    """Rowids of the notes whose entries are stale (oldest rowid first)."""
    if not has_pending_table(conn):
        return []
    sql = "SELECT note_rowid FROM search_pending ORDER BY note_rowid"
    if limit is not None:
        return [int(r[0]) for r in conn.execute(sql + " LIMIT ?", (limit,))]
    return [int(r[0]) for r in conn.execute(sql)]


def catch_up(conn: Any, rowids: Iterable[int]) -> int:
    """Bring the entries of the stale notes ``rowids`` up to date (in the caller's
    transaction): the chunks of the held text that changed are removed (secure-delete: out of
    the index pages), those of the current text added, and the pending record — which holds
    the old text — deleted. Returns how many notes were caught up.

    Every note's removals go before any note's additions, and the additions in order: FTS5
    writes a segment when a removal follows an addition, and each later removal looks its
    words up in every segment, so a note at a time made catching up many notes grow faster
    than their number (tests/unit/test_bulk_scaling.py)."""
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []
    caught: list[int] = []
    for rowid in dict.fromkeys(rowids):  # each note once, however often it is named
        row = conn.execute(
            "SELECT p.held, n.deleted, n.title, n.body FROM search_pending p LEFT JOIN note n "
            "ON n.rowid = p.note_rowid WHERE p.note_rowid = ?", (rowid,)).fetchone()
        if row is None:
            continue
        held, current = str(row[0]), _current_text(row[1], row[2], row[3])
        if held != current:
            gone, new = _changed_entries(rowid, held, current)
            removed += gone
            added += new
        caught.append(rowid)
    conn.executemany(_DELETE, removed)
    conn.executemany(_INSERT, sorted(added))
    clear_stale(conn, *caught)
    return len(caught)


_FRESH = "search_fresh"


def _fresh_overlay(conn: Any) -> set[int]:
    """The stale notes, with ``temp.search_fresh`` (in memory: ``temp_store = MEMORY``)
    holding the entries of their current text. Kept between searches on the connection and
    updated only for notes whose text changed since (a digest per note)."""
    if not has_pending_table(conn):
        return set()
    rows = conn.execute(
        "SELECT p.note_rowid, n.deleted, n.title, n.body FROM search_pending p "
        "LEFT JOIN note n ON n.rowid = p.note_rowid").fetchall()
    if not rows and conn.execute("SELECT 1 FROM temp.sqlite_master WHERE name = ?",
                                 (_FRESH,)).fetchone() is None:
        return set()
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_FRESH} USING fts5(tokens, "
                 f"tokenize='{INDEX_TOKENIZE}')")
    conn.execute(f"CREATE TABLE IF NOT EXISTS temp.{_FRESH}_notes "
                 "(note_rowid INTEGER PRIMARY KEY, digest BLOB)")
    have = {int(r): bytes(d) for r, d in conn.execute(
        f"SELECT note_rowid, digest FROM temp.{_FRESH}_notes")}
    want: dict[int, tuple[bytes, str]] = {}
    for rowid, deleted, title, body in rows:
        text = _current_text(deleted, title, body)
        want[int(rowid)] = (hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest(),
                            text)
    for rowid, digest in have.items():
        if want.get(rowid, (b"",))[0] != digest:
            conn.execute(f"DELETE FROM temp.{_FRESH} WHERE rowid BETWEEN ? AND ?",
                         (rowid << CHUNK_BITS, (rowid << CHUNK_BITS) | _CHUNK_MASK))
            conn.execute(f"DELETE FROM temp.{_FRESH}_notes WHERE note_rowid = ?", (rowid,))
    for rowid, (digest, text) in want.items():
        if have.get(rowid) != digest:
            conn.executemany(f"INSERT INTO temp.{_FRESH} (rowid, tokens) VALUES (?, ?)",
                             entries(rowid, text).items() if text else ())
            conn.execute(f"INSERT INTO temp.{_FRESH}_notes (note_rowid, digest) VALUES (?, ?)",
                         (rowid, digest))
    return set(want)


def indexed_notes(conn: Any) -> set[int]:
    """The rowids of the notes the index holds entries for."""
    return {note_rowid(r[0]) for r in conn.execute("SELECT rowid FROM search_index")}


def indexed_text(title: str | None, body: str | None) -> str:
    """The text of a note as the index holds it."""
    return "\n".join(t for t in (title, body) if t)


#: FTS5 keeps this many bytes of new entries in memory before writing them as a segment:
#: a batch of 20,000 notes becomes a few segments rather than dozens.
HASH_BYTES = 16 << 20


def configure(conn: Any) -> None:
    """The index's settings (kept in the index, so set once, at :func:`rebuild`):
    secure-delete; no automatic merging inside a save's COMMIT — FTS5's crisis merge (16
    segments on one level) still bounds how many segments a query walks; a larger buffer."""
    for key, value in (("secure-delete", 1), ("automerge", 0), ("hashsize", HASH_BYTES)):
        conn.execute("INSERT INTO search_index (search_index, rank) VALUES (?, ?)", (key, value))


def rebuild(conn: Any) -> int:
    """Empty the index and index every live note again (in the caller's transaction).
    Returns how many notes were indexed."""
    conn.execute("INSERT INTO search_index (search_index) VALUES ('delete-all')")
    configure(conn)
    if has_pending_table(conn):
        conn.execute("DELETE FROM search_pending")
    rows = conn.execute("SELECT rowid, title, body FROM note WHERE deleted = 0").fetchall()
    items = [(rowid, indexed_text(title, body)) for rowid, title, body in rows]
    index_many(conn, items)
    return sum(1 for _rowid, text in items if text)


#: A batch of this many notes is an import, after which the index is compacted.
IMPORT_NOTES = 1000


def compact(conn: Any) -> None:
    """Rewrite the whole index as one segment. Secure-delete already removed the entries of
    deleted text from the index pages; this also rewrites the page directory, which may still
    hold a prefix of a word that was the first on a page."""
    conn.execute("INSERT INTO search_index (search_index) VALUES ('optimize')")


def removes_text(old: str, new: str) -> bool:
    """Whether going from ``old`` to ``new`` removed or replaced any text (as opposed to only
    inserting text at one place: typing). Cheap even for long notes."""
    if not old:
        return False
    if len(new) < len(old):
        return True
    # The longest common prefix, by halving (string slices compare at C speed).
    lo, hi = 0, len(old)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if new[:mid] == old[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return not new.endswith(old[lo:])


@dataclass(frozen=True)
class Query:
    """A parsed query: the FTS5 MATCH expression, or None when only a scan can answer it."""

    match: str | None
    scan_terms: tuple[str, ...]
    highlight_terms: tuple[str, ...]
    #: one MATCH expression per term (a note must match each, in any of its chunks)
    terms: tuple[str, ...] = ()


def parse_query(text: str) -> Query:
    parts: list[str] = []
    scan: list[str] = []
    highlight: list[str] = []
    for cjk, word in _TOKEN_RE.findall(fold(text)):
        if cjk:
            highlight.append(cjk)
            if len(cjk) == 1:
                scan.append(cjk)
            else:
                bigrams = " ".join(cjk[i:i + 2] for i in range(len(cjk) - 1))
                parts.append(f'"{bigrams}"')
        else:
            highlight.append(word)
            parts.append(f'"{word}" *')
    return Query(" AND ".join(parts) if parts else None, tuple(scan), tuple(highlight),
                 tuple(parts))


def snippet(text: str, terms: tuple[str, ...], width: int = 60) -> tuple[str, int, int]:
    """A window of ``text`` around the first term found, and the term's span within ``text``.

    Matching is done on the folded text; where folding kept every character's length (nearly
    always) positions map back one to one, otherwise the snippet starts at the beginning.
    Returns (snippet, start, end) with start/end as code-point offsets into ``text`` (-1 if none).
    """
    start = end = -1
    lowered = text.lower()
    if len(lowered) == len(text):
        # The common case: the term stands in the text as typed (up to case).
        found = [(p, p + len(t)) for t in terms if (p := lowered.find(t)) >= 0]
        if found:
            start, end = min(found)
    folded = fold(text) if start < 0 else text
    if start < 0 and len(folded) == len(text):
        best = None
        for term in terms:
            pos = folded.find(term)
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, pos + len(term))
        if best:
            start, end = best
    if start < 0:
        return (text[:width].replace("\n", " "), -1, -1)
    left = max(0, start - width // 2)
    right = min(len(text), end + width // 2)
    piece = text[left:right].replace("\n", " ")
    return (("…" if left else "") + piece + ("…" if right < len(text) else ""), start, end)


@dataclass(frozen=True)
class Hit:
    note_id: str
    interview_id: str
    kind: str
    title: str
    snippet: str
    start: int
    end: int


_NOTE_COLUMNS = ("SELECT rowid, id, coalesce(interview_id, ''), coalesce(kind, ''), "
                 "coalesce(title, ''), coalesce(body, '') FROM note ")


_PREFIX_TERMS = 64
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _expand_prefix(conn: Any, term: str) -> str:
    """``"word" *`` as ``"word" OR "words" OR …`` over the words the index holds.

    FTS5 answers a prefix query by merging the whole doclist of every word with the prefix
    before it returns the first row; an OR of plain words is walked lazily, newest first, and
    stops at the limit. The words longer than ``word`` come from the index's vocabulary (which
    counts the entries of each word it returns, so ``word`` itself, usually the commonest, is
    left out of the lookup). A short prefix of many words stays a prefix query."""
    word = term[1:term.index('"', 1)]
    if not term.endswith("*") or not _ASCII_WORD.fullmatch(word):
        return term
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab "
                 "USING fts5vocab(main, search_index, row)")
    longer = [r[0] for r in conn.execute(
        "SELECT term FROM temp.search_vocab WHERE term > ? AND term < ? LIMIT ?",
        (word, word + "\U0010ffff", _PREFIX_TERMS + 1))]
    if len(longer) > _PREFIX_TERMS:
        return term
    return " OR ".join(f'"{w}"' for w in [word, *longer])


def _matching(conn: Any, terms: list[str], table: str = "search_index",
              schema: str = "main") -> Iterator[int]:
    """Rowids of the notes that match every term (each in any of the note's chunks) in
    ``table``, from the newest note down, read lazily."""
    if len(terms) == 1:
        last = -1
        for (rowid,) in conn.execute(f"SELECT rowid FROM {schema}.{table} WHERE {table} "
                                     "MATCH ? ORDER BY rowid DESC", (terms[0],)):
            note = note_rowid(rowid)
            if note != last:
                last = note
                yield note
        return

    def seek(term: str, upto: int) -> int | None:
        """The newest note at or below ``upto`` that matches ``term``."""
        row = conn.execute(f"SELECT rowid FROM {schema}.{table} WHERE {table} MATCH ? "
                           "AND rowid <= ? ORDER BY rowid DESC LIMIT 1",
                           (term, (upto << CHUNK_BITS) | _CHUNK_MASK)).fetchone()
        return None if row is None else note_rowid(row[0])

    candidate = seek(terms[0], (1 << 42))
    while candidate is not None:
        for term in terms:
            found = seek(term, candidate)
            if found is None:
                return
            if found != candidate:
                candidate = found
                break
        else:
            yield candidate
            candidate = seek(terms[0], candidate - 1) if candidate > 0 else None


def _notes_matching(conn: Any, terms: list[str]) -> Iterator[int]:
    """Rowids of the notes that match every term, newest first: from the index for every
    note whose entries are up to date, from the overlay of their current text for the stale
    ones (see :func:`_fresh_overlay`)."""
    stale = _fresh_overlay(conn)
    indexed = _matching(conn, [_expand_prefix(conn, t) for t in terms])
    if not stale:
        yield from indexed
        return
    # A prefix term is not expanded for the overlay: its words are not in the index's
    # vocabulary, and the prefix query means the same.
    yield from heapq.merge((r for r in indexed if r not in stale),
                           _matching(conn, terms, _FRESH, "temp"), reverse=True)


#: Which notes a search keeps: called with a note's id and its interview's id.
NoteFilter = Callable[[str, str], bool]


def count_matches(conn: Any, text: str, keep: NoteFilter | None = None,
                  cap: int = 10_000) -> tuple[int, bool]:
    """How many notes match ``text`` (and ``keep``), and whether that count is exact: counting
    stops at ``cap``, and a query with a one-character term would have to read every note, so
    it is not counted beyond what the search itself found (``(0, False)``)."""
    q = parse_query(text)
    if not q.terms or q.scan_terms:
        return 0, False
    notes = _notes_matching(conn, list(q.terms))
    counted = 0
    while counted < cap:
        batch = list(itertools.islice(notes, 500))
        if not batch:
            return counted, True
        marks = ",".join("?" * len(batch))
        for nid, interview_id in conn.execute(
                f"SELECT id, interview_id FROM note WHERE deleted = 0 AND rowid IN ({marks})",
                batch):
            if keep is None or keep(nid, interview_id):
                counted += 1
    return cap, False


def run_query(conn: Any, text: str, limit: int = 50,
              keep: NoteFilter | None = None) -> list[Hit]:
    """Notes matching ``text`` (every term must match), newest notes first.

    Newest first (by rowid) rather than by BM25 rank: FTS5 walks its doclists in rowid order and
    stops at the limit, while ranking must score every match — 8,000 matches of a common word
    cost 40 ms to rank and 2 ms to walk. For field notes, recency is also what people expect.
    A note matches when each term is found in one of its chunks; the notes' text is read only
    for the notes shown (and, for one-character terms, checked)."""
    q = parse_query(text)
    if q.match is None and not q.scan_terms:
        return []
    rows: list[tuple[int, str, str, str, str, str]] = []
    if q.terms:
        # Read only the notes shown: reading every matching note's text would cost a page
        # decryption per match.
        notes = _notes_matching(conn, list(q.terms))
        while len(rows) < limit:
            batch = list(itertools.islice(notes, limit if not q.scan_terms else 200))
            if not batch:
                break
            marks = ",".join("?" * len(batch))
            found = {row[0]: row for row in conn.execute(
                _NOTE_COLUMNS + f"WHERE deleted = 0 AND rowid IN ({marks})", batch)}
            for rowid in batch:
                row = found.get(rowid)
                if row is not None and (keep is None or keep(row[1], row[2])) and all(
                        t in fold(row[4] + "\n" + row[5]) for t in q.scan_terms):
                    rows.append(row)
        rows = rows[:limit]
    else:
        # One character cannot use the bigram index: scan, folding each note like the index.
        for row in conn.execute(_NOTE_COLUMNS + "WHERE deleted = 0 ORDER BY updated_hlc DESC"):
            if (keep is None or keep(row[1], row[2])) and all(
                    t in fold(row[4] + "\n" + row[5]) for t in q.scan_terms):
                rows.append(row)
                if len(rows) >= limit:
                    break
    hits = []
    for _rowid, nid, interview_id, kind, title, body in rows:
        snip, start, end = snippet(body, q.highlight_terms)
        hits.append(Hit(nid, interview_id, kind, title, snip, start, end))
    return hits
