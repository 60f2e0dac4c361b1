"""A machine without Qt's system libraries gets a message naming them, never Qt's abort.

The attack is from outside: a platform plugin that really links against a library this machine
does not have (built here with the C compiler), found where Qt would load it from, and the real
``fieldapp gui`` / ``fieldapp-gui`` started in a child process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp import qtcheck

ROOT = Path(__file__).resolve().parents[2]
ABSENT = "libfieldapp-absent-for-test.so.0"

needs_toolchain = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("gcc") is None
    or shutil.which("ldd") is None,
    reason="builds an ELF plugin with gcc and reads it with ldd (Linux)")


def _broken_pyside(tmp: Path, needed: str = ABSENT) -> Path:
    """A PySide6 package whose xcb plugin links against ``needed``, which then disappears."""
    build = tmp / "build"
    build.mkdir()
    (build / "absent.c").write_text("int fieldapp_absent(void) { return 1; }\n")
    (build / "plugin.c").write_text(
        "int fieldapp_absent(void);\nint qt_plugin_probe(void) { return fieldapp_absent(); }\n")
    lib = build / needed
    subprocess.run(["gcc", "-shared", "-fPIC", f"-Wl,-soname,{needed}", "-o", str(lib),
                    str(build / "absent.c")], check=True)
    platforms = tmp / "site" / "PySide6" / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (tmp / "site" / "PySide6" / "__init__.py").write_text("")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(platforms / "libqxcb.so"),
                    str(build / "plugin.c"), str(lib)], check=True)
    lib.unlink()  # now the loader cannot find it: what a fresh machine looks like
    return tmp / "site"


def _env(site: Path, lang: str = "en") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    env["QT_QPA_PLATFORM"] = "xcb"
    env["DISPLAY"] = ":99"
    env["FIELDAPP_LANG"] = lang
    env["LANGUAGE"] = env["LANG"] = "zh_CN.UTF-8" if lang == "zh_CN" else "en_GB.UTF-8"
    return env


@needs_toolchain
def test_ldd_names_the_missing_library(tmp_path: Path) -> None:
    site = _broken_pyside(tmp_path)
    plugin = site / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    assert qtcheck.missing_libraries(plugin) == (ABSENT,)
    missing = qtcheck.Missing("xcb", qtcheck.missing_libraries(plugin))
    assert missing.unknown == (ABSENT,)
    assert missing.packages == ()


@needs_toolchain
@pytest.mark.parametrize("command", [["-m", "fieldapp", "gui"], ["-m", "fieldapp.gui"]],
                         ids=["fieldapp gui", "fieldapp-gui"])
def test_the_app_says_what_is_missing_instead_of_aborting(tmp_path: Path,
                                                          command: list[str]) -> None:
    site = _broken_pyside(tmp_path)
    proc = subprocess.run([sys.executable, *command], env=_env(site), capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert ABSENT in proc.stderr
    assert "lacks system libraries that Qt needs" in proc.stderr
    assert "Traceback" not in proc.stderr


@needs_toolchain
def test_the_message_is_chinese_for_a_chinese_user(tmp_path: Path) -> None:
    site = _broken_pyside(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "fieldapp", "--lang", "zh_CN", "gui"],
                          env=_env(site, "zh_CN"), capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert proc.returncode == 1
    assert ABSENT in proc.stderr
    assert "系统库" in proc.stderr


def test_known_libraries_are_named_with_their_package() -> None:
    missing = qtcheck.Missing("xcb", ("libxcb-cursor.so.0", "libxcb-icccm.so.4",
                                      "libxkbcommon-x11.so.0"))
    text = missing.message()
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0" in text
    assert missing.unknown == ()


def test_the_platform_is_the_one_qt_would_choose() -> None:
    assert qtcheck.chosen_platform({}) == "xcb"
    assert qtcheck.chosen_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert qtcheck.chosen_platform({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert qtcheck.chosen_platform({"WAYLAND_DISPLAY": "wayland-0"}) == "wayland"
    assert qtcheck.chosen_platform({"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}) == "xcb"


def test_root_installs_only_known_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    missing = qtcheck.Missing("xcb", ("libxcb-cursor.so.0", ABSENT))
    assert qtcheck.install_command(missing) == [
        "apt-get", "install", "-y", "--no-install-recommends", "libxcb-cursor0"]
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert qtcheck.install_command(missing) is None
