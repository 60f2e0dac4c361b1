"""Translations and locale formatting for fieldapp's own strings (Babel + gettext).

One translation system: every visible string goes through ``_`` / ``ngettext`` from this module,
imported explicitly (never installed into builtins). Qt's own strings (standard buttons) are
handled by the UI with Qt's shipped ``qtbase_*.qm``. The language can change at runtime;
listeners registered with :func:`on_language_changed` are told (the UI turns this into a Qt signal
and every window retranslates).
"""

from __future__ import annotations

import gettext
import locale as _pylocale
import os
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

# Babel is imported when a date, number or list is first formatted, not at start-up: the
# unlock dialog needs none of it (tests/unit/test_startup.py).
if TYPE_CHECKING:
    from babel import Locale

DOMAIN = "fieldapp"
LANGUAGES = ("en", "zh_CN")
_COMPILED = Path(__file__).resolve().parent / "locale"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
_listeners: list[Callable[[str], None]] = []


def _load(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    mo = _COMPILED / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if mo.exists():
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    # Not compiled yet (a fresh checkout run without the bootstrap): read the .po directly.
    from fieldapp.i18n.catalog import SOURCE_DIR

    po = SOURCE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext.NullTranslations()
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def translations_for(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` without switching the interface to it (for an export written in
    another language than the one on screen)."""
    return _load(normalize_language(lang))


def normalize_language(code: str | None) -> str:
    """Map a locale name (``zh``, ``zh-CN``, ``zh_Hans_CN``, ``en_US.UTF-8``) to a supported language."""
    if not code:
        return "en"
    code = code.replace("-", "_").split(".")[0].lower()
    if code.startswith("zh"):
        return "zh_CN"
    return "en"


def system_language() -> str:
    for var in ("FIELDAPP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return normalize_language(value)
    try:
        return normalize_language(_pylocale.getlocale()[0])
    except ValueError:
        return "en"


def set_language(lang: str) -> None:
    global _translations, _language
    lang = normalize_language(lang)
    _translations = _load(lang)
    _language = lang
    for listener in list(_listeners):
        listener(lang)


def current_language() -> str:
    return _language


def on_language_changed(listener: Callable[[str], None]) -> Callable[[], None]:
    """Register ``listener``; returns a function that unregisters it."""
    _listeners.append(listener)

    def remove() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return remove


def _(message: str) -> str:
    return _translations.gettext(message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translate it where shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def babel_locale() -> Locale:
    from babel import Locale

    return Locale.parse("zh_Hans_CN" if _language == "zh_CN" else "en_GB")


def format_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    from babel.dates import format_date as _fmt_date

    return _fmt_date(value, format=fmt, locale=babel_locale())


def format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    from babel.dates import format_datetime as _fmt_datetime

    return _fmt_datetime(value, format=fmt, locale=babel_locale())


def format_number(value: float | int) -> str:
    from babel.numbers import format_decimal as _fmt_decimal

    return _fmt_decimal(value, locale=babel_locale())


def format_list(items: Iterable[str]) -> str:
    """Join items as the language does: "A、B和C" in Chinese, "A, B and C" in English."""
    values = [item for item in items if item]
    if not values:
        return ""
    from babel.lists import format_list as _fmt_list

    return _fmt_list(values, locale=babel_locale())


def pick(zh: str | None, en: str | None) -> str:
    """Choose the bilingual field that fits the current language, falling back to the other."""
    if _language == "zh_CN":
        return zh or en or ""
    return en or zh or ""
