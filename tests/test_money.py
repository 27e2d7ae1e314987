"""Tests of mallkit.money: to_fen, fen_to_yuan, fen_to_decimal, allocate.

Expected numbers are worked out by hand in the comments next to them; the property tests
compare against exact fractions (:class:`fractions.Fraction`) and a naive per-group loop
written here, independently of the vectorised code.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mallkit.errors import AllocationError, MallkitError, MoneyError
from mallkit.money import allocate, fen_to_decimal, fen_to_yuan, to_fen

I64_MAX = 2**63 - 1

# ---------------------------------------------------------------------------------------
# to_fen
# ---------------------------------------------------------------------------------------

# (input, fen). Each expected value is the yuan amount written in the input times 100.
TO_FEN_CASES = [
    ("1,234.50", 123450),  # thousands comma (platform exports)
    ("¥12.3", 1230),  # half-width yen sign
    ("￥1,000", 100000),  # full-width yen sign
    ("  8.00\t", 800),  # Alipay pads with spaces and a tab
    ("`0.20000", 20),  # WeChat Pay bill: leading backtick, 5 decimals of trailing zeros
    ("` 5", 500),
    ("12.30元", 1230),
    ("12.30 元", 1230),
    ("RMB 99", 9900),
    ("rmb99", 9900),
    ("CNY 1.5", 150),
    ("12.30 RMB", 1230),
    ("-¥12.30", -1230),  # sign before the currency mark
    ("¥-12.30", -1230),  # ... or after it
    ("+5", 500),
    ("(12.00)", -1200),  # accounting negative
    ("（12.00）", -1200),  # full-width parentheses
    ("１２．３４", 1234),  # full-width digits and point
    ("－５", -500),  # full-width minus
    ("−5", -500),  # U+2212 minus sign
    ("\u3000¥8.00\u3000", 800),  # ideographic space
    ("\xa012.00", 1200),  # no-break space (HTML exports)
    ("5\n", 500),
    (".5", 50),
    ("5.", 500),
    ("0", 0),
    ("-0.00", 0),
    ("1.050", 105),  # trailing zero after two decimals
    ("0.01", 1),
    ("92,233,720,368,547,758.07", I64_MAX),  # the largest int64 fen
    ("-92,233,720,368,547,758.08", -(2**63)),  # the smallest
    ("12345678901234567.89", 1234567890123456789),  # beyond the 16 digits of the fast path
    (Decimal("19.90"), 1990),
    (Decimal("1E+2"), 10000),  # 100 yuan in exponent form
    (Decimal("-0.500"), -50),
    (12, 1200),  # ints are whole yuan
    (np.int64(7), 700),
    (np.uint8(3), 300),
    (-3, -300),
    (12.3, 1230),  # repr(12.3) == "12.3"
    (0.1, 10),
    (np.float64(19.99), 1999),
    (np.float32(12.3), 1230),  # str(np.float32(12.3)) == "12.3"
    (1e15, 100000000000000000),
    (Fraction(1, 4), 25),
]


@pytest.mark.parametrize(("value", "fen"), TO_FEN_CASES)
def test_to_fen_scalar(value, fen):
    out = to_fen(value)
    assert out == fen
    assert type(out) is int


@pytest.mark.parametrize(("value", "fen"), TO_FEN_CASES)
def test_to_fen_vector_path_agrees_with_scalar(value, fen):
    # The same values through the factorized (and, for strings, pyarrow) vector path.
    out = to_fen(pd.Series([value, value, "1.00"], index=["x", "y", "z"], name="amt"))
    assert out.dtype == np.int64
    assert out.name == "amt"
    assert out.index.tolist() == ["x", "y", "z"]
    assert out.tolist() == [fen, fen, 100]


# (input, rule named in the message)
TO_FEN_ERRORS = [
    ("1.005", "more than 2 decimals"),
    ("0.001", "more than 2 decimals"),
    (Decimal("12.345"), "more than 2 decimals"),
    (0.1 + 0.2, "more than 2 decimals"),  # repr is 0.30000000000000004
    (Fraction(1, 3), "more than 2 decimals"),
    (float("nan"), "missing"),
    (np.nan, "missing"),
    (Decimal("NaN"), "missing"),
    (None, "missing"),
    (pd.NA, "missing"),
    ("", "blank"),
    ("   \t", "blank"),
    ("`", "blank"),
    ("abc", "not a number"),
    ("1,23", "not a number"),  # could be a decimal comma: refused, not guessed
    ("1 234", "not a number"),
    ("12.3.4", "not a number"),
    ("1e3", "not a number"),  # exponents are not read from strings
    ("--5", "not a number"),
    ("-+5", "not a number"),
    ("(-5)", "not a number"),
    ("(5", "not a number"),
    ("¥", "not a number"),
    ("元", "not a number"),
    ("()", "not a number"),
    ("N/A", "not a number"),
    (b"1.00", "not a number"),
    (pd.Timestamp("2026-01-01"), "not a number"),
    (float("inf"), "infinite"),
    (Decimal("-Infinity"), "infinite"),
    (True, "a bool is not an amount"),
    (np.True_, "a bool is not an amount"),
    ("92,233,720,368,547,758.08", "out of int64"),
    (1e20, "out of int64"),
    (2**62, "out of int64"),
    (Decimal("1E+999999999"), "out of int64"),
]


def shown(value) -> str:
    """How a message shows a value: its repr (numpy scalars as Python ones)."""
    return re.escape(repr(value.item() if isinstance(value, np.generic) else value))


@pytest.mark.parametrize(("value", "rule"), TO_FEN_ERRORS)
def test_to_fen_scalar_errors(value, rule):
    pattern = rf"^price: {shown(value)} is not an exact yuan amount \({rule}"
    with pytest.raises(MoneyError, match=pattern):
        to_fen(value, name="price")


@pytest.mark.parametrize(("value", "rule"), TO_FEN_ERRORS)
def test_to_fen_vector_errors_name_value_and_position(value, rule):
    pattern = rf"^price: 1 of 3 values .*: position 1: {shown(value)} \({rule}"
    with pytest.raises(MoneyError, match=pattern):
        to_fen(["1.00", value, "2.00"], name="price")


def test_to_fen_error_message_names_series_labels_and_caps_examples():
    s = pd.Series(["1.00", "x", "2.001", None] + ["9.999"] * 5, index=list("abcdefghi"))
    with pytest.raises(MoneyError) as info:
        to_fen(s, name="amount")
    msg = str(info.value)
    assert msg.startswith("amount: 8 of 9 values are not exact yuan amounts (rule: ")
    assert "index 'b': 'x' (not a number)" in msg
    assert "index 'c': '2.001' (more than 2 decimals)" in msg
    assert "index 'd': None (missing)" in msg or "index 'd': nan (missing)" in msg
    assert "index 'g'" not in msg  # only five examples ...
    assert msg.endswith("; and 3 more")  # ... and a count of the rest
    rows = info.value.rows  # every offending value, labelled
    assert rows.index.tolist() == list("bcdefghi")
    assert isinstance(info.value, MallkitError) and isinstance(info.value, ValueError)


def test_to_fen_bool_is_not_merged_with_one():
    # 1 == True hashes alike; factorize alone would read True as 1 yuan.
    with pytest.raises(MoneyError, match=r"position 1: True \(a bool is not an amount\)"):
        to_fen([1, True, "1"])
    with pytest.raises(MoneyError, match=r"2 of 2 .*index 0: True"):
        to_fen(pd.Series([True, False]))


def test_to_fen_containers():
    arr = to_fen(["1.00", Decimal("2.5"), 3, 4.25])
    assert isinstance(arr, np.ndarray) and arr.dtype == np.int64
    assert arr.tolist() == [100, 250, 300, 425]
    assert to_fen(("1", "2")).tolist() == [100, 200]
    assert to_fen([]).dtype == np.int64 and len(to_fen([])) == 0
    assert to_fen(np.array(["1.5", "3"])).tolist() == [150, 300]  # numpy unicode dtype
    assert to_fen(np.array([1.25, 0.1])).tolist() == [125, 10]
    assert to_fen(np.array(5)) == 500  # 0-d array is a scalar
    with pytest.raises(MoneyError, match="expected a 1-D array"):
        to_fen(np.zeros((2, 2)))


def test_to_fen_integer_dtypes_are_yuan():
    s = pd.Series([12, -3, 0], index=[10, 20, 30], name="price")
    out = to_fen(s)
    pd.testing.assert_series_equal(
        out, pd.Series([1200, -300, 0], index=[10, 20, 30], name="price")
    )
    assert to_fen(np.array([1, 2], dtype=np.uint16)).tolist() == [100, 200]
    assert to_fen(pd.Series([1, 2], dtype="Int64")).tolist() == [100, 200]
    with pytest.raises(MoneyError, match=r"index 1: (<NA>|nan) \(missing\)"):
        to_fen(pd.Series([1, None], dtype="Int64"))
    with pytest.raises(MoneyError, match=r"index 0: 4611686018427387904 \(out of int64"):
        to_fen(pd.Series([2**62]))


def test_to_fen_other_series_dtypes():
    assert to_fen(pd.Series(["1.5", "2", "1.5"], dtype="category")).tolist() == [150, 200, 150]
    assert to_fen(pd.Series([1.25, np.float64(0.1)])).tolist() == [125, 10]
    assert to_fen(pd.Series(["1.00", "2"], dtype=object)).tolist() == [100, 200]
    with pytest.raises(MoneyError, match="value: cannot read dtype datetime64"):
        to_fen(pd.Series(pd.to_datetime(["2026-01-01"])))
    with pytest.raises(MoneyError, match=r"index 1: nan \(missing\)"):
        to_fen(pd.Series([1.5, np.nan]))


def test_to_fen_does_not_mutate(not_mutated):
    s = pd.Series([" 1.00", "`2.50", "¥3"], index=list("abc"), name="x")
    out = not_mutated(to_fen, s)
    assert out.tolist() == [100, 250, 300]


def test_to_fen_many_rows_few_distinct():
    # 200k rows of 4 distinct strings: each distinct value is parsed once.
    values = np.tile(np.array(["1,234.50", "¥0.01", "`8.00", "(2.00)"], dtype=object), 50_000)
    out = to_fen(pd.Series(values))
    assert out.tolist()[:4] == [123450, 1, 800, -200]
    assert int(out.sum()) == 50_000 * (123450 + 1 + 800 - 200)


def test_to_fen_many_distinct_strings():
    # Distinct amounts through the pyarrow fast path, checked against integer arithmetic.
    fen = np.arange(-50_000, 150_000, 7, dtype=np.int64) * 13
    text = [f"¥{f / 100:,.2f}" if f >= 0 else f"-¥{-f / 100:,.2f}" for f in fen.tolist()]
    assert to_fen(text).tolist() == fen.tolist()


fens = st.integers(min_value=-(2**63), max_value=I64_MAX)


@given(fens)
def test_to_fen_round_trips_fen_to_yuan(f):
    assert to_fen(fen_to_yuan(f)) == f
    assert to_fen(fen_to_yuan(f, symbol="", thousands=False)) == f
    assert to_fen(fen_to_decimal(f)) == f
    assert to_fen(str(fen_to_decimal(f))) == f


@given(st.integers(-(10**15), 10**15), st.integers(1, 9), st.integers(0, 3))
def test_to_fen_refuses_a_nonzero_third_decimal(f, third, zeros):
    text = f"{fen_to_decimal(f)}{third}{'0' * zeros}"  # e.g. "12.345", "-0.0120"
    with pytest.raises(MoneyError, match="more than 2 decimals"):
        to_fen(text)
    with pytest.raises(MoneyError, match="more than 2 decimals"):
        to_fen(Decimal(text))


amount_text = st.text(alphabet="0123456789.,-+¥￥元`() \t", max_size=14)


@given(st.lists(amount_text, min_size=1, max_size=20))
def test_to_fen_vector_equals_scalar_on_arbitrary_text(texts):
    # The vectorised path (pyarrow fast path + per-value fallback) must read exactly
    # what the scalar parser reads, and refuse exactly what it refuses.
    expected = []
    for t in texts:
        try:
            expected.append(to_fen(t))
        except MoneyError:
            expected.append(None)
    if None in expected:
        with pytest.raises(MoneyError, match=f"position {expected.index(None)}: "):
            to_fen(texts)
    else:
        assert to_fen(texts).tolist() == expected


# ---------------------------------------------------------------------------------------
# fen_to_yuan / fen_to_decimal
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "kw", "text"),
    [
        (123450, {}, "¥1,234.50"),
        (-1230, {}, "-¥12.30"),
        (0, {}, "¥0.00"),
        (5, {}, "¥0.05"),
        (-5, {}, "-¥0.05"),
        (100, {}, "¥1.00"),
        (123456789, {"thousands": False}, "¥1234567.89"),
        (123456789, {"symbol": ""}, "1,234,567.89"),
        (-99, {"symbol": "RMB "}, "-RMB 0.99"),
        (np.int64(1999), {}, "¥19.99"),
        (I64_MAX, {}, "¥92,233,720,368,547,758.07"),
        (-(2**63), {}, "-¥92,233,720,368,547,758.08"),
    ],
)
def test_fen_to_yuan(fen, kw, text):
    assert fen_to_yuan(fen, **kw) == text


def test_fen_to_yuan_containers():
    s = pd.Series([100, -1000000, 100], index=["a", "b", "c"], name="paid_fen")
    out = fen_to_yuan(s)
    assert out.dtype == "str" and out.name == "paid_fen" and out.index.tolist() == ["a", "b", "c"]
    assert out.tolist() == ["¥1.00", "-¥10,000.00", "¥1.00"]
    assert fen_to_yuan([1, 2]).tolist() == ["¥0.01", "¥0.02"]
    assert fen_to_yuan([]).tolist() == []
    dec = fen_to_decimal(pd.Series([1230, -5]))
    assert dec.tolist() == [Decimal("12.30"), Decimal("-0.05")]
    assert str(fen_to_decimal(100)) == "1.00"


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        (1.5, r"fen must be an integer, got 1\.5 \(float\)"),
        (True, r"got True \(bool\)"),
        ("12", r"got '12' \(str\)"),
        ([1.5], "fen must be integers, got dtype float64"),
        (pd.Series([1, None], dtype="Int64"), r"fen must not be missing; missing 1: index 1"),
    ],
)
def test_fen_to_yuan_refuses_non_integers(bad, pattern):
    with pytest.raises(MoneyError, match=pattern):
        fen_to_yuan(bad)
    with pytest.raises(MoneyError, match=pattern):
        fen_to_decimal(bad)


# ---------------------------------------------------------------------------------------
# allocate: hand-computed cases
# ---------------------------------------------------------------------------------------


def hamilton(total: int, weights, tie_break: str = "first") -> list[int]:
    """Naive exact largest remainder, one item at a time with Fractions (the reference)."""
    if total < 0:
        return [-x for x in hamilton(-total, weights, tie_break)]
    wsum = sum(Fraction(w) for w in weights)
    share = [Fraction(total) * Fraction(w) / wsum for w in weights]
    parts = [math.floor(q) for q in share]
    sign = 1 if tie_break == "first" else -1
    by_remainder = sorted(range(len(share)), key=lambda i: (-(share[i] - parts[i]), sign * i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


@pytest.mark.parametrize(
    ("total", "weights", "kw", "expected"),
    [
        # Promotions reference (macrozheng/mall #356): 10 yuan off three 10-yuan lines.
        # 1000 * 1000/3000 = 333 1/3 each; 1 fen left, equal remainders -> first line.
        (1000, [1000, 1000, 1000], {}, [334, 333, 333]),
        (1000, [1000, 1000, 1000], {"tie_break": "last"}, [333, 333, 334]),
        # 10/3 = 3 1/3 each: floors 3+3+3 = 9, one left.
        (10, [1, 1, 1], {}, [4, 3, 3]),
        (-10, [1, 1, 1], {}, [-4, -3, -3]),  # == -allocate(10, ...)
        # 100 * 1/3 = 33.33, 100 * 2/3 = 66.67: floors 33 + 66 = 99; larger remainder 2/3.
        (100, [1, 2], {}, [33, 67]),
        # Shares exact: no leftover; zero weights get 0.
        (7, [0, 2, 0, 5], {}, [0, 2, 0, 5]),
        # 101 * (0.5, 0.25, 0.25) = 50.5, 25.25, 25.25: floors 100, remainder .5 wins.
        (101, [0.5, 0.25, 0.25], {}, [51, 25, 25]),
        # Integral floats take the exact integer path.
        (1000, [1000.0, 1000.0, 1000.0], {}, [334, 333, 333]),
        (0, [0, 0], {}, [0, 0]),
        (0, [], {}, []),
        (10, [0, 0, 0], {"if_all_zero": "equal"}, [4, 3, 3]),
        (5, [3], {}, [5]),
        # Alabama paradox (Hamilton method, votes 1500:1500:900:500:500:200, total 5100).
        # 25 seats: 25*v mod 5100 = 1800, 1800, 2100, 2300, 2300, 5000 over floors
        # 7, 7, 4, 2, 2, 0 (sum 22) -> the 3 left go to 200 and both 500s.
        (25, [1500, 1500, 900, 500, 500, 200], {}, [7, 7, 4, 3, 3, 1]),
        # 26 seats: remainders 3300, 3300, 3000, 2800, 2800, 100 over floors 7, 7, 4, 2,
        # 2, 1 (sum 23) -> the 3 left go to 1500, 1500, 900: the 500s drop from 3 to 2.
        (26, [1500, 1500, 900, 500, 500, 200], {}, [8, 8, 5, 2, 2, 1]),
    ],
)
def test_allocate_hand_computed(total, weights, kw, expected):
    out = allocate(total, weights, **kw)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    assert out.tolist() == expected


def test_allocate_accepts_series_and_unsigned_weights():
    w = pd.Series([1, 2], index=["x", "y"])
    assert allocate(100, w).tolist() == [33, 67]
    assert allocate(7, np.array([1, 2], dtype=np.uint64)).tolist() == [2, 5]  # 7/3, 14/3
    assert allocate(np.int64(100), pd.Series([1.0, None, 2.0]).fillna(0)).tolist() == [33, 0, 67]


def test_allocate_overflowing_products_stay_exact():
    # total * weight exceeds int64: Python-int arithmetic, checked against Fractions.
    total, weights = 2**62, [2**40, 2**40 + 1, 3]
    assert allocate(total, weights).tolist() == hamilton(total, weights)
    # max weight * count overflows int64 but the sum fits: still exact.
    total, weights = 48038396025285290, [1, 1, 3074457345618258603]
    assert allocate(total, weights).tolist() == hamilton(total, weights)
    # The weight sum itself overflows int64: float shares, still summing exactly.
    out = allocate(2**62, [2**62, 2**62])
    assert out.tolist() == [2**61, 2**61]


def test_allocate_float_error_on_huge_totals_stays_safe():
    # float64 cannot hold this total to the fen: the float floors overshoot it (found by
    # hypothesis). The parts must still be non-negative and sum exactly.
    total = 24_516_062_696_759_462
    out = allocate(total, [1.0, 9.223372036854776e18])
    assert int(out.sum()) == total
    assert (out >= 0).all()
    assert out[0] in (0, 1)  # exact share 0.0027


@pytest.mark.parametrize(
    ("args", "kw", "pattern"),
    [
        ((10, [1, -1, 2]), {}, r"weights must be >= 0; negative 1: position 1 \(-1\)"),
        (
            (10, pd.Series([1, -2], index=["x", "y"])),
            {},
            r"weights must be >= 0; negative 1: index 'y' \(-2\)",
        ),
        (
            (10, [1, np.nan, np.inf]),
            {},
            r"finite; NaN or infinite 2: position 1 \(nan\), position 2 \(inf\)",
        ),
        ((10, [0, 0]), {}, r"cannot split 10 fen over zero weights \(all 2 weights are 0\)"),
        ((1000, [0.0, 0.0, 0.0]), {}, "cannot split 1000 fen over zero weights"),
        ((10, []), {}, "cannot split 10 fen over no weights"),
        ((10.0, [1]), {}, r"total must be an integer number of fen, got 10\.0 \(float\)"),
        ((True, [1]), {}, "got True"),
        ((2**63, [1]), {}, "outside the int64 fen range"),
        ((10, ["a"]), {}, "weights must be numbers"),
        ((10, [True, False]), {}, "weights must be numbers, got dtype bool"),
        ((10, [[1, 2]]), {}, r"weights must be 1-D, got shape \(1, 2\)"),
        ((10, [1]), {"tie_break": "random"}, "tie_break must be 'first' or 'last'"),
        ((10, [1]), {"if_all_zero": "skip"}, "if_all_zero must be 'raise' or 'equal'"),
    ],
)
def test_allocate_errors(args, kw, pattern):
    with pytest.raises(AllocationError, match=pattern):
        allocate(*args, **kw)


# ---------------------------------------------------------------------------------------
# allocate with groups
# ---------------------------------------------------------------------------------------


def test_allocate_grouped_hand_computed():
    groups = ["O1", "O1", "O1", "O2", "O2"]
    weights = [1000, 1000, 1000, 0, 2]
    # O1: 1000 off over three equal lines -> 334/333/333; O2: -7 all on the only weighted line.
    expected = [334, 333, 333, 0, -7]
    by_series = allocate(pd.Series({"O1": 1000, "O2": -7}), weights, groups=groups)
    by_dict = allocate({"O2": -7, "O1": 1000}, weights, groups=groups)
    by_row = allocate([1000, 1000, 1000, -7, -7], weights, groups=groups)
    by_array = allocate(np.array([1000, 1000, 1000, -7, -7]), weights, groups=pd.Series(groups))
    for out in (by_series, by_dict, by_row, by_array):
        assert out.tolist() == expected
    # Zero totals need no weights; interleaved groups keep row alignment.
    out = allocate({1: 0, 2: 5}, [0, 1, 0, 4], groups=[1, 2, 1, 2])
    assert out.tolist() == [0, 1, 0, 4]


@pytest.mark.parametrize(
    ("total", "weights", "groups", "kw", "pattern"),
    [
        ({"a": 1}, [1, 1], ["a", "b"], {}, r"total has no amount for 1 group\(s\).*\['b'\]"),
        (
            {"a": 1, "b": 2, "c": 5},
            [1, 1],
            ["a", "b"],
            {},
            r"1 group\(s\) with a non-zero total have no rows .* \{'c': 5\}",
        ),
        ([1, 2], [1, 1], ["a", "a"], {}, r"constant within each group.*\{'a': \[1, 2\]\}"),
        ([1, 1, 1], [1, 1], ["a", "a"], {}, r"total \(per row\) has length 3"),
        (5, [1, 1], ["a", "a"], {}, "with groups, total must be a Series or dict"),
        (
            {"a": 5, "b": 3},
            [0, 0, 1],
            ["a", "a", "b"],
            {},
            r"zero weights in 1 group\(s\) \(group: total\) \{'a': 5\}",
        ),
        ({"a": 5}, [1, 1], ["a", None], {}, r"groups must not be missing; missing 1: position 1"),
        ({"a": 5}, [1], ["a", "a"], {}, "groups has shape"),
        (pd.Series([1.5], index=["a"]), [1], ["a"], {}, "total must be integer fen"),
        (pd.Series([1, 2], index=["a", "a"]), [1], ["a"], {}, "labels must be unique"),
    ],
)
def test_allocate_grouped_errors(total, weights, groups, kw, pattern):
    with pytest.raises(AllocationError, match=pattern):
        allocate(total, weights, groups=groups, **kw)


def test_allocate_grouped_if_all_zero_equal():
    out = allocate({"a": 5, "b": 3}, [0, 0, 1], groups=["a", "a", "b"], if_all_zero="equal")
    assert out.tolist() == [3, 2, 3]  # 5 over two equal lines: 2.5 each, first gets the fen


def test_allocate_grouped_large():
    # 200k lines in 80k orders: every order's total is reproduced exactly.
    rng = np.random.default_rng(7)
    n, g = 200_000, 80_000
    groups = np.sort(rng.integers(0, g, n))
    labels = np.unique(groups)
    totals = pd.Series(rng.integers(-5_000, 50_000, len(labels)), index=labels)
    weights = rng.integers(1, 100_000, n)
    out = allocate(totals, weights, groups=groups)
    sums = pd.Series(out).groupby(groups).sum()
    pd.testing.assert_series_equal(sums, totals, check_names=False)


def test_allocate_does_not_mutate(not_mutated):
    weights = pd.Series([3, 0, 1], index=["a", "b", "c"])
    total = pd.Series({"O1": 10, "O2": 4})
    groups = pd.Series(["O1", "O1", "O2"])
    out = not_mutated(lambda t, w, g: allocate(t, w, groups=g), total, weights, groups)
    assert out.tolist() == [10, 0, 4]
    arr = np.array([0.0, 0.0, 2.0])
    before = arr.copy()
    allocate(4, arr, if_all_zero="equal")
    allocate(4, np.zeros(3), if_all_zero="equal")
    np.testing.assert_array_equal(arr, before)


# ---------------------------------------------------------------------------------------
# allocate: properties
# ---------------------------------------------------------------------------------------

int_weights = st.lists(st.integers(0, 10**6), min_size=1, max_size=25)
totals = st.integers(-(10**9), 10**9)


def exact_shares(total, weights):
    wsum = sum(Fraction(w) for w in weights)
    return [Fraction(total) * Fraction(w) / wsum for w in weights]


@given(totals, int_weights, st.sampled_from(["first", "last"]))
def test_allocate_matches_exact_reference(total, weights, tie_break):
    assume(any(weights) or total == 0)
    if not any(weights):
        assert allocate(total, weights).tolist() == [0] * len(weights)
        return
    out = allocate(total, weights, tie_break=tie_break)
    assert out.tolist() == hamilton(total, weights, tie_break)


@given(totals, int_weights)
def test_allocate_invariants_integer_weights(total, weights):
    assume(any(weights))
    out = allocate(total, weights)
    assert int(out.sum()) == total
    for part, q in zip(out.tolist(), exact_shares(total, weights), strict=True):
        assert part in (math.floor(q), math.ceil(q))
    assert allocate(-total, weights).tolist() == (-out).tolist()


@given(
    st.integers(-(10**12), 10**12),
    st.lists(
        st.floats(0, 1e6, allow_nan=False, allow_infinity=False) | st.integers(0, 1000),
        min_size=1,
        max_size=25,
    ),
)
def test_allocate_invariants_float_weights(total, weights):
    assume(sum(weights) > 0)
    out = allocate(total, np.array(weights, dtype=float))
    assert out.dtype == np.int64
    assert int(out.sum()) == total
    for part, q in zip(out.tolist(), exact_shares(total, weights), strict=True):
        assert part in (math.floor(q), math.ceil(q))


@given(totals, int_weights, st.randoms(use_true_random=False))
def test_allocate_permutation_invariant_up_to_ties(total, weights, rnd):
    assume(any(weights))
    perm = list(range(len(weights)))
    rnd.shuffle(perm)
    out = allocate(total, weights)
    out_perm = allocate(total, [weights[i] for i in perm])
    back = np.empty_like(out_perm)
    back[perm] = out_perm
    # Only the tie-break looks at positions: among items whose exact shares have equal
    # fractional parts, the same number is rounded up; every other item keeps its part.
    shares = exact_shares(total, weights)
    ups, ups_back = out - [math.floor(q) for q in shares], back - [math.floor(q) for q in shares]
    for r in {q - math.floor(q) for q in shares}:
        members = [i for i, q in enumerate(shares) if q - math.floor(q) == r]
        assert ups[members].sum() == ups_back[members].sum()
        if len(members) == 1:
            assert out[members[0]] == back[members[0]]


grouped_rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 1000)),
    min_size=1,
    max_size=40,
)


@given(grouped_rows, st.lists(totals, min_size=5, max_size=5), st.sampled_from(["first", "last"]))
def test_allocate_grouped_equals_per_group_loop(rows, group_totals, tie_break):
    labels = [g for g, _ in rows]
    weights = [w for _, w in rows]
    totals_by_group = dict(zip("abcde", group_totals, strict=True))
    for g in "abcde":  # a group without weight can only carry a zero total
        if not any(w for lab, w in rows if lab == g):
            totals_by_group[g] = 0
    present = {g: t for g, t in totals_by_group.items() if g in labels}
    out = allocate(pd.Series(present), weights, groups=labels, tie_break=tie_break)
    # Reference: loop over groups, exact Hamilton on each group's rows in row order.
    expected = [0] * len(rows)
    for g, t in present.items():
        idx = [i for i, lab in enumerate(labels) if lab == g]
        ws = [weights[i] for i in idx]
        parts = hamilton(t, ws, tie_break) if any(ws) else [0] * len(ws)
        for i, p in zip(idx, parts, strict=True):
            expected[i] = p
    assert out.tolist() == expected
    # The per-row form of total gives the same answer.
    per_row = np.array([present[lab] for lab in labels], dtype=np.int64)
    assert allocate(per_row, weights, groups=labels, tie_break=tie_break).tolist() == expected


@given(st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=20),
       st.integers(0, 1_000_000))
def test_fen_at_rate_is_decimal_half_up(amounts, ppm):
    from decimal import ROUND_HALF_UP, Decimal

    from mallkit.money import fen_at_rate

    # Independent: Decimal arithmetic, half up (away from zero), sign of the amount.
    rate = Decimal(ppm) / Decimal(1_000_000)
    exp = [int((Decimal(a) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for a in amounts]
    assert fen_at_rate(amounts, ppm=ppm).tolist() == exp
