"""Price elasticity and the what-if simulation (whatif.py), and the ROI surface plot.

Expected values are computed by hand in the comments (fen) from the definitions in
/work/shared/reference/promotions.md §2, or known by construction (synthetic demand
with a known elasticity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mallkit.datasets import make_sample_mall
from mallkit.errors import PromotionError, SchemaError
from mallkit.whatif import price_elasticity, simulate_promotion
from tests.conftest import assert_not_mutated


@pytest.fixture(scope="module")
def mall():
    return make_sample_mall(seed=0, start="2025-03-01", end="2025-08-10", n_customers=20000)


# ----------------------------------------------------------------------- elasticity
def test_elasticity_recovers_a_known_value():
    # Demand built as Q ~ Poisson(50 · (P/P0)^−1.5 · weekday), prices 0-30 % off at
    # random: the 95 % interval must contain −1.5.
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-01-01", periods=200, freq="D")
    off = rng.choice([0, 500, 1000, 2000, 3000], 200)
    mu = 50 * ((10000 - off) / 10000) ** -1.5 * np.array([1, 1, 1, 1, 1.1, 1.3, 1.2])[
        days.day_of_week]
    q = rng.poisson(mu)
    lines = pd.DataFrame({"order_id": [f"O{i}" for i in range(200)], "sku": "A", "qty": q,
                          "unit_price_fen": 10000, "discount_fen": off * q,
                          "created_at": days})
    e = assert_not_mutated(price_elasticity, lines, by="sku", controls=("weekday", "trend"))
    row = e.loc["A"]
    assert row.ci_lower < -1.5 < row.ci_upper and row.se < 0.2
    assert row.n_days == 200 and row.note == ""


def test_elasticity_refuses_a_price_that_never_varied():
    lines = pd.DataFrame({"order_id": ["O1", "O2", "O3"], "sku": "A", "qty": [1, 2, 3],
                          "unit_price_fen": 5000, "discount_fen": 0,
                          "created_at": pd.date_range("2025-01-01", periods=3)})
    with pytest.raises(PromotionError, match=r"price never varied for \['A'\]"):
        price_elasticity(lines, by="sku", controls=())


def test_elasticity_on_the_sample_by_category(mall):
    e = price_elasticity(mall["order_lines"], orders=mall["orders"], products=mall["products"])
    assert len(e) == 10 and e.index.name == "category"
    # Prices move only with promotions, which raise demand: every estimate is negative,
    # (it also absorbs the promotions' non-price pull; the docstring says so).
    assert (e["elasticity"] < 0).all()
    assert (e["ci_lower"] < e["elasticity"]).all() and (e["n_days"] > 100).all()


# --------------------------------------------------------------------------- what-if
BASE = pd.DataFrame({"order_id": ["O1", "O2", "O3"], "sku": ["A", "A", "B"],
                     "qty": [2, 1, 1], "unit_price_fen": [15000, 15000, 30000]})
PROD2 = pd.DataFrame({"sku": ["A", "B"], "category": ["x", "x"], "unit_cost_fen": [6000, 12000]})


def test_simulation_hand_computed():
    # 满200减20 on the baseline: O1 (300) and O3 (300) qualify → 40 off 750: δ = 4/75.
    # ε = −3 exactly: multiplier M = (1 − 4/75)^−3. Units 4M; GMV 710·M; COGS 300·M;
    # iGP = (750 − 40 − 300)·M − (750 − 300) yuan; cost = 40·M + ad 10.
    m = (1 - 4 / 75) ** -3
    sim = simulate_promotion(BASE, mechanic="full_reduction", products=PROD2,
                             params={"threshold_fen": 20000, "reduction_fen": 2000},
                             elasticity=-3.0, ad_spend_fen=1000)
    r = sim.table.iloc[0]
    assert r.units == pytest.approx(4 * m) and r.unit_lift == pytest.approx(m - 1)
    assert r.gmv_fen == round(71000 * m)
    assert r.incremental_gp_fen == round(41000 * m - 45000)
    assert r.promo_cost_fen == round(4000 * m + 1000)
    assert r.iroi == pytest.approx((41000 * m - 45000) / (4000 * m + 1000))
    assert r.net_iroi == pytest.approx((41000 * m - 46000) / (4000 * m + 1000))
    assert r.roas == pytest.approx(71000 * m / 1000)
    assert r.units_lower == r.units_upper  # se = 0: no interval
    assert sim.baseline.iloc[0].to_dict() == {"units": 4, "gmv_fen": 75000,
                                              "gross_profit_fen": 45000}


def test_simulation_grid_budget_and_uncertainty():
    grid = {"threshold_fen": [20000, 30000], "reduction_fen": [1000, 3000, 6000]}
    sim = assert_not_mutated(simulate_promotion, BASE, mechanic="full_reduction",
                             products=PROD2, params={"threshold_fen": 0, "reduction_fen": 1},
                             grid=grid, elasticity=(-2.5, 0.4), budget_fen=9000, seed=1)
    t = sim.table
    assert len(t) == 6 and list(t[["threshold_fen", "reduction_fen"]].iloc[1]) == [20000, 3000]
    assert ((t["units_lower"] < t["units"]) & (t["units"] < t["units_upper"])).all()
    assert (t["iroi_lower"] <= t["iroi_upper"]).all()
    # Deeper cuts sell more at a given threshold; the budget filters by cost's upper bound.
    for _, g in t.groupby("threshold_fen"):
        assert g["units"].is_monotonic_increasing
    assert (t["within_budget"] == (t["promo_cost_fen_upper"] <= 9000)).all()
    ok = t[t["within_budget"]]
    assert sim.best.index[0] == ok["incremental_profit_fen"].idxmax()
    assert t.dtypes["gmv_fen"] == np.int64


def test_simulation_coupon_claim_rate_and_elasticity_frame():
    # Coupon 无门槛 ¥10 claimed by half the buyers: expected discount 0.5 × 30 = ¥15 on ¥750.
    e = pd.DataFrame({"elasticity": [-2.0], "se": [0.0]}, index=pd.Index(["x"], name="category"))
    sim = simulate_promotion(BASE, mechanic="coupon", products=PROD2, elasticity=e,
                             params={"reduction_fen": 1000, "claim_rate": 0.5})
    assert sim.table.at[0, "discount_rate"] == pytest.approx(15 / 750, abs=1e-6)
    assert sim.table.at[0, "unit_lift"] == pytest.approx((1 - 15 / 750) ** -2 - 1)
    with pytest.raises(PromotionError, match=r"no estimate for category \['x'\]"):
        simulate_promotion(BASE, mechanic="coupon", products=PROD2, params={"reduction_fen": 1},
                           elasticity=e.rename(index={"x": "other"}))
    with pytest.raises(PromotionError, match="unknown mechanic 'bogo'"):
        simulate_promotion(BASE, mechanic="bogo", products=PROD2, params={}, elasticity=-1.0)


def test_roi_surface_shows_the_grid_in_yuan():
    import matplotlib

    matplotlib.use("Agg")
    from mallkit.plots import roi_surface

    sim = simulate_promotion(BASE, mechanic="full_reduction", products=PROD2, params={},
                             grid={"threshold_fen": [20000, 30000],
                                   "reduction_fen": [1000, 3000, 6000]},
                             elasticity=-2.5, budget_fen=9000)
    fig = roi_surface(sim, x="reduction_fen", y="threshold_fen",
                      metric="incremental_profit_fen", lang="en")
    ax = fig.axes[0]
    shown = np.asarray(ax.get_images()[0].get_array())
    expected = sim.table.pivot(index="threshold_fen", columns="reduction_fen",
                               values="incremental_profit_fen").to_numpy() / 100
    np.testing.assert_allclose(shown, expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "30", "60"]


def test_money_inputs_are_checked():
    # Yuan floats, negative discounts and baseline SKUs without a cost are refused, naming
    # the table, column and rule; they used to give silent nonsense (a negative price
    # became ln(1e-12) in the elasticity fit; a missing cost −9.2e18 fen of profit).
    yuan = pd.DataFrame({"order_id": [f"O{i}" for i in range(40)], "sku": "A", "qty": 1,
                         "unit_price_fen": 100.0, "discount_fen": 0,
                         "created_at": pd.date_range("2025-01-01", periods=40)})
    with pytest.raises(SchemaError, match=r"'unit_price_fen' must hold integers.*to_fen"):
        price_elasticity(yuan, by="sku", controls=())
    with pytest.raises(SchemaError, match=r"lines: column 'discount_fen' breaks rule "
                                          r"'non-negative' in 1 row.*'order_id': 'O3'"):
        price_elasticity(yuan.assign(unit_price_fen=10000, discount_fen=np.r_[0, 0, 0, -1,
                                                                             [0] * 36]),
                         by="sku")
    # Own controls that do not cover every day used to stop inside statsmodels.
    ok = yuan.assign(unit_price_fen=10000, discount_fen=np.arange(40) % 3 * 1000)
    short = pd.DataFrame({"temp": np.arange(30.0)}, index=pd.date_range("2025-01-01",
                                                                        periods=30))
    with pytest.raises(PromotionError, match=r"controls have no value on 10 day\(s\) of "
                                             r"2025-01-01..2025-02-09, e.g. \['2025-01-31'"):
        price_elasticity(ok, by="sku", controls=short)
    with pytest.raises(PromotionError, match=r"no unit_cost_fen for sku \['B'\] of the baseline"):
        simulate_promotion(BASE, mechanic="full_reduction", products=PROD2.head(1),
                           params={"threshold_fen": 20000, "reduction_fen": 2000},
                           elasticity=-2.0)


def test_reexported_from_roi_and_promotions():
    # The split out of roi.py keeps `from mallkit.roi import ...` and
    # `from mallkit.promotions import ...` working, with the same objects.
    from mallkit import promotions, roi, whatif

    for name in ("Simulation", "price_elasticity", "simulate_promotion"):
        assert getattr(roi, name) is getattr(whatif, name)
        assert getattr(promotions, name) is getattr(whatif, name)
        assert name in roi.__all__
