"""Text ids (order, refund, customer, trade numbers) as integers, and fast look-ups of them.

Mall and gateway ids are text, but most are one fixed prefix and fixed-width digits
("W2611110011", "R0000001234", "C001398"). Read straight from the Arrow buffers of a
pandas ``str`` column, such ids become int64 one-to-one and in the same order, and
integers hash several times faster than text: :func:`lookup` of 5 M merchant order ids
among 4.75 M orders takes ~0.3 s this way against ~1.1 s for pyarrow's ``index_in`` on
the text. Ids that are not of that shape (mixed prefixes or widths, free text) take the
text path, with the same result.

Internal building blocks of :mod:`mallkit.rfm` and :mod:`mallkit.matching`.

Examples
--------
>>> keys = pd.Series(["W0007", "W0003", "W0005"], dtype="str")
>>> lookup(pd.Series(["W0005", "X0005", None, "W0007", "W7"], dtype="str"), keys).tolist()
[2, -1, -1, 0, -1]
>>> digit_ids(arrow_text(keys))
(array([7, 3, 5]), 'W', 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_text", "digit_ids", "digit_ids_where", "large_text", "lookup"]


def arrow_text(s: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """The Arrow array behind an Arrow-backed text column (pandas ``str``), else None."""
    get = getattr(s.array, "__arrow_array__", None)
    return get() if get is not None and isinstance(s.dtype, pd.StringDtype) else None


def large_text(s: pd.Series) -> pa.Array:
    """Any text-like Series as one contiguous Arrow ``large_string`` array (nulls kept)."""
    a = pa.array(s, from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if a.type != pa.large_string():
        a = a.cast(pa.large_string())
    return a


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and bytes of a (large_)string Arrow array, as NumPy views."""
    otype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offs = np.frombuffer(arr.buffers()[1], dtype=otype, count=len(arr) + 1,
                         offset=arr.offset * otype().itemsize)
    return offs, np.frombuffer(arr.buffers()[2], dtype=np.uint8)


def _format(arr: pa.Array) -> tuple[str, int, int] | None:
    """(prefix, digits, bytes) of the first id, if it is a prefix and 1-18 digits."""
    first = arr[0].as_py()
    if first is None:
        return None
    prefix = first.rstrip("0123456789")
    width = len(first) - len(prefix)
    return (prefix, width, len(first.encode())) if 1 <= width <= 18 else None


def _parse(arr: pa.Array, prefix: str, nbytes: int, *, strict: bool
           ) -> tuple[np.ndarray, np.ndarray] | None:
    """Integers of ids that are ``prefix`` + digits in ``nbytes`` bytes, and which are.

    ``strict``: return None at the first id that is not (saves the rest of the work).
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type not in (pa.string(), pa.large_string()):
        return None
    offs, data = _buffers(arr)
    ok = np.diff(offs) == nbytes
    if arr.null_count:
        if strict:
            return None
        ok &= arr.is_valid().to_numpy(zero_copy_only=False)
    if ok.all():  # one (n, nbytes) matrix view: no per-id strings are made
        mat = data[offs[0]:offs[-1]].reshape(-1, nbytes)
    elif strict:
        return None
    else:
        mat = np.zeros((len(arr), nbytes), np.uint8)
        rows = np.flatnonzero(ok)
        mat[rows] = data[offs[rows][:, None] + np.arange(nbytes)]
    pre = np.frombuffer(prefix.encode(), dtype=np.uint8)
    if len(pre):
        same = (mat[:, :len(pre)] == pre).all(axis=1)
        if strict and not same.all():
            return None
        ok &= same
    out = np.zeros(len(arr), dtype=np.int64)
    for j in range(len(pre), nbytes):  # Horner over the digit columns (at most 18)
        digit = mat[:, j] - np.uint8(48)  # bytes below "0" wrap around above 9
        bad = digit > 9
        if bad.any():
            if strict:
                return None
            ok &= ~bad
        out *= 10
        out += digit
    return out, ok


def digit_ids(arr: Any, fmt: tuple[str, int] | None = None
              ) -> tuple[np.ndarray, str, int] | None:
    """(int64, prefix, width) of Arrow text ids all made of one fixed prefix and fixed-width
    digits ("C001398"), else None; ``fmt=(prefix, width)`` requires that format.

    Same prefix and same width make the map to integers one-to-one and order-preserving.

    Examples
    --------
    >>> digit_ids(pa.array(["C001398", "C000002"]))
    (array([1398,    2]), 'C', 6)
    >>> digit_ids(pa.array(["C001398", "C2"])) is None  # widths differ: not one-to-one
    True
    """
    if arr is None or not len(arr) or arr.null_count:
        return None
    f = _format(arr)
    if f is None or (fmt is not None and fmt != f[:2]):
        return None
    got = _parse(arr, f[0], f[2], strict=True)
    return None if got is None else (got[0], f[0], f[1])


def digit_ids_where(arr: Any, fmt: tuple[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Integers of the ids of format ``fmt=(prefix, width)`` and a mask of which are (nulls
    and ids of another shape are False, their integer meaningless).

    Examples
    --------
    >>> n, ok = digit_ids_where(pa.array(["W01", "X01", None, "W1", "W99"]), ("W", 2))
    >>> n[ok].tolist(), ok.tolist()
    ([1, 99], [True, False, False, False, True])
    """
    prefix, width = fmt
    if not len(arr):
        return np.zeros(0, np.int64), np.zeros(0, bool)
    got = _parse(arr, prefix, len(prefix.encode()) + width, strict=False)
    if got is None:  # not text at all
        return np.zeros(len(arr), np.int64), np.zeros(len(arr), bool)
    return got


def _int_positions(keys: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """Position of each value among unique integer ``keys`` (-1 if absent); None if the
    keys repeat. A dense table when their range allows (no hashing), else a hash index."""
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo < 2 * len(keys) + 1024:
        table = np.full(hi - lo + 1, -1, np.int64)
        table[keys - lo] = np.arange(len(keys))
        if (table >= 0).sum() != len(keys):
            return None
        inside = (values >= lo) & (values <= hi)
        return np.where(inside, table[np.where(inside, values - lo, 0)], -1)
    index = pd.Index(keys)
    return index.get_indexer(values) if index.is_unique else None


def lookup(values: pd.Series | list[pd.Series], keys: pd.Series) -> Any:
    """Position of each value among ``keys`` (their first occurrence); -1 where absent or
    missing. A list of Series is looked up against one hash of the keys (a list back).

    Digit ids (see the module docstring) are compared as integers; other text with
    pyarrow's ``index_in``.

    Examples
    --------
    >>> keys = pd.Series(["W1", "W2", "W3"], dtype="str")
    >>> [p.tolist() for p in lookup([pd.Series(["W3"]), pd.Series(["W9", "W1"])], keys)]
    [[2], [-1, 0]]
    """
    parts = values if isinstance(values, list) else [values]
    n = [len(v) for v in parts]
    if not sum(n) or not len(keys):
        out = [np.full(k, -1, dtype=np.int64) for k in n]
        return out if isinstance(values, list) else out[0]
    karr = large_text(keys)
    out = None
    num = digit_ids(karr)
    if num is not None:
        kint, prefix, width = num
        q = [digit_ids_where(large_text(v), (prefix, width)) for v in parts]
        qint = np.concatenate([a for a, _ in q]) if q else np.zeros(0, np.int64)
        ok = np.concatenate([m for _, m in q])
        pos = _int_positions(kint, np.where(ok, qint, kint[0]))
        if pos is not None:
            pos[~ok] = -1
            out = np.split(pos, np.cumsum(n)[:-1])
    if out is None:
        chunks = pa.chunked_array([large_text(v) for v in parts], type=pa.large_string())
        pos = pc.index_in(chunks, value_set=karr, skip_nulls=True)
        pos = pos.fill_null(-1).to_numpy().astype(np.int64)
        out = np.split(pos, np.cumsum(n)[:-1])
    return out if isinstance(values, list) else out[0]
