"""The export shows the fixed vocabularies' labels from the one vocabulary module, and the
desktop does the same for a survey response's status: no second copy of a label to drift apart
(the export once wrote "group" as 题组, "question group", where the desktop said 小组访谈)."""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po

from fieldapp.domain.vocabulary import FIXED
from fieldapp.export.vocab import ENUMS, EXPORT_CODES, FIXED_FOR
from fieldapp.i18n.catalog import SOURCE_DIR
from fieldapp.services import surveys

ROOT = Path(__file__).resolve().parents[3]


def _literal_messages(path: Path) -> list[tuple[int, str]]:
    """Every string literal passed to ``_``/``N_``/``ngettext`` in the module, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_", "ngettext")):
            found += [(node.lineno, a.value) for a in node.args
                      if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return found


def test_export_vocab_writes_no_label_of_a_fixed_vocabulary() -> None:
    fixed = {text.casefold() for vocabulary in FIXED.values() for text in vocabulary.values()}
    own = [(line, text) for line, text in _literal_messages(ROOT / "fieldapp/export/vocab.py")
           if text.casefold() in fixed]
    assert not own, f"export/vocab.py spells out labels FIXED already has: {own}"


def test_every_export_vocabulary_is_a_fixed_one_with_the_same_labels() -> None:
    for kind, values in ENUMS.items():
        source = FIXED[FIXED_FOR[kind]]
        renamed = EXPORT_CODES.get(kind, {})
        assert list(values) == [renamed.get(code, code) for code in source], kind
        # the very strings of FIXED, not equal copies
        assert all(a is b for a, b in zip(values.values(), source.values(), strict=True)), kind


def test_the_export_writes_none_for_a_participant_without_consent() -> None:
    assert ENUMS["consent_status"]["none"] is FIXED["consent_status"][""]
    assert "" not in ENUMS["consent_status"]


def test_every_label_the_export_shows_has_chinese_in_the_catalog() -> None:
    with (SOURCE_DIR / "zh_CN" / "LC_MESSAGES" / "fieldapp.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    missing = [(kind, text) for kind, values in ENUMS.items() for text in values.values()
               if text not in catalog or not catalog[text].string]
    assert not missing, missing


def test_response_status_codes_are_the_services_codes() -> None:
    assert list(FIXED["response_status"]) == [surveys.DRAFT, surveys.COMPLETE]


def test_the_desktop_takes_response_status_labels_from_the_vocabulary() -> None:
    # "&Complete" (the button) is an action, not the status's label, and stays in the UI.
    status = set(FIXED["response_status"].values())
    hand_written = [(str(path.relative_to(ROOT)), line, text)
                    for path in sorted((ROOT / "fieldapp/ui").rglob("*.py"))
                    for line, text in _literal_messages(path) if text in status]
    assert not hand_written, hand_written
