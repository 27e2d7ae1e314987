"""Exact money: yuan text in, integer fen out, and integer splits that add up.

Conventions
-----------
* Money is an integer number of **fen** (分, 1/100 yuan) held in ``int64`` columns named
  ``*_fen``. It is never held in a float: ``0.1 + 0.2 != 0.3`` is a reconciliation break.
* :func:`to_fen` is the one door from the outside world. It reads what real exports
  contain (``"1,234.50"``, ``"¥12.3"``, ``"  8.00\\t"``, WeChat's ``"`0.20000"``,
  ``Decimal``, ``int``) through :class:`decimal.Decimal` or integer arithmetic, never
  through float, and refuses anything that is not a whole number of fen rather than
  rounding it. Its input is in **yuan**: ``to_fen(12) == 1200``.
* :func:`fen_to_yuan` and :func:`fen_to_decimal` go back to yuan for display, with
  ``divmod`` on integers.
* :func:`allocate` splits an integer total into integer parts proportional to weights
  (largest remainder, Hamilton's method) that sum exactly to the total, per group if
  asked (order-level discounts onto order lines).

Errors are :class:`mallkit.errors.MoneyError` (values that are not money) and
:class:`mallkit.errors.AllocationError` (splits that cannot be made); their messages
name the argument, the rule and up to five offending values with their positions
(index labels for a Series).

Examples
--------
>>> from mallkit.money import allocate, fen_to_yuan, to_fen
>>> to_fen("¥1,234.50")
123450
>>> fen_to_yuan(allocate(1000, [1000, 1000, 1000]))  # 10 yuan off three 10-yuan lines
array(['¥3.34', '¥3.33', '¥3.33'], dtype=object)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd

try:  # pyarrow (a dependency of mallkit) only speeds up to_fen on many distinct strings
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover
    pa = pc = None
from pandas.api import types as pdt

from mallkit.errors import AllocationError, MoneyError

__all__ = ["allocate", "fen_at_rate", "fen_to_decimal", "fen_to_yuan", "to_fen"]

MAX_EXAMPLES = 5
_I64_MAX = int(np.iinfo(np.int64).max)
_I64_MIN = int(np.iinfo(np.int64).min)

# -- to_fen --------------------------------------------------------------------------------

# Full-width digits, point, comma, signs and parentheses (CJK spreadsheets, IMEs) -> ASCII;
# U+2212 is the typographic minus sign.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋−（）", "0123456789.,-+-()")
# One optional sign (before or after the currency mark) or parentheses, an optional
# currency mark before or unit after, and a number with optional strict thousands commas.
# "1,23" is refused: it could be a European decimal comma, and guessing would be wrong.
_AMOUNT = re.compile(
    r"""
    (?P<lp>\()?\s*
    (?P<s1>[+-])?\s*
    (?:[¥￥]|RMB|CNY)?\s*
    (?P<s2>[+-])?\s*
    (?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)
    (?:\.(?P<frac>[0-9]*))?
    \s*(?:元|RMB|CNY)?\s*
    (?P<rp>\))?
    """,
    re.VERBOSE | re.IGNORECASE,
)


# The plain formats in RE2 syntax for the vectorised fast path (see _fast_str_to_fen).
_FAST_AMOUNT = (
    r"^\s*`?\s*(?P<s1>[+-]?)\s*(?:¥|￥)?\s*(?P<s2>[+-]?)\s*"
    r"(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]{0,2})0*)?\s*(?:元)?\s*$"
)


class _Bad(Exception):
    """Internal: why one value is not money (becomes part of a MoneyError message)."""


def _decimal_to_fen(d: Decimal) -> int:
    """Exact fen of a finite Decimal number of yuan, or raise ``_Bad``."""
    if d.is_nan():
        raise _Bad("missing (NaN)")
    if d.is_infinite():
        raise _Bad("infinite")
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    n = int("".join(map(str, digits))) if digits else 0
    shift = exponent + 2  # yuan -> fen is 10**2
    if n == 0:
        return 0
    if shift >= 0:
        if len(digits) + shift > 19:  # guard before building a huge power of ten
            raise _Bad("out of int64 fen range")
        fen = n * 10**shift
    else:
        fen, rest = divmod(n, 10**-shift)
        if rest:
            raise _Bad("more than 2 decimals")
    fen = -fen if sign else fen
    if not _I64_MIN <= fen <= _I64_MAX:
        raise _Bad("out of int64 fen range")
    return fen


def _str_to_fen(s: str) -> int:
    t = s.translate(_FULLWIDTH).strip()
    if t.startswith("`"):  # WeChat Pay bills prefix numbers with a backtick
        t = t[1:].strip()
    if not t:
        raise _Bad("blank")
    m = _AMOUNT.fullmatch(t)
    if m is None:
        raise _Bad("not a number")
    int_part, frac = m["int"], m["frac"] or ""
    signs = [x for x in (m["s1"], m["s2"]) if x]
    if (
        not (int_part or frac)
        or bool(m["lp"]) != bool(m["rp"])
        or len(signs) > 1
        or (m["lp"] and signs)
    ):
        raise _Bad("not a number")
    negative = bool(m["lp"]) or signs == ["-"]
    d = Decimal(f"{'-' if negative else ''}{int_part.replace(',', '') or '0'}.{frac or '0'}")
    return _decimal_to_fen(d)


def _one_to_fen(v: Any) -> int:
    """Exact fen of one yuan value, or raise ``_Bad`` saying why not."""
    if isinstance(v, bool | np.bool_):
        raise _Bad("a bool is not an amount")
    if isinstance(v, int | np.integer):
        fen = int(v) * 100
        if not _I64_MIN <= fen <= _I64_MAX:
            raise _Bad("out of int64 fen range")
        return fen
    if isinstance(v, str):
        return _str_to_fen(v)
    if isinstance(v, Decimal):
        return _decimal_to_fen(v)
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            raise _Bad("missing (NaN)")
        # The shortest repr that round-trips: 12.3 -> "12.3", 0.1 + 0.2 -> "0.30000000000000004"
        # (np.float64 is a float whose repr reads "np.float64(...)"; float32 prints shortest.)
        text = repr(float(v)) if isinstance(v, float) else str(v)
        return _decimal_to_fen(Decimal(text))
    if isinstance(v, Fraction):
        if (v * 100).denominator != 1:
            raise _Bad("more than 2 decimals")
        if not _I64_MIN <= v * 100 <= _I64_MAX:
            raise _Bad("out of int64 fen range")
        return int(v * 100)
    if v is None or v is pd.NA or v is pd.NaT:
        raise _Bad("missing")
    raise _Bad(f"not a number ({type(v).__name__})")


def _show(v: Any) -> str:
    return repr(_py(v))


def _where(i: int, labels: pd.Index | None) -> str:
    return f"position {i}" if labels is None else f"index {labels[i]!r}"


def _positions(mask: np.ndarray, values: Any, labels: pd.Index | None) -> str:
    """``"3: position 1 (-1.0), position 4 (nan) ..."``: count and up to 5 examples."""
    idx = np.flatnonzero(mask)
    shown = ", ".join(f"{_where(int(i), labels)} ({_show(values[i])})" for i in idx[:MAX_EXAMPLES])
    more = f" and {len(idx) - MAX_EXAMPLES} more" if len(idx) > MAX_EXAMPLES else ""
    return f"{len(idx)}: {shown}{more}"


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _all_str(uniques: Any) -> bool:
    return isinstance(uniques.dtype, pd.StringDtype) or (
        uniques.dtype == object and pdt.infer_dtype(uniques, skipna=False) == "string"
    )


def _fast_str_to_fen(strings: Any) -> tuple[np.ndarray, np.ndarray]:
    """Fen of strings in the plain formats, vectorised with pyarrow, and a mask of those read.

    A fast path only: it reads a subset of what :func:`_str_to_fen` reads (ASCII space,
    backtick, one sign, ``¥``, commas, up to 16 integer digits, ``元``), with integer
    arithmetic and the same results; everything else is left to the exact per-value parser,
    which also writes the error messages.
    """
    arr = pa.array(strings.array if isinstance(strings, pd.Index) else strings, type=pa.string())
    m = pc.extract_regex(arr, _FAST_AMOUNT)
    s1, s2, int_part, frac = (pc.struct_field(m, [k]) for k in range(4))
    digits = pc.replace_substring(int_part, ",", "")
    both_signs = pc.and_(pc.not_equal(s1, ""), pc.not_equal(s2, ""))
    ok = pc.fill_null(
        pc.and_(pc.less_equal(pc.utf8_length(digits), 16), pc.invert(both_signs)), False
    )
    yuan = pc.cast(pc.if_else(ok, digits, "0"), pa.int64())
    cents = pc.cast(pc.if_else(ok, pc.utf8_rpad(pc.fill_null(frac, ""), 2, "0"), "0"), pa.int64())
    fen = pc.add(pc.multiply(yuan, 100), cents).to_numpy()
    negative = pc.fill_null(pc.or_(pc.equal(s1, "-"), pc.equal(s2, "-")), False)
    negative = negative.to_numpy(zero_copy_only=False)
    return np.where(negative, -fen, fen), ok.to_numpy(zero_copy_only=False)


def _array_to_fen(arr: Any, labels: pd.Index | None, name: str) -> np.ndarray:
    """Vectorised core of :func:`to_fen` for a 1-D array or Series (positional)."""
    n = len(arr)
    dtype = arr.dtype
    if pdt.is_bool_dtype(dtype):
        values = np.asarray(arr, dtype=object)
        _raise_bad(name, np.ones(n, bool), values, labels, lambda i: "a bool is not an amount")
    if pdt.is_integer_dtype(dtype) and not (isinstance(arr, pd.Series) and arr.hasnans):
        ints = np.asarray(arr, dtype=np.int64 if pdt.is_signed_integer_dtype(dtype) else None)
        limit = _I64_MAX // 100
        over = (ints > limit) if ints.dtype.kind == "u" else (ints > limit) | (ints < -limit)
        if over.any():
            values = np.asarray(arr, dtype=object)
            _raise_bad(name, over, values, labels, lambda i: "out of int64 fen range")
        return ints.astype(np.int64) * 100
    if not (pdt.is_numeric_dtype(dtype) or pdt.is_string_dtype(dtype)) and not isinstance(
        dtype, pd.CategoricalDtype
    ):  # object dtype counts as string here
        raise MoneyError(f"{name}: cannot read dtype {dtype} as yuan amounts")

    values = arr.to_numpy() if isinstance(arr, pd.Series) else arr
    try:
        codes, uniques = pd.factorize(arr if isinstance(arr, pd.Series) else values)
    except TypeError:  # unhashable items, Decimal('sNaN'): fall back to one code per row
        codes, uniques = np.arange(n), np.asarray(values, dtype=object)
    # 1 == True and 0 == False hash alike, so factorize would merge them: find bools first.
    is_bool = None
    if values.dtype == object and pdt.infer_dtype(values, skipna=True) in (
        "boolean",
        "mixed",
        "mixed-integer",
    ):
        is_bool = np.fromiter((isinstance(x, bool | np.bool_) for x in values), bool, n)
        if not is_bool.any():
            is_bool = None

    fen_u = np.zeros(len(uniques), dtype=np.int64)
    todo = range(len(uniques))
    if pc is not None and len(uniques) and _all_str(uniques):
        fen_fast, ok = _fast_str_to_fen(uniques)
        fen_u[ok] = fen_fast[ok]
        todo = np.flatnonzero(~ok)
    why_u: dict[int, str] = {}
    for k in todo:
        try:
            fen_u[k] = _one_to_fen(uniques[k])
        except _Bad as e:
            why_u[int(k)] = str(e)
    bad = codes < 0
    if why_u:
        bad_u = np.zeros(len(uniques), dtype=bool)
        bad_u[list(why_u)] = True
        bad |= bad_u[codes]
    if is_bool is not None:
        bad |= is_bool
    if bad.any():

        def reason(i: int) -> str:
            if is_bool is not None and is_bool[i]:
                return "a bool is not an amount"
            return "missing" if codes[i] < 0 else why_u[int(codes[i])]

        _raise_bad(name, bad, values, labels, reason)
    return fen_u[codes] if len(uniques) else np.zeros(n, dtype=np.int64)


def _raise_bad(name: str, bad: np.ndarray, values: Any, labels: pd.Index | None, reason) -> None:
    """Raise the MoneyError of a vector: rule, count, up to 5 examples; ``.rows`` has all."""
    idx = np.flatnonzero(bad)
    shown = "; ".join(
        f"{_where(int(i), labels)}: {_show(values[i])} ({reason(int(i))})"
        for i in idx[:MAX_EXAMPLES]
    )
    more = f"; and {len(idx) - MAX_EXAMPLES} more" if len(idx) > MAX_EXAMPLES else ""
    err = MoneyError(
        f"{name}: {len(idx)} of {len(bad)} values are not exact yuan amounts (rule: a whole "
        f"number of fen, at most 2 non-zero decimals, no missing/NaN/blank/garbage): "
        f"{shown}{more}"
    )
    err.rows = pd.Series(  # type: ignore[attr-defined]
        np.asarray(values, dtype=object)[idx],
        index=labels[idx] if labels is not None else idx,
        name=name,
        dtype=object,
    )
    raise err


def to_fen(values: Any, /, *, name: str = "value") -> Any:
    """Read yuan amounts exactly as integer fen.

    Parameters
    ----------
    values : str, int, Decimal, float, Fraction, list, tuple, numpy.ndarray or pandas.Series
        Amounts in **yuan**. Strings may carry surrounding whitespace and tabs, a leading
        backtick (WeChat Pay bills), ``¥``/``￥``/``RMB``/``CNY`` before or ``元`` after
        the number, thousands commas in groups of three, a ``+``/``-`` sign or
        parentheses for a negative (``"(12.00)"``), and full-width digits, point and
        minus. Trailing zeros beyond two decimals are fine (``"0.20000"`` is 20 fen).
        Integers (and integer dtypes) are whole yuan: ``12`` is 1200 fen. A float is read
        through its shortest ``repr`` (``12.3`` is ``"12.3"``), so only floats that
        print with at most two decimals are accepted; ``0.1 + 0.2`` is refused.
    name : str, default "value"
        What the values are (a column or argument name), for error messages.

    Returns
    -------
    int, numpy.ndarray or pandas.Series
        A Python ``int`` for a scalar, an ``int64`` array for a list/tuple/array, an
        ``int64`` Series with the same index and name for a Series.

    Raises
    ------
    MoneyError
        On a non-zero third decimal, NaN/None/blank, infinity, bools, garbage, exponents
        in strings (``"1e3"``) or results outside ``int64``. The message names ``name``,
        the rule and up to five offending values with their positions (index labels for
        a Series); ``error.rows`` holds all of them.

    Notes
    -----
    A Series or array is factorized first and each distinct value parsed once, so a
    million rows holding a few thousand distinct amounts cost a few thousand parses.
    Distinct strings in the plain formats are read in bulk by a pyarrow regex with
    integer arithmetic; the others one by one through ``Decimal``.

    Examples
    --------
    >>> to_fen("1,234.50"), to_fen("`0.20000"), to_fen("(12.00)"), to_fen(12)
    (123450, 20, -1200, 1200)
    >>> to_fen(["¥12.3", "  8.00\\t", "１２．３４元"])
    array([1230,  800, 1234])
    >>> to_fen(pd.Series(["1.00", "1.005"], index=["a", "b"]), name="price")
    Traceback (most recent call last):
    ...
    mallkit.errors.MoneyError: price: 1 of 2 values are not exact yuan amounts (rule: ...:
    index 'b': '1.005' (more than 2 decimals)
    """
    if isinstance(values, pd.Series):
        out = _array_to_fen(values, values.index, name)
        return pd.Series(out, index=values.index, name=values.name, dtype=np.int64)
    if isinstance(values, list | tuple):
        values = np.array(values, dtype=object) if len(values) else np.zeros(0, np.int64)
        if values.ndim != 1:
            raise MoneyError(f"{name}: expected a 1-D sequence of amounts, got {values.shape}")
    if isinstance(values, np.ndarray):
        if values.ndim == 0:
            values = values.item()
        elif values.ndim != 1:
            raise MoneyError(f"{name}: expected a 1-D array of amounts, got shape {values.shape}")
        else:
            return _array_to_fen(values, None, name)
    try:
        return _one_to_fen(values)
    except _Bad as e:
        raise MoneyError(
            f"{name}: {_show(values)} is not an exact yuan amount ({e}; rule: a whole number of "
            f"fen, at most 2 non-zero decimals)"
        ) from None


# -- fen -> yuan ---------------------------------------------------------------------------


def _check_fen_array(arr: Any, labels: pd.Index | None, name: str) -> np.ndarray:
    dtype = arr.dtype
    if pdt.is_bool_dtype(dtype) or not pdt.is_integer_dtype(dtype):
        raise MoneyError(
            f"{name}: fen must be integers, got dtype {dtype}; convert yuan with to_fen first"
        )
    if isinstance(arr, pd.Series) and arr.hasnans:
        shown = _positions(np.asarray(arr.isna()), arr.to_numpy(object), labels)
        raise MoneyError(f"{name}: fen must not be missing; missing {shown}")
    ints = np.asarray(arr)
    if ints.dtype.kind == "u" and len(ints) and ints.max() > _I64_MAX:
        raise MoneyError(f"{name}: fen outside the int64 range")
    return ints.astype(np.int64)


def _check_fen_scalar(fen: Any, name: str) -> int:
    if isinstance(fen, bool | np.bool_) or not isinstance(fen, int | np.integer):
        raise MoneyError(
            f"{name}: fen must be an integer, got {fen!r} ({type(fen).__name__}); "
            "convert yuan with to_fen first"
        )
    return int(fen)


def _format_fen(f: int, symbol: str, thousands: bool) -> str:
    yuan, cents = divmod(abs(f), 100)
    digits = f"{yuan:,}" if thousands else str(yuan)
    return f"{'-' if f < 0 else ''}{symbol}{digits}.{cents:02d}"


def _map_unique(fen: Any, func, labels: pd.Index | None, name: str) -> np.ndarray:
    if not isinstance(fen, pd.Series):
        fen = np.asarray(fen) if len(fen) else np.zeros(0, dtype=np.int64)
    ints = _check_fen_array(fen, labels, name)
    codes, uniques = pd.factorize(ints)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [func(int(u)) for u in uniques]
    return mapped[codes] if len(uniques) else np.empty(0, dtype=object)


def fen_to_yuan(fen: Any, /, *, symbol: str = "¥", thousands: bool = True) -> Any:
    """Format integer fen as yuan text for display: ``123450`` -> ``"¥1,234.50"``.

    Parameters
    ----------
    fen : int, array-like of int or pandas.Series of int
        Amounts in fen. Floats are refused: they are not fen.
    symbol : str, default "¥"
        Currency mark placed after the sign (``"-¥12.30"``); ``""`` for none.
    thousands : bool, default True
        Group the yuan digits by thousands with commas.

    Returns
    -------
    str, numpy.ndarray of str (object) or pandas.Series of str
        Same shape (and index and name for a Series) as ``fen``.

    Raises
    ------
    MoneyError
        If ``fen`` is not integer (or holds missing values).

    Examples
    --------
    >>> fen_to_yuan(123450), fen_to_yuan(-1230), fen_to_yuan(5, symbol="", thousands=False)
    ('¥1,234.50', '-¥12.30', '0.05')
    >>> fen_to_yuan(pd.Series([100, 123456789], name="paid_fen")).tolist()
    ['¥1.00', '¥1,234,567.89']
    """

    def fmt(f: int) -> str:
        return _format_fen(f, symbol, thousands)

    if isinstance(fen, pd.Series):
        out = _map_unique(fen, fmt, fen.index, "fen")
        return pd.Series(out, index=fen.index, name=fen.name, dtype="str")
    if isinstance(fen, list | tuple | np.ndarray):
        return _map_unique(fen, fmt, None, "fen")
    return fmt(_check_fen_scalar(fen, "fen"))


def fen_to_decimal(fen: Any, /) -> Any:
    """Exact yuan of integer fen as :class:`decimal.Decimal` with two decimals.

    Parameters
    ----------
    fen : int, array-like of int or pandas.Series of int
        Amounts in fen.

    Returns
    -------
    Decimal, numpy.ndarray of Decimal (object) or pandas.Series of Decimal (object)

    Examples
    --------
    >>> fen_to_decimal(1230), fen_to_decimal(-5)
    (Decimal('12.30'), Decimal('-0.05'))
    """

    def dec(f: int) -> Decimal:
        return Decimal(f).scaleb(-2)  # int64 has at most 19 digits: exact at precision 28

    if isinstance(fen, pd.Series):
        out = _map_unique(fen, dec, fen.index, "fen")
        return pd.Series(out, index=fen.index, name=fen.name, dtype=object)
    if isinstance(fen, list | tuple | np.ndarray):
        return _map_unique(fen, dec, None, "fen")
    return dec(_check_fen_scalar(fen, "fen"))


# -- allocate ------------------------------------------------------------------------------


def _weights(weights: Any) -> tuple[np.ndarray, pd.Index | None]:
    """Validated 1-D weights as int64 (exact path) or float64."""
    labels = weights.index if isinstance(weights, pd.Series) else None
    if isinstance(weights, pd.Series):
        dtype = weights.dtype
        if pdt.is_bool_dtype(dtype):
            raise AllocationError(f"weights must be numbers, got dtype {dtype}")
        if weights.hasnans and pdt.is_numeric_dtype(dtype):
            w = weights.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            w = weights.to_numpy()
    else:
        w = np.asarray(weights)
    if w.ndim != 1:
        raise AllocationError(f"weights must be 1-D, got shape {w.shape}")
    if w.dtype == object:
        kind = pdt.infer_dtype(w, skipna=False)
        try:
            w = w.astype(np.int64 if kind == "integer" else np.float64)
        except (TypeError, ValueError, OverflowError):
            try:
                w = w.astype(np.float64)
            except (TypeError, ValueError):
                raise AllocationError(
                    f"weights must be numbers, got {kind} values such as {w[:3].tolist()!r}"
                ) from None
    if w.dtype.kind == "b" or w.dtype.kind not in "iuf":
        raise AllocationError(f"weights must be numbers, got dtype {w.dtype}")
    if w.dtype.kind == "f":
        finite = np.isfinite(w)
        if not finite.all():
            raise AllocationError(
                f"weights must be finite; NaN or infinite {_positions(~finite, w, labels)}"
            )
    neg = w < 0
    if neg.any():
        raise AllocationError(f"weights must be >= 0; negative {_positions(neg, w, labels)}")
    if w.dtype.kind == "u":
        w = w.astype(np.int64) if (len(w) == 0 or w.max() <= _I64_MAX) else w.astype(np.float64)
    # Integral float weights (e.g. fen read into a float column) take the exact path.
    if w.dtype.kind == "f" and (
        len(w) == 0 or (w.max() < 2.0**63 and np.array_equal(w, np.floor(w)))
    ):
        w = w.astype(np.int64)
    return w, labels


def _int_scalar(total: Any) -> int:
    if isinstance(total, bool | np.bool_) or not isinstance(total, int | np.integer):
        raise AllocationError(
            f"total must be an integer number of fen, got {total!r} ({type(total).__name__})"
        )
    t = int(total)
    if not -_I64_MAX <= t <= _I64_MAX:
        raise AllocationError(f"total {t} is outside the int64 fen range")
    return t


def _int_totals(values: Any, what: str) -> np.ndarray:
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if s.dtype == object and len(s) and pdt.infer_dtype(s, skipna=False) == "integer":
        s = s.astype(np.int64)
    if pdt.is_bool_dtype(s.dtype) or not pdt.is_integer_dtype(s.dtype) or s.hasnans:
        raise AllocationError(
            f"{what} must be integer fen without missing values, got dtype {s.dtype}"
        )
    t = s.to_numpy(dtype=np.int64)
    if len(t) and t.min() == _I64_MIN:
        raise AllocationError(f"{what} holds {_I64_MIN}, whose negation overflows int64")
    return t


def _lookup(labels: Any, index: pd.Index) -> np.ndarray:
    """Position of each label in a unique ``index``, -1 where absent (like ``get_indexer``).

    One factorize of both is several times faster than ``get_indexer`` on string labels.
    """
    both = pd.concat([pd.Series(labels), pd.Series(index)], ignore_index=True)
    codes, uniques = pd.factorize(both)
    where = np.full(len(uniques) + 1, -1, dtype=np.int64)  # slot -1 for missing labels
    where[codes[len(labels) :]] = np.arange(len(index))
    return where[codes[: len(labels)]]


def _group_totals(total: Any, gcodes: np.ndarray, glabels: Any, n: int) -> np.ndarray:
    """Total of each factorized group, from a Series/dict by label or a per-row array."""
    G = len(glabels)
    if isinstance(total, Mapping):
        total = pd.Series(total, dtype=object if len(total) == 0 else None)
    if isinstance(total, pd.Series):
        if not total.index.is_unique:
            dup = total.index[total.index.duplicated()].unique()[:MAX_EXAMPLES].tolist()
            raise AllocationError(f"total: group labels must be unique; repeated: {dup}")
        tvals = _int_totals(total, "total")
        pos = _lookup(glabels, total.index)
        missing = pos < 0
        if missing.any():
            shown = [_py(x) for x in pd.Index(glabels)[missing][:MAX_EXAMPLES]]
            raise AllocationError(
                f"total has no amount for {int(missing.sum())} group(s) of groups, e.g. {shown}"
            )
        unused = np.ones(len(total), dtype=bool)
        unused[pos] = False
        lost = unused & (tvals != 0)
        if lost.any():
            shown = {_py(k): int(v) for k, v in zip(total.index[lost], tvals[lost], strict=True)}
            shown = dict(list(shown.items())[:MAX_EXAMPLES])
            raise AllocationError(
                f"total: {int(lost.sum())} group(s) with a non-zero total have no rows in "
                f"groups, so their money would be lost: {shown}"
            )
        return tvals[pos]
    if isinstance(total, list | tuple | np.ndarray):
        per_row = _int_totals(total, "total (per row)")
        if len(per_row) != n:
            raise AllocationError(
                f"total (per row) has length {len(per_row)}, weights have length {n}"
            )
        tg = np.zeros(G, dtype=np.int64)
        tg[gcodes] = per_row  # one of each group's values; checked constant below
        varies = per_row != tg[gcodes]
        if varies.any():
            g = np.unique(gcodes[varies])[:MAX_EXAMPLES]
            shown = {_py(glabels[k]): sorted(set(per_row[gcodes == k].tolist()))[:3] for k in g}
            raise AllocationError(
                f"total (per row) must be constant within each group; it varies in "
                f"{len(np.unique(gcodes[varies]))} group(s): {shown}"
            )
        return tg
    raise AllocationError(
        "with groups, total must be a Series or dict keyed by group label or a per-row "
        f"array of the same length as weights, got {type(total).__name__}"
    )


def allocate(
    total: Any,
    weights: Any,
    /,
    *,
    groups: Any = None,
    tie_break: Literal["first", "last"] = "first",
    if_all_zero: Literal["raise", "equal"] = "raise",
) -> np.ndarray:
    """Split integer fen into integer parts proportional to weights that sum exactly.

    Largest remainder (Hamilton's method): each item gets the floor of its exact share
    ``q_i = total * w_i / sum(w)``; the ``total - sum(floor(q))`` fen left over go one
    each to the items with the largest fractional parts ``q_i - floor(q_i)``.

    Parameters
    ----------
    total : int, or with ``groups`` a Series/dict keyed by group label or an array
        The fen to split. Negative totals are split as ``-allocate(-total, ...)``. With
        ``groups``, each group's total: a Series or dict indexed by group label (every
        group must be there; a non-zero total of a group with no rows is an error, since
        its money would vanish), or an array aligned with ``weights`` holding each row's
        group total (constant within a group).
    weights : array-like or Series of non-negative numbers
        One per item, positional. Integer weights (and integral floats) are split
        exactly with integer arithmetic, whatever their size. Other floats use float64
        shares (relative error ~1e-16): the parts still sum exactly, and each is the
        floor or ceiling of its share as float64 computes it, which is the exact share's
        unless a share lies within float rounding of an integer or of another remainder
        (so, for totals below ~1e12 fen, essentially never). Pass integer weights, e.g.
        fen, for results that are exact by construction (integer weights whose sum
        exceeds int64 fall back to float shares).
    groups : array-like, optional
        A group label per item (e.g. ``order_id`` per order line): each group's total is
        split over its own items, vectorised (no Python loop over groups).
    tie_break : {"first", "last"}, default "first"
        Which of equal remainders gets the leftover fen: the earliest or the latest item.
    if_all_zero : {"raise", "equal"}, default "raise"
        What to do with a non-zero total whose weights are all zero: raise, or split it
        equally (itself by largest remainder).

    Returns
    -------
    numpy.ndarray of int64
        Parts aligned with ``weights``; they sum to ``total`` (per group). Zero-weight
        items get 0.

    Raises
    ------
    AllocationError
        Negative, NaN or infinite weights (naming their positions), a non-zero total
        over zero or no weights, group totals that are missing, non-integer, not
        constant within a group or orphaned.

    Notes
    -----
    Each part is ``floor(q_i)`` or ``ceil(q_i)`` (the quota property). Like every
    quota method, largest remainder shows the Alabama paradox: with weights
    1500:1500:900:500:500:200, 25 units give ``[7, 7, 4, 3, 3, 1]`` but 26 units give
    ``[8, 8, 5, 2, 2, 1]`` -- the 500s lose a unit when the total grows. For money
    splits that is harmless; do not expect monotonicity in ``total``.

    Examples
    --------
    >>> allocate(1000, [1000, 1000, 1000])  # 10 yuan off three 10-yuan lines
    array([334, 333, 333])
    >>> allocate(-10, [1, 1, 1], tie_break="last")
    array([-3, -3, -4])
    >>> allocate(pd.Series({"O1": 100, "O2": 5}), [1, 2, 1, 1], groups=["O1", "O1", "O2", "O2"])
    array([33, 67,  3,  2])
    """
    if tie_break not in ("first", "last"):
        raise AllocationError(f"tie_break must be 'first' or 'last', got {tie_break!r}")
    if if_all_zero not in ("raise", "equal"):
        raise AllocationError(f"if_all_zero must be 'raise' or 'equal', got {if_all_zero!r}")
    w, labels = _weights(weights)
    n = len(w)
    if groups is None:
        t = _int_scalar(total)
        if n == 0:
            if t != 0:
                raise AllocationError(f"cannot split {t} fen over no weights (weights is empty)")
            return np.zeros(0, dtype=np.int64)
        gcodes = np.zeros(n, dtype=np.intp)
        glabels: Any = None
        tg = np.array([t], dtype=np.int64)
    else:
        g = groups if isinstance(groups, pd.Series | pd.Index) else np.asarray(groups)
        if g.ndim != 1 or len(g) != n:
            raise AllocationError(f"groups has shape {g.shape}, weights have length {n}")
        gcodes, glabels = pd.factorize(g)
        if (gcodes < 0).any():
            shown = _positions(gcodes < 0, np.asarray(g, dtype=object), labels)
            raise AllocationError(f"groups must not be missing; missing {shown}")
        tg = _group_totals(total, gcodes, glabels, n)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
    return _hamilton(tg, w, gcodes, glabels, tie_break, if_all_zero)


def _order(gcodes: np.ndarray, key: np.ndarray, span: int | None) -> np.ndarray:
    """Stable order by group, then ``key`` descending (integer keys lie in [-1, span - 1))."""
    G = int(gcodes.max()) + 1 if len(gcodes) else 0
    if span is not None and G * (span + 1) <= _I64_MAX:
        # One stable argsort of a combined integer key: ~2x faster than lexsort, and far
        # faster on rows already grouped (order lines usually come grouped by order).
        return np.argsort(gcodes.astype(np.int64) * (span + 1) + (span - 1 - key), kind="stable")
    return np.lexsort((-key, gcodes))


def _hamilton(
    tg: np.ndarray,
    w: np.ndarray,
    gcodes: np.ndarray,
    glabels: Any,
    tie_break: str,
    if_all_zero: str,
) -> np.ndarray:
    """Largest remainder within groups; ``tg`` per group, the rest per row."""
    n, G = len(w), len(tg)
    exact = w.dtype.kind == "i"
    sign, amount = np.sign(tg), np.abs(tg)
    counts = np.bincount(gcodes, minlength=G)
    if exact:
        if int(w.max()) * n <= _I64_MAX:
            wsum = np.zeros(G, dtype=np.int64)
            np.add.at(wsum, gcodes, w)
        else:  # the sums might overflow int64: add them as Python ints
            big = np.zeros(G, dtype=object)
            np.add.at(big, gcodes, w.astype(object))
            if max(big) <= _I64_MAX:
                wsum = big.astype(np.int64)
            else:  # weights summing beyond int64 (absurd for money): float shares
                w, exact = w.astype(np.float64), False
    if not exact:
        wsum = np.bincount(gcodes, weights=w, minlength=G)
    stuck = (wsum == 0) & (amount != 0)
    if stuck.any():
        if if_all_zero == "raise":
            if glabels is None:
                raise AllocationError(
                    f"cannot split {int(tg[0])} fen over zero weights (all {n} weights are 0); "
                    "pass if_all_zero='equal' to split it equally"
                )
            shown = {_py(glabels[k]): int(tg[k]) for k in np.flatnonzero(stuck)[:MAX_EXAMPLES]}
            raise AllocationError(
                f"cannot split fen over zero weights in {int(stuck.sum())} group(s) "
                f"(group: total) {shown}; pass if_all_zero='equal' to split equally"
            )
        w = np.where(stuck[gcodes], 1, w).astype(w.dtype)  # equal split there
        wsum = np.where(stuck, counts, wsum).astype(wsum.dtype)
    positive = w > 0
    wrow = np.where(wsum == 0, 1, wsum)[gcodes]  # zero-weight groups here have total 0
    arow = amount[gcodes]
    if exact:
        if len(w) and int(amount.max()) * int(w.max()) > _I64_MAX:
            # total * weight overflows int64: multiply as Python ints; floor < total and
            # remainder < sum of weights still fit in int64.
            num = arow.astype(object) * w.astype(object)
            floor = (num // wrow).astype(np.int64)
            rem = (num % wrow).astype(np.int64)
        else:
            floor, rem = np.divmod(arow * w, wrow)
        key = np.where(positive, rem, -1)
    else:
        share = arow * (w / wrow)
        floor_f = np.minimum(np.floor(share), np.nextafter(2.0**63, 0))  # castable to int64
        floor = floor_f.astype(np.int64)
        key = np.where(positive, share - floor_f, -1.0)
    floor_sum = np.zeros(G, dtype=np.int64)
    np.add.at(floor_sum, gcodes, floor)
    left = amount - floor_sum  # in [0, m) exactly; float shares can stray
    over = left < 0
    if over.any():  # float error pushed the floors past a (huge) total: split the total
        rows = over[gcodes]  # exactly over those floors as integer weights instead
        sub = np.unique(gcodes[rows], return_inverse=True)[1]
        floor[rows] = _hamilton(amount[over], floor[rows], sub, None, tie_break, "raise")
        left[over] = 0
    m = np.maximum(np.bincount(gcodes[positive], minlength=G), 1)
    # Rank rows within their group by remainder, largest first. The sorts are stable, so
    # equal remainders keep row order ("first"), or reverse row order on reversed input.
    span = int(wsum.max()) + 1 if exact else None
    if tie_break == "first":
        order = _order(gcodes, key, span)
    else:
        order = n - 1 - _order(gcodes[::-1], key[::-1], span)
    starts = np.cumsum(counts) - counts
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[gcodes[order]]
    # Exact path: base == 0 and rest == left. Float path: base may be positive when float
    # error left more than m units over; the sum is exact by construction either way.
    base, rest = np.divmod(left, m)
    extra = np.where(positive, base[gcodes] + (rank < rest[gcodes]), 0)
    return ((floor + extra) * sign[gcodes]).astype(np.int64)


def fen_at_rate(amount_fen: Any, /, *, ppm: Any) -> np.ndarray:
    """``amount × rate`` rounded half up (away from zero) to the fen, in integers.

    The rate is given exactly as parts per million (0.6 % = 6000), so no float touches
    the money: gateway fees, commissions, a share of a refund. ``ppm`` is one rate or
    one per amount.

    Examples
    --------
    >>> fen_at_rate([82200, 1250, 250, -4150], ppm=6000).tolist()  # 493.2, 7.5, 1.5, -24.9
    [493, 8, 2, -25]
    """
    a = np.asarray(amount_fen, dtype=np.int64)
    return np.sign(a) * ((np.abs(a) * np.asarray(ppm, dtype=np.int64) + 500_000) // 1_000_000)
