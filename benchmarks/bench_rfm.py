"""RFM (issue 4): ``rfm_table`` and the three-call pipeline, against DuckDB SQL on the same frames.

Data (seed 20261111, scale 1.0): 20,000,000 paid/cancelled orders of 2,000,000 customers
over 2024-2025 (the order-level table ``rfm_table`` reads; at least 20 M order lines'
worth), customer purchase rates gamma-distributed (shape 0.6) so many customers buy once
and a few buy often; 5% of orders are refunded (40% in full), ``as_of`` 2025-12-31.
Canonical dtypes: ``order_id`` and ``customer_id`` are pandas ``str`` (Arrow-backed),
``paid_at``/``refunded_at`` ``datetime64[us]``, money ``int64`` fen. The ``*.cat`` kernels
hold ``customer_id`` as a categorical, as after factorizing string ids once on load.

Kernels:

* ``rfm.table`` / ``rfm.table.cat``: ``rfm_table(orders, refunds, as_of=...)`` vs one
  DuckDB query (refunds summed per order, netted, occasions with net <= 0 dropped,
  grouped per customer). The check compares every customer's R, F, M, first and last day.
* ``rfm.pipeline``: ``rfm_table`` + ``rfm_scores`` + ``rfm_segments`` (classic) vs DuckDB
  doing the same aggregation, the same tie-safe quantile cut points (``quantile_cont``,
  first value above / at or above it) and a join to the 125-cell segment map; the check
  compares customers per segment.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from benchmarks.harness import Benchmark, Data
from mallkit.rfm import RFMWarning, rfm_scores, rfm_segments, rfm_table, segment_cells, segment_map

SEED = 20261111
ORDERS_PER_CUSTOMER = 10
AS_OF = "2025-12-31"
END = "2026-01-01"  # exclusive end of the as_of day


def make_orders(n_rows: int, *, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders (``n_rows``) and refunds (5% of orders) with canonical dtypes (vectorised)."""
    rng = np.random.default_rng(seed)
    n_cust = max(1, n_rows // ORDERS_PER_CUSTOMER)
    rate = np.cumsum(rng.gamma(0.6, 1.0, n_cust))
    cust = np.minimum(np.searchsorted(rate / rate[-1], rng.random(n_rows)), n_cust - 1)
    start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    secs = np.sort(rng.integers(0, 731 * 86_400, n_rows))
    paid_at = (start + secs).astype("datetime64[s]").astype("datetime64[us]")
    statuses = np.array(["completed", "shipped", "paid", "cancelled", "unpaid"])
    status = statuses[np.searchsorted([0.85, 0.91, 0.95, 0.98], rng.random(n_rows))]
    paid = rng.integers(990, 100_000, n_rows)
    orders = pd.DataFrame({
        "order_id": pd.Series(np.arange(n_rows) + 10**11).astype("str").radd("O"),
        "customer_id": pd.Series(cust + 10**8).astype("str").radd("C"),
        "paid_at": paid_at,
        "status": pd.Series(status, dtype="str"),
        "paid_fen": paid,
    })
    k = n_rows // 20
    pos = np.sort(rng.choice(n_rows, k, replace=False))
    full = rng.random(k) < 0.4
    part = (paid[pos] * rng.uniform(0.1, 0.9, k)).astype(np.int64) + 1
    refunds = pd.DataFrame({
        "refund_id": pd.Series(np.arange(k) + 10**9).astype("str").radd("R"),
        "order_id": orders["order_id"].take(pos).reset_index(drop=True),
        "refunded_at": paid_at[pos] + rng.integers(3600, 20 * 86_400, k).astype("timedelta64[s]"),
        "amount_fen": np.where(full, paid[pos], part),
    })
    return orders, refunds


def _setup(n_rows: int) -> Data:
    orders, refunds = make_orders(n_rows)
    cells = segment_cells(segment_map("classic")).assign(
        segment=lambda c: c["segment"].astype(str))
    return {"orders": orders, "refunds": refunds, "cells": cells}


def _setup_cat(n_rows: int) -> Data:
    data = _setup(n_rows)
    o = data["orders"]
    data["orders"] = o.assign(customer_id=o["customer_id"].astype("category"))
    return data


AGG_SQL = f"""
WITH rf AS (
    SELECT order_id, sum(amount_fen) AS refunded_fen FROM refunds
    WHERE refunded_at < TIMESTAMP '{END}' GROUP BY order_id),
occ AS (
    SELECT o.customer_id, CAST(o.paid_at AS DATE) AS d, o.paid_fen,
           o.paid_fen - coalesce(rf.refunded_fen, 0) AS net
    FROM orders o LEFT JOIN rf USING (order_id)
    WHERE o.status IN ('paid', 'shipped', 'completed') AND o.paid_at < TIMESTAMP '{END}')
SELECT customer_id, date_diff('day', max(d), DATE '{AS_OF}') AS recency_days,
       count(*) AS frequency, sum(net) AS monetary_fen, sum(paid_fen) AS paid_fen,
       min(d) AS first_purchase, max(d) AS last_purchase
FROM occ WHERE net > 0 GROUP BY customer_id
"""


def _mallkit_table(data: Data) -> pd.DataFrame:
    return rfm_table(data["orders"], data["refunds"], as_of=AS_OF).customers


def _duckdb_table(con, data: Data) -> pd.DataFrame:
    return con.sql(AGG_SQL).df()


def _check_table(data: Data, mk: pd.DataFrame, db: pd.DataFrame | None) -> None:
    if db is None:
        return
    cols = ["recency_days", "frequency", "monetary_fen", "paid_fen"]
    a = mk.assign(customer_id=mk["customer_id"].astype(str)).set_index("customer_id")
    b = db.assign(customer_id=db["customer_id"].astype(str)).set_index("customer_id")
    assert len(a) == len(b), f"{len(a)} customers in mallkit, {len(b)} in DuckDB"
    b = b.loc[a.index]
    for c in cols:
        diff = int((a[c].to_numpy(np.int64) != b[c].to_numpy(np.int64)).sum())
        assert diff == 0, f"{c} differs for {diff} customers"
    for c in ("first_purchase", "last_purchase"):
        same = pd.to_datetime(a[c]).to_numpy() == pd.to_datetime(b[c]).to_numpy()
        assert same.all(), f"{c} differs for {(~same).sum()} customers"


def _mallkit_pipeline(data: Data) -> pd.DataFrame:
    t = rfm_table(data["orders"], data["refunds"], as_of=AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMWarning)  # collapsed F bins are expected
        return rfm_segments(rfm_scores(t)).customers


def _cut(metric: str, k: int, op: str) -> str:
    return (f"(SELECT min({metric}) FROM agg WHERE {metric} {op} "
            f"(SELECT quantile_cont({metric}, {k / 5}) FROM agg))")


def _score(metric: str, recency: bool) -> str:
    op = ">=" if recency else ">"
    terms = " + ".join(f"CASE WHEN {metric} >= coalesce({_cut(metric, k, op)}, 'inf'::DOUBLE) "
                       "THEN 1 ELSE 0 END" for k in range(1, 5))
    return f"5 - ({terms})" if recency else f"1 + {terms}"


PIPELINE_SQL = f"""
WITH agg AS ({AGG_SQL}),
sc AS (
    SELECT customer_id, {_score('recency_days', True)} AS r_score,
           {_score('frequency', False)} AS f_score, {_score('monetary_fen', False)} AS m_score
    FROM agg)
SELECT sc.customer_id, sc.r_score, sc.f_score, sc.m_score, cells.segment
FROM sc JOIN cells USING (r_score, f_score, m_score)
"""


def _duckdb_pipeline(con, data: Data) -> pd.DataFrame:
    return con.sql(PIPELINE_SQL).df()


def _check_pipeline(data: Data, mk: pd.DataFrame, db: pd.DataFrame | None) -> None:
    if db is None:
        return
    a = mk["segment"].astype(str).value_counts().sort_index()
    b = db["segment"].value_counts().sort_index()
    assert a.to_dict() == b.to_dict(), f"segment counts differ: {a.to_dict()} vs {b.to_dict()}"


BENCHMARKS = [
    Benchmark(
        name="rfm.table",
        rows=20_000_000,
        setup=_setup,
        run_mallkit=_mallkit_table,
        run_duckdb=_duckdb_table,
        check=_check_table,
        description="rfm_table: 20 M orders, 2 M customers (str ids), 1 M refunds; "
        "DuckDB: refunds per order, netted, grouped per customer",
    ),
    Benchmark(
        name="rfm.table.cat",
        rows=20_000_000,
        setup=_setup_cat,
        run_mallkit=_mallkit_table,
        run_duckdb=_duckdb_table,
        check=_check_table,
        description="rfm.table with categorical customer_id (string ids factorized once)",
    ),
    Benchmark(
        name="rfm.pipeline",
        rows=20_000_000,
        setup=_setup,
        run_mallkit=_mallkit_pipeline,
        run_duckdb=_duckdb_pipeline,
        check=_check_pipeline,
        description="rfm_table + rfm_scores + rfm_segments(classic) vs DuckDB aggregation, "
        "quantile cut points and a join to the 125-cell map",
    ),
]
