"""Promotion mechanics, presale, daily sales, P&L / ROI and what-if.

Expected values are computed by hand in the comments (fen; 1 yuan = 100 fen) from the
mechanics table of /work/shared/reference/promotions.md §3, or recomputed independently
(plain Python integers per order), or come from the sample mall's own generator.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallkit.datasets import _claims, make_sample_mall
from mallkit.errors import MissingColumnsError, PromotionError, SchemaError
from mallkit.promotions import apply_promotion, daily_sales, parse_promotions, presale_summary
from tests.conftest import assert_not_mutated


def basket(*orders):
    """basket(("O1", [("A", qty, price_fen, category), ...]), ...) → lines frame."""
    rows = [(oid, sku, q, p, c) for oid, items in orders for sku, q, p, c in items]
    return pd.DataFrame(rows, columns=["order_id", "sku", "qty", "unit_price_fen", "category"])


def promo(mechanic, scope="all", **params):
    return {"promo_id": "T", "mechanic": mechanic, "scope": scope, "params": params}


# (id, lines, promotion(s), expected discount_fen per line, expected stage column or None)
CASES = [
    # 满200减20 on 120 + 80 = 200 ≥ 200: 2000 split 12000:8000 → 1200 / 800; O2 199.99 < 200.
    ("full_reduction", basket(("O1", [("A", 1, 12000, "x"), ("B", 1, 8000, "x")]),
                              ("O2", [("A", 1, 19999, "x")])),
     promo("full_reduction", threshold_fen=20000, reduction_fen=2000), [1200, 800, 0]),
    # 满30减10 on 10+10+10: 1000 / 3 = 333.33 each, the leftover fen to the first → 334/333/333.
    ("allocation 10+10+10", basket(("O1", [("A", 1, 1000, "x"), ("B", 1, 1000, "x"),
                                           ("C", 1, 1000, "x")])),
     promo("full_reduction", threshold_fen=3000, reduction_fen=1000), [334, 333, 333]),
    # 每满300减50, S = 380 + 300 = 680 → floor(680/300) = 2 → 100 yuan (ref example S=680 → 100);
    # shares 10000·380/680 = 5588.24, 10000·300/680 = 4411.76 → floors 5588 + 4411 = 9999,
    # the leftover fen to the larger remainder (.76) → 5588 / 4412.
    ("per_full_reduction", basket(("O1", [("A", 1, 38000, "x"), ("B", 1, 30000, "x")])),
     promo("per_full_reduction", step_fen=30000, reduction_fen=5000), [5588, 4412]),
    # Same with max_times=1 → 50 yuan: 5000·38/68 = 2794.1, 2205.9 → 2794 / 2206.
    ("per_full_reduction max_times", basket(("O1", [("A", 1, 38000, "x"),
                                                    ("B", 1, 30000, "x")])),
     promo("per_full_reduction", step_fen=30000, reduction_fen=5000, max_times=1), [2794, 2206]),
    # 每满300减50 capped at 80: S = 980 → 3 × 50 = 150 → cap 80 → 8000 on one line.
    ("per_full_reduction cap_fen", basket(("O1", [("A", 1, 98000, "x")])),
     promo("per_full_reduction", step_fen=30000, reduction_fen=5000, cap_fen=8000), [8000]),
    # 满200减20 / 满500减80: 680 → 80 (highest tier, not 100 cumulative); 499 → 20; 199 → 0.
    ("tiered_reduction", basket(("O1", [("A", 1, 68000, "x")]), ("O2", [("A", 1, 49900, "x")]),
                                ("O3", [("A", 1, 19900, "x")])),
     promo("tiered_reduction", tiers=[[50000, 8000], [20000, 2000]]), [8000, 2000, 0]),
    # 满2件9折: 2 × 150 = 300 → 10 % = 3000; a single unit of 150 → 0.
    ("percent_off by qty", basket(("O1", [("A", 2, 15000, "x")]), ("O2", [("A", 1, 15000, "x")])),
     promo("percent_off", rate=0.9, min_qty=2), [3000, 0]),
    # 满300打8折: S = 350.03 → 20 % = 7000.6 → 7001 (half up); S = 299.99 → 0.
    ("percent_off by amount", basket(("O1", [("A", 1, 35003, "x")]),
                                     ("O2", [("A", 1, 29999, "x")])),
     promo("percent_off", rate=0.8, min_amount_fen=30000), [7001, 0]),
    # 9折 on 100.05 yuan: 10 % = 1000.5 → 1001 (half up, as the sample mall rounds).
    ("percent_off half up", basket(("O1", [("A", 1, 10005, "x")])),
     promo("percent_off", rate=0.9), [1001]),
    # 限时 8折 on 99.99: new unit price 79.992 → 79.99, so 20.00 off per unit × 3 = 6000.
    ("flash_discount rate", basket(("O1", [("A", 3, 9999, "x")])),
     promo("flash_discount", rate=0.8), [6000]),
    # 每件立减 5 yuan on a 3-yuan item is capped at the price: 300.
    ("flash_discount cut_fen", basket(("O1", [("A", 1, 300, "x"), ("B", 2, 1000, "x")])),
     promo("flash_discount", cut_fen=500), [300, 1000]),
    # A at 50 instead of 80: 30 off; B has no promo price.
    ("flash_discount prices", basket(("O1", [("A", 2, 8000, "x"), ("B", 1, 8000, "x")])),
     promo("flash_discount", prices={"A": 5000}), [6000, 0]),
    # 第二件半价: 2 × 9.99 → the second unit costs half up(4.995) = 5.00, 4.99 off;
    # 3 × 10 → one pair → 5 off; 4 × 10 → 10 off; 1 unit → 0. (2 units = 25 % off.)
    ("second_half_price", basket(("O1", [("A", 2, 999, "x"), ("B", 3, 1000, "x"),
                                         ("C", 4, 1000, "x"), ("D", 1, 1000, "x")])),
     promo("second_half_price"), [499, 500, 1000, 0]),
    # 满99减10 coupon: 99.00 qualifies, 98.99 does not.
    ("coupon threshold", basket(("O1", [("A", 1, 9900, "x")]), ("O2", [("A", 1, 9899, "x")])),
     promo("coupon", threshold_fen=9900, reduction_fen=1000), [1000, 0]),
    # 无门槛券 5 yuan on a 3-yuan order: capped at the amount payable, 300.
    ("coupon no threshold capped", basket(("O1", [("A", 1, 300, "x")])),
     promo("coupon", reduction_fen=500), [300]),
    # Pre-sale: price 1000, deposit 100, 付定金立减 200 → selling price 800 (ref §3): 200 off.
    ("presale", basket(("O1", [("A", 1, 100000, "x")])),
     promo("presale", deposit_fen=10000, deduction_fen=20000), [20000]),
    # Category scope 满100减10 on 母婴: O1 母婴 80 (+ 服饰 50 out of scope) < 100 → 0;
    # O2 母婴 120 ≥ 100 → 10 off, all on the 母婴 line.
    ("category scope", basket(("O1", [("A", 1, 8000, "母婴"), ("B", 1, 5000, "服饰")]),
                              ("O2", [("A", 1, 12000, "母婴"), ("B", 1, 5000, "服饰")])),
     promo("full_reduction", scope="category:母婴", threshold_fen=10000, reduction_fen=1000),
     [0, 0, 1000, 0]),
    ("sku scope", basket(("O1", [("A", 1, 8000, "x"), ("B", 1, 8000, "x")])),
     promo("flash_discount", scope="sku:B, C", cut_fen=100), [0, 100]),
]


@pytest.mark.parametrize(("lines", "spec", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_mechanics_hand_computed(lines, spec, expected):
    out = apply_promotion(lines, spec)
    assert out["discount_fen"].tolist() == expected
    gross = out["qty"] * out["unit_price_fen"]
    assert (out["paid_fen"] == gross - out["discount_fen"]).all()
    assert out["discount_fen"].dtype == np.int64 and out["paid_fen"].dtype == np.int64


def test_stacking_item_price_before_shop_threshold():
    # 限时8折 then 满200减20: 2 × 120 = 240 at list, but 2 × 96 = 192 after the item cut,
    # below 200, so no 满减 (a threshold on list price would wrongly give 20 off).
    lines = basket(("O1", [("A", 2, 12000, "x")]))
    out = apply_promotion(lines, [promo("full_reduction", threshold_fen=20000, reduction_fen=2000),
                                  promo("flash_discount", rate=0.8)])
    assert out[["item_discount_fen", "shop_discount_fen"]].iloc[0].tolist() == [4800, 0]
    # 2 × 130 → 2 × 104 = 208 ≥ 200: item 5200, then 满减 2000.
    out = apply_promotion(basket(("O1", [("A", 2, 13000, "x")])),
                          [promo("flash_discount", rate=0.8),
                           promo("full_reduction", threshold_fen=20000, reduction_fen=2000)])
    assert out[["item_discount_fen", "shop_discount_fen", "discount_fen"]].iloc[0].tolist() == [
        5200, 2000, 7200]


def test_second_half_price_applies_to_the_flash_price_whatever_the_input_order():
    # 限时8折 on ¥10 → ¥8 a unit; 第二件半价 then halves the second unit at that price:
    # 2 units pay 8 + 4 = ¥12, i.e. 800 off. Listing 第二件半价 first must not change it
    # (it used to be priced on ¥10 and the flash cut added on top: 900 off), and a
    # per-unit cut of the whole price never leaves a negative amount to pay (it used to
    # give 500 (half) + 2 × 1000 = 2500 off a ¥20 line: paid −¥5).
    lines = basket(("O1", [("A", 2, 1000, "x")]))
    half = promo("second_half_price")
    for stack in ([half, promo("flash_discount", rate=0.8)],
                  [promo("flash_discount", rate=0.8), half]):
        out = apply_promotion(lines, stack)
        assert out[["item_discount_fen", "paid_fen"]].iloc[0].tolist() == [800, 1200]
    out = apply_promotion(lines, [half, promo("flash_discount", cut_fen=1000)])
    assert out[["discount_fen", "paid_fen"]].iloc[0].tolist() == [2000, 0]
    # Three stacked "second unit free" (rate 0) on 2 units: 3 × ¥10 off a ¥20 line; the
    # discount is capped at what is payable.
    out = apply_promotion(lines, [promo("second_half_price", rate=0)] * 3)
    assert out[["discount_fen", "paid_fen"]].iloc[0].tolist() == [2000, 0]


def test_stacking_shop_before_coupon_and_funding():
    # 210 → 满200减20 → 190 payable; 满199减30 coupon no longer applies, 满180减30 does.
    lines = basket(("O1", [("A", 1, 21000, "x")]))
    shop = promo("full_reduction", threshold_fen=20000, reduction_fen=2000)
    out = apply_promotion(lines, [promo("coupon", threshold_fen=19900, reduction_fen=3000), shop])
    assert out[["shop_discount_fen", "coupon_discount_fen"]].iloc[0].tolist() == [2000, 0]
    plat = promo("coupon", threshold_fen=18000, reduction_fen=3000, funded_by="platform")
    out = apply_promotion(lines, [plat, shop])
    row = out.iloc[0]
    assert [row.shop_discount_fen, row.coupon_discount_fen, row.discount_fen] == [2000, 3000, 5000]
    assert row.merchant_discount_fen == 2000  # the 平台券 is not the shop's cost
    assert row.paid_fen == 16000


def test_gift_lines_have_zero_revenue_and_carry_cost():
    # 满300送 G (unit cost 15.00 from products): O1 300 qualifies, O2 299.99 does not.
    lines = basket(("O1", [("A", 1, 30000, "x")]), ("O2", [("A", 1, 29999, "x")]))
    lines["customer_id"] = ["C1", "C2"]
    products = pd.DataFrame({"sku": ["A", "G"], "category": ["x", "赠品"],
                             "unit_cost_fen": [10000, 1500]})
    out = apply_promotion(lines, promo("gift", gift_sku="G", threshold_fen=30000),
                          products=products)
    gift = out[out["is_gift"]]
    assert gift[["order_id", "sku", "qty", "paid_fen", "gift_cost_fen", "customer_id"]].to_dict(
        "records") == [{"order_id": "O1", "sku": "G", "qty": 1, "paid_fen": 0,
                        "gift_cost_fen": 1500, "customer_id": "C1"}]
    assert out.loc[~out["is_gift"], "discount_fen"].tolist() == [0, 0]
    with pytest.raises(PromotionError, match="gift needs 'gift_cost_fen'"):
        apply_promotion(lines, promo("gift", gift_sku="G"))


def test_coupon_only_for_holders():
    lines = basket(("O1", [("A", 1, 5000, "x")]), ("O2", [("A", 1, 5000, "x")]))
    lines["claimed"] = [True, False]
    out = apply_promotion(lines, promo("coupon", reduction_fen=500), claimed_col="claimed")
    assert out["coupon_discount_fen"].tolist() == [500, 0]


def test_category_scope_from_products_and_unknown_sku():
    lines = basket(("O1", [("A", 1, 12000, None), ("B", 1, 5000, None)])).drop(columns="category")
    products = pd.DataFrame({"sku": ["A", "B"], "category": ["母婴", "服饰"]})
    spec = promo("full_reduction", scope="category:母婴", threshold_fen=10000, reduction_fen=1000)
    assert apply_promotion(lines, spec, products=products)["discount_fen"].tolist() == [1000, 0]
    with pytest.raises(PromotionError, match="needs a 'category' column in lines or the products"):
        apply_promotion(lines, spec)
    with pytest.raises(PromotionError, match=r"sku missing from products, e.g. \['B'\]"):
        apply_promotion(lines, spec, products=products.head(1))


@pytest.mark.parametrize(("spec", "match"), [
    (promo("bogo"), "unknown mechanic 'bogo'; known: full_reduction"),
    (promo("full_reduction", threshold_fen=100), r"needs params.*missing \['reduction_fen'\]"),
    (promo("full_reduction", threshold_fen=1, reduction_fen=1, thresold=2), "unknown params"),
    (promo("full_reduction", threshold_fen=1.5, reduction_fen=1), "'threshold_fen' must be an int"),
    (promo("percent_off", rate=9), r"'rate' must satisfy 0 < rate < 1 \(0.9 = 9折\), got 9"),
    (promo("flash_discount", rate=0.8, cut_fen=100), "exactly one of 'rate', 'cut_fen'"),
    (promo("tiered_reduction", tiers=[[100, 10], [100, 20]]), "tiers repeat a threshold"),
    (promo("coupon", reduction_fen=100, funded_by="bank"), "'funded_by' must be 'merchant'"),
    (promo("coupon", scope="brand:x", reduction_fen=100), "scope must be 'all', 'category:"),
    ({"promo_id": "J", "mechanic": "coupon", "params": "{bad"}, "'J': params is not valid JSON"),
])
def test_bad_promotions_are_refused(spec, match):
    with pytest.raises(PromotionError, match=match):
        apply_promotion(basket(("O1", [("A", 1, 100, "x")])), spec)


def test_bad_lines_are_refused():
    spec = promo("coupon", reduction_fen=100)
    lines = basket(("O1", [("A", 1, 100, "x")]), ("O2", [("A", 1, -5, "x")]))
    with pytest.raises(SchemaError, match=r"'unit_price_fen' breaks rule 'non-negative' in 1 row.*"
                                          r"'order_id': 'O2'"):
        apply_promotion(lines, spec)
    with pytest.raises(SchemaError, match=r"must hold integers.*convert yuan with"):
        apply_promotion(lines.astype({"unit_price_fen": float}), spec)
    with pytest.raises(SchemaError, match=r"'qty' breaks rule '>= 1'"):
        apply_promotion(lines.assign(qty=0, unit_price_fen=1), spec)
    with pytest.raises(MissingColumnsError, match=r"missing column\(s\) \['qty'\]"):
        apply_promotion(lines.drop(columns="qty"), spec)


def test_apply_promotion_does_not_mutate():
    lines = basket(("O1", [("A", 2, 12000, "x"), ("B", 1, 500, "x")]))
    assert_not_mutated(apply_promotion, lines, promo("second_half_price"))


# Independent per-order recomputation with Python ints for the invariants test.
def _expected_cut(mech, s, units, p):
    if mech == "full_reduction":
        return min(p["reduction_fen"], s) if s >= p["threshold_fen"] else 0  # capped at payable
    if mech == "per_full_reduction":
        return min((s // p["step_fen"]) * p["reduction_fen"], s)
    if mech == "percent_off":  # 9折 when 2+ units, half up
        return (s * 10 + 50) // 100 if units >= 2 else 0
    return min(p["reduction_fen"], s) if s >= p["threshold_fen"] else 0  # coupon


@given(
    items=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4), st.integers(0, 50_000),
                             st.booleans()), min_size=1, max_size=12),
    mech=st.sampled_from(["full_reduction", "per_full_reduction", "percent_off", "coupon"]),
    thr=st.integers(0, 60_000), red=st.integers(1, 20_000),
)
def test_order_discounts_are_exact_and_conserved(items, mech, thr, red):
    rows = [(f"O{o}", f"S{i}", q, p, "in" if s else "out") for i, (o, q, p, s) in enumerate(items)]
    lines = pd.DataFrame(rows, columns=["order_id", "sku", "qty", "unit_price_fen", "category"])
    params = {"full_reduction": {"threshold_fen": thr, "reduction_fen": red},
              "per_full_reduction": {"step_fen": max(thr, 1), "reduction_fen": red},
              "percent_off": {"rate": 0.9, "min_qty": 2},
              "coupon": {"threshold_fen": thr, "reduction_fen": red}}[mech]
    out = apply_promotion(lines, {"mechanic": mech, "scope": "category:in", "params": params})
    gross = lines["qty"] * lines["unit_price_fen"]
    assert ((out["discount_fen"] >= 0) & (out["discount_fen"] <= gross)).all()
    assert (out.loc[lines["category"] == "out", "discount_fen"] == 0).all()
    inscope = lines.assign(g=gross)[lines["category"] == "in"]
    for oid, grp in inscope.groupby("order_id"):
        s, units = int(grp["g"].sum()), int(grp["qty"].sum())
        got = int(out.loc[grp.index, "discount_fen"].sum())
        assert got == _expected_cut(mech, s, units, params), (oid, s)
        # Proportional: every line's share is the floor or ceiling of its exact quota.
        if s:
            quota = got * grp["g"] / s
            share = out.loc[grp.index, "discount_fen"]
            assert ((share >= np.floor(quota)) & (share <= np.ceil(quota))).all()


# ------------------------------------------------------------------ sample mall check
@pytest.fixture(scope="module")
def mall():
    return make_sample_mall(seed=0, start="2025-01-01", end="2025-12-31", n_customers=3000)


def test_reproduces_the_sample_malls_discounts(mall):
    # The sample generator prices its promotions with its own code (datasets._price);
    # re-pricing the same baskets at list price with apply_promotion gives every line's
    # discount to the fen, for every mechanic it runs. Equal remainders give their fen to
    # the first line, so the lines are put in the generator's order (products-table order
    # within an order) rather than the canonical sort by sku.
    o, lines, prod = mall["orders"], mall["order_lines"], mall["products"]
    rank = pd.Series(np.arange(len(prod)), index=prod["sku"])
    lines = lines.assign(r=rank[lines["sku"]].to_numpy()).sort_values(["order_id", "r"])
    checked = set()
    for p in mall["promotions"].itertuples():
        live = o[(o["created_at"] >= p.start) & (o["created_at"] <= p.end)]
        li = lines[lines["order_id"].isin(live["order_id"])]
        cust = live.set_index("order_id")["customer_id"].reindex(li["order_id"]).to_numpy()
        rate = json.loads(p.params).get("claim_rate", 1)
        li = li.assign(claimed=_claims(cust, p.promo_id, rate))  # the sample's coupon holders
        out = apply_promotion(li, p._asdict(), products=prod, claimed_col="claimed")
        assert (out["discount_fen"].to_numpy() == li["discount_fen"].to_numpy()).all(), p.promo_id
        assert out["discount_fen"].sum() > 0
        checked.add(p.mechanic)
    assert len(checked) == 6


# ---------------------------------------------------------------------------- presale
def test_presale_books_gmv_at_balance_and_reports_forfeits():
    # Ref §3: price 1000, deposit 100, 立减 200 → selling price 800, balance 700.
    pre = pd.DataFrame({
        "order_id": ["A", "B", "C", "D"], "deposit_fen": [10000] * 4, "balance_fen": [70000] * 4,
        "balance_paid_at": pd.to_datetime(["2023-11-10 20:01", "2023-11-11 08:00", None,
                                           "2023-11-12 00:30"]),
    })
    res = presale_summary(pre, balance_end="2023-11-11 23:59:59")
    s = res.summary.iloc[0]
    assert (s.converted, s.forfeited, s.pending, s.late) == (3, 1, 0, 1)
    assert s.conversion_rate == 0.75 and s.forfeited_deposit_fen == 10000
    assert s.gmv_fen == 3 * 80000  # 800 yuan each, booked at balance payment
    assert res.daily["gmv_fen"].to_dict() == {pd.Timestamp("2023-11-10"): 80000,
                                              pd.Timestamp("2023-11-11"): 80000,
                                              pd.Timestamp("2023-11-12"): 80000}
    open_ = presale_summary(pre, balance_end="2023-11-11 23:59:59", as_of="2023-11-11 12:00")
    assert open_.summary.iloc[0][["pending", "pending_deposit_fen", "forfeited"]].tolist() == [
        1, 10000, 0]


# ------------------------------------------------------------------------ daily sales
def test_daily_sales_matches_an_independent_groupby(mall):
    o, lines, prod = mall["orders"], mall["order_lines"], mall["products"]
    got = daily_sales(lines, o, products=prod, scope="category:母婴", measure="units")
    m = lines.merge(o[["order_id", "created_at"]]).merge(prod[["sku", "category"]])
    m = m[m["category"] == "母婴"]
    exp = m.groupby(m["created_at"].dt.normalize())["qty"].sum()
    assert got.index.is_monotonic_increasing and got.index.freq == "D"
    pd.testing.assert_series_equal(got[got > 0], exp.rename_axis("date").rename("units"),
                                   check_freq=False)
    wide = daily_sales(lines, o, products=prod, by="category", measure="orders")
    per_order = m.groupby(m["created_at"].dt.normalize())["order_id"].nunique()
    assert (wide["母婴"][per_order.index] == per_order.to_numpy()).all()
    assert len(wide) == 365


def test_parse_promotions_reads_the_promotions_table(mall):
    parsed = parse_promotions(mall["promotions"])
    assert [p.stage for p in parsed] == sorted(p.stage for p in parsed)
    assert {p.promo_id for p in parsed} == set(mall["promotions"]["promo_id"])


def test_daily_sales_refuses_lines_without_an_order_and_repeated_order_ids():
    o = pd.DataFrame({"order_id": ["O1", "O2"], "status": ["paid", "paid"],
                      "created_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-02 09:00"])})
    li = pd.DataFrame({"order_id": ["O1", "O3"], "sku": ["A", "A"], "qty": [1, 1],
                       "paid_fen": [100, 100]})
    with pytest.raises(SchemaError, match=r"1 line\(s\) have an order_id not in orders, "
                                          r"e.g. \['O3'\]"):
        daily_sales(li, o)
    # A repeated order id used to surface as pandas' InvalidIndexError.
    with pytest.raises(SchemaError, match=r"orders: column 'order_id' breaks rule 'unique' in "
                                          r"2 row\(s\); e.g. \['O1'\]"):
        daily_sales(li.head(1), pd.concat([o, o.head(1)]))
