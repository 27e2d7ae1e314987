"""Promo P&L / iROI / ROAS, break-even lift and the review of a period (roi.py).

Expected values are computed by hand in the comments (fen) from the definitions in
/work/shared/reference/promotions.md §2 (break-even examples: m = 40 %, d = 20 % → +100 %;
m = 60 % → +50 %; P = 100, C = 50, fee 5 %, d = 20 % → +73 %), or by construction
(a counterfactual fixed by the test), or from the sample mall's answer key.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mallkit import calendar as mcal
from mallkit.datasets import make_sample_mall
from mallkit.errors import PromotionError, SchemaError
from mallkit.lift import Lift, LiftWarning, promotion_lift
from mallkit.promotions import apply_promotion, daily_sales
from mallkit.roi import breakeven_lift, promotion_pnl
from tests.conftest import assert_not_mutated

START, END = pd.Timestamp("2025-04-07"), pd.Timestamp("2025-04-13")


def fixed_lift(actual, rel, *, post_actual=0.0, post_rel=0.0, post_days=0, n=200):
    """A Lift whose every counterfactual path is actual / (1 + rel): no uncertainty."""
    days = (END - START).days + 1
    effects = pd.DataFrame({"days": [days, post_days, days + post_days],
                            "actual": [actual, post_actual, actual + post_actual],
                            "rel_effect": [rel, post_rel, np.nan]},
                           index=["promotion", "post", "total"])
    post = np.full(n, post_actual / (1 + post_rel)) if post_days else np.zeros(n)
    draws = pd.DataFrame({"promotion": np.full(n, actual / (1 + rel)), "post": post})
    draws["total"] = draws["promotion"] + draws["post"]
    return Lift(pd.DataFrame(), effects, pd.Series(dtype=object), draws, START, END,
                START - pd.Timedelta(days=56), START - pd.Timedelta(days=1),
                END + pd.Timedelta(days=post_days), 0.05)


def sold(n, sku="A", price=10000, discount=0, day=START, prefix="O"):
    return pd.DataFrame({"order_id": [f"{prefix}{sku}{i}" for i in range(n)], "sku": sku,
                         "qty": 1, "unit_price_fen": price, "discount_fen": discount,
                         "created_at": day + pd.Timedelta(hours=10)})


PRODUCTS = pd.DataFrame({"sku": ["A", "B", "C", "G"], "category": ["x", "y", "z", "gift"],
                         "unit_cost_fen": [6000, 3000, 2000, 1500]})
PROMO = {"promo_id": "P", "start": START, "end": END + pd.Timedelta(hours=23, minutes=59),
         "scope": "category:x", "ad_spend_fen": 5000}


# ------------------------------------------------------------------------ break-even
def test_breakeven_lift_reference_examples():
    assert breakeven_lift(0.20, 0.40) == pytest.approx(1.0)  # d/(m−d) = .2/.2
    assert breakeven_lift(0.20, 0.60) == pytest.approx(0.5)  # .2/.4
    # P = 100, C = 50, c = 5 %, d = 20 %: u0 = 95 − 50 = 45, u1 = 76 − 50 = 26 → 45/26 − 1.
    assert breakeven_lift(0.20, 0.50, fee_rate=0.05) == pytest.approx(45 / 26 - 1)
    assert round(breakeven_lift(0.20, 0.50, fee_rate=0.05), 2) == 0.73
    # + fixed cost F = ¥1,000 over Q0 = 50 units at P = ¥100: F/(u1·Q0) = 100000/(2600·50).
    assert breakeven_lift(0.20, 0.50, fee_rate=0.05, fixed_cost_fen=100_000, baseline_units=50,
                          list_price_fen=10_000) == pytest.approx(45 / 26 - 1 + 100000 / 130000)
    grid = breakeven_lift(np.array([[0.1], [0.2], [0.5]]), np.array([0.3, 0.4]))
    assert grid.shape == (3, 2) and np.isinf(grid[2]).all()  # a 50 % cut never pays
    assert grid[0, 0] == pytest.approx(0.1 / 0.2)
    assert np.isnan(breakeven_lift(0.1, 0.04, fee_rate=0.05))  # loses money even at list
    with pytest.raises(PromotionError, match="fixed_cost_fen needs baseline_units"):
        breakeven_lift(0.2, 0.4, fixed_cost_fen=100)
    with pytest.raises(PromotionError, match="0 <= discount_rate < 1"):
        breakeven_lift(1.2, 0.4)


# ---------------------------------------------------------------------------- P&L
def test_pnl_hand_computed():
    # 10 units of A: list 100, 20 off each (d = 20 %), cost 60 (m = 40 %); lift +50 %.
    # GMV 800; baseline 10/1.5 = 6.667 units, incremental 3.333; promo margin 20, regular
    # 40 → iGP = 3.333·20 − 6.667·20 = −66.67 yuan; cost = discount 200 + ad 50 = 250;
    # profit = −66.67 − 50; iROI = −66.67/250 = −0.2667, net −116.67/250 = −0.4667;
    # ROAS = 800/50 = 16; break-even ROAS = 1/(200/800) = 4; incremental GMV = 800 − 666.67.
    pnl = assert_not_mutated(promotion_pnl, sold(10, discount=2000), fixed_lift(10.0, 0.5),
                             PRODUCTS, PROMO)
    t = pnl.table
    assert t.at["gmv_fen", "estimate"] == 80000 and t.at["units", "estimate"] == 10
    assert t.at["baseline_units", "estimate"] == pytest.approx(10 / 1.5)
    assert t.at["incremental_gp_fen", "estimate"] == -6667
    assert t.at["promo_cost_fen", "estimate"] == 25000
    assert t.at["incremental_profit_fen", "estimate"] == -11667
    assert t.at["iroi", "estimate"] == pytest.approx(-6666.67 / 25000, abs=1e-6)
    assert t.at["net_iroi", "estimate"] == pytest.approx(-11666.67 / 25000, abs=1e-6)
    assert t.at["roas", "estimate"] == 16 and t.at["breakeven_roas", "estimate"] == 4
    assert t.at["incremental_gmv_fen", "estimate"] == 13333
    assert t.at["iroi", "label_zh"] != t.at["roas", "label_zh"]  # never one "ROI"
    assert "投入产出比" in t.at["roas", "label_zh"]
    assert (t["lower"] == t["upper"]).all()  # a counterfactual without uncertainty
    assert pnl.by_sku.loc["A"].to_dict() == {"units": 10, "gross_fen": 100000,
                                             "discount_fen": 20000, "paid_fen": 80000,
                                             "cost_fen": 60000, "gross_profit_fen": 20000}


@pytest.mark.parametrize(("margin", "fee"), [(0.40, 0.0), (0.50, 0.05)])
def test_pnl_breaks_even_at_the_breakeven_lift(margin, fee):
    # At the lift breakeven_lift gives, the incremental gross profit is zero.
    cost = PRODUCTS.assign(unit_cost_fen=np.where(PRODUCTS["sku"] == "A",
                                                  round(10000 * (1 - margin)), 1))
    lift = breakeven_lift(0.2, margin, fee_rate=fee)
    pnl = promotion_pnl(sold(1000, discount=2000), fixed_lift(1000.0, lift), cost, PROMO,
                        platform_fee_rate=fee)
    assert abs(pnl.value("incremental_gp_fen")) <= 1


def test_pnl_dip_spillover_gift_and_platform_coupon():
    # Window: 10 × A at ¥100 with a platform-funded ¥10 coupon (not the shop's cost) and a
    # gift G (cost ¥15) each; lift +25 % → baseline 8, incremental 2 units at margin 40
    # (the merchant receives the full ¥100): window iGP = 2·40 = ¥80.
    lines = apply_promotion(sold(10).drop(columns="discount_fen"), [
        {"mechanic": "coupon", "params": {"threshold_fen": 10000, "reduction_fen": 1000,
                                          "funded_by": "platform"}},
        {"mechanic": "gift", "params": {"gift_sku": "G"}}], products=PRODUCTS)
    # Post window: 5 × A at list, −20 % → baseline 6.25, 1.25 units lost × ¥40 = −¥50.
    after = sold(5, day=END + pd.Timedelta(days=2), prefix="P")
    # Spillover: y lost 20 % (4 sold, baseline 5: −1 unit × ¥20), z gained 25 % (+1 × ¥20).
    other = pd.concat([sold(4, "B", price=5000), sold(5, "C", price=4000)])
    lines = pd.concat([lines, after, other], ignore_index=True)
    spill = {"y": fixed_lift(4.0, -0.2), "category:z": fixed_lift(5.0, 0.25)}
    pnl = promotion_pnl(lines, fixed_lift(10.0, 0.25, post_actual=5.0, post_rel=-0.2,
                                          post_days=7), PRODUCTS, PROMO | {"ad_spend_fen": 0},
                        spillover=spill)
    v = pnl.value
    assert v("gmv_fen") == 90000 and v("platform_discount_fen") == 10000
    assert v("discount_fen") == 0 and v("gift_cost_fen") == 15000
    assert v("coupons_redeemed") == 10 and v("coupon_discount_fen") == 10000
    assert v("window_igp_fen") == 8000 and v("post_dip_gp_fen") == -5000
    assert v("cannibalized_gp_fen") == 2000 and v("halo_gp_fen") == 2000
    assert v("incremental_gp_fen") == 8000 - 5000 - 2000 + 2000
    assert v("promo_cost_fen") == 15000  # gift only: the coupon is the platform's
    assert v("incremental_profit_fen") == 3000 - 15000
    # 保本ROAS = 1 / ((100000 − 60000 − 15000) / 90000) = 3.6; no ad spend → no ROAS.
    assert v("breakeven_roas") == pytest.approx(3.6) and np.isnan(v("roas"))


def test_pnl_refuses_mismatched_windows():
    with pytest.raises(PromotionError, match=r"measured for 2025-04-07\.\.2025-04-13 but the "
                                             r"promotion runs 2025-04-08\.\.2025-04-13"):
        promotion_pnl(sold(3), fixed_lift(3.0, 0.1), PRODUCTS, PROMO | {"start": "2025-04-08"})
    with pytest.raises(PromotionError, match="no paid lines in scope 'category:x'"):
        promotion_pnl(sold(3, "B"), fixed_lift(3.0, 0.1), PRODUCTS, PROMO)
    with pytest.raises(PromotionError, match="need a 'created_at' column or orders="):
        promotion_pnl(sold(3).drop(columns="created_at"), fixed_lift(3.0, 0.1), PRODUCTS, PROMO)


@pytest.fixture(scope="module")
def mall():
    return make_sample_mall(seed=0, start="2025-03-01", end="2025-08-10", n_customers=20000)


def test_deep_discount_on_low_margin_category_loses_money(mall):
    # Reference check of the issue: the sample's 个护清洁 promotion (P20250715) with its
    # measured lift, re-priced as a 5折 flash sale on a category whose cost is 85 % of list
    # (15 % margin). Each promoted unit then sells below cost and the baseline buyers get
    # half price: breakeven_lift(0.5, 0.15) is infinite, so the P&L must be negative
    # whatever the lift -- and it is, interval included.
    o, lines, prod = mall["orders"], mall["order_lines"], mall["products"]
    key = mall["answer_key"].promotions.set_index("promo_id")
    truth = key.loc["P20250715"]
    promo = mall["promotions"].set_index("promo_id").loc["P20250715"].to_dict()
    ev = mcal.events("2025-03-01", "2025-08-10")
    busy = [d for p in key.drop("P20250715").itertuples()
            for d in pd.date_range(p.start, p.end + pd.Timedelta(days=p.post_days))]
    units = daily_sales(lines, o, products=prod, scope=truth.scope, measure="units")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LiftWarning)
        lift = promotion_lift(units, start=truth.start, end=truth.end, post_days=7,
                              exclude=[*ev.loc[ev["kind"] != "workday", "date"], *busy])
    assert lift.effects.at["promotion", "rel_effect_lower"] > 0  # the promotion did lift
    low = prod.assign(unit_cost_fen=np.where(prod["category"] == "个护清洁",
                                             prod["list_price_fen"] * 85 // 100,
                                             prod["unit_cost_fen"]))
    deep = apply_promotion(lines, {"mechanic": "flash_discount", "params": {"rate": 0.5},
                                   "scope": truth.scope}, products=prod)
    pnl = promotion_pnl(deep, lift, low, promo, orders=o, platform_fee_rate=0.05)
    assert breakeven_lift(0.5, 0.15) == np.inf
    assert pnl.table.at["incremental_gp_fen", "upper"] < 0
    assert pnl.table.at["net_iroi", "upper"] < 0
    # The same lift with the sample's true costs (about 50 % margin) and its real 第二件半价
    # discounts: the gross-profit side is no longer clearly negative.
    real = promotion_pnl(lines, lift, prod, promo, orders=o, platform_fee_rate=0.05)
    assert real.value("incremental_gp_fen") > pnl.table.at["incremental_gp_fen", "upper"]


@pytest.fixture(scope="module")
def review_mall():
    from mallkit.datasets import make_sample_mall

    return make_sample_mall(seed=0, start="2025-01-01", end="2025-11-30", n_customers=8000)


def test_promotion_review_of_a_period(review_mall):
    from mallkit.roi import promotion_review

    m = review_mall
    r = promotion_review(m["order_lines"], m["orders"], m["products"], m["promotions"],
                         start="2025-04-07", end="2025-04-20")
    assert r["promo_id"].tolist() == ["P20250410"]  # 春季上新, 04-10..04-16
    row = r.iloc[0]
    truth = m["answer_key"].promotions.set_index("promo_id").loc["P20250410", "true_lift"]
    assert row["lift_lower"] <= truth <= row["lift_upper"]  # the answer key's +25 %
    assert row["days"] == 7 and row["note"] == ""
    assert row["incremental_profit_lower_fen"] <= row["incremental_profit_fen"] <= row[
        "incremental_profit_upper_fen"]
    assert row["net_iroi"] <= row["iroi"]  # net subtracts ad spend and fees


def test_promotion_review_flags_event_promotions_and_empty_periods(review_mall):
    from mallkit.roi import promotion_review

    m = review_mall
    r = promotion_review(m["order_lines"], m["orders"], m["products"], m["promotions"],
                         start="2025-11-10", end="2025-11-16")
    assert r["promo_id"].tolist() == ["P20251021"]
    assert "coincides with 双11" in r.iloc[0]["note"]
    assert "与 双11 重叠：增量含大促本身的拉动" in r.iloc[0]["note_zh"]
    none = promotion_review(m["order_lines"], m["orders"], m["products"], m["promotions"],
                            start="2025-02-03", end="2025-02-09")
    assert none.empty and "lift" in none.columns


def test_promotion_review_of_a_running_promotion(review_mall):
    # Data cut on 2025-04-13, day 4 of the 04-10..04-16 promotion (the weekly report run
    # mid-promotion). It used to raise "the lift was measured for 2025-04-10..2025-04-13
    # but the promotion runs 2025-04-10..2025-04-16"; now the figures so far, with the
    # ad spend of the 4 days run: round(400000 × 4 / 7) = 228571 fen (sample: ¥4,000).
    from mallkit.roi import promotion_review

    m = review_mall
    o = m["orders"][m["orders"]["created_at"] < "2025-04-14"]
    li = m["order_lines"][m["order_lines"]["order_id"].isin(o["order_id"])]
    r = promotion_review(li, o, m["products"], m["promotions"],
                         start="2025-04-07", end="2025-04-13")
    row = r.set_index("promo_id").loc["P20250410"]
    assert row["days"] == 4 and row["end"] == pd.Timestamp("2025-04-13")
    assert "running: data to 2025-04-13, 4 of 7 days (ad spend pro-rated)" in row["note"]
    assert "进行中：数据截至 2025-04-13，已 4/7 天（广告费按天分摊）" in row["note_zh"]
    assert np.isfinite(row["incremental_profit_fen"]) and np.isnan(row["post_dip"])
    # ROAS = window GMV (paid lines of the 4 days) ÷ the pro-rated ad spend.
    paid = o[o["status"].isin(["paid", "shipped", "completed"])
             & (o["created_at"] >= "2025-04-10")]
    gmv = li.loc[li["order_id"].isin(paid["order_id"]), "paid_fen"].sum()
    assert row["roas"] == pytest.approx(gmv / 228571)
    # A promotion that starts after the data: listed, not measured.
    late = promotion_review(li, o, m["products"], m["promotions"],
                            start="2025-05-12", end="2025-05-18")
    assert late[["promo_id", "days", "note"]].to_dict("records") == [
        {"promo_id": "P20250515", "days": 0, "note": "not started: data to 2025-04-13"}]
    assert late["note_zh"].tolist() == ["未开始：数据截至 2025-04-13"]


def test_money_inputs_are_checked():
    # Negative prices and yuan floats are refused with the table, column and rule named;
    # the P&L used to compute with them silently.
    neg = sold(3).assign(unit_price_fen=[10000, -10000, 10000])
    with pytest.raises(SchemaError, match=r"lines: column 'unit_price_fen' breaks rule "
                                          r"'non-negative' in 1 row.*'order_id': 'OA1'"):
        promotion_pnl(neg, fixed_lift(3.0, 0.1), PRODUCTS, PROMO)
    with pytest.raises(SchemaError, match=r"products: column 'unit_cost_fen' must hold integers"):
        promotion_pnl(sold(3), fixed_lift(3.0, 0.1),
                      PRODUCTS.astype({"unit_cost_fen": float}), PROMO)


def test_promotion_review_prices_the_units_a_qty_mechanic_adds(review_mall):
    # 第二件半价 on 个护清洁 (P20250715) sells more units per order line. Doubling the qty
    # (and discount and paid) of every line of the window adds units, not purchase
    # occasions: the lift of order lines does not move, but the P&L must count every added
    # unit as incremental. The counterfactual of units is fitted on the same pre-period
    # with the same seed, so its paths are unchanged and the P&L's baseline units stay
    # put: incremental GMV grows by exactly the added paid_fen and incremental profit by
    # the added gross profit (paid − cost; no fee, no merchant/platform split here).
    # Priced on the lines' lift, the baseline doubled too and most of it was lost.
    from mallkit.roi import promotion_review

    m = review_mall
    o, li, prod = m["orders"], m["order_lines"], m["products"]
    cat = prod.set_index("sku")["category"].reindex(li["sku"]).to_numpy()
    day = o.set_index("order_id")["created_at"].reindex(li["order_id"]).dt.normalize()
    win = ((cat == "个护清洁") & day.between("2025-07-15", "2025-07-21")).to_numpy()
    twice = li.copy()
    for col in ("qty", "discount_fen", "paid_fen"):
        twice.loc[win, col] *= 2
    paid_orders = o.loc[o["status"].isin(["paid", "shipped", "completed"]), "order_id"]
    added = li[win & li["order_id"].isin(paid_orders).to_numpy()]
    cost = prod.set_index("sku")["unit_cost_fen"].reindex(added["sku"]).to_numpy()
    added_gp = int((added["paid_fen"] - added["qty"] * cost).sum())

    def row(lines):
        r = promotion_review(lines, o, prod, m["promotions"], start="2025-07-15",
                             end="2025-07-21")
        return r.set_index("promo_id").loc["P20250715"]

    before, after = row(li), row(twice)
    assert after["lift"] == before["lift"]  # order lines did not change
    assert after["incremental_gmv_fen"] - before["incremental_gmv_fen"] == pytest.approx(
        added["paid_fen"].sum(), abs=2)
    assert after["incremental_profit_fen"] - before["incremental_profit_fen"] == pytest.approx(
        added_gp, abs=2)
