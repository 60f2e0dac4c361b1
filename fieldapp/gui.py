"""The ``fieldapp-gui`` launcher: check Qt's system libraries, then start the desktop app.

Kept apart from :mod:`fieldapp.ui.app`, which imports Qt at once: a missing system library must
be reported before Qt is loaded, because Qt aborts the process when its platform plugin cannot load.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from fieldapp import qtcheck
    from fieldapp.i18n import set_language, system_language

    missing = qtcheck.check()
    if missing is not None:
        set_language(system_language())
        print(missing.message(), file=sys.stderr)
        return 1
    from fieldapp.ui.app import main as app_main

    return int(app_main(argv))


if __name__ == "__main__":
    raise SystemExit(main())
