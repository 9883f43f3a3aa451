"""The safe declarative rule language of application assistants: JSON Logic.

Rules are plain JSON (dicts, lists, scalars) interpreted by the functions in
this module and nothing else: no eval/exec, no attribute access, no imports.
The same rules run in the browser with json-logic-js 2.0.5 for instant
feedback, so the semantics follow that implementation, JavaScript coercions
included (loose ``==``, string/number comparison, ``parseFloat`` in ``+``/``*``).

Operators: var, missing, missing_some, if, ?:, ==, !=, ===, !==, !, !!, or,
and, >, >=, <, <= (with three arguments: "between"), max, min, +, -, *, /, %,
in, cat, substr, merge, map, filter, reduce, all, none, some.  ``log`` is not
allowed.

Product extensions (the browser registers the same names with
``jsonLogic.add_operation``):

- ``{"today": []}`` – the current date in Europe/Berlin as "YYYY-MM-DD".
- ``{"date_diff_days": [a, b]}`` – whole days from date ``a`` to date ``b``
  (b - a) for ISO dates "YYYY-MM-DD"; None if either is missing or invalid.
- ``{"round": [value, places]}`` – rounds ROUND_HALF_UP to ``places`` decimal
  places (default 0), for fees: a Decimal for places > 0, else an int.

Public API: ``evaluate``, ``truthy``, ``validate_rule``, ``referenced_vars``
and ``RuleError``.  Problems reported by ``validate_rule`` are German because
form builders read them.
"""

import datetime
import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

__all__ = ["MAX_DEPTH", "RuleError", "evaluate", "referenced_vars", "truthy", "validate_rule"]

MAX_DEPTH = 64  # nesting of rules (each list and each operation is a level)
MAX_STEPS = 100_000  # evaluation steps per evaluate() call, map/filter/... included
MAX_STRING = 100_000  # characters in a string built by cat or from a list
MAX_LIST = 10_000  # items in a merge result
MAX_PLACES = 20  # |places| accepted by round

Number = int | float | Decimal

# Exact money arithmetic: 28 significant digits, no exceptions (results that are not
# finite come back as NaN/Infinity and are turned into None).
_CTX = Context(prec=28, rounding=ROUND_HALF_EVEN, Emax=99_999, Emin=-99_999, traps=[])
_INT_LIMIT = 10**28  # beyond this, integers continue as Decimal so they cannot grow unbounded
_BERLIN = ZoneInfo("Europe/Berlin")


class RuleError(ValueError):
    """A rule is malformed (unknown operator, wrong shape) or too expensive to evaluate."""


class _Undefined:
    """JavaScript's ``undefined``: an argument the rule did not give.  Never returned."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"


_UNDEF: Any = _Undefined()


class _Budget:
    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0


# --- public API -------------------------------------------------------------------------


def evaluate(rule: Any, data: Any = None) -> Any:
    """Evaluate a JSON Logic ``rule`` against ``data``; a missing variable yields None.

    Raises RuleError, and nothing else, for unknown operators, malformed rules and rules
    exceeding the limits.  Deliberate differences from json-logic-js 2.0.5:

    - Exact numbers: ``+ - * / %`` compute in Decimal (28 significant digits) as soon as
      an operand is a Decimal or a decimal string such as "12.50" (a float mixed in counts
      by its shortest repr, so 0.1 means 0.1) and return Decimal; integers stay exact
      ints (JS rounds beyond 2**53; beyond 10**28 they continue as Decimal); a
      non-integral quotient of ints is a Decimal; floats only come out if a float came in.
      ``cat`` writes a Decimal with its scale ("12.50"; JS: "12.5").
    - No NaN/Infinity: arithmetic without a finite result (division by zero, non-numeric
      operand, overflow) and ``max``/``min`` of nothing give None instead; later
      comparisons therefore see null (JS keeps comparing NaN as false).
    - ``and``/``or`` without arguments give None (JS: undefined).
    - ``var`` reads only dict keys, list/string indexes and ``length``, never inherited
      members (JS finds e.g. ``constructor``); date values in ``data`` read as ISO strings.
    - ``missing``/``missing_some`` treat their keys as plain paths (JS re-applies keys
      that look like rules, so data could act as logic).
    - Limits: nesting deeper than MAX_DEPTH, more than MAX_STEPS steps, ``cat`` strings
      over MAX_STRING characters and ``merge`` lists over MAX_LIST items raise RuleError.
    """
    return _eval(rule, data, 0, _Budget())


def truthy(value: Any) -> bool:
    """JSON Logic truthiness: JavaScript's, except that an empty list is falsy."""
    if value is None or value is _UNDEF:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, Decimal):
        return not value.is_nan() and not value.is_zero()
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True  # dicts (even empty) and other objects, as in JavaScript


def validate_rule(rule: Any) -> list[str]:
    """Static problems of ``rule`` (unknown operators, argument shapes, nesting) without
    evaluating it; an empty list means the rule is well-formed."""
    problems: list[str] = []
    _check(rule, "$", 0, problems)
    return problems


def referenced_vars(rule: Any) -> set[str]:
    """The variable paths a rule reads from its data (``var`` and ``missing*`` keys).

    Paths inside the per-item rule of map/filter/reduce/all/none/some are relative to
    the item and not reported (the collection expression is); computed paths are not
    known statically, but variables used to compute them are; "" (all data) is left out.
    """
    found: set[str] = set()
    stack: list[tuple[Any, int]] = [(rule, 0)]

    def note(path: Any, depth: int) -> None:
        if isinstance(path, str):
            if path:
                found.add(path)
        elif isinstance(path, int | float) and not isinstance(path, bool):
            found.add(_to_string(path))
        else:
            stack.append((path, depth))

    def note_key(key: Any, depth: int) -> None:
        if isinstance(key, list | tuple):  # [path, default], as for var
            if key:
                note(key[0], depth + 1)
            stack.extend((item, depth + 1) for item in key[1:])
        else:
            note(key, depth)

    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, list | tuple):
            stack.extend((item, depth + 1) for item in node)
            continue
        if not _is_logic(node):
            continue
        ((op, values),) = node.items()
        args = list(values) if isinstance(values, list | tuple) else [values]
        if op == "var":
            if args:
                note(args[0], depth + 1)
            stack.extend((arg, depth + 1) for arg in args[1:])
        elif op == "missing":
            # one list argument holds the keys; otherwise every argument is a key
            listed = bool(args) and isinstance(args[0], list | tuple)
            for key in args[0] if listed else args:
                note_key(key, depth + 2)
            stack.extend((arg, depth + 1) for arg in args[1 if listed else len(args) :])
        elif op == "missing_some":
            stack.extend((arg, depth + 1) for i, arg in enumerate(args) if i != 1)
            keys = args[1] if len(args) > 1 else None
            if isinstance(keys, list | tuple):
                for key in keys:
                    note_key(key, depth + 2)
            elif keys is not None:
                note(keys, depth + 1)
        elif op in _ITERATORS:
            # args[1] runs with each item as its data
            stack.extend((arg, depth + 1) for i, arg in enumerate(args) if i != 1)
        else:
            stack.extend((arg, depth + 1) for arg in args)
    return found


# --- evaluation -------------------------------------------------------------------------


def _is_logic(rule: Any) -> bool:
    return isinstance(rule, dict) and len(rule) == 1


def _eval(rule: Any, data: Any, depth: int, budget: _Budget) -> Any:
    if depth > MAX_DEPTH:
        raise RuleError(f"Regel ist tiefer als {MAX_DEPTH} Ebenen verschachtelt.")
    budget.steps += 1
    if budget.steps > MAX_STEPS:
        raise RuleError(f"Regel braucht mehr als {MAX_STEPS} Rechenschritte.")
    if isinstance(rule, list | tuple):
        return [_eval(item, data, depth + 1, budget) for item in rule]
    if isinstance(rule, dict):
        if len(rule) != 1:
            return rule  # JSON Logic: any other object is a literal
        ((op, values),) = rule.items()
        if not isinstance(values, list | tuple):
            values = [values]  # unary sugar: {"var": "x"} means {"var": ["x"]}
        lazy = _LAZY.get(op) if isinstance(op, str) else None
        if lazy is not None:
            return lazy(values, data, depth, budget)
        operation = _OPS.get(op) if isinstance(op, str) else None
        if operation is None:
            raise RuleError(_unknown_operator(op))
        args = [_eval(value, data, depth + 1, budget) for value in values]
        return operation(args, data)
    if rule is None or isinstance(rule, str | int | float | Decimal):
        return rule
    raise RuleError(f"Nicht unterstützter Wert vom Typ {type(rule).__name__} in der Regel.")


def _unknown_operator(op: Any) -> str:
    if op in _FORBIDDEN:
        return f"Operator „{op}“ ist nicht erlaubt."
    return f"Unbekannter Operator „{op}“."


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else _UNDEF


# Operators that decide themselves which arguments to evaluate (as json-logic-js does).


def _op_if(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    i = 0
    while i < len(values) - 1:
        if truthy(_eval(values[i], data, depth + 1, budget)):
            return _eval(values[i + 1], data, depth + 1, budget)
        i += 2
    if len(values) == i + 1:
        return _eval(values[i], data, depth + 1, budget)
    return None


def _op_and(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    current = None
    for value in values:
        current = _eval(value, data, depth + 1, budget)
        if not truthy(current):
            return current
    return current


def _op_or(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    current = None
    for value in values:
        current = _eval(value, data, depth + 1, budget)
        if truthy(current):
            return current
    return current


def _scoped(values: list[Any], data: Any, depth: int, budget: _Budget) -> tuple[Any, Any]:
    items = _eval(values[0], data, depth + 1, budget) if values else None
    return items, values[1] if len(values) > 1 else None


def _op_map(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    items, logic = _scoped(values, data, depth, budget)
    if not isinstance(items, list | tuple):
        return []
    return [_eval(logic, item, depth + 1, budget) for item in items]


def _op_filter(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    items, logic = _scoped(values, data, depth, budget)
    if not isinstance(items, list | tuple):
        return []
    return [item for item in items if truthy(_eval(logic, item, depth + 1, budget))]


def _op_reduce(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    items, logic = _scoped(values, data, depth, budget)
    accumulator = _eval(values[2], data, depth + 1, budget) if len(values) > 2 else None
    if not isinstance(items, list | tuple):
        return accumulator
    for item in items:
        scope = {"current": item, "accumulator": accumulator}
        accumulator = _eval(logic, scope, depth + 1, budget)
    return accumulator


def _op_all(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    items, logic = _scoped(values, data, depth, budget)
    if not isinstance(items, list | tuple) or not items:
        return False  # "all" of nothing is false in JSON Logic
    return all(truthy(_eval(logic, item, depth + 1, budget)) for item in items)


def _op_none(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    items, logic = _scoped(values, data, depth, budget)
    if not isinstance(items, list | tuple):
        return True
    return not any(truthy(_eval(logic, item, depth + 1, budget)) for item in items)


def _op_some(values: list[Any], data: Any, depth: int, budget: _Budget) -> Any:
    items, logic = _scoped(values, data, depth, budget)
    if not isinstance(items, list | tuple):
        return False
    return any(truthy(_eval(logic, item, depth + 1, budget)) for item in items)


# Operators on evaluated arguments.


def _op_var(args: list[Any], data: Any) -> Any:
    default = _arg(args, 1)
    return _lookup(data, _arg(args, 0), None if default is _UNDEF else default)


def _lookup(data: Any, path: Any, not_found: Any) -> Any:
    if path is _UNDEF or path is None or (isinstance(path, str) and path == ""):
        return _from_data(data)
    current = data
    for key in _to_string(path).split("."):
        if current is None or current is _UNDEF:
            return not_found
        current = _member(current, key)
        if current is _UNDEF:
            return not_found
    return _from_data(current)


def _member(container: Any, key: str) -> Any:
    """Own data only: dict keys, list/string indexes, ``length`` – never attributes."""
    if isinstance(container, dict):
        return container.get(key, _UNDEF)
    if isinstance(container, list | tuple):
        if key == "length":
            return len(container)
        index = _array_index(key)
        return container[index] if index is not None and index < len(container) else _UNDEF
    if isinstance(container, str):
        if key == "length":
            return _utf16_len(container)
        index = _array_index(key)
        if index is None or index >= _utf16_len(container):
            return _UNDEF
        return _utf16_slice(container, index, index + 1)
    return _UNDEF


def _array_index(key: str) -> int | None:
    # JS array indexes are canonical: "0", "7", never "07", "+7" or " 7"
    if key == "0":
        return 0
    if 0 < len(key) <= 10 and key.isascii() and key.isdigit() and key[0] != "0":
        return int(key)
    return None


def _from_data(value: Any) -> Any:
    # The browser sees dates as ISO strings after JSON serialisation; so do rules here.
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def _missing_keys(keys: list[Any], data: Any) -> list[Any]:
    if keys and isinstance(keys[0], list | tuple):
        keys = list(keys[0])  # one list argument holds the keys (e.g. from merge)
    missing = []
    for key in keys:
        if isinstance(key, list | tuple):
            default = _arg(list(key), 1)
            not_found = None if default is _UNDEF else default
            value = _lookup(data, _arg(list(key), 0), not_found)
        else:
            value = _lookup(data, key, None)
        if value is None or (isinstance(value, str) and value == ""):
            missing.append(key)
    return missing


def _op_missing(args: list[Any], data: Any) -> Any:
    return _missing_keys(args, data)


def _op_missing_some(args: list[Any], data: Any) -> Any:
    if len(args) < 2:  # json-logic-js fails on options.length, too
        raise RuleError("„missing_some“ braucht eine Mindestzahl und eine Liste von Schlüsseln.")
    need, options = args[0], args[1]
    keys = list(options) if isinstance(options, list | tuple) else [options]
    missing = _missing_keys(keys, data)
    if isinstance(options, list | tuple):
        present: Any = len(options) - len(missing)
    elif isinstance(options, str):
        present = _utf16_len(options) - len(missing)
    else:
        present = _UNDEF  # JS: undefined - n is NaN, and NaN >= need is false
    return [] if _greater_equal(present, need) else missing


def _op_not(args: list[Any], data: Any) -> Any:
    return not truthy(_arg(args, 0))


def _op_not_not(args: list[Any], data: Any) -> Any:
    return truthy(_arg(args, 0))


def _op_eq(args: list[Any], data: Any) -> Any:
    return _loose_equal(_arg(args, 0), _arg(args, 1))


def _op_ne(args: list[Any], data: Any) -> Any:
    return not _loose_equal(_arg(args, 0), _arg(args, 1))


def _op_strict_eq(args: list[Any], data: Any) -> Any:
    return _strict_equal(_arg(args, 0), _arg(args, 1))


def _op_strict_ne(args: list[Any], data: Any) -> Any:
    return not _strict_equal(_arg(args, 0), _arg(args, 1))


def _op_gt(args: list[Any], data: Any) -> Any:
    return _less(_arg(args, 1), _arg(args, 0)) is True


def _op_ge(args: list[Any], data: Any) -> Any:
    return _greater_equal(_arg(args, 0), _arg(args, 1))


def _op_lt(args: list[Any], data: Any) -> Any:
    a, b, c = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if c is _UNDEF:
        return _less(a, b) is True
    return _less(a, b) is True and _less(b, c) is True


def _op_le(args: list[Any], data: Any) -> Any:
    a, b, c = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if c is _UNDEF:
        return _greater_equal(b, a)
    return _greater_equal(b, a) and _greater_equal(c, b)


def _extreme(args: list[Any], *, greatest: bool) -> Any:
    best: Number | None = None
    for value in args:
        number = _to_number(value)
        if number is None:
            return None  # Math.max with NaN is NaN
        if best is None or (_num_less(best, number) if greatest else _num_less(number, best)):
            best = number
    return best if best is not None and _is_finite(best) else None


def _op_max(args: list[Any], data: Any) -> Any:
    return _extreme(args, greatest=True)


def _op_min(args: list[Any], data: Any) -> Any:
    return _extreme(args, greatest=False)


def _op_add(args: list[Any], data: Any) -> Any:
    total: Number | None = 0
    for value in args:
        number = _parse_float(value)  # json-logic-js sums with parseFloat
        if number is None or total is None:
            return None
        total = _arith("+", total, number)
    return total


def _op_mul(args: list[Any], data: Any) -> Any:
    if not args:
        raise RuleError("„*“ braucht mindestens ein Argument.")
    if len(args) == 1:
        return args[0]  # json-logic-js returns a lone factor unchanged
    product = _parse_float(args[0])
    for value in args[1:]:
        number = _parse_float(value)
        if number is None or product is None:
            return None
        product = _arith("*", product, number)
    return product


def _op_sub(args: list[Any], data: Any) -> Any:
    a, b = _to_number(_arg(args, 0)), _arg(args, 1)
    if b is _UNDEF:  # unary minus
        if a is None:
            return None
        negated = _CTX.minus(a) if isinstance(a, Decimal) else -a
        return _finite_or_none(negated)
    return _binary("-", a, _to_number(b))


def _op_div(args: list[Any], data: Any) -> Any:
    return _binary("/", _to_number(_arg(args, 0)), _to_number(_arg(args, 1)))


def _op_mod(args: list[Any], data: Any) -> Any:
    return _binary("%", _to_number(_arg(args, 0)), _to_number(_arg(args, 1)))


def _op_in(args: list[Any], data: Any) -> Any:
    needle, haystack = _arg(args, 0), _arg(args, 1)
    if isinstance(haystack, str):
        # JS: an empty string is falsy, so {"in": ["", ""]} is false
        return haystack != "" and _to_string(needle) in haystack
    if isinstance(haystack, list | tuple):
        return any(_strict_equal(needle, item) for item in haystack)  # indexOf uses ===
    return False


def _op_cat(args: list[Any], data: Any) -> Any:
    parts = []
    size = 0
    for value in args:
        text = "" if value is None else _to_string(value)
        size += len(text)
        if size > MAX_STRING:
            raise RuleError(f"„cat“ ergäbe mehr als {MAX_STRING} Zeichen.")
        parts.append(text)
    return "".join(parts)


def _op_substr(args: list[Any], data: Any) -> Any:
    source = _to_string(_arg(args, 0))
    start, length = _arg(args, 1), _arg(args, 2)
    if _less(length, 0) is True:
        # json-logic-js emulates PHP: a negative length cuts that many from the end
        rest = _substr(source, start, _UNDEF)
        if not _is_number(length):
            return ""  # JS: rest.length + "-1" concatenates to a non-number, i.e. 0
        return _substr(rest, 0, _binary("+", _utf16_len(rest), _to_number(length)))
    return _substr(source, start, length)


def _substr(text: str, start: Any, length: Any) -> str:
    """String.prototype.substr, counting UTF-16 code units as JavaScript does."""
    size = _utf16_len(text)
    begin = _to_integer(start)
    begin = max(size + begin, 0) if begin < 0 else min(begin, size)
    count = size if length is _UNDEF else _to_integer(length)
    count = min(max(count, 0), size)
    end = min(begin + count, size)
    return _utf16_slice(text, int(begin), int(end)) if end > begin else ""


def _op_merge(args: list[Any], data: Any) -> Any:
    merged: list[Any] = []
    for value in args:
        if isinstance(value, list | tuple):
            merged.extend(value)
        else:
            merged.append(value)
        if len(merged) > MAX_LIST:
            raise RuleError(f"„merge“ ergäbe mehr als {MAX_LIST} Einträge.")
    return merged


def _op_today(args: list[Any], data: Any) -> Any:
    return timezone.localdate(timezone=_BERLIN).isoformat()


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _op_date_diff_days(args: list[Any], data: Any) -> Any:
    start, end = _as_date(_arg(args, 0)), _as_date(_arg(args, 1))
    if start is None or end is None:
        return None
    return (end - start).days


def _op_round(args: list[Any], data: Any) -> Any:
    value = _to_number(_arg(args, 0))
    places_arg = _arg(args, 1)
    places = 0 if places_arg is _UNDEF else _to_number(places_arg)
    if value is None or places is None or not _is_finite(value) or not _is_finite(places):
        return None
    if not -MAX_PLACES <= places <= MAX_PLACES or places != int(places):
        return None
    places = int(places)
    if isinstance(value, int) and places >= 0:
        return value
    exponent = Decimal(1).scaleb(-places)
    rounded = _to_decimal(value).quantize(exponent, rounding=ROUND_HALF_UP, context=_CTX)
    if not rounded.is_finite():
        return None
    return int(rounded) if places <= 0 else rounded


_Lazy = Callable[[list[Any], Any, int, _Budget], Any]
_Eager = Callable[[list[Any], Any], Any]

_LAZY: dict[str, _Lazy] = {
    "if": _op_if,
    "?:": _op_if,
    "and": _op_and,
    "or": _op_or,
    "map": _op_map,
    "filter": _op_filter,
    "reduce": _op_reduce,
    "all": _op_all,
    "none": _op_none,
    "some": _op_some,
}

_OPS: dict[str, _Eager] = {
    "var": _op_var,
    "missing": _op_missing,
    "missing_some": _op_missing_some,
    "==": _op_eq,
    "!=": _op_ne,
    "===": _op_strict_eq,
    "!==": _op_strict_ne,
    "!": _op_not,
    "!!": _op_not_not,
    ">": _op_gt,
    ">=": _op_ge,
    "<": _op_lt,
    "<=": _op_le,
    "max": _op_max,
    "min": _op_min,
    "+": _op_add,
    "-": _op_sub,
    "*": _op_mul,
    "/": _op_div,
    "%": _op_mod,
    "in": _op_in,
    "cat": _op_cat,
    "substr": _op_substr,
    "merge": _op_merge,
    "today": _op_today,
    "date_diff_days": _op_date_diff_days,
    "round": _op_round,
}

_ITERATORS = frozenset({"map", "filter", "reduce", "all", "none", "some"})
_FORBIDDEN = frozenset({"log"})

# Allowed argument counts (min, max; None = unbounded) for validate_rule.
_ARITY: dict[str, tuple[int, int | None]] = {
    "var": (0, 2),
    "missing": (0, None),
    "missing_some": (2, 2),
    "if": (0, None),
    "?:": (0, None),
    "==": (2, 2),
    "!=": (2, 2),
    "===": (2, 2),
    "!==": (2, 2),
    "!": (1, 1),
    "!!": (1, 1),
    "or": (1, None),
    "and": (1, None),
    ">": (2, 2),
    ">=": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    "max": (1, None),
    "min": (1, None),
    "+": (0, None),
    "-": (1, 2),
    "*": (1, None),
    "/": (2, 2),
    "%": (2, 2),
    "in": (2, 2),
    "cat": (0, None),
    "substr": (2, 3),
    "merge": (0, None),
    "map": (2, 2),
    "filter": (2, 2),
    "reduce": (2, 3),
    "all": (2, 2),
    "none": (2, 2),
    "some": (2, 2),
    "today": (0, 0),
    "date_diff_days": (2, 2),
    "round": (1, 2),
}


# --- validation -------------------------------------------------------------------------


def _check(node: Any, where: str, depth: int, problems: list[str]) -> None:
    if depth > MAX_DEPTH:
        problems.append(f"{where}: Regel ist tiefer als {MAX_DEPTH} Ebenen verschachtelt.")
        return
    if isinstance(node, list | tuple):
        for i, item in enumerate(node):
            _check(item, f"{where}[{i}]", depth + 1, problems)
        return
    if isinstance(node, dict):
        if len(node) == 1:
            _check_operation(node, where, depth, problems)
        return  # other objects are literals
    if isinstance(node, float | Decimal) and not _is_finite(node):
        problems.append(f"{where}: Zahl „{node}“ ist keine endliche Zahl.")
    elif node is not None and not isinstance(node, str | int | float | Decimal):
        problems.append(f"{where}: Nicht unterstützter Wert vom Typ {type(node).__name__}.")


def _check_operation(node: dict, where: str, depth: int, problems: list[str]) -> None:
    ((op, values),) = node.items()
    if not isinstance(op, str) or op not in _ARITY:
        problems.append(f"{where}: {_unknown_operator(op)}")
        return
    sugar = not isinstance(values, list | tuple)
    args = [values] if sugar else list(values)
    low, high = _ARITY[op]
    if len(args) < low or (high is not None and len(args) > high):
        expected = str(low) if low == high else f"{low} bis {high}" if high else f"mindestens {low}"
        problems.append(
            f"{where}: „{op}“ erwartet {expected} Argument(e), nicht {len(args)}.",
        )
    if op == "var" and args and not _is_path(args[0]):
        problems.append(f"{where}: „var“ erwartet einen Pfad (Text oder Zahl).")
    if op == "missing_some" and len(args) == 2:
        need, keys = args
        if not (_is_logic(need) or (isinstance(need, int) and not isinstance(need, bool))):
            problems.append(f"{where}: „missing_some“ erwartet zuerst eine Anzahl.")
        if not (_is_logic(keys) or isinstance(keys, list | tuple)):
            problems.append(f"{where}: „missing_some“ erwartet eine Liste von Schlüsseln.")
    for i, arg in enumerate(args):
        _check(arg, f"{where}.{op}" if sugar else f"{where}.{op}[{i}]", depth + 1, problems)


def _is_path(path: Any) -> bool:
    if isinstance(path, bool):
        return False
    return path is None or isinstance(path, str | int) or _is_logic(path)


# --- JavaScript value semantics ---------------------------------------------------------

_JS_SPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL_LITERAL = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(rf"([+-]?)(?:(Infinity)|({_DECIMAL_LITERAL}))")
_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_RADIX_BASE = {"x": 16, "o": 8, "b": 2}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_finite(number: Number) -> bool:
    if isinstance(number, float):
        return math.isfinite(number)
    if isinstance(number, Decimal):
        return number.is_finite()
    return True


def _js_type(value: Any) -> str:
    if value is _UNDEF:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def _literal_number(match: re.Match[str]) -> Number:
    sign, infinity, literal = match.groups()
    if infinity:
        return -math.inf if sign == "-" else math.inf
    if literal.isdigit() and len(literal) <= 400:
        return int(sign + literal)
    return _CTX.create_decimal(sign + literal)  # "12.50" stays exact


def _str_to_number(text: str) -> Number | None:
    """JavaScript's ToNumber for strings; None stands for NaN."""
    text = text.strip(_JS_SPACE)
    if not text:
        return 0
    match = _NUMBER.fullmatch(text)
    if match:
        return _literal_number(match)
    match = _RADIX.fullmatch(text)
    if match:
        digits = match.group(1)
        value = int(digits[1:], _RADIX_BASE[digits[0].lower()])
        return value if value < 2**1024 else math.inf
    return None


def _to_number(value: Any) -> Number | None:
    """JavaScript's ToNumber; None stands for NaN."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if value is _UNDEF:
        return None
    primitive = _to_primitive(value)
    return _str_to_number(primitive if isinstance(primitive, str) else _to_string(primitive))


def _parse_float(value: Any) -> Number | None:
    """JavaScript's parseFloat: the longest numeric prefix of the string form."""
    if _is_number(value):
        return _to_number(value)
    match = _NUMBER.match(_to_string(value).lstrip(_JS_SPACE))
    return _literal_number(match) if match else None


def _to_integer(value: Any) -> int | float:
    """JavaScript's ToIntegerOrInfinity (NaN -> 0)."""
    number = _to_number(value)
    if number is None:
        return 0
    if not _is_finite(number):
        return math.inf if number > 0 else -math.inf
    if abs(number) > 2**53:  # far beyond any string length
        return 2**53 if number > 0 else -(2**53)
    return int(number)


def _to_primitive(value: Any) -> Any:
    if isinstance(value, list | tuple | datetime.date | datetime.time):
        return _to_string(value)
    if value is None or value is _UNDEF or isinstance(value, str | int | float | Decimal):
        return value
    return "[object Object]"


def _to_string(value: Any, depth: int = 0) -> str:
    """JavaScript's String(value)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is _UNDEF:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**21 else _float_to_string(_to_float(value))
    if isinstance(value, float):
        return _float_to_string(value)
    if isinstance(value, Decimal):
        return _decimal_to_string(value)
    if isinstance(value, list | tuple):
        return _join(value, depth)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return "[object Object]"


def _join(items: list | tuple, depth: int) -> str:
    """Array.prototype.join(","), bounded in nesting and size."""
    if depth >= MAX_DEPTH:
        raise RuleError(f"Wert ist tiefer als {MAX_DEPTH} Ebenen verschachtelt.")
    parts = []
    size = 0
    for item in items:
        text = "" if item is None or item is _UNDEF else _to_string(item, depth + 1)
        size += len(text) + 1
        if size > MAX_STRING:
            raise RuleError(f"Liste ergäbe mehr als {MAX_STRING} Zeichen.")
        parts.append(text)
    return ",".join(parts)


def _float_to_string(number: float) -> str:
    """Number.prototype.toString(): shortest round-trip digits, JS exponent thresholds."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    parsed = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, parsed.digits)).rstrip("0")
    exponent = int(parsed.exponent) + len(parsed.digits) - len(digits)
    k = len(digits)
    n = exponent + k  # position of the decimal point relative to the digits
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def _decimal_to_string(number: Decimal) -> str:
    # Keeps the scale ("12.50"), which is what money displays want.
    if number.is_nan():
        return "NaN"
    if number.is_infinite():
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_zero():
        number = number.copy_abs()
    if -6 <= number.adjusted() <= 20:
        return format(number, "f")
    return _float_to_string(float(number))


def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


def _utf16_slice(text: str, start: int, end: int) -> str:
    if text.isascii() or not _ASTRAL.search(text):
        return text[start:end]
    units = text.encode("utf-16-le", "surrogatepass")
    return units[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")


def _string_less(a: str, b: str) -> bool:
    # JavaScript orders strings by UTF-16 code units, Python by code points.
    if _ASTRAL.search(a) or _ASTRAL.search(b):
        return a.encode("utf-16-be", "surrogatepass") < b.encode("utf-16-be", "surrogatepass")
    return a < b


def _to_float(number: Number) -> float:
    try:
        return float(number)
    except OverflowError:  # an int beyond the float range
        return math.inf if number > 0 else -math.inf


def _num_pair(a: Number, b: Number) -> tuple[Number, Number]:
    # A float means JS double semantics: "0.1" must equal 0.1, not differ in the 17th digit.
    if isinstance(a, float) or isinstance(b, float):
        return _to_float(a), _to_float(b)
    return a, b


def _num_less(a: Number, b: Number) -> bool:
    x, y = _num_pair(a, b)
    return x < y


def _num_equal(a: Number | None, b: Number | None) -> bool:
    if a is None or b is None:
        return False  # NaN equals nothing
    x, y = _num_pair(a, b)
    return x == y


def _strict_equal(a: Any, b: Any) -> bool:
    kind = _js_type(a)
    if kind != _js_type(b):
        return False
    if kind in {"undefined", "null"}:
        return True
    if kind == "number":
        return _num_equal(_to_number(a), _to_number(b))
    if kind in {"boolean", "string"}:
        return a == b
    return a is b  # objects and arrays compare by identity, as in JavaScript


def _loose_equal(a: Any, b: Any) -> bool:
    """JavaScript's ``==`` (IsLooselyEqual)."""
    kind_a, kind_b = _js_type(a), _js_type(b)
    if kind_a == kind_b:
        return _strict_equal(a, b)
    if {kind_a, kind_b} == {"null", "undefined"}:
        return True
    if kind_a == "number" and kind_b == "string":
        return _num_equal(_to_number(a), _str_to_number(b))
    if kind_a == "string" and kind_b == "number":
        return _num_equal(_str_to_number(a), _to_number(b))
    if kind_a == "boolean":
        return _loose_equal(int(a), b)
    if kind_b == "boolean":
        return _loose_equal(a, int(b))
    if kind_a in {"number", "string"} and kind_b == "object":
        return _loose_equal(a, _to_primitive(b))
    if kind_a == "object" and kind_b in {"number", "string"}:
        return _loose_equal(_to_primitive(a), b)
    return False


def _less(a: Any, b: Any) -> bool | None:
    """JavaScript's IsLessThan: None when undefined (a NaN was involved)."""
    x, y = _to_primitive(a), _to_primitive(b)
    if isinstance(x, str) and isinstance(y, str):
        return _string_less(x, y)
    nx, ny = _to_number(x), _to_number(y)
    if nx is None or ny is None:
        return None
    return _num_less(nx, ny)


def _greater_equal(a: Any, b: Any) -> bool:
    return _less(a, b) is False


# --- arithmetic -------------------------------------------------------------------------


def _to_decimal(number: Number) -> Decimal:
    if isinstance(number, Decimal):
        return number
    if isinstance(number, float):
        return Decimal(repr(number))  # the shortest repr: 0.1 means 0.1
    return Decimal(number)


def _finite_or_none(number: Number) -> Number | None:
    if not _is_finite(number):
        return None
    if isinstance(number, int) and not -_INT_LIMIT < number < _INT_LIMIT:
        return _CTX.create_decimal(number)
    return number


def _binary(op: str, a: Number | None, b: Number | None) -> Number | None:
    if a is None or b is None:
        return None
    return _arith(op, a, b)


def _arith(op: str, a: Number, b: Number) -> Number | None:
    """a op b: Decimal if a Decimal takes part, else float if a float does, else int."""
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        x, y = _to_decimal(a), _to_decimal(b)
        if op in {"/", "%"} and y.is_zero():
            return None
        operation = {
            "+": _CTX.add,
            "-": _CTX.subtract,
            "*": _CTX.multiply,
            "/": _CTX.divide,
            "%": _CTX.remainder,  # sign of the dividend, like JS
        }[op]
        return _finite_or_none(operation(x, y))
    if isinstance(a, float) or isinstance(b, float):
        fx, fy = _to_float(a), _to_float(b)
        if op == "+":
            result = fx + fy
        elif op == "-":
            result = fx - fy
        elif op == "*":
            result = fx * fy
        elif fy == 0 or (op == "%" and math.isinf(fx)):
            return None
        elif op == "/":
            result = fx / fy
        else:
            result = math.fmod(fx, fy)  # sign of the dividend, like JS
        return _finite_or_none(result)
    if op == "+":
        return _finite_or_none(a + b)
    if op == "-":
        return _finite_or_none(a - b)
    if op == "*":
        return _finite_or_none(a * b)
    if b == 0:
        return None
    if op == "%":
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    quotient, remainder = divmod(a, b)
    if remainder == 0:
        return _finite_or_none(quotient)
    return _finite_or_none(_CTX.divide(Decimal(a), Decimal(b)))
