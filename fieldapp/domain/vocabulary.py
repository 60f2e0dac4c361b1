"""The one vocabulary of fieldapp: each value stored is a code, shown as a translatable label.

Two kinds of vocabulary:

* **fixed** ones, defined here (note kinds, consent methods and scopes, interview modes and
  statuses, languages…): a code and an English label marked for translation;
* the **study's own** sites and sectors, defined by the coordinator in the study record as
  ``{"code": "KM", "name_zh": "昆明", "name_en": "Kunming"}`` (older studies may list bare codes):
  :func:`study_terms` reads them, :func:`term_label` shows a code as its name in the language
  asked for.

The desktop (``fieldapp.ui.labels``), the command line, the demo and the export take labels
from here, so a value reads the same on screen and in an exported cell or codebook. The export
names its vocabularies by its own column kinds (``fieldapp.export.vocab.ENUMS``), but each one
is a dictionary of this module, never a copy of its labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fieldapp.i18n import N_

FIXED: dict[str, dict[str, str]] = {
    "note_kind": {"field_notes": N_("Field notes"), "transcript": N_("Transcript"),
                  "summary": N_("Summary"), "memo": N_("Reflective note")},
    "consent_method": {"written": N_("Written"), "oral": N_("Oral"),
                       "recorded": N_("Recorded")},
    "consent_scope": {"audio": N_("Audio recording"), "verbatim_quotes": N_("Verbatim quotes"),
                      "name_organisation": N_("Naming the organisation"),
                      "archiving": N_("Archiving"),
                      "share_outside_team": N_("Sharing outside the team")},
    "consent_status": {"given": N_("Consent given"), "withdrawn": N_("Withdrawn"),
                       "": N_("No consent recorded")},
    "organisation_kind": {"government": N_("Government agency"),
                          "registered_ngo": N_("Registered NGO"),
                          "grassroots": N_("Grassroots group"), "gongo": N_("GONGO"),
                          "foundation": N_("Foundation"), "other": N_("Other")},
    "interview_mode": {"in_person": N_("In person"), "phone": N_("Phone"), "video": N_("Video"),
                       "group": N_("Group")},
    "interview_status": {"planned": N_("Planned"), "done": N_("Done"),
                         "transcribed": N_("Transcribed"), "coded": N_("Coded")},
    "attachment_kind": {"audio": N_("Audio"), "consent_form": N_("Signed consent form"),
                        "photo": N_("Photo"), "document": N_("Document")},
    "language": {"zh": N_("Chinese"), "en": N_("English"), "mixed": N_("Chinese and English")},
    # The codes are fieldapp.services.surveys.DRAFT / COMPLETE (the domain imports no services).
    "response_status": {"draft": N_("Draft"), "complete": N_("Complete")},
}

#: Old codes still found in data from earlier versions → the code that replaced them.
ALIASES: dict[str, dict[str, str]] = {"language": {"zh+en": "mixed"}}


def canonical(vocabulary: str, value: str | None) -> str:
    """``value`` under its current code (an old alias is replaced)."""
    value = value or ""
    return ALIASES.get(vocabulary, {}).get(value, value)


@dataclass(frozen=True, slots=True)
class Term:
    """A site or sector of the study: its code and its names."""

    code: str
    name_zh: str = ""
    name_en: str = ""

    def name(self, chinese: bool) -> str:
        first, second = (self.name_zh, self.name_en) if chinese else (self.name_en, self.name_zh)
        return first or second or self.code


def study_terms(items: Iterable[Any] | None) -> list[Term]:
    """The study's sites or sectors: dictionaries with a code and names, or bare codes."""
    terms: list[Term] = []
    for item in items or []:
        if isinstance(item, dict) and item.get("code"):
            terms.append(Term(str(item["code"]), str(item.get("name_zh") or ""),
                              str(item.get("name_en") or "")))
        elif isinstance(item, str) and item:
            terms.append(Term(item))
    return terms


def term_label(terms: dict[str, Term], code: str | None, chinese: bool) -> str:
    """A site's or sector's name in the language asked for; an unknown code as it is."""
    if not code:
        return ""
    term = terms.get(code)
    return term.name(chinese) if term else code
