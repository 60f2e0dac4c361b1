"""The export's own language, independent of the interface's.

A workbook in Chinese can be exported from an English interface (and the other way round)
without touching the global language: :class:`Translator` reads the same gettext catalog as
:func:`fieldapp.i18n._` for the language the user chose. Messages are marked with ``N_`` where
they are defined and translated with a translator where they are shown.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

from fieldapp import i18n
from fieldapp.i18n import normalize_language


@lru_cache(maxsize=4)
def _catalog(language: str) -> gettext.NullTranslations:
    return i18n.translations_for(language)


class Translator:
    def __init__(self, language: str) -> None:
        self.language = normalize_language(language)
        self._catalog = _catalog(self.language)

    @property
    def is_zh(self) -> bool:
        return self.language == "zh_CN"

    def __call__(self, message: str) -> str:
        return self._catalog.gettext(message)

    def pick(self, zh: str | None, en: str | None) -> str:
        """The bilingual field that fits this language, falling back to the other."""
        if self.is_zh:
            return zh or en or ""
        return en or zh or ""


EN, ZH = Translator("en"), Translator("zh_CN")


def both(message: str) -> tuple[str, str]:
    """``message`` in English and in Chinese (for the bilingual codebook)."""
    return EN(message), ZH(message)
