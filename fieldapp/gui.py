"""The ``fieldapp-gui`` launcher: check Qt's system libraries, then start the desktop app.

Kept apart from :mod:`fieldapp.ui.app`: a missing system library must be reported before Qt loads
its platform plugin (when the application object is built), because Qt aborts the process when
that plugin cannot load. Importing Qt's modules is safe (a missing library is an ImportError), so
the check runs beside the imports rather than before them.
"""

from __future__ import annotations

import sys


def launch(argv: list[str]) -> int:
    """Check Qt's system libraries and start the desktop app with ``argv``.

    The check (``ldd`` on Qt's platform plugin, tens of milliseconds) runs on a thread while
    the app's modules are imported; the result is awaited before Qt loads the plugin, which
    happens only when the application object is built."""
    import threading

    from fieldapp import qtcheck
    from fieldapp.i18n import _

    found: list[qtcheck.Missing | None] = []
    checker = threading.Thread(target=lambda: found.append(qtcheck.check()), daemon=True)
    checker.start()
    reason: ImportError | None = None
    try:
        from fieldapp.ui import app
    except ImportError as exc:
        reason = exc
    checker.join()
    missing = found[0] if found else None
    if missing is not None:
        print(missing.message(), file=sys.stderr)
        return 1
    if reason is not None:
        print(_("The desktop app cannot start: {reason}").format(reason=reason), file=sys.stderr)
        return 1
    return int(app.main(argv))


def main(argv: list[str] | None = None) -> int:
    from fieldapp.i18n import set_language, system_language

    set_language(system_language())
    return launch(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
