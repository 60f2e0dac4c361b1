"""The review panel above a response: a coordinator's verdict and the researcher's view of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from fieldapp.services import records, surveys
from fieldapp.survey import load_xlsform
from fieldapp.ui.survey.runner import FormRunner

MD = """
| survey |
| | type | name | label |
| | integer | staff | Staff |
| settings |
| | form_title | form_id | version |
| | Review | review_form | 1 |
"""


def test_review_from_the_form_and_the_banner(qtbot: Any, unlocked: Any, ctx: Any,
                                             interaction: Any, tmp_path: Path) -> None:
    form = tmp_path / "review.md"
    form.write_text(MD, encoding="utf-8")
    ids: dict[str, Any] = {}

    def setup(ws: Any) -> None:
        iid = surveys.import_instrument(ws, form)
        ids["rid"] = surveys.add_response_from_answers(ws, iid, {"staff": 12})
        ids["row"] = records.get(ws, "response", ids["rid"])

    ctx.tasks.run(setup)
    view = unlocked.workspace.surveys
    runner: FormRunner = view.runner
    runner.load(ids["row"], load_xlsform(form))
    panel = runner.review
    qtbot.waitUntil(lambda: panel.controls.isVisibleTo(runner), timeout=3000)
    assert not panel.banner.isVisibleTo(runner)
    # has issues without a comment: refused, with the reason
    qtbot.mouseClick(panel.buttons["has_issues"], Qt.MouseButton.LeftButton)
    assert any("comment" in text for text in interaction.texts("warn"))
    panel.comment.setText("员工人数请与年报核对")
    qtbot.mouseClick(panel.buttons["has_issues"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.banner.isVisibleTo(runner), timeout=3000)
    assert "Has issues" in panel.banner.text() and "员工人数请与年报核对" in panel.banner.text()
    checked: dict[str, Any] = {}
    ctx.tasks.run(lambda ws: checked.update(surveys.latest_reviews(ws)))
    assert checked[ids["rid"]]["state"] == "has_issues"
    # the list of responses shows the verdict
    model = view.responses
    column = model.column("review")

    def shown() -> str:
        return str(model.data(model.index(0, column))) if model.rowCount() else ""

    qtbot.waitUntil(lambda: shown() == "Has issues", timeout=3000)
