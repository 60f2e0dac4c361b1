"""The build script's pieces, without freezing anything (fast; in the default run).

The generated spec is executed with stand-ins for PyInstaller's build objects, so what is
checked is what PyInstaller would be asked to do; the icons are read back with Qt's own ICO and
ICNS decoders; the data files are compared with what the source tree and PySide6 hold.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.packaging.conftest import ROOT

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def run_spec(text: str, monkeypatch: pytest.MonkeyPatch,
             extra_datas: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Any]:
    """Execute a spec with recording stand-ins for Analysis, PYZ, EXE, COLLECT and BUNDLE."""
    made: dict[str, Any] = {"EXE": [], "hooks": []}

    class Analysis:
        def __init__(self, scripts: list[str], **kw: Any) -> None:
            self.scripts, self.kw = scripts, kw
            self.pure: list[Any] = []
            self.binaries: list[Any] = []
            self.datas = [(f"{dest}/{Path(src).name}", src, "DATA") for src, dest in kw["datas"]]
            self.datas += list(extra_datas)
            made["Analysis"] = self

    def recorder(kind: str) -> Any:
        def make(*args: Any, **kw: Any) -> SimpleNamespace:
            obj = SimpleNamespace(args=args, **kw)
            if kind == "EXE":
                made["EXE"].append(obj)
            else:
                made[kind] = obj
            return obj
        return make

    hooks = ModuleType("PyInstaller.utils.hooks")

    def collect_submodules(package: str) -> list[str]:
        made["hooks"].append(("submodules", package))
        return [f"{package}.cli.workspace_cmds"]

    def collect_data_files(package: str) -> list[tuple[str, str]]:
        made["hooks"].append(("data", package))
        return [(f"/site/{package}/data.txt", package)]

    hooks.collect_submodules = collect_submodules  # type: ignore[attr-defined]
    hooks.collect_data_files = collect_data_files  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    namespace: dict[str, Any] = {"Analysis": Analysis, "PYZ": recorder("PYZ"),
                                 "EXE": recorder("EXE"), "COLLECT": recorder("COLLECT"),
                                 "BUNDLE": recorder("BUNDLE")}
    exec(compile(text, "fieldapp.spec", "exec"), namespace)
    return made


@pytest.fixture
def icons(build: ModuleType, tmp_path: Path) -> dict[str, Path]:
    return {"png": tmp_path / "fieldapp.png", "ico": tmp_path / "fieldapp.ico",
            "icns": tmp_path / "fieldapp.icns"}


def test_data_files_hold_every_catalog_migration_and_qt_chinese(build: ModuleType,
                                                                compiled: None) -> None:
    datas = build.data_files("linux")
    shipped = {(Path(src).name, dest) for src, dest in datas}
    for src, _dest in datas:
        assert Path(src).is_file(), src
    # Every language with a source catalog ships compiled.
    languages = [p.name for p in (ROOT / "translations").iterdir() if p.is_dir()]
    assert languages
    for lang in languages:
        assert ("fieldapp.mo", f"fieldapp/i18n/locale/{lang}/LC_MESSAGES") in shipped
    # Every migration the store would run.
    import importlib.resources

    migrations = [f.name for f in importlib.resources.files("fieldapp.store.migrations").iterdir()
                  if f.name.endswith(".sql")]
    assert migrations
    for name in migrations:
        assert (name, "fieldapp/store/migrations") in shipped
    # Qt's own Chinese strings, from the PySide6 that is installed.
    import PySide6

    qm = Path(PySide6.__file__).parent.rglob("qtbase_zh_CN.qm")
    assert {(p.name, "PySide6/Qt/translations") for p in qm} <= shipped


def test_every_non_python_file_of_the_app_is_shipped(build: ModuleType, compiled: None) -> None:
    """A data file added to fieldapp/ later must be added to the build too."""
    shipped = {Path(src).resolve() for src, _dest in build.data_files("linux")}
    ignored_suffixes = {".py", ".pyc", ".md", ".typed"}
    for path in (ROOT / "fieldapp").rglob("*"):
        if path.is_file() and path.suffix not in ignored_suffixes and \
                "__pycache__" not in path.parts:
            assert path.resolve() in shipped, f"{path.relative_to(ROOT)} is not in the package"


def test_data_files_refuse_a_tree_without_compiled_catalogs(build: ModuleType,
                                                            tmp_path: Path) -> None:
    (tmp_path / "fieldapp" / "store" / "migrations").mkdir(parents=True)
    with pytest.raises(build.BuildError, match="compile"):
        build.data_files("linux", root=tmp_path)


def test_linux_spec_freezes_the_launcher_with_every_module_and_no_test_tools(
        build: ModuleType, icons: dict[str, Path], compiled: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    datas = build.data_files("linux")
    made = run_spec(build.render_spec("linux", datas, icons, "9.8.7"), monkeypatch)
    analysis = made["Analysis"]
    launcher = Path(analysis.scripts[0])
    assert launcher == ROOT / "packaging" / "launcher.py" and launcher.is_file()
    assert ("submodules", "fieldapp") in made["hooks"]  # the CLI imports commands by name
    assert ("data", "pyxform") in made["hooks"]
    for tool in ("numpy", "pandas", "pytest", "pkg_resources", "PyInstaller"):
        assert tool in analysis.kw["excludes"]
    for src, dest in datas:
        assert (f"{dest}/{Path(src).name}", src, "DATA") in made["COLLECT"].args[-1]
    [exe] = made["EXE"]
    assert exe.name == "fieldapp" and exe.console is True and exe.icon is None
    assert made["COLLECT"].name == "fieldapp" and "BUNDLE" not in made


def test_spec_keeps_only_the_locale_data_the_app_uses(build: ModuleType,
                                                      icons: dict[str, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    extra = [(f"babel/locale-data/{name}.dat", f"/site/babel/locale-data/{name}.dat", "DATA")
             for name in ("root", "en", "en_GB", "de", "zh", "zh_Hans_CN", "zh_Hant_TW")]
    extra += [(f"PySide6/Qt/translations/{name}", f"/site/{name}", "DATA")
              for name in ("qtbase_de.qm", "qt_zh_CN.qm", "qtbase_zh_CN.qm", "qt_help_fr.qm")]
    extra += [("babel/global.dat", "/site/babel/global.dat", "DATA")]
    made = run_spec(build.render_spec("linux", [], icons, "1"), monkeypatch, tuple(extra))
    kept = {dest for dest, _src, _kind in made["COLLECT"].args[-1]}
    assert kept == {"babel/locale-data/root.dat", "babel/locale-data/en.dat",
                    "babel/locale-data/en_GB.dat", "babel/locale-data/zh.dat",
                    "babel/locale-data/zh_Hans_CN.dat", "PySide6/Qt/translations/qt_zh_CN.qm",
                    "PySide6/Qt/translations/qtbase_zh_CN.qm", "babel/global.dat",
                    "pyxform/data.txt"}  # other data passes untouched


def test_the_kept_babel_locales_are_enough_to_format_both_languages(build: ModuleType,
                                                                    tmp_path: Path) -> None:
    """Format a date and a number in both languages in a child that sees only the kept data."""
    import babel

    data = tmp_path / "babel"
    (data / "locale-data").mkdir(parents=True)
    source = Path(babel.__file__).parent
    (data / "global.dat").write_bytes((source / "global.dat").read_bytes())
    for name in build.BABEL_LOCALES:
        (data / "locale-data" / f"{name}.dat").write_bytes(
            (source / "locale-data" / f"{name}.dat").read_bytes())
    code = (
        "import babel.core, babel.localedata, os, sys\n"
        "d = sys.argv[1]\n"
        "babel.localedata._dirname = os.path.join(d, 'locale-data')\n"
        "babel.core._global_data = None\n"
        "babel.core._filename = os.path.join(d, 'global.dat')\n"
        "from datetime import date\n"
        "from fieldapp import i18n\n"
        "for lang in ('en', 'zh_CN'):\n"
        "    i18n.set_language(lang)\n"
        "    print(i18n.format_date(date(2026, 3, 1), 'long'), i18n.format_number(12345.5))\n"
        "    from babel.numbers import format_percent\n"
        "    print(format_percent(0.5, locale=i18n.babel_locale()))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ["1 March 2026 12,345.5", "50%",
                                        "2026年3月1日 12,345.5", "50%"]


def test_windows_spec_adds_a_console_free_desktop_program(build: ModuleType,
                                                          icons: dict[str, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec(build.render_spec("windows", [], icons, "1.2.3"), monkeypatch)
    programs = {exe.name: exe for exe in made["EXE"]}
    assert set(programs) == {"fieldapp", "fieldapp-gui"}
    assert programs["fieldapp"].console is True and programs["fieldapp-gui"].console is False
    assert {exe.icon for exe in made["EXE"]} == {str(icons["ico"])}
    assert list(made["COLLECT"].args[:2]) == made["EXE"]


def test_macos_spec_makes_an_app_bundle_with_both_languages(build: ModuleType,
                                                            icons: dict[str, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec(build.render_spec("macos", [], icons, "1.2.3"), monkeypatch)
    bundle = made["BUNDLE"]
    [exe] = made["EXE"]
    assert exe.name == "fieldapp" and exe.console is False  # no Terminal window from Finder
    assert bundle.name == "fieldapp.app" and bundle.icon == str(icons["icns"])
    assert bundle.version == "1.2.3"
    assert bundle.info_plist["CFBundleShortVersionString"] == "1.2.3"
    assert set(bundle.info_plist["CFBundleLocalizations"]) == {"en", "zh_CN"}
    assert bundle.args == (made["COLLECT"],)


def test_unknown_target_is_refused(build: ModuleType, icons: dict[str, Path]) -> None:
    with pytest.raises(build.BuildError, match="unknown target"):
        build.render_spec("beos", [], icons, "1")


def test_icons_read_back_with_qt_at_every_size(build: ModuleType, tmp_path: Path) -> None:
    from PySide6.QtGui import QImageReader

    files = build.write_icons(ROOT / "fieldapp" / "ui" / "icons" / "fieldapp.svg", tmp_path)
    for kind, sizes in (("ico", build.ICO_SIZES), ("icns", (16, 32, 64, 128, 256, 512, 1024))):
        reader = QImageReader(str(files[kind]), kind.encode())
        found = set()
        for i in range(reader.imageCount()):
            assert reader.jumpToImage(i)
            image = reader.read()
            assert not image.isNull(), f"{kind} image {i}: {reader.errorString()}"
            assert image.width() == image.height()
            found.add(image.width())
        assert found == set(sizes), kind
    png = QImageReader(str(files["png"]))
    image = png.read()
    assert (image.width(), image.height()) == (256, 256)
    # Drawn, not blank: the corner is transparent, the middle is not.
    assert image.pixelColor(0, 0).alpha() == 0 and image.pixelColor(128, 128).alpha() == 255


def test_desktop_entry_launches_the_program_with_its_icon(build: ModuleType) -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(build.desktop_entry("4.5.6"))
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Exec"] == "fieldapp"
    assert entry["Icon"] == "fieldapp" and entry["Terminal"] == "false"
    assert entry["X-AppVersion"] == "4.5.6"
    assert all(entry["Categories"].split(";")[:-1]) and entry["Categories"].endswith(";")
    assert re.search(r"[\u4e00-\u9fff]", entry["Comment[zh_CN]"])


def test_installer_and_dmg_recipes_name_the_built_folder(build: ModuleType,
                                                         tmp_path: Path) -> None:
    dist = tmp_path / "dist" / "fieldapp"
    iss = build.inno_setup_script("2.0.1", dist, tmp_path / "fieldapp.ico", tmp_path)
    assert f'Source: "{dist}\\*"' in iss and "PrivilegesRequired=lowest" in iss
    assert "AppVersion=2.0.1" in iss and "OutputBaseFilename=fieldapp-2.0.1-windows-setup" in iss
    assert build.INNO_APP_ID in iss  # the same id every release: an update replaces the old
    command = build.dmg_command("2.0.1", tmp_path / "fieldapp.app", tmp_path)
    assert command[0] == "create-dmg" and command[-1] == str(tmp_path / "fieldapp.app")
    assert command[-2].endswith("fieldapp-2.0.1-macos.dmg")


def test_recipe_only_writes_another_platforms_spec_and_installer(build: ModuleType,
                                                                 tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]
                                                                 ) -> None:
    assert build.main(["--out", str(tmp_path), "--target", "windows", "--recipe-only"]) == 0
    work = tmp_path / "work"
    assert (work / "fieldapp-windows.spec").is_file() and (work / "fieldapp.iss").is_file()
    assert (work / "icons" / "fieldapp.ico").stat().st_size > 1000
    compile(Path(work / "fieldapp-windows.spec").read_text(encoding="utf-8"), "spec", "exec")
    assert "spec:" in capsys.readouterr().out


def test_freezing_for_another_platform_is_refused_with_what_to_do(
        build: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = next(t for t in build.TARGETS if t != build.host_target())
    assert build.main(["--out", str(tmp_path), "--target", other]) == 1
    err = capsys.readouterr().err
    assert f"build the {other} package on {other}" in err and "--recipe-only" in err
    assert not (tmp_path / "dist").exists()


def test_version_is_one_everywhere(build: ModuleType) -> None:
    from fieldapp import __version__

    with (ROOT / "pyproject.toml").open("rb") as fh:
        declared = tomllib.load(fh)["project"]["version"]
    assert build.project_version() == __version__ == declared
    proc = subprocess.run([sys.executable, "-m", "fieldapp", "--version"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == f"fieldapp {declared}"


def test_measuring_without_a_package_says_to_build_first(build: ModuleType, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    assert build.main(["--out", str(tmp_path), "--measure-only"]) == 1
    assert "build it first" in capsys.readouterr().err
