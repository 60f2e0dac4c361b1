"""The desktop half of "Exports for analysis": a dialog over ``fieldapp.services.export``."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import show_dialog
from fieldapp.ui.export.dialog import ExportDialog

__all__ = ["ExportDialog", "open_export_dialog"]


def open_export_dialog(ctx: AppContext, parent: QWidget | None = None) -> ExportDialog:
    """Open the export dialog window-modal, without blocking."""
    dialog = ExportDialog(ctx, parent)
    show_dialog(dialog)
    return dialog
