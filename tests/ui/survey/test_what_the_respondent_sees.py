"""What the person answering sees: calculations are computed and kept but never shown (as in
ODK Collect), a page holding only calculations is not listed, and a bilingual form's title shows
only the part in the form's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldapp import i18n
from fieldapp.services import records, surveys
from fieldapp.survey import load_xlsform
from fieldapp.survey.model import bilingual_part
from fieldapp.ui.survey.runner import FormRunner

FORM = """
| survey |
| | type | name | label::English (en) | label::中文 (zh) | calculation | appearance |
| | begin group | about | About the organisation | 机构情况 | | field-list |
| | integer | staff | Full-time staff | 全职员工人数 | | |
| | integer | volunteers | Volunteers | 志愿者人数 | | |
| | calculate | people | | | ${staff} + ${volunteers} | |
| | end group | | | | | |
| | begin group | sums | Totals | 合计 | | field-list |
| | calculate | ratio | | | ${volunteers} div ${staff} | |
| | end group | | | | | |
| | note | done | ${people} people in all | 共 ${people} 人 | | |
| settings |
| | form_title | form_id | version | default_language |
| | NGO staffing survey 社会组织人员调查 | staffing | 1 | English (en) |
"""


def test_bilingual_titles_are_split_and_others_left_alone() -> None:
    title = "NGO government purchase-of-service contracting survey 社会组织承接政府购买服务调查"
    assert bilingual_part(title, "中文 (zh)") == "社会组织承接政府购买服务调查"
    assert bilingual_part(title, "English (en)") == (
        "NGO government purchase-of-service contracting survey")
    assert bilingual_part("社会组织调查 / NGO survey", "zh_CN") == "社会组织调查"
    assert bilingual_part("社会组织调查 / NGO survey", "en") == "NGO survey"
    for whole in ("社会组织调查（2025）", "2025 社会组织调查", "NGO survey", "A / B / 中文"):
        assert bilingual_part(whole, "zh_CN") == whole
        assert bilingual_part(whole, "en") == whole


@pytest.mark.parametrize("lang,title,note", [
    ("en", "NGO staffing survey", "5 people in all"),
    ("zh_CN", "社会组织人员调查", "共 5 人"),
])
def test_calculations_are_kept_but_not_shown(qtbot: Any, unlocked: Any, ctx: Any,
                                              tmp_path: Path, lang: str, title: str,
                                              note: str) -> None:
    i18n.set_language(lang)
    form = tmp_path / "staffing.md"
    form.write_text(FORM, encoding="utf-8")
    ids: dict[str, Any] = {}

    def setup(ws: Any) -> None:
        ids["inst"] = surveys.import_instrument(ws, form)
        ids["rid"] = surveys.new_response(ws, ids["inst"])
        ids["row"] = records.get(ws, "response", ids["rid"])

    ctx.tasks.run(setup)
    runner: FormRunner = unlocked.workspace.surveys.runner
    runner.load(ids["row"], load_xlsform(form))
    assert runner.title.text() == title
    questions = runner.form.questions  # type: ignore[union-attr]
    assert not [a for a in questions if a.endswith(("people", "ratio"))]
    assert {"about/staff", "about/volunteers", "done"} <= set(questions)
    # The page of calculations alone is not offered.
    shown = [runner.page_list.item(i) for i in range(runner.page_list.count())]
    assert len([i for i in shown if not i.isHidden()]) == 2
    questions["about/staff"].edit.setText("2")
    questions["about/volunteers"].edit.setText("3")
    qtbot.waitUntil(lambda: note in questions["done"].title.text(), timeout=3000)
    runner.save_now()
    qtbot.waitUntil(lambda: not runner.dirty, timeout=5000)

    def stored(ws: Any) -> None:
        ids["data"] = records.get(ws, "response", ids["rid"])["data"]

    ctx.tasks.run(stored)
    assert ids["data"]["about"]["people"] == "5"
    assert ids["data"]["sums"]["ratio"] == "1.5"  # the calculation is kept with the answers
