"""The packaged app's entry point (PyInstaller freezes this file; see build.py).

With no arguments (a double-click, the desktop entry, the Start menu) it opens the desktop app;
``--self-test`` runs the offscreen check of an installation (fieldapp.ui.selftest); anything
else is the ``fieldapp`` command line, so ``fieldapp --version`` and ``fieldapp gui`` work as
they do from a checkout.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        # Through fieldapp.gui: a missing system library is named before Qt could abort.
        from fieldapp.gui import main as gui_main

        return gui_main([])
    if args[0] == "--self-test":
        from fieldapp.ui.selftest import main as self_test

        return self_test(args[1:])
    from fieldapp.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
