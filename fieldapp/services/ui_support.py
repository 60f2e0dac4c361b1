"""Reads shaped for the desktop app's views, built on the record services (no SQL here either).

Each function gathers in one call, on the app's database worker, what one view shows, so a view
asks once and draws once.
"""

from __future__ import annotations

from typing import Any

from fieldapp.domain import vocabulary
from fieldapp.domain.vocabulary import Term
from fieldapp.services import records
from fieldapp.store.workspace import Workspace

Record = dict[str, Any]


def study_terms(ws: Workspace) -> tuple[list[Term], list[Term]]:
    """The study's sites and sectors with their names, plus any code in use that the study does
    not define (shown as it is)."""
    study = records.study(ws) or {}
    sites, sectors = study_values(ws)
    out = []
    for key, codes in (("sites", sites), ("sectors", sectors)):
        defined = {t.code: t for t in vocabulary.study_terms(study.get(key))}
        out.append([defined.get(code) or Term(code) for code in codes])
    return out[0], out[1]


def study_values(ws: Workspace) -> tuple[list[str], list[str]]:
    """Codes of the sites and sectors known to the workspace: the study's lists plus those in
    use."""
    sites: set[str] = set()
    sectors: set[str] = set()
    study = records.study(ws)
    if study:
        sites.update(t.code for t in vocabulary.study_terms(study.get("sites")))
        sectors.update(t.code for t in vocabulary.study_terms(study.get("sectors")))
    for entity_name in ("interview", "organisation", "participant"):
        for r in records.list_records(ws, entity_name):
            if r.get("site"):
                sites.add(r["site"])
            if r.get("sector"):
                sectors.add(r["sector"])
    return sorted(sites), sorted(sectors)


def interview_list(ws: Workspace) -> list[Record]:
    return records.list_records(ws, "interview", order_by="date")


def interview_bundle(ws: Workspace, interview_id: str) -> dict[str, Any]:
    """An interview with its notes (by kind), their codings, and the choices its form offers."""
    interview = records.get(ws, "interview", interview_id)
    notes: dict[str, Record] = {}
    for n in records.notes_of(ws, interview_id):
        notes.setdefault(n["kind"], n)
    codings = {n["id"]: records.codings_of_note(ws, n["id"]) for n in notes.values()}
    sites, sectors = study_values(ws)
    return {
        "interview": interview,
        "notes": notes,
        "codings": codings,
        "organisations": records.list_records(ws, "organisation", order_by="sort_key"),
        "participants": records.list_records(ws, "participant", order_by="code"),
        "sites": sites,
        "sectors": sectors,
    }


def new_interview_code(ws: Workspace) -> str:
    existing = {r["code"] for r in records.list_records(ws, "interview")}
    n = len(existing) + 1
    while f"INT-{n:03d}" in existing:
        n += 1
    return f"INT-{n:03d}"


def new_interview(ws: Workspace, participant_ids: list[str] | None = None) -> str:
    """A new interview as the desktop starts one: the next free code, today's date, this
    researcher as the interviewer, and linked to ``participant_ids`` (started from a
    participant's page)."""
    from datetime import date

    return records.add_interview(ws, code=new_interview_code(ws),
                                 participant_ids=list(participant_ids or []),
                                 date=date.today().isoformat(),
                                 interviewer=ws.meta("researcher") or "")


def participant_overview(ws: Workspace) -> list[Record]:
    """Participants with their organisation's names and their latest consent status."""
    orgs = {o["id"]: o for o in records.list_records(ws, "organisation")}
    consents: dict[str, Record] = {}
    for c in records.list_records(ws, "consent", order_by="date"):
        consents[c["participant_id"]] = c
    out = []
    for p in records.list_records(ws, "participant", order_by="code"):
        org = orgs.get(p.get("organisation_id") or "")
        consent = consents.get(p["id"])
        out.append({**p,
                    "organisation_zh": org.get("name_zh") if org else "",
                    "organisation_en": org.get("name_en") if org else "",
                    "consent_status": consent.get("status") if consent else "",
                    "consent_date": consent.get("date") if consent else ""})
    return out


def participant_detail(ws: Workspace, participant_id: str) -> dict[str, Any]:
    """A participant, their consent records and their interviews (no identity: that is asked
    for separately, only when the researcher chooses to see it)."""
    p = records.get(ws, "participant", participant_id)
    interviews = [i for i in records.list_records(ws, "interview")
                  if participant_id in (i.get("participant_ids") or [])]
    return {"participant": p, "consents": records.consent_of(ws, participant_id),
            "interviews": interviews}


def codebook(ws: Workspace) -> list[Record]:
    return records.list_records(ws, "code", order_by="sort_order")
