"""Price elasticity and the what-if of a proposed promotion, before it runs.

* :func:`price_elasticity` -- own-price elasticity per SKU or category: log-log OLS of
  daily units on price with weekday / calendar-event / trend controls, with its standard
  error and interval; refuses when the price never varied.
* :func:`simulate_promotion` -- a proposed scheme priced with
  :func:`mallkit.promotions.apply_promotion` on baseline baskets (exact fen), demand moved
  by the elasticity, over a grid of parameters: expected units, GMV, incremental gross
  profit, promo cost, iROI and net iROI (definitions as in :mod:`mallkit.roi`), with
  intervals from the elasticity's uncertainty, and the best scheme within a budget.

Both are re-exported by :mod:`mallkit.roi` and :mod:`mallkit.promotions`.

Examples
--------
>>> import pandas as pd
>>> base = pd.DataFrame({"order_id": ["O1", "O2"], "sku": ["A", "A"], "qty": [2, 1],
...                      "unit_price_fen": [15000, 15000]})
>>> prod = pd.DataFrame({"sku": ["A"], "category": ["x"], "unit_cost_fen": [6000]})
>>> sim = simulate_promotion(base, mechanic="full_reduction", products=prod,
...                          params={"threshold_fen": 20000, "reduction_fen": 2000},
...                          elasticity=-3.0)
>>> float(sim.table.at[0, "discount_rate"])   # O1 (300) qualifies: 20 off 450
0.044444
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mallkit.errors import PromotionError
from mallkit.promotions import (
    _check_fen,
    _int_col,
    _need,
    _window_lines,
    apply_promotion,
    parse_promotions,
)

__all__ = ["Simulation", "price_elasticity", "simulate_promotion"]


# ------------------------------------------------------------------------- elasticity
_CONTROLS = ("weekday", "events", "trend")


def price_elasticity(
    lines: pd.DataFrame,
    /,
    *,
    orders: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    by: str = "category",
    controls: Any = _CONTROLS,
    alpha: float = 0.05,
    min_days: int = 28,
) -> pd.DataFrame:
    """Own-price elasticity per SKU or category: log-log OLS of daily units on price.

    ``ln Q_t = a + ε ln P_t + weekday + calendar events + trend``, per group, with
    heteroskedasticity-robust (HC1) standard errors. P is the average price paid per unit
    (``by="sku"``) or the share of list price paid (``by="category"``: a price index, so
    the SKU mix does not pose as a price change). Days without sales are dropped (counted
    in ``n_zero_days``): at low volume aggregate first or use categories. Where prices
    move only in promotions that also bring ads and attention (the sample mall), ε absorbs
    that pull too and overstates price response: a test with price-only changes is better.

    Parameters
    ----------
    lines : DataFrame
        Order lines (``order_id, sku, qty, unit_price_fen, discount_fen``), dated by
        ``created_at`` or by ``orders`` (which also keeps paid statuses only).
    orders, products : DataFrame, optional
        ``products`` (sku, category) is needed for ``by="category"``.
    by : {"category", "sku"}
    controls : tuple of {"weekday", "events", "trend"}, or DataFrame
        Built-in controls, or your own daily regressors indexed by date (used as given).
    alpha : float
        1 − level of the interval.
    min_days : int
        Fewer days with sales than this gives no estimate (a note says so).

    Returns
    -------
    DataFrame
        Index ``by``: ``elasticity, se, ci_lower, ci_upper, n_days, n_zero_days, price_sd``
        (s.d. of ln P), ``r2, note``. Groups whose price never varied or with too few
        days have NaN estimates and a note.

    Raises
    ------
    PromotionError
        When the price never varied in any group: there is nothing to estimate from.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> days = pd.date_range("2025-01-01", periods=120, freq="D")
    >>> cut = rng.choice([0, 1000, 2000], 120)            # 0 %, 10 %, 20 % off a ¥100 item
    >>> qty = rng.poisson(40 * ((10000 - cut) / 10000) ** -2.0)   # true ε = −2
    >>> lines = pd.DataFrame({"order_id": [f"O{i}" for i in range(120)], "sku": "A",
    ...                       "qty": qty, "unit_price_fen": 10000, "discount_fen": cut * qty,
    ...                       "created_at": days})
    >>> e = price_elasticity(lines, by="sku", controls=())
    >>> bool(e.at["A", "ci_lower"] < -2 < e.at["A", "ci_upper"])
    True
    """
    import statsmodels.api as sm
    from scipy.stats import norm

    from mallkit import calendar as mcal

    if by not in ("category", "sku"):
        raise PromotionError(f"by must be 'category' or 'sku', got {by!r}")
    _need(lines, ["order_id", "sku", "qty", "unit_price_fen", "discount_fen"], "lines")
    _check_fen(lines)
    li = _window_lines(lines, orders)
    if "is_gift" in li.columns:
        li = li[~li["is_gift"].to_numpy(dtype=bool)]
    if by == "category":
        if products is None:
            raise PromotionError("by='category' needs products= (sku, category)")
        cat = products.drop_duplicates("sku").set_index("sku")["category"]
        group = cat.reindex(li["sku"].to_numpy()).to_numpy(dtype=object)
    else:
        group = li["sku"].to_numpy(dtype=object)
    gross = li["qty"].to_numpy() * li["unit_price_fen"].to_numpy()
    frame = pd.DataFrame({"g": group, "date": pd.to_datetime(li["created_at"]).dt.normalize()
                          .to_numpy(), "q": li["qty"].to_numpy(), "gross": gross,
                          "paid": gross - li["discount_fen"].to_numpy()})
    daily = frame.groupby(["g", "date"], sort=True).sum()
    price = daily["paid"] / (daily["gross"] if by == "category" else daily["q"])
    daily = daily.assign(ln_q=np.log(daily["q"]), ln_p=np.log(price.clip(lower=1e-12)))
    first, last = frame["date"].min(), frame["date"].max()
    all_days = pd.date_range(first, last, freq="D")
    if isinstance(controls, pd.DataFrame):
        if not isinstance(controls.index, pd.DatetimeIndex):
            raise PromotionError(f"controls must be indexed by date, got "
                                 f"{type(controls.index).__name__}")
        extra = controls.reindex(all_days).astype(float)
        gaps = all_days[extra.isna().any(axis=1).to_numpy()]
        if len(gaps):  # OLS would stop on "exog contains inf or nans"
            raise PromotionError(f"controls have no value on {len(gaps)} day(s) of "
                                 f"{first.date()}..{last.date()}, e.g. "
                                 f"{gaps[:5].strftime('%Y-%m-%d').tolist()}")
    else:
        unknown = set(controls) - set(_CONTROLS)
        if unknown:
            raise PromotionError(f"controls must be from {_CONTROLS} or a DataFrame; got "
                                 f"{sorted(unknown)}")
        parts = []
        if "weekday" in controls:
            parts.append(pd.get_dummies(all_days.day_of_week, prefix="dow", drop_first=True,
                                        dtype=float).set_axis(all_days))
        if "events" in controls:
            ev = mcal.events(first, last)
            ev = ev[ev["kind"] != "workday"]
            parts.append(pd.crosstab(ev["date"], ev["event"]).clip(upper=1)
                         .reindex(all_days, fill_value=0).astype(float))
        if "trend" in controls:
            parts.append(pd.DataFrame({"trend": np.arange(len(all_days)) / 365.0},
                                      index=all_days))
        extra = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=all_days)
    z = float(norm.ppf(1 - alpha / 2))
    rows = {}
    for g, d in daily.groupby(level="g", sort=True):
        d = d.droplevel("g")
        x = pd.concat([d["ln_p"], extra.reindex(d.index)], axis=1)
        x = x.loc[:, (x.std() > 0) | (x.columns == "ln_p")]  # constant controls say nothing
        row = {"n_days": len(d), "n_zero_days": len(all_days) - len(d),
               "price_sd": float(d["ln_p"].std(ddof=0)), "elasticity": np.nan, "se": np.nan,
               "ci_lower": np.nan, "ci_upper": np.nan, "r2": np.nan, "note": ""}
        if row["price_sd"] < 1e-9:
            row["note"] = "price never varied"
        elif len(d) < max(min_days, x.shape[1] + 5):
            row["note"] = f"too few days with sales ({len(d)} < {max(min_days, x.shape[1] + 5)})"
        else:
            res = sm.OLS(d["ln_q"], sm.add_constant(x, has_constant="add")).fit(cov_type="HC1")
            est, se = float(res.params["ln_p"]), float(res.bse["ln_p"])
            row |= {"elasticity": est, "se": se, "ci_lower": est - z * se,
                    "ci_upper": est + z * se, "r2": float(res.rsquared)}
        rows[g] = row
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis(by)
    if len(out) and (out["note"] == "price never varied").all():
        raise PromotionError(f"price_elasticity: the price never varied for "
                             f"{out.index[:5].tolist()}: an elasticity cannot be estimated "
                             "without price changes (run a test, or use a category prior)")
    if len(out) == 0:
        raise PromotionError("price_elasticity: no sales in lines")
    return out[["elasticity", "se", "ci_lower", "ci_upper", "n_days", "n_zero_days",
                "price_sd", "r2", "note"]]


# --------------------------------------------------------------------------- what-if
@dataclass(frozen=True)
class Simulation:
    """Result of :func:`simulate_promotion`.

    Attributes
    ----------
    table : DataFrame
        One row per scheme (grid point): its parameters, ``discount_rate`` (discount ÷
        list value of the baseline baskets in scope), expected ``units``, ``gmv_fen``,
        ``incremental_gp_fen``, ``promo_cost_fen``, ``incremental_profit_fen``, ``iroi``,
        ``net_iroi`` (each with ``_lower`` / ``_upper`` from the elasticity's uncertainty),
        ``unit_lift``, ``roas`` (GMV ÷ ad spend) and ``within_budget``.
    best : DataFrame
        The row with the highest expected incremental profit within the budget (empty
        if no scheme fits).
    baseline : DataFrame
        One row: ``units, gmv_fen, gross_profit_fen`` of the baseline in scope, no promotion.
    """

    table: pd.DataFrame
    best: pd.DataFrame
    baseline: pd.DataFrame


def _elasticity_of(lines: pd.DataFrame, cat: np.ndarray, elasticity: Any) -> tuple:
    """(ε, se) per line from a number, a pair or a price_elasticity() frame."""
    n = len(lines)
    if isinstance(elasticity, pd.DataFrame):
        key = lines["sku"].to_numpy(dtype=object) if elasticity.index.name == "sku" else cat
        e = elasticity.reindex(key)
        bad = e["elasticity"].isna().to_numpy()
        if bad.any():
            what = elasticity.index.name or "group"
            raise PromotionError(f"elasticity has no estimate for {what} "
                                 f"{pd.unique(key[bad])[:5].tolist()} of the baseline")
        return e["elasticity"].to_numpy(float), e["se"].fillna(0).to_numpy(float)
    est, se = (elasticity if isinstance(elasticity, tuple | list) else (elasticity, 0.0))
    return np.full(n, float(est)), np.full(n, float(se))


def simulate_promotion(
    baseline: pd.DataFrame,
    /,
    *,
    mechanic: str,
    params: Mapping[str, Any],
    elasticity: Any,
    products: pd.DataFrame,
    scope: str = "all",
    grid: Mapping[str, Any] | None = None,
    ad_spend_fen: int = 0,
    platform_fee_rate: float = 0.0,
    extra_fees_fen: int = 0,
    budget_fen: int | None = None,
    n_draws: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
) -> Simulation:
    """What a proposed promotion would do: units, GMV, gross profit and iROI, with intervals.

    The scheme is applied with :func:`mallkit.promotions.apply_promotion` to the baseline
    baskets (exact fen); its effective price cut per elasticity group, δ = discount ÷ list
    value (coupon discounts × ``claim_rate``), moves demand by ``(1 − δ)^ε`` -- the log-log
    elasticity of :func:`price_elasticity`, drawn ``n_draws`` times from N(ε, se) so the
    intervals carry its uncertainty. Assumed: baskets scale as a whole (no basket building
    to reach a threshold), no halo or dip; demand outside the scope is unchanged.

    Parameters
    ----------
    baseline : DataFrame
        Expected baskets without the promotion at list price (``order_id, sku, qty,
        unit_price_fen``), e.g. the lines of a comparable past window.
    mechanic, params : str, dict
        The scheme (see :mod:`mallkit.promotions`); ``params`` may include ``funded_by``.
    elasticity : float, (float, float) or DataFrame
        ε, (ε, se), or the frame of :func:`price_elasticity` (by sku or category).
    products : DataFrame
        ``sku, category, unit_cost_fen``.
    scope : str
        ``"all"``, ``"category:<name>"`` or ``"sku:<a>,<b>"``.
    grid : dict of param → values, optional
        Schemes to compare: every combination replaces ``params`` entries (e.g.
        ``{"threshold_fen": [19900, 29900], "reduction_fen": [2000, 3000]}``).
    ad_spend_fen, extra_fees_fen : int
        Fixed costs of running the promotion.
    platform_fee_rate : float
        Fee as a fraction of the merchant's revenue.
    budget_fen : int, optional
        A scheme is within budget when its promo cost's upper bound is at most this.
    n_draws, alpha, seed : int, float, int
        Elasticity draws, interval level, random seed.

    Returns
    -------
    Simulation

    Examples
    --------
    >>> base = pd.DataFrame({"order_id": ["O1", "O2", "O3"], "sku": ["A", "A", "B"],
    ...                      "qty": [2, 1, 1], "unit_price_fen": [15000, 15000, 30000]})
    >>> prod = pd.DataFrame({"sku": ["A", "B"], "category": ["x", "x"],
    ...                      "unit_cost_fen": [6000, 12000]})
    >>> sim = simulate_promotion(base, mechanic="full_reduction", products=prod,
    ...                          params={"threshold_fen": 20000, "reduction_fen": 2000},
    ...                          grid={"reduction_fen": [2000, 4000]}, elasticity=(-3.0, 0.5))
    >>> sim.table[["reduction_fen", "discount_rate"]].to_dict("list")  # O1, O3 qualify: 40/750
    {'reduction_fen': [2000, 4000], 'discount_rate': [0.053333, 0.106667]}
    >>> bool(sim.table["units"].is_monotonic_increasing)
    True
    """
    if not 0 <= platform_fee_rate < 1:
        raise PromotionError(f"platform_fee_rate must be in [0, 1), got {platform_fee_rate!r}")
    if n_draws < 10:
        raise PromotionError(f"n_draws must be >= 10, got {n_draws!r}")
    _need(products, ["sku", "category", "unit_cost_fen"], "products")
    _int_col(products, "unit_cost_fen", "products", minimum=0, key="sku")
    grid = dict(grid or {})
    names = list(grid)
    combos = list(itertools.product(*(list(np.atleast_1d(np.asarray(grid[k], dtype=object)))
                                      for k in names))) if names else [()]
    prod = products.drop_duplicates("sku").set_index("sku")

    def scheme(combo: tuple) -> dict[str, Any]:
        return {**params, **{n: (v.item() if isinstance(v, np.generic) else v)
                             for n, v in zip(names, combo, strict=True)}}

    spec0 = {"mechanic": mechanic, "params": scheme(combos[0]), "scope": scope,
             "promo_id": "whatif"}
    first = apply_promotion(baseline, spec0, products=products)
    (spec,) = parse_promotions(spec0)
    sold = ~first["is_gift"].to_numpy()
    sku = first["sku"].to_numpy(dtype=object)[sold]
    cat = prod["category"].reindex(sku).to_numpy(dtype=object)
    if spec.scope == "all":
        in_scope = np.ones(len(sku), dtype=bool)
    elif spec.scope.startswith("sku:"):
        in_scope = np.isin(sku, [s.strip() for s in spec.scope[4:].split(",")])
    else:
        in_scope = cat == spec.scope.split(":", 1)[1]
    if not in_scope.any():
        raise PromotionError(f"no baseline lines in scope {scope!r}")
    no_cost = ~np.isin(sku[in_scope], prod.index)
    if no_cost.any():  # a NaN cost cast to int64 gave nonsense profits
        raise PromotionError(f"products: no unit_cost_fen for sku "
                             f"{pd.unique(sku[in_scope][no_cost])[:5].tolist()} of the baseline")
    eps, se = _elasticity_of(first[sold][in_scope], cat[in_scope], elasticity)
    groups, gi = np.unique(np.char.add(eps.astype(str), np.char.add("|", se.astype(str))),
                           return_inverse=True)
    k = len(groups)
    eps_k = np.bincount(gi, weights=eps, minlength=k) / np.bincount(gi, minlength=k)
    se_k = np.bincount(gi, weights=se, minlength=k) / np.bincount(gi, minlength=k)
    rng = np.random.default_rng(seed)
    draws = eps_k + se_k * rng.standard_normal((n_draws, k))  # (draws, groups)
    qty = first["qty"].to_numpy()[sold][in_scope]
    gross = qty * first["unit_price_fen"].to_numpy()[sold][in_scope]
    cogs = qty * prod["unit_cost_fen"].reindex(sku[in_scope]).to_numpy(dtype=np.int64)

    def per_group(v: np.ndarray) -> np.ndarray:
        return np.bincount(gi, weights=v, minlength=k)

    u0, g0, c0 = per_group(qty), per_group(gross), per_group(cogs)
    c = platform_fee_rate
    gp0 = g0.sum() * (1 - c) - c0.sum()
    q = (alpha / 2, 1 - alpha / 2)
    rows = []
    for i, combo in enumerate(combos):
        par = scheme(combo)
        priced = first if i == 0 else apply_promotion(
            baseline, {"mechanic": mechanic, "params": par, "scope": scope}, products=products)
        claim = float(par.get("claim_rate", 1.0)) if mechanic == "coupon" else 1.0
        p_sold = priced[~priced["is_gift"].to_numpy()]
        disc = p_sold["discount_fen"].to_numpy()[in_scope] * claim
        merch = p_sold["merchant_discount_fen"].to_numpy()[in_scope] * claim
        gift0 = float(priced["gift_cost_fen"].sum())
        d_k, m_k = per_group(disc), per_group(merch)
        delta = np.where(g0 > 0, d_k / np.where(g0 > 0, g0, 1), 0.0)
        mult = (1 - delta) ** draws  # (draws, groups)
        units = mult @ u0
        gmv = mult @ (g0 - d_k)
        igp = (mult @ (g0 - m_k)) * (1 - c) - mult @ c0 - gp0
        gift = gift0 * units / u0.sum()
        cost = mult @ m_k + gift + ad_spend_fen + extra_fees_fen
        profit = igp - gift - ad_spend_fen - extra_fees_fen
        with np.errstate(divide="ignore", invalid="ignore"):
            stats = {"units": units, "gmv_fen": gmv, "incremental_gp_fen": igp,
                     "promo_cost_fen": cost, "incremental_profit_fen": profit,
                     "iroi": igp / cost, "net_iroi": profit / cost}
        row: dict[str, Any] = dict(zip(names, combo, strict=True))
        row["discount_rate"] = round(float(d_k.sum() / g0.sum()), 6)
        for name, v in stats.items():
            lo, hi = np.quantile(v, q)
            row |= {name: float(np.mean(v)), f"{name}_lower": float(lo), f"{name}_upper": hi}
        row["unit_lift"] = row["units"] / u0.sum() - 1
        row["roas"] = row["gmv_fen"] / ad_spend_fen if ad_spend_fen else np.nan
        row["within_budget"] = budget_fen is None or row["promo_cost_fen_upper"] <= budget_fen
        rows.append(row)
    table = pd.DataFrame(rows)
    money = [col for col in table.columns if "_fen" in col and col not in names]
    table[money] = table[money].round().astype("int64")
    ok = table[table["within_budget"]]
    best = ok.loc[[ok["incremental_profit_fen"].idxmax()]] if len(ok) else ok
    base = pd.DataFrame({"units": [int(u0.sum())], "gmv_fen": [int(g0.sum())],
                         "gross_profit_fen": [round(gp0)]})
    return Simulation(table, best, base)
