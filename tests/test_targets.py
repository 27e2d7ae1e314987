"""Tests of mallkit.targets: exact decomposition, event-aware weights, drivers, pacing.

Where each expected number comes from is written next to it: a hand derivation, a
published reference (cited from /work/shared/reference/targets.md), the data-generating
process of a synthetic series, or the sample mall's own plan and actuals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallkit import calendar as mcal
from mallkit.datasets import make_sample_mall
from mallkit.errors import AllocationError, MissingColumnsError, PeriodError, SchemaError
from mallkit.targets import (
    daily_gmv,
    daily_profile,
    decompose_target,
    driver_gap,
    gmv_drivers,
    landing_backtest,
    pacing,
    to_targets,
)
from tests.conftest import assert_not_mutated

# The weekday pattern and event uplifts used by the synthetic series below (Mon..Sun).
WEEK = np.array([0.96, 0.95, 0.97, 1.0, 1.03, 1.06, 1.03])
UPLIFT = {("双11", "presale"): 1.25, ("双11", "final_payment"): 6.0, ("双11", "tail"): 1.5,
          ("618", "climax"): 3.0, ("春节", "courier_stop"): 0.4}


def synthetic(start="2023-01-01", end="2025-12-31", *, noise=0.02, seed=1, workday=1.0):
    """Daily GMV = 100k fen x weekday x event uplift x yearly wave x lognormal noise."""
    days = pd.date_range(start, end)
    ev = mcal.events(days[0], days[-1])
    up = pd.Series(UPLIFT).rename_axis(["event", "phase"]).rename("u").reset_index()
    e = ev.merge(up, on=["event", "phase"])
    mult = pd.Series(1.0, index=days)
    top = e.groupby("date")["u"].max()
    mult[top.index] = top
    wave = 1 + 0.1 * np.sin(2 * np.pi * days.day_of_year / 365)
    adj = np.where(mcal.is_working_day(days) & (days.day_of_week >= 5), workday, 1.0)
    rng = np.random.default_rng(seed)
    y = 100_000 * WEEK[days.day_of_week] * mult.to_numpy() * wave * adj
    y = y * np.exp(rng.normal(0, noise, len(days)))
    return pd.DataFrame({"date": days, "gmv_fen": y.round().astype("int64")})


@pytest.fixture(scope="module")
def mall():
    # Fixed window (two full 双11 seasons before 2026's), so tests do not depend on today.
    return make_sample_mall(seed=0, start="2024-09-01", end="2026-11-25")


@pytest.fixture(scope="module")
def by_channel(mall):
    # Paid GMV by order day: the basis of the sample's own targets table (datasets._targets).
    return daily_gmv(mall["orders"], by="channel", date_by="created_at")


# ------------------------------------------------------------------ reference examples
def test_proportion_formulas_match_gross_sohl_by_hand():
    # fpp3 §11.2 / hierarchicalforecast TopDown, on two children over three months:
    #   A = 10, 30, 20 ; B = 10, 10, 60 ; totals 20, 40, 80
    #   average_proportions  p_A = (10/20 + 30/40 + 20/80) / 3 = (0.5 + 0.75 + 0.25)/3 = 1/2
    #   proportion_averages  p_A = (10+30+20) / (20+40+80) = 60/140 = 3/7, p_B = 4/7
    # 7000 fen: AP -> 3500 / 3500; PA -> 3000 / 4000 (exact, no rounding needed).
    hist = pd.DataFrame({
        "date": pd.to_datetime(["2025-01-05", "2025-02-05", "2025-03-05"] * 2),
        "channel": ["A"] * 3 + ["B"] * 3,
        "gmv_fen": [10, 30, 20, 10, 10, 60],
    })
    kw = {"start": "2026-01", "end": "2026-01", "history": hist, "by": "channel", "freq": None}
    ap = decompose_target(7000, method="average_proportions", **kw)
    pa = decompose_target(7000, method="proportion_averages", **kw)
    assert ap.set_index("channel")["target_fen"].to_dict() == {"A": 3500, "B": 3500}
    assert pa.set_index("channel")["target_fen"].to_dict() == {"A": 3000, "B": 4000}
    # window=1 keeps March only: A 20/80 = 1/4 -> 1750, B 5250.
    w1 = decompose_target(7000, method="average_proportions", window=1, **kw)
    assert w1.set_index("channel")["target_fen"].to_dict() == {"A": 1750, "B": 5250}
    # last_year on 2025-01..2025-03 (plan 2026-01..03): the same sums as PA, 3000 / 4000.
    ly = decompose_target(7000, method="last_year", **{**kw, "end": "2026-03"})
    assert ly.set_index("channel")["target_fen"].to_dict() == {"A": 3000, "B": 4000}


def test_alabama_paradox_of_largest_remainder():
    # Hamilton's method with votes 1500:1500:900:500:500:200 (liquisearch.com/
    # largest_remainder_method, cited in targets.md §3): 25 seats -> 7,7,4,3,3,1 but
    # 26 seats -> 8,8,5,2,2,1; the 500s lose a seat when the house grows.
    shares = dict(zip("ABCDEF", [1500, 1500, 900, 500, 500, 200], strict=True))
    kw = {"start": "2026-01-01", "end": "2026-01-01", "by": "party", "freq": None,
          "method": "manual", "shares": shares}
    assert decompose_target(25, **kw)["target_fen"].tolist() == [7, 7, 4, 3, 3, 1]
    assert decompose_target(26, **kw)["target_fen"].tolist() == [8, 8, 5, 2, 2, 1]
    # The same split in units of 100 yuan (targets.md §3: "run it on T/u").
    big = decompose_target(26 * 10_000, unit_fen=10_000, **kw)
    assert big["target_fen"].tolist() == [80_000, 80_000, 50_000, 20_000, 20_000, 10_000]


def test_tm1_hold_spreading_steps():
    # IBM TM1 "spreading to a consolidated cell" (targets.md §3) with leaves A..D at
    # 100, 200, 300, 400 (consolidated 1000), B held, new value 1500:
    #   (1) value before = 1000; (2) un-held leaves A+C+D = 800; (3) held = 1000-800 = 200
    #   (4) to spread = 1500 - 200 = 1300; (5) over A:C:D = 100:300:400 -> 162.5, 487.5, 650
    # Largest remainder: floors 162, 487, 650 (sum 1299), 1 fen to the first .5 tie (A).
    kw = {"start": "2026-01-01", "end": "2026-01-31", "by": "sku", "freq": None,
          "method": "manual", "shares": {"A": 100, "B": 200, "C": 300, "D": 400}}
    plan = decompose_target(1500, holds={"B": 200}, **kw).set_index("sku")
    assert plan["target_fen"].to_dict() == {"A": 163, "B": 200, "C": 487, "D": 650}
    assert plan["basis"].to_dict() == {"A": "proportional", "B": "held", "C": "proportional",
                                       "D": "proportional"}


def test_floors_and_caps_by_iterative_clipping():
    kw = {"start": "2026-01-01", "end": "2026-01-31", "by": "c", "freq": None,
          "method": "manual"}
    # Cap A at 100 of 1000 split 1:1:1:1: A = 100, the other 900 equally -> 300 each.
    p = decompose_target(1000, shares=dict.fromkeys("ABCD", 1), caps={"A": 100}, **kw)
    assert p["target_fen"].tolist() == [100, 300, 300, 300]
    assert p["basis"].tolist() == ["capped", "proportional", "proportional", "proportional"]
    # Floors 100 under B, C, D split 97:1:1:1: proportional gives 970/10/10/10, so B..D are
    # raised to 100 and A keeps the rest, 700.
    p = decompose_target(1000, shares={"A": 97, "B": 1, "C": 1, "D": 1},
                         floors=dict.fromkeys("BCD", 100), **kw)
    assert p["target_fen"].tolist() == [700, 100, 100, 100]
    assert p["basis"].tolist() == ["proportional", "floored", "floored", "floored"]
    # Clipping cascades: caps A<=500 and B<=300 of 1000 split 6:3:1 -> A 500, then the
    # remaining 500 over B:C = 3:1 gives B 375 > 300 -> B 300, C 200.
    p = decompose_target(1000, shares={"A": 6, "B": 3, "C": 1}, caps={"A": 500, "B": 300},
                         **kw)
    assert p["target_fen"].tolist() == [500, 300, 200]


def test_leaf_floors_and_caps_reach_the_parent_split():
    # total 1000 over channels a (leaf x, weight 9) and b (leaf y, weight 1), floor y >= 500:
    # proportionally b would get 100 < 500, so b's channel split must know y's floor:
    # b is floored at 500 and a keeps 1000 - 500 = 500 (it raised "Σfloors > total").
    kw = {"start": "2026-01-01", "end": "2026-01-01", "by": ["ch", "cat"], "freq": None,
          "method": "manual"}
    p = decompose_target(1000, shares={("a", "x"): 9, ("b", "y"): 1},
                         floors={("b", "y"): 500}, **kw).set_index("ch")
    assert p["target_fen"].to_dict() == {"a": 500, "b": 500}
    assert p.loc["b", "basis_ch"] == "floored" and p.loc["b", "basis"] == "floored"
    # Caps of every child cap the parent: a/x <= 300 and a/z <= 100 -> a <= 400, b = 600.
    p = decompose_target(1000, shares={("a", "x"): 9, ("a", "z"): 1, ("b", "y"): 1},
                         caps={("a", "x"): 300, ("a", "z"): 100}, **kw)
    assert p["target_fen"].tolist() == [300, 100, 600]
    # Truly infeasible stays an error: leaf floors 600 + 600 > 1000.
    with pytest.raises(AllocationError, match=r"Σfloors > total.*parent totals \[1000\]"):
        decompose_target(1000, shares={("a", "x"): 1, ("b", "y"): 1},
                         floors={("a", "x"): 600, ("b", "y"): 600}, **kw)


def test_bad_input_gets_clear_errors():
    hist = synthetic("2025-01-01", "2025-03-31").assign(channel="web")
    kw = {"start": "2026-01-01", "end": "2026-01-31", "history": hist, "by": "channel"}
    with pytest.raises(AllocationError, match=r"total_fen must be a positive integer.*0"):
        decompose_target(0, **kw)
    with pytest.raises(AllocationError, match="total_fen must be a positive integer"):
        decompose_target(100.5, **kw)
    with pytest.raises(PeriodError, match="end 2025-12-31 is before start 2026-01-01"):
        decompose_target(100, **{**kw, "end": "2025-12-31"})
    with pytest.raises(AllocationError, match=r"holds has 1 unknown key\(s\) \['tmall'\]"):
        decompose_target(100, holds={"tmall": 10}, **kw)
    with pytest.raises(AllocationError, match=r"Σholds > total"):
        decompose_target(100, holds={"web": 200}, **kw)
    with pytest.raises(PeriodError, match=r"last_year.*2025-02-01..2025-02-28.*covers 2025-03-02"):
        decompose_target(100, method="last_year", **{**kw, "start": "2026-02-01",
                                                      "end": "2026-02-28",
                                                      "history": hist[hist.date > "2025-03-01"]})
    with pytest.raises(MissingColumnsError, match=r"history is missing column\(s\) \['channel'\]"):
        decompose_target(100, **{**kw, "history": hist.drop(columns="channel")})
    with pytest.raises(SchemaError, match="'gmv_fen' must be integer fen"):
        decompose_target(100, **{**kw, "history": hist.assign(gmv_fen=hist.gmv_fen * 0.5)})
    with pytest.raises(AllocationError, match="unit_fen must be a positive integer dividing"):
        decompose_target(1001, unit_fen=100, **kw)
    mkw = {"start": "2026-01-01", "end": "2026-01-31", "by": "c", "freq": None,
           "method": "manual", "shares": dict.fromkeys("ABC", 1)}
    with pytest.raises(AllocationError, match=r"Σfloors > total.*\['A', 'B', 'C'\]"):
        decompose_target(100, floors={"A": 60, "B": 60}, **mkw)
    with pytest.raises(AllocationError, match=r"Σcaps < total"):
        decompose_target(100, caps={"A": 10, "B": 10, "C": 10}, **mkw)
    with pytest.raises(AllocationError, match=r"total_fen must be a positive integer.*-5"):
        decompose_target(-5, **kw)
    # History with no overlap: none of the planned channels ever sold (case mix-up), so
    # every share would be a fallback -- an error, not a silent equal split.
    with pytest.raises(AllocationError, match=r"no overlap with keys.*\['JD', 'Web'\].*\['web'\]"):
        decompose_target(100, keys=["Web", "JD"], **kw)
    # A week that straddles two months cannot roll up to months; the message names it.
    weekly = decompose_target(10_000, start="2026-11-30", end="2026-12-06", freq="W",
                              temporal="equal")
    with pytest.raises(PeriodError, match=r"span more than one 'M' period, e\.g\. \['2026-W49'\];"):
        to_targets(weekly, freq="M")
    with pytest.raises(AllocationError, match="shares given for level 'c' miss node"):
        decompose_target(100, **{**mkw, "shares": {"A": 1, "B": 1}, "keys": ["A", "B", "C"]})


def test_new_category_falls_back_to_peers_then_equal():
    # History: web sells X 300 and Y 100 (shares 3/4, 1/4); tmall has no history at all.
    hist = pd.DataFrame({"date": pd.to_datetime(["2025-06-01", "2025-06-01"]),
                         "channel": ["web", "web"], "cat": ["X", "Y"], "gmv_fen": [300, 100]})
    keys = [("web", "X"), ("web", "Y"), ("web", "Z"), ("tmall", "X"), ("tmall", "Y")]
    plan = decompose_target(
        12_000, start="2026-01", end="2026-01", history=hist, by=["channel", "cat"], keys=keys,
        freq=None, method="proportion_averages").set_index(["channel", "cat"])
    # Level 1: tmall has no history -> peer mean of web's share (1.0) -> 1:1 -> 6000 each.
    # Level 2 under web: Z gets the mean of X, Y shares (0.5) -> 0.75:0.25:0.5 of 6000 =
    #   3000, 1000, 2000. Under tmall no child has history -> equal: 3000, 3000.
    assert plan["target_fen"].to_dict() == {("web", "X"): 3000, ("web", "Y"): 1000,
                                            ("web", "Z"): 2000, ("tmall", "X"): 3000,
                                            ("tmall", "Y"): 3000}
    assert plan["basis"].to_dict() == {("web", "X"): "proportional", ("web", "Y"): "proportional",
                                       ("web", "Z"): "fallback", ("tmall", "X"): "fallback",
                                       ("tmall", "Y"): "fallback"}
    assert plan.loc[("tmall", "X"), "basis_channel"] == "fallback"
    # A day of history is too short for a daily profile: the split is flat and says so.
    daily = decompose_target(12_000, start="2026-01", end="2026-01", history=hist, by="channel")
    assert set(daily["profile"]) == {"flat"}


# ------------------------------------------------------------------ exactness (hypothesis)
@st.composite
def trees(draw):
    n1 = draw(st.integers(1, 4))
    leaves = [(f"c{i}", f"k{j}") for i in range(n1) for j in range(draw(st.integers(1, 4)))]
    weights = {k: draw(st.integers(0, 50)) for k in leaves}
    if not any(weights.values()):
        weights[leaves[0]] = 1
    total = draw(st.integers(1, 10**9))
    unit = draw(st.sampled_from([1, 1, 100]))
    total -= total % unit
    total = max(total, unit)
    chans = sorted({c for c, _ in leaves})
    holds = {}
    if draw(st.booleans()):
        c = draw(st.sampled_from(chans))
        holds[c] = draw(st.integers(0, total // unit)) * unit
    floors = {}
    if draw(st.booleans()):
        leaf = draw(st.sampled_from(leaves))
        floors[leaf] = draw(st.integers(0, total // (4 * len(leaves)) + 1))
    caps = {}
    if draw(st.booleans()):
        leaf = draw(st.sampled_from(leaves))
        caps[leaf] = max(floors.get(leaf, 0), draw(st.integers(0, total)))
    return leaves, weights, total, unit, holds, floors, caps


@settings(max_examples=60, deadline=None)
@given(trees(), st.sampled_from(["D", "W", "M", None]), st.integers(0, 40))
def test_every_part_adds_up_to_its_parent(tree, freq, length):
    leaves, weights, total, unit, holds, floors, caps = tree
    start = pd.Timestamp("2026-01-25")
    kw = {"start": start, "end": start + pd.Timedelta(days=length), "by": ["ch", "cat"],
          "freq": freq, "method": "manual", "shares": weights, "unit_fen": unit,
          "temporal": "equal"}
    try:
        plan = decompose_target(total, holds=holds, floors=floors, caps=caps, **kw)
    except AllocationError as e:  # only infeasible bounds/holds may fail, saying so
        msg = str(e)
        # A leaf floor (<= total) is pushed up to its channel, so without a hold it always
        # fits; with a channel hold the held channel may be too small for it.
        assert (holds and ("Σfloors > total" in msg or "every item is held" in msg)) or (
            caps and ("Σcaps < total" in msg or "floor above cap" in msg)), e
        return
    assert plan["target_fen"].sum() == total
    assert (plan["target_fen"] >= 0).all() and (plan["target_fen"] % unit == 0).all()
    leaf = plan.groupby(["ch", "cat"])["target_fen"].sum()
    ch = leaf.groupby(level="ch").sum()
    for c, v in holds.items():
        assert ch[c] == v
    for k, v in floors.items():
        assert leaf[k] >= v
    for k, v in caps.items():
        assert leaf[k] <= v
    # Without holds/bounds every leaf is a floor/ceiling of its quota of the channel...
    if not holds and not floors and not caps:
        wsum = sum(weights.values())
        quota = pd.Series({k: total / unit * weights[k] / wsum for k in leaves})
        chq = quota.groupby(level=0).sum()
        assert ((ch / unit - chq).abs() < 1 + 1e-6).all()
    # ...and each period of a leaf is within one unit of its day-count quota (equal days).
    if freq is not None:
        days = (plan["end"] - plan["start"]).dt.days + 1
        n = length + 1
        q = plan.groupby(["ch", "cat"])["target_fen"].transform("sum") / unit * days / n
        assert ((plan["target_fen"] / unit - q).abs() < 2 + 1e-6).all()


def _waterfill(total: int, w: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Independent oracle: the continuous bounded proportional split x = clip(lam w, lo, hi)
    with sum x = total (targets.md §3 water-filling), lam found by bisection."""
    a, b = 0.0, 1.0
    while np.clip(b * w, lo, hi).sum() < total:
        b *= 2
    for _ in range(200):
        m = (a + b) / 2
        a, b = (m, b) if np.clip(m * w, lo, hi).sum() < total else (a, m)
    return np.clip(b * w, lo, hi)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 100), st.none() | st.integers(0, 400),
                          st.none() | st.integers(0, 600)), min_size=1, max_size=7),
       st.integers(1, 3000))
def test_floors_and_caps_match_the_water_filling_oracle(items, total):
    # Every part is within one fen of the oracle (largest remainder of its exact value),
    # and an error comes exactly when the bounds are infeasible (Σfloors > T or Σcaps < T).
    names = [f"k{i}" for i in range(len(items))]
    w = np.array([x[0] for x in items], float)
    floors = {k: x[1] for k, x in zip(names, items, strict=True) if x[1] is not None}
    caps = {k: max(x[2], x[1] or 0) for k, x in zip(names, items, strict=True)
            if x[2] is not None}
    lo = np.array([floors.get(k, 0) for k in names], float)
    hi = np.array([caps.get(k, np.inf) for k in names], float)
    feasible = lo.sum() <= total <= hi.sum()
    kw = {"start": "2026-01-01", "end": "2026-01-01", "by": "c", "freq": None,
          "method": "manual", "shares": dict(zip(names, w, strict=True))}
    if not feasible:
        with pytest.raises(AllocationError, match=r"Σfloors > total|Σcaps < total"):
            decompose_target(total, floors=floors, caps=caps, **kw)
        return
    x = decompose_target(total, floors=floors, caps=caps, **kw).set_index("c").loc[
        names, "target_fen"].to_numpy()
    assert x.sum() == total and (x >= lo).all() and (x <= hi).all()
    assert np.abs(x - _waterfill(total, w, lo, hi)).max() < 1 + 1e-6


# ------------------------------------------------------------------ daily weights
def test_profile_recovers_weekday_and_event_multipliers():
    # Synthetic history with known multipliers (see synthetic()): 2 % noise, 3 years.
    prof = daily_profile(synthetic(), start="2026-01-01", end="2026-12-31")
    eff = prof.effects.set_index(["component", "name", "offset"])["factor"]
    dow = eff.loc["dow"].to_numpy()
    np.testing.assert_allclose(dow, WEEK, atol=0.01)
    assert eff.loc[("event", "双11/sale", 0)] == pytest.approx(6.0, rel=0.03)
    assert eff.loc[("event", "双11/sale", -5)] == pytest.approx(1.25, rel=0.04)
    assert eff.loc[("event", "618/sale", 0)] == pytest.approx(3.0, rel=0.04)
    assert prof.fit["resid_sd"].iloc[0] < 0.04  # the noise sd is 0.02
    # Aligned by anchor: 2026's Spring Festival is 02-17, so the courier stop (offsets
    # -8..6 from it, multiplier 0.4) lands on 2026-02-09..02-23, not on 2025's dates.
    w = prof.weights.set_index("date")
    assert w.loc["2026-02-12", "event_factor"] == pytest.approx(0.4, rel=0.1)
    assert w.loc["2026-01-30", "event_factor"] == pytest.approx(1.0, abs=0.05)  # 2025: stop


def test_workday_adjustment_for_tiaoxiu():
    # 调休 weekend working days sell 0.85 x their weekday level in this synthetic series.
    prof = daily_profile(synthetic(workday=0.85), start="2026-01-01", end="2026-01-31")
    eff = prof.effects.set_index("name")["factor"]
    assert eff["weekend_workday"] == pytest.approx(0.85, abs=0.03)
    assert eff["weekday_off"] == 1.0  # every weekday off is a holiday event, estimated there


def test_november_expected_share_is_event_driven():
    # Synthetic DGP: Nov 1-10 x1.25 (presale), Nov 11 x6, Nov 12-13 x1.5, other days x1
    # (ignoring the weekday pattern and the slow wave): by Nov 15 the share is
    # (10*1.25 + 6 + 2*1.5 + 2) / (10*1.25 + 6 + 2*1.5 + 17) = 23.5 / 38.5 = 0.610,
    # against 15/30 = 0.5 linear (targets.md §4's worked example: 61.3 %).
    w = daily_profile(synthetic(), start="2026-11", end="2026-11").weights
    assert w["weight"].iloc[:15].sum() == pytest.approx(23.5 / 38.5, abs=0.01)


# ------------------------------------------------------------------ the sample mall
def test_sample_annual_target_by_channel_month_and_day(mall, by_channel):
    tg = mall["targets"]
    total = int(tg.query("period == '2026' and level == 'total'")["target_fen"].iloc[0])
    hist = by_channel[by_channel["date"] < "2026-01-01"]
    plan = assert_not_mutated(decompose_target, total, start="2026", end="2026", history=hist,
                              by="channel", freq="D", method="last_year")
    assert len(plan) == 4 * 365 and plan["target_fen"].sum() == total
    # The sample's channel targets are last year's channel shares of the same total
    # (datasets._targets), split cell by cell: ours agree within a few fen of rounding.
    theirs = tg.query("period == '2026' and level == 'channel'").set_index("key")["target_fen"]
    ours = plan.groupby("channel")["target_fen"].sum()
    assert (ours - theirs.reindex(ours.index)).abs().max() <= 12
    # Months: the Spring Festival moved from 2025-01-29 to 2026-02-17, so same-month-last-
    # year shares (the sample's targets) put too much in February 2026 and too little in
    # January; the anchor-aligned profile tracks the actual 2026 split much better.
    act = by_channel[(by_channel["date"] >= "2026-01-01") & (by_channel["date"] < "2026-11-01")]
    a = act.groupby(act["date"].dt.strftime("%Y-%m"))["gmv_fen"].sum()
    p = plan.groupby(plan["period"].str[:7])["target_fen"].sum().loc[a.index]
    naive = tg.query("level == 'total'").set_index("period")["target_fen"].loc[a.index]
    a, p, naive = a / a.sum(), p / p.sum(), naive / naive.sum()
    err, err_naive = (p - a).abs(), (naive - a).abs()
    assert err[["2026-01", "2026-02"]].sum() < 0.5 * err_naive[["2026-01", "2026-02"]].sum()
    assert err.sum() < err_naive.sum()
    # Per channel x month x day: days add up to the daily shop total and to the year.
    shop_day = plan.groupby("period")["target_fen"].sum()
    assert shop_day.sum() == total and shop_day.idxmax() == "2026-11-11"


def test_sample_two_level_plan_in_units_of_100_yuan(mall):
    h = daily_gmv(mall["orders"], mall["order_lines"], mall["products"],
                  by=["channel", "category"])
    total = 873_250_000
    plan = decompose_target(total, start="2026", end="2026", history=h[h.date < "2026-01-01"],
                            by=["channel", "category"], freq="M", profile_by="channel",
                            unit_fen=10_000, window=12, holds={"web": 250_000_000},
                            caps={("douyin", "家电"): 1_000_000})
    assert plan["target_fen"].sum() == total and (plan["target_fen"] % 10_000 == 0).all()
    assert plan.query("channel == 'web'")["target_fen"].sum() == 250_000_000
    assert plan.query("channel == 'douyin' and category == '家电'")["target_fen"].sum() \
        == 1_000_000
    assert set(plan["profile"]) == {"own"} and len(plan) == 4 * 10 * 12
    assert set(plan.query("channel == 'web'")["basis_channel"]) == {"held"}


# ------------------------------------------------------------------ GMV drivers
def test_uv_needed_for_a_plan_at_fixed_conversion_and_aov():
    # vfwk.com/doc/142132.html (targets.md §1): CR 1.5 % and AOV ¥198 held fixed, so
    # UV = sales / (CR x AOV). For ¥1,000,000: 1e6 / (0.015 x 198) = 1e6 / 2.97
    # = 336,700.34 visitors -> 336,701 needed; buyers = 336,700.34 x 0.015 = 5,050.5.
    months = pd.Series([100_000_000, 297_000_000], index=["2026-10", "2026-11"])
    d = gmv_drivers(months, conversion=0.015, aov_fen=19_800)
    assert d["uv"].iloc[0] == pytest.approx(336_700.3367, rel=1e-9)
    assert d["uv_needed"].tolist() == [336_701, 1_000_000]  # 2.97e6 / 2.97 = 1e6 exactly
    assert d["buyers"].iloc[0] == pytest.approx(5_050.505, rel=1e-6)
    assert d["uv_value_fen"].iloc[0] == pytest.approx(297.0)  # UV价值 = CR x AOV = ¥2.97
    assert list(d.index) == ["2026-10", "2026-11"] and set(d["solved"]) == {"uv"}
    # Solving conversion instead: 1e8 fen / (500,000 UV x 20,000 fen) = 1 %.
    assert gmv_drivers(100_000_000, uv=500_000, aov_fen=20_000)["conversion"].iloc[0] == 0.01
    with pytest.raises(AllocationError, match="exactly two of uv, conversion, aov_fen"):
        gmv_drivers(100, uv=1, conversion=0.1, aov_fen=1000)
    with pytest.raises(AllocationError, match=r"conversion must be finite and in \(0, 1\]"):
        gmv_drivers(100, conversion=1.5, aov_fen=1000)


PLAN = {"uv": 10_000, "conversion": 0.02, "aov_fen": 20_000}  # GMV 4,000,000 fen
ACTUAL = {"uv": 12_000, "conversion": 0.018, "aov_fen": 22_000}  # GMV 4,752,000 fen


def test_lmdi_gap_split_by_hand():
    # LMDI (targets.md §1): effect_k = L(G1, G0) ln(x_k1/x_k0), L = (G1-G0)/ln(G1/G0).
    # By hand: ln 1.2 = 0.1823216, ln 0.9 = -0.1053605, ln 1.1 = 0.0953102, their sum is
    # ln(4,752,000/4,000,000) = ln 1.188 = 0.1722712; L = 752,000 / 0.1722712 = 4,365,209.7
    # uv = 795,871.8, conversion = -459,920.7, aov = 416,048.9 (sum 752,000.0);
    # rounded by largest remainder to integers summing to 752,000: 795,872 / -459,921 /
    # 416,049 (floors 795,871 -459,921 416,048 leave 2 fen for the .92 and .82 remainders).
    g = driver_gap(ACTUAL, PLAN).iloc[0]
    assert g[["plan_gmv_fen", "actual_gmv_fen", "gap_fen"]].tolist() == [4_000_000, 4_752_000,
                                                                          752_000]
    assert g[["uv_effect_fen", "conversion_effect_fen", "aov_effect_fen"]].tolist() == [
        795_872, -459_921, 416_049]
    lm = 752_000 / math.log(1.188)  # the same numbers with the math module
    assert lm * math.log(1.2) == pytest.approx(795_871.82, abs=0.01)
    # Order-independent: any substitution order gives the same LMDI split.
    assert driver_gap(ACTUAL, PLAN, order=("aov_fen", "uv", "conversion")).equals(
        driver_gap(ACTUAL, PLAN))


def test_chain_substitution_is_exact_but_order_dependent():
    # 连环替代法 by hand, order UV -> CR -> AOV:
    #   UV  (12,000-10,000) x 0.02 x 20,000   =  800,000
    #   CR  12,000 x (0.018-0.02) x 20,000    = -480,000
    #   AOV 12,000 x 0.018 x (22,000-20,000)  =  432,000   (sum 752,000)
    # order AOV -> CR -> UV:
    #   AOV 10,000 x 0.02 x 2,000 = 400,000; CR 10,000 x -0.002 x 22,000 = -440,000;
    #   UV 2,000 x 0.018 x 22,000 = 792,000   (sum 752,000)
    cols = ["uv_effect_fen", "conversion_effect_fen", "aov_effect_fen"]
    a = driver_gap(ACTUAL, PLAN, method="chain")[cols].iloc[0].tolist()
    b = driver_gap(ACTUAL, PLAN, method="chain", order=("aov_fen", "conversion", "uv"))
    assert a == [800_000, -480_000, 432_000]
    assert b[cols].iloc[0].tolist() == [792_000, -440_000, 400_000]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*[st.floats(0.5, 1e5), st.floats(1e-4, 1.0),
                            st.floats(1.0, 1e6)] * 2), min_size=1, max_size=8),
       st.sampled_from(["lmdi", "chain"]))
def test_gap_effects_sum_exactly_to_the_gap(rows, method):
    a = pd.DataFrame([r[:3] for r in rows], columns=["uv", "conversion", "aov_fen"])
    p = pd.DataFrame([r[3:] for r in rows], columns=["uv", "conversion", "aov_fen"])
    g = driver_gap(a, p, method=method)
    eff = g[["uv_effect_fen", "conversion_effect_fen", "aov_effect_fen"]].sum(axis=1)
    assert (eff == g["gap_fen"]).all()
    assert (g["gap_fen"] == g["actual_gmv_fen"] - g["plan_gmv_fen"]).all()


def test_driver_gap_rejects_non_positive_drivers():
    with pytest.raises(AllocationError, match=r"plan\['uv'\] must be > 0.*rows \[0\]: \[0.0\]"):
        driver_gap(ACTUAL, {**PLAN, "uv": 0})
    with pytest.raises(MissingColumnsError, match=r"actual is missing column\(s\) \['aov_fen'\]"):
        driver_gap({"uv": 1, "conversion": 0.1}, PLAN)


# ------------------------------------------------------------------ pacing
def test_pacing_worked_example_of_targets_md():
    # targets.md §4 worked example: by Nov 15 the expected share is 61.3 % (linear 50 %);
    # a shop running 3 % behind plan shows 119 % landing on the linear run rate and 97 %
    # on the event-aware ratio. Here: T = 1e8 fen, days 1-15 carry 0.613 of the weights
    # (equally), day 16 twice the weight of each of days 17-30 (16 units = 0.387).
    # A = 0.97 x 0.613 x T = 59,461,000 fen.
    days = pd.date_range("2026-11-01", "2026-11-30")
    w = np.r_[np.full(15, 0.613 / 15), 2 * 0.387 / 16, np.full(14, 0.387 / 16)]
    plan = pd.DataFrame({"date": days, "weight": w})
    act = pd.DataFrame({"date": days[:15], "gmv_fen": np.r_[np.full(14, 3_964_066), 3_964_076]})
    assert act["gmv_fen"].sum() == 59_461_000
    tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
                       "target_fen": [100_000_000]})
    rep = assert_not_mutated(pacing, act, tg, as_of="2026-11-16", weights=plan, model=None)
    s = rep.summary.iloc[0]
    assert s["elapsed_days"] == 15 and s["time_progress"] == 0.5
    assert s["expected_share"] == pytest.approx(0.613)
    assert s["achievement"] == pytest.approx(0.59461)
    assert s["pace_index"] == pytest.approx(0.97)
    assert s["landing_linear_fen"] / 1e8 == pytest.approx(1.18922)  # "119 %": A x 30/15
    assert s["landing_seasonal_fen"] / 1e8 == pytest.approx(0.97)  # "97 %": A / 0.613
    # Remaining 40,539,000 fen: flat over 15 days = 2,702,600; shaped, day 16 holds 2 of
    # the 16 remaining weight units -> 40,539,000 / 8 = 5,067,375.
    assert s["required_daily_flat_fen"] == 2_702_600
    assert s["required_next_day_fen"] == 5_067_375
    assert rep.daily["required_fen"].sum() == 40_539_000
    # Days behind: T E_{d*} = A with E linear over days 1-15 -> d* = 15 x 0.97 = 14.55.
    assert s["days_ahead"] == pytest.approx(-0.45)
    assert s["weights_source"] == "plan" and s["flags"] == ""


def test_elapsed_day_convention():
    # eqeg.cn/yxdx/14152.html (targets.md §4) counts 1号至11号 as 12 days; here the report
    # of the 12th has data through the 11th: d = 11, or 12 with include_as_of.
    days = pd.date_range("2026-10-01", "2026-11-12")
    act = pd.DataFrame({"date": days, "gmv_fen": 100})
    tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
                       "target_fen": [3000]})
    s = pacing(act, tg, as_of="2026-11-12", model=None).summary.iloc[0]
    assert (s["elapsed_days"], s["actual_fen"]) == (11, 1100)  # the 12th's row is ignored
    s = pacing(act, tg, as_of="2026-11-12", include_as_of=True, model=None).summary.iloc[0]
    assert (s["elapsed_days"], s["actual_fen"]) == (12, 1200)
    # Too little history for a profile or a model: flat weights, no model, and it says so.
    s = pacing(act, tg, as_of="2026-11-12").summary.iloc[0]
    assert s["flags"] == "flat_weights;short_history" and pd.isna(s["landing_model_fen"])
    assert s["expected_share"] == pytest.approx(11 / 30)


def test_net_actuals_with_a_negative_day_are_summed_exactly():
    # Net GMV (daily_gmv(basis="net")) is negative on a day whose refunds exceed its sales
    # (18 of 488 channel-days of make_sample_mall(seed=0, 2025-09..12, 2000 customers)).
    # By hand: 9 days x 1000 - 500 = 8500 fen to date, not 9000 with the -500 read as 0.
    days = pd.date_range("2026-11-01", "2026-11-10")
    act = pd.DataFrame({"date": days, "gmv_fen": [1000] * 9 + [-500]})
    tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
                       "target_fen": [30_000]})
    rep = pacing(act, tg, as_of="2026-11-11", model=None)
    s = rep.summary.iloc[0]
    assert s["actual_fen"] == 8500 and s["remaining_fen"] == 21_500
    assert s["achievement"] == pytest.approx(8500 / 30_000)
    assert rep.daily["actual_cum_fen"].iloc[9] == 8500
    assert rep.daily["actual_fen"].iloc[9] == -500
    # The back-test's truth is the exact month total too: 29 x 1000 - 500 = 28,500.
    june = pd.DataFrame({"date": pd.date_range("2025-06-01", "2025-06-30"),
                         "gmv_fen": [1000] * 29 + [-500]})
    bt = landing_backtest(june, periods=["2025-06"], elapsed=[10], model=None)
    assert bt["true_fen"].iloc[0] == 28_500


def test_landing_of_a_period_that_starts_later_keeps_the_weekday_phase():
    # DGP: 100k fen a day, Sundays x3, 3 % lognormal noise. The report of Thursday
    # 2026-12-03 (data through Wednesday) forecasts ISO week 2026-W50 (Mon 12-07 .. Sun
    # 12-13), four days after the cutoff: the simulated paths must start the day after
    # the cutoff, so the Sunday peak falls on Sunday 12-13 (not on the 4th simulated day,
    # Thursday 12-10), and the week lands near 6 x 100k + 300k = 900k fen.
    days = pd.date_range("2025-06-01", "2026-12-02")
    rng = np.random.default_rng(0)
    y = 100_000 * np.where(days.day_of_week == 6, 3.0, 1.0) * np.exp(rng.normal(0, .03, len(days)))
    act = pd.DataFrame({"date": days, "gmv_fen": y.round().astype("int64")})
    tg = pd.DataFrame({"period": ["2026-W50"], "level": ["total"], "key": ["all"],
                       "target_fen": [900_000]})
    no_events = pd.DataFrame({"date": pd.to_datetime([]), "event": [], "offset": []})
    rep = pacing(act, tg, as_of="2026-12-03", n_paths=300, events=no_events)
    mid = rep.daily.set_index("date")["forecast_mid_cum_fen"].astype(float)
    step = mid.diff().fillna(mid.iloc[0])
    assert step.idxmax() == pd.Timestamp("2026-12-13")
    assert step["2026-12-13"] > 2.5 * step.drop(pd.Timestamp("2026-12-13")).max()
    s = rep.summary.iloc[0]
    assert s["flags"] == "not_started" and s["landing_model_fen"] == pytest.approx(900_000,
                                                                                   rel=0.02)


def test_tz_aware_dates_are_shanghai_days():
    # The schema's rule (schema.py): tz-aware timestamps are converted to Asia/Shanghai,
    # then made naive. 2026-10-31 16:00 UTC is 2026-11-01 00:00 in Shanghai (UTC+8), so
    # ten such stamps are 1..10 November: d = 10, A = 10 x 1000 (it raised TypeError).
    stamps = pd.date_range("2026-10-31 16:00", periods=10, freq="D", tz="UTC")
    act = pd.DataFrame({"date": stamps, "gmv_fen": 1000})
    tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
                       "target_fen": [30_000]})
    s = pacing(act, tg, as_of="2026-11-11", model=None).summary.iloc[0]
    assert (s["elapsed_days"], s["actual_fen"], s["flags"]) == (10, 10_000, "flat_weights")
    w = daily_profile(act, start="2026-11-01", end="2026-11-10").weights
    assert w["date"].iloc[0] == pd.Timestamp("2026-11-01")


def test_actuals_that_miss_elapsed_days_are_flagged():
    # The report of 20 November (data through the 19th) with a feed of 1..10 November only:
    # days 11..19 read as zero sales, so "behind plan" is not to be trusted -- flag it.
    # October is closed but the feed has none of its days: flagged too.
    act = pd.DataFrame({"date": pd.date_range("2026-11-01", "2026-11-10"), "gmv_fen": 1000})
    tg = pd.DataFrame({"period": ["2026-11", "2026-10"], "level": ["total"] * 2,
                       "key": ["all"] * 2, "target_fen": [30_000, 31_000]})
    s = pacing(act, tg, as_of="2026-11-20", model=None).summary.set_index("period")
    assert s.loc["2026-11", "elapsed_days"] == 19 and s.loc["2026-11", "actual_fen"] == 10_000
    assert "incomplete_actuals" in s.loc["2026-11", "flags"].split(";")
    assert "incomplete_actuals" in s.loc["2026-10", "flags"].split(";")
    # A feed that covers every elapsed day is not flagged.
    s = pacing(act, tg.iloc[:1], as_of="2026-11-11", model=None).summary.iloc[0]
    assert "incomplete_actuals" not in s["flags"].split(";")


def test_required_rate_is_zero_once_the_target_is_met():
    # 10 days x 4000 = 40,000 fen against a 30,000 target: nothing more is required. The
    # flat rate was -500 (= -10,000 / 20 days) while the shaped one said 0.
    act = pd.DataFrame({"date": pd.date_range("2026-11-01", "2026-11-10"), "gmv_fen": 4000})
    tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
                       "target_fen": [30_000]})
    s = pacing(act, tg, as_of="2026-11-11", model=None).summary.iloc[0]
    assert s["remaining_fen"] == -10_000 and s["achievement"] == pytest.approx(4 / 3)
    assert s["required_daily_flat_fen"] == 0 and s["required_next_day_fen"] == 0


def test_pacing_refuses_a_monthly_plan_as_daily_weights():
    # A freq="M" plan has one row per month dated on its 1st: read as daily weights it
    # would say 100 % of November was due on 1 November (expected share 1.0 from day 1).
    plan = decompose_target(3_000_000, start="2026-11", end="2026-12", freq="M",
                            temporal="equal")
    act = pd.DataFrame({"date": pd.date_range("2026-11-01", "2026-11-10"), "gmv_fen": 50_000})
    with pytest.raises(SchemaError, match=r"weights must be daily.*2 row\(s\).*'2026-11'"):
        pacing(act, to_targets(plan, freq="M"), as_of="2026-11-11", weights=plan, model=None)


def test_target_key_missing_from_actuals_is_an_error():
    # A misspelt key ("Tmall" for "tmall") has no actuals at all: reporting it as 0 sales,
    # 0 % achieved, would be a false alarm, so pacing and the back-test refuse it.
    days = pd.date_range("2026-11-01", "2026-11-10")
    act = pd.DataFrame({"date": np.tile(days, 2), "channel": ["web"] * 10 + ["tmall"] * 10,
                        "gmv_fen": 1000})
    tg = pd.DataFrame({"period": ["2026-11"], "level": ["channel"], "key": ["Tmall"],
                       "target_fen": [30_000]})
    msg = r"key 'Tmall' of level 'channel' .*matches no row of actuals.*\['web', 'tmall'\]"
    with pytest.raises(SchemaError, match=msg):
        pacing(act, tg, as_of="2026-11-11", model=None)
    with pytest.raises(SchemaError, match="key 'Tmall' of level 'channel'"):
        landing_backtest(act, periods=["2026-11"], elapsed=[5], level="channel", key="Tmall")
    # The right key paces normally: 10 x 1000 fen of 30,000.
    s = pacing(act, tg.assign(key="tmall"), as_of="2026-11-11", model=None).summary.iloc[0]
    assert s["actual_fen"] == 10_000


def test_new_line_without_sales_paces_at_zero_when_asked():
    # A Douyin shop opening in November has a target but no sales yet: the scheduled
    # report passes missing_keys="zero" and gets the line at 0 with the no_actuals flag
    # (expected values by hand: actual 0 of 10,000 fen, nothing to fit, flat weights), the
    # other lines as before.
    days = pd.date_range("2026-09-01", "2026-11-10")
    act = pd.DataFrame({"date": days, "channel": "web", "gmv_fen": 1000})
    tg = pd.DataFrame({"period": ["2026-11"] * 2, "level": ["channel"] * 2,
                       "key": ["web", "douyin"], "target_fen": [20_000, 10_000]})
    with pytest.raises(SchemaError, match="key 'douyin' of level 'channel'"):
        pacing(act, tg, as_of="2026-11-11", model=None)
    s = pacing(act, tg, as_of="2026-11-11", model=None, missing_keys="zero").summary
    new = s.set_index("key").loc["douyin"]
    assert new["actual_fen"] == 0 and new["achievement"] == 0
    assert new["remaining_fen"] == 10_000 and new["required_daily_flat_fen"] == 500  # 10,000/20
    assert set(new["flags"].split(";")) >= {"no_actuals", "flat_weights"}
    web = s.set_index("key").loc["web"]
    assert web["actual_fen"] == 10_000 and "no_actuals" not in web["flags"]
    with pytest.raises(SchemaError, match="missing_keys must be 'raise' or 'zero'"):
        pacing(act, tg, as_of="2026-11-11", model=None, missing_keys="skip")


def test_pacing_flags_poor_fit_and_bad_input():
    act = synthetic("2025-01-01", "2026-03-15", noise=0.7, seed=3)
    tg = pd.DataFrame({"period": ["2026-03"], "level": ["total"], "key": ["all"],
                       "target_fen": [3_000_000]})
    s = pacing(act, tg, as_of="2026-03-16", n_paths=200).summary.iloc[0]
    assert "poor_fit" in s["flags"].split(";") and s["resid_sd"] > 0.35
    with pytest.raises(MissingColumnsError, match=r"actuals is missing column\(s\) \['channel'\]"):
        pacing(act, tg.assign(level="channel", key="web"), as_of="2026-03-16", model=None)
    with pytest.raises(PeriodError, match="no day on or before the cutoff 2024-12-31"):
        pacing(act, tg, as_of="2025-01-01")
    with pytest.raises(SchemaError, match="target_fen"):
        pacing(act, tg.assign(target_fen=-1), as_of="2026-03-16")


def test_sample_current_month_pacing(mall, by_channel):
    # The sample ends 2026-11-25; the morning report of 2026-11-16 sees 1..15 November.
    tg = mall["targets"].query("period == '2026-11'")
    rep = pacing(by_channel, tg, as_of="2026-11-16", n_paths=500)
    s = rep.summary.set_index("key")
    assert list(s.index) == ["all", "web", "tmall", "jd", "douyin"]
    # Mid-November with 双11 inside: the event-aware expected share is well above the
    # linear 50 %. The sample's own past Novembers had 63.1 % (2024) and 65.6 % (2025) of
    # their GMV by the 15th (computed from daily_gmv of the sample, no channel split).
    total = s.loc["all"]
    assert 0.61 < total["expected_share"] < 0.69 and total["time_progress"] == 0.5
    assert total["landing_linear_fen"] > 1.25 * total["landing_seasonal_fen"]
    assert (s["landing_lo_fen"] <= s["landing_model_fen"]).all()
    assert (s["landing_model_fen"] <= s["landing_hi_fen"]).all()
    assert s["p_hit"].between(0, 1).all()
    # The channel lines add up to the shop's actual (each order has one channel).
    assert s.loc[["web", "tmall", "jd", "douyin"], "actual_fen"].sum() == total["actual_fen"]
    d = rep.daily[rep.daily["key"] == "all"]
    assert d["required_fen"].sum() == total["remaining_fen"]
    assert d["actual_cum_fen"].iloc[14] == total["actual_fen"]
    assert d["forecast_mid_cum_fen"].iloc[-1] > total["actual_fen"]


def test_decompose_then_pace_with_the_plan_weights(by_channel):
    hist = by_channel[by_channel["date"] < "2026-01-01"]
    plan = decompose_target(1_000_000_000, start="2026", end="2026", history=hist,
                            by="channel", freq="D")
    tg = to_targets(plan, by="channel", freq="M").query("period == '2026-11'")
    assert tg["target_fen"].sum() == 2 * plan.loc[plan.period.str[:7] == "2026-11",
                                                  "target_fen"].sum()
    rep = pacing(by_channel, tg, as_of="2026-11-16", weights=plan, model=None)
    s = rep.summary.set_index("key")
    assert set(s["weights_source"]) == {"plan"}
    # Expected-to-date is the plan's own cumulative daily target: the same fen.
    nov = plan[plan["period"].between("2026-11-01", "2026-11-15")]
    assert s.loc["all", "expected_to_date_fen"] == nov["target_fen"].sum()
    assert s.loc["web", "expected_to_date_fen"] == nov.query("channel == 'web'")[
        "target_fen"].sum()


def test_landing_interval_coverage_backtest(by_channel):
    # Back-test over the 12 months Nov 2025 - Oct 2026 at 10 and 20 elapsed days: the 80 %
    # interval should cover the true month total about 80 % of the time (24 intervals,
    # binomial sd 9 points). Measured 2026-11-26: 0.71 here (500 paths); 0.77 over the 14
    # months Sep 2025 - Oct 2026 x 5 cutoffs (70 intervals, 1000 paths), i.e. a little
    # narrow. Mean absolute error on the 70: model 3.5 %, seasonal ratio 3.1 %, linear run
    # rate 9.8 %.
    months = [str(p) for p in pd.period_range("2025-11", "2026-10", freq="M")]
    shop = by_channel.groupby("date", as_index=False)["gmv_fen"].sum()
    bt = landing_backtest(shop, periods=months, elapsed=(10, 20), n_paths=500)
    assert len(bt) == 24
    assert 0.6 <= bt["covered"].mean() <= 0.97
    err = {c: (bt[c] / bt["true_fen"] - 1).abs().mean() for c in
           ("landing_model_fen", "landing_seasonal_fen", "landing_linear_fen")}
    assert err["landing_model_fen"] < 0.6 * err["landing_linear_fen"]
    assert err["landing_seasonal_fen"] < 0.6 * err["landing_linear_fen"]


# ------------------------------------------------------------------ daily_gmv
def test_daily_gmv_bases_and_exact_category_split():
    m = make_sample_mall(seed=2, start="2025-10-01", end="2025-11-30", n_customers=1500)
    o, lines, prod, ref = m["orders"], m["order_lines"], m["products"], m["refunds"]
    paid = o[o["status"].isin(["paid", "shipped", "completed"])]
    shop = assert_not_mutated(daily_gmv, o)
    # Independent: paid orders' paid_fen summed by paid_at day.
    expect = paid.groupby(paid["paid_at"].dt.normalize())["paid_fen"].sum()
    got = shop.set_index("date")["gmv_fen"]
    assert got[got > 0].equals(expect.rename("gmv_fen").rename_axis("date").astype("int64"))
    # By category: each order's paid_fen (shipping included) is spread over its lines, so
    # the categories add up to the shop exactly, every day.
    cat = daily_gmv(o, lines, prod, by=["channel", "category"])
    assert cat.groupby("date")["gmv_fen"].sum().equals(got)
    assert len(cat) == cat["date"].nunique() * cat[["channel", "category"]].drop_duplicates(
    ).shape[0]  # a full grid: every key every day, zeros included
    # placed: every order by created_at; net: paid minus refunds on their refund day.
    placed = daily_gmv(o, basis="placed")["gmv_fen"].sum()
    assert placed == o["paid_fen"].sum()
    net = daily_gmv(o, refunds=ref, basis="net")["gmv_fen"].sum()
    assert net == paid["paid_fen"].sum() - ref[ref["order_id"].isin(paid["order_id"])][
        "amount_fen"].sum()
    net_cat = daily_gmv(o, lines, prod, ref, by="category", basis="net")
    assert net_cat["gmv_fen"].sum() == net  # refunds spread over their order's lines
    with pytest.raises(MissingColumnsError, match="pass order_lines"):
        daily_gmv(o, by="category")
    # No GMV is dropped silently: a SKU missing from products, or a paid order without
    # lines, would vanish from every category (the shop total would no longer tie out).
    sku = lines.loc[lines["order_id"].isin(paid["order_id"]), "sku"].iloc[0]
    with pytest.raises(SchemaError, match=rf"order line\(s\) have no 'category'.*{sku}"):
        daily_gmv(o, lines, prod[prod["sku"] != sku], by="category")
    oid = paid["order_id"].iloc[0]
    with pytest.raises(SchemaError, match=rf"1 order\(s\) have no order_lines.*{oid}"):
        daily_gmv(o, lines[lines["order_id"] != oid], prod, by="category")


def test_new_category_takes_its_channels_daily_profile():
    web = synthetic("2024-01-01", "2025-12-31").assign(channel="web", cat="X")
    tm = synthetic("2024-01-01", "2025-12-31", seed=9).assign(channel="tmall", cat="Y")
    keys = [("web", "X"), ("web", "Z"), ("tmall", "Y")]
    plan = decompose_target(3_000_000_000, start="2026-11", end="2026-11",
                            history=pd.concat([web, tm]), by=["channel", "cat"], keys=keys,
                            profile_by=["channel", "cat"])
    src = plan.groupby(["channel", "cat"])["profile"].first().to_dict()
    assert src == {("tmall", "Y"): "own", ("web", "X"): "own", ("web", "Z"): "parent"}
    # web/Z has no history: it gets the peer share of web/X (basis fallback) and web's
    # profile, which is web/X's own -- so the two daily splits agree within rounding.
    x = plan.query("cat == 'X'")["target_fen"].to_numpy()
    z = plan.query("cat == 'Z'")["target_fen"].to_numpy()
    assert set(plan.query("cat == 'Z'")["basis"]) == {"fallback"}
    assert np.abs(x / x.sum() - z / z.sum()).max() < 1e-6
    assert plan.query("cat == 'Z'").set_index("period")["target_fen"].idxmax() == "2026-11-11"


# ------------------------------------------------------------------ pace chart (plots.py)
def test_pace_chart_draws_the_report_curves():
    # What is drawn must be the PaceReport's own curves, in fen (the axis shows yuan):
    # cumulative actual through the cutoff, event-aware expected, linear pace, the target
    # line and the landing fan after the cutoff. Two lines (total and web) in the report:
    # the chart of "web" must draw web's curves, not the total's.
    import matplotlib

    matplotlib.use("Agg")
    from mallkit.plots import pace_chart

    shop = synthetic("2025-06-01", "2026-11-15")
    act = pd.concat([shop.assign(channel="web"),
                     shop.assign(channel="jd", gmv_fen=shop["gmv_fen"] // 4)])
    tg = pd.DataFrame({"period": ["2026-11"] * 2, "level": ["total", "channel"],
                       "key": ["all", "web"], "target_fen": [5_000_000_000, 4_000_000_000]})
    rep = pacing(act, tg, as_of="2026-11-16", n_paths=200)
    fig = pace_chart(rep, level="channel", key="web", lang="en")
    ax = fig.axes[0]
    d = rep.daily.query("key == 'web'")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    for name, col in (("actual", "actual_cum_fen"), ("expected (event-aware)", "expected_cum_fen"),
                      ("linear pace", "linear_cum_fen")):
        np.testing.assert_array_equal(np.asarray(lines[name].get_ydata(), float),
                                      d[col].to_numpy(float, na_value=np.nan))
    assert list(lines["target"].get_ydata()) == [4_000_000_000] * 2
    # Days 1..15 are actuals (NaN after), the fan spans days 16..30 between lo and hi.
    act_y = np.asarray(lines["actual"].get_ydata(), float)
    assert np.isfinite(act_y[:15]).all() and np.isnan(act_y[15:]).all()
    fan = ax.collections[0].get_paths()[0].vertices[:, 1]
    lo, hi = d["forecast_lo_cum_fen"].to_numpy(float, na_value=np.nan), \
        d["forecast_hi_cum_fen"].to_numpy(float, na_value=np.nan)
    assert fan.min() == pytest.approx(np.nanmin(lo)) and fan.max() == pytest.approx(np.nanmax(hi))
    assert "web" in ax.get_title() and f"{rep.summary.iloc[1]['achievement']:.1%}" in ax.get_title()
    with pytest.raises(KeyError, match="no line level='channel' key='tmall'"):
        pace_chart(rep, level="channel", key="tmall")
