"""Gateway bill readers: real-format fixtures parse to exact fen, totals checked, bad files refused.

The fixtures in tests/data/bills are written as bytes by tests/data/bills/make_fixtures.py
in the formats of the reference notes (Alipay 业务明细 / 账务明细 csv.zip in GBK with
``#`` lines, ``（元）`` headers and tab-suffixed IDs; WeChat Pay 交易账单 with backticks
and the two summary lines). Expected values below are the figures written into those
files, worked out by hand in the generator's comments (e.g. 0.6 % of 128.00 = 0.768 ->
0.77 yuan = 77 fen).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from mallkit.bills import (
    finance_pack,
    manifest,
    read_alipay_bill,
    read_bill,
    read_wechat_bill,
    write_finance_pack,
)
from mallkit.errors import BillFormatError
from mallkit.reconcile import reconcile
from mallkit.schema import validate

DATA = Path(__file__).parent / "data" / "bills"
TXN1, TXN2, TXN4 = ("2026111122001458860515315453", "2026111122001458860515316001",
                    "2026111122001458860515317777")
DAY = "2026-11-11 "
CANON = ["provider", "txn_id", "merchant_order_id", "refund_id", "kind", "occurred_at",
         "amount_fen", "fee_fen", "settled_fen"]

# The Alipay trade day as written into the fixtures (fen; refunds negative; fee_fen =
# -服务费: charged positive, returned negative; settled = 商家实收).
ALIPAY_TRADE = pd.DataFrame([
    ("alipay", TXN1, "W2611110001", None, "payment", DAY + "09:15:03", 12800, 77, 12800),
    ("alipay", TXN2, "W2611110002", None, "payment", DAY + "10:20:01", 5990, 36, 5990),
    ("alipay", TXN4, "W2611110004", None, "payment", DAY + "11:02:09", 4500, 27, 4000),
    ("alipay", TXN1, "W2611110001", "R2611110001", "refund", DAY + "15:00:11", -2800, -17, -2800),
    # No 退款请求号 in the bill: Alipay then uses the merchant order id.
    ("alipay", TXN4, "W2611110004", "W2611110004", "refund", DAY + "16:30:05", -4500, -27, -4000),
], columns=CANON)
WX = {"W2611110011": "4200002361202611111150650780", "W2611110012": "4200002361202611111150650791",
      "W2611110013": "4200002361202611111150650802"}
WECHAT_ALL = pd.DataFrame([
    ("wechat", WX["W2611110011"], "W2611110011", None, "payment", DAY + "08:30:15", 8800, 53, 8800),
    ("wechat", WX["W2611110012"], "W2611110012", None, "payment", DAY + "12:01:40", 1990, 12, 1990),
    ("wechat", WX["W2611110012"], "W2611110012", "R2611110012", "refund", DAY + "14:05:09",
     -1000, -6, -1000),
    ("wechat", WX["W2611110013"], "W2611110013", None, "payment", DAY + "21:45:00", 25000, 150,
     25000),
], columns=CANON)


def canon(df: pd.DataFrame) -> pd.DataFrame:
    return df[CANON].reset_index(drop=True)


def expected(df: pd.DataFrame) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    out = validate(df.drop(columns="settled_fen"), "statements")
    return out.assign(settled_fen=df["settled_fen"].astype("int64"))[CANON]


def test_fixtures_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_fixtures", DATA / "make_fixtures.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    built = gen.build()
    on_disk = {p.name for p in DATA.iterdir() if p.suffix != ".py" and p.is_file()}
    assert on_disk == set(built)
    for name, data in built.items():
        assert (DATA / name).read_bytes() == data, name


# ----------------------------------------------------------------------- Alipay
@pytest.mark.parametrize("name", [
    "alipay_trade_20261111.csv.zip",      # GBK zip, 汇总 member first
    "alipay_trade_detail_first.csv.zip",  # the other member order
    "alipay_trade_utf8bom.csv",           # UTF-8 BOM, a column inserted, columns reordered
    "alipay_trade_older.csv",             # older header: 退款批次号, 手续费（元）, 费率 …
])
def test_alipay_trade_layouts_read_to_the_same_statements(name):
    st = read_alipay_bill(DATA / name)
    pd.testing.assert_frame_equal(canon(st), expected(ALIPAY_TRADE))
    assert not st["txn_id"].str.contains("\t").any()  # the trailing tab of each ID is gone
    assert st["gateway_status"].tolist() == ["SUCCESS"] * 3 + ["REFUND"] * 2
    b = st.attrs["bill"]
    assert b["sha256"] == hashlib.sha256((DATA / name).read_bytes()).hexdigest()
    assert b["footer"] == {"交易笔数": 3, "交易商家实收": "227.90", "退款笔数": 2,
                           "退款商家实收": "-68.00"}
    assert b["rows"] == 5 and b["layout"] == "alipay_trade"


def test_alipay_zip_checks_its_summary_member_and_keeps_hash_tags_in_names():
    st = read_alipay_bill(DATA / "alipay_trade_20261111.csv.zip")
    assert st.attrs["bill"]["summary_member"].endswith("业务明细(汇总).csv")
    assert st.attrs["bill"]["member"].endswith("业务明细.csv")
    # Row 2's product name '"手机壳 #2款,黑色"' holds '#' and a comma: the row is intact
    # (a comment='#' reader would have cut it; a naive split would have shifted columns).
    assert st.loc[st["merchant_order_id"] == "W2611110002", "amount_fen"].tolist() == [5990]


def test_alipay_fund_bill_folds_fee_rows_and_reports_the_rest():
    st = read_alipay_bill(DATA / "alipay_fund_20261111.csv.zip")
    got = canon(st)
    assert got[["merchant_order_id", "kind", "amount_fen", "fee_fen"]].values.tolist() == [
        ["W2611110001", "payment", 12800, 77],   # 收费 row 0.77 folded in
        ["W2611110002", "payment", 5990, 36],    # 收费 row 0.36 folded in
        ["W2611110001", "refund", -2800, -17],   # 服务费退回 0.17 folded in, negative
    ]
    assert got["refund_id"].tolist()[2] == "70000000000005"  # the 账务流水号
    b = st.attrs["bill"]
    assert b["other"] == [{"业务类型": "提现", "rows": 1, "income_fen": 0, "expense_fen": 10000}]
    assert b["balance_walk_ok"] is True
    assert b["footer"] == {"收入笔数": 3, "收入": "188.07", "支出笔数": 4, "支出": "129.13"}


def test_alipay_empty_day_is_an_empty_canonical_batch():
    st = read_alipay_bill(DATA / "alipay_trade_empty.csv")
    assert len(st) == 0
    pd.testing.assert_frame_equal(validate(st, "statements"), st)


@pytest.mark.parametrize(("name", "pattern", "line"), [
    ("alipay_trade_bad_footer.csv",
     r"line 12: the bill's own total 交易合计 笔数 is 4笔 but its detail rows give 3笔", 12),
    ("alipay_trade_bad_summary.csv.zip",
     r"业务明细\(汇总\).csv: line 6: .*服务费 is -0.95元 but its detail rows give -0.96元", 6),
    ("alipay_fund_bad_footer.csv",
     r"line 15: .*收入合计 is 188.70元 but its detail rows give 188.07元", 15),
    ("alipay_trade_truncated.csv", r"no end-of-list line .* the bill is truncated", None),
    ("alipay_trade_excel.csv",
     r"line 6: 支付宝交易号 '2.02611E\+27' is in scientific notation: .*re-saved by Excel", 6),
    ("alipay_trade_summary_only.csv", r"only the 汇总 \(summary\) part", None),
    ("wechat_all_20261111.csv", r"not an Alipay bill \(it looks like a WeChat Pay bill", None),
])
def test_alipay_bad_files_raise_naming_file_line_and_figures(name, pattern, line):
    with pytest.raises(BillFormatError, match=re.escape(name.split(".")[0]) + ".*" + pattern) \
            as err:
        read_alipay_bill(DATA / name)
    if line is not None:
        assert err.value.line == line


def test_alipay_truncated_mid_row_is_refused_even_with_an_end_marker(tmp_path):
    text = (DATA / "alipay_trade_bad_footer.csv").read_bytes().decode("gbk")
    cut, n = re.subn(r"(,-28\.00),-28\.00,.*", r"\1", text)  # the refund row cut short
    assert n == 1
    f = tmp_path / "cut.csv"
    f.write_bytes(cut.replace("4笔", "3笔").encode("gbk"))
    with pytest.raises(BillFormatError, match=r"line 9 has fewer fields than the header"):
        read_alipay_bill(f)


# ----------------------------------------------------------------------- WeChat Pay
@pytest.mark.parametrize("name", ["wechat_all_20261111.csv", "wechat_all_20261111.csv.gz"])
def test_wechat_all(name):
    st = read_wechat_bill(DATA / name)
    pd.testing.assert_frame_equal(canon(st), expected(WECHAT_ALL))
    assert st.attrs["bill"]["layout"] == "wechat_ALL"
    assert st.attrs["bill"]["footer"] == {
        "总交易单数": 4, "应结订单总金额": "357.90", "退款总金额": "10.00",
        "充值券退款总金额": "0.00",
        "手续费总金额": "2.09", "订单总金额": "357.90", "申请退款总金额": "10.00"}


def test_wechat_success_refund_and_legacy_layouts():
    succ = read_wechat_bill(DATA / "wechat_success_gbk.csv")  # GBK
    pays = expected(WECHAT_ALL)
    pays = pays[pays["kind"] == "payment"].reset_index(drop=True)
    pd.testing.assert_frame_equal(canon(succ), pays)
    ref = read_wechat_bill(DATA / "wechat_refund.csv")
    assert ref.attrs["bill"]["layout"] == "wechat_REFUND"
    pd.testing.assert_frame_equal(canon(ref), expected(WECHAT_ALL.iloc[[2]]))
    leg = read_wechat_bill(DATA / "wechat_legacy.csv")  # 总金额 / 企业红包金额, 08：30：15
    assert leg.attrs["bill"]["layout"] == "wechat_legacy"
    pd.testing.assert_frame_equal(canon(leg), expected(WECHAT_ALL.iloc[[0, 2]]))


def test_wechat_no_bill_exist_is_an_empty_batch():
    st = read_wechat_bill(DATA / "wechat_nobill.csv")
    assert len(st) == 0 and st.attrs["bill"]["layout"] == "wechat_no_bill"
    assert read_bill(DATA / "wechat_nobill.csv").attrs["bill"]["provider"] == "wechat"


@pytest.mark.parametrize(("name", "pattern"), [
    ("wechat_truncated.csv", r"not the summary title .*file ends at line 4.*truncated"),
    ("wechat_bad_summary.csv", r"line 7: the bill's own total 总交易单数 is 5笔 but its detail "
                               r"rows give 4笔"),
    ("alipay_trade_older.csv", r"not a WeChat Pay trade bill \(it looks like an Alipay bill"),
    ("alipay_trade_20261111.csv.zip", r"2 files inside"),
])
def test_wechat_bad_files_raise(name, pattern):
    with pytest.raises(BillFormatError, match=pattern):
        read_wechat_bill(DATA / name)


def test_wechat_fee_total_may_differ_only_by_per_row_rounding(tmp_path):
    text = (DATA / "wechat_all_20261111.csv").read_text(encoding="utf-8")
    ok = tmp_path / "ok.csv"
    ok.write_text(text.replace("`2.09000", "`2.11000"), encoding="utf-8")  # 2 fen, 4 rows
    assert len(read_wechat_bill(ok)) == 4
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("`2.09000", "`2.12000"), encoding="utf-8")  # 3 fen > 4 / 2
    with pytest.raises(BillFormatError, match=r"手续费总金额 is 2.12元 but .* give 2.09元"):
        read_wechat_bill(bad)
    amounts = tmp_path / "amounts.csv"
    amounts.write_text(text.replace("`357.90,`10.00,`0.00", "`357.91,`10.00,`0.00"),
                       encoding="utf-8")
    with pytest.raises(BillFormatError, match=r"应结订单总金额 is 357.91元 but .* 357.90元"):
        read_wechat_bill(amounts)


def test_read_bill_recognises_the_provider():
    assert read_bill(DATA / "wechat_all_20261111.csv").attrs["bill"]["provider"] == "wechat"
    assert read_bill(DATA / "alipay_trade_20261111.csv.zip").attrs["bill"]["provider"] == \
        "alipay"


def test_unreadable_path_is_a_bill_error(tmp_path):
    with pytest.raises(BillFormatError, match="cannot read the bill"):
        read_alipay_bill(tmp_path / "missing.csv.zip")


# ----------------------------------------------------------------------- bills -> reconcile
def the_mall():
    """Orders and refunds of the fixture day, a few seconds before each gateway row."""
    rows = [("W2611110001", 12800, "09:15:00", "alipay"), ("W2611110002", 5990, "10:20:00",
            "alipay"), ("W2611110004", 4500, "11:02:05", "alipay"),
            ("W2611110011", 8800, "08:30:12", "wechat"), ("W2611110012", 1990, "12:01:38",
            "wechat"), ("W2611110013", 25000, "21:44:58", "wechat")]
    o = pd.DataFrame({
        "order_id": [r[0] for r in rows], "customer_id": "C1", "channel": "web",
        "created_at": pd.Timestamp("2026-11-11 08:00"),
        "paid_at": pd.to_datetime([DAY + r[2] for r in rows]), "status": "paid",
        "goods_fen": [r[1] for r in rows], "discount_fen": 0, "shipping_fen": 0,
        "paid_fen": [r[1] for r in rows], "payment_method": [r[3] for r in rows]})
    r = pd.DataFrame({"refund_id": ["R2611110001", "R2611110004", "R2611110012"],
                      "order_id": ["W2611110001", "W2611110004", "W2611110012"],
                      "refunded_at": pd.to_datetime([DAY + "15:00:08", DAY + "16:30:02",
                                                     DAY + "14:05:05"]),
                      "amount_fen": [2800, 4500, 1000]})
    return o, r


def test_bills_reconcile_with_the_mall_and_the_pack_is_written(tmp_path):
    ali = read_alipay_bill(DATA / "alipay_trade_20261111.csv.zip")
    wx = read_wechat_bill(DATA / "wechat_all_20261111.csv")
    st = pd.concat([ali, wx], ignore_index=True)
    o, r = the_mall()
    rec = reconcile(o, r, st, start="2026-11-11", end="2026-11-11")
    assert rec.exceptions.empty  # the fixtures' fees are the 0.6 % contract fees
    assert len(rec.matched) == 9
    # The refund without a 退款请求号 pairs on order + amount with R2611110004.
    m = rec.matched.set_index("txn_id")
    assert m.loc[m["pass"] == "order_amount", "refund_id"].tolist() == ["R2611110004"]
    tot = rec.totals.set_index("provider")
    # Alipay: gross 128.00 + 59.90 + 45.00 = 232.90; refunds 73.00; fee 0.77 + 0.36 + 0.27
    # - 0.17 - 0.27 = 0.96; net 232.90 - 73.00 - 0.96 = 158.94 (= 实收净额 of the 汇总).
    assert tot.loc["alipay", ["gross_fen", "refunds_fen", "fee_fen", "net_fen"]].tolist() == [
        23290, 7300, 96, 15894]
    pack = finance_pack(rec, files=[ali, wx])
    assert pack["原始文件"]["SHA-256"].tolist() == [ali.attrs["bill"]["sha256"],
                                                  wx.attrs["bill"]["sha256"]]
    assert pack["汇总"].set_index(["渠道", "日期"]).loc[("alipay", "合计"), "净结算"] == "158.94"
    files = write_finance_pack(pack, tmp_path / "pack")
    assert [f.name for f in files][:2] == ["01_汇总.csv", "02_渠道漏单.csv"]
    back = pd.read_csv(tmp_path / "pack" / "01_汇总.csv", dtype=str, encoding="utf-8-sig",
                       keep_default_na=False)
    pd.testing.assert_frame_equal(back, pack["汇总"])  # text in, text out: nothing reformatted
    html = write_finance_pack(pack, tmp_path / "pack.html", format="html")[0].read_text()
    assert "<h2>跨期挂账</h2>" in html and TXN1 not in html  # no exception names a txn
    with pytest.raises(BillFormatError, match="format must be 'csv' or 'html'"):
        write_finance_pack(pack, tmp_path / "x.xlsx", format="xlsx")


def test_pack_lists_exceptions_with_ids_as_text(tmp_path):
    ali = read_alipay_bill(DATA / "alipay_trade_20261111.csv.zip")
    o, r = the_mall()
    # Alipay's day only; and the mall lost an order the gateway was paid for.
    o = o[(o["payment_method"] == "alipay") & (o["order_id"] != "W2611110002")]
    r = r[r["order_id"].isin(o["order_id"])]
    rec = reconcile(o, r, ali, start="2026-11-11", end="2026-11-11")
    assert rec.exceptions["class"].tolist() == ["missing_in_ledger"]
    sheet = finance_pack(rec)["平台漏单"]
    assert sheet[["渠道交易号", "渠道金额", "处理状态"]].values.tolist() == [
        [TXN2, "59.90", "未处理"]]
    write_finance_pack(finance_pack(rec), tmp_path)
    back = pd.read_csv(tmp_path / "03_平台漏单.csv", dtype=str, encoding="utf-8-sig")
    assert back.loc[0, "渠道交易号"] == TXN2  # all 28 digits


def test_manifest_needs_reader_frames():
    with pytest.raises(BillFormatError, match="without attrs"):
        manifest(pd.DataFrame())
    m = manifest(read_wechat_bill(DATA / "wechat_nobill.csv"))
    assert m[["file", "rows", "layout"]].values.tolist() == [["wechat_nobill.csv", 0,
                                                            "wechat_no_bill"]]
