"""Tests of mallkit.uplift: the uplift of past events and promotions.

Sources of expected values:
  [AK]  The sample mall's answer key: event_uplift (demand multipliers by event phase) and
        promotions.true_lift, the truth the generator used.
  Synthetic series with a known multiplier, drawn in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mallkit.datasets import make_sample_mall
from mallkit.demand import daily_sales, occasion_calendar
from mallkit.uplift import event_uplift


@pytest.fixture(scope="module")
def mall():
    m = make_sample_mall(seed=0, start="2024-06-01", end="2025-11-20", n_customers=8000)
    m["daily"] = daily_sales(m["order_lines"], m["orders"])
    return m


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
