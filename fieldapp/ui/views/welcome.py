"""First launch: create a workspace, open one, or explore the demo study."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp.i18n import _
from fieldapp.ui import style
from fieldapp.ui.context import AppContext

DEMO_PASSPHRASE = "fieldapp-demo"  # noqa: S105 - the made-up demo's, printed on screen


class WelcomePage(QWidget):
    create_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome_page")
        self.title = QLabel()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setProperty("role", "header1")
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.create_button = QPushButton()
        self.create_button.setObjectName("create_workspace")
        self.open_button = QPushButton()
        self.open_button.setObjectName("open_workspace")
        self.demo_button = QPushButton()
        self.demo_button.setObjectName("explore_demo")
        self.demo_hint = style.muted(QLabel())
        self.demo_hint.setWordWrap(True)
        box = QWidget()
        box.setFixedWidth(560)  # a fixed width lets wrapped labels take their full height
        inner = QVBoxLayout(box)
        inner.setSpacing(style.SPACING)
        inner.addWidget(self.title)
        inner.addWidget(self.intro)
        inner.addSpacing(style.SECTION)
        for button in (self.create_button, self.open_button, self.demo_button):
            button.setMinimumHeight(36)
            inner.addWidget(button)
        inner.addWidget(self.demo_hint)
        # Centred by stretches, not by an alignment flag: an aligned widget gets only its
        # size hint, which is too short for wrapped text (the last line was cut off).
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self.create_button.clicked.connect(self.create_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        ctx.language.changed.connect(self.retranslate_ui)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.title.setText(_("Welcome to fieldapp"))
        self.intro.setText(_("A notebook for fieldwork: participants, consent, interview notes "
                             "and codes, kept encrypted on this computer. It works without a "
                             "network."))
        self.create_button.setText(_("Create a new workspace…"))
        self.create_button.setAccessibleName(_("Create a new workspace"))
        self.open_button.setText(_("Open an existing workspace…"))
        self.open_button.setAccessibleName(_("Open an existing workspace"))
        self.demo_button.setText(_("Explore the demo study"))
        self.demo_button.setAccessibleName(_("Explore the demo study"))
        self.demo_hint.setText(_("The demo is a made-up study with interviews, participants and "
                                 "codes, kept apart from your own workspace. Its passphrase is "
                                 "{passphrase}.").format(passphrase=DEMO_PASSPHRASE))
