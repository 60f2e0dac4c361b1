"""What the export filters can offer, read on the worker through the services (no SQL here).

Sites and sectors are the study's own (with their Chinese and English names) plus any value a
record uses that the study does not list; researchers are the interviewers and survey
researchers named on records; instruments are grouped by form id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fieldapp.services import records, surveys

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace


@dataclass(frozen=True)
class Choice:
    """One value a filter can take; ``names`` maps a language ("zh"/"en") to its label."""

    value: str
    names: dict[str, str] = field(default_factory=dict)

    def label(self, language: str) -> str:
        """The label in ``language`` ("zh_CN"/"en"), falling back to the other, then the code."""
        first, second = ("zh", "en") if language.startswith("zh") else ("en", "zh")
        name = self.names.get(first) or self.names.get(second) or ""
        if name and name != self.value:
            return f"{name} ({self.value})" if self.value.isascii() else name
        return self.value


@dataclass(frozen=True)
class FilterChoices:
    sites: list[Choice] = field(default_factory=list)
    sectors: list[Choice] = field(default_factory=list)
    researchers: list[Choice] = field(default_factory=list)
    instruments: list[Choice] = field(default_factory=list)


def _coded(declared: Any, used: set[str]) -> list[Choice]:
    out: list[Choice] = []
    seen: set[str] = set()
    for item in declared or []:
        if not isinstance(item, dict) or not item.get("code"):
            continue
        code = str(item["code"])
        seen.add(code)
        out.append(Choice(code, {"zh": str(item.get("name_zh") or ""),
                                 "en": str(item.get("name_en") or "")}))
    out += [Choice(v) for v in sorted(used - seen)]
    return out


def load_choices(ws: Workspace) -> FilterChoices:
    """Runs on the worker: the values each filter can choose from."""
    study = records.study(ws) or {}
    interviews = records.list_records(ws, "interview")
    participants = records.list_records(ws, "participant")
    responses = records.list_records(ws, "response")
    rows = [*interviews, *participants, *responses]
    sites = {str(r["site"]) for r in rows if r.get("site")}
    sectors = {str(r["sector"]) for r in rows if r.get("sector")}
    people = {str(i["interviewer"]) for i in interviews if i.get("interviewer")}
    people |= {str(r["researcher"]) for r in responses if r.get("researcher")}
    forms: dict[str, Choice] = {}
    for inst in surveys.list_instruments(ws):
        form_id = str(inst.get("form_id") or inst["id"])
        # the newest version's titles name the form (list_instruments sorts by version)
        forms[form_id] = Choice(form_id, {"zh": str(inst.get("title_zh") or ""),
                                          "en": str(inst.get("title_en") or "")})
    return FilterChoices(
        sites=_coded(study.get("sites"), sites),
        sectors=_coded(study.get("sectors"), sectors),
        researchers=[Choice(p) for p in sorted(people)],
        instruments=list(forms.values()),
    )
