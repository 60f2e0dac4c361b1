"""The real programs tests judge fieldapp with (``age``, ``age-keygen``, ``minisign``, ``tar``)."""

from __future__ import annotations

import os
import shutil

import pytest


def need(tool: str) -> str:
    """The path of ``tool``; a test without it is skipped on a developer's machine and fails
    under CI, where ``.ci/run`` installs it."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed; .ci/run installs it")
        pytest.skip(f"{tool} is not installed")
    return path
