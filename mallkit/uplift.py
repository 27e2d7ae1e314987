"""Uplift (爆发系数) of past events and promotions, per SKU and category.

The uplift of an occasion (an event phase such as ``双11/final_payment`` or a
promotion, see :func:`mallkit.demand.occasion_calendar`) is the units sold on its
in-stock days ÷ the SKU's baseline on those days, the baseline being the mean over the
clean (in-stock, non-occasion) days of the ``baseline_days`` before each day. SKU
ratios are shrunk toward their category's, and the category's toward all SKUs', by
``prior_units`` baseline units, so a SKU with little history gets its category's.
:func:`mallkit.inventory.inventory_warnings` multiplies coming days' demand by them; an
upcoming promotion whose name never ran takes the median uplift of past promotions of
the same kind (see ``_promo_fallback``).
(Not to be confused with :mod:`mallkit.lift`, the counterfactual of one promotion.)

Examples
--------
>>> from mallkit.datasets import make_sample_mall
>>> from mallkit.demand import daily_sales
>>> mall = make_sample_mall(seed=0, start="2024-09-01", end="2024-11-30", n_customers=3000)
>>> up = event_uplift(daily_sales(mall["order_lines"], mall["orders"]), mall["inventory"],
...                   mall["products"], as_of="2024-11-30", history_days=91)
>>> sorted(up["occasion"].unique())[:3]
['双11/final_payment', '双11/presale', '双11/tail']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mallkit.demand import (
    EVENT_KINDS,
    _day,
    _History,
    _history,
    _occasions,
    _rows_between,
    _sales,
)
from mallkit.schema import validate

__all__ = ["event_uplift"]


@dataclass(frozen=True)
class _Uplift:
    labels: tuple[str, ...]
    sku: np.ndarray  # (n_labels, n_sku) shrunk SKU uplift, NaN where the label has no history
    category: np.ndarray  # (n_labels, n_cat + 1)
    cat_base: np.ndarray  # (n_labels, n_cat + 1) baseline units behind the category ratio
    overall: np.ndarray  # (n_labels,)
    days: np.ndarray  # (n_labels,) days of the label in the history
    sales: np.ndarray  # (n_labels, n_sku) units on in-stock occasion days with a baseline
    base: np.ndarray  # (n_labels, n_sku) baseline units on the same days


def _uplift(h: _History, codes: np.ndarray, labels: tuple[str, ...], *, baseline_days: int,
            min_baseline_days: int, prior_units: float) -> _Uplift:
    """Uplift of every occasion label from the history grid (codes: (days, n_sku))."""
    n_days, n_sku = h.qty.shape
    in_stock = h.in_stock
    clean = in_stock & (codes < 0)
    # trailing sums over the baseline_days before each day (exclusive), by cumulative sums
    cq = np.zeros((n_days + 1, n_sku))
    np.cumsum(np.where(clean, h.qty, 0.0), axis=0, out=cq[1:])
    cn = np.zeros((n_days + 1, n_sku), dtype=np.int32)
    np.cumsum(clean, axis=0, out=cn[1:], dtype=np.int32)
    d, s = np.nonzero((codes >= 0) & in_stock)
    lo = np.maximum(d - baseline_days, 0)
    nb = cn[d, s] - cn[lo, s]
    ok = nb >= min_baseline_days
    d, s, lo, nb = d[ok], s[ok], lo[ok], nb[ok]
    base = (cq[d, s] - cq[lo, s]) / nb
    del cq, cn
    code = codes[d, s]
    n_lab = len(labels)
    n_cat = len(h.categories) + 1
    flat = code.astype(np.int64) * n_sku + s
    sales = np.bincount(flat, weights=h.qty[d, s], minlength=n_lab * n_sku)
    sales = sales.reshape(n_lab, n_sku)
    bsum = np.bincount(flat, weights=base, minlength=n_lab * n_sku).reshape(n_lab, n_sku)
    days = np.zeros(n_lab, dtype=np.int64)
    if n_lab:
        dd = pd.DataFrame({"c": code, "d": d}).drop_duplicates()
        days = np.bincount(dd["c"].to_numpy(), minlength=n_lab)
    ccat = np.zeros((n_lab, n_cat))
    bcat = np.zeros((n_lab, n_cat))
    for arr, src in ((ccat, sales), (bcat, bsum)):
        for c in range(n_cat):  # a loop over categories, vectorised over labels and SKUs
            arr[:, c] = src[:, h.cat_idx == c].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = sales.sum(axis=1) / bsum.sum(axis=1)
        overall = np.where(bsum.sum(axis=1) > 0, overall, np.nan)
        k = prior_units
        cat_u = (ccat + k * overall[:, None]) / (bcat + k)
        sku_u = (sales + k * cat_u[:, h.cat_idx]) / (bsum + k)
    return _Uplift(labels, sku_u, cat_u, bcat, overall, days, sales, bsum)


def event_uplift(
    sales: pd.DataFrame,
    inventory: pd.DataFrame,
    products: pd.DataFrame,
    /,
    *,
    as_of: Any,
    history_days: int = 730,
    events: pd.DataFrame | None = None,
    promotions: pd.DataFrame | None = None,
    event_kinds: Sequence[str] = EVENT_KINDS,
    baseline_days: int = 56,
    min_baseline_days: int = 14,
    prior_units: float = 10.0,
    date_col: str = "date",
    sku_col: str = "sku",
    qty_col: str = "qty",
) -> pd.DataFrame:
    """Historical uplift (爆发系数) of each event phase and promotion, per SKU and category.

    For every occasion label seen in the ``history_days`` up to ``as_of``: units sold on
    its in-stock days ÷ the SKU's baseline on those days (mean daily units over the
    clean days — in stock, no occasion — among the ``baseline_days`` before, if at least
    ``min_baseline_days`` of them). The category ratio (sums over its SKUs) is shrunk
    toward the all-SKU ratio, and each SKU's toward its category's, adding
    ``prior_units`` baseline units at the prior's ratio: a SKU with little history gets
    its category's uplift. Stocked-out days are left out, so a sell-out does not hide
    the demand of the event (a day that sold out lowers no estimate).

    Parameters
    ----------
    sales, inventory, products : pandas.DataFrame
        Daily sales (:func:`mallkit.demand.daily_sales`), canonical ``inventory`` and
        ``products``.
    as_of : date-like
        Last day of the history.
    history_days : int, default 730
    events, promotions, event_kinds
        See :func:`mallkit.demand.occasion_calendar`.
    baseline_days, min_baseline_days : int
        Trailing baseline window and the clean days it needs.
    prior_units : float, default 10
        Strength of the shrinkage, in baseline units.

    Returns
    -------
    pandas.DataFrame
        ``occasion, sku, category, days, units, baseline_units, uplift, category_uplift,
        overall_uplift`` for every (occasion with history, SKU).

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> from mallkit.demand import daily_sales
    >>> mall = make_sample_mall(seed=0, start="2024-09-01", end="2024-11-30", n_customers=3000)
    >>> ds = daily_sales(mall["order_lines"], mall["orders"])
    >>> up = event_uplift(ds, mall["inventory"], mall["products"], as_of="2024-11-30",
    ...                   history_days=91)
    >>> final = up[up["occasion"] == "双11/final_payment"]
    >>> bool(final["overall_uplift"].iloc[0] > 3)  # the sample's 双11 day is a 6x peak
    True
    """
    as_of = _day(as_of, "as_of")
    s = _sales(sales, date_col, sku_col, qty_col)
    inv = _rows_between(inventory, as_of - pd.Timedelta(days=history_days - 1), as_of)
    inv = validate(inv, "inventory")
    prod = validate(products, "products")
    h = _history(s, inv, as_of=as_of, n_days=history_days, products=prod)
    occ = _occasions(h.start, history_days, h.categories, events=events,
                     promotions=promotions, event_kinds=event_kinds)
    u = _uplift(h, occ.codes(h.cat_idx), occ.labels, baseline_days=baseline_days,
                min_baseline_days=min_baseline_days, prior_units=prior_units)
    has = np.flatnonzero(np.isfinite(u.overall))
    n_sku = len(h.skus)
    li = np.repeat(has, n_sku)
    si = np.tile(np.arange(n_sku), len(has))
    seen = u.cat_base[li, h.cat_idx[si]] > 0  # only SKUs whose category had the occasion
    li, si = li[seen], si[seen]
    cats = h.categories.append(pd.Index([None], dtype="str")).to_numpy()
    return pd.DataFrame({
        "occasion": np.asarray(u.labels, dtype=object)[li] if len(li) else [],
        "sku": h.skus.to_numpy()[si],
        "category": cats[h.cat_idx][si],
        "days": u.days[li],
        "units": u.sales[li, si],
        "baseline_units": u.base[li, si],
        "uplift": u.sku[li, si],
        "category_uplift": u.category[li, h.cat_idx[si]],
        "overall_uplift": u.overall[li],
    }).astype({"occasion": "str", "sku": "str", "category": "str"})


def _promo_fallback(labels: Sequence[str], overall: np.ndarray, promotions: pd.DataFrame | None,
                    *, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Uplift of upcoming promotions without history of their own, from past ones.

    A *past promotion* is a name whose own label (``promo:<name>``, not a joint one) has
    an uplift in the history (``overall``, units ÷ baseline over the SKU-days it covered);
    its mechanic and scope are those of its latest run started by ``as_of``. An
    *upcoming promotion without history* is a name whose label has none, with the mechanic
    and scope of its first run ending after ``as_of``. It takes, first that has any:

    1. the median uplift of past promotions of the same mechanic and scope (the same
       ``category:<c>``, or ``all`` for an all-shop one);
    2. the median of past promotions of the same mechanic, any scope;
    3. the median of all past promotions;
    4. none (×1).

    Returns ``(value, source)`` aligned on ``labels``: the uplift (NaN for other labels
    and at level 4) and where it came from (``"from 2 past all-shop coupon
    promotions"``; ``"no past promotion to learn from"`` at level 4; ``""`` for labels
    that are not such promotions).
    """
    n = len(labels)
    value = np.full(n, np.nan)
    source = np.full(n, "", dtype=object)
    if promotions is None or not len(promotions) or not n:
        return value, source
    pr = promotions[["name", "mechanic", "scope", "start", "end"]]
    pos = pd.Index(labels).get_indexer(("promo:" + pr["name"].astype("str")).to_numpy())
    u = np.where(pos >= 0, np.asarray(overall, dtype="float64")[np.maximum(pos, 0)], np.nan)
    pr = pr.assign(pos=pos, u=u).sort_values("start", kind="stable")
    nxt = as_of + pd.Timedelta(days=1)
    has = np.isfinite(pr["u"].to_numpy())
    past = pr[has & (pr["start"] < nxt).to_numpy()].drop_duplicates("name", keep="last")
    todo = pr[~has & (pr["pos"] >= 0).to_numpy() & (pr["end"] >= nxt).to_numpy()]
    todo = todo.drop_duplicates("name", keep="first")
    if not len(todo):
        return value, source
    by_kind = past.groupby(["mechanic", "scope"])["u"].agg(["median", "size"])
    by_mech = past.groupby("mechanic")["u"].agg(["median", "size"]).add_suffix("_m")
    t = todo.join(by_kind, on=["mechanic", "scope"]).join(by_mech, on="mechanic")
    lv1 = t["size"].notna().to_numpy()
    lv2 = ~lv1 & t["size_m"].notna().to_numpy()
    lv3 = ~lv1 & ~lv2 & bool(len(past))
    med = np.select([lv1, lv2, lv3], [t["median"], t["median_m"], past["u"].median()], np.nan)
    k = np.select([lv1, lv2, lv3], [t["size"], t["size_m"], len(past)], 0).astype(np.int64)
    mech = t["mechanic"].astype("str").to_numpy(dtype=object)
    scope = t["scope"].astype("str")
    cat = scope.str.removeprefix("category:").to_numpy(dtype=object)
    in_cat = lv1 & (scope != "all").to_numpy()
    noun = np.where(k == 1, " promotion", " promotions").astype(object)
    head = "from " + k.astype(str).astype(object) + " past"
    what = np.select(
        [in_cat, lv1, lv2, lv3],
        [head + " " + mech + noun + " in " + cat, head + " all-shop " + mech + noun,
         head + " " + mech + noun + " of any scope",
         head + noun + " of any kind (no past " + mech + " one)"],
        "no past promotion to learn from")
    value[t["pos"].to_numpy()] = med
    source[t["pos"].to_numpy()] = what
    return value, source
