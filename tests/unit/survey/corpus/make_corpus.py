"""Regenerate ``pyxform_forms.json``: every XLSForm in pyxform's own test suite, as markdown.

pyxform's tests hold their forms as markdown tables inside the test code and as workbooks in
``tests/example_xls`` and ``tests/bug_example_xls``. This script collects both (workbooks are
turned into the same markdown), converts each with pyxform (without ODK Validate) and records
whether pyxform accepts it, so the coverage test knows which forms fieldapp must import.

    python tests/unit/survey/corpus/make_corpus.py PATH/TO/pyxform/tests

Forms whose markdown is a template (``{...}`` filled in by the test) are kept as they are: pyxform
decides whether they convert. The forms are pyxform's (BSD-2-Clause, see LICENSE-pyxform).
"""

from __future__ import annotations

import ast
import json
import sys
import warnings
from pathlib import Path

from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

HERE = Path(__file__).parent
SHEETS = ("survey", "choices", "settings", "external_choices", "entities", "osm")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.replace("|", r"\|").split()) or " "


def workbook_to_md(path: Path) -> str | None:
    try:
        data = get_xlsform(str(path))
    except Exception:
        return None
    lines: list[str] = []
    for sheet in SHEETS:
        rows = getattr(data, sheet, None)
        header_rows = getattr(data, f"{sheet}_header", None)
        if not header_rows:
            continue
        headers = [h for h in header_rows[0] if h]
        lines.append(f"| {sheet} |")
        lines.append("| | " + " | ".join(_cell(h) for h in headers) + " |")
        for row in rows or []:
            lines.append("| | " + " | ".join(_cell(row.get(h)) for h in headers) + " |")
    return "\n".join(lines) + "\n" if lines else None


def pyxform_accepts(md: str) -> tuple[bool, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert(xlsform=md.encode("utf-8"), form_name="data")
    except Exception as exc:
        return False, f"{type(exc).__name__}: {str(exc)[:200]}"
    return True, ""


def main(tests: Path) -> None:
    found: dict[str, dict[str, object]] = {}

    def add(source: str, md: str) -> None:
        key = md.strip()
        if key in (str(v["md"]).strip() for v in found.values()):
            return
        ok, error = pyxform_accepts(md)
        found[source] = {"md": md, "pyxform": "ok" if ok else "error", "pyxform_error": error}

    for py in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and "| survey" in node.value.lower()):
                add(f"{py.relative_to(tests)}:{node.lineno}", node.value)
    for book in sorted(tests.rglob("*")):
        if book.suffix.lower() in (".xls", ".xlsx", ".md", ".csv") and "fixtures" not in book.parts:
            md = workbook_to_md(book)
            if md:
                add(str(book.relative_to(tests)), md)
    out = HERE / "pyxform_forms.json"
    out.write_text(json.dumps(found, ensure_ascii=False, indent=0, sort_keys=True) + "\n",
                   encoding="utf-8")
    accepted = sum(1 for v in found.values() if v["pyxform"] == "ok")
    print(f"{len(found)} forms, {accepted} accepted by pyxform -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
