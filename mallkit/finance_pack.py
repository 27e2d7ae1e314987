r"""The finance team's reconciliation pack (对账报告): tie-out, exceptions, pool, files.

An edge module (like :mod:`mallkit.bills`, which re-exports its names): it turns a
:class:`mallkit.reconcile.Reconciliation` into the sheets finance works from and writes
them to files.

* :func:`finance_pack` — pure: the sheets as tables of text, headers in Chinese: 汇总
  (tie-out per provider and day, and 合计; 账单缺失 where the mall expected payments but
  the bill had no row), one sheet per exception class (渠道漏单, 平台漏单, 金额不符,
  退款不符, 重复扣款, 状态不符, 手续费不符: 异常编号 stable across runs, both sides, 说明 in
  Chinese, and 处理依据 / 处理状态 / 处理人 / 处理时间 for the sign-off), 跨期挂账 (the pool)
  and 原始文件 (:func:`manifest`: file, SHA-256, rows, footer figures checked).
* :func:`write_finance_pack` — an ``.xlsx`` workbook (the default: one sheet each, money
  as numbers in yuan shown with two decimals plus the exact integer fen beside them, IDs
  as text, header row frozen, filters on), a folder of CSVs or one HTML page.

Examples
--------
>>> import tempfile, pathlib
>>> from mallkit.datasets import make_sample_mall
>>> from mallkit.reconcile import reconcile
>>> m = make_sample_mall(seed=1, start="2025-11-01", end="2025-11-30", n_customers=800)
>>> pack = finance_pack(reconcile(m["orders"], m["refunds"], m["statements"],
...                               start="2025-11-01", end="2025-11-30"))
>>> with tempfile.TemporaryDirectory() as d:
...     f = write_finance_pack(pack, pathlib.Path(d) / "对账报告.xlsx")[0]
...     back = pd.read_excel(f, sheet_name="金额不符", dtype={"商户订单号": str})
>>> back[["渠道金额", "渠道金额(分)"]].dtypes.astype(str).tolist(), len(back)
(['float64', 'int64'], 3)
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mallkit.errors import BillFormatError
from mallkit.money import fen_to_yuan, to_fen

__all__ = ["CLASS_NAMES_ZH", "finance_pack", "manifest", "write_finance_pack"]


def manifest(*statements: pd.DataFrame) -> pd.DataFrame:
    """The 原始文件 table: one row per bill read (from ``attrs["bill"]`` of each frame).

    Examples
    --------
    >>> df = pd.DataFrame()
    >>> df.attrs["bill"] = {"file": "a.csv", "sha256": "00", "provider": "wechat",
    ...                     "layout": "wechat_no_bill", "rows": 0, "footer": {}}
    >>> manifest(df)[["file", "rows", "footer"]].to_dict("records")
    [{'file': 'a.csv', 'rows': 0, 'footer': ''}]
    """
    rows = []
    for st in statements:
        b = st.attrs.get("bill")
        if b is None:
            raise BillFormatError("manifest: a frame without attrs['bill']; pass the frames "
                                  "returned by read_alipay_bill / read_wechat_bill")
        foot = "; ".join(f"{k} {v}" for k, v in b.get("footer", {}).items())
        rows.append({"file": b["file"], "member": b.get("member", ""), "sha256": b["sha256"],
                     "provider": b["provider"], "layout": b["layout"], "rows": b["rows"],
                     "footer": foot, "balance_walk_ok": b.get("balance_walk_ok"),
                     "other": "; ".join(f"{o['业务类型']} {o['rows']}笔"
                                        for o in b.get("other", []))})
    return pd.DataFrame(rows, columns=["file", "member", "sha256", "provider", "layout", "rows",
                                       "footer", "balance_walk_ok", "other"])


# ------------------------------------------------------------------------- finance pack
#: Chinese names of the exception classes: the pack's sheet names and the report's 类型.
CLASS_NAMES_ZH = {"missing_in_statement": "渠道漏单", "missing_in_ledger": "平台漏单",
           "amount_mismatch": "金额不符", "refund_mismatch": "退款不符", "duplicate": "重复扣款",
           "status_mismatch": "状态不符", "fee_mismatch": "手续费不符"}
_KIND_CN = {"payment": "支付", "refund": "退款"}


def _y(s: pd.Series) -> pd.Series:
    return fen_to_yuan(s.astype("int64"), symbol="", thousands=False)


def _t(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")


def finance_pack(rec: Any, /, *, files: list[pd.DataFrame] | None = None) -> dict:
    """The finance team's pack as tables of text: tie-out, one sheet per class, pool, files.

    Pure: it computes the sheets; :func:`write_finance_pack` writes them. IDs stay text,
    money is yuan with two decimals derived from fen, headers are in Chinese.

    Parameters
    ----------
    rec : mallkit.reconcile.Reconciliation
    files : list of DataFrame, optional
        The statements as returned by the readers; their ``attrs["bill"]`` fill 原始文件.

    Returns
    -------
    dict
        Sheet name -> DataFrame of ``str``: 汇总, 渠道漏单, 平台漏单, 金额不符, 退款不符,
        重复扣款, 状态不符, 手续费不符, 跨期挂账, 原始文件.

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> from mallkit.reconcile import reconcile
    >>> m = make_sample_mall(seed=1, start="2025-11-01", end="2025-11-30", n_customers=800)
    >>> pack = finance_pack(reconcile(m["orders"], m["refunds"], m["statements"],
    ...                               start="2025-11-01", end="2025-11-30"))
    >>> list(pack)[:4], len(pack["重复扣款"])
    (['汇总', '渠道漏单', '平台漏单', '金额不符'], 3)
    >>> pack["汇总"].iloc[-1][["渠道", "日期", "平台勾稽", "渠道勾稽"]].tolist()
    ['wechat', '合计', '平', '平']
    """
    s = pd.concat([rec.summary.assign(day=rec.summary["day"].dt.strftime("%Y-%m-%d")),
                   rec.totals.assign(day="合计")], ignore_index=True)
    s = s.sort_values(["provider", "day"], kind="stable")
    tie = {True: "平", False: "不平"}
    pack = {"汇总": pd.DataFrame({
        "渠道": s["provider"], "日期": s["day"],
        "平台笔数": s["ledger_n"].astype(str), "平台金额": _y(s["ledger_fen"]),
        "渠道笔数": s["statement_n"].astype(str), "渠道金额": _y(s["statement_fen"]),
        "差额": _y(s["diff_fen"]), "已匹配笔数": s["matched_n"].astype(str),
        "已匹配金额": _y(s["matched_statement_fen"]), "异常笔数": s["exceptions_n"].astype(str),
        "平台侧异常": _y(s["exceptions_ledger_fen"]),
        "渠道侧异常": _y(s["exceptions_statement_fen"]),
        "挂账转入": _y(s["pool_in_ledger_fen"] + s["pool_in_statement_fen"]),
        "挂账转出": _y(s["pool_out_ledger_fen"] + s["pool_out_statement_fen"]),
        "交易额": _y(s["gross_fen"]), "退款": _y(s["refunds_fen"]), "手续费": _y(s["fee_fen"]),
        "净结算": _y(s["net_fen"]),
        "平台勾稽": s["ledger_ties"].map(tie), "渠道勾稽": s["statement_ties"].map(tie),
        "账单缺失": s["no_bill"].map({True: "是", False: ""}),
    }).reset_index(drop=True)}
    e = rec.exceptions
    for cls, sheet in CLASS_NAMES_ZH.items():
        x = e[e["class"] == cls]
        pack[sheet] = pd.DataFrame({
            "异常编号": x["exception_id"],  # stable across re-runs: notes can follow it
            "渠道": x["provider"], "类型": x["kind"].map(_KIND_CN),
            "商户订单号": x["merchant_order_id"].fillna(""), "退款单号": x["refund_id"].fillna(""),
            "渠道交易号": x["txn_id"].fillna(""), "平台时间": _t(x["ledger_at"]),
            "渠道时间": _t(x["statement_at"]), "平台金额": _y(x["ledger_fen"]),
            "渠道金额": _y(x["statement_fen"]), "差额": _y(x["diff_fen"]),
            "手续费": _y(x["fee_fen"]), "合同手续费": _y(x["expected_fee_fen"]),
            "手续费差额": _y(x["fee_diff_fen"]), "日期": x["day"].dt.strftime("%Y-%m-%d"),
            "超期升级": x["escalated"].map({True: "是", False: "否"}), "说明": x["note_zh"],
            # for the clerk to fill in (以平台为准 / 以渠道为准, 已处理, who, when)
            "处理依据": "", "处理状态": "未处理", "处理人": "", "处理时间": "",
        }).reset_index(drop=True)
    p = rec.pool
    pack["跨期挂账"] = pd.DataFrame({
        "方": p["side"].map({"ledger": "平台", "statement": "渠道"}), "渠道": p["provider"],
        "类型": p["kind"].map(_KIND_CN), "商户订单号": p["merchant_order_id"].fillna(""),
        "退款单号": p["refund_id"].fillna(""), "渠道交易号": p["txn_id"].fillna(""),
        "时间": _t(p["at"]), "金额": _y(p["amount_fen"]),
        "挂账起始日": p["since"].dt.strftime("%Y-%m-%d"), "账龄(天)": p["age_days"].astype(str),
        "原因": p["reason"]}).reset_index(drop=True)
    m = manifest(*(files or []))
    pack["原始文件"] = pd.DataFrame({
        "文件": m["file"], "压缩包成员": m["member"], "SHA-256": m["sha256"],
        "渠道": m["provider"], "格式": m["layout"], "行数": m["rows"].astype(str),
        "文件合计(已核对)": m["footer"],
        "余额核对": m["balance_walk_ok"].map({True: "平", False: "不平"}).fillna(""),
        "非交易行": m["other"]})
    return {k: v.astype("str") for k, v in pack.items()}


#: Pack columns holding money as yuan text (two decimals, derived from fen). In the
#: workbook each becomes a number in yuan and gains an exact integer twin "<name>(分)".
MONEY_COLUMNS = frozenset({
    "平台金额", "渠道金额", "差额", "已匹配金额", "平台侧异常", "渠道侧异常", "挂账转入",
    "挂账转出", "交易额", "退款", "手续费", "净结算", "合同手续费", "手续费差额", "金额"})
#: Pack columns holding whole numbers (counts, days) as text; numbers in the workbook.
COUNT_COLUMNS = frozenset({"平台笔数", "渠道笔数", "已匹配笔数", "异常笔数", "账龄(天)", "行数"})
_FEN = "(分)"
_EXCEL_ROWS = 1_048_576  # rows of a worksheet, the header included
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def write_finance_pack(pack: dict, path: str | Path, /, *, format: str = "xlsx") -> list[Path]:
    r"""Write a :func:`finance_pack` as an Excel workbook, a folder of CSVs or one HTML page.

    Parameters
    ----------
    pack : dict
        Sheet name -> DataFrame, as returned by :func:`finance_pack`.
    path : str or Path
        The ``.xlsx`` file (``format="xlsx"``), the folder (``"csv"``) or the ``.html``
        file (``"html"``). Missing parent folders are created.
    format : {"xlsx", "csv", "html"}, default "xlsx"
        * ``"xlsx"``: one worksheet per sheet of the pack, in order, named as in the pack.
          Money columns (:data:`MONEY_COLUMNS`) are numbers in yuan, ``fen / 100`` (the
          double nearest the exact amount), shown as ``#,##0.00`` so finance can SUM and
          filter them; each is followed at the end of the sheet by ``<name>(分)``, the
          exact integer fen, for a tie-out to the fen. Counts are numbers; IDs, dates and
          notes are text cells in text-formatted columns (a 28-digit trade number keeps
          every digit, a value starting with ``=`` is never a formula). Header row frozen,
          autofilter on, columns sized to their contents (at most 60 characters wide).
        * ``"csv"``: ``NN_<sheet>.csv`` per sheet, UTF-8 with BOM, every cell as text.
        * ``"html"``: one page, a table per sheet.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    BillFormatError
        An unknown ``format``; for ``"xlsx"``: a path that is a folder or does not end in
        ``.xlsx``, a sheet name Excel refuses (empty, over 31 characters, one of
        ``[]:*?/\``, or the same as another ignoring case) or a sheet of more rows than a
        worksheet holds (write that pack as CSV).
    MoneyError
        A money column holds text that is not an amount of yuan.
    """
    out = Path(path)
    if format == "xlsx":
        return [_write_xlsx(pack, out)]
    if format == "csv":
        out.mkdir(parents=True, exist_ok=True)
        files = []
        for i, (name, df) in enumerate(pack.items(), start=1):
            f = out / f"{i:02d}_{name}.csv"
            df.to_csv(f, index=False, encoding="utf-8-sig")
            files.append(f)
        return files
    if format == "html":
        parts = ['<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                 "<title>对账报告</title></head><body>"]
        for name, df in pack.items():
            parts.append(f"<h2>{html.escape(name)}</h2>"
                         + df.to_html(index=False, escape=True, na_rep="", border=1))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(parts) + "</body></html>", encoding="utf-8")
        return [out]
    raise BillFormatError(
        f"write_finance_pack: format must be 'xlsx', 'csv' or 'html', got {format!r}")


def _check_sheets(pack: dict, out: Path) -> None:
    """Refuse, before writing anything, what Excel would refuse or cut."""
    where = f"write_finance_pack: {out}"
    if out.is_dir() or out.suffix.lower() != ".xlsx":
        raise BillFormatError(f"{where}: an Excel pack is one file ending in .xlsx; for a "
                              "folder of CSVs pass format='csv'", path=str(out))
    seen: dict[str, str] = {}
    for name, df in pack.items():
        if (not isinstance(name, str) or not 1 <= len(name) <= 31 or _BAD_SHEET.search(name)
                or name.startswith("'") or name.endswith("'")):
            raise BillFormatError(
                f"{where}: sheet name {name!r} is not allowed in Excel (1-31 characters, none "
                "of []:*?/\\, no leading or trailing ')", path=str(out))
        if name.lower() in seen:
            raise BillFormatError(f"{where}: sheet names {seen[name.lower()]!r} and {name!r} "
                                  "are the same to Excel (it ignores case)", path=str(out))
        seen[name.lower()] = name
        if len(df) >= _EXCEL_ROWS:
            raise BillFormatError(
                f"{where}: sheet {name!r} has {len(df):,} rows; a worksheet holds "
                f"{_EXCEL_ROWS - 1:,} below its header: write this pack with format='csv'",
                path=str(out))


def _width(s: pd.Series) -> np.ndarray:
    """Display width of text cells: characters, CJK and other wide ones counted twice."""
    return (s.str.len() + s.str.count(r"[^\x00-\u2e7f]")).to_numpy(dtype=np.int64)


def _head(name: Any) -> int:
    return int(_width(pd.Series([str(name)], dtype="str"))[0])


def _typed(name: str, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str], dict[str, int]]:
    """The sheet's cells as written: money as yuan numbers (+ fen twins), counts as numbers,
    the rest as text; the kind and the display width of each column."""
    df = df.reset_index(drop=True)
    cols: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    widths: dict[str, int] = {}
    fen_cols: dict[str, np.ndarray] = {}
    for c in df.columns:
        text = df[c].astype("str").fillna("")
        w = max(_head(c), int(_width(text).max(initial=0)))
        if c in MONEY_COLUMNS:
            fen = to_fen(text, name=f"write_finance_pack: sheet {name!r} column {c!r}")
            fen = fen.to_numpy(dtype=np.int64)
            cols[c], kinds[c] = fen / 100, "yuan"
            fen_cols[f"{c}{_FEN}"] = fen
            widths[c] = w + w // 3  # room for the thousands separators
        elif c in COUNT_COLUMNS and text.str.fullmatch(r"-?\d+").all():
            cols[c], kinds[c], widths[c] = text.astype("int64").to_numpy(), "count", w
        else:
            cols[c], kinds[c], widths[c] = text, "text", w
    for c, fen in fen_cols.items():
        cols[c], kinds[c] = fen, "fen"
        widths[c] = max(_head(c), len(str(int(np.abs(fen).max(initial=0)))) + 1)
    return pd.DataFrame(cols, index=range(len(df))), kinds, widths


def _write_xlsx(pack: dict, out: Path) -> Path:
    _check_sheets(pack, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Text stays text: xlsxwriter would otherwise turn "=…" into a formula and URLs into links.
    options = {"strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False}
    with pd.ExcelWriter(out, engine="xlsxwriter", engine_kwargs={"options": options}) as xw:
        formats = {"yuan": xw.book.add_format({"num_format": "#,##0.00"}),
                   "fen": xw.book.add_format({"num_format": "0"}),
                   "count": xw.book.add_format({"num_format": "0"}),
                   "text": xw.book.add_format({"num_format": "@"})}
        for name, df in pack.items():
            cells, kinds, widths = _typed(name, df)
            cells.to_excel(xw, sheet_name=name, index=False, freeze_panes=(1, 0))
            ws = xw.sheets[name]
            # (pandas' own autofilter=True names a wrong last column beyond Z in pandas 3.1)
            ws.autofilter(0, 0, len(cells), max(len(cells.columns) - 1, 0))
            for j, c in enumerate(cells.columns):
                ws.set_column(j, j, min(widths[c] + 2, 60), formats[kinds[c]])
    return out
