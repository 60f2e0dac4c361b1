"""Translated names for the fixed vocabularies of fieldapp.domain.schema."""

from __future__ import annotations

from fieldapp.i18n import N_, _

_LABELS: dict[str, dict[str, str]] = {
    "note_kind": {"field_notes": N_("Field notes"), "transcript": N_("Transcript"),
                  "summary": N_("Summary"), "memo": N_("Memo")},
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
    "language": {"zh": N_("Chinese"), "en": N_("English"), "zh+en": N_("Chinese and English")},
}


def label(vocabulary: str, value: str | None) -> str:
    """The translated label of ``value``; unknown values are shown as they are."""
    text = _LABELS[vocabulary].get(value or "")
    return _(text) if text else (value or "")


def choices(vocabulary: str) -> list[tuple[str, str]]:
    """(value, translated label) pairs, in declaration order."""
    return [(value, _(text)) for value, text in _LABELS[vocabulary].items() if value]
