"""Search notes from anywhere: Chinese words of two or more characters, names, Traditional
spellings, full-width letters, English words and prefixes (see fieldapp.store.search)."""

from __future__ import annotations

from dataclasses import dataclass

from fieldapp.services import records
from fieldapp.store.search import fold, parse_query, run_query
from fieldapp.store.workspace import Workspace


@dataclass(frozen=True)
class SearchResult:
    note_id: str
    note_kind: str
    note_title: str
    interview_id: str
    interview_code: str
    interview_title: str
    snippet: str
    start: int
    end: int


def search(ws: Workspace, text: str, limit: int = 50) -> list[SearchResult]:
    out = []
    interviews: dict[str, records.Record] = {}
    for hit in run_query(ws.db, text, limit):
        if hit.interview_id not in interviews:
            interviews[hit.interview_id] = records.find(ws, "interview", hit.interview_id) or {}
        interview = interviews[hit.interview_id]
        out.append(SearchResult(
            note_id=hit.note_id, note_kind=hit.kind, note_title=hit.title,
            interview_id=hit.interview_id, interview_code=interview.get("code") or "",
            interview_title=interview.get("title") or "", snippet=hit.snippet,
            start=hit.start, end=hit.end))
    return out


def fold_for_search(text: str) -> str:
    """``text`` folded the way the index folds it (width, case, Traditional → Simplified)."""
    return fold(text)


def highlight_terms(query: str) -> list[str]:
    """The folded terms of ``query`` to highlight in a snippet."""
    return list(parse_query(query).highlight_terms)
