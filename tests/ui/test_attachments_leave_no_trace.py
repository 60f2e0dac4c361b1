"""Opening attachments leaves no plaintext anywhere, checked from outside the process.

A child process (the real widgets, offscreen) decrypts a picture, a PDF and a recording into the
viewers and plays the recording for a moment, with every place it could write to (temporary
folder, home, caches, runtime folder) pointed into this test's folder, and with the environment
asking Qt and FFmpeg to log everything they do. Afterwards every file under those folders, the
workspace, and every new file in the system's temporary folder is searched for a marker that
only the plaintext contains; standard output and error are searched for the marker and the
recording's name.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from fieldapp.services import attachments, records
from fieldapp.store.workspace import Workspace
from fieldapp.ui.views import media
from tests.conftest import PASSPHRASE
from tests.media import samples

pytestmark = pytest.mark.skipif(media.multimedia_problem() is not None,
                                reason="QtMultimedia cannot load here (libpulse0 missing)")

CHILD = textwrap.dedent("""
    import sys
    from tests.kdf import allow_weak_kdf
    allow_weak_kdf()
    from PySide6.QtCore import QTimer
    from fieldapp.services import attachments, records, session
    from fieldapp.ui.app import ensure_app
    from fieldapp.ui.views import media

    app = ensure_app()  # as the app makes its QApplication
    ws = session.open_workspace(sys.argv[1], sys.argv[2])
    views = []
    for att in records.list_records(ws, "attachment"):
        data = attachments.read_attachment(ws, att["id"])
        view = media.view_for(att["mime"], att["filename"], data)
        view.show()
        views.append(view)
    players = [v for v in views if isinstance(v, media.AudioPlayer)]
    assert players and any(isinstance(v, media.PdfView) and v.ready for v in views)
    QTimer.singleShot(800, players[0].toggle)
    QTimer.singleShot(2500, app.quit)
    app.exec()
    assert players[0].duration() > 5000, players[0].duration()
    for p in players:
        p.stop()
    ws.close()
    print("viewed", len(views))
""")


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]


def test_viewing_and_playing_attachments_writes_no_plaintext(ws: Workspace, ws_path: Path,
                                                              tmp_path: Path) -> None:
    iid = records.add_interview(ws, code="KM-I-001")
    for name, data in (("签字表.png", samples.png()), ("项目合同.pdf", samples.pdf()),
                       ("访谈录音-王明.wav", samples.wav(seconds=8))):
        source = tmp_path / "sources" / name
        source.parent.mkdir(exist_ok=True)
        source.write_bytes(data)
        attachments.add_attachment(ws, source, interview_id=iid)
    ws.close()
    for source in (tmp_path / "sources").iterdir():
        source.unlink()  # only the workspace's encrypted copies remain
    places = {k: tmp_path / "child" / k.lower() for k in (
        "TMPDIR", "HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
        "XDG_RUNTIME_DIR")}
    for folder in places.values():
        folder.mkdir(parents=True)
        folder.chmod(0o700)
    system_tmp = Path(tempfile.gettempdir())
    before = {p for p in system_tmp.iterdir()}
    env = {**os.environ, **{k: str(v) for k, v in places.items()},
           "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.getcwd(),
           # The environment asks for everything to be logged: it must not be obeyed.
           "QT_LOGGING_RULES": "qt.multimedia*=true", "QT_FFMPEG_DEBUG": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(ws_path), PASSPHRASE],
                          env=env, capture_output=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert b"viewed 3" in done.stdout
    assert samples.MARKER not in output
    assert "王明".encode() not in output and "访谈录音".encode() not in output
    scanned = _files_under(tmp_path / "child") + _files_under(ws_path)
    scanned += [p for p in system_tmp.iterdir() if p not in before and p.is_file()]
    assert scanned  # the workspace's own files at least
    leaks = [p for p in scanned if samples.MARKER in p.read_bytes()]
    assert leaks == []
