"""Choose fonts explicitly, so Chinese is drawn with Simplified Chinese glyph shapes.

Left to itself, Qt may fall back to a Japanese CJK face under an English locale (the same code
points, different shapes: 直, 海, 骨). We put a Simplified Chinese family right after the Latin
UI family, so Latin text keeps the platform look and Han characters use the SC face.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

#: In order of preference: Windows, macOS, Linux (and the portable Source Han name).
CJK_FAMILIES = (
    "Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
    "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
)
MONO_FAMILIES = ("Cascadia Mono", "Consolas", "Menlo", "DejaVu Sans Mono", "Noto Sans Mono")


def chinese_family() -> str | None:
    available = set(QFontDatabase.families())
    for family in CJK_FAMILIES:
        if family in available:
            return family
    return None


def ui_font(base: QFont | None = None) -> QFont:
    """The application font: the platform's UI family, then the Chinese family."""
    font = QFont(base) if base is not None else QFontDatabase.systemFont(
        QFontDatabase.SystemFont.GeneralFont)
    cjk = chinese_family()
    families = [f for f in font.families() or [font.family()] if f]
    if cjk and cjk not in families:
        families.append(cjk)
    font.setFamilies(families)
    return font


def monospace_font() -> QFont:
    available = set(QFontDatabase.families())
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    for family in MONO_FAMILIES:
        if family in available:
            font.setFamily(family)
            break
    cjk = chinese_family()
    if cjk:
        font.setFamilies([font.family(), cjk])
    return font


def apply(app: QApplication) -> None:
    app.setFont(ui_font(app.font()))
