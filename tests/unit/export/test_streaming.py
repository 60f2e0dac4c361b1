"""An export streams from the database: its memory does not grow with the size of the data.

Attacked from outside: ``fieldapp export`` runs as a separate process (the real command line)
on two workspaces that differ only in how much text they hold — one with a few short notes
and answers, one with ~70 MB more of note text and open survey answers — and the peak resident
set size of each process is the kernel's ``VmHWM`` for that process (``ru_maxrss`` would
carry over the test runner's own size through fork and exec), read as the command ends. CSV,
so the figure is the reading path's and not the time of splitting long text over cells. An export that
read every record before writing (as it did) holds all of that text at once, so its peak grows
by at least that much; a streaming one holds one batch. Not timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp.services import records, surveys
from fieldapp.store.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.kdf import TEST_KDF
from tests.unit.export.conftest import write_form

ROOT = Path(__file__).resolve().parents[3]
MB = 1024 * 1024
#: the text in the big workspace: 8 notes of ~1 MB, and 1,500 responses with an open answer
#: of 40,000 characters and one of 10,000 in a repeat
NOTES, NOTE_CHARS, ANSWERS, ANSWER_CHARS = 8, 1_000_000, 1_500, 40_000
#: how much more a streaming export may hold at its peak for the big workspace
ALLOWED_GROWTH = 35 * MB

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="reads the peak memory from /proc")


def _text(seed: int, chars: int) -> str:
    words = f"contract renewal evaluation budget disbursement {seed} "
    return (words * (chars // len(words) + 1))[:chars]


def _workspace(path: Path, tmp: Path, *, notes: int, note_chars: int, answers: int,
               answer_chars: int) -> Path:
    ws, _recovery = Workspace.initialise(path, PASSPHRASE, researcher="Test", kdf=TEST_KDF)
    try:
        pid = records.add_participant(ws, code="KM-HIV-001", site="KM", sector="HIV")
        records.record_consent(ws, pid, form_version="v1", language="en", method="written",
                               date_given="2026-03-01", scopes=["verbatim_quotes"])
        iid = records.add_interview(ws, code="KM-HIV-I001", participant_ids=[pid], site="KM")
        code = records.add_code(ws, name_en="Contracts")
        for k in range(notes):
            note = records.add_note(ws, iid, kind="transcript", body=_text(k, note_chars))
            records.apply_code(ws, note, code, 0, 8)
        inst = surveys.import_instrument(ws, write_form(tmp / f"form-{path.name}.xlsx"))
        for start in range(0, answers, 500):
            batch = range(start, min(answers, start + 500))
            surveys.add_responses(
                ws, inst, [{"org_name": _text(k, answer_chars), "sectors": ["hiv"],
                            "contract": [{"funder": _text(k, answer_chars // 4),
                                          "amount": 1.0}]} for k in batch],
                links=[{"participant_id": pid, "site": "KM", "sector": "HIV"}] * len(batch))
    finally:
        ws.close()
    return path


#: ``fieldapp ARGS`` (with the test suite's weak key derivation, as tests.cli_child), then the
#: process's peak resident set size on the last line of standard error
CHILD = """
import atexit, sys
from pathlib import Path
from tests.kdf import allow_weak_kdf

def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print("PEAK", int(line.split()[1]) * 1024, file=sys.stderr)

allow_weak_kdf()
atexit.register(peak)
from fieldapp.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def _peak_of_export(ws_path: Path, out: Path) -> int:
    """Run ``fieldapp export`` in its own process; its peak resident set size in bytes."""
    env = {**os.environ, "FIELDAPP_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT),
           "FIELDAPP_LANG": "en"}
    done = subprocess.run([sys.executable, "-c", CHILD, "export", str(ws_path), str(out),
                           "--format", "csv", "--csv-for", "analysis"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Exported" in done.stdout
    return int(done.stderr.strip().splitlines()[-1].split()[1])


def test_export_memory_does_not_grow_with_the_data(tmp_path: Path) -> None:
    small = _workspace(tmp_path / "small", tmp_path, notes=2, note_chars=1_000, answers=2,
                       answer_chars=1_000)
    big = _workspace(tmp_path / "big", tmp_path, notes=NOTES, note_chars=NOTE_CHARS,
                     answers=ANSWERS, answer_chars=ANSWER_CHARS)
    extra = NOTES * NOTE_CHARS + ANSWERS * ANSWER_CHARS * 1.25  # characters, one byte each

    base = _peak_of_export(small, tmp_path / "small-csv")
    peak = _peak_of_export(big, tmp_path / "big-csv")

    assert peak - base < ALLOWED_GROWTH, (
        f"peak grew by {(peak - base) / MB:.0f} MiB for {extra / MB:.0f} MiB more text")
    # and everything was written: every note and answer in full
    written = sum(f.stat().st_size for f in (tmp_path / "big-csv").iterdir())
    assert written > extra
    print(f"peak {peak / MB:.0f} MiB, {((peak - base) / MB):.1f} MiB more than for the small "
          f"workspace, for {extra / MB:.0f} MiB more text")
