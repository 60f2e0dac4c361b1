"""The window fits a 13-inch laptop: on 1366×768 and 1280×720 screens (Qt's offscreen platform
given a screen of that size, in a child process) it opens within the screen, every tab can
shrink to the space left, in both languages, and a size remembered from a large monitor is
brought back onto the small screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: Room a desktop's panels and the title bar take from the screen.
PANELS = 60


def _run(tmp_path: Path, width: int, height: int, remembered: str = "") -> dict[str, Any]:
    config = tmp_path / f"screen-{width}x{height}.json"
    config.write_text(json.dumps({"screens": [{
        "name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
           "FIELDAPP_HOME": str(tmp_path / f"home-{width}-{bool(remembered)}"),
           "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "tests.ui.fit_child", remembered], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("width,height", [(1366, 768), (1280, 720)])
def test_the_window_fits_a_laptop_screen(tmp_path: Path, width: int, height: int) -> None:
    out = _run(tmp_path, width, height)
    x, y, w, h = out["frame"]
    assert x >= 0 and y >= 0 and x + w <= width and y + h <= height
    for lang in ("en", "zh_CN"):
        min_w, min_h = out[lang]["min"]
        assert min_w <= width and min_h <= height - PANELS, (lang, out[lang])
        for tab, (tw, th) in out[lang]["tabs"].items():
            assert tw <= width and th <= height - PANELS - 60, (lang, tab, tw, th)


def test_a_size_from_a_large_monitor_is_brought_back_on_screen(tmp_path: Path) -> None:
    big = _run(tmp_path, 2560, 1440)
    # What a window maximised on the big monitor would have saved: make it big first.
    assert big["frame"][2] <= 2560
    out = _run(tmp_path, 1280, 720, remembered=_large_geometry(tmp_path))
    x, y, w, h = out["frame"]
    assert x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 720


def _large_geometry(tmp_path: Path) -> str:
    """A saved geometry of 1900×1300 at (500, 100), as the window would store it."""
    code = ("import sys, os; os.environ['QT_QPA_PLATFORM']='offscreen';"
            "from PySide6.QtWidgets import QApplication, QMainWindow;"
            "app=QApplication([]); w=QMainWindow(); w.setGeometry(500,100,1900,1300);"
            "print(bytes(w.saveGeometry().toBase64().data()).decode())")
    config = tmp_path / "huge.json"
    config.write_text(json.dumps({"screens": [{"name": "big", "x": 0, "y": 0, "width": 2560,
                                               "height": 1440, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-c", code.replace(
        "os.environ['QT_QPA_PLATFORM']='offscreen';", "")], env=env, capture_output=True,
        text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]
