"""Architecture guard for "typing is never lost": every editor that saves by itself does so
through ``fieldapp.ui.autosave.Autosaver``, which registers it for the flush before a lock or
an exit. A view that debounces its own saves with a timer of its own would be forgotten by
that flush — these tests find one by reading the source, and check the built window."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from fieldapp.ui.autosave import Autosaver
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.survey.runner import FormRunner
from fieldapp.ui.views.coding_comment import CodingComment
from fieldapp.ui.views.interview_details import InterviewDetails
from fieldapp.ui.views.memos import MemoEditor
from fieldapp.ui.views.note_editor import NoteEditor

UI = Path(__file__).resolve().parents[2] / "fieldapp" / "ui"

#: Classes whose timer leads to work on the database worker that only reads (so there is
#: nothing to flush), with the reason. A class that writes on a timer must use Autosaver.
READ_ONLY_TIMERS = {
    "SearchView": "search as you type: reads the index",
    "OrganisationDialog": "warns of likely duplicates while a name is typed: reads",
}


def _self_attr(node: ast.AST) -> str | None:
    """``self.name`` -> "name"."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "self":
        return node.attr
    return None


def _callees(fn: ast.AST) -> set[str]:
    """Methods of self that ``fn`` calls or hands on (as a callback or a slot)."""
    out = set()
    for node in ast.walk(fn):
        name = _self_attr(node)
        if name is not None:
            out.add(name)
    return out


def _runs_on_worker(fn: ast.AST) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in {"run", "submit"} \
                and isinstance(node.func.value, ast.Attribute) \
                and node.func.value.attr == "tasks":
            return True
    return False


def _timer_work(cls: ast.ClassDef) -> list[str]:
    """The methods a QTimer of ``cls`` starts that (directly or through other methods of
    the class) queue work on the database worker."""
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    timers: set[str] = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "QTimer":
            timers.update(n for t in node.targets if (n := _self_attr(t)))
    starts: list[ast.AST] = []
    for node in ast.walk(cls):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func.value
        # self.<timer>.timeout.connect(slot)
        if node.func.attr == "connect" and isinstance(target, ast.Attribute) \
                and target.attr == "timeout" and _self_attr(target.value) in timers:
            starts.extend(node.args)
        # QTimer.singleShot(ms, slot)
        if node.func.attr == "singleShot" and isinstance(target, ast.Name) \
                and target.id == "QTimer":
            starts.extend(node.args[1:])
    found = []
    for start in starts:
        seen: set[str] = set()
        todo = list(_callees(start)) or []
        if _runs_on_worker(start):
            found.append(ast.unparse(start))
            continue
        while todo:
            name = todo.pop()
            if name in seen or name not in methods:
                continue
            seen.add(name)
            if _runs_on_worker(methods[name]):
                found.append(ast.unparse(start))
                break
            todo.extend(_callees(methods[name]))
    return found


def _ui_classes() -> list[tuple[Path, ast.ClassDef]]:
    out = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "autosave.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out.extend((path, node) for node in ast.walk(tree) if isinstance(node, ast.ClassDef))
    return out


def test_no_view_saves_on_a_timer_of_its_own() -> None:
    offenders = []
    for path, cls in _ui_classes():
        work = _timer_work(cls)
        if work and cls.name not in READ_ONLY_TIMERS:
            offenders.append(f"{path.relative_to(UI.parent.parent)}:{cls.lineno} {cls.name} "
                             f"queues database work from a timer ({', '.join(work)}): use "
                             "fieldapp.ui.autosave.Autosaver, which the lock flushes")
    assert offenders == []
    # The allow-list is not stale: each entry still has a timer (and is still read-only
    # by review).
    named = {cls.name for _p, cls in _ui_classes() if _timer_work(cls)}
    assert set(READ_ONLY_TIMERS) <= named


def test_the_guard_finds_a_debounced_save() -> None:
    """The source check catches the pattern every editor used before the registry."""
    source = '''
class Sneaky(QWidget):
    def __init__(self, ctx):
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.save_now)
    def save_now(self):
        self._write()
    def _write(self):
        self.ctx.tasks.run(lambda ws: records.update(ws, "note", "x", {}))
'''
    cls = ast.parse(source).body[0]
    assert isinstance(cls, ast.ClassDef)
    assert _timer_work(cls) == ["self.save_now"]


def test_every_autosaving_editor_of_the_window_is_registered(unlocked: MainWindow) -> None:
    unlocked.workspace.interviews.new_interview()  # the editors exist from the start anyway
    savers = unlocked.findChildren(Autosaver)
    owners = {type(s.parent()) for s in savers}
    assert {NoteEditor, InterviewDetails, FormRunner, MemoEditor, CodingComment} <= owners
    registered = unlocked.ctx.editors.savers()
    assert {id(s) for s in savers} <= {id(s) for s in registered}
    # Four notes, the details, the survey runner, the memo editors (interview, code,
    # project) and the comment on a coding.
    assert len(savers) == 10


def test_a_destroyed_editor_leaves_the_registry(unlocked: MainWindow, qtbot: Any) -> None:
    before = len(unlocked.ctx.editors.savers())
    extra = NoteEditor(unlocked.ctx, "memo")
    assert len(unlocked.ctx.editors.savers()) == before + 1
    extra.deleteLater()
    qtbot.waitUntil(lambda: len(unlocked.ctx.editors.savers()) == before, timeout=2000)
    assert unlocked.ctx.editors.flush_all() == []
