"""One widget per question type of the form runner.

A :class:`QuestionWidget` shows a question's label, hint, answer editor and the message that
applies to it. It never decides anything itself: it calls :attr:`QuestionWidget.on_answer` with
what the researcher entered, and the runner puts that through the form state and then calls
:meth:`QuestionWidget.update_from` on every widget, which shows what the state says (the value,
whether it is shown, read-only, the choices the cascade allows, the messages).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from PySide6.QtCore import QDate, QDateTime, QRegularExpression, Qt, QTime
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QDateEdit,
    QDateTimeEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.i18n import _, current_language
from fieldapp.survey import FormState, Node
from fieldapp.survey.model import Choice

ERROR_STYLE = "color: #b00020"
Answered = Callable[[str, object], None]
EMPTY_DATE = QDate(1900, 1, 1)


class QuestionWidget(QFrame):
    """Label, hint, editor and message of one question (at one repeat instance)."""

    def __init__(self, node: Node, address: str, on_answer: Answered,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node = node
        self.address = address
        #: told (address, value) when the researcher enters ``value`` (None clears the answer).
        #: A plain callback, not a Signal: one call per keystroke, and ``Signal.emit`` in
        #: PySide6 6.12.0 drops a reference to ``True`` on every call.
        self.on_answer = on_answer
        self.setObjectName(f"question_{address}")
        self._updating = False
        self._shown: tuple[Any, ...] = ()
        self.bad_input = False  # the editor holds text that is not a value of this type
        self.title = QLabel()
        self.title.setObjectName("question_label")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.hint = QLabel()
        self.hint.setObjectName("question_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text)")
        self.message = QLabel()
        self.message.setObjectName("question_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.hide()
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 4, 0, 8)
        self.body.setSpacing(3)
        self.body.addWidget(self.title)
        self.media = QLabel()
        self.media.setObjectName("question_media")
        self.media.hide()
        self.body.addWidget(self.media)
        self.body.addWidget(self.hint)
        self.build()
        self.body.addWidget(self.message)

    # -- for subclasses ------------------------------------------------------------------

    def build(self) -> None:
        """Add the editor to ``self.body``."""

    def focus_widget(self) -> QWidget:
        return self

    def show_value(self, value: Any) -> None:
        """Show the stored ``value`` in the editor (without emitting)."""

    def set_choices(self, choices: list[Choice], state: FormState) -> None:
        """Selects: show these choices (labels in the state's language)."""

    def set_editable(self, editable: bool) -> None:
        self.focus_widget().setEnabled(editable)

    def input_problem(self) -> str:
        """What is wrong with text that does not parse (shown while ``bad_input``)."""
        return _("This is not a valid answer.")

    # -- shared --------------------------------------------------------------------------

    def give(self, value: Any) -> None:
        if not self._updating:
            self.on_answer(self.address, value)

    def clear_answer(self) -> None:
        self.give(None)

    def update_from(self, state: FormState, show_required: bool) -> None:
        """Show what the state says about this question. Only what changed since the last
        call touches the widgets: the runner calls this for every question on every change."""
        relevant = state.is_relevant(self.address)
        if not relevant:
            self.bad_input = False
        required = state.is_required(self.address)
        choices = state.choices(self.address) if self.node.list_name else []
        messages = [] if not relevant else (
            [self.input_problem()] if self.bad_input else
            [i.message for i in state.issues(self.address)
             if i.kind != "required" or show_required])
        view = (relevant, required, state.label(self.address) or self.node.name,
                state.text(self.node.hints), tuple((c.name, state.text(c.labels)) for c in choices),
                None if self.bad_input else repr(state.value(self.address)),
                state.is_read_only(self.address), tuple(messages), current_language())
        if view == self._shown:
            return
        self._shown = view
        self._updating = True
        try:
            self.setVisible(relevant)
            text, hint = view[2], view[3]
            self.title.setText(f"{text} *" if required else text)
            self.title.setToolTip(_("Required") if required else "")
            self.hint.setText(hint)
            self.hint.setVisible(bool(hint))
            if self.node.list_name:
                self.set_choices(choices, state)
            if not self.bad_input:
                self.show_value(state.value(self.address))
            self.set_editable(not view[6])
            self.message.setText("\n".join(messages))
            self.message.setVisible(bool(messages))
            self.decorate(state)
        finally:
            self._updating = False

        self.show_media(state)

    def show_media(self, state: FormState) -> None:
        """The picture of the ``image`` column (kept in the instrument), at most 480 px wide;
        audio and video files are named (a desktop form does not play them)."""
        media = self.node.media
        if not media:
            return
        picture = state.text(media.get("big-image", {})) or state.text(media.get("image", {}))
        data = state.instrument.media_files.get(picture) if picture else None
        if data is not None:
            import base64

            from PySide6.QtGui import QPixmap

            pixmap = QPixmap()
            if pixmap.loadFromData(base64.b64decode(data)):
                if pixmap.width() > 480:
                    pixmap = pixmap.scaledToWidth(480, Qt.TransformationMode.SmoothTransformation)
                self.media.setPixmap(pixmap)
                self.media.show()
                return
        names = [state.text(media[k]) for k in ("audio", "video") if k in media]
        if names:
            self.media.setText(_("Media of this question: {files}").format(
                files="、".join(names) if current_language().startswith("zh")
                else ", ".join(names)))
            self.media.show()

    def decorate(self, state: FormState) -> None:
        """Subclasses: set what else they show (called after a change)."""


class NoteWidget(QuestionWidget):
    """A note: text only. Its label may show answers (``${name}``)."""

    def build(self) -> None:
        self.title.setStyleSheet("font-style: italic")


class TextWidget(QuestionWidget):
    def build(self) -> None:
        self.multiline = "multiline" in self.node.appearance.split()
        if self.multiline:
            self.plain = QPlainTextEdit()
            self.plain.setObjectName("answer")
            self.plain.setTabChangesFocus(True)
            self.plain.setFixedHeight(80)
            self.plain.textChanged.connect(self._plain_changed)
            self.body.addWidget(self.plain)
        else:
            self.edit = QLineEdit()
            self.edit.setObjectName("answer")
            if "numbers" in appearances(self.node):  # ODK's numeric keyboard
                self.edit.setValidator(QRegularExpressionValidator(
                    QRegularExpression(r"[0-9+\-., ]*"), self))
            self.edit.textChanged.connect(self._text_changed)
            self.body.addWidget(self.edit)

    def _plain_changed(self) -> None:
        self.give(self.plain.toPlainText() or None)

    def _text_changed(self, text: str) -> None:
        self.give(text or None)

    def focus_widget(self) -> QWidget:
        return self.plain if self.multiline else self.edit

    def show_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.multiline:
            if self.plain.toPlainText() != text:
                self.plain.setPlainText(text)
        elif self.edit.text() != text:
            self.edit.setText(text)

    def set_editable(self, editable: bool) -> None:
        if self.multiline:
            self.plain.setReadOnly(not editable)
        else:
            self.edit.setReadOnly(not editable)


class NumberWidget(TextWidget):
    """integer and decimal: typed as text, checked by the form (and a validator for the keys)."""

    def build(self) -> None:
        self.multiline = False
        self.edit = QLineEdit()
        self.edit.setObjectName("answer")
        pattern = r"-?\d*" if self.node.type == "integer" else r"-?\d*[.,]?\d*"
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self))
        self.edit.setMaximumWidth(220)
        self.edit.textChanged.connect(self._number_changed)
        self.body.addWidget(self.edit)

    def show_value(self, value: Any) -> None:
        if value is None:
            if self.edit.text():
                self.edit.setText("")
            return
        current = self.edit.text().replace(",", ".").strip()
        try:
            if float(current) == float(value):
                return  # what is typed already means this value (e.g. "15.50")
        except ValueError:
            pass
        self.edit.setText(_number_text(value))

    def _number_changed(self, text: str) -> None:
        self.give(text.replace(",", ".").strip() or None)

    def input_problem(self) -> str:
        if self.node.type == "integer":
            return _("Enter a whole number.")
        return _("Enter a number.")


class SelectOneWidget(QuestionWidget):
    """Radio buttons, one per choice, and a button to clear the answer."""

    def build(self) -> None:
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QAbstractButton] = {}
        # horizontal, likert, columns: the choices side by side, as ODK lays them out
        self.choice_box: QHBoxLayout | QVBoxLayout = (
            QHBoxLayout() if appearances(self.node) & _SIDE_BY_SIDE else QVBoxLayout())
        self.choice_box.setSpacing(2)
        self.body.addLayout(self.choice_box)
        self.clear_button = QPushButton()
        self.clear_button.setObjectName("clear_answer")
        self.clear_button.setFlat(True)
        self.clear_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.clear_button.clicked.connect(self.clear_answer)
        row = QHBoxLayout()
        row.addWidget(self.clear_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.names: list[str] = []

    def _make_button(self, name: str) -> QAbstractButton:
        button = QRadioButton()
        button.toggled.connect(partial(self._toggled, name))
        return button

    def _toggled(self, name: str, on: bool) -> None:
        if on:
            self.give(name)

    def focus_widget(self) -> QWidget:
        checked = [b for b in self.buttons.values() if b.isChecked()]
        if checked:
            return checked[0]
        return next(iter(self.buttons.values()), self)

    def set_choices(self, choices: list[Choice], state: FormState) -> None:
        names = [c.name for c in choices]
        if names != self.names:
            for button in self.buttons.values():
                self.group.removeButton(button)
                self.choice_box.removeWidget(button)
                button.hide()  # off the screen now; deleted once its signals have returned
                button.deleteLater()
            self.buttons = {}
            for name in names:
                button = self._make_button(name)
                button.setObjectName(f"choice_{name}")
                self.group.addButton(button)
                self.choice_box.addWidget(button)
                button.show()  # added to a page that may be on screen already
                self.buttons[name] = button
            self.names = names
        for choice in choices:
            button = self.buttons[choice.name]
            button.setText(state.text(choice.labels) or choice.name)
            if choice.media and button.icon().isNull():
                icon = choice_icon(choice, state)
                if icon is not None:
                    button.setIcon(icon)
                    button.setIconSize(icon.availableSizes()[0])
        self.clear_button.setText(_("Clear answer"))

    def show_value(self, value: Any) -> None:
        self.group.setExclusive(False)
        for name, button in self.buttons.items():
            button.setChecked(name == value)
        self.group.setExclusive(True)
        self.clear_button.setVisible(value is not None)

    def set_editable(self, editable: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(editable)
        self.clear_button.setEnabled(editable)


def choice_icon(choice: Choice, state: FormState) -> Any:
    """A choice's picture (the choices sheet's image column), at most 96 px high."""
    import base64

    from PySide6.QtGui import QIcon, QPixmap

    name = state.text(choice.media.get("image", {}))
    data = state.instrument.media_files.get(name) if name else None
    if data is None:
        return None
    pixmap = QPixmap()
    if not pixmap.loadFromData(base64.b64decode(data)):
        return None
    if pixmap.height() > 96:
        pixmap = pixmap.scaledToHeight(96, Qt.TransformationMode.SmoothTransformation)
    return QIcon(pixmap)


_SIDE_BY_SIDE = {"horizontal", "horizontal-compact", "likert", "columns", "columns-pack",
                 "columns-1", "columns-2", "columns-3", "columns-4", "columns-5", "compact"}


def appearances(node: Node) -> set[str]:
    return set(node.appearance.lower().split())


class ComboWidget(QuestionWidget):
    """select_one with ``minimal`` (a drop-down), ``autocomplete`` or ``search`` (a drop-down the
    researcher can type into to find a choice)."""

    def build(self) -> None:
        from PySide6.QtWidgets import QComboBox, QCompleter

        self.names: list[str] = []
        self.combo = QComboBox()
        self.combo.setObjectName("answer")
        self.combo.setMinimumWidth(240)
        if appearances(self.node) & {"autocomplete", "search"}:
            self.combo.setEditable(True)
            self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            completer = self.combo.completer()
            if completer is not None:
                completer.setFilterMode(Qt.MatchFlag.MatchContains)
                completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.activated.connect(self._chosen)
        row = QHBoxLayout()
        row.addWidget(self.combo)
        row.addStretch(1)
        self.body.addLayout(row)

    def focus_widget(self) -> QWidget:
        return self.combo

    def _chosen(self, index: int) -> None:
        self.give(self.names[index - 1] if 0 < index <= len(self.names) else None)

    def set_choices(self, choices: list[Choice], state: FormState) -> None:
        names = [c.name for c in choices]
        labels = [state.text(c.labels) or c.name for c in choices]
        current = [self.combo.itemText(i) for i in range(1, self.combo.count())]
        if names == self.names and labels == current:
            return
        self.names = names
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("")
        for label in labels:
            self.combo.addItem(label)
        self.combo.blockSignals(False)

    def show_value(self, value: Any) -> None:
        index = self.names.index(value) + 1 if value in self.names else 0
        if self.combo.currentIndex() != index:
            self.combo.setCurrentIndex(index)


class SelectMultipleWidget(SelectOneWidget):
    """Check boxes; "Other" reveals the "specify" question the form puts after it."""

    def build(self) -> None:
        super().build()
        self.group.setExclusive(False)
        self.clear_button.hide()

    def _make_button(self, name: str) -> QAbstractButton:
        button = QCheckBox()
        button.toggled.connect(self._checked)
        return button

    def _checked(self, _on: bool) -> None:
        self.give([n for n in self.names if self.buttons[n].isChecked()] or None)

    def show_value(self, value: Any) -> None:
        chosen = set(value or [])
        for name, button in self.buttons.items():
            button.setChecked(name in chosen)
        self.clear_button.hide()


class AcknowledgeWidget(QuestionWidget):
    def build(self) -> None:
        self.box = QCheckBox()
        self.box.setObjectName("answer")
        self.box.toggled.connect(self._acknowledged)
        self.body.addWidget(self.box)

    def _acknowledged(self, on: bool) -> None:
        self.give("OK" if on else None)

    def focus_widget(self) -> QWidget:
        return self.box

    def show_value(self, value: Any) -> None:
        self.box.setChecked(value == "OK")

    def decorate(self, state: FormState) -> None:
        self.box.setText(_("OK"))


class _TemporalWidget(QuestionWidget):
    """date, time and dateTime: a spin editor whose lowest value means "no answer"."""

    editor: QDateTimeEdit

    def build(self) -> None:
        self.editor = self.make_editor()
        self.editor.setObjectName("answer")
        if not isinstance(self.editor, QTimeEdit):
            self.editor.setMinimumDateTime(QDateTime(EMPTY_DATE, QTime(0, 0)))
        self.editor.setSpecialValueText(" ")
        self.editor.setMaximumWidth(240)
        self.editor.dateTimeChanged.connect(self._changed)
        self.clear_button = QPushButton()
        self.clear_button.setObjectName("clear_answer")
        self.clear_button.setFlat(True)
        self.clear_button.clicked.connect(self.clear_answer)
        row = QHBoxLayout()
        row.addWidget(self.editor)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        self.body.addLayout(row)

    def make_editor(self) -> QDateTimeEdit:
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        return self.editor

    def _is_empty(self) -> bool:
        return self.editor.dateTime() == self.editor.minimumDateTime()

    def _changed(self) -> None:
        self.give(None if self._is_empty() else self.as_text())

    def as_text(self) -> str:
        raise NotImplementedError

    def show_value(self, value: Any) -> None:
        if value is None:
            self.editor.setDateTime(self.editor.minimumDateTime())
        elif value != self.as_text() or self._is_empty():
            self.set_text(str(value))

    def set_text(self, value: str) -> None:
        raise NotImplementedError

    def decorate(self, state: FormState) -> None:
        self.clear_button.setText(_("Clear answer"))
        self.clear_button.setVisible(not self._is_empty())


class DateWidget(_TemporalWidget):
    """A date; ``month-year`` and ``year`` ask only for those (stored as the first day, as ODK
    stores them), ``no-calendar`` has no pop-up calendar."""

    def make_editor(self) -> QDateTimeEdit:
        editor = QDateEdit()
        shown = appearances(self.node)
        editor.setCalendarPopup(not shown & {"no-calendar", "month-year", "year"})
        editor.setDisplayFormat("yyyy" if "year" in shown else
                                "yyyy-MM" if "month-year" in shown else "yyyy-MM-dd")
        return editor

    def as_text(self) -> str:
        day = self.editor.date()
        shown = appearances(self.node)
        if "year" in shown:
            day = QDate(day.year(), 1, 1)
        elif "month-year" in shown:
            day = QDate(day.year(), day.month(), 1)
        return str(day.toString(Qt.DateFormat.ISODate))

    def set_text(self, value: str) -> None:
        self.editor.setDate(QDate.fromString(value[:10], Qt.DateFormat.ISODate))


class TimeWidget(_TemporalWidget):
    """A time of day; 00:00 shows blank and means "no answer" (00:01 is the first time)."""

    def make_editor(self) -> QDateTimeEdit:
        editor = QTimeEdit()
        editor.setDisplayFormat("HH:mm")
        return editor

    def _is_empty(self) -> bool:
        return self.editor.time() == QTime(0, 0)

    def show_value(self, value: Any) -> None:
        if value is None:
            self.editor.setTime(QTime(0, 0))
        elif value != self.as_text():
            self.set_text(str(value))

    def as_text(self) -> str:
        return str(self.editor.time().toString("HH:mm:ss"))

    def set_text(self, value: str) -> None:
        self.editor.setTime(QTime.fromString(value[:8], "HH:mm:ss"))


class DateTimeWidget(_TemporalWidget):
    def make_editor(self) -> QDateTimeEdit:
        editor = QDateTimeEdit()
        editor.setCalendarPopup(True)
        editor.setDisplayFormat("yyyy-MM-dd HH:mm")
        return editor

    def as_text(self) -> str:
        return str(self.editor.dateTime().toString("yyyy-MM-ddTHH:mm:ss"))

    def set_text(self, value: str) -> None:
        self.editor.setDateTime(QDateTime.fromString(value[:19], "yyyy-MM-ddTHH:mm:ss"))


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class GeoWidget(TextWidget):
    """geopoint / geotrace / geoshape: a desktop has no GPS, so coordinates are typed or pasted
    ("latitude longitude [altitude accuracy]", one point a line for a trace or a shape)."""

    def build(self) -> None:
        if self.node.type == "geopoint":
            self.multiline = False
            self.edit = QLineEdit()
            self.edit.setObjectName("answer")
            self.edit.textChanged.connect(self._text_changed)
            self.edit.setPlaceholderText(_("latitude longitude [altitude accuracy], e.g. "
                                           "39.9042 116.4074"))
            self.body.addWidget(self.edit)
        else:
            self.multiline = True
            self.plain = QPlainTextEdit()
            self.plain.setObjectName("answer")
            self.plain.setTabChangesFocus(True)
            self.plain.setPlaceholderText(_("one point a line: latitude longitude [altitude "
                                            "accuracy]"))
            self.plain.textChanged.connect(self._plain_changed)
            self.body.addWidget(self.plain)

    def _plain_changed(self) -> None:
        lines = [line.strip() for line in self.plain.toPlainText().splitlines() if line.strip()]
        self.give(";".join(lines) or None)

    def show_value(self, value: Any) -> None:
        if self.multiline and value is not None:
            value = "\n".join(p.strip() for p in str(value).split(";"))
            if ";".join(self.plain.toPlainText().split()) == ";".join(str(value).split()):
                return
        super().show_value(value)

    def input_problem(self) -> str:
        return _("Enter coordinates as latitude (-90 to 90) and longitude (-180 to 180) in "
                 "decimal degrees, optionally followed by altitude and accuracy in metres.")


class RankWidget(QuestionWidget):
    """rank: the choices in a list the researcher puts in order by dragging."""

    def build(self) -> None:
        self.names: list[str] = []
        self.list = QListWidget()
        self.list.setObjectName("answer")
        self.list.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        self.list.model().rowsMoved.connect(self._moved)
        self.body.addWidget(self.list)

    def focus_widget(self) -> QWidget:
        return self.list

    def set_choices(self, choices: list[Choice], state: FormState) -> None:
        names = [c.name for c in choices]
        if sorted(names) == sorted(self.names):
            return
        self.names = names
        self.list.clear()
        for choice in choices:
            item = QListWidgetItem(state.text(choice.labels) or choice.name)
            item.setData(Qt.ItemDataRole.UserRole, choice.name)
            self.list.addItem(item)

    def show_value(self, value: Any) -> None:
        if not value:
            return
        order = list(value)
        current = [self.list.item(i).data(Qt.ItemDataRole.UserRole)
                   for i in range(self.list.count())]
        if current[: len(order)] == order:
            return
        items = {self.list.item(i).data(Qt.ItemDataRole.UserRole): self.list.item(i).text()
                 for i in range(self.list.count())}
        self.list.clear()
        for name in order + [n for n in current if n not in order]:
            item = QListWidgetItem(items.get(name, name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)

    def _moved(self, *_args: Any) -> None:
        self.give([self.list.item(i).data(Qt.ItemDataRole.UserRole)
                   for i in range(self.list.count())])


class AttachRequest:
    """What a file question gives when its button is pressed: the runner asks for the file
    (through the interaction seam), stores it encrypted and answers with it."""

    FILTERS: ClassVar[dict[str, str]] = {"image": "*.jpg *.jpeg *.png *.gif *.bmp *.webp *.heic",
               "audio": "*.mp3 *.m4a *.wav *.ogg *.amr *.aac *.flac",
               "video": "*.mp4 *.mov *.avi *.mkv *.3gp *.webm"}

    def __init__(self, kind: str) -> None:
        self.kind = kind

    @property
    def filters(self) -> str:
        pattern = self.FILTERS.get(self.kind)
        return f"{self.kind} ({pattern})" if pattern else ""


class FileWidget(QuestionWidget):
    """image / audio / video / file: a button to attach a file (kept as an encrypted attachment
    of the response; the answer is ``ATTACHMENT_ID/name``) and the name of the file attached."""

    def build(self) -> None:
        row = QHBoxLayout()
        self.name = QLabel()
        self.name.setObjectName("answer")
        self.pick = QPushButton()
        self.pick.setObjectName("attach_file")
        self.pick.clicked.connect(lambda: self.give(AttachRequest(self.node.type)))
        row.addWidget(self.name, 1)
        row.addWidget(self.pick)
        self.body.addLayout(row)

    def focus_widget(self) -> QWidget:
        return self.pick

    def show_value(self, value: Any) -> None:
        self.pick.setText(_("Attach a file…"))
        self.name.setText(str(value).partition("/")[2] if value else _("No file attached."))


WIDGETS: dict[str, type[QuestionWidget]] = {
    "geopoint": GeoWidget, "geotrace": GeoWidget, "geoshape": GeoWidget,
    "barcode": TextWidget, "range": NumberWidget, "rank": RankWidget,
    "image": FileWidget, "audio": FileWidget, "video": FileWidget, "file": FileWidget,
    "text": TextWidget, "integer": NumberWidget, "decimal": NumberWidget,
    "select_one": SelectOneWidget, "select_multiple": SelectMultipleWidget,
    "date": DateWidget, "time": TimeWidget, "datetime": DateTimeWidget,
    "acknowledge": AcknowledgeWidget, "note": NoteWidget,
}


def make_widget(node: Node, address: str, on_answer: Answered) -> QuestionWidget | None:
    """The widget for ``node``; None for what the form fills in itself (start, end, today)."""
    cls = WIDGETS.get(node.type)
    if node.type == "select_one" and appearances(node) & {"minimal", "autocomplete", "search"}:
        cls = ComboWidget
    return cls(node, address, on_answer) if cls is not None else None
