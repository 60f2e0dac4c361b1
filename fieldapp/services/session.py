"""Opening, creating and unlocking workspaces; where they live by default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fieldapp.paths import (
    HOME_ENV,
    data_home,
    default_workspace_path,
    demo_workspace_path,
    is_workspace,
)
from fieldapp.store.check import CheckReport, check, check_pages
from fieldapp.store.workspace import Workspace

__all__ = ["HOME_ENV", "data_home", "default_workspace_path", "demo_workspace_path",
           "is_workspace"]


def create_workspace(path: Path | str, passphrase: str, researcher: str = ""
                     ) -> tuple[Workspace, str]:
    return Workspace.initialise(path, passphrase, researcher=researcher)


def open_workspace(path: Path | str, passphrase: str, *,
                   progress: Callable[[str], None] | None = None) -> Workspace:
    """Unlock and open; ``progress`` hears (translated) of long work the open does, such as
    building the search index again after an update."""
    return _opened(Workspace.open(path, passphrase, progress=progress))


def open_with_recovery(path: Path | str, recovery_key: str, *,
                       progress: Callable[[str], None] | None = None) -> Workspace:
    return _opened(Workspace.open_with_recovery(path, recovery_key, progress=progress))


def _opened(ws: Workspace) -> Workspace:
    """Housekeeping on every open: attachment files whose rows are gone are removed."""
    from fieldapp.services.attachments import remove_orphaned_files

    remove_orphaned_files(ws)
    return ws


def recover_workspace(path: Path | str, recovery_key: str, new_passphrase: str, *,
                      progress: Callable[[str], None] | None = None) -> Workspace:
    """Open with the recovery key and set a new passphrase at once."""
    ws = Workspace.open_with_recovery(path, recovery_key, progress=progress)
    ws.change_passphrase(new_passphrase)
    return ws


def change_passphrase(ws: Workspace, new_passphrase: str) -> None:
    ws.change_passphrase(new_passphrase)


def verify(ws: Workspace) -> CheckReport:
    return check(ws)


def verify_path(path: Path | str, passphrase: str) -> CheckReport:
    """Check the workspace at ``path``. The page check runs first on its own, writing nothing:
    when pages are damaged it names them and the workspace is not opened (opening writes, and
    writing into a damaged file could make it worse)."""
    report = check_pages(Path(path), passphrase)
    if report.cipher_errors:
        return report
    with Workspace.open(path, passphrase) as ws:
        return check(ws)
