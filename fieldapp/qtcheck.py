"""Before Qt starts: are the system libraries its platform plugin needs on this machine?

Qt loads its platform plugin (``libqxcb.so`` on an X11 desktop) only once the application object is
built, and when a library that plugin links against is missing — ``libxcb-cursor0`` on a fresh
Debian or Ubuntu — Qt prints a hint and aborts the process with SIGABRT, taking any message of ours
with it. So the desktop app asks the dynamic loader first: ``ldd`` on the very plugin Qt will load
lists each missing library as "not found". This needs no list of Qt's dependencies to keep up to
date; the table below only turns the missing file names into the Debian/Ubuntu packages to install.

Standard library only, and PySide6 is located without being imported: this runs before Qt does.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fieldapp.i18n import _

#: Library file name (soname) → Debian/Ubuntu package that provides it.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


@dataclass(frozen=True)
class Missing:
    """What Qt's platform plugin needs and this machine lacks."""

    platform: str
    libraries: tuple[str, ...]

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(DEBIAN_PACKAGES[lib] for lib in self.libraries
                                   if lib in DEBIAN_PACKAGES))

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(lib for lib in self.libraries if lib not in DEBIAN_PACKAGES)

    def message(self) -> str:
        lines = [_("The desktop app cannot start: this computer lacks system libraries that Qt "
                   "needs to draw windows ({platform}):").format(platform=self.platform),
                 "  " + " ".join(self.libraries)]
        if self.packages:
            lines.append(_("On Debian or Ubuntu, install them with:"))
            lines.append("  sudo apt-get install " + " ".join(self.packages))
        if self.unknown:
            lines.append(_("Install the packages that provide the other files with your system's "
                           "package manager."))
        lines.append(_("Your workspaces are not affected. The command line (fieldapp --help) "
                       "works without them."))
        return "\n".join(lines)


def chosen_platform(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The platform plugin Qt will load, as Qt chooses it on Linux."""
    env = os.environ if environ is None else environ
    wanted = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if wanted:
        return wanted
    if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
        return "wayland"
    return "xcb"


def plugin_path(platform: str) -> Path | None:
    """The platform plugin file Qt will load, found without importing PySide6."""
    folders = []
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            folders.append(Path(location) / "Qt" / "plugins" / "platforms")
    for folder in folders:
        candidate = folder / f"libq{platform}.so"
        if candidate.is_file():
            return candidate
    return None


def missing_libraries(plugin: Path) -> tuple[str, ...]:
    """Libraries ``plugin`` links against that the dynamic loader cannot find."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return ()
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(dict.fromkeys(_NOT_FOUND.findall(out)))


def check(environ: dict[str, str] | None = None) -> Missing | None:
    """What is missing for the desktop app on this machine, or None when Qt can start."""
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS wheels carry everything their platform plugin needs.
    platform = chosen_platform(environ)
    plugin = plugin_path(platform)
    if plugin is None:
        return None  # Qt reports an unknown platform itself, with the list of valid ones.
    libraries = missing_libraries(plugin)
    return Missing(platform, libraries) if libraries else None


def install_command(missing: Missing) -> list[str] | None:
    """The apt-get command that installs what is missing, when this process may run it."""
    if not missing.packages or shutil.which("apt-get") is None:
        return None
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    return ["apt-get", "install", "-y", "--no-install-recommends", *missing.packages]


def main(argv: list[str] | None = None) -> int:
    """``python -m fieldapp.qtcheck [--install]``: report (and as root, install) what Qt lacks.

    The set-up command runs this before it opens the app, so a fresh machine gets its libraries
    installed (as root) or a message naming them, instead of Qt aborting.
    """
    from fieldapp.i18n import set_language, system_language

    args = sys.argv[1:] if argv is None else argv
    set_language(system_language())
    missing = check()
    if missing is None:
        return 0
    command = install_command(missing) if "--install" in args else None
    if command is not None:
        print(_("Installing the system libraries Qt needs: {packages}").format(
            packages=" ".join(missing.packages)), flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(command, check=False, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        missing = check()
        if missing is None:
            return 0
    print(missing.message(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
