"""Importing XLSForms: public forms from the XLSForm community, our own instrument, broken forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.survey import Instrument, XLSFormError, describe, load_xlsform
from tests.unit.survey.conftest import MakeForm

REPO = Path(__file__).resolve().parents[3]
SHARED_FORMS = REPO / ".." / "shared" / "xlsforms"
OWN_FORM = REPO / "resources" / "instruments" / "ngo_contracting_survey.xlsx"

# file -> None if it imports, else the (sheet, row, column-header) of every unsupported feature
EXPECTED: dict[str, set[tuple[str, int | None, str]] | None] = {
    "choice_filter_test.xlsx": None,
    "field-list.xlsx": None,
    "group.xlsx": None,
    "or_other.xlsx": None,
    "text_and_integer.xlsx": None,
    "yes_or_no_question.xlsx": None,
    # every XLSForm type and column of the spec: geo, media, metadata, media columns ...
    "xlsform_spec_test.xlsx": None,
    "flat_xlsform_test.xlsx": None,
}


def _header(column: str | None) -> str:
    assert column, "every problem here must name its column"
    return column.split("(", 1)[1].rstrip(")") if "(" in column else column


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_public_form_imports_or_names_each_unsupported_feature(name: str) -> None:
    path = SHARED_FORMS / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared XLSForm examples are not checked out here")
    expected = EXPECTED[name]
    if expected is None:
        instrument = load_xlsform(path)
        assert list(instrument.walk()), "an imported form has questions"
        assert Instrument.from_json(instrument.to_json()) == instrument
        return
    with pytest.raises(XLSFormError) as info:
        load_xlsform(path)
    problems = info.value.problems
    assert all(p.unsupported for p in problems), [str(p) for p in problems if not p.unsupported]
    found = {(p.sheet, p.row, _header(p.column)) for p in problems}
    assert found == expected
    assert all(p.column and p.column[0].isalpha() and " (" in p.column for p in problems)
    assert str(info.value).count("\n") == len(problems)


def test_spec_forms_name_what_has_no_effect_on_the_desktop() -> None:
    path = SHARED_FORMS / "flat_xlsform_test.xlsx"
    if not path.exists():
        pytest.skip("the shared XLSForm examples are not checked out here")
    instrument = load_xlsform(path)
    notices = "\n".join(instrument.notices)
    for column in ("buttonText", "noAppErrorString", "autoplay", "'flat'"):
        assert column in notices
    types = {n.type for n in instrument.walk()}
    assert {"geopoint", "image", "audio", "video", "barcode", "deviceid"} <= types
    assert any(n.media for n in instrument.walk())


def test_every_shared_form_is_listed() -> None:
    if not SHARED_FORMS.exists():
        pytest.skip("the shared XLSForm examples are not checked out here")
    assert {p.name for p in SHARED_FORMS.glob("*.xlsx")} == set(EXPECTED)


def test_our_bilingual_instrument() -> None:
    instrument = load_xlsform(OWN_FORM)
    assert instrument.form_id == "ngo_contracting_survey"
    assert instrument.version == "2025010101"
    assert instrument.languages == ["English (en)", "中文 (zh)"]
    assert instrument.default_language == "English (en)"
    city = instrument.node("org/city")
    assert city.choice_filter == "province = ${province}"
    assert instrument.node("org/sectors").or_other
    assert instrument.node("org/sectors_other").other_of == "org/sectors"
    assert instrument.node("contracts_section/contract").type == "repeat"
    assert instrument.node("org").field_list
    assert instrument.node("org/org_name").labels["中文 (zh)"] == "机构名称"
    other = instrument.choice_lists["sector"].get("other")
    assert other is not None and other.labels["中文 (zh)"] == "其他（请注明）"
    assert instrument.choice_lists["city"].get("kunming") is not None
    assert instrument.choice_lists["city"].choices[0].extra == {"province": "yunnan"}
    assert Instrument.from_json(instrument.to_json()) == instrument
    text_zh, text_en = describe(instrument, "zh_CN"), describe(instrument, "en")
    assert "机构名称" in text_zh and "Name of the organisation" in text_en
    assert "choices where: province = ${province}" in text_en


def test_generator_reproduces_the_committed_instrument(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_form", OWN_FORM.with_name("make_ngo_contracting_survey.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = load_xlsform(module.build(tmp_path / "ngo_contracting_survey.xlsx"))
    assert fresh == load_xlsform(OWN_FORM)


# -- broken forms --------------------------------------------------------------------------------

HEAD = ["type", "name", "label", "relevant", "constraint", "calculation"]


def _problems(path: Path) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(XLSFormError) as info:
        load_xlsform(path)
    return [(p.sheet, p.row, _header(p.column) if p.column else "", p.message)
            for p in info.value.problems]


def test_missing_survey_sheet(make_form: MakeForm) -> None:
    path = make_form(None, choices=[["list_name", "name", "label"], ["yn", "yes", "Yes"]])
    [(sheet, row, column, message)] = _problems(path)
    assert sheet == "survey" and row is None and column == ""
    assert "no 'survey' sheet" in message and "choices" in message


def test_unknown_type(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["text", "a", "A"], ["txet", "b", "B"]])
    [problem] = _problems(path)
    assert problem[:3] == ("survey", 3, "type")
    assert "txet" in problem[3]


def test_duplicate_name(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["text", "a", "A"], ["integer", "a", "A again"]])
    problems = _problems(path)
    assert ("survey", 3, "name") in [p[:3] for p in problems]
    assert any("used twice" in p[3] for p in problems)


def test_broken_expression(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["integer", "a", "A"], ["text", "b", "B", "${a} > ", "", ""]])
    [problem] = _problems(path)
    assert problem[:3] == ("survey", 3, "relevant")
    assert "${a} >" in problem[3] and "position" in problem[3]


def test_unknown_function(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["integer", "a", "A"], ["calculate", "b", "", "", "", "pulldata('x')"]])
    [problem] = _problems(path)
    assert problem[:3] == ("survey", 3, "calculation")
    assert "pulldata" in problem[3]


def test_reference_to_missing_question(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["integer", "a", "A", "", ". < ${nope}", ""]])
    problems = _problems(path)
    assert ("survey", 2, "constraint") in [p[:3] for p in problems]
    assert any("${nope}" in p[3] and "does not exist" in p[3] for p in problems)


def test_missing_choice_list(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["select_one colours", "c", "Colour"]],
                     choices=[["list_name", "name", "label"], ["yn", "yes", "Yes"]])
    problems = _problems(path)
    assert ("survey", 2, "type") in [p[:3] for p in problems]
    assert any("colours" in p[3] for p in problems)


def test_unclosed_group_and_cycle(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["begin group", "g", "G"], ["text", "a", "A"]])
    assert any(p[:2] == ("survey", 2) and "never closed" in p[3] for p in _problems(path))
    cycle = make_form([HEAD, ["calculate", "x", "", "", "", "${y} + 1"],
                       ["calculate", "y", "", "", "", "${x} + 1"]])
    assert any("cycle" in p[3] for p in _problems(cycle))


def test_all_problems_reported_together(make_form: MakeForm) -> None:
    path = make_form([HEAD, ["txet", "a", "A"], ["integer", "b", "B", "${zz} = 1", "", ""],
                      ["osm", "c", "C"]])
    problems = _problems(path)
    assert {p[:3] for p in problems} == {("survey", 2, "type"), ("survey", 3, "relevant"),
                                         ("survey", 4, "type")}


def test_language_columns_and_default_language(make_form: MakeForm) -> None:
    path = make_form(
        [["type", "name", "label::English (en)", "label::中文 (zh)", "hint::中文 (zh)"],
         ["text", "name", "Name", "姓名", "请填写全名"]],
        settings=[["form_title", "form_id", "version", "default_language"],
                  ["T", "f1", "7", "中文 (zh)"]])
    instrument = load_xlsform(path)
    assert instrument.default_language == "中文 (zh)"
    assert instrument.version == "7" and instrument.form_id == "f1"
    node = instrument.node("name")
    assert node.label("zh_CN") == "姓名" and node.label("en") == "Name"
    assert node.hints == {"中文 (zh)": "请填写全名"}


def test_unknown_column_is_named_in_notices(make_form: MakeForm) -> None:
    path = make_form([["type", "name", "label", "author note"], ["text", "a", "A", "check"]])
    instrument = load_xlsform(path)
    assert any("author note" in n for n in instrument.notices)
