"""The look of the desktop app, in one place: spacing, type, icons, headers and muted text.

Choices (see docs/DESIGN-UI.md):

* **Colours come from the system palette.** Nothing here names a colour: headers, hints and
  empty states use palette roles (``WindowText``, ``PlaceholderText``), so a dark desktop theme
  gives a dark fieldapp and a high-contrast theme stays high-contrast. Icons are drawn in the
  palette's text colour (see :func:`icon`).
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

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QWidget,
)

from fieldapp.ui import fonts

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

#: The application-wide style sheet: sizes only, never a colour (colours are the palette's).
STYLE_SHEET = """
QPushButton { padding: 3px 12px; }
QPlainTextEdit[reading="true"] { background: palette(base); }
"""


def apply(app: QApplication) -> None:
    """Fonts and the style sheet for the whole application (idempotent)."""
    fonts.apply(app)
    if app.property("fieldapp_style") != STYLE_SHEET:
        app.setStyleSheet(STYLE_SHEET)
        app.setProperty("fieldapp_style", STYLE_SHEET)


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
    """The bundled icon ``name`` (fieldapp/ui/icons/NAME.svg), drawn in ``colour`` (by
    default the palette's text colour, so it follows a light or dark theme); its disabled
    form in the palette's disabled text colour."""
    palette = QApplication.palette()
    normal = colour or palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    return QIcon(_icon(name, normal.name(), disabled.name()))


@cache
def _icon(name: str, normal: str, disabled: str) -> QIcon:
    result = QIcon()
    for size in (16, 24, 32):  # Qt scales these for other sizes
        for mode, tint in ((QIcon.Mode.Normal, normal), (QIcon.Mode.Disabled, disabled)):
            result.addPixmap(_render(name, tint, size), mode)
    return result


def _render(name: str, colour: str, size: int) -> QPixmap:
    svg = _svg(name).replace("currentColor", colour)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return pixmap
