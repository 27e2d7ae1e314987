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
from decimal import Decimal
from pathlib import Path

import openpyxl
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
from mallkit.datasets import make_sample_mall
from mallkit.errors import BillFormatError, MoneyError
from mallkit.finance_pack import COUNT_COLUMNS, MONEY_COLUMNS
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



# ----------------------------------------------------------------------- real public bills
def test_real_alipay_trade_footer_counts_trade_and_refund_rows_apart():
    """A Java test's Alipay 业务明细 of 2019-09-16 (AlipayGeneralPaymentHandlerTest.alipayBill,
    quoted in the reference notes §1.1): 6 交易 rows of 0.01 and 4 退款 rows of -0.01.

    Its ``#交易合计：6笔，商家实收共0.06元`` counts and sums the 交易 rows only, gross of the
    refunds; ``#退款合计：4笔，商家实收退款共-0.04元`` the 退款 rows, negative. A tab
    follows a money cell (商家红包消费金额 ``0.00\t``) as well as the IDs.
    """
    st = read_alipay_bill(DATA / "real_alipay_trade_20190916.csv")
    assert st.attrs["bill"]["footer"] == {"交易笔数": 6, "交易商家实收": "0.06", "退款笔数": 4,
                                          "退款商家实收": "-0.04"}
    assert st["kind"].value_counts().to_dict() == {"payment": 6, "refund": 4}
    assert st["amount_fen"].tolist() == [1, -1, 1, -1, 1, -1, 1, -1, 1, 1]
    assert (st["fee_fen"] == 0).all()  # every 服务费 of the sample is 0.00
    r = st[st["kind"] == "refund"]
    assert r["refund_id"].tolist() == ["re_test_1568602607356", "re_test_1568604414433",
                                       "re_test_1568614511552", "re_20190916150216125q8Lmiodp"]
    assert (r["txn_id"].to_numpy() == st[st["kind"] == "payment"]["txn_id"].to_numpy()[:4]).all()


def test_real_alipay_trade_fee_is_negative_on_a_payment():
    """The 交易 row shown by www.gxitsky.com/2020/07/27/Business-07-ali-pay-bill/ (2020-07-22):
    订单金额 1.00, 商家实收 1.00 although 支付宝红包 paid 0.96 (Alipay's money, not the
    merchant's discount), 服务费 ``-0.01``: a charged fee is negative in the bill, so
    fee_fen = -服务费 = 1. The page ends at the list-end marker; the footer was rebuilt.
    """
    st = read_alipay_bill(DATA / "real_alipay_trade_20200722.csv")
    assert canon(st)[["kind", "amount_fen", "fee_fen", "settled_fen"]].values.tolist() == [
        ["payment", 100, 1, 100]]


def test_real_alipay_account_log_fee_rows_that_belong_to_no_trade_on_the_bill():
    """Alipay account-log records of 2015-10-12 (Picky-cc/HopMall earth/src/test/resources/
    test/test4AppArriveRecordService-in-earth.sql) laid out as 账务明细 columns.

    The 收费 row of 19.38 carries the 业务流水号 and 商户订单号 of its payment (memo
    服务费[<trade_no>]), but that payment is not among the records; the 收费 row of 25.00
    (企业版转账到银行账户) has no 业务流水号. Neither is folded into the 在线支付 of 1650.00:
    both are reported under ``other`` (25.00 + 19.38 = 44.38 yuan = 4438 fen). The records
    are a selection, so the balance walk does not hold.
    """
    st = read_alipay_bill(DATA / "real_alipay_fund_20151012.csv")
    assert canon(st)[["txn_id", "kind", "amount_fen", "fee_fen"]].values.tolist() == [
        ["2015101200001000940062595431", "payment", 165000, 0]]
    b = st.attrs["bill"]
    assert b["other"] == [{"业务类型": "收费", "rows": 2, "income_fen": 0, "expense_fen": 4438}]
    assert b["balance_walk_ok"] is False


def test_real_wechat_legacy_all_bill_counts_refund_rows_and_sums_gross():
    """A legacy ALL bill of 2018-05-07 returned by the WeChat Pay API, kept in a comment of
    wuhai12138/MNAS src/main/java/com/summ/mnas/utils/WeixinUtil.java.

    10 rows, one REFUND (退款金额 0.02, 总金额 0.00): 总交易单数 10 counts the refund row;
    总交易额 2400.09 = 0.02 + 0.03 + 1000.00 + 400.00 + 4 x 0.01 + 1000.00 + 0.00 is the
    payments' gross; 手续费总金额 14.40 = 6.00 + 2.40 + 6.00 (the 0.01-0.03 rows round to 0).
    """
    st = read_wechat_bill(DATA / "real_wechat_legacy_20180507.csv")
    b = st.attrs["bill"]
    assert b["layout"] == "wechat_legacy"
    assert b["footer"] == {"总交易单数": 10, "总交易额": "2400.09", "总退款金额": "0.02",
                           "总企业红包退款金额": "0.00", "手续费总金额": "14.40"}
    pays, refs = st[st["kind"] == "payment"], st[st["kind"] == "refund"]
    assert len(pays) == 9 and int(pays["amount_fen"].sum()) == 240009
    assert refs[["merchant_order_id", "refund_id", "amount_fen", "settled_fen", "fee_fen"]
                ].values.tolist() == [["152566112349603496538",
                                       "484316432018050745594984851525661661", -2, -2, 0]]
    assert int(st["fee_fen"].sum()) == 1440


def test_real_wechat_sandbox_bill_with_ids_in_scientific_notation_is_refused(tmp_path):
    """The WeChat sandbox's ALL bill of acceptance case 1005 (TheNorthMemory, "免充值产品测试验收
    用例的wechatpay-axios-plugin教学帖", 2021-04-21) writes 微信订单号 as ``4.00123E+27``:
    the digits are gone, so the bill is refused naming the line, not matched on a wrong ID.
    """
    with pytest.raises(BillFormatError, match=r"real_wechat_sandbox_20160504.csv: line 2: "
                       r"微信订单号 '4.00123E\+27' is in scientific notation.*WeChat Pay "
                       r"sandbox"):
        read_wechat_bill(DATA / "real_wechat_sandbox_20160504.csv")
    text = (DATA / "real_wechat_sandbox_20160504.csv").read_text(encoding="utf-8")
    # With the IDs written out (made-up digits), the sandbox's other quirks read: two spaces
    # in the time, no backtick before the first summary value (2 rows, 退款 0.01 + 0.01).
    ok = text.replace("`4.00123E+27", "`4001232001201605015390231647").replace(
        "`2.00123E+27", "`50000001232016050400001")
    f = tmp_path / "sandbox.csv"
    f.write_text(ok, encoding="utf-8")
    st = read_wechat_bill(f)
    assert st["occurred_at"].astype(str).tolist() == ["2016-05-04 02:18:18"] * 2
    assert st["amount_fen"].tolist() == [-1, -1]
    assert st.attrs["bill"]["footer"]["退款总金额"] == "0.02"


def test_wechat_revoked_row_is_counted_and_read_as_a_revoked_payment(tmp_path):
    """No public bill with a REVOKED row was found (see the module docstring). What the reader
    does with one, on the fixture day's ALL bill with W2611110013's SUCCESS row turned
    REVOKED: the row is still counted in 总交易单数 (4) and summed in 应结订单总金额
    (357.90), and comes out as a ``payment`` with gateway_status REVOKED, which reconcile
    reports as a status mismatch.
    """
    text = (DATA / "wechat_all_20261111.csv").read_text(encoding="utf-8")
    f = tmp_path / "revoked.csv"
    f.write_text(text.replace("`JSAPI,`SUCCESS,`CMB_CREDIT,`CNY,`250.00",
                              "`JSAPI,`REVOKED,`CMB_CREDIT,`CNY,`250.00"), encoding="utf-8")
    st = read_wechat_bill(f)
    assert st.attrs["bill"]["footer"]["总交易单数"] == 4
    row = st[st["gateway_status"] == "REVOKED"]
    assert row[["merchant_order_id", "kind", "amount_fen"]].values.tolist() == [
        ["W2611110013", "payment", 25000]]
    o, r = the_mall()
    o = o[o["payment_method"] == "wechat"]
    rec = reconcile(o, r[r["order_id"] == "W2611110012"], st, start="2026-11-11",
                    end="2026-11-11")
    assert rec.exceptions[["class", "merchant_order_id"]].values.tolist() == [
        ["status_mismatch", "W2611110013"]]


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
    files = write_finance_pack(pack, tmp_path / "pack", format="csv")
    assert [f.name for f in files][:2] == ["01_汇总.csv", "02_渠道漏单.csv"]
    back = pd.read_csv(tmp_path / "pack" / "01_汇总.csv", dtype=str, encoding="utf-8-sig",
                       keep_default_na=False)
    pd.testing.assert_frame_equal(back, pack["汇总"])  # text in, text out: nothing reformatted
    html = write_finance_pack(pack, tmp_path / "pack.html", format="html")[0].read_text()
    assert "<h2>跨期挂账</h2>" in html and TXN1 not in html  # no exception names a txn
    with pytest.raises(BillFormatError, match="format must be 'xlsx', 'csv' or 'html'"):
        write_finance_pack(pack, tmp_path / "x.pdf", format="pdf")


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
    assert sheet.loc[0, "异常编号"] == rec.exceptions.loc[0, "exception_id"]
    assert list(sheet.columns[-4:]) == ["处理依据", "处理状态", "处理人", "处理时间"]
    write_finance_pack(finance_pack(rec), tmp_path, format="csv")
    back = pd.read_csv(tmp_path / "03_平台漏单.csv", dtype=str, encoding="utf-8-sig")
    assert back.loc[0, "渠道交易号"] == TXN2  # all 28 digits


def test_cli_reconciles_a_day_of_real_format_bills_and_carries_the_pool(tmp_path, capsys):
    """``mallkit reconcile`` as finance schedules it: the mall folder and the day's bill
    files in, the pack and the pool out; the next day's run takes that pool in."""
    from mallkit import cli
    from mallkit.io import write_mall

    o, r = the_mall()
    mall = tmp_path / "mall"
    write_mall({"orders": o.iloc[:-1], "refunds": r}, mall, format="csv")  # W2611110013
    out = tmp_path / "对账"                                   # reaches the mall only later
    bills = [str(DATA / "alipay_trade_20261111.csv.zip"), str(DATA / "wechat_all_20261111.csv")]
    argv = ["reconcile", "--day", "2026-11-11", "--data", str(mall), "--out", str(out)]
    assert cli.main([*argv, "--bills", *bills]) == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    # By hand from the fixtures: WeChat took 88.00 + 19.90 + 250.00 - 10.00 refunded; the
    # mall knows of 88.00 + 19.90 - 10.00 (its 250.00 order is not in the export yet).
    assert "wechat: mall ¥97.90, gateway ¥347.90" in said and "(平)" in said
    assert "missing_in_ledger 1" in said and "pool out: 0" in said
    pack = pd.read_excel(out / "对账_2026-11-11.xlsx", sheet_name=None, dtype=str)
    assert pack["平台漏单"]["商户订单号"].tolist() == ["W2611110013"]
    files = pack["原始文件"]
    assert files["文件"].tolist() == ["alipay_trade_20261111.csv.zip", "wechat_all_20261111.csv"]
    assert (files["SHA-256"].str.len() == 64).all()
    assert pd.read_parquet(out / "pool_2026-11-11.parquet").empty
    # The next day (no bills yet: "No Bill Exist") takes the earlier pool in.
    assert cli.main([*argv[:2], "2026-11-12", *argv[3:], "--bills"]) == 0
    assert "pool in from pool_2026-11-11.parquet" in capsys.readouterr().out
    # A skipped day is said, not silently left unreconciled.
    assert cli.main([*argv[:2], "2026-11-14", *argv[3:], "--bills"]) == 0
    assert ("warning: the last run in " in (said := capsys.readouterr().out)
            and "ended 2026-11-12, not 2026-11-13" in said)
    # The contract options reach reconcile: a WeChat contract that keeps the fee on
    # refunds makes the fixture's returned fee (-0.06 on the 10.00 refund) a difference.
    assert cli.main([*argv, "--out", str(tmp_path / "kept"), "--bills", *bills,
                     "--refund-fee", "wechat", "kept"]) == 0
    assert "fee_mismatch 1" in capsys.readouterr().out
    # Only the Alipay bill passed: WeChat's two payments and refund look missing, and the
    # run says why before finance chases them one by one.
    assert cli.main([*argv, "--out", str(tmp_path / "one"), "--bills", bills[0]]) == 0
    said = capsys.readouterr().out
    assert "warning: no wechat bill rows for 2026-11-11 while the mall expects 3 item(s)" in said
    pack = pd.read_excel(tmp_path / "one" / "对账_2026-11-11.xlsx", sheet_name="汇总", dtype=str)
    assert pack.set_index("渠道").loc["wechat", "账单缺失"].tolist() == ["是", "是"]  # day, 合计
    # Without --bills the folder must hold the statements: said, not a traceback.
    assert cli.main(argv) == 2
    assert "no statements.parquet or statements.csv" in capsys.readouterr().err


def test_manifest_needs_reader_frames():
    with pytest.raises(BillFormatError, match="without attrs"):
        manifest(pd.DataFrame())
    m = manifest(read_wechat_bill(DATA / "wechat_nobill.csv"))
    assert m[["file", "rows", "layout"]].values.tolist() == [["wechat_nobill.csv", 0,
                                                            "wechat_no_bill"]]


# ----------------------------------------------------------------------- the .xlsx pack
def exact_fen(yuan_text: pd.Series) -> list[int]:
    """Yuan text of the pack read independently of mallkit: Decimal, times 100."""
    return [int(Decimal(v) * 100) for v in yuan_text]


@pytest.fixture(scope="module")
def xlsx_pack(tmp_path_factory):
    # The sample mall's month: 17 exceptions in six classes (see mallkit.reconcile's
    # example), a pool, two bills in 原始文件.
    m = make_sample_mall(seed=1, start="2025-11-01", end="2025-11-30", n_customers=800)
    rec = reconcile(m["orders"], m["refunds"], m["statements"],
                    start="2025-11-01", end="2025-11-30")
    files = [read_alipay_bill(DATA / "alipay_trade_20261111.csv.zip"),
             read_wechat_bill(DATA / "wechat_all_20261111.csv")]
    pack = finance_pack(rec, files=files)
    path = tmp_path_factory.mktemp("xlsx") / "对账报告.xlsx"
    assert write_finance_pack(pack, path) == [path]  # xlsx is the default format
    return pack, path


def test_xlsx_pack_has_every_sheet_and_row_with_exact_fen(xlsx_pack):
    pack, path = xlsx_pack
    back = pd.read_excel(path, sheet_name=None, dtype=object)  # openpyxl engine
    assert list(back) == list(pack)  # Chinese sheet names, pack order
    for name, sheet in pack.items():
        got = back[name]
        assert len(got) == len(sheet), name
        money = [c for c in sheet.columns if c in MONEY_COLUMNS]
        # every column of the pack, then one exact fen twin per money column
        assert got.columns.tolist() == [*sheet.columns, *(f"{c}(分)" for c in money)]
        for c in money:
            fen = exact_fen(sheet[c])
            assert got[f"{c}(分)"].tolist() == fen, (name, c)  # integers, exact
            yuan = got[c].astype(float)
            assert (yuan * 100).round().astype(int).tolist() == fen, (name, c)
            assert abs(yuan.sum() - sum(fen) / 100) < 0.005, (name, c)
        for c in sheet.columns:
            if c in COUNT_COLUMNS:
                assert got[c].tolist() == [int(v) for v in sheet[c]], (name, c)
            elif c not in money:  # text stays text, every digit: IDs, dates, notes
                assert got[c].fillna("").tolist() == sheet[c].tolist(), (name, c)
    assert len(back["金额不符"]) == 3 and len(back["原始文件"]) == 2


def test_xlsx_pack_daily_yuan_sum_to_the_batch_totals(xlsx_pack):
    _, path = xlsx_pack
    s = pd.read_excel(path, sheet_name="汇总", dtype={"日期": str})
    total = s["日期"] == "合计"
    for provider, days in s[~total].groupby("渠道"):
        tot = s[total & (s["渠道"] == provider)].iloc[0]
        for c in ("平台金额", "渠道金额", "已匹配金额", "交易额", "退款", "手续费", "净结算"):
            assert abs(days[c].sum() - tot[c]) < 0.005, (provider, c)
            assert days[f"{c}(分)"].sum() == tot[f"{c}(分)"], (provider, c)  # to the fen


def test_xlsx_pack_cells_formats_and_layout(xlsx_pack):
    pack, path = xlsx_pack
    wb = openpyxl.load_workbook(path)
    ws = wb["金额不符"]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, ws[2], strict=True))
    assert row["渠道金额"].data_type == "n" and row["渠道金额"].number_format == "#,##0.00"
    assert row["渠道金额(分)"].data_type == "n" and isinstance(row["渠道金额(分)"].value, int)
    assert row["渠道交易号"].data_type == "s"
    assert row["渠道交易号"].value == pack["金额不符"].loc[0, "渠道交易号"]  # 28 digits, text
    for name in pack:
        ws = wb[name]
        n_cols = len(pack[name].columns) + sum(c in MONEY_COLUMNS for c in pack[name].columns)
        assert ws.freeze_panes == "A2", name
        last = openpyxl.utils.get_column_letter(n_cols)
        assert ws.auto_filter.ref == f"A1:{last}{len(pack[name]) + 1}", name
    # widths follow the contents: the 28-digit trade number is wider than 类型 (支付/退款)
    dims = wb["金额不符"].column_dimensions
    col = {h: openpyxl.utils.get_column_letter(i) for i, h in enumerate(header, start=1)}
    assert dims[col["渠道交易号"]].width > 28 > dims[col["类型"]].width


def test_xlsx_pack_writes_text_never_formulas_and_refuses_what_excel_cannot_hold(tmp_path):
    sheet = pd.DataFrame({"商户订单号": ["=HYPERLINK(\"http://x\")", "http://example.com",
                                        "00123"], "金额": ["1.10", "-0.05", "1234567.89"]})
    f = write_finance_pack({"挂账": sheet}, tmp_path / "p.xlsx")[0]
    cells = [c.value for c in openpyxl.load_workbook(f)["挂账"]["A"]][1:]
    assert cells == sheet["商户订单号"].tolist()  # text as given: no formula, link or number
    assert [c.value for c in openpyxl.load_workbook(f)["挂账"]["C"]][1:] == [110, -5, 123456789]
    with pytest.raises(BillFormatError, match=r"sheet name 'a/b' is not allowed"):
        write_finance_pack({"a/b": sheet}, tmp_path / "p.xlsx")
    with pytest.raises(BillFormatError, match=r"sheet name 'x{32}' is not allowed"):
        write_finance_pack({"x" * 32: sheet}, tmp_path / "p.xlsx")
    with pytest.raises(BillFormatError, match=r"'Sheet' and 'SHEET' are the same to Excel"):
        write_finance_pack({"Sheet": sheet, "SHEET": sheet}, tmp_path / "p.xlsx")
    with pytest.raises(BillFormatError, match=r"ending in .xlsx.*format='csv'"):
        write_finance_pack({"s": sheet}, tmp_path)  # a folder: the CSV pack's path
    big = pd.DataFrame({"说明": pd.Series(["x"], dtype="str").repeat(1_048_576)})
    with pytest.raises(BillFormatError, match=r"sheet 'big' has 1,048,576 rows.*format='csv'"):
        write_finance_pack({"big": big}, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()
    with pytest.raises(MoneyError, match=r"sheet 'bad' column '金额'"):
        write_finance_pack({"bad": sheet.assign(金额="12.345")}, tmp_path / "bad.xlsx")


def test_reconciliation_to_excel_writes_the_same_pack(xlsx_pack, tmp_path):
    # The issue's `to_excel(path)` on the result: the same workbook as the two-step call.
    pack, path = xlsx_pack
    m = make_sample_mall(seed=1, start="2025-11-01", end="2025-11-30", n_customers=800)
    rec = reconcile(m["orders"], m["refunds"], m["statements"], start="2025-11-01",
                    end="2025-11-30")
    files = [read_alipay_bill(DATA / "alipay_trade_20261111.csv.zip"),
             read_wechat_bill(DATA / "wechat_all_20261111.csv")]
    out = tmp_path / "pack.xlsx"
    assert rec.to_excel(out, files=files) == [out]
    got = pd.read_excel(out, sheet_name=None, dtype=str)
    want = pd.read_excel(path, sheet_name=None, dtype=str)
    assert list(got) == list(want) == list(pack)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name])
