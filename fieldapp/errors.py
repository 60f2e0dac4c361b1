"""The one base of every error a user is shown, and the one place that turns any exception into
a message.

Every layer (store, sync, survey, export, services) raises subclasses of :class:`FieldappError`.
Each carries a message for a person, in the current language; most produce it when shown
(``str(err)`` / ``err.message``), so a language switch between raising and showing still shows
the user's language. The desktop app (``fieldapp.ui.interaction.error_text``) and the command
line (``fieldapp.cli.main``) both call :func:`user_error`, so a known failure is never reported
as "something went wrong".
"""

from __future__ import annotations


class FieldappError(Exception):
    """Base of every error that is meant to be shown to a user.

    ``detail`` is what the message is built from (a path, a record id) or, for the plain
    classes that carry a sentence translated where they are raised, the message itself.
    """

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def message(self) -> str:
        return self.detail

    def __str__(self) -> str:
        return self.message


def user_error(exc: BaseException, path: str = "") -> FieldappError | None:
    """``exc`` as an error with a message for the user, or None when it is a bug.

    An operating-system error (a full disk, a read-only folder, a vanished drive) is a known
    failure, not a bug: it becomes the store's matching error. Nothing of an unknown
    exception's text is used: it may quote research data.
    """
    if isinstance(exc, FieldappError):
        return exc
    from fieldapp.store.errors import from_os_error
    from fieldapp.store.sqlite import DatabaseError, translate_error

    if isinstance(exc, OSError):
        return from_os_error(exc, path or str(exc.filename or ""))
    if isinstance(exc, DatabaseError):
        return translate_error(exc, path)
    return None
