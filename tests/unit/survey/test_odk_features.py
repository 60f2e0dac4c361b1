"""XLSForm features fieldapp used to refuse, each imported from a real form file and run."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from fieldapp.survey import AnswerError, FormState, Instrument, load_xlsform
from fieldapp.survey.problems import XLSFormError


def form(tmp_path: Path, md: str, name: str = "form.md") -> Instrument:
    path = tmp_path / name
    path.write_text(md, encoding="utf-8")
    instrument = load_xlsform(path)
    return Instrument.from_json(instrument.to_json())  # as stored in the workspace


GEO = """
| survey |
| | type      | name  | label | constraint |
| | geopoint  | here  | Here  |            |
| | gps       | there | There |            |
| | geotrace  | road  | Road  |            |
| | geoshape  | field | Field |            |
| | calculate | len   |       |            |
| | calculate | size  |       |            |
| | calculate | far   |       |            |
"""


def test_geo_answers_are_validated_and_measured(tmp_path: Path) -> None:
    md = GEO.replace("| calculate | len   |       |", "| calculate | len   | | ")
    md = """
| survey |
| | type      | name  | label | calculation |
| | geopoint  | here  | Here  |  |
| | gps       | there | There |  |
| | geotrace  | road  | Road  |  |
| | geoshape  | field | Field |  |
| | calculate | far   |       | round(distance(${road}), 0) |
| | calculate | size  |       | round(area(${field}), 0) |
| | calculate | lat   |       | selected-at(${here}, 0) |
"""
    state = FormState(form(tmp_path, md))
    state.set_answer("here", "39.9042, 116.4074")  # pasted from a map, with a comma
    assert state.value("here") == "39.9042 116.4074 0 0"
    state.set_answer("there", "31.2304 121.4737 12 5.5")
    assert state.value("lat") == "39.9042"
    for bad in ("91 10", "10", "abc def", "10 200", "1 2 3 -4"):
        with pytest.raises(AnswerError):
            state.set_answer("here", bad)
    state.set_answer("road", "0 0; 0 1")
    assert state.value("far") == "111319"  # one degree of longitude at the equator, R=6378100
    with pytest.raises(AnswerError):
        state.set_answer("road", "0 0")
    state.set_answer("field", "0 0;0 0.001;0.001 0.001;0.001 0")  # closed for the author
    assert state.value("field").endswith(";0 0 0 0")
    assert 12300 < float(state.value("size") or 0) < 12500


def test_metadata_is_filled_from_the_desktop_or_left_empty(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label |
| | deviceid | dev | |
| | username | who | |
| | phonenumber | phone | |
| | simserial | sim | |
| | subscriberid | sub | |
| | imei | imei | |
| | email | mail | |
| | start | s | |
| | today | t | |
| | background-audio | rec | |
| | text | q | Q |
"""
    inst = form(tmp_path, md)
    state = FormState(inst, meta={"deviceid": "DEV123", "username": "王研究员"})
    assert state.value("dev") == "DEV123" and state.value("who") == "王研究员"
    for empty in ("phone", "sim", "sub", "imei", "mail", "rec"):
        assert state.value(empty) is None
    with pytest.raises(AnswerError):
        state.set_answer("dev", "forged")
    assert state.validate_all() == []


def test_range_rank_barcode_and_file_answers(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label | parameters |
| | range | r | R | start=0 end=10 step=2 |
| | rank fruit | order | Order | |
| | barcode | code | Code | |
| | image | photo | Photo | max-pixels=640 |
| choices |
| | list_name | name | label |
| | fruit | a | Apple |
| | fruit | b | Banana |
"""
    state = FormState(form(tmp_path, md))
    state.set_answer("r", "4")
    assert state.value("r") == 4
    for bad in ("3", "12", "-2"):
        with pytest.raises(AnswerError):
            state.set_answer("r", bad)
    state.set_answer("order", ["b", "a"])
    assert state.value("order") == ["b", "a"]
    with pytest.raises(AnswerError):
        state.set_answer("order", ["a", "a"])
    state.set_answer("code", "9787020002207")
    state.set_answer("photo", "01HXYZ/门口.jpg")
    with pytest.raises(AnswerError):
        state.set_answer("photo", "no-attachment.jpg")


def test_repeat_count_indexed_repeat_and_paths(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label | repeat_count | calculation |
| | integer | n | How many | | |
| | begin repeat | person | Person | ${n} | |
| | text | pname | Name | | |
| | end repeat | | | | |
| | calculate | first | | | indexed-repeat(${pname}, ${person}, 1) |
| | calculate | second | | | ${person}[2]/pname |
| | calculate | all | | | concat(${pname}) |
| | calculate | howmany | | | count(${person}) |
"""
    state = FormState(form(tmp_path, md))
    assert state.instance_count("person") == 0
    state.set_answer("n", 3)
    assert state.instance_count("person") == 3
    with pytest.raises(AnswerError):
        state.add_instance("person")
    state.set_answer("person[1]/pname", "甲")
    state.set_answer("person[2]/pname", "乙")
    state.set_answer("person[3]/pname", "丙")
    assert state.value("first") == "甲" and state.value("second") == "乙"
    assert state.value("all") == "甲乙丙"  # concat over a repeat joins every answer
    state.set_answer("n", 2)
    assert state.instance_count("person") == 2 and state.value("howmany") == "2"


def test_secondary_instances_pulldata_and_files_beside_the_form(tmp_path: Path) -> None:
    (tmp_path / "form-media").mkdir()
    (tmp_path / "form-media" / "cities.csv").write_text(
        "name,label,province\nbj,北京,beijing\nsh,上海,shanghai\n", encoding="utf-8")
    (tmp_path / "prices.csv").write_text("item,price\nrice,3.5\n", encoding="utf-8")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG fake")
    md = """
| survey |
| | type | name | label | calculation | media::image |
| | select_one_from_file cities.csv | city | City | | logo.png |
| | calculate | cname | | instance('cities')/root/item[name = ${city}]/label | |
| | calculate | price | | pulldata('prices', 'price', 'item', 'rice') | |
| | calculate | crop | | instance('crops')/root/item[name = 'x']/label | |
| | select_one yn | ok | OK | | |
| choices |
| | list_name | name | label | image |
| | yn | y | Yes | missing.png |
| | yn | n | No | |
"""
    inst = form(tmp_path, md)
    assert [c.label("zh") for c in inst.choice_lists["cities.csv"].choices] == ["北京", "上海"]
    assert base64.b64decode(inst.media_files["logo.png"]) == b"\x89PNG fake"
    notices = "\n".join(inst.notices)
    assert "missing.png" in notices and "crops" in notices
    state = FormState(inst)
    state.set_answer("city", "sh")
    assert state.value("cname") == "上海" and state.value("price") == "3.5"
    assert state.value("crop") is None


def test_select_from_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label |
| | select_one_from_file towns.csv | t | Town |
"""
    with pytest.raises(XLSFormError) as info:
        form(tmp_path, md)
    assert "towns.csv" in str(info.value) and "row 2" in str(info.value)


def test_bind_columns_loops_comment_rows_and_curly_quotes(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label::English | bind::relevant | bind::jr:constraintMsg | constraint | note |
| | select_one yn | a | A | | | | |
| | | | | | | | This row is a comment for the team |
| | integer | b | B | ${a} = ‘y’ | Too big | . < 10 | |
| | begin loop over yn | l | | | | | |
| | integer | count | How many %(label)s | | | | |
| | end loop | | | | | | |
| choices |
| | list_name | name | label::English |
| | yn | y | Yes |
| | yn | n | No |
"""
    inst = form(tmp_path, md)
    state = FormState(inst)
    assert not state.is_relevant("b")
    state.set_answer("a", "y")
    state.set_answer("b", 12)
    assert [i.message for i in state.validate_all()] == ["Too big"]
    assert state.label("l/n/count") == "How many No"


@pytest.mark.parametrize(("md", "words"), [
    ("| survey |\n| | type | 3 | label |\n| | text | a | A |\n", ["'3'", "number"]),
    ("| survey |\n| | id | age | city |\n| | 1 | 34 | 北京 |\n", ["no 'type' column", "data"]),
    ("| survey |\n| | type | name | label |\n| | text | a |  |\n", ["label"]),
])
def test_unusable_forms_get_a_clear_message(tmp_path: Path, md: str, words: list[str]) -> None:
    with pytest.raises(XLSFormError) as info:
        form(tmp_path, md)
    for word in words:
        assert word in str(info.value)


def test_an_expression_of_thousands_of_terms(tmp_path: Path) -> None:
    terms = " + ".join(["${a}"] * 5000)
    deep = "(" * 3000 + "1" + ")" * 3000
    md = f"""
| survey |
| | type | name | label | calculation |
| | integer | a | A | |
| | calculate | total | | {terms} |
"""
    state = FormState(form(tmp_path, md))
    state.set_answer("a", 2)
    assert state.value("total") == "10000"
    with pytest.raises(XLSFormError) as info:
        form(tmp_path, md.replace(terms, deep), "deep.md")
    assert "split it" in str(info.value)


def test_chinese_question_names_are_usable_in_references(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label | relevant |
| | integer | 年龄 | 年龄 | |
| | text | 工作 | 工作单位 | ${年龄} >= 18 |
"""
    state = FormState(form(tmp_path, md))
    state.set_answer("年龄", 20)
    assert state.is_relevant("工作")


def test_entities_are_imported_with_a_notice(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label | save_to |
| | text | tree | Tree | species |
| entities |
| | list_name | label |
| | trees | ${tree} |
"""
    inst = form(tmp_path, md)
    assert inst.entities["dataset"] == "trees"
    assert inst.entities["properties"] == {"species": "tree"}
    assert any("trees" in n for n in inst.notices)


def test_select_from_the_answers_of_a_repeat(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label |
| | begin repeat | member | Member |
| | text | mname | Name |
| | end repeat | | |
| | select_one ${mname} | head | Head of household |
"""
    state = FormState(form(tmp_path, md))
    state.set_answer("member[1]/mname", "李明")
    state.add_instance("member")
    state.set_answer("member[2]/mname", "王芳")
    assert [c.name for c in state.choices("head")] == ["李明", "王芳"]
    state.set_answer("head", "王芳")
    with pytest.raises(AnswerError):
        state.set_answer("head", "张三")


def test_a_data_table_or_a_numeric_header_in_real_files(tmp_path: Path) -> None:
    from openpyxl import Workbook

    data = tmp_path / "interviews.csv"
    data.write_text("id,age,city\n1,34,北京\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(["type", 123, "label"])
    sheet.append(["text", "a", "A"])
    numeric = tmp_path / "numeric.xlsx"
    book.save(numeric)
    with pytest.raises(XLSFormError) as info:
        load_xlsform(data)
    assert "data table" in str(info.value) and "id, age, city" in str(info.value)
    with pytest.raises(XLSFormError) as info:
        load_xlsform(numeric)
    assert "'123' is a number" in str(info.value) and "column B" in str(info.value)


def test_once_keeps_the_first_value(tmp_path: Path) -> None:
    md = """
| survey |
| | type | name | label | calculation |
| | text | a | A | |
| | calculate | first | | once(${a}) |
| | calculate | code | | once(concat('R-', uuid(4))) |
"""
    state = FormState(form(tmp_path, md))
    code = state.value("code")
    assert isinstance(code, str) and len(code) == 6
    state.set_answer("a", "x")
    assert state.value("first") == "x"
    state.set_answer("a", "y")
    assert state.value("first") == "x" and state.value("code") == code
