"""Child of test_laptop_screens.py: the real window on a screen of the size the parent chose
(offscreen platform with a screen configuration), reporting what fits as JSON."""

from __future__ import annotations

import json
import os
import sys
import tempfile

from tests.kdf import allow_weak_kdf

allow_weak_kdf()
os.environ.setdefault("FIELDAPP_HOME", tempfile.mkdtemp())

from PySide6.QtCore import QRect  # noqa: E402

from fieldapp import i18n  # noqa: E402
from fieldapp.services import session  # noqa: E402
from fieldapp.ui import settings as keys  # noqa: E402
from fieldapp.ui.app import ensure_app, make_window  # noqa: E402
from fieldapp.ui.context import build_context  # noqa: E402
from fieldapp.ui.settings import Settings  # noqa: E402


def main() -> None:
    remembered = sys.argv[1] if len(sys.argv) > 1 else ""
    app = ensure_app()
    settings = Settings()
    if remembered:
        settings.set(keys.WINDOW_GEOMETRY, remembered)
    ctx = build_context(synchronous=True, settings=settings)
    win = make_window(ctx)
    win.show()
    app.processEvents()
    area: QRect = app.primaryScreen().availableGeometry()
    path = session.default_workspace_path()
    ctx.tasks.open_workspace(lambda: session.create_workspace(path, "correct horse battery"))
    win.session.path = path
    win.session.enter_opened()
    win.workspace.interviews.new_interview()
    out: dict[str, object] = {"area": [area.width(), area.height()],
                              "frame": win.frameGeometry().getRect()}
    tabs = win.workspace.tabs
    for lang in ("en", "zh_CN"):
        i18n.set_language(lang)
        app.processEvents()
        hint = win.minimumSizeHint()
        out[lang] = {"min": [hint.width(), hint.height()],
                     "tabs": {tabs.tabText(i): [tabs.widget(i).minimumSizeHint().width(),
                                                tabs.widget(i).minimumSizeHint().height()]
                              for i in range(tabs.count())}}
    out["saved"] = bytes(win.saveGeometry().toBase64().data()).decode("ascii")
    print(json.dumps(out, ensure_ascii=False))
    win.close()


if __name__ == "__main__":
    main()
