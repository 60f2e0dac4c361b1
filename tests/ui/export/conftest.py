"""The export study of tests/unit/export (a withdrawn participant, a participant who allows no
quotes, identities, a survey with a repeat) in the unlocked window's workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fieldapp.store.workspace import Workspace
from fieldapp.ui.context import AppContext
from fieldapp.ui.dialogs import close_dialog
from fieldapp.ui.export import ExportDialog
from fieldapp.ui.main_window import MainWindow
from tests.unit.export.conftest import Study, build

T = TypeVar("T")


def on_worker(ctx: AppContext, fn: Callable[[Workspace], T]) -> T:
    """Run ``fn(ws)`` on the (synchronous) worker and return what it returned."""
    out: list[T] = []
    ctx.tasks.run(fn, out.append)
    assert out, "the worker did not report back"
    return out[0]


@pytest.fixture
def study(ctx: AppContext, unlocked: MainWindow, tmp_path: Path) -> Study:
    forms = tmp_path / "forms"
    forms.mkdir()
    return on_worker(ctx, lambda ws: build(ws, forms))


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def dialog(qtbot: Any, ctx: AppContext, unlocked: MainWindow, study: Study
           ) -> Iterator[ExportDialog]:
    """The dialog as the menu opens it."""
    unlocked.act_export.trigger()
    found = unlocked.findChildren(ExportDialog)
    assert len(found) == 1
    yield found[0]
    close_dialog(found[0])


def last_audit(ctx: AppContext) -> dict[str, Any]:
    return on_worker(ctx, lambda ws: ws.audit_log(1))[0]
