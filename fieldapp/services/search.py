"""Search notes from anywhere: Chinese words of two or more characters, names, Traditional
spellings, full-width letters, English words and prefixes (see fieldapp.store.search)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fieldapp.services import records
from fieldapp.store.search import NoteFilter, count_matches, fold, parse_query, run_query
from fieldapp.store.workspace import Workspace


@dataclass(frozen=True)
class SearchFilters:
    """Narrow a search to notes coded with a code (or one of its sub-codes), to interviews of a
    site, and to interviews held between two dates (either may be left open)."""

    code_id: str = ""
    site: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return bool(self.code_id or self.site or self.date_from or self.date_to)


def _keep(ws: Workspace, filters: SearchFilters | None) -> NoteFilter | None:
    if not filters:
        return None
    interviews: set[str] | None = None
    if filters.site or filters.date_from or filters.date_to:
        interviews = set()
        for i in records.list_records(ws, "interview"):
            when = _date(i.get("date"))
            if filters.site and i.get("site") != filters.site:
                continue
            if filters.date_from and (when is None or when < filters.date_from):
                continue
            if filters.date_to and (when is None or when > filters.date_to):
                continue
            interviews.add(str(i["id"]))
    notes: set[str] | None = None
    if filters.code_id:
        codes = {filters.code_id}
        children: dict[str, list[str]] = {}
        for c in records.list_records(ws, "code"):
            children.setdefault(str(c.get("parent_id") or ""), []).append(str(c["id"]))
        todo = [filters.code_id]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in codes:
                    codes.add(child)
                    todo.append(child)
        notes = {str(c["note_id"]) for c in records.list_records(ws, "coding")
                 if c.get("code_id") in codes}

    def keep(note_id: str, interview_id: str) -> bool:
        return ((interviews is None or interview_id in interviews)
                and (notes is None or note_id in notes))

    return keep


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class SearchPage:
    """One page of results and how many notes match in all (``exact`` is False when the count
    is a lower bound: it stops at 10,000, and a one-character term is not counted ahead)."""

    results: list[SearchResult]
    total: int
    exact: bool


def search_page(ws: Workspace, text: str, limit: int = 50,
                filters: SearchFilters | None = None) -> SearchPage:
    keep = _keep(ws, filters)
    results = search(ws, text, limit, keep=keep)
    total, exact = count_matches(ws.db, text, keep)
    if not exact and total < len(results):
        total = len(results)
    return SearchPage(results, total, exact)


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


def search(ws: Workspace, text: str, limit: int = 50, *,
           keep: NoteFilter | None = None) -> list[SearchResult]:
    out = []
    interviews: dict[str, records.Record] = {}
    for hit in run_query(ws.db, text, limit, keep):
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


# -- idle-time indexing (see fieldapp.store.search: search stays exact meanwhile) --------------

def defer_indexing(ws: Workspace, defer: bool = True) -> None:
    """Let note saves leave re-indexing to :func:`index_pending` (the desktop, which runs it
    when the researcher pauses). The workspace finishes it before it closes."""
    ws.defer_index = defer


def index_pending(ws: Workspace, notes: int | None = 1) -> int:
    """Index up to ``notes`` notes saved since they were last indexed (all with None);
    returns how many are still waiting."""
    return ws.index_pending(notes)


def pending_index(ws: Workspace) -> int:
    """How many notes are saved but not yet indexed."""
    return ws.pending_index()
