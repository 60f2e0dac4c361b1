"""The desktop says what really went wrong: the shared store is not there, the interview belongs
to another researcher, the disk is full — never "Something went wrong (StoreError)"."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit

import fieldapp
from fieldapp.errors import FieldappError
from fieldapp.i18n import set_language
from fieldapp.services import records, sync
from fieldapp.sync.errors import Reason, StoreError
from fieldapp.ui.context import AppContext
from fieldapp.ui.interaction import error_text
from fieldapp.ui.main_window import MainWindow
from tests.ui.conftest import ScriptedInteraction
from tests.ui.team.conftest import Researchers, area_of
from tests.unit.test_user_errors import PASS_THROUGH, _instance, _subclasses

GENERIC = "Something went wrong"


def test_the_store_unplugged_names_the_folder(coordinator: MainWindow, store_dir: Path,
                                              tmp_path: Path) -> None:
    store_dir.rename(tmp_path / "unplugged")
    panel = area_of(coordinator).sync
    panel.collect_button.click()
    text = panel.status.text()
    assert GENERIC not in text and "StoreError" not in text
    assert f"The shared folder {store_dir} is not there" in text
    set_language("zh_CN")
    assert GENERIC not in panel.status.text() and str(store_dir) in panel.status.text()
    set_language("en")


def test_editing_another_researchers_interview_says_whose_it_is(
        coordinator: MainWindow, ctx: AppContext, researchers: Researchers,
        interaction: ScriptedInteraction) -> None:
    alice = researchers.enrol("alice")
    iid = records.add_interview(alice, code="KM-HIV-001", place="茶馆")
    sync.send(alice)
    panel = area_of(coordinator).sync
    panel.collect_button.click()
    interviews = coordinator.workspace.interviews
    coordinator.workspace.tabs.setCurrentWidget(interviews)
    interviews.select(iid)
    details = interviews.editor.details
    assert details.interview_id == iid
    place = details.widgets["place"]
    assert isinstance(place, QLineEdit)
    interaction.allow_errors = True
    place.setText("办公室")
    details.save_now()
    (shown,) = interaction.texts("error")
    assert "belongs to another researcher" in shown
    assert GENERIC not in shown
    assert records.get(alice, "interview", iid)["place"] == "茶馆"


def test_every_user_error_is_shown_as_itself(qapp: object) -> None:
    for info in pkgutil.walk_packages([str(Path(fieldapp.__file__).parent)], "fieldapp."):
        if not info.name.startswith(("fieldapp.__main__", "fieldapp.bootstrap")):
            importlib.import_module(info.name)
    classes = [c for c in _subclasses(FieldappError) if c.__name__ not in PASS_THROUGH]
    assert len(classes) >= 20
    for cls in classes:
        exc = _instance(cls)
        assert error_text(exc) == exc.message, cls.__name__
        assert GENERIC not in error_text(exc)
    store = StoreError(Reason.STORE_UNREACHABLE, "the shared store is not reachable")
    assert error_text(store) == "the shared store is not reachable"
    assert "No space left" not in error_text(OSError(28, "No space left on device", "/x"))
    assert "The disk is full" in error_text(OSError(28, "No space left on device", "/x"))


@pytest.fixture(autouse=True)
def _english_after() -> object:
    yield None
    set_language("en")
