"""reconcile(): every injected discrepancy found with its class, nothing lost, tied to the fen.

References: the sample mall's answer key (``make_sample_mall(...)["answer_key"].discrepancies``,
written by the generator when it injected each fault); hand-built ledgers whose expected
buckets are stated in each test; an independent recount of the batch totals from the raw
input tables (plain pandas sums, no reconcile internals); and, for the property tests,
the list of faults the test itself injected.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallkit.datasets import make_sample_mall
from mallkit.errors import (
    MissingColumnsError,
    PeriodError,
    ReconciliationError,
    SchemaError,
)
from mallkit.reconcile import BUCKETS, CLASSES, expected_fee, reconcile

START, END = "2025-09-01", "2025-12-31"
# Two sample malls: a small one over four months, and a busier one whose last evening
# has a payment billed after the sample's last day (a crossing timing row).
SAMPLES = {"small": (0, START, END, 2000), "busy": (3, "2025-11-01", "2025-12-31", 20000)}


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample(request):
    seed, start, end, n = SAMPLES[request.param]
    mall = make_sample_mall(seed=seed, start=start, end=end, n_customers=n)
    rec = reconcile(mall["orders"], mall["refunds"], mall["statements"], start=start, end=end)
    return mall, rec, pd.Timestamp(end) + pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def mall():
    return make_sample_mall(seed=0, start=START, end=END, n_customers=2000)


@pytest.fixture(scope="module")
def rec(mall):
    return reconcile(mall["orders"], mall["refunds"], mall["statements"], start=START, end=END)


# ----------------------------------------------------------------------- small builders
T0 = pd.Timestamp("2026-11-11")


def orders(rows):
    """rows: (order_id, paid_fen, minutes after T0 or None if unpaid, method, channel, status)."""
    out = []
    for oid, fen, minutes, method, channel, status in rows:
        paid = None if minutes is None else T0 + pd.Timedelta(minutes=minutes)
        out.append({"order_id": oid, "customer_id": "C1", "channel": channel,
                    "created_at": T0 - pd.Timedelta(hours=1), "paid_at": paid,
                    "status": status, "goods_fen": fen, "discount_fen": 0, "shipping_fen": 0,
                    "paid_fen": fen, "payment_method": method})
    df = pd.DataFrame(out)
    return df.astype({"paid_at": "datetime64[us]"})


def pay(oid, fen, minutes, method="alipay", channel="web", status="paid"):
    return (oid, fen, minutes, method, channel, status)


def refunds(rows):
    """rows: (refund_id, order_id, amount_fen, minutes after T0)."""
    df = pd.DataFrame(rows, columns=["refund_id", "order_id", "amount_fen", "m"])
    df["refunded_at"] = T0 + pd.to_timedelta(df["m"], unit="min")
    return df.drop(columns="m")[["refund_id", "order_id", "refunded_at", "amount_fen"]]


def statements(rows, rate=6):
    """rows: (provider, txn, order, refund_id or None, amount_fen signed, minutes, fee or None).

    A fee of None is the contract fee: rate per mille, rounded half up (Decimal, by hand).
    """
    out = []
    for prov, txn, oid, rid, fen, minutes, fee in rows:
        if fee is None:
            q = (Decimal(abs(fen)) * rate / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            fee = int(q) if fen >= 0 else -int(q)
        out.append({"provider": prov, "txn_id": txn, "merchant_order_id": oid,
                    "refund_id": rid, "kind": "refund" if rid else "payment",
                    "occurred_at": T0 + pd.Timedelta(minutes=minutes), "amount_fen": fen,
                    "fee_fen": fee})
    return pd.DataFrame(out).astype({"refund_id": "str", "merchant_order_id": "str"})


NO_REFUNDS = refunds([])
DAY = {"start": "2026-11-11", "end": "2026-11-11"}


def buckets(r):
    return r.items["bucket"].astype(str).tolist()


# ----------------------------------------------------------------------- the sample mall
ANSWER_CLASS = {"missing_in_orders": "missing_in_ledger"}  # the generator's word for it


def test_sample_mall_every_injected_discrepancy_found_with_its_class(sample):
    mall, rec, _ = sample
    key = mall["answer_key"].discrepancies
    faults = key[key["kind"] != "cross_midnight"].copy()
    faults["class"] = faults["kind"].replace(ANSWER_CLASS)
    exc = rec.exceptions
    # Zero false exceptions: exactly as many exceptions as injected faults, class by class.
    assert exc["class"].value_counts().to_dict() == faults["class"].value_counts().to_dict()
    for cls, grp in faults.groupby("class"):
        got = exc[exc["class"] == cls]
        # missing_in_statement rows have no gateway txn: compare on the merchant order id.
        on = ["merchant_order_id"] if cls == "missing_in_statement" else ["txn_id"]
        m = grp.merge(got, on=on, how="left", suffixes=("_key", ""), validate="1:1")
        assert m["class"].notna().all(), (cls, m)
        assert (m["provider_key"] == m["provider"]).all()
        if cls == "fee_mismatch":  # the key holds the fees: contract fee vs charged fee
            assert (m["expected_fen"] == m["expected_fee_fen"]).all()
            assert (m["actual_fen"] == m["fee_fen"]).all()
        else:  # the key holds the amounts: what the mall expects vs what the bill says
            assert (m["expected_fen"] == m["ledger_fen"]).all(), cls
            assert (m["actual_fen"] == m["statement_fen"]).all(), cls
            assert (m["diff_fen"] == m["actual_fen"] - m["expected_fen"]).all()


def test_sample_mall_timing_rows(sample):
    mall, rec, cutoff = sample
    key = mall["answer_key"].discrepancies
    t = key[key["kind"] == "cross_midnight"]
    crossed = t[t["actual_fen"] != 0]  # paid before midnight, on the next day's bill
    m = rec.matched.set_index("txn_id").loc[crossed["txn_id"]]
    assert m["cross_day"].all() and (m["diff_fen"] == 0).all()
    # Billed after the sample's last day: in the pool if the mall's side is in the batch.
    later = t[t["actual_fen"] == 0]
    o = mall["orders"].set_index("order_id")["paid_at"]
    r = mall["refunds"].set_index("refund_id")["refunded_at"]
    when = np.where(later["refund_id"].notna(), r.reindex(later["refund_id"]).to_numpy(),
                    o.reindex(later["merchant_order_id"]).to_numpy())
    pooled = later[when < cutoff.to_datetime64()]
    src = np.where(later["refund_id"].notna(), "refunds", "orders")
    pos = np.where(later["refund_id"].notna(),
                   mall["refunds"]["refund_id"].reset_index(drop=True).pipe(
                       lambda x: pd.Index(x).get_indexer(later["refund_id"])),
                   pd.Index(mall["orders"]["order_id"]).get_indexer(later["merchant_order_id"]))
    it = rec.items.set_index(["source", "row"])["bucket"].astype(str)
    beyond = when >= cutoff.to_datetime64()  # the mall's side is after the batch too
    assert (it.loc[list(zip(src[beyond], pos[beyond], strict=True))] == "outside").all()
    pool = rec.pool[rec.pool["side"] == "ledger"]
    assert set(pooled["merchant_order_id"]) <= set(pool["merchant_order_id"])
    assert len(pool) == len(pooled) and (pool["age_days"] == 0).all()
    assert (pool["reason"] == "near the cut-off, counterpart not seen yet").all()
    assert len(crossed) + len(later) == len(t) >= 1


def test_sample_mall_nothing_lost(sample):
    mall, rec, _ = sample
    items = rec.items
    for source in ("orders", "refunds", "statements"):
        rows = items.loc[items["source"] == source, "row"]
        assert sorted(rows) == list(range(len(mall[source]))), source  # each row exactly once
    assert items["bucket"].notna().all()
    assert set(items["bucket"].astype(str)) <= set(BUCKETS)
    # Orders the gateway should not see are not expected; web alipay/wechat paid ones are.
    o = mall["orders"]
    expected = ((o["channel"] == "web") & o["payment_method"].isin(["alipay", "wechat"])
                & o["paid_at"].notna()).to_numpy()
    ob = items[items["source"] == "orders"].set_index("row")["bucket"].sort_index().astype(str)
    assert ob[~expected].isin(["not_expected", "status_mismatch"]).all()
    assert not (ob[expected] == "not_expected").any()


def test_sample_mall_ties_out_to_the_fen(sample):
    mall, rec, cutoff = sample
    s, o, r = mall["statements"], mall["orders"], mall["refunds"]
    # Independent recount from the raw tables, per provider, for the batch's days.
    stmt = s.groupby("provider")["amount_fen"].sum()
    web = o[(o["channel"] == "web") & o["payment_method"].isin(["alipay", "wechat"])]
    paid = web[web["paid_at"].between(rec.start, cutoff, inclusive="left")].groupby(
        "payment_method")["paid_fen"].sum()
    rf = r[r["refunded_at"] < cutoff].merge(web[["order_id", "payment_method"]], on="order_id")
    refunded = rf.groupby("payment_method")["amount_fen"].sum()
    tot = rec.totals.set_index("provider")
    for p in ("alipay", "wechat"):
        assert tot.loc[p, "statement_fen"] == stmt[p]
        assert tot.loc[p, "ledger_fen"] == paid[p] - refunded[p]
        # Identities from the detail frames, not from the summary's own columns.
        m = rec.matched[rec.matched["provider"] == p]
        e = rec.exceptions[rec.exceptions["provider"] == p]
        pool = rec.pool[rec.pool["provider"] == p]
        pool_s = pool.loc[pool["side"] == "statement", "amount_fen"].sum()
        pool_l = pool.loc[pool["side"] == "ledger", "amount_fen"].sum()
        assert stmt[p] == m["statement_fen"].sum() + e["statement_fen"].sum() + pool_s
        assert paid[p] - refunded[p] == m["ledger_fen"].sum() + e["ledger_fen"].sum() + pool_l
        # Net settlement = gross - refunds - fee, from the bill alone.
        sp = s[s["provider"] == p]
        assert tot.loc[p, "net_fen"] == sp["amount_fen"].sum() - sp["fee_fen"].sum()
        assert tot.loc[p, "gross_fen"] == sp.loc[sp["kind"] == "payment", "amount_fen"].sum()
    assert rec.summary["ledger_ties"].all() and rec.summary["statement_ties"].all()
    days = (rec.end - rec.start).days + 1
    assert len(rec.summary) == 2 * days  # every provider and day, empty days included


def test_sample_mall_daily_runs_chain_through_the_pool(mall, rec):
    o, r, s = mall["orders"], mall["refunds"], mall["statements"]
    pool, found, cleared = None, [], 0
    # A daily feed: the order table as of that day, that day's refunds and bill.
    for d in pd.date_range("2025-09-10", "2025-09-20"):
        nd = d + pd.Timedelta(days=1)
        day = reconcile(o[o["created_at"] < nd],
                        r[(r["refunded_at"] >= d) & (r["refunded_at"] < nd)],
                        s[(s["occurred_at"] >= d) & (s["occurred_at"] < nd)],
                        start=d, end=d, pool=pool)
        assert day.summary["ledger_ties"].all() and day.summary["statement_ties"].all()
        cleared += int(day.matched["pool_in"].sum())
        found.append(day.exceptions)
        pool = day.pool
    got = pd.concat(found)
    full = rec.exceptions[rec.exceptions["day"].between("2025-09-10", "2025-09-20")]
    key = ["class", "merchant_order_id", "txn_id"]
    pd.testing.assert_frame_equal(
        got[key].astype(str).sort_values(key).reset_index(drop=True),
        full[key].astype(str).sort_values(key).reset_index(drop=True))
    assert cleared >= 1  # the 2025-09-14 23:56 payment billed after midnight cleared next day
    assert len(pool) == 0


def test_inputs_not_mutated(mall, not_mutated):
    not_mutated(reconcile, mall["orders"], mall["refunds"], mall["statements"],
                start="2025-11-01", end="2025-11-30")


# ----------------------------------------------------------------------- matching passes
def test_partial_refunds_pair_by_refund_id_whatever_the_row_order():
    # Ledger: pay 100.00, refund 30.00 then 20.00. Gateway lists refund 20, pay, refund 30
    # (the row-order pairing of datacompy reports 3 false mismatches here; reference note).
    o = orders([pay("W1", 10000, 0)])
    r = refunds([("R1", "W1", 3000, 60), ("R2", "W1", 2000, 90)])
    s = statements([("alipay", "T1", "W1", "R2", -2000, 91, None),
                    ("alipay", "T1", "W1", None, 10000, 1, None),
                    ("alipay", "T1", "W1", "R1", -3000, 61, None)])
    res = reconcile(o, r, s, **DAY)
    assert len(res.exceptions) == 0
    m = res.matched.dropna(subset=["refund_id"]).set_index("refund_id")
    assert m["statement_fen"].to_dict() == {"R1": -3000, "R2": -2000}
    assert (m["diff_fen"] == 0).all() and len(res.matched) == 3


def test_refund_with_unknown_refund_id_pairs_on_order_and_amount():
    # Alipay uses the order id as 退款请求号 when the merchant sent none.
    o = orders([pay("W1", 10000, 0)])
    r = refunds([("R1", "W1", 3000, 60), ("R2", "W1", 2000, 90)])
    s = statements([("alipay", "T1", "W1", None, 10000, 1, None),
                    ("alipay", "T1", "W1", "W1", -2000, 91, None),
                    ("alipay", "T1", "W1", "W1x", -3000, 61, None)])
    res = reconcile(o, r, s, **DAY)
    assert len(res.exceptions) == 0
    assert sorted(res.matched["pass"].astype(str)) == ["key", "order_amount", "order_amount"]


def test_keyless_rows_pair_on_amount_and_time_within_the_window():
    o = orders([pay("W1", 8800, 600), pay("W2", 4500, 700)])
    s = statements([("wechat", "T1", None, None, 8800, 605, None),  # 5 min after: pairs
                    ("alipay", "T2", None, None, 4500, 760, None)])  # 60 min after: too far
    o["payment_method"] = ["wechat", "alipay"]
    res = reconcile(o, NO_REFUNDS, s, **DAY)
    assert res.matched["merchant_order_id"].tolist() == ["W1"]
    assert res.matched["pass"].astype(str).tolist() == ["amount_time"]
    assert sorted(res.exceptions["class"]) == ["missing_in_ledger", "missing_in_statement"]
    wide = reconcile(o, NO_REFUNDS, s, **DAY, window="2h")
    assert len(wide.exceptions) == 0


def test_each_exception_class_with_both_sides_and_a_signed_difference():
    o = orders([pay("W1", 10000, 0), pay("W2", 5000, 10), pay("W3", 7000, 20),
                pay("W4", 3000, 30), pay("W5", 2000, None, status="cancelled"),
                pay("W6", 6000, 50), pay("W7", 1000, 60, method="wechat"),
                pay("W8", 9000, 70)])
    r = refunds([("R6", "W6", 1500, 300)])
    s = statements([
        ("alipay", "T1", "W1", None, 10000, 1, None),    # matched
        ("alipay", "T1b", "W1", None, 10000, 4, None),   # duplicate charge
        ("alipay", "T2", "W2", None, 5002, 11, None),    # amount +2 fen
        # W3: not on the bill -> missing_in_statement
        ("alipay", "T4", "W4", None, 3000, 31, 99),      # fee 99 instead of 18
        ("alipay", "T5", "W5", None, 2000, 41, None),    # paid at gateway, cancelled here
        ("alipay", "T6", "W6", None, 6000, 51, None),
        ("alipay", "T6", "W6", "R6", -1400, 301, None),  # refund short by 1.00
        ("alipay", "T7", "W7", None, 1000, 61, None),    # wechat order paid via alipay
        ("alipay", "T9", "Z9", None, 4321, 90, None),    # unknown order -> missing_in_ledger
        ("alipay", "T8", "W8", None, 9000, 71, None),
    ])
    res = reconcile(o, r, s, **DAY)
    e = res.exceptions[res.exceptions["class"] != "status_mismatch"].set_index("class")
    assert sorted(res.exceptions["class"]) == sorted([*CLASSES, "status_mismatch"])
    assert e.loc["duplicate", ["txn_id", "ledger_fen", "statement_fen"]].tolist() == [
        "T1b", 0, 10000]
    assert e.loc["amount_mismatch", ["ledger_fen", "statement_fen", "diff_fen"]].tolist() == [
        5000, 5002, 2]
    assert e.loc["missing_in_statement", ["merchant_order_id", "diff_fen"]].tolist() == [
        "W3", -7000]
    assert e.loc["fee_mismatch", ["expected_fee_fen", "fee_fen", "fee_diff_fen"]].tolist() == [
        18, 99, 81]  # 0.6 % of 30.00 = 0.18
    assert e.loc["refund_mismatch", ["ledger_fen", "statement_fen", "diff_fen"]].tolist() == [
        -1500, -1400, 100]
    assert e.loc["missing_in_ledger", ["merchant_order_id", "statement_fen"]].tolist() == [
        "Z9", 4321]
    sm = res.exceptions[res.exceptions["class"] == "status_mismatch"].set_index(
        "merchant_order_id")
    assert sm.loc["W5", "note"].startswith("mall order is cancelled")
    assert sm.loc["W5", "note_zh"] == "平台订单已取消，渠道 web，支付方式 alipay，应付 ¥20.00"
    assert e.loc["fee_mismatch", "note_zh"] == "实收手续费 ¥0.99，按合同费率应为 ¥0.18"
    assert e.loc["duplicate", "note_zh"].startswith("同一商户订单号/退款单号")
    assert sm.loc["W7", ["ledger_fen", "statement_fen"]].tolist() == [1000, 1000]
    assert res.summary["ledger_ties"].all() and res.summary["statement_ties"].all()
    assert res.totals.set_index("provider").loc["alipay", "exceptions_n"] == len(CLASSES) + 1


def test_revoked_gateway_status_is_a_status_mismatch():
    o = orders([pay("W1", 10000, 0)])
    s = statements([("wechat", "T1", "W1", None, 10000, 1, None)]).assign(
        gateway_status="REVOKED")
    o["payment_method"] = "wechat"
    res = reconcile(o, NO_REFUNDS, s, **DAY)
    assert res.exceptions["class"].tolist() == ["status_mismatch"]
    assert res.exceptions.loc[0, "note"].endswith("the gateway marks the payment failed or "
                                                  "revoked")
    assert res.exceptions.loc[0, "note_zh"].endswith("；渠道交易状态为失败/撤销")


def test_tolerance_matches_small_differences_and_still_ties():
    o = orders([pay("W1", 10000, 0)])
    s = statements([("alipay", "T1", "W1", None, 10001, 1, None)])
    assert reconcile(o, NO_REFUNDS, s, **DAY).exceptions["class"].tolist() == ["amount_mismatch"]
    res = reconcile(o, NO_REFUNDS, s, **DAY, tolerance_fen=1)
    assert res.matched["diff_fen"].tolist() == [1]
    t = res.totals.iloc[0]
    assert (t["matched_ledger_fen"], t["matched_statement_fen"]) == (10000, 10001)
    assert t["ledger_ties"] and t["statement_ties"]


def test_fee_check_per_provider_rate_or_off():
    o = orders([pay("W1", 12500, 0)])
    s = statements([("alipay", "T1", "W1", None, 12500, 1, 48)])  # 0.38 % of 125.00 = 47.5
    assert reconcile(o, NO_REFUNDS, s, **DAY, fee_rates={"alipay": "0.0038"}).exceptions.empty
    assert reconcile(o, NO_REFUNDS, s, **DAY, fee_rates=None).exceptions.empty
    assert reconcile(o, NO_REFUNDS, s, **DAY).exceptions["class"].tolist() == ["fee_mismatch"]


def test_refund_fee_returned_pro_rata_or_kept_per_contract():
    """A refund of 40.00 on a 0.6 % contract: the fee comes back (−0.24, the default) or
    the gateway keeps it (0), as the merchant's contract says; the other setting is a
    fee_mismatch on the refund row, and only there."""
    o = orders([pay("W1", 12500, 0)])
    r = refunds([("R1", "W1", 4000, 60)])

    def bill(refund_fee_fen):
        return statements([("alipay", "T1", "W1", None, 12500, 1, 75),
                           ("alipay", "T1", "W1", "R1", -4000, 61, refund_fee_fen)])

    returned, kept = bill(-24), bill(0)
    assert reconcile(o, r, returned, **DAY).exceptions.empty
    assert reconcile(o, r, kept, **DAY, refund_fee={"alipay": "kept"}).exceptions.empty
    e = reconcile(o, r, kept, **DAY).exceptions
    assert e[["class", "refund_id", "fee_fen", "expected_fee_fen"]].values.tolist() == [
        ["fee_mismatch", "R1", 0, -24]]
    e = reconcile(o, r, returned, **DAY, refund_fee={"alipay": "kept"}).exceptions
    assert e[["class", "fee_fen", "expected_fee_fen"]].values.tolist() == [
        ["fee_mismatch", -24, 0]]
    with pytest.raises(ReconciliationError, match="refund_fee values must be 'pro_rata' or"):
        reconcile(o, r, kept, **DAY, refund_fee={"alipay": "none"})


def test_expected_fee_rounds_half_up_like_decimal():
    amounts = np.array([1, 83, 84, 250, 1250, 82200, 99_999_999, -250, -83])
    ref = [int((Decimal(abs(int(a))) * Decimal("0.006")).quantize(1, ROUND_HALF_UP))
           * (1 if a >= 0 else -1) for a in amounts]
    assert expected_fee(amounts, rate="0.006").tolist() == ref
    assert expected_fee(amounts, rate=0.006).tolist() == ref


# ----------------------------------------------------------------------- timing and pool
def test_timing_goes_to_the_pool_and_clears_next_day():
    o = orders([pay("W1", 10000, 23 * 60 + 59)])  # 23:59 on the 11th
    s = statements([("alipay", "T1", "W1", None, 10000, 24 * 60 + 2, None)])  # 00:02 the 12th
    d1 = reconcile(o, NO_REFUNDS, s, **DAY)
    assert buckets(d1) == ["timing", "outside"]
    assert d1.pool["reason"].tolist() == ["counterpart in the next period"]
    assert d1.totals.iloc[0]["pool_out_ledger_fen"] == 10000
    # Without the next bill yet: still timing (near the cut-off), not a missing payment.
    d1b = reconcile(o, NO_REFUNDS, s.iloc[:0], **DAY)
    assert d1b.exceptions.empty and len(d1b.pool) == 1
    d2 = reconcile(o, NO_REFUNDS, s, start="2026-11-12", end="2026-11-12", pool=d1b.pool)
    assert d2.matched["pool_in"].tolist() == [True] and d2.pool.empty
    row = d2.summary.set_index("provider").loc["alipay"]
    assert (row["ledger_fen"], row["pool_in_ledger_fen"], row["statement_fen"]) == (
        0, 10000, 10000)
    assert row["ledger_ties"] and row["statement_ties"]


def test_pool_kept_as_parquet_or_csv_between_runs(tmp_path):
    """Finance keeps the pool in a file between days: read back from Parquet or from a
    plain ``pd.read_csv`` (28-digit trade numbers come back as Python ints), it clears
    the same way as the frame itself; a float id (digits already lost) is refused."""
    txn = "4200002361202611111150650780"
    o = orders([pay("W1", 10000, 23 * 60 + 59), pay("W2", 5000, 60)])
    s = statements([("wechat", txn, "W1", None, 10000, 23 * 60 + 58, None),
                    ("wechat", "T2", "W2", None, 5000, 62, None)])
    o.loc[0, "payment_method"] = "wechat"
    o.loc[1, "payment_method"] = "wechat"
    d1 = reconcile(o.iloc[1:], NO_REFUNDS, s, **DAY)  # W1 not in the mall's export yet
    assert d1.pool[["side", "txn_id"]].values.tolist() == [["statement", txn]]
    d1.pool.to_parquet(tmp_path / "pool.parquet")
    d1.pool.to_csv(tmp_path / "pool.csv", index=False)
    nxt = {"start": "2026-11-12", "end": "2026-11-12"}
    want = reconcile(o, NO_REFUNDS, s, **nxt, pool=d1.pool)
    assert want.matched["txn_id"].tolist() == [txn] and want.pool.empty
    for back in (pd.read_parquet(tmp_path / "pool.parquet"), pd.read_csv(tmp_path / "pool.csv")):
        got = reconcile(o, NO_REFUNDS, s, **nxt, pool=back)
        pd.testing.assert_frame_equal(got.summary, want.summary)
        assert got.matched["txn_id"].tolist() == [txn]
    bad = d1.pool.assign(txn_id=[4.2e27])
    with pytest.raises(SchemaError, match=r"table 'pool': column 'txn_id'.*float id loses"):
        reconcile(o, NO_REFUNDS, s, **nxt, pool=bad)


def test_gateway_row_before_the_mall_pools_on_the_statement_side():
    # The gateway bills 23:59:50 on the 11th; the mall records the payment at 00:00:05.
    o = orders([pay("W1", 10000, 24 * 60 + 0.1)])
    s = statements([("alipay", "T1", "W1", None, 10000, 23 * 60 + 59.8, None)])
    d1 = reconcile(o, NO_REFUNDS, s, **DAY)
    assert buckets(d1) == ["outside", "timing"] and d1.exceptions.empty
    assert d1.pool["side"].tolist() == ["statement"]
    again = reconcile(o, NO_REFUNDS, s, **DAY, pool=d1.pool)  # the pool row is on the bill
    pd.testing.assert_frame_equal(again.summary, d1.summary)
    assert len(again.items) == 2  # not counted twice
    d2 = reconcile(o, NO_REFUNDS, s.iloc[:0], start="2026-11-12", end="2026-11-12",
                   pool=d1.pool)
    row = d2.summary.set_index("provider").loc["alipay"]
    assert (row["ledger_fen"], row["statement_fen"], row["pool_in_statement_fen"]) == (
        10000, 0, 10000)
    assert d2.matched["pool_in"].tolist() == [True] and d2.pool.empty
    assert row["ledger_ties"] and row["statement_ties"]


def test_pool_items_escalate_after_max_age():
    o = orders([pay("W1", 10000, 23 * 60 + 50)])
    empty = statements([("alipay", "T0", "W0", None, 1, -10_000, None)]).iloc[:0]
    pool = reconcile(o, NO_REFUNDS, empty, **DAY).pool
    assert pool["since"].tolist() == [pd.Timestamp("2026-11-11")]
    d2 = reconcile(o, NO_REFUNDS, empty, start="2026-11-12", end="2026-11-12", pool=pool)
    assert d2.exceptions.empty and d2.pool["age_days"].tolist() == [1]
    d3 = reconcile(o, NO_REFUNDS, empty, start="2026-11-13", end="2026-11-13", pool=d2.pool)
    e = d3.exceptions
    assert e["class"].tolist() == ["missing_in_statement"] and e["escalated"].all()
    assert d3.pool.empty
    assert d3.summary["ledger_ties"].all()


def test_unmatched_midday_item_is_missing_at_once():
    o = orders([pay("W1", 10000, 12 * 60)])
    empty = statements([("alipay", "T0", "W0", None, 1, -10_000, None)]).iloc[:0]
    assert reconcile(o, NO_REFUNDS, empty, **DAY).exceptions["class"].tolist() == [
        "missing_in_statement"]


def test_rerun_is_idempotent(mall):
    o, r, s = mall["orders"], mall["refunds"], mall["statements"]
    a = reconcile(o, r, s, start="2025-09-14", end="2025-09-14")
    b = reconcile(o, r, s, start="2025-09-14", end="2025-09-14")
    pd.testing.assert_frame_equal(a.summary, b.summary)
    # Feeding a day's own pool back into the same day changes nothing.
    c = reconcile(o, r, s, start="2025-09-14", end="2025-09-14", pool=a.pool)
    pd.testing.assert_frame_equal(a.summary, c.summary)
    pd.testing.assert_frame_equal(a.exceptions, c.exceptions)
    pd.testing.assert_frame_equal(a.pool, c.pool)


def test_per_row_tables_are_built_later_from_the_inputs_as_passed():
    """items and matched are built on first access: editing the caller's frames after
    reconcile returns must not change them (copy-on-write keeps the id columns as passed),
    and a second access returns the same table."""
    o = orders([pay("W1", 10000, 0), pay("W2", 5000, 5)])
    s = statements([("alipay", "T1", "W1", None, 10000, 1, None),
                    ("alipay", "T2", "W2", None, 5000, 6, None)])
    res = reconcile(o, NO_REFUNDS, s, **DAY)
    o.loc[0, "order_id"] = "EDITED"
    s.loc[1, "txn_id"] = "EDITED"
    s.loc[0, "amount_fen"] = 1
    assert res.matched["merchant_order_id"].tolist() == ["W1", "W2"]
    assert res.matched["txn_id"].tolist() == ["T1", "T2"]
    assert res.items["amount_fen"].tolist() == [10000, 5000, 10000, 5000]
    assert res.items is res.items and res.matched is res.matched


def test_exception_ids_are_unique_and_follow_a_difference_across_runs(mall, rec):
    """Finance annotates exceptions by id: the id of a difference must be the same in the
    month's run and in the run of its own day, and never shared by two differences."""
    ids = rec.exceptions["exception_id"]
    assert ids.is_unique and ids.str.fullmatch(r"[0-9a-f]{16}").all()
    o, r, s = mall["orders"], mall["refunds"], mall["statements"]
    mid = rec.exceptions[(rec.exceptions["day"].dt.day.between(5, 25))]
    for day, want in mid.groupby("day"):
        d = str(day.date())
        one = reconcile(o, r, s, start=d, end=d).exceptions
        got = one.set_index("exception_id").loc[want["exception_id"]]
        # the same rows: same class and the same ids on both sides
        for col in ("class", "merchant_order_id", "txn_id", "ledger_fen", "statement_fen"):
            assert got[col].tolist() == want[col].tolist(), (d, col)


def test_ids_are_read_from_the_first_source_that_has_them():
    """The id columns of items/matched/exceptions: parts laid end to end (offset, Series),
    several sources in priority order, nulls where none has the row (expected by hand)."""
    from mallkit.matching import _take2

    a = [(0, pd.Series(["a0", "a1"], dtype="str")), (2, pd.Series(["a2"], dtype="str"))]
    b = [(5, pd.Series(["b5", "b6"], dtype="str"))]
    got = _take2(a, np.array([2, -1, 0, -1, 9, 1]), b, np.array([5, 6, 6, -1, -1, -1]))
    assert got.isna().tolist() == [False, False, False, True, True, False]
    assert got.dropna().tolist() == ["a2", "b6", "a0", "a1"] and str(got.dtype) == "str"


# ----------------------------------------------------------------------- errors
def test_bad_arguments_raise_clear_errors():
    o = orders([pay("W1", 10000, 0)])
    s = statements([("alipay", "T1", "W1", None, 10000, 1, None)])
    with pytest.raises(PeriodError, match="end 2026-11-10 is before start 2026-11-11"):
        reconcile(o, NO_REFUNDS, s, start="2026-11-11", end="2026-11-10")
    with pytest.raises(PeriodError, match="whole days"):
        reconcile(o, NO_REFUNDS, s, start="2026-11-11 08:00", end="2026-11-11")
    with pytest.raises(ReconciliationError, match=r"fee_rates\['alipay'\] = '0.6%'"):
        reconcile(o, NO_REFUNDS, s, **DAY, fee_rates={"alipay": "0.6%"})
    with pytest.raises(ReconciliationError, match="tolerance_fen must be a non-negative"):
        reconcile(o, NO_REFUNDS, s, **DAY, tolerance_fen=0.5)
    with pytest.raises(MissingColumnsError, match=r"pool is missing column.*since"):
        reconcile(o, NO_REFUNDS, s, **DAY, pool=pd.DataFrame({"side": ["ledger"]}))
    r = refunds([("R1", "W404", 100, 5)])
    with pytest.raises(ReconciliationError, match=r"'refunds'.*'order_id'.*R1 -> W404"):
        reconcile(o, r, s, **DAY)
    with pytest.raises(SchemaError, match="table 'statements': column 'amount_fen'"):
        reconcile(o, NO_REFUNDS, s.assign(amount_fen=s["amount_fen"] / 100), **DAY)


# ----------------------------------------------------------------------- properties
FAULTS = ("drop", "amount", "dup", "extra", "fee", "status", "refund_amount")


@st.composite
def ledgers_with_faults(draw):
    n = draw(st.integers(1, 25))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    minutes = rng.integers(0, 60 * 22, n)  # all paid before 22:00, far from the cut-off
    fen = rng.integers(100, 50_000, n)
    method = np.where(rng.random(n) < 0.5, "alipay", "wechat")
    o = orders([pay(f"W{i}", int(fen[i]), int(minutes[i]), str(method[i])) for i in range(n)])
    refund_rows, stmt = [], []
    for i in range(n):
        stmt.append((method[i], f"T{i}", f"W{i}", None, int(fen[i]), int(minutes[i]) + 1, None))
        if rng.random() < 0.4:  # one or two partial refunds
            left = int(fen[i])
            for k in range(int(rng.integers(1, 3))):
                amt = int(rng.integers(1, max(2, left // 2)))
                left -= amt
                rid = f"R{i}_{k}"
                refund_rows.append((rid, f"W{i}", amt, int(minutes[i]) + 10 + k))
                stmt.append((method[i], f"T{i}", f"W{i}", rid, -amt, int(minutes[i]) + 11 + k,
                             None))
    s = statements(stmt)
    r = refunds(refund_rows)
    faults = draw(st.lists(st.sampled_from(FAULTS), max_size=6))
    template = s.loc[0].copy()  # the first payment row, for rows the test makes up
    expected = []
    pays = [j for j in range(len(s)) if s.loc[j, "kind"] == "payment"]
    refs = [j for j in range(len(s)) if s.loc[j, "kind"] == "refund"]
    used: set[int] = set()
    extra_rows = []
    for f in faults:
        pool = refs if f == "refund_amount" else pays
        free = [j for j in pool if j not in used]
        if f in ("extra", "status"):
            free = [0]
        if not free:
            continue
        j = free[int(rng.integers(len(free)))]
        if f not in ("extra", "status"):
            used.add(j)
        row = template.copy() if f in ("extra", "status") else s.loc[j].copy()
        if f == "drop":
            s = s.drop(index=j)
            expected.append(("missing_in_statement", row["merchant_order_id"]))
        elif f == "amount":
            s.loc[j, "amount_fen"] += int(rng.choice([-2, -1, 1, 3]))
            expected.append(("amount_mismatch", row["merchant_order_id"]))
        elif f == "refund_amount":
            s.loc[j, "amount_fen"] -= 1
            expected.append(("refund_mismatch", row["merchant_order_id"]))
        elif f == "fee":
            s.loc[j, "fee_fen"] += 7
            expected.append(("fee_mismatch", row["merchant_order_id"]))
        elif f == "dup":
            row["txn_id"] = row["txn_id"] + "d"
            row["occurred_at"] += pd.Timedelta(minutes=3)
            extra_rows.append(row)
            expected.append(("duplicate", row["merchant_order_id"]))
        elif f == "extra":  # an amount no order has, so amount + time cannot pair it
            k = len(extra_rows)
            row.update({"txn_id": f"X{k}", "merchant_order_id": f"X{k}", "refund_id": None,
                        "kind": "payment", "amount_fen": 9_000_000 + k, "fee_fen": 54_000})
            extra_rows.append(row)
            expected.append(("missing_in_ledger", f"X{k}"))
        elif f == "status":
            k = len(o)
            o = pd.concat([o, orders([pay(f"C{k}", 777, None, None, status="cancelled")])],
                          ignore_index=True)
            row.update({"txn_id": f"S{k}", "merchant_order_id": f"C{k}", "refund_id": None,
                        "kind": "payment", "amount_fen": 777, "fee_fen": 5})
            extra_rows.append(row)
            expected.append(("status_mismatch", f"C{k}"))
    if extra_rows:
        s = pd.concat([s, pd.DataFrame(extra_rows)], ignore_index=True)
    s = s.sample(frac=1, random_state=int(rng.integers(1000))).reset_index(drop=True)
    return o, r, s, sorted(expected)


@settings(max_examples=60, deadline=None)
@given(ledgers_with_faults())
def test_property_every_row_accounted_every_fault_found(case):
    o, r, s, expected = case
    res = reconcile(o, r, s, **DAY)
    items = res.items
    for name, df in (("orders", o), ("refunds", r), ("statements", s)):
        assert sorted(items.loc[items["source"] == name, "row"]) == list(range(len(df)))
    got = sorted(zip(res.exceptions["class"], res.exceptions["merchant_order_id"], strict=True))
    assert got == expected  # every injected fault, and nothing else
    assert res.summary["ledger_ties"].all() and res.summary["statement_ties"].all()
    # Each side's total is what its rows say (independent recount of the inputs).
    t = res.totals
    assert t["statement_fen"].sum() == s["amount_fen"].sum()
    assert t["ledger_fen"].sum() == o["paid_fen"][o["paid_at"].notna()].sum() - r[
        "amount_fen"].sum()
    # Every statement row is matched, an exception, or in the pool: counted once.
    n_stmt = len(res.matched) + (res.exceptions["statement_item"] >= 0).sum()
    assert n_stmt + (res.pool["side"] == "statement").sum() == len(s)


@settings(max_examples=40, deadline=None)
@given(ledgers_with_faults())
def test_property_payment_serials_change_nothing_but_the_ids(case):
    """The same mall when it sends the gateway a payment serial (P…) instead of the order
    id: with merchant_order_col the buckets of every row and the exceptions are the same
    (an independent relabelling of the inputs, not of the result)."""
    o, r, s, expected = case
    base = reconcile(o, r, s, **DAY)
    serial = {oid: "P" + oid for oid in o["order_id"]}
    o2 = o.assign(payment_no=o["order_id"].map(serial))
    s2 = s.assign(merchant_order_id=s["merchant_order_id"].map(serial).fillna(
        s["merchant_order_id"]))
    res = reconcile(o2, r, s2, **DAY, merchant_order_col="payment_no")
    pd.testing.assert_series_equal(res.items["bucket"], base.items["bucket"])
    pd.testing.assert_frame_equal(res.summary, base.summary)
    got = sorted(zip(res.exceptions["class"], res.exceptions["merchant_order_id"], strict=True))
    assert got == sorted((c, serial.get(m, m)) for c, m in expected)


def test_combined_payment_is_one_ledger_item_of_several_orders():
    """合并支付: W1 (60.00) and W2 (40.00) paid as one Alipay trade P1 of 100.00; W3 paid
    under its own serial P3; W4 sent as its order id; W5 (P5) never reached the bill.
    Refunds of W2: R2 (15.00) with its refund id on the bill; R1 (5.00) whose refund id
    the bill does not carry, paired on the payment (P1, through W1) and the amount.
    Expected by hand."""
    o = orders([pay("W1", 6000, 0), pay("W2", 4000, 0), pay("W3", 3000, 10),
                pay("W4", 2000, 20), pay("W5", 5000, 30)])
    o["payment_no"] = ["P1", "P1", "P3", None, "P5"]
    r = refunds([("R2", "W2", 1500, 60), ("R1", "W2", 500, 70)])
    s = statements([("alipay", "T1", "P1", None, 10000, 1, None),
                    ("alipay", "T3", "P3", None, 3000, 11, None),
                    ("alipay", "T4", "W4", None, 2000, 21, None),
                    ("alipay", "T1", "P1", "R2", -1500, 61, None),
                    ("alipay", "T1", "P1", "GW-77", -500, 71, None)])
    res = reconcile(o, r, s, **DAY, merchant_order_col="payment_no")
    it = res.items
    assert it.loc[it["source"] == "orders", "bucket"].astype(str).tolist() == [
        "matched", "matched", "matched", "matched", "missing_in_statement"]
    assert it.loc[it["source"] == "orders", "amount_fen"].tolist() == [10000, 0, 3000, 2000,
                                                                       5000]
    assert (it.loc[it["source"] != "orders", "bucket"] == "matched").all()
    assert it.loc[1, "pair"] == it.loc[0, "pair"] == len(o) + len(r)  # both on bill row 0
    assert res.exceptions[["class", "merchant_order_id", "ledger_fen"]].values.tolist() == [
        ["missing_in_statement", "P5", 5000]]
    m = res.matched.set_index("txn_id")
    assert m.loc["T1", "merchant_order_id"].tolist() == ["P1", "P1", "P1"]
    assert sorted(m.loc["T1", "pass"].astype(str)) == ["key", "key", "order_amount"]
    t = res.totals.iloc[0]
    assert (t["ledger_n"], t["ledger_fen"], t["statement_fen"]) == (6, 18000, 13000)
    assert t["ledger_ties"] and t["statement_ties"]
    # Without the column the gateway's P… ids name no order: the very differences
    # finance would otherwise chase by hand.
    plain = reconcile(o.drop(columns="payment_no"), r, s, **DAY)
    assert {"missing_in_ledger", "missing_in_statement"} <= set(plain.exceptions["class"])
    with pytest.raises(MissingColumnsError, match="has no column 'pay_no'"):
        reconcile(o, r, s, **DAY, merchant_order_col="pay_no")


def test_a_missing_combined_payment_names_its_orders():
    o = orders([pay("W5", 5000, 30), pay("W6", 1000, 30), pay("W8", 500, 40)])
    o["payment_no"] = ["P5", "P5", "P8"]
    s = statements([("alipay", "T8", "P8", None, 500, 41, None)])
    e = reconcile(o, NO_REFUNDS, s, **DAY, merchant_order_col="payment_no").exceptions
    assert e[["class", "merchant_order_id", "ledger_fen", "note", "note_zh"]].values.tolist() == [
        ["missing_in_statement", "P5", 6000, "combined payment of orders W5, W6",
         "合并支付，含订单 W5, W6"]]


def test_combined_payment_across_midnight_pools_as_one_item():
    # W6 + W7 paid together (P6) at 23:59; Alipay bills the 110.00 at 00:01 the next day.
    o = orders([pay("W6", 7000, 23 * 60 + 59), pay("W7", 4000, 23 * 60 + 59)])
    o["payment_no"] = "P6"
    s = statements([("alipay", "T6", "P6", None, 11000, 24 * 60 + 1, None)])
    d1 = reconcile(o, NO_REFUNDS, s, **DAY, merchant_order_col="payment_no")
    assert buckets(d1) == ["timing", "timing", "outside"]
    assert d1.pool[["side", "merchant_order_id", "amount_fen"]].values.tolist() == [
        ["ledger", "P6", 11000]]
    d2 = reconcile(o, NO_REFUNDS, s, start="2026-11-12", end="2026-11-12", pool=d1.pool,
                   merchant_order_col="payment_no")
    assert d2.matched[["merchant_order_id", "pool_in"]].values.tolist() == [["P6", True]]
    assert d2.pool.empty and d2.exceptions.empty


@pytest.mark.parametrize("scale", [1, 2**40])
def test_isum_exact_against_python_ints(scale):
    # Oracle: Python's arbitrary-precision int sums per key. scale 1 takes the single float64
    # bincount (n * max|v| < 2**53); 2**40 (|v| ~ 2**50, sums < 2**63) the 24-bit split.
    from mallkit.reconcile import _isum

    rng = np.random.default_rng(7)
    key = rng.integers(0, 5, 2000)
    v = rng.integers(-1000, 1000, 2000) * scale + rng.integers(-3, 4, 2000)
    want = [sum(int(x) for x in v[key == k]) for k in range(6)]
    assert _isum(key, v, 6).tolist() == want
