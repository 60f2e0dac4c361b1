"""File dialogs speak the app's language, not the system's, and keep no history: they are Qt's
own dialogs, translated by Qt's Chinese catalog when the app is in Chinese."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel

from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import file_dialog


def _texts(dialog: QFileDialog) -> tuple[list[str], list[str]]:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    buttons = [b.text().replace("&", "") for b in box.buttons()]
    labels = [w.text().replace("&", "") for w in dialog.findChildren(QLabel) if w.text()]
    return buttons, labels


def test_file_dialogs_follow_the_app_language(ctx: AppContext) -> None:
    ctx.language.set_language("zh_CN")
    for mode, accept in (("open", "打开"), ("save", "保存"), ("folder", "选择")):
        dialog = file_dialog(None, "标题", mode)
        assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
        buttons, labels = _texts(dialog)
        assert any(b.startswith(accept) for b in buttons), (mode, buttons)
        assert any(b.startswith("取消") for b in buttons), buttons
        assert any("文件" in t for t in labels), labels
        dialog.deleteLater()
    ctx.language.set_language("en")
    buttons, _labels = _texts(file_dialog(None, "Title", "open"))
    assert "Open" in buttons and "Cancel" in buttons
