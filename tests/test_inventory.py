"""Tests of mallkit.inventory: explained warnings and shop stock metrics, on the sample mall
and on small hand-made cases (the formulas are tested in test_safety.py).

Expected values come from the sample mall's own tables recomputed with plain pandas
(snapshots, last sales, receipts), from the definitions in the issue (order up to the
order-up-to level, at least the MOQ, whole cases), and from the event-blind run.
"""

from __future__ import annotations

import math
import re
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallkit.datasets import make_sample_mall
from mallkit.demand import daily_sales
from mallkit.errors import InventoryError, SchemaError
from mallkit.inventory import (
    LEVELS,
    SERVICE_LEVELS,
    inventory_warnings,
    safety_stock,
    stock_metrics,
)

NO_EVENTS = pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "event": [], "phase": [],
                          "kind": []})


# --------------------------------------------------------------------------- sample mall
@pytest.fixture(scope="module")
def mall():
    # 2024-06-01 .. 2025-11-20: one full year of history before 双11 2025 (and 双11 2024)
    m = make_sample_mall(seed=0, start="2024-06-01", end="2025-11-20", n_customers=20000)
    m["daily"] = daily_sales(m["order_lines"], m["orders"])
    return m


def _warn(mall, as_of, **kw):
    return inventory_warnings(mall["inventory"], mall["daily"], mall["products"], as_of=as_of,
                              promotions=mall["promotions"], **kw)


@pytest.fixture(scope="module")
def w1020(mall):
    return _warn(mall, "2025-10-20")


def test_warnings_end_to_end(mall, w1020, not_mutated):
    w = w1020
    assert len(w) == len(mall["products"]) and w["sku"].is_unique
    assert set(w["level"]) <= set(LEVELS)
    assert {"stockout", "below_safety", "reorder", "ok", "overstock", "slow_moving"} <= set(
        w["level"])
    assert w["reason"].str.len().gt(10).all()
    # the snapshot is today's inventory
    inv = mall["inventory"]
    snap = inv[inv["date"] == pd.Timestamp("2025-10-20")].set_index("sku")
    got = w.set_index("sku")
    np.testing.assert_array_equal(got["on_hand"].to_numpy(dtype=int),
                                  snap["on_hand"].reindex(got.index).to_numpy())
    # orders: at least MOQ, multiples of the case pack, only for the three action levels
    q = w[w["suggested_qty"] > 0]
    assert (q["suggested_qty"] >= q["moq"]).all()
    assert (q["suggested_qty"] % q["case_pack"] == 0).all()
    assert q["level"].isin(["stockout", "below_safety", "reorder"]).all()
    # an order brings the position up to the order-up-to level, and one case less would not
    pos = q["position"].astype(float)
    assert (pos + q["suggested_qty"] >= q["order_up_to"] - 1e-9).all()
    short = pos + q["suggested_qty"] - q["case_pack"] < q["order_up_to"]
    at_moq = q["suggested_qty"] - q["case_pack"] < q["moq"]
    assert (short | at_moq).all()
    # level rules
    lv = w.set_index("level")
    assert (lv.loc["stockout", "on_hand"] == 0).all()
    b = w[w["level"] == "below_safety"]
    assert (b["on_hand"] < b["safety_stock"]).all()
    r = w[w["level"] == "reorder"]
    assert (r["position"] <= r["reorder_point"]).all() and (r["on_hand"] >= r["safety_stock"]).all()
    ok = w[w["level"] == "ok"]
    assert (ok["position"] > ok["reorder_point"]).all()
    # default service levels come from the ABC–XYZ class
    want = w["abc_xyz"].map(SERVICE_LEVELS).fillna(w["abc_xyz"].str[0].map(SERVICE_LEVELS))
    np.testing.assert_array_equal(w["service_level"], want)
    assert w.loc[w["abc_xyz"] == "AX", "service_level"].eq(0.98).all()
    # inputs untouched
    not_mutated(inventory_warnings, mall["inventory"].tail(3000), mall["daily"],
                mall["products"], as_of="2025-11-20")


def test_reason_states_the_numbers(w1020):
    r = w1020[w1020["level"] == "reorder"].iloc[0]
    assert r["reason"].startswith(f"on hand {r['on_hand']} + on order {r['on_order']} covers "
                                  f"{r['position_cover_days']:.1f} d; lead time "
                                  f"{r['lead_time_days']:g} d + review 1 d need "
                                  f"{math.ceil(r['reorder_point'])}")
    assert f"order {r['suggested_qty']} (MOQ {r['moq']}, case {r['case_pack']})" in r["reason"]
    assert "双11/final_payment on 11-11" in r["reason"]  # the event that raises the need


def test_chinese_reason_states_the_same_numbers(w1020):
    """reason_zh (the Chinese report's 原因) says what reason says, number for number."""
    levels = ("reorder", "stockout", "slow_moving", "overstock")
    assert set(levels) <= set(w1020["level"])  # every kind of reason is compared
    for level in levels:
        for _, r in w1020[w1020["level"] == level].head(3).iterrows():
            en = re.findall(r"\d+(?:\.\d+)?", r["reason"].replace("11-11", ""))
            zh = re.findall(r"\d+(?:\.\d+)?", r["reason_zh"].replace("11-11", ""))
            assert zh == en, (level, r["reason"], r["reason_zh"])
    r = w1020[w1020["level"] == "reorder"].iloc[0]
    assert r["reason_zh"].startswith(f"在库 {r['on_hand']} + 在途 {r['on_order']}，可售 "
                                     f"{r['position_cover_days']:.1f} 天；提前期 ")
    assert f"建议下单 {r['suggested_qty']}（起订量 {r['moq']}，箱规 {r['case_pack']}）" in \
        r["reason_zh"]
    assert "含 双11/final_payment 11-11 ×" in r["reason_zh"]
    assert w1020["reason_zh"].str.len().gt(5).all()


def test_event_uplift_raises_lead_time_demand_before_double_11(mall, w1020):
    aware = w1020.set_index("sku")
    blind = inventory_warnings(mall["inventory"], mall["daily"], mall["products"],
                               as_of="2025-10-20", events=NO_EVENTS).set_index("sku")
    np.testing.assert_allclose(blind["uplift"].dropna(), 1.0, rtol=1e-12)  # no calendar
    sold = aware["demand_per_day"] > 0
    # every SKU's protection interval starts in the 双11 presale (10-21..11-10)
    assert (aware.loc[sold, "uplift"] > 1.2).all()
    reach = aware["protection_days"] >= 22  # 10-20 + 22 d reaches the final day 11-11
    assert aware.loc[sold & reach, "uplift"].median() > aware.loc[sold & ~reach,
                                                                  "uplift"].median()
    assert (aware.loc[sold & reach, "occasion"] == "双11/final_payment").all()
    assert (aware.loc[sold & reach, "occasion_uplift"] > 5).all()


def test_lead_time_demand_is_baseline_times_published_uplifts(mall, w1020):
    # independent of the internals: rebuild μ of one SKU from the public event_uplift table
    # and occasion_calendar: Σ over the P coming days of baseline × uplift of that day
    from mallkit.demand import occasion_calendar
    from mallkit.uplift import event_uplift

    row = w1020.set_index("sku").loc["JD0004"]
    up = event_uplift(mall["daily"], mall["inventory"], mall["products"], as_of="2025-10-20",
                      promotions=mall["promotions"]).query("sku == 'JD0004'")
    u = up.set_index("occasion")["uplift"]
    cal = occasion_calendar("2025-10-21", "2025-12-31", promotions=mall["promotions"])
    cal = cal[cal["scope"].isin(["all", "category:家电"])]
    # an event label wins over a promotion on the same day
    ev = cal[cal["source"] == "event"].groupby("date")["occasion"].agg(" + ".join)
    pr = cal[cal["source"] == "promotion"].groupby("date")["occasion"].agg(" + ".join)
    label = ev.combine_first(pr)
    days = pd.date_range("2025-10-21", periods=40)
    mult = label.reindex(days).map(u).fillna(1.0).to_numpy()
    p = row["protection_days"]
    whole = int(p)
    want = row["demand_per_day"] * (mult[:whole].sum() + (p - whole) * mult[whole])
    assert row["lead_time_demand"] == pytest.approx(want, rel=1e-9)


def test_stockouts_at_double_11_were_flagged_in_time(mall):
    """SKUs that really ran out on 11-09..11-13 were flagged at a weekly review early enough.

    The sample's planner ignores the event calendar, so these stock-outs are real. At weekly
    reviews (Mondays), a SKU counts as caught if a review on or before 11-11 minus its lead
    time (the last day an order could arrive in time) said stockout / below_safety / reorder.
    The event-blind run (no calendar, no promotions) misses several of them.
    """
    inv = mall["inventory"]
    peak = inv[inv["date"].between("2025-11-09", "2025-11-13") & (inv["on_hand"] == 0)]
    out = sorted(set(peak["sku"]))
    assert len(out) >= 15  # the sample has real stock-outs at 双11
    lead = mall["products"].set_index("sku")["lead_time_days"]
    deadline = pd.Timestamp("2025-11-11") - pd.to_timedelta(np.ceil(lead[out]), unit="D")
    act = ["stockout", "below_safety", "reorder"]
    caught_aware, caught_blind, flagged_share = set(), set(), []
    for as_of in pd.date_range("2025-10-06", "2025-11-03", freq="7D"):
        a = _warn(mall, as_of, review_days=7).set_index("sku")
        b = inventory_warnings(inv, mall["daily"], mall["products"], as_of=as_of,
                               events=NO_EVENTS, review_days=7).set_index("sku")
        due = deadline[deadline >= as_of].index
        caught_aware |= set(due[a.loc[due, "level"].isin(act)])
        caught_blind |= set(due[b.loc[due, "level"].isin(act)])
        flagged_share.append(a["level"].isin(act).mean())
    assert len(caught_aware) >= 0.9 * len(out)
    assert len(caught_blind) < len(caught_aware)
    assert max(flagged_share) < 0.7  # not everything: the warning discriminates


def test_slow_movers_found(mall, w1020):
    # independent: stocked SKUs whose last sale (pandas) is 30+ days before as_of
    d = mall["daily"]
    last = d[(d["qty"] > 0) & (d["date"] <= "2025-10-20")].groupby("sku")["date"].max()
    inv = mall["inventory"]
    snap = inv[inv["date"] == pd.Timestamp("2025-10-20")].set_index("sku")["on_hand"]
    days = (pd.Timestamp("2025-10-20") - last.reindex(snap.index)).dt.days
    expect = set(snap.index[(snap > 0) & ~(days < 30)])
    got = set(w1020.loc[w1020["level"] == "slow_moving", "sku"])
    assert expect and got == expect
    slow = w1020[w1020["level"] == "slow_moving"]
    assert (slow["suggested_qty"] == 0).all()  # 滞销: no order, even below the ROP
    row = slow.iloc[0]
    assert row["reason"].startswith(f"no sale for {row['days_since_sale']:.0f} d")


def test_slow_mover_below_reorder_point_is_not_reordered():
    # sold 2 a day for 40 days, then nothing for 35 days with 1 unit left on the shelf
    days = pd.date_range("2026-01-01", periods=75, unit="us")
    qty = np.r_[np.full(40, 2), np.zeros(35, dtype=int)]
    sales = pd.DataFrame({"date": days, "sku": "S", "qty": qty})
    inv = pd.DataFrame({"date": days, "sku": "S", "on_hand": np.r_[np.arange(81, 1, -2),
                                                                  np.ones(35, dtype=int)],
                        "on_order": 0})
    prod = pd.DataFrame({"sku": ["S"], "category": "c", "list_price_fen": 1000,
                         "unit_cost_fen": 500, "lead_time_days": 10.0,
                         "lead_time_std_days": 2.0, "moq": 10, "case_pack": 5})
    w = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS).iloc[0]
    assert w["position"] <= w["reorder_point"]  # the rule alone would reorder
    assert w["level"] == "slow_moving" and w["suggested_qty"] == 0
    assert w["reason"] == ("no sale for 35 d (last 2026-02-09, threshold 30 d); on hand 1 + "
                           f"on order 0; at or below the reorder point "
                           f"{math.ceil(w['reorder_point'])}, yet no order suggested: check "
                           "before buying")


def test_service_levels_and_kinds(mall):
    base = _warn(mall, "2025-10-20", service_levels=0.90).set_index("sku")
    high = _warn(mall, "2025-10-20", service_levels={"A": 0.99, "B": 0.99, "C": 0.99,
                                                     "U": 0.99}).set_index("sku")
    high = high.loc[base.index]
    assert (base["service_level"] == 0.90).all()
    # one-letter keys of the caller cover every SKU of that ABC class, AX..AZ included
    # (the defaults' two-letter keys must not win over them)
    assert (high["service_level"] == 0.99).all()
    assert (high["safety_stock"] >= base["safety_stock"] - 1e-9).all()
    assert (high["safety_stock"] > base["safety_stock"]).mean() > 0.5
    # the caller's two-letter key beats the caller's one-letter key; classes the caller
    # does not name keep SERVICE_LEVELS (two letters, then one)
    mix = _warn(mall, "2025-10-20", service_levels={"A": 0.99, "AX": 0.985}).set_index("sku")
    cls = mix["abc_xyz"]
    want = np.where(cls == "AX", 0.985, np.where(cls.str[0] == "A", 0.99, cls.map(
        SERVICE_LEVELS).fillna(cls.str[0].map(SERVICE_LEVELS))))
    assert (cls == "AX").any() and (cls.str.match("A[YZ]")).any()
    np.testing.assert_array_equal(mix["service_level"], want)
    per = pd.Series({"GH0001": 0.80})
    one = _warn(mall, "2025-10-20", service_levels=per).set_index("sku")
    assert one.loc["GH0001", "service_level"] == 0.80
    fr = _warn(mall, "2025-10-20", kind="fill_rate", service_levels=0.98)
    assert fr["safety_stock"].notna().all() and (fr["safety_stock"] >= 0).all()
    eoq = _warn(mall, "2025-10-20", order_cost_fen=5000, holding_rate=0.25).set_index("sku")
    # with K = ¥50 and h = 25 %/year of cost, S - ROP is the EOQ
    p = mall["products"].set_index("sku")
    lam = eoq["demand_per_day"] * 365
    want = np.sqrt(2 * 5000 * lam / (0.25 * p["unit_cost_fen"].reindex(eoq.index)))
    np.testing.assert_allclose(eoq["order_up_to"] - eoq["reorder_point"], want, rtol=1e-9)
    with pytest.raises(InventoryError, match="service_levels"):
        _warn(mall, "2025-10-20", service_levels=1.2)
    # day counts must be whole (a float window used to fail deep inside with a TypeError)
    with pytest.raises(InventoryError, match=r"window_days must be a whole number of days >= 1"
                       r", got 30.5"):
        _warn(mall, "2025-10-20", window_days=30.5)
    with pytest.raises(InventoryError, match=r"baseline_days must be .* >= 1, got 0"):
        _warn(mall, "2025-10-20", baseline_days=0)


def test_bad_input_is_reported_not_dropped(mall):
    inv, prod, daily = mall["inventory"], mall["products"], mall["daily"]
    day = pd.Timestamp("2025-11-20")
    snap = inv[inv["date"] == day]
    # negative stock: a clear schema error naming the row
    neg = snap.copy()
    neg.loc[neg.index[0], "on_hand"] = -3
    with pytest.raises(SchemaError, match=r"'inventory'.*'on_hand'.*non-negative.*"
                       + neg.iloc[0]["sku"]):
        inventory_warnings(neg, daily, prod, as_of=day)
    # missing lead time: a clear schema error
    bad = prod.copy()
    bad["lead_time_days"] = bad["lead_time_days"].astype("float64")
    bad.loc[3, "lead_time_days"] = np.nan
    with pytest.raises(SchemaError, match=r"'products'.*'lead_time_days'.*null.*"
                       + prod.loc[3, "sku"]):
        inventory_warnings(snap, daily, bad, as_of=day)
    # an unknown SKU in the inventory and a product without a snapshot: labelled rows
    extra = pd.DataFrame({"date": [day], "sku": ["ZZ9999"], "on_hand": [7], "on_order": [0]})
    inv2 = pd.concat([snap[snap["sku"] != "GH0002"], extra], ignore_index=True)
    w = inventory_warnings(inv2, daily, prod, as_of=day).set_index("sku")
    assert len(w) == len(prod) + 1
    assert w.loc["ZZ9999", "level"] == "unknown_sku"
    assert w.loc["ZZ9999", "reason"].startswith("not in products")
    assert w.loc["GH0002", "level"] == "no_stock_record"
    assert pd.isna(w.loc["GH0002", "on_hand"])
    # no snapshot at all on as_of
    with pytest.raises(SchemaError, match=r"no snapshot on as_of=2025-11-21 \(latest before "
                       r"it: 2025-11-20\)"):
        inventory_warnings(snap, daily, prod, as_of="2025-11-21")


def test_stockout_with_unknown_demand_is_explained():
    days = pd.date_range("2026-01-01", periods=42, unit="us")
    inv = pd.DataFrame({"date": days.repeat(2), "sku": ["A", "B"] * 42,
                        "on_hand": np.tile([0, 50], 42), "on_order": 0})
    prod = pd.DataFrame({"sku": ["A", "B"], "category": "c", "list_price_fen": 1000,
                         "unit_cost_fen": 500, "lead_time_days": 10.0,
                         "lead_time_std_days": 2.0, "moq": 10, "case_pack": 5})
    # B sells 1 a day on average with a zero every 6th day: ADI 1.2, smooth, mean 1
    sales = pd.DataFrame({"date": days, "sku": "B", "qty": np.tile([1, 2, 1, 0, 1, 1], 7)})
    w = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS).set_index("sku")
    assert w.loc["A", "level"] == "stockout"
    assert "never in stock" in w.loc["A", "reason"]
    assert "demand unknown" in w.loc["A", "notes"]
    # B: 1 unit/day on average, 50 on hand -> 50 days of cover (no events)
    assert w.loc["B", "demand_per_day"] == pytest.approx(1.0)
    assert w.loc["B", "days_of_cover"] == pytest.approx(50.0)
    # C: stocked, never sold, out today: a stock-out with no order to suggest
    inv_c = pd.DataFrame({"date": days, "sku": "C", "on_hand": np.r_[np.full(41, 5), 0],
                          "on_order": 0})
    prod_c = pd.concat([prod, prod.iloc[[0]].assign(sku="C")], ignore_index=True)
    w = inventory_warnings(pd.concat([inv, inv_c]), sales, prod_c, as_of=days[-1],
                           events=NO_EVENTS).set_index("sku")
    assert w.loc["C", "level"] == "stockout" and w.loc["C", "suggested_qty"] == 0
    assert w.loc["C", "reason"].endswith("no demand expected: no order suggested")


def test_stock_metrics_small_cases():
    days = pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"])
    inv = pd.DataFrame({"date": days.repeat(2), "sku": ["A", "B"] * 3,
                        "on_hand": [10, 5, 6, 1, 14, 5], "on_order": 0})
    sales = pd.DataFrame({"date": days[1:], "sku": "A", "qty": [4, 2]})
    m = stock_metrics(sales, inv, start="2026-03-02", end="2026-03-03").by_sku.set_index("sku")
    # A: 10 -> 6 (sold 4) -> 14 (sold 2, so 10 received); B: 5 -> 1 (4 lost, no sale) -> 5
    assert m.loc["A", "receipts"] == 10 and m.loc["A", "adjustments"] == 0
    assert m.loc["B", "receipts"] == 4 and m.loc["B", "adjustments"] == -4
    # no snapshot the day before: the opening is the first closing + its sales (estimated)
    m = stock_metrics(sales, inv, start="2026-03-01", end="2026-03-03").by_sku.set_index("sku")
    assert m.loc["A", "opening"] == 10 and bool(m.loc["A", "opening_estimated"])
    with pytest.raises(SchemaError, match="end 2026-03-01 is before start 2026-03-02"):
        stock_metrics(sales, inv, start="2026-03-02", end="2026-03-01")



def test_stock_metrics_bridges_a_missing_snapshot():
    # A closes 10 (03-01, the opening), 6 (03-02), no row on 03-03, 14 (03-04), selling
    # 4, 2, 0: across the gap it received 14 - 6 + 2 = 10, so 售罄率 = 6 / (10 + 10) = 0.3.
    # (Reading the gap as "no flow" on 03-03 and 03-04 lost the 10 received.)
    days = pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"])
    inv = pd.DataFrame({"date": days.repeat(2), "sku": ["A", "B"] * 4,
                        "on_hand": [10, 5, 6, 5, 99, 5, 14, 5], "on_order": 0})
    inv = inv[~((inv["sku"] == "A") & (inv["date"] == days[2]))]
    sales = pd.DataFrame({"date": days[1:], "sku": "A", "qty": [4, 2, 0]})
    m = stock_metrics(sales, inv, start="2026-03-02", end="2026-03-04").by_sku.set_index("sku")
    assert m.loc["A", "receipts"] == 10 and m.loc["A", "adjustments"] == 0
    assert m.loc["A", "sell_through"] == pytest.approx(0.3)
    assert m.loc["A", "missing_days"] == 1 and m.loc["B", "missing_days"] == 0
    # a gap at the start: the opening is estimated from the first closing + sales up to it
    late = inv[~((inv["sku"] == "A") & (inv["date"] <= days[1]))]
    m = stock_metrics(sales, late, start="2026-03-02", end="2026-03-04").by_sku.set_index("sku")
    assert bool(m.loc["A", "opening_estimated"]) and m.loc["A", "opening"] == 14 + 6
    assert m.loc["A", "receipts"] == 0 and m.loc["A", "missing_days"] == 2


def test_stock_metrics_keeps_skus_outside_products():
    # X sold 3 units but is neither in products nor in the inventory: its row stays (never
    # a silent drop), so the shop's units sold are all the units in the sales table
    days = pd.to_datetime(["2026-03-01", "2026-03-02"])
    inv = pd.DataFrame({"date": days.repeat(2), "sku": ["A", "B"] * 2,
                        "on_hand": [10, 5, 8, 5], "on_order": 0})
    sales = pd.DataFrame({"date": [days[1], days[1]], "sku": ["A", "X"], "qty": [2, 3]})
    prod = pd.DataFrame({"sku": ["A", "B"], "category": ["c", "d"], "list_price_fen": 100,
                         "unit_cost_fen": 50, "lead_time_days": 5.0, "lead_time_std_days": 1.0,
                         "moq": 1, "case_pack": 1})
    for p in (prod, None):
        m = stock_metrics(sales, inv, p, start="2026-03-02", end="2026-03-02")
        by = m.by_sku.set_index("sku")
        assert sorted(by.index) == ["A", "B", "X"]
        assert by.loc["X", "sold"] == 3 and pd.isna(by.loc["X", "category"])
        shop = m.summary.set_index("category").loc["all"]
        assert shop["sold"] == 5 and shop["skus"] == 3 and shop["skus_sold"] == 2


# --------------------------------------------------------------------------- shop metrics
def test_stock_metrics_on_sample(mall):
    m = stock_metrics(mall["daily"], mall["inventory"], mall["products"],
                      start="2025-10-01", end="2025-10-31")
    by = m.by_sku.set_index("sku")
    # the sample's books close: stock only moves by sales and receipts, so no adjustment
    assert (by["adjustments"] == 0).all()
    # independent: receipts = closing - opening + sold, over the month
    inv = mall["inventory"].set_index(["date", "sku"])["on_hand"]
    opening = inv.xs(pd.Timestamp("2025-09-30")).reindex(by.index)
    closing = inv.xs(pd.Timestamp("2025-10-31")).reindex(by.index)
    d = mall["daily"]
    sold = d[d["date"].between("2025-10-01", "2025-10-31")].groupby("sku")["qty"].sum()
    sold = sold.reindex(by.index, fill_value=0)
    np.testing.assert_array_equal(by["receipts"], closing - opening + sold)
    np.testing.assert_allclose(by["sell_through"], sold / (opening + by["receipts"]))
    # 动销率 = SKUs with a sale / all SKUs; 售罄率 = units / (opening + receipts)
    shop = m.summary.set_index("category").loc["all"]
    assert shop["movement_rate"] == pytest.approx((sold > 0).sum() / len(mall["products"]))
    assert shop["sell_through"] == pytest.approx(sold.sum() / (opening.sum()
                                                               + by["receipts"].sum()))
    assert shop["movement_rate"] != pytest.approx(shop["sell_through"])  # two things
    assert len(m.summary) == 1 + mall["products"]["category"].nunique()


def test_warning_numbers_follow_the_formulas_on_a_smooth_sku():
    # one smooth SKU, never out of stock, no events: the row's numbers must be the textbook
    # formulas of mallkit.safety (pinned to the published references in test_safety.py) on
    # the SKU's in-stock mean and std, with P = lead time 6 + review 1 and Q = 30 d of demand
    days = pd.date_range("2026-01-01", periods=120, unit="us")
    qty = np.tile([3, 5, 4, 6, 2, 4, 5], 18)[:120]
    sales = pd.DataFrame({"date": days, "sku": "S", "qty": qty})
    inv = pd.DataFrame({"date": days, "sku": "S", "on_hand": 40, "on_order": 0})
    prod = pd.DataFrame({"sku": ["S"], "category": "c", "list_price_fen": 1000,
                         "unit_cost_fen": 500, "lead_time_days": 6.0,
                         "lead_time_std_days": 2.0, "moq": 50, "case_pack": 12})
    last90 = qty[-90:].astype(float)
    d, sd = last90.mean(), last90.std(ddof=1)
    for kind in ("cycle", "fill_rate"):
        w = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS, kind=kind,
                               service_levels=0.95).iloc[0]
        assert w["demand_class"] == "smooth" and w["demand_per_day"] == pytest.approx(d)
        ss = safety_stock(d, sd, 6, lead_time_std=2, review_period=1, service_level=0.95,
                          kind=kind, order_qty=30 * d if kind == "fill_rate" else None)
        assert w["safety_stock"] == pytest.approx(ss, rel=1e-9)
        assert w["reorder_point"] == pytest.approx(7 * d + ss, rel=1e-9)
        assert w["order_up_to"] == pytest.approx(7 * d + ss + 30 * d, rel=1e-9)
        assert w["days_of_cover"] == pytest.approx(40 / d)
        if kind == "cycle":  # ROP 7·4.13 + 14.65 = 43.6 > 40 on hand: order up to S,
            # at least the MOQ of 50, in whole cases of 12
            assert w["level"] == "reorder"
            assert w["suggested_qty"] == math.ceil(max(w["order_up_to"] - 40, 50) / 12) * 12
        else:  # Q = 124 ≫ σ = 8.9: a 95 % fill rate needs little SS, so 40 is enough
            assert w["reorder_point"] < 40 and w["level"] == "ok"
            assert w["suggested_qty"] == 0


def _promo(pid, name, start, end):
    return {"promo_id": pid, "name": name, "mechanic": "coupon", "start": pd.Timestamp(start),
            "end": pd.Timestamp(end) + pd.Timedelta("23:59:59"), "scope": "all",
            "params": "{}", "ad_spend_fen": 0}


def test_upcoming_promotions_raise_lead_time_demand_by_their_history():
    # 4 a day, 12 a day during the past 会员日 (01-31..02-06, after 30 clean days for its
    # baseline): its uplift is 12/4 = 3 (one SKU, so the category and all-SKU ratios are 3
    # too and shrinkage leaves 3). As of 04-30,
    # L = 6 + review 1: P = 05-01..05-07. 会员日 runs again 05-02..05-06; a new 新品首发
    # (no history of its own) runs 05-05..05-07: an all-shop coupon, it takes the median of
    # the past all-shop coupon promotions, i.e. 会员日's ×3. On 05-05/06 it runs together
    # with 会员日, a pair never seen before, which takes the larger uplift of its parts (×3).
    # μ = 4 (05-01) + 3·12 (05-02..04) + 2·12 (05-05/06) + 12 (05-07) = 76.
    days = pd.date_range("2026-01-01", periods=120, unit="us")
    qty = np.full(120, 4)
    qty[30:37] = 12
    sales = pd.DataFrame({"date": days, "sku": "S", "qty": qty})
    inv = pd.DataFrame({"date": days, "sku": "S", "on_hand": 100, "on_order": 0})
    prod = pd.DataFrame({"sku": ["S"], "category": "c", "list_price_fen": 1000,
                         "unit_cost_fen": 500, "lead_time_days": 6.0,
                         "lead_time_std_days": 0.0, "moq": 1, "case_pack": 1})
    promos = pd.DataFrame([_promo("P1", "会员日", days[30], days[36]),
                           _promo("P2", "会员日", "2026-05-02", "2026-05-06"),
                           _promo("P3", "新品首发", "2026-05-05", "2026-05-07")])
    w = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS,
                           promotions=promos).iloc[0]
    assert w["demand_per_day"] == 4.0  # promotion days left out of the baseline
    assert w["lead_time_demand"] == pytest.approx(76.0, rel=1e-12)
    assert w["occasion"] == "promo:会员日" and w["occasion_uplift"] == pytest.approx(3.0)
    assert ("no history for promo:新品首发: uplift ×3 from 1 past all-shop coupon promotion"
            in w["notes"])
    assert "promo:会员日 + promo:新品首发 never ran together: largest uplift of its parts" in (
        w["notes"])
    # without the past run in the table there is no past promotion to learn from: ×1 on
    # every day (its 12s now count as ordinary days of the baseline), and noted
    blind = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS,
                               promotions=promos.iloc[1:]).iloc[0]
    assert blind["demand_per_day"] == pytest.approx((83 * 4 + 7 * 12) / 90)
    assert blind["lead_time_demand"] == pytest.approx(7 * blind["demand_per_day"])
    assert ("no history for promo:会员日: uplift ×1, no past promotion to learn from"
            in blind["notes"])


# --------------------------------------------------------- upcoming promotions without history
def _promo_of(pid, name, mechanic, scope, start, end):
    return {**_promo(pid, name, start, end), "mechanic": mechanic, "scope": scope}


def _two_skus(runs):
    """SKU A (category a) and B (category b) sell 10 a day over 2026-01-01..04-30 (120 days)
    and ``qty`` on the 5 days from ``day`` of each past run ``(name, mechanic, scope, day,
    qty)`` if the run covers them. With a flat 10 on every clean day each run's baseline is
    10, so its measured uplift is exactly qty / 10."""
    days = pd.date_range("2026-01-01", periods=120, unit="us")
    qty = np.full((120, 2), 10)
    promos = []
    for i, (name, mech, scope, day, q) in enumerate(runs):
        cols = [0, 1] if scope == "all" else [0] if scope == "category:a" else [1]
        qty[day:day + 5, cols] = q
        promos.append(_promo_of(f"P{i}", name, mech, scope, days[day], days[day + 4]))
    long = {"date": np.repeat(days, 2), "sku": ["A", "B"] * 120}
    sales = pd.DataFrame({**long, "qty": qty.ravel()})
    inv = pd.DataFrame({**long, "on_hand": 100, "on_order": 0})
    prod = pd.DataFrame({"sku": ["A", "B"], "category": ["a", "b"], "list_price_fen": 1000,
                         "unit_cost_fen": 500, "lead_time_days": 6.0,
                         "lead_time_std_days": 0.0, "moq": 1, "case_pack": 1})
    return days, sales, inv, prod, promos


# past runs (day index of the first of 5 days, units a day on the SKUs in scope):
# 券1 all-shop coupon ×2.0, 券2 all-shop coupon ×3.0, a券 coupon in category a ×1.5,
# 折 all-shop percent_off ×1.2 (20 / 10, 30 / 10, 15 / 10, 12 / 10)
PAST_RUNS = [("券1", "coupon", "all", 30, 20), ("券2", "coupon", "all", 50, 30),
             ("a券", "coupon", "category:a", 70, 15), ("折", "percent_off", "all", 90, 12)]


@pytest.mark.parametrize(("name", "mechanic", "scope", "sku", "want", "source"), [
    # level 1, same mechanic and scope: median(2.0, 3.0) of 券1 and 券2 = 2.5
    ("新券", "coupon", "all", "A", 2.5, "from 2 past all-shop coupon promotions"),
    # level 1, same mechanic in the same category: a券 alone, 1.5
    ("新券", "coupon", "category:a", "A", 1.5, "from 1 past coupon promotion in a"),
    # level 2, no past coupon in category b: median(2.0, 3.0, 1.5) of all coupons = 2.0
    ("新券", "coupon", "category:b", "B", 2.0, "from 3 past coupon promotions of any scope"),
    # level 3, no past gift: median(2.0, 3.0, 1.5, 1.2) of all past promotions = 1.75
    ("赠品", "gift", "all", "B", 1.75, "from 4 past promotions of any kind (no past gift one)"),
    # a name with history keeps its own uplift (券1: 2.0), however its kind did
    ("券1", "coupon", "all", "A", 2.0, None),
])
def test_upcoming_promotion_without_history_takes_past_promotions_of_its_kind(
        name, mechanic, scope, sku, want, source):
    # As of 04-30, L = 6 + review 1: P = 05-01..05-07; the upcoming run covers 05-03..05-05,
    # so μ = 4 days × 10 + 3 days × 10 × uplift = 40 + 30 × uplift for a SKU in its scope
    # and 7 × 10 = 70 for the other one.
    days, sales, inv, prod, promos = _two_skus(PAST_RUNS)
    promos = pd.DataFrame([*promos, _promo_of("N", name, mechanic, scope, "2026-05-03",
                                              "2026-05-05")])
    w = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS,
                           promotions=promos).set_index("sku")
    assert (w["demand_per_day"] == 10.0).all()  # promotion days left out of the baseline
    row = w.loc[sku]
    assert row["occasion"] == f"promo:{name}"
    assert row["occasion_uplift"] == pytest.approx(want, rel=1e-12)
    assert row["lead_time_demand"] == pytest.approx(40 + 30 * want, rel=1e-12)
    if scope.startswith("category:"):  # the other category's SKU is not in its scope
        other = w.loc["B" if sku == "A" else "A"]
        assert other["lead_time_demand"] == pytest.approx(70.0, rel=1e-12)
        assert pd.isna(other["occasion"]) and other["notes"] == ""
    if source is None:
        assert "no history" not in row["notes"]
    else:
        assert row["notes"] == f"no history for promo:{name}: uplift ×{want:g} {source}"
        # the reason names the occasion, its uplift to 1 decimal and where it came from
        assert f", incl. promo:{name} on 05-03 ×{want:.1f} ({source})" in row["reason"]


def test_upcoming_promotion_with_no_past_promotion_counts_once():
    # level 4: the table holds no past promotion, so nothing to learn from: ×1, noted
    # (the past peaks are ordinary days now; μ = 7 × the plain mean of the 90-day window)
    days, sales, inv, prod, _ = _two_skus(PAST_RUNS)
    promos = pd.DataFrame([_promo_of("N", "新券", "coupon", "all", "2026-05-03", "2026-05-05")])
    w = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS,
                           promotions=promos).set_index("sku")
    # A's last 90 days (day 30..119): 10 a day but 5 × 20, 5 × 30, 5 × 15, 5 × 12
    d = (70 * 10 + 5 * (20 + 30 + 15 + 12)) / 90
    assert w.loc["A", "demand_per_day"] == pytest.approx(d, rel=1e-12)
    assert w.loc["A", "lead_time_demand"] == pytest.approx(7 * d, rel=1e-12)
    assert pd.isna(w.loc["A", "occasion"])
    assert w["notes"].eq("no history for promo:新券: uplift ×1, no past promotion to learn "
                         "from").all()


_MECHS = st.sampled_from(["coupon", "gift", "percent_off"])
_SCOPES = st.sampled_from(["all", "category:a", "category:b"])


@settings(max_examples=40, deadline=None)
@given(past=st.lists(st.tuples(_MECHS, _SCOPES, st.integers(11, 40)), max_size=5),
       mechanic=_MECHS, scope=_SCOPES)
def test_fallback_uplift_follows_the_chain(past, mechanic, scope):
    # oracle: the chain spelled out with statistics.median over the past runs' exact
    # uplifts qty / 10 (see _two_skus); runs 20 days apart from day 20 (the baseline needs
    # 14 clean days before), 5 days each
    runs = [(f"P{i}", m, s, 20 + 20 * i, q) for i, (m, s, q) in enumerate(past)]
    pool = [(m, s, q / 10) for _, m, s, _, q in runs]
    tiers = ([u for m, s, u in pool if m == mechanic and s == scope],
             [u for m, _, u in pool if m == mechanic], [u for _, _, u in pool])
    want = next((statistics.median(t) for t in tiers if t), 1.0)
    days, sales, inv, prod, promos = _two_skus(runs)
    promos = pd.DataFrame([*promos, _promo_of("N", "新", mechanic, scope, "2026-05-03",
                                              "2026-05-05")])
    w = inventory_warnings(inv, sales, prod, as_of=days[-1], events=NO_EVENTS,
                           promotions=promos).set_index("sku")
    sku = "B" if scope == "category:b" else "A"
    d = w.loc[sku, "demand_per_day"]  # 10 with past runs; the window's mean without
    assert w.loc[sku, "lead_time_demand"] == pytest.approx(d * (4 + 3 * want), rel=1e-12)
    assert ("uplift ×1, no past promotion" in w.loc[sku, "notes"]) == (not pool)


def test_renamed_promotion_on_sample_takes_its_mechanics_uplift(mall):
    # The sample's 99划算节 阶梯满减 (all-shop tiered_reduction) ran 2024-09-05..09 and runs
    # again 2025-09-05..09. Renamed, the 2025 run has no history of its own; the one past
    # all-shop tiered_reduction promotion is the 2024 run, so it takes that run's all-SKU
    # uplift as the public event_uplift reports it — not ×1.
    from mallkit.demand import occasion_calendar
    from mallkit.uplift import event_uplift

    as_of, new = "2025-08-31", "99划算节 新玩法"
    promos = mall["promotions"].copy()
    promos.loc[promos["promo_id"] == "P20250905", "name"] = new
    w = inventory_warnings(mall["inventory"], mall["daily"], mall["products"], as_of=as_of,
                           promotions=promos)
    up = event_uplift(mall["daily"], mall["inventory"], mall["products"], as_of=as_of,
                      promotions=mall["promotions"])
    u = up.loc[up["occasion"] == "promo:99划算节 阶梯满减", "overall_uplift"].iloc[0]
    assert u > 1.2  # the 2024 run sold a third more than its baseline
    note = (f"no history for promo:{new}: uplift ×{u:.3g} from 1 past all-shop "
            "tiered_reduction promotion")
    assert w["notes"].str.contains(note, regex=False).all()  # every SKU reaches 09-05
    # rebuild μ of one SKU (P = 30.5 + 1 d reaches past 09-09): Σ baseline × the day's
    # uplift from the public table, the renamed run's days at u (event days win)
    row = w.set_index("sku").loc["JD0004"]
    cal = occasion_calendar("2025-09-01", "2025-10-20", promotions=promos)
    cal = cal[cal["scope"].isin(["all", "category:家电"])]
    ev = cal[cal["source"] == "event"].groupby("date")["occasion"].agg(" + ".join)
    pr = cal[cal["source"] == "promotion"].groupby("date")["occasion"].agg(" + ".join)
    label = ev.combine_first(pr).reindex(pd.date_range("2025-09-01", periods=40))
    assert (label == f"promo:{new}").sum() == 4  # 09-05..09-08; 09-09 is 99/day
    table = up.query("sku == 'JD0004'").set_index("occasion")["uplift"]
    p, whole = row["protection_days"], int(row["protection_days"])

    def mu(renamed_uplift):
        m = label.map({**table.to_dict(), f"promo:{new}": renamed_uplift}).fillna(1.0)
        m = m.to_numpy()
        return row["demand_per_day"] * (m[:whole].sum() + (p - whole) * m[whole])

    assert row["lead_time_demand"] == pytest.approx(mu(u), rel=1e-9)
    # ×1 would have asked for 4 days × baseline × (u − 1) fewer units
    assert row["lead_time_demand"] - mu(1.0) == pytest.approx(
        4 * row["demand_per_day"] * (u - 1), rel=1e-9)
