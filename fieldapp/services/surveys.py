"""Instruments (surveys imported from XLSForm) and their responses, in the workspace.

An instrument is a shared record holding the instrument model as JSON; importing a new version
of the same form (same ``form_id``) adds a record and keeps the old one, and every response
stays bound to the instrument record, and so the version, it was answered with. A response's
answers are ``FormState.to_dict()``; drafts are saved as they are typed, "complete" validates
the whole form first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fieldapp.i18n import _, ngettext
from fieldapp.services import records
from fieldapp.services.collector import without_collector
from fieldapp.store.errors import FieldappError, InvalidInput
from fieldapp.store.workspace import Workspace
from fieldapp.survey import (
    AnswerError,
    FormPlan,
    FormState,
    Instrument,
    Issue,
    fill_state,
    load_xlsform,
)
from fieldapp.survey.model import FILE_TYPES

__all__ = ["fill_state"]  # the reference path, kept here for its callers

DRAFT, COMPLETE = "draft", "complete"


class ResponseIncomplete(FieldappError):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(str(len(issues)))
        self.issues = issues

    @property
    def message(self) -> str:
        n = len(self.issues)
        lines = [ngettext("The response cannot be completed: {n} question needs attention.",
                          "The response cannot be completed: {n} questions need attention.",
                          n).format(n=n)]
        lines += [f"  {i.address}: {i.message}" for i in self.issues[:20]]
        return "\n".join(lines)


def import_instrument(ws: Workspace, path: Path | str) -> str:
    """Import an XLSForm. A form already imported with the same id and version is refused."""
    instrument = load_xlsform(Path(path))
    for existing in records.list_records(ws, "instrument", where={"form_id": instrument.form_id}):
        if existing["version"] == instrument.version:
            raise InvalidInput(_("Version {version} of the form {form} is already imported; "
                                 "change the version in the settings sheet to import it again."
                                 ).format(version=instrument.version or "-",
                                          form=instrument.form_id))
    iid = records.create(ws, "instrument", {
        "form_id": instrument.form_id, "version": instrument.version,
        "title_zh": instrument.title("zh"), "title_en": instrument.title("en"),
        "definition": instrument.to_dict(),
    })
    ws.audit("instrument.import", {"form_id": instrument.form_id,
                                   "version": instrument.version})
    return iid


def instrument(ws: Workspace, instrument_id: str) -> Instrument:
    return Instrument.from_dict(records.get(ws, "instrument", instrument_id)["definition"])


def version_key(version: str) -> tuple[int, ...] | None:
    """How XLSForm authors number versions: ``7``, ``2024051301`` (yyyymmddrr), ``1.2.10``.
    None for a version that is not a number (``"v2-final"``)."""
    parts = (version or "").strip().split(".")
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def order_versions(rows: list[records.Record]) -> list[records.Record]:
    """Oldest first: by number when every version of the form is one (so 10 comes after 9),
    otherwise in the order they were imported."""
    by_import = sorted(rows, key=lambda r: str(r.get("created_hlc") or ""))
    keys = [version_key(str(r["version"] or "")) for r in by_import]
    if by_import and all(k is not None for k in keys):
        order = {id(r): k for r, k in zip(by_import, keys, strict=True)}
        return sorted(by_import, key=lambda r: order[id(r)] or ())
    return by_import


def list_instruments(ws: Workspace) -> list[records.Record]:
    rows = records.list_records(ws, "instrument", order_by="form_id")
    forms: dict[str, list[records.Record]] = {}
    for row in rows:
        forms.setdefault(row["form_id"] or "", []).append(row)
    return [r for form_id in sorted(forms) for r in order_versions(forms[form_id])]


def versions_of(ws: Workspace, form_id: str) -> list[records.Record]:
    return order_versions(records.list_records(ws, "instrument", where={"form_id": form_id}))


def form_state(ws: Workspace, response_id: str, language: str = "en") -> FormState:
    response = records.get(ws, "response", response_id)
    inst = instrument(ws, response["instrument_id"])
    return FormState(inst, response["data"] or {}, language)


def desktop_meta(ws: Workspace) -> dict[str, str]:
    """What the desktop knows for XLSForm metadata questions (deviceid, username)."""
    return {"deviceid": ws.device_id or "", "username": ws.meta("researcher")}


def new_response(ws: Workspace, instrument_id: str, *, participant_id: str | None = None,
                 organisation_id: str | None = None, interview_id: str | None = None,
                 site: str = "", sector: str = "", researcher: str = "") -> str:
    row = records.get(ws, "instrument", instrument_id)
    state = FormState(Instrument.from_dict(row["definition"]), meta=desktop_meta(ws))
    return records.create(ws, "response", {
        "instrument_id": instrument_id, "instrument_version": row["version"],
        "data": state.to_dict(), "status": DRAFT, "participant_id": participant_id,
        "organisation_id": organisation_id, "interview_id": interview_id, "site": site,
        "sector": sector, "researcher": researcher or ws.meta("researcher"),
    })


def save_draft(ws: Workspace, response_id: str, answers: dict[str, Any]) -> None:
    """Save the answers as a draft. Once a response has been completed, every changed answer
    is also written to its corrections log (who, when, old → new)."""
    response = records.get(ws, "response", response_id)
    if response["data"] != answers:
        changes: dict[str, Any] = {"data": answers}
        if response["status"] == COMPLETE:
            changes["status"] = DRAFT
        with ws.transaction():
            ws.write("response", response_id, changes)
            if response.get("completed_at"):
                who = ws.meta("researcher") or ws.device_id
                at = datetime.now(UTC).isoformat(timespec="seconds")
                for address, old, new in diff_answers(response["data"] or {}, answers):
                    ws.write("correction", ws.new_record_id("correction"), {
                        "response_id": response_id, "address": address, "old": old,
                        "new": new, "by": who, "at": at}, create=True)


def _leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(_leaves(value, f"{prefix}/{key}" if prefix else str(key)))
    elif isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        for i, item in enumerate(data, start=1):
            out.update(_leaves(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = data
    return out


def diff_answers(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(address, old value, new value) for every answer that differs, in address order."""
    before, after = _leaves(old), _leaves(new)
    return [(a, before.get(a), after.get(a)) for a in sorted(set(before) | set(after))
            if before.get(a) != after.get(a)]


# -- review ------------------------------------------------------------------------------------

APPROVED, HAS_ISSUES, REJECTED = "approved", "has_issues", "rejected"
REVIEW_STATES = (APPROVED, HAS_ISSUES, REJECTED)


def review_response(ws: Workspace, response_id: str, state: str, comment: str = "") -> str:
    """A coordinator's review of a completed response, as ODK Central keeps it: approved, has
    issues or rejected, with a comment saying what to fix. The review travels to the
    researcher with the next sync; the latest one is the response's review state."""
    from fieldapp.services import team

    if state not in REVIEW_STATES:
        raise InvalidInput(_("A review is approved, has_issues or rejected, not {state}.").format(
            state=state))
    if team.role(ws) == team.ROLE_RESEARCHER:
        raise InvalidInput(_("Only a coordinator reviews responses."))
    response = records.get(ws, "response", response_id)
    if response["status"] != COMPLETE:
        raise InvalidInput(_("Only a completed response can be reviewed; this one is a draft."))
    comment = comment.strip()
    if state != APPROVED and not comment:
        raise InvalidInput(_("Say what needs fixing: a response with issues or rejected needs a "
                             "comment."))
    rid = records.create(ws, "review", {
        "response_id": response_id, "state": state, "comment": comment,
        "reviewer": ws.meta("researcher") or ws.device_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds")})
    ws.audit("response.review", {"response_id": response_id, "state": state})
    return rid


def reviews_of(ws: Workspace, response_id: str) -> list[records.Record]:
    """The reviews of a response, oldest first."""
    return records.list_records(ws, "review", where={"response_id": response_id})


def corrections_of(ws: Workspace, response_id: str) -> list[records.Record]:
    """The answers changed after completion, oldest first."""
    return records.list_records(ws, "correction", where={"response_id": response_id})


def latest_reviews(ws: Workspace) -> dict[str, records.Record]:
    """The latest review of every reviewed response, by response id."""
    out: dict[str, records.Record] = {}
    for review in records.list_records(ws, "review"):
        out[str(review["response_id"])] = review  # in clock order: the last one wins
    return out


def review_columns(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Response id → ``_review`` (state), ``_review_comment`` and ``_corrections`` (how many
    answers were changed after completion), for lists and exports."""
    latest = latest_reviews(ws)
    corrected: dict[str, int] = {}
    for c in records.list_records(ws, "correction"):
        corrected[str(c["response_id"])] = corrected.get(str(c["response_id"]), 0) + 1
    return {rid: {"_review": review["state"] if review else "",
                  "_review_comment": review["comment"] if review else "",
                  "_corrections": corrected.get(rid, 0)}
            for rid in set(latest) | set(corrected)
            for review in (latest.get(rid),)}


NO_REVIEW: dict[str, Any] = {"_review": "", "_review_comment": "", "_corrections": 0}


def responses_with_reviews(ws: Workspace) -> list[records.Record]:
    """Every response, with its review columns (see :func:`review_columns`)."""
    reviews = review_columns(ws)
    return [{**r, **reviews.get(str(r["id"]), NO_REVIEW)}
            for r in records.list_records(ws, "response")]


def complete(ws: Workspace, response_id: str, state: FormState) -> None:
    """Validate the whole form; save as complete, or raise ResponseIncomplete listing issues."""
    issues = state.validate_all()
    if issues:
        raise ResponseIncomplete(issues)
    ws.update("response", response_id, {
        "data": state.to_dict(), "status": COMPLETE,
        "completed_at": datetime.now(UTC).isoformat(timespec="seconds")})


_FILE_MIME = {"image": "image/", "audio": "audio/", "video": "video/"}


def attach_file(ws: Workspace, response_id: str, address: str, source: Path | str) -> str:
    """Answer an image/audio/video/file question of a response with a file: the file is
    encrypted as an attachment of the response, and the answer (``ATTACHMENT_ID/name``) is saved
    in the response's draft. Returns the answer."""
    import mimetypes

    from fieldapp.services.attachments import add_attachment

    source = Path(source)
    state = form_state(ws, response_id)
    try:
        path, _idx = state.slot(address)
    except KeyError:
        raise InvalidInput(_("The form has no question {address}.").format(
            address=address)) from None
    node = state.program.nodes[path].node
    if node.type not in FILE_TYPES:
        raise InvalidInput(_("{address} is not a question answered with a file.").format(
            address=address))
    prefix = _FILE_MIME.get(node.type)
    mime = mimetypes.guess_type(source.name)[0] or ""
    if prefix and not mime.startswith(prefix):
        raise InvalidInput(_("{name} is not a {kind} file; the question {address} needs one."
                             ).format(name=source.name, kind=node.type, address=address))
    if not source.is_file():
        raise InvalidInput(_("The file {path} does not exist.").format(path=str(source)))
    aid = add_attachment(ws, source, response_id=response_id)
    answer = f"{aid}/{source.name}"
    try:
        state.set_answer(address, answer)
    except AnswerError as exc:
        records.delete(ws, "attachment", aid)
        raise InvalidInput(_("The file cannot be the answer to {address}: {reason}").format(
            address=address, reason=str(exc))) from None
    save_draft(ws, response_id, state.to_dict())
    return answer


def response_files(ws: Workspace, response_id: str) -> list[records.Record]:
    """The attachments of a response (files answering its questions, old ones included)."""
    return records.list_records(ws, "attachment", where={"response_id": response_id})


def add_response_from_answers(ws: Workspace, instrument_id: str, answers: dict[str, Any], *,
                              complete_it: bool = True, language: str = "en", **links: Any
                              ) -> str:
    """Data entry from paper (CLI): the same validation as the app. Nothing is saved when an
    answer is invalid, or (to complete) when a required answer is missing."""
    inst = instrument(ws, instrument_id)
    state, issues = fill_state(inst, answers, language, meta=desktop_meta(ws))
    if complete_it:
        issues += state.validate_all()
    if issues:
        raise ResponseIncomplete(issues)
    rid = new_response(ws, instrument_id, **links)
    if complete_it:
        complete(ws, rid, state)
    else:
        save_draft(ws, rid, state.to_dict())
    return rid


#: Compiled plans of the instrument versions filled most recently (see :func:`plan_for`).
_PLANS: dict[tuple[str, str], FormPlan] = {}
_PLANS_KEPT = 8


def plan_for(instrument_id: str, row: records.Record) -> FormPlan:
    """The instrument version's :class:`~fieldapp.survey.fill.FormPlan`, compiled once: keyed
    by the instrument record and its last change (a record that changed gets a new plan)."""
    key = (instrument_id, str(row.get("updated_hlc") or ""))
    plan = _PLANS.get(key)
    if plan is None:
        plan = FormPlan(Instrument.from_dict(row["definition"]))
        while len(_PLANS) >= _PLANS_KEPT:
            del _PLANS[next(iter(_PLANS))]
        _PLANS[key] = plan
    return plan


@without_collector
def add_responses(ws: Workspace, instrument_id: str, answers: list[dict[str, Any]], *,
                  complete_them: bool = False, links: list[dict[str, Any]] | None = None,
                  clock: Callable[[], datetime] | None = None, reference: bool = False
                  ) -> list[str]:
    """Save many responses in one transaction (imports, data entry batches, benchmarks).

    Each answer dict is checked as :func:`add_response_from_answers` checks it; if any
    response has issues (or, to complete, misses a required answer), nothing is saved and
    :class:`ResponseIncomplete` lists them with the response's position as ``#n/``.

    The fast way (the default): the instrument version's compiled plan fills each response
    (:class:`~fieldapp.survey.fill.FormPlan`: one recompute, each question's evaluation
    remembered for the inputs it saw, validation found by the recompute) and the records are
    written with one statement per table (``Workspace.write_new_many``: each answer encoded
    once for the log and the row). ``reference`` takes the path it must match, one response
    at a time: :func:`fill_state`, ``validate_all()`` and ``Workspace.write`` per record;
    the tests compare the two. ``clock`` (tests) gives the time of metadata questions and of
    ``completed_at``."""
    row = records.get(ws, "instrument", instrument_id)
    plan = plan_for(instrument_id, row)
    meta = desktop_meta(ws)
    fresh = plan.fresh(meta=meta, clock=clock)
    prepared: list[dict[str, Any]] = []
    problems: list[Issue] = []
    try:
        for n, data in enumerate(answers, start=1):
            if not reference:
                # The generated validator: the answers to store when the response is plainly
                # accepted; None sends it through the plan, which says why.
                stored = plan.stored(data, fresh, complete_them)
                if stored is not None:
                    if not problems:
                        prepared.append(stored)
                    continue
            if reference:
                state, issues = fill_state(plan.instrument, data, program=plan.program,
                                           meta=meta, clock=clock)
                if complete_them:
                    issues += state.validate_all()
            elif complete_them:
                state, issues = plan.fill_complete(data, fresh)
            else:
                state, issues = plan.fill(data, fresh)
            if issues:
                problems += [Issue(f"#{n}/{i.address}", i.message, i.kind) for i in issues]
            elif not problems:
                prepared.append(state.to_dict() if reference else plan.to_dict(state))
    finally:
        plan.forget()  # the plan stays compiled; the answers it remembered go
    if problems:
        raise ResponseIncomplete(problems)
    researcher = ws.meta("researcher")
    now = (clock or (lambda: datetime.now(UTC)))().isoformat(timespec="seconds")
    common: dict[str, Any] = {"instrument_id": instrument_id,
                              "instrument_version": row["version"],
                              "status": COMPLETE if complete_them else DRAFT}
    if complete_them:
        common["completed_at"] = now
    rows: list[tuple[str, dict[str, Any]]] = []
    ids = ws.new_record_ids("response", len(prepared))
    given = links or ()
    for n, data in enumerate(prepared):
        # Each record's own values; a link names its own fields (its researcher only when
        # given), which win over the batch's, except the completion time.
        link = given[n] if n < len(given) else None
        if link:
            own = {"data": data, "researcher": link.get("researcher") or researcher,
                   **{k: v for k, v in link.items() if k != "researcher"}}
            if complete_them and "completed_at" in own:
                own["completed_at"] = now
        else:
            own = {"data": data, "researcher": researcher}
        rows.append((ids[n], own))
    with ws.transaction():
        if reference:
            for rid, own in rows:
                ws.write("response", rid, {**common, **own}, create=True)
        else:
            ws.write_new_many("response", rows, shared=common)
    return [rid for rid, _values in rows]


def list_responses(ws: Workspace, *, instrument_id: str | None = None, site: str | None = None,
                   status: str | None = None, researcher: str | None = None
                   ) -> list[records.Record]:
    where = {k: v for k, v in (("instrument_id", instrument_id), ("site", site),
                               ("status", status), ("researcher", researcher)) if v}
    return records.list_records(ws, "response", where=where)
