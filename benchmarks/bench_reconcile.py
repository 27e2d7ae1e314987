"""``mallkit.reconcile.reconcile`` against a DuckDB full outer join + classification.

Data (seed 20261111, scale 1.0): a month (2026-11) of the own-site mall: 4,750,000 paid
web orders (alipay / wechat) and 250,000 refunds = 5,000,000 ledger rows, against the
gateways' 5,000,000 statement rows (each 1-300 s after the mall's time, fee 0.6 % half
up), with 0.1 % injected faults: 1,000 each of a missing statement row, an amount off by
a few fen (payments and refunds), a duplicate charge, a gateway row for an unknown order
and a wrong fee. IDs are pandas ``str`` (``W…`` orders, ``R…`` refunds, 28-digit trade
numbers), as read from files. No row is within the 30-minute window of the month's
cut-off, so nothing is timing.

The DuckDB reference does the same classification in one SQL statement: the ledger
(orders of the scope + their refunds), the statements keyed by merchant order id or
refund id with ``row_number()`` for duplicates, a ``FULL OUTER JOIN`` and a ``CASE``;
it returns the exception rows as a DataFrame. ``reconcile`` does more: every row's
bucket, the per-day tie-out checked, the pool, and the exceptions with ids, both sides
and notes. Its two per-row tables (``items``, 10 M rows; ``matched``, 5 M pairs with
their ids) are built on first access: ``reconcile.month.tables`` times them too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.harness import Benchmark, Data
from mallkit.reconcile import reconcile

SEED = 20261111
START, END = pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-30")
REFUND_SHARE = 0.05
FAULT_RATE = 0.001  # of the ledger rows, per the issue: 0.1 %
FAULTS = ("missing", "amount", "duplicate", "extra", "fee")


def _fee(amount: np.ndarray) -> np.ndarray:
    return np.sign(amount) * ((np.abs(amount) * 6000 + 500_000) // 1_000_000)


def _ids(prefix: str, n: int, start: int = 0) -> pd.Series:
    return prefix + pd.Series(np.arange(start, start + n) + 26111100000000).astype("str")


def make_day(n_rows: int, *, seed: int = SEED) -> Data:
    """Orders, refunds and statements of ``n_rows`` ledger rows, faults injected (seeded)."""
    rng = np.random.default_rng(seed)
    n_ref = int(n_rows * REFUND_SHARE)
    n_ord = n_rows - n_ref
    span = int((END - START).total_seconds()) + 86_400 - 4_000  # clear of the cut-off
    paid = START + pd.to_timedelta(np.sort(rng.integers(0, span - 200_000, n_ord)), unit="s")
    method = np.where(rng.random(n_ord) < 0.55, "alipay", "wechat")
    fen = rng.integers(100, 200_000, n_ord)
    oid = _ids("W", n_ord)
    orders = pd.DataFrame({
        "order_id": oid, "customer_id": "C1", "channel": "web",
        "created_at": paid - pd.Timedelta(seconds=30), "paid_at": paid, "status": "paid",
        "goods_fen": fen, "discount_fen": 0, "shipping_fen": 0, "paid_fen": fen,
        "payment_method": method})
    which = rng.choice(n_ord, n_ref, replace=False)  # one refund per refunded order
    r_fen = np.maximum(1, (fen[which] * rng.random(n_ref)).astype(np.int64))
    r_at = paid[which] + pd.to_timedelta(rng.integers(3_600, 150_000, n_ref), unit="s")
    refunds = pd.DataFrame({"refund_id": _ids("R", n_ref), "order_id": oid.to_numpy()[which],
                            "refunded_at": r_at, "amount_fen": r_fen})
    txn = "4200002361" + pd.Series(rng.permutation(n_ord) + 10**17).astype("str")  # 28 digits
    amount = np.r_[fen, -r_fen]
    st = pd.DataFrame({
        "provider": np.r_[method, method[which]],
        "txn_id": pd.concat([txn, txn.iloc[which]], ignore_index=True),
        "merchant_order_id": pd.concat([oid, oid.iloc[which]], ignore_index=True),
        "refund_id": pd.concat([pd.Series([None] * n_ord, dtype="str"), refunds["refund_id"]],
                               ignore_index=True),
        "kind": np.r_[np.full(n_ord, "payment"), np.full(n_ref, "refund")],
        "occurred_at": np.r_[paid.to_numpy(), r_at.to_numpy()]
        + rng.integers(1, 300, n_rows).astype("timedelta64[s]"),
        "amount_fen": amount, "fee_fen": _fee(amount)})
    k = max(1, int(n_rows * FAULT_RATE / len(FAULTS)))
    pays = rng.permutation(n_ord)
    missing, amt, dup, extra, fee = (pays[i * k:(i + 1) * k] for i in range(5))
    amt = np.r_[amt[: k // 2], n_ord + rng.choice(n_ref, k - k // 2, replace=False)]
    st.loc[amt, "amount_fen"] += rng.choice([-3, -1, 1, 2], len(amt))
    st.loc[amt, "fee_fen"] = _fee(st.loc[amt, "amount_fen"].to_numpy())
    st.loc[fee, "fee_fen"] += 7
    d = st.loc[dup].assign(txn_id=lambda x: x["txn_id"] + "D",
                           occurred_at=lambda x: x["occurred_at"] + pd.Timedelta(minutes=2))
    x = st.loc[extra].assign(txn_id=lambda x: x["txn_id"] + "X",
                             merchant_order_id=lambda x: "X" + x["merchant_order_id"].str[1:],
                             amount_fen=9_000_000 + np.arange(k), fee_fen=54_000)
    st = pd.concat([st.drop(index=missing), d, x], ignore_index=True)
    st = st.iloc[rng.permutation(len(st))].reset_index(drop=True)
    expected = {"missing_in_statement": k, "amount_mismatch": k // 2,
                "refund_mismatch": k - k // 2, "duplicate": k, "missing_in_ledger": k,
                "fee_mismatch": k}
    return {"orders": orders, "refunds": refunds, "statements": st, "expected": expected}


def _mallkit(data: Data):
    return reconcile(data["orders"], data["refunds"], data["statements"], start=START, end=END)


def _mallkit_tables(data: Data):
    """``reconcile`` and both per-row tables (built on first access): the whole result."""
    rec = _mallkit(data)
    assert len(rec.items) and len(rec.matched)
    return rec


RECONCILE_SQL = """
WITH ledger AS (
    SELECT order_id AS k, 'payment' AS kind, payment_method AS provider, paid_fen AS amount
    FROM orders
    WHERE channel = 'web' AND payment_method IN ('alipay', 'wechat') AND paid_at IS NOT NULL
    UNION ALL
    SELECT r.refund_id, 'refund', o.payment_method, -r.amount_fen
    FROM refunds r JOIN orders o USING (order_id)
    WHERE o.channel = 'web' AND o.payment_method IN ('alipay', 'wechat')
), stmt AS (
    SELECT CASE WHEN kind = 'payment' THEN merchant_order_id ELSE refund_id END AS k,
           kind, provider, txn_id, occurred_at, amount_fen AS amount, fee_fen,
           row_number() OVER (PARTITION BY kind, CASE WHEN kind = 'payment'
                              THEN merchant_order_id ELSE refund_id END
                              ORDER BY occurred_at, txn_id) AS rn
    FROM statements
)
SELECT coalesce(l.k, s.k) AS k, coalesce(l.kind, s.kind) AS kind,
       coalesce(s.provider, l.provider) AS provider, s.txn_id,
       l.amount AS ledger_fen, s.amount AS statement_fen, s.fee_fen,
       CASE WHEN s.rn > 1 THEN 'duplicate'
            WHEN s.k IS NULL THEN 'missing_in_statement'
            WHEN l.k IS NULL THEN 'missing_in_ledger'
            WHEN l.amount <> s.amount AND l.kind = 'payment' THEN 'amount_mismatch'
            WHEN l.amount <> s.amount THEN 'refund_mismatch'
            WHEN s.fee_fen <> sign(s.amount) * ((abs(s.amount) * 6000 + 500000) // 1000000)
                THEN 'fee_mismatch'
       END AS class
FROM ledger l FULL OUTER JOIN stmt s ON l.k = s.k AND l.kind = s.kind AND s.rn = 1
WHERE s.rn > 1 OR s.k IS NULL OR l.k IS NULL OR l.amount <> s.amount
   OR s.fee_fen <> sign(s.amount) * ((abs(s.amount) * 6000 + 500000) // 1000000)
"""


def _duckdb(con, data: Data) -> pd.DataFrame:
    return con.execute(RECONCILE_SQL).df()


def _check(data: Data, mk, db: pd.DataFrame | None) -> None:
    want = data["expected"]
    got = mk.exceptions["class"].value_counts().to_dict()
    assert got == want, f"reconcile found {got}, injected {want}"
    assert mk.summary["ledger_ties"].all() and mk.summary["statement_ties"].all()
    assert len(mk.items) == sum(len(data[t]) for t in ("orders", "refunds", "statements"))
    if db is not None:
        d = db["class"].value_counts().to_dict()
        assert d == want, f"duckdb found {d}, injected {want}"


def _setup(n_rows: int) -> Data:
    return make_day(n_rows)


BENCHMARKS = [
    Benchmark(
        name="reconcile.month",
        rows=5_000_000,
        setup=_setup,
        run_mallkit=_mallkit,
        run_duckdb=_duckdb,
        check=_check,
        description="reconcile(orders, refunds, statements): 4.75 M orders + 0.25 M refunds vs "
        "5 M gateway rows, 0.1 % faults; DuckDB: FULL OUTER JOIN + CASE classification",
    ),
    Benchmark(
        name="reconcile.month.tables",
        rows=5_000_000,
        setup=_setup,
        run_mallkit=_mallkit_tables,
        run_duckdb=_duckdb,
        check=_check,
        description="as reconcile.month, and then .items (10 M rows) and .matched (5 M pairs "
        "with their ids) materialised: the full per-row result",
    ),
]
