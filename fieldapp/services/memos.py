"""Analytic memos: a researcher's own writing about the project, a code or an interview.

A memo is a record of its own (``memo`` in :mod:`fieldapp.domain.schema`), written through the
change log like every record, so it travels in bundles and merges like a note:

- it belongs to the device that wrote it (its *author*): only that device edits or deletes
  it; everyone it reaches (the coordinators) reads it. A change attempted elsewhere is refused
  with :class:`~fieldapp.store.errors.NotOwner`, here and in sync;
- a memo on an interview hangs off the interview through a cascading reference: a consent
  withdrawal that erases the interview erases its memos, on every device the order reaches;
- a code or an interview may have several memos; the project may have any number.

Search: memos are not in the note search index (:mod:`fieldapp.store.search`, whose rows are
notes). :func:`list_memos` with ``text`` scans the memo table and compares text folded with
the index's own folding function (:func:`fieldapp.services.search.fold_for_search`: NFKC
width, case, Traditional → Simplified), so ``愛滋`` finds ``艾滋`` in a memo as in a note. A
workspace holds hundreds of memos, not hundreds of thousands of notes: a scan answers at once.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from fieldapp.domain.schema import MEMO_SUBJECTS
from fieldapp.i18n import _
from fieldapp.services import records, team
from fieldapp.services.search import fold_for_search
from fieldapp.store.errors import InvalidInput, NotOwner
from fieldapp.store.workspace import Workspace

Record = dict[str, Any]


def _subject(ws: Workspace, about: str, code_id: str | None, interview_id: str | None
             ) -> dict[str, Any]:
    if about not in MEMO_SUBJECTS:
        raise InvalidInput(_("A memo is about the project, a code or an interview, not "
                             "{about}.").format(about=about))
    if about == "code":
        if not code_id:
            raise InvalidInput(_("Name the code this memo is about."))
        records.get(ws, "code", code_id)
        return {"about": about, "code_id": code_id, "interview_id": None}
    if about == "interview":
        if not interview_id:
            raise InvalidInput(_("Name the interview this memo is about."))
        records.get(ws, "interview", interview_id)
        return {"about": about, "code_id": None, "interview_id": interview_id}
    return {"about": about, "code_id": None, "interview_id": None}


def add_memo(ws: Workspace, *, about: str = "project", code_id: str | None = None,
             interview_id: str | None = None, title: str = "", body: str = "") -> str:
    """Write a new memo; it needs a title or some text."""
    values = _subject(ws, about, code_id, interview_id)
    if not (title.strip() or body.strip()):
        raise InvalidInput(_("A memo needs a title or some text; nothing was saved."))
    return records.create(ws, "memo", {**values, "title": title, "body": body})


def get_memo(ws: Workspace, memo_id: str) -> Record:
    return _describe(ws, records.get(ws, "memo", memo_id), team.member_names(ws))


def _mine(ws: Workspace, memo: Record) -> None:
    if memo["owner"] != ws.device_id:
        raise NotOwner("memo")


def save_memo(ws: Workspace, memo_id: str, *, title: str | None = None,
              body: str | None = None) -> bool:
    """Autosave and edit: record what changed. Returns whether anything was written.

    Only the author's device may change a memo (checked before anything is written)."""
    memo = records.get(ws, "memo", memo_id)
    _mine(ws, memo)
    changes: dict[str, Any] = {}
    if title is not None and title != (memo["title"] or ""):
        changes["title"] = title
    if body is not None and body != (memo["body"] or ""):
        changes["body"] = body
    if not changes:
        return False
    ws.update("memo", memo_id, changes)
    return True


def delete_memo(ws: Workspace, memo_id: str) -> None:
    memo = records.get(ws, "memo", memo_id)
    _mine(ws, memo)
    ws.delete("memo", memo_id)


def _describe(ws: Workspace, memo: Record, names: dict[str, str],
              interviews: dict[str, str] | None = None) -> Record:
    """The memo plus what a list shows: who wrote it, the interview's code, the code's names,
    and whether this device may edit it."""
    out = dict(memo)
    owner = str(memo.get("owner") or "")
    out["author"] = names.get(owner) or owner[:8]
    out["mine"] = owner == ws.device_id
    out["interview_code"] = ""
    out["code_name_zh"] = out["code_name_en"] = ""
    if memo.get("interview_id"):
        if interviews is not None:
            out["interview_code"] = interviews.get(memo["interview_id"], "")
        else:
            interview = records.find(ws, "interview", memo["interview_id"])
            out["interview_code"] = str((interview or {}).get("code") or "")
    if memo.get("code_id"):
        code = records.find(ws, "code", memo["code_id"]) or {}
        out["code_name_zh"] = str(code.get("name_zh") or "")
        out["code_name_en"] = str(code.get("name_en") or "")
    return out


#: Folded memo text per open workspace: memo id -> (updated_hlc, folded title and body).
#: Folding (OpenCC's phrase conversion above all) costs about a millisecond per thousand
#: characters, so each memo is folded once per change rather than on every keystroke of a
#: search. Held only as long as the Workspace object lives (a lock closes and drops it).
_FOLDED: weakref.WeakKeyDictionary[Workspace, dict[str, tuple[str, str]]] = (
    weakref.WeakKeyDictionary())


def _folded(memo: Record, cache: dict[str, tuple[str, str]] | None = None) -> str:
    key = str(memo.get("updated_hlc") or "")
    if cache is not None:
        hit = cache.get(str(memo["id"]))
        if hit is not None and hit[0] == key:
            return hit[1]
    folded = fold_for_search(f"{memo.get('title') or ''}\n{memo.get('body') or ''}")
    if cache is not None:
        cache[str(memo["id"])] = (key, folded)
    return folded


def matches(memo: Record, text: str, cache: dict[str, tuple[str, str]] | None = None, *,
            words: list[str] | None = None) -> bool:
    """Whether every word of ``text`` is in the memo's title or body, both folded alike
    (``words``: the query already folded and split)."""
    words = fold_for_search(text).split() if words is None else words
    if not words:
        return False
    hay = _folded(memo, cache)
    return all(w in hay for w in words)


def list_memos(ws: Workspace, *, about: str | None = None, code_id: str | None = None,
               interview_id: str | None = None, text: str = "", author: str | None = None
               ) -> list[Record]:
    """Memos, newest change first, filtered by subject, code, interview, words and author
    (a device id or the author's name)."""
    if about is not None and about not in MEMO_SUBJECTS:
        raise InvalidInput(_("A memo is about the project, a code or an interview, not "
                             "{about}.").format(about=about))
    where: dict[str, Any] = {}
    if about:
        where["about"] = about
    if code_id:
        where["code_id"] = code_id
    if interview_id:
        where["interview_id"] = interview_id
    names = team.member_names(ws)
    interviews = {str(i["id"]): str(i.get("code") or "")
                  for i in records.list_records(ws, "interview")}
    out = []
    cache = _FOLDED.setdefault(ws, {})
    found = records.list_records(ws, "memo", where=where, order_by="updated_hlc")
    if not where:
        live = {str(m["id"]) for m in found}
        for gone in [k for k in cache if k not in live]:
            del cache[gone]  # deleted or erased memos leave the cache too
    words = fold_for_search(text).split()
    for memo in found:
        if words and not matches(memo, text, cache, words=words):
            continue
        described = _describe(ws, memo, names, interviews)
        if author and author not in (memo["owner"], described["author"]):
            continue
        out.append(described)
    out.reverse()
    return out


@dataclass(frozen=True)
class MemoHit:
    """A memo found by workspace search, with a piece of text around the first match."""

    memo_id: str
    about: str
    title: str
    snippet: str
    interview_id: str
    interview_code: str
    code_id: str


def _snippet(text: str, query: str, width: int = 60) -> str:
    folded = fold_for_search(text)
    words = fold_for_search(query).split()
    at = min((folded.find(w) for w in words if folded.find(w) >= 0), default=0)
    # NFKC can change lengths (rarely: ligatures); positions are close enough for a preview.
    start = max(0, at - width // 3)
    piece = text[start:start + width].replace("\n", " ")
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def search_memos(ws: Workspace, text: str, limit: int = 50) -> list[MemoHit]:
    """Workspace search over memos (see the module's note on search)."""
    if not text.strip():
        return []
    hits = []
    for memo in list_memos(ws, text=text)[:limit]:
        body = str(memo.get("body") or "")
        hits.append(MemoHit(str(memo["id"]), str(memo["about"] or ""),
                            str(memo.get("title") or ""),
                            _snippet(body or str(memo.get("title") or ""), text),
                            str(memo.get("interview_id") or ""), memo["interview_code"],
                            str(memo.get("code_id") or "")))
    return hits


def subject_label(memo: Record, language: str = "") -> str:
    """What a memo is about, in words: "Project", "Code 信任", "Interview KM-HIV-I007"."""
    about = memo.get("about")
    if about == "code":
        name = memo.get("code_name_zh") if language.startswith("zh") else memo.get("code_name_en")
        name = name or memo.get("code_name_zh") or memo.get("code_name_en") or ""
        return _("Code {name}").format(name=name)
    if about == "interview":
        return _("Interview {code}").format(code=memo.get("interview_code") or "")
    return _("Project")


def find_code(ws: Workspace, name_or_id: str) -> str:
    """A code's id from its id or its Chinese or English name (for the command line)."""
    wanted = name_or_id.strip()
    if records.find(ws, "code", wanted):
        return wanted
    found = [c for c in records.list_records(ws, "code")
             if wanted and wanted in (c.get("name_zh"), c.get("name_en"))]
    if len(found) == 1:
        return str(found[0]["id"])
    if found:
        raise InvalidInput(_("More than one code is called {name}; give the code's id "
                             "instead.").format(name=wanted))
    raise InvalidInput(_("There is no code {name}. List the codebook with "
                         "`fieldapp record list WS code`.").format(name=wanted))


def find_interview(ws: Workspace, code_or_id: str) -> str:
    """An interview's id from its id or its code (``KM-HIV-I007``)."""
    wanted = code_or_id.strip()
    if records.find(ws, "interview", wanted):
        return wanted
    found = records.list_records(ws, "interview", where={"code": wanted}) if wanted else []
    if found:
        return str(found[0]["id"])
    raise InvalidInput(_("There is no interview {code}.").format(code=wanted))
