"""The rule language of application assistants (JSON Logic), described from the outside."""

import contextlib
import datetime
import json
import random
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kreiswerk.assistants.rules import (
    MAX_DEPTH,
    RuleError,
    evaluate,
    referenced_vars,
    truthy,
    validate_rule,
)
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
JSON_LOGIC_JS = ROOT / "node_modules" / "json-logic-js"
CONFORMANCE_SCRIPT = Path(__file__).with_name("jsonlogic_conformance.mjs")

# `today` reads the clock through Django; without settings (-p no:django) leave it out.
HAVE_SETTINGS = django_settings.configured
OPERATORS = [
    "var", "missing", "missing_some", "if", "?:", "==", "!=", "===", "!==", "!", "!!", "or",
    "and", ">", ">=", "<", "<=", "max", "min", "+", "-", "*", "/", "%", "in", "cat", "substr",
    "merge", "map", "filter", "reduce", "all", "none", "some", "date_diff_days", "round",
    *(["today"] if HAVE_SETTINGS else []),
]  # fmt: skip


# --- examples from the JSON Logic documentation (jsonlogic.com/operations.html) ----------

SPEC_EXAMPLES = [
    # var
    ({"var": ["a"]}, {"a": 1, "b": 2}, 1),
    ({"var": "a"}, {"a": 1, "b": 2}, 1),
    ({"var": ["z", 26]}, {"a": 1, "b": 2}, 26),
    ({"var": "champ.name"}, {"champ": {"name": "Fezzig", "height": 223}}, "Fezzig"),
    ({"var": 1}, ["zero", "one", "two"], "one"),
    ({"cat": ["Hello, ", {"var": ""}]}, "Dolly", "Hello, Dolly"),
    ({"var": "x"}, {}, None),
    # missing, missing_some
    ({"missing": ["a", "b"]}, {"a": "apple", "c": "carrot"}, ["b"]),
    ({"missing": ["a", "b"]}, {"a": "apple", "b": "banana"}, []),
    ({"if": [{"missing": "a"}, "missed it", "found a"]}, {"a": "apple"}, "found a"),
    (
        {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr", "term"], []]}]}},
        {"financing": True},
        ["vin", "apr", "term"],
    ),
    (
        {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr", "term"], []]}]}},
        {"financing": False},
        ["vin"],
    ),
    ({"missing": ["a"]}, {"a": ""}, ["a"]),
    ({"missing_some": [1, ["a", "b", "c"]]}, {"a": "apple"}, []),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple"}, ["b", "c"]),
    # if / ?:
    ({"if": [True, "yes", "no"]}, None, "yes"),
    ({"if": [False, "yes", "no"]}, None, "no"),
    ({"?:": [True, "yes", "no"]}, None, "yes"),
    (
        {"if": [{"<": [{"var": "t"}, 0]}, "freezing", {"<": [{"var": "t"}, 100]}, "liquid", "gas"]},
        {"t": 200},
        "gas",
    ),  # fmt: skip
    (
        {"if": [{"<": [{"var": "t"}, 0]}, "freezing", {"<": [{"var": "t"}, 100]}, "liquid", "gas"]},
        {"t": 55},
        "liquid",
    ),  # fmt: skip
    ({"if": [False, "yes"]}, None, None),
    ({"if": []}, None, None),
    # equality
    ({"==": [1, 1]}, None, True),
    ({"==": [1, "1"]}, None, True),
    ({"==": [0, False]}, None, True),
    ({"===": [1, 1]}, None, True),
    ({"===": [1, "1"]}, None, False),
    ({"!=": [1, 2]}, None, True),
    ({"!=": [1, "1"]}, None, False),
    ({"!==": [1, 2]}, None, True),
    ({"!==": [1, "1"]}, None, True),
    # negation, truthiness
    ({"!": [True]}, None, False),
    ({"!": True}, None, False),
    ({"!!": [[]]}, None, False),
    ({"!!": ["0"]}, None, True),
    # or, and
    ({"or": [True, False]}, None, True),
    ({"or": [False, "a"]}, None, "a"),
    ({"or": [False, 0, "a"]}, None, "a"),
    ({"or": [False, 0, ""]}, None, ""),
    ({"and": [True, "a", 3]}, None, 3),
    ({"and": [True, "", 3]}, None, ""),
    # comparison, between
    ({">": [2, 1]}, None, True),
    ({">=": [1, 1]}, None, True),
    ({"<": [1, 2]}, None, True),
    ({"<=": [1, 1]}, None, True),
    ({"<": [1, 2, 3]}, None, True),
    ({"<": [1, 1, 3]}, None, False),
    ({"<": [1, 4, 3]}, None, False),
    ({"<=": [1, 1, 3]}, None, True),
    ({"<=": [1, 4, 3]}, None, False),
    ({"<": [0, {"var": "temp"}, 100]}, {"temp": 37}, True),
    # max, min, arithmetic
    ({"max": [1, 2, 3]}, None, 3),
    ({"min": [1, 2, 3]}, None, 1),
    ({"+": [4, 2]}, None, 6),
    ({"+": [2, 2, 2, 2, 2]}, None, 10),
    ({"+": "3.14"}, None, Decimal("3.14")),
    ({"-": [4, 2]}, None, 2),
    ({"-": 2}, None, -2),
    ({"*": [4, 2]}, None, 8),
    ({"*": [2, 2, 2, 2, 2]}, None, 32),
    ({"/": [4, 2]}, None, 2),
    ({"%": [101, 2]}, None, 1),
    # map, filter, reduce, all, none, some
    (
        {"map": [{"var": "integers"}, {"*": [{"var": ""}, 2]}]},
        {"integers": [1, 2, 3, 4, 5]},
        [2, 4, 6, 8, 10],
    ),  # fmt: skip
    (
        {"filter": [{"var": "integers"}, {"%": [{"var": ""}, 2]}]},
        {"integers": [1, 2, 3, 4, 5]},
        [1, 3, 5],
    ),  # fmt: skip
    (
        {"reduce": [{"var": "integers"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]},
        {"integers": [1, 2, 3, 4, 5]},
        15,
    ),
    ({"all": [[1, 2, 3], {">": [{"var": ""}, 0]}]}, None, True),
    ({"all": [[], {">": [{"var": ""}, 0]}]}, None, False),
    ({"some": [[-1, 0, 1], {">": [{"var": ""}, 0]}]}, None, True),
    ({"none": [[-3, -2, -1], {">": [{"var": ""}, 0]}]}, None, True),
    (
        {"some": [{"var": "pies"}, {"==": [{"var": "filling"}, "apple"]}]},
        {"pies": [{"filling": "pumpkin", "temp": 110}, {"filling": "apple", "temp": 110}]},
        True,
    ),
    # merge, in, cat, substr
    ({"merge": [[1, 2], [3, 4]]}, None, [1, 2, 3, 4]),
    ({"merge": [1, 2, [3, 4]]}, None, [1, 2, 3, 4]),
    ({"in": ["Ringo", ["John", "Paul", "George", "Ringo"]]}, None, True),
    ({"in": ["Spring", "Springfield"]}, None, True),
    ({"cat": ["I love", " pie"]}, None, "I love pie"),
    ({"cat": ["I love ", {"var": "filling"}, " pie"]}, {"filling": "apple"}, "I love apple pie"),
    ({"substr": ["jsonlogic", 4]}, None, "logic"),
    ({"substr": ["jsonlogic", -5]}, None, "logic"),
    ({"substr": ["jsonlogic", 1, 3]}, None, "son"),
    ({"substr": ["jsonlogic", 4, -2]}, None, "log"),
    # a rule is data too
    ([1, {"var": "a"}], {"a": 2}, [1, 2]),
    ({"a": 1, "b": 2}, None, {"a": 1, "b": 2}),
    ("plain", None, "plain"),
]


@pytest.mark.parametrize(("rule", "data", "expected"), SPEC_EXAMPLES)
def test_spec_examples(rule, data, expected):
    assert evaluate(rule, data) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, False), (1, True), (-1, True), (0.0, False), (Decimal("0.00"), False),
        (Decimal("0.01"), True), ([], False), ([0], True), ((), False), ({}, True),
        ("", False), ("0", True), ("anything", True), (None, False), (False, False),
        (True, True), (float("nan"), False), (Decimal("NaN"), False),
    ],
)  # fmt: skip
def test_truthiness_follows_the_json_logic_table(value, expected):
    assert truthy(value) is expected
    assert evaluate({"!!": {"var": "v"}}, {"v": value}) is expected


# --- JavaScript semantics that the browser shares -------------------------------------

JS_SEMANTICS = [
    ({"==": [None, 0]}, False),
    ({"==": [None, False]}, False),
    ({"==": [[], ""]}, True),
    ({"==": [[1], 1]}, True),
    ({"==": [[[]], 0]}, True),
    ({"==": ["", 0]}, True),
    ({"==": ["1.0", 1]}, True),
    ({"==": [" 12 ", 12]}, True),
    ({"==": ["0x10", 16]}, True),
    ({"==": ["1e3", 1000]}, True),
    ({"==": ["abc", 0]}, False),
    ({"==": [True, "1"]}, True),
    ({"==": [0.1, "0.1"]}, True),
    ({"==": [[1], [1]]}, False),  # two different arrays
    ({"===": [1, 1.0]}, True),
    ({"<": ["10", "9"]}, True),  # strings compare as strings
    ({"<": ["10", 9]}, False),  # otherwise as numbers
    ({"<": [None, 1]}, True),
    ({">": ["abc", 1]}, False),
    ({">=": ["abc", "abc"]}, True),
    ({"<": ["\uffff", "\U0001f600"]}, False),  # UTF-16 code unit order
    ({"+": ["12abc", 1]}, 13),  # + and * use parseFloat
    ({"+": [True, 1]}, None),
    ({"-": ["12abc", 1]}, None),  # - / % use ToNumber
    ({"-": [True, 1]}, 0),
    ({"-": [" 0b11 "]}, -3),
    ({"*": ["3"]}, "3"),  # a lone factor comes back unchanged
    ({"%": [-7, 2]}, -1),
    ({"in": ["", ""]}, False),
    ({"in": [1, ["1"]]}, False),
    ({"in": [1, "a1"]}, True),
    ({"cat": [1.5, None, [1, [2, None]], True, {}]}, "1.51,2,true[object Object]"),
    (
        {"cat": [1e21, 0.000001, 1e-7, 123.456, -0.0, 1e16]},
        "1e+210.0000011e-7123.456010000000000000000",
    ),
    ({"substr": ["a\U0001f600b", 0, 2]}, "a\ud83d"),
    ({"substr": ["jsonlogic", 4, "-2"]}, ""),
    ({"substr": ["jsonlogic", 2, -1.5]}, "onlog"),
    ({"max": ["3", 2, None]}, 3),
    ({"max": [1, "x"]}, None),
    ({"min": []}, None),
    ({"and": []}, None),
    ({"!": []}, True),
    ({"map": [[1, 2]]}, [None, None]),
    ({"missing": [["a", "b"], "c"]}, ["a", "b"]),
    ({"missing_some": [1, "ab"]}, []),
]


@pytest.mark.parametrize(("rule", "expected"), JS_SEMANTICS)
def test_javascript_coercions_match_json_logic_js(rule, expected):
    assert evaluate(rule, {}) == expected


def test_var_reads_nested_data_lengths_and_defaults():
    data = {"items": [{"price": "1.50"}], "name": "Ölmühle", "empty": None}
    assert evaluate({"var": "items.0.price"}, data) == "1.50"
    assert evaluate({"var": "items.length"}, data) == 1
    assert evaluate({"var": "name.length"}, data) == 7
    assert evaluate({"var": "name.0"}, data) == "Ö"
    assert evaluate({"var": "items.01"}, data) is None  # not a canonical index
    assert evaluate({"var": ["items.5.price", "0.00"]}, data) == "0.00"
    assert evaluate({"var": ["empty", "x"]}, data) is None  # present null is not missing
    assert evaluate({"var": [{"cat": ["na", "me"]}]}, data) == "Ölmühle"
    assert evaluate({"var": ""}, data) is data


def test_identical_objects_are_equal_like_in_javascript():
    data = {"list": [1], "same": None}
    data["same"] = data["list"]
    assert evaluate({"==": [{"var": "list"}, {"var": "same"}]}, data) is True
    assert evaluate({"==": [{"var": "list"}, [1]]}, data) is False
    assert evaluate({"==": [{"var": "list"}, "1"]}, data) is True


def test_dates_in_data_read_as_iso_strings():
    data = {"born": datetime.date(2000, 2, 29)}
    assert evaluate({"var": "born"}, data) == "2000-02-29"
    assert evaluate({"<": [{"var": "born"}, "2001-01-01"]}, data) is True


# --- numbers, money -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"+": [1, 2]}, 3),
        ({"+": ["12", 3]}, 15),
        ({"/": [9, 3]}, 3),
        ({"%": [7, -3]}, 1),
    ],
)
def test_integer_arithmetic_stays_int(rule, expected):
    result = evaluate(rule, {})
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"+": ["0.10", "0.20"]}, Decimal("0.30")),
        ({"+": ["12.50", "0.10", 1]}, Decimal("13.60")),
        ({"+": [Decimal("0.1"), 0.2]}, Decimal("0.3")),
        ({"-": ["10.00", "0.01"]}, Decimal("9.99")),
        ({"-": "12.50"}, Decimal("-12.50")),
        ({"*": ["19.99", 3]}, Decimal("59.97")),
        ({"*": [{"var": "price"}, {"var": "count"}]}, Decimal("37.50")),
        ({"/": ["10.00", 4]}, Decimal("2.5")),
        ({"/": [1, 4]}, Decimal("0.25")),
        ({"/": [1, 3]}, Decimal("0.3333333333333333333333333333")),
        ({"%": ["7.5", 2]}, Decimal("1.5")),
        ({"max": ["12.50", 3]}, Decimal("12.50")),
    ],
)
def test_decimal_arithmetic_is_exact(rule, expected):
    result = evaluate(rule, {"price": Decimal("12.50"), "count": 3})
    assert result == expected
    assert type(result) is Decimal


def test_floats_only_come_out_when_a_float_came_in():
    assert evaluate({"+": [0.1, 0.2]}, {}) == 0.1 + 0.2
    assert evaluate({"/": [10, 4.0]}, {}) == 2.5
    assert type(evaluate({"*": [2, 1.5]}, {})) is float


def test_decimal_scale_is_kept_when_written_as_text():
    assert evaluate({"cat": [{"+": ["10.25", "2.25"]}, " EUR"]}, {}) == "12.50 EUR"


@pytest.mark.parametrize(
    "rule",
    [
        {"/": [1, 0]},
        {"%": [1, 0]},
        {"/": ["1.00", 0]},
        {"/": [1.5, 0]},
        {"-": ["abc", 1]},
        {"+": [None, 1]},
        {"*": [1e308, 10]},
        {"+": ["Infinity", 1]},
        {"max": []},
    ],
)
def test_arithmetic_without_a_finite_result_is_none(rule):
    assert evaluate(rule, {}) is None


def test_huge_integers_do_not_grow_without_bound():
    square = {"reduce": [{"var": "xs"}, {"*": [{"var": "accumulator"}, {"var": "accumulator"}]}, 10]}
    assert evaluate(square, {"xs": list(range(40))}) is None  # overflow, not a 10**(2**40) int


# --- product extensions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"round": [2.675, 2]}, Decimal("2.68")),
        ({"round": ["0.125", 2]}, Decimal("0.13")),
        ({"round": [Decimal("12.345"), 2]}, Decimal("12.35")),
        ({"round": [Decimal("-0.005"), 2]}, Decimal("-0.01")),
        ({"round": [2.5]}, 3),
        ({"round": [-2.5]}, -3),
        ({"round": [1250, -2]}, 1300),
        ({"round": [12, 2]}, 12),
        ({"round": ["abc", 2]}, None),
        ({"round": [1, 2.5]}, None),
        ({"round": [1, 99]}, None),
    ],
)
def test_round_half_up(rule, expected):
    result = evaluate(rule, {})
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2024-02-01", "2024-03-01", 29),
        ("2024-03-01", "2024-02-01", -29),
        ("2023-12-31", "2024-12-31", 366),
        ("2024-02-30", "2024-03-01", None),
        ("2024-01-01T10:00", "2024-01-02", None),
        ("20240101", "2024-01-02", None),
        (None, "2024-01-02", None),
        (datetime.date(2024, 1, 1), "2024-01-02", 1),
    ],
)
def test_date_diff_days(a, b, expected):
    assert evaluate({"date_diff_days": [{"var": "a"}, {"var": "b"}]}, {"a": a, "b": b}) == expected
    assert evaluate({"date_diff_days": [{"var": "a"}, {"var": "missing"}]}, {"a": a}) is None


@pytest.mark.parametrize(
    ("utc_now", "expected"),
    [
        (datetime.datetime(2024, 3, 30, 22, 59, tzinfo=datetime.UTC), "2024-03-30"),
        (datetime.datetime(2024, 3, 30, 23, 0, tzinfo=datetime.UTC), "2024-03-31"),
        (datetime.datetime(2024, 12, 31, 23, 0, tzinfo=datetime.UTC), "2025-01-01"),
        (datetime.datetime(2024, 7, 1, 21, 59, tzinfo=datetime.UTC), "2024-07-01"),
        (datetime.datetime(2024, 7, 1, 22, 0, tzinfo=datetime.UTC), "2024-07-02"),
    ],
)
def test_today_is_the_date_in_berlin(monkeypatch, utc_now, expected):
    if not django_settings.configured:
        pytest.skip("needs Django settings (run with pytest-django)")
    monkeypatch.setattr(timezone, "now", lambda: utc_now)
    assert evaluate({"today": []}, {}) == expected
    assert evaluate({"date_diff_days": [{"today": []}, "2025-01-01"]}, {}) >= 0


def test_today_uses_the_real_clock():
    if not django_settings.configured:
        pytest.skip("needs Django settings (run with pytest-django)")
    berlin = timezone.localdate(timezone=ZoneInfo("Europe/Berlin"))
    assert evaluate({"today": []}, {}) in {berlin.isoformat(), str(berlin + datetime.timedelta(1))}


# --- safety ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["__class__", "a.__class__.__name__", "a.upper", "constructor", "__proto__", "n.real"],
)
def test_var_never_reads_attributes(path):
    assert evaluate({"var": path}, {"a": "x", "n": 5}) is None


@pytest.mark.parametrize(
    "rule",
    [
        {"log": "x"},
        {"eval": ["1+1"]},
        {"__import__": ["os"]},
        {"nope": []},
        {"*": []},
        {"missing_some": [1]},
        {1: [2]},
        {"==": [object(), 1]},
        {"if": [True, {1, 2}]},
    ],
)
def test_malformed_rules_raise_rule_error(rule):
    with pytest.raises(RuleError):
        evaluate(rule, {})


def nested(levels: int) -> Any:
    rule: Any = {"var": "a"}
    for _ in range(levels):
        rule = {"!!": [rule]}
    return rule


def test_nesting_is_bounded():
    assert evaluate(nested(MAX_DEPTH - 1), {"a": 1}) is True
    assert validate_rule(nested(MAX_DEPTH - 1)) == []
    for levels in (MAX_DEPTH, 50_000):
        with pytest.raises(RuleError, match="verschachtelt"):
            evaluate(nested(levels), {"a": 1})
        assert any("verschachtelt" in problem for problem in validate_rule(nested(levels)))
        assert referenced_vars(nested(levels)) <= {"a"}  # no RecursionError either


def test_sizes_and_work_are_bounded():
    with pytest.raises(RuleError, match="cat"):
        evaluate({"cat": [{"var": "s"}, {"var": "s"}]}, {"s": "x" * 60_000})
    with pytest.raises(RuleError, match="merge"):
        evaluate({"merge": [{"var": "xs"}, {"var": "xs"}]}, {"xs": list(range(6_000))})
    with pytest.raises(RuleError, match="Rechenschritte"):
        evaluate({"map": [{"var": "xs"}, {"+": [{"var": ""}, 1]}]}, {"xs": list(range(60_000))})
    deep_data: Any = []
    for _ in range(5_000):
        deep_data = [deep_data]
    with pytest.raises(RuleError):
        evaluate({"cat": [{"var": "d"}]}, {"d": deep_data})


# --- validate_rule, referenced_vars -----------------------------------------------------


def test_validate_rule_accepts_well_formed_rules():
    for rule, _data, _expected in SPEC_EXAMPLES:
        assert validate_rule(rule) == []
    assert validate_rule({"round": [{"var": "fee"}, 2]}) == []
    assert validate_rule({"date_diff_days": [{"today": []}, {"var": "deadline"}]}) == []


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ({"nope": [1]}, "$: Unbekannter Operator „nope“"),
        ({"and": [True, {"frob": []}]}, "$.and[1]: Unbekannter Operator „frob“"),
        ({"log": "x"}, "„log“ ist nicht erlaubt"),
        ({"==": [1]}, "„==“ erwartet 2 Argument(e), nicht 1"),
        ({"<": [1, 2, 3, 4]}, "„<“ erwartet 2 bis 3"),
        ({"*": []}, "mindestens 1"),
        ({"today": ["x"]}, "„today“ erwartet 0"),
        ({"var": [True]}, "Pfad"),
        ({"missing_some": ["a", "b"]}, "Liste von Schlüsseln"),
        ({1: []}, "Unbekannter Operator „1“"),
        ({"==": [float("nan"), 1]}, "endliche Zahl"),
        ({"==": [{1, 2}, 1]}, "Typ set"),
    ],
)
def test_validate_rule_reports_problems(rule, fragment):
    problems = validate_rule(rule)
    assert any(fragment in problem for problem in problems), problems


def test_referenced_vars():
    rule = {
        "and": [
            {"var": "a"},
            {"==": [{"var": ["b.c", {"var": "fallback"}]}, 1]},
            {"missing": ["m1", "m2"]},
            {"missing_some": [1, ["s1", ["s2", 0]]]},
            {"var": {"cat": ["x.", {"var": "n"}]}},
            {"var": 0},
            {"var": ""},
            {"some": [{"var": "items"}, {"var": "price"}]},
            {"reduce": [{"var": "xs"}, {"var": "current"}, {"var": "start"}]},
        ]
    }
    assert referenced_vars(rule) == {
        "a", "b.c", "fallback", "m1", "m2", "s1", "s2", "n", "0", "items", "xs", "start",
    }  # fmt: skip


# --- properties -----------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals(places=2, allow_nan=True)
    | st.text(max_size=6)
    | st.sampled_from(["12.50", "0x1f", " 7 ", "1e400", "Infinity", "-0", "", "0", "😀"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=3) | st.sampled_from(OPERATORS), children, max_size=3)
    ),
    max_leaves=12,
)
var_names = st.sampled_from(["a", "b", "a.b", "0", "x.0", "", "length", "a.length"])
any_rules = st.recursive(
    scalars | st.builds(lambda name: {"var": name}, var_names),
    lambda children: (
        st.lists(children, max_size=3)
        | st.builds(
            lambda op, args: {op: args},
            st.sampled_from([*OPERATORS, "log", "unknown"]),
            st.lists(children, max_size=4) | children,
        )
    ),
    max_leaves=20,
)
data_values = st.dictionaries(st.sampled_from(["a", "b", "x", "0"]), json_values, max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=any_rules, data=data_values | json_values)
def test_evaluate_raises_nothing_but_rule_error(rule, data):
    with contextlib.suppress(RuleError):
        evaluate(rule, data)
    validate_rule(rule)
    referenced_vars(rule)


@given(value=json_values)
def test_not_and_double_not_agree_with_truthy(value):
    data = {"v": value}
    assert evaluate({"!!": [{"var": "v"}]}, data) is truthy(value)
    assert evaluate({"!": [{"var": "v"}]}, data) is (not truthy(value))
    assert evaluate({"!": {"!": {"var": "v"}}}, data) is truthy(value)


@given(values=st.lists(json_values, min_size=1, max_size=5))
def test_and_or_return_one_of_their_operands(values):
    operands = [{"var": str(i)} for i in range(len(values))]
    conjunction = evaluate({"and": operands}, values)
    disjunction = evaluate({"or": operands}, values)
    assert conjunction is next((v for v in values if not truthy(v)), values[-1])
    assert disjunction is next((v for v in values if truthy(v)), values[-1])


@given(conditions=st.lists(json_values, min_size=1, max_size=4), has_else=st.booleans())
def test_if_picks_the_branch_of_the_first_truthy_condition(conditions, has_else):
    rule: list[Any] = []
    for i in range(len(conditions)):
        rule += [{"var": f"c.{i}"}, f"branch {i}"]
    if has_else:
        rule.append("else")
    expected = next(
        (f"branch {i}" for i, c in enumerate(conditions) if truthy(c)),
        "else" if has_else else None,
    )
    assert evaluate({"if": rule}, {"c": conditions}) == expected
    assert evaluate({"?:": rule}, {"c": conditions}) == expected


money = st.decimals(min_value=-(10**9), max_value=10**9, places=2).map(str)


@given(a=money, b=money, more=st.lists(money, max_size=5))
def test_money_addition_is_exact_and_commutative(a, b, more):
    total = evaluate({"+": [a, b]}, {})
    assert total == Decimal(a) + Decimal(b)
    assert type(total) is Decimal
    assert evaluate({"+": [b, a]}, {}) == total
    assert evaluate({"-": [{"+": [a, b]}, b]}, {}) == Decimal(a)
    amounts = [a, b, *more]
    assert evaluate({"+": [{"var": str(i)} for i in range(len(amounts))]}, amounts) == sum(map(Decimal, amounts))
    assert evaluate({"reduce": [amounts, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}, {}) == sum(
        map(Decimal, amounts)
    )


paths = st.from_regex(r"[a-z]{1,6}(\.[a-z0-9]{1,3}){0,2}", fullmatch=True)
ARITY = {
    "var": (1, 2), "missing": (1, 3), "missing_some": (2, 2), "if": (1, 5), "?:": (3, 3),
    "==": (2, 2), "!=": (2, 2), "===": (2, 2), "!==": (2, 2), "!": (1, 1), "!!": (1, 1),
    "or": (1, 3), "and": (1, 3), ">": (2, 2), ">=": (2, 2), "<": (2, 3), "<=": (2, 3),
    "max": (1, 3), "min": (1, 3), "+": (0, 3), "-": (1, 2), "*": (1, 3), "/": (2, 2),
    "%": (2, 2), "in": (2, 2), "cat": (0, 3), "substr": (2, 3), "merge": (0, 3),
    "map": (2, 2), "filter": (2, 2), "reduce": (2, 3), "all": (2, 2), "none": (2, 2),
    "some": (2, 2), "today": (0, 0), "date_diff_days": (2, 2), "round": (1, 2),
}  # fmt: skip
GENERATED_OPS = sorted(op for op in ARITY if op != "today" or HAVE_SETTINGS)


@st.composite
def well_formed(draw, depth: int = 0) -> tuple[Any, set[str]]:
    """A well-formed rule and the variable paths it reads outside per-item rules."""
    if depth >= 4 or draw(st.integers(0, 3)) == 0:
        leaf = draw(st.sampled_from(["scalar", "var", "var"]))
        if leaf == "scalar":
            return draw(st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3)), set()
        name = draw(paths)
        return {"var": name}, {name}
    op = draw(st.sampled_from(GENERATED_OPS))
    low, high = ARITY[op]
    if op == "var":
        name = draw(paths)
        if draw(st.booleans()):
            return {"var": name}, {name}
        default, names = draw(well_formed(depth + 1))
        return {"var": [name, default]}, {name} | names
    if op in {"missing", "missing_some"}:
        keys = draw(st.lists(paths, min_size=1, max_size=3))
        rule = {"missing": keys} if op == "missing" else {"missing_some": [1, keys]}
        return rule, set(keys)
    args, names = [], set()
    for i in range(draw(st.integers(low, high))):
        arg, arg_names = draw(well_formed(depth + 1))
        args.append(arg)
        if not (op in {"map", "filter", "reduce", "all", "none", "some"} and i == 1):
            names |= arg_names  # per-item rules read the item, not the data
    return {op: args}, names


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=well_formed(), data=data_values)
def test_validate_rule_accepts_well_formed_rules_and_evaluate_runs_them(generated, data):
    rule, _names = generated
    assert validate_rule(rule) == []
    evaluate(rule, data)  # well-formed rules never raise


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=well_formed())
def test_referenced_vars_finds_every_var(generated):
    rule, names = generated
    assert referenced_vars(rule) == names


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    generated=well_formed(),
    op=st.text(min_size=1, max_size=8).filter(lambda s: s not in ARITY and s != "today"),
    wrap=st.booleans(),
)
def test_validate_rule_flags_unknown_operators(generated, op, wrap):
    rule, _names = generated
    bad = {"and": [rule, {op: [rule]}]} if wrap else {op: rule}
    problems = validate_rule(bad)
    assert any(f"„{op}“" in problem for problem in problems), problems
    with pytest.raises(RuleError):
        evaluate({op: rule}, {})


# --- parity with json-logic-js in the browser -------------------------------------------

STRINGS = ["", "0", "1", "12", " 7 ", "-3", "1.5", "abc", "a", "b", "ab", "0x1A", "1e3",
           "true", "null", "12abc", "Ä", "\U0001f600x", "a,b", " "]  # fmt: skip
FLOATS = [0.5, -1.25, 0.1, 1e21, 1.5e-7, 123.456, 2.0, -0.0, 1e-6]
INT_PATHS = ["n", "m", "k", "obj.a"]
PATHS = [*INT_PATHS, "s", "t", "f", "b", "z", "nums", "words", "obj", "obj.b.c", "nums.0",
         "nums.length", "words.1", "s.length", "s.0", "missing", "obj.x.y", "b.x", ""]  # fmt: skip
COMPARISONS = ["==", "!=", "===", "!==", "<", "<=", ">", ">="]


class ParityRules:
    """Seeded random rules in the areas where Python and json-logic-js agree exactly.

    Arithmetic gets integers only (no decimal strings, no inexact or zero division), so
    neither the exact Decimal arithmetic nor None-for-NaN differ from the browser.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def data(self) -> dict:
        rng = self.rng
        return {
            "n": rng.randint(-9, 9), "m": rng.randint(-9, 9), "k": rng.randint(1, 9),
            "s": rng.choice(STRINGS), "t": rng.choice(STRINGS), "f": rng.choice(FLOATS),
            "b": rng.choice([True, False]), "z": None,
            "nums": [rng.randint(-9, 9) for _ in range(rng.randint(0, 4))],
            "words": [rng.choice(STRINGS) for _ in range(rng.randint(0, 3))],
            "obj": {"a": rng.randint(-9, 9), "b": {"c": rng.choice(STRINGS)}},
        }  # fmt: skip

    def scalar(self) -> Any:
        rng = self.rng
        kind = rng.randrange(5)
        if kind == 0:
            return rng.randint(-10, 10)
        if kind == 1:
            return rng.choice(FLOATS)
        if kind == 2:
            return rng.choice(STRINGS)
        return rng.choice([True, False, None])

    def integer(self, depth: int) -> Any:
        rng = self.rng
        kind = rng.randrange(10) if depth < 3 else rng.randrange(3)
        if kind == 0:
            return rng.randint(-20, 20)
        if kind == 1:
            return str(rng.randint(-20, 20))
        if kind == 2:
            return {"var": rng.choice(INT_PATHS)}
        if kind in (3, 4):
            op = rng.choice(["+", "-", "*"])
            return {op: [self.integer(depth + 1) for _ in range(rng.randint(1, 3))]}
        if kind == 5:
            divisor = rng.choice([-3, -1, 1, 2, 5])
            return {"/": [{"*": [self.integer(depth + 1), divisor]}, divisor]}
        if kind == 6:
            return {"%": [self.integer(depth + 1), rng.choice([-4, -1, 2, 3, 7])]}
        if kind == 7:
            op = rng.choice(["max", "min"])
            return {op: [self.integer(depth + 1) for _ in range(rng.randint(1, 3))]}
        if kind == 8:
            return {"-": self.integer(depth + 1)}
        return {"if": [self.value(depth + 1), self.integer(depth + 1), self.integer(depth + 1)]}

    def item_rule(self, kind: str) -> Any:
        rng = self.rng
        item = {"var": ""}
        if kind == "nums":
            return rng.choice([
                {"*": [item, rng.randint(-3, 3)]},
                {"+": [item, 1]},
                {">": [item, rng.randint(-5, 5)]},
                {"%": [item, 2]},
                {"==": [item, rng.choice(STRINGS)]},
                {"cat": [item, "!"]},
            ])  # fmt: skip
        return rng.choice([
            {"in": [rng.choice(["a", "1", ""]), item]},
            {"cat": [item, "-"]},
            {"==": [item, rng.choice(STRINGS)]},
            {"<": [item, rng.choice(STRINGS)]},
            {"substr": [item, rng.randint(-2, 2)]},
            {"!!": item},
        ])  # fmt: skip

    def value(self, depth: int = 0) -> Any:
        rng = self.rng
        if depth >= 3:
            return rng.choice([self.scalar(), {"var": rng.choice(PATHS)}])
        kind = rng.randrange(16)
        if kind == 0:
            return self.scalar()
        if kind == 1:
            return [self.scalar() for _ in range(rng.randint(0, 3))]
        if kind == 2:
            path = rng.choice(PATHS)
            return {"var": [path, self.scalar()]} if rng.random() < 0.3 else {"var": path}
        if kind == 3:
            return self.integer(depth)
        if kind in (4, 5):
            op = rng.choice(COMPARISONS)
            arity = 3 if op in {"<", "<="} and rng.random() < 0.3 else 2
            return {op: [self.value(depth + 1) for _ in range(arity)]}
        if kind == 6:
            return {rng.choice(["!", "!!"]): [self.value(depth + 1)]}
        if kind == 7:
            op = rng.choice(["and", "or"])
            return {op: [self.value(depth + 1) for _ in range(rng.randint(1, 3))]}
        if kind == 8:
            return {"if": [self.value(depth + 1) for _ in range(rng.randint(1, 5))]}
        if kind == 9:
            return {"cat": [self.value(depth + 1) for _ in range(rng.randint(0, 3))]}
        if kind == 10:
            args = [self.value(depth + 1), rng.randint(-4, 4)]
            if rng.random() < 0.6:
                args.append(rng.choice([-3, -1, 0, 1, 2, 5, "-1", None]))
            return {"substr": args}
        if kind == 11:
            haystack = rng.choice([{"var": "s"}, {"var": "words"}, {"var": "nums"}, self.value(3)])
            return {"in": [self.value(depth + 1), haystack]}
        if kind == 12:
            return {"merge": [self.value(depth + 1) for _ in range(rng.randint(0, 3))]}
        if kind == 13:
            source = rng.choice(["nums", "words"])
            op = rng.choice(["map", "filter", "all", "none", "some"])
            return {op: [{"var": source}, self.item_rule(source)]}
        if kind == 14:
            op = rng.choice(["+", "*", "-", "max", "min"])
            step = {op: [{"var": "accumulator"}, {"var": "current"}]}
            return {"reduce": [{"var": "nums"}, step, rng.randint(-3, 3)]}
        keys = rng.sample(PATHS[4:], rng.randint(1, 3))
        if rng.random() < 0.5:
            return {"missing": keys}
        return {"missing_some": [rng.randint(0, 3), keys]}


def normalised(value: Any) -> str:
    """JSON as the browser would see it: numbers as doubles, -0 as 0."""

    def walk(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, int | float | Decimal):
            number = float(v)
            return 0.0 if number == 0 else number
        if isinstance(v, list | tuple):
            return [walk(item) for item in v]
        return {key: walk(item) for key, item in v.items()}

    return json.dumps(walk(value), sort_keys=True)


def test_parity_with_json_logic_js(tmp_path):
    require_tool(
        (JSON_LOGIC_JS / "package.json").exists(), "json-logic-js is not installed in node_modules (run `npm install`)"
    )
    version = json.loads((JSON_LOGIC_JS / "package.json").read_text())["version"]
    assert version == "2.0.5", f"the browser uses json-logic-js 2.0.5, node_modules has {version}"

    generator = ParityRules(seed=20_260_517)
    cases = [{"rule": generator.value(), "data": generator.data()} for _ in range(300)]
    cases += [{"rule": {"nope": [1]}, "data": {}}, {"rule": {"*": []}, "data": {}}]
    case_file = tmp_path / "cases.json"
    case_file.write_text(json.dumps(cases))
    completed = subprocess.run(
        ["node", str(CONFORMANCE_SCRIPT), str(case_file)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
    )
    browser = json.loads(completed.stdout)
    assert len(browser) == len(cases)

    mismatches = []
    for case, expected in zip(cases, browser, strict=True):
        try:
            outcome = {"ok": normalised(evaluate(case["rule"], case["data"]))}
        except RuleError:
            outcome = {"error": True}
        wanted = {"ok": normalised(expected["ok"])} if "ok" in expected else {"error": True}
        if outcome != wanted:
            mismatches.append({**case, "python": outcome, "browser": wanted})
    assert not mismatches, json.dumps(mismatches[:5], indent=1, ensure_ascii=False)
