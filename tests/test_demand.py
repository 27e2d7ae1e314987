"""Tests of mallkit.demand: daily sales, in-stock demand statistics, Croston/SBA/TSB,
ABC–XYZ and event uplift.

Sources of expected values:
  [SF]  statsforecast 2.1.1 (CrostonClassic, CrostonSBA, TSB) on
        y = [0,0,3,0,0,0,5,0,2,0,0,4,0,0,0,0,6,0,0,1], as listed in
        /work/shared/reference/inventory.md §2 ("Intermittent demand").
  [SB]  Syntetos & Boylan class cut-offs ADI 1.32, CV² 0.49 (CRAN m5::m5_demand_type),
        inventory.md §2.
  [AK]  The sample mall's answer key: event_uplift (demand multipliers by event phase) and
        promotions.true_lift, the truth the generator used.
Other expected values are computed independently in the test (plain pandas / numpy loops).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallkit.datasets import make_sample_mall
from mallkit.demand import (
    abc_xyz,
    daily_sales,
    demand_class,
    demand_stats,
    event_uplift,
    forecast_intermittent,
    occasion_calendar,
)
from mallkit.errors import MissingColumnsError, SchemaError

Y = [0, 0, 3, 0, 0, 0, 5, 0, 2, 0, 0, 4, 0, 0, 0, 0, 6, 0, 0, 1]
NO_EVENTS = pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "event": [], "phase": [],
                          "kind": []})


# --------------------------------------------------------------------------- forecasts
def test_croston_sba_tsb_reference_values():
    # [SF]: CrostonClassic 1.011539, CrostonSBA 0.960962, TSB(0.2, 0.2) 1.205224
    assert forecast_intermittent(Y, method="croston", alpha=0.1) == pytest.approx(1.011539,
                                                                                abs=5e-7)
    assert forecast_intermittent(Y, method="sba", alpha=0.1) == pytest.approx(0.960962,
                                                                            abs=5e-7)
    assert forecast_intermittent(Y, method="tsb", alpha_d=0.2, alpha_p=0.2) == pytest.approx(
        1.205224, abs=5e-7)


def _ses(x, a):
    level = x[0]
    for v in x[1:]:
        level = level + a * (v - level)
    return level


def _croston_loop(y, a):
    """Textbook Croston by separate SES of sizes and intervals (plain Python)."""
    y = np.asarray(y, dtype=float)
    idx = np.flatnonzero(y > 0)
    if not len(idx):
        return 0.0
    sizes = y[idx]
    intervals = np.diff(np.r_[-1, idx])  # the first interval counts from the start
    return _ses(sizes, a) / _ses(intervals, a)


@given(st.lists(st.integers(0, 9), min_size=1, max_size=60), st.floats(0.05, 1.0))
def test_croston_matches_plain_loop(y, a):
    assert forecast_intermittent(y, method="croston", alpha=a) == pytest.approx(
        _croston_loop(y, a), rel=1e-12, abs=1e-12)
    assert forecast_intermittent(y, method="sba", alpha=a) == pytest.approx(
        (1 - a / 2) * _croston_loop(y, a), rel=1e-12, abs=1e-12)


def test_many_series_and_missing_periods():
    rng = np.random.default_rng(5)
    m = rng.poisson(0.4, (50, 7)) * rng.integers(1, 5, (50, 7))
    got = forecast_intermittent(m, method="tsb")
    one = [forecast_intermittent(m[:, j], method="tsb") for j in range(7)]
    np.testing.assert_allclose(got, one, rtol=1e-12)
    frame = pd.DataFrame(m, columns=list("abcdefg"))
    s = forecast_intermittent(frame, method="croston")
    assert list(s.index) == list("abcdefg") and s.name == "croston"
    # unobserved periods (stock-outs) are skipped, not read as zero demand
    obs = np.ones(len(Y), dtype=bool)
    obs[[3, 4, 5]] = False
    y2 = np.delete(Y, [3, 4, 5])
    assert forecast_intermittent(Y, method="sba", observed=obs) == pytest.approx(
        forecast_intermittent(y2, method="sba"), rel=1e-12)
    assert forecast_intermittent([0, 0, 0], method="croston") == 0.0
    assert np.isnan(forecast_intermittent([1, 2], method="sba", observed=[False, False]))


def test_forecast_errors():
    with pytest.raises(SchemaError, match="method must be 'croston', 'sba' or 'tsb'"):
        forecast_intermittent(Y, method="ses")
    with pytest.raises(SchemaError, match=r"alpha must be in \(0, 1\], got 0"):
        forecast_intermittent(Y, alpha=0)
    with pytest.raises(SchemaError, match=r"non-negative numbers.*period 1, series 0: -2"):
        forecast_intermittent([1, -2, 3])


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


# --------------------------------------------------------------------------- uplift
def test_event_uplift_recovers_a_known_multiplier():
    # synthetic truth: Poisson(4) a day, x3 on the 双11 presale and final days, x0.5 when
    # couriers stop; 300 SKUs in 3 categories; some event days stocked out (censored)
    rng = np.random.default_rng(11)
    days = pd.date_range("2025-08-01", "2025-11-30", unit="us")
    cal = occasion_calendar(days[0], days[-1])
    mult = pd.Series(1.0, index=days)
    eleven = cal.loc[cal["occasion"].str.startswith("双11/p") | (cal["occasion"]
                                                              == "双11/final_payment"), "date"]
    mult[eleven] = 3.0
    n = 300
    qty = rng.poisson(4.0 * mult.to_numpy()[:, None], (len(days), n))
    skus = [f"S{i:03d}" for i in range(n)]
    sales = pd.DataFrame({"date": np.repeat(days, n), "sku": skus * len(days),
                          "qty": qty.ravel()})
    stock = np.full((len(days), n), 100)
    stock[days.get_indexer(eleven[:3]), :50] = 0  # censored: these days must not count
    inv = pd.DataFrame({"date": np.repeat(days, n), "sku": skus * len(days),
                        "on_hand": stock.ravel(), "on_order": 0})
    prod = pd.DataFrame({"sku": skus, "category": np.repeat(["a", "b", "c"], 100),
                         "list_price_fen": 100, "unit_cost_fen": 50, "lead_time_days": 5.0,
                         "lead_time_std_days": 1.0, "moq": 1, "case_pack": 1})
    up = event_uplift(sales, inv, prod, as_of=days[-1], history_days=len(days))
    for occ in ("双11/presale", "双11/final_payment"):
        u = up[up["occasion"] == occ]
        assert u["overall_uplift"].iloc[0] == pytest.approx(3.0, rel=0.03)
        assert u["category_uplift"].between(2.75, 3.25).all()  # ~1200 units a day: SE 3 %
        assert u["uplift"].between(2.0, 4.0).all()  # one SKU's few days: noisier, shrunk
    tail = up[up["occasion"] == "双11/tail"]
    assert tail["overall_uplift"].iloc[0] == pytest.approx(1.0, rel=0.05)


def test_event_uplift_on_sample_matches_answer_key(mall):
    # [AK]: the generator multiplies demand by event_uplift (双11 final 6.0, 618 climax 3.0,
    # 春节 courier stop 0.35) and, on those days, by the running promotion's 1 + true_lift
    # (双11 promo 0.40, 618 promo 0.30); the estimate also carries the yearly wave and
    # weekday of the day, hence the 25 % tolerance.
    up = event_uplift(mall["daily"], mall["inventory"], mall["products"], as_of="2025-10-31",
                      promotions=mall["promotions"], history_days=500)
    overall = up.groupby("occasion")["overall_uplift"].first()
    key = mall["answer_key"].event_uplift.set_index(["event", "phase"])["uplift"]
    assert overall["双11/final_payment"] == pytest.approx(key["双11", "final_payment"] * 1.4,
                                                          rel=0.25)
    assert overall["618/climax"] == pytest.approx(key["618", "climax"] * 1.3, rel=0.25)
    assert overall["春节/courier_stop"] == pytest.approx(key["春节", "courier_stop"], rel=0.25)
    # a category-scoped promotion is learned for its category only
    p = up[up["occasion"] == "promo:母婴 满2件9折"]
    assert set(p["category"]) == {"母婴"}
    lift = mall["answer_key"].promotions.query("scope == 'category:母婴'")["true_lift"].iloc[0]
    assert p["category_uplift"].iloc[0] == pytest.approx(1 + lift, rel=0.5)


def test_occasion_calendar_labels():
    promo = pd.DataFrame({"promo_id": ["P"], "name": ["双11 每满300减50"],
                          "mechanic": ["per_full_reduction"], "start": ["2025-11-09"],
                          "end": ["2025-11-12 23:59:59"], "scope": ["all"], "params": ["{}"],
                          "ad_spend_fen": [0]})
    cal = occasion_calendar("2025-11-10", "2025-11-12", promotions=promo)
    assert len(cal) == 6  # 3 event days + 3 promotion days inside the range
    assert set(cal.loc[cal["source"] == "promotion", "occasion"]) == {"promo:双11 每满300减50"}
    assert cal["date"].min() == pd.Timestamp("2025-11-10")
    hol = occasion_calendar("2025-10-01", "2025-10-03", event_kinds=("holiday",))
    assert len(hol) == 3 and hol["source"].eq("event").all()
