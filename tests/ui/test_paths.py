"""The UI's quick path helpers agree with the session service's."""

from __future__ import annotations

from pathlib import Path

from fieldapp.services import session
from fieldapp.store.keys import KEYFILE_NAME
from fieldapp.ui import paths


def test_paths_match_the_session_service(home: Path) -> None:
    assert paths.KEYFILE_NAME == KEYFILE_NAME
    assert paths.default_workspace_path() == session.default_workspace_path()
    assert paths.demo_workspace_path() == session.demo_workspace_path()
    assert paths.data_home() == session.data_home()
