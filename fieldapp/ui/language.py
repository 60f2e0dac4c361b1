"""The Qt side of a language switch: one signal every window listens to.

``fieldapp.i18n.set_language`` changes our own catalog; :class:`LanguageBus` hears it, swaps
Qt's shipped ``qtbase_*.qm`` (standard buttons and dialogs), sets the default ``QLocale`` and
emits :attr:`LanguageBus.changed`. Every window connects that signal to its ``retranslate_ui``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator, Signal
from PySide6.QtWidgets import QApplication, QLabel, QToolButton

from fieldapp import i18n


class LanguageBus(QObject):
    changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._qt_translator: QTranslator | None = None
        self._remove = i18n.on_language_changed(self._on_changed)

    def set_language(self, lang: str) -> None:
        i18n.set_language(lang)

    def current(self) -> str:
        return i18n.current_language()

    def detach(self) -> None:
        self._remove()

    def _on_changed(self, lang: str) -> None:
        app = QApplication.instance()
        if self._qt_translator is not None and app is not None:
            QApplication.removeTranslator(self._qt_translator)
            self._qt_translator = None
        if lang == "zh_CN":
            QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Script.SimplifiedHanScript,
                                       QLocale.Country.China))
            translator = QTranslator(self)
            path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            if translator.load("qtbase_zh_CN", path) and app is not None:
                QApplication.installTranslator(translator)
                self._qt_translator = translator
        else:
            QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
        if app is not None:
            _retranslate_qt_internals()
        self.changed.emit(lang)


def _retranslate_qt_internals() -> None:
    """Qt names some of its own helper widgets once, at creation (the tab bar's scroll
    buttons, read by screen readers); name them again in the new language."""
    for widget in QApplication.allWidgets():
        if isinstance(widget, QToolButton):
            name = {"ScrollLeftButton": "Scroll Left",
                    "ScrollRightButton": "Scroll Right"}.get(widget.objectName())
            if name:
                widget.setAccessibleName(QCoreApplication.translate("QTabBar", name))


Message = str | Callable[[], str]


def set_message(label: QLabel, text: Message, colour: str = "") -> None:
    """Show a message; given as a function it is shown again in the new language when the
    language changes (see :func:`refresh_message`)."""
    make = text if callable(text) else (lambda: text)
    label._fieldapp_message = make  # type: ignore[attr-defined]
    label.setText(make())
    label.setStyleSheet(f"color: {colour}" if colour else "")


def refresh_message(label: QLabel) -> None:
    make = getattr(label, "_fieldapp_message", None)
    if make is not None:
        label.setText(make())
