"""A rough passphrase strength hint (not a gate beyond a minimum length)."""

from __future__ import annotations

import math
import unicodedata

from fieldapp.i18n import _

MIN_LENGTH = 10


def strength(passphrase: str) -> int:
    """0 (too short) … 3 (strong), from length and the variety of characters."""
    if len(passphrase) < MIN_LENGTH:
        return 0
    classes = 0
    classes += any(c.islower() for c in passphrase)
    classes += any(c.isupper() for c in passphrase)
    classes += any(c.isdigit() for c in passphrase)
    classes += any(not c.isalnum() and not c.isspace() for c in passphrase)
    cjk = any(unicodedata.east_asian_width(c) == "W" for c in passphrase)
    alphabet = 26 * min(classes, 2) + 10 * (classes > 2) + 30 * (classes > 3) + 2000 * cjk
    bits = len(set(passphrase)) * math.log2(max(alphabet, 10))
    words = len(passphrase.split())
    if bits >= 70 or (words >= 4 and len(passphrase) >= 20):
        return 3
    if bits >= 45:
        return 2
    return 1


def strength_text(passphrase: str) -> str:
    level = strength(passphrase)
    if not passphrase:
        return _("Use at least {n} characters; a short sentence is easy to remember and hard "
                 "to guess.").format(n=MIN_LENGTH)
    if level == 0:
        return _("Too short: use at least {n} characters.").format(n=MIN_LENGTH)
    return (_("Weak: add more words or characters."), _("Fair: a few more words would help."),
            _("Strong."))[level - 1]
