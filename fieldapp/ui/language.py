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

#: Strings of Qt's own dialogs that its Chinese catalog lacks (Qt 6 added mnemonics to them, and
#: ``qtbase_zh_CN`` still has only the old texts): (context, source) → Chinese.
QT_GAPS_ZH = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
}


class QtGapsTranslator(QTranslator):
    """Fills the gaps in Qt's Chinese catalog (:data:`QT_GAPS_ZH`); anything else falls through
    to the other translators."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        # None is a null string to Qt, which then asks the next translator; "" would be taken
        # as the translation.
        return QT_GAPS_ZH.get((context, source))

    def isEmpty(self) -> bool:
        return False


class LanguageBus(QObject):
    changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._qt_translator: QTranslator | None = None
        self._gaps: QtGapsTranslator | None = None
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
        if self._gaps is not None and app is not None:
            QApplication.removeTranslator(self._gaps)
            self._gaps = None
        if lang == "zh_CN":
            QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Script.SimplifiedHanScript,
                                       QLocale.Country.China))
            translator = QTranslator(self)
            path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            if translator.load("qtbase_zh_CN", path) and app is not None:
                QApplication.installTranslator(translator)
                self._qt_translator = translator
            if app is not None:
                self._gaps = QtGapsTranslator(self)
                QApplication.installTranslator(self._gaps)
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
