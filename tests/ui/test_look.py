"""The app's face: it has its own icon (drawn from the SVG shipped in the package, so an
installed app finds it too), and the attachment buttons carry icons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

import fieldapp
from fieldapp.ui.app import app_icon
from fieldapp.ui.main_window import MainWindow


def test_the_app_icon_is_drawn_from_the_package(qapp: QApplication) -> None:
    svg = Path(fieldapp.__file__).parent / "ui" / "icons" / "fieldapp.svg"
    assert svg.is_file()
    image = app_icon().pixmap(64, 64).toImage()
    assert not image.isNull()
    colours = {image.pixelColor(x, y).rgba() for x in range(0, 64, 4) for y in range(0, 64, 4)}
    assert len(colours) > 3  # a drawing, not an empty or one-colour square


def test_attachment_buttons_have_icons(unlocked: MainWindow) -> None:
    panel = unlocked.workspace.interviews.editor.attachments
    for button in (panel.add, panel.open, panel.transcribe, panel.save, panel.delete):
        assert not button.icon().isNull(), button.objectName()
