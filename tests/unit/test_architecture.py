"""Architecture guards: the layers and their arrows (docs/ARCHITECTURE.md) as tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "fieldapp"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _py_files(*, inside_ui: bool) -> list[Path]:
    files = [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]
    ui = PACKAGE / "ui"
    return [p for p in files if (ui in p.parents) == inside_ui]


def test_only_the_ui_imports_qt() -> None:
    offenders = [
        str(p.relative_to(PACKAGE.parent)) for p in _py_files(inside_ui=False)
        if any(n.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"} for n in _imports(p))
    ]
    assert offenders == []


def test_ui_runs_no_sql() -> None:
    offenders = []
    for p in _py_files(inside_ui=True):
        text = p.read_text(encoding="utf-8")
        imports = _imports(p)
        if ".execute(" in text or "executemany(" in text or ".db." in text or \
                any(n.split(".")[0] in {"sqlite3", "sqlcipher3"} for n in imports) or \
                "fieldapp.store.sqlite" in imports:
            offenders.append(str(p.relative_to(PACKAGE.parent)))
    assert offenders == []


def test_lower_layers_do_not_import_upper_ones() -> None:
    upper = {
        "analysis": ("fieldapp.services", "fieldapp.ui", "fieldapp.cli", "fieldapp.sync",
                     "fieldapp.export"),
        "domain": ("fieldapp.store", "fieldapp.services", "fieldapp.ui", "fieldapp.cli",
                   "fieldapp.sync", "fieldapp.export"),
        "store": ("fieldapp.services", "fieldapp.ui", "fieldapp.cli", "fieldapp.export"),
        "survey": ("fieldapp.store", "fieldapp.services", "fieldapp.ui", "fieldapp.cli"),
        "export": ("fieldapp.ui", "fieldapp.cli"),
        "sync": ("fieldapp.ui", "fieldapp.cli"),
        "services": ("fieldapp.ui", "fieldapp.cli"),
    }
    offenders = []
    for layer, forbidden in upper.items():
        for p in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(p):
                if name.startswith(forbidden):
                    offenders.append(f"{p.relative_to(PACKAGE.parent)} imports {name}")
    assert offenders == []


def test_the_guard_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtWidgets import QWidget\n", encoding="utf-8")
    assert "PySide6.QtWidgets" in _imports(bad)


def _runtime_store_imports(path: Path) -> list[str]:
    """``fieldapp.store`` modules imported outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for inner in node.body:
                type_only.update(id(n) for n in ast.walk(inner))
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [n for n in names if n.startswith("fieldapp.store")]
    return found


#: What the UI and the CLI may take from the store at run time: the errors they show.
STORE_FOR_EVERYONE = ("fieldapp.store.errors",)


def test_ui_and_cli_reach_the_store_only_through_services() -> None:
    offenders = []
    for layer in ("ui", "cli"):
        for p in (PACKAGE / layer).rglob("*.py"):
            for name in _runtime_store_imports(p):
                if name not in STORE_FOR_EVERYONE:
                    offenders.append(f"{p.relative_to(PACKAGE.parent)} imports {name}")
    assert offenders == []


def test_the_store_guard_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from typing import TYPE_CHECKING\n"
                   "from fieldapp.store.workspace import Workspace\n"
                   "if TYPE_CHECKING:\n    from fieldapp.store.conflicts import Conflict\n",
                   encoding="utf-8")
    assert _runtime_store_imports(bad) == ["fieldapp.store.workspace"]


def test_nothing_cites_documents_outside_the_repository() -> None:
    """Code and docs point only at files a clone of the repository has."""
    root = Path(__file__).resolve().parents[2]
    outside = re.compile(r"DESIGN\.md|STYLE\.md|\.\./shared/")
    offenders = []
    for folder in ("fieldapp", "tests", "docs", "packaging"):
        for path in (root / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".toml", ".txt", ".sql") and path.is_file():
                if path.resolve() == Path(__file__).resolve():
                    continue
                if outside.search(path.read_text(encoding="utf-8", errors="replace")):
                    offenders.append(str(path.relative_to(root)))
    for name in ("README.md", "pyproject.toml"):
        if outside.search((root / name).read_text(encoding="utf-8")):
            offenders.append(name)
    assert offenders == []
