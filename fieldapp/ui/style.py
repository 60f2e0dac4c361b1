"""The look of the desktop app, in one place: spacing, type, icons, headers and muted text.

Choices (see docs/DESIGN-UI.md):

* **Colours come from the system palette.** Nothing here names a colour: headers, hints and
  empty states use palette roles (``WindowText``, ``PlaceholderText``), so a dark desktop theme
  gives a dark fieldapp and a high-contrast theme stays high-contrast. Icons are drawn in the
  palette's text colour when they are painted (see :func:`icon`), and the style sheet is
  re-applied when the palette changes (fieldapp/ui/theme.py), so a switch between a light and
  a dark scheme while the app runs redraws both.
* **One spacing scale**: :data:`SPACING` between controls, :data:`MARGIN` around a page,
  :data:`SECTION` between groups of controls; push buttons share one padding, so a row of
  buttons reads as a row whatever their text (heights stay the platform's).
* **A reading font for long text** (notes, transcripts, memos): a Simplified Chinese family
  first (its Latin letters are designed to sit beside Han characters, and its line spacing of
  about 1.45 em gives Chinese the air it needs; ``QPlainTextEdit``, which keeps a 100,000-
  character transcript fast, ignores ``QTextBlockFormat`` line heights, so the font provides
  the leading), at about 1.25 × the interface size, with a document margin; in focus mode the
  text is set in a column of about 42 Chinese characters.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QWidget,
)

from fieldapp.ui import fonts, theme

#: Pixels between controls in a row or column.
SPACING = 8
#: Pixels around the content of a page (a tab): small, for 13-inch screens.
MARGIN = 6
#: Pixels between groups of controls.
SECTION = 16
#: The reading font's size, relative to the interface font.
READING_SCALE = 1.25
#: The reading font's smallest size, in points.
READING_MIN_PT = 11.0
#: Space inside a note's page around the text, in pixels.
READING_MARGIN = 12
#: Focus mode: the width of the text column, in Chinese characters (about 84 Latin letters).
COLUMN_EMS = 42

ICON_DIR = Path(__file__).with_name("icons")

# The fonts and the application style sheet live in fieldapp/ui/theme.py, light enough to be
# applied before the unlock dialog (the first screen); re-exported here for the main window.
STYLE_SHEET = theme.STYLE_SHEET
style_sheet = theme.style_sheet
apply = theme.apply


# -- type -----------------------------------------------------------------------------------


def reading_font(base: QFont | None = None) -> QFont:
    """The font for long text: the Chinese family first, then the interface families; larger
    than the interface font."""
    app_font = QFont(base) if base is not None else QApplication.font()
    font = QFont(app_font)
    families = [f for f in app_font.families() or [app_font.family()] if f]
    cjk = fonts.chinese_family()
    if cjk:
        families = [cjk, *[f for f in families if f != cjk]]
    font.setFamilies(families)
    size = app_font.pointSizeF()
    if size <= 0:  # a pixel-sized interface font
        size = app_font.pixelSize() * 0.75
    font.setPointSizeF(round(max(size * READING_SCALE, READING_MIN_PT) * 2) / 2)
    return font


def make_reading(edit: QPlainTextEdit) -> None:
    """Set up ``edit`` for reading and writing long Chinese and English text."""
    edit.setProperty("reading", True)
    edit.setFont(reading_font())
    edit.document().setDocumentMargin(READING_MARGIN)
    edit.setCursorWidth(2)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)


def column_width(edit: QWidget) -> int:
    """Focus mode's text column for ``edit``, in pixels."""
    return edit.fontMetrics().horizontalAdvance("中") * COLUMN_EMS + 2 * READING_MARGIN


def header(label: QLabel, level: int = 1) -> QLabel:
    """A heading: bold, and for level 1 larger than the text under it."""
    font = QFont(label.font())
    font.setBold(True)
    if level == 1:
        size = font.pointSizeF()
        if size > 0:
            font.setPointSizeF(size * 1.25)
    label.setFont(font)
    label.setProperty("role", f"header{level}")
    return label


def muted(label: QLabel) -> QLabel:
    """A hint or explanation: the palette's quieter text colour."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setProperty("role", "muted")
    return label


def fit_header(table: QTableView) -> None:
    """Keep every column of ``table`` at least as wide as its heading (with the sort arrow),
    in whichever language the headings are: a narrower column may be dragged by hand, but a
    heading is never cut off when the table is shown or its headings change."""
    header = table.horizontalHeader()

    def fit(*_args: object) -> None:
        for i in range(header.count()):
            if header.isSectionHidden(i) or \
                    header.sectionResizeMode(i) != QHeaderView.ResizeMode.Interactive:
                continue
            need = header.sectionSizeHint(i)
            if header.sectionSize(i) < need:
                header.resizeSection(i, need)

    model = table.model()
    for signal in (model.headerDataChanged, model.modelReset, model.layoutChanged):
        signal.connect(fit)
    fit()


# -- icons ----------------------------------------------------------------------------------

#: Icon names of the main tabs, in the order of the tabs.
TAB_ICONS = ("interviews", "participants", "organisations", "codebook", "search", "analysis",
             "memos", "surveys", "team")


@cache
def _svg(name: str) -> str:
    return (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")


def icon_names() -> list[str]:
    return sorted(p.stem for p in ICON_DIR.glob("*.svg") if p.stem != "fieldapp")


def icon(name: str, colour: QColor | None = None) -> QIcon:
    """The bundled icon ``name`` (fieldapp/ui/icons/NAME.svg), drawn in ``colour``, by default
    in the palette's text colour, and disabled in its disabled text colour. The colours are
    taken when the icon is painted, not when it is made: an icon set on a tab, an action or a
    button follows the palette when the system switches between light and dark while the app
    runs (fieldapp/ui/theme.py), with nothing set again."""
    return QIcon(_TintedIcon(name, colour.name() if colour is not None else None))


class _TintedIcon(QIconEngine):
    """Draws a bundled SVG icon in the palette's colours at paint time, at the size asked."""

    def __init__(self, name: str, colour: str | None) -> None:
        super().__init__()
        self.name = name
        self.colour = colour

    def _tint(self, mode: QIcon.Mode) -> str:
        palette = QApplication.palette()
        if mode == QIcon.Mode.Disabled:
            return palette.color(QPalette.ColorGroup.Disabled,
                                 QPalette.ColorRole.WindowText).name()
        if self.colour is not None:
            return self.colour
        return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText).name()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return _render(self.name, self._tint(mode), size.width(), size.height())

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        pixmap = _render(self.name, self._tint(mode), round(rect.width() * scale),
                         round(rect.height() * scale))
        painter.drawPixmap(rect, pixmap)

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())  # the drawings are square
        return QSize(side, side)

    def availableSizes(self, mode: QIcon.Mode = QIcon.Mode.Normal,
                       state: QIcon.State = QIcon.State.Off) -> list[QSize]:
        return [QSize(s, s) for s in (16, 24, 32, 48)]  # drawn at any size; these are hints

    def isNull(self) -> bool:
        return False

    def key(self) -> str:
        return "fieldapp-tinted"

    def clone(self) -> QIconEngine:
        # Qt clones an engine only when a shared icon made here is changed (addPixmap on a
        # copy). The icon owns the clone in C++ and deletes it with itself, but PySide would
        # free it as soon as Python's last reference went (a crash): keep one until then.
        _CLONES[:] = [e for e in _CLONES if shiboken6.isValid(e)]
        engine = _TintedIcon(self.name, self.colour)
        _CLONES.append(engine)
        return engine


#: Clones handed to Qt and still alive there (see :meth:`_TintedIcon.clone`).
_CLONES: list[_TintedIcon] = []


@lru_cache(maxsize=1024)
def _render(name: str, colour: str, width: int, height: int) -> QPixmap:
    svg = _svg(name).replace("currentColor", colour)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    side = max(1, min(width, height))
    pixmap = QPixmap(QSize(side, side))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return pixmap
