"""Finding direct identifiers in Chinese and English notes, and replacing them with pseudonyms.

What is found, and how sure it is:

- **Resident ID numbers** (居民身份证号, GB 11643): 18 characters whose last is the ISO 7064
  MOD 11-2 check character and whose digits 7–14 are a real date. A number that fails the check
  is not reported (it is more likely an account or order number).
- **Unified social credit codes** (统一社会信用代码, GB 32100): 18 characters from the code's
  31-letter alphabet with a valid MOD 31 check character.
- **Mobile numbers**: 11 digits starting 13–19, with or without +86/0086, written with spaces,
  dashes or dots between the usual 3-4-4 groups. **Landlines**: an area code 0xx/0xxx (optionally
  in brackets) and 7–8 digits, with a separator, or a 400/800 service number.
- **WeChat IDs**: 6–20 letters, digits, ``_`` or ``-`` starting with a letter, only right after
  微信/微信号/WeChat/wx (an ID alone looks like any other word).
- **E-mail addresses**.
- **Registered names**: participants' real names from the identity vault and organisations'
  names, also written in Traditional characters, full-width or with the administrative units left
  out (昆明市红丝带协会 / 昆明红丝带协会). A name of two characters is reported only where the
  segmenter (jieba) sees a word boundary on both sides, so 王明 is found in "见到了王明，" but not
  in "王明白了".
- **Possible names** (optional): person and place names by jieba's part-of-speech tags (nr, ns).
  These are suggestions with low confidence: jieba misses uncommon given names, names written
  with a title inside (王老师 gives 王 only), transliterated foreign names and most minority names,
  and it tags some ordinary words as names. They are never replaced unless confirmed.

Offsets are in code points of the original text; nothing here changes the text except
:func:`apply`, which builds a new string. Nothing leaves the machine: jieba's dictionary ships with
the package.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from fieldapp.domain.placenames import UNITS, split_places
from fieldapp.store.search import fold as _fold_text

KINDS = ("id_number", "credit_code", "mobile", "landline", "wechat", "email", "participant",
         "organisation", "possible_person", "possible_place")
#: kinds found with certainty (a check digit, a registered name, a syntax): applied by default
CERTAIN = frozenset(KINDS) - {"possible_person", "possible_place"}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_SEP = r"[ \-.\u00a0]?"
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9Xx])(?![0-9A-Za-z])")
_USCC_RE = re.compile(r"(?<![0-9A-Za-z])([0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10})"
                      r"(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?![0-9])"
    r"|(?<![0-9])(?:(?:\+|00)86[ \-]?)?1[3-9]\d[ \-]\d{2}[ \-]\d{2}[ \-]\d{2}[ \-]\d{2}(?![0-9])")
_LANDLINE_RE = re.compile(
    r"(?<![0-9])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ \-]?\d{3,4}[ \-]?\d{4}(?![0-9])"
    r"|(?<![0-9])[48]00[ \-]?\d{3}[ \-]?\d{4}(?![0-9])")
_WECHAT_RE = re.compile(r"(?:微信号?|WeChat(?: ID)?|wechat(?: id)?|wx|vx|V信)\s*[:：是为]?\s*"
                        r"([A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-])")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


PLACEHOLDERS = {
    "id_number": ("［身份证号］", "[ID number]"), "credit_code": ("［信用代码］", "[credit code]"),
    "mobile": ("［手机号］", "[mobile]"), "landline": ("［电话］", "[phone]"),
    "wechat": ("［微信号］", "[WeChat ID]"), "email": ("［邮箱］", "[e-mail]"),
    "possible_person": ("［人名］", "[name]"), "possible_place": ("［地名］", "[place]"),
}


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    text: str
    #: what to write instead (a pseudonym such as a participant's code, or a placeholder)
    replacement: str
    #: the registered record it names, if any
    record_id: str = ""

    @property
    def certain(self) -> bool:
        return self.kind in CERTAIN


@dataclass(frozen=True)
class KnownName:
    """A registered name to look for, and the pseudonym that replaces it."""

    name: str
    kind: str  # "participant" or "organisation"
    record_id: str
    pseudonym: str


def valid_id_number(text: str) -> bool:
    """GB 11643: ISO 7064 MOD 11-2 check character and a real birth date."""
    if not re.fullmatch(r"\d{17}[0-9Xx]", text):
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != text[17].upper():
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def valid_credit_code(text: str) -> bool:
    """GB 32100: 18 characters of the code's alphabet with a MOD 31 check character."""
    text = text.upper()
    if len(text) != 18 or any(c not in _USCC_ALPHABET for c in text):
        return False
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(text[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == text[17]


@cache
def _fold_char(ch: str) -> str:
    folded = _fold_text(ch)
    return folded if len(folded) == 1 else unicodedata.normalize("NFC", ch).casefold()[:1] or ch


def fold_keep_offsets(text: str) -> str:
    """Width, case and Traditional → Simplified folded character by character, so an offset in
    the folded text is the same offset in the original."""
    return "".join(_fold_char(c) for c in text)


def _word_bounds(text: str) -> set[int]:
    """Positions where jieba sees a word boundary."""
    from fieldapp.analysis import segmenter

    bounds = {0, len(text)}
    pos = 0
    for word in segmenter.cut(text):
        pos += len(word)
        bounds.add(pos)
    return bounds


_UNIT = "(?:" + "|".join(UNITS) + ")?"


def _name_pattern(name: str, kind: str) -> tuple[re.Pattern[str], str] | None:
    """A pattern for ``name`` in folded text, with its anchor: two characters every text it
    matches holds ('' when the name has none to offer: it is then tried on every text).

    An organisation's name may be written with or without administrative units after its
    leading places (昆明市红丝带协会 / 昆明红丝带协会): the units are optional where the
    registered name has them, so are the outer places, and, when it has none, an optional
    unit may follow its first two to four characters."""
    folded = fold_keep_offsets(name.strip())
    if len(folded) < 2:
        return None
    if kind != "organisation" or not re.match(r"[\u4e00-\u9fff]{5}", folded):
        return re.compile(re.escape(folded)), folded[:2]
    places, rest = split_places(folded)
    if places:
        # Outer places may be left out (云南省大理市阳光中心 is also 大理阳光中心), the innermost not.
        outer = "".join(f"(?:{re.escape(p)}{_UNIT})?" for p in places[:-1])
        inner = places[-1]
        return (re.compile(outer + re.escape(inner) + _UNIT + re.escape(rest)),
                inner[:2] if len(inner) >= 2 else "")
    forms = [re.escape(folded[:k]) + _UNIT + re.escape(folded[k:]) for k in (2, 3, 4)]
    return re.compile("|".join(forms)), folded[:2]  # every form starts with those two


class NameFinder:
    """The registered names compiled once for many texts (an export looks in every cell).

    Each name's pattern is compiled here, not per text, and a text is tried only against the
    names whose two-character anchor it holds: looking for 2,400 names in each cell compiled
    and ran 2,400 expressions per cell, and an export's time grew with cells × names."""

    def __init__(self, names: Iterable[KnownName]) -> None:
        given = list(names)
        #: the names that can be looked for (two characters or more), with their patterns
        self.names: list[KnownName] = []
        self.patterns: list[re.Pattern[str]] = []
        self.by_anchor: dict[str, list[int]] = {}
        self.everywhere: list[int] = []  # names without an anchor: tried on every text
        for known in given:
            compiled = _name_pattern(known.name, known.kind)
            if compiled is None:
                continue
            pattern, anchor = compiled
            k = len(self.names)
            self.names.append(known)
            self.patterns.append(pattern)
            if len(anchor) == 2:
                self.by_anchor.setdefault(anchor, []).append(k)
            else:
                self.everywhere.append(k)
        if any(len(n.name.strip()) <= 2 for n in given):
            from fieldapp.analysis import segmenter

            # Registered names become words, so that the segmenter keeps 王明 whole where it
            # is one.
            segmenter.add_words(fold_keep_offsets(n.name.strip()) for n in given
                                if n.kind == "participant")

    def candidates(self, folded: str) -> list[int]:
        """The names (by position, in their order) whose anchor ``folded`` holds."""
        index = self.by_anchor
        found = set(self.everywhere)
        if index:
            for pair in {folded[i:i + 2] for i in range(len(folded) - 1)}:
                hit = index.get(pair)
                if hit is not None:
                    found.update(hit)
        return sorted(found)


def find(text: str, names: Iterable[KnownName] | NameFinder = (), *,
         possible_names: bool = False) -> list[Finding]:
    """Every identifier in ``text``; overlapping findings keep the longest (then the first).
    ``names``: the registered names, or a :class:`NameFinder` made of them once for many
    texts.

    Placeholders are in the text's own language: Chinese brackets in Chinese text."""
    chinese = bool(re.search(r"[\u4e00-\u9fff]", text))

    def ph(kind: str) -> str:
        return PLACEHOLDERS[kind][0 if chinese else 1]

    found: list[Finding] = []
    for m in _ID_RE.finditer(text):
        if valid_id_number(m.group(1)):
            found.append(Finding(m.start(1), m.end(1), "id_number", m.group(1), ph("id_number")))
    for m in _USCC_RE.finditer(text):
        if valid_credit_code(m.group(1)):
            found.append(Finding(m.start(1), m.end(1), "credit_code", m.group(1), ph("credit_code")))
    for m in _MOBILE_RE.finditer(text):
        found.append(Finding(m.start(), m.end(), "mobile", m.group(0), ph("mobile")))
    for m in _LANDLINE_RE.finditer(text):
        found.append(Finding(m.start(), m.end(), "landline", m.group(0), ph("landline")))
    for m in _WECHAT_RE.finditer(text):
        found.append(Finding(m.start(1), m.end(1), "wechat", m.group(1), ph("wechat")))
    for m in _EMAIL_RE.finditer(text):
        found.append(Finding(m.start(), m.end(), "email", m.group(0), ph("email")))
    folded = fold_keep_offsets(text)
    bounds: set[int] | None = None
    finder = names if isinstance(names, NameFinder) else NameFinder(names)
    for k in finder.candidates(folded):
        known = finder.names[k]
        for m in finder.patterns[k].finditer(folded):
            if m.end() - m.start() <= 2:
                bounds = bounds if bounds is not None else _word_bounds(text)
                if m.start() not in bounds or m.end() not in bounds:
                    continue
            found.append(Finding(m.start(), m.end(), known.kind, text[m.start():m.end()],
                                 known.pseudonym, known.record_id))
    if possible_names:
        from fieldapp.analysis import segmenter

        pos = 0
        for word, tag in segmenter.tagged(text):
            if tag in ("nr", "ns") and len(word) >= 2:
                kind = "possible_person" if tag == "nr" else "possible_place"
                found.append(Finding(pos, pos + len(word), kind, word, ph(kind)))
            pos += len(word)
    return _without_overlaps(found)


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    """The findings that overlap none longer (then certain, then earlier) than themselves.

    The kept ones are disjoint and held in order of start, so only the neighbours of where a
    finding would go can overlap it (checking every kept finding cost a long note's findings
    squared)."""
    kept: list[Finding] = []
    starts: list[int] = []
    for f in sorted(found, key=lambda f: (-(f.end - f.start), not f.certain, f.start)):
        at = bisect.bisect_right(starts, f.start)
        near = kept[max(0, at - 2):at + 2]
        if all(f.end <= k.start or k.end <= f.start for k in near):
            kept.insert(at, f)
            starts.insert(at, f.start)
    return kept


def apply(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each finding replaced by its replacement (findings must not overlap)."""
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            raise ValueError("overlapping findings")
        out.append(text[pos:f.start])
        out.append(f.replacement)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
