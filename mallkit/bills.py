r"""Gateway bills in, canonical ``statements`` out.

This is an edge module (like :mod:`mallkit.io`): it reads files. The readers take the
bills as finance downloads them and return the canonical ``statements`` table
(:mod:`mallkit.schema`), after checking the file's own footer / summary totals against
the parsed rows:

* :func:`read_alipay_bill` — Alipay merchant bills: the ``csv.zip`` (detail member and
  汇总 member, in either order) or a bare CSV; GBK, UTF-8 or UTF-8 with BOM; ``#``
  preamble and footer lines; full-width ``（元）`` headers; ``\t`` after ID fields; the
  业务明细 (trade) and 账务明细 (fund) layouts. The header row is found by its column
  names and columns are mapped by name (Alipay inserts and reorders columns).
* :func:`read_wechat_bill` — WeChat Pay 交易账单 in the ALL / SUCCESS / REFUND layouts and
  the legacy one (总金额 / 企业红包金额); backtick-prefixed fields; the summary title and
  values as the last two lines; UTF-8 or GBK; ``No Bill Exist`` gives an empty batch.
* :func:`read_bill` — either, by content.

A bill that is truncated, re-saved by Excel (IDs in scientific notation), of the wrong
kind, or whose totals disagree with its rows raises :class:`BillFormatError` naming the
file, the line and both figures; nothing is read partially. Each returned frame carries
``attrs["bill"]``: file name, SHA-256, layout, rows and the footer figures checked;
:func:`manifest` collects them (the 原始文件 sheet).

The finance pack made from a reconciliation of these bills (:func:`finance_pack`,
:func:`manifest`, :func:`write_finance_pack`) lives in :mod:`mallkit.finance_pack`; its
names are importable from here too.

Extra columns after the canonical ones: ``settled_fen`` (商家实收 / 应结订单金额),
``gateway_status`` (SUCCESS / REFUND / REVOKED …) and ``source_line`` (1-based line in
the decoded detail file).

Conventions taken from the formats (see the reference notes): Alipay 服务费 is negative
when charged and positive when returned, so ``fee_fen = -服务费``; WeChat 手续费 is
positive when charged and negative when returned on a refund. ``amount_fen`` is what the
mall asked the gateway for: 订单金额 (Alipay), 订单金额 / 总金额 (WeChat payments) and
申请退款金额 / 退款金额 (WeChat refunds), negative for refunds.

Checked against public real bills (copies in ``tests/data/bills/real_*``, built by its
``make_fixtures.py``; the tests cite each source):

* Alipay ``#交易合计：N笔，商家实收共X元`` counts the 交易 rows only and sums their 商家实收
  (gross: refunds are not netted); ``#退款合计`` counts the 退款 rows, its sum negative
  (a Java test's 2019-09-16 bill: 6 交易, 4 退款, ``0.06`` / ``-0.04``). That the sum is
  商家实收 and not 订单金额 rests on the line's own words (the sample's two are equal).
* Alipay 服务费 on a 交易 row is negative (www.gxitsky.com/2020/07/27/Business-07-ali-pay-bill/:
  ``-0.01`` on a 1.00 payment whose 0.96 支付宝红包 leaves 商家实收 at 1.00).
* The 汇总 member's columns are ``门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,
  商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,
  实收净额（元）``, one row a store and a row whose first cell is 合计
  (WeiJuKeJi/laravel-payment-bill ``src/Services/Importers/AlipayBillImporter.php``).
* WeChat 总交易单数 counts every detail row, refunds included, and a refund row's 总金额 /
  应结订单金额 / 订单金额 is 0.00, so 总交易额 / 应结订单总金额 is the gross of the payments
  (wuhai12138/MNAS ``…/utils/WeixinUtil.java``: 10 rows, 1 REFUND, ``2400.09``; the REFUND
  bill of Wechat-Group/weixin-java-tools ``…/WxPayBillResultTest.java``: 4 refund rows,
  应结订单总金额 ``0.00``). WeChat 手续费 on refund rows is negative (the same REFUND bill:
  手续费总金额 ``-0.02000``). The SUCCESS bill may carry the 7-field summary of the ALL
  bill (same test), not only the 4 fields of the format page; both are read by name.
* Alipay account log: a 收费 row carries the 业务流水号 (trade_no) and 商户订单号 of the
  payment it is charged for, memo ``服务费[<trade_no>]`` (Picky-cc/HopMall
  ``earth/src/test/resources/test/test4AppArriveRecordService-in-earth.sql``; roncoo-pay's
  ``ALIPAYParser.java`` joins the two on trade_no); a 收费 row without one (a transfer
  fee) belongs to no trade and stays in ``attrs["bill"]["other"]``.
* The WeChat sandbox writes 微信订单号 in scientific notation itself (``4.00123E+27``): such
  a bill is refused like an Excel re-save.

Assumed, not verified against a real file:

* Alipay 服务费 on a 退款 row is positive (the fee returned) and the 汇总 合计 row nets
  refunds (交易订单总笔数 = 交易 rows, 商家实收 and 服务费 = the sums over all rows).
* WeChat ``REVOKED`` rows: the docs say a payment revoked after success appears with the
  original order number, and a blog (blog.csdn.net/weixin_39940425/article/details/115635963)
  calls REVOKED an outflow (支出-撤销) next to the order's SUCCESS row; no public bill with
  one was found, so neither the row's amount columns nor its counting is known beyond the
  rule above that every row is counted and summed. It is read as a ``payment`` with
  ``gateway_status`` REVOKED (amount 订单金额), which :mod:`mallkit.reconcile` reports as
  a status mismatch.
* 账务明细: a returned fee (收入 on a 收费 / 服务费 row) shares the 业务流水号 of its refund
  row, and the fee is charged on the same bill as its payment; a fee whose trade is not on
  the bill stays in ``other``.

Examples
--------
>>> import pathlib, tempfile
>>> bill = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
...         "交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,"
...         "订单金额,费率备注\n`2026-11-11 08:30:15,`wx88,`1900000109,`0,`,"
...         "`4200002361202611111150650780,`W2611110011,`oUpF8,`JSAPI,`SUCCESS,`CMB,`CNY,"
...         "`88.00,`0.00,`商品,`,`0.53000,`0.60%,`88.00,`\n"
...         "总交易单数,应结订单总金额,手续费总金额,订单总金额\n`1,`88.00,`0.53000,`88.00\n")
>>> with tempfile.TemporaryDirectory() as d:
...     f = pathlib.Path(d) / "wx.csv"
...     _ = f.write_bytes(bill.encode("gbk"))
...     st = read_wechat_bill(f)
>>> st[["txn_id", "merchant_order_id", "kind", "amount_fen", "fee_fen"]].to_dict("records")
[{'txn_id': '4200002361202611111150650780', 'merchant_order_id': 'W2611110011',
  'kind': 'payment', 'amount_fen': 8800, 'fee_fen': 53}]
>>> st.attrs["bill"]["footer"]
{'总交易单数': 1, '应结订单总金额': '88.00', '手续费总金额': '0.53', '订单总金额': '88.00'}
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mallkit.errors import BillFormatError, MoneyError
from mallkit.finance_pack import finance_pack, manifest, write_finance_pack
from mallkit.money import fen_to_yuan, to_fen
from mallkit.schema import validate

__all__ = [
    "finance_pack",
    "manifest",
    "read_alipay_bill",
    "read_bill",
    "read_wechat_bill",
    "write_finance_pack",
]

_EXTRA = ["settled_fen", "gateway_status", "source_line"]
_SCI = re.compile(r"^\s*[-+]?\d(?:\.\d+)?[eE]\+?\d+\s*$")  # Excel's 2.01909E+27


# ------------------------------------------------------------------------- files
def _load(path: str | Path) -> tuple[Path, bytes, str]:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise BillFormatError(f"{p}: cannot read the bill ({exc})", path=str(p)) from exc
    return p, raw, hashlib.sha256(raw).hexdigest()


def _members(p: Path, raw: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of each CSV in a zip, or the file itself (gunzipped if need be)."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:4] != b"PK\x03\x04":
        return [(p.name, raw)]
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            out = []
            for info in zf.infolist():
                name = info.filename
                if not info.flag_bits & 0x800:  # not flagged UTF-8: Alipay writes GBK names
                    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                        name = name.encode("cp437").decode("gb18030")
                if not info.is_dir():
                    out.append((name, zf.read(info)))
            return out
    except zipfile.BadZipFile as exc:
        raise BillFormatError(f"{p}: damaged or truncated zip ({exc})", path=str(p)) from exc


def _decode(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM), else GBK (read as its superset GB18030)."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise BillFormatError(f"{where}: neither UTF-8 nor GBK text; is this a bill?", path=where)


def _norm(name: str) -> str:
    """Header cell without tabs, spaces, backticks or full-width brackets."""
    return (name.strip().strip("\t`").strip().replace("（", "(").replace("）", ")")
            .replace("\ufeff", ""))


def _cells(line: str) -> list[str]:
    return [_norm(c) for c in line.split(",")]


def _col(df: pd.DataFrame, *names: str, where: str, line: int, need: bool = True):
    for n in names:
        if n in df.columns:
            return df[n]
    if need:
        raise BillFormatError(
            f"{where}: line {line}: no column {' / '.join(names)} in the header "
            f"({', '.join(map(str, df.columns))})", path=where, line=line)
    return None


def _table(lines: list[str], header: int, stop: int, where: str) -> pd.DataFrame:
    """Detail rows between the header line and ``stop`` as text, plus ``source_line``."""
    names = _cells(lines[header])
    body = [(i, ln) for i, ln in enumerate(lines[header + 1:stop], start=header + 2)
            if ln.strip(" ,\t")]
    if not body:
        return pd.DataFrame(columns=[*names, "source_line"])
    text = "\n".join(ln for _, ln in body)
    try:
        df = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                         names=range(len(names)), engine="python", on_bad_lines="error")
    except (pd.errors.ParserError, ValueError) as exc:
        raise BillFormatError(f"{where}: detail rows do not fit the header of line "
                              f"{header + 1} ({exc})", path=where, line=header + 1) from exc
    short = df[len(names) - 1].isna().to_numpy()
    if short.any():
        k = int(np.flatnonzero(short)[0])
        raise BillFormatError(
            f"{where}: line {body[k][0]} has fewer fields than the header of line "
            f"{header + 1}: the file is truncated or damaged", path=where, line=body[k][0])
    df.columns = names
    df = df.loc[:, ~pd.Index(names).duplicated()]
    df = df.apply(lambda s: s.str.strip().str.strip("\t`").str.strip())
    df["source_line"] = [i for i, _ in body]
    return df


def _fen(s: pd.Series, where: str, what: str) -> np.ndarray:
    try:
        return to_fen(s.replace("", "0"), name=f"{where}: column {what}").to_numpy()
    except MoneyError as exc:
        raise BillFormatError(str(exc), path=where) from exc


def _ids(s: pd.Series, where: str, df: pd.DataFrame, what: str) -> pd.Series:
    bad = s.str.match(_SCI.pattern).to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        line = int(df["source_line"].iloc[k])
        raise BillFormatError(
            f"{where}: line {line}: {what} {s.iloc[k]!r} is in scientific notation: the bill "
            "was opened and re-saved by Excel (or comes from the WeChat Pay sandbox, which "
            "writes IDs so), and the ID's digits are lost; download it again",
            path=where, line=line)
    return s.replace("", None)


def _times(s: pd.Series, where: str, df: pd.DataFrame, what: str) -> pd.Series:
    t = pd.to_datetime(s.str.replace("：", ":"), errors="coerce", format="mixed")
    bad = (t.isna() & (s != "")).to_numpy()
    if bad.any():
        line = int(df["source_line"].iloc[int(np.flatnonzero(bad)[0])])
        raise BillFormatError(f"{where}: line {line}: {what} is not a time",
                              path=where, line=line)
    return t.astype("datetime64[us]")


def _mismatch(where: str, line: int, what: str, says: Any, rows: Any) -> BillFormatError:
    return BillFormatError(
        f"{where}: line {line}: the bill's own total {what} is {says} but its detail rows "
        f"give {rows}; the file is incomplete or altered", path=where, line=line)


def _yuan(fen: int) -> str:
    return fen_to_yuan(int(fen), symbol="", thousands=False)


def _finish(out: dict, where: str, info: dict) -> pd.DataFrame:
    st = validate(pd.DataFrame(out), "statements")
    st = st.sort_values(["occurred_at", "source_line"], kind="stable").reset_index(drop=True)
    st.attrs["bill"] = {**info, "rows": len(st)}
    return st


def _empty(info: dict) -> pd.DataFrame:
    cols = {"provider": "str", "txn_id": "str", "merchant_order_id": "str", "refund_id": "str",
            "kind": "str", "occurred_at": "datetime64[us]", "amount_fen": "int64",
            "fee_fen": "int64", "settled_fen": "int64", "gateway_status": "str",
            "source_line": "int64"}
    st = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    st.attrs["bill"] = {**info, "rows": 0}
    return st


def _footer_lines(lines: list[str], start: int) -> list[tuple[int, str]]:
    """(1-based line, text) of the ``#`` lines from ``start`` on, trailing commas removed."""
    return [(i + 1, ln.strip().rstrip(",").strip()) for i, ln in enumerate(lines)
            if i >= start and ln.strip().startswith("#")]


def _figure(foot: list[tuple[int, str]], pattern: str, where: str, need: bool = True):
    for line, text in foot:
        m = re.search(pattern, text)
        if m:
            return line, int(m["n"]), to_fen(m["amt"], name=f"{where}: line {line}")
    if need:
        raise BillFormatError(f"{where}: no footer line matching {pattern!r}: the bill is "
                              "truncated or not a complete export", path=where)
    return None


def _summary_row(text: str, key: str, where: str) -> tuple[int, dict[str, str]] | None:
    """The 合计 row (or the only data row) of a 汇总 member, by header names."""
    lines = text.splitlines()
    h = next((i for i, ln in enumerate(lines) if key in _cells(ln)), None)
    if h is None:
        return None
    names = _cells(lines[h])
    rows = [(i + 1, _cells(ln)) for i, ln in enumerate(lines[h + 1:], start=h + 1)
            if ln.strip(" ,\t") and not ln.strip().startswith("#")]
    pick = [r for r in rows if r[1] and r[1][0] in ("合计", "总计")] or rows[-1:]
    if not pick:
        raise BillFormatError(f"{where}: the 汇总 member has a header but no rows", path=where)
    line, vals = pick[0]
    return line, dict(zip(names, vals, strict=False))


def _check(where: str, line: int, what: str, says: int, got: int, money: bool = True,
           slack: int = 0) -> None:
    if abs(says - got) > slack:
        s, g = (f"{_yuan(says)}元", f"{_yuan(got)}元") if money else (f"{says}笔", f"{got}笔")
        raise _mismatch(where, line, what, s, g)


# ------------------------------------------------------------------------- Alipay
_ALIPAY_TRADE_KEY = {"支付宝交易号", "业务类型"}
_ALIPAY_FUND_KEY = {"账务流水号", "业务流水号"}


def read_alipay_bill(path: str | Path, /) -> pd.DataFrame:
    """Read an Alipay merchant bill (业务明细 or 账务明细; csv.zip or CSV) as ``statements``.

    Parameters
    ----------
    path : str or Path
        The ``…csv.zip`` as downloaded (detail and 汇总 members in any order) or the
        detail CSV alone. GBK, UTF-8 or UTF-8 with BOM.

    Returns
    -------
    DataFrame
        Canonical ``statements`` (provider ``alipay``), sorted by time, plus
        ``settled_fen`` (商家实收 / 收入), ``gateway_status`` and ``source_line``;
        ``attrs["bill"]`` describes the file. In the 账务明细 layout the service-fee rows
        are folded into the payment (or refund) sharing their 业务流水号, and movements
        that are not trades (提现, 转账, …) are counted in ``attrs["bill"]["other"]``,
        not dropped silently. Refund rows there carry the 账务流水号 as ``refund_id``
        (the fund bill has no 退款批次号): :func:`mallkit.reconcile.reconcile` pairs them
        on order and amount.

    Raises
    ------
    BillFormatError
        Not an Alipay bill (or only its 汇总 member), truncated, re-saved by Excel,
        unknown 业务类型, or footer / 汇总 totals that disagree with the rows (the
        message names the file, the line and both figures).
    """
    p, raw, sha = _load(path)
    members = [(n, _decode(b, f"{p.name}!{n}")) for n, b in _members(p, raw)]
    zipped = len(members) > 1 or members[0][0] != p.name
    detail = [(n, t) for n, t in members if "汇总" not in n]
    summary = [(n, t) for n, t in members if "汇总" in n]
    if not detail or (not zipped and "交易订单总笔数" in members[0][1][:3000]):
        raise BillFormatError(f"{p.name}: only the 汇总 (summary) part of an Alipay bill; "
                              "read the detail CSV or the whole csv.zip", path=str(p))
    if len(detail) > 1:
        raise BillFormatError(f"{p.name}: several detail members "
                              f"({', '.join(n for n, _ in detail)}); expected one", path=str(p))
    name, text = detail[0]
    where = f"{p.name}!{name}" if zipped else p.name
    lines = text.splitlines()
    layout, h = None, None
    for i, ln in enumerate(lines[:200]):
        cells = set(_cells(ln))
        if cells >= _ALIPAY_TRADE_KEY:
            layout, h = "alipay_trade", i
            break
        if cells >= _ALIPAY_FUND_KEY:
            layout, h = "alipay_fund", i
            break
    if h is None:
        hint = (" (it looks like a WeChat Pay bill: use read_wechat_bill)"
                if "微信订单号" in text[:3000] or "No Bill Exist" in text[:100] else "")
        raise BillFormatError(f"{where}: no header row with 支付宝交易号/业务类型 or "
                              f"账务流水号/业务流水号: not an Alipay bill{hint}", path=where)
    end = next((i for i in range(h + 1, len(lines)) if lines[i].strip().startswith("#")), None)
    if end is None or "结束" not in lines[end]:
        raise BillFormatError(
            f"{where}: no end-of-list line (#…列表结束) after the header on line {h + 1}: "
            "the bill is truncated", path=where, line=len(lines))
    df = _table(lines, h, end, where)
    foot = _footer_lines(lines, end + 1)
    info = {"file": p.name, "member": name if zipped else "", "sha256": sha,
            "provider": "alipay", "layout": layout, "header_line": h + 1}
    read = _alipay_trade if layout == "alipay_trade" else _alipay_fund
    out = read(df, foot, where, info, summary)
    if out is None:
        return _empty(info)
    return _finish(out, where, info)


def _alipay_trade(df, foot, where, info, summary):
    h = info["header_line"]
    typ = _col(df, "业务类型", where=where, line=h)
    pay, ref = (typ == "交易").to_numpy(), (typ == "退款").to_numpy()
    if (~(pay | ref)).any():
        k = int(np.flatnonzero(~(pay | ref))[0])
        line = int(df["source_line"].iloc[k])
        raise BillFormatError(f"{where}: line {line}: 业务类型 {typ.iloc[k]!r} is neither 交易 "
                              "nor 退款", path=where, line=line)
    amount = _fen(_col(df, "订单金额(元)", where=where, line=h), where, "订单金额")
    received = _fen(_col(df, "商家实收(元)", where=where, line=h), where, "商家实收")
    fee = _fen(_col(df, "服务费(元)", "手续费(元)", where=where, line=h), where, "服务费")
    order = _ids(_col(df, "商户订单号", where=where, line=h), where, df, "商户订单号")
    rno = _ids(_col(df, "退款批次号/请求号", "退款批次号", where=where, line=h), where, df,
               "退款批次号")
    when = _col(df, "完成时间", "创建时间", where=where, line=h)
    figure = r"[:：]\s*(?P<n>\d+)笔[,，]\s*商家实收{}共\s*(?P<amt>[-\d.,]+)元"
    f_pay = _figure(foot, "交易合计" + figure.format(""), where)
    f_ref = _figure(foot, "退款合计" + figure.format("退款"), where, need=False)
    for fig, mask, what in ((f_pay, pay, "交易合计"), (f_ref, ref, "退款合计")):
        if fig is not None:
            _check(where, fig[0], f"{what} 笔数", fig[1], int(mask.sum()), money=False)
            _check(where, fig[0], f"{what} 商家实收", fig[2], int(received[mask].sum()))
    info["footer"] = {"交易笔数": int(pay.sum()), "交易商家实收": _yuan(received[pay].sum()),
                      "退款笔数": int(ref.sum()), "退款商家实收": _yuan(received[ref].sum())}
    for name, text in summary:
        got = _summary_row(text, "交易订单总笔数", f"{info['file']}!{name}")
        if got is None:
            raise BillFormatError(f"{info['file']}!{name}: 汇总 member without the "
                                  "交易订单总笔数 header", path=info["file"])
        line, row = got
        w = f"{info['file']}!{name}"
        _check(w, line, "交易订单总笔数", int(row["交易订单总笔数"]), int(pay.sum()), money=False)
        _check(w, line, "退款订单总笔数", int(row["退款订单总笔数"]), int(ref.sum()), money=False)
        _check(w, line, "商家实收", to_fen(row["商家实收(元)"]), int(received.sum()))
        _check(w, line, "服务费", to_fen(row["服务费(元)"]), int(fee.sum()))
        info["summary_member"] = name
    if not len(df):
        return None
    if (amount[pay] < 0).any():
        line = int(df["source_line"].to_numpy()[pay & (amount < 0)][0])
        raise BillFormatError(f"{where}: line {line}: a 交易 row with a negative 订单金额",
                              path=where, line=line)
    return {"provider": "alipay",
            "txn_id": _ids(_col(df, "支付宝交易号", where=where, line=h), where, df,
                           "支付宝交易号"),
            "merchant_order_id": order,
            # Without a 退款请求号 Alipay uses the merchant order id as the refund's request no.
            "refund_id": rno.fillna(order).where(pd.Series(ref, index=df.index), None),
            "kind": np.where(pay, "payment", "refund"),
            "occurred_at": _times(when, where, df, "完成时间"),
            "amount_fen": np.where(pay, np.abs(amount), -np.abs(amount)),
            "fee_fen": -fee, "settled_fen": received,
            "gateway_status": np.where(pay, "SUCCESS", "REFUND"),
            "source_line": df["source_line"].to_numpy()}


def _alipay_fund(df, foot, where, info, summary):
    h = info["header_line"]
    inc = _fen(_col(df, "收入金额(+元)", "收入金额", where=where, line=h), where, "收入金额")
    out = np.abs(_fen(_col(df, "支出金额(-元)", "支出金额", where=where, line=h), where,
                      "支出金额"))
    typ = _col(df, "业务类型", where=where, line=h)
    memo = _col(df, "备注", where=where, line=h, need=False)
    f_out = _figure(foot, r"支出合计[:：]\s*(?P<n>\d+)笔[,，]\s*共\s*(?P<amt>[-\d.,]+)元", where)
    f_in = _figure(foot, r"收入合计[:：]\s*(?P<n>\d+)笔[,，]\s*共\s*(?P<amt>[-\d.,]+)元", where)
    _check(where, f_in[0], "收入合计 笔数", f_in[1], int((inc > 0).sum()), money=False)
    _check(where, f_in[0], "收入合计", f_in[2], int(inc.sum()))
    _check(where, f_out[0], "支出合计 笔数", f_out[1], int((out > 0).sum()), money=False)
    _check(where, f_out[0], "支出合计", abs(f_out[2]), int(out.sum()))
    info["footer"] = {"收入笔数": int((inc > 0).sum()), "收入": _yuan(inc.sum()),
                      "支出笔数": int((out > 0).sum()), "支出": _yuan(out.sum())}
    for name, text in summary:
        w = f"{info['file']}!{name}"
        got = _summary_row(text, "收入笔数", w)
        if got is not None:
            line, row = got
            _check(w, line, "收入笔数", int(row["收入笔数"]), int((inc > 0).sum()), money=False)
            _check(w, line, "收入金额", to_fen(row["收入金额(+元)"]), int(inc.sum()))
            _check(w, line, "支出笔数", int(row["支出笔数"]), int((out > 0).sum()), money=False)
            _check(w, line, "支出金额", abs(to_fen(row["支出金额(-元)"])), int(out.sum()))
            info["summary_member"] = name
    bal = _col(df, "账户余额(元)", "账户余额", where=where, line=h, need=False)
    if bal is not None and len(df) > 1:
        b = _fen(bal, where, "账户余额")
        t = _times(_col(df, "发生时间", where=where, line=h), where, df, "发生时间").to_numpy()
        step = inc - out
        newest_first = t[0] > t[-1]
        walk = (b[:-1] == b[1:] + step[:-1]) if newest_first else (b[1:] == b[:-1] + step[1:])
        info["balance_walk_ok"] = bool(walk.all())
    if not len(df):
        return None
    fee_mask = typ.str.contains("收费|服务费|手续费").to_numpy()
    if memo is not None:
        fee_mask = fee_mask | (memo.str.startswith("服务费") & (typ == "")).to_numpy()
    ref = ~fee_mask & typ.str.contains("退款").to_numpy() & (out > 0)
    pay = ~fee_mask & ~ref & typ.str.contains("支付|付款|收款|交易").to_numpy() & (inc > 0)
    biz = _ids(_col(df, "业务流水号", where=where, line=h), where, df, "业务流水号")
    acct = _ids(_col(df, "账务流水号", where=where, line=h), where, df, "账务流水号")
    # Each fee row folds into the trade row sharing its 业务流水号: charges onto payments,
    # returned fees onto refunds.
    fee = np.zeros(len(df), np.int64)
    attached = np.zeros(len(df), bool)
    for mask, fee_dir in ((pay, out), (ref, inc)):
        target = pd.Series(np.flatnonzero(mask), index=biz[mask].to_numpy())
        target = target[~target.index.duplicated()]
        fees = np.flatnonzero(fee_mask & (fee_dir > 0))
        pos = target.reindex(biz.iloc[fees].to_numpy()).to_numpy()
        ok = ~np.isnan(pos)
        np.add.at(fee, pos[ok].astype(np.int64), (out - inc)[fees[ok]])  # charged > 0
        attached[fees[ok]] = True
    other = ~(pay | ref | attached)
    info["other"] = (pd.DataFrame({"业务类型": typ[other], "收入": inc[other], "支出": out[other]})
                     .groupby("业务类型").agg(rows=("收入", "size"), income_fen=("收入", "sum"),
                                            expense_fen=("支出", "sum"))
                     .reset_index().to_dict("records"))
    keep = pay | ref
    if not keep.any():
        return None
    sub = df[keep]
    return {"provider": "alipay", "txn_id": biz[keep],
            "merchant_order_id": _ids(_col(sub, "商户订单号", where=where, line=h), where, sub,
                                      "商户订单号"),
            "refund_id": acct[keep].where(pd.Series(ref[keep], index=sub.index), None),
            "kind": np.where(pay[keep], "payment", "refund"),
            "occurred_at": _times(_col(sub, "发生时间", where=where, line=h), where, sub,
                                  "发生时间"),
            "amount_fen": np.where(pay, inc, -out)[keep], "fee_fen": fee[keep],
            "settled_fen": (inc - out)[keep], "gateway_status": np.where(pay, "SUCCESS",
                                                                         "REFUND")[keep],
            "source_line": sub["source_line"].to_numpy()}


# ------------------------------------------------------------------------- WeChat Pay
# Summary title -> (detail column, exact?). 手续费 rows are rounded half up to the fen
# one by one, so the file's total may differ from their sum by up to half a fen a row.
_WX_SUMMARY = {
    "应结订单总金额": ("应结订单金额", True), "总交易额": ("总金额", True),
    "退款总金额": ("退款金额", True), "总退款金额": ("退款金额", True),
    "充值券退款总金额": ("充值券退款金额", True),
    "总企业红包退款金额": ("企业红包退款金额", True),
    "总代金券或立减优惠退款金额": ("代金券或立减优惠退款金额", True),
    "手续费总金额": ("手续费", False),
    "订单总金额": ("订单金额", True), "申请退款总金额": ("申请退款金额", True),
}


def read_wechat_bill(path: str | Path, /) -> pd.DataFrame:
    """Read a WeChat Pay 交易账单 (ALL, SUCCESS, REFUND or the legacy layout) as ``statements``.

    Parameters
    ----------
    path : str or Path
        The bill as downloaded (CSV text, UTF-8 or GBK; gzip accepted).

    Returns
    -------
    DataFrame
        Canonical ``statements`` (provider ``wechat``) plus ``settled_fen`` (应结订单金额,
        or 总金额 in the legacy layout; the refunded amount for refunds), ``gateway_status``
        (交易状态: SUCCESS, REFUND, REVOKED) and ``source_line``; ``attrs["bill"]``
        describes the file and the summary figures checked. ``No Bill Exist`` (a day
        without trades) gives an empty table: the batch still runs.

    Raises
    ------
    BillFormatError
        Not a WeChat Pay trade bill, truncated (no summary lines at the end), re-saved by
        Excel, an unknown 交易状态, or a summary figure that disagrees with the rows.
    """
    p, raw, sha = _load(path)
    members = _members(p, raw)
    if len(members) != 1:
        raise BillFormatError(f"{p.name}: {len(members)} files inside; a WeChat Pay bill is "
                              "one CSV", path=str(p))
    where = p.name
    text = _decode(members[0][1], where)
    info = {"file": p.name, "member": "", "sha256": sha, "provider": "wechat"}
    if re.fullmatch(r"\s*`?No Bill Exist`?\s*", text):
        return _empty({**info, "layout": "wechat_no_bill", "footer": {}})
    lines = text.splitlines()
    h = next((i for i, ln in enumerate(lines[:50])
              if _cells(ln)[:1] == ["交易时间"] and "微信订单号" in _cells(ln)), None)
    if h is None:
        hint = (" (it looks like an Alipay bill: use read_alipay_bill)"
                if "支付宝" in text[:3000] else "")
        raise BillFormatError(f"{where}: no header row starting 交易时间,…,微信订单号: not a "
                              f"WeChat Pay trade bill{hint}", path=where)
    filled = [i for i in range(h + 1, len(lines)) if lines[i].strip(" ,\t")]
    if len(filled) < 2 or _cells(lines[filled[-2]])[:1] != ["总交易单数"]:
        last = filled[-1] + 1 if filled else h + 1
        raise BillFormatError(
            f"{where}: the last two lines are not the summary title (总交易单数,…) and its "
            f"values (file ends at line {last}): the bill is truncated", path=where, line=last)
    title, values = filled[-2], filled[-1]
    df = _table(lines, h, title, where)
    cols = set(df.columns)
    layout = ("wechat_legacy" if "总金额" in cols and "应结订单金额" not in cols else
              "wechat_REFUND" if "退款申请时间" in cols else
              "wechat_SUCCESS" if "退款金额" not in cols else "wechat_ALL")
    info.update(layout=layout, header_line=h + 1)
    status = _col(df, "交易状态", where=where, line=h + 1)
    pay = status.isin(["SUCCESS", "REVOKED"]).to_numpy()
    ref = (status == "REFUND").to_numpy()
    if (~(pay | ref)).any():
        k = int(np.flatnonzero(~(pay | ref))[0])
        line = int(df["source_line"].iloc[k])
        raise BillFormatError(f"{where}: line {line}: unknown 交易状态 {status.iloc[k]!r}",
                              path=where, line=line)

    def money(*names):
        s = _col(df, *names, where=where, line=h + 1, need=False)
        return None if s is None else _fen(s, where, names[0])

    # Summary: titles and values of the last two lines, each checked against the rows.
    titles = _cells(lines[title])
    vals = [_norm(v) for v in lines[values].split(",")]
    if len(vals) != len(titles):
        raise BillFormatError(f"{where}: line {values + 1}: {len(vals)} summary values for "
                              f"{len(titles)} titles on line {title + 1}", path=where,
                              line=values + 1)
    summary = dict(zip(titles, vals, strict=True))
    _check(where, values + 1, "总交易单数", int(summary["总交易单数"]), len(df), money=False)
    checked = {"总交易单数": len(df)}
    for t, v in summary.items():
        col, exact = _WX_SUMMARY.get(t, (None, True))
        detail = money(col) if col else None
        if detail is None:
            continue
        got = int(detail.sum())
        _check(where, values + 1, t, to_fen(v), got, slack=0 if exact else (len(df) + 1) // 2)
        checked[t] = _yuan(got)
    info["footer"] = checked
    if not len(df):
        return _empty(info)
    order_amt = money("订单金额", "总金额", "应结订单金额")
    settle = money("应结订单金额", "总金额")
    asked = money("申请退款金额", "退款金额")
    refunded = money("退款金额")
    if asked is None:
        asked = np.zeros(len(df), np.int64)
        refunded = asked
    refund_id = _col(df, "商户退款单号", where=where, line=h + 1, need=False)
    refund_id = (pd.Series(None, index=df.index, dtype="str") if refund_id is None else
                 _ids(refund_id, where, df, "商户退款单号"))
    return _finish({
        "provider": "wechat",
        "txn_id": _ids(_col(df, "微信订单号", where=where, line=h + 1), where, df, "微信订单号"),
        "merchant_order_id": _ids(_col(df, "商户订单号", where=where, line=h + 1), where, df,
                                  "商户订单号"),
        "refund_id": refund_id.where(pd.Series(ref, index=df.index), None),
        "kind": np.where(pay, "payment", "refund"),
        "occurred_at": _times(_col(df, "交易时间", where=where, line=h + 1), where, df,
                              "交易时间"),
        "amount_fen": np.where(pay, order_amt, -np.abs(asked)),
        "fee_fen": money("手续费"),
        "settled_fen": np.where(pay, settle, -np.abs(refunded)),
        "gateway_status": status.to_numpy(),
        "source_line": df["source_line"].to_numpy(),
    }, where, info)


def read_bill(path: str | Path, /) -> pd.DataFrame:
    """Read an Alipay or a WeChat Pay bill, recognised by its content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = pathlib.Path(d) / "wx.csv"
    ...     _ = f.write_bytes(b"No Bill Exist")
    ...     st = read_bill(f)
    >>> len(st), st.attrs["bill"]["layout"]
    (0, 'wechat_no_bill')
    """
    p, raw, _ = _load(path)
    head = _decode(_members(p, raw)[-1][1][:4000], p.name) if raw else ""
    if "微信订单号" in head or "No Bill Exist" in head:
        return read_wechat_bill(p)
    return read_alipay_bill(p)
