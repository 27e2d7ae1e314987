"""Tests of mallkit.inventory: formulas against published numbers, warnings on the sample mall.

Sources of expected values (see /work/shared/reference/inventory.md):
  [R2]  inventory.md §2 "Standard formulas and reference numbers" (scipy 1.17 computations
        of the textbook formulas; the σ_L case is the example of inventorize's docstring).
  [FR]  Fill rate: or.stackexchange q/5589 and opess.ethz.ch §11.3.4, numbers in [R2].
  [SS]  Snyder & Shen, Fundamentals of Supply Chain Theory, Example 3.1, as computed by
        stockpyl 1.0.2 ``economic_order_quantity(8, 0.225, 1300)`` = (304.0467800, 68.41).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import brentq

from mallkit.datasets import make_sample_mall
from mallkit.demand import daily_sales
from mallkit.errors import InventoryError, MallkitError, SchemaError
from mallkit.inventory import (
    LEVELS,
    SERVICE_LEVELS,
    economic_order_quantity,
    fill_rate_k,
    inventory_warnings,
    order_up_to,
    reorder_point,
    safety_stock,
    standard_normal_loss,
    stock_metrics,
)

NO_EVENTS = pd.DataFrame({"date": pd.Series(dtype="datetime64[us]"), "event": [], "phase": [],
                          "kind": []})


# --------------------------------------------------------------------------- formulas
def test_cycle_service_with_lead_time_variability():
    # [R2]: d̄=50, σ_d=5, L=6, σ_L=2, CSL 0.90 -> σ_DLT 100.747, SS 129.11, ROP 429.11
    det = safety_stock(50, 5, 6, lead_time_std=2, service_level=0.90, details=True)
    assert det.loc[0, "sigma"] == pytest.approx(100.747, abs=5e-4)
    assert safety_stock(50, 5, 6, lead_time_std=2, service_level=0.90) == pytest.approx(
        129.11, abs=5e-3)
    assert reorder_point(50, 5, 6, lead_time_std=2, service_level=0.90) == pytest.approx(
        429.11, abs=5e-3)


def test_inventorize_xor_bug_is_not_reproduced():
    # [R2]: inventorize.reorderpoint_leadtime_variability returns 391.99 because its
    # variance term is evaluated with ^ = XOR: (d²·σ_L) ^ 2 = 5000 ^ 2 = 5002 instead of
    # d²·σ_L² = 10000. Recompute that wrong value to show it is what 391.99 is, and that
    # mallkit gives the textbook value instead.
    wrong = 50 * 6 + stats.norm.ppf(0.90) * math.sqrt(6 * 5**2 + ((50**2 * 2) ^ 2))
    assert wrong == pytest.approx(391.99, abs=5e-3)
    right = reorder_point(50, 5, 6, lead_time_std=2, service_level=0.90)
    assert right == pytest.approx(50 * 6 + stats.norm.ppf(0.9) * math.sqrt(
        6 * 5**2 + 50**2 * 2**2), rel=1e-12)
    assert abs(right - wrong) > 30


def test_cycle_service_demand_only():
    # [R2]: σ_L = 0 -> SS 15.70, ROP 315.70 (inventorize.reorderpoint agrees)
    assert safety_stock(50, 5, 6, service_level=0.90) == pytest.approx(15.70, abs=5e-3)
    assert reorder_point(50, 5, 6, service_level=0.90) == pytest.approx(315.70, abs=5e-3)


@pytest.mark.parametrize(("beta", "k"), [(0.99, 0.534), (0.98, 0.049), (0.95, -0.822)])
def test_fill_rate_k(beta, k):
    # [FR]/[R2]: d̄=50, σ_d=8, L=4 (σ_L = 8·√4 = 16), Q=300: β .99 -> k .534, .98 -> .049,
    # .95 -> -.822
    assert fill_rate_k(300, 16, beta) == pytest.approx(k, abs=5e-4)


def test_fill_rate_safety_stock_and_floor():
    # [FR]/[R2]: β=0.99 -> SS 8.54; β=0.95 gives k<0, a negative SS clipped to 0 and flagged
    assert safety_stock(50, 8, 4, kind="fill_rate", order_qty=300,
                        service_level=0.99) == pytest.approx(8.54, abs=5e-3)
    det = safety_stock(50, 8, 4, kind="fill_rate", order_qty=300, service_level=0.95,
                       details=True)
    assert det.loc[0, "safety_stock"] == 0.0
    assert bool(det.loc[0, "floored"])
    assert det.loc[0, "raw_safety_stock"] == pytest.approx(-0.822 * 16, abs=0.01)


def test_cycle_service_095_is_a_much_higher_fill_rate():
    # [R2]: CSL 0.95 -> SS 26.32, which is a fill rate of 0.99889 when Q=300 ≫ σ=16
    ss = safety_stock(50, 8, 4, service_level=0.95)
    assert ss == pytest.approx(26.32, abs=5e-3)
    beta = 1 - 16 * standard_normal_loss(ss / 16) / 300
    assert beta == pytest.approx(0.99889, abs=5e-6)


def test_periodic_review_order_up_to():
    # [R2]: R=7, L=4, d̄=50, σ=8, CSL 0.95 -> S = 593.64, SS = 43.64
    assert order_up_to(50, 8, 4, review_period=7, service_level=0.95) == pytest.approx(
        593.64, abs=5e-3)
    assert safety_stock(50, 8, 4, review_period=7, service_level=0.95) == pytest.approx(
        43.64, abs=5e-3)
    # an (s, S) policy adds the order quantity on top of s
    s = reorder_point(50, 8, 4, service_level=0.95)
    assert order_up_to(50, 8, 4, review_period=0, order_qty=300) == pytest.approx(s + 300)


def test_eoq_snyder_shen_example_3_1():
    # [SS]: K=8, h=0.225, λ=1300 -> Q* = 304.0467800
    assert economic_order_quantity(8, 0.225, 1300) == pytest.approx(304.0467800, abs=1e-6)
    got = economic_order_quantity([8, 8], [0.225, 0.9], [1300, 1300])
    np.testing.assert_allclose(got, [304.04678, 152.02339], atol=1e-5)  # h x4 -> Q*/2


def test_standard_normal_loss_matches_integral():
    # independent: G(k) = ∫_k^∞ (z - k) φ(z) dz by numerical quadrature
    from scipy.integrate import quad

    for k in (-2.0, -0.3, 0.0, 0.534, 1.7, 3.0):
        ref, _ = quad(lambda z, k=k: (z - k) * stats.norm.pdf(z), k, np.inf)
        assert standard_normal_loss(k) == pytest.approx(ref, abs=1e-9)


@given(st.floats(1e-4, 50.0))
def test_fill_rate_k_agrees_with_brentq(target):
    # the vectorised root finder against scipy.optimize.brentq on G(k) = target
    ref = brentq(lambda k: standard_normal_loss(k) - target, -target - 1, 40, xtol=1e-13)
    got = fill_rate_k(2 * target, 1.0, 0.5)  # G(k) = Q(1-β)/σ = 2·target·0.5/1
    assert got == pytest.approx(ref, abs=1e-8)


def test_fill_rate_vectorised_equals_elementwise():
    q = np.array([300.0, 50, 10, 1000])
    sig = np.array([16.0, 5, 20, 3])
    b = np.array([0.99, 0.9, 0.97, 0.999])
    vec = fill_rate_k(q, sig, b)
    one = [fill_rate_k(*x) for x in zip(q, sig, b, strict=True)]
    np.testing.assert_allclose(vec, one, rtol=0, atol=1e-12)


def _brute_quantile(pmf, p):
    """Smallest r with Σ_{x<=r} pmf(x) >= p, by summing the pmf (independent of ppf)."""
    cdf = np.cumsum(pmf)
    return int(np.argmax(cdf >= p - 1e-12))


def test_poisson_and_negbin_quantiles_by_summation():
    # Poisson: lead-time demand mean 0.4·10 = 4; independent cdf by summing e^-μ μ^x / x!
    mu = 4.0
    x = np.arange(200)
    pmf = np.exp(-mu + x * np.log(mu) - np.array([math.lgamma(i + 1) for i in x]))
    r = _brute_quantile(pmf, 0.95)
    assert safety_stock(0.4, 0, 10, service_level=0.95, distribution="poisson") == r - mu
    # negative binomial with mean 10, variance 5·3² + 0 = 45 (d̄=2, σ_d=3, L=5)
    m, v = 10.0, 45.0
    n, p = m**2 / (v - m), m / v
    lg = np.array([math.lgamma(i + n) - math.lgamma(n) - math.lgamma(i + 1) for i in x])
    pmf = np.exp(lg + n * np.log(p) + x * np.log1p(-p))
    r = _brute_quantile(pmf, 0.90)
    assert safety_stock(2, 3, 5, service_level=0.90, distribution="negbin") == r - m
    # not over-dispersed (σ_d² <= d̄): negbin falls back to Poisson
    det = safety_stock(2, 1, 5, service_level=0.9, distribution="negbin", details=True)
    assert det.loc[0, "method"] == "poisson"


def test_discrete_fill_rate_by_summation():
    # smallest r with E[(X - r)+] <= Q(1-β), the loss summed over the pmf directly
    m, v, q, beta = 10.0, 45.0, 20.0, 0.97
    x = np.arange(400)
    n, p = m**2 / (v - m), m / v
    lg = np.array([math.lgamma(i + n) - math.lgamma(n) - math.lgamma(i + 1) for i in x])
    pmf = np.exp(lg + n * np.log(p) + x * np.log1p(-p))
    loss = np.array([(np.maximum(x - r, 0) * pmf).sum() for r in range(60)])
    r = int(np.argmax(loss <= q * (1 - beta)))
    got = safety_stock(2, 3, 5, kind="fill_rate", order_qty=q, service_level=beta,
                       distribution="negbin")
    assert got == r - m
    pmf = stats.poisson.pmf(x, 10.0)
    loss = np.array([(np.maximum(x - r, 0) * pmf).sum() for r in range(60)])
    r = int(np.argmax(loss <= q * (1 - beta)))
    assert safety_stock(2, 0, 5, kind="fill_rate", order_qty=q, service_level=beta,
                        distribution="poisson") == r - 10.0


@given(st.floats(0.1, 500), st.floats(0.0, 100), st.floats(0.5, 60), st.floats(0, 10),
       st.floats(0.51, 0.995), st.floats(0.0, 0.004))
def test_safety_stock_invariants(d, sd, lt, lt_sd, csl, dsl):
    kw = {"lead_time_std": lt_sd}
    lo = safety_stock(d, sd, lt, service_level=csl, **kw)
    hi = safety_stock(d, sd, lt, service_level=csl + dsl, **kw)
    assert lo >= 0
    assert hi >= lo - 1e-9  # more service never needs less stock
    # normal SS scales with demand (d, σ_d both x3)
    assert safety_stock(3 * d, 3 * sd, lt, service_level=csl, **kw) == pytest.approx(
        3 * lo, rel=1e-9, abs=1e-9)
    rop = reorder_point(d, sd, lt, service_level=csl, **kw)
    assert rop == pytest.approx(d * lt + lo, rel=1e-12)


def test_vectorised_inputs_broadcast():
    got = safety_stock(np.array([50.0, 50.0]), 5, 6, lead_time_std=np.array([2.0, 0.0]),
                       service_level=0.9)
    np.testing.assert_allclose(got, [129.11, 15.70], atol=5e-3)  # [R2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"service_level": 1.0}, r"service_level must be finite and in \(0, 1\)"),
        ({"service_level": 0.0}, "service_level"),
        ({"lead_time_std": -1}, r"lead_time_std must be finite and in \[0, ∞\).*-1"),
        ({"kind": "fill_rate"}, "needs order_qty, or review_period > 0"),
        ({"kind": "type2"}, "kind must be 'cycle' or 'fill_rate'"),
        ({"distribution": "gamma"}, "distribution must be one of"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(InventoryError, match=match):
        safety_stock(50, 5, 6, **kwargs)
    assert issubclass(InventoryError, MallkitError)


def test_bad_array_values_named():
    with pytest.raises(InventoryError, match=r"mean must be .* 1 bad value\(s\), e.g. \[1\]=nan"):
        safety_stock([1.0, np.nan], 1, 3)
    with pytest.raises(InventoryError, match="holding_cost"):
        economic_order_quantity(8, 0, 1300)


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
    from mallkit.demand import event_uplift, occasion_calendar

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
    assert expect and got == expect - set(w1020.loc[w1020["level"].isin(
        ["below_safety", "reorder"]), "sku"])
    row = w1020[w1020["level"] == "slow_moving"].iloc[0]
    assert row["reason"].startswith(f"no sale for {row['days_since_sale']:.0f} d")


def test_service_levels_and_kinds(mall):
    base = _warn(mall, "2025-10-20", service_levels=0.90).set_index("sku")
    high = _warn(mall, "2025-10-20", service_levels={"A": 0.99, "B": 0.99, "C": 0.99,
                                                     "U": 0.99}).set_index("sku")
    high = high.loc[base.index]
    assert (base["service_level"] == 0.90).all()
    assert (high["safety_stock"] >= base["safety_stock"] - 1e-9).all()
    assert (high["safety_stock"] > base["safety_stock"]).mean() > 0.5
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
    assert "demand unknown" in w.loc["A", "flags"]
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
