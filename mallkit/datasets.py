"""The sample mall: a deterministic, realistic two-year history of an online mall.

``make_sample_mall()`` returns every canonical table (see :mod:`mallkit.schema`) for a
mall with an own site (``web``) and Tmall / JD / Douyin shops, plus an ``answer_key``
holding the truth that later analyses are checked against: the true lift and
post-promotion dip of each promotion and every discrepancy injected into the gateway
statements.

How the history is made (all vectorised; loops run over days or rounds, never rows):

* **Customers** follow a BG/NBD-like process: each has a purchase rate drawn from a
  gamma distribution and drops out after each purchase with a beta-distributed
  probability, so a few are loyal, many buy once, and all RFM segments are populated.
* **Seasonality** enters by a time change: purchases are generated in "operational
  time" and mapped back through the cumulative daily intensity, which carries the
  weekday profile, a yearly wave, growth, the event calendar (:func:`mallkit.calendar.events`:
  双11 several times a normal day, 618, the Spring Festival courier stop) and the
  promotions' true lifts and post-promotion dips.
* **Promotions** of each mechanic (满减, 每满减, tiered 满减, 满折, coupon, 第二件半价)
  raise the demand of their scope by a known factor (``answer_key.promotions``); their
  order-level discounts are allocated to the lines in scope with
  :func:`mallkit.money.allocate`, exact to the fen.
* **Inventory** is simulated day by day under an (s, S) policy with lead times drawn
  around each product's mean and spread; a SKU that runs out loses the order lines it
  cannot fill, so stock-outs censor demand as they do in real data.
* **Gateway statements** (Alipay, WeChat Pay) are derived from the own-site orders and
  refunds with fees and gateway delays (some cross midnight), then receive known
  discrepancies: missing, extra, amount off by a few fen, duplicate charge, a payment
  for a cancelled order, a wrong fee.

Examples
--------
>>> from mallkit.datasets import make_sample_mall
>>> mall = make_sample_mall(seed=1, start="2025-01-01", end="2025-03-31", n_customers=800)
>>> sorted(k for k in mall if k != "answer_key")  # doctest: +NORMALIZE_WHITESPACE
['inventory', 'order_lines', 'orders', 'products', 'promotions', 'refunds', 'statements',
 'targets', 'traffic']
>>> int(mall["orders"]["paid_fen"].sum()) == int(
...     mall["order_lines"]["paid_fen"].sum() + mall["orders"]["shipping_fen"].sum())
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mallkit import calendar as mcal
from mallkit.money import allocate, fen_at_rate
from mallkit.schema import PAID_STATUSES, validate

__all__ = ["TABLE_NAMES", "AnswerKey", "make_sample_mall"]

#: The canonical tables a mall holds, in the order they are written.
TABLE_NAMES = (
    "orders",
    "order_lines",
    "refunds",
    "products",
    "inventory",
    "traffic",
    "promotions",
    "statements",
    "targets",
)

DAY = 86_400  # seconds
CATEGORIES = pd.DataFrame(
    {
        "category": ["美妆护肤", "个护清洁", "母婴", "食品饮料", "家居日用",
                     "服饰", "鞋包", "数码配件", "家电", "运动户外"],
        "code": ["MZ", "GH", "MY", "SP", "JJ", "FS", "XB", "SM", "JD", "YD"],
        "share": [0.16, 0.13, 0.10, 0.14, 0.11, 0.12, 0.07, 0.07, 0.04, 0.06],
        "median_price_yuan": [159, 39, 129, 49, 59, 199, 269, 89, 599, 229],
        "lead_time_days": [14, 7, 21, 5, 10, 18, 20, 12, 25, 15],
    }
)
CHANNELS = pd.DataFrame(
    {
        "channel": ["web", "tmall", "jd", "douyin"],
        "customer_share": [0.30, 0.35, 0.20, 0.15],
        "conversion": [0.028, 0.035, 0.032, 0.012],
        "refund_rate": [0.06, 0.07, 0.05, 0.15],
    }
)
# Demand multipliers of the event calendar, by (event, phase); the max applies on a day.
EVENT_UPLIFT = {
    ("双11", "presale"): 1.25, ("双11", "final_payment"): 6.0, ("双11", "tail"): 1.5,
    ("618", "presale"): 1.15, ("618", "main"): 1.5, ("618", "climax"): 3.0, ("618", "tail"): 1.2,
    ("双12", "day"): 1.8, ("38", "presale"): 1.15, ("38", "day"): 1.4, ("99", "day"): 1.4,
    ("年货节", "main"): 1.3, ("春节", "pre_stop_peak"): 1.4, ("春节", "courier_stop"): 0.35,
    ("元旦", "day"): 1.1,
}
WEEKDAY = np.array([0.96, 0.95, 0.97, 1.0, 1.03, 1.06, 1.03])  # Mon..Sun
HOURS = np.array([2.0, 1.0, .5, .3, .2, .3, .6, 1.2, 2.5, 4.0, 5.5, 5.8, 5.0, 4.8, 5.0,
                  5.0, 4.8, 4.5, 4.6, 5.5, 7.0, 8.0, 7.5, 4.5])
FEE_RATE = {"alipay": 0.006, "wechat": 0.006}  # contract rate on the own site: 0.6 %


@dataclass(frozen=True)
class AnswerKey:
    """The truth behind the sample mall, for checking later analyses.

    Attributes
    ----------
    promotions : DataFrame
        One row per promotion: ``promo_id, scope, true_lift`` (relative rise of the
        scope's expected order lines, i.e. purchase occasions, during the promotion;
        第二件半价 and 满2件 also make about half of those lines two units),
        ``true_post_dip`` (relative fall after it, negative), ``post_days``,
        ``identifiable`` (False where the promotion coincides with a calendar event, so
        its lift cannot be told apart from the event's).
    discrepancies : DataFrame
        Every difference injected into the statements: ``kind`` (missing_in_statement,
        missing_in_orders, amount_mismatch, duplicate, status_mismatch, fee_mismatch, and
        ``cross_midnight`` for legitimate timing differences), ``provider``,
        ``merchant_order_id``, ``txn_id``, ``refund_id``, ``expected_fen``, ``actual_fen``.
    customers : DataFrame
        The latent purchase rate (per day) and dropout probability of each customer.
    event_uplift : DataFrame
        The demand multiplier of each (event, phase) used.
    """

    promotions: pd.DataFrame
    discrepancies: pd.DataFrame
    customers: pd.DataFrame
    event_uplift: pd.DataFrame = field(repr=False)


def _default_end() -> pd.Timestamp:
    return mcal.yesterday()


def make_sample_mall(
    seed: int = 0,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    n_customers: int = 20_000,
) -> dict:
    """Generate the sample mall: all canonical tables and the answer key.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the result is deterministic per
        ``(seed, start, end, n_customers)``.
    start, end : date-like, optional
        First and last day (inclusive). By default the two years up to yesterday,
        so this week's report has data.
    n_customers : int
        Customers simulated, acquired from a year before ``start`` to ``end`` (those
        acquired early may have churned before ``start``; about 3 orders each).

    Returns
    -------
    dict
        ``orders, order_lines, refunds, products, inventory, traffic, promotions,
        statements, targets`` (validated canonical DataFrames) and ``answer_key``
        (:class:`AnswerKey`).

    Examples
    --------
    >>> mall = make_sample_mall(seed=3, start="2025-10-01", end="2025-11-30", n_customers=500)
    >>> key = mall["answer_key"]
    >>> set(key.discrepancies["kind"]) >= {"missing_in_statement", "duplicate"}
    True
    """
    end = pd.Timestamp(end).normalize() if end is not None else _default_end()
    start = (pd.Timestamp(start).normalize() if start is not None
             else end - pd.DateOffset(years=2) + pd.Timedelta(days=1))
    if end < start:
        raise ValueError(f"make_sample_mall: end {end.date()} is before start {start.date()}")
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D", unit="us")
    len(days)

    products = _products(rng)
    promos, promo_truth = _promotions(days)
    base, event_uplift = _daily_base(days)
    cat_mult = _category_multipliers(days, promos, promo_truth, products)  # (n_days, n_cat)
    cat_share = CATEGORIES["share"].to_numpy()
    total_mult = base * (cat_mult @ cat_share)  # demand intensity per day (mean ~1)

    cust, t_sec = _customers_and_purchases(rng, n_customers, total_mult)
    lines = _lines(rng, t_sec, cust, cat_mult, products, days, promos)
    orders = _orders(rng, lines, cust, t_sec, start, end)
    lines, orders, inventory = _inventory(rng, lines, orders, products, days, cat_mult)
    lines, orders = _price(lines, orders, promos, products, rng)
    refunds = _refunds(rng, orders, lines, end)
    traffic = _traffic(rng, orders, days)
    statements, discrepancies = _statements(rng, orders, refunds, end)
    targets = _targets(orders, end)

    tables = {
        "orders": orders,
        "order_lines": lines,
        "refunds": refunds,
        "products": products.drop(columns=["popularity", "launch_day"]),
        "inventory": inventory,
        "traffic": traffic,
        "promotions": promos,
        "statements": statements,
        "targets": targets,
    }
    out = {name: validate(df.reset_index(drop=True), name) for name, df in tables.items()}
    out["answer_key"] = AnswerKey(
        promotions=promo_truth,
        discrepancies=discrepancies,
        customers=cust[["customer_id", "rate_per_day", "dropout"]].copy(),
        event_uplift=event_uplift,
    )
    return out


# --------------------------------------------------------------------------- products
def _products(rng: np.random.Generator) -> pd.DataFrame:
    n_per = rng.integers(24, 36, size=len(CATEGORIES))
    cat_idx = np.repeat(np.arange(len(CATEGORIES)), n_per)
    n = len(cat_idx)
    seq = np.concatenate([np.arange(k) for k in n_per])
    code = CATEGORIES["code"].to_numpy()[cat_idx]
    sku = pd.Series(code, dtype="str") + pd.Series(seq + 1).astype("str").str.zfill(4)
    med = CATEGORIES["median_price_yuan"].to_numpy()[cat_idx]
    price_yuan = np.maximum(med * rng.lognormal(0, 0.45, n), 5.0)
    list_price = (np.round(price_yuan) * 100 - 100 * (rng.random(n) < 0.6)).astype(np.int64)
    list_price = np.maximum(list_price, 490)  # ¥x9.00 style prices, at least ¥4.90
    cost = np.round(list_price * rng.uniform(0.35, 0.65, n)).astype(np.int64)
    lt = CATEGORIES["lead_time_days"].to_numpy()[cat_idx] * rng.uniform(0.7, 1.3, n)
    # Zipf-like popularity within each category; a few slow movers and late launches.
    rank = seq + 1
    pop = 1.0 / rank**0.9
    pop[rng.random(n) < 0.06] *= 0.05  # slow movers
    launch = np.where(rng.random(n) < 0.05, rng.uniform(0.3, 0.9, n), 0.0)
    return pd.DataFrame(
        {
            "sku": sku,
            "category": CATEGORIES["category"].to_numpy()[cat_idx],
            "list_price_fen": list_price,
            "unit_cost_fen": cost,
            "lead_time_days": np.round(lt, 1),
            "lead_time_std_days": np.round(lt * rng.uniform(0.05, 0.4, n), 1),
            "moq": rng.choice([20, 50, 100, 200], n, p=[0.3, 0.35, 0.25, 0.1]),
            "case_pack": rng.choice([1, 6, 12, 24], n, p=[0.2, 0.3, 0.3, 0.2]),
            "popularity": pop,
            "launch_day": launch,  # fraction of the period before the SKU goes on sale
        }
    )


# ------------------------------------------------------------------------- promotions
# (name, mechanic, month-day start, month-day end, scope, params, lift, dip, ad spend ¥);
# ad spend is a few per cent of the window's GMV, as for a mall of this size.
_PROMO_PLAN = [
    ("会员日 满99减10 券", "coupon", "05-15", "05-17", "all",
     {"threshold_fen": 9900, "reduction_fen": 1000, "claim_rate": 0.5}, 0.20, 0.05, 1_500),
    ("春季上新 满200减20", "full_reduction", "04-10", "04-16", "all",
     {"threshold_fen": 20000, "reduction_fen": 2000}, 0.25, 0.08, 4_000),
    ("618 每满300减50", "per_full_reduction", "06-01", "06-18", "all",
     {"step_fen": 30000, "reduction_fen": 5000, "max_times": 5}, 0.30, 0.10, 15_000),
    ("夏日 个护 第二件半价", "second_half_price", "07-15", "07-21", "category:个护清洁",
     {}, 0.60, 0.15, 1_500),
    ("母婴 满2件9折", "percent_off", "08-20", "08-26", "category:母婴",
     {"min_qty": 2, "rate": 0.9}, 0.40, 0.12, 1_500),
    ("99划算节 阶梯满减", "tiered_reduction", "09-05", "09-09", "all",
     {"tiers": [[19900, 2000], [29900, 4000], [49900, 8000]]}, 0.35, 0.08, 6_000),
    ("双11 每满300减50", "per_full_reduction", "10-21", "11-11", "all",
     {"step_fen": 30000, "reduction_fen": 5000, "max_times": 10}, 0.40, 0.15, 25_000),
    ("双12 满199减30 券", "coupon", "12-08", "12-12", "all",
     {"threshold_fen": 19900, "reduction_fen": 3000, "claim_rate": 0.6}, 0.25, 0.08, 8_000),
]
_EVENT_PROMOS = {"618 每满300减50", "双11 每满300减50", "双12 满199减30 券", "99划算节 阶梯满减"}
POST_DAYS = 7


def _promotions(days: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, truth = [], []
    for year in range(days[0].year, days[-1].year + 1):
        for name, mech, s, e, scope, params, lift, dip, spend in _PROMO_PLAN:
            st, en = pd.Timestamp(f"{year}-{s}"), pd.Timestamp(f"{year}-{e}")
            if st < days[0] or en > days[-1]:
                continue
            pid = f"P{year}{s.replace('-', '')}"
            rows.append((pid, name, mech, st, en + pd.Timedelta(hours=23, minutes=59, seconds=59),
                         scope, json.dumps(params, ensure_ascii=False), spend * 100))
            truth.append((pid, scope, st, en, lift, -dip, POST_DAYS, name not in _EVENT_PROMOS))
    cols = ["promo_id", "name", "mechanic", "start", "end", "scope", "params", "ad_spend_fen"]
    promos = pd.DataFrame(rows, columns=cols)
    truth = pd.DataFrame(truth, columns=["promo_id", "scope", "start", "end", "true_lift",
                                         "true_post_dip", "post_days", "identifiable"])
    return promos.astype({"ad_spend_fen": "int64"}), truth


def _daily_base(days: pd.DatetimeIndex) -> tuple[np.ndarray, pd.DataFrame]:
    """Weekday × yearly wave × growth × event uplift, one number per day."""
    doy = days.day_of_year.to_numpy()
    t_years = (days - days[0]).days.to_numpy() / 365.25
    base = WEEKDAY[days.day_of_week] * (1 + 0.08 * np.cos(2 * np.pi * (doy - 15) / 365.25))
    base = base * 1.15**t_years
    ev = mcal.events(days[0], days[-1])
    up = pd.Series(EVENT_UPLIFT, name="uplift").rename_axis(["event", "phase"]).reset_index()
    ev = ev.merge(up, on=["event", "phase"], how="inner")
    mult = np.ones(len(days))
    if len(ev):
        day_max = ev.groupby("date")["uplift"].max()
        pos = days.get_indexer(day_max.index)
        mult[pos[pos >= 0]] = day_max.to_numpy()[pos >= 0]
    return base * mult, up


def _category_multipliers(days, promos, truth, products) -> np.ndarray:
    """Promotion lift (and the dip after it) per day and category, from the answer key."""
    cats = CATEGORIES["category"].tolist()
    m = np.ones((len(days), len(cats)))
    for row in truth.itertuples():
        cols = (slice(None) if row.scope == "all" else [cats.index(row.scope.split(":", 1)[1])])
        on = (days >= row.start) & (days <= row.end)
        post = (days > row.end) & (days <= row.end + pd.Timedelta(days=row.post_days))
        m[np.ix_(on, np.arange(len(cats))[cols])] *= 1 + row.true_lift
        m[np.ix_(post, np.arange(len(cats))[cols])] *= 1 + row.true_post_dip
    return m


# -------------------------------------------------------------------------- customers
BURN_IN_DAYS = 364  # whole weeks: the history starts with an existing customer base


def _customers_and_purchases(rng, n_customers, intensity):
    """BG/NBD purchases in operational time, mapped to calendar seconds.

    Customers are acquired from ``BURN_IN_DAYS`` before the first day on (the burn-in
    repeats the first year's intensity), so the history opens on a mall that already
    has customers, as any real extract does; purchases before the first day are cut.
    Returns the customer table and one purchase per row: (customer index, seconds
    since the first day).
    """
    n_days = len(intensity)
    intensity = np.concatenate([np.resize(intensity, BURN_IN_DAYS), intensity])
    lam = rng.gamma(shape=0.7, scale=1 / 45.0, size=n_customers)  # purchases per day
    p_drop = rng.beta(1.0, 3.5, size=n_customers)
    # Operational clock: U(t) = ∫ intensity; mean intensity normalised to 1.
    w = intensity / intensity.mean()
    cum = np.concatenate([[0.0], np.cumsum(w)])
    horizon = cum[-1]
    birth = rng.uniform(0, horizon, n_customers)  # first purchases follow the seasonality too
    cust_idx = [np.arange(n_customers)]
    times = [birth]
    alive = np.ones(n_customers, dtype=bool)
    t = birth.copy()
    for _ in range(400):  # rounds of repeat purchases, vectorised over customers
        alive &= rng.random(n_customers) >= p_drop
        t = t + rng.exponential(1.0, n_customers) / lam
        alive &= t < horizon
        if not alive.any():
            break
        cust_idx.append(np.flatnonzero(alive))
        times.append(t[alive])
    ci = np.concatenate(cust_idx)
    u = np.concatenate(times)
    # Map operational time back to calendar days (piecewise linear inverse of cum).
    day = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, n_days + BURN_IN_DAYS - 1)
    ci, u, day = ci[day >= BURN_IN_DAYS], u[day >= BURN_IN_DAYS], day[day >= BURN_IN_DAYS]
    day = day - BURN_IN_DAYS
    hour = rng.choice(24, size=len(u), p=HOURS / HOURS.sum())
    sec = day * DAY + hour * 3600 + rng.integers(0, 3600, len(u))
    home = rng.choice(len(CHANNELS), n_customers, p=CHANNELS["customer_share"].to_numpy())
    cust = pd.DataFrame(
        {
            "customer_id": pd.Series(np.arange(1, n_customers + 1)).astype("str").str.zfill(6)
            .radd("C"),
            "rate_per_day": lam,
            "dropout": p_drop,
            "home_channel": home,
        }
    )
    order = np.argsort(sec, kind="stable")
    return cust, pd.DataFrame({"cust": ci[order], "sec": sec[order]})


# ------------------------------------------------------------------------------ lines
def _lines(rng, purchases, cust, cat_mult, products, days, promos) -> pd.DataFrame:
    n_orders = len(purchases)
    n_lines = 1 + np.minimum(rng.poisson(0.55, n_orders), 4)
    oi = np.repeat(np.arange(n_orders), n_lines)
    day = (purchases["sec"].to_numpy() // DAY)[oi]
    # Category per line: base share tilted by the day's promotion multipliers.
    w = cat_mult[day] * CATEGORIES["share"].to_numpy()
    cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    cat = (rng.random(len(oi))[:, None] > cdf).sum(axis=1)
    cat = np.minimum(cat, len(CATEGORIES) - 1)
    # SKU within category by popularity, among SKUs already launched that day.
    prod_cat = products["category"].map(dict(zip(CATEGORIES["category"],
                                                 range(len(CATEGORIES)), strict=True)))
    prod_cat = prod_cat.to_numpy()
    frac = day / max(len(days) - 1, 1)
    sku = np.empty(len(oi), dtype=np.int64)
    for c in range(len(CATEGORIES)):  # ten categories, vectorised within each
        members = np.flatnonzero(prod_cat == c)
        sel = np.flatnonzero(cat == c)
        launched = products["launch_day"].to_numpy()[members][None, :] <= frac[sel][:, None]
        pw = products["popularity"].to_numpy()[members][None, :] * launched
        cdf_s = np.cumsum(pw, axis=1)
        cdf_s /= cdf_s[:, -1:]
        pick = (rng.random(len(sel))[:, None] > cdf_s).sum(axis=1)
        sku[sel] = members[np.minimum(pick, len(members) - 1)]
    qty = 1 + np.minimum(rng.poisson(0.25, len(oi)), 5)
    # 第二件半价 and 满2件 promotions make shoppers take two.
    two = np.zeros(len(oi), dtype=bool)
    secs = purchases["sec"].to_numpy()[oi]
    for p in promos.itertuples():
        if p.mechanic not in ("second_half_price", "percent_off"):
            continue
        s0 = (p.start - days[0]).total_seconds()
        s1 = (p.end - days[0]).total_seconds()
        in_scope = _in_scope(p.scope, products["category"].to_numpy()[sku])
        two |= in_scope & (secs >= s0) & (secs <= s1) & (rng.random(len(oi)) < 0.55)
    qty = np.where(two, np.maximum(qty, 2), qty)
    lines = pd.DataFrame({"oi": oi, "sku_i": sku, "qty": qty.astype(np.int64)})
    # One line per (order, sku): merge repeated picks.
    return lines.groupby(["oi", "sku_i"], sort=True, as_index=False)["qty"].sum()


def _in_scope(scope: str, category: np.ndarray) -> np.ndarray:
    if scope == "all":
        return np.ones(len(category), dtype=bool)
    return category == scope.split(":", 1)[1]


# ----------------------------------------------------------------------------- orders
def _orders(rng, lines, cust, purchases, start, end) -> pd.DataFrame:
    n = len(purchases)
    ci = purchases["cust"].to_numpy()
    home = cust["home_channel"].to_numpy()[ci]
    stray = rng.random(n) < 0.15
    ch = np.where(stray, rng.integers(0, len(CHANNELS), n), home)
    channel = CHANNELS["channel"].to_numpy()[ch]
    created = start + pd.to_timedelta(purchases["sec"].to_numpy(), unit="s")
    unpaid = rng.random(n) < 0.035
    delay = np.where(rng.random(n) < 0.9, rng.integers(5, 120, n), rng.integers(120, 1500, n))
    paid_at = (created + pd.to_timedelta(delay, unit="s")).where(~unpaid)
    age = (end + pd.Timedelta(days=1) - created).days
    status = np.select([unpaid & (age >= 1), unpaid, age <= 2, age <= 10],
                       ["cancelled", "unpaid", "paid", "shipped"], "completed")
    web_method = np.where(rng.random(n) < 0.55, "alipay", "wechat")
    method = np.select([channel == "web", channel == "tmall", channel == "jd"],
                       [web_method, "alipay", "jdpay"], "douyin_pay")
    return pd.DataFrame(
        {
            "oi": np.arange(n),
            "customer_id": cust["customer_id"].to_numpy()[ci],
            "channel": channel,
            "created_at": created,
            "paid_at": paid_at,
            "status": status,
            "payment_method": pd.Series(method, dtype="str").where(~unpaid),
        }
    )


# -------------------------------------------------------------------------- inventory
def _inventory(rng, lines, orders, products, days, cat_mult):
    """(s, S) replenishment day by day; lines a SKU cannot fill are lost sales.

    The planner sizes (s, S) from average demand and scales them up one lead time
    ahead of a planned promotion (``cat_mult``), but not for calendar events: so 双11
    and 618 bring stock-outs, as they do when warnings come too late.
    """
    n_days, n_sku = len(days), len(products)
    start = days[0]
    day = ((orders["created_at"] - start).dt.days.to_numpy())[lines["oi"].to_numpy()]
    paid = orders["status"].isin(PAID_STATUSES).to_numpy()[lines["oi"].to_numpy()]
    sku, qty = lines["sku_i"].to_numpy(), lines["qty"].to_numpy()
    # Paid lines in (day, sku, time) order with their running quantity within (day, sku).
    idx = np.flatnonzero(paid)
    idx = idx[np.lexsort((idx, sku[idx], day[idx]))]
    run = pd.Series(qty[idx]).groupby([day[idx], sku[idx]], sort=False).cumsum().to_numpy()
    bounds = np.searchsorted(day[idx], np.arange(n_days + 1))
    # Planner's policy from average demand (no event uplift: stock-outs at peaks are real).
    demand = np.bincount(sku[idx], weights=qty[idx], minlength=n_sku) / n_days
    lt = products["lead_time_days"].to_numpy()
    lt_sd = products["lead_time_std_days"].to_numpy()
    cover = rng.uniform(0.6, 1.6, n_sku)  # some SKUs are under-protected
    s = np.ceil(demand * (lt + 3) * cover)
    big = np.ceil(s + demand * 30 + 1)
    case = products["case_pack"].to_numpy()
    moq = products["moq"].to_numpy()
    lead_days = np.ceil(lt).astype(np.int64)
    sku_cat = products["category"].map(
        dict(zip(CATEGORIES["category"], range(len(CATEGORIES)), strict=True))).to_numpy()
    slow = products["popularity"].to_numpy() < 0.02
    on_hand = np.where(slow, np.maximum(big * 8, moq), big).astype(np.int64)
    max_lt = int(np.ceil(lt.max() + 4 * lt_sd.max())) + 2
    arrivals = np.zeros((n_days + max_lt, n_sku), dtype=np.int64)
    on_order = np.zeros(n_sku, dtype=np.int64)
    keep = np.ones(len(lines), dtype=bool)
    hist_on_hand = np.empty((n_days, n_sku), dtype=np.int64)
    hist_on_order = np.empty((n_days, n_sku), dtype=np.int64)
    for t in range(n_days):
        on_hand += arrivals[t]
        on_order -= arrivals[t]
        a, b = bounds[t], bounds[t + 1]
        li = idx[a:b]
        ok = run[a:b] <= on_hand[sku[li]]
        keep[li[~ok]] = False
        on_hand -= np.bincount(sku[li[ok]], weights=qty[li[ok]], minlength=n_sku).astype(np.int64)
        ahead = np.minimum(t + lead_days, n_days - 1)
        lift = cat_mult[ahead, sku_cat]
        reorder = (on_hand + on_order <= s * lift) & (demand > 0)
        if reorder.any():
            r = np.flatnonzero(reorder)
            q = np.maximum(big[r] * lift[r] - on_hand[r] - on_order[r], moq[r])
            q = (np.ceil(q / case[r]) * case[r]).astype(np.int64)
            lead = np.clip(np.rint(rng.normal(lt[r], lt_sd[r])), 1, max_lt - 1).astype(np.int64)
            np.add.at(arrivals, (t + lead, r), q)
            on_order[r] += q
        hist_on_hand[t] = on_hand
        hist_on_order[t] = on_order
    lines = lines[keep]
    orders = orders[orders["oi"].isin(lines["oi"])]  # orders left without lines were lost
    inventory = pd.DataFrame(
        {
            "date": np.repeat(days.to_numpy(), n_sku),
            "sku": np.tile(products["sku"].to_numpy(), n_days),
            "on_hand": hist_on_hand.ravel(),
            "on_order": hist_on_order.ravel(),
        }
    )
    return lines, orders, inventory


# ---------------------------------------------------------------------------- pricing
def _price(lines, orders, promos, products, rng):
    """Prices, promotion discounts (allocated to lines exactly), shipping and totals."""
    lines = lines.merge(orders[["oi", "created_at", "customer_id"]], on="oi", how="inner")
    price = products["list_price_fen"].to_numpy()[lines["sku_i"].to_numpy()]
    cat = products["category"].to_numpy()[lines["sku_i"].to_numpy()]
    qty = lines["qty"].to_numpy()
    gross = qty * price
    disc = np.zeros(len(lines), dtype=np.int64)
    oi = lines["oi"].to_numpy()
    for p in promos.itertuples():
        par = json.loads(p.params)
        live = ((lines["created_at"] >= p.start) & (lines["created_at"] <= p.end)).to_numpy()
        scope = live & _in_scope(p.scope, cat)
        if not scope.any():
            continue
        if p.mechanic == "second_half_price":  # every second unit at half price
            disc += np.where(scope, (qty // 2) * (price // 2), 0)
            continue
        li = np.flatnonzero(scope)
        goods = np.bincount(oi[li], weights=gross[li], minlength=oi.max() + 1).astype(np.int64)
        units = np.bincount(oi[li], weights=qty[li], minlength=oi.max() + 1).astype(np.int64)
        g = goods[oi[li]]
        if p.mechanic == "full_reduction":
            cut = np.where(g >= par["threshold_fen"], par["reduction_fen"], 0)
        elif p.mechanic == "per_full_reduction":
            cut = np.minimum(g // par["step_fen"], par["max_times"]) * par["reduction_fen"]
        elif p.mechanic == "tiered_reduction":
            cut = np.zeros(len(li), dtype=np.int64)
            for thr, red in par["tiers"]:  # highest tier reached, not cumulative
                cut = np.where(g >= thr, red, cut)
        elif p.mechanic == "percent_off":
            pct_off = round((1 - par["rate"]) * 100)  # 9折 → 10 % off, in integer fen:
            off = (g * pct_off + 50) // 100  # half up
            cut = np.where(units[oi[li]] >= par["min_qty"], off, 0)
        elif p.mechanic == "coupon":
            cust_claim = _claims(lines["customer_id"].to_numpy()[li], p.promo_id, par["claim_rate"])
            cut = np.where(cust_claim & (g >= par["threshold_fen"]),
                           np.minimum(par["reduction_fen"], g), 0)
        else:  # pragma: no cover - every mechanic of the plan is handled above
            raise AssertionError(p.mechanic)
        # cut is the order's discount repeated on each of its lines: allocate by amount.
        disc[li] += allocate(cut, gross[li], groups=oi[li])
    lines = lines.assign(unit_price_fen=price, discount_fen=disc, paid_fen=gross - disc)
    per = lines.groupby("oi", sort=False)[["paid_fen", "discount_fen"]].sum()
    per["goods_fen"] = lines.assign(g=gross).groupby("oi", sort=False)["g"].sum()
    orders = orders.merge(per, left_on="oi", right_index=True, how="left")
    net = orders["goods_fen"] - orders["discount_fen"]
    web = orders["channel"].eq("web")
    shipping = np.where(web, np.where(net >= 9900, 0, 1000), np.where(net >= 4900, 0, 600))
    orders = orders.assign(shipping_fen=shipping.astype(np.int64))
    orders["paid_fen"] = orders["goods_fen"] - orders["discount_fen"] + orders["shipping_fen"]
    orders = orders.sort_values(["created_at", "oi"]).reset_index(drop=True)
    # Order ids in time order: channel prefix + yymmdd + sequence.
    prefix = orders["channel"].map({"web": "W", "tmall": "T", "jd": "J", "douyin": "D"})
    seq = pd.Series(np.arange(1, len(orders) + 1)).astype("str").str.zfill(7)
    orders["order_id"] = prefix + orders["created_at"].dt.strftime("%y%m%d") + seq
    ids = orders.set_index("oi")["order_id"]
    lines = lines.assign(order_id=ids.reindex(lines["oi"]).to_numpy(),
                         sku=products["sku"].to_numpy()[lines["sku_i"].to_numpy()])
    lines = lines.sort_values(["order_id", "sku"])[
        ["order_id", "sku", "qty", "unit_price_fen", "discount_fen", "paid_fen"]]
    cols = ["order_id", "customer_id", "channel", "created_at", "paid_at", "status",
            "goods_fen", "discount_fen", "shipping_fen", "paid_fen", "payment_method"]
    return lines, orders[cols]


def _claims(customer_ids: np.ndarray, promo_id: str, rate: float) -> np.ndarray:
    """Which customers claimed a coupon: a stable pseudo-random draw per (customer, promo)."""
    h = pd.util.hash_array(np.asarray(customer_ids, dtype=object), hash_key=promo_id[:16].ljust(16))
    return (h % 10_000) < rate * 10_000


# ---------------------------------------------------------------------------- refunds
def _refunds(rng, orders, lines, end) -> pd.DataFrame:
    paid = orders[orders["status"].isin(PAID_STATUSES)]
    rate = paid["channel"].map(dict(zip(CHANNELS["channel"], CHANNELS["refund_rate"],
                                        strict=True))).to_numpy()
    nov11 = (paid["created_at"].dt.month == 11) & (paid["created_at"].dt.day.between(1, 11))
    rate = rate + 0.05 * nov11.to_numpy()
    hit = paid[rng.random(len(paid)) < rate]
    full = rng.random(len(hit)) < 0.55
    # Full refunds: one refund of everything paid.
    f = hit[full]
    full_rows = pd.DataFrame({"order_id": f["order_id"], "base": f["paid_at"],
                              "amount_fen": f["paid_fen"], "k": 0})
    # Partial refunds: one or two lines (or part of a line: 价保 / 少件) of the order.
    p = hit[~full]
    pl = lines[lines["order_id"].isin(p["order_id"])]
    pl = pl.assign(r=rng.random(len(pl))).sort_values(["order_id", "r"])
    pl = pl.assign(k=pl.groupby("order_id", sort=False).cumcount())
    n_ref = pd.Series(1 + (rng.random(len(p)) < 0.35), index=p["order_id"].to_numpy())
    pl = pl[pl["k"] < n_ref.reindex(pl["order_id"]).to_numpy()]
    share = np.where(rng.random(len(pl)) < 0.7, 1.0, rng.uniform(0.1, 0.5, len(pl)))
    amt = np.floor(pl["paid_fen"].to_numpy() * share).astype(np.int64)
    part_rows = pd.DataFrame({"order_id": pl["order_id"].to_numpy(),
                              "base": p.set_index("order_id")["paid_at"]
                              .reindex(pl["order_id"]).to_numpy(),
                              "amount_fen": amt, "k": pl["k"].to_numpy()})
    r = pd.concat([full_rows, part_rows], ignore_index=True)
    r = r[r["amount_fen"] > 0]
    lag = pd.to_timedelta(rng.lognormal(np.log(3 * DAY), 0.8, len(r)) + r["k"] * DAY, unit="s")
    r = r.assign(refunded_at=(r["base"] + lag).dt.floor("s"))
    r = r[r["refunded_at"] < end + pd.Timedelta(days=1)].sort_values(["refunded_at", "order_id"])
    r["refund_id"] = "R" + pd.Series(np.arange(1, len(r) + 1), index=r.index).astype("str") \
        .str.zfill(8)
    return r[["refund_id", "order_id", "refunded_at", "amount_fen"]]


# ---------------------------------------------------------------------------- traffic
def _traffic(rng, orders, days) -> pd.DataFrame:
    d = orders.assign(date=orders["created_at"].dt.normalize())
    buyers = d.groupby(["date", "channel"])["customer_id"].nunique()
    grid = pd.MultiIndex.from_product([days, CHANNELS["channel"]], names=["date", "channel"])
    buyers = buyers.reindex(grid, fill_value=0)
    conv = CHANNELS.set_index("channel")["conversion"].reindex(grid.get_level_values(1))
    # Visitors: buyers / the channel's conversion, with noise; never fewer than buyers.
    b = buyers.to_numpy()
    uv = b / conv.to_numpy() * rng.lognormal(0, 0.08, len(grid))
    uv = np.maximum(np.rint(uv), b).astype(np.int64) + rng.integers(5, 40, len(grid))
    return pd.DataFrame({"date": grid.get_level_values(0), "channel": grid.get_level_values(1),
                         "uv": uv})


# ------------------------------------------------------------------------- statements
def _fee(amount: np.ndarray, rate: float) -> np.ndarray:
    """Gateway fee: rate × amount rounded half up to the fen, in integers (no float money)."""
    return fen_at_rate(amount, ppm=round(rate * 1_000_000))


def _statements(rng, orders, refunds, end):
    web = orders[(orders["channel"] == "web") & orders["payment_method"].isin(["alipay", "wechat"])
                 & orders["paid_at"].notna()]
    n = len(web)
    provider = web["payment_method"].to_numpy()
    ids = _gateway_ids(rng, provider, web["paid_at"])
    lag = np.where(rng.random(n) < 0.8, rng.integers(1, 5, n), rng.integers(5, 600, n))
    pay = pd.DataFrame({
        "provider": provider, "txn_id": ids, "merchant_order_id": web["order_id"].to_numpy(),
        "refund_id": pd.Series([None] * n, dtype="str"), "kind": "payment",
        "occurred_at": (web["paid_at"] + pd.to_timedelta(lag, unit="s")).to_numpy(),
        "amount_fen": web["paid_fen"].to_numpy(),
    })
    pay["fee_fen"] = _fee(pay["amount_fen"].to_numpy(), 0.006)
    r = refunds.merge(pay[["merchant_order_id", "provider", "txn_id"]],
                      left_on="order_id", right_on="merchant_order_id", how="inner")
    ref = pd.DataFrame({
        "provider": r["provider"], "txn_id": r["txn_id"], "merchant_order_id": r["order_id"],
        "refund_id": r["refund_id"], "kind": "refund",
        "occurred_at": r["refunded_at"] + pd.to_timedelta(rng.integers(1, 30, len(r)), unit="s"),
        "amount_fen": -r["amount_fen"],
    })
    ref["fee_fen"] = _fee(ref["amount_fen"].to_numpy(), 0.006)  # fee returned pro rata
    st = pd.concat([pay, ref], ignore_index=True)
    cutoff = end + pd.Timedelta(days=1)
    crossing = st[(st["occurred_at"] >= cutoff)]  # after the last bill: not yet in any bill
    st = st[st["occurred_at"] < cutoff]
    return _inject(rng, st, orders, crossing)


def _gateway_ids(rng, provider: np.ndarray, when: pd.Series) -> np.ndarray:
    """28-digit trade numbers shaped like the gateways': Alipay 2026111122001…, WeChat 4200001…."""
    n = len(provider)
    ymd = when.dt.strftime("%Y%m%d").to_numpy().astype(str)
    tail = pd.Series(rng.integers(10**13, 10**14, n)).astype("str").to_numpy().astype(str)
    ali = np.char.add(np.char.add(ymd, "22001"), np.char.add("1", tail))  # 28 digits
    wx = np.char.add(np.char.add("4200001", ymd), tail.astype("<U13"))  # 28 digits
    return np.where(provider == "alipay", ali, wx).astype(object)


def _inject(rng, st, orders, crossing):
    """Inject the known discrepancies into the statements; return both and the key."""
    st = st.reset_index(drop=True)
    pays = np.flatnonzero((st["kind"] == "payment").to_numpy())
    k = max(3, min(12, len(pays) // 400))  # a handful of each kind
    pick = rng.choice(pays, size=min(len(pays), 5 * k), replace=False)
    missing, amount, dup, fee = (pick[i * k:(i + 1) * k] for i in range(4))
    key = []

    def note(kind, rows, expected, actual):
        for (_, row), e, a in zip(rows.iterrows(), expected, actual, strict=True):
            key.append((kind, row["provider"], row["merchant_order_id"], row["txn_id"],
                        row["refund_id"], int(e), int(a)))

    note("missing_in_statement", st.loc[missing], st.loc[missing, "amount_fen"], [0] * len(missing))
    delta = rng.choice([-3, -2, -1, 1, 2, 5], size=len(amount))
    note("amount_mismatch", st.loc[amount], st.loc[amount, "amount_fen"],
         st.loc[amount, "amount_fen"] + delta)
    st.loc[amount, "amount_fen"] += delta
    bad_fee = _fee(st.loc[fee, "amount_fen"].to_numpy(), 0.01)  # charged 1 % instead of 0.6 %
    note("fee_mismatch", st.loc[fee], st.loc[fee, "fee_fen"], bad_fee)
    st.loc[fee, "fee_fen"] = bad_fee
    dups = st.loc[dup].copy()
    dups["txn_id"] = _gateway_ids(rng, dups["provider"].to_numpy(), dups["occurred_at"])
    dups["occurred_at"] += pd.to_timedelta(rng.integers(20, 300, len(dups)), unit="s")
    note("duplicate", dups, [0] * len(dups), dups["amount_fen"])
    # Extra: gateway rows whose merchant order id we never issued.
    extra = st.loc[pick[4 * k:5 * k]].copy()
    extra["merchant_order_id"] = "X" + extra["merchant_order_id"].str[1:]
    extra["txn_id"] = _gateway_ids(rng, extra["provider"].to_numpy(), extra["occurred_at"])
    note("missing_in_orders", extra, [0] * len(extra), extra["amount_fen"])
    # Status mismatch: the gateway took money for an order we hold as cancelled.
    canc = orders[(orders["channel"] == "web") & (orders["status"] == "cancelled")]
    canc = canc.iloc[rng.permutation(len(canc))[:k]]
    prov = np.where(rng.random(len(canc)) < 0.5, "alipay", "wechat")
    sm = pd.DataFrame({
        "provider": prov, "txn_id": _gateway_ids(rng, prov, canc["created_at"]),
        "merchant_order_id": canc["order_id"].to_numpy(),
        "refund_id": pd.Series([None] * len(canc), dtype="str"), "kind": "payment",
        "occurred_at": (canc["created_at"] + pd.Timedelta(minutes=3)).to_numpy(),
        "amount_fen": canc["paid_fen"].to_numpy(),
    })
    sm["fee_fen"] = _fee(sm["amount_fen"].to_numpy(), 0.006)
    note("status_mismatch", sm, [0] * len(sm), sm["amount_fen"])
    st = st.drop(index=missing)
    # Legitimate timing: paid before midnight on our side, after midnight at the gateway.
    pays_now = st[st["kind"] == "payment"]
    od = orders.set_index("order_id")["paid_at"].reindex(pays_now["merchant_order_id"]).to_numpy()
    cross = pays_now[pays_now["occurred_at"].dt.normalize().to_numpy() != pd.DatetimeIndex(od)
                     .normalize().to_numpy()]
    note("cross_midnight", cross, cross["amount_fen"], cross["amount_fen"])
    note("cross_midnight", crossing, crossing["amount_fen"], [0] * len(crossing))
    st = pd.concat([st, dups, extra, sm], ignore_index=True).sort_values(
        ["occurred_at", "txn_id"]).reset_index(drop=True)
    cols = ["kind", "provider", "merchant_order_id", "txn_id", "refund_id", "expected_fen",
            "actual_fen"]
    answer = pd.DataFrame(key, columns=cols)
    answer = answer.astype({"expected_fen": "int64", "actual_fen": "int64"})
    return st, answer


# ---------------------------------------------------------------------------- targets
def _targets(orders, end) -> pd.DataFrame:
    """This year's GMV target: last year's paid GMV + 20 %, split by channel and month."""
    year = end.year
    paid = orders[orders["status"].isin(PAID_STATUSES)]
    last = paid[paid["created_at"].dt.year == year - 1]
    if last.empty:
        last = paid
    gmv = last.groupby([last["channel"], last["created_at"].dt.month])["paid_fen"].sum()
    gmv = gmv.reindex(pd.MultiIndex.from_product([CHANNELS["channel"], range(1, 13)]),
                      fill_value=0)
    total = int(round(int(gmv.sum()) * 1.2, -4))  # a round number, as handed down
    cells = allocate(total, gmv.to_numpy().astype(float) + 1.0)  # +1: no empty month
    grid = pd.DataFrame({"channel": gmv.index.get_level_values(0),
                         "month": gmv.index.get_level_values(1), "target_fen": cells})
    by_ch = grid.groupby("channel", sort=False)["target_fen"].sum()
    by_m = grid.groupby("month")["target_fen"].sum()
    rows = [(str(year), "total", "all", total)]
    rows += [(str(year), "channel", c, int(v)) for c, v in by_ch.items()]
    rows += [(f"{year}-{m:02d}", "total", "all", int(v)) for m, v in by_m.items()]
    rows += [(f"{year}-{r.month:02d}", "channel", r.channel, int(r.target_fen))
             for r in grid.itertuples()]
    return pd.DataFrame(rows, columns=["period", "level", "key", "target_fen"])
