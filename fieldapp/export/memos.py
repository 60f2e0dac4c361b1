"""Memos in exports: a "memos" sheet (xlsx, CSV) and REFI-QDA ``<Note>``\\s.

What consent allows (the choice made, and why):

- A memo on an interview follows its interview: if the interview is absent from the export
  (a participant withdrew, or the filters leave it out), so are its memos.
- A memo is the researcher's own words, but a memo on an interview very often quotes it. So
  its title and text follow the interview's verbatim-quote consent exactly like the
  interview's notes: without it they are left out and the row is flagged ``withheld``.
- Memos on the project and on codes are the researchers' analysis and go out whole.
- In every memo, the identity vault's values and the names of organisations that may not be
  named are masked like any free text (the sheet's text columns are ``free`` columns, which
  the export's :class:`~fieldapp.export.cells.Redactor` masks; the REFI-QDA notes are masked
  here with the same redactor).

In REFI-QDA (``Project.xsd``), memos are the project's ``<Notes>``: a ``<Note>`` with the memo's
text as ``PlainTextContent``; a code refers to its memos with ``<NoteRef>`` (after its
``<Description>``, before its child codes), every text source of an interview refers to the
interview's memos, and the project refers to its project memos (``<NoteRef>`` at the end).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fieldapp.export.consent import Selection, hlc_datetime
from fieldapp.export.sheets_survey import LOCAL_OFFSET
from fieldapp.export.table import Row, Table, sheet_title
from fieldapp.export.vocab import Vocab
from fieldapp.i18n import N_

Record = dict[str, Any]
SUBJECTS = {"project": N_("Project"), "code": N_("Code"), "interview": N_("Interview")}


def select_memos(memos: list[Record], sel: Selection) -> list[Record]:
    """The memos an export may hold: interview memos only with their interview."""
    kept = {i["id"] for i in sel.interviews}
    out = []
    for m in memos:
        about = m.get("about")
        if about == "interview":
            if m.get("interview_id") in kept:
                out.append(m)
        elif about in ("project", "code"):
            out.append(m)
    return out


def quotable(memo: Record, sel: Selection) -> bool:
    return memo.get("about") != "interview" or memo.get("interview_id") in sel.quotable


def memos_table(memos: list[Record], sel: Selection, v: Vocab, used: set[str]) -> Table:
    c = v.column
    columns = [
        c("memo_id", N_("Memo id")), c("about", N_("About")),
        c("code_id", N_("Code id")), c("code", N_("Code")),
        c("interview_id", N_("Interview id")), c("interview_code", N_("Interview code")),
        c("title", N_("Title"), free=True), c("body", N_("Text"), free=True),
        c("withheld", N_("Text left out (no verbatim-quote consent)"), "flag"),
        c("author", N_("Author")), c("created", N_("Written (UTC)"), "datetime"),
        c("updated", N_("Last changed (UTC)"), "datetime"),
        c("updated_local", N_("Last changed (China Standard Time, UTC+8)"), "datetime"),
    ]
    chosen = select_memos(memos, sel)

    def rows() -> Iterator[Row]:
        for m in chosen:
            ok = quotable(m, sel)
            updated = hlc_datetime(m.get("updated_hlc"))
            owner = str(m.get("owner") or "")
            yield [m["id"], v.tr(SUBJECTS.get(str(m.get("about")), N_("Project"))),
                   m.get("code_id") or None, v.code_name(m.get("code_id")) or None,
                   m.get("interview_id") or None,
                   v.interviews.get(str(m.get("interview_id") or "")) or None,
                   (m.get("title") or None) if ok else None,
                   (m.get("body") or None) if ok else None, 0 if ok else 1,
                   v.coders.get(owner) or owner or None, hlc_datetime(m.get("created_hlc")),
                   updated, updated + LOCAL_OFFSET if updated else None]

    return Table("memos", sheet_title(v.tr(N_("Memos")), used), columns, rows, len(chosen))


def withheld_memos(memos: list[Record], sel: Selection) -> int:
    return sum(1 for m in select_memos(memos, sel) if not quotable(m, sel)
               and (m.get("title") or m.get("body")))


# -- REFI-QDA ---------------------------------------------------------------------------------

class RefiMemos:
    """The memos a REFI-QDA project holds, and what refers to them, worked out before the
    project is streamed (``fieldapp.export.refi.ProjectBuilder.write`` places each part)."""

    def __init__(self, builder: Any) -> None:
        sel: Selection = builder.sel
        self.builder = builder
        self.chosen = [m for m in select_memos(list(builder.memos), sel) if quotable(m, sel)]
        self.by_code: dict[str, list[str]] = {}
        self.by_interview: dict[str, list[str]] = {}
        self.project: list[str] = []
        for m in self.chosen:
            if m.get("about") == "code" and m.get("code_id"):
                self.by_code.setdefault(str(m["code_id"]), []).append(m["id"])
            elif m.get("about") == "interview":
                self.by_interview.setdefault(str(m["interview_id"]), []).append(m["id"])
            elif m.get("about") == "project":
                self.project.append(m["id"])

    def owners(self) -> set[str]:
        return {str(m.get("owner") or "") for m in self.chosen}

    def notes(self) -> Iterator[Any]:
        """Each memo as a ``<Note>`` element."""
        from fieldapp.export.refi import _element, _sub, _when, guid

        builder = self.builder
        for m in self.chosen:
            owner = str(m.get("owner") or "")
            name = builder._text(str(m.get("title") or "")) or builder.v.tr(N_("Memo"))
            el = _element("Note", guid=m["id"], name=name, creatingUser=guid("coder", owner),
                          creationDateTime=_when(m.get("created_hlc")),
                          modifiedDateTime=_when(m.get("updated_hlc")))
            _sub(el, "PlainTextContent").text = builder._text(str(m.get("body") or ""))
            yield el
