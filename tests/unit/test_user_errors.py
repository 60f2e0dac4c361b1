"""One user-error base: every error a user can meet derives from FieldappError and says what
happened and what to do, in both languages. A generic message for a known error fails here."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import fieldapp
from fieldapp.errors import FieldappError, user_error
from fieldapp.i18n import set_language
from fieldapp.store import errors as store_errors
from fieldapp.survey.engine import Issue
from fieldapp.survey.problems import Problem
from fieldapp.sync.errors import Reason, SyncError

ROOT = Path(fieldapp.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
GENERIC = ("something went wrong", "unexpected error", "error occurred")

#: Classes that carry a sentence translated where they are raised (checked at every raise site
#: below) rather than making their own.
PASS_THROUGH = {"FieldappError", "InvalidInput", "SyncError", "SignatureError", "RosterError",
                "BundleError", "StoreError", "ExprError", "QueryError", "BadCodebook"}


def _import_everything() -> None:
    for info in pkgutil.walk_packages([str(ROOT)], "fieldapp."):
        if info.name.startswith(("fieldapp.ui", "fieldapp.__main__", "fieldapp.bootstrap")):
            continue  # Qt (checked in tests/ui), or programs that run on import
        importlib.import_module(info.name)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _instance(cls: type) -> FieldappError:
    samples: dict[str, tuple[object, ...]] = {
        "XLSFormError": ([Problem("survey", 3, "B (type)", "unknown type")], "form.xlsx"),
        "ResponseIncomplete": ([Issue("/age", "required", "required")],),
        "AttachmentUnreadable": ("consent.jpg", "gone"),
        "AudioNotConsented": ("interview.m4a", ["KM-HIV-002"]),
        "RecordMissing": ("interview", "01-missing", "note"),
        "NotOwner": ("interview",),
    }
    args = samples.get(cls.__name__, ("/home/lin/fieldwork",))
    return cls(*args)  # type: ignore[no-any-return]


def test_every_known_error_derives_from_the_one_base() -> None:
    from fieldapp.survey.problems import XLSFormError
    from fieldapp.survey.xpath import ExprError

    for cls in (SyncError, XLSFormError, ExprError, store_errors.FieldappError):
        assert issubclass(cls, FieldappError)
    assert store_errors.FieldappError is FieldappError  # the old import keeps working
    # OS failures are known failures too.
    assert isinstance(user_error(OSError(28, "No space left on device")),
                      store_errors.StorageFull)
    assert isinstance(user_error(OSError(30, "Read-only file system")),
                      store_errors.NoPermission)
    assert user_error(KeyError("x")) is None


def test_every_error_says_something_specific_in_english_and_chinese() -> None:
    _import_everything()
    classes = sorted({c for c in _subclasses(FieldappError) if c.__name__ not in PASS_THROUGH},
                     key=lambda c: c.__name__)
    assert len(classes) >= 20
    seen: dict[str, str] = {}
    for cls in classes:
        exc = _instance(cls)
        set_language("en")
        english = exc.message
        assert english == str(exc)
        assert len(english) > 25 and english != exc.detail, cls.__name__
        assert not any(g in english.lower() for g in GENERIC), cls.__name__
        assert english not in seen, f"{cls.__name__} says the same as {seen.get(english)}"
        seen[english] = cls.__name__
        set_language("zh_CN")
        chinese = exc.message
        set_language("en")
        assert chinese != english and CJK.search(chinese), f"{cls.__name__} is not translated"


def _raise_sites() -> Iterator[tuple[str, int, str, ast.expr | None]]:
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            if name not in PASS_THROUGH:
                continue
            index = 1 if name.endswith(("SyncError", "SignatureError", "RosterError",
                                        "BundleError", "StoreError")) else 0
            arg = node.args[index] if len(node.args) > index else None
            yield str(path.relative_to(ROOT)), node.lineno, name, arg


def _translated(expr: ast.expr | None) -> bool:
    if expr is None:
        return False
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("_", "ngettext"):
            return True
        # A method that returns a translated sentence (the roster's expiry warning).
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr.endswith("_warning"):
            return True
    return False


def test_every_message_given_at_a_raise_is_translated() -> None:
    untranslated = [f"{path}:{line} {name}" for path, line, name, arg in _raise_sites()
                    if not _translated(arg) and not (isinstance(arg, ast.Name)
                                                     and arg.id in ("message", "text"))]
    assert not untranslated, untranslated


@pytest.mark.parametrize("reason", list(Reason)[:3])
def test_a_sync_error_shows_its_own_message(reason: Reason) -> None:
    exc = SyncError(reason, "the shared store is not reachable")
    assert str(exc) == exc.message == "the shared store is not reachable"
    assert user_error(exc) is exc
