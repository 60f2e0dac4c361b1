"""Names, not codes: the study's sites and sectors show as 昆明 / 艾滋病防治 (Kunming / HIV/AIDS
in English) in the interview list, its filters, the interview's form and the participant list,
while the code is what is stored; an interview stored as "zh+en" by an earlier version shows as
Chinese and English. The interview's participants are chosen with a search field."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox

from fieldapp import i18n
from fieldapp.services import records
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.views.participant_picker import ParticipantPicker
from tests.ui.conftest import on_ws


def _study(ws: Any) -> dict[str, str]:
    records.set_study(ws, sites=[{"code": "KM", "name_zh": "昆明", "name_en": "Kunming"},
                                 {"code": "GZ", "name_zh": "广州", "name_en": "Guangzhou"}],
                      sectors=[{"code": "HIV", "name_zh": "艾滋病防治", "name_en": "HIV/AIDS"}])
    org = records.add_organisation(ws, name_zh="昆明市红丝带协会", name_en="Kunming Red Ribbon")
    ids = {"p1": records.add_participant(ws, code="KM-HIV-001", role="项目主任",
                                         organisation_id=org, site="KM"),
           "p2": records.add_participant(ws, code="KM-HIV-002", role="社工", site="KM"),
           "p3": records.add_participant(ws, code="GZ-HIV-001", role="科长", site="GZ")}
    ids["interview"] = records.add_interview(ws, code="KM-I-001", site="KM", sector="HIV",
                                             language="zh+en", participant_ids=[ids["p2"]])
    return ids


def test_sites_and_sectors_show_as_names_and_are_stored_as_codes(
        qtbot: Any, unlocked: MainWindow) -> None:
    ctx = unlocked.ctx
    ids = on_ws(ctx, _study)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.interviews
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: view.proxy.index(0, 3).data() == "Kunming", timeout=5000)
    assert view.proxy.index(0, 4).data() == "HIV/AIDS"
    site_filter = view.filters["site"]
    assert [site_filter.itemText(i) for i in range(site_filter.count())][1:] == ["Kunming"]
    assert site_filter.itemData(1) == "KM"
    view.select(ids["interview"])
    details = view.editor.details
    qtbot.waitUntil(lambda: details.interview_id == ids["interview"], timeout=5000)
    site = details.widgets["site"]
    assert isinstance(site, QComboBox) and site.currentText() == "Kunming"
    language = details.widgets["language"]
    assert isinstance(language, QComboBox) and language.currentText() == "Chinese and English"
    i18n.set_language("zh_CN")
    assert view.proxy.index(0, 3).data() == "昆明"
    assert view.proxy.index(0, 4).data() == "艾滋病防治"
    assert site.currentText() == "昆明"
    assert language.currentData() == "mixed"
    # Saving the form keeps the codes.
    values = details.values()
    assert values["site"] == "KM" and values["sector"] == "HIV" and values["language"] == "mixed"
    details.widgets["title"].setText("与项目主任的访谈")  # type: ignore[attr-defined]
    details._changed()
    details.save_now()
    stored = on_ws(ctx, lambda ws: records.get(ws, "interview", ids["interview"]))
    assert stored["site"] == "KM" and stored["sector"] == "HIV" and stored["language"] == "mixed"
    people = unlocked.workspace.participants
    qtbot.waitUntil(lambda: people.proxy.rowCount() == 3, timeout=5000)
    cells = [people.proxy.index(r, c).data() for r in range(3)
             for c in range(people.proxy.columnCount())]
    assert "昆明" in cells and "广州" in cells and "KM" not in cells


def test_participants_are_chosen_by_searching(qtbot: Any, unlocked: MainWindow) -> None:
    ctx = unlocked.ctx
    ids = on_ws(ctx, _study)
    ctx.data.changed.emit("*")
    view = unlocked.workspace.interviews
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 1, timeout=5000)
    view.select(ids["interview"])
    details = view.editor.details
    qtbot.waitUntil(lambda: details.interview_id == ids["interview"], timeout=5000)
    picker = details.widgets["participant_ids"]
    assert isinstance(picker, ParticipantPicker)
    # At a glance: who took part, with role and organisation.
    assert [picker.list.item(i).text() for i in range(picker.list.count())] == [
        "KM-HIV-002 · 社工"]
    # Typing a Traditional spelling of the organisation finds its director.
    assert not picker.add_matching("HIV")  # matches several: nothing is added
    assert picker.add_matching("紅絲帶")
    assert picker.chosen() == [ids["p2"], ids["p1"]]
    assert picker.list.item(1).text() == "KM-HIV-001 · 项目主任 · Kunming Red Ribbon"
    # The suggestions offer only those not yet chosen.
    assert picker.model.stringList() == ["GZ-HIV-001 · 科长"]
    picker.list.setCurrentRow(0)
    picker.remove_selected()
    assert picker.chosen() == [ids["p1"]]
    details.save_now()
    stored = on_ws(ctx, lambda ws: records.get(ws, "interview", ids["interview"]))
    assert stored["participant_ids"] == [ids["p1"]]
