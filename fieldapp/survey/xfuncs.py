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

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Protocol

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
    Ref,
)

Value = str | float | bool | date | datetime | list[str]
Fn = Callable[["Context"], Value]
EPOCH = date(1970, 1, 1)
_EPOCH_DT = datetime(1970, 1, 1)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")


class Context(Protocol):
    """What an expression can see while it is evaluated."""

    def ref(self, name: str) -> Value: ...
    def current(self) -> Value: ...
    def position(self) -> int: ...
    def column(self, name: str) -> str: ...
    def choice_label(self, question: str, value: str) -> str: ...
    def now(self) -> datetime: ...


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
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


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
    try:
        return re.search(to_string(pattern), to_string(s)) is not None
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
    "string-length": (0, 1, lambda s="": float(len(to_string(s)))),
    "regex": (2, 2, _regex),
    "if": (3, 3, None),
    "coalesce": (2, 2, _coalesce),
    "concat": (0, None, lambda *a: "".join(to_string(x) for x in a)),
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
    if isinstance(expr, Call):
        return _compile_call(expr)
    raise ExprError(_("unsupported expression"))  # pragma: no cover - all node kinds handled


def _compile_binary(expr: Binary) -> Fn:
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
    if name == "position":
        if expr.args and not isinstance(expr.args[0], Parent):
            raise ExprError(_("only position(..) is supported"))
        return lambda ctx: float(ctx.position())
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
