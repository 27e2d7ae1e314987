"""库存预警 at scale: ``demand_stats`` and ``inventory_warnings`` on 50,000 SKUs x 365 days.

Data (seed 20261020, scale 1.0): 50,000 SKUs in 50 categories, 365 days of closing stock
(2024-10-21 .. 2025-10-20, so 双11 2024 is history and 双11 2025 is ahead) = 18,250,000
inventory rows, and the daily sales they allowed. Demand per SKU-day is Poisson with a
log-normal rate (median 0.6 units a day, so most SKUs are intermittent) times the
weekday and the sample mall's event multipliers; stock follows an (s, S) policy with
3..30-day lead times that ignores events, so SKUs run out and sales are censored (about
9 M sales rows). Two all-scope promotions. ``as_of`` is the last day.

Kernels:

* ``inventory.demand_stats``: 90-day in-stock, non-event demand statistics per SKU.
  DuckDB: the same mean / sample std / day counts by SQL (inventory LEFT JOIN sales, in
  stock, day not in the precomputed occasion days, GROUP BY sku). Cross-checked.
* ``inventory.warnings``: the whole ``inventory_warnings`` call (validation, statistics,
  uplift of a year of events, safety stock, levels, reasons); no DuckDB equivalent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.harness import Benchmark, Data
from mallkit.datasets import EVENT_UPLIFT, WEEKDAY
from mallkit.demand import demand_stats, occasion_calendar
from mallkit.inventory import inventory_warnings

SEED = 20261020
DAYS = 365
AS_OF = pd.Timestamp("2025-10-20")
WINDOW = 90
N_CATEGORIES = 50


def make_inventory_data(n_rows: int, *, seed: int = SEED) -> Data:
    """Products, promotions, daily sales and closing stock of ``n_rows // 365`` SKUs."""
    rng = np.random.default_rng(seed)
    n = max(1, n_rows // DAYS)
    days = pd.date_range(end=AS_OF, periods=DAYS, freq="D", unit="us")
    skus = pd.array([f"SKU{i:06d}" for i in range(n)], dtype="str")
    cat = rng.integers(0, N_CATEGORIES, n)
    price = rng.integers(10, 2000, n).astype(np.int64) * 100 - 10
    lead = rng.integers(3, 31, n)
    products = pd.DataFrame({
        "sku": skus,
        "category": pd.array([f"C{c:02d}" for c in range(N_CATEGORIES)], dtype="str").take(cat),
        "list_price_fen": price,
        "unit_cost_fen": (price * rng.uniform(0.35, 0.65, n)).astype(np.int64),
        "lead_time_days": lead.astype("float64"),
        "lead_time_std_days": np.round(lead * rng.uniform(0.05, 0.4, n), 1),
        "moq": rng.choice([1, 20, 50, 100], n),
        "case_pack": rng.choice([1, 6, 12, 24], n),
    })
    promotions = pd.DataFrame({
        "promo_id": ["P1", "P2"], "name": ["春季上新 满200减20", "会员日 券"],
        "mechanic": ["full_reduction", "coupon"],
        "start": pd.to_datetime(["2025-04-10", "2025-05-15"]),
        "end": pd.to_datetime(["2025-04-16 23:59:59", "2025-05-17 23:59:59"]),
        "scope": ["all", "all"], "params": ["{}", "{}"],
        "ad_spend_fen": np.array([6_000_000, 2_000_000], dtype=np.int64),
    })
    # demand intensity per day: weekday x event phase (max on a day), as the sample mall
    ev = occasion_calendar(days[0], days[-1])
    up = pd.Series({f"{e}/{p}": u for (e, p), u in EVENT_UPLIFT.items()})
    day_mult = pd.Series(1.0, index=days)
    hit = ev.assign(u=ev["occasion"].map(up)).dropna().groupby("date")["u"].max()
    day_mult[hit.index] = hit.to_numpy()
    day_mult *= WEEKDAY[days.day_of_week]
    rate = rng.lognormal(-0.5, 1.2, n)
    # (s, S) stock, vectorised over SKUs; sales are what the stock allowed
    s_lvl = np.ceil(rate * (lead + 3))
    big = np.ceil(s_lvl + rate * 30 + 1)
    on_hand = big.astype(np.int64)
    on_order = np.zeros(n, dtype=np.int64)
    arrivals = np.zeros((DAYS + 40, n), dtype=np.int64)
    stock = np.empty((DAYS, n), dtype=np.int64)
    ordered = np.empty((DAYS, n), dtype=np.int64)
    sold = np.empty((DAYS, n), dtype=np.int64)
    for t in range(DAYS):  # a loop over days, vectorised over SKUs
        on_hand += arrivals[t]
        on_order -= arrivals[t]
        want = rng.poisson(rate * day_mult.iloc[t])
        sold[t] = np.minimum(want, on_hand)
        on_hand -= sold[t]
        re = on_hand + on_order <= s_lvl
        q = np.where(re, big - on_hand - on_order, 0).astype(np.int64)
        arrivals[t + lead, np.arange(n)] += q
        on_order += q
        stock[t] = on_hand
        ordered[t] = on_order  # open orders at the close, today's order included
    d_idx, s_idx = np.nonzero(sold)
    sales = pd.DataFrame({
        "date": days.to_numpy()[d_idx],
        "sku": skus.take(s_idx),
        "qty": sold[d_idx, s_idx],
        "paid_fen": sold[d_idx, s_idx] * price[s_idx],
    })
    inventory = pd.DataFrame({
        "date": np.repeat(days.to_numpy(), n),
        "sku": skus.take(np.tile(np.arange(n), DAYS)),
        "on_hand": stock.ravel(),
        "on_order": ordered.ravel(),
    })
    # occasion days (scope "all") for the SQL reference, as mallkit computes them
    occ = occasion_calendar(days[-WINDOW], AS_OF, promotions=promotions)
    excluded = pd.DataFrame({"date": np.unique(occ["date"].to_numpy())})
    return {"products": products, "promotions": promotions, "sales": sales,
            "inventory": inventory, "excluded_days": excluded}


def _setup(n_rows: int) -> Data:
    return make_inventory_data(n_rows)


def _stats(data: Data) -> pd.DataFrame:
    return demand_stats(data["sales"], data["inventory"], as_of=AS_OF, window_days=WINDOW,
                        products=data["products"], promotions=data["promotions"])


STATS_SQL = f"""
WITH w AS (
    SELECT i.sku, coalesce(s.qty, 0) AS qty
    FROM inventory i
    LEFT JOIN sales s ON s.date = i.date AND s.sku = i.sku
    WHERE i.date > TIMESTAMP '{AS_OF}' - INTERVAL {WINDOW} DAY
      AND i.date <= TIMESTAMP '{AS_OF}'
      AND i.on_hand > 0
      AND i.date NOT IN (SELECT date FROM excluded_days)
)
SELECT sku, count(*) AS used_days, count(*) FILTER (WHERE qty > 0) AS demand_days,
       avg(qty) AS mean, stddev_samp(qty) AS std
FROM w GROUP BY sku ORDER BY sku
"""


def _stats_duckdb(con, data: Data) -> pd.DataFrame:
    return con.execute(STATS_SQL).df()


def _stats_check(data: Data, mk: pd.DataFrame, db: pd.DataFrame | None) -> None:
    n = len(data["products"])
    assert len(mk) == n, f"demand_stats returned {len(mk)} rows for {n} SKUs"
    if db is None:
        return
    got = mk.set_index("sku").loc[db["sku"]]
    for col in ("used_days", "demand_days"):
        bad = int((got[col].to_numpy() != db[col].to_numpy()).sum())
        assert not bad, f"{col} differs from DuckDB on {bad} SKUs"
    for col in ("mean", "std"):
        a, b = got[col].to_numpy(), db[col].to_numpy(dtype="float64")
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-12) | (np.isnan(a) & np.isnan(b))
        assert ok.all(), f"{col} differs from DuckDB on {int((~ok).sum())} SKUs"


def _warnings(data: Data) -> pd.DataFrame:
    return inventory_warnings(data["inventory"], data["sales"], data["products"], as_of=AS_OF,
                              promotions=data["promotions"], history_days=DAYS)


def _warnings_check(data: Data, mk: pd.DataFrame, db: None) -> None:
    n = len(data["products"])
    assert len(mk) == n and mk["sku"].is_unique, f"{len(mk)} warning rows for {n} SKUs"
    q = mk[mk["suggested_qty"] > 0]
    assert (q["suggested_qty"] % q["case_pack"] == 0).all(), "order not in whole cases"
    assert (q["suggested_qty"] >= q["moq"]).all(), "order below MOQ"
    assert mk["reason"].str.len().gt(0).all(), "a warning without a reason"


BENCHMARKS = [
    Benchmark(
        name="inventory.demand_stats",
        rows=50_000 * DAYS,
        setup=_setup,
        run_mallkit=_stats,
        run_duckdb=_stats_duckdb,
        check=_stats_check,
        description="demand_stats: 50k SKUs x 365 d of stock (18.25 M rows), 90-day "
        "in-stock non-event mean/std; DuckDB: LEFT JOIN + GROUP BY sku",
    ),
    Benchmark(
        name="inventory.warnings",
        rows=50_000 * DAYS,
        setup=_setup,
        run_mallkit=_warnings,
        check=_warnings_check,
        description="inventory_warnings: 50k SKUs x 365 d, event uplift from a year of "
        "history, safety stock, levels, reasons; budget (with demand_stats) 10 s",
    ),
]
