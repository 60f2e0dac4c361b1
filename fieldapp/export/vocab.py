"""Labels for the study's categories in the export's language: sites, sectors, organisations,
codes, and the fixed vocabularies (interview modes, statuses, note kinds, consent methods).

The fixed vocabularies are those of :mod:`fieldapp.domain.vocabulary` (``FIXED``), the same
labels the desktop shows: the export only names them by its own column kinds (``"mode"`` is
``FIXED["interview_mode"]``) and writes "no consent" under the code ``none`` where the record
has none. It keeps no label of its own for a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fieldapp.domain.schema import CONSENT_SCOPES
from fieldapp.domain.vocabulary import FIXED
from fieldapp.export.labels import EN, ZH, Translator, both
from fieldapp.export.table import Column, ColumnDoc, Kind
from fieldapp.i18n import N_

#: The export's kind of column -> the vocabulary of ``FIXED`` whose labels it shows.
FIXED_FOR: dict[str, str] = {
    "mode": "interview_mode", "interview_status": "interview_status", "note_kind": "note_kind",
    "method": "consent_method", "consent_status": "consent_status", "language": "language",
    "response_status": "response_status",
}
#: Codes the export writes differently from the record: a participant without a consent record
#: is ``none`` in the consent sheet (an empty cell would read as "not exported").
EXPORT_CODES: dict[str, dict[str, str]] = {"consent_status": {"": "none"}}

ENUMS: dict[str, dict[str, str]] = {
    kind: {EXPORT_CODES.get(kind, {}).get(code, code): text
           for code, text in FIXED[vocabulary].items()}
    for kind, vocabulary in FIXED_FOR.items()
}
# Column headings of the consent sheet's yes/no columns, one per scope ("Consents to archiving":
# 0/1), not labels of a value: the values' labels are FIXED["consent_scope"], which the export
# does not show, so these are not a second copy of them.
SCOPE_LABELS = {
    "audio": N_("Consents to audio recording"),
    "verbatim_quotes": N_("Consents to verbatim quotes"),
    "name_organisation": N_("Consents to naming the organisation"),
    "archiving": N_("Consents to archiving"),
    "share_outside_team": N_("Consents to sharing outside the team"),
}
assert set(SCOPE_LABELS) == set(CONSENT_SCOPES)

_CODEBOOK_TYPES: dict[Kind, str] = {"text": "text", "int": "integer", "real": "decimal",
                                    "date": "date", "datetime": "dateTime", "time": "time",
                                    "flag": "0/1"}


def _choices(pairs: list[tuple[str, str]]) -> str:
    return "; ".join(f"{code}={label}" for code, label in pairs)


@dataclass
class Vocab:
    tr: Translator
    codes_only: bool
    study: dict[str, Any] | None = None
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: interview id -> interview code
    interviews: dict[str, str] = field(default_factory=dict)
    #: organisations that may not be named (no consent): id -> pseudonymous code
    org_pseudonyms: dict[str, str] = field(default_factory=dict)
    #: device id -> researcher name (who coded)
    coders: dict[str, str] = field(default_factory=dict)

    def _places(self, key: str) -> dict[str, tuple[str, str]]:
        items = (self.study or {}).get(key) or []
        return {str(i.get("code")): (str(i.get("name_zh") or ""), str(i.get("name_en") or ""))
                for i in items if isinstance(i, dict)}

    def enum(self, kind: str, value: str | None) -> str | None:
        if not value:
            return None
        if self.codes_only or value not in ENUMS[kind]:
            return value
        return self.tr(ENUMS[kind][value])

    def place(self, key: str, code: str | None) -> str | None:
        """A site or sector code, or its name in the export language."""
        if not code:
            return None
        names = self._places(key).get(code)
        if self.codes_only or names is None:
            return code
        return self.tr.pick(*names) or code

    def organisation(self, org_id: str | None) -> str | None:
        org = self.organisations.get(org_id or "")
        if org is None:
            return None
        if org_id in self.org_pseudonyms:
            return self.org_pseudonyms[org_id]
        return self.tr.pick(org.get("name_zh"), org.get("name_en"))

    def participant_code(self, pid: str | None) -> str | None:
        p = self.participants.get(pid or "")
        return str(p["code"]) if p else None

    def code_name(self, code_id: str | None, language: Translator | None = None) -> str:
        tr = language or self.tr
        code = self.codes.get(code_id or "")
        return tr.pick(code.get("name_zh"), code.get("name_en")) if code else ""

    def code_path(self, code_id: str | None) -> str:
        names: list[str] = []
        seen: set[str] = set()
        while code_id and code_id in self.codes and code_id not in seen:
            seen.add(code_id)
            names.append(self.code_name(code_id))
            code_id = self.codes[code_id].get("parent_id")
        return " › ".join(reversed(names))

    # -- codebook documentation for fixed columns -------------------------------------------

    def enum_choices(self, kind: str) -> tuple[str, str]:
        pairs = list(ENUMS[kind].items())
        return (_choices([(c, EN(m)) for c, m in pairs]),
                _choices([(c, ZH(m)) for c, m in pairs]))

    def place_choices(self, key: str) -> tuple[str, str]:
        places = self._places(key)
        return (_choices([(c, en or zh) for c, (zh, en) in places.items()]),
                _choices([(c, zh or en) for c, (zh, en) in places.items()]))

    def column(self, key: str, label: str, kind: Kind = "text", *, free: bool = False,
               enum: str = "", place: str = "") -> Column:
        en, zh = both(label)
        choices = self.enum_choices(enum) if enum else (
            self.place_choices(place) if place else ("", ""))
        doc = ColumnDoc(_CODEBOOK_TYPES[kind], en, zh, *choices)
        coded: list[tuple[str, str]] | None = None
        if enum:
            coded = [(c, self.tr(m)) for c, m in ENUMS[enum].items()]
        elif place:
            coded = [(c, self.tr.pick(zh, en) or c) for c, (zh, en) in self._places(place).items()]
        return Column(key, self.tr(label), kind, free, doc, choices=coded)
