"""The application-wide look every screen shares, the first one included: the fonts and the
style sheet, kept in step with the system palette while the app runs.

This module is light on purpose: the start sequence (fieldapp/ui/start.py) applies it before the
unlock dialog, the first screen, is shown, when only Qt's core, gui and widgets modules are
loaded (no QtSvg, no main window; tests/unit/test_startup.py checks it). fieldapp/ui/style.py,
which the main window uses, re-exports it: the look has one source.

* **The style sheet sets sizes only**; where it needs a colour it names a palette role
  (``palette(base)``). Those roles are resolved to the palette's colours when the sheet is
  applied (:func:`style_sheet`), and the sheet is applied again whenever the application's
  palette changes (the system switching between a light and a dark scheme, or a high-contrast
  theme): Qt resolves ``palette(...)`` in a style sheet once, when it polishes a widget, so a
  sheet left alone would keep the old scheme's colours.
* **One place follows the palette**: :func:`apply` installs a watcher that receives Qt's
  ``ApplicationPaletteChange`` (and the style hints' ``colorSchemeChanged``) and re-applies the
  sheet. The icons (fieldapp/ui/style.py) are drawn in the palette's colours each time they are
  painted, so they follow the same change without being set again.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget

from fieldapp.ui import fonts

#: The application-wide style sheet: sizes only; a colour only as a palette role, resolved to
#: the current palette by :func:`style_sheet`.
STYLE_SHEET = """
QPushButton { padding: 3px 12px; }
QPlainTextEdit[reading="true"] { background: palette(base); }
"""

_ROLE = re.compile(r"palette\(\s*([a-z-]+)\s*\)")
_ROLES = {role.name.lower(): role for role in QPalette.ColorRole
          if role.name not in ("NColorRoles", "NoRole")}


def style_sheet(palette: QPalette | None = None) -> str:
    """:data:`STYLE_SHEET` with each ``palette(role)`` replaced by that role's colour in
    ``palette`` (by default the application's), as the app applies it."""
    palette = palette if palette is not None else QApplication.palette()

    def colour(match: re.Match[str]) -> str:
        role = _ROLES.get(match.group(1).replace("-", ""))
        if role is None:  # a role this code does not know: left to Qt
            return match.group(0)
        return palette.color(QPalette.ColorGroup.Active, role).name()

    return _ROLE.sub(colour, STYLE_SHEET)


def apply(app: QApplication) -> None:
    """The fonts and the style sheet for the whole application, following the palette from now
    on (idempotent; cheap enough to run before the first screen)."""
    global _watch
    fonts.apply(app)
    _apply_sheet(app)
    if _watch is None or _watch.app is not app:
        _watch = _PaletteWatch(app)


def _apply_sheet(app: QApplication) -> None:
    sheet = style_sheet(app.palette())
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)


#: The one watcher of the running application (a widget without a parent lives as long as a
#: Python reference to it).
_watch: _PaletteWatch | None = None


class _PaletteWatch(QWidget):
    """Never shown. Qt sends ``ApplicationPaletteChange`` to every top-level widget when the
    application's palette changes (shown or not); this one re-applies the style sheet for the
    new palette. (A filter on the application object would see every event of the app.)"""

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self.setObjectName("fieldapp_palette_watch")
        self.app = app
        self._pending = False
        hints = app.styleHints()
        if hasattr(hints, "colorSchemeChanged"):  # Qt 6.5 and later
            hints.colorSchemeChanged.connect(self._changed)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._changed()
        return super().event(event)

    def _changed(self, *_args: object) -> None:
        # After the change has reached every widget (not in the middle of it).
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._refresh)

    def _refresh(self) -> None:
        self._pending = False
        _apply_sheet(self.app)
