"""Demand history per SKU: daily sales, event and promotion days, in-stock demand
statistics with Syntetos–Boylan classes, and ABC–XYZ classes.

This is the statistics half of 库存预警: :mod:`mallkit.intermittent` holds the
Croston/SBA/TSB forecasts (``forecast_intermittent`` is re-exported here),
:mod:`mallkit.uplift` measures what past events did to demand, :mod:`mallkit.safety`
holds the safety-stock formulas and :mod:`mallkit.inventory` turns it all into explained
warnings.

Definitions (stated once, used everywhere):

* **Daily sales** are units of paid order lines (``PAID_STATUSES``) per ``(date, sku)``,
  dated by the order's ``created_at`` (when the demand arose) unless told otherwise.
* The **inventory** table is a *closing* (end-of-day) snapshot. A day is **in stock**
  when the closing ``on_hand`` is positive. A day that closes at 0 may have lost sales
  (the SKU sold out during the day or was out all day), so it **censors** demand and is
  left out of the statistics, as Linnworks' "days in stock" average does. A day with
  no inventory row is not known to be in stock and is left out too (``no_record_days``).
* **Occasions** are event days of :func:`mallkit.calendar.events` (kinds ``sale`` and
  ``logistics`` by default: 双11, 618, 春节 courier stop, …) and promotion days (by
  scope). They inflate σ, so :func:`demand_stats` leaves them out by default. An event
  day's label is its ``event/phase`` (several joined with ``" + "``); a promotion day's
  label is ``promo:<name>``; on a day with both, the event label wins (the promotion's
  effect is learned as part of the event's).
* **Syntetos–Boylan classes** over the used days: ADI = used days ÷ days with demand,
  CV² = (std ÷ mean)² of the non-zero daily demands (``ddof=1``, as R's ``sd``):
  smooth (ADI < 1.32, CV² < 0.49), intermittent (ADI ≥ 1.32, CV² < 0.49), erratic
  (ADI < 1.32, CV² ≥ 0.49), lumpy (both high); ``no_demand`` without a sale. With a
  single demand day CV² is undefined (NaN) and ADI alone decides.

Examples
--------
>>> from mallkit.demand import demand_class
>>> demand_class([1.1, 2.0], [0.2, 0.9]).tolist()  # (ADI, CV²) pairs
['smooth', 'lumpy']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from mallkit import calendar as mcal
from mallkit.errors import MissingColumnsError, SchemaError
from mallkit.intermittent import _croston, forecast_intermittent
from mallkit.schema import PAID_STATUSES, TZ, validate

__all__ = [
    "ADI_CUTOFF",
    "CV2_CUTOFF",
    "DEMAND_CLASSES",
    "abc_xyz",
    "daily_sales",
    "demand_class",
    "demand_stats",
    "forecast_intermittent",
    "occasion_calendar",
]

ADI_CUTOFF = 1.32  # Syntetos & Boylan (2005); CRAN m5::m5_demand_type
CV2_CUTOFF = 0.49
DEMAND_CLASSES = ("smooth", "intermittent", "erratic", "lumpy", "no_demand")
EVENT_KINDS = ("sale", "logistics")
MAX_EXAMPLES = 5
_GRAINS = {"D": 1, "W": 7, "M": 30}


# --------------------------------------------------------------------------- checks
def _require(df: Any, cols: Sequence[str], table: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{table}: expected a DataFrame, got {type(df).__name__}", table=table)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise MissingColumnsError(
            f"table '{table}': missing column(s) {missing}; present: {list(df.columns)}",
            table=table, column=missing[0], missing=missing, present=list(df.columns),
        )


def _reject(table: str, column: str, rule: str, bad: np.ndarray, df: pd.DataFrame,
            keys: Sequence[str]) -> None:
    """Raise a SchemaError naming up to five offending rows, if any row is bad."""
    n = int(bad.sum())
    if not n:
        return
    rows = df.loc[bad]
    ex = rows[list(keys)].head(MAX_EXAMPLES).astype(str).agg("/".join, axis=1).tolist()
    more = f" (and {n - MAX_EXAMPLES} more)" if n > MAX_EXAMPLES else ""
    raise SchemaError(
        f"table '{table}': column '{column}' breaks rule '{rule}' in {n} row(s); "
        f"e.g. {'/'.join(keys)}={', '.join(ex)}{more}",
        table=table, column=column, rule=rule, rows=rows,
    )


def _day(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{name}: {value!r} is not a date", column=name) from exc
    if ts is pd.NaT:
        raise SchemaError(f"{name}: a date is required, got {value!r}", column=name)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(TZ).tz_localize(None)
    return ts.normalize()


def _sales(sales: pd.DataFrame, date_col: str, sku_col: str, qty_col: str,
           value_col: str | None = None, table: str = "sales") -> pd.DataFrame:
    """Daily sales (or any dated lines) as ``date, sku, qty[, value]`` with checked values."""
    cols = [date_col, sku_col, qty_col] + ([value_col] if value_col else [])
    if (isinstance(sales, pd.DataFrame) and date_col not in sales.columns
            and "order_id" in sales.columns):  # canonical order_lines: dates are on orders
        raise MissingColumnsError(
            f"table '{table}': missing column '{date_col}': order lines carry no date; "
            f"pass daily sales from mallkit.demand.daily_sales(order_lines, orders)",
            table=table, column=date_col, missing=[date_col], present=list(sales.columns))
    _require(sales, cols, table)
    d = sales[date_col]
    if not pd.api.types.is_datetime64_any_dtype(d.dtype):
        try:
            d = pd.to_datetime(d)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"table '{table}': column '{date_col}' is not dates: {exc}",
                              table=table, column=date_col, rule="dates") from exc
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_convert(TZ).dt.tz_localize(None)
    q = sales[qty_col]
    if not (pd.api.types.is_numeric_dtype(q.dtype) and not pd.api.types.is_bool_dtype(q.dtype)):
        raise SchemaError(f"table '{table}': column '{qty_col}' must be numeric, got {q.dtype}",
                          table=table, column=qty_col, rule="numeric")
    dv = d.to_numpy(dtype="datetime64[us]")
    if not (dv.view("i8") % 86_400_000_000 == 0).all():  # normalising 10 M dates costs
        dv = d.dt.normalize().to_numpy(dtype="datetime64[us]")
    out = pd.DataFrame({"date": dv, "sku": sales[sku_col].array,
                        "qty": q.to_numpy(dtype="float64", na_value=np.nan)})
    if value_col:
        v = sales[value_col]
        if not pd.api.types.is_integer_dtype(v.dtype):
            raise SchemaError(f"table '{table}': column '{value_col}' must be integer fen, got "
                              f"{v.dtype}; convert yuan with mallkit.money.to_fen",
                              table=table, column=value_col, rule="integer fen")
        out["value"] = v.to_numpy(dtype="int64")
    keys = ["date", "sku"]
    _reject(table, date_col, "not null", out["date"].isna().to_numpy(), out, ["sku"])
    _reject(table, sku_col, "not null", out["sku"].isna().to_numpy(), out, ["date"])
    _reject(table, qty_col, "not null", np.isnan(out["qty"].to_numpy()), out, keys)
    _reject(table, qty_col, "non-negative", out["qty"].to_numpy() < 0, out, keys)
    out["sku"] = out["sku"].astype("str")
    return out


def _rows_between(df: pd.DataFrame | None, lo: pd.Timestamp, hi: pd.Timestamp,
                  col: str = "date") -> pd.DataFrame | None:
    """Rows of ``df`` dated ``lo..hi``, when the dates are already datetimes (else all
    rows): validating and factorizing only the days a function uses is much cheaper."""
    if df is None or col not in df.columns or not len(df):
        return df
    d = df[col]
    if not pd.api.types.is_datetime64_dtype(d.dtype):
        return df
    keep = ((d >= lo) & (d < hi + pd.Timedelta(days=1))).to_numpy()
    return df if keep.all() else df.loc[keep]


def _positions(values: Any, index: pd.Index) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 if absent), factorizing once for speed."""
    codes, uniq = pd.factorize(values)
    pos = index.get_indexer(pd.Index(uniq).astype("str"))
    return pos[codes]


# --------------------------------------------------------------------------- daily sales
def daily_sales(
    order_lines: pd.DataFrame,
    orders: pd.DataFrame,
    /,
    *,
    time_col: str = "created_at",
    statuses: Sequence[str] = PAID_STATUSES,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Units and paid fen per day and SKU from the order lines of paid orders.

    Parameters
    ----------
    order_lines, orders : pandas.DataFrame
        Canonical ``order_lines`` and ``orders``.
    time_col : str, default "created_at"
        Order timestamp that dates the demand (``"paid_at"`` for cash-basis counts).
    statuses : sequence of str
        Order statuses that count as sales (default paid, shipped, completed).
    by : sequence of str
        Extra order columns to keep as keys (e.g. ``("channel",)``).

    Returns
    -------
    pandas.DataFrame
        ``date, *by, sku, qty, paid_fen`` sorted by the keys; one row per key with a sale.

    Raises
    ------
    SchemaError
        A table breaks the schema, or order lines refer to orders that do not exist
        (the message lists them: such lines are never dropped silently).

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> mall = make_sample_mall(seed=1, start="2025-03-01", end="2025-03-31", n_customers=500)
    >>> ds = daily_sales(mall["order_lines"], mall["orders"])
    >>> list(ds.columns)
    ['date', 'sku', 'qty', 'paid_fen']
    >>> paid = mall["orders"]["status"].isin(["paid", "shipped", "completed"])
    >>> lines = mall["order_lines"]
    >>> int(ds["qty"].sum()) == int(lines.loc[lines["order_id"].isin(
    ...     mall["orders"].loc[paid, "order_id"]), "qty"].sum())
    True
    """
    lines = validate(order_lines, "order_lines")
    ords = validate(orders, "orders")
    by = list(by)
    _require(ords, [time_col, *by], "orders")
    pos = _positions(lines["order_id"], pd.Index(ords["order_id"]))
    _reject("order_lines", "order_id", "order exists in orders", pos < 0, lines,
            ["order_id", "sku"])
    keep = ords["status"].isin(list(statuses)).to_numpy()[pos]
    pos = pos[keep]
    when = ords[time_col].to_numpy()[pos]
    if np.isnat(when).any():
        bad = np.zeros(len(ords), dtype=bool)
        bad[pos[np.isnat(when)]] = True
        _reject("orders", time_col, "not null for sales", bad, ords, ["order_id"])
    frame = {"date": pd.DatetimeIndex(when).normalize()}
    for c in by:
        frame[c] = ords[c].to_numpy()[pos]
    frame["sku"] = lines["sku"].array[keep]
    frame["qty"] = lines["qty"].to_numpy()[keep]
    frame["paid_fen"] = lines["paid_fen"].to_numpy()[keep]
    out = pd.DataFrame(frame).groupby(["date", *by, "sku"], sort=True, observed=True)
    return out[["qty", "paid_fen"]].sum().reset_index()


# --------------------------------------------------------------------------- occasions
def occasion_calendar(
    start: Any,
    end: Any,
    /,
    *,
    events: pd.DataFrame | None = None,
    promotions: pd.DataFrame | None = None,
    event_kinds: Sequence[str] = EVENT_KINDS,
) -> pd.DataFrame:
    """Event and promotion days between ``start`` and ``end``, with their occasion labels.

    Parameters
    ----------
    start, end : date-like
        First and last day (inclusive).
    events : pandas.DataFrame, optional
        Event days with ``date, event, phase, kind`` (as :func:`mallkit.calendar.events`
        returns); default the shipped calendar. An empty frame means no events.
    promotions : pandas.DataFrame, optional
        Canonical ``promotions``; each covers its days from ``start`` to ``end`` for its
        scope (``"all"`` or ``"category:<name>"``).
    event_kinds : sequence of str
        Event kinds that count (default ``sale`` and ``logistics``; public holidays and
        调休 workdays are ``holiday`` / ``workday``).

    Returns
    -------
    pandas.DataFrame
        ``date, scope, occasion, source`` (``"event"`` or ``"promotion"``), one row per
        (date, scope, occasion); events have scope ``"all"``.

    Examples
    --------
    >>> occasion_calendar("2025-11-10", "2025-11-12")[["date", "occasion"]]
            date           occasion
    0 2025-11-10     双11/presale
    1 2025-11-11  双11/final_payment
    2 2025-11-12        双11/tail
    """
    lo, hi = _day(start, "start"), _day(end, "end")
    if events is None:
        events = mcal.events(lo, hi) if lo <= hi else mcal.events(lo, lo).iloc[:0]
    _require(events, ["date", "event", "phase", "kind"], "events")
    ev = events[events["kind"].isin(list(event_kinds))]
    ev = ev.assign(date=pd.to_datetime(ev["date"]).dt.normalize())
    ev = ev[ev["date"].between(lo, hi)]
    label = ev["event"].astype("str") + "/" + ev["phase"].astype("str")
    parts = [pd.DataFrame({"date": ev["date"].to_numpy(), "scope": "all",
                           "occasion": label.to_numpy(), "source": "event"})]
    if promotions is not None and len(promotions):
        pr = validate(promotions, "promotions")
        s = pr["start"].dt.normalize().clip(lower=lo)
        e = pr["end"].dt.normalize().clip(upper=hi)
        n = ((e - s).dt.days + 1).clip(lower=0).to_numpy()
        rep = np.repeat(np.arange(len(pr)), n)
        offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        parts.append(pd.DataFrame({
            "date": s.to_numpy()[rep] + offset.astype("timedelta64[D]"),
            "scope": pr["scope"].to_numpy()[rep],
            "occasion": ("promo:" + pr["name"].astype("str")).to_numpy()[rep],
            "source": "promotion",
        }))
    out = pd.concat(parts, ignore_index=True).astype(
        {"date": "datetime64[us]", "scope": "str", "occasion": "str", "source": "str"})
    out = out.drop_duplicates().sort_values(["date", "source", "occasion"], kind="stable")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class _Occasions:
    """Occasion codes on a run of days: one per day for events, per category for promotions."""

    labels: tuple[str, ...]
    event: np.ndarray  # (days,) code of the day's joined event label, -1 for none
    promo: np.ndarray  # (days, n_cat + 1) joined promotion label per category; last = none

    def codes(self, cat_idx: np.ndarray, *, events: bool = True,
              promotions: bool = True) -> np.ndarray:
        """(days, n_sku) occasion code of every SKU-day (events win), -1 for none."""
        n_days = len(self.event)
        out = np.full((n_days, len(cat_idx)), -1, dtype=np.int32)
        if promotions:
            out = self.promo[:, cat_idx].astype(np.int32)
        if events:
            ev = self.event[:, None]
            out = np.where(ev >= 0, ev, out)
        return out


def _occasions(start: pd.Timestamp, n_days: int, categories: pd.Index, *, events,
               promotions, event_kinds) -> _Occasions:
    end = start + pd.Timedelta(days=n_days - 1)
    cal = occasion_calendar(start, end, events=events, promotions=promotions,
                            event_kinds=event_kinds)
    day = _day_numbers(cal["date"].to_numpy(), start)
    is_ev = (cal["source"] == "event").to_numpy()
    labels: list[str] = []
    ev_code = np.full(n_days, -1, dtype=np.int32)
    if is_ev.any():
        joined = cal.loc[is_ev].groupby(day[is_ev], sort=True)["occasion"].agg(" + ".join)
        codes, uniq = pd.factorize(joined)
        ev_code[joined.index.to_numpy()] = codes
        labels += list(uniq)
    n_cat = len(categories)
    pr_code = np.full((n_days, n_cat + 1), -1, dtype=np.int32)
    pr = cal.loc[~is_ev]
    if len(pr):
        scope = pr["scope"].to_numpy()
        is_all = scope == "all"
        cat = categories.get_indexer(pd.Index(np.char.replace(
            scope.astype(str), "category:", "", count=1)).astype("str"))
        # "all" covers every category and SKUs without one (the last column)
        k = np.where(is_all, n_cat + 1, 1)
        rows = np.repeat(np.arange(len(pr)), k)
        col = np.where(np.repeat(is_all, k), np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k),
                       np.repeat(cat, k))
        ok = col >= 0  # a category missing from products has no SKU to apply to
        long = pd.DataFrame({"day": day[~is_ev][rows][ok], "col": col[ok],
                             "occasion": pr["occasion"].to_numpy()[rows][ok]})
        long = long.drop_duplicates().sort_values(["day", "col", "occasion"])
        joined = long.groupby(["day", "col"], sort=True)["occasion"].agg(" + ".join)
        codes, uniq = pd.factorize(joined)
        d, c = (joined.index.get_level_values(i).to_numpy() for i in (0, 1))
        pr_code[d, c] = codes + len(labels)
        labels += list(uniq)
    return _Occasions(tuple(labels), ev_code, pr_code)


# --------------------------------------------------------------------------- history grid
@dataclass(frozen=True)
class _History:
    """Dense (day × SKU) sales and closing stock over a run of days ending on ``as_of``."""

    skus: pd.Index
    start: pd.Timestamp
    qty: np.ndarray  # float64 (days, n_sku)
    stock: np.ndarray | None  # int32/64 (days, n_sku) closing on_hand, -1 without a record
    last_sale: np.ndarray  # datetime64[us] (n_sku,) last day with a sale up to as_of, NaT
    cat_idx: np.ndarray  # (n_sku,) category position, n_cat if unknown
    categories: pd.Index
    sales_pos: np.ndarray  # (rows,) SKU position of each sales row up to as_of
    sales_day: np.ndarray  # (rows,) its day number from start (negative before the grid)
    sales_value: np.ndarray | None  # (rows,) its revenue in fen, if the sales have one

    @property
    def in_stock(self) -> np.ndarray:
        if self.stock is None:
            return np.ones(self.qty.shape, dtype=bool)
        return self.stock > 0


def _tail(h: _History, days: int) -> _History:
    """The last ``days`` days of a history grid."""
    cut = h.qty.shape[0] - days
    return replace(h, start=h.start + pd.Timedelta(days=cut), qty=h.qty[cut:],
                   stock=None if h.stock is None else h.stock[cut:],
                   sales_day=h.sales_day - cut)


def _day_numbers(dates: Any, start: pd.Timestamp) -> np.ndarray:
    """Whole days from ``start`` (integer arithmetic, no Timedelta objects)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    return (d - np.datetime64(start.date(), "D")).astype(np.int64)


def _history(sales: pd.DataFrame, inventory: pd.DataFrame | None, *, as_of: pd.Timestamp,
             n_days: int, skus: pd.Index | None = None,
             products: pd.DataFrame | None = None) -> _History:
    """Grid of ``sales`` (checked by :func:`_sales`) and ``inventory`` (validated).

    SKU strings are factorized once per table (the costly step on millions of rows);
    the rows of every per-SKU result are ``skus``, then products, then the SKUs seen
    only in sales or inventory, sorted.
    """
    start = as_of - pd.Timedelta(days=n_days - 1)
    s_day = _day_numbers(sales["date"].to_numpy(), start)
    past = s_day < n_days
    s_codes, s_uniq = pd.factorize(sales["sku"])
    known = [skus] if skus is not None else []
    if products is not None:
        known.append(pd.Index(products["sku"]).astype("str"))
    known.append(pd.Index(s_uniq).astype("str"))
    if inventory is not None:
        i_codes, i_uniq = pd.factorize(inventory["sku"])
        known.append(pd.Index(i_uniq).astype("str"))
    allsk = known[0]
    for k in known[1:]:
        allsk = allsk.append(k.difference(allsk).sort_values())
    allsk = allsk.drop_duplicates()
    n_sku = len(allsk)
    s_pos = allsk.get_indexer(pd.Index(s_uniq).astype("str"))[s_codes][past]
    s_day = s_day[past]
    qty_all = sales["qty"].to_numpy()[past]
    # last sale over all history given, not only the window
    last = np.full(n_sku, np.datetime64("NaT"), dtype="datetime64[us]")
    sold = qty_all > 0
    if sold.any():
        m = pd.Series(s_day[sold]).groupby(s_pos[sold], sort=False).max()
        last[m.index.to_numpy()] = (np.datetime64(start.date(), "D")
                                    + m.to_numpy().astype("timedelta64[D]"))
    win = s_day >= 0
    qty = np.bincount(s_day[win] * n_sku + s_pos[win], weights=qty_all[win],
                      minlength=n_days * n_sku).reshape(n_days, n_sku)
    stock = None
    if inventory is not None:
        i_pos = allsk.get_indexer(pd.Index(i_uniq).astype("str"))[i_codes]
        i_day = _day_numbers(inventory["date"].to_numpy(), start)
        on_hand = inventory["on_hand"].to_numpy()
        keep = (i_day >= 0) & (i_day < n_days)
        if not keep.all():
            i_day, i_pos, on_hand = i_day[keep], i_pos[keep], on_hand[keep]
        # int32 halves the memory traffic of the largest grid; int64 only if needed
        big = len(on_hand) and on_hand.max() > np.iinfo(np.int32).max
        stock = np.full((n_days, n_sku), -1, dtype=np.int64 if big else np.int32)
        stock.ravel()[i_day * n_sku + i_pos] = on_hand
    if products is not None:
        categories = pd.Index(products["category"].unique()).astype("str").sort_values()
        cat_of = pd.Series(products["category"].astype("str").to_numpy(),
                           index=pd.Index(products["sku"]).astype("str"))
        cat = categories.get_indexer(cat_of.reindex(allsk).fillna("").to_numpy())
        cat_idx = np.where(cat < 0, len(categories), cat)
    else:
        categories = pd.Index([], dtype="str")
        cat_idx = np.zeros(n_sku, dtype=np.int64)
    value = sales["value"].to_numpy()[past] if "value" in sales.columns else None
    return _History(allsk, start, qty, stock, last, cat_idx, categories, s_pos, s_day, value)


# --------------------------------------------------------------------------- statistics
def demand_class(adi: Any, cv2: Any, /) -> np.ndarray:
    """Syntetos–Boylan class of each (ADI, CV²) pair.

    ``adi`` NaN or infinite means no demand (``"no_demand"``); ``cv2`` NaN (a single
    demand) counts as below the cut-off, so ADI alone decides.

    Examples
    --------
    >>> demand_class([1.0, 2.0, 1.1, 3.0, np.inf], [0.2, 0.2, 0.8, 0.8, np.nan]).tolist()
    ['smooth', 'intermittent', 'erratic', 'lumpy', 'no_demand']
    """
    adi = np.asarray(adi, dtype="float64")
    cv2 = np.asarray(cv2, dtype="float64")
    hi_adi = adi >= ADI_CUTOFF
    hi_cv = np.nan_to_num(cv2, nan=0.0) >= CV2_CUTOFF
    out = np.select([hi_adi & hi_cv, hi_adi, hi_cv], ["lumpy", "intermittent", "erratic"],
                    "smooth").astype(object)
    out[~np.isfinite(adi)] = "no_demand"
    return out


def _window_stats(qty: np.ndarray, used: np.ndarray, *, alpha: float) -> dict[str, np.ndarray]:
    """Mean, std, ADI, CV², class and SBA forecast of each column over its used days."""
    n_used = used.sum(axis=0)
    x = np.where(used, qty, 0.0)
    total = x.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n_used
        dev = np.where(used, qty - mean, 0.0)
        std = np.sqrt((dev**2).sum(axis=0) / (n_used - 1))
        nz = used & (qty > 0)
        n_nz = nz.sum(axis=0)
        size_mean = total / n_nz
        sdev = np.where(nz, qty - size_mean, 0.0)
        size_var = (sdev**2).sum(axis=0) / (n_nz - 1)
        cv2 = np.where(n_nz > 1, size_var / size_mean**2, np.nan)
        adi = np.where(n_nz > 0, n_used / n_nz, np.inf)
    std = np.where(n_used > 1, std, np.nan)
    cls = demand_class(adi, cv2)
    sba = _croston(qty, used, alpha=alpha, sba=True)
    inter = np.isin(cls, ["intermittent", "lumpy"])
    forecast = np.where(inter, sba, mean)
    return {"used_days": n_used, "demand_days": n_nz, "used_units": total, "mean": mean,
            "std": std, "zero_share": 1 - n_nz / np.where(n_used > 0, n_used, np.nan),
            "adi": adi, "cv2": cv2, "demand_class": cls, "forecast": forecast,
            "forecast_method": np.where(inter, "sba", "mean")}


def demand_stats(
    sales: pd.DataFrame,
    inventory: pd.DataFrame | None = None,
    /,
    *,
    as_of: Any,
    window_days: int = 90,
    products: pd.DataFrame | None = None,
    promotions: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    exclude: Sequence[str] = ("events", "promotions"),
    event_kinds: Sequence[str] = EVENT_KINDS,
    min_days: int = 14,
    alpha: float = 0.1,
    date_col: str = "date",
    sku_col: str = "sku",
    qty_col: str = "qty",
) -> pd.DataFrame:
    """Daily demand of each SKU over in-stock, non-event days, with its demand class.

    Parameters
    ----------
    sales : pandas.DataFrame
        Units per day and SKU (:func:`daily_sales`), or any dated lines: rows of the same
        (date, SKU) are added up. Days without a row sold nothing.
    inventory : pandas.DataFrame, optional
        Canonical ``inventory`` (closing snapshots). Without it every day counts as in
        stock, so stock-outs bias the mean down: pass it whenever you have it. Only its
        rows in the window are read and validated.
    as_of : date-like
        Last day of the window (inclusive); later rows are ignored.
    window_days : int, default 90
        Days in the window ``(as_of - window_days, as_of]``.
    products : pandas.DataFrame, optional
        Canonical ``products``: adds its SKUs (even unsold) and the categories that
        category-scoped promotions need.
    promotions, events : pandas.DataFrame, optional
        See :func:`occasion_calendar`; ``events`` defaults to the shipped calendar.
    exclude : sequence of {"events", "promotions"}
        Occasions left out of the statistics (default both: they inflate σ).
    event_kinds : sequence of str
        Event kinds that are occasions (default ``sale``, ``logistics``).
    min_days : int, default 14
        Fewer used days than this sets ``low_data``.
    alpha : float, default 0.1
        Smoothing constant of the SBA forecast.
    date_col, sku_col, qty_col : str
        Column names in ``sales``.

    Returns
    -------
    pandas.DataFrame
        One row per SKU: ``sku, days, in_stock_days, no_record_days, excluded_days,
        used_days, demand_days, units`` (all units in the window), ``used_units, mean,
        std`` (daily, over used days, ``ddof=1``), ``zero_share, adi, cv2,
        demand_class, forecast`` (SBA per day for intermittent and lumpy SKUs, else the
        mean), ``forecast_method, last_sale, days_since_sale, low_data``.

    Raises
    ------
    SchemaError, MissingColumnsError
        A table lacks a column or breaks a rule (negative or missing quantities,
        negative stock, …); the message names the table, column, rule and rows.

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.date_range("2026-03-01", periods=6)
    >>> sales = pd.DataFrame({"date": days, "sku": "A", "qty": [4, 6, 0, 5, 9, 5]})
    >>> inv = pd.DataFrame({"date": days, "sku": "A", "on_hand": [9, 3, 0, 8, 2, 30],
    ...                     "on_order": 0})
    >>> st = demand_stats(sales, inv, as_of="2026-03-06", window_days=6, events=pd.DataFrame(
    ...     columns=["date", "event", "phase", "kind"]))
    >>> st[["sku", "in_stock_days", "used_days", "mean", "demand_class"]]
      sku  in_stock_days  used_days  mean demand_class
    0   A              5          5   5.8       smooth
    """
    as_of = _day(as_of, "as_of")
    if not isinstance(window_days, int | np.integer) or window_days < 1:
        raise SchemaError(f"demand_stats: window_days must be a whole number of days >= 1, "
                          f"got {window_days!r}", column="window_days", rule="positive")
    bad = set(exclude) - {"events", "promotions"}
    if bad:
        raise SchemaError(f"demand_stats: exclude may hold 'events' and 'promotions', got "
                          f"{sorted(bad)}", column="exclude", rule="choices")
    s = _sales(sales, date_col, sku_col, qty_col)
    start = as_of - pd.Timedelta(days=window_days - 1)
    inv = _rows_between(inventory, start, as_of)
    inv = validate(inv, "inventory") if inv is not None else None
    prod = validate(products, "products") if products is not None else None
    _check_scopes(promotions, prod)
    h = _history(s, inv, as_of=as_of, n_days=window_days, products=prod)
    occ = _occasions(h.start, window_days, h.categories, events=events, promotions=promotions,
                     event_kinds=event_kinds)
    excl = occ.codes(h.cat_idx, events="events" in exclude,
                     promotions="promotions" in exclude) >= 0
    return _stats_frame(h, excl, min_days=min_days, alpha=alpha, as_of=as_of)


def _check_scopes(promotions: pd.DataFrame | None, products: pd.DataFrame | None) -> None:
    """Category-scoped promotions need products to know which SKUs they cover."""
    if promotions is None or products is not None or not len(promotions):
        return
    scoped = promotions["scope"].astype("str").str.startswith("category:").to_numpy()
    _reject("promotions", "scope", "category scope needs products (pass products=)", scoped,
            promotions, ["promo_id", "scope"])


def _stats_frame(h: _History, excl: np.ndarray, *, min_days: int, alpha: float,
                 as_of: pd.Timestamp, rows: slice = slice(None)) -> pd.DataFrame:
    """demand_stats on a history grid; ``rows`` picks the window's days of the grid and
    ``excl`` (same shape as the grid) marks the occasion days to leave out."""
    qty = h.qty[rows]
    stock = h.stock[rows] if h.stock is not None else None
    in_stock = stock > 0 if stock is not None else np.ones(qty.shape, dtype=bool)
    excl = excl[rows]
    used = in_stock & ~excl
    st = _window_stats(qty, used, alpha=alpha)
    n = len(h.skus)
    since = (as_of - pd.DatetimeIndex(h.last_sale)).days.to_numpy(dtype="float64",
                                                                   na_value=np.nan)
    out = pd.DataFrame({
        "sku": h.skus.array,
        "days": np.full(n, qty.shape[0]),
        "in_stock_days": in_stock.sum(axis=0),
        "no_record_days": (stock < 0).sum(axis=0) if stock is not None else np.zeros(n, int),
        "excluded_days": (in_stock & excl).sum(axis=0),
        "units": qty.sum(axis=0),
        **st,
        "last_sale": h.last_sale,
        "days_since_sale": since,
    })
    out["low_data"] = out["used_days"] < min_days
    order = ["sku", "days", "in_stock_days", "no_record_days", "excluded_days", "used_days",
             "demand_days", "units", "used_units", "mean", "std", "zero_share", "adi", "cv2",
             "demand_class", "forecast", "forecast_method", "last_sale", "days_since_sale",
             "low_data"]
    return out[order].astype({"demand_class": "str", "forecast_method": "str"})


# --------------------------------------------------------------------------- ABC–XYZ
def abc_xyz(
    sales: pd.DataFrame,
    products: pd.DataFrame | None = None,
    /,
    *,
    as_of: Any,
    window_days: int = 364,
    abc: tuple[float, float] = (0.80, 0.95),
    xyz: tuple[float, float] = (0.5, 1.0),
    grain: str | int = "W",
    date_col: str = "date",
    sku_col: str = "sku",
    qty_col: str = "qty",
    value_col: str = "paid_fen",
) -> pd.DataFrame:
    """ABC by revenue share and XYZ by the variability of demand per period.

    ABC: SKUs sorted by revenue (ties by SKU); a SKU is **A** while the cumulative share
    of the SKUs *before* it is below ``abc[0]`` (so the top seller is always A), **B**
    below ``abc[1]``, else **C**; **U** without revenue (Inventory Mate's "U" class).
    Shopify's defaults are 80 / 15 / 5 % of revenue.

    XYZ: CV = std ÷ mean (``ddof=0``) of units per period, periods being consecutive
    blocks of ``grain`` days ending on ``as_of`` (``"D"`` 1, ``"W"`` 7, ``"M"`` 30 days;
    a partial block at the start is dropped), zeros included. **X** CV < ``xyz[0]``,
    **Y** < ``xyz[1]``, **Z** otherwise, **U** without units. The grain changes CV a lot:
    state it with the result.

    Parameters
    ----------
    sales : pandas.DataFrame
        Daily sales with units and revenue in integer fen (:func:`daily_sales`).
    products : pandas.DataFrame, optional
        Canonical ``products``: its unsold SKUs get class U, and ``category`` is added.
    as_of : date-like
        Last day of the window.
    window_days : int, default 364
        Length of the window (52 weeks).
    abc, xyz : pair of float
        Class boundaries (cumulative revenue shares; CV values).
    grain : {"D", "W", "M"} or int
        Period length for XYZ.

    Returns
    -------
    pandas.DataFrame
        ``sku, [category,] revenue_fen, share, cum_share, abc, units, periods, cv, xyz,
        abc_xyz`` sorted by revenue, largest first.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"date": pd.to_datetime(["2026-01-05"] * 4), "sku": list("abcd"),
    ...                   "qty": [1, 1, 1, 0], "paid_fen": [8000, 1500, 500, 0]})
    >>> abc_xyz(s, as_of="2026-01-11", window_days=7, grain="D")[["sku", "abc", "xyz"]]
      sku abc xyz
    0   a   A   Z
    1   b   B   Z
    2   c   C   Z
    3   d   U   U
    """
    as_of = _day(as_of, "as_of")
    g = _GRAINS.get(grain, grain) if isinstance(grain, str) else grain
    if not isinstance(g, int | np.integer) or g < 1 or g > window_days:
        raise SchemaError(f"abc_xyz: grain must be 'D', 'W', 'M' or a number of days in "
                          f"[1, window_days={window_days}], got {grain!r}",
                          column="grain", rule="choices")
    if not (0 < abc[0] <= abc[1] <= 1) or not (0 <= xyz[0] <= xyz[1]):
        raise SchemaError(f"abc_xyz: need 0 < abc[0] <= abc[1] <= 1 and 0 <= xyz[0] <= xyz[1],"
                          f" got abc={abc}, xyz={xyz}", column="abc", rule="ordered")
    s = _sales(sales, date_col, sku_col, qty_col, value_col)
    prod = validate(products, "products") if products is not None else None
    return _abc_xyz(s, prod, as_of=as_of, window_days=window_days, abc=abc, xyz=xyz, g=int(g))


def _abc_xyz(s: pd.DataFrame, prod: pd.DataFrame | None, *, as_of: pd.Timestamp,
             window_days: int, abc: tuple[float, float], xyz: tuple[float, float],
             g: int) -> pd.DataFrame:
    """abc_xyz on checked sales (``date, sku, qty, value``) and validated products."""
    skus = pd.Index(prod["sku"]).astype("str") if prod is not None else None
    h = _history(s, None, as_of=as_of, n_days=window_days, skus=skus)
    return _classify(h, prod, abc=abc, xyz=xyz, g=g)


def _classify(h: _History, prod: pd.DataFrame | None, *, abc: tuple[float, float],
              xyz: tuple[float, float], g: int) -> pd.DataFrame:
    """ABC–XYZ over the whole grid of ``h`` (its days are the window)."""
    n_days, n = h.qty.shape
    skus = h.skus
    win = h.sales_day >= 0
    rev = np.zeros(n, dtype=np.int64)
    if h.sales_value is not None:  # exact integer sums (bincount would go through float)
        r = pd.Series(h.sales_value[win]).groupby(h.sales_pos[win], sort=False).sum()
        rev[r.index.to_numpy()] = r.to_numpy()
    units = h.qty.sum(axis=0)
    n_per = n_days // g
    grid = h.qty[n_days - n_per * g:].reshape(n_per, g, n).sum(axis=1)  # blocks end on as_of
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = grid.std(axis=0) / grid.mean(axis=0)
    order = np.lexsort((skus.to_numpy(), -rev))
    total = int(rev.sum())
    cum_fen = np.empty(n, dtype=np.int64)
    cum_fen[order] = np.cumsum(rev[order])  # exact: shares compare on integer fen
    before = cum_fen - rev
    share = rev / total if total else np.zeros(n)
    cum = cum_fen / total if total else np.zeros(n)
    abc_cls = np.select([rev <= 0, before < abc[0] * total, before < abc[1] * total],
                        ["U", "A", "B"], "C")
    xyz_cls = np.select([~(units > 0), cv < xyz[0], cv < xyz[1]], ["U", "X", "Y"], "Z")
    out = pd.DataFrame({"sku": skus.array, "revenue_fen": rev, "share": share,
                        "cum_share": cum, "abc": abc_cls, "units": units,
                        "periods": n_per, "cv": cv, "xyz": xyz_cls})
    out["abc_xyz"] = np.where(out["abc"] == "U", "U", out["abc"] + out["xyz"])
    if prod is not None:
        cat = pd.Series(prod["category"].to_numpy(), index=pd.Index(prod["sku"]).astype("str"))
        out.insert(1, "category", cat.reindex(skus).to_numpy())
    out = out.iloc[order].reset_index(drop=True)
    return out.astype({"abc": "str", "xyz": "str", "abc_xyz": "str"})
