"""促销 ROI: a promotion's P&L after it ran, its break-even lift, and the review of the
promotions of a period. Price elasticity and the what-if of a proposed scheme live in
:mod:`mallkit.whatif` (``price_elasticity``, ``simulate_promotion``, ``Simulation``) and are
re-exported here.

Definitions (see ``shared/reference/promotions.md`` §2; m = contribution margin, d =
discount, both as fractions of list price; c = platform fee rate on revenue):

* **incremental gross profit** (iGP) = incremental units × promo unit margin − discount
  given on baseline units (the subsidy to buyers who would have bought anyway) + the
  post-promotion dip's margin (negative) − cannibalized margin + halo margin. It is the
  change in gross profit the promotion caused, already net of the discount.
* **promo cost** = merchant-funded discount + gift COGS + ad spend + extra fees (platform
  or affiliate); platform-funded coupons are not the shop's cost.
* **iROI** = iGP ÷ promo cost. **net iROI** = incremental profit ÷ promo cost, where
  incremental profit = iGP − gift COGS − ad spend − extra fees: the discount is already
  inside iGP, so it is not subtracted twice. The promotion paid off iff net iROI > 0.
* **ROAS** (投入产出比, what 直通车/千川 call "ROI") = GMV ÷ ad spend, reported separately
  and labelled as such; break-even ROAS (保本ROI) = 1 ÷ contribution-margin rate.
* **break-even lift** = d / (m − d) in the simple case; with fee and fixed cost F,
  ``u0/u1 − 1 + F/(u1·Q0)`` with ``u0 = P(1−c) − C`` and ``u1 = P(1−d)(1−c) − C``.

Estimates carry the uncertainty of their inputs: the P&L re-computes every figure on each
simulated counterfactual path of the :class:`mallkit.lift.Lift`.

Examples
--------
>>> round(breakeven_lift(0.20, 0.40), 4)   # m = 40 %, d = 20 % → +100 %
1.0
>>> round(breakeven_lift(0.20, 0.50, fee_rate=0.05), 4)   # P 100, C 50, fee 5 % → +73 %
0.7308
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mallkit.errors import PromotionError
from mallkit.lift import Lift
from mallkit.promotions import _check_fen, _need, _window_lines, parse_promotions
from mallkit.schema import PAID_STATUSES
from mallkit.whatif import Simulation, price_elasticity, simulate_promotion

__all__ = [
    "PromoPnL",
    "Simulation",
    "breakeven_lift",
    "price_elasticity",
    "promotion_pnl",
    "promotion_review",
    "simulate_promotion",
]

_LABELS = {  # metric: (unit, Chinese label)
    "gmv_fen": ("fen", "促销期GMV"), "units": ("units", "促销期销量"),
    "baseline_units": ("units", "基准销量"), "incremental_units": ("units", "增量销量"),
    "incremental_gmv_fen": ("fen", "增量GMV"), "gross_profit_fen": ("fen", "促销期毛利"),
    "discount_fen": ("fen", "商家让利"), "platform_discount_fen": ("fen", "平台补贴"),
    "coupons_redeemed": ("orders", "用券订单数"), "coupon_discount_fen": ("fen", "券抵扣金额"),
    "gift_cost_fen": ("fen", "赠品成本"), "ad_spend_fen": ("fen", "广告费"),
    "extra_fees_fen": ("fen", "其他费用"), "promo_cost_fen": ("fen", "促销成本"),
    "window_igp_fen": ("fen", "促销期增量毛利"), "post_dip_gp_fen": ("fen", "促销后回落毛利"),
    "cannibalized_gp_fen": ("fen", "蚕食毛利"), "halo_gp_fen": ("fen", "光环毛利"),
    "incremental_gp_fen": ("fen", "增量毛利"), "incremental_profit_fen": ("fen", "增量利润"),
    "iroi": ("ratio", "增量ROI (iROI)"), "net_iroi": ("ratio", "净增量ROI"),
    "roas": ("ratio", "投入产出比 ROAS (GMV/广告费)"), "incremental_roas": ("ratio", "增量ROAS"),
    "breakeven_roas": ("ratio", "保本ROAS"),
}


@dataclass(frozen=True)
class PromoPnL:
    """Result of :func:`promotion_pnl`.

    Attributes
    ----------
    table : DataFrame
        Index ``metric``: ``estimate, lower, upper`` (float; money in fen, rounded to
        the fen; exact figures have lower == upper), ``unit`` (fen / units / orders /
        ratio) and ``label_zh``. iROI and ROAS are separate rows, never one "ROI".
        Coupon rows count what ``apply_promotion`` marked (``coupon_discount_fen``).
    by_sku : DataFrame
        Exact per-SKU figures of the promotion window: ``units, gross_fen, discount_fen,
        paid_fen, cost_fen, gross_profit_fen`` (before fees).
    """

    table: pd.DataFrame
    by_sku: pd.DataFrame

    def value(self, metric: str) -> float:
        """The point estimate of one metric."""
        return float(self.table.at[metric, "estimate"])


def _sums(li: pd.DataFrame, cost: pd.Series) -> dict[str, float]:
    gift = (li["is_gift"].to_numpy(dtype=bool) if "is_gift" in li.columns
            else np.zeros(len(li), dtype=bool))
    sold = li[~gift]
    qty = sold["qty"].to_numpy()
    gross = qty * sold["unit_price_fen"].to_numpy()
    disc = sold["discount_fen"].to_numpy()
    merch = sold["merchant_discount_fen"].to_numpy() if "merchant_discount_fen" in sold else disc
    c = cost.reindex(sold["sku"].to_numpy())
    if c.isna().any():
        unknown = pd.unique(sold["sku"].to_numpy()[c.isna().to_numpy()])[:5].tolist()
        raise PromotionError(f"products: no unit_cost_fen for sku {unknown}")
    gift_cost = int(li.loc[gift, "gift_cost_fen"].sum()) if gift.any() else 0
    coupon = (sold["coupon_discount_fen"].fillna(0).to_numpy() if "coupon_discount_fen" in sold
              else np.zeros(len(sold)))
    return {"coupons": float(sold.loc[coupon > 0, "order_id"].nunique()),
            "coupon_fen": float(coupon.sum()),
            "units": float(qty.sum()), "gross": float(gross.sum()),
            "paid": float(gross.sum() - disc.sum()), "merchant_disc": float(merch.sum()),
            "platform_disc": float(disc.sum() - merch.sum()),
            "cogs": float((qty * c.to_numpy(dtype=np.int64)).sum()), "gift": float(gift_cost)}


def _rel_draws(lift: Lift, window: str) -> np.ndarray:
    """Per path: actual / counterfactual − 1 over a window (0 when the window is empty)."""
    if lift.effects.at[window, "days"] == 0:
        return np.zeros(len(lift.draws))
    with np.errstate(divide="ignore", invalid="ignore"):
        return lift.effects.at[window, "actual"] / lift.draws[window].to_numpy() - 1


def promotion_pnl(
    lines: pd.DataFrame,
    lift: Lift,
    products: pd.DataFrame,
    promo: Any,
    /,
    *,
    orders: pd.DataFrame | None = None,
    platform_fee_rate: float = 0.0,
    ad_spend_fen: int | None = None,
    extra_fees_fen: int = 0,
    spillover: Mapping[str, Lift] | None = None,
    alpha: float | None = None,
) -> PromoPnL:
    """The promotion's P&L: incremental GMV and gross profit, cost, iROI and ROAS.

    Parameters
    ----------
    lines : DataFrame
        Order lines as sold (``order_id, sku, qty, unit_price_fen, discount_fen``; from
        :func:`mallkit.promotions.apply_promotion` also ``merchant_discount_fen``,
        ``is_gift``, ``gift_cost_fen``), dated by ``created_at`` or by ``orders``.
    lift : Lift
        The counterfactual of the promoted scope's units over the promotion window (its
        relative effect is applied to units). A lift of order lines or orders ignores
        the extra units per line that 第二件半价 / 满2件9折 bring, and undercounts them.
    products : DataFrame
        ``sku, category, unit_cost_fen``.
    promo : dict or Series
        The promotion (``start, end, scope``; ``ad_spend_fen`` by default the ad spend).
    orders : DataFrame, optional
        Dates lines (``created_at``) and keeps paid statuses only.
    platform_fee_rate : float
        Commission / payment fee as a fraction of the merchant's revenue.
    ad_spend_fen, extra_fees_fen : int
        Ad spend (default the promotion's ``ad_spend_fen``) and other fees of the promotion.
    spillover : dict of scope or category → Lift, optional
        Counterfactuals of non-promoted groups over the window
        (:func:`mallkit.lift.spillover_lift`): their margin change is halo (> 0) or
        cannibalization (< 0).
    alpha : float, optional
        Interval level; default the lift's.

    Returns
    -------
    PromoPnL

    Examples
    --------
    >>> from mallkit.lift import promotion_lift
    >>> rng = np.random.default_rng(0)
    >>> days = pd.date_range("2025-01-01", periods=98, freq="D")
    >>> units = rng.poisson(30, 98)
    >>> units[84:91] = rng.poisson(45, 7)          # 2025-03-26..04-01: 20 % off, +50 % units
    >>> lines = pd.DataFrame({"order_id": np.arange(units.sum()).astype(str), "sku": "A",
    ...                       "qty": 1, "unit_price_fen": 10000,
    ...                       "created_at": np.repeat(days, units)})
    >>> on = lines["created_at"].between("2025-03-26", "2025-04-01")
    >>> lines["discount_fen"] = np.where(on, 2000, 0)
    >>> lift = promotion_lift(pd.Series(units, index=days, dtype=float), start="2025-03-26",
    ...                       end="2025-04-01", post_days=7)
    >>> products = pd.DataFrame({"sku": ["A"], "category": ["x"], "unit_cost_fen": [6000]})
    >>> pnl = promotion_pnl(lines, lift, products, {"start": "2025-03-26", "end": "2025-04-01",
    ...                                             "scope": "all", "ad_spend_fen": 50000})
    >>> bool(pnl.value("gmv_fen") == 8000 * units[84:91].sum())     # exact
    True
    >>> pnl.table.loc[["iroi", "roas"], "label_zh"].tolist()
    ['增量ROI (iROI)', '投入产出比 ROAS (GMV/广告费)']
    """
    if not 0 <= platform_fee_rate < 1:
        raise PromotionError(f"platform_fee_rate must be in [0, 1), got {platform_fee_rate!r}")
    p = dict(promo)
    start, end = pd.Timestamp(p["start"]).normalize(), pd.Timestamp(p["end"]).normalize()
    if (lift.start, lift.end) != (start, end):
        raise PromotionError(f"the lift was measured for {lift.start.date()}..{lift.end.date()} "
                             f"but the promotion runs {start.date()}..{end.date()}")
    (parsed,) = parse_promotions({"mechanic": "coupon", "params": {"reduction_fen": 1},
                                  "scope": p.get("scope", "all"), "promo_id": "scope"})
    _need(lines, ["order_id", "sku", "qty", "unit_price_fen", "discount_fen"], "lines")
    _need(products, ["sku", "category", "unit_cost_fen"], "products")
    _check_fen(lines, products)
    li = _window_lines(lines, orders)
    prod = products.drop_duplicates("sku").set_index("sku")
    cost, cat = prod["unit_cost_fen"], prod["category"]
    day = pd.to_datetime(li["created_at"]).dt.normalize()
    sku = li["sku"].to_numpy(dtype=object)
    lcat = cat.reindex(sku).to_numpy(dtype=object)

    def scope_mask(scope: str) -> np.ndarray:
        if scope == "all":
            return np.ones(len(li), dtype=bool)
        kind, what = scope.split(":", 1)
        return np.isin(sku, [s.strip() for s in what.split(",")]) if kind == "sku" \
            else lcat == what

    in_scope = scope_mask(parsed.scope)
    gifts = li["is_gift"].to_numpy(dtype=bool) if "is_gift" in li.columns else False
    on = ((day >= start) & (day <= end)).to_numpy()
    post = ((day > end) & (day <= lift.post_end)).to_numpy()
    w = _sums(li[on & (in_scope | gifts)], cost)  # a gift counts whatever its own category
    if w["units"] == 0:
        raise PromotionError(f"no paid lines in scope {parsed.scope!r} during {start.date()}.."
                             f"{end.date()}")
    c = platform_fee_rate
    ad = int(p.get("ad_spend_fen", 0) if ad_spend_fen is None else ad_spend_fen)
    u1 = w["units"]
    merchant_rev = w["gross"] - w["merchant_disc"]
    gp = merchant_rev * (1 - c) - w["cogs"]
    m_p = gp / u1
    m_r = (w["gross"] * (1 - c) - w["cogs"]) / u1
    rel = _rel_draws(lift, "promotion")
    base_units = u1 / (1 + rel)
    inc_units = u1 - base_units
    window_igp = inc_units * m_p - base_units * (m_r - m_p)
    # Post window: units lost after the end, at the margin they sold at then.
    s2 = _sums(li[post & in_scope], cost)
    m2 = (s2["units"] and ((s2["gross"] - s2["merchant_disc"]) * (1 - c) - s2["cogs"])
          / s2["units"])
    rel2 = _rel_draws(lift, "post")
    dip = (s2["units"] - s2["units"] / (1 + rel2)) * m2
    halo = np.zeros_like(rel)
    cannibal = np.zeros_like(rel)
    for key, sl in (spillover or {}).items():
        scope = key if ":" in key or key == "all" else f"category:{key}"
        if (sl.start, sl.end) != (start, end) or len(sl.draws) != len(lift.draws):
            raise PromotionError(f"spillover {key!r}: its lift must cover the same window with "
                                 f"as many paths ({sl.start.date()}..{sl.end.date()}, "
                                 f"{len(sl.draws)} paths)")
        g = _sums(li[on & scope_mask(scope)], cost)
        mg = g["units"] and ((g["gross"] - g["merchant_disc"]) * (1 - c) - g["cogs"]) / g["units"]
        r = _rel_draws(sl, "promotion")
        effect = (g["units"] - g["units"] / (1 + r)) * mg
        if np.nanmean(effect) >= 0:
            halo += effect
        else:
            cannibal -= effect
    igp = window_igp + dip - cannibal + halo
    cost_fixed = w["merchant_disc"] + w["gift"] + ad + extra_fees_fen
    profit = igp - w["gift"] - ad - extra_fees_fen
    list_price = w["gross"] / u1
    inc_gmv = w["paid"] - base_units * list_price
    cm_rate = (gp - w["gift"]) / w["paid"] if w["paid"] else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        per_path = {
            "baseline_units": base_units, "incremental_units": inc_units,
            "incremental_gmv_fen": inc_gmv, "window_igp_fen": window_igp,
            "post_dip_gp_fen": dip, "cannibalized_gp_fen": cannibal,
            "halo_gp_fen": halo, "incremental_gp_fen": igp, "incremental_profit_fen": profit,
            "iroi": igp / cost_fixed if cost_fixed else np.full_like(igp, np.nan),
            "net_iroi": profit / cost_fixed if cost_fixed else np.full_like(igp, np.nan),
            "incremental_roas": inc_gmv / ad if ad else np.full_like(igp, np.nan),
        }
    exact = {
        "gmv_fen": w["paid"], "units": u1, "gross_profit_fen": gp, "discount_fen":
        w["merchant_disc"], "platform_discount_fen": w["platform_disc"],
        "coupons_redeemed": w["coupons"], "coupon_discount_fen": w["coupon_fen"],
        "gift_cost_fen": w["gift"], "ad_spend_fen": ad, "extra_fees_fen": extra_fees_fen,
        "promo_cost_fen": cost_fixed, "roas": w["paid"] / ad if ad else np.nan,
        "breakeven_roas": 1 / cm_rate if cm_rate > 0 else np.inf,
    }
    a = lift.alpha if alpha is None else alpha
    rows = {k: (v, v, v) for k, v in exact.items()}
    for k, v in per_path.items():  # linear in each path's counterfactual: mean = point value
        v = v[np.isfinite(v)]
        lo, hi = np.quantile(v, [a / 2, 1 - a / 2]) if len(v) else (np.nan, np.nan)
        rows[k] = (np.mean(v) if len(v) else np.nan, lo, hi)
    order = [m for m in _LABELS if m in rows]
    table = pd.DataFrame([rows[m] for m in order], index=pd.Index(order, name="metric"),
                         columns=["estimate", "lower", "upper"])
    money = table.index.str.endswith("_fen")
    table.loc[money] = table.loc[money].round()
    table["unit"] = [_LABELS[m][0] for m in order]
    table["label_zh"] = [_LABELS[m][1] for m in order]
    sold = li[on & in_scope]
    if "is_gift" in sold.columns:
        sold = sold[~sold["is_gift"].to_numpy(dtype=bool)]
    gross = sold["qty"] * sold["unit_price_fen"]
    cogs = sold["qty"] * cost.reindex(sold["sku"].to_numpy()).to_numpy(dtype=np.int64)
    by_sku = pd.DataFrame({"sku": sold["sku"].to_numpy(), "units": sold["qty"].to_numpy(),
                           "gross_fen": gross.to_numpy(),
                           "discount_fen": sold["discount_fen"].to_numpy(),
                           "paid_fen": (gross - sold["discount_fen"]).to_numpy(),
                           "cost_fen": cogs}).groupby("sku", sort=True).sum()
    by_sku["gross_profit_fen"] = by_sku["paid_fen"] - by_sku["cost_fen"]
    return PromoPnL(table, by_sku)


# -------------------------------------------------------------------- break-even lift
def breakeven_lift(
    discount_rate: Any,
    margin_rate: Any,
    *,
    fee_rate: Any = 0.0,
    fixed_cost_fen: Any = 0,
    baseline_units: Any = None,
    list_price_fen: Any = None,
) -> Any:
    """The volume lift at which a price promotion pays for itself.

    Parameters
    ----------
    discount_rate, margin_rate : float or array
        d and m as fractions of the list price (m = (P − C) / P, before fees).
    fee_rate : float or array
        Platform fee c as a fraction of the paid price.
    fixed_cost_fen : int or array
        Fixed cost F of the promotion (ad spend, design); needs ``baseline_units`` (Q0)
        and ``list_price_fen`` (P).

    Returns
    -------
    float or ndarray
        ``u0/u1 − 1 + F/(u1·Q0)``: ``inf`` where the promoted unit makes no margin
        (u1 ≤ 0: no lift pays), ``nan`` where even the regular unit makes none (u0 ≤ 0).
        Broadcasts over arrays (an ROI grid).

    Examples
    --------
    >>> round(breakeven_lift(0.2, 0.6), 4)  # m = 60 %, d = 20 % → +50 %
    0.5
    >>> float(breakeven_lift(0.3, 0.25))  # a 30 % cut on a 25 % margin never pays
    inf
    >>> round(float(breakeven_lift(0.2, 0.4, fixed_cost_fen=100_000, baseline_units=500,
    ...                            list_price_fen=10_000)), 4)  # + F/(u1·Q0) = 1e5/(2000·500)
    1.1
    """
    d, m, c = (np.asarray(x, dtype=float) for x in (discount_rate, margin_rate, fee_rate))
    f = np.asarray(fixed_cost_fen, dtype=float)
    if np.any((d < 0) | (d >= 1)) or np.any((c < 0) | (c >= 1)) or np.any(m > 1):
        raise PromotionError("breakeven_lift: need 0 <= discount_rate < 1, 0 <= fee_rate < 1 "
                             "and margin_rate <= 1")
    u0 = m - c  # per unit of list price: P(1−c) − C with C = P(1−m)
    u1 = (1 - d) * (1 - c) - (1 - m)
    if np.any(f != 0):
        if baseline_units is None or list_price_fen is None:
            raise PromotionError("breakeven_lift: fixed_cost_fen needs baseline_units and "
                                 "list_price_fen")
        fixed = f / (np.asarray(list_price_fen, dtype=float) * np.asarray(baseline_units, float))
    else:
        fixed = np.zeros_like(u1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(u1 > 0, u0 / u1 - 1 + fixed / u1, np.inf)
    out = np.where(u0 > 0, out, np.nan)
    return float(out) if out.ndim == 0 else out


# ----------------------------------------------------------------- review of a period
def promotion_review(
    order_lines: pd.DataFrame,
    orders: pd.DataFrame,
    products: pd.DataFrame,
    promotions: pd.DataFrame,
    /,
    *,
    start: Any,
    end: Any,
    post_days: int = 7,
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Every promotion that ran in a period: its lift with interval, iROI and ROAS.

    For each promotion with at least one day in ``start..end``, the counterfactual of its
    scope's daily order lines (:func:`mallkit.lift.promotion_lift`, pre-period up to 91
    days, other promotions' days and sale events excluded from it) and the P&L
    (:func:`promotion_pnl`, on the same counterfactual of units) over the days that have
    data. A promotion still running (its
    figures so far, ad spend pro-rated to the days run), one not started yet, one that
    coincides with a sale event (its lift then includes the event's), or one whose
    counterfactual warned or P&L could not be computed is flagged in ``note``, not hidden.

    Parameters
    ----------
    order_lines, orders, products, promotions : DataFrame
        Canonical tables (``orders`` and ``promotions`` are validated); paid orders only
        count.
    start, end : date-like
        The period (inclusive); a promotion overlapping it by one day is reviewed.
    post_days : int
        Days after a promotion for its dip (cut to the data), also kept out of the other
        promotions' pre-periods.
    alpha, seed : float, int
        Interval level and simulation seed of :func:`mallkit.lift.promotion_lift`.

    Returns
    -------
    DataFrame
        One row per promotion: ``promo_id, name, mechanic, scope, start, end, days,
        lift, lift_lower, lift_upper, p_value, post_dip, incremental_gmv_fen,
        incremental_profit_fen, incremental_profit_lower_fen, incremental_profit_upper_fen,
        promo_cost_fen, iroi, net_iroi, roas, note, note_zh`` (the note in Chinese, for
        a Chinese report; the lift model's warnings stay in its own words). Empty when
        none ran.

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> m = make_sample_mall(seed=0, start="2025-01-01", end="2025-05-31", n_customers=3000)
    >>> r = promotion_review(m["order_lines"], m["orders"], m["products"], m["promotions"],
    ...                      start="2025-04-07", end="2025-04-20")
    >>> r[["promo_id", "days", "note"]].to_dict("records")
    [{'promo_id': 'P20250410', 'days': 7, 'note': ''}]
    """
    import warnings

    from mallkit import calendar as mcal
    from mallkit.lift import promotion_lift
    from mallkit.promotions import daily_sales
    from mallkit.schema import validate

    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    promos = validate(promotions, "promotions")
    o = validate(orders, "orders")
    data_end = o["created_at"].max().normalize()
    ran = promos[(promos["start"].dt.normalize() <= e) & (promos["end"].dt.normalize() >= s)]
    rows = []
    for p in ran.itertuples(index=False):  # a handful of promotions per period
        ps, pe = p.start.normalize(), min(p.end.normalize(), data_end)
        head = {"promo_id": p.promo_id, "name": p.name, "mechanic": p.mechanic,
                "scope": p.scope, "start": ps, "end": pe}
        if ps > data_end:
            rows.append(head | {"end": p.end.normalize(), "days": 0,
                                "note": f"not started: data to {data_end.date()}",
                                "note_zh": f"未开始：数据截至 {data_end.date()}"})
            continue
        promo = p._asdict()
        notes, notes_zh = [], []
        if p.end.normalize() > data_end:  # measured so far; ad spend pro-rated to the days run
            planned, run = (p.end.normalize() - ps).days + 1, (pe - ps).days + 1
            promo |= {"end": pe,
                      "ad_spend_fen": (2 * int(p.ad_spend_fen) * run + planned) // (2 * planned)}
            notes.append(f"running: data to {data_end.date()}, {run} of {planned} days "
                         f"(ad spend pro-rated)")
            notes_zh.append(f"进行中：数据截至 {data_end.date()}，已 {run}/{planned} 天"
                            "（广告费按天分摊）")
        others = promos[promos["promo_id"] != p.promo_id]
        busy = [d for a, b in zip(others["start"], others["end"], strict=True)
                for d in pd.date_range(a.normalize(), b.normalize() + pd.Timedelta(days=post_days))]
        ev = mcal.events(ps - pd.Timedelta(days=91), pe, include_holidays=False)
        sale = ev[ev["kind"] == "sale"]
        during = sale[(sale["date"] >= ps) & (sale["date"] <= pe)]["event"].unique()
        if len(during):
            notes.append(f"coincides with {', '.join(during)}: the lift includes the event's")
            notes_zh.append(f"与 {'、'.join(during)} 重叠：增量含大促本身的拉动")
        by_day = {"products": products, "scope": p.scope, "statuses": PAID_STATUSES,
                  "end": min(pe + pd.Timedelta(days=post_days), data_end)}
        lines = daily_sales(order_lines, o, measure="lines", **by_day)
        pre = lines.index[lines.index < ps]
        exclude = pre[pre.isin(pd.DatetimeIndex(busy)) | pre.isin(sale["date"])]
        kw = {"start": ps, "end": pe, "exclude": exclude, "alpha": alpha, "seed": seed,
              "post_days": min(post_days, (data_end - pe).days)}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                lift = promotion_lift(lines, **kw)
            except PromotionError as err:
                rows.append(head | {"days": (pe - ps).days + 1, "note": f"no lift: {err}",
                                    "note_zh": f"无法估计增量：{err}"})
                continue
        notes += [str(w.message) for w in caught]
        notes_zh += [f"模型提示：{w.message}" for w in caught]  # the model's own words
        # The P&L prices units: the lift of order lines misses the extra units per line
        # that 第二件半价 / 满2件9折 exist to bring (it put the 第二件半价 sample promotion's
        # iROI at -0.21 instead of +0.13), so the P&L gets a counterfactual of units.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                units = promotion_lift(daily_sales(order_lines, o, measure="units", **by_day),
                                       **kw)
                t = promotion_pnl(order_lines, units, products, promo, orders=o).table
            except PromotionError as err:  # the lift stands; say why there is no P&L
                t = None
                notes.append(f"no P&L: {err}")
                notes_zh.append(f"无法计算损益：{err}")
        more = [w.message for w in caught if str(w.message) not in notes]
        notes += [f"units baseline of the P&L: {m}" for m in more]
        notes_zh += [f"损益的件数基线：{m}" for m in more]
        eff = lift.effects
        row = head | {
            "days": int(eff.at["promotion", "days"]),
            "lift": eff.at["promotion", "rel_effect"],
            "lift_lower": eff.at["promotion", "rel_effect_lower"],
            "lift_upper": eff.at["promotion", "rel_effect_upper"],
            "p_value": eff.at["promotion", "p_two_sided"],
            "post_dip": eff.at["post", "rel_effect"] if eff.at["post", "days"] else np.nan,
            "note": "; ".join(dict.fromkeys(notes)),
            "note_zh": "；".join(dict.fromkeys(notes_zh)),
        }
        if t is not None:
            row |= {
                "incremental_gmv_fen": t.at["incremental_gmv_fen", "estimate"],
                "incremental_profit_fen": t.at["incremental_profit_fen", "estimate"],
                "incremental_profit_lower_fen": t.at["incremental_profit_fen", "lower"],
                "incremental_profit_upper_fen": t.at["incremental_profit_fen", "upper"],
                "promo_cost_fen": t.at["promo_cost_fen", "estimate"],
                "iroi": t.at["iroi", "estimate"], "net_iroi": t.at["net_iroi", "estimate"],
                "roas": t.at["roas", "estimate"],
            }
        rows.append(row)
    cols = ["promo_id", "name", "mechanic", "scope", "start", "end", "days", "lift",
            "lift_lower", "lift_upper", "p_value", "post_dip", "incremental_gmv_fen",
            "incremental_profit_fen", "incremental_profit_lower_fen",
            "incremental_profit_upper_fen", "promo_cost_fen", "iroi", "net_iroi", "roas", "note",
            "note_zh"]
    return pd.DataFrame(rows, columns=cols)
