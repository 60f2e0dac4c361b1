"""Labels shown for stored codes, in the current language (:mod:`fieldapp.domain.vocabulary`).

Fixed vocabularies come from the domain; the open study's sites and sectors are kept here once
the workspace view has read them (:func:`set_study_terms`), so every list, filter and form shows
广州 / 艾滋病防治 rather than GZ / HIV.
"""

from __future__ import annotations

from fieldapp.domain.vocabulary import FIXED, Term, canonical, term_label
from fieldapp.i18n import _, current_language

_STUDY: dict[str, dict[str, Term]] = {"site": {}, "sector": {}}


def set_study_terms(sites: list[Term], sectors: list[Term]) -> None:
    _STUDY["site"] = {t.code: t for t in sites}
    _STUDY["sector"] = {t.code: t for t in sectors}


def clear_study_terms() -> None:
    set_study_terms([], [])


def label(vocabulary: str, value: str | None) -> str:
    """The translated label of ``value``; unknown values are shown as they are."""
    if vocabulary in _STUDY:
        return term_label(_STUDY[vocabulary], value, current_language() == "zh_CN")
    value = canonical(vocabulary, value)
    text = FIXED[vocabulary].get(value)
    return _(text) if text else value


def choices(vocabulary: str) -> list[tuple[str, str]]:
    """(value, translated label) pairs, in declaration order (the study's sites/sectors by code)."""
    if vocabulary in _STUDY:
        return [(code, label(vocabulary, code)) for code in sorted(_STUDY[vocabulary])]
    return [(value, _(text)) for value, text in FIXED[vocabulary].items() if value]
