"""The desktop app's settings: every one declared once, with its type and default.

Stored as a small JSON file in the platform's config folder (``FIELDAPP_HOME/config`` when that
variable is set, as in tests). Never a secret: passphrases and keys are not settings.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import platformdirs

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    type: type
    default: T


LANGUAGE = Setting[str]("language", str, "")  # "" = follow the system locale
IDLE_LOCK_MINUTES = Setting[int]("idle_lock_minutes", int, 5)
CLIPBOARD_CLEAR_SECONDS = Setting[int]("clipboard_clear_seconds", int, 60)
LAST_WORKSPACE = Setting[str]("last_workspace", str, "")
WINDOW_GEOMETRY = Setting[str]("window_geometry", str, "")
DEMO_OFFERED = Setting[bool]("demo_offered", bool, False)

ALL: tuple[Setting[Any], ...] = (
    LANGUAGE, IDLE_LOCK_MINUTES, CLIPBOARD_CLEAR_SECONDS, LAST_WORKSPACE, WINDOW_GEOMETRY,
    DEMO_OFFERED,
)


def config_dir() -> Path:
    home = os.environ.get("FIELDAPP_HOME")
    if home:
        return Path(home) / "config"
    return Path(platformdirs.user_config_dir("fieldapp", appauthor=False))


class Settings:
    """Typed access to the settings file. Unknown or ill-typed values fall back to defaults."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (config_dir() / "settings.json")
        self._values: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._values = loaded

    def get(self, setting: Setting[T]) -> T:
        value = self._values.get(setting.key, setting.default)
        if setting.type is int and isinstance(value, bool):
            return setting.default
        if not isinstance(value, setting.type):
            return setting.default
        return cast(T, value)

    def set(self, setting: Setting[T], value: T) -> None:
        if not isinstance(value, setting.type):
            raise TypeError(f"{setting.key}: {setting.type.__name__} expected")
        self._values[setting.key] = value
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self._values, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
