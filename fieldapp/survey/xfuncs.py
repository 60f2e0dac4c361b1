"""Evaluating parsed expressions with ODK's rules.

Values are ``str`` (text, choice names, select_multiple as space-separated names), ``float``
(numbers; NaN for "not a number", as XPath has it), ``bool``, ``date``/``datetime``, and
``list[str]`` for a node-set (a question inside a repeat seen from outside it: one value per
instance). An empty answer is ``""``: it is false, it is NaN as a number, and ``= ''`` is true.

:func:`compile_expr` turns a parsed tree into a closure ``fn(ctx) -> Value`` once, so evaluating
costs only the closures' calls. Function names and argument counts are checked at compile time:
a form that calls a function fieldapp does not know is refused at import, not while a researcher
is filling it in.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import random
import re
import secrets
import string
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from fieldapp.i18n import _
from fieldapp.survey.xpath import (
    Binary,
    Call,
    Column,
    Current,
    Expr,
    ExprError,
    Literal,
    Neg,
    Parent,
    Path,
    Ref,
)

Value = str | float | bool | date | datetime | list[str]
Fn = Callable[["Context"], Value]
EPOCH = date(1970, 1, 1)
_EPOCH_DT = datetime(1970, 1, 1)
# ASCII digits only: "１２" (full-width) is not a number in XPath, as in JavaRosa and Enketo
_NUMBER = re.compile(r"\s*-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*")
#: a node in a location path: ("f", question path, repeat indexes) for the form,
#: ("i", instance name, row, column or "") for a secondary instance (row -2 the document,
#: -1 its root element)
XNode = tuple[Any, ...]


class Context(Protocol):
    """What an expression can see while it is evaluated."""

    def ref(self, name: str) -> Value: ...
    def current(self) -> Value: ...
    def position(self) -> int: ...
    def column(self, name: str) -> str: ...
    def choice_label(self, question: str, value: str) -> str: ...
    def now(self) -> datetime: ...
    def here(self) -> XNode: ...
    def context_node(self) -> XNode: ...
    def form_nodes(self, name: str) -> list[XNode]: ...
    def form_children(self, node: XNode, name: str) -> list[XNode]: ...
    def form_parent(self, node: XNode) -> XNode | None: ...
    def node_value(self, node: XNode) -> Value: ...
    def instance_rows(self, name: str) -> list[dict[str, str]]: ...
    def indexed(self, target: str, levels: list[tuple[str, int]]) -> Value: ...


# -- coercions ----------------------------------------------------------------------------------


def first(value: Value) -> str | float | bool | date | datetime:
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def to_string(value: Value) -> str:
    value = first(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def number_to_string(x: float) -> str:
    """XPath's string(): never an exponent (1e18 prints as 1000000000000000000)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    # the shortest digits that identify the number, written out in full (XPath 1.0 string()):
    # repr() gives them, and only needs Decimal to write out an exponent
    text = repr(x)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_date(text: str) -> date | datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) <= 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed
    except ValueError:
        return None


def to_number(value: Value) -> float:
    value = first(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        return (value - _EPOCH_DT) / timedelta(days=1)
    if isinstance(value, date):
        return float((value - EPOCH).days)
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    if text.startswith("+"):
        return math.nan
    parsed = parse_date(text) if len(text) >= 10 else None
    return to_number(parsed) if parsed is not None else math.nan


def to_bool(value: Value) -> bool:
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, date):
        return True
    return value != ""


def to_date(value: Value) -> date | datetime | None:
    value = first(value)
    if isinstance(value, date):  # datetime is a date too
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else EPOCH + timedelta(days=math.floor(value))
    if isinstance(value, bool):
        return None
    parsed = parse_date(value)
    if parsed is not None:
        return parsed
    number = to_number(value)
    return None if math.isnan(number) else EPOCH + timedelta(days=math.floor(number))


def _compare(op: str, a: Value, b: Value) -> bool:
    if isinstance(a, list) or isinstance(b, list):  # XPath: true if any member compares true
        left = a if isinstance(a, list) else [a]
        right = b if isinstance(b, list) else [b]
        return any(_compare(op, x, y) for x in left for y in right)
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            equal = to_bool(a) == to_bool(b)
        elif isinstance(a, float | date) or isinstance(b, float | date):
            equal = to_number(a) == to_number(b)
        else:
            equal = a == b
        return equal if op == "=" else not equal
    x, y = to_number(a), to_number(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _arith(op: str, a: Value, b: Value) -> float:
    x, y = to_number(a), to_number(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "div":
        if y == 0:
            return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x)
        return x / y
    if y == 0 or math.isnan(x) or math.isnan(y) or math.isinf(x):
        return math.nan
    return math.fmod(x, y)


def _round_half_away(x: float, digits: int = 0) -> float:
    if math.isnan(x) or math.isinf(x):
        return x
    factor = 10.0**digits
    return math.copysign(math.floor(abs(x) * factor + 0.5), x) / factor


# -- functions ----------------------------------------------------------------------------------

_DATE_FORMATS: dict[str, Callable[[date], str]] = {
    "%Y": lambda d: f"{d.year:04d}", "%y": lambda d: f"{d.year % 100:02d}",
    "%m": lambda d: f"{d.month:02d}", "%n": lambda d: str(d.month),
    "%d": lambda d: f"{d.day:02d}", "%e": lambda d: str(d.day),
    "%b": lambda d: d.strftime("%b"), "%a": lambda d: d.strftime("%a"),
    "%H": lambda d: f"{getattr(d, 'hour', 0):02d}", "%h": lambda d: str(getattr(d, "hour", 0)),
    "%M": lambda d: f"{getattr(d, 'minute', 0):02d}",
    "%S": lambda d: f"{getattr(d, 'second', 0):02d}",
    "%3": lambda d: f"{getattr(d, 'microsecond', 0) // 1000:03d}",
}


def format_date(value: Value, pattern: str) -> str:
    d = to_date(value)
    if d is None:
        return ""
    def one(match: re.Match[str]) -> str:
        fmt = _DATE_FORMATS.get(match.group())
        return fmt(d) if fmt is not None and d is not None else match.group()

    return re.sub(r"%[a-zA-Z3]", one, pattern)


def _substr(s: str, start: float, end: float | None = None) -> str:
    if math.isnan(start):
        return ""
    begin = max(0, int(start))
    if end is None:
        return s[begin:]
    return "" if math.isnan(end) else s[begin:int(end)]


def _int(x: float) -> float:
    return x if math.isnan(x) or math.isinf(x) else float(math.trunc(x))


def _sum(value: Value) -> float:
    items = value if isinstance(value, list) else [to_string(value)]
    return math.fsum(to_number(v) for v in items)


def _extreme(pick: Callable[[list[float]], float], args: list[Value]) -> float:
    numbers = [to_number(v) for a in args for v in (a if isinstance(a, list) else [a])]
    if not numbers or any(math.isnan(n) for n in numbers):
        return math.nan
    return pick(numbers)


def _selected_at(value: Value, index: float) -> str:
    items = to_string(value).split()
    if math.isnan(index) or not 0 <= int(index) < len(items):
        return ""
    return items[int(index)]


def _coalesce(a: Value, b: Value) -> Value:
    return a if to_string(a) != "" else b


def _regex(s: Value, pattern: Value) -> bool:
    # ASCII semantics for \d, \w, \s as in Java's and JavaScript's regular expressions:
    # a phone number typed in full-width digits does not match \d{11}
    try:
        return re.search(to_string(pattern), to_string(s), re.ASCII) is not None
    except re.error:
        return False


def _time_of(value: Value) -> time | None:
    text = to_string(value)
    try:
        return time.fromisoformat(text[:8]) if text else None
    except ValueError:
        return None


# name: (min args, max args or None for any, implementation taking evaluated args)
# jr:choice-name, if, position, today and now need the context or lazy evaluation: see _call.
FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., Value] | None]] = {
    "selected": (2, 2, lambda a, v: to_string(v).strip() in to_string(a).split()),
    "count-selected": (1, 1, lambda a: float(len(to_string(a).split()))),
    "selected-at": (2, 2, lambda a, i: _selected_at(a, to_number(i))),
    "jr:choice-name": (2, 2, None),
    "string-length": (0, 1, lambda s="": float(utf16_length(to_string(s)))),
    "regex": (2, 2, _regex),
    "if": (3, 3, None),
    "coalesce": (2, 2, _coalesce),
    "concat": (0, None, lambda *a: "".join(_flat(a))),
    "join": (1, None, lambda sep, *a: to_string(sep).join(
        to_string(v) for x in a for v in (x if isinstance(x, list) else [x]))),
    "substr": (2, 3, lambda s, b, e=None: _substr(
        to_string(s), to_number(b), None if e is None else to_number(e))),
    "contains": (2, 2, lambda s, t: to_string(t) in to_string(s)),
    "starts-with": (2, 2, lambda s, t: to_string(s).startswith(to_string(t))),
    "ends-with": (2, 2, lambda s, t: to_string(s).endswith(to_string(t))),
    "normalize-space": (1, 1, lambda s: " ".join(to_string(s).split())),
    "string": (1, 1, to_string),
    "today": (0, 0, None),
    "now": (0, 0, None),
    "decimal-date-time": (1, 1, lambda d: to_number(to_date(d) or math.nan)),
    "decimal-time": (1, 1, lambda t: (lambda v: math.nan if v is None else (
        v.hour * 3600 + v.minute * 60 + v.second) / 86400)(_time_of(t))),
    "date": (1, 1, lambda d: to_date(d) or ""),
    "date-time": (1, 1, lambda d: to_date(d) or ""),
    "format-date": (2, 2, lambda d, f: format_date(d, to_string(f))),
    "format-date-time": (2, 2, lambda d, f: format_date(d, to_string(f))),
    "number": (1, 1, to_number),
    "int": (1, 1, lambda x: _int(to_number(x))),
    "round": (1, 2, lambda x, n=0.0: _round_half_away(to_number(x), int(to_number(n) or 0))),
    "floor": (1, 1, lambda x: float(math.floor(v)) if math.isfinite(v := to_number(x)) else v),
    "ceiling": (1, 1, lambda x: float(math.ceil(v)) if math.isfinite(v := to_number(x)) else v),
    "abs": (1, 1, lambda x: abs(to_number(x))),
    "pow": (2, 2, lambda x, y: _pow(to_number(x), to_number(y))),
    "not": (1, 1, lambda x: not to_bool(x)),
    "boolean": (1, 1, to_bool),
    "true": (0, 0, lambda: True),
    "false": (0, 0, lambda: False),
    "count": (1, 1, lambda ns: float(len(ns) if isinstance(ns, list) else (to_string(ns) != ""))),
    "sum": (1, 1, _sum),
    "max": (1, None, lambda *a: _extreme(max, list(a))),
    "min": (1, None, lambda *a: _extreme(min, list(a))),
    "position": (0, 1, None),
}


def utf16_length(text: str) -> int:
    """Length as JavaRosa (Java), ODK Web Forms and Enketo count it: UTF-16 code units, so 😀
    counts 2 — a string-length(.) <= 10 constraint accepts exactly what ODK Collect accepts."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _flat(args: Any) -> list[str]:
    """Arguments as strings, a node-set contributing every one of its values (concat over a
    repeat's answers joins them all, as in JavaRosa)."""
    return [to_string(v) for a in args for v in (a if isinstance(a, list) else [a])]


def _math(fn: Callable[..., float]) -> Callable[..., float]:
    def run(*args: Value) -> float:
        try:
            return float(fn(*(to_number(a) for a in args)))
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan
    return run


def _substring(s: Value, start: Value, length: Value | None = None) -> str:
    """XPath 1.0 substring(): 1-based, rounded positions."""
    text = to_string(s)
    begin = _round_half_away(to_number(start))
    end = math.inf if length is None else begin + _round_half_away(to_number(length))
    if math.isnan(begin) or math.isnan(end):
        return ""
    return "".join(ch for i, ch in enumerate(text, start=1) if begin <= i < end)


def _before(s: Value, t: Value) -> str:
    text, sep = to_string(s), to_string(t)
    return text.partition(sep)[0] if sep in text else ""


def _after(s: Value, t: Value) -> str:
    text, sep = to_string(s), to_string(t)
    if sep == "":
        return text
    return text.partition(sep)[2] if sep in text else ""


def _translate(s: Value, a: Value, b: Value) -> str:
    source, target = to_string(a), to_string(b)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(source):
        table.setdefault(ord(ch), ord(target[i]) if i < len(target) else None)
    return to_string(s).translate(table)


def _checklist(low: Value, high: Value, *values: Value) -> bool:
    count = sum(1 for v in values for x in (v if isinstance(v, list) else [v]) if to_bool(x)
                if not isinstance(x, str) or x not in ("false", "0"))
    lo, hi = to_number(low), to_number(high)
    return (lo < 0 or count >= lo) and (hi < 0 or count <= hi)


def _weighted(low: Value, high: Value, *pairs: Value) -> bool:
    total = 0.0
    for i in range(0, len(pairs) - 1, 2):
        value = pairs[i]
        if to_bool(value) and not (isinstance(value, str) and value in ("false", "0")):
            total += to_number(pairs[i + 1])
    lo, hi = to_number(low), to_number(high)
    return (lo < 0 or total >= lo) and (hi < 0 or total <= hi)


def _digest(data: Value, algorithm: Value, encoding: Value = "base64") -> str:
    names = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
             "SHA-512": "sha512"}
    algo = names.get(to_string(algorithm).upper())
    if algo is None:
        return ""
    raw = hashlib.new(algo, to_string(data).encode("utf-8")).digest()
    return raw.hex() if to_string(encoding).lower() == "hex" else base64.b64encode(raw).decode()


def _base64_decode(data: Value) -> str:
    try:
        return base64.b64decode(to_string(data), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""


def _uuid(length: Value | None = None) -> str:
    if length is None:
        return str(uuid.uuid4())
    n = to_number(length)
    alphabet = string.ascii_letters + string.digits
    return "" if math.isnan(n) else "".join(secrets.choice(alphabet) for _i in range(int(n)))


EARTH_RADIUS = 6378100.0  # metres, as JavaRosa's GeoUtils


def points(value: Value) -> list[tuple[float, float]]:
    """Latitude/longitude pairs from a geopoint, geotrace, geoshape or a node-set of points."""
    texts = value if isinstance(value, list) else [to_string(value)]
    out: list[tuple[float, float]] = []
    for text in texts:
        for part in to_string(text).split(";"):
            fields = part.split()
            if len(fields) >= 2:
                lat, lon = to_number(fields[0]), to_number(fields[1])
                if math.isnan(lat) or math.isnan(lon):
                    return []
                out.append((lat, lon))
    return out


def _distance(*args: Value) -> float:
    pts = [p for a in args for p in points(a)]
    if len(pts) < 2:
        return math.nan
    total = 0.0
    for (la1, lo1), (la2, lo2) in itertools.pairwise(pts):
        p1, p2 = math.radians(la1), math.radians(la2)
        dp, dl = p2 - p1, math.radians(lo2 - lo1)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))
    return total


def _area(value: Value) -> float:
    """Area of a polygon on the sphere (Chamberlain & Duquette, as JavaRosa computes it)."""
    pts = points(value)
    if len(pts) < 3:
        return math.nan if not pts else 0.0
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    total = 0.0
    for (la1, lo1), (la2, lo2) in itertools.pairwise(pts):
        total += math.radians(lo2 - lo1) * (
            2 + math.sin(math.radians(la1)) + math.sin(math.radians(la2)))
    return abs(total * EARTH_RADIUS * EARTH_RADIUS / 2.0)


def _boolean_from_string(s: Value) -> bool:
    return to_string(s).strip().lower() in ("true", "1")


def _count_non_empty(ns: Value) -> float:
    items = ns if isinstance(ns, list) else [to_string(ns)]
    return float(sum(1 for v in items if to_string(v) != ""))


FUNCTIONS.update({
    "substring": (2, 3, _substring),
    "substring-before": (2, 2, _before),
    "substring-after": (2, 2, _after),
    "translate": (3, 3, _translate),
    "boolean-from-string": (1, 1, _boolean_from_string),
    "checklist": (2, None, _checklist),
    "weighted-checklist": (2, None, _weighted),
    "sqrt": (1, 1, _math(math.sqrt)),
    "log": (1, 1, _math(math.log)),
    "log10": (1, 1, _math(math.log10)),
    "exp": (1, 1, _math(math.exp)),
    "exp10": (1, 1, _math(lambda x: 10.0 ** x)),
    "sin": (1, 1, _math(math.sin)),
    "cos": (1, 1, _math(math.cos)),
    "tan": (1, 1, _math(math.tan)),
    "asin": (1, 1, _math(math.asin)),
    "acos": (1, 1, _math(math.acos)),
    "atan": (1, 1, _math(math.atan)),
    "atan2": (2, 2, _math(math.atan2)),
    "pi": (0, 0, lambda: math.pi),
    "random": (0, 0, lambda: random.random()),  # noqa: S311 - not for secrets
    "uuid": (0, 1, _uuid),
    "digest": (2, 3, _digest),
    "base64-decode": (1, 1, _base64_decode),
    "count-non-empty": (1, 1, _count_non_empty),
    "distance": (1, None, _distance),
    "area": (1, 1, _area),
    "once": (1, 1, None),
    "indexed-repeat": (3, None, None),
    "pulldata": (4, 4, None),
    "current": (0, 0, None),
    "instance": (1, 1, None),
})


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except (OverflowError, ValueError):
        return math.nan


# -- compiling ----------------------------------------------------------------------------------


def compile_expr(expr: Expr) -> Fn:
    """Check function names/arity and return a closure evaluating ``expr``."""
    if isinstance(expr, Literal):
        constant: Value = expr.value
        return lambda ctx: constant
    if isinstance(expr, Ref):
        name = expr.name
        return lambda ctx: ctx.ref(name)
    if isinstance(expr, Current):
        return lambda ctx: ctx.current()
    if isinstance(expr, Column):
        column = expr.name
        return lambda ctx: ctx.column(column)
    if isinstance(expr, Parent):
        raise ExprError(_("'..' on its own is only supported as position(..)"))
    if isinstance(expr, Neg):
        inner = compile_expr(expr.operand)
        return lambda ctx: -to_number(inner(ctx))
    if isinstance(expr, Binary):
        return _compile_binary(expr)
    if isinstance(expr, Path):
        nodes = compile_path(expr)
        return lambda ctx: [to_string(ctx.node_value(n)) for n in nodes(ctx)]
    if isinstance(expr, Call):
        return _compile_call(expr)
    raise ExprError(_("unsupported expression"))  # pragma: no cover - all node kinds handled


def _compile_binary(expr: Binary) -> Fn:
    # a chain "a + b + c + ..." of thousands of terms: compile and evaluate it as a loop
    chain: list[tuple[str, Expr]] = []
    node: Expr = expr
    while isinstance(node, Binary) and isinstance(node.left, Binary):
        chain.append((node.op, node.right))
        node = node.left
    if chain:
        assert isinstance(node, Binary)
        first_fn = _compile_pair(node)
        rest = [(op, compile_expr(e)) for op, e in reversed(chain)]

        def run(ctx: Context) -> Value:
            value = first_fn(ctx)
            for op, fn in rest:
                value = _apply(op, value, fn, ctx)
            return value
        return run
    return _compile_pair(expr)


def _apply(op: str, left: Value, right: Fn, ctx: Context) -> Value:
    if op == "and":
        return to_bool(left) and to_bool(right(ctx))
    if op == "or":
        return to_bool(left) or to_bool(right(ctx))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return _compare(op, left, right(ctx))
    return _arith(op, left, right(ctx))


def _compile_pair(expr: Binary) -> Fn:
    left, right, op = compile_expr(expr.left), compile_expr(expr.right), expr.op
    if op == "and":
        return lambda ctx: to_bool(left(ctx)) and to_bool(right(ctx))
    if op == "or":
        return lambda ctx: to_bool(left(ctx)) or to_bool(right(ctx))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return lambda ctx: _compare(op, left(ctx), right(ctx))
    return lambda ctx: _arith(op, left(ctx), right(ctx))


def _compile_call(expr: Call) -> Fn:
    name = expr.name
    if name not in FUNCTIONS:
        raise ExprError(_("the function {name}() is not supported").format(name=name))
    low, high, impl = FUNCTIONS[name]
    n = len(expr.args)
    if n < low or (high is not None and n > high):
        expected = str(low) if low == high else (
            _("{low} or more").format(low=low) if high is None
            else _("{low} to {high}").format(low=low, high=high))
        raise ExprError(_("{name}() takes {expected} arguments, not {n}").format(
            name=name, expected=expected, n=n))
    if name == "position" and expr.args and isinstance(expr.args[0], Path):
        nodes = compile_path(expr.args[0])
        return lambda ctx: _position_of(nodes(ctx))
    if name == "position":
        if expr.args and not isinstance(expr.args[0], Parent):
            raise ExprError(_("position() takes a path such as position(..)"))
        return lambda ctx: float(ctx.position())
    if name in ("current", "instance"):
        raise ExprError(_("{name}() is only supported at the start of a path such as "
                          "{example}").format(name=name, example=(
                              "instance('list')/root/item[name = ${q}]/label"
                              if name == "instance" else "current()/../q")))
    if name == "indexed-repeat":
        return _compile_indexed(expr)
    if name == "pulldata":
        return _compile_pulldata(expr)
    if name == "once":
        inner = compile_expr(expr.args[0])
        return lambda ctx: cur if to_string(cur := ctx.current()) != "" else inner(ctx)
    if name == "today":
        return lambda ctx: ctx.now().date()
    if name == "now":
        return lambda ctx: ctx.now()
    if name == "regex" and isinstance(expr.args[1], Literal):
        try:
            re.compile(str(expr.args[1].value))
        except re.error as exc:
            raise ExprError(_("the regular expression is broken: {error}").format(
                error=str(exc))) from exc
    args = [compile_expr(a) for a in expr.args]
    if name == "if":
        cond, yes, no = args
        return lambda ctx: yes(ctx) if to_bool(cond(ctx)) else no(ctx)
    if name == "jr:choice-name":
        target = expr.args[1]
        found = None
        if isinstance(target, Literal) and isinstance(target.value, str):
            found = re.fullmatch(r"\s*\$\{\s*([^}\s]+)\s*\}\s*", target.value)
        if found is None:
            raise ExprError(_("jr:choice-name() needs the question as '${name}' in quotes"))
        question, value_fn = found.group(1), args[0]
        return lambda ctx: ctx.choice_label(question, to_string(value_fn(ctx)))
    assert impl is not None
    if n == 1:
        only = args[0]
        return lambda ctx: impl(only(ctx))
    if n == 2:
        a0, a1 = args
        return lambda ctx: impl(a0(ctx), a1(ctx))
    return lambda ctx: impl(*(a(ctx) for a in args))


# -- location paths -------------------------------------------------------------------------------


def _position_of(nodes: list[XNode]) -> float:
    if not nodes:
        return math.nan
    node = nodes[0]
    if node[0] == "f":
        return float(node[2][-1] + 1) if node[2] else 1.0
    return float(max(node[2], 0) + 1)


class _PredicateContext:
    """Evaluates a predicate: bare names and ``.`` read the node being filtered, ``position()``
    is its place in the node-set; ``current()`` and ``${...}`` still mean the question's."""

    def __init__(self, outer: Context, node: XNode, position: int) -> None:
        self.outer, self.node, self.pos = outer, node, position

    def __getattr__(self, name: str) -> Any:
        return getattr(self.outer, name)

    def current(self) -> Value:
        return self.outer.node_value(self.node)

    def context_node(self) -> XNode:
        return self.node

    def position(self) -> int:
        return self.pos

    def column(self, name: str) -> str:
        found = _children(self.outer, [self.node], name)
        return to_string(self.outer.node_value(found[0])) if found else ""


def _children(ctx: Context, nodes: list[XNode], name: str) -> list[XNode]:
    out: list[XNode] = []
    for node in nodes:
        if node[0] == "f":
            out.extend(ctx.form_children(node, name))
            continue
        _kind, inst, row, column = node
        if row == -2:
            out.append(("i", inst, -1, ""))
        elif row == -1:
            out.extend(("i", inst, k, "") for k in range(len(ctx.instance_rows(inst))))
        elif not column:
            rows = ctx.instance_rows(inst)
            if name == "*":
                out.extend(("i", inst, row, c) for c in rows[row])
            elif 0 <= row < len(rows) and name in rows[row]:
                out.append(("i", inst, row, name))
    return out


def _parents(ctx: Context, nodes: list[XNode]) -> list[XNode]:
    out: list[XNode] = []
    for node in nodes:
        if node[0] == "f":
            parent = ctx.form_parent(node)
            if parent is not None and parent not in out:
                out.append(parent)
        else:
            _kind, inst, row, column = node
            up = ("i", inst, row, "") if column else ("i", inst, -1 if row >= 0 else -2, "")
            if up not in out:
                out.append(up)
    return out


def compile_path(expr: Path) -> Callable[[Context], list[XNode]]:
    base = expr.base
    start: Callable[[Context], list[XNode]]
    steps = list(expr.steps)
    if base is None:
        steps = steps[1:]  # the first step names the form's root element
        start = lambda ctx: [("f", "", ())]  # noqa: E731
    elif isinstance(base, Call) and base.name == "instance":
        if len(base.args) != 1 or not isinstance(base.args[0], Literal):
            raise ExprError(_("instance() takes the name of a list in quotes"))
        inst = str(base.args[0].value)
        start = lambda ctx: [("i", inst, -2, "")]  # noqa: E731
    elif isinstance(base, Call) and base.name == "current" and not base.args:
        start = lambda ctx: [ctx.here()]  # noqa: E731
    elif isinstance(base, Ref):
        ref = base.name
        start = lambda ctx: ctx.form_nodes(ref)  # noqa: E731
    elif isinstance(base, Current):
        start = lambda ctx: [ctx.context_node()]  # noqa: E731
    elif isinstance(base, Column):
        column = base.name
        start = lambda ctx: _children(ctx, [ctx.context_node()], column)  # noqa: E731
    else:
        raise ExprError(_("a path must start with ${name}, instance('list'), current() or /"))
    compiled = [(step.name, [compile_expr(p) for p in step.predicates]) for step in steps]

    def run(ctx: Context) -> list[XNode]:
        nodes = start(ctx)
        for name, predicates in compiled:
            if name == "..":
                nodes = _parents(ctx, nodes)
            elif name != ".":
                nodes = _children(ctx, nodes, name)
            for predicate in predicates:
                kept: list[XNode] = []
                for pos, node in enumerate(nodes, start=1):
                    result = predicate(_PredicateContext(ctx, node, pos))
                    if isinstance(result, float):
                        if result == pos:
                            kept.append(node)
                    elif to_bool(result):
                        kept.append(node)
                nodes = kept
        return nodes
    return run


def _compile_indexed(expr: Call) -> Fn:
    target = expr.args[0]
    rest = expr.args[1:]
    if not isinstance(target, Ref) or len(rest) % 2 or not all(
            isinstance(r, Ref) for r in rest[::2]):
        raise ExprError(_("indexed-repeat() takes ${question}, then pairs of ${repeat} and a "
                          "position"))
    name = target.name
    levels = [(r.name, compile_expr(i)) for r, i in zip(rest[::2], rest[1::2], strict=True)
              if isinstance(r, Ref)]

    def run(ctx: Context) -> Value:
        wanted: list[tuple[str, int]] = []
        for repeat, index in levels:
            n = to_number(index(ctx))
            if math.isnan(n) or n < 1:
                return ""
            wanted.append((repeat, int(n)))
        return ctx.indexed(name, wanted)
    return run


def _compile_pulldata(expr: Call) -> Fn:
    source = expr.args[0]
    if not isinstance(source, Literal):
        raise ExprError(_("pulldata() takes the name of a data file in quotes"))
    inst = str(source.value)
    column, key_column, key = (compile_expr(a) for a in expr.args[1:])

    def run(ctx: Context) -> Value:
        col, kcol, wanted = to_string(column(ctx)), to_string(key_column(ctx)), to_string(key(ctx))
        for row in ctx.instance_rows(inst):
            if row.get(kcol, "") == wanted:
                return row.get(col, "")
        return ""
    return run
