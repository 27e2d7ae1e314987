"""KPIs on a hand-built mall whose every figure is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mallkit.datasets import make_sample_mall
from mallkit.errors import MallkitError
from mallkit.metrics import category_mix, channel_mix, daily_kpis, kpi_summary, top_products


def _orders():
    rows = [  # order, customer, channel, paid_at (None = unpaid), status, paid_fen
        ("O0", "C2", "tmall", "2025-01-05 10:00", "completed", 8000),
        ("O1", "C1", "web", "2026-11-10 09:00", "completed", 10000),
        ("O2", "C1", "web", "2026-11-11 00:10", "shipped", 5000),
        ("O3", "C2", "tmall", "2026-11-11 20:00", "completed", 20000),
        ("O4", "C3", "web", None, "cancelled", 9900),
        ("O5", "C4", "web", "2026-11-17 08:00", "paid", 3000),  # after the week
    ]
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "channel", "paid_at", "status",
                                     "paid_fen"])
    df["paid_at"] = pd.to_datetime(df["paid_at"])
    df["created_at"] = df["paid_at"].fillna(pd.Timestamp("2026-11-11 12:00")) - pd.Timedelta(
        minutes=1)
    return df.assign(goods_fen=df["paid_fen"], discount_fen=0, shipping_fen=0,
                     payment_method="alipay")


def _refunds():
    return pd.DataFrame({"refund_id": ["R1", "R2"], "order_id": ["O1", "O0"],
                         "refunded_at": pd.to_datetime(["2026-11-12", "2026-11-12"]),
                         "amount_fen": [2000, 1000]})


def _traffic():
    days = pd.date_range("2026-11-03", "2026-11-16")
    web = pd.DataFrame({"date": days, "channel": "web", "uv": 100})
    tmall = pd.DataFrame({"date": days, "channel": "tmall", "uv": 0})  # no UV feed from Tmall
    return pd.concat([web, tmall], ignore_index=True)


WEEK = {"start": "2026-11-10", "end": "2026-11-16"}


def test_kpis_worked_by_hand(not_mutated):
    k = not_mutated(kpi_summary, _orders(), _refunds(), _traffic(), **WEEK, compare="prev")
    cur = k.current
    # all: paid orders in the week O1+O2+O3 = 10000+5000+20000; refunds R1+R2 = 3000 (cash
    # basis: R2 refunds a January order but happens this week); buyers C1, C2.
    assert cur.loc["all", ["gmv_fen", "refunds_fen", "net_gmv_fen", "orders", "buyers", "uv"]
                   ].tolist() == [35000, 3000, 32000, 3, 2, 700]
    assert cur["gmv_fen"].dtype == "int64"
    # Buyer-days: C1 on 11-10 and 11-11, C2 on 11-11 → 3, over 7 days x 100 web UV.
    assert cur.loc["all", "conversion"] == pytest.approx(3 / 700)
    assert cur.loc["all", "aov_fen"] == pytest.approx(17500)  # 客单价 35000 / 2 buyers
    assert cur.loc["all", "order_value_fen"] == pytest.approx(35000 / 3)
    assert cur.loc["all", "refund_rate"] == pytest.approx(3000 / 35000)
    assert cur.loc["all", "new_customer_share"] == 0.5  # C1 new; C2 first paid in 2025
    assert cur.loc["all", "repeat_buyer_rate"] == 0.5  # C1 bought twice
    assert cur.loc["web", ["gmv_fen", "refunds_fen", "orders", "buyers"]].tolist() == [
        15000, 2000, 2, 1]
    # Tmall has no UV: conversion is NaN with a note, never inf.
    assert np.isnan(cur.loc["tmall", "conversion"])
    assert k.notes["note"].str.contains("tmall: no UV").any()
    # The week before had no paid orders: change is NaN, per-order ratios NaN, noted.
    gmv = k.wide().loc["gmv_fen"]
    assert gmv["prev"] == 0 and np.isnan(gmv["pop_change"])
    assert k.notes.query("window == 'prev'")["note"].str.contains("no paid orders").any()
    # 双11 is in the week and is noted.
    assert k.notes.query("window == 'current'")["note"].str.contains("双11").any()
    # The same notes in Chinese for the Chinese report, one for one.
    zh = k.notes.set_index("note")["note_zh"]
    no_uv, d11 = zh[zh.index.str.contains("tmall: no UV")], zh[zh.index.str.startswith(
        "event 双11")]
    assert len(no_uv) and no_uv.str.contains("tmall：.* 无访客数据").all()
    assert len(d11) and d11.str.contains(r"活动 双11：.*（预售").all()


def test_yoy_is_364_days_back_so_weekdays_match():
    k = kpi_summary(_orders(), _refunds(), _traffic(), **WEEK, compare="yoy")
    yoy = k.periods.set_index("window").loc["yoy"]
    assert yoy["start"] == pd.Timestamp("2025-11-11")  # 2026-11-10 − 364 days
    assert yoy["start"].day_of_week == pd.Timestamp(WEEK["start"]).day_of_week
    assert "prev" not in k.kpis.columns and "yoy_change" in k.kpis.columns


def test_period_over_period_change():
    k = kpi_summary(_orders(), _refunds(), _traffic(), start="2026-11-11", end="2026-11-11",
                    compare="prev")
    gmv = k.wide().loc["gmv_fen"]
    # 11-11: O2 + O3 = 25000; 11-10: O1 = 10000 → +150 %.
    assert (gmv["value"], gmv["prev"]) == (25000, 10000)
    assert gmv["pop_change"] == pytest.approx(1.5)


def test_bad_arguments_are_named():
    with pytest.raises(MallkitError, match="compare must be 'prev', 'yoy' or 'both'"):
        kpi_summary(_orders(), _refunds(), _traffic(), **WEEK, compare="mom")
    with pytest.raises(MallkitError, match="end 2026-11-01 is before start 2026-11-10"):
        kpi_summary(_orders(), _refunds(), _traffic(), start="2026-11-10", end="2026-11-01")


def test_daily_kpis_fill_empty_days():
    d = daily_kpis(_orders(), _refunds(), _traffic(), **WEEK)
    assert len(d) == 7 * 2
    assert d["gmv_fen"].sum() == 35000
    tm = d[d["channel"] == "tmall"]
    assert tm["conversion"].isna().all()  # zero UV → NaN, not inf
    assert d.loc[d["date"] == "2026-11-12", "refunds_fen"].sum() == 3000


@pytest.fixture(scope="module")
def mall():
    return make_sample_mall(seed=0, start="2025-10-01", end="2025-11-30", n_customers=1500)


def test_mixes_add_up_to_the_totals(mall):
    w = {"start": "2025-11-01", "end": "2025-11-30"}
    k = kpi_summary(mall["orders"], mall["refunds"], mall["traffic"], **w, compare="prev")
    ch = channel_mix(mall["orders"], **w)
    assert ch["gmv_fen"].sum() == k.current.loc["all", "gmv_fen"]
    assert ch["share"].sum() == pytest.approx(1)
    cat = category_mix(mall["order_lines"], mall["orders"], mall["products"], **w)
    shipping = mall["orders"].pipe(lambda o: o[o["status"].isin(["paid", "shipped", "completed"])
                                               & o["paid_at"].between("2025-11-01", "2025-12-01",
                                                                      inclusive="left")])
    # Goods GMV per category + shipping = paid GMV.
    assert cat["gmv_fen"].sum() + shipping["shipping_fen"].sum() == k.current.loc["all", "gmv_fen"]
    top = top_products(mall["order_lines"], mall["orders"], mall["products"], **w, n=5)
    assert top["rank"].tolist() == [1, 2, 3, 4, 5]
    assert top["gmv_fen"].is_monotonic_decreasing


def test_unknown_sku_is_kept_as_unknown_category(mall):
    lines = mall["order_lines"].copy()
    paid = mall["orders"].loc[mall["orders"]["status"] == "completed", "order_id"]
    lines.loc[lines["order_id"].isin(paid).idxmax(), "sku"] = "NOPE"
    cat = category_mix(lines, mall["orders"], mall["products"], start="2025-10-01",
                       end="2025-11-30")
    full = category_mix(mall["order_lines"], mall["orders"], mall["products"],
                        start="2025-10-01", end="2025-11-30")
    assert cat["gmv_fen"].sum() == full["gmv_fen"].sum()
    assert "(unknown)" in set(cat["category"])


def test_refund_of_an_unknown_order_is_kept():
    refunds = pd.concat([_refunds(), pd.DataFrame({
        "refund_id": ["R9"], "order_id": ["GONE"], "refunded_at": [pd.Timestamp("2026-11-13")],
        "amount_fen": [700]})], ignore_index=True)
    d = daily_kpis(_orders(), refunds, _traffic(), **WEEK)
    assert d["refunds_fen"].sum() == 3000 + 700  # R1 + R2 + the orphan R9
    assert d.loc[d["channel"] == "(unknown)", "refunds_fen"].sum() == 700
    k = kpi_summary(_orders(), refunds, _traffic(), **WEEK, compare="prev")
    assert k.current.loc["all", "refunds_fen"] == 3700


def test_previous_window_is_the_previous_calendar_period():
    from mallkit.metrics import previous_window

    def days(w):
        return [str(d.date()) for d in w]

    # A month's 环比 is the whole previous month, whatever its length (October: 31 days;
    # the old same-length rule gave 2025-10-02..10-31 for November).
    assert days(previous_window("2025-11")) == ["2025-10-01", "2025-10-31"]
    assert days(previous_window("2025-12")) == ["2025-11-01", "2025-11-30"]
    # Month to date (1..20 November) against the same 20 days of October.
    assert days(previous_window("2025-11", end="2025-11-20")) == ["2025-10-01", "2025-10-20"]
    # 1..30 March 2026 against February, which has 28 days in 2026.
    assert days(previous_window("2026-03", end="2026-03-30")) == ["2026-02-01", "2026-02-28"]
    # ISO weeks: 2026-W47 is Mon 16..Sun 22 November 2026, so W46 is 9..15 November.
    assert days(previous_window("2026-W47")) == ["2026-11-09", "2026-11-15"]
    assert days(previous_window("2026-W47", end="2026-11-18")) == ["2026-11-09", "2026-11-11"]


def test_prev_window_replaces_the_same_length_days_before():
    k = kpi_summary(_orders(), _refunds(), _traffic(), **WEEK, compare="both",
                    prev_window=("2025-01-01", "2025-01-31"))
    prev = k.periods.set_index("window").loc["prev"]
    assert (prev["start"], prev["end"]) == (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-31"))
    gmv = k.wide().loc["gmv_fen"]
    # January 2025 holds only O0 (tmall, 8000 fen); the week holds 35000 (worked above).
    assert gmv["prev"] == 8000
    assert gmv["pop_change"] == pytest.approx((35000 - 8000) / 8000)
    with pytest.raises(MallkitError, match="prev_window is given but compare='yoy'"):
        kpi_summary(_orders(), _refunds(), _traffic(), **WEEK, compare="yoy",
                    prev_window=("2025-01-01", "2025-01-31"))
    with pytest.raises(MallkitError, match="end 2025-01-01 is before start 2025-01-31"):
        kpi_summary(_orders(), _refunds(), _traffic(), **WEEK,
                    prev_window=("2025-01-31", "2025-01-01"))


def test_rankings_break_gmv_ties_by_name_whatever_the_row_order():
    # Two SKUs and two channels with equal GMV: the ranking must not follow row order.
    orders = pd.DataFrame({
        "order_id": ["A", "B"], "customer_id": ["C1", "C2"], "channel": ["web", "jd"],
        "status": "paid", "paid_fen": [5000, 5000], "goods_fen": [5000, 5000],
        "discount_fen": 0, "shipping_fen": 0, "payment_method": "alipay",
        "created_at": pd.to_datetime(["2026-11-10 09:00", "2026-11-10 10:00"]),
        "paid_at": pd.to_datetime(["2026-11-10 09:01", "2026-11-10 10:01"])})
    lines = pd.DataFrame({"order_id": ["A", "B"], "sku": ["Z9", "A1"], "qty": [1, 1],
                          "unit_price_fen": [5000, 5000], "discount_fen": [0, 0],
                          "paid_fen": [5000, 5000]})
    products = make_sample_mall(seed=0, start="2025-11-01", end="2025-11-02",
                                n_customers=10)["products"].head(2).assign(sku=["Z9", "A1"])
    for o, li in ((orders, lines), (orders.iloc[::-1], lines.iloc[::-1])):
        top = top_products(li, o, products, start="2026-11-10", end="2026-11-10")
        assert top["sku"].tolist() == ["A1", "Z9"]
        assert channel_mix(o, start="2026-11-10", end="2026-11-10")["channel"].tolist() == [
            "jd", "web"]
