"""Build fieldapp's desktop package: its own Python, every dependency, nothing to install first.

    python packaging/build.py --out DIR [--target linux|windows|macos] [--recipe-only]
                              [--no-measure]

Run it with the project's environment (``.venv/bin/python``; PyInstaller comes with the test
extras). It compiles the translations, renders the icon from ``fieldapp/ui/icons/fieldapp.svg``,
writes a PyInstaller spec for the target, freezes the app into ``DIR/dist/fieldapp/`` and packs
the platform's download. Then it measures the package against the source checkout and prints
both: size, and the start time of ``fieldapp --version`` and of the desktop app up to its unlock
dialog (offscreen). ``DIR/work/`` holds the spec and PyInstaller's intermediate files.

Why PyInstaller
    It is maintained (several releases a year), on PyPI, needs no compiler and no network at
    build time, and one spec drives all three platforms, so the Windows and macOS recipes below
    cannot drift from the Linux one that is built and tested here. Its hooks know PySide6 (Qt
    plugins, libraries and ``qtbase_*.qm``), cryptography, lxml, Babel and OpenCC. Briefcase
    downloads a prebuilt Python ("support package") and templates while building, which cannot
    happen on a build machine that reaches only package registries; Nuitka translates every
    module to C and compiles it, far slower on two cores and one more toolchain to keep working;
    cx_Freeze has fewer ready-made hooks for our dependencies.

Linux: a folder in one ``.tar.gz``, not an AppImage or a PyInstaller "onefile"
    An AppImage needs the AppImage runtime and ``appimagetool``, which are only published as
    prebuilt binaries on GitHub: neither PyPI nor Debian carries them (the PyPI helpers
    ``appimage`` and ``python-appimage`` download them while building), so they cannot be had on
    a build machine that reaches only package registries. PyInstaller's onefile executable is a
    single file, but it unpacks the whole app (about 230 MB, Qt included) into a new folder
    under ``/tmp`` at every start: measured here, ``--version`` took about 3 s of CPU against
    0.25 s from the checkout (12 times), and the unpacked copy is written outside the user's
    data folder (and left behind when the process is killed). So the Linux download is one
    file, ``fieldapp-VERSION-linux-x86_64.tar.gz``, that unpacks (double-click, "Extract here")
    into a folder holding the ``fieldapp`` program, its desktop entry and icon; it runs from
    wherever it was unpacked and writes nothing there. Python modules are kept as separate
    ``.pyc`` files (``noarchive``), imported as a checkout imports them, rather than
    decompressed one by one from PyInstaller's archive.

    The program links the C library of the machine that built it: built on Debian 12
    (glibc 2.36) it runs on Debian 12, Ubuntu 23.04, Fedora 37 and later. Build on the oldest
    system the team uses. Qt's X11 libraries that the build machine lacks (``libxcb-icccm4``,
    ``libxcb-keysyms1`` here) come from the user's system; README's Install section lists them.

Windows (run this script on Windows, then Inno Setup)
    ``python packaging\\build.py --out build\\pkg --target windows`` freezes ``fieldapp.exe``
    (the command line, with a console) and ``fieldapp-gui.exe`` (the desktop app, no console)
    into one folder and writes ``fieldapp.iss``; then ``iscc build\\pkg\\work\\fieldapp.iss``
    makes ``fieldapp-VERSION-windows-setup.exe``: a per-user install (no administrator rights)
    into ``%LOCALAPPDATA%\\Programs\\fieldapp``, a Start-menu entry, English and Simplified
    Chinese setup screens (Inno Setup does not install its Chinese messages: put the unofficial
    ``ChineseSimplified.isl`` translation in its ``Languages`` folder first). An update
    installs over the old version and removes its old program files; the data in
    ``%LOCALAPPDATA%\\fieldapp`` is never touched, not even by uninstalling.

macOS (run this script on a Mac, then create-dmg)
    ``python packaging/build.py --out build/pkg --target macos`` freezes ``fieldapp.app`` (with
    ``fieldapp.icns``; English and Chinese declared as localisations so native dialogs follow the
    language) and prints the ``create-dmg`` command (``brew install create-dmg``) that makes
    ``fieldapp-VERSION-macos.dmg`` with the usual drag-to-Applications window. Signing and
    notarisation need the team's Apple Developer ID: ``codesign --deep --options runtime`` on the
    app, then ``xcrun notarytool submit --wait`` and ``xcrun stapler staple`` on the dmg.

What the package holds, beyond the code
    fieldapp's compiled catalogs (``python -m fieldapp.i18n.catalog compile``), Qt's own Chinese
    strings (``qtbase_zh_CN.qm``, for standard buttons and dialogs), the schema migrations, the
    icon (PNG, ICO or ICNS, rendered here from the SVG) and on Linux a desktop entry. No font:
    fieldapp.ui.fonts picks the system's Chinese face (Microsoft YaHei on Windows, PingFang SC on
    macOS, Noto Sans CJK SC or WenQuanYi on Linux). Every Windows and macOS release has one, and
    every Linux desktop set up for Chinese does; bundling Noto Sans CJK SC would add about 20 MB
    to every download for the Linux machines that lack it, where ``fonts-noto-cjk`` (Debian,
    Ubuntu) or ``google-noto-sans-cjk-fonts`` (Fedora) fixes it. The package needs no network.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import shutil
import struct
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "fieldapp"
TARGETS = ("linux", "windows", "macos")
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # an ICO entry is at most 256 pixels
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09",
              1024: b"ic10"}
#: Installed in the build environment but never used by the app (openpyxl and pyxform look
#: for numpy and pandas when they are there; the test tools come with the test extras).
#: ``pkg_resources`` comes in through Babel's optional plugin lookup, and PyInstaller's runtime
#: hook for it costs half a second at every start; httpx's optional command line brings the
#: rest.
EXCLUDES = ("tkinter", "numpy", "pandas", "PIL", "IPython", "pytest", "_pytest", "hypothesis",
            "pytestqt", "wsgidav", "cheroot", "mypy", "ruff", "PyInstaller", "pkg_resources",
            "setuptools", "pygments", "rich", "click")
#: Locale data the app uses: Babel formats dates and numbers for en_GB and zh_Hans_CN only
#: (fieldapp.i18n.babel_locale), and each needs its parents; Qt's catalogs only for Chinese.
BABEL_LOCALES = ("root", "en", "en_001", "en_150", "en_GB", "zh", "zh_Hans", "zh_Hans_CN")
QT_CATALOG_SUFFIX = "_zh_CN.qm"
#: Where PySide6 keeps Qt's translations inside the frozen app (the layout of its wheel).
QT_TRANSLATIONS_DEST = {"linux": "PySide6/Qt/translations", "macos": "PySide6/Qt/translations",
                        "windows": "PySide6/translations"}
QT_CATALOGS = ("qtbase_zh_CN.qm",)
INNO_APP_ID = "{{6F0C1B52-4A57-4F7E-9D0E-2B1F5C3A9E41}"  # fixed: updates replace the old install


class BuildError(Exception):
    """A build step that cannot go on; the message says what to do."""


# -- facts about the project ---------------------------------------------------------------

def host_target() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")


def project_version(root: Path = ROOT) -> str:
    """The version in ``fieldapp/__init__.py``, read without importing the package."""
    text = (root / "fieldapp" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise BuildError("fieldapp/__init__.py has no __version__")
    return match.group(1)


def machine() -> str:
    return {"amd64": "x86_64", "arm64": "arm64", "aarch64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower() or "unknown")


def package_basename(target: str, version: str) -> str:
    return {"linux": f"{APP}-{version}-linux-{machine()}",
            "windows": f"{APP}-{version}-windows-setup",
            "macos": f"{APP}-{version}-macos"}[target]


def compile_catalogs(python: str = sys.executable, root: Path = ROOT) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([python, "-m", "fieldapp.i18n.catalog", "compile", "--quiet"], cwd=root,
                   env=env, check=True)


def qt_translations_dir() -> Path:
    from PySide6.QtCore import QLibraryInfo

    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))


def data_files(target: str, root: Path = ROOT,
               qt_translations: Path | None = None) -> list[tuple[str, str]]:
    """``(source file, folder inside the package)`` for everything that is not Python code."""
    catalogs = sorted((root / "fieldapp" / "i18n" / "locale").glob("*/LC_MESSAGES/*.mo"))
    if not catalogs:
        raise BuildError("no compiled catalogs: run python -m fieldapp.i18n.catalog compile")
    found: list[tuple[str, str]] = [
        (str(mo), mo.parent.relative_to(root).as_posix()) for mo in catalogs]
    migrations = sorted((root / "fieldapp" / "store" / "migrations").glob("*.sql"))
    found += [(str(sql), "fieldapp/store/migrations") for sql in migrations]
    icons = sorted((root / "fieldapp" / "ui" / "icons").glob("*.svg"))
    found += [(str(svg), "fieldapp/ui/icons") for svg in icons]
    qt_dir = qt_translations or qt_translations_dir()
    for name in QT_CATALOGS:
        qm = qt_dir / name
        if not qm.exists():
            raise BuildError(f"Qt's {name} is missing from {qt_dir}")
        found.append((str(qm), QT_TRANSLATIONS_DEST[target]))
    return found


# -- the icon --------------------------------------------------------------------------------

def render_pngs(svg: Path, sizes: Iterable[int]) -> dict[int, bytes]:
    """The SVG drawn at each size, as PNG bytes (Qt's SVG renderer, no other image library)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication

    # A QApplication (not a bare QGuiApplication), so a widgets application can still run in
    # the same process afterwards: the tests, which render icons beside the UI tests.
    _app = QApplication.instance() or QApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise BuildError(f"{svg} is not a valid SVG")
    out: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # PySide6 wants str here
        buffer.close()
        out[size] = bytes(data.data())
    return out


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows ICO holding PNG images (allowed since Windows Vista), smallest first."""
    sizes = sorted(s for s in pngs if s <= 256)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        blob = pngs[size]
        side = 0 if size == 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS ICNS holding PNG images, one per size macOS looks for."""
    body = b"".join(ICNS_TYPES[size] + struct.pack(">I", 8 + len(blob)) + blob
                    for size, blob in sorted(pngs.items()) if size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(svg: Path, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(svg, sorted({*PNG_SIZES, *ICO_SIZES, 1024}))
    files = {"png": folder / f"{APP}.png", "ico": folder / f"{APP}.ico",
             "icns": folder / f"{APP}.icns"}
    files["png"].write_bytes(pngs[256])
    files["ico"].write_bytes(ico_bytes(pngs))
    files["icns"].write_bytes(icns_bytes(pngs))
    for size in PNG_SIZES:
        (folder / f"{APP}-{size}.png").write_bytes(pngs[size])
    return files


# -- recipes -----------------------------------------------------------------------------------

def desktop_entry(version: str, exec_path: str = APP) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        f"Name={APP}",
        "GenericName=Fieldwork notebook",
        "GenericName[zh_CN]=田野调查笔记",
        "Comment=Encrypted, offline notebook for interviews, consent records and surveys",
        "Comment[zh_CN]=离线加密的访谈、知情同意与问卷记录工具",
        f"Exec={exec_path}",
        f"Icon={APP}",
        "Terminal=false",
        "Categories=Office;Education;Science;",
        "Keywords=fieldwork;interview;survey;consent;访谈;问卷;田野;",
        "StartupWMClass=fieldapp",
        f"X-AppVersion={version}",
        "",
    ])


def render_spec(target: str, datas: list[tuple[str, str]], icons: dict[str, Path],
                version: str, root: Path = ROOT) -> str:
    """The PyInstaller spec for ``target``: one analysis, then that platform's executables."""
    if target not in TARGETS:
        raise BuildError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    icon = {"windows": str(icons["ico"]), "macos": str(icons["icns"])}.get(target)
    lines = [
        f"# PyInstaller spec for fieldapp {version} on {target}, written by packaging/build.py.",
        "# Edit the generator, not this file.",
        "from PyInstaller.utils.hooks import collect_data_files, collect_submodules",
        "",
        "a = Analysis(",
        f"    [{str(root / 'packaging' / 'launcher.py')!r}],",
        f"    pathex=[{str(root)!r}],",
        # pyxform reads its language-tag tables from data files at import time.
        f"    datas={datas!r} + collect_data_files('pyxform'),",
        # The CLI loads its command modules by name, the UI some views on first use.
        "    hiddenimports=collect_submodules('fieldapp'),",
        f"    excludes={list(EXCLUDES)!r},",
        "    noarchive=True,",
        ")",
        "",
        f"BABEL_LOCALES = {set(BABEL_LOCALES)!r}",
        "",
        "def keep(dest):",
        "    path = dest.replace(chr(92), '/')",
        "    name = path.rsplit('/', 1)[-1]",
        "    if path.startswith('babel/locale-data/'):",
        "        return name.rsplit('.', 1)[0] in BABEL_LOCALES",
        "    if '/translations/' in path and name.endswith('.qm'):",
        f"        return name.endswith({QT_CATALOG_SUFFIX!r})",
        "    return True",
        "",
        "a.datas = [entry for entry in a.datas if keep(entry[0])]",
        "pyz = PYZ(a.pure)",
        # On macOS the program inside the .app is "windowed" (no Terminal opens from Finder);
        # started from a terminal it still prints, so the command line works there too.
        f"exe = EXE(pyz, a.scripts, [], exclude_binaries=True, name={APP!r}, "
        f"console={target != 'macos'!r},",
        f"          icon={icon!r}, strip=False, upx=False)",
    ]
    programs = "exe"
    if target == "windows":
        lines += [
            "# The desktop app without a console window, for the Start menu.",
            f"gui = EXE(pyz, a.scripts, [], exclude_binaries=True, name={APP + '-gui'!r},",
            f"          console=False, icon={icon!r}, strip=False, upx=False)",
        ]
        programs = "exe, gui"
    lines.append(f"coll = COLLECT({programs}, a.binaries, a.datas, strip=False, upx=False, "
                 f"name={APP!r})")
    if target == "macos":
        plist = {"CFBundleShortVersionString": version, "CFBundleVersion": version,
                 "CFBundleDevelopmentRegion": "en", "CFBundleLocalizations": ["en", "zh_CN"],
                 "NSHighResolutionCapable": True,
                 "LSMinimumSystemVersion": "13.0"}  # the oldest macOS Qt 6.11 supports
        lines.append(f"app = BUNDLE(coll, name={APP + '.app'!r}, icon={icon!r}, "
                     f"bundle_identifier='org.fieldapp.fieldapp', version={version!r}, "
                     f"info_plist={plist!r})")
    return "\n".join(lines) + "\n"


def inno_setup_script(version: str, dist: Path, icon: Path, out: Path) -> str:
    """Inno Setup 6 script for the Windows installer (run with ``iscc``)."""
    return "\n".join([
        "; Windows installer for fieldapp, written by packaging/build.py.",
        "[Setup]",
        f"AppId={INNO_APP_ID}",
        f"AppName={APP}",
        f"AppVersion={version}",
        f"AppVerName={APP} {version}",
        # Per user, no administrator rights: {autopf} is %LOCALAPPDATA%\Programs.
        "PrivilegesRequired=lowest",
        f"DefaultDirName={{autopf}}\\{APP}",
        "DisableProgramGroupPage=yes",
        f"OutputDir={out}",
        f"OutputBaseFilename={package_basename('windows', version)}",
        f"SetupIconFile={icon}",
        f"UninstallDisplayIcon={{app}}\\{APP}-gui.exe",
        "Compression=lzma2",
        "SolidCompression=yes",
        "WizardStyle=modern",
        "CloseApplications=yes",
        "",
        "[Languages]",
        'Name: "en"; MessagesFile: "compiler:Default.isl"',
        "; ChineseSimplified.isl is an unofficial translation: copy it into Inno Setup's Languages.",
        'Name: "zh_CN"; MessagesFile: "compiler:Languages\\ChineseSimplified.isl"',
        "",
        "[Tasks]",
        'Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; '
        'GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked',
        "",
        "[InstallDelete]",
        "; The previous version's program files; the data folder is elsewhere and never touched.",
        'Type: filesandordirs; Name: "{app}\\_internal"',
        "",
        "[Files]",
        f'Source: "{dist}\\*"; DestDir: "{{app}}"; Flags: ignoreversion recursesubdirs',
        "",
        "[Icons]",
        f'Name: "{{autoprograms}}\\{APP}"; Filename: "{{app}}\\{APP}-gui.exe"',
        f'Name: "{{autodesktop}}\\{APP}"; Filename: "{{app}}\\{APP}-gui.exe"; Tasks: desktopicon',
        "",
        "[Run]",
        f'Filename: "{{app}}\\{APP}-gui.exe"; Description: "{{cm:LaunchProgram,{APP}}}"; '
        "Flags: nowait postinstall skipifsilent",
        "",
    ])


def dmg_command(version: str, app_bundle: Path, out: Path) -> list[str]:
    """The create-dmg call that wraps ``fieldapp.app`` in a drag-to-Applications disk image."""
    return ["create-dmg", "--volname", f"{APP} {version}", "--window-size", "540", "360",
            "--icon-size", "96", "--icon", f"{APP}.app", "140", "170",
            "--app-drop-link", "400", "170", "--no-internet-enable",
            str(out / f"{package_basename('macos', version)}.dmg"), str(app_bundle)]


# -- building -----------------------------------------------------------------------------------

def write_recipe(target: str, out: Path, root: Path = ROOT) -> dict[str, Path]:
    """Compile the catalogs, render the icons, write the spec (and the installer script)."""
    version = project_version(root)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    compile_catalogs(root=root)
    icons = write_icons(root / "fieldapp" / "ui" / "icons" / f"{APP}.svg", work / "icons")
    spec = work / f"{APP}-{target}.spec"
    spec.write_text(render_spec(target, data_files(target, root), icons, version, root),
                    encoding="utf-8")
    written = {"spec": spec, **icons}
    if target == "windows":
        iss = work / f"{APP}.iss"
        iss.write_text(inno_setup_script(version, out / "dist" / APP, icons["ico"], out),
                       encoding="utf-8")
        written["iss"] = iss
    return written


def run_pyinstaller(spec: Path, out: Path, root: Path = ROOT) -> Path:
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("QT_QPA_PLATFORM", None)
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                    "--log-level", "WARN", "--distpath", str(out / "dist"),
                    "--workpath", str(out / "work" / "pyinstaller"), str(spec)],
                   cwd=root, env=env, check=True)
    return out / "dist" / APP


def finish_linux(folder: Path, icons: dict[str, Path], out: Path, version: str) -> Path:
    """Add the desktop entry and icon to the folder and pack it into one ``.tar.gz``."""
    shutil.copy2(icons["png"], folder / f"{APP}.png")
    (folder / f"{APP}.desktop").write_text(desktop_entry(version), encoding="utf-8")
    name = package_basename("linux", version)
    archive = out / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=name)
    return archive


def program_path(target: str, out: Path) -> Path:
    """The frozen ``fieldapp`` program (the command line) inside the built package."""
    if target == "macos":
        return out / "dist" / f"{APP}.app" / "Contents" / "MacOS" / APP
    return out / "dist" / APP / (f"{APP}.exe" if target == "windows" else APP)


def build(target: str, out: Path, root: Path = ROOT) -> dict[str, Path]:
    recipe = write_recipe(target, out, root)
    version = project_version(root)
    folder = run_pyinstaller(recipe["spec"], out, root)
    result = {**recipe, "folder": folder, "program": program_path(target, out)}
    if target == "linux":
        result["archive"] = finish_linux(folder, recipe, out, version)
    elif target == "macos":
        print("then: " + " ".join(dmg_command(version, out / "dist" / f"{APP}.app", out)))
    else:
        print(f"then: iscc {recipe['iss']}")
    return result


# -- measuring -----------------------------------------------------------------------------------

def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def checkout_runtime_size() -> int:
    """What running from a checkout needs on disk: Python's standard library and every
    installed distribution fieldapp depends on at run time (not the test tools)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = ["fieldapp"]
    total = 0
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if name != "fieldapp":
            total += sum(f.size or 0 for f in dist.files or [])
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    total += tree_size(ROOT / "fieldapp")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    total += tree_size(stdlib) - tree_size(stdlib / "site-packages") if (
        stdlib / "site-packages").exists() else tree_size(stdlib)
    return total


def clean_env(home: Path) -> dict[str, str]:
    """A user's session: an empty home, no Python settings, no virtual environment on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "FIELDAPP_", "QT_", "CONDA"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and "venv" not in p) or "/usr/bin:/bin"
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", FIELDAPP_LANG="en")
    return env


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows: no per-child accounting; CPU time is left out
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_times(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int,
               expect: str) -> dict[str, tuple[float, float]]:
    """The fastest wall-clock and CPU time of each command over ``runs`` starts, after one
    warm-up (so the page cache is warm for all). The commands take turns, so a machine that
    gets busier or quieter meanwhile weighs on each alike; CPU time says the same on a busy
    machine, where wall time is mostly waiting for a core."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for i in range(runs + 1):
        for name, (command, env) in commands.items():
            cpu, start = _children_cpu(), time.perf_counter()
            proc = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=300, check=False)
            elapsed, used = time.perf_counter() - start, _children_cpu() - cpu
            if proc.returncode != 0 or expect not in proc.stdout:
                raise BuildError(f"{' '.join(command[:3])} … failed ({proc.returncode}): "
                                 f"{proc.stderr.strip()[-800:]}")
            if i:
                times[name].append((elapsed, used))
    return {name: (min(w for w, _c in found), min(c for _w, c in found))
            for name, found in times.items()}


def measure(program: Path, package: Path, installed: Path, runs: int = 5) -> dict[str, float]:
    """Size and start times of the package beside the source checkout's; printed as a table."""
    with tempfile.TemporaryDirectory(prefix="fieldapp-measure-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = clean_env(home)
        source_env = {**env, "PYTHONPATH": str(ROOT)}
        source = [sys.executable, "-m", APP]
        workspace = Path(tmp) / "workspace"
        passphrase = secrets.token_urlsafe(18)
        subprocess.run([*source, "init", str(workspace)], env={
            **source_env, "FIELDAPP_PASSPHRASE": passphrase}, check=True, capture_output=True)
        version = f"{APP} {project_version()}"
        gui = ["gui", str(workspace), "--exit-when-ready"]
        figures: dict[str, float] = {
            "size_package": float(tree_size(package)),
            "size_installed": float(tree_size(installed)),
            "size_checkout": float(checkout_runtime_size()),
        }
        for name, args, expect in (("version", ["--version"], version),
                                   ("unlock", gui, "ready")):
            found = best_times({"package": ([str(program), *args], env),
                                "checkout": ([*source, *args], source_env)}, runs, expect)
            for where, (wall, cpu) in found.items():
                figures[f"{name}_{where}"], figures[f"{name}_{where}_cpu"] = wall, cpu
    mib = 1024 * 1024
    rows = [
        ("download size (MiB)", figures["size_package"] / mib, figures["size_checkout"] / mib),
        ("installed size (MiB)", figures["size_installed"] / mib,
         figures["size_checkout"] / mib),
    ]
    for name, label in (("version", "--version"), ("unlock", "to the unlock dialog")):
        rows.append((f"start {label}, wall (s)", figures[f"{name}_package"],
                     figures[f"{name}_checkout"]))
        rows.append((f"start {label}, CPU (s)", figures[f"{name}_package_cpu"],
                     figures[f"{name}_checkout_cpu"]))
    print(f"{'':40}{'package':>10}{'checkout':>10}{'ratio':>8}")
    for label, pkg, src in rows:
        ratio = f"{pkg / src:8.2f}" if src else f"{'-':>8}"
        print(f"{label:40}{pkg:10.2f}{src:10.2f}{ratio}")
    print(f"(checkout size: Python's standard library and the installed run-time dependencies; "
          f"start: best of {runs} after a warm-up, offscreen, an empty home; goal for the start: "
          f"ratio within 2)")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python packaging/build.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder (the package, and work/ for intermediate files)")
    parser.add_argument("--target", choices=TARGETS, default=host_target())
    parser.add_argument("--recipe-only", action="store_true",
                        help="write the spec, icons and installer script, do not freeze")
    parser.add_argument("--no-measure", action="store_true",
                        help="skip measuring size and start time")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure the package already built in --out, do not build")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    try:
        if args.recipe_only:
            for kind, path in write_recipe(args.target, out).items():
                print(f"{kind}: {path}")
            return 0
        version = project_version()
        if args.measure_only:
            folder, program = out / "dist" / APP, program_path(args.target, out)
            archive = out / f"{package_basename(args.target, version)}.tar.gz"
            if not program.is_file():
                raise BuildError(f"no package in {folder}: build it first")
            measure(program, archive if archive.exists() else folder, folder)
            return 0
        if args.target != host_target():
            raise BuildError(f"PyInstaller builds for the machine it runs on: build the "
                             f"{args.target} package on {args.target} (here: --recipe-only)")
        started, cpu = time.perf_counter(), _children_cpu()
        result = build(args.target, out)
        print(f"built in {time.perf_counter() - started:.0f} s ({_children_cpu() - cpu:.0f} s of "
              f"CPU): {result.get('archive') or result['folder']}")
        if not args.no_measure:
            measure(result["program"], result.get("archive", result["folder"]), result["folder"])
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"build failed: {' '.join(map(str, exc.cmd[:4]))} … exited with {exc.returncode}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
