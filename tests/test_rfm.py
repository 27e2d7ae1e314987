"""Tests of mallkit.rfm (rfm_table, rfm_scores) against hand-computed frames, lifetimes'
published test fixtures, pandas' qcut, a brute-force reference and the sample mall.
The segmentation (mallkit.segments) is tested in test_segments.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import mallkit.errors
from mallkit.datasets import make_sample_mall
from mallkit.errors import MallkitError, MissingColumnsError, PeriodError, SchemaError
from mallkit.rfm import RFMError, RFMWarning, rfm_scores, rfm_table
from tests.conftest import assert_not_mutated


def orders_frame(rows) -> pd.DataFrame:
    """(order_id, customer_id, paid_at, status, paid_fen) tuples -> an orders frame."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "paid_at", "status", "paid_fen"])
    return df.assign(paid_at=pd.to_datetime(df["paid_at"]))


def refunds_frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["refund_id", "order_id", "refunded_at", "amount_fen"])
    return df.assign(refunded_at=pd.to_datetime(df["refunded_at"]))


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMWarning)
        return func(*args, **kwargs)


@pytest.fixture(scope="module")
def mall():
    return make_sample_mall(seed=0, start="2025-09-01", end="2025-12-31", n_customers=2000)


# ----------------------------------------------------------------------------- rfm_table
# Hand-made case; as_of = 2025-06-30. Expected values are worked out in the comments.
ORDERS = orders_frame([
    ("O1", "A", "2025-06-01 10:00", "completed", 10000),
    ("O2", "A", "2025-06-20 23:59", "shipped", 6000),    # partial refund 1000 -> net 5000
    ("O3", "A", "2025-07-01 00:00", "paid", 9900),       # after as_of: ignored
    ("O4", "B", "2025-05-01 09:00", "completed", 3000),  # refunded in full -> excluded
    ("O5", "B", "2025-06-30 12:00", "paid", 2000),
    ("O6", "C", "2025-06-10 08:00", "cancelled", 5000),  # cancelled: never counts
    ("O7", "C", "2025-06-11 08:00", "unpaid", 5000),
    ("O8", "D", "2025-04-02 10:00", "completed", 7000),  # refunded in full: D has no purchase
    ("O9", "A", "2025-06-20 08:00", "completed", 1000),  # same day as O2
])
REFUNDS = refunds_frame([
    ("R1", "O2", "2025-06-25 10:00", 1000),
    ("R2", "O4", "2025-05-03 10:00", 3000),
    ("R3", "O8", "2025-04-05 10:00", 4000),
    ("R4", "O8", "2025-04-06 10:00", 3000),
    ("R5", "O5", "2025-07-02 10:00", 2000),  # after as_of: not known yet
    ("R6", "O6", "2025-06-12 10:00", 5000),  # refund of a cancelled order: unmatched
    ("R7", "OX", "2025-06-12 10:00", 100),   # unknown order: unmatched
])


def test_rfm_table_hand_computed():
    t = rfm_table(ORDERS, REFUNDS, as_of="2025-06-30")
    c = t.customers.set_index("customer_id")
    assert list(c.index) == ["A", "B"]  # C never paid, D's only order was refunded in full
    # A: O1 (06-01, 10000), O2 (06-20, 6000-1000), O9 (06-20, 1000) -> 3 orders, 16000 net,
    # last purchase 06-20 -> 10 days before 06-30, first 06-01 -> tenure 29 days.
    assert c.loc["A", ["recency_days", "frequency", "monetary_fen", "orders"]].tolist() == [
        10, 3, 16000, 3]
    assert c.loc["A", ["paid_fen", "refunded_fen", "tenure_days"]].tolist() == [17000, 1000, 29]
    assert c.loc["A", "first_purchase"] == pd.Timestamp("2025-06-01")
    assert c.loc["A", "last_purchase"] == pd.Timestamp("2025-06-20")
    # B: O4 refunded in full (excluded), O5 on as_of day (R5 comes later) -> R 0, F 1, M 2000.
    assert c.loc["B", ["recency_days", "frequency", "monetary_fen", "tenure_days"]].tolist() == [
        0, 1, 2000, 0]
    ex = t.excluded.set_index("order_id")
    assert list(ex.index) == ["O4", "O8"]
    assert ex.loc["O4", ["customer_id", "paid_fen", "refunded_fen", "net_fen"]].tolist() == [
        "B", 3000, 3000, 0]
    assert ex.loc["O8", "refunded_fen"] == 7000 and ex.loc["O8", "reason"] == "refunded in full"
    assert ex.loc["O4", "date"] == pd.Timestamp("2025-05-01")
    un = t.unmatched_refunds.set_index("refund_id")
    assert un["reason"].to_dict() == {"R6": "order not paid (cancelled)", "R7": "order not found"}
    # conservation: paid orders O1 O2 O9 O4 O5 O8 = 29000 paid; R1-R4 = 11000 refunded.
    assert c["monetary_fen"].sum() + ex["net_fen"].sum() == 29000 - 11000


def test_rfm_table_days_frequency():
    t = rfm_table(ORDERS, REFUNDS, as_of="2025-06-30", frequency="days")
    c = t.customers.set_index("customer_id")
    # A bought on 06-01 and 06-20 (two orders that day): 2 purchase days, still 3 orders.
    assert c.loc["A", ["frequency", "orders", "monetary_fen"]].tolist() == [2, 3, 16000]
    assert c.loc["B", ["frequency", "orders"]].tolist() == [1, 1]
    # a day whose orders net to 0 is one excluded occasion, listed order by order
    assert sorted(t.excluded["order_id"]) == ["O4", "O8"]
    assert set(t.excluded["reason"]) == {"day: refunded in full"}


def test_days_frequency_nets_orders_of_a_day():
    o = orders_frame([("O1", "A", "2025-01-05 09:00", "paid", 3000),
                      ("O2", "A", "2025-01-05 18:00", "paid", 2000),
                      ("O3", "A", "2025-01-07 18:00", "paid", 500)])
    r = refunds_frame([("R1", "O1", "2025-01-06", 3000), ("R2", "O3", "2025-01-08", 500)])
    t = rfm_table(o, r, as_of="2025-01-31", frequency="days")
    # 01-05 nets 0 + 2000 > 0: one occasion with one positive order; 01-07 nets 0: excluded.
    assert t.customers[["frequency", "orders", "monetary_fen"]].iloc[0].tolist() == [1, 1, 2000]
    assert t.excluded["order_id"].tolist() == ["O3"]
    by_order = rfm_table(o, r, as_of="2025-01-31")
    assert by_order.excluded["order_id"].tolist() == ["O1", "O3"]


def test_over_refund_is_reported_not_hidden():
    o = orders_frame([("O1", "A", "2025-01-05", "paid", 1000),
                      ("O2", "A", "2025-01-06", "paid", 800), ("O3", "A", "2025-01-07", "paid", 0)])
    r = refunds_frame([("R1", "O1", "2025-01-06", 1200)])
    t = rfm_table(o, r, as_of="2025-01-31")
    assert t.excluded[["order_id", "net_fen", "reason"]].values.tolist() == [
        ["O1", -200, "refunds exceed payment"], ["O3", 0, "nothing paid"]]
    assert t.customers["monetary_fen"].tolist() == [800]


def test_timezone_aware_input_buckets_by_shanghai_day():
    # 2025-03-31 16:30 UTC is 2025-04-01 00:30 in Shanghai (UTC+8).
    o = orders_frame([("O1", "A", "2025-03-31 16:30", "paid", 1000),
                      ("O2", "B", "2025-03-31 15:30", "paid", 1000)])
    o["paid_at"] = o["paid_at"].dt.tz_localize("UTC")
    t = rfm_table(o, as_of="2025-03-31")
    assert t.customers["customer_id"].tolist() == ["B"]  # A's order is on 04-01 locally
    t = rfm_table(o, as_of="2025-04-01")
    assert t.customers.set_index("customer_id")["recency_days"].to_dict() == {"A": 0, "B": 1}
    # ISO text with offsets is read the same way
    o2 = o.assign(paid_at=["2025-04-01T00:30:00+08:00", "2025-03-31T15:30:00Z"])
    pd.testing.assert_frame_equal(rfm_table(o2, as_of="2025-04-01").customers, t.customers)
    # a tz-aware as_of is converted too: 2025-03-31 17:00 UTC = 04-01 01:00 local, after O1
    t = rfm_table(o, as_of=pd.Timestamp("2025-03-31 17:00", tz="UTC"))
    assert sorted(t.customers["customer_id"]) == ["A", "B"]


def test_as_of_with_time_of_day_cuts_at_that_instant():
    o = orders_frame([("O1", "A", "2025-01-05 09:00", "paid", 1000),
                      ("O2", "A", "2025-01-05 18:00", "paid", 2000)])
    t = rfm_table(o, as_of="2025-01-05 12:00")
    assert t.customers[["frequency", "monetary_fen", "recency_days"]].iloc[0].tolist() == [
        1, 1000, 0]


def reference_rfm(orders: pd.DataFrame, refunds: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """Brute force in plain Python: the definitions of the issue, one order at a time."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    refunded: dict[str, int] = {}
    for r in refunds.itertuples():
        if r.refunded_at < end:
            refunded[r.order_id] = refunded.get(r.order_id, 0) + r.amount_fen
    per: dict[str, list] = {}
    for o in orders.itertuples():
        if o.status in ("paid", "shipped", "completed") and o.paid_at < end:
            net = o.paid_fen - refunded.get(o.order_id, 0)
            if net > 0:
                per.setdefault(o.customer_id, []).append((o.paid_at.normalize(), net))
    day = pd.Timestamp(as_of)
    rows = [(c, (day - max(d for d, _ in v)).days, len(v), sum(n for _, n in v))
            for c, v in sorted(per.items())]
    return pd.DataFrame(rows, columns=["customer_id", "recency_days", "frequency", "monetary_fen"])


def test_rfm_table_matches_brute_force_on_sample_mall(mall):
    t = rfm_table(mall["orders"], mall["refunds"], as_of="2025-11-30")
    want = reference_rfm(mall["orders"], mall["refunds"], "2025-11-30")
    got = t.customers[want.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # conservation over all paid orders up to as_of: what counted + what was excluded
    o = mall["orders"]
    paid = o[o["status"].isin(["paid", "shipped", "completed"]) & (o["paid_at"] < "2025-12-01")]
    r = mall["refunds"]
    r = r[(r["refunded_at"] < "2025-12-01") & r["order_id"].isin(paid["order_id"])]
    assert (t.customers["monetary_fen"].sum() + t.excluded["net_fen"].sum()
            == paid["paid_fen"].sum() - r["amount_fen"].sum())
    assert len(t.excluded) > 0  # the sample has full refunds, and they are reported


@st.composite
def random_orders(draw):
    n = draw(st.integers(1, 25))
    cust = draw(st.lists(st.sampled_from("ABCDE"), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    status = draw(st.lists(st.sampled_from(["paid", "completed", "cancelled", "unpaid"]),
                           min_size=n, max_size=n))
    amount = draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n))
    o = pd.DataFrame({"order_id": [f"O{i}" for i in range(n)], "customer_id": cust,
                      "paid_at": pd.Timestamp("2025-01-01 10:00") + pd.to_timedelta(day, "D"),
                      "status": status, "paid_fen": amount})
    o.loc[0, ["status", "paid_at"]] = ["paid", pd.Timestamp("2025-01-01")]  # >= 1 purchase
    k = draw(st.integers(0, n))
    ref = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 3000), st.integers(0, 45)),
                        min_size=k, max_size=k))
    r = pd.DataFrame({"refund_id": [f"R{i}" for i in range(k)],
                      "order_id": [f"O{i}" for i, _, _ in ref],
                      "refunded_at": pd.Timestamp("2025-01-02")
                      + pd.to_timedelta([d for *_, d in ref], "D"),
                      "amount_fen": [a for _, a, _ in ref]})
    return o, r, draw(st.randoms())


@settings(max_examples=60, deadline=None)
@given(random_orders())
def test_rfm_table_matches_brute_force_and_ignores_row_order(case):
    o, r, rnd = case
    got = rfm_table(o, r, as_of="2025-01-30")
    want = reference_rfm(o, r, "2025-01-30")
    pd.testing.assert_frame_equal(got.customers[want.columns], want, check_dtype=False)
    perm_o = o.iloc[rnd.sample(range(len(o)), len(o))]
    perm_r = r.iloc[rnd.sample(range(len(r)), len(r))]
    again = rfm_table(perm_o, perm_r, as_of="2025-01-30")
    pd.testing.assert_frame_equal(again.customers, got.customers)
    key = ["order_id", "date"]
    pd.testing.assert_frame_equal(again.excluded.sort_values(key, ignore_index=True),
                                  got.excluded.sort_values(key, ignore_index=True))


def test_rfm_table_accepts_categorical_and_integer_ids():
    o = ORDERS.assign(customer_id=ORDERS["customer_id"].astype("category"))
    a = rfm_table(o, REFUNDS, as_of="2025-06-30").customers
    b = rfm_table(ORDERS, REFUNDS, as_of="2025-06-30").customers
    assert a["customer_id"].astype(str).tolist() == b["customer_id"].tolist()
    pd.testing.assert_frame_equal(a.drop(columns="customer_id"), b.drop(columns="customer_id"))
    o = ORDERS.assign(customer_id=ORDERS["customer_id"].map({"A": 7, "B": 3, "C": 1, "D": 9}))
    assert rfm_table(o, REFUNDS, as_of="2025-06-30").customers["customer_id"].tolist() == [3, 7]


def test_rfm_table_does_not_mutate_inputs():
    assert_not_mutated(rfm_table, ORDERS, REFUNDS, as_of="2025-06-30")
    assert_not_mutated(rfm_table, ORDERS, REFUNDS, as_of="2025-06-30", basis="model", freq="W")


def test_rfm_table_canonical_tables_from_sample(mall):
    # the full canonical tables (extra columns) are accepted as they are
    t = rfm_table(mall["orders"], mall["refunds"], as_of="2025-12-31")
    assert t.customers["customer_id"].is_unique
    assert t.customers["customer_id"].is_monotonic_increasing
    assert (t.customers["frequency"] >= 1).all() and (t.customers["monetary_fen"] > 0).all()
    assert t.customers["monetary_fen"].dtype == np.int64


@pytest.mark.parametrize(
    ("change", "exc", "match"),
    [
        (lambda o: o.drop(columns="paid_fen"), MissingColumnsError,
         r"table 'orders' is missing column\(s\) paid_fen; columns present: order_id"),
        (lambda o: o.assign(paid_fen=o["paid_fen"].where(o["order_id"] != "O5", -20)),
         SchemaError, r"column 'paid_fen' breaks rule 'non-negative' in 1 row; e.g. order_id=O5"),
        (lambda o: o.assign(paid_fen=o["paid_fen"] / 100), SchemaError,
         r"'paid_fen' breaks rule 'integer fen'.*float64.*to_fen"),
        (lambda o: o.assign(order_id=o["order_id"].replace({"O2": "O1"})), SchemaError,
         r"column 'order_id' breaks rule 'unique key' in 2 rows; e.g. order_id=O1, O1"),
        (lambda o: o.assign(status=o["status"].replace({"paid": "PAID"})), SchemaError,
         r"column 'status' breaks rule 'one of unpaid, paid.*e.g. order_id=O3, O5"),
        (lambda o: o.assign(customer_id=o["customer_id"].where(o["order_id"] != "O4")),
         SchemaError, r"'customer_id' breaks rule 'not null' in 1 row; e.g. order_id=O4"),
        (lambda o: o.assign(paid_at=o["paid_at"].where(o["order_id"] != "O1")), SchemaError,
         r"'paid_at' breaks rule 'paid statuses need paid_at'.*order_id=O1"),
        (lambda o: o.assign(paid_at=o["paid_at"].astype(str).where(o["order_id"] != "O2", "x")),
         SchemaError, r"'paid_at' breaks rule 'timestamp' in 1 row; e.g. order_id=O2"),
    ],
)
def test_rfm_table_bad_orders(change, exc, match):
    with pytest.raises(exc, match=match):
        rfm_table(change(ORDERS), REFUNDS, as_of="2025-06-30")


@pytest.mark.parametrize(
    ("change", "exc", "match"),
    [
        (lambda r: r.drop(columns="amount_fen"), MissingColumnsError,
         r"table 'refunds' is missing column\(s\) amount_fen"),
        (lambda r: r.assign(amount_fen=r["amount_fen"].where(r["refund_id"] != "R2", -3000)),
         SchemaError, r"table 'refunds': column 'amount_fen' breaks rule 'positive'.*refund_id=R2"),
        (lambda r: r.assign(refund_id=r["refund_id"].replace({"R3": "R4"})), SchemaError,
         r"'refund_id' breaks rule 'unique key' in 2 rows; e.g. refund_id=R4, R4"),
    ],
)
def test_rfm_table_bad_refunds(change, exc, match):
    with pytest.raises(exc, match=match):
        rfm_table(ORDERS, change(REFUNDS), as_of="2025-06-30")


def test_refund_ids_of_another_type_than_order_ids():
    # refunds read with numeric order ids against text order ids could never match: the
    # Arrow probe raised a bare ArrowTypeError, the object path left every refund unmatched
    num = REFUNDS.assign(order_id=range(len(REFUNDS)))
    for orders in (ORDERS, ORDERS.astype({"order_id": object})):
        with pytest.raises(SchemaError, match=r"table 'refunds': column 'order_id' breaks rule "
                                              r"'same id type as orders.order_id' in 7 rows; e.g. "
                                              r"refund_id=R1, .*refunds hold number \(int64\), "
                                              r"orders hold text"):
            rfm_table(orders, num, as_of="2025-06-30")
    # numeric ids on both sides are fine, and text vs categorical text too
    o = ORDERS.assign(order_id=ORDERS["order_id"].str[1:].astype(int))
    r = REFUNDS[REFUNDS["order_id"] != "OX"]
    r = r.assign(order_id=r["order_id"].str[1:].astype(int))
    want = rfm_table(ORDERS, REFUNDS, as_of="2025-06-30").customers
    pd.testing.assert_frame_equal(rfm_table(o, r, as_of="2025-06-30").customers, want)
    cat = REFUNDS.assign(order_id=REFUNDS["order_id"].astype("category"))
    pd.testing.assert_frame_equal(rfm_table(ORDERS, cat, as_of="2025-06-30").customers, want)
    # an empty refunds table has no ids to compare (pandas makes its columns float)
    empty = pd.DataFrame(columns=REFUNDS.columns).astype({"order_id": float})
    assert rfm_table(ORDERS, empty, as_of="2025-06-30").unmatched_refunds.empty


def test_rfm_table_as_of_before_all_data_and_bad_options():
    with pytest.raises(PeriodError, match=r"no paid order .* on or before as_of=2025-01-01; "
                                          r"the first is paid at 2025-04-02 10:00"):
        rfm_table(ORDERS, as_of="2025-01-01")
    with pytest.raises(PeriodError, match="'orders' has no paid order at all"):
        rfm_table(ORDERS.assign(status="cancelled"), as_of="2025-06-30")
    with pytest.raises(PeriodError, match="as_of='soon' is not a date"):
        rfm_table(ORDERS, as_of="soon")
    with pytest.raises(RFMError, match="basis must be 'rfm' or 'model', got 'lifetimes'"):
        rfm_table(ORDERS, as_of="2025-06-30", basis="lifetimes")
    with pytest.raises(RFMError, match="freq must be one of D, W, M, got 'Q'"):
        rfm_table(ORDERS, as_of="2025-06-30", basis="model", freq="Q")
    with pytest.raises(RFMError, match="frequency must be 'orders' or 'days'"):
        rfm_table(ORDERS, as_of="2025-06-30", frequency="weeks")
    assert issubclass(RFMError, MallkitError) and issubclass(RFMError, ValueError)
    assert RFMError is mallkit.errors.RFMError  # defined there, re-exported by mallkit.rfm


# ----------------------------------------------------------------------------- basis="model"
# lifetimes' own fixtures and expected frames (CamDavidsonPilon/lifetimes, tests/test_utils.py:
# transaction_level_data, large_transaction_level_data[_with_monetary_value] and
# test_summary_*), re-checked by hand: e.g. id 5 buys on 01-16, 01-17, 01-18 -> frequency 2,
# recency 2, T = 02-07 - 01-16 = 22 days, monetary = mean(1, 8) = 4.5 (first purchase left out).
LIFETIMES_LARGE = [
    [1, "2015-01-01", 1], [1, "2015-02-06", 2], [2, "2015-01-01", 2], [3, "2015-01-01", 3],
    [3, "2015-01-02", 1], [3, "2015-01-05", 5], [4, "2015-01-16", 6], [4, "2015-02-02", 3],
    [4, "2015-02-05", 3], [5, "2015-01-16", 3], [5, "2015-01-17", 1], [5, "2015-01-18", 8],
    [6, "2015-02-02", 5],
]


def lifetimes_orders(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["customer_id", "paid_at", "paid_fen"])
    return df.assign(order_id=[f"O{i}" for i in range(len(df))], status="completed",
                     paid_at=pd.to_datetime(df["paid_at"]))


def model(rows, **kw) -> pd.DataFrame:
    t = rfm_table(lifetimes_orders(rows), as_of="2015-02-07", basis="model", **kw)
    return t.customers.set_index("customer_id").rename_axis("id")


def expected(rows, cols=("frequency", "recency", "T")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", *cols]).set_index("id").astype(float)


def test_model_basis_matches_lifetimes_transaction_level_data():
    small = [[1, "2015-02-01", 1], [1, "2015-02-06", 1], [2, "2015-01-01", 1],
             [3, "2015-01-01", 1], [3, "2015-01-02", 1], [3, "2015-01-05", 1]]
    got = model(small)[["frequency", "recency", "T"]]
    # test_summary_data_from_transaction_data_returns_correct_results
    pd.testing.assert_frame_equal(got, expected([[1, 1., 5., 6.], [2, 0., 0., 37.],
                                                 [3, 2., 4., 37.]]))


def test_model_basis_matches_lifetimes_with_monetary_values():
    # test_summary_date_from_transaction_with_monetary_values: the hand-checkable 6-row frame
    want = expected([[1, 1., 36., 37., 2], [2, 0., 0., 37., 0], [3, 2., 4., 37., 3],
                     [4, 2., 20., 22., 3], [5, 2., 2., 22., 4.5], [6, 0., 0., 5., 0]],
                    cols=("frequency", "recency", "T", "monetary_value"))
    pd.testing.assert_frame_equal(model(LIFETIMES_LARGE), want)


def test_model_basis_matches_lifetimes_weekly():
    # test_summary_date_from_transaction_data_with_specific_non_daily_frequency (freq="W",
    # Monday-Sunday weeks): id 1 buys in the weeks of 2014-12-29 and 2015-02-02 -> 5 weeks
    want = expected([[1, 1., 5., 5.], [2, 0., 0., 5.], [3, 1., 1., 5.], [4, 1., 3., 3.],
                     [5, 0., 0., 3.], [6, 0., 0., 0.]])
    pd.testing.assert_frame_equal(model(LIFETIMES_LARGE, freq="W")[want.columns], want)
    # test_find_first_transactions_with_monetary_values_with_specific_non_daily_frequency:
    # same-week purchases merge: id 3's first week (01-01, 01-02) is its first purchase and
    # the week of 01-05 spends 5; id 4 spends 3 + 3 = 6 in the week of 02-02
    got = model(LIFETIMES_LARGE, freq="W")["monetary_value"]
    assert got.to_dict() == {1: 2.0, 2: 0.0, 3: 5.0, 4: 6.0, 5: 0.0, 6: 0.0}


def test_model_basis_first_purchase_is_the_earliest_whatever_the_row_order():
    # test_summary_data_from_transaction_data_will_choose_the_correct_first_order_to_drop...
    rows = [[2, "2014-04-09", 20], [2, "2014-03-14", 10], [2, "2014-05-21", 25]]
    t = rfm_table(lifetimes_orders(rows), as_of="2014-05-21", basis="model")
    assert t.customers["monetary_value"].tolist() == [22.5]
    # test_summary_data_from_transaction_data_squashes_period_purchases_to_one_purchase
    same = [[1, "2015-01-01", 1], [1, "2015-01-01", 1]]
    assert model(same, freq="W")["frequency"].tolist() == [0.0]


def test_model_basis_months_include_first_and_multiplier():
    # calendar months (lifetimes rejects "M"): id 1 buys in January and February 2015,
    # as_of 2015-02-07 is in February -> frequency 1, recency 1, T 1; id 6 first buys in Feb.
    m = model(LIFETIMES_LARGE, freq="M")
    assert m.loc[1, ["frequency", "recency", "T", "monetary_value"]].tolist() == [1, 1, 1, 2]
    assert m.loc[3, ["frequency", "T"]].tolist() == [0, 1]  # three January days merge
    assert m.loc[4, ["frequency", "monetary_value"]].tolist() == [1, 6]  # 3 + 3 in February
    assert m.loc[6, ["frequency", "recency", "T"]].tolist() == [0, 0, 0]
    # include_first_transaction (lifetimes semantics): frequency counts every period and
    # monetary is the mean over all of them: id 3 -> 3 periods, (3 + 1 + 5) / 3 = 3
    inc = model(LIFETIMES_LARGE, include_first_transaction=True)
    assert inc.loc[3, ["frequency", "monetary_value"]].tolist() == [3, 3]
    assert inc.loc[1, ["frequency", "monetary_value"]].tolist() == [2, 1.5]
    # freq_multiplier divides recency and T, as in lifetimes: 36 / 7 and 37 / 7
    wk = model(LIFETIMES_LARGE, freq_multiplier=7)
    assert wk.loc[1, ["recency", "T"]].tolist() == pytest.approx([36 / 7, 37 / 7])


def test_model_basis_nets_refunds_and_reports_refunded_purchases():
    o = lifetimes_orders(LIFETIMES_LARGE)
    r = refunds_frame([("R1", "O5", "2015-01-06", 5),      # id 3's 01-05 purchase, in full
                       ("R2", "O1", "2015-02-06", 1)])     # id 1's 02-06 purchase, 2 -> 1
    t = rfm_table(o, r, as_of="2015-02-07", basis="model").customers.set_index("customer_id")
    assert t.loc[3, ["frequency", "recency", "monetary_value"]].tolist() == [1, 1, 1]
    assert t.loc[1, "monetary_value"] == 1
    ex = rfm_table(o, r, as_of="2015-02-07", basis="model").excluded
    assert ex["order_id"].tolist() == ["O5"]


# ----------------------------------------------------------------------------- rfm_scores
def table(r, f, m) -> pd.DataFrame:
    n = len(r)
    return pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(n)], "recency_days": r,
                         "frequency": f, "monetary_fen": m})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=5, max_size=60, unique=True),
       st.integers(2, 9))
@example([0.0, 1.0, 2.0, 3.0, 5e-324], 5)  # qcut's float edge rounds onto 5e-324
@example([0.0, 5e-324, 1.0, 2.0, 3.0, 4.0], 9)  # qcut's float edges collapse
def test_quantile_scores_without_ties_match_the_definition_and_qcut(values, bins):
    # Exact reference: for distinct values, the one at sorted rank i (0-based) lies above
    # the k-th linear quantile (position p_k = (n-1) k / bins) iff i > p_k, i.e.
    # i * bins > (n-1) k; so F = 1 + #{k: i bins > (n-1) k}, and for recency (ties to the
    # worse score) R = bins - #{k: i bins >= (n-1) k}.
    v = np.array(values)
    n = len(v)
    rank = np.argsort(np.argsort(v))
    k = np.arange(1, bins)
    f_want = 1 + (rank[:, None] * bins > (n - 1) * k).sum(axis=1)
    r_want = bins - (rank[:, None] * bins >= (n - 1) * k).sum(axis=1)
    s = quiet(rfm_scores, table(v, v, v), bins=bins).customers  # n < bins leaves empty scores
    assert s["f_score"].tolist() == f_want.tolist() == s["m_score"].tolist()
    assert s["r_score"].tolist() == r_want.tolist()
    # pandas.qcut (right-closed quantile bins; on -days for recency) agrees wherever no
    # quantile falls exactly on a data point, where its float quantiles may round either way;
    # even between two data points its float interpolation can round onto one of them (e.g.
    # 0.8 * 5e-324 == 5e-324), so qcut is only a witness where its own edges miss the data
    if not ((n - 1) * k % bins).all():
        return
    try:
        f_cut, f_edges = pd.qcut(v, bins, labels=False, retbins=True)
        r_cut, r_edges = pd.qcut(-v, bins, labels=False, retbins=True)
    except ValueError:  # float edges rounded together ("Bin edges must be unique")
        return
    if not np.isin(f_edges[1:-1], v).any() and not np.isin(r_edges[1:-1], -v).any():
        assert f_want.tolist() == (f_cut + 1).tolist()
        assert r_want.tolist() == (r_cut + 1).tolist()


def test_quantile_scores_hand_computed():
    # values 1..10, bins 5: quantiles 2.8, 4.6, 6.4, 8.2 -> cuts at 3, 5, 7, 9
    v = list(range(1, 11))
    s = rfm_scores(table(v, v, v))
    assert s.customers["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s.customers["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]  # recent = 5
    f = s.thresholds[s.thresholds["metric"] == "frequency"]
    assert f["lower"].tolist() == [-np.inf, 3, 5, 7, 9]
    assert f["upper"].tolist() == [3, 5, 7, 9, np.inf]
    assert f["customers"].tolist() == [2] * 5
    r = s.thresholds[s.thresholds["metric"] == "recency"]
    assert r["score"].tolist() == [5, 4, 3, 2, 1] and r["lower"].tolist()[1:] == [3, 5, 7, 9]
    assert s.customers["rfm_code"].tolist()[0] == 511


def test_collapsed_quantiles_warn_and_show_thresholds():
    # 70% bought once: quantiles 0.2, 0.4, 0.6 of F are all 1 -> one-time buyers get the
    # lowest F score, scores 2 and 3 are empty, and the warning and the table say so.
    f = [1] * 14 + [2, 2, 3, 4, 6, 9]
    with pytest.warns(RFMWarning, match=r"frequency: quantile cut points collapse \(ties\); "
                                        r"score\(s\) 2, 3 of 5 are empty"):
        s = rfm_scores(table(range(20), f, range(20)))
    sc = s.customers.groupby("frequency")["f_score"].unique().map(list).to_dict()
    # the 0.8 quantile is 2.2 (linear, position 15.2 of 0..19), so F = 3 and up score 5
    assert sc == {1: [1], 2: [4], 3: [5], 4: [5], 6: [5], 9: [5]}
    th = s.thresholds[s.thresholds["metric"] == "frequency"]
    assert th["customers"].tolist() == [14, 0, 0, 2, 4]
    assert th["lower"].tolist() == [-np.inf, 2, 2, 2, 3] and th["upper"].tolist()[-1] == np.inf
    # the table can be passed back: same scores (and the same warning about empty scores)
    with pytest.warns(RFMWarning, match="score.s. 2, 3 of 5 are empty"):
        again = rfm_scores(s.customers, method="thresholds", thresholds=s.thresholds)
    pd.testing.assert_frame_equal(again.customers, s.customers)
    pd.testing.assert_frame_equal(again.thresholds, s.thresholds)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4), st.integers(0, 5)),
                min_size=1, max_size=50),
       st.integers(2, 9), st.randoms())
def test_scores_tie_safe_in_range_and_row_order_invariant(rows, bins, rnd):
    r, f, m = (list(x) for x in zip(*rows, strict=True))
    t = table(r, f, m)
    s = quiet(rfm_scores, t, bins=bins).customers
    for col, score in (("recency_days", "r_score"), ("frequency", "f_score"),
                       ("monetary_fen", "m_score")):
        assert s[score].between(1, bins).all()
        assert (s.groupby(col)[score].nunique() == 1).all()  # equal values, equal scores
        # monotone: a better value never gets a worse score
        order = s.sort_values(col)[score].to_numpy()
        assert (np.diff(order) <= 0).all() if score == "r_score" else (np.diff(order) >= 0).all()
    perm = t.iloc[rnd.sample(range(len(t)), len(t))]
    s2 = quiet(rfm_scores, perm, bins=bins).customers.sort_values("customer_id")
    pd.testing.assert_frame_equal(s2, s.sort_values("customer_id"))


def test_threshold_table_is_reused_in_any_row_order():
    # 6 of 10 customers bought on as_of (0 days): the recency quantiles 0.2-0.6 are all 0,
    # so the cuts collapse to [-inf, 0), [0, 0), [0, 5) for R 5, 4, 3 (a tie run takes the
    # worse score). A table saved sorted by score, or shuffled, must give the same scores.
    t = table([0] * 6 + [5, 6, 7, 8], range(1, 11), range(100, 1100, 100))
    s = quiet(rfm_scores, t)
    r = s.thresholds[s.thresholds["metric"] == "recency"]
    assert r["lower"].tolist() == [-np.inf, 0, 0, 5, 7] and r["score"].tolist() == [5, 4, 3, 2, 1]
    for thr in (s.thresholds.sort_values(["metric", "score"]),
                s.thresholds.sample(frac=1, random_state=3)):
        again = quiet(rfm_scores, t, method="thresholds", thresholds=thr)
        pd.testing.assert_frame_equal(again.customers, s.customers)


def test_explicit_thresholds():
    # fixed cut points (R rfm's custom threshold vectors): days [7, 30, 90, 180], F [2, 3, 5, 8]
    cuts = {"recency": [7, 30, 90, 180], "frequency": [2, 3, 5, 8],
            "monetary": [10000, 30000, 60000, 100000]}
    t = table([0, 7, 45, 200], [1, 2, 5, 20], [9999, 10000, 60000, 100000])
    with pytest.warns(RFMWarning, match="recency: no customer in the interval; score.s. 2 of 5"):
        s = rfm_scores(t, method="thresholds", thresholds=cuts)
    assert s.customers["r_score"].tolist() == [5, 4, 3, 1]
    assert s.customers["f_score"].tolist() == [1, 2, 4, 5]
    assert s.customers["m_score"].tolist() == [1, 2, 4, 5]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bins": 1}, "bins must be an integer from 2 to 9, got 1"),
        ({"bins": 10}, "bins must be an integer from 2 to 9"),
        ({"method": "ntile"}, "method must be 'quantile' or 'thresholds'"),
        ({"method": "thresholds"}, "method='thresholds' needs thresholds="),
        ({"method": "thresholds", "thresholds": {"recency": [1, 2, 3, 4]}},
         "missing 'frequency'"),
        ({"method": "thresholds", "thresholds": {"recency": [1, 2, 3, 4], "frequency": [2, 2, 3, 4],
                                                 "monetary": [1, 2, 3, 4]}},
         r"thresholds\['frequency'\] must be 4 strictly ascending cut points"),
    ],
)
def test_rfm_scores_bad_options(kwargs, match):
    with pytest.raises(RFMError, match=match):
        rfm_scores(table([1, 2], [1, 2], [1, 2]), **kwargs)


def test_threshold_table_is_validated():
    t = table(range(10), range(10), range(10))
    thr = rfm_scores(t).thresholds
    gap = thr.copy()
    gap.loc[(gap["metric"] == "monetary") & (gap["score"] == 3), "upper"] = 5.5
    with pytest.raises(RFMError, match=r"metric 'monetary': intervals must meet .*\[4, 5.5\) "
                                       r"then \[6, 8\)"):
        rfm_scores(t, method="thresholds", thresholds=gap)
    flipped = thr.assign(score=np.where(thr["metric"] == "recency", 6 - thr["score"], thr["score"]))
    with pytest.raises(RFMError, match=r"metric 'recency': scores in order of 'lower' are "
                                       r"\[1, 2, 3, 4, 5\], expected \[5, 4, 3, 2, 1\]"):
        rfm_scores(t, method="thresholds", thresholds=flipped)
    narrow = thr.copy()
    narrow.loc[(narrow["metric"] == "frequency") & (narrow["score"] == 1), "lower"] = 0.5
    with pytest.raises(SchemaError, match=r"'frequency' breaks rule 'inside the thresholds "
                                          r"\[0.5, inf\)' in 1 row; e.g. customer_id=C000"):
        rfm_scores(t, method="thresholds", thresholds=narrow)


def test_rfm_scores_input_checks_and_no_mutation():
    t = table([1, 2, 3], [1, 2, 3], [1, 2, 3])
    with pytest.raises(MissingColumnsError, match=r"table 'table' is missing column\(s\) "
                                                   r"monetary_fen"):
        rfm_scores(t.drop(columns="monetary_fen"))
    with pytest.raises(SchemaError, match=r"'frequency' breaks rule 'not null'.*customer_id=C001"):
        rfm_scores(t.assign(frequency=[1, None, 3]))
    with pytest.raises(RFMError, match="no customers to score"):
        rfm_scores(t.iloc[:0])
    assert_not_mutated(lambda x: quiet(rfm_scores, x), t)


def test_fast_key_paths_agree_with_the_general_path(mall):
    # Arrow-backed "C001398"-style ids take the integer path; object ids the general one.
    o, r = mall["orders"], mall["refunds"]
    fast = rfm_table(o, r, as_of="2025-12-31")
    slow = rfm_table(o.assign(customer_id=o["customer_id"].astype(object),
                              order_id=o["order_id"].astype(object)), r, as_of="2025-12-31")
    pd.testing.assert_frame_equal(fast.customers.astype({"customer_id": object}),
                                  slow.customers.astype({"customer_id": object}))
    # same digits, different widths are different customers ("C1" is not "C01")
    mixed = orders_frame([("O1", "C1", "2025-01-02", "paid", 100),
                          ("O2", "C01", "2025-01-03", "paid", 200),
                          ("O3", "C01", "2025-01-04", "paid", 300)])
    got = rfm_table(mixed, as_of="2025-01-31").customers
    assert got[["customer_id", "frequency"]].values.tolist() == [["C01", 2], ["C1", 1]]
    # sorted ids with a repeat are caught (strictly increasing is the fast proof)
    dup = mixed.assign(order_id=["O1", "O1", "O2"])
    with pytest.raises(SchemaError, match=r"'order_id' breaks rule 'unique key' in 2 rows"):
        rfm_table(dup, as_of="2025-01-31")


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    n_cust=st.integers(1, 12),
    seed=st.integers(0, 2**31 - 1),
    shuffle=st.booleans(),
    with_refunds=st.booleans(),
)
def test_fast_digit_id_path_equals_the_general_path(n, n_cust, seed, shuffle, with_refunds):
    # rfm_table parses "prefix + digits" ids straight from the Arrow buffers (ranks instead
    # of hashing, binary search for refunds when order ids increase). The same data with
    # the ids as plain Python objects takes the general hashing path: results must agree.
    rng = np.random.default_rng(seed)
    oid = np.char.add("O", np.char.zfill((np.arange(n) * 3 + 7).astype(str), 10))
    cid = np.char.add("C", np.char.zfill(rng.integers(0, n_cust, n).astype(str), 6))
    paid = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300 * 86400, n), "s")
    status = rng.choice(["paid", "completed", "cancelled", "shipped"], n)
    status[0] = "paid"  # at least one counted order (none is a PeriodError on both paths)
    orders = pd.DataFrame({"order_id": oid, "customer_id": cid, "paid_at": paid,
                           "status": status, "paid_fen": rng.integers(100, 50000, n)})
    if shuffle:
        orders = orders.sample(frac=1, random_state=int(seed % 1000)).reset_index(drop=True)
    refunds = None
    if with_refunds:
        k = int(rng.integers(0, n + 1))
        pick = rng.integers(0, n, k)
        refunds = pd.DataFrame({"refund_id": [f"R{i}" for i in range(k)],
                                "order_id": orders["order_id"].to_numpy()[pick],
                                "refunded_at": orders["paid_at"].to_numpy()[pick]
                                + np.timedelta64(3600, "s"),
                                "amount_fen": rng.integers(1, 3000, k)})
    from mallkit.ids import arrow_text as _arrow
    from mallkit.ids import digit_ids as _digit_ids

    fast_orders = orders.astype({"order_id": "str", "customer_id": "str"})
    assert _digit_ids(_arrow(fast_orders["order_id"])) is not None  # the fast path is taken
    assert _arrow(orders["order_id"].astype(object)) is None  # and the slow one here
    fast = rfm_table(fast_orders, refunds, as_of="2025-11-30")
    slow_orders = orders.astype({"order_id": object, "customer_id": object})
    slow_refunds = None if refunds is None else refunds.astype({"order_id": object})
    slow = rfm_table(slow_orders, slow_refunds, as_of="2025-11-30")
    for part in ("customers", "excluded", "unmatched_refunds"):
        a = getattr(fast, part).reset_index(drop=True)
        b = getattr(slow, part).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False)
