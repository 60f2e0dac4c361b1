"""Helpers shared by the command modules: passphrases, opening workspaces, output."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.i18n import _
from fieldapp.store.errors import InvalidInput

if TYPE_CHECKING:
    from fieldapp.store.workspace import Workspace

PASSPHRASE_ENV = "FIELDAPP_PASSPHRASE"  # noqa: S105 - a variable name
NEW_PASSPHRASE_ENV = "FIELDAPP_NEW_PASSPHRASE"  # noqa: S105 - a variable name
RECOVERY_ENV = "FIELDAPP_RECOVERY_KEY"
MIN_PASSPHRASE = 8


def _prompt(label: str) -> str:
    if not sys.stdin.isatty():
        raise InvalidInput(_("No terminal to ask for the passphrase; set {env}.").format(
            env=PASSPHRASE_ENV))
    return getpass.getpass(label)


def ask_passphrase(env: str = PASSPHRASE_ENV, label: str | None = None) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    return _prompt(label or _("Passphrase: "))


def ask_new_passphrase(env: str = PASSPHRASE_ENV) -> str:
    value = os.environ.get(env)
    if value is None:
        value = _prompt(_("New passphrase: "))
        again = _prompt(_("Repeat the passphrase: "))
        if value != again:
            raise InvalidInput(_("The two passphrases differ; nothing was changed."))
    if len(value) < MIN_PASSPHRASE:
        raise InvalidInput(_("A passphrase needs at least {n} characters.").format(
            n=MIN_PASSPHRASE))
    return value


def open_ws(path: str) -> Workspace:
    from fieldapp.services.session import open_workspace

    # Long work the open owes the workspace (an index built again after an update) is named
    # on stderr, so that output meant for a pipe stays clean.
    return open_workspace(Path(path), ask_passphrase(),
                          progress=lambda text: print(text, file=sys.stderr, flush=True))


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str))


def add_workspace_arg(parser: Any) -> None:
    parser.add_argument("workspace", metavar="PATH", help=_("the workspace folder"))
