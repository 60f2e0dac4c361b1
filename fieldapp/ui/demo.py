"""Explore the demo study: a made-up workspace kept apart from the researcher's own."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from fieldapp.i18n import _
from fieldapp.ui import paths
from fieldapp.ui.context import AppContext
from fieldapp.ui.session import SessionController
from fieldapp.ui.views.welcome import DEMO_PASSPHRASE


def start_demo(ctx: AppContext, controller: SessionController, parent: QWidget) -> None:
    path = paths.demo_workspace_path()
    exists = paths.is_workspace(path)

    def opener() -> object:
        from fieldapp.services import demo, session

        if exists:
            return session.open_workspace(path, DEMO_PASSPHRASE)
        return demo.create_demo(path, DEMO_PASSPHRASE)

    def done(_result: object) -> None:
        controller.path = path
        controller.enter_opened()

    ctx.tasks.open_workspace(opener, done, lambda exc: ctx.interaction.error(parent, exc),
                             label=_("Preparing the demo study…"))
