"""What one cell may hold: characters a spreadsheet accepts, the cell size limit, formula guards,
display width and masking of known identifiers.

Excel holds at most 32,767 characters in a cell, counted in UTF-16 code units (so 𠮷 or an
emoji counts two). Longer text is split into parts (never cut); a part never begins with a
character a spreadsheet could read as the start of a formula, so a CSV part needs no prefix and
the parts join back to the original text exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

CELL_LIMIT = 32_767
#: Characters that make Excel, LibreOffice or WPS treat a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Strings openpyxl would store as error values rather than text.
ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
#: Control characters XML 1.0 cannot carry, lone surrogates and non-characters.
ILLEGAL = _ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"
MASK = "█"


def clean(text: str) -> tuple[str, int]:
    """``text`` with characters no spreadsheet can hold replaced by U+FFFD, and how many."""
    if _ILLEGAL.search(text) is None:
        return text, 0
    return _ILLEGAL.subn(REPLACEMENT, text)


def utf16_length(text: str) -> int:
    if len(text) * 2 <= CELL_LIMIT:
        return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = CELL_LIMIT) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-16 units; ``"".join(parts) == text``.

    A surrogate pair is never split; a part other than the first does not start with a
    formula character, and a part other than the last does not end with a space, when the
    boundary can move back to avoid it.
    """
    if utf16_length(text) <= limit:
        return [text]
    parts: list[str] = []
    start, units, i, n = 0, 0, 0, len(text)
    while i < n:
        width = 2 if ord(text[i]) > 0xFFFF else 1
        if units + width > limit:
            cut = i
            # not before a formula character, and not after a space (SPSS drops trailing
            # spaces from a string, so a part ending in one would not join back)
            while cut - 1 > start and (text[cut] in FORMULA_STARTS or text[cut - 1] == " "):
                cut -= 1
            if cut - 1 <= start:  # nothing but formula characters: cut where the limit is
                cut = i
            parts.append(text[start:cut])
            start, i, units = cut, cut, 0
            continue
        units += width
        i += 1
    parts.append(text[start:])
    return parts


def csv_safe(text: str) -> str:
    """OWASP: a text cell a spreadsheet could run as a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def display_width(text: str) -> int:
    """Columns ``text`` needs on screen: wide and full-width (CJK) characters count two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


#: Common words that begin with a character often found in given names (or end with a common
#: surname character). A two-character Chinese name next to a character that makes one of these
#: words with it is read as part of that word, not as the name (王明白了: 明白 "understood").
_HAN_WORDS = frozenset("""
明白 明天 明年 明显 明确 明明 明星 明亮 明知 明月 明朗 明日 明智 明细 明文 明了 明晰 明信片
伟大 伟业 建设 建议 建立 建筑 建成 建国 建造 国家 国际 国内 国外 国务 国企 国营 国有 国庆 国民
平安 平时 平常 平等 平台 平均 平衡 平方 平稳 平价 平凡 平静 海外 海关 海洋 海边 海报 海量 海鲜
军队 军人 军事 军训 华人 华侨 华丽 文化 文件 文字 文章 文明 文艺 文学 文本 红色 红包 红利 丽江
强调 强化 强大 强烈 强度 强制 芳香 英语 英文 英国 英雄 秀才 秀丽 敏感 敏锐 静态 静默 静止 勇敢 勇气
杰出 杰作 辉煌 志愿 志向 志气 德国 德育 德行 德才 林业 林地 林场 玲珑 琳琅 霞光 燕子 燕麦 超过
超市 超出 超级 超越 刚才 刚刚 刚好 新闻 新年 新的 新型 新疆 新鲜 新增 新版 东西 东方 东北 东南
春天 春节 春季 秋天 秋季 冬天 冬季 夏天 夏季 金额 金融 金钱 金属 玉米 宝贵 宝宝 宝石 安全 安排
安置 安装 安心 安静 安慰 成为 成立 成功 成本 成员 成绩 成长 成果 成熟 成都 生活 生产 生命 生意
生病 生日 小时 小组 小学 小孩 小区 小姐 大家 大学 大概 大多 大量 大会 中心 中国 中间 中学 中午
民政 民间 民族 民主 福利 福建 福音 利用 利益 利润 晓得 家庭 家人 家长 家属 会议 会员 会计 亮点
光明 光荣 光线 阳光 阳台 云南 云端 峰会 鹏城 飞机 飞行 雪花 雨水 龙头 凤凰 桂林 兰州 梅花 荣誉
""".split())
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")
_DIGIT_SEP = r"[ \-.]?"
_ASCII_WORD = r"A-Za-z0-9_"
#: A mainland mobile number, with or without +86 and with spaces or dashes anywhere.
_MOBILE = (r"(?<![0-9])(?:(?:\+|00)86[ \-]?)?1[3-9](?:" + _DIGIT_SEP + r"[0-9]){9}(?![0-9])")
#: An 18-character resident identity card number (checked with its check digit).
_ID_CARD = r"(?<![0-9A-Za-z])[1-9][0-9]{5}[ \-]?[0-9]{8}[ \-]?[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_valid(text: str) -> bool:
    digits = "".join(c for c in text if c.isalnum()).upper()
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == digits[17]


def _digit_pattern(digits: str) -> str:
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    body = _DIGIT_SEP.join(digits)
    return r"(?<![0-9])(?:(?:\+|00)86[ \-]?)?" + body + r"(?![0-9])"


class Redactor:
    """Masks direct identifiers wherever they occur in exported free text, character for
    character so that passage offsets still line up. What counts as an occurrence ("as a
    token"):

    - **Numbers** (phones, ID numbers, any known value of six or more digits): the same digits
      with or without spaces, dashes or dots between them and an optional ``+86``/``0086``, never
      inside a longer run of digits. Besides the known values, every mainland mobile number and
      every 18-character resident ID number with a valid check digit is masked, known or not.
    - **Latin text** (WeChat ids, e-mail addresses, names in pinyin or English): at word
      boundaries, ignoring case (``Li Jian`` is not masked inside ``Li Jianguo``'s neighbours).
    - **Chinese names** of three or more characters: wherever they occur (a full name that long
      is practically never an ordinary word). Chinese has no spaces, so a two-character name is
      a token unless the character beside it makes a common word with it (王明 is masked in
      王明说 and 见了王明，, not in 王明白了, where 明白 is a word); over-masking is the safe
      error, so only the common words in ``_HAN_WORDS`` are spared.

    Values shorter than two characters are ignored (they would mask everything).
    """

    def __init__(self, values: Iterable[str], *, patterns: bool = True) -> None:
        unique = sorted({v.strip() for v in values if v and len(v.strip()) >= 2},
                        key=lambda v: (-len(v), v))
        literal, latin, numbers, han2 = [], [], [], []
        for v in unique:
            digits = re.sub(r"[ \-.+()]", "", v)
            if digits.isdigit() and len(digits) >= 6:
                numbers.append(_digit_pattern(digits))
            elif _HAN.search(v):
                if len(v) == 2 and all(_HAN.match(c) for c in v):
                    han2.append(re.escape(v))
                else:
                    literal.append(re.escape(v))
            else:
                latin.append(re.escape(v))
        alternatives = []
        if literal:
            alternatives.append("(?P<lit>" + "|".join(literal) + ")")
        if latin:
            alternatives.append(f"(?P<lat>(?<![{_ASCII_WORD}])(?:" + "|".join(latin)
                                + f")(?![{_ASCII_WORD}]))")
        if numbers:
            alternatives.append("(?P<num>" + "|".join(numbers) + ")")
        if patterns:
            alternatives.append(f"(?P<idc>{_ID_CARD})")
            alternatives.append(f"(?P<mob>{_MOBILE})")
        if han2:
            alternatives.append("(?P<han>" + "|".join(han2) + ")")
        self._pattern = (re.compile("|".join(alternatives), re.IGNORECASE)
                         if alternatives else None)
        self._known = bool(unique)
        self.count = 0

    def __bool__(self) -> bool:
        return self._pattern is not None

    def _mask(self, m: re.Match[str]) -> str:
        text = m.group(0)
        if m.lastgroup == "idc" and not id_card_valid(text):
            return text
        if m.lastgroup == "han":
            s, start, end = m.string, m.start(), m.end()
            if (s[end:end + 1] and text[1] + s[end] in _HAN_WORDS) or (
                    start > 0 and s[start - 1] + text[0] in _HAN_WORDS):
                return text
        self.count += 1
        return MASK * len(text)

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(self._mask, text)
