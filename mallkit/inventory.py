"""Inventory warnings (库存预警) per SKU, explained, and the shop's 动销率 / 售罄率.

:func:`inventory_warnings` turns demand history (:mod:`mallkit.demand`), the uplift of
coming events and promotions (:mod:`mallkit.uplift`) and the safety-stock formulas
(:mod:`mallkit.safety`, re-exported here) into one row per SKU that a purchasing team
can act on: 缺货, 低于安全库存, 需补货, 滞销, 超储 or 正常, a suggested order in whole
cases of at least the MOQ, and a ``reason`` that states the numbers behind it.

Examples
--------
>>> from mallkit.inventory import reorder_point, safety_stock
>>> round(safety_stock(50, 5, 6, lead_time_std=2, service_level=0.90), 2)
129.11
>>> round(reorder_point(50, 5, 6, lead_time_std=2, service_level=0.90), 2)
429.11
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mallkit.demand import (
    EVENT_KINDS,
    _check_scopes,
    _classify,
    _day,
    _History,
    _history,
    _occasions,
    _positions,
    _rows_between,
    _sales,
    _stats_frame,
    _tail,
)
from mallkit.errors import InventoryError, SchemaError
from mallkit.safety import (
    _DISTS,
    _arg,
    _safety,
    economic_order_quantity,
    fill_rate_k,
    order_up_to,
    reorder_point,
    safety_stock,
    standard_normal_loss,
)
from mallkit.schema import validate
from mallkit.stock_reasons import _reasons
from mallkit.uplift import _promo_fallback, _uplift

__all__ = [
    "LEVELS",
    "LEVEL_CN",
    "SERVICE_LEVELS",
    "StockMetrics",
    "economic_order_quantity",
    "fill_rate_k",
    "inventory_warnings",
    "order_up_to",
    "reorder_point",
    "safety_stock",
    "standard_normal_loss",
    "stock_metrics",
]

#: Warning levels, most urgent first; the last two mark rows whose data is incomplete.
LEVELS = ("stockout", "below_safety", "reorder", "slow_moving", "overstock", "ok",
          "unknown_sku", "no_stock_record")
LEVEL_CN = {"stockout": "缺货", "below_safety": "低于安全库存", "reorder": "需补货",
            "slow_moving": "滞销", "overstock": "超储", "ok": "正常",
            "unknown_sku": "商品资料缺失", "no_stock_record": "无库存记录"}
#: Default cycle service level by ABC–XYZ class (then by ABC letter): high for the
#: revenue makers with steady demand, lower where stock is expensive to hold.
SERVICE_LEVELS = {"AX": 0.98, "AY": 0.97, "AZ": 0.95, "BX": 0.96, "BY": 0.95, "BZ": 0.93,
                  "CX": 0.93, "CY": 0.92, "CZ": 0.90, "A": 0.97, "B": 0.95, "C": 0.90,
                  "U": 0.90}


# --------------------------------------------------------------------------- warnings
def _cum_at(cum: np.ndarray, x: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Cumulative demand after ``x`` days (fractional), beyond the grid at ``tail``/day.

    ``cum`` is (H + 1, n) with ``cum[0] = 0``; column ``i`` is read at ``x[i]``.
    """
    h = cum.shape[0] - 1
    cols = np.arange(cum.shape[1])
    xx = np.nan_to_num(x, nan=0.0)
    j = np.clip(np.floor(xx), 0, h - 1).astype(np.int64)
    inside = cum[j, cols] + (np.minimum(xx, h) - j) * (cum[j + 1, cols] - cum[j, cols])
    return np.where(xx > h, cum[h, cols] + (xx - h) * tail, inside)


def _cover(cum: np.ndarray, q: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Days of demand (fractional) that stock ``q`` covers along ``cum`` (inverse of _cum_at)."""
    h = cum.shape[0] - 1
    cols = np.arange(cum.shape[1])
    j = (cum[1:] < q[None, :]).sum(axis=0)
    jj = np.minimum(j, h - 1)
    step = cum[jj + 1, cols] - cum[jj, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = jj + (q - cum[jj, cols]) / step
        beyond = h + (q - cum[h, cols]) / tail
    out = np.where(j >= h, beyond, inside)
    return np.where(q <= 0, 0.0, out)


def _service_levels(service_levels: Any, classes: pd.DataFrame, skus: pd.Index) -> np.ndarray:
    cls = classes.set_index("sku").reindex(skus)
    two = cls["abc_xyz"].fillna("U").to_numpy()
    one = cls["abc"].fillna("U").to_numpy()
    if service_levels is None or isinstance(service_levels, Mapping):
        # the caller's keys before the defaults, so {"A": 0.99} covers AX..AZ too; within
        # each table the two-letter class before the ABC letter
        user = dict(service_levels or {})
        s2, s1 = pd.Series(two, dtype=object), pd.Series(one, dtype=object)
        out = np.full(len(skus), np.nan)
        for table in (user, SERVICE_LEVELS):
            for keys in (s2, s1):
                v = keys.map(table).to_numpy(dtype="float64", na_value=np.nan)
                out = np.where(np.isnan(out), v, out)
        out = np.where(np.isnan(out), 0.95, out)
    elif isinstance(service_levels, pd.Series):
        per = service_levels.reindex(skus).to_numpy(dtype="float64")
        dflt = _service_levels(None, classes, skus)
        out = np.where(np.isnan(per), dflt, per)
    else:
        out = np.broadcast_to(np.asarray(service_levels, dtype="float64"), len(skus)).copy()
    _arg(out, "service_levels", lo_open=True, hi=1.0)
    return out


def inventory_warnings(
    inventory: pd.DataFrame,
    demand: pd.DataFrame,
    products: pd.DataFrame,
    /,
    *,
    as_of: Any,
    promotions: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    service_levels: Any = None,
    kind: str = "cycle",
    review_days: float = 1.0,
    cycle_days: float = 30.0,
    overstock_days: float = 90.0,
    slow_days: int = 30,
    window_days: int = 90,
    history_days: int = 730,
    distribution: str = "auto",
    order_cost_fen: int | None = None,
    holding_rate: float = 0.25,
    event_kinds: Sequence[str] = EVENT_KINDS,
    min_days: int = 14,
    baseline_days: int = 56,
    prior_units: float = 10.0,
    date_col: str = "date",
    sku_col: str = "sku",
    qty_col: str = "qty",
) -> pd.DataFrame:
    """One explained warning per SKU: 缺货, 低于安全库存, 需补货, 滞销, 超储 or 正常.

    Steps, for the inventory snapshot of ``as_of``:

    1. Baseline demand per day from :func:`mallkit.demand.demand_stats` over the
       ``window_days`` before: in-stock days only, events and promotions left out;
       SBA for intermittent and lumpy SKUs, the mean otherwise.
    2. Demand over the coming days = baseline × the uplift of each upcoming occasion
       (event phase or promotion on that day, as in
       :func:`mallkit.demand.event_uplift`, learned from the ``history_days`` before),
       so the lead-time demand before 双11 is raised while there is still time to
       receive stock. An upcoming promotion whose name has no history takes, first
       that exists, the median uplift of past promotions of the same mechanic and scope
       (same category, or all-shop), of the same mechanic, of all past promotions, else
       ×1 — ``notes`` and ``reason`` say which ("from 2 past all-shop coupon
       promotions"). Another occasion without history (an event phase) counts ×1;
       two that never ran together on a day take the larger uplift of the two (noted).
    3. Protection interval ``P = lead time + review_days``; lead-time demand ``μ`` and
       ``σ² = σ_d²·Σ m_t² + (μ/P)²·σ_L²`` (``m_t`` the day multipliers: without
       occasions it is the textbook ``P·σ_d² + d̄²·σ_L²``); safety stock at the SKU's
       service level (by ABC–XYZ class unless given; normal for smooth and erratic
       SKUs, negative binomial for intermittent, lumpy and no-demand ones);
       ``reorder_point = μ + SS``; ``order_up_to = reorder_point + Q`` with ``Q`` the
       demand of the ``cycle_days`` after P, or the EOQ if ``order_cost_fen`` is given.
    4. Level, first that applies: ``unknown_sku`` (not in products), ``no_stock_record``
       (no inventory row on ``as_of``), ``stockout`` (on hand 0), ``slow_moving``
       (stock but no sale for ``slow_days``: no order is suggested, even below the
       reorder point, and the reason says so), ``below_safety`` (on hand < SS),
       ``reorder`` (on hand + on order <= reorder point), ``overstock`` (on hand + on
       order covers more than ``overstock_days``), ``ok``.
    5. Suggested order for the first three: ``order_up_to − on hand − on order``,
       at least the MOQ, rounded **up** to the case pack (0 if open orders cover it).

    Parameters
    ----------
    inventory, products : pandas.DataFrame
        Canonical ``inventory`` (closing snapshots, with a row per SKU on ``as_of``)
        and ``products`` (lead time and its std, MOQ, case pack, cost, category).
    demand : pandas.DataFrame
        Daily sales (:func:`mallkit.demand.daily_sales`): ``date, sku, qty`` and
        optionally ``paid_fen`` (revenue for ABC; else qty × list price).
    as_of : date-like
        The day of the snapshot; demand after it is ignored. Only the inventory rows
        of the history (``history_days`` up to ``as_of``) are read and validated.
    promotions, events : pandas.DataFrame, optional
        Planned and past promotions and the event calendar (default the shipped one;
        an empty frame for none). See :func:`mallkit.demand.occasion_calendar`.
    service_levels : float, dict, Series or None
        None: :data:`SERVICE_LEVELS` by ABC–XYZ class; a float for all; a dict by
        class (``"AX"`` or ``"A"``: its keys come before the defaults, so ``{"A": 0.99}``
        sets every A SKU; a two-letter key beats a one-letter one); a Series by SKU
        (missing SKUs get the default).
    kind : {"cycle", "fill_rate"}
        What the service level means (fill rate uses the cycle quantity Q).
    review_days, cycle_days, overstock_days : float
        Days between reviews, days of demand an order covers, cover above which stock
        is excess.
    slow_days : int, default 30
        Days without a sale that make a stocked SKU 滞销.
    window_days, history_days : int
        Days of demand statistics and of uplift history.
    distribution : {"auto", "normal", "poisson", "negbin"}
    order_cost_fen : int, optional
        Cost per purchase order; with ``holding_rate`` (per year, of unit cost) the
        order quantity is the EOQ instead of ``cycle_days`` of demand.
    event_kinds, min_days, baseline_days, prior_units
        See :func:`mallkit.demand.demand_stats` and :func:`mallkit.demand.event_uplift`.

    Returns
    -------
    pandas.DataFrame
        One row per SKU (products, inventory and sales SKUs alike), most urgent first:
        ``sku, category, level, level_cn, on_hand, on_order, position, days_of_cover``
        (on hand ÷ coming demand, 可售天数), ``position_cover_days, demand_per_day,
        demand_class, abc_xyz, service_level, lead_time_days, lead_time_std_days,
        protection_days, lead_time_demand, uplift`` (lead-time demand ÷ baseline),
        ``occasion, occasion_date, occasion_uplift`` (the strongest upcoming occasion
        within P + cycle), ``method, safety_stock, reorder_point, order_up_to,
        suggested_qty, moq, case_pack, last_sale, days_since_sale, used_days, notes``
        (caveats: low data, safety stock floored, an occasion without history, …),
        ``reason`` and ``reason_zh`` (the same numbers in Chinese, for the 原因 of a
        Chinese report). ``days_of_cover`` is infinite without demand.

    Raises
    ------
    SchemaError, MissingColumnsError
        A table breaks the schema (negative stock, missing lead times, …) or the
        inventory has no snapshot on ``as_of``.
    InventoryError
        A parameter is out of range.

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> from mallkit.demand import daily_sales
    >>> mall = make_sample_mall(seed=0, start="2024-09-01", end="2025-10-20", n_customers=3000)
    >>> ds = daily_sales(mall["order_lines"], mall["orders"])
    >>> w = inventory_warnings(mall["inventory"], ds, mall["products"], as_of="2025-10-20",
    ...                        promotions=mall["promotions"])
    >>> len(w) == len(mall["products"])
    True
    >>> row = w[w["level"] == "reorder"].iloc[0]
    >>> row["reason"].startswith("on hand")
    True
    """
    as_of = _day(as_of, "as_of")
    if kind not in ("cycle", "fill_rate"):
        raise InventoryError(f"kind must be 'cycle' or 'fill_rate', got {kind!r}")
    if distribution not in ("auto", *_DISTS):
        raise InventoryError(f"distribution must be 'auto' or one of {_DISTS}, "
                             f"got {distribution!r}")
    for name, v in (("review_days", review_days), ("cycle_days", cycle_days),
                    ("overstock_days", overstock_days), ("slow_days", slow_days),
                    ("holding_rate", holding_rate)):
        _arg(v, name)
    for name, v in (("window_days", window_days), ("history_days", history_days),
                    ("min_days", min_days), ("baseline_days", baseline_days)):
        if not isinstance(v, int | np.integer) or v < (0 if name == "min_days" else 1):
            raise InventoryError(f"{name} must be a whole number of days >= "
                                 f"{0 if name == 'min_days' else 1}, got {v!r}")
    span = max(history_days, window_days)
    inv = _rows_between(inventory, as_of - pd.Timedelta(days=span - 1), as_of)
    inv = validate(inv, "inventory")
    prod = validate(products, "products")
    if promotions is not None:
        promotions = validate(promotions, "promotions")
    has_value = "paid_fen" in demand.columns
    s = _sales(demand, date_col, sku_col, qty_col, "paid_fen" if has_value else None,
               table="demand")
    snap = inv[inv["date"] == as_of]
    if not len(snap):
        before = inv.loc[inv["date"] <= as_of, "date"]
        last = before.max().date() if len(before) else "none"
        raise SchemaError(f"table 'inventory': no snapshot on as_of={as_of.date()} "
                          f"(latest before it: {last})", table="inventory", column="date",
                          rule="snapshot on as_of")
    if not has_value:  # revenue for ABC from the list price
        price = pd.Series(prod["list_price_fen"].to_numpy(), index=prod["sku"].astype("str"))
        s = s.assign(value=np.rint(s["qty"].to_numpy() * price.reindex(s["sku"]).fillna(0)
                                   .to_numpy()).astype(np.int64))
    first = min(s["date"].min() if len(s) else as_of, inv["date"].min())
    n_hist = int(min(max(history_days, window_days), (as_of - first).days + 1))
    n_hist = max(n_hist, window_days)
    h = _history(s, inv, as_of=as_of, n_days=n_hist, products=prod)
    skus, n = h.skus, len(h.skus)

    # product attributes and today's stock, aligned on skus
    pi = pd.Index(prod["sku"]).astype("str").get_indexer(skus)
    known = pi >= 0

    def attr(col: str, fill: float) -> np.ndarray:
        v = prod[col].to_numpy(dtype="float64")
        return np.where(known, v[np.maximum(pi, 0)], fill)

    lt, lt_sd = attr("lead_time_days", np.nan), attr("lead_time_std_days", 0.0)
    moq, case = attr("moq", 1.0), attr("case_pack", 1.0)
    sp = _positions(snap["sku"], skus)
    on_hand = np.full(n, np.nan)
    on_order = np.full(n, np.nan)
    on_hand[sp] = snap["on_hand"].to_numpy()
    on_order[sp] = snap["on_order"].to_numpy()
    has_snap = ~np.isnan(on_hand)
    position = on_hand + on_order

    # demand: statistics, classes, uplift of the coming days
    review = float(review_days)
    p_days = np.where(known, lt, 0.0) + review
    horizon = int(np.ceil(max(np.nanmax(p_days) + cycle_days, overstock_days))) + 2
    occ = _occasions(h.start, n_hist + horizon, h.categories, events=events,
                     promotions=promotions, event_kinds=event_kinds)
    _check_scopes(promotions, prod)
    codes = occ.codes(h.cat_idx)
    past, future = codes[:n_hist], codes[n_hist:]
    st = _stats_frame(h, past >= 0, min_days=min_days, alpha=0.1, as_of=as_of,
                      rows=slice(n_hist - window_days, None))
    up = _uplift(h, past, occ.labels, baseline_days=baseline_days, min_baseline_days=14,
                 prior_units=prior_units)
    fb, fb_src = _promo_fallback(occ.labels, up.overall, promotions, as_of=as_of)
    del past, codes
    d, sd, flags = _baseline(st, h, window_days)
    mult = np.ones(future.shape)
    f = future >= 0
    sku_up, joint = _joint_uplift(up, fb)
    if f.any():
        vals = sku_up[future[f], np.nonzero(f)[1]]
        mult[f] = np.where(np.isfinite(vals), vals, 1.0)
    abc_days = min(364, n_hist)
    classes = _classify(_tail(h, abc_days), prod, abc=(0.8, 0.95), xyz=(0.5, 1.0), g=7)
    service = _service_levels(service_levels, classes, skus)

    # lead-time demand, safety stock, reorder point, order-up-to
    cum = np.zeros((horizon + 1, n))
    np.cumsum(d[None, :] * mult, axis=0, out=cum[1:])
    cum2 = np.zeros((horizon + 1, n))
    np.cumsum(mult**2, axis=0, out=cum2[1:])
    mu = _cum_at(cum, p_days, d)
    m2 = _cum_at(cum2, p_days, np.ones(n))
    with np.errstate(invalid="ignore", divide="ignore"):
        var = sd**2 * m2 + (mu / p_days) ** 2 * lt_sd**2
    var = np.nan_to_num(var, nan=0.0)
    cyc = _cum_at(cum, p_days + cycle_days, d) - mu
    if order_cost_fen is not None:
        hold = holding_rate * attr("unit_cost_fen", 0.0)
        eoq = np.sqrt(2 * _arg(order_cost_fen, "order_cost_fen") * d * 365
                      / np.where(hold > 0, hold, np.nan))
        cyc = np.where(np.isfinite(eoq), eoq, cyc)
    cls = st["demand_class"].to_numpy()
    if distribution == "auto":
        dist = np.where(np.isin(cls, ["intermittent", "lumpy", "no_demand"]), "negbin", "normal")
    else:
        dist = np.full(n, distribution, dtype=object)
    ss_r = _safety(np.nan_to_num(mu), var, service, kind, np.maximum(cyc, 1.0), dist)
    ss = ss_r["safety_stock"]
    rop = mu + ss
    upto = rop + cyc
    cover = _cover(cum, np.nan_to_num(on_hand), d)
    pcover = _cover(cum, np.nan_to_num(position), d)

    # levels and orders
    since = st["days_since_sale"].to_numpy()
    slow = (on_hand > 0) & ~(since < slow_days)
    # a stocked SKU that has not sold for slow_days is 滞销 even below its reorder point:
    # ordering more of it is the analyst's call, not the rule's
    level = np.select(
        [~known, ~has_snap, on_hand <= 0, slow, on_hand < ss, position <= rop,
         pcover > overstock_days],
        ["unknown_sku", "no_stock_record", "stockout", "slow_moving", "below_safety",
         "reorder", "overstock"], "ok")
    need = upto - position
    act = np.isin(level, ["stockout", "below_safety", "reorder"]) & (need > 0)
    qty = np.where(act, np.ceil(np.maximum(need, moq) / case) * case, 0.0)
    qty = np.nan_to_num(qty).astype(np.int64)

    # the strongest occasion within P + cycle, for the reason
    reach = np.arange(horizon)[:, None] < np.ceil(p_days + cycle_days)[None, :]
    mm = np.where(reach, mult, 0.0)
    top = mm.argmax(axis=0)
    top_u = mm[top, np.arange(n)]
    top_code = future[top, np.arange(n)]
    has_occ = (top_code >= 0) & (top_u > 1.05)
    labels = np.asarray([*occ.labels, ""], dtype=object)
    occ_name = np.where(has_occ, labels[top_code], None)
    srcs = np.append(np.where(fb_src != "", " (" + fb_src + ")", ""), "").astype(object)
    occ_src = np.where(has_occ, srcs[top_code], "")
    occ_date = np.where(has_occ, (as_of + pd.to_timedelta(top + 1, unit="D")).to_numpy(),
                        np.datetime64("NaT"))
    with np.errstate(invalid="ignore", divide="ignore"):
        uplift = mu / (d * p_days)
    flags = _flags(flags, st, ss_r, up, future, reach, occ.labels, joint, fb, fb_src)

    out = pd.DataFrame({
        "sku": skus.array,
        "category": np.asarray([*h.categories, None], dtype=object)[h.cat_idx],
        "level": level,
        "level_cn": pd.Series(level).map(LEVEL_CN).to_numpy(),
        "on_hand": pd.array(on_hand, dtype="Int64"),
        "on_order": pd.array(on_order, dtype="Int64"),
        "position": pd.array(position, dtype="Int64"),
        "days_of_cover": np.where(has_snap, cover, np.nan),
        "position_cover_days": np.where(has_snap, pcover, np.nan),
        "demand_per_day": d,
        "demand_class": cls,
        "abc_xyz": classes.set_index("sku")["abc_xyz"].reindex(skus).fillna("U").to_numpy(),
        "service_level": service,
        "lead_time_days": lt,
        "lead_time_std_days": np.where(known, lt_sd, np.nan),
        "protection_days": np.where(known, p_days, np.nan),
        "lead_time_demand": np.where(known, mu, np.nan),
        "uplift": np.where(known, uplift, np.nan),
        "occasion": occ_name,
        "occasion_date": pd.to_datetime(occ_date).astype("datetime64[us]"),
        "occasion_uplift": np.where(has_occ, top_u, np.nan),
        "method": np.where(known, ss_r["method"], None),
        "safety_stock": np.where(known, ss, np.nan),
        "reorder_point": np.where(known, rop, np.nan),
        "order_up_to": np.where(known, upto, np.nan),
        "suggested_qty": qty,
        "moq": pd.array(np.where(known, moq, np.nan), dtype="Int64"),
        "case_pack": pd.array(np.where(known, case, np.nan), dtype="Int64"),
        "last_sale": st["last_sale"].to_numpy(),
        "days_since_sale": since,
        "used_days": st["used_days"].to_numpy(),
        "notes": flags,
    })
    reason = _reasons(out, review, overstock_days, slow_days, window_days, occ_src)
    out["reason"] = pd.array(reason.to_numpy(zero_copy_only=False), dtype="str")
    zh = _reasons(out, review, overstock_days, slow_days, window_days, occ_src, lang="zh")
    out["reason_zh"] = pd.array(zh.to_numpy(zero_copy_only=False), dtype="str")
    rank = pd.Series(level).map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy()
    order = np.lexsort((skus.to_numpy(), np.nan_to_num(pcover, nan=np.inf), rank))
    return out.iloc[order].reset_index(drop=True).astype(
        {"sku": "str", "category": "str", "level": "str", "level_cn": "str",
         "demand_class": "str", "abc_xyz": "str", "occasion": "str", "method": "str",
         "notes": "str", "reason": "str", "reason_zh": "str"})


def _baseline(st: pd.DataFrame, h: _History, window_days: int):
    """Baseline demand per day and its std, with fallbacks for SKUs with few used days."""
    d = st["forecast"].to_numpy(dtype="float64").copy()
    sd = st["std"].to_numpy(dtype="float64").copy()
    n = len(d)
    flags = np.full(n, "", dtype=object)
    miss = np.isnan(d)
    if miss.any():  # no clean in-stock day in the window: any in-stock day of the history
        ins = h.in_stock
        with np.errstate(invalid="ignore", divide="ignore"):
            alt = np.where(ins, h.qty, 0.0).sum(axis=0) / ins.sum(axis=0)
        d = np.where(miss, alt, d)
        flags = np.where(miss & ~np.isnan(alt), "demand from event days;", flags)
        unknown = np.isnan(d)
        d = np.where(unknown, 0.0, d)
        flags = np.where(unknown, "demand unknown (never in stock);", flags)
    poisson = np.isnan(sd)  # one used day or none: Poisson spread
    sd = np.where(poisson, np.sqrt(d), sd)
    return d, sd, flags


def _joint_uplift(up, fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SKU uplifts, where a promotion without history takes its ``fallback`` (past
    promotions of its kind), and a joint occasion without history of its own (two
    promotions that never ran together, two events on one day: labels joined by " + ")
    takes the largest uplift of its parts that have one; and which labels were joint."""
    fill = np.isfinite(fallback)
    sku, copied = up.sku, False  # copied once, only if a label is filled
    if fill.any():
        sku, copied = sku.copy(), True
        sku[fill] = fallback[fill, None]
    known = np.isfinite(up.overall) | fill
    joint = np.zeros(len(up.labels), dtype=bool)
    pos = {lab: i for i, lab in enumerate(up.labels)}
    for c in np.flatnonzero(~known):  # a loop over labels, not rows
        parts = [pos[p] for p in up.labels[c].split(" + ") if p in pos and known[pos[p]]]
        if parts:
            if not copied:
                sku, copied = sku.copy(), True
            sku[c] = sku[parts].max(axis=0)
            joint[c] = True
    return sku, joint


def _flags(flags, st, ss_r, up, future, reach, labels, joint, fb, fb_src) -> np.ndarray:
    out = np.asarray(flags, dtype=object)
    out = out + np.where(st["low_data"].to_numpy(), "low data;", "")
    out = out + np.where(ss_r["floored"], "safety stock floored at 0;", "")
    no_hist = np.flatnonzero(~np.isfinite(up.overall))
    for c in no_hist:  # a loop over occasion labels without history, not rows
        hit = ((future == c) & reach).any(axis=0)
        if joint[c]:
            note = f"{labels[c]} never ran together: largest uplift of its parts;"
        elif fb_src[c]:  # a promotion: which past promotions stood in for it
            note = (f"no history for {labels[c]}: uplift ×{fb[c]:.3g} {fb_src[c]};"
                    if np.isfinite(fb[c]) else f"no history for {labels[c]}: uplift ×1, "
                    f"{fb_src[c]};")
        else:
            note = f"no history for {labels[c]};"
        out = out + np.where(hit, note, "")
    return pd.Series(out, dtype="str").str.rstrip(";").to_numpy(dtype=object)


# --------------------------------------------------------------------------- shop metrics
@dataclass(frozen=True)
class StockMetrics:
    """动销率 and 售罄率 of a period.

    Attributes
    ----------
    by_sku : DataFrame
        ``sku, category, opening, receipts, adjustments, sold, closing,
        opening_estimated, missing_days`` (days of the period without a snapshot),
        ``sold_any, sell_through`` (售罄率 = sold ÷ (opening + receipts)).
    summary : DataFrame
        One row for the shop (``category == "all"``) and one per category: ``skus,
        skus_sold, movement_rate`` (动销率 = SKUs with a sale ÷ SKUs), ``sold, opening,
        receipts, sell_through``.
    """

    by_sku: pd.DataFrame
    summary: pd.DataFrame


def stock_metrics(
    sales: pd.DataFrame,
    inventory: pd.DataFrame,
    products: pd.DataFrame | None = None,
    /,
    *,
    start: Any,
    end: Any,
    date_col: str = "date",
    sku_col: str = "sku",
    qty_col: str = "qty",
) -> StockMetrics:
    """动销率 (share of SKUs that sold) and 售罄率 / sell-through (units sold ÷ stock
    available) of the period ``start..end`` — two different ratios, both reported.

    Receipts are not in the inventory table; they are inferred day by day from the
    closing snapshots: ``receipts = closing − previous closing + sold`` where positive;
    negative remainders (shrinkage, write-offs, data errors) go to ``adjustments``.
    A day without a snapshot is bridged: the next snapshot's flow is taken from the last
    known closing, with the sales in between (``missing_days`` counts such days).
    Opening stock is the closing snapshot of the day before ``start`` (without it, the
    first closing in the period + the sales up to it, and receipts are counted after
    that day). SKUs that sold or were stocked in the period but are not in ``products``
    keep their rows (category None), so no unit sold is left out of the totals.

    Parameters
    ----------
    sales : pandas.DataFrame
        Daily sales (:func:`mallkit.demand.daily_sales`).
    inventory : pandas.DataFrame
        Canonical ``inventory`` covering the period.
    products : pandas.DataFrame, optional
        Canonical ``products``: the SKUs of the shop (the 动销率 denominator) and
        categories; default the SKUs in the inventory.
    start, end : date-like
        The period (inclusive).

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"])
    >>> inv = pd.DataFrame({"date": days.repeat(2), "sku": ["A", "B"] * 3,
    ...                     "on_hand": [10, 5, 6, 5, 14, 5], "on_order": 0})
    >>> sales = pd.DataFrame({"date": days[1:], "sku": "A", "qty": [4, 2]})
    >>> m = stock_metrics(sales, inv, start="2026-03-02", end="2026-03-03")
    >>> m.by_sku[["sku", "opening", "receipts", "sold", "sell_through"]]
      sku  opening  receipts  sold  sell_through
    0   A       10        10     6           0.3
    1   B        5         0     0           0.0
    >>> float(m.summary.loc[0, "movement_rate"])  # 1 of 2 SKUs sold: 动销率 50 %
    0.5
    """
    lo, hi = _day(start, "start"), _day(end, "end")
    if hi < lo:
        raise SchemaError(f"stock_metrics: end {hi.date()} is before start {lo.date()}",
                          column="end", rule="end >= start")
    inv = validate(inventory, "inventory")
    prod = validate(products, "products") if products is not None else None
    s = _sales(sales, date_col, sku_col, qty_col)
    n_days = (hi - lo).days + 2  # the day before start holds the opening stock
    skus = (pd.Index(prod["sku"]).astype("str") if prod is not None
            else pd.Index(inv.loc[inv["date"].between(lo, hi), "sku"].unique()).astype("str"))
    h = _history(s, inv, as_of=hi, n_days=n_days, skus=skus, products=prod)
    stock = h.stock.astype("float64")
    stock[stock < 0] = np.nan
    seen = ~np.isnan(stock)
    cols = np.arange(stock.shape[1])
    cum = np.cumsum(h.qty, axis=0)  # units sold up to each day (row 0: the day before)
    units = cum[-1] - cum[0]
    missing = (~seen[1:]).sum(axis=0)
    # opening without a snapshot the day before: the first closing in the period plus
    # the units sold up to it (receipts are counted after that day)
    first = np.argmax(seen[1:], axis=0) + 1
    est = ~seen[0]
    opening = np.where(est, np.where(seen[1:].any(axis=0), stock[first, cols]
                                     + cum[first, cols] - cum[0], np.nan), stock[0])
    # receipts minus adjustments between consecutive snapshots, across missing days:
    # closing - previous known closing + units sold in between
    known = stock.copy()
    known[0] = opening
    ok = ~np.isnan(known)
    last = np.maximum.accumulate(np.where(ok, np.arange(len(known))[:, None], -1), axis=0)
    prev = np.maximum(last[:-1], 0)
    flow = np.where(ok[1:] & (last[:-1] >= 0),
                    known[1:] - known[prev, cols] + cum[1:] - cum[prev, cols], 0.0)
    receipts = np.maximum(flow, 0).sum(axis=0)
    adjust = np.minimum(flow, 0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        through = units / (opening + receipts)
    cats = np.asarray([*h.categories, None], dtype=object)[h.cat_idx]
    by = pd.DataFrame({"sku": h.skus.array, "category": cats,
                       "opening": pd.array(opening, dtype="Int64"),
                       "receipts": receipts.astype(np.int64), "adjustments": adjust.astype(
                           np.int64), "sold": units.astype(np.int64),
                       "closing": pd.array(stock[-1], dtype="Int64"),
                       "opening_estimated": est, "missing_days": missing,
                       "sold_any": units > 0, "sell_through": through})
    # the shop's SKUs, and any other SKU that sold or was stocked in the period (kept,
    # category None, rather than dropped with its units)
    keep = h.skus.isin(skus) | (units > 0) | seen[1:].any(axis=0)
    by = by[keep].reset_index(drop=True)
    g = by.assign(category=by["category"].fillna("(none)"))
    parts = [g.assign(category="all"), g] if prod is not None else [g.assign(category="all")]
    summ = pd.concat(parts).groupby("category", sort=False).agg(
        skus=("sku", "size"), skus_sold=("sold_any", "sum"), sold=("sold", "sum"),
        opening=("opening", "sum"), receipts=("receipts", "sum")).reset_index()
    summ.insert(3, "movement_rate", summ["skus_sold"] / summ["skus"])
    summ["sell_through"] = summ["sold"] / (summ["opening"] + summ["receipts"]).astype("float64")
    return StockMetrics(by, summ)
