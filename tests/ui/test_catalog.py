"""Every message in the source has a Chinese translation, with the same placeholders."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from fieldapp.i18n.catalog import SOURCE_DIR, missing_translations

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def test_every_message_has_a_chinese_translation() -> None:
    missing = missing_translations("zh_CN")
    assert not missing, f"{len(missing)} messages lack a Chinese translation: {missing[:10]}"


def test_translations_keep_their_placeholders() -> None:
    with (SOURCE_DIR / "zh_CN" / "LC_MESSAGES" / "fieldapp.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    assert catalog.num_plurals == 1
    wrong = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = [set(PLACEHOLDER.findall(i)) for i in ids]
        for s in strings:
            if s and set(PLACEHOLDER.findall(s)) not in wanted:
                wrong.append((ids[0], s))
    assert not wrong, wrong[:5]
