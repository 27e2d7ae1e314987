"""Write the gateway-bill fixtures of tests/test_bills.py as bytes, in the real formats.

Run from the repository root: ``.venv/bin/python tests/data/bills/make_fixtures.py``.
The output is deterministic (fixed zip timestamps), and a test checks that the committed
files are what this script writes.

The formats follow the reference notes (/work/shared/reference/reconcile.md) and the
public samples quoted there: Alipay 业务明细 / 账务明细 CSVs in GBK with ``#`` preamble and
footer lines, full-width ``（元）`` headers and a tab after each ID, zipped together with
a 汇总 member; WeChat Pay 交易账单 with a backtick before every value and the summary
title and values as the last two lines. Every figure below was worked out by hand; the
comments give the arithmetic. The ``real_*`` files are bills copied from public sources
(see "real samples" below; each comment names its source and what was rebuilt).

One small day, 2026-11-11, of the own-site mall:

Alipay  W2611110001 128.00 (fee 0.6 % = 0.768 -> 0.77), refund R2611110001 28.00 (fee
        returned 0.168 -> 0.17); W2611110002 59.90 (0.3594 -> 0.36), product name with
        '#' and a comma; W2611110004 45.00 with a 5.00 merchant coupon (商家实收 40.00,
        fee 0.27), fully refunded without a 退款请求号.
WeChat  W2611110011 88.00 (0.528 -> 0.53); W2611110012 19.90 (0.1194 -> 0.12), refund
        R2611110012 10.00 (fee returned 0.06); W2611110013 250.00 (1.50).
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
T = "\t"

# ------------------------------------------------------------------------ Alipay trade
ALI_HEAD = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
            "终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,"
            "支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,"
            "卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")
ALI_PREAMBLE = [
    "#支付宝业务明细查询",
    "#账号：[20880211096256330156]",
    "#起始日期：[2026年11月11日 00:00:00]   终止日期：[2026年11月12日 00:00:00]",
    "#-----------------------------------------业务明细列表----------------------------------------",
]
ALI_END = ("#-----------------------------------------业务明细列表结束"
           "------------------------------------")
# 交易: 128.00 + 59.90 + 40.00 (商家实收) = 227.90; 退款: -28.00 - 40.00 = -68.00
ALI_FOOT = [
    "#交易合计：3笔，商家实收共227.90元，商家优惠共5.00元",
    "#退款合计：2笔，商家实收退款共-68.00元，商家优惠退款共-5.00元",
    "#导出时间：[2026年11月12日 05:46:49]",
]
TXN1, TXN2, TXN4 = ("2026111122001458860515315453", "2026111122001458860515316001",
                    "2026111122001458860515317777")


def ali_row(txn, order, kind, name, created, done, amount, received, coupon, batch, fee):
    return ",".join([txn + T, order + T, kind + T, name, created, done, T, T, T, T,
                     "*明(138****0000)" + T, amount, received, "0.00", "0.00", "0.00", coupon,
                     "0.00", "", "0.00", "0.00", batch + T, fee, "0.00", ""])


ALI_ROWS = [
    ali_row(TXN1, "W2611110001", "交易", "羊毛围巾", "2026-11-11 09:14:50",
            "2026-11-11 09:15:03", "128.00", "128.00", "0.00", "", "-0.77"),
    ali_row(TXN2, "W2611110002", "交易", '"手机壳 #2款,黑色"', "2026-11-11 10:19:40",
            "2026-11-11 10:20:01", "59.90", "59.90", "0.00", "", "-0.36"),
    ali_row(TXN4, "W2611110004", "交易", "保温杯", "2026-11-11 11:02:00",
            "2026-11-11 11:02:09", "45.00", "40.00", "5.00", "", "-0.27"),
    ali_row(TXN1, "W2611110001", "退款", "羊毛围巾", "2026-11-11 15:00:02",
            "2026-11-11 15:00:11", "-28.00", "-28.00", "0.00", "R2611110001", "0.17"),
    ali_row(TXN4, "W2611110004", "退款", "保温杯", "2026-11-11 16:30:00",
            "2026-11-11 16:30:05", "-45.00", "-40.00", "-5.00", "", "0.27"),
]
# 汇总: 订单金额 net 128 + 59.90 + 45 - 28 - 45 = 159.90; 商家实收 227.90 - 68 = 159.90;
# 服务费 -0.77 - 0.36 - 0.27 + 0.17 + 0.27 = -0.96; 实收净额 159.90 - 0.96 = 158.94
ALI_SUMMARY = "\r\n".join([
    "#支付宝业务汇总查询",
    "#账号：[20880211096256330156]",
    "#起始日期：[2026年11月11日 00:00:00]   终止日期：[2026年11月12日 00:00:00]",
    "#-----------------------------------------业务汇总列表----------------------------------------",
    "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,"
    "商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）",
    "合计,,3,2,159.90,159.90,0.00,0.00,0.00,-0.96,0.00,158.94",
    "#-----------------------------------------业务汇总列表结束------------------------------------",
    "#导出时间：[2026年11月12日 05:46:49]",
]) + "\r\n"
ALI_DETAIL_NAME = "20880211096256330156_20261111_业务明细.csv"
ALI_SUMMARY_NAME = "20880211096256330156_20261111_业务明细(汇总).csv"


def ali_detail(rows=ALI_ROWS, head=ALI_HEAD, foot=ALI_FOOT, end=ALI_END) -> str:
    return "\r\n".join([*ALI_PREAMBLE, head, *rows, end, *foot]) + "\r\n"


def zipped(members) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 12, 5, 46, 48)), data)
    return buf.getvalue()


def gbk(text: str) -> bytes:
    return text.encode("gbk")


# ------------------------------------------------------------------------ Alipay fund
FUND_HEAD = ("账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,"
             "支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注")


def fund_row(acct, biz, order, name, when, inc, out, bal, kind, memo=""):
    return ",".join([acct + T, biz + T, order + T, name + T, when, "*明(138****0000)" + T,
                     inc, out, bal, "支付宝", kind, memo])


# Newest first, as Alipay lists them; balance walk from 1000.00 at the start of the day:
# +128.00 = 1128.00, -0.77 = 1127.23, +59.90 = 1187.13, -0.36 = 1186.77,
# -28.00 = 1158.77, +0.17 = 1158.94, -100.00 (提现) = 1058.94
FUND_ROWS = [
    fund_row("70000000000007", "20261111000000000009", "", "提现", "2026-11-11 18:00:00",
             "0.00", "100.00", "1058.94", "提现"),
    fund_row("70000000000006", "2026111122001458860515315453R", "W2611110001", "羊毛围巾",
             "2026-11-11 15:00:11", "0.17", "0.00", "1158.94", "收费", "服务费退回"),
    fund_row("70000000000005", "2026111122001458860515315453R", "W2611110001", "羊毛围巾",
             "2026-11-11 15:00:11", "0.00", "28.00", "1158.77", "交易退款"),
    fund_row("70000000000004", TXN2, "W2611110002", "手机壳 #2款", "2026-11-11 10:20:01",
             "0.00", "0.36", "1186.77", "收费", f"服务费[{TXN2}]"),
    fund_row("70000000000003", TXN2, "W2611110002", "手机壳 #2款", "2026-11-11 10:20:01",
             "59.90", "0.00", "1187.13", "在线支付"),
    fund_row("70000000000002", TXN1, "W2611110001", "羊毛围巾", "2026-11-11 09:15:03",
             "0.00", "0.77", "1127.23", "收费", f"服务费[{TXN1}]"),
    fund_row("70000000000001", TXN1, "W2611110001", "羊毛围巾", "2026-11-11 09:15:03",
             "128.00", "0.00", "1128.00", "在线支付"),
]
# 收入: 128.00 + 59.90 + 0.17 = 188.07 (3); 支出: 0.77 + 0.36 + 28.00 + 100.00 = 129.13 (4)
FUND_DETAIL = "\r\n".join([
    "#支付宝账务明细查询",
    "#账号：[20880211096256330156]",
    "#起始日期：[2026年11月11日 00:00:00]   终止日期：[2026年11月12日 00:00:00]",
    "#-----------------------------------------账务明细列表----------------------------------------",
    FUND_HEAD, *FUND_ROWS,
    "#-----------------------------------------账务明细列表结束------------------------------------",
    "#支出合计：4笔，共129.13元",
    "#收入合计：3笔，共188.07元",
    "#导出时间：[2026年11月12日 05:46:49]",
]) + "\r\n"
FUND_SUMMARY = "\r\n".join([
    "#支付宝账务汇总查询",
    "类型,收入笔数,收入金额（+元）,支出笔数,支出金额（-元）,总金额（元）",
    "合计,3,188.07,4,129.13,58.94",
]) + "\r\n"

# ------------------------------------------------------------------------ WeChat
WX_ALL = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
          "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
          "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,"
          "申请退款金额,费率备注")
WX_SUCCESS = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
              "交易类型,"
              "交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,"
              "订单金额,费率备注")
WX_REFUND = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
             "交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,"
             "微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,"
             "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
WX_LEGACY = ("交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
             "交易状态,付款银行,货币种类,总金额,企业红包金额,微信退款单号,商户退款单号,退款金额,"
             "企业红包退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率")
WX_SUM = ("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,"
          "申请退款总金额")
WX_LEGACY_SUM = "总交易单数,总交易额,总退款金额,总企业红包退款金额,手续费总金额"
WXT = {"W2611110011": "4200002361202611111150650780", "W2611110012": "4200002361202611111150650791",
       "W2611110013": "4200002361202611111150650802"}


def bt(values) -> str:
    return ",".join("`" + v for v in values)


def wx_pay(when, order, amount, fee, layout="ALL"):
    head = [when, "wx8888888888888888", "1900000109", "0", "", WXT[order], order,
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "JSAPI", "SUCCESS", "CMB_CREDIT", "CNY"]
    if layout == "SUCCESS":
        return bt([*head, amount, "0.00", "商品", "", fee, "0.60%", amount, ""])
    if layout == "LEGACY":
        return bt([*head, amount, "0.00", "0", "0", "0.00", "0.00", "", "", "商品", "", fee,
                   "0.60%"])
    return bt([*head, amount, "0.00", "0", "0", "0.00", "0.00", "", "", "商品", "", fee, "0.60%",
               amount, "0.00", ""])


def wx_ref(when, order, refund_id, amount, fee, layout="ALL"):
    head = [when, "wx8888888888888888", "1900000109", "0", "", WXT[order], order,
            "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "JSAPI", "REFUND", "CMB_CREDIT", "CNY"]
    wxr = "50302709992026111191956632208"
    if layout == "REFUND":
        return bt([*head, "0.00", "0.00", when, "2026-11-11 14:05:13", wxr, refund_id, amount,
                   "0.00", "ORIGINAL", "SUCCESS", "商品", "", fee, "0.60%", "0.00", amount, ""])
    if layout == "LEGACY":
        return bt([*head, "0.00", "0.00", wxr, refund_id, amount, "0.00", "ORIGINAL", "SUCCESS",
                   "商品", "", fee, "0.60%"])
    return bt([*head, "0.00", "0.00", wxr, refund_id, amount, "0.00", "ORIGINAL", "SUCCESS",
               "商品", "", fee, "0.60%", "0.00", amount, ""])


WX_ROWS = [
    wx_pay("2026-11-11 08:30:15", "W2611110011", "88.00", "0.53000"),
    wx_pay("2026-11-11 12:01:40", "W2611110012", "19.90", "0.12000"),
    wx_ref("2026-11-11 14:05:09", "W2611110012", "R2611110012", "10.00", "-0.06000"),
    wx_pay("2026-11-11 21:45:00", "W2611110013", "250.00", "1.50000"),
]
# 4 rows; 应结订单 88.00 + 19.90 + 250.00 = 357.90; 退款 10.00;
# 手续费 0.53 + 0.12 - 0.06 + 1.50 = 2.09; 订单 357.90; 申请退款 10.00
WX_ALL_TEXT = "\r\n".join([WX_ALL, *WX_ROWS, WX_SUM,
                           bt(["4", "357.90", "10.00", "0.00", "2.09000", "357.90", "10.00"])]) \
    + "\r\n"


# ------------------------------------------------------------------------ real samples
# Bills copied from public sources, byte for byte where the source shows the bytes; the
# tests state what each one proves. Amounts are the source's own.

# Alipay 业务明细 of 2019-09-16 as a public Java test holds it (method alipayBill() of
# com.payment.alipay.junit.AlipayGeneralPaymentHandlerTest, qdingnet; the reference notes
# §1.1 quote it): 6 交易 and 4 退款 rows, 0.01 yuan each, every 服务费 0.00. Note the tab
# after a *money* cell (商家红包消费金额 "0.00\t"), not only after IDs.
QDING_HEAD = ALI_HEAD  # the same 25 columns
_QS = "alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t"
_QM = "0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00"


def _qding(txn, order, kind, name, created, done, amount, batch, store=_QS, memo="下单测试"):
    return (f"{txn}\t,{order}\t,{kind}\t,{name},{created},{done},{store},{amount},{amount},"
            f"{_QM},{batch}\t,0.00,0.00,{memo}")


QDING_ROWS = [
    _qding("2019091622001458860515315453", "service_1568601259302", "交易", "下单测试",
           "2019-09-16 10:55:16", "2019-09-16 10:55:23", "0.01", ""),
    _qding("2019091622001458860515315453", "service_1568601259302", "退款", "下单测试",
           "2019-09-16 10:55:16", "2019-09-16 10:56:48", "-0.01", "re_test_1568602607356"),
    _qding("2019091622001458860513822558", "service_1568603173853", "交易", "下单测试",
           "2019-09-16 11:07:03", "2019-09-16 11:07:09", "0.01", ""),
    _qding("2019091622001458860513822558", "service_1568603173853", "退款", "下单测试",
           "2019-09-16 11:07:03", "2019-09-16 11:26:55", "-0.01", "re_test_1568604414433"),
    _qding("2019091622001458860516395930", "service_1568613406000", "交易", "下单测试",
           "2019-09-16 13:57:42", "2019-09-16 13:57:52", "0.01", ""),
    _qding("2019091622001458860516395930", "service_1568613406000", "退款", "下单测试",
           "2019-09-16 13:57:42", "2019-09-16 14:15:12", "-0.01", "re_test_1568614511552"),
    _qding("2019091622001458860516993488", "qd_201909161455139634Sjad2vy", "交易",
           "RPC_GENERAL接口测试", "2019-09-16 14:56:35", "2019-09-16 14:57:19", "0.01", "",
           memo="RPC_GENERAL接口测试"),
    _qding("2019091622001458860516993488", "qd_201909161455139634Sjad2vy", "退款",
           "RPC_GENERAL接口测试", "2019-09-16 14:56:35", "2019-09-16 15:00:38", "-0.01",
           "re_20190916150216125q8Lmiodp", memo="RPC_GENERAL接口测试"),
    _qding("2019091622001465870515233238", "20190916165659224L3VUQRL9", "交易",
           "千丁订单INSURANCE88100011909161658423172", "2019-09-16 16:58:56",
           "2019-09-16 16:58:58", "0.01", "", store="\t,\t,\t,\t,*庚辰(182****01)\t", memo=""),
    _qding("2019091622001458860517860493", "qd_201909161844073417CB0wPzR", "交易",
           "RPC_GENERAL接口测试", "2019-09-16 18:43:06", "2019-09-16 18:43:34", "0.01", "",
           memo="RPC_GENERAL接口测试"),
]
QDING_TEXT = "\n".join([
    "#支付宝业务明细查询",
    "#账号：[20880211096256330156]",
    "#起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]",
    "#-----------------------------------------业务明细列表----------------------------------------",
    QDING_HEAD, *QDING_ROWS,
    "#-----------------------------------------业务明细列表结束------------------------------------",
    "#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元",
    "#退款合计：4笔，商家实收退款共-0.04元，商家优惠退款共0.00元",
    "#导出时间：[2019年09月17日 05:46:49]",
]) + "\n"

# Alipay 业务明细 row of 2020-07-22 shown by www.gxitsky.com/2020/07/27/Business-07-ali-pay-bill/
# (IDs masked with x by the author, tabs rendered there as spaces): a 交易 of 1.00 with a
# 0.96 支付宝红包 (Alipay-funded: 商家实收 stays 1.00) and 服务费 -0.01, the only public
# real row found with a non-zero 服务费: charged on a payment, it is negative. The page
# cuts the file after the end marker, so the two footer lines are rebuilt from the row.
GX_HEAD = QDING_HEAD.replace("（", "(").replace("）", ")")  # that export: half-width
GX_TEXT = "\r\n".join([
    "#支付宝业务明细查询",
    "#账号：[208xxxxxxxxxxxx156]",
    "#起始日期：[2020年07月22日 00:00:00]   终止日期：[2020年07月23日 00:00:00]",
    "#-----------------------------------------业务明细列表----------------------------------------",
    GX_HEAD,
    "20200xxxxxxxxxxxxxx44491\t,411735xxxxxxxxxxxxxx720\t,交易\t,院内充值,2020-07-22 16:13:11,"
    "2020-07-22 16:14:24,\t,\t,\t,\t,**佳(yan***@163.com)\t,1.00,1.00,0.96,0.00,0.00,0.00,0.00,"
    "花呗mau生活费实体店红包,0.00\t,0.00,\t,-0.01,0.00,",
    "#-----------------------------------------业务明细列表结束------------------------------------",
    "#交易合计：1笔，商家实收共1.00元，商家优惠共0.00元",  # rebuilt (see above)
    "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元",  # rebuilt (see above)
]) + "\r\n"

# WeChat Pay legacy ALL bill of 2018-05-07 (merchant 1488511392) as returned by the API,
# kept in a code comment of wuhai12138/MNAS src/main/java/com/summ/mnas/utils/WeixinUtil.java:
# 10 rows, one of them a REFUND. The refund row's 总金额 is 0.00, 总交易单数 (10) counts
# it, and 总交易额 2400.09 is Σ总金额 of all rows = the gross of the 9 payments.
MNAS_HEAD = ("交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
             "交易状态,付款银行,货币种类,总金额,企业红包金额,微信退款单号,商户退款单号,退款金额,"
             "企业红包退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率")


def _mnas(when, txn, order, user, kind, status, amount, refund, attach, fee,
          body="家有官家--扫码充值"):
    head = [when, "wx1024cb31dfbae7cc", "1488511392", "0", "", txn, order, user, kind, status,
            "CFT", "CNY"]
    if status == "REFUND":
        mid = ["0.00", "0.00", *refund, "ORIGINAL", "SUCCESS"]
    else:
        mid = [amount, "0.00", "0", "0", "0.00", "0.00", "", ""]
    return bt([*head, *mid, body, attach, fee, "0.60%"])


MNAS_ROWS = [
    _mnas("2018-05-07 10:54:45", "4200000113201805074559498485", "152566112349603496538",
          "oOmPo0-gjIhFsT3WRFvL5l_iOtok", "NATIVE", "REFUND", "",
          ("50000506642018050704485755976", "484316432018050745594984851525661661", "0.02",
           "0.00"), "3496--32", "0.00000"),
    _mnas("2018-05-07 10:45:37", "4200000113201805074559498485", "152566112349603496538",
          "oOmPo0-gjIhFsT3WRFvL5l_iOtok", "NATIVE", "SUCCESS", "0.02", (), "3496--32",
          "0.00000"),
    _mnas("2018-05-07 10:50:09", "4200000120201805074525206991", "1525661389973034968085",
          "oOmPo0-gjIhFsT3WRFvL5l_iOtok", "NATIVE", "SUCCESS", "0.03", (), "3496--32",
          "0.00000"),
    _mnas("2018-05-07 17:08:34", "4200000121201805074782619515", "050717082815022",
          "oOmPo01XvctZOVPBB18wO0yrjVO4", "APP", "SUCCESS", "1000.00", (),
          "2414-何嘉-13122828856-长寿路店", "6.00000", body="余额充值"),
    _mnas("2018-05-07 09:15:36", "4200000124201805074008280074", "152565572473204622142",
          "oOmPo0xSwKp0ThSMG5tyut3xW008", "NATIVE", "SUCCESS", "400.00", (), "4622--161",
          "2.40000"),
    _mnas("2018-05-07 09:27:25", "4200000126201805074357341528", "1525656429469008589548",
          "oOmPo0zBBc6qttMNAKUv0muubK9Y", "NATIVE", "SUCCESS", "0.01", (), "858--34",
          "0.00000"),
    _mnas("2018-05-07 10:41:09", "4200000129201805074414966070", "1525660847944034968827",
          "oOmPo0-gjIhFsT3WRFvL5l_iOtok", "NATIVE", "SUCCESS", "0.01", (), "3496--32",
          "0.00000"),
    _mnas("2018-05-07 09:28:27", "4200000129201805074505137945", "1525656496782046222532",
          "oOmPo0xSwKp0ThSMG5tyut3xW008", "NATIVE", "SUCCESS", "0.01", (), "4622--161",
          "0.00000"),
    _mnas("2018-05-07 09:21:46", "4200000130201805074448612378", "1525656090484008234429",
          "oOmPo0zBBc6qttMNAKUv0muubK9Y", "NATIVE", "SUCCESS", "0.01", (), "823--34",
          "0.00000"),
    _mnas("2018-05-07 10:38:47", "4200000132201805074503706681", "1525660710228010479040",
          "oOmPo0yIRnnXO4TqobyqiTSDKHfQ", "NATIVE", "SUCCESS", "1000.00", (), "1047--144",
          "6.00000"),
]
# \r\n: the MNAS parser strips "\r\n" from the API response.
MNAS_TEXT = "\r\n".join([MNAS_HEAD, *MNAS_ROWS, WX_LEGACY_SUM,
                         bt(["10", "2400.09", "0.02", "0.00", "14.40000"])]) + "\r\n"

# WeChat Pay sandbox (仿真测试) ALL bill of case 1005, as printed in "免充值产品测试验收用例的
# wechatpay-axios-plugin教学帖" (TheNorthMemory, 2021-04-21): the sandbox writes 微信订单号 /
# 微信退款单号 in scientific notation itself (`4.00123E+27), puts two spaces in the time
# and no backtick before the first summary value. Two of its rows, its summary cut to them.
SANDBOX_TEXT = "\r\n".join([
    WX_ALL.replace("特约商户号", "子商户号"),
    "`2016-05-04  02:18:18,`wxf7c30a8258df4208,`10014843,`0,`harryma007,`4.00123E+27,"
    "`autotest_20160501030456_45023,`oT2kauIMXH398DZBeJ4m22CuSDQ0,`NATIVE,`REFUND,`PAB_DEBIT,"
    "`CNY,`0,`0,`2.00123E+27,`REF4001232001201605015390231647,`0.01,`0,`ORIGINAL,`PROCESSING,"
    "`body中文测试,`attach中文测试,`0,`0.60%,`0,`0.01,`",
    "`2016-05-04  02:18:18,`wxf7c30a8258df4208,`10014843,`0,`harryma007,`4.00123E+27,"
    "`autotest_20160501060418_79156,`oT2kauIMXH398DZBeJ4m22CuSDQ0,`NATIVE,`REFUND,`PAB_DEBIT,"
    "`CNY,`0,`0,`2.00123E+27,`REF4001232001201605015391766944,`0.01,`0,`ORIGINAL,`PROCESSING,"
    "`body中文测试,`attach中文测试,`0,`0.60%,`0,`0.01,`",
    WX_SUM, "2,`0,`0.02,`0,`0,`0,`0.02",
]) + "\r\n"

# Alipay account log (the 账务明细's source records) stored by Picky-cc/HopMall
# earth/src/test/resources/test/test4AppArriveRecordService-in-earth.sql, as 账务明细 CSV
# columns (账务流水号 = iw_account_log_id, 业务流水号 = trade_no, 业务类型 = trans_code_msg,
# 备注 = memo): an 在线支付 of 1650.00; a 收费 row of 19.38 whose trade_no and
# merchant_out_order_no are those of its payment (memo 服务费[<trade_no>], total_fee 1550.00
# at rate 0.0125), that payment not being among the records; and a 收费 of 25.00 for
# 企业版转账到银行账户 with no trade_no at all. Footer lines rebuilt from the rows.
HOP_ROWS = [
    fund_row("98372720192000", "", "20151012110070101500000000176283", "",
             "2015-10-12 09:39:29", "0.00", "25.00", "22726.72", "收费",
             "服务费[20151012110070101500000000176283]"),
    fund_row("98372092965000", "2015101200001000860059999879",
             "20151012075715653358723781560320", "订单", "2015-10-12 07:58:01", "0.00",
             "19.38", "68924.22", "收费", "服务费[2015101200001000860059999879]"),
    fund_row("98172826097941", "2015101200001000940062595431",
             "20151012072517653350666284500992", "订单", "2015-10-12 07:25:30", "1650.00",
             "0.00", "67414.23", "在线支付", " "),
]
HOP_TEXT = "\r\n".join([
    "#支付宝账务明细查询",
    "#账号：[20889112143230040156]",
    "#起始日期：[2015年10月12日 00:00:00]   终止日期：[2015年10月13日 00:00:00]",
    "#-----------------------------------------账务明细列表----------------------------------------",
    FUND_HEAD, *HOP_ROWS,
    "#-----------------------------------------账务明细列表结束------------------------------------",
    "#支出合计：2笔，共44.38元",  # rebuilt: 25.00 + 19.38
    "#收入合计：1笔，共1650.00元",  # rebuilt
]) + "\r\n"


def build() -> dict[str, bytes]:
    files = {}
    detail, summary = gbk(ali_detail()), gbk(ALI_SUMMARY)
    # The zip as downloaded: the 汇总 member first (real downloads may list it first).
    files["alipay_trade_20261111.csv.zip"] = zipped([(ALI_SUMMARY_NAME, summary),
                                                     (ALI_DETAIL_NAME, detail)])
    files["alipay_trade_detail_first.csv.zip"] = zipped([(ALI_DETAIL_NAME, detail),
                                                         (ALI_SUMMARY_NAME, summary)])
    files["alipay_trade_summary_only.csv"] = summary
    # A newer export: UTF-8 with BOM, an extra column inserted, columns reordered and the
    # footer lines padded with commas.
    cols = ALI_HEAD.split(",")
    order = [1, 0, *range(2, 11), 11, 12, 21, 22, *range(13, 21), 23, 24]
    new_head = ",".join([cols[i] for i in order[:2]] + ["业务基础订单号"]
                        + [cols[i] for i in order[2:]])
    new_rows = []
    for r in ALI_ROWS:
        cells, quoted = [], None
        for c in r.split(","):  # the product name holds a quoted comma: re-join it
            if quoted is not None:
                quoted += "," + c
                if c.endswith('"'):
                    cells.append(quoted)
                    quoted = None
            elif c.startswith('"') and not c.endswith('"'):
                quoted = c
            else:
                cells.append(c)
        new_rows.append(",".join([cells[i] for i in order[:2]] + ["BO" + cells[1].strip()]
                                 + [cells[i] for i in order[2:]]))
    pad = "," * 12
    files["alipay_trade_utf8bom.csv"] = ("\ufeff" + "\r\n".join(
        [*(p + pad for p in ALI_PREAMBLE), new_head, *new_rows, ALI_END + pad,
         *(f + pad for f in ALI_FOOT)]) + "\r\n").encode("utf-8")
    # An older account's header: 退款批次号, 手续费（元）, 费率, 实收净额（元）, 交易方式.
    old_head = ALI_HEAD.replace("退款批次号/请求号,服务费（元）,分润（元）,备注",
                                "退款批次号,手续费（元）,费率,实收净额（元）,交易方式,备注")
    old_rows = [r.rsplit(",", 2)[0] + ",0.006,0.00,即时到账," for r in ALI_ROWS]
    files["alipay_trade_older.csv"] = gbk(ali_detail(old_rows, old_head))
    files["alipay_trade_bad_footer.csv"] = gbk(ali_detail(foot=[ALI_FOOT[0].replace(
        "3笔", "4笔"), *ALI_FOOT[1:]]))
    files["alipay_trade_bad_summary.csv.zip"] = zipped([
        (ALI_DETAIL_NAME, detail), (ALI_SUMMARY_NAME, gbk(ALI_SUMMARY.replace("-0.96", "-0.95")))])
    full = ali_detail()
    files["alipay_trade_truncated.csv"] = gbk(full[: full.index("-28.00") + 3])
    # Opened and saved again by Excel: tabs gone, IDs in scientific notation, dates
    # reformatted, every line padded to the width of the table.
    ex_rows = [r.replace(T, "").replace(TXN1, "2.02611E+27").replace(TXN2, "2.02611E+27")
               .replace(TXN4, "2.02611E+27").replace("2026-11-11 ", "2026/11/11 ")
               for r in ALI_ROWS]
    files["alipay_trade_excel.csv"] = gbk("\r\n".join(
        [*(p + "," * 24 for p in ALI_PREAMBLE), ALI_HEAD, *ex_rows, ALI_END + "," * 24,
         *(f + "," * 24 for f in ALI_FOOT)]) + "\r\n")
    files["alipay_trade_empty.csv"] = gbk(ali_detail([], foot=[
        "#交易合计：0笔，商家实收共0.00元，商家优惠共0.00元",
        "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元", ALI_FOOT[2]]))
    files["alipay_fund_20261111.csv.zip"] = zipped([
        ("20880211096256330156_20261111_账务明细(汇总).csv", gbk(FUND_SUMMARY)),
        ("20880211096256330156_20261111_账务明细.csv", gbk(FUND_DETAIL))])
    files["alipay_fund_bad_footer.csv"] = gbk(FUND_DETAIL.replace("共188.07元", "共188.70元"))

    files["wechat_all_20261111.csv"] = WX_ALL_TEXT.encode("utf-8")
    files["wechat_all_20261111.csv.gz"] = gzip.compress(WX_ALL_TEXT.encode("utf-8"), mtime=0)
    succ = [wx_pay("2026-11-11 08:30:15", "W2611110011", "88.00", "0.53000", "SUCCESS"),
            wx_pay("2026-11-11 12:01:40", "W2611110012", "19.90", "0.12000", "SUCCESS"),
            wx_pay("2026-11-11 21:45:00", "W2611110013", "250.00", "1.50000", "SUCCESS")]
    # 3 rows: 357.90; fees 0.53 + 0.12 + 1.50 = 2.15
    files["wechat_success_gbk.csv"] = gbk("\r\n".join([WX_SUCCESS, *succ, WX_SUM, bt(
        ["3", "357.90", "0.00", "0.00", "2.15000", "357.90", "0.00"])]) + "\r\n")
    files["wechat_refund.csv"] = ("\r\n".join([WX_REFUND, wx_ref(
        "2026-11-11 14:05:09", "W2611110012", "R2611110012", "10.00", "-0.06000", "REFUND"),
        WX_SUM, bt(["1", "0.00", "10.00", "0.00", "-0.06000", "0.00", "10.00"])]) + "\r\n"
    ).encode("utf-8")
    leg = [wx_pay("2026-11-11 08：30：15", "W2611110011", "88.00", "0.53", "LEGACY"),
           wx_ref("2026-11-11 14：05：09", "W2611110012", "R2611110012", "10.00", "-0.06",
                  "LEGACY")]
    # 2 rows: 总交易额 88.00 + 0.00; 总退款 10.00; 手续费 0.53 - 0.06 = 0.47
    files["wechat_legacy.csv"] = gbk("\r\n".join([WX_LEGACY, *leg, WX_LEGACY_SUM, bt(
        ["2", "88.00", "10.00", "0.00", "0.47"])]) + "\r\n")
    files["wechat_nobill.csv"] = b"No Bill Exist"
    files["wechat_truncated.csv"] = ("\r\n".join([WX_ALL, *WX_ROWS[:3]]) + "\r\n").encode()
    files["wechat_bad_summary.csv"] = WX_ALL_TEXT.replace("`4,`357.90", "`5,`357.90").encode()
    # Real samples (see their comments above).
    files["real_alipay_trade_20190916.csv"] = gbk(QDING_TEXT)
    files["real_alipay_trade_20200722.csv"] = gbk(GX_TEXT)
    files["real_alipay_fund_20151012.csv"] = gbk(HOP_TEXT)
    files["real_wechat_legacy_20180507.csv"] = MNAS_TEXT.encode("utf-8")
    files["real_wechat_sandbox_20160504.csv"] = SANDBOX_TEXT.encode("utf-8")
    return files


def main() -> None:
    for name, data in build().items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
