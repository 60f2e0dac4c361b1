"""Build the Linux package and use it as a researcher would, on a clean account.

Slow, but in the default run: about 1 minute 50 seconds on two otherwise idle cores (PyInstaller
takes most of it), and the only test that proves the download starts; CI runs only the default
suite. ``pytest -m 'not packaging'`` leaves it out, ``pytest -m packaging`` runs it alone. The
package is unpacked from its one download file and started with
an empty home folder, no Python settings, no virtual environment on PATH, its own temporary
folder and no network (a fresh network namespace, where the machine allows one).
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from tests.packaging.conftest import load_build

pytestmark = [pytest.mark.slow, pytest.mark.packaging, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The download (``.tar.gz``), built from this checkout into a temporary folder."""
    build = load_build()
    out = tmp_path_factory.mktemp("package")
    result = build.build("linux", out)
    yield result["archive"]
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture
def unpacked(package: Path, tmp_path: Path) -> Path:
    """The folder a user gets by extracting the download (the file manager's "Extract here")."""
    where = tmp_path / "Downloads"
    where.mkdir()
    with tarfile.open(package) as tar:
        tar.extractall(where, filter="tar")
    [folder] = list(where.iterdir())
    return folder


def no_network() -> list[str]:
    """A prefix that runs a command without any network, if this machine lets us make one."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    for prefix in ([unshare, "--net"], [unshare, "--map-root-user", "--net"]):
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    return []


def clean_env(home: Path, tmp: Path) -> dict[str, str]:
    env = {"HOME": str(home), "TMPDIR": str(tmp), "PATH": "/usr/bin:/bin",
           "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    for name in ("USER", "LOGNAME"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()}


def test_download_is_one_file_holding_program_desktop_entry_and_icon(package: Path,
                                                                      unpacked: Path) -> None:
    build: ModuleType = load_build()
    version = build.project_version()
    assert package.name == f"fieldapp-{version}-linux-{build.machine()}.tar.gz"
    program = unpacked / "fieldapp"
    assert program.is_file() and os.access(program, os.X_OK)
    entry = (unpacked / "fieldapp.desktop").read_text(encoding="utf-8")
    assert "Exec=fieldapp" in entry and f"X-AppVersion={version}" in entry
    assert (unpacked / "fieldapp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    inside = files_under(unpacked)
    # Its own Python, fieldapp's Chinese catalog and Qt's own.
    assert any(name.startswith("_internal/libpython3") for name in inside)
    assert "_internal/fieldapp/i18n/locale/zh_CN/LC_MESSAGES/fieldapp.mo" in inside
    assert "_internal/PySide6/Qt/translations/qtbase_zh_CN.qm" in inside
    # Qt's X11 and Wayland front ends, and the IBus bridge that Chinese input methods use.
    plugins = "_internal/PySide6/Qt/plugins/"
    for plugin in ("platforms/libqxcb.so", "platforms/libqwayland.so",
                   "platforminputcontexts/libibusplatforminputcontextplugin.so"):
        assert plugins + plugin in inside, plugin
    # No test tool or unused library came along.
    for absent in ("numpy", "pandas", "pytest", "PyInstaller", "pkg_resources"):
        assert not any(f"/{absent}/" in f"/{name}" for name in inside), absent


def test_version_and_desktop_app_on_a_clean_account_offline(unpacked: Path,
                                                            tmp_path: Path) -> None:
    build: ModuleType = load_build()
    home, tmp, cwd = tmp_path / "home", tmp_path / "tmp", tmp_path / "cwd"
    for folder in (home, tmp, cwd):
        folder.mkdir()
    env = clean_env(home, tmp)
    prefix = no_network()
    program = str(unpacked / "fieldapp")
    before = snapshot(unpacked)

    version = subprocess.run([*prefix, program, "--version"], env=env, cwd=cwd,
                             capture_output=True, text=True, timeout=120, check=False)
    assert version.returncode == 0, version.stderr[-2000:]
    assert version.stdout.strip() == f"fieldapp {build.project_version()}"

    run = subprocess.run([*prefix, program, "--self-test", "--language", "zh_CN"], env=env,
                         cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    facts = dict(line.split(": ", 1) for line in run.stdout.splitlines() if ": " in line)
    assert facts["self-test"] == "ok"
    data = home / ".local" / "share" / "fieldapp"
    assert facts["data folder"] == str(data)

    # The package speaks Chinese with the same catalogs as the checkout: ours, and Qt's own.
    from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

    from fieldapp import i18n

    ours = i18n.translations_for("zh_CN")
    assert facts["about menu"] == ours.gettext("&About fieldapp") != "&About fieldapp"
    assert facts["unlock dialog"] == ours.gettext("Unlock the workspace")
    assert isinstance(ours, gettext.GNUTranslations)
    qt = QTranslator()
    assert qt.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    QCoreApplication.installTranslator(qt)
    try:
        expected_cancel = QCoreApplication.translate("QPlatformTheme", "Cancel")
    finally:
        QCoreApplication.removeTranslator(qt)
    assert facts["qt cancel button"] == expected_cancel != "Cancel"
    i18n.set_language("zh_CN")
    try:
        assert facts["date"] == i18n.format_date(date(2026, 3, 1), "long")
    finally:
        i18n.set_language("en")

    # Nothing written outside the user's data and settings folders: not in the package's own
    # folder, not in the temporary folder, not in the working folder, not elsewhere in home.
    assert snapshot(unpacked) == before
    assert not files_under(tmp) and not files_under(cwd)
    allowed = (".local/share/fieldapp/", ".config/fieldapp/")
    stray = [name for name in files_under(home) if not name.startswith(allowed)]
    assert not stray, stray

    # The demo it made and unlocked is a real encrypted workspace the checkout opens.
    from fieldapp.services import session
    from fieldapp.services.records import list_records
    from fieldapp.ui.views.welcome import DEMO_PASSPHRASE

    ws = session.open_workspace(data / "demo", DEMO_PASSPHRASE)
    try:
        assert len(list_records(ws, "interview")) > 10
    finally:
        ws.close()
    assert b"SQLite format 3" not in (data / "demo" / "data.db").read_bytes()[:16]
