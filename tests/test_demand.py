"""Tests of mallkit.demand: daily sales, occasions, in-stock demand statistics, ABC–XYZ.

Sources of expected values:
  [SB]  Syntetos & Boylan class cut-offs ADI 1.32, CV² 0.49 (CRAN m5::m5_demand_type),
        inventory.md §2.
Other expected values are computed independently in the test (plain pandas / numpy loops).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mallkit.datasets import make_sample_mall
from mallkit.demand import (
    abc_xyz,
    daily_sales,
    demand_class,
    demand_stats,
    forecast_intermittent,
    occasion_calendar,
)
from mallkit.errors import MissingColumnsError, SchemaError

NO_EVENTS = pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "event": [], "phase": [],
                          "kind": []})


# --------------------------------------------------------------------------- classes
def test_syntetos_boylan_classes():
    # [SB]: smooth ADI<1.32 & CV²<0.49; intermittent ADI>=1.32 & CV²<0.49; erratic
    # ADI<1.32 & CV²>=0.49; lumpy both high. Boundaries belong to the high side.
    got = demand_class([1.31, 1.32, 1.0, 1.32, 1.0, np.inf, 5.0],
                       [0.48, 0.48, 0.49, 0.49, np.nan, np.nan, np.nan])
    assert got.tolist() == ["smooth", "intermittent", "erratic", "lumpy", "smooth",
                            "no_demand", "intermittent"]


def test_demand_stats_by_hand():
    days = pd.date_range("2026-03-02", periods=10, unit="us")
    qty = [0, 5, 0, 0, 2, 9, 0, 0, 1, 0]
    sales = pd.DataFrame({"date": days, "sku": "A", "qty": qty})
    stock = [5, 3, 0, 4, 4, 0, 6, 6, 6, 6]  # days 3 and 6 closed at 0: censored
    inv = pd.DataFrame({"date": days, "sku": "A", "on_hand": stock, "on_order": 0})
    st_ = demand_stats(sales, inv, as_of=days[-1], window_days=10, events=NO_EVENTS).iloc[0]
    used = np.array([0, 5, 0, 2, 0, 0, 1, 0], dtype=float)  # in-stock days
    assert st_["in_stock_days"] == 8 and st_["used_days"] == 8
    assert st_["mean"] == pytest.approx(used.mean())
    assert st_["std"] == pytest.approx(used.std(ddof=1))
    assert st_["units"] == 17 and st_["used_units"] == 8
    assert st_["demand_days"] == 3 and st_["adi"] == pytest.approx(8 / 3)
    sizes = np.array([5, 2, 1.0])
    assert st_["cv2"] == pytest.approx(sizes.var(ddof=1) / sizes.mean() ** 2)
    assert st_["demand_class"] == "lumpy"  # ADI 2.67, CV² 0.66
    assert st_["forecast_method"] == "sba"
    assert st_["forecast"] == pytest.approx(forecast_intermittent(
        qty, method="sba", observed=np.array(stock) > 0))
    assert st_["last_sale"] == pd.Timestamp("2026-03-10") and st_["days_since_sale"] == 1
    assert st_["zero_share"] == pytest.approx(5 / 8)
    assert bool(st_["low_data"])  # 8 used days < 14
    # without inventory every day counts: the stock-out days pull the mean down
    no_inv = demand_stats(sales, as_of=days[-1], window_days=10, events=NO_EVENTS).iloc[0]
    assert no_inv["mean"] == pytest.approx(1.7)


def test_demand_stats_excludes_events_and_scoped_promotions():
    days = pd.date_range("2026-06-01", periods=30, unit="us")
    sales = pd.DataFrame({"date": np.repeat(days, 2), "sku": ["A", "B"] * 30, "qty": 2})
    big = sales["date"].between("2026-06-16", "2026-06-18")
    sales.loc[big, "qty"] = 20  # the 618 climax (06-16..06-18 in the shipped calendar)
    # 618 runs from presale (05-24) to tail (06-20); the promotion is after it
    prod = pd.DataFrame({"sku": ["A", "B"], "category": ["x", "y"], "list_price_fen": 100,
                         "unit_cost_fen": 50, "lead_time_days": 5.0, "lead_time_std_days": 1.0,
                         "moq": 1, "case_pack": 1})
    promo = pd.DataFrame({"promo_id": ["P1"], "name": ["x 9折"], "mechanic": ["percent_off"],
                          "start": ["2026-06-24"], "end": ["2026-06-27 23:59:59"],
                          "scope": ["category:x"], "params": ["{}"], "ad_spend_fen": [0]})
    got = demand_stats(sales, as_of="2026-06-30", window_days=30, products=prod,
                       promotions=promo).set_index("sku")
    cal = occasion_calendar("2026-06-01", "2026-06-30")
    n_event_days = cal["date"].nunique()  # 618 presale/main/climax/tail days in June
    assert got.loc["B", "excluded_days"] == n_event_days
    assert got.loc["A", "excluded_days"] == n_event_days + 4  # + its category's promotion
    assert got.loc["A", "mean"] == 2.0 and got.loc["B", "std"] == 0.0
    kept = demand_stats(sales, as_of="2026-06-30", window_days=30, exclude=())
    assert kept.set_index("sku").loc["A", "mean"] > 2.0
    with pytest.raises(SchemaError, match=r"category scope needs products.*P1"):
        demand_stats(sales, as_of="2026-06-30", promotions=promo)


@pytest.fixture(scope="module")
def mall():
    m = make_sample_mall(seed=0, start="2024-06-01", end="2025-11-20", n_customers=8000)
    m["daily"] = daily_sales(m["order_lines"], m["orders"])
    return m


def test_daily_sales_independent(mall):
    o, lines = mall["orders"], mall["order_lines"]
    paid = o[o["status"].isin(["paid", "shipped", "completed"])]
    ref = lines.merge(paid[["order_id", "created_at"]], on="order_id")
    ref = ref.assign(date=ref["created_at"].dt.normalize()).groupby(["date", "sku"])[
        ["qty", "paid_fen"]].sum().reset_index()
    got = mall["daily"]
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    assert got["paid_fen"].dtype == "int64"
    by = daily_sales(lines, o, by=("channel",))
    assert list(by.columns) == ["date", "channel", "sku", "qty", "paid_fen"]
    assert by["qty"].sum() == got["qty"].sum()


def test_daily_sales_refuses_orphan_lines(mall):
    lines = mall["order_lines"].head(50).copy()
    lines.loc[lines.index[2], "order_id"] = "NOPE"
    with pytest.raises(SchemaError, match=r"'order_lines'.*'order_id'.*order exists in orders"
                                          r".*NOPE"):
        daily_sales(lines, mall["orders"])


def test_order_lines_are_pointed_to_daily_sales(mall):
    # the issue lets demand_stats start from order lines; those carry no date (it is on the
    # order), so the error says how to get daily sales from them
    with pytest.raises(MissingColumnsError, match=r"'sales'.*'date'.*order lines carry no "
                       r"date.*daily_sales\(order_lines, orders\)"):
        demand_stats(mall["order_lines"], as_of="2025-10-15")


def test_demand_stats_on_sample_matches_pandas(mall, not_mutated):
    as_of = pd.Timestamp("2025-10-15")
    got = not_mutated(demand_stats, mall["daily"], mall["inventory"], as_of=as_of,
                      products=mall["products"], promotions=mall["promotions"])
    got = got.set_index("sku")
    assert len(got) == len(mall["products"])
    # independent: pandas over the 90 days, in-stock (closing > 0), no event / promo day
    inv = mall["inventory"]
    inv = inv[inv["date"].between(as_of - pd.Timedelta(days=89), as_of)]
    d = inv.merge(mall["daily"], on=["date", "sku"], how="left").fillna({"qty": 0})
    cal = occasion_calendar(as_of - pd.Timedelta(days=89), as_of,
                            promotions=mall["promotions"])
    cat = mall["products"].set_index("sku")["category"]
    d["category"] = d["sku"].map(cat)
    ev_days = set(cal.loc[cal["scope"] == "all", "date"])
    scoped = cal[cal["scope"].str.startswith("category:")]
    pairs = set(zip(scoped["date"], scoped["scope"].str[9:], strict=True))
    occ = d["date"].isin(ev_days) | pd.Series(
        [(a, b) in pairs for a, b in zip(d["date"], d["category"], strict=True)], index=d.index)
    use = d[(d["on_hand"] > 0) & ~occ]
    ref = use.groupby("sku")["qty"].agg(["mean", "std", "size"])
    np.testing.assert_allclose(got.loc[ref.index, "mean"], ref["mean"], rtol=1e-12)
    np.testing.assert_allclose(got.loc[ref.index, "std"], ref["std"], rtol=1e-9)
    np.testing.assert_array_equal(got.loc[ref.index, "used_days"], ref["size"])
    # censoring: SKUs with stock-outs look busier once the out-of-stock days are dropped
    blind = demand_stats(mall["daily"], as_of=as_of, products=mall["products"],
                         promotions=mall["promotions"]).set_index("sku")
    outs = got.index[got["in_stock_days"] < 80]
    assert len(outs) >= 5
    ratio = got.loc[outs, "mean"] / blind.loc[outs, "mean"]
    assert ratio.mean() > 1.05 and (ratio > 1).mean() > 0.6
    assert set(got["demand_class"]) <= {"smooth", "intermittent", "erratic", "lumpy",
                                        "no_demand"}


def test_demand_stats_errors():
    s = pd.DataFrame({"date": ["2026-01-01", "2026-01-02"], "sku": ["A", "A"], "qty": [1, -2]})
    with pytest.raises(SchemaError, match=r"'sales'.*'qty'.*non-negative.*2026-01-02.*/A"):
        demand_stats(s, as_of="2026-01-02", events=NO_EVENTS)
    with pytest.raises(MissingColumnsError, match=r"missing column\(s\) \['qty'\]"):
        demand_stats(s.drop(columns="qty"), as_of="2026-01-02")
    for bad in (0, 30.5):  # a fraction of a day used to fail deep inside with a TypeError
        with pytest.raises(SchemaError, match=r"window_days must be a whole number of days "
                           rf">= 1, got {bad}"):
            demand_stats(s.assign(qty=1), as_of="2026-01-02", window_days=bad)
    with pytest.raises(SchemaError, match="exclude may hold 'events' and 'promotions'"):
        demand_stats(s.assign(qty=1), as_of="2026-01-02", exclude=("holidays",))
    inv = pd.DataFrame({"date": ["2026-01-01"], "sku": ["A"], "on_hand": [-1], "on_order": [0]})
    with pytest.raises(SchemaError, match=r"'inventory'.*'on_hand'.*non-negative"):
        demand_stats(s.assign(qty=1), inv, as_of="2026-01-02")


# --------------------------------------------------------------------------- ABC–XYZ
def test_abc_shopify_80_15_5():
    # revenue shares 50/20/10/8/7/3/2 % and one unsold SKU; cumulative before each SKU:
    # 0, 50, 70, 80, 88, 95, 98 -> A A A B B C C (the SKU that crosses 80 % stays A), U
    fen = np.array([5000, 2000, 1000, 800, 700, 300, 200, 0]) * 100
    s = pd.DataFrame({"date": pd.Timestamp("2026-01-05"), "sku": list("abcdefgh"),
                      "qty": [5, 2, 1, 1, 1, 1, 1, 0], "paid_fen": fen})
    got = abc_xyz(s, as_of="2026-01-11", window_days=7)
    assert got["abc"].tolist() == list("AAABBCCU")
    assert got["revenue_fen"].sum() == fen.sum()
    assert got["cum_share"].iloc[-1] == pytest.approx(1.0)
    custom = abc_xyz(s, as_of="2026-01-11", window_days=7, abc=(0.5, 0.9))
    assert custom["abc"].tolist() == list("ABBBBCCU")  # before: 0|50 70 80 88|95 98


def test_xyz_by_period_cv():
    days = pd.date_range("2026-01-01", periods=28, unit="us")
    steady = np.tile([3, 3, 3, 3, 3, 3, 3], 4)  # weekly totals 21,21,21,21 -> CV 0
    spiky = np.r_[np.zeros(21), [30, 0, 0, 0, 0, 0, 0]]  # weeks 0,0,0,30 -> CV √3
    mid = np.r_[np.full(7, 1), np.full(7, 2), np.full(7, 1), np.full(7, 2)]  # 7,14,7,14
    s = pd.DataFrame({"date": np.tile(days, 3), "sku": np.repeat(["s", "z", "m"], 28),
                      "qty": np.r_[steady, spiky, mid], "paid_fen": 100})
    got = abc_xyz(s, as_of=days[-1], window_days=28, grain="W").set_index("sku")
    assert got.loc["s", "cv"] == 0 and got.loc["s", "xyz"] == "X"
    assert got.loc["z", "cv"] == pytest.approx(np.sqrt(3)) and got.loc["z", "xyz"] == "Z"
    assert got.loc["m", "cv"] == pytest.approx(np.std([7, 14, 7, 14]) / 10.5)  # 1/3
    assert got.loc["m", "xyz"] == "X"
    daily = abc_xyz(s, as_of=days[-1], window_days=28, grain="D").set_index("sku")
    assert daily.loc["m", "cv"] == pytest.approx(np.std(mid) / mid.mean())
    assert (got["periods"] == 4).all() and (daily["periods"] == 28).all()
    with pytest.raises(SchemaError, match="grain must be"):
        abc_xyz(s, as_of=days[-1], grain="Q")


def test_abc_xyz_sample_with_products(mall):
    got = abc_xyz(mall["daily"], mall["products"], as_of="2025-10-31")
    assert len(got) == len(mall["products"]) and "category" in got
    a = got[got["abc"] == "A"]
    assert a["share"].sum() >= 0.8 and a["share"].sum() - a["share"].min() < 0.8
