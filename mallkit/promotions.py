"""Promotions in exact fen: the mechanics Chinese malls run, promo P&L / ROI and what-if.

* :func:`apply_promotion` prices baskets under one promotion or a stack of them:
  满减, 每满减 (optional cap), 阶梯满减, 满折, 限时折扣, 第二件半价, coupons with or
  without threshold, 赠品 and pre-sale deductions. Discounts stack in the documented
  order -- item price (限时折扣, 定金膨胀, then 第二件半价 on the price they leave) → shop
  discounts (满减 family, 满折, 赠品 thresholds) → coupons -- and every order-level
  discount is allocated to the lines in scope in proportion to their amounts with
  largest-remainder rounding (:func:`mallkit.money.allocate`), so per-SKU revenue and
  margin are exact to the fen.
* :func:`presale_summary` books 定金+尾款 GMV at balance payment and reports the
  deposit-to-balance conversion and forfeited deposits.
* :func:`daily_sales` is the relational step in front of :func:`mallkit.lift.promotion_lift`:
  order lines of a scope per day.
* The P&L and break-even lift (``promotion_pnl``, ``breakeven_lift``) live in
  :mod:`mallkit.roi`, price elasticity and the what-if (``price_elasticity``,
  ``simulate_promotion``) in :mod:`mallkit.whatif`, to keep modules small; all can be
  imported from here too.

Promotion parameters (``promotions.params``, JSON text or a dict), all money in fen:

====================  ==================================================================
mechanic              params
====================  ==================================================================
full_reduction        ``threshold_fen, reduction_fen`` (满200减20)
per_full_reduction    ``step_fen, reduction_fen[, max_times][, cap_fen]`` (每满300减50)
tiered_reduction      ``tiers: [[threshold_fen, reduction_fen], ...]`` (highest tier reached)
percent_off           ``rate[, min_qty][, min_amount_fen]`` (满2件9折: rate 0.9, min_qty 2)
flash_discount        one of ``rate`` / ``cut_fen`` (per unit) / ``prices`` ({sku: fen})
second_half_price     ``[rate]`` (price of every second unit as a fraction, default 0.5)
coupon                ``reduction_fen[, threshold_fen][, claim_rate]`` (threshold 0 = 无门槛)
gift                  ``gift_sku[, threshold_fen][, gift_qty][, gift_cost_fen]``
presale               ``deposit_fen, deduction_fen`` (付定金立减 per unit)
====================  ==================================================================

Every mechanic also takes ``funded_by``: ``"merchant"`` (default: 店铺券, 店铺满减) or
``"platform"`` (平台券); only merchant-funded discounts are a promo cost of the shop.
``scope`` is ``"all"``, ``"category:<name>"`` or ``"sku:<sku>,<sku>,..."``.

Rounding: a rate gives the new unit price (or order discount) rounded half up to the fen,
as the sample mall does (9折 on ¥10.05 → ¥1.01 off).

Examples
--------
>>> import pandas as pd
>>> lines = pd.DataFrame({"order_id": ["O1", "O1", "O1"], "sku": ["A", "B", "C"],
...                       "qty": [1, 1, 1], "unit_price_fen": [1000, 1000, 1000]})
>>> promo = {"mechanic": "full_reduction", "params": {"threshold_fen": 3000, "reduction_fen": 1000}}
>>> apply_promotion(lines, promo)["discount_fen"].tolist()  # 满30减10 on 10+10+10
[334, 333, 333]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from mallkit.errors import MissingColumnsError, PromotionError, SchemaError
from mallkit.money import allocate
from mallkit.schema import MECHANICS, PAID_STATUSES

__all__ = [
    "STACKING_ORDER",
    "PresaleSummary",
    "apply_promotion",
    "daily_sales",
    "parse_promotions",
    "presale_summary",
]

MAX_EXAMPLES = 5
#: Stage of each mechanic: item price (0) → shop discounts (1) → coupons (2).
STACKING_ORDER = {
    "flash_discount": 0, "second_half_price": 0, "presale": 0,
    "full_reduction": 1, "per_full_reduction": 1, "tiered_reduction": 1, "percent_off": 1,
    "gift": 1,
    "coupon": 2,
}
_STAGE_COLS = ("item_discount_fen", "shop_discount_fen", "coupon_discount_fen")
# mechanic: (required params, optional params with defaults)
_PARAMS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "full_reduction": (("threshold_fen", "reduction_fen"), {}),
    "per_full_reduction": (("step_fen", "reduction_fen"), {"max_times": None, "cap_fen": None}),
    "tiered_reduction": (("tiers",), {}),
    "percent_off": (("rate",), {"min_qty": 0, "min_amount_fen": 0}),
    "flash_discount": ((), {"rate": None, "cut_fen": None, "prices": None}),
    "second_half_price": ((), {"rate": 0.5}),
    "coupon": (("reduction_fen",), {"threshold_fen": 0, "claim_rate": 1.0}),
    "gift": (("gift_sku",), {"threshold_fen": 0, "gift_qty": 1, "gift_cost_fen": None}),
    "presale": (("deposit_fen", "deduction_fen"), {}),
}
assert set(_PARAMS) == set(MECHANICS) == set(STACKING_ORDER)


# ----------------------------------------------------------------------- promotions
@dataclass(frozen=True)
class Promo:
    """One parsed, checked promotion (see :func:`parse_promotions`)."""

    promo_id: str
    mechanic: str
    params: Mapping[str, Any]
    scope: str = "all"
    funded_by: str = "merchant"

    @property
    def stage(self) -> int:
        """0 item price, 1 shop discount, 2 coupon."""
        return STACKING_ORDER[self.mechanic]


def _bad(promo_id: str, msg: str) -> PromotionError:
    return PromotionError(f"promotion {promo_id!r}: {msg}")


def _int_param(pid: str, par: Mapping, key: str, *, minimum: int = 0) -> int:
    v = par[key]
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum:
        raise _bad(pid, f"param {key!r} must be an integer number of fen >= {minimum}, got {v!r}")
    return int(v)


def _rate(pid: str, key: str, v: Any, *, lo_open: bool = True) -> Fraction:
    """A rate as an exact fraction (0.9 → 9/10, read from its decimal text, not its binary)."""
    try:
        f = Fraction(Decimal(str(v))) if isinstance(v, float | str | Decimal) else Fraction(v)
    except (ValueError, TypeError, ArithmeticError):
        raise _bad(pid, f"param {key!r} must be a number, got {v!r}") from None
    if not ((f > 0) if lo_open else (f >= 0)) or f >= 1:
        rng = "0 < rate < 1" if lo_open else "0 <= rate < 1"
        raise _bad(pid, f"param {key!r} must satisfy {rng} (0.9 = 9折), got {v!r}")
    return f


def _check_params(pid: str, mechanic: str, par: Mapping[str, Any]) -> dict[str, Any]:
    need, opt = _PARAMS[mechanic]
    missing = [k for k in need if k not in par]
    if missing:
        raise _bad(pid, f"mechanic {mechanic!r} needs params {list(need)}; missing {missing}")
    unknown = sorted(set(par) - set(need) - set(opt) - {"funded_by"})
    if unknown:
        raise _bad(pid, f"unknown params {unknown} for mechanic {mechanic!r}; "
                        f"it takes {list(need) + list(opt)} and 'funded_by'")
    p = {**opt, **{k: v for k, v in par.items() if k != "funded_by"}}
    for k in ("threshold_fen", "reduction_fen", "min_amount_fen", "deposit_fen"):
        if k in p:
            _int_param(pid, p, k, minimum=1 if k == "reduction_fen" else 0)
    if mechanic == "per_full_reduction":
        _int_param(pid, p, "step_fen", minimum=1)
        for k in ("max_times", "cap_fen"):
            if p[k] is not None:
                _int_param(pid, p, k, minimum=1)
    elif mechanic == "tiered_reduction":
        tiers = p["tiers"]
        ok = isinstance(tiers, list | tuple) and len(tiers) > 0 and all(
            isinstance(t, list | tuple) and len(t) == 2 for t in tiers)
        if not ok:
            raise _bad(pid, f"param 'tiers' must be [[threshold_fen, reduction_fen], ...], "
                            f"got {tiers!r}")
        for t in tiers:
            _int_param(pid, {"tier threshold": t[0]}, "tier threshold")
            _int_param(pid, {"tier reduction": t[1]}, "tier reduction", minimum=1)
        thr = [t[0] for t in tiers]
        if len(set(thr)) != len(thr):
            raise _bad(pid, f"tiers repeat a threshold: {sorted(thr)}")
        p["tiers"] = sorted((int(a), int(b)) for a, b in tiers)
    elif mechanic == "percent_off":
        p["rate"] = _rate(pid, "rate", p["rate"])
        _int_param(pid, p, "min_qty")
    elif mechanic == "flash_discount":
        given = [k for k in ("rate", "cut_fen", "prices") if p[k] is not None]
        if len(given) != 1:
            raise _bad(pid, f"flash_discount needs exactly one of 'rate', 'cut_fen', 'prices'; "
                            f"got {given or 'none'}")
        if p["rate"] is not None:
            p["rate"] = _rate(pid, "rate", p["rate"])
        elif p["cut_fen"] is not None:
            _int_param(pid, p, "cut_fen", minimum=1)
        else:
            if not isinstance(p["prices"], Mapping) or not p["prices"]:
                raise _bad(pid, f"param 'prices' must be a non-empty {{sku: price_fen}}, "
                                f"got {p['prices']!r}")
            for sku, v in p["prices"].items():
                _int_param(pid, {f"prices[{sku!r}]": v}, f"prices[{sku!r}]")
    elif mechanic == "second_half_price":
        p["rate"] = _rate(pid, "rate", p["rate"], lo_open=False)
    elif mechanic == "coupon":
        cr = p["claim_rate"]
        if not isinstance(cr, int | float) or not 0 <= cr <= 1:
            raise _bad(pid, f"param 'claim_rate' must be in [0, 1], got {cr!r}")
    elif mechanic == "gift":
        _int_param(pid, p, "gift_qty", minimum=1)
        if p["gift_cost_fen"] is not None:
            _int_param(pid, p, "gift_cost_fen")
    elif mechanic == "presale":
        _int_param(pid, p, "deduction_fen", minimum=1)
    return p


def _check_scope(pid: str, scope: Any) -> str:
    if not isinstance(scope, str) or not (
        scope == "all" or (scope.startswith(("category:", "sku:")) and scope.split(":", 1)[1])
    ):
        raise _bad(pid, f"scope must be 'all', 'category:<name>' or 'sku:<a>,<b>', got {scope!r}")
    return scope


def parse_promotions(promo: Any, /) -> list[Promo]:
    """Read one promotion (dict / Series / row) or several (DataFrame / list) and check them.

    Parameters
    ----------
    promo : Mapping, Series, DataFrame or list of Mapping
        Fields ``mechanic`` and ``params`` (JSON text or dict); optional ``promo_id``
        (default ``"P<position>"``) and ``scope`` (default ``"all"``). A row of the
        canonical ``promotions`` table fits.

    Returns
    -------
    list of Promo
        In stacking order (item price → shop → coupon), stable within a stage.

    Raises
    ------
    PromotionError
        Unknown mechanic, unreadable JSON, missing/unknown/out-of-range params, bad scope.

    Examples
    --------
    >>> [p.mechanic for p in parse_promotions([
    ...     {"mechanic": "coupon", "params": '{"reduction_fen": 500}'},
    ...     {"mechanic": "flash_discount", "params": {"rate": 0.8}}])]
    ['flash_discount', 'coupon']
    >>> parse_promotions({"mechanic": "bogo", "params": {}})
    Traceback (most recent call last):
    ...
    mallkit.errors.PromotionError: promotion 'P0': unknown mechanic 'bogo'; known: ...
    """
    if isinstance(promo, pd.DataFrame):
        rows = promo.to_dict("records")
    elif isinstance(promo, Mapping | pd.Series):
        rows = [dict(promo)]
    elif isinstance(promo, list | tuple):
        rows = [dict(r) for r in promo]
    else:
        raise PromotionError(f"promo must be a dict, Series, DataFrame or list of dicts, "
                             f"got {type(promo).__name__}")
    out = []
    for i, r in enumerate(rows):
        pid = str(r.get("promo_id", f"P{i}"))
        mech = r.get("mechanic")
        if mech not in _PARAMS:
            raise _bad(pid, f"unknown mechanic {mech!r}; known: {', '.join(MECHANICS)}")
        par = r.get("params", {})
        if isinstance(par, str):
            try:
                par = json.loads(par) if par.strip() else {}
            except json.JSONDecodeError as exc:
                raise _bad(pid, f"params is not valid JSON ({exc.msg}): {par!r}") from None
        if not isinstance(par, Mapping):
            raise _bad(pid, f"params must be a JSON object / dict, got {par!r}")
        funded = par.get("funded_by", "merchant")
        if funded not in ("merchant", "platform"):
            raise _bad(pid, f"param 'funded_by' must be 'merchant' or 'platform', got {funded!r}")
        scope = _check_scope(pid, r.get("scope", "all"))
        out.append(Promo(pid, mech, _check_params(pid, mech, par), scope, funded))
    return sorted(out, key=lambda p: p.stage)


# ----------------------------------------------------------------------------- lines
def _need(df: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise MissingColumnsError(
            f"{what}: missing column(s) {missing}; present: {list(df.columns)}",
            missing=missing, present=list(df.columns), table=what,
        )


def _int_col(df: pd.DataFrame, col: str, what: str, *, minimum: int, key: str) -> np.ndarray:
    s = df[col]
    if not pd.api.types.is_integer_dtype(s.dtype) or s.isna().any():
        hint = "; convert yuan with mallkit.money.to_fen" if col.endswith("_fen") else ""
        raise SchemaError(f"{what}: column {col!r} must hold integers (dtype {s.dtype}){hint}",
                          table=what, column=col, rule="integer")
    v = s.to_numpy(dtype=np.int64)
    bad = v < minimum
    if bad.any():
        ex = df.loc[bad, [key, col]].head(MAX_EXAMPLES).to_dict("records")
        rule = "non-negative" if minimum == 0 else f">= {minimum}"
        raise SchemaError(f"{what}: column {col!r} breaks rule '{rule}' in {int(bad.sum())} "
                          f"row(s); e.g. {ex}", table=what, column=col, rule=rule,
                          rows=df.loc[bad])
    return v


def _check_fen(lines: pd.DataFrame, products: pd.DataFrame | None = None) -> None:
    """Integer fen and counts, no negative prices (a yuan float or a sign error is refused)."""
    for col, lo in (("qty", 1), ("unit_price_fen", 0), ("discount_fen", 0)):
        _int_col(lines, col, "lines", minimum=lo, key="order_id")
    if products is not None:
        _int_col(products, "unit_cost_fen", "products", minimum=0, key="sku")


def _order_index(orders: pd.DataFrame) -> pd.Index:
    """``orders.order_id`` as an index, refusing repeated ids (a line would match twice)."""
    ids = pd.Index(orders["order_id"])
    if ids.has_duplicates:
        dup = orders["order_id"].duplicated(keep=False).to_numpy()
        raise SchemaError(f"orders: column 'order_id' breaks rule 'unique' in "
                          f"{int(dup.sum())} row(s); e.g. "
                          f"{pd.unique(ids[dup])[:MAX_EXAMPLES].tolist()}",
                          table="orders", column="order_id", rule="unique",
                          rows=orders.loc[dup])
    return ids


def _window_lines(lines: pd.DataFrame, orders: pd.DataFrame | None) -> pd.DataFrame:
    """Lines dated by ``created_at`` (their own or their order's), paid orders only."""
    if orders is not None:
        _need(orders, ["order_id", "created_at"], "orders")
        o = orders.set_axis(_order_index(orders))
        pos = o.index.get_indexer(lines["order_id"])
        if (pos < 0).any():
            raise PromotionError(f"lines: {int((pos < 0).sum())} line(s) have no order in orders")
        lines = lines.assign(created_at=o["created_at"].to_numpy()[pos])
        if "status" in o.columns:
            lines = lines[np.isin(o["status"].to_numpy()[pos], PAID_STATUSES)]
    elif "created_at" not in lines.columns:
        raise PromotionError("lines need a 'created_at' column or orders= to date them")
    # Lines not priced by apply_promotion (concatenated with some that were): plain sales.
    fill = {"is_gift": False, "gift_cost_fen": 0, "merchant_discount_fen": lines["discount_fen"]}
    return lines.assign(**{c: lines[c].fillna(v) for c, v in fill.items() if c in lines.columns})


def _half_up(amount: np.ndarray, f: Fraction) -> np.ndarray:
    """``amount * f`` rounded half up, in integers (amount >= 0)."""
    return (2 * amount * f.numerator + f.denominator) // (2 * f.denominator)


def _categories(lines: pd.DataFrame, products: pd.DataFrame | None, sku_col: str,
                category_col: str) -> np.ndarray:
    if category_col in lines.columns:
        return lines[category_col].to_numpy(dtype=object)
    if products is None:
        raise PromotionError(f"a 'category:' scope needs a {category_col!r} column in lines "
                             f"or the products table (products=...)")
    _need(products, ["sku", "category"], "products")
    cat = products.drop_duplicates("sku").set_index("sku")["category"]
    out = cat.reindex(lines[sku_col].to_numpy())
    if out.isna().any():
        unknown = pd.unique(lines[sku_col].to_numpy()[out.isna().to_numpy()])[:MAX_EXAMPLES]
        raise PromotionError(f"lines: {int(out.isna().sum())} line(s) have a sku missing from "
                             f"products, e.g. {list(unknown)}")
    return out.to_numpy(dtype=object)


def _in_scope(scope: str, sku: np.ndarray, cat: Any) -> np.ndarray:
    if scope == "all":
        return np.ones(len(sku), dtype=bool)
    kind, what = scope.split(":", 1)
    if kind == "sku":
        return np.isin(sku, [s.strip() for s in what.split(",")])
    return np.asarray(cat() == what, dtype=bool)


def _order_sum(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=n).round().astype(np.int64)


def _order_cut(p: Promo, s: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Order-level discount of a shop/coupon mechanic from scope amount ``s`` and units."""
    par = p.params
    m = p.mechanic
    if m == "full_reduction" or m == "coupon":
        cut = np.where(s >= par["threshold_fen"], par["reduction_fen"], 0)
    elif m == "per_full_reduction":
        times = s // par["step_fen"]
        if par["max_times"] is not None:
            times = np.minimum(times, par["max_times"])
        cut = times * par["reduction_fen"]
        if par["cap_fen"] is not None:
            cut = np.minimum(cut, par["cap_fen"])
    elif m == "tiered_reduction":  # highest tier reached, not cumulative
        thr = np.array([t[0] for t in par["tiers"]], dtype=np.int64)
        red = np.array([0] + [t[1] for t in par["tiers"]], dtype=np.int64)
        cut = red[np.searchsorted(thr, s, side="right")]
    elif m == "percent_off":
        ok = (units >= par["min_qty"]) & (s >= par["min_amount_fen"])
        cut = np.where(ok, _half_up(s, 1 - par["rate"]), 0)
    else:  # pragma: no cover - callers pass only order-level mechanics
        raise AssertionError(m)
    return np.minimum(np.asarray(cut, dtype=np.int64), s)  # never more than is payable


def apply_promotion(
    lines: pd.DataFrame,
    promo: Any,
    /,
    *,
    products: pd.DataFrame | None = None,
    claimed_col: str | None = None,
    order_col: str = "order_id",
    sku_col: str = "sku",
    qty_col: str = "qty",
    price_col: str = "unit_price_fen",
    category_col: str = "category",
) -> pd.DataFrame:
    """Price baskets under a promotion (or a stack of them), exact to the fen.

    Parameters
    ----------
    lines : DataFrame
        Baskets at list price: one row per order line with ``order_id, sku, qty,
        unit_price_fen`` (int64 fen). Existing ``discount_fen`` / ``paid_fen`` columns are
        recomputed; other columns pass through.
    promo : dict, Series, DataFrame or list
        One promotion or several (see :func:`parse_promotions`); several stack in the
        order item price → shop discounts → coupons.
    products : DataFrame, optional
        ``sku, category[, unit_cost_fen]``: needed for ``category:`` scopes when lines
        have no ``category`` column, and for the cost of a gift without ``gift_cost_fen``.
    claimed_col : str, optional
        Boolean column: only orders with a True line redeem coupons (who holds the
        coupon). Without it every eligible order redeems.
    order_col, sku_col, qty_col, price_col, category_col : str
        Column names.

    Returns
    -------
    DataFrame
        The lines plus ``item_discount_fen, shop_discount_fen, coupon_discount_fen,
        discount_fen`` (their sum), ``paid_fen`` (= qty × unit_price_fen − discount_fen),
        ``merchant_discount_fen`` (the part the shop funds), ``is_gift`` and
        ``gift_cost_fen``; gift lines (price 0, paid 0) are appended at the end and copy
        their order's other columns from its first line.

    Raises
    ------
    PromotionError
        Bad promotion (see :func:`parse_promotions`); scope that needs products.
    SchemaError
        Missing columns, non-integer or negative prices, non-positive quantities.

    Examples
    --------
    >>> lines = pd.DataFrame({"order_id": ["O1", "O1", "O2"], "sku": ["A", "B", "A"],
    ...                       "qty": [2, 1, 1], "unit_price_fen": [15000, 40000, 15000]})
    >>> tiers = {"tiers": [[20000, 2000], [50000, 8000]]}   # 满200减20 / 满500减80
    >>> out = apply_promotion(lines, {"mechanic": "tiered_reduction", "params": tiers})
    >>> out[["discount_fen", "paid_fen"]].to_dict("list")  # O1: 700 ≥ 500 → 80 off
    {'discount_fen': [3429, 4571, 0], 'paid_fen': [26571, 35429, 15000]}
    """
    # 第二件半价 halves the second unit at the price the other item-level cuts leave (限时
    # 8折 then half of the 8折 price), so it goes last in its stage whatever the input order.
    promos = sorted(parse_promotions(promo),
                    key=lambda p: (p.stage, p.mechanic == "second_half_price"))
    _need(lines, [order_col, sku_col, qty_col, price_col], "lines")
    qty = _int_col(lines, qty_col, "lines", minimum=1, key=order_col)
    price = _int_col(lines, price_col, "lines", minimum=0, key=order_col)
    sku = lines[sku_col].to_numpy(dtype=object)
    codes, uniq = pd.factorize(lines[order_col], use_na_sentinel=False)
    n_orders = len(uniq)
    cat_cache: list[np.ndarray] = []

    def cat() -> np.ndarray:
        if not cat_cache:
            cat_cache.append(_categories(lines, products, sku_col, category_col))
        return cat_cache[0]

    unit_net = price.copy()  # unit price after item-level cuts
    disc = np.zeros((3, len(lines)), dtype=np.int64)  # per stage
    merchant = np.zeros(len(lines), dtype=np.int64)
    claimed = None
    if claimed_col is not None:
        _need(lines, [claimed_col], "lines")
        c = lines[claimed_col].fillna(False).to_numpy(dtype=bool)
        claimed = np.bincount(codes, weights=c, minlength=n_orders) > 0
    gift_orders: list[tuple[Promo, np.ndarray]] = []
    for p in promos:
        scope = _in_scope(p.scope, sku, cat)
        if p.stage == 0:
            par = p.params
            if p.mechanic == "second_half_price":  # every second unit at rate × price
                cut = (qty // 2) * (unit_net - _half_up(unit_net, par["rate"]))
                # unit_net stays (the cut is per pair); stacked ones never exceed what is left
                cut = np.minimum(cut, qty * price - disc.sum(axis=0))
            else:
                if p.mechanic == "presale":
                    per_unit = np.minimum(par["deduction_fen"], unit_net)
                elif par["rate"] is not None:
                    per_unit = unit_net - _half_up(unit_net, par["rate"])
                elif par["cut_fen"] is not None:
                    per_unit = np.minimum(par["cut_fen"], unit_net)
                else:
                    promo_price = pd.Series(par["prices"], dtype="int64").reindex(sku)
                    have = promo_price.notna().to_numpy()
                    pp = promo_price.fillna(0).to_numpy(dtype=np.int64)
                    per_unit = np.where(have, np.maximum(unit_net - pp, 0), 0)
                per_unit = np.where(scope, per_unit, 0)
                unit_net = unit_net - per_unit
                cut = qty * per_unit
            cut = np.where(scope, cut, 0)
        else:
            amount = qty * price - disc.sum(axis=0)
            s = _order_sum(codes[scope], amount[scope], n_orders)
            units = _order_sum(codes[scope], qty[scope], n_orders)
            if p.mechanic == "gift":
                gift_orders.append((p, np.flatnonzero((s >= p.params["threshold_fen"]) & (s > 0))))
                continue
            order_cut = _order_cut(p, s, units)
            if claimed is not None and p.mechanic == "coupon":
                order_cut = np.where(claimed, order_cut, 0)
            rows = np.flatnonzero(scope & (order_cut[codes] > 0))
            cut = np.zeros(len(lines), dtype=np.int64)
            if len(rows):
                cut[rows] = allocate(order_cut[codes[rows]], amount[rows], groups=codes[rows])
        disc[min(p.stage, 2)] += cut
        if p.funded_by == "merchant":
            merchant += cut
    total = disc.sum(axis=0)
    out = lines.assign(
        **{c: disc[i] for i, c in enumerate(_STAGE_COLS)},
        discount_fen=total,
        paid_fen=qty * price - total,
        merchant_discount_fen=merchant,
        is_gift=False,
        gift_cost_fen=np.zeros(len(lines), dtype=np.int64),
    )
    if gift_orders:
        out = pd.concat([out, *(_gift_lines(out, codes, p, o, products, order_col, sku_col,
                                            qty_col, price_col, category_col)
                                for p, o in gift_orders)], ignore_index=True)
    return out


def _gift_lines(out, codes, p, orders, products, order_col, sku_col, qty_col, price_col,
                category_col) -> pd.DataFrame:
    par = p.params
    cost = par["gift_cost_fen"]
    if cost is None:
        if products is None or "unit_cost_fen" not in products.columns:
            raise _bad(p.promo_id, "a gift needs 'gift_cost_fen' in params or products with "
                                   "'unit_cost_fen' (products=...)")
        found = products.loc[products["sku"] == par["gift_sku"], "unit_cost_fen"]
        if found.empty:
            raise _bad(p.promo_id, f"gift_sku {par['gift_sku']!r} is not in products")
        cost = int(found.iloc[0])
    first = np.unique(codes, return_index=True)[1]  # first line of each order (codes 0..n-1)
    g = out.iloc[first[orders]].reset_index(drop=True)
    zeros = np.zeros(len(g), dtype=np.int64)
    g = g.assign(**{sku_col: par["gift_sku"], qty_col: par["gift_qty"], price_col: zeros,
                    **dict.fromkeys((*_STAGE_COLS, "discount_fen", "paid_fen",
                                     "merchant_discount_fen"), zeros),
                    "is_gift": True, "gift_cost_fen": zeros + par["gift_qty"] * cost})
    if category_col in g.columns:
        g[category_col] = pd.Series(np.nan, index=g.index).astype(out[category_col].dtype)
    return g.astype({qty_col: out[qty_col].dtype})


# --------------------------------------------------------------------------- presale
@dataclass(frozen=True)
class PresaleSummary:
    """Result of :func:`presale_summary`.

    Attributes
    ----------
    summary : DataFrame
        One row: ``deposits, deposit_fen, converted, conversion_rate, gmv_fen`` (booked
        at balance payment), ``forfeited, forfeited_deposit_fen`` (balance window closed
        unpaid), ``pending, pending_deposit_fen`` (window still open: a liability),
        ``late`` (balance paid after the window; booked, but worth a look).
    daily : DataFrame
        By balance-payment date: ``orders, deposit_fen, balance_fen, gmv_fen``.
    orders : DataFrame
        The input with ``status``: converted / forfeited / pending.
    """

    summary: pd.DataFrame
    daily: pd.DataFrame
    orders: pd.DataFrame


def presale_summary(
    presale: pd.DataFrame,
    /,
    *,
    balance_end: Any,
    as_of: Any = None,
    deposit_col: str = "deposit_fen",
    balance_col: str = "balance_fen",
    balance_at_col: str = "balance_paid_at",
) -> PresaleSummary:
    """Pre-sale (定金+尾款): GMV booked at balance payment, conversion and forfeits.

    Parameters
    ----------
    presale : DataFrame
        One row per pre-sale order: ``deposit_fen`` (paid), ``balance_fen`` (尾款 due,
        after the deposit deduction) and ``balance_paid_at`` (missing while unpaid).
    balance_end : datetime-like
        End of the balance-payment window (e.g. 2023-11-11 23:59:59).
    as_of : datetime-like, optional
        When the books are read; default after ``balance_end`` (the window is closed,
        so every unpaid deposit is forfeited). Before it, unpaid deposits are pending.
    deposit_col, balance_col, balance_at_col : str
        Column names.

    Returns
    -------
    PresaleSummary

    Examples
    --------
    >>> pre = pd.DataFrame({"order_id": ["A", "B", "C"], "deposit_fen": [10000] * 3,
    ...                     "balance_fen": [70000] * 3,
    ...                     "balance_paid_at": ["2023-11-10 20:05", "2023-11-11 09:00", None]})
    >>> s = presale_summary(pre, balance_end="2023-11-11 23:59:59").summary
    >>> s[["converted", "gmv_fen", "forfeited", "forfeited_deposit_fen"]].iloc[0].tolist()
    [2, 160000, 1, 10000]
    """
    _need(presale, [deposit_col, balance_col, balance_at_col], "presale")
    dep = _int_col(presale, deposit_col, "presale", minimum=0, key=balance_at_col)
    bal = _int_col(presale, balance_col, "presale", minimum=0, key=balance_at_col)
    paid_at = pd.to_datetime(presale[balance_at_col])
    end = pd.Timestamp(balance_end)
    closed = as_of is None or pd.Timestamp(as_of) > end
    paid = paid_at.notna().to_numpy()
    status = np.where(paid, "converted", "forfeited" if closed else "pending")
    orders = presale.assign(status=status)
    late = int((paid_at > end).sum())
    n = len(presale)
    gmv = (dep + bal) * paid
    summary = pd.DataFrame({
        "deposits": [n], "deposit_fen": [int(dep.sum())], "converted": [int(paid.sum())],
        "conversion_rate": [paid.mean() if n else np.nan], "gmv_fen": [int(gmv.sum())],
        "forfeited": [int((status == "forfeited").sum())],
        "forfeited_deposit_fen": [int(dep[status == "forfeited"].sum())],
        "pending": [int((status == "pending").sum())],
        "pending_deposit_fen": [int(dep[status == "pending"].sum())], "late": [late],
    })
    day = paid_at.dt.normalize().rename("date")
    daily = (pd.DataFrame({"orders": 1, "deposit_fen": dep, "balance_fen": bal, "gmv_fen": gmv})
             [paid].groupby(day[paid].to_numpy(), sort=True).sum().rename_axis("date"))
    return PresaleSummary(summary, daily, orders)


# ------------------------------------------------------------------------ daily sales
_MEASURES = ("lines", "units", "gmv_fen", "orders")


def daily_sales(
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    /,
    *,
    products: pd.DataFrame | None = None,
    scope: str = "all",
    measure: str = "lines",
    by: str | None = None,
    statuses: tuple[str, ...] | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.Series | pd.DataFrame:
    """Sales of a scope per day (every day, zeros filled): the input of a lift analysis.

    Parameters
    ----------
    lines, orders : DataFrame
        Canonical ``order_lines`` and ``orders`` (dated by ``orders.created_at``).
    products : DataFrame, optional
        Needed for ``category:`` scopes and ``by="category"``.
    scope : str
        ``"all"``, ``"category:<name>"`` or ``"sku:<a>,<b>"``.
    measure : {"lines", "units", "gmv_fen", "orders"}
        Order lines (purchase occasions), units, paid fen of the lines, or orders with
        at least one line in scope.
    by : {None, "category", "channel"}
        One column per group instead of one series (controls, spillover).
    statuses : tuple of str, optional
        Keep orders in these statuses (e.g. ``mallkit.schema.PAID_STATUSES``); default
        all, since an unpaid order is still a purchase occasion.
    start, end : date-like, optional
        Days to cover; default the first and last order day.

    Returns
    -------
    Series (``by=None``) or DataFrame, indexed by ``date``.

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": ["O1", "O2"], "status": ["paid", "cancelled"],
    ...                   "created_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-03 9:00"])})
    >>> li = pd.DataFrame({"order_id": ["O1", "O1", "O2"], "sku": ["A", "B", "A"],
    ...                    "qty": [1, 2, 1], "paid_fen": [100, 200, 100]})
    >>> daily_sales(li, o, measure="units").tolist()
    [3, 0, 1]
    """
    if measure not in _MEASURES:
        raise PromotionError(f"measure must be one of {_MEASURES}, got {measure!r}")
    if by not in (None, "category", "channel"):
        raise PromotionError(f"by must be None, 'category' or 'channel', got {by!r}")
    _check_scope("daily_sales", scope)
    _need(lines, ["order_id", "sku", "qty"] + (["paid_fen"] if measure == "gmv_fen" else []),
          "order_lines")
    _need(orders, ["order_id", "created_at"] + (["status"] if statuses else [])
          + (["channel"] if by == "channel" else []), "orders")
    pos = _order_index(orders).get_indexer(lines["order_id"])
    if (pos < 0).any():
        ex = pd.unique(lines["order_id"].to_numpy()[pos < 0])[:MAX_EXAMPLES]
        raise SchemaError(f"order_lines: {int((pos < 0).sum())} line(s) have an order_id not "
                          f"in orders, e.g. {list(ex)}", table="order_lines", column="order_id",
                          rule="order exists")
    sku = lines["sku"].to_numpy(dtype=object)
    cats: list[np.ndarray] = []

    def cat() -> np.ndarray:
        if not cats:
            cats.append(_categories(lines, products, "sku", "category"))
        return cats[0]

    keep = _in_scope(scope, sku, cat)
    if statuses:
        keep &= orders["status"].isin(statuses).to_numpy()[pos]
    day = orders["created_at"].dt.normalize().to_numpy()[pos]
    value = {"lines": np.ones(len(lines), dtype=np.int64), "units": lines["qty"].to_numpy(),
             "gmv_fen": lines["paid_fen"].to_numpy(), "orders": pos}[measure]
    frame = pd.DataFrame({"date": day, "v": value})
    if by is not None:
        frame["g"] = cat() if by == "category" else orders["channel"].to_numpy()[pos]
    frame = frame[keep]
    keys = ["date"] + (["g"] if by else [])
    if measure == "orders":  # two stages: one row per (order, day, group), then count
        agg = frame.drop_duplicates(["v", *keys]).groupby(keys, sort=True).size()
    else:
        agg = frame.groupby(keys, sort=True)["v"].sum()
    lo = pd.Timestamp(start) if start is not None else orders["created_at"].min().normalize()
    hi = pd.Timestamp(end) if end is not None else orders["created_at"].max().normalize()
    days = pd.date_range(lo, hi, freq="D", name="date", unit="us")
    if by is None:
        return agg.reindex(days, fill_value=0).rename(measure)
    return agg.unstack("g", fill_value=0).reindex(days, fill_value=0).rename_axis(columns=by)


_ROI = ("PromoPnL", "Simulation", "breakeven_lift", "price_elasticity", "promotion_pnl",
        "simulate_promotion")


def __getattr__(name: str) -> Any:
    """``from mallkit.promotions import promotion_pnl`` works: mallkit.roi has (or re-exports)
    the P&L and what-if names; a top-level import would be a cycle."""
    if name in _ROI:
        from mallkit import roi

        return getattr(roi, name)
    raise AttributeError(f"module 'mallkit.promotions' has no attribute {name!r}")
