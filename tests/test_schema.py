"""Tests of mallkit.schema.validate and the errors it raises.

Every frame here is hand-built; expected values are worked out by hand in the comments
(money identities) or follow from the documented conventions of mallkit/schema.py
(Asia/Shanghai is UTC+8 with no daylight saving, so 16:30 UTC is 00:30 next day local).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallkit import schema
from mallkit.errors import MallkitError, MissingColumnsError, SchemaError
from mallkit.schema import TABLES, _duplicated, validate
from tests.conftest import assert_not_mutated

TS = "datetime64[us]"  # canonical timestamp dtype (pandas 3's default resolution)


# --------------------------------------------------------------------------- valid frames
def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C1", "C1", "C2"],
            "channel": ["web", "tmall", "jd"],
            "created_at": ["2026-11-11 00:05:00", "2026-11-11 09:30:00", "2026-11-12 20:00:00"],
            "paid_at": ["2026-11-11 00:06:00", None, "2026-11-12 20:01:00"],
            "status": ["completed", "unpaid", "paid"],
            # paid = goods - discount + shipping: 29900-3000+0, 5000-0+800, 19900-0+1000
            "goods_fen": [29900, 5000, 19900],
            "discount_fen": [3000, 0, 0],
            "shipping_fen": [0, 800, 1000],
            "paid_fen": [26900, 5800, 20900],
            "payment_method": ["alipay", None, "wechat"],
        }
    )


def order_lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ["O1", "O1", "O3"],
            "sku": ["SKU1", "SKU2", "SKU1"],
            "qty": [1, 2, 1],
            # paid = qty * unit - discount: 1*19900-2000, 2*5000-1000, 1*19900-0
            "unit_price_fen": [19900, 5000, 19900],
            "discount_fen": [2000, 1000, 0],
            "paid_fen": [17900, 9000, 19900],
        }
    )


def refunds() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "refund_id": ["R1", "R2"],
            "order_id": ["O1", "O3"],
            "refunded_at": ["2026-11-13 10:00", "2026-11-14 11:30"],
            "amount_fen": [26900, 1000],
        }
    )


def products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": ["SKU1", "SKU2"],
            "category": ["服饰", "食品"],
            "list_price_fen": [19900, 5000],
            "unit_cost_fen": [12000, 0],
            "lead_time_days": [7, 3.5],  # an int is a valid float
            "lead_time_std_days": [2.0, 0.0],
            "moq": [10, 1],
            "case_pack": [10, 6],
        }
    )


def inventory() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": ["2026-11-10", "2026-11-10", "2026-11-11"],
            "sku": ["SKU1", "SKU2", "SKU1"],
            "on_hand": [120, 0, 100],
            "on_order": [0, 60, 0],
        }
    )


def traffic() -> pd.DataFrame:
    return pd.DataFrame(
        {"date": ["2026-11-11", "2026-11-11"], "channel": ["web", "jd"], "uv": [1200, 0]}
    )


def promotions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "promo_id": ["P1", "P2"],
            "name": ["双11 满200减20", "秒杀"],
            "mechanic": ["full_reduction", "flash_discount"],
            "start": ["2026-11-10 20:00", "2026-11-11 10:00"],
            "end": ["2026-11-11 23:59:59", "2026-11-11 10:00"],  # end == start is allowed
            "scope": ["all", "SKU1"],
            "params": ['{"threshold_fen": 20000, "off_fen": 2000}', '{"pct": 0.7}'],
            "ad_spend_fen": [500000, 0],
        }
    )


def statements() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "provider": ["alipay", "alipay", "wechat"],
            "txn_id": ["T1", "T1", "T2"],
            "merchant_order_id": ["O1", "O1", None],
            "refund_id": [None, "R1", None],
            "kind": ["payment", "refund", "payment"],
            "occurred_at": ["2026-11-11 00:06:01", "2026-11-13 10:00:05", "2026-11-12 20:01:02"],
            "amount_fen": [26900, -26900, 20900],  # merchant's side: refunds negative
            "fee_fen": [161, -161, 125],
        }
    )


def targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026-11", "2026-11"],
            "level": ["category", "category"],
            "key": ["服饰", "食品"],
            "target_fen": [100_000_000, 0],
        }
    )


VALID = {f.__name__: f for f in (orders, order_lines, refunds, products, inventory,
                                  traffic, promotions, statements, targets)}

# Canonical dtypes, written out from the schema's documented conventions (str ids and
# text, int64 counts and fen, float64 lead times, naive timestamps).
S, N, F = "str", "int64", "float64"
DTYPES = {
    "orders": [S, S, S, TS, TS, S, N, N, N, N, S],
    "order_lines": [S, S, N, N, N, N],
    "refunds": [S, S, TS, N],
    "products": [S, S, N, N, F, F, N, N],
    "inventory": [TS, S, N, N],
    "traffic": [TS, S, N],
    "promotions": [S, S, S, TS, TS, S, S, N],
    "statements": [S, S, S, S, S, TS, N, N],
    "targets": [S, S, S, N],
}


def check(df: pd.DataFrame, table: str, pattern: str, error: type = SchemaError):
    """validate must raise ``error`` whose message matches ``pattern``; return the error."""
    with pytest.raises(error, match=pattern) as info:
        validate(df, table)
    return info.value


def test_every_canonical_table_has_a_fixture():
    assert set(VALID) == set(TABLES) == set(DTYPES)


# --------------------------------------------------------------------------- happy path
@pytest.mark.parametrize("table", sorted(VALID))
def test_valid_frame_gets_canonical_dtypes_order_and_keeps_extras_and_index(table):
    df = VALID[table]()
    names = list(df.columns)
    # scramble the column order, add an extra column and a non-default index
    df = df[names[::-1]].assign(note=[f"n{i}" for i in range(len(df))])
    df.index = pd.Index([10 * (i + 1) for i in range(len(df))], name="row")
    out = assert_not_mutated(validate, df, table)
    assert list(out.columns) == [*names, "note"]
    assert [str(d) for d in out.dtypes[names]] == DTYPES[table]
    assert out.index.equals(df.index)
    pd.testing.assert_series_equal(out["note"], df["note"])
    assert out is not df


def test_values_survive_validation():
    out = validate(orders(), "orders")
    assert out["order_id"].tolist() == ["O1", "O2", "O3"]
    assert out["paid_fen"].tolist() == [26900, 5800, 20900]
    assert out["created_at"].iloc[0] == pd.Timestamp("2026-11-11 00:05:00")
    assert out["paid_at"].isna().tolist() == [False, True, False]
    assert out["payment_method"].isna().tolist() == [False, True, False]  # None stays missing


def test_extra_columns_pass_through_unchanged_after_canonical_ones():
    df = order_lines().assign(raw=pd.Series([1.5, None, "x"], dtype=object), flag=[True] * 3)
    out = validate(df[["flag", *order_lines().columns, "raw"]], "order_lines")
    assert list(out.columns)[-2:] == ["flag", "raw"]
    pd.testing.assert_series_equal(out["raw"], df["raw"])
    pd.testing.assert_series_equal(out["flag"], df["flag"])


def test_validate_accepts_a_table_object():
    pd.testing.assert_frame_equal(
        validate(traffic(), TABLES["traffic"]), validate(traffic(), "traffic")
    )


@pytest.mark.parametrize("table", sorted(VALID))
def test_empty_frames_validate_with_canonical_dtypes(table):
    names = list(VALID[table]().columns)
    header_only = pd.DataFrame(columns=names)  # object columns, as from a header-only CSV
    float_empty = pd.DataFrame({c: [] for c in names})  # pandas makes these float64
    for df in (header_only, float_empty):
        out = validate(df, table)
        assert len(out) == 0
        assert [str(d) for d in out.dtypes] == DTYPES[table]


# --------------------------------------------------------------------------- bad input
def test_unknown_table_name():
    check(order_lines(), "order_line",
          r"^unknown table 'order_line'; canonical tables are orders, order_lines, refunds, ")


@pytest.mark.parametrize("obj", [{"order_id": ["O1"]}, pd.Series([1]), None])
def test_non_dataframe_input(obj):
    check(obj, "order_lines", rf"validate expects a pandas DataFrame, got {type(obj).__name__}")


def test_missing_columns_error_names_table_missing_and_present_columns():
    df = order_lines().drop(columns=["qty", "paid_fen"])
    err = check(
        df, "order_lines",
        re.escape("table 'order_lines' is missing column(s) qty, paid_fen; "
                  "columns present: order_id, sku, unit_price_fen, discount_fen"),
        MissingColumnsError,
    )
    assert isinstance(err, KeyError) and isinstance(err, SchemaError)
    assert isinstance(err, MallkitError) and isinstance(err, ValueError)
    assert not str(err).startswith(("'", '"'))  # no KeyError repr quotes
    assert str(err).startswith("table 'order_lines' is missing")
    assert err.missing == ["qty", "paid_fen"]
    assert err.present == ["order_id", "sku", "unit_price_fen", "discount_fen"]
    assert (err.table, err.column, err.rule) == ("order_lines", "qty", "required columns")


def test_missing_columns_caught_as_key_error():
    with pytest.raises(KeyError):
        validate(pd.DataFrame(), "traffic")
    check(pd.DataFrame(), "traffic",
          re.escape("missing column(s) date, channel, uv; columns present: (none)"),
          MissingColumnsError)


# --------------------------------------------------------------------------- money / ints
def test_float_money_column_rejected_not_rounded():
    df = order_lines().assign(unit_price_fen=[19900.0, 5000.0, 19900.0])  # even whole floats
    err = check(df, "order_lines", re.escape(
        "table 'order_lines': column 'unit_price_fen' breaks rule 'integer fen' in 3 rows; "
        "e.g. order_id/sku=O1/SKU1, O1/SKU2, O3/SKU1 "
        "(dtype is float64; convert yuan with mallkit.money.to_fen)"))
    assert (err.table, err.column, err.rule) == ("order_lines", "unit_price_fen", "integer fen")
    assert len(err.rows) == 3


def test_float_count_column_rejected():
    check(order_lines().assign(qty=[1.0, 2.5, 1.0]), "order_lines",
          re.escape("column 'qty' breaks rule 'integer' in 3 rows; e.g. order_id/sku=O1/SKU1, "
                    "O1/SKU2, O3/SKU1 (dtype is float64; no fractions)"))


def test_object_column_of_python_ints_accepted():
    df = order_lines().assign(paid_fen=pd.Series([17900, 9000, 19900], dtype=object))
    out = validate(df, "order_lines")
    assert str(out["paid_fen"].dtype) == "int64"
    assert out["paid_fen"].tolist() == [17900, 9000, 19900]


@pytest.mark.parametrize("bad", [90.5, True, "9000", 2**63])
def test_object_money_column_names_only_the_bad_value(bad):
    df = order_lines().assign(paid_fen=pd.Series([17900, bad, 19900], dtype=object))
    err = check(df, "order_lines", re.escape(
        "column 'paid_fen' breaks rule 'integer fen' in 1 row; e.g. order_id/sku=O1/SKU2 "
        "(convert yuan with mallkit.money.to_fen)"))
    assert err.rows.index.tolist() == [1]


def test_nullable_int64_without_missing_values_accepted():
    df = order_lines().assign(qty=pd.array([1, 2, 1], dtype="Int64"))
    out = validate(df, "order_lines")
    assert str(out["qty"].dtype) == "int64" and out["qty"].tolist() == [1, 2, 1]


def test_nullable_int64_with_missing_values_rejected():
    df = order_lines().assign(qty=pd.array([1, None, 1], dtype="Int64"))
    err = check(df, "order_lines", re.escape(
        "table 'order_lines': column 'qty' breaks rule 'not null' in 1 row; "
        "e.g. order_id/sku=O1/SKU2"))
    assert err.rows.index.tolist() == [1]


def test_unsigned_ints_beyond_int64_rejected_not_wrapped():
    # statements.fee_fen has no sign rule, so a wrapped (negative) value would pass unseen
    df = statements().assign(fee_fen=np.array([161, 2**63, 125], dtype=np.uint64))
    check(df, "statements", re.escape(
        "column 'fee_fen' breaks rule 'fits int64' in 1 row; "
        "e.g. provider/txn_id/kind/refund_id=alipay/T1/refund/R1"))
    ok = validate(statements().assign(fee_fen=np.array([1, 2, 3], np.uint64)),
                  "statements")
    assert str(ok["fee_fen"].dtype) == "int64" and ok["fee_fen"].tolist() == [1, 2, 3]


# --------------------------------------------------------------------------- text ids
def test_float_ids_rejected_for_text_columns():
    df = order_lines().assign(order_id=[1.0, 1.0, 3.0])
    check(df, "order_lines", re.escape(
        "column 'order_id' breaks rule 'text, not float' in 3 rows; e.g. order_id/sku=1.0/SKU1, "
        "1.0/SKU2, 3.0/SKU1 (a float id loses digits; read the file with dtype=str)"))


def test_integer_ids_become_text():
    df = order_lines().assign(order_id=[20261111000001, 20261111000001, 20261111000003])
    out = validate(df, "order_lines")
    assert str(out["order_id"].dtype) == "str"
    assert out["order_id"].tolist() == ["20261111000001", "20261111000001", "20261111000003"]


# --------------------------------------------------------------------------- timestamps
def test_unparseable_timestamps_named_by_row_key():
    df = refunds().assign(refunded_at=["2026-11-13 10:00", "yesterday"])
    err = check(df, "refunds", re.escape(
        "table 'refunds': column 'refunded_at' breaks rule 'timestamp' in 1 row; "
        "e.g. refund_id=R2 (could not parse)"))
    assert err.rows["refund_id"].tolist() == ["R2"]


def test_utc_text_converted_to_shanghai_then_naive():
    # 16:30 UTC + 8 h = 00:30 next day in Asia/Shanghai (UTC+8, no DST)
    df = refunds().assign(refunded_at=["2026-11-10T16:30:00Z", "2026-11-11T00:30:00+08:00"])
    out = validate(df, "refunds")
    assert str(out["refunded_at"].dtype) == TS
    assert out["refunded_at"].tolist() == [pd.Timestamp("2026-11-11 00:30:00")] * 2


def test_tz_aware_dtype_converted_to_shanghai_then_naive():
    aware = pd.to_datetime(["2026-11-10 16:30:00", "2026-11-11 15:59:59"]).tz_localize("UTC")
    out = validate(refunds().assign(refunded_at=aware), "refunds")
    assert out["refunded_at"].tolist() == [pd.Timestamp("2026-11-11 00:30:00"),
                                           pd.Timestamp("2026-11-11 23:59:59")]
    tokyo = aware.tz_convert("Asia/Tokyo")  # the same instants, another zone: same result
    assert validate(refunds().assign(refunded_at=tokyo), "refunds").equals(out)


def test_naive_text_mixed_with_tz_aware_text_rejected():
    df = refunds().assign(refunded_at=["2026-11-10 16:30:00", "2026-11-11T00:30:00+08:00"])
    check(df, "refunds", re.escape(
        "column 'refunded_at' breaks rule 'timestamp' in 1 row; e.g. refund_id=R1 "
        "(naive among tz-aware values)"))


def test_numbers_are_not_read_as_epoch_timestamps():
    check(refunds().assign(refunded_at=[1762800000, 1762900000]), "refunds", re.escape(
        "column 'refunded_at' breaks rule 'timestamp' in 2 rows; e.g. refund_id=R1, R2 "
        "(dtype is int64, not dates)"))


def test_all_missing_float_column_is_a_valid_nullable_timestamp():
    out = validate(orders().assign(paid_at=np.nan, status="unpaid"), "orders")
    assert str(out["paid_at"].dtype) == TS and out["paid_at"].isna().all()


def test_date_columns_must_be_midnight():
    df = inventory().assign(date=["2026-11-10", "2026-11-10 08:00", "2026-11-11"])
    err = check(df, "inventory", re.escape(
        "table 'inventory': column 'date' breaks rule 'date (midnight)' in 1 row; "
        "e.g. date/sku=2026-11-10 08:00/SKU2"))  # as written in the input
    assert err.rows["on_order"].tolist() == [60]


# --------------------------------------------------------------------------- column rules
def test_nulls_in_non_nullable_columns():
    df = orders().assign(customer_id=["C1", None, "C2"], channel=[None, "tmall", "jd"])
    err = check(df, "orders", re.escape(
        "table 'orders': column 'customer_id' breaks rule 'not null' in 1 row; e.g. order_id=O2\n"
        "table 'orders': column 'channel' breaks rule 'not null' in 1 row; e.g. order_id=O1"))
    assert err.problems[0][:2] == ("customer_id", "not null")


def test_null_in_key_column_is_reported_not_crashing():
    err = check(refunds().assign(refund_id=["R1", None]), "refunds", re.escape(
        "column 'refund_id' breaks rule 'not null' in 1 row; e.g. refund_id=<NA>"))
    assert err.rows["order_id"].tolist() == ["O3"]


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    [
        ("order_lines", "qty", 0, "positive"),
        ("order_lines", "discount_fen", -1, "non-negative"),
        ("refunds", "amount_fen", 0, "positive"),
        ("products", "lead_time_days", -0.5, "non-negative"),
        ("products", "moq", 0, "positive"),
        ("inventory", "on_hand", -3, "non-negative"),
        ("promotions", "ad_spend_fen", -100, "non-negative"),
        ("targets", "target_fen", -1, "non-negative"),
    ],
)
def test_sign_rules(table, column, value, rule):
    df = VALID[table]()
    df.loc[1, column] = value
    err = check(df, table, rf"table '{table}': column '{column}' breaks rule '{rule}' in 1 row; ")
    assert err.rows.index.tolist() == [1] and (err.column, err.rule) == (column, rule)


def test_sign_rule_names_the_row_key():
    check(order_lines().assign(qty=[1, 0, 1]), "order_lines", re.escape(
        "table 'order_lines': column 'qty' breaks rule 'positive' in 1 row; "
        "e.g. order_id/sku=O1/SKU2"))


@pytest.mark.parametrize(
    ("table", "column", "value", "allowed"),
    [
        ("orders", "status", "refunded", "unpaid, paid, shipped, completed, cancelled"),
        ("promotions", "mechanic", "bogo", "full_reduction, per_full_reduction, "),
        ("statements", "provider", "unionpay", "alipay, wechat"),
        ("statements", "kind", "chargeback", "payment, refund"),
    ],
)
def test_choices(table, column, value, allowed):
    df = VALID[table]()
    df.loc[0, column] = value
    err = check(df, table, re.escape(f"column '{column}' breaks rule 'one of {allowed}"))
    assert err.rows.index.tolist() == [0]


def test_duplicate_multi_column_key():
    df = order_lines().assign(sku=["SKU1", "SKU1", "SKU1"])  # O1/SKU1 twice; O3/SKU1 is fine
    err = check(df, "order_lines", re.escape(
        "table 'order_lines': column 'order_id/sku' breaks rule 'unique key' in 2 rows; "
        "e.g. order_id/sku=O1/SKU1, O1/SKU1"))
    assert err.rows.index.tolist() == [0, 1]


def test_duplicate_key_with_missing_parts():
    # two payment rows of one transaction: both refund_id missing, still the same key
    df = statements()
    df.loc[2, ["provider", "txn_id"]] = ["alipay", "T1"]
    err = check(df, "statements", re.escape(
        "column 'provider/txn_id/kind/refund_id' breaks rule 'unique key' in 2 rows; "
        "e.g. provider/txn_id/kind/refund_id=alipay/T1/payment/<NA>, alipay/T1/payment/<NA>"))
    assert err.rows.index.tolist() == [0, 2]


def test_single_column_duplicate_key():
    check(refunds().assign(refund_id=["R1", "R1"]), "refunds",
          re.escape("column 'refund_id' breaks rule 'unique key' in 2 rows; e.g. refund_id=R1, R1"))


# --------------------------------------------------------------------------- row rules
def test_orders_paid_identity():
    df = orders().assign(paid_fen=[26800, 5800, 20900])  # 29900 - 3000 + 0 = 26900, not 26800
    err = check(df, "orders", re.escape(
        "table 'orders': column 'paid_fen' breaks rule "
        "'paid_fen = goods_fen - discount_fen + shipping_fen' in 1 row; e.g. order_id=O1"))
    assert err.rows["paid_fen"].tolist() == [26800]


def test_paid_statuses_need_paid_at():
    df = orders().assign(paid_at=["2026-11-11 00:06:00", None, None])  # O3 is 'paid'
    check(df, "orders", re.escape(
        "column 'paid_at' breaks rule 'paid statuses need paid_at' in 1 row; e.g. order_id=O3"))


def test_paid_at_not_before_created_at():
    df = orders().assign(paid_at=["2026-11-11 00:04:59", None, "2026-11-12 20:01:00"])
    check(df, "orders", re.escape(
        "column 'paid_at' breaks rule 'paid_at not before created_at' in 1 row; "
        "e.g. order_id=O1"))


def test_order_lines_paid_identity():
    df = order_lines().assign(paid_fen=[17900, 10000, 19900])  # 2*5000 - 1000 = 9000
    check(df, "order_lines", re.escape(
        "column 'paid_fen' breaks rule 'paid_fen = qty * unit_price_fen - discount_fen' "
        "in 1 row; e.g. order_id/sku=O1/SKU2"))


def test_promotion_end_before_start():
    df = promotions().assign(end=["2026-11-11 23:59:59", "2026-11-11 09:59:59"])
    check(df, "promotions", re.escape(
        "table 'promotions': column 'end' breaks rule 'end not before start' in 1 row; "
        "e.g. promo_id=P2"))


def test_statement_refund_rows_need_refund_id():
    df = statements().assign(refund_id=[None, None, None])
    check(df, "statements", re.escape(
        "column 'refund_id' breaks rule 'refund rows need refund_id' in 1 row; "
        "e.g. provider/txn_id/kind/refund_id=alipay/T1/refund/<NA>"))


def test_statement_amount_sign_by_kind():
    # a negative payment and a positive refund both break the rule; zero is allowed
    df = statements().assign(amount_fen=[-26900, 26900, 0])
    err = check(df, "statements", re.escape(
        "column 'amount_fen' breaks rule 'payments >= 0, refunds <= 0' in 2 rows; "
        "e.g. provider/txn_id/kind/refund_id=alipay/T1/payment/<NA>, alipay/T1/refund/R1"))
    assert err.rows.index.tolist() == [0, 1]


def test_row_rules_wait_for_clean_columns():
    # with a sign problem present, the identity (which assumes clean columns) is not checked
    df = order_lines().assign(qty=[1, -2, 1])
    err = check(df, "order_lines", r"'qty' breaks rule 'positive'")
    assert [p[:2] for p in err.problems] == [("qty", "positive")]


# --------------------------------------------------------------------------- error content
def test_several_problems_in_one_error():
    df = order_lines().assign(qty=[0, 2, 1], sku=["SKU1", None, "SKU1"],
                              unit_price_fen=[19900, 5000, -1])
    err = check(df, "order_lines", "^table 'order_lines': column 'sku'")
    lines = str(err).split("\n")
    assert lines == [
        "table 'order_lines': column 'sku' breaks rule 'not null' in 1 row; "
        "e.g. order_id/sku=O1/<NA>",
        "table 'order_lines': column 'qty' breaks rule 'positive' in 1 row; "
        "e.g. order_id/sku=O1/SKU1",
        "table 'order_lines': column 'unit_price_fen' breaks rule 'non-negative' in 1 row; "
        "e.g. order_id/sku=O3/SKU1",
    ]
    assert [p[:2] for p in err.problems] == [
        ("sku", "not null"), ("qty", "positive"), ("unit_price_fen", "non-negative")]
    assert [p[2] for p in err.problems] == [line.removeprefix("table 'order_lines': ")
                                            for line in lines]
    assert (err.column, err.rule) == ("sku", "not null")  # the first problem
    assert err.rows.index.tolist() == [0, 1, 2]  # offending rows of every problem


def test_several_dtype_problems_in_one_error():
    df = order_lines().assign(order_id=[1.0, 1.0, 3.0], discount_fen=[2000.0, 1000.0, 0.0])
    err = check(df, "order_lines", "'order_id' breaks rule 'text, not float'.*\n.*"
                "'discount_fen' breaks rule 'integer fen'")
    assert len(err.problems) == 2


def test_rows_hold_every_offending_row_message_names_five():
    n = 8
    df = pd.DataFrame({
        "order_id": [f"O{i}" for i in range(n)], "sku": ["S"] * n, "qty": [0] * 7 + [1],
        "unit_price_fen": [100] * n, "discount_fen": [0] * n, "paid_fen": [0] * 7 + [100],
    }, index=range(100, 100 + n))
    err = check(df, "order_lines", re.escape(
        "column 'qty' breaks rule 'positive' in 7 rows; "
        "e.g. order_id/sku=O0/S, O1/S, O2/S, O3/S, O4/S (and 2 more)"))
    assert err.rows.index.tolist() == list(range(100, 107))
    assert err.rows["order_id"].tolist() == [f"O{i}" for i in range(7)]


def test_dtype_problems_name_row_keys_of_the_raw_frame():
    df = refunds().assign(amount_fen=[1.5, 2.0])
    check(df, "refunds", re.escape(
        "column 'amount_fen' breaks rule 'integer fen' in 2 rows; e.g. refund_id=R1, R2"))


# --------------------------------------------------------------------------- property
@st.composite
def order_lines_frames(draw):
    keys = draw(st.lists(
        st.tuples(st.sampled_from(["O1", "O2", "20261111000001", "订单3"]),
                  st.sampled_from(["SKU1", "SKU2", "sku-3"])),
        unique=True, max_size=12))
    n = len(keys)
    qty = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n))
    unit = draw(st.lists(st.integers(0, 10**9), min_size=n, max_size=n))
    share = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    gross = np.array(qty, dtype=np.int64) * np.array(unit, dtype=np.int64)
    disc = np.floor(gross * np.array(share, dtype=float)).astype(np.int64)
    disc = np.minimum(disc, gross)  # float rounding must not push the discount past gross
    index = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n, unique=True))
    return pd.DataFrame(
        {
            "order_id": pd.array([k[0] for k in keys], dtype="str"),
            "sku": pd.array([k[1] for k in keys], dtype="str"),
            "qty": np.array(qty, dtype=np.int64),
            "unit_price_fen": np.array(unit, dtype=np.int64),
            "discount_fen": disc,
            "paid_fen": gross - disc,
        },
        index=pd.Index(index, dtype=np.int64),
    )


@given(order_lines_frames())
def test_validate_keeps_valid_order_lines_and_is_idempotent(df):
    once = assert_not_mutated(validate, df, "order_lines")
    pd.testing.assert_frame_equal(once, df, check_exact=True)
    pd.testing.assert_frame_equal(validate(once, "order_lines"), once, check_exact=True)


@given(st.lists(st.tuples(st.sampled_from(["O1", "O2", "O3"]),
                          st.sampled_from(["SKU1", "SKU2"])), min_size=1, max_size=10))
def test_duplicate_key_rows_match_pandas_duplicated(keys):
    n = len(keys)
    df = pd.DataFrame({"order_id": [k[0] for k in keys], "sku": [k[1] for k in keys],
                       "qty": 1, "unit_price_fen": 100, "discount_fen": 0, "paid_fen": 100})
    # independent reference: pandas' own hash-based duplicate detection
    expected = df.index[df.duplicated(["order_id", "sku"], keep=False)].tolist()
    if not expected:
        assert len(validate(df, "order_lines")) == n
        return
    err = check(df, "order_lines", rf"'order_id/sku' breaks rule 'unique key' in {len(expected)} ")
    assert err.rows.index.tolist() == expected


# IDs that agree in their length and first, middle and last 8 bytes but differ elsewhere
# (so the fast key check of validate must fall back to an exact comparison), empty
# strings next to missing values, multi-byte text, and 28-digit trade numbers.
TRICKY_IDS = ["", "a", "ab", "abcdefgh", "abcdefghi", "abcdefgh" * 2, "abcdefgh" * 2 + "x",
              "X" * 9 + "1" + "Y" * 30, "X" * 9 + "2" + "Y" * 30, "中文", "中文abc", "é",
              "2026111122001458860515315453", "2026111122001458860515315454", "0", "00", None]


@given(st.lists(st.tuples(st.sampled_from(TRICKY_IDS), st.sampled_from(TRICKY_IDS[:4]),
                          st.sampled_from([None, "2026-11-11", "2026-11-11 10:00"])),
                max_size=40),
       st.integers(0, 5), st.booleans())
def test_key_check_is_pandas_duplicated_on_any_text(rows, skip, chunked):
    df = pd.DataFrame(rows, columns=["a", "b", "t"]).astype({"a": "str", "b": "str"})
    df["t"] = pd.to_datetime(df["t"], format="mixed").astype(TS)
    df = df.iloc[skip:]  # Arrow arrays with an offset
    if chunked:  # Arrow arrays of several chunks
        df = pd.concat([df, df.iloc[::-1]])
    for key in (["a"], ["a", "b"], ["b", "a", "t"], ["t"]):
        # independent reference: pandas' own hash-based duplicate detection
        want = df.duplicated(key, keep=False).to_numpy()
        np.testing.assert_array_equal(_duplicated(df, key), want)
        with pytest.MonkeyPatch.context() as mp:  # text read in blocks of 3 rows
            mp.setattr(schema, "_BLOCK", 3)
            np.testing.assert_array_equal(_duplicated(df, key), want)


def test_key_check_takes_nulls_as_equal_whatever_arrow_keeps_under_them():
    # Arrow may keep bytes under a null slot ("XYZ", "QRS" here); both nulls are still
    # the same missing value to pandas, so rows 1 and 2 are duplicates, rows 0 and 3 not.
    offsets = np.array([0, 3, 6, 9, 12], dtype=np.int64).tobytes()
    valid = np.packbits([1, 0, 0, 1], bitorder="little").tobytes()
    arr = pa.Array.from_buffers(pa.large_string(), 4, [pa.py_buffer(valid),
                                pa.py_buffer(offsets), pa.py_buffer(b"abcXYZQRSabd")])
    df = pd.DataFrame({"k": pd.array(arr, dtype="str")})
    assert df["k"].isna().tolist() == [False, True, True, False]
    assert _duplicated(df, ["k"]).tolist() == df.duplicated(keep=False).tolist() == [
        False, True, True, False]


def test_key_check_of_many_rows_names_the_duplicates():
    # 20,000 distinct 28-digit trade numbers, 2 payments repeated: rows 5 and 20,000 share
    # a key, as do 17 and 20,001; refunds share their payment's trade number but differ
    # in kind and refund_id, so they are not duplicates.
    n = 20_000
    txn = "20261111220014588605" + pd.Series(np.arange(n)).astype("str").str.zfill(8)
    st_ = pd.DataFrame({"provider": "alipay", "txn_id": txn, "merchant_order_id": "W1",
                        "refund_id": None, "kind": "payment",
                        "occurred_at": pd.Timestamp("2026-11-11"), "amount_fen": 100,
                        "fee_fen": 1})
    refunds = st_.iloc[:50].assign(kind="refund", refund_id=[f"R{i}" for i in range(50)],
                                   amount_fen=-100, fee_fen=-1)
    df = pd.concat([st_, st_.iloc[[5, 17]], refunds], ignore_index=True)
    err = check(df, "statements", r"'provider/txn_id/kind/refund_id' breaks rule 'unique key' "
                r"in 4 ")
    assert err.rows.index.tolist() == [5, 17, 20_000, 20_001]


def test_true_false_is_not_an_amount():
    # A boolean column silently read as 0/1 fen would be wrong money; it is rejected.
    df = pd.DataFrame({"date": ["2026-11-01"], "channel": ["web"], "uv": [True]})
    with pytest.raises(SchemaError, match=r"column 'uv' breaks rule 'integer'.*True/False"):
        validate(df, "traffic")
