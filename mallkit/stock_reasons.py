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

import string
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


#: The words of each part of a reason, per language; ``{name}`` is a number (or an
#: earlier part) filled in by :func:`_reasons`. Both languages carry the same numbers in
#: the same order, so a reader can check one against the other.
WORDS = {
    "en": {
        "pos": "on hand {oh} + on order {oo}",
        "covers": "{pos} covers {cover} d",
        "need": "; lead time {lt} d + review {review} d need {rop} (demand {ltd} + safety "
                "{ss} at {sl}% service)",
        "ev": ", incl. {occ} on {occ_date} ×{occ_up}{occ_src}",
        "order": "; order {q} (MOQ {moq}, case {case})",
        "expedite": "; open orders cover it: expedite them",
        "no_order": "; no demand expected: no order suggested",
        "slow_rop": "; at or below the reorder point {rop}, yet no order suggested: check "
                    "before buying",
        "never_sold": "no sale in the data; {pos}{slow_rop}",
        "slow": "no sale for {days_since} d (last {last}, threshold {slow_days} d); "
                "{pos}{slow_rop}",
        "unknown_sku": "not in products (no lead time, MOQ or case pack); {pos}",
        "no_stock_record": "no inventory row on as_of: stock unknown",
        "never_in_stock": "out of stock: on hand 0 + on order {oo}; never in stock in "
                          "{window_days} d, demand unknown: check the listing",
        "stockout": "out of stock: {covers}{need}{ev}{order}",
        "below_safety": "on hand {oh} < safety stock {ss}; {covers}{need}{ev}{order}",
        "reorder": "{covers}{need}{ev}{order}",
        "overstock": "{covers} > {over_days} d at {per_day} units/d",
        "ok": "{covers}{need}{ev}",
    },
    "zh": {
        "pos": "在库 {oh} + 在途 {oo}",
        "covers": "{pos}，可售 {cover} 天",
        "need": "；提前期 {lt} 天 + 补货周期 {review} 天，需 {rop}（需求 {ltd} + 安全库存 {ss}，"
                "服务水平 {sl}%）",
        "ev": "，含 {occ} {occ_date} ×{occ_up}{occ_src_zh}",
        "order": "；建议下单 {q}（起订量 {moq}，箱规 {case}）",
        "expedite": "；在途订单可覆盖：请催货",
        "no_order": "；预计无需求：不建议下单",
        "slow_rop": "；已到或低于再订货点 {rop}，但未建议下单：采购前请核实",
        "never_sold": "数据中无销售；{pos}{slow_rop}",
        "slow": "{days_since} 天无销售（最近 {last}，阈值 {slow_days} 天）；{pos}{slow_rop}",
        "unknown_sku": "商品表中无此 SKU（无提前期、起订量、箱规）；{pos}",
        "no_stock_record": "as_of 当天无库存记录：库存未知",
        "never_in_stock": "缺货：在库 0 + 在途 {oo}；近 {window_days} 天从未有货，需求未知："
                          "请检查商品链接",
        "stockout": "缺货：{covers}{need}{ev}{order}",
        "below_safety": "在库 {oh} < 安全库存 {ss}；{covers}{need}{ev}{order}",
        "reorder": "{covers}{need}{ev}{order}",
        "overstock": "{covers} > {over_days} 天（日均 {per_day} 件）",
        "ok": "{covers}{need}{ev}",
    },
}


def _fill(template: str, vals: dict) -> Any:
    """A template of :data:`WORDS` with its ``{name}`` parts taken from ``vals``."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name is not None:
            parts.append(vals[name])
    return _cat(*parts) if len(parts) > 1 else _pa(parts[0])


def _reasons(w: pd.DataFrame, review: float, overstock_days: float, slow_days: int,
             window_days: int, occ_src: np.ndarray, *, lang: str = "en") -> pa.Array:
    """Why each SKU of ``w`` is at its level, with the numbers, in ``lang`` (en / zh)."""
    words = WORDS[lang]
    lv = w["level"].to_numpy()
    oh = w["on_hand"].to_numpy(dtype="float64", na_value=np.nan)
    oo = w["on_order"].to_numpy(dtype="float64", na_value=np.nan)
    q = w["suggested_qty"].to_numpy()
    v = {
        "oh": _s(oh), "oo": _s(oo), "cover": _s(w["position_cover_days"], 1),
        "lt": _s(w["lead_time_days"], 1, trim=True), "review": _s(review, 1, trim=True),
        "rop": _s(np.ceil(w["reorder_point"])), "ltd": _s(w["lead_time_demand"], 1),
        "ss": _s(w["safety_stock"], 1), "sl": _s(w["service_level"] * 100),
        "occ": w["occasion"].to_numpy().astype(str),
        "occ_date": pc.utf8_slice_codeunits(_iso(w["occasion_date"]), 5),  # MM-DD
        "occ_up": _s(w["occasion_uplift"], 1), "occ_src": occ_src.astype(str),
        "occ_src_zh": np.where(occ_src != "", "（按以往同类活动估计）", ""),
        "q": _s(q), "moq": _s(w["moq"].to_numpy(dtype="float64", na_value=np.nan)),
        "case": _s(w["case_pack"].to_numpy(dtype="float64", na_value=np.nan)),
        "days_since": _s(w["days_since_sale"]), "last": _iso(w["last_sale"]),
        "slow_days": str(slow_days), "window_days": str(window_days),
        "over_days": _s(overstock_days, 1, trim=True), "per_day": _s(w["demand_per_day"], 2),
    }
    for part in ("pos", "covers", "need"):  # each builds on the ones before
        v[part] = _fill(words[part], v)
    v["ev"] = pc.if_else(pa.array(pd.notna(w["occasion"].to_numpy())),
                         _fill(words["ev"], v), "")
    v["order"] = _select([q > 0, oo > 0], [_fill(words["order"], v), words["expedite"]],
                         words["no_order"])
    below = (w["position"] <= w["reorder_point"]).to_numpy(dtype=bool, na_value=False)
    v["slow_rop"] = _select([below], [_fill(words["slow_rop"], v)], "")
    slow = _select([pd.isna(w["last_sale"]).to_numpy()], [_fill(words["never_sold"], v)],
                   _fill(words["slow"], v))
    unknown_d = w["notes"].str.contains("demand unknown", regex=False).to_numpy()
    return _select(
        [lv == "unknown_sku", lv == "no_stock_record", (lv == "stockout") & unknown_d,
         lv == "stockout", lv == "below_safety", lv == "reorder", lv == "slow_moving",
         lv == "overstock"],
        [*(_fill(words[k], v) for k in ("unknown_sku", "no_stock_record", "never_in_stock",
                                        "stockout", "below_safety", "reorder")),
         slow, _fill(words["overstock"], v)],
        _fill(words["ok"], v))
