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


def test_a_user_error_nobody_caught_is_its_message_not_a_crash_report() -> None:
    code = (
        "import threading\n"
        "from fieldapp import crashguard\n"
        "from fieldapp.i18n import set_language\n"
        "from fieldapp.store.errors import StorageFull\n"
        "from fieldapp.sync.errors import Reason, StoreError\n"
        "crashguard.install()\n"
        "set_language('en')\n"
        "def fail():\n"
        "    raise StoreError(Reason.STORE_UNREACHABLE, 'The shared folder /mnt/usb is not there.')\n"
        "t = threading.Thread(target=fail)\n"
        "t.start(); t.join()\n"
        "raise StorageFull('/home/lin/ws')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "error: The disk is full" in proc.stderr
    assert "error: The shared folder /mnt/usb is not there." in proc.stderr
    assert "unexpected error" not in proc.stderr and "Traceback" not in proc.stderr
