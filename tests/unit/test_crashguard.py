"""A crash prints where it happened, never the error's message (which may quote data)."""

from __future__ import annotations

import subprocess
import sys

SECRET = "欧阳娜娜 13912345678"


def test_uncaught_error_in_main_and_in_a_thread_leaks_no_message() -> None:
    code = (
        "import threading\n"
        "from fieldapp import crashguard\n"
        "crashguard.install()\n"
        f"t = threading.Thread(target=lambda: (_ for _ in ()).throw(ValueError({SECRET!r})))\n"
        "t.start(); t.join()\n"
        f"raise RuntimeError({SECRET!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "RuntimeError" in proc.stderr and "ValueError" in proc.stderr
    assert "欧阳" not in proc.stderr and "13912345678" not in proc.stderr
    # The frames are there, so the report is still useful.
    assert 'File "<string>"' in proc.stderr
