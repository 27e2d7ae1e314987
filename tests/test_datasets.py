"""The sample mall: valid, deterministic, conserved, and realistic where later issues need it.

Expected numbers here are recomputed independently from the generated rows (plain
integer arithmetic per order), or are properties of the generator's documented plan
(``_PROMO_PLAN``, ``EVENT_UPLIFT``); each test says which.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from mallkit.datasets import TABLE_NAMES, make_sample_mall
from mallkit.schema import PAID_STATUSES, validate


@pytest.fixture(scope="module")
def mall():
    # A fixed two-year window so the test does not depend on today's date.
    return make_sample_mall(seed=0, start="2024-11-26", end="2026-11-25")


def test_every_table_is_canonical(mall):
    for name in TABLE_NAMES:
        df = mall[name]
        assert len(df) > 0, name
        pd.testing.assert_frame_equal(validate(df, name), df)


def test_deterministic_per_seed():
    a = make_sample_mall(seed=5, start="2025-01-01", end="2025-02-28", n_customers=400)
    b = make_sample_mall(seed=5, start="2025-01-01", end="2025-02-28", n_customers=400)
    c = make_sample_mall(seed=6, start="2025-01-01", end="2025-02-28", n_customers=400)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["orders"].equals(c["orders"])


def test_default_window_is_two_years_to_yesterday():
    m = make_sample_mall(seed=1, n_customers=300)
    yesterday = pd.Timestamp.today().normalize() - pd.Timedelta(days=1)
    assert m["inventory"]["date"].max() == yesterday
    assert m["inventory"]["date"].min() == yesterday - pd.DateOffset(years=2) + pd.Timedelta(days=1)


def test_bad_window_is_rejected():
    with pytest.raises(ValueError, match="end 2025-01-01 is before start 2025-02-01"):
        make_sample_mall(start="2025-02-01", end="2025-01-01")


def test_orders_equal_the_sum_of_their_lines(mall):
    o, lines = mall["orders"].set_index("order_id"), mall["order_lines"]
    per = lines.assign(goods=lines["qty"] * lines["unit_price_fen"]).groupby("order_id")[
        ["goods", "discount_fen", "paid_fen"]].sum()
    assert set(per.index) == set(o.index)  # every order has lines, every line an order
    per = per.reindex(o.index)
    assert (per["goods"] == o["goods_fen"]).all()
    assert (per["discount_fen"] == o["discount_fen"]).all()
    assert (per["paid_fen"] + o["shipping_fen"] == o["paid_fen"]).all()


def test_refunds_never_exceed_what_was_paid(mall):
    o, r = mall["orders"].set_index("order_id"), mall["refunds"]
    assert r["order_id"].isin(o.index[o["status"].isin(PAID_STATUSES)]).all()
    total = r.groupby("order_id")["amount_fen"].sum()
    assert (total <= o.loc[total.index, "paid_fen"]).all()
    assert (r["refunded_at"].to_numpy() > o.loc[r["order_id"], "paid_at"].to_numpy()).all()
    # Full and partial, and several refunds on one order, all occur.
    assert (r.groupby("order_id").size() > 1).any()
    full = total == o.loc[total.index, "paid_fen"]
    assert full.any() and (~full).any()


def _scope_goods(mall, promo):
    """Independent recomputation: goods in scope per order created during the promotion."""
    o, lines, prod = mall["orders"], mall["order_lines"], mall["products"]
    live = o[(o["created_at"] >= promo.start) & (o["created_at"] <= promo.end)]
    li = lines[lines["order_id"].isin(live["order_id"])].merge(prod[["sku", "category"]], on="sku")
    if promo.scope != "all":
        li = li[li["category"] == promo.scope.split(":", 1)[1]]
    return li.assign(g=li["qty"] * li["unit_price_fen"]).groupby("order_id").agg(
        goods=("g", "sum"), units=("qty", "sum"), disc=("discount_fen", "sum"))


@pytest.mark.parametrize("mechanic", ["per_full_reduction", "tiered_reduction",
                                      "full_reduction", "percent_off"])
def test_order_level_discounts_follow_the_mechanic(mall, mechanic):
    # Expected discount per order recomputed from the promotion's params by hand rules:
    # 每满300减50 = floor(goods/300)*50 capped; tiered = highest tier reached; 满200减20;
    # 满2件9折 = 10 % of goods (half up) when 2+ units.
    promo = mall["promotions"].query("mechanic == @mechanic").iloc[0]
    par = json.loads(promo.params)
    g = _scope_goods(mall, promo)
    if mechanic == "per_full_reduction":
        exp = np.minimum(g["goods"] // par["step_fen"], par["max_times"]) * par["reduction_fen"]
    elif mechanic == "tiered_reduction":
        exp = pd.Series(0, index=g.index)
        for thr, red in par["tiers"]:
            exp = exp.where(g["goods"] < thr, red)
    elif mechanic == "full_reduction":
        exp = np.where(g["goods"] >= par["threshold_fen"], par["reduction_fen"], 0)
    else:
        exp = np.where(g["units"] >= 2, (g["goods"] * 10 + 50) // 100, 0)
    assert (g["disc"].to_numpy() == np.asarray(exp)).all()
    assert (np.asarray(exp) > 0).any()


def test_second_half_price_discounts_every_second_unit(mall):
    promo = mall["promotions"].query("mechanic == 'second_half_price'").iloc[0]
    o, lines, prod = mall["orders"], mall["order_lines"], mall["products"]
    live = o[(o["created_at"] >= promo.start) & (o["created_at"] <= promo.end)]["order_id"]
    li = lines[lines["order_id"].isin(live)].merge(prod[["sku", "category"]], on="sku")
    li = li[li["category"] == promo.scope.split(":", 1)[1]]
    assert (li["discount_fen"] == (li["qty"] // 2) * (li["unit_price_fen"] // 2)).all()
    assert (li["qty"] >= 2).mean() > 0.4  # shoppers take two


def test_every_mechanic_of_the_issue_is_present(mall):
    mech = set(mall["promotions"]["mechanic"])
    assert {"full_reduction", "per_full_reduction", "tiered_reduction", "percent_off",
            "coupon", "second_half_price"} <= mech


def _daily_lines(mall, category=None):
    lines = mall["order_lines"].merge(mall["orders"][["order_id", "created_at", "status"]])
    lines = lines[lines["status"].isin(PAID_STATUSES)]
    if category:
        lines = lines.merge(mall["products"][["sku", "category"]])
        lines = lines[lines["category"] == category]
    return lines.groupby(lines["created_at"].dt.normalize()).size()


def test_promotion_lift_matches_the_answer_key(mall):
    # The generator raises the scope's expected order lines by (1 + true_lift). Observed:
    # promotion days against the median day of weeks 2-5 before (the median shrugs off
    # an earlier event in that window). One category promotion sees ~12 lines a day, so
    # single ratios are noisy (±25 %); pooled over the 8 identifiable promotions the
    # ratio of observed to true is 1 within 10 % (seeds 0-3 gave 0.96-1.02).
    key = mall["answer_key"].promotions
    ratios = []
    for promo in key[key["identifiable"]].itertuples():
        cat = None if promo.scope == "all" else promo.scope.split(":", 1)[1]
        lines = _daily_lines(mall, cat)
        on = lines[promo.start:promo.end].mean()
        before = lines[promo.start - pd.Timedelta(days=35):promo.start - pd.Timedelta(days=8)]
        ratios.append(on / before.median() / (1 + promo.true_lift))
    assert len(ratios) == 8
    assert all(0.7 < r < 1.35 for r in ratios), ratios
    assert 0.9 < np.mean(ratios) < 1.1, ratios


def test_event_calendar_shapes_demand(mall):
    daily = mall["orders"].groupby(mall["orders"]["created_at"].dt.normalize()).size()
    nov11 = daily[pd.Timestamp("2025-11-11")]
    october = daily["2025-10-01":"2025-10-15"].median()
    assert nov11 > 3 * october  # 双11 several times a normal day (EVENT_UPLIFT: 6×)
    # Spring Festival 2026 (2026-02-17): couriers stop, sales drop below a normal week.
    stop = daily["2026-02-15":"2026-02-20"].mean()
    assert stop < 0.7 * daily["2026-03-02":"2026-03-15"].mean()


def test_customers_are_heterogeneous(mall):
    per = mall["orders"].groupby("customer_id").size()
    assert 0.3 < (per == 1).mean() < 0.7  # many one-off buyers
    assert (per >= 10).sum() > 100  # and a loyal core


def test_inventory_has_stockouts_and_slow_movers(mall):
    inv = mall["inventory"]
    assert (inv["on_hand"] >= 0).all()
    out = inv[inv["on_hand"] == 0]
    assert out["sku"].nunique() > 10
    sold = mall["order_lines"].groupby("sku")["qty"].sum().reindex(mall["products"]["sku"],
                                                                   fill_value=0)
    last = inv[inv["date"] == inv["date"].max()].set_index("sku")["on_hand"]
    cover_days = last / (sold / 730).clip(lower=1e-9)
    assert (cover_days > 365).sum() >= 3  # slow movers: over a year of cover


def test_statements_derive_from_own_site_orders_with_fees(mall):
    st, key = mall["statements"], mall["answer_key"].discrepancies
    o = mall["orders"].set_index("order_id")
    injected = set(key.loc[key["kind"] != "cross_midnight", "txn_id"])
    clean = st[(st["kind"] == "payment") & ~st["txn_id"].isin(injected)]
    assert (o.loc[clean["merchant_order_id"], "channel"] == "web").all()
    assert (clean["amount_fen"].to_numpy() == o.loc[clean["merchant_order_id"], "paid_fen"]
            .to_numpy()).all()
    # Fee: 0.6 % rounded half up, recomputed with Decimal.
    sample = clean.head(200)
    exp = [int((Decimal(a) * Decimal("0.006")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
           for a in sample["amount_fen"]]
    assert sample["fee_fen"].tolist() == exp
    refunds = st[st["kind"] == "refund"]
    assert (refunds["amount_fen"] < 0).all() and refunds["refund_id"].notna().all()


def test_injected_discrepancies_are_in_the_statements(mall):
    st, key = mall["statements"], mall["answer_key"].discrepancies
    o = mall["orders"].set_index("order_id")
    counts = key["kind"].value_counts()
    for kind in ("missing_in_statement", "missing_in_orders", "amount_mismatch", "duplicate",
                 "status_mismatch", "fee_mismatch"):
        assert counts.get(kind, 0) >= 3, kind
    by_txn = st.set_index(["txn_id", "kind"])
    for row in key.itertuples():
        if row.kind == "missing_in_statement":
            assert (row.txn_id, "payment") not in by_txn.index  # its refunds may remain
        elif row.kind == "amount_mismatch":
            got = by_txn.loc[(row.txn_id, "payment"), "amount_fen"]
            assert got == row.actual_fen and 0 < abs(row.actual_fen - row.expected_fen) <= 5
            assert o.loc[row.merchant_order_id, "paid_fen"] == row.expected_fen
        elif row.kind == "duplicate":
            assert (st["merchant_order_id"] == row.merchant_order_id).sum() >= 2
        elif row.kind == "missing_in_orders":
            assert row.merchant_order_id not in o.index
        elif row.kind == "status_mismatch":
            assert o.loc[row.merchant_order_id, "status"] == "cancelled"
        elif row.kind == "fee_mismatch":
            assert by_txn.loc[(row.txn_id, "payment"), "fee_fen"] == row.actual_fen


def test_targets_add_up_exactly(mall):
    t = mall["targets"]
    year = t.loc[t["level"].eq("total") & (t["period"].str.len() == 4), "target_fen"].item()
    yearly = t[t["period"].str.len() == 4]
    assert yearly.loc[yearly["level"] == "channel", "target_fen"].sum() == year
    months = t[t["period"].str.len() == 7]
    assert months.loc[months["level"] == "total", "target_fen"].sum() == year
    per_month = months[months["level"] == "channel"].groupby("period")["target_fen"].sum()
    tot = months[months["level"] == "total"].set_index("period")["target_fen"]
    assert (per_month == tot.reindex(per_month.index)).all()


def test_traffic_never_below_buyers(mall):
    o = mall["orders"]
    buyers = o.groupby([o["created_at"].dt.normalize().rename("date"), "channel"])[
        "customer_id"].nunique()
    uv = mall["traffic"].set_index(["date", "channel"])["uv"]
    assert (uv.reindex(buyers.index) >= buyers).all()
