"""Mall folders: round trips, Excel-style CSV (GBK, BOM, yuan headers) and clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from mallkit.datasets import TABLE_NAMES, make_sample_mall
from mallkit.errors import MallkitError, MoneyError, SchemaError
from mallkit.io import read_mall, read_table, write_mall


@pytest.fixture(scope="module")
def small():
    return make_sample_mall(seed=4, start="2025-10-15", end="2025-11-20", n_customers=600)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_is_exact(small, tmp_path, fmt):
    files = write_mall(small, tmp_path, format=fmt)
    assert {f.suffix for f in files} == {f".{fmt}"}
    back = read_mall(tmp_path)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(back[name], small[name], check_exact=True)
    key = back["answer_key"]
    assert len(key.discrepancies) == len(small["answer_key"].discrepancies)


def test_csv_is_excel_friendly_utf8_with_bom(small, tmp_path):
    write_mall(small, tmp_path, format="csv")
    raw = (tmp_path / "products.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows 美妆护肤, not mojibake
    assert "美妆护肤".encode() in raw


def test_gbk_csv_with_yuan_headers(tmp_path):
    # What an analyst exports from Excel on Chinese Windows: GBK text, money in yuan.
    text = ("refund_id,order_id,refunded_at,amount（元）\n"
            "R1,W1,2026-11-12 10:00:00,\"1,234.50\"\n"
            "R2,W2,2026-11-12 11:00:00,￥8.00\n")
    (tmp_path / "refunds.csv").write_bytes(text.encode("gbk"))
    got = read_mall(tmp_path)["refunds"]
    assert got["amount_fen"].tolist() == [123450, 800]  # 1,234.50 yuan = 123450 fen
    assert got["amount_fen"].dtype == "int64"


def test_yuan_suffix_header(tmp_path):
    pd.DataFrame({"date": ["2026-11-01"], "channel": ["web"], "uv": ["120"]}).to_csv(
        tmp_path / "traffic.csv", index=False)
    pd.DataFrame({"period": ["2026"], "level": ["total"], "key": ["all"],
                  "target_yuan": ["8,650,000.00"]}).to_csv(tmp_path / "targets.csv", index=False)
    got = read_mall(tmp_path)
    assert got["targets"]["target_fen"].item() == 865_000_000
    assert got["traffic"]["uv"].item() == 120


def test_fen_column_with_decimals_is_an_error_naming_file_and_rows(tmp_path):
    (tmp_path / "refunds.csv").write_text(
        "refund_id,order_id,refunded_at,amount_fen\nR1,W1,2026-11-12,12.5\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"refunds.csv:amount_fen.*integers.*12\.5"):
        read_mall(tmp_path)


def test_bad_yuan_value_names_the_value(tmp_path):
    (tmp_path / "refunds.csv").write_text(
        "refund_id,order_id,refunded_at,amount_yuan\nR1,W1,2026-11-12,12.345\n", encoding="utf-8")
    with pytest.raises(MoneyError, match=r"12\.345"):
        read_mall(tmp_path)


def test_schema_errors_name_the_file(tmp_path):
    (tmp_path / "traffic.csv").write_text("date,channel,uv\n2026-11-01,web,-3\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"traffic.csv: table 'traffic': column 'uv' breaks "
                                          r"rule 'non-negative'"):
        read_table(tmp_path / "traffic.csv", "traffic")


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(MallkitError, match="does not exist"):
        read_mall(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(MallkitError, match=r"holds none of the mall's tables.*notes\.txt"):
        read_mall(tmp_path)


def test_asking_for_an_absent_table_is_an_error(small, tmp_path):
    write_mall({"orders": small["orders"]}, tmp_path)
    assert set(read_mall(tmp_path)) == {"orders"}
    with pytest.raises(MallkitError, match=r"no refunds\.parquet or refunds\.csv"):
        read_mall(tmp_path, tables=("orders", "refunds"))
    with pytest.raises(MallkitError, match="unknown table"):
        read_mall(tmp_path, tables=("customers",))


def test_write_rejects_unknown_format(small, tmp_path):
    with pytest.raises(MallkitError, match="format must be 'parquet' or 'csv'"):
        write_mall(small, tmp_path, format="xlsx")
