"""Cancelling an export through the dialog: nothing is left under the chosen name, with the
synchronous worker (Cancel pressed mid-way, from the progress signal) and with the real
worker thread (progress marshalled to the main thread, the bar after a moment)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldapp.services import records, session
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog
from fieldapp.ui.export import ExportDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.progress import DELAY_MS
from fieldapp.ui.tasks import DbWorker
from tests.ui.conftest import PASSPHRASE
from tests.ui.export.conftest import last_audit, on_worker
from tests.unit.export.conftest import Study


@pytest.fixture
def many_rows(ctx: AppContext, study: Study) -> Study:
    """Enough rows for the export to report progress (and check for Cancel) on the way."""
    on_worker(ctx, lambda ws: records.add_notes(
        ws, study.ids["i1"], [f"第{k}段 paragraph {k}" for k in range(1500)]))
    return study


def test_cancel_mid_way_leaves_no_file(ctx: AppContext, dialog: ExportDialog, many_rows: Study,
                                       out_dir: Path) -> None:
    target = out_dir / "study.xlsx"
    dialog.target.setText(str(target))
    seen: list[tuple[int, int]] = []
    show_progress = dialog._progress

    def progress_then_cancel(done: int, total: int) -> None:
        show_progress(done, total)
        seen.append((done, total))
        assert dialog.cancel_button.text() == "Stop the export"
        dialog.cancel_button.click()
        assert dialog.isVisible(), "Cancel while exporting stops the export, not the dialog"

    dialog._progress = progress_then_cancel  # type: ignore[method-assign]
    dialog.export_button.click()

    assert len(seen) == 1 and 0 < seen[0][0] < seen[0][1], "cancelled part-way through"
    assert not target.exists()
    assert list(out_dir.iterdir()) == [], "no hidden partial file either"
    assert dialog.status.text() == "The export was cancelled; no file was written."
    assert dialog.summary is None and dialog.form_page.isEnabled()
    assert dialog.cancel_button.text() == "Cancel"
    assert last_audit(ctx)["action"] == "export.cancelled"

    dialog._progress = show_progress  # type: ignore[method-assign]
    dialog.export_button.click()  # and it can be run again
    assert dialog.summary is not None and target.exists()


@pytest.fixture
def threaded(ctx: AppContext, unlocked: MainWindow, many_rows: Study,
             workspace_path: Path) -> Iterator[DbWorker]:
    """The same workspace, owned by a real worker thread."""
    ctx.tasks.close_workspace()
    worker = DbWorker()
    worker.open_workspace(lambda: session.open_workspace(workspace_path, PASSPHRASE))
    worker.wait_idle()
    ctx.tasks = worker
    yield worker
    worker.shutdown()


def test_cancel_on_the_worker_thread(qtbot: Any, ctx: AppContext, threaded: DbWorker,
                                     out_dir: Path) -> None:
    dialog = ExportDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.filters.lists["sites"].count() == 2)
    target = out_dir / "study.zip"
    dialog.format.setCurrentIndex(dialog.format.findData("csv-zip"))
    dialog.target.setText(str(target))
    gate = threading.Event()
    threaded.submit(gate.wait)  # the worker is busy: the export waits its turn
    try:
        dialog.export_button.click()
        assert dialog.run is not None and dialog.run.running
        assert not dialog.form_page.isEnabled() and not dialog.bar.isVisible()
        qtbot.wait(DELAY_MS + 200)
        assert dialog.bar.isVisible(), "progress shows once the export has run a moment"
        dialog.cancel_button.click()
        assert dialog.status.text() == "Stopping the export…"
    finally:
        gate.set()
    qtbot.waitUntil(lambda: dialog.run is not None and not dialog.run.running)
    assert dialog.status.text() == "The export was cancelled; no file was written."
    assert not target.exists() and list(out_dir.iterdir()) == []
    assert not dialog.bar.isVisible()
    close_dialog(dialog)


def test_progress_reaches_the_main_thread(qtbot: Any, ctx: AppContext, threaded: DbWorker,
                                          out_dir: Path) -> None:
    dialog = ExportDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.filters.lists["sites"].count() == 2)
    threads: set[int] = set()
    show_progress = dialog._progress

    def record(done: int, total: int) -> None:
        threads.add(threading.get_ident())
        show_progress(done, total)

    dialog._progress = record  # type: ignore[method-assign]
    dialog.target.setText(str(out_dir / "study.xlsx"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=20_000)
    assert threads == {threading.get_ident()}
    assert dialog.bar.maximum() == dialog.bar.value() or not dialog.bar.isVisible()
    assert (out_dir / "study.xlsx").exists()
    close_dialog(dialog)
