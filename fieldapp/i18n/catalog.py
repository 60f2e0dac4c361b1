"""Keep the translation catalogs current: extract, update, compile, check.

    python -m fieldapp.i18n.catalog extract   # fieldapp/**.py -> translations/fieldapp.pot
    python -m fieldapp.i18n.catalog update    # merge the .pot into every translations/<lang>/.po
    python -m fieldapp.i18n.catalog compile   # .po -> fieldapp/i18n/locale/<lang>/LC_MESSAGES/*.mo
    python -m fieldapp.i18n.catalog all       # the three in order
    python -m fieldapp.i18n.catalog check     # exit 1 if a message lacks a Chinese translation

The sources (``translations/``) are committed; the compiled ``.mo`` files are build output.
Extraction uses Babel's Python extractor with the keywords ``_``, ``N_`` and ``ngettext``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

DOMAIN = "fieldapp"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
ROOT = PACKAGE_DIR.parent
SOURCE_DIR = ROOT / "translations"
COMPILED_DIR = PACKAGE_DIR / "i18n" / "locale"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python")]


def pot_path() -> Path:
    return SOURCE_DIR / f"{DOMAIN}.pot"


def po_paths() -> list[Path]:
    return sorted(SOURCE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def extract() -> Catalog:
    catalog = Catalog(project="fieldapp", msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE_DIR), METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        if "bootstrap.py" in filename:
            continue
        catalog.add(message, None, [(f"fieldapp/{filename}", lineno)],
                    auto_comments=comments, context=context)
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False, omit_header=False,
                 include_lineno=False)


def do_extract() -> None:
    _write(extract(), pot_path())


def do_update() -> None:
    with pot_path().open("rb") as fh:
        template = read_po(fh)
    for po in po_paths():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        catalog.update(template, update_header_comment=False)
        # Babel marks guesses as fuzzy; a fuzzy guess is not a translation, so keep it visible
        # to translators but never ship it (compile skips fuzzy entries).
        _write(catalog, po)


def do_compile(quiet: bool = False) -> None:
    for po in po_paths():
        lang = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        out = COMPILED_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        if not quiet:
            print(f"compiled {po.relative_to(ROOT)} -> {out.relative_to(ROOT)}")


def missing_translations(lang: str = "zh_CN") -> list[str]:
    """Messages in the source code that have no (non-fuzzy) translation in ``lang``."""
    po = SOURCE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    missing = []
    for message in extract():
        if not message.id:
            continue
        have = catalog.get(message.id)
        if have is None:
            ok = False
        elif isinstance(have.string, (tuple, list)):
            ok = all(have.string) and not have.fuzzy
        else:
            ok = bool(have.string) and not have.fuzzy
        if not ok:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fieldapp.i18n.catalog")
    parser.add_argument("action", choices=["extract", "update", "compile", "all", "check"])
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.action in ("extract", "all"):
        do_extract()
    if args.action in ("update", "all"):
        do_update()
    if args.action in ("compile", "all"):
        do_compile(args.quiet)
    if args.action == "check":
        missing = missing_translations()
        for msg in missing:
            print(f"untranslated: {msg!r}")
        return 1 if missing else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
