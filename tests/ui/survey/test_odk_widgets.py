"""The desktop equivalents of ODK's phone widgets: coordinates typed, ranks dragged, files named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldapp.survey import AnswerError, FormState, load_xlsform
from fieldapp.ui.survey.widgets import FileWidget, GeoWidget, RankWidget, make_widget

MD = """
| survey |
| | type | name | label |
| | geopoint | here | Where |
| | geotrace | road | Road |
| | rank fruit | order | Order |
| | image | photo | Photo |
| choices |
| | list_name | name | label |
| | fruit | a | Apple |
| | fruit | b | Banana |
"""


def test_widgets_for_geo_rank_and_files(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "form.md"
    path.write_text(MD, encoding="utf-8")
    state = FormState(load_xlsform(path))
    given: dict[str, Any] = {}

    def answer(address: str, value: Any) -> None:
        try:
            state.set_answer(address, value)
            given[address] = value
        except AnswerError:
            given[address] = "refused"

    widgets = {n.name: make_widget(n, n.name, answer) for n in state.instrument.walk()}
    for widget in widgets.values():
        assert widget is not None
        qtbot.addWidget(widget)
        widget.update_from(state, False)
    here, road = widgets["here"], widgets["road"]
    assert isinstance(here, GeoWidget) and isinstance(road, GeoWidget)
    here.edit.setText("39.9042, 116.4074")
    assert state.value("here") == "39.9042 116.4074 0 0"
    road.plain.setPlainText("0 0\n0 1\n")
    assert state.value("road") == "0 0 0 0;0 1 0 0"
    here.edit.setText("95 10")
    assert given["here"] == "refused"
    rank = widgets["order"]
    assert isinstance(rank, RankWidget)
    assert [rank.list.item(i).text() for i in range(rank.list.count())] == ["Apple", "Banana"]
    rank.list.model().moveRow(rank.list.model().index(1, 0).parent(), 1,
                              rank.list.model().index(0, 0).parent(), 0)
    assert state.value("order") == ["b", "a"]
    photo = widgets["photo"]
    assert isinstance(photo, FileWidget)
    state.set_answer("photo", "01ABC/门口.jpg")
    photo.update_from(state, False)
    assert photo.name.text() == "门口.jpg"


FILE_FORM = """
| survey |
| | type | name | label |
| | image | photo | Photo of the signed consent form |
| settings |
| | form_title | form_id | version |
| | Files | files | 1 |
"""


def test_attaching_a_photo_through_the_runner(qtbot: Any, unlocked: Any, ctx: Any,
                                              interaction: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from fieldapp.services import attachments, records, surveys
    from fieldapp.ui.survey.runner import FormRunner

    form = tmp_path / "files.md"
    form.write_text(FILE_FORM, encoding="utf-8")
    photo = tmp_path / "签名.png"
    photo.write_bytes(b"\x89PNG consent")
    ids: dict[str, str] = {}

    def setup(ws: Any) -> None:
        ids["inst"] = surveys.import_instrument(ws, form)
        ids["rid"] = surveys.new_response(ws, ids["inst"])
        ids["row"] = records.get(ws, "response", ids["rid"])  # type: ignore[assignment]

    ctx.tasks.run(setup)
    view = unlocked.workspace.surveys
    runner: FormRunner = view.runner
    runner.load(ids["row"], load_xlsform(form))
    widget = runner.form.questions["photo"]  # type: ignore[union-attr]
    assert isinstance(widget, FileWidget)
    interaction.files.append(photo)
    qtbot.mouseClick(widget.pick, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: widget.name.text() == "签名.png", timeout=3000)
    qtbot.waitUntil(lambda: not runner.dirty, timeout=3000)

    def check(ws: Any) -> None:
        data = records.get(ws, "response", ids["rid"])["data"]
        aid = data["photo"].partition("/")[0]
        assert attachments.read_attachment(ws, aid) == b"\x89PNG consent"
        assert records.get(ws, "attachment", aid)["response_id"] == ids["rid"]
        ids["checked"] = "yes"

    ctx.tasks.run(check)
    assert ids["checked"] == "yes"


APPEARANCES = """
| survey |
| | type | name | label | appearance |
| | select_one city | pick | Pick | minimal |
| | select_one city | find | Find | autocomplete |
| | select_one city | side | Side | likert |
| | date | month | Month | month-year |
| | date | year | Year | year |
| | text | phone | Phone | numbers |
| choices |
| | list_name | name | label |
| | city | bj | 北京 |
| | city | sh | 上海 |
"""


def test_appearances_have_desktop_equivalents(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QHBoxLayout

    from fieldapp.ui.survey.widgets import ComboWidget, DateWidget, SelectOneWidget, TextWidget

    path = tmp_path / "form.md"
    path.write_text(APPEARANCES, encoding="utf-8")
    state = FormState(load_xlsform(path))
    widgets = {n.name: make_widget(n, n.name, state.set_answer) for n in state.instrument.walk()}
    for widget in widgets.values():
        assert widget is not None
        qtbot.addWidget(widget)
        widget.update_from(state, False)
    pick, find = widgets["pick"], widgets["find"]
    assert isinstance(pick, ComboWidget) and isinstance(find, ComboWidget)
    assert [pick.combo.itemText(i) for i in range(pick.combo.count())] == ["", "北京", "上海"]
    assert not pick.combo.isEditable() and find.combo.isEditable()
    pick.combo.activated.emit(2)
    assert state.value("pick") == "sh"
    side = widgets["side"]
    assert isinstance(side, SelectOneWidget) and isinstance(side.choice_box, QHBoxLayout)
    month, year = widgets["month"], widgets["year"]
    assert isinstance(month, DateWidget) and isinstance(year, DateWidget)
    month.editor.setDate(month.editor.date().fromString("2024-05-17", "yyyy-MM-dd"))
    assert state.value("month") == "2024-05-01"
    year.editor.setDate(year.editor.date().fromString("2023-08-09", "yyyy-MM-dd"))
    assert state.value("year") == "2023-01-01"
    phone = widgets["phone"]
    assert isinstance(phone, TextWidget) and phone.edit.validator() is not None


def test_a_questions_picture_is_shown_from_the_form(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QImage

    image = QImage(800, 100, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    assert image.save(str(tmp_path / "map.png"))
    path = tmp_path / "form.md"
    path.write_text("| survey |\n| | type | name | label | image | audio |\n"
                    "| | text | where | Where? | map.png | |\n"
                    "| | text | say | Say | | hello.mp3 |\n", encoding="utf-8")
    state = FormState(load_xlsform(path))
    where = make_widget(state.instrument.node("where"), "where", state.set_answer)
    say = make_widget(state.instrument.node("say"), "say", state.set_answer)
    assert where is not None and say is not None
    qtbot.addWidget(where)
    qtbot.addWidget(say)
    where.update_from(state, False)
    say.update_from(state, False)
    pixmap = where.media.pixmap()
    assert not pixmap.isNull() and pixmap.width() == 480
    assert "hello.mp3" in say.media.text()


def test_a_choices_picture_is_shown_beside_it(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QImage

    from fieldapp.ui.survey.widgets import SelectOneWidget

    image = QImage(300, 300, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    assert image.save(str(tmp_path / "river.png"))
    path = tmp_path / "form.md"
    path.write_text("| survey |\n| | type | name | label |\n| | select_one w | water | Water |\n"
                    "| choices |\n| | list_name | name | label | image |\n"
                    "| | w | river | River | river.png |\n| | w | well | Well | |\n",
                    encoding="utf-8")
    state = FormState(load_xlsform(path))
    widget = make_widget(state.instrument.node("water"), "water", state.set_answer)
    assert isinstance(widget, SelectOneWidget)
    qtbot.addWidget(widget)
    widget.update_from(state, False)
    assert not widget.buttons["river"].icon().isNull()
    assert widget.buttons["river"].iconSize().height() == 96
    assert widget.buttons["well"].icon().isNull()
