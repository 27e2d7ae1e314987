"""The words of an inventory warning (库存预警): why each SKU is at its level, with the
numbers behind it, in English (``reason``) and in Chinese (``reason_zh``, the 原因 of a
Chinese report) — the same numbers in the same order.

Text for 50 k SKUs is built as Arrow string arrays, joined and cast in C, never
formatted row by row in Python. Used by :func:`mallkit.inventory.inventory_warnings`.

Examples
--------
>>> _s([1.26, 3.0, float("nan")], 1).to_pylist(), _s(2.0, 1, trim=True)
(['1.3', '3.0', 'n/a'], '2')
>>> _cat("on hand ", _s([5, 12]), " units").to_pylist()
['on hand 5 units', 'on hand 12 units']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _pa(x: Any) -> Any:
    """A text part for :func:`_cat`: a Python str stays a scalar, arrays become arrow."""
    if isinstance(x, str | pa.Array | pa.ChunkedArray):
        return x
    return pa.array(np.asarray(x).astype(str))


def _s(x: Any, decimals: int = 0, *, trim: bool = False) -> Any:
    """Numbers as text with ``decimals`` places (``trim``: drop a zero fraction), cast by
    arrow in C rather than formatted one by one in Python; a scalar gives a str."""
    if np.ndim(x) == 0:
        return _s([x], decimals, trim=trim)[0].as_py()
    x = np.asarray(x, dtype="float64")
    fin = np.isfinite(x)
    scale = 10**decimals
    q = np.rint(np.abs(np.where(fin, x, 0.0)) * scale).astype(np.int64)
    out = pc.cast(pa.array(q // scale), pa.string())
    if decimals:
        frac = pc.utf8_lpad(pc.cast(pa.array(q % scale), pa.string()), decimals, "0")
        full = pc.binary_join_element_wise(out, ".", frac, "")
        out = pc.if_else(pa.array(trim & (q % scale == 0)), out, full)
    out = pc.if_else(pa.array((x < 0) & (q > 0)), pc.binary_join_element_wise("-", out, ""),
                     out)
    bad = pc.if_else(pa.array(np.isinf(x)), "∞", "n/a")
    return pc.if_else(pa.array(fin), out, bad)


def _iso(dates: pd.Series) -> pa.Array:
    """YYYY-MM-DD text of dates ("" for NaT)."""
    d = dates.to_numpy(dtype="datetime64[D]")
    return pa.array(np.where(np.isnat(d), "", d.astype(str)))


def _cat(*parts: Any) -> pa.Array:
    """Join text parts element-wise (arrays of one length and str scalars)."""
    return pc.binary_join_element_wise(*(_pa(p) for p in parts), "")


def _select(conds: list[np.ndarray], choices: list[Any], default: Any) -> pa.Array:
    """np.select for arrow text: the first true condition wins."""
    out = _pa(default)
    for c, v in zip(reversed(conds), reversed(choices), strict=True):
        out = pc.if_else(pa.array(np.asarray(c, dtype=bool)), _pa(v), out)
    return out


def _reasons(w: pd.DataFrame, review: float, overstock_days: float, slow_days: int,
             window_days: int, occ_src: np.ndarray) -> np.ndarray:
    lv = w["level"].to_numpy()
    oh = w["on_hand"].to_numpy(dtype="float64", na_value=np.nan)
    oo = w["on_order"].to_numpy(dtype="float64", na_value=np.nan)
    pos = _cat("on hand ", _s(oh), " + on order ", _s(oo))
    covers = _cat(pos, " covers ", _s(w["position_cover_days"], 1), " d")
    need = _cat("; lead time ", _s(w["lead_time_days"], 1, trim=True), " d + review ",
                _s(review, 1, trim=True), " d need ", _s(np.ceil(w["reorder_point"])), " (demand ",
                _s(w["lead_time_demand"], 1), " + safety ", _s(w["safety_stock"], 1),
                " at ", _s(w["service_level"] * 100), "% service)")
    occ = w["occasion"].to_numpy()
    has = pd.notna(occ)
    date = pc.utf8_slice_codeunits(_iso(w["occasion_date"]), 5)  # MM-DD
    ev = pc.if_else(pa.array(has), _cat(", incl. ", occ.astype(str), " on ", date, " ×",
                                        _s(w["occasion_uplift"], 1),
                                        occ_src.astype(str)), "")
    q = w["suggested_qty"].to_numpy()
    order = _select([q > 0, oo > 0],
                    [_cat("; order ", _s(q), " (MOQ ", _s(w["moq"].to_numpy(
                        dtype="float64", na_value=np.nan)), ", case ", _s(w["case_pack"].to_numpy(
                            dtype="float64", na_value=np.nan)), ")"),
                     "; open orders cover it: expedite them"],
                    "; no demand expected: no order suggested")
    unknown_d = w["notes"].str.contains("demand unknown", regex=False).to_numpy()
    last = _iso(w["last_sale"])
    below = (w["position"] <= w["reorder_point"]).to_numpy(dtype=bool, na_value=False)
    slow_rop = _select([below], [_cat("; at or below the reorder point ",
                                      _s(np.ceil(w["reorder_point"])),
                                      ", yet no order suggested: check before buying")], "")
    slow_txt = _select([pd.isna(w["last_sale"]).to_numpy()],
                       [_cat("no sale in the data; ", pos, slow_rop)],
                       _cat("no sale for ", _s(w["days_since_sale"]), " d (last ", last,
                            ", threshold ", str(slow_days), " d); ", pos, slow_rop))
    per_day = _s(w["demand_per_day"], 2)
    return _select(
        [lv == "unknown_sku", lv == "no_stock_record", (lv == "stockout") & unknown_d,
         lv == "stockout", lv == "below_safety", lv == "reorder", lv == "slow_moving",
         lv == "overstock"],
        [_cat("not in products (no lead time, MOQ or case pack); ", pos),
         "no inventory row on as_of: stock unknown",
         _cat("out of stock: on hand 0 + on order ", _s(oo), "; never in stock in ",
              str(window_days), " d, demand unknown: check the listing"),
         _cat("out of stock: ", covers, need, ev, order),
         _cat("on hand ", _s(oh), " < safety stock ", _s(w["safety_stock"], 1), "; ",
              covers, need, ev, order),
         _cat(covers, need, ev, order),
         slow_txt,
         _cat(covers, " > ", _s(overstock_days, 1, trim=True), " d at ", per_day, " units/d")],
        _cat(covers, need, ev))


def _reasons_zh(w: pd.DataFrame, review: float, overstock_days: float, slow_days: int,
                window_days: int, occ_src: np.ndarray) -> pa.Array:
    """The same reasons in Chinese, with the same numbers (the Chinese report's 原因)."""
    lv = w["level"].to_numpy()
    oh = w["on_hand"].to_numpy(dtype="float64", na_value=np.nan)
    oo = w["on_order"].to_numpy(dtype="float64", na_value=np.nan)
    rop = _s(np.ceil(w["reorder_point"]))
    pos = _cat("在库 ", _s(oh), " + 在途 ", _s(oo))
    covers = _cat(pos, "，可售 ", _s(w["position_cover_days"], 1), " 天")
    need = _cat("；提前期 ", _s(w["lead_time_days"], 1, trim=True), " 天 + 补货周期 ",
                _s(review, 1, trim=True), " 天，需 ", rop, "（需求 ",
                _s(w["lead_time_demand"], 1), " + 安全库存 ", _s(w["safety_stock"], 1),
                "，服务水平 ", _s(w["service_level"] * 100), "%）")
    has = pd.notna(w["occasion"].to_numpy())
    ev = pc.if_else(pa.array(has), _cat(
        "，含 ", w["occasion"].to_numpy().astype(str), " ",
        pc.utf8_slice_codeunits(_iso(w["occasion_date"]), 5), " ×",
        _s(w["occasion_uplift"], 1), np.where(occ_src != "", "（按以往同类活动估计）", "")), "")
    q = w["suggested_qty"].to_numpy()
    order = _select([q > 0, oo > 0],
                    [_cat("；建议下单 ", _s(q), "（起订量 ", _s(w["moq"].to_numpy(
                        dtype="float64", na_value=np.nan)), "，箱规 ", _s(w["case_pack"].to_numpy(
                            dtype="float64", na_value=np.nan)), "）"),
                     "；在途订单可覆盖：请催货"],
                    "；预计无需求：不建议下单")
    unknown_d = w["notes"].str.contains("demand unknown", regex=False).to_numpy()
    below = (w["position"] <= w["reorder_point"]).to_numpy(dtype=bool, na_value=False)
    slow_rop = _select(
        [below], [_cat("；已到或低于再订货点 ", rop, "，但未建议下单：采购前请核实")], "")
    slow_txt = _select([pd.isna(w["last_sale"]).to_numpy()],
                       [_cat("数据中无销售；", pos, slow_rop)],
                       _cat(_s(w["days_since_sale"]), " 天无销售（最近 ", _iso(w["last_sale"]),
                            "，阈值 ", str(slow_days), " 天）；", pos, slow_rop))
    return _select(
        [lv == "unknown_sku", lv == "no_stock_record", (lv == "stockout") & unknown_d,
         lv == "stockout", lv == "below_safety", lv == "reorder", lv == "slow_moving",
         lv == "overstock"],
        [_cat("商品表中无此 SKU（无提前期、起订量、箱规）；", pos),
         "as_of 当天无库存记录：库存未知",
         _cat("缺货：在库 0 + 在途 ", _s(oo), "；近 ", str(window_days),
              " 天从未有货，需求未知：请检查商品链接"),
         _cat("缺货：", covers, need, ev, order),
         _cat("在库 ", _s(oh), " < 安全库存 ", _s(w["safety_stock"], 1), "；", covers, need,
              ev, order),
         _cat(covers, need, ev, order),
         slow_txt,
         _cat(covers, " > ", _s(overstock_days, 1, trim=True), " 天（日均 ",
              _s(w["demand_per_day"], 2), " 件）")],
        _cat(covers, need, ev))
