"""The export dialog in Chinese: no English left but names of programs, formats and data."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtWidgets import QListWidget

from fieldapp.ui.context import AppContext
from fieldapp.ui.export import ExportDialog
from fieldapp.ui.main_window import MainWindow
from tests.ui.test_language import ALLOWED, DATA, WORD, strings_of

#: programs, file formats and the export language named in itself
PROPER = ALLOWED | {"Excel", "WPS", "SPSS", "Stata", "CSV", "xlsx", "zip", "BOM", "UTF",
                    "dta", "sav", "REFI", "QDA", "NVivo", "ATLAS", "ti", "MAXQDA", "QualCoder",
                    "qdpx"}  # program and file-format names
#: lists whose items are the study's own data (site names, researchers, form titles)
DATA_LISTS = {"filter_sites", "filter_sectors", "filter_researchers", "filter_instruments"}


def english_in(dialog: ExportDialog) -> list[str]:
    found = list(strings_of(dialog))
    for lst in dialog.findChildren(QListWidget):
        if lst.objectName() not in DATA_LISTS:
            found += [(lst.objectName(), lst.item(i).text()) for i in range(lst.count())]
    left = []
    for where, text in found:
        for data in DATA:
            text = data.sub("", text)
        words = {w for w in WORD.findall(text.replace("&", "")) if w not in PROPER}
        if words:
            left.append(f"{where}: {text!r}")
    return left


def test_switching_to_chinese_leaves_no_english(qtbot: Any, ctx: AppContext,
                                                unlocked: MainWindow,
                                                dialog: ExportDialog) -> None:
    english = sorted(t for _w, t in strings_of(dialog))
    assert english_in(dialog), "the check sees the English"
    unlocked.act_lang_zh.trigger()
    qtbot.wait(20)
    left = english_in(dialog)
    assert not left, "English left after switching to Chinese:\n" + "\n".join(left)
    texts = " ".join(t for _w, t in strings_of(dialog))
    for term in ("导出", "分析用数据", "直接身份信息", "审计日志", "字节顺序标记（BOM）"):
        assert term in texts, term
    assert re.search("[\u4e00-\u9fff]", dialog.filters.lists["statuses"].item(0).text())
    assert dialog.language.currentData() == "en", "the export language stays as chosen"

    unlocked.act_lang_en.trigger()
    qtbot.wait(20)
    assert sorted(t for _w, t in strings_of(dialog)) == english


def test_the_menu_entry_in_chinese(qtbot: Any, unlocked: MainWindow) -> None:
    unlocked.act_lang_zh.trigger()
    assert unlocked.act_export.text().startswith("导出分析用数据")
