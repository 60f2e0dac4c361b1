"""Applying the de-identification assistant's pseudonyms (:mod:`fieldapp.analysis.deidentify`)
to a note itself — what the desktop offers only after the researcher confirmed it.

A copy (a file) is made with :func:`fieldapp.services.analysis.deidentified_text`, which never
touches the note. Changing the note is different: codings point into it by offset, so

- it is refused while another researcher's codings point into the note (their offsets are
  theirs to change; replacing 王明 by KM-HIV-001 would move every passage after it);
- this device's codings are moved with the text, in the same transaction as the new text;
- the findings must still match the note word for word (the note may have changed since it
  was checked);
- the replaced words leave the workspace as any text edited out of a note does (the old
  value is hollowed out of the change log and the WAL folded back), and the audit log records
  how many were replaced, never what.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from pathlib import Path

from fieldapp.analysis.deidentify import Finding, apply
from fieldapp.i18n import _, ngettext
from fieldapp.services import records
from fieldapp.store.errors import InvalidInput, NotOwner, from_os_error
from fieldapp.store.workspace import Workspace


def moved_offset(pos: int, findings: Sequence[Finding], *, end: bool) -> int:
    """Where position ``pos`` of the old text is in the new one. A position inside a replaced
    identifier goes to the start of its replacement (a passage's start) or its end (a
    passage's end), so a coded passage keeps covering what replaced the identifier."""
    shift = 0
    for f in sorted(findings, key=lambda f: f.start):
        if pos <= f.start:
            break
        if pos >= f.end:
            shift += len(f.replacement) - (f.end - f.start)
            continue
        return f.start + shift + (len(f.replacement) if end else 0)
    return pos + shift


def apply_to_note(ws: Workspace, note_id: str, findings: Sequence[Finding]) -> int:
    """Replace ``findings`` in the note itself and move this device's codings with the text.
    Returns how many identifiers were replaced."""
    note = records.get(ws, "note", note_id)
    if note["owner"] != ws.device_id:
        raise NotOwner("note")
    body = str(note["body"] or "")
    chosen = sorted(findings, key=lambda f: f.start)
    for a, b in itertools.pairwise(chosen):
        if b.start < a.end:
            raise InvalidInput(_("Two of the chosen identifiers overlap; choose one of them."))
    for f in chosen:
        if body[f.start:f.end] != f.text:
            raise InvalidInput(_("The note changed since it was checked; check it again "
                                 "before replacing anything."))
    if not chosen:
        return 0
    codings = records.codings_of_note(ws, note_id)
    theirs = [c for c in codings if c["owner"] != ws.device_id]
    if theirs:
        raise InvalidInput(ngettext(
            "{n} coding by another researcher points into this note: replacing text would "
            "move it off its passage. Nothing was changed; make a de-identified copy instead.",
            "{n} codings by other researchers point into this note: replacing text would move "
            "them off their passages. Nothing was changed; make a de-identified copy instead.",
            len(theirs)).format(n=len(theirs)))
    new_body = apply(body, chosen)
    with ws.transaction():
        ws.write("note", note_id, {"body": new_body})
        for c in codings:
            start = moved_offset(int(c["start_offset"]), chosen, end=False)
            end = moved_offset(int(c["end_offset"]), chosen, end=True)
            if (start, end) != (c["start_offset"], c["end_offset"]) and end > start:
                ws.write("coding", c["id"], {"start_offset": start, "end_offset": end})
        ws.audit("note.pseudonymised", {"note_id": note_id, "replaced": len(chosen)},
                 in_transaction=True)
    return len(chosen)


def write_copy(ws: Workspace, note_id: str, findings: Sequence[Finding], path: Path) -> None:
    """Write the note's text with ``findings`` replaced to ``path`` (a UTF-8 text file the
    researcher chose), atomically: a hidden partial file renamed into place. The note is not
    changed; the copy is audited (how many were replaced, never what)."""
    from fieldapp.services.analysis import deidentified_text

    text = deidentified_text(ws, note_id, list(findings))
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise from_os_error(exc, str(path)) from None
