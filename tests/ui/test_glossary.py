"""The Chinese catalog uses one term per concept, as translations/GLOSSARY.md lists them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from babel.messages.pofile import read_po

from fieldapp.i18n.catalog import SOURCE_DIR

GLOSSARY = SOURCE_DIR / "GLOSSARY.md"
PO = SOURCE_DIR / "zh_CN" / "LC_MESSAGES" / "fieldapp.po"
# Words of the English that are not the concept: code identifiers and option names in messages.
CODE_SPAN = re.compile(r"--[a-z-]+|`[^`]*`|\{[^{}]*\}")


@dataclass(frozen=True)
class Term:
    english: re.Pattern[str]
    chinese: str
    forbidden: tuple[re.Pattern[str], ...]


def _cells(line: str) -> list[str]:
    # Split a Markdown table row on unescaped pipes, then unescape.
    parts = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [p.strip().replace("\\|", "|") for p in parts]


def load_glossary() -> list[Term]:
    terms = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        english, chinese, forbidden, _note = _cells(line)[:4]
        terms.append(Term(
            english=re.compile(english.strip("`"), re.IGNORECASE),
            chinese=chinese,
            forbidden=tuple(re.compile(f.strip()) for f in forbidden.split(" | ") if f.strip()),
        ))
    return terms


def load_catalog() -> list[tuple[str, str]]:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    pairs = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        chinese = message.string if isinstance(message.string, str) else message.string[0]
        pairs.append((english, chinese))
    return pairs


def test_the_glossary_parses() -> None:
    terms = load_glossary()
    assert len(terms) >= 20
    assert any(t.chinese == "职务" for t in terms)


def test_a_variant_is_caught() -> None:
    # The check itself can fail: a translation that says 编码表 for the codebook is reported.
    terms = load_glossary()
    assert _problems([("Codebook", "编码表")], terms)
    assert _problems([("Site", "地点")], terms)
    assert not _problems([("Site", "调研点")], terms)
    assert not _problems([("Place", "访谈地点")], terms)


def _problems(pairs: list[tuple[str, str]], terms: list[Term]) -> list[str]:
    found = []
    for english, chinese in pairs:
        plain = CODE_SPAN.sub(" ", english.replace("&", ""))
        for term in terms:
            if term.english.search(plain) and term.chinese not in chinese:
                found.append(f"{english!r} → {chinese!r}: should say {term.chinese}")
            for bad in term.forbidden:
                if bad.search(chinese):
                    found.append(f"{english!r} → {chinese!r}: uses {bad.pattern!r}, "
                                 f"say {term.chinese}")
    return found


@pytest.mark.parametrize("term", load_glossary(), ids=lambda t: t.chinese)
def test_the_catalog_follows_the_glossary(term: Term) -> None:
    problems = _problems(load_catalog(), [term])
    assert not problems, "\n".join(problems[:20])


def test_chinese_lists_are_joined_with_the_enumeration_comma() -> None:
    from fieldapp.i18n import format_list, set_language

    set_language("zh_CN")
    try:
        assert format_list(["广州", "昆明", "成都"]) == "广州、昆明和成都"
    finally:
        set_language("en")
    assert format_list(["Guangzhou", "Kunming"]) == "Guangzhou and Kunming"
