"""RFM 用户分层, the measurement: per-customer R/F/M and tie-safe scores.

Three calls give an explainable segmentation::

    t = rfm_table(orders, refunds, as_of="2025-12-31")   # RFMTable: customers, excluded, ...
    s = rfm_scores(t)                                     # RFMScores: customers, thresholds
    g = rfm_segments(s, scheme="classic")                 # Segments: customers, rules

This module measures (:func:`rfm_table`, :func:`rfm_scores`); :mod:`mallkit.segments`
segments (validated segment maps, :func:`~mallkit.segments.rfm_segments`,
``segment_summary``, ``segment_migration``). ``mallkit.segments`` imports from this module,
so its public names are re-exported here lazily, on first use: ``from mallkit.rfm import
rfm_segments`` keeps working without an import cycle.

Definitions (``basis="rfm"``, the marketing definitions)
--------------------------------------------------------
* A **purchase** is an order whose status is paid/shipped/completed and whose ``paid_at``
  falls on or before ``as_of``, bucketed by the mall's local day (Asia/Shanghai; tz-aware
  timestamps are converted first). Refunds dated on or before ``as_of`` net against their
  order; a purchase occasion (an order, or a customer-day with ``frequency="days"``) whose
  net is <= 0 does not count and is listed in ``RFMTable.excluded``, never dropped silently.
* ``recency_days`` = days from the last counted purchase to ``as_of``; ``frequency`` =
  counted occasions; ``monetary_fen`` = their net spend (``paid_fen - refunded_fen``).
* ``basis="model"`` gives the BG/NBD inputs exactly as lifetimes'
  ``summary_data_from_transaction_data`` defines them (see :func:`rfm_table`).

Scores (:func:`rfm_scores`) are functions of the value alone, so equal values always get
equal scores: cut points sit at the quantiles, and a run of ties at a cut point takes the
lower score. When ties make cut points collapse (most customers bought once) a
:class:`RFMWarning` says which scores are empty and ``RFMScores.thresholds`` shows the
``[lower, upper)`` intervals actually used; it can be passed back as ``thresholds=``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mallkit.errors import PeriodError, RFMError, SchemaError
from mallkit.ids import arrow_text as _arrow
from mallkit.ids import digit_ids as _digit_ids
from mallkit.schema import ORDER_STATUSES, PAID_STATUSES, require_columns

# The public names of mallkit.segments, re-exported lazily by __getattr__ at the end.
_FROM_SEGMENTS = (
    "ENTERED",
    "LEFT",
    "Migration",
    "SegmentChange",
    "Segments",
    "rfm_segments",
    "segment_cells",
    "segment_change",
    "segment_map",
    "segment_migration",
    "segment_names",
    "segment_summary",
)
__all__ = [
    "RFMError",
    "RFMScores",
    "RFMTable",
    "RFMWarning",
    "rfm_scores",
    "rfm_table",
    *_FROM_SEGMENTS,
]

TZ = "Asia/Shanghai"
MAX_EXAMPLES = 5
METRICS = ("recency", "frequency", "monetary")


class RFMWarning(UserWarning):
    """A result is valid but thinner than asked: collapsed score bins or empty segments."""


# --------------------------------------------------------------------------- results
class _Result:
    """Base of the results whose ``customers`` frame the next step reads: :class:`RFMTable`,
    :class:`RFMScores` and :class:`mallkit.segments.Segments` (a subclass defined there, so
    ``_unwrap`` knows it without this module importing mallkit.segments)."""


@dataclass(frozen=True)
class RFMTable(_Result):
    """Result of :func:`rfm_table`.

    Attributes
    ----------
    customers : DataFrame
        One row per customer with at least one counted purchase, sorted by customer id.
    excluded : DataFrame
        Paid orders on or before ``as_of`` that did not count because their occasion's
        net is <= 0: customer_id, order_id, date, paid_fen, refunded_fen, net_fen, reason.
    unmatched_refunds : DataFrame
        Refunds on or before ``as_of`` that match no counted order, with the reason.
    """

    customers: pd.DataFrame
    excluded: pd.DataFrame
    unmatched_refunds: pd.DataFrame


@dataclass(frozen=True)
class RFMScores(_Result):
    """Result of :func:`rfm_scores`: the table with ``r_score, f_score, m_score, rfm_code``
    and the ``thresholds`` used (metric, score, lower, upper, customers; ``lower <= x < upper``).
    """

    customers: pd.DataFrame
    thresholds: pd.DataFrame


# --------------------------------------------------------------------------- input checks
def _require(df: Any, cols: list[str], table: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"table '{table}' must be a pandas DataFrame, got {type(df).__name__}",
                          table=table)
    require_columns(df, cols, table)


def _reject(table: str, column: str, rule: str, bad: np.ndarray, df: pd.DataFrame,
            key: str, detail: str = "") -> SchemaError:
    rows = df.loc[bad]
    n = len(rows)
    ex = ", ".join(rows[key].astype(str).head(MAX_EXAMPLES)) if key in rows else ""
    more = f" (and {n - MAX_EXAMPLES} more)" if n > MAX_EXAMPLES else ""
    msg = (f"table '{table}': column '{column}' breaks rule '{rule}' in {n} row"
           f"{'s' if n != 1 else ''}; e.g. {key}={ex}{more}" + (f" ({detail})" if detail else ""))
    return SchemaError(msg, table=table, column=column, rule=rule, rows=rows)


def _local_times(df: pd.DataFrame, col: str, table: str, key: str) -> np.ndarray:
    """Naive Asia/Shanghai ``datetime64[us]`` values of a timestamp column (NaT kept)."""
    s = df[col]
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(TZ).dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(s.dtype):
        if pd.api.types.is_numeric_dtype(s.dtype) and s.notna().any():
            raise _reject(table, col, "timestamp", s.notna().to_numpy(), df, key,
                          f"dtype is {s.dtype}, not dates")
        try:
            parsed = pd.to_datetime(s, errors="coerce", format="mixed")
        except ValueError:  # mixed UTC offsets
            parsed = pd.to_datetime(s, errors="coerce", format="mixed", utc=True)
        bad = (parsed.isna() & s.notna()).to_numpy()
        if bad.any():
            raise _reject(table, col, "timestamp", bad, df, key, "could not parse")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert(TZ).dt.tz_localize(None)
        s = parsed
    return s.to_numpy(dtype="datetime64[us]")


def _fen(df: pd.DataFrame, col: str, table: str, key: str, *, positive: bool) -> np.ndarray:
    s = df[col]
    if not len(s):  # e.g. an empty refunds table read from a header-only file
        return np.zeros(0, dtype=np.int64)
    if not pd.api.types.is_integer_dtype(s.dtype) or s.isna().any():
        raise _reject(table, col, "integer fen", np.ones(len(s), dtype=bool), df, key,
                      f"dtype is {s.dtype}; convert yuan with mallkit.money.to_fen")
    v = s.to_numpy(dtype=np.int64)
    bad = v <= 0 if positive else v < 0
    if bad.any():
        raise _reject(table, col, "positive" if positive else "non-negative", bad, df, key)
    return v


def _not_null(df: pd.DataFrame, col: str, table: str, key: str) -> None:
    bad = df[col].isna().to_numpy()
    if bad.any():
        raise _reject(table, col, "not null", bad, df, key if key != col else col)


def _as_of(as_of: Any) -> tuple[pd.Timestamp, np.datetime64]:
    """(local day, exclusive end instant) of ``as_of``; a time of day cuts at that instant."""
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise PeriodError(f"as_of={as_of!r} is not a date or timestamp") from exc
    if ts is pd.NaT:
        raise PeriodError("as_of must be a date, got NaT")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(TZ).tz_localize(None)
    day = ts.normalize()
    end = day + pd.Timedelta(days=1) if ts == day else ts + pd.Timedelta(microseconds=1)
    return day, np.datetime64(end.as_unit("us").to_datetime64(), "us")


def _codes(s: pd.Series, num: tuple[np.ndarray, str, int] | None
           ) -> tuple[np.ndarray, pd.Index, bool]:
    """Codes and uniques of a key column, and whether the uniques are sorted. ``num`` is
    :func:`_digit_ids` of ``s``: digit ids are ranked (densely if their range allows, no
    hashing) and the uniques' text is rebuilt from the integers, prefix and width."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(dtype=np.int64), pd.Index(s.cat.categories), False
    if num is not None:
        ints, prefix, width = num
        lo, hi = int(ints.min()), int(ints.max())
        if hi - lo < len(ints) + 1024:  # a rank array no longer than the column
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[ints - lo] = True
            vals = np.flatnonzero(present) + lo
            codes = (np.cumsum(present, dtype=np.int64) - 1)[ints - lo]
        else:
            codes, vals = pd.factorize(ints, sort=True)
        text = pc.binary_join_element_wise(
            prefix, pc.utf8_lpad(pc.cast(pa.array(vals), pa.string()), width, "0"), "")
        uniques = pd.Index(pd.array(text.cast(_arrow(s).type), dtype=s.dtype))
        return codes.astype(np.int64, copy=False), uniques, True
    codes, uniques = pd.factorize(s)
    return codes.astype(np.int64, copy=False), pd.Index(uniques), False


def _is_unique(s: pd.Series, num: np.ndarray | None) -> bool:
    """Whether a key column has no duplicate; strictly increasing ids prove it at once.
    ``num``: the column's :func:`_digit_ids` integers (one-to-one with the text), or None."""
    if num is not None:
        return bool((num[1:] > num[:-1]).all()) or pd.Index(num).is_unique
    arr = _arrow(s)
    if (arr is not None and len(arr) > 1 and arr.null_count == 0
            and pc.all(pc.less(arr.slice(0, len(arr) - 1), arr.slice(1))).as_py()):
        return True
    return pd.Index(s).is_unique


def _group_sum(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, codes, values)  # exact int64 sums (bincount would go through float)
    return out


def _group_ext(codes: np.ndarray, values: np.ndarray, size: int, *, op: str) -> np.ndarray:
    fill = np.iinfo(np.int64).min if op == "max" else np.iinfo(np.int64).max
    out = np.full(size, fill, dtype=np.int64)
    (np.maximum if op == "max" else np.minimum).at(out, codes, values)
    return out


# --------------------------------------------------------------------------- rfm_table
_FREQS = {"D": "day", "W": "week (Monday-Sunday)", "M": "calendar month"}
_EXCLUDED_COLS = ["customer_id", "order_id", "date", "paid_fen", "refunded_fen", "net_fen",
                  "reason"]


def _days(ts: np.ndarray) -> np.ndarray:
    """Epoch day numbers of ``datetime64[us]`` values (floor; NaT gives a meaningless day)."""
    return ts.view(np.int64) // 86_400_000_000


def _period(day: np.ndarray, freq: str) -> np.ndarray:
    """Period number of epoch days: days, Monday-based weeks, or calendar months."""
    if freq == "D":
        return day
    if freq == "W":  # 1970-01-01 was a Thursday: day + 3 counts from Monday 1969-12-29
        return (day + 3) // 7
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def rfm_table(
    orders: pd.DataFrame,
    refunds: pd.DataFrame | None = None,
    /,
    *,
    as_of: Any,
    basis: str = "rfm",
    frequency: str = "orders",
    freq: str = "D",
    freq_multiplier: float = 1,
    include_first_transaction: bool = False,
    customer_col: str = "customer_id",
    order_col: str = "order_id",
    date_col: str = "paid_at",
    status_col: str = "status",
    amount_col: str = "paid_fen",
    refund_id_col: str = "refund_id",
    refund_date_col: str = "refunded_at",
    refund_amount_col: str = "amount_fen",
) -> RFMTable:
    """Per-customer recency, frequency and monetary value as of a day.

    Parameters
    ----------
    orders : DataFrame
        Canonical ``orders`` (only order id, customer id, ``paid_at``, status and
        ``paid_fen`` are read; ids may be text, integers or categoricals).
    refunds : DataFrame, optional
        Canonical ``refunds``; each refund dated on or before ``as_of`` nets against its order.
    as_of : date-like
        Snapshot day: purchases paid and refunds made on or before it count (a timestamp
        with a time of day cuts at that instant; tz-aware values are converted to
        Asia/Shanghai). Later refunds are not known yet and are ignored; earlier refunds
        of unknown, unpaid or cancelled orders go to ``unmatched_refunds``.
    basis : {"rfm", "model"}
        ``"rfm"``: recency_days, frequency, monetary_fen, paid_fen, refunded_fen, orders,
        first_purchase, last_purchase, tenure_days. ``"model"``: the BG/NBD inputs of
        lifetimes' ``summary_data_from_transaction_data``: purchases merged per ``freq``
        period, ``frequency`` = repeat periods, ``recency`` = last - first period,
        ``T`` = as_of period - first period (both divided by ``freq_multiplier``),
        ``monetary_value`` = mean net fen of the repeat periods (0 without repeats); with
        ``include_first_transaction`` the first period counts too (frequency = periods).
        Unlike lifetimes, purchases after ``as_of`` in its own period are left out, refunds
        net against their orders, and net <= 0 orders are reported in ``excluded``.
    frequency : {"orders", "days"}
        ``basis="rfm"``: count distinct paid orders, or distinct purchase days (a day is
        one occasion; its net is the sum over its orders).
    freq : {"D", "W", "M"}
        ``basis="model"`` period: day, Monday-Sunday week (lifetimes' ``"W"``), calendar
        month (which lifetimes rejects).
    freq_multiplier : float
        ``basis="model"``: divides recency and T, as in lifetimes.
    include_first_transaction : bool
        ``basis="model"``: as in lifetimes.
    customer_col, order_col, date_col, status_col, amount_col : str
        Column names in ``orders``.
    refund_id_col, refund_date_col, refund_amount_col : str
        Column names in ``refunds`` (refund ids are checked for duplicates if present).

    Returns
    -------
    RFMTable
        ``customers`` (sorted by customer id), ``excluded`` and ``unmatched_refunds``.
        ``customers.monetary_fen.sum() + excluded.net_fen.sum()`` equals paid minus
        refunded over all counted orders.

    Raises
    ------
    MissingColumnsError, SchemaError
        Missing columns, non-integer or negative money, unknown statuses, null ids,
        paid orders without ``paid_at``, duplicate order or refund ids.
    PeriodError
        ``as_of`` unreadable or before every paid order.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["O1", "O2", "O3", "O4"], "customer_id": ["A", "A", "B", "B"],
    ...     "paid_at": pd.to_datetime(["2025-12-01 10:00", "2025-12-20 21:00",
    ...                                "2025-12-05 09:00", "2025-12-30 23:59"]),
    ...     "status": ["completed", "completed", "completed", "paid"],
    ...     "paid_fen": [10000, 5000, 20000, 8000]})
    >>> refunds = pd.DataFrame({"refund_id": ["R1"], "order_id": ["O4"],
    ...     "refunded_at": pd.to_datetime(["2025-12-31 08:00"]), "amount_fen": [8000]})
    >>> t = rfm_table(orders, refunds, as_of="2025-12-31")
    >>> t.customers[["customer_id", "recency_days", "frequency", "monetary_fen"]]
      customer_id  recency_days  frequency  monetary_fen
    0           A            11          2         15000
    1           B            26          1         20000
    >>> t.excluded[["order_id", "net_fen", "reason"]]
      order_id  net_fen             reason
    0       O4        0  refunded in full
    """
    if basis not in ("rfm", "model"):
        raise RFMError(f"basis must be 'rfm' or 'model', got {basis!r}")
    if frequency not in ("orders", "days"):
        raise RFMError(f"frequency must be 'orders' or 'days', got {frequency!r}")
    if freq not in _FREQS:
        raise RFMError(f"freq must be one of {', '.join(_FREQS)}, got {freq!r}")
    if not freq_multiplier > 0:
        raise RFMError(f"freq_multiplier must be > 0, got {freq_multiplier!r}")
    day0, end = _as_of(as_of)
    key = order_col
    _require(orders, [order_col, customer_col, date_col, status_col, amount_col], "orders")
    for c in (order_col, customer_col):
        _not_null(orders, c, "orders", key)
    sc = _lookup(orders[status_col], pd.Index(ORDER_STATUSES))  # one pass over the text
    if (bad := sc < 0).any():
        raise _reject("orders", status_col, f"one of {', '.join(ORDER_STATUSES)}", bad, orders,
                      key)
    is_paid = np.isin(ORDER_STATUSES, PAID_STATUSES)[sc]
    paid_fen = _fen(orders, amount_col, "orders", key, positive=False)
    ts = _local_times(orders, date_col, "orders", key)
    if (bad := is_paid & np.isnat(ts)).any():
        raise _reject("orders", date_col, "paid statuses need paid_at", bad, orders, key)
    oid = _digit_ids(_arrow(orders[order_col]))
    if not _is_unique(orders[order_col], None if oid is None else oid[0]):
        dup = orders[order_col].duplicated(keep=False).to_numpy()
        raise _reject("orders", order_col, "unique key", dup, orders, key)
    counted = is_paid & (ts < end)
    if not counted.any():
        first = ts[is_paid].min() if is_paid.any() else None
        raise PeriodError(
            f"rfm_table: no paid order in 'orders' on or before as_of={day0.date()}"
            + (f"; the first is paid at {pd.Timestamp(first)}" if first is not None else
               "; 'orders' has no paid order at all")
        )
    refunded = np.zeros(len(orders), dtype=np.int64)
    unmatched = _refunds(refunds, orders, order_col, counted, is_paid, end, refunded,
                         refund_id_col, refund_date_col, refund_amount_col, status_col, oid)
    net_all = paid_fen - refunded
    cids = orders[customer_col]
    codes_all, uniques, is_sorted = _codes(cids, _digit_ids(_arrow(cids)))
    k = len(uniques)
    asof_day = int(day0.to_datetime64().astype("datetime64[D]").astype(np.int64))
    by_day = basis == "rfm" and frequency == "days"
    if basis == "rfm" and not by_day:
        # rows that do not count go to an extra group k: no gathered 20 M-row copies
        code = np.where(counted & (net_all > 0), codes_all, k)
        net, paid, day = net_all, paid_fen, _days(ts)
    else:  # the rows that count (net > 0; by day: all counted rows, netted per day below)
        rows = np.flatnonzero(counted if by_day else counted & (net_all > 0))
        code, net, paid = codes_all[rows], net_all[rows], paid_fen[rows]
        day = _days(ts[rows])
    if by_day:
        occ, occ_code, occ_day = _by_key(code, day)
        occ_net = _group_sum(occ, net, len(occ_code))
        keep = (occ_net > 0)[occ]  # an order counts if its day's net is positive
        ok_code, ok_day = occ_code[occ_net > 0], occ_day[occ_net > 0]
        n_occ = np.bincount(ok_code, minlength=k)
        n_orders = np.bincount(code[keep & (net > 0)], minlength=k)
        drop = rows[~keep]
        rows, code, net, paid, day = rows[keep], code[keep], net[keep], paid[keep], day[keep]
    else:
        ok_code, ok_day = code, day
        n_occ = n_orders = np.bincount(code, minlength=k + 1)[:k]
        drop = np.flatnonzero(counted & (net_all <= 0))
    excluded = _excluded(orders, drop, customer_col, order_col, _days(ts[drop]),
                         paid_fen[drop], net_all[drop], by_day)
    has = n_occ > 0
    have = np.flatnonzero(has)
    order = have if is_sorted else have[pd.Index(uniques[has]).argsort()]
    cust = uniques.take(order)
    if basis == "model":
        out = _model(code, day, net, k, _period(np.array([asof_day]), freq)[0], freq,
                     freq_multiplier, include_first_transaction)
        customers = pd.DataFrame({customer_col: cust, **{c: v[order] for c, v in out.items()}})
        return RFMTable(customers, excluded, unmatched)
    last = _group_ext(ok_code, ok_day, k + 1, op="max")[order]  # order < k: group k dropped
    first = _group_ext(ok_code, ok_day, k + 1, op="min")[order]
    mon = _group_sum(code, net, k + 1)[order]
    gross = _group_sum(code, paid, k + 1)[order]
    customers = pd.DataFrame({
        customer_col: cust,
        "recency_days": asof_day - last,
        "frequency": n_occ[order],
        "monetary_fen": mon,
        "orders": n_orders[order],
        "paid_fen": gross,
        "refunded_fen": gross - mon,
        "first_purchase": first.astype("datetime64[D]").astype("datetime64[us]"),
        "last_purchase": last.astype("datetime64[D]").astype("datetime64[us]"),
        "tenure_days": asof_day - first,
    })
    return RFMTable(customers, excluded, unmatched)


def _by_key(code: np.ndarray, period: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group rows by (customer code, period): row -> group, and each group's code and period."""
    lo = int(period.min()) if len(period) else 0
    span = int(period.max()) - lo + 1 if len(period) else 1
    g, keys = pd.factorize(code * span + (period - lo))
    keys = np.asarray(keys, dtype=np.int64)
    return g.astype(np.int64, copy=False), keys // span, keys % span + lo


def _model(code, day, net, k, asof_p, freq, mult, include_first) -> dict[str, np.ndarray]:
    """lifetimes' summary_data_from_transaction_data on (customer code, day, net) rows."""
    occ, occ_code, occ_p = _by_key(code, _period(day, freq))
    occ_val = _group_sum(occ, net, len(occ_code))  # same-period purchases merge
    first = _group_ext(occ_code, occ_p, k, op="min")
    last = _group_ext(occ_code, occ_p, k, op="max")
    n = np.bincount(occ_code, minlength=k)
    total = _group_sum(occ_code, occ_val, k)
    is_first = occ_p == first[occ_code]
    first_val = _group_sum(occ_code[is_first], occ_val[is_first], k)
    with np.errstate(invalid="ignore", divide="ignore"):
        if include_first:
            fr, mv = n.astype(float), total / np.maximum(n, 1)
        else:
            fr = (n - 1).astype(float)
            mv = np.where(n > 1, (total - first_val) / np.maximum(n - 1, 1), 0.0)
    return {"frequency": fr, "recency": (last - first) / mult, "T": (asof_p - first) / mult,
            "monetary_value": mv.astype(float)}


def _id_kind(s: pd.Series) -> str:
    """"text", "number" or another pandas inferred kind of an id column (first 1000 ids)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = pd.Series(s.cat.categories)
    kind = pd.api.types.infer_dtype(s.iloc[:1000], skipna=True)
    return {"string": "text", "integer": "number", "floating": "number"}.get(kind, kind)


def _lookup(values: pd.Series, keys: pd.Index) -> np.ndarray:
    """Position of each value in ``keys`` (-1 if absent): hash the few keys, probe the many.

    Arrow-backed text is probed with pyarrow's ``index_in``; pandas' ``get_indexer`` would
    first turn millions of strings into Python objects.
    """
    hay = _arrow(values)
    if hay is not None:
        found = pc.index_in(hay, value_set=pa.array(keys.to_numpy(dtype=object), type=hay.type))
        return np.asarray(found.fill_null(-1), dtype=np.int64)
    return keys.get_indexer(values)


def _refunds(refunds, orders, order_col, counted, is_paid, end, refunded,
             id_col, date_col, amount_col, status_col, oid=None) -> pd.DataFrame:
    """Add refunds (on or before as_of) into ``refunded`` per order row; return unmatched."""
    cols = [order_col, date_col, amount_col]
    if refunds is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in [id_col, *cols, "reason"]})
    _require(refunds, cols, "refunds")
    key = id_col if id_col in refunds.columns else order_col
    _not_null(refunds, order_col, "refunds", key)
    kinds = _id_kind(refunds[order_col]), _id_kind(orders[order_col])  # else none can match
    if len(refunds) and kinds[0] != kinds[1] and set(kinds) <= {"text", "number"}:
        raise _reject("refunds", order_col, f"same id type as orders.{order_col}",
                      np.ones(len(refunds), dtype=bool), refunds, key,
                      f"refunds hold {kinds[0]} ({refunds[order_col].dtype}), orders hold "
                      f"{kinds[1]} ({orders[order_col].dtype}); read both ids as text")
    amount = _fen(refunds, amount_col, "refunds", key, positive=True)
    when = _local_times(refunds, date_col, "refunds", key)
    _not_null(refunds, date_col, "refunds", key)
    if id_col in refunds.columns and (dup := refunds[id_col].duplicated(keep=False)).any():
        raise _reject("refunds", id_col, "unique key", dup.to_numpy(), refunds, key)
    now = np.flatnonzero(when < end)
    inv, keys = pd.factorize(refunds[order_col].iloc[now])
    keys = pd.Index(keys)
    row_of_key = _key_rows(orders[order_col], keys, oid)
    row = row_of_key[inv]  # refund -> order row
    ok = row >= 0
    ok[ok] = counted[row[ok]]
    refunded += _group_sum(row[ok], amount[now][ok], len(refunded)) if ok.any() else 0
    miss = ~ok
    r = row[miss]
    reason = np.full(len(r), "order not found", dtype=object)
    found = r >= 0
    st = orders[status_col].iloc[r[found]].astype(str).to_numpy(dtype=object)
    reason[found] = np.where(is_paid[r[found]], "order paid after as_of",
                             "order not paid (" + st + ")")
    out = refunds.iloc[now[miss]][[c for c in [id_col, *cols] if c in refunds.columns]]
    return out.assign(reason=reason).reset_index(drop=True)


def _key_rows(ids: pd.Series, keys: pd.Index, oid) -> np.ndarray:
    """Row of each key in the unique order ids ``ids`` (-1 if absent). ``oid`` is
    :func:`_digit_ids` of ``ids``: if those increase (ids issued in sequence) and the keys share
    their format, a binary search of the few keys replaces hashing millions of order ids."""
    if (oid is not None and (oid[0][1:] > oid[0][:-1]).all()
            and (knum := _digit_ids(_arrow(pd.Series(keys)), oid[1:])) is not None):
        i = np.minimum(np.searchsorted(oid[0], knum[0]), len(oid[0]) - 1)
        return np.where(oid[0][i] == knum[0], i, -1)
    pos = _lookup(ids, keys)  # order row -> refunded order id, or -1
    hit = np.flatnonzero(pos >= 0)
    row_of_key = np.full(len(keys), -1, dtype=np.int64)
    row_of_key[pos[hit]] = hit  # order ids are unique, so each key has at most one row
    return row_of_key


def _excluded(orders, rows, customer_col, order_col, day, paid, net, by_day) -> pd.DataFrame:
    sub = orders.iloc[rows]
    occ_net, occ_paid = net, paid
    if by_day:  # the reason is about the customer-day, whose net is the sum over its orders
        g = pd.DataFrame({"c": sub[customer_col].to_numpy(), "d": day, "n": net, "p": paid})
        sums = g.groupby(["c", "d"], sort=False)[["n", "p"]].transform("sum")
        occ_net, occ_paid = sums["n"].to_numpy(), sums["p"].to_numpy()
    reason = np.where(occ_paid == 0, "nothing paid",
                      np.where(occ_net == 0, "refunded in full", "refunds exceed payment"))
    if by_day:
        reason = np.char.add("day: ", reason.astype(str)).astype(object)
    return pd.DataFrame({
        "customer_id": sub[customer_col].to_numpy(),
        "order_id": sub[order_col].to_numpy(),
        "date": day.astype("datetime64[D]").astype("datetime64[us]"),
        "paid_fen": paid,
        "refunded_fen": paid - net,
        "net_fen": net,
        "reason": reason,
    }, columns=_EXCLUDED_COLS)


# --------------------------------------------------------------------------- rfm_scores
def _unwrap(x: Any, name: str) -> pd.DataFrame:
    if isinstance(x, _Result):
        return x.customers
    if isinstance(x, pd.DataFrame):
        return x
    raise RFMError(f"{name} must be a DataFrame or an RFMTable/RFMScores/Segments result, "
                   f"got {type(x).__name__}")


def _check_bins(bins: Any) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or not 2 <= bins <= 9:
        raise RFMError(f"bins must be an integer from 2 to 9, got {bins!r}")
    return int(bins)


def _quantile_cuts(v: np.ndarray, bins: int, higher_better: bool) -> np.ndarray:
    """Ascending cut points c_1..c_{bins-1} at the k/bins quantiles, as data values (or inf).

    Intervals are [c_{k-1}, c_k). A run of ties at a quantile takes the worse score: for
    higher-is-better metrics the cut is the first value above the quantile, for recency
    the first value at or above it. The quantile is the linear one (numpy's default, at
    position (n - 1) k / bins), located with integer arithmetic so that a data point
    exactly at a quantile never depends on float rounding.
    """
    s = np.sort(v)
    num = (len(s) - 1) * np.arange(1, bins)
    lo, exact = num // bins, num % bins == 0
    # first value > q (q lies in [s[lo], s[lo + 1])); for recency first value >= q, which
    # is s[lo] if q hits it exactly, else s[lo + 1]
    i = np.searchsorted(s, s[lo], side="right") if higher_better else np.where(exact, lo, lo + 1)
    return np.where(i < len(s), s[np.minimum(i, len(s) - 1)], np.inf).astype(float)


def _cuts_from_table(tab: pd.DataFrame, metric: str, bins: int, hb: bool) -> np.ndarray:
    _require(tab, ["metric", "score", "lower", "upper"], "thresholds")
    t = tab[tab["metric"] == metric]
    # rows in interval order whatever order the table was saved in; the equal empty
    # intervals [c, c) of collapsed cut points run as the scores do (recency: 5 first)
    t = t.assign(_by=t["score"] if hb else -t["score"]).sort_values(["lower", "upper", "_by"])
    sc = t["score"].to_numpy()
    lo, hi = t["lower"].to_numpy(float), t["upper"].to_numpy(float)
    want = np.arange(1, bins + 1) if hb else np.arange(bins, 0, -1)
    problems = []
    if len(t) != bins or not np.array_equal(sc, want):
        problems.append(f"scores in order of 'lower' are {sc.tolist()}, expected {want.tolist()}")
    elif (hi[:-1] != lo[1:]).any():
        gaps = [f"[{a:g}, {b:g}) then [{c:g}, {d:g})" for a, b, c, d in
                zip(lo[:-1], hi[:-1], lo[1:], hi[1:], strict=True) if b != c]
        problems.append("intervals must meet (upper of one = lower of the next): " +
                        "; ".join(gaps))
    elif (hi < lo).any():
        problems.append("an interval has upper < lower")
    if problems:
        raise RFMError(f"thresholds for metric '{metric}': {'; '.join(problems)} "
                       "(intervals are lower <= x < upper; 5 = best, recent is best)")
    return np.r_[lo[1:], hi[-1], lo[0]]  # cuts + the outer bounds, checked against the data


def _cuts_given(given: Any, metric: str, bins: int, hb: bool) -> tuple[np.ndarray, float, float]:
    if isinstance(given, pd.DataFrame):
        arr = _cuts_from_table(given, metric, bins, hb)
        return arr[: bins - 1], arr[-1], arr[-2]
    if not isinstance(given, Mapping) or metric not in given:
        raise RFMError(f"thresholds must be a table (metric, score, lower, upper) or a mapping "
                       f"of {', '.join(METRICS)} to {bins - 1} ascending cut points; "
                       f"missing '{metric}'")
    c = np.asarray(given[metric], dtype=float)
    if c.shape != (bins - 1,) or (np.diff(c) <= 0).any() or np.isnan(c).any():
        raise RFMError(f"thresholds['{metric}'] must be {bins - 1} strictly ascending cut points "
                       f"(intervals [c_k-1, c_k)), got {list(given[metric])!r}")
    return c, -np.inf, np.inf


def rfm_scores(
    table: RFMTable | pd.DataFrame,
    /,
    *,
    bins: int = 5,
    method: str = "quantile",
    thresholds: pd.DataFrame | Mapping[str, Any] | None = None,
    recency_col: str = "recency_days",
    frequency_col: str = "frequency",
    monetary_col: str = "monetary_fen",
) -> RFMScores:
    """Score recency, frequency and monetary 1..bins (bins = best; for recency, recent is best).

    Scores are functions of the value alone: identical values always get identical
    scores, whatever the row order. Every score is an interval ``lower <= x < upper`` of
    the metric, listed in ``RFMScores.thresholds``.

    Parameters
    ----------
    table : RFMTable or DataFrame
        Output of :func:`rfm_table` (``basis="rfm"``) or a frame with the three columns.
    bins : int
        Number of scores, 2 to 9 (the classic map needs 5).
    method : {"quantile", "thresholds"}
        ``"quantile"``: cut points at the ``k/bins`` quantiles (linear interpolation); a
        run of ties at a cut point takes the lower (worse) score, so when ties make cut
        points collapse some scores stay empty and an :class:`RFMWarning` names them.
        ``"thresholds"``: use ``thresholds``.
    thresholds : DataFrame or mapping, optional
        A ``thresholds`` table as returned here (reuse last month's cut points), or a
        mapping of ``"recency"``, ``"frequency"``, ``"monetary"`` to ``bins - 1``
        ascending cut points (intervals ``[c_{k-1}, c_k)``).
    recency_col, frequency_col, monetary_col : str
        Metric columns.

    Returns
    -------
    RFMScores
        ``customers``: the table plus ``r_score``, ``f_score``, ``m_score`` and
        ``rfm_code`` (``100 r + 10 f + m``); ``thresholds``: metric, score, lower, upper,
        customers.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customer_id": list("ABCDE"), "recency_days": [3, 40, 9, 200, 9],
    ...                   "frequency": [1, 1, 1, 4, 2], "monetary_fen": [900, 500, 100, 8000, 700]})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     s = rfm_scores(t, bins=3)
    >>> s.customers[["customer_id", "r_score", "f_score", "m_score"]]
      customer_id  r_score  f_score  m_score
    0           A        3        1        3
    1           B        1        1        1
    2           C        2        1        1
    3           D        1        3        3
    4           E        2        3        2
    >>> print(w[0].message)  # doctest: +ELLIPSIS
    rfm_scores: frequency: quantile cut points collapse (ties); score(s) 2 ... empty...
    >>> s.thresholds[s.thresholds.metric == "frequency"]
          metric  score  lower  upper  customers
    3  frequency      1   -inf    2.0          3
    4  frequency      2    2.0    2.0          0
    5  frequency      3    2.0    inf          2
    """
    df = _unwrap(table, "table")
    bins = _check_bins(bins)
    if method not in ("quantile", "thresholds"):
        raise RFMError(f"method must be 'quantile' or 'thresholds', got {method!r}")
    if method == "thresholds" and thresholds is None:
        raise RFMError("method='thresholds' needs thresholds= (a table or a mapping of cuts)")
    if method == "quantile" and thresholds is not None:
        raise RFMError("thresholds= is only used with method='thresholds'")
    cols = dict(zip(METRICS, (recency_col, frequency_col, monetary_col), strict=True))
    _require(df, list(cols.values()), "table")
    if df.empty:
        raise RFMError("rfm_scores: the table has no customers to score")
    out, rows, notes = {}, [], []
    for metric, col in cols.items():
        hb = metric != "recency"
        v = pd.to_numeric(df[col]).to_numpy(dtype=float)
        if np.isnan(v).any():
            raise _reject("table", col, "not null", np.isnan(v), df.reset_index(drop=True),
                          "customer_id")
        if method == "quantile":
            cuts, lo_b, hi_b = _quantile_cuts(v, bins, hb), -np.inf, np.inf
        else:
            cuts, lo_b, hi_b = _cuts_given(thresholds, metric, bins, hb)
            if (bad := (v < lo_b) | (v >= hi_b)).any():
                raise _reject("table", col, f"inside the thresholds [{lo_b:g}, {hi_b:g})", bad,
                              df.reset_index(drop=True), "customer_id")
        rank = 1 + np.searchsorted(cuts, v, side="right")  # 1 = lowest values
        score = rank if hb else bins + 1 - rank
        out[metric] = score
        bounds = np.r_[lo_b, cuts, hi_b]
        counts = np.bincount(rank, minlength=bins + 1)[1:]
        ks = np.arange(1, bins + 1)
        rows.append(pd.DataFrame({"metric": metric, "score": ks if hb else bins + 1 - ks,
                                  "lower": bounds[:-1], "upper": bounds[1:],
                                  "customers": counts}))
        empty = sorted((ks if hb else bins + 1 - ks)[counts == 0].tolist())
        if empty:
            nd = np.unique(v).size
            why = ("no customer in the interval" if method != "quantile" else
                   "quantile cut points collapse (ties)" if nd >= bins else
                   f"quantile cut points collapse (only {nd} distinct values)")
            notes.append(f"{metric}: {why}; score(s) {', '.join(map(str, empty))} of {bins} "
                         "are empty")
    if notes:
        warnings.warn("rfm_scores: " + "; ".join(notes) + " (see RFMScores.thresholds)",
                      RFMWarning, stacklevel=2)
    res = df.assign(r_score=out["recency"], f_score=out["frequency"], m_score=out["monetary"])
    res["rfm_code"] = 100 * res["r_score"] + 10 * res["f_score"] + res["m_score"]
    thr = pd.concat(rows, ignore_index=True)
    return RFMScores(res, thr)


# --------------------------------------------------------------------------- re-exports
# mallkit.segments imports from this module, so its public names are re-exported lazily
# (PEP 562): importing them at the top would be an import cycle.
def __getattr__(name: str) -> Any:
    if name in _FROM_SEGMENTS:
        from mallkit import segments

        return getattr(segments, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_SEGMENTS})
