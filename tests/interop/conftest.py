"""Interop tests run the real programs. Missing programs fail under CI and skip elsewhere."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture
def tool():
    def find(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            message = f"the {name!r} program is not installed (CI installs it with apt)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        return path

    return find
