"""Coverage over real XLSForms: every form of pyxform's own test suite (see corpus/README.md).

Each form pyxform converts is imported and run (a response created, validated, serialised and
read back); the forms pyxform refuses must be refused too, or imported, but never crash. Data
files a form reads from beside it (``select_one_from_file``, ``pulldata``, ``csv-external``) are
written as small CSV/XML files first, as a team would ship them with the form.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp.survey import FormState, Instrument, load_xlsform
from fieldapp.survey.problems import XLSFormError

CORPUS = Path(__file__).parent / "corpus" / "pyxform_forms.json"
SHARED_FORMS = Path(__file__).resolve().parents[3] / ".." / "shared" / "xlsforms"
_FROM_FILE = re.compile(r"select[ _](?:one|multiple)[ _]from[ _]file\s+([\w\-.]+)")
_PULLDATA = re.compile(r"pulldata\(\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*"
                       r"['\"]([^'\"]+)['\"]")
_EXTERNAL = re.compile(r"\|\s*(csv|xml)-external\s*\|\s*([\w\-.]+)\s*\|")
_INSTANCE = re.compile(r"instance\(\s*['\"]([^'\"]+)['\"]\s*\)")


def _data_files(md: str, folder: Path) -> None:
    """The CSV/XML files the form expects beside it (two rows: name, label, the columns used)."""
    columns: dict[str, set[str]] = {}
    for name in _FROM_FILE.findall(md):
        columns.setdefault(name, set())
    for name, col, key in _PULLDATA.findall(md):
        columns.setdefault(f"{name}.csv", set()).update({col, key})
    for kind, name in _EXTERNAL.findall(md):
        columns.setdefault(f"{name}.{kind}", set())
    for name in _INSTANCE.findall(md):
        columns.setdefault(f"{name}.csv", set())
    for file_name, extra in columns.items():
        heads = ["name", "label", *sorted(extra - {"name", "label"})]
        rows = [[f"{h}{i}" if h != "name" else f"n{i}" for h in heads] for i in (1, 2)]
        path = folder / file_name
        if path.suffix == ".xml":
            items = "".join("<item>" + "".join(f"<{h}>{v}</{h}>" for h, v in zip(heads, r,
                                                                                strict=True))
                            + "</item>" for r in rows)
            path.write_text(f"<root>{items}</root>", encoding="utf-8")
        elif path.suffix in (".csv", ""):
            path.write_text("\n".join(",".join(r) for r in [heads, *rows]) + "\n",
                            encoding="utf-8")


def _run(form: Path) -> str:
    """'imported', 'refused: reason' or 'crashed: error' for one form."""
    try:
        instrument = load_xlsform(form)
    except XLSFormError as exc:
        return "refused: " + "; ".join(p.message for p in exc.problems[:3])
    except Exception as exc:
        return f"crashed: {type(exc).__name__}: {exc}"
    try:
        state = FormState(instrument)
        state.validate_all()
        again = Instrument.from_json(instrument.to_json())
        FormState(again, state.to_dict()).validate_all()
    except Exception as exc:
        return f"crashed: {type(exc).__name__}: {exc}"
    return "imported"


def _corpus(which: str) -> dict[str, str]:
    forms = json.loads(CORPUS.read_text(encoding="utf-8"))
    return {src: v["md"] for src, v in forms.items() if v["pyxform"] == which}


def _report(results: dict[str, str], title: str) -> Counter[str]:
    counts = Counter(r.split(":")[0] for r in results.values())
    print(f"\n{title}: imported {counts['imported']} / refused {counts['refused']} / crashed "
          f"{counts['crashed']} of {len(results)}")
    for src, result in sorted(results.items()):
        if result != "imported":
            print(f"  {src}: {result[:160]}")
    return counts


def written_forms(tmp: Path) -> Iterator[tuple[str, Path]]:
    """Each form pyxform converts, written in a folder of its own under ``tmp`` with the data
    files it expects: (where pyxform's tests hold it, the form file)."""
    for n, (src, md) in enumerate(sorted(_corpus("ok").items())):
        folder = tmp / str(n)
        folder.mkdir()
        _data_files(md, folder)
        form = folder / "form.md"
        form.write_text(md, encoding="utf-8")
        yield src, form


def test_pyxform_forms_import_and_run(tmp_path: Path) -> None:
    results: dict[str, str] = {}
    for src, form in written_forms(tmp_path):
        results[src] = _run(form)
    counts = _report(results, "forms pyxform converts")
    assert len(results) > 500
    assert counts["crashed"] == 0
    assert counts["imported"] / len(results) >= 0.95


def test_forms_pyxform_refuses_never_crash(tmp_path: Path) -> None:
    results: dict[str, str] = {}
    for n, (src, md) in enumerate(sorted(_corpus("error").items())):
        form = tmp_path / f"{n}.md"
        form.write_text(md, encoding="utf-8")
        results[src] = _run(form)
    counts = _report(results, "forms pyxform refuses")
    assert counts["crashed"] == 0


@pytest.mark.skipif(not SHARED_FORMS.is_dir(), reason="the shared example forms are not here")
def test_shared_example_workbooks() -> None:
    results = {p.name: _run(p) for p in sorted(SHARED_FORMS.glob("*.xlsx"))}
    counts = _report(results, "shared example workbooks")
    assert counts["crashed"] == 0
    assert counts["imported"] == len(results), results
