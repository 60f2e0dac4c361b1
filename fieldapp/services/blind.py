"""Blind double coding: assignments, release, and adjudication of disagreements.

A coordinator assigns a note to two coders (researchers' devices of the roster). What each
device holds is what the bundles bring it, and that is where the hiding happens:

* a researcher's bundle is encrypted to the coordinators only, so a coder's codings reach
  the coordinator and no other researcher;
* the coordinator's team bundle (:func:`fieldapp.services.sync.publish`), which every active
  device can decrypt, carries the shared records (assignments among them) and nothing of the
  assigned notes;
* beside it, the coordinator writes for each coder's device a *relay bundle*
  (``relay/<coordinator-id>/<tag>/`` in the store, the tag known to the two ends only),
  encrypted to that device, the coordinators and the escrow key only: the notes assigned to
  that device with their interview records (so a coder who did not write a note can code it),
  and the coders' codings on a note **only once a coordinator released its assignment**
  (:func:`relayed_ops`);
* a researcher's device reads the team bundles and the relay bundles addressed to it, and keeps
  of them only the notes assigned to it and, after the release, the codings on them
  (:func:`keep_received`); everything else is dropped.

Assignments and releases are operations on the shared ``assignment`` record, signed in the
coordinator's bundle. Only operations written by a coordinator's device count
(:func:`assignments` folds the log and ignores everyone else's), so a researcher who forges an
assignment or a release in their own bundle gets nothing relayed.

Adjudication (coordinator, after the release): for every code, each stretch of text where the
two coders' codings differ is a *disagreement*; the coordinator keeps the first coder's
passages, the second's, both, or neither. The decision is an ``adjudication`` record and the
kept text is coded again with ordinary codings by the adjudicator, so both travel like any
other change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fieldapp.analysis import agreement as agreement_mod
from fieldapp.analysis.segments import Span
from fieldapp.domain.ops import DELETED, Op
from fieldapp.i18n import _
from fieldapp.services import records, team
from fieldapp.store.errors import InvalidInput, NotFound
from fieldapp.store.workspace import Workspace

DECISIONS = ("a", "b", "both", "neither")
#: Records a relay bundle may carry from other devices for blind coding.
RELAYED = ("note", "interview", "coding")

Interval = tuple[int, int]


@dataclass(frozen=True)
class Assignment:
    id: str
    note_id: str
    coder_a: str
    coder_b: str
    released: bool = False
    assigned_by: str = ""
    assigned_at: str = ""
    released_at: str = ""

    def coders(self) -> tuple[str, str]:
        return (self.coder_a, self.coder_b)


@dataclass(frozen=True)
class Disagreement:
    assignment_id: str
    note_id: str
    code_id: str
    start: int
    end: int
    a_spans: tuple[Interval, ...]
    b_spans: tuple[Interval, ...]
    decision: str | None = None

    @property
    def key(self) -> str:
        return f"{self.code_id}:{self.start}-{self.end}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def is_coordinator(ws: Workspace) -> bool:
    return team.role(ws) == team.ROLE_COORDINATOR


def coordinator_devices(ws: Workspace) -> set[str]:
    """The device ids whose operations speak for a coordinator: every coordinator of the
    roster, the ids their workspaces write under (learnt from their signed manifests), and
    this device when it is a coordinator."""
    out: set[str] = set()
    try:
        current = team.roster(ws)
    except team.NotInTeam:
        return out
    ids = {c.coordinator_id for c in current.coordinators}
    out |= ids
    aliases = json.loads(ws.meta("sync.aliases") or "{}")
    out |= {str(d) for d, who in aliases.items() if who in ids}
    if is_coordinator(ws):
        out.add(ws.device_id)
    return out


def _fold(ops: list[Op], trusted: set[str]) -> dict[str, dict[str, Any]]:
    """Assignment records as the trusted devices' operations make them (latest clock wins per
    field; values hollowed by a later operation are skipped)."""
    state: dict[str, dict[str, Any]] = {}
    for op in sorted(ops, key=lambda o: (o.hlc, o.device, o.seq)):
        if op.entity != "assignment" or op.device not in trusted:
            continue
        rec = state.setdefault(op.entity_id, {})
        for key, value in op.values.items():
            if value is not None:
                rec[key] = value
    return state


def _to_assignments(state: dict[str, dict[str, Any]]) -> list[Assignment]:
    out = []
    for aid, rec in state.items():
        if rec.get(DELETED) or not rec.get("note_id") or not rec.get("coder_a") \
                or not rec.get("coder_b"):
            continue
        out.append(Assignment(aid, str(rec["note_id"]), str(rec["coder_a"]),
                              str(rec["coder_b"]), bool(rec.get("released")),
                              str(rec.get("assigned_by") or ""),
                              str(rec.get("assigned_at") or ""),
                              str(rec.get("released_at") or "")))
    return sorted(out, key=lambda a: (a.assigned_at, a.id))


def _assignment_ops(ws: Workspace, *, live_only: bool) -> tuple[list[Op], set[str]]:
    """The log's operations on assignment records, found through the records (the log is
    indexed by record, not by type: a search by type would read the whole log), and the ids
    of the live ones. With ``live_only``, only the live records' operations."""
    rows = records.list_records(ws, "assignment", include_deleted=True)
    live = {str(a["id"]) for a in rows if not a.get("deleted")}
    ids = live if live_only else {str(a["id"]) for a in rows}
    if not ids:
        return [], live
    return ws.ops(entities=("assignment",), entity_ids=frozenset(ids)), live


def assignments(ws: Workspace) -> list[Assignment]:
    """Every live assignment, as the coordinators made it (others' operations are ignored)."""
    ops, live = _assignment_ops(ws, live_only=True)
    return [a for a in _to_assignments(_fold(ops, coordinator_devices(ws))) if a.id in live]


def my_assignments(ws: Workspace) -> list[Assignment]:
    me = {ws.device_id, team.member_id(ws)}
    return [a for a in assignments(ws) if me & set(a.coders())]


def blind_notes(ws: Workspace) -> set[str]:
    """Notes this device codes blind right now (assigned to it, not released)."""
    return {a.note_id for a in my_assignments(ws) if not a.released}


# -- the coordinator's side ------------------------------------------------------------------

def eligible_coders(ws: Workspace) -> list[tuple[str, str]]:
    """(device id, researcher's name) of every active researcher's device of the roster."""
    try:
        current = team.roster(ws)
    except team.NotInTeam:
        return []
    return [(d.device_id, d.researcher) for d in current.devices
            if d.status.value == "active"]


def find_coder(ws: Workspace, name_or_id: str) -> str:
    wanted = name_or_id.strip().casefold()
    for device, name in eligible_coders(ws):
        if wanted in (device.casefold(), name.strip().casefold()) or (
                len(wanted) >= 6 and device.casefold().endswith(wanted)):
            return device
    raise InvalidInput(_("“{name}” is not an active researcher's device of the team roster; "
                         "blind coders are researchers (coordinators see every coding and "
                         "cannot code blind).").format(name=name_or_id))


def assign(ws: Workspace, note_id: str, coder_a: str, coder_b: str) -> str:
    """Assign a note to two coders for blind double coding; returns the assignment's id."""
    first, second = _coders(ws, coder_a, coder_b)
    records.get(ws, "note", note_id)
    if any(a.note_id == note_id for a in assignments(ws)):
        raise InvalidInput(_("This note is already assigned for blind coding."))
    return _assign(ws, note_id, first, second)


def _coders(ws: Workspace, coder_a: str, coder_b: str) -> tuple[str, str]:
    if not is_coordinator(ws):
        raise InvalidInput(_("Only a coordinator assigns notes for blind coding."))
    first, second = find_coder(ws, coder_a), find_coder(ws, coder_b)
    if first == second:
        raise InvalidInput(_("Choose two different coders."))
    return first, second


def _assign(ws: Workspace, note_id: str, first: str, second: str) -> str:
    aid = records.create(ws, "assignment", {
        "note_id": note_id, "coder_a": first, "coder_b": second, "released": False,
        "assigned_by": team.member_id(ws), "assigned_at": _now()})
    ws.audit("blind.assign", {"assignment": aid, "note_id": note_id})
    return aid


def assign_interview(ws: Workspace, interview_id: str, coder_a: str, coder_b: str) -> list[str]:
    """Assign every note of an interview not yet assigned; returns the new assignments.
    (The assignments are read once, not once per note: an interview imported as hundreds of
    notes took seconds, growing with the square of its notes.)"""
    first, second = _coders(ws, coder_a, coder_b)
    records.get(ws, "interview", interview_id)
    taken = {a.note_id for a in assignments(ws)}
    notes = [n for n in records.notes_of(ws, interview_id) if n["id"] not in taken]
    if not notes:
        raise InvalidInput(_("Every note of this interview is already assigned (or it has "
                             "none)."))
    return [_assign(ws, n["id"], first, second) for n in notes]


def release(ws: Workspace, note_id: str | None = None) -> int:
    """Release one note's assignment (or all, ``note_id=None``): the next publish carries each
    coder's codings on it to the other (in the coders' relay bundles). Returns how many were
    released."""
    if not is_coordinator(ws):
        raise InvalidInput(_("Only a coordinator releases blind codings."))
    chosen = [a for a in assignments(ws) if note_id is None or a.note_id == note_id]
    if note_id is not None and not chosen:
        raise InvalidInput(_("This note is not assigned for blind coding."))
    done = 0
    for a in chosen:
        if a.released:
            continue
        records.update(ws, "assignment", a.id, {"released": True, "released_at": _now()})
        done += 1
    ws.audit("blind.release", {"note_id": note_id or "*", "released": done})
    return done


# -- what travels -----------------------------------------------------------------------------

def relayed_ops(ws: Workspace) -> dict[str, list[Op]]:
    """What a coordinator relays for blind coding, by coder's device: the notes assigned to
    that device with their interviews, and the coders' (and adjudicators') codings on those of
    them that were released. Each device's share travels in a bundle encrypted to that device
    (and the coordinators) alone, never in the team bundle: a researcher who is not a coder of
    a note cannot decrypt it, not even with their own device key and the age tool."""
    current = assignments(ws)
    if not current:
        return {}
    trusted = coordinator_devices(ws)
    wanted: dict[str, set[str]] = {}
    for a in current:
        # The assignment itself too, so that each relay bundle says why its notes are there
        # even when it is read before the team bundle that carries the assignment.
        ids = {a.id, a.note_id}
        note = records.find(ws, "note", a.note_id)
        if note and note.get("interview_id"):
            ids.add(str(note["interview_id"]))
        if a.released:
            coders = set(a.coders())
            ids |= {c["id"] for c in records.list_records(ws, "coding",
                                                          where={"note_id": a.note_id},
                                                          include_deleted=True)
                    if c.get("owner") in coders or c.get("owner") in trusted}
        for coder in a.coders():
            wanted.setdefault(coder, set()).update(ids)
    return {coder: ws.ops(entities=(*RELAYED, "assignment"), entity_ids=frozenset(ids))
            for coder, ids in sorted(wanted.items())}


def keep_received(ws: Workspace, ops: list[Op], author_device: str) -> list[Op]:
    """What a researcher's device keeps of a coordinator's team or relay bundle: everything but
    other devices' notes, interviews and codings, which it keeps only for its own assignments
    (and codings only once released)."""
    me = {ws.device_id, team.member_id(ws)}
    trusted = coordinator_devices(ws) | {author_device}
    local, _live = _assignment_ops(ws, live_only=False)
    state = _fold(local + [o for o in ops if o.entity == "assignment"], trusted)
    mine = {a.note_id: a.released for a in _to_assignments(state) if me & set(a.coders())}
    interviews: set[str] = set()
    coding_note: dict[str, str] = {}
    for op in ops:
        if op.entity == "note" and op.entity_id in mine and op.values.get("interview_id"):
            interviews.add(str(op.values["interview_id"]))
        elif op.entity == "coding" and op.values.get("note_id"):
            coding_note[op.entity_id] = str(op.values["note_id"])
    for note_id in mine:
        note = records.find(ws, "note", note_id)
        if note and note.get("interview_id"):
            interviews.add(str(note["interview_id"]))

    def keep(op: Op) -> bool:
        if op.entity not in RELAYED or op.device in me:
            return True
        if op.entity == "note":
            return op.entity_id in mine
        if op.entity == "interview":
            return op.entity_id in interviews
        note_id = coding_note.get(op.entity_id)
        if note_id is None:
            row = ws.get_row("coding", op.entity_id)
            note_id = str(row["note_id"]) if row and row.get("note_id") else ""
        return bool(mine.get(note_id))

    return [op for op in ops if keep(op)]


# -- agreement and adjudication -----------------------------------------------------------------

def _assignment(ws: Workspace, assignment_id: str) -> Assignment:
    for a in assignments(ws):
        if a.id == assignment_id or a.note_id == assignment_id:
            return a
    raise NotFound(assignment_id)


def _spans(ws: Workspace, a: Assignment) -> tuple[list[Span], int]:
    note = records.get(ws, "note", a.note_id)
    length = len(note.get("body") or "")
    out = []
    for c in records.codings_of_note(ws, a.note_id):
        if c.get("owner") not in a.coders() or not c.get("code_id"):
            continue
        start = max(0, min(int(c["start_offset"] or 0), length))
        end = max(0, min(int(c["end_offset"] or 0), length))
        if end > start:
            out.append(Span(a.note_id, str(c["code_id"]), start, end, str(c["owner"]),
                            str(c["id"])))
    return out, length


def agreement_of(ws: Workspace, assignment_id: str, *, scope: str = "coded"
                 ) -> agreement_mod.Agreement:
    """Agreement of an assignment's two coders on its note, per code and overall."""
    a = _assignment(ws, assignment_id)
    spans, length = _spans(ws, a)
    return _agreement(a, spans, length, scope)


def _agreement(a: Assignment, spans: list[Span], length: int, scope: str = "coded"
               ) -> agreement_mod.Agreement:
    return agreement_mod.compare(spans, a.coder_a, a.coder_b,
                                 note_lengths={a.note_id: length}, scope=scope)


def _merge(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _clip(intervals: list[Interval], lo: int, hi: int) -> tuple[Interval, ...]:
    return tuple((max(s, lo), min(e, hi)) for s, e in intervals if s < hi and e > lo)


def _decisions(ws: Workspace, note_id: str) -> dict[tuple[str, int, int], str]:
    out: dict[tuple[str, int, int], str] = {}
    for r in sorted(records.list_records(ws, "adjudication", where={"note_id": note_id}),
                    key=lambda r: r["updated_hlc"] or ""):
        out[(str(r["code_id"]), int(r["start_offset"] or 0), int(r["end_offset"] or 0))] = \
            str(r["decision"])
    return out


def disagreements(ws: Workspace, assignment_id: str) -> list[Disagreement]:
    """For each code, every stretch where the two coders' passages differ (touching or
    overlapping passages of either coder form one stretch), with any decision taken."""
    a = _assignment(ws, assignment_id)
    spans, _length = _spans(ws, a)
    decided = _decisions(ws, a.note_id)
    out: list[Disagreement] = []
    for code_id in sorted({s.code_id for s in spans}):
        mine = {c: _merge([(s.start, s.end) for s in spans
                           if s.code_id == code_id and s.coder == c]) for c in a.coders()}
        for lo, hi in _merge(mine[a.coder_a] + mine[a.coder_b]):
            first, second = _clip(mine[a.coder_a], lo, hi), _clip(mine[a.coder_b], lo, hi)
            if first == second:
                continue
            out.append(Disagreement(a.id, a.note_id, code_id, lo, hi, first, second,
                                    decided.get((code_id, lo, hi))))
    return out


def adjudicate(ws: Workspace, assignment_id: str, key: str, decision: str) -> Disagreement:
    """Resolve one disagreement (``key`` as in :attr:`Disagreement.key`): keep the first
    coder's passages (``a``), the second's (``b``), ``both`` or ``neither``. The kept text is
    coded by this device; a decision taken again replaces the codings of the earlier one."""
    if not is_coordinator(ws):
        raise InvalidInput(_("Only a coordinator adjudicates blind codings."))
    if decision not in DECISIONS:
        raise InvalidInput(_("A decision is a, b, both or neither, not {decision}.").format(
            decision=decision))
    if not _assignment(ws, assignment_id).released:
        # An adjudication record travels to the whole team at once: its offsets would tell a
        # coder where the other coded.
        raise InvalidInput(_("Release the note before adjudicating: the decision travels to "
                             "the coders and would show where the other coder coded."))
    found = [d for d in disagreements(ws, assignment_id) if d.key == key]
    if not found:
        raise InvalidInput(_("No disagreement {key} in this assignment: list them again, the "
                             "codings may have changed.").format(key=key))
    d = found[0]
    kept = {"a": list(d.a_spans), "b": list(d.b_spans), "neither": [],
            "both": _merge(list(d.a_spans) + list(d.b_spans))}[decision]
    sources = [c for c in records.codings_of_note(ws, d.note_id)
               if c.get("code_id") == d.code_id]
    mine = {ws.device_id}
    with ws.transaction():
        for c in sources:  # an earlier decision's codings on this stretch
            if c.get("owner") in mine and int(c["start_offset"] or 0) >= d.start \
                    and int(c["end_offset"] or 0) <= d.end:
                ws.write("coding", c["id"], {DELETED: True})
        for start, end in kept:
            quote = any(bool(c.get("may_quote")) for c in sources
                        if int(c["start_offset"] or 0) < end and start < int(c["end_offset"] or 0)
                        and c.get("owner") not in mine)
            ws.write("coding", ws.new_record_id("coding"), {
                "note_id": d.note_id, "code_id": d.code_id, "start_offset": start,
                "end_offset": end, "may_quote": quote}, create=True)
        previous = [r for r in records.list_records(ws, "adjudication",
                                                    where={"note_id": d.note_id})
                    if r["code_id"] == d.code_id and r["start_offset"] == d.start
                    and r["end_offset"] == d.end]
        values = {"decision": decision, "by": team.member_id(ws), "at": _now()}
        if previous:
            ws.write("adjudication", previous[0]["id"], values)
        else:
            ws.write("adjudication", ws.new_record_id("adjudication"), {
                "note_id": d.note_id, "code_id": d.code_id, "start_offset": d.start,
                "end_offset": d.end, **values}, create=True)
    ws.audit("blind.adjudicate", {"assignment": d.assignment_id, "decision": decision})
    return Disagreement(d.assignment_id, d.note_id, d.code_id, d.start, d.end, d.a_spans,
                        d.b_spans, decision)


def overview(ws: Workspace) -> list[dict[str, Any]]:
    """Assignments for a list: note, interview, coders' names, state, figures when both coders'
    work is here."""
    names = team.member_names(ws)
    rows = []
    for a in assignments(ws):
        note = records.find(ws, "note", a.note_id) or {}
        interview = records.find(ws, "interview", str(note.get("interview_id") or "")) or {}
        spans, length = _spans(ws, a) if note else ([], 0)
        coded = {s.coder for s in spans}
        figures: dict[str, Any] | None = None
        if a.coder_a in coded and a.coder_b in coded:
            # From the spans just read: looking the assignment up again read every
            # assignment once per row, and the list took seconds at a few hundred.
            overall = _agreement(a, spans, length).overall("character")
            figures = {"percent": overall.percent, "kappa": overall.kappa,
                       "alpha": overall.alpha}
        rows.append({"id": a.id, "note_id": a.note_id, "note_kind": note.get("kind") or "",
                     "note_title": note.get("title") or "",
                     "interview_id": interview.get("id") or "",
                     "interview_code": interview.get("code") or "",
                     "coder_a": {"device": a.coder_a, "name": names.get(a.coder_a, "")},
                     "coder_b": {"device": a.coder_b, "name": names.get(a.coder_b, "")},
                     "released": a.released, "assigned_at": a.assigned_at,
                     "released_at": a.released_at, "note_here": bool(note),
                     "coded_by": sorted(coded), "agreement": figures})
    return rows
