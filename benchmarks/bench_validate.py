"""``mallkit.schema.validate`` on order lines, against the same checks in DuckDB SQL.

Data (seed 20261111, scale 1.0): 10,000,000 order lines of 4,000,000 orders
(every order has at least one line, 2.5 lines per order on average, lines of an order
adjacent as in a platform export) over 400 SKUs; ``order_id`` and ``sku`` are pandas
``str``, the four numbers ``int64`` with ``paid_fen = qty * unit_price_fen - discount_fen``
on every row, so the data is valid and both engines find nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.harness import Benchmark, Data
from mallkit.schema import validate

SEED = 20261111
N_SKUS = 400
LINES_PER_ORDER = 2.5


def make_order_lines(n_rows: int, *, n_skus: int = N_SKUS, seed: int = SEED) -> pd.DataFrame:
    """A valid canonical ``order_lines`` frame of ``n_rows`` lines (vectorised, seeded)."""
    rng = np.random.default_rng(seed)
    n_orders = max(1, min(n_rows, round(n_rows / LINES_PER_ORDER)))
    # every order gets one line, the other lines go to random orders; sorted so the
    # lines of an order are adjacent
    order = np.concatenate([np.arange(n_orders), rng.integers(0, n_orders, n_rows - n_orders)])
    order.sort()
    # distinct SKUs within an order: a random first SKU, then the next ones in turn
    starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
    pos = np.arange(n_rows) - np.repeat(starts, np.diff(np.r_[starts, n_rows]))
    if n_rows and pos.max() >= n_skus:
        raise ValueError("an order has more lines than there are SKUs")
    sku_i = (rng.integers(0, n_skus, n_orders)[order] + pos) % n_skus

    order_ids = ("O" + pd.Series(np.arange(n_orders) + 202611110000000).astype("str")).array
    skus = pd.array([f"SKU{i:05d}" for i in range(n_skus)], dtype="str")
    price = rng.integers(1, 1000, n_skus) * 100 - 10  # 90 fen .. 999.90 yuan
    qty = rng.geometric(0.6, n_rows).astype(np.int64)
    unit = price[sku_i]
    gross = qty * unit
    # 30% of lines carry a discount of up to 30% of their gross amount
    cut = (gross * rng.random(n_rows) * 0.3).astype(np.int64)
    disc = np.where(rng.random(n_rows) < 0.3, cut, 0)
    return pd.DataFrame(
        {
            "order_id": order_ids.take(order),
            "sku": skus.take(sku_i),
            "qty": qty,
            "unit_price_fen": unit,
            "discount_fen": disc,
            "paid_fen": gross - disc,
        }
    )


def _setup(n_rows: int) -> Data:
    return {"order_lines": make_order_lines(n_rows)}


def _mallkit(data: Data) -> pd.DataFrame:
    return validate(data["order_lines"], "order_lines")


# The checks validate makes on order_lines, as counts of offending rows (all 0 if valid).
VALIDATE_SQL = """
SELECT
    count(*)                                                      AS n_rows,
    count(*) - count(order_id)                                    AS null_order_id,
    count(*) - count(sku)                                         AS null_sku,
    count(*) - count(qty)                                         AS null_qty,
    count(*) - count(unit_price_fen)                              AS null_unit_price_fen,
    count(*) - count(discount_fen)                                AS null_discount_fen,
    count(*) - count(paid_fen)                                    AS null_paid_fen,
    count(*) FILTER (WHERE qty <= 0)                              AS qty_not_positive,
    count(*) FILTER (WHERE unit_price_fen < 0)                    AS unit_price_negative,
    count(*) FILTER (WHERE discount_fen < 0)                      AS discount_negative,
    count(*) FILTER (WHERE paid_fen < 0)                          AS paid_negative,
    count(*) FILTER (WHERE qty * unit_price_fen - discount_fen <> paid_fen) AS paid_mismatch,
    (SELECT count(*) FROM (SELECT 1 FROM order_lines GROUP BY order_id, sku
                           HAVING count(*) > 1))                  AS duplicate_keys
FROM order_lines
"""


def _duckdb(con, data: Data) -> dict[str, int]:
    cur = con.execute(VALIDATE_SQL)
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def _check(data: Data, mk: pd.DataFrame, db: dict[str, int] | None) -> None:
    n = len(data["order_lines"])
    assert len(mk) == n, f"validate returned {len(mk)} rows, expected {n}"
    if db is not None:
        assert db["n_rows"] == n, f"duckdb saw {db['n_rows']} rows, expected {n}"
        bad = {k: v for k, v in db.items() if k != "n_rows" and v}
        assert not bad, f"duckdb found problems in valid data: {bad}"


BENCHMARKS = [
    Benchmark(
        name="validate.order_lines",
        rows=10_000_000,
        setup=_setup,
        run_mallkit=_mallkit,
        run_duckdb=_duckdb,
        check=_check,
        description="validate(order_lines): 10 M lines, 4 M orders, 400 SKUs; "
        "DuckDB: null/sign/identity counts + duplicate (order_id, sku) keys",
    ),
]
