"""Helpers for the packaging tests: packaging/build.py loaded as a module (it is a script, not
part of the fieldapp package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_build() -> ModuleType:
    name = "fieldapp_packaging_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build() -> ModuleType:
    return load_build()


@pytest.fixture(scope="session")
def compiled() -> None:
    """The catalogs compiled, as the build does first."""
    load_build().compile_catalogs()
