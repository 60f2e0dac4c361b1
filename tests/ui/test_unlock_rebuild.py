"""The first open after an update that changed how notes are indexed builds the search index
again, which takes a while on a large workspace: the unlock dialog says so instead of a bare
"Unlocking…", in the user's language, and the open still ends with an index that finds the
notes (and the rebuild is not repeated at the next open)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldapp.services import records, session
from fieldapp.services.search import search
from fieldapp.ui.context import AppContext, build_context
from fieldapp.ui.dialogs.unlock import UnlockDialog
from tests.conftest import PASSPHRASE
from tests.ui.conftest import ScriptedInteraction


def _workspace_indexed_by_an_earlier_version(path: Path, notes: int) -> None:
    ws, _key = session.create_workspace(path, PASSPHRASE)
    with ws:
        iid = records.add_interview(ws, code="KM-HIV-I001")
        records.add_notes(ws, iid, [f"第{i}次访谈谈到民政局登记注册。" for i in range(notes)])
        # What an earlier tokenizer leaves: its own fingerprint beside the index.
        ws.set_meta("search.tokenizer", "5:0000000000000000")


def _unlock(qtbot: Any, ctx: AppContext, path: Path) -> list[str]:
    """Unlock through the dialog on the real worker; the status texts shown meanwhile."""
    dialog = UnlockDialog(ctx, path)
    qtbot.addWidget(dialog)
    shown: list[str] = []
    # Connected after the dialog's own slot: sees the label as the dialog just set it.
    dialog.relay.message.connect(lambda _text: shown.append(dialog.problem.text()))
    dialog.show()
    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.unlocked, timeout=20_000):
        dialog.try_unlock()
    assert dialog.problem.text() == ""  # cleared once open
    return shown


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "building the search index of 3 notes again (once)"),
    ("zh_CN", "重新建立 3 条笔记的搜索索引"),
])
def test_the_unlock_dialog_names_the_index_rebuild_after_an_update(
        qtbot: Any, home: Path, interaction: ScriptedInteraction, language: str,
        expected: str) -> None:
    path = session.default_workspace_path()
    _workspace_indexed_by_an_earlier_version(path, 3)
    ctx = build_context(interaction=interaction)  # the real worker thread
    try:
        ctx.language.set_language(language)
        shown = _unlock(qtbot, ctx, path)
        assert len(shown) == 1 and expected in shown[0], shown

        found: list[int] = []
        ctx.tasks.run(lambda ws: len(search(ws, "登记注册")), found.append)
        qtbot.waitUntil(lambda: found == [3], timeout=10_000)
        closed: list[bool] = []
        ctx.tasks.close_workspace(lambda _r: closed.append(True))
        qtbot.waitUntil(lambda: closed == [True], timeout=10_000)
        # Built once: the next open has nothing to say.
        assert _unlock(qtbot, ctx, path) == []
    finally:
        ctx.tasks.shutdown()
        ctx.language.set_language("en")  # while the bus listens: Qt's Chinese catalogs go
        ctx.language.detach()
