"""What the report notebooks show: reader's tables and the helpers of their sections.

Each function turns a result of an analytics module into what a manager reads: money in
yuan, shares in %, intervals as ``low … high``, Chinese headers when ``lang="zh"`` (and a
CJK font is installed, see :mod:`mallkit.fonts`), no index. Nothing here computes a
business figure; the numbers come from the analytics modules unchanged.

Examples
--------
>>> import pandas as pd
>>> from mallkit.sections import table
>>> df = pd.DataFrame({"channel": ["web"], "gmv_fen": [123450], "share": [0.25]})
>>> table(df, lang="en").data.to_dict("records")
[{'channel': 'web', 'gmv': '¥1,234.50', 'share': '25.0%'}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mallkit import calendar as mcal
from mallkit.errors import ReportError

__all__ = [
    "kpi_notes",
    "kpi_table",
    "pace_table",
    "promo_table",
    "recon_tables",
    "stock_tables",
    "table",
    "target_lines",
    "unavailable",
    "whatif_figures",
    "whatif_scheme",
    "whatif_sliders",
    "whatif_table",
    "whatif_window",
]


def _as_of(text) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except ValueError:
        raise ReportError(f"as_of must be a date like 2026-11-20, got {text!r}") from None

# ------------------------------------------------------------------ tables for readers
_KPI_NAMES = {
    "gmv_fen": ("Paid GMV", "支付 GMV"),
    "net_gmv_fen": ("Net GMV (after refunds)", "净 GMV（扣退款）"),
    "refunds_fen": ("Refunds", "退款金额"), "orders": ("Paid orders", "支付订单数"),
    "buyers": ("Buyers", "支付买家数"), "uv": ("UV", "访客数 UV"),
    "conversion": ("Conversion", "转化率"), "aov_fen": ("AOV per buyer", "客单价"),
    "order_value_fen": ("Value per order", "笔单价"), "refund_rate": ("Refund rate", "退款率"),
    "new_customer_share": ("New-customer share", "新客占比"),
    "repeat_buyer_rate": ("Repeat-buyer rate", "复购率"),
}
_PCT = {"conversion", "refund_rate", "new_customer_share", "repeat_buyer_rate"}


def _fmt(metric: str, v: float) -> str:
    if pd.isna(v):
        return "–"
    if metric in _PCT:
        return f"{v:.2%}"
    if metric.endswith("_fen"):
        return f"¥{v / 100:,.0f}" if abs(v) >= 100_000 else f"¥{v / 100:,.2f}"
    return f"{v:,.0f}"


def kpi_table(summary, /, *, channel: str = "all", lang: str = "zh") -> pd.DataFrame:
    """A reader's table of :class:`mallkit.metrics.KPISummary`: formatted values and changes."""
    from mallkit.fonts import label

    w = summary.wide(channel)
    cols = {"value": ("This period", "本期"), "prev": ("Previous", "上期"),
            "pop_change": ("vs previous", "环比"), "last_year": ("Last year", "去年同期"),
            "yoy_change": ("vs last year", "同比")}
    out = pd.DataFrame(index=[label(*_KPI_NAMES[m], lang=lang) for m in w.index])
    for c, names in cols.items():
        if c not in w.columns:
            continue
        vals = w[c].to_numpy()
        if c.endswith("change"):
            out[label(*names, lang=lang)] = ["–" if pd.isna(v) else f"{v:+.1%}" for v in vals]
        else:
            out[label(*names, lang=lang)] = [_fmt(m, v) for m, v in zip(w.index, vals, strict=True)]
    return out


_WINDOWS = {"current": ("This period", "本期"), "prev": ("Previous", "上期"),
            "yoy": ("Last year (364 days earlier, same weekdays)",
                    "去年同期（前推 364 天，星期对齐）")}


def kpi_notes(summary, /, *, lang: str = "zh") -> str:
    """Markdown for under the KPI table: the days each column covers, then the notes
    (events in each window, windows without UV or orders)."""
    from mallkit.fonts import label

    out = [f"- {label(*_WINDOWS[w], lang=lang)}: {s.date()} – {e.date()}"
           for w, s, e in summary.periods.itertuples(index=False)]
    col = "note_zh" if lang == "zh" else "note"
    out += [f"- {label(*_WINDOWS[w], lang=lang).split('（')[0].split(' (')[0]}: {n}"
            for w, n in zip(summary.notes["window"], summary.notes[col], strict=True)]
    return "\n".join(out)


def unavailable(mall: dict, table: str, /, *, lang: str = "zh", rows: pd.DataFrame | None = None,
                what: str = "") -> bool:
    """Whether a report section has nothing to show, displaying a one-line note if so.

    True when the mall has no ``table`` (or an empty one), or when ``rows`` — the part
    of it the section would use (``what`` says which, e.g. ``"2025 / 2025-11"``) — is
    empty. A mall folder need not hold targets, promotions, inventory or statements.
    """
    from IPython.display import Markdown, display

    from mallkit.fonts import label

    if table not in mall or len(mall[table]) == 0:
        text = label(f"No {table} table in the data ({table}.parquet or {table}.csv): "
                     "section skipped.",
                     f"数据中没有 {table} 表（{table}.parquet 或 {table}.csv），本节略过。",
                     lang=lang)
    elif rows is not None and len(rows) == 0:
        text = label(f"The {table} table has nothing for {what}: section skipped.",
                     f"{table} 表中没有 {what} 的数据，本节略过。", lang=lang)
    else:
        return False
    display(Markdown(f"*{text}*"))
    return True


_COLUMN_NAMES = {
    "channel": "渠道", "category": "品类", "sku": "SKU", "rank": "排名", "gmv_fen": "GMV",
    "units": "件数", "orders": "订单数", "buyers": "买家数", "share": "占比",
}


def table(df: pd.DataFrame, /, *, lang: str = "zh"):
    """A reader's table: ``*_fen`` columns in yuan (``¥1,234.50``), shares in %, no index.

    Column names are translated when ``lang="zh"`` (``gmv_fen`` → GMV, ``share`` → 占比).
    Returns a pandas Styler for display in a notebook.
    """
    from mallkit.money import fen_to_yuan

    out = df.copy()
    for c in out.columns:
        if str(c).endswith("_fen") and pd.api.types.is_integer_dtype(out[c].dtype):
            out[c] = fen_to_yuan(out[c])
        elif c == "share" or str(c).endswith("_rate"):
            out[c] = out[c].map(lambda v: "–" if pd.isna(v) else f"{v:.1%}")
    if lang == "zh":
        out = out.rename(columns=_COLUMN_NAMES)
    else:
        out = out.rename(columns=lambda c: c.removesuffix("_fen"))
    return out.style.hide(axis="index")


# ------------------------------------------------------------------ the what-if notebook
_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5)


def whatif_scheme(mechanic: str, /, *, threshold_yuan: float, reduction_yuan: float,
                  rate: float, claim_rate: float) -> tuple[dict, dict, tuple]:
    """Turn the what-if notebook's parameters into a scheme, a grid around it and its axes.

    Returns ``(params, grid, (x, y))`` for :func:`mallkit.roi.simulate_promotion` and
    :func:`mallkit.plots.roi_surface`: the grid varies the scheme's two levers by
    ×0.5 … ×1.5 (amounts rounded to whole yuan), so the reader sees the neighbourhood of
    the proposed scheme, not only the point. A one-lever scheme (第二件半价) has ``y=None``.

    Examples
    --------
    >>> params, grid, axes = whatif_scheme("full_reduction", threshold_yuan=199,
    ...                                    reduction_yuan=30, rate=0.9, claim_rate=1.0)
    >>> params, axes
    ({'threshold_fen': 19900, 'reduction_fen': 3000}, ('reduction_fen', 'threshold_fen'))
    >>> grid["reduction_fen"]
    [1500, 2200, 3000, 3800, 4500]
    """
    from mallkit.money import to_fen

    thr, red = to_fen(f"{threshold_yuan:.2f}"), to_fen(f"{reduction_yuan:.2f}")

    def around(v: int) -> list[int]:  # the proposal itself is always a grid point
        return sorted({v} | {max(100, round(v * k / 100) * 100) for k in _STEPS})

    if mechanic in ("full_reduction", "coupon"):
        params = {"threshold_fen": thr, "reduction_fen": red}
        if mechanic == "coupon":
            params["claim_rate"] = claim_rate
        return params, {"threshold_fen": around(thr), "reduction_fen": around(red)}, (
            "reduction_fen", "threshold_fen")
    if mechanic == "per_full_reduction":
        return ({"step_fen": thr, "reduction_fen": red},
                {"step_fen": around(thr), "reduction_fen": around(red)},
                ("reduction_fen", "step_fen"))
    if mechanic == "percent_off":
        near = {round(min(0.99, max(0.5, rate + d)), 2) for d in (-0.1, -0.05, 0.05)}
        rates = sorted({rate} | near)
        return ({"rate": rate, "min_qty": 2}, {"rate": rates, "min_qty": [1, 2, 3]},
                ("rate", "min_qty"))
    if mechanic == "second_half_price":
        return {"rate": 0.5}, {"rate": [0.3, 0.4, 0.5, 0.6, 0.7]}, ("rate", None)
    raise ReportError(f"what-if: mechanic {mechanic!r} is not offered; choose full_reduction, "
                      "per_full_reduction, coupon, percent_off or second_half_price")


def whatif_window(mall: dict, /, *, start: str = "", end: str = "",
                  days: int = 14) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp,
                                           pd.Timestamp, str]:
    """The proposed campaign's days and the days whose baskets are its baseline.

    The campaign runs ``start`` .. ``end`` (empty ``start``: the day after the data end;
    empty ``end``: ``days`` days from ``start``). The baseline is as many days as the
    campaign, just before it (at the latest the data's last days), so units, GMV, costs
    and the budget check are for the whole campaign. The note names the calendar events
    in the campaign, whose extra demand an ordinary-day baseline does not carry.

    Returns ``(start, end, baseline_start, baseline_end, note)``.

    Examples
    --------
    >>> import pandas as pd
    >>> mall = {"orders": pd.DataFrame({"created_at": pd.to_datetime(
    ...     ["2025-09-01 10:00", "2025-11-30 20:00"])})}
    >>> s, e, bs, be, note = whatif_window(mall, start="2025-12-10", end="2025-12-12")
    >>> [str(d.date()) for d in (s, e, bs, be)], note
    (['2025-12-10', '2025-12-12', '2025-11-28', '2025-11-30'], 'events in the campaign: 双12')
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ReportError(f"what-if: days must be a whole number >= 1, got {days!r}")
    created = mall["orders"]["created_at"]
    first, last = created.min().normalize(), created.max().normalize()
    s = _as_of(start) if start else last + pd.Timedelta(days=1)
    e = _as_of(end) if end else s + pd.Timedelta(days=days - 1)
    if e < s:
        raise ReportError(f"what-if: campaign end {e.date()} is before its start {s.date()}")
    n = e - s + pd.Timedelta(days=1)
    base_end = min(s - pd.Timedelta(days=1), last)
    base_start = base_end - n + pd.Timedelta(days=1)
    if base_start < first:
        raise ReportError(f"what-if: a {n.days}-day campaign needs {n.days} days of baseline "
                          f"({base_start.date()}..{base_end.date()}), but the data start on "
                          f"{first.date()}")
    ev = mcal.events(s, e)
    note = f"events in the campaign: {', '.join(dict.fromkeys(ev['event']))}" if len(ev) else ""
    return s, e, base_start, base_end, note


#: What-if parameters each mechanic reads (the others are ignored by it).
_LEVERS = {"full_reduction": ("threshold_yuan", "reduction_yuan"),
           "per_full_reduction": ("threshold_yuan", "reduction_yuan"),
           "coupon": ("threshold_yuan", "reduction_yuan", "claim_rate"),
           "percent_off": ("rate",), "second_half_price": ()}


def whatif_sliders(mechanic: str, /, **values: float) -> dict:
    """ipywidgets sliders for the levers ``mechanic`` uses, starting at ``values``.

    满减 / 每满减 get threshold and reduction, a coupon also its claim rate, 满折 its
    rate; 第二件半价 has none (an empty dict).
    """
    import ipywidgets as w

    if mechanic not in _LEVERS:
        whatif_scheme(mechanic, threshold_yuan=0, reduction_yuan=0, rate=1, claim_rate=1)
    v = values
    make = {
        "threshold_yuan": lambda: w.FloatSlider(value=v["threshold_yuan"], min=0,
                                                max=max(10.0, v["threshold_yuan"] * 3), step=10),
        "reduction_yuan": lambda: w.FloatSlider(value=v["reduction_yuan"], min=1,
                                                max=max(10.0, v["reduction_yuan"] * 3), step=1),
        "rate": lambda: w.FloatSlider(value=v["rate"], min=0.5, max=0.99, step=0.01),
        "claim_rate": lambda: w.FloatSlider(value=v["claim_rate"], min=0.05, max=1.0,
                                            step=0.05),
    }
    return {k: make[k]() for k in _LEVERS[mechanic]}


def _yuan(v: float) -> str:
    return "–" if pd.isna(v) else f"{'-' if v < 0 else ''}¥{abs(v) / 100:,.0f}"


def whatif_table(sim, /, *, params: dict | None = None, lang: str = "zh"):
    """A reader's table of a :class:`mallkit.roi.Simulation`: one row per scheme.

    With ``params``, only the proposed scheme's row. Money in yuan, lifts and iROI in %,
    intervals as ``low … high``.
    """
    from mallkit.fonts import label

    t = sim.table
    levers = [k for k in t.columns if k in ("threshold_fen", "step_fen", "reduction_fen",
                                            "rate", "min_qty")]
    if params is not None:
        hit = np.ones(len(t), dtype=bool)
        for k in levers:
            hit &= np.isclose(t[k].astype(float), float(params[k]))
        if not hit.any():
            raise ReportError(f"what-if: the proposed scheme {params} is not in the grid")
        t = t[hit].head(1)
    out = pd.DataFrame(index=t.index)
    for k in levers:
        out[k.removesuffix("_fen")] = t[k].map(_yuan) if k.endswith("_fen") else t[k]

    def rng(col, fmt):
        return [f"{fmt(v)} ({fmt(lo)} … {fmt(hi)})" for v, lo, hi in
                zip(t[col], t[f"{col}_lower"], t[f"{col}_upper"], strict=True)]

    pct = lambda v: "–" if pd.isna(v) else f"{v:+.0%}"  # noqa: E731
    cols = [(("units", "预计件数"), t["units"].map(lambda v: f"{v:,.0f}")),
            (("unit lift", "件数提升"), t["unit_lift"].map(pct)),
            (("GMV", "GMV"), t["gmv_fen"].map(_yuan)),
            (("promo cost", "促销成本"), t["promo_cost_fen"].map(_yuan)),
            (("incremental profit (interval)", "增量利润（区间）"),
             rng("incremental_profit_fen", _yuan)),
            (("net iROI (interval)", "净 iROI（区间）"), rng("net_iroi", pct)),
            (("within budget", "预算内"), t["within_budget"].map({True: "✓", False: "✗"}))]
    for (en, zh), values in cols:
        out[label(en, zh, lang=lang)] = list(values)
    return out.style.hide(axis="index")


def whatif_figures(sim, params: dict, /) -> dict:
    """The proposed scheme's headline figures, for :func:`record`."""
    t = sim.table
    hit = np.ones(len(t), dtype=bool)
    for k in params:
        if k in t.columns and k != "claim_rate":
            hit &= np.isclose(t[k].astype(float), float(params[k]))
    row = t[hit].iloc[0]
    keep = ("units", "gmv_fen", "promo_cost_fen", "incremental_profit_fen",
            "incremental_profit_fen_lower", "incremental_profit_fen_upper", "net_iroi",
            "net_iroi_lower", "net_iroi_upper", "unit_lift", "within_budget")
    return {k: row[k] for k in keep}


# ------------------------------------------------------------------ report sections
def target_lines(targets: pd.DataFrame, end: pd.Timestamp, /) -> pd.DataFrame:
    """The target lines a report paces: the year and the month containing ``end``."""
    year, month = str(end.year), f"{end.year}-{end.month:02d}"
    return targets[targets["period"].isin([year, month])]


_PACE_COLUMNS = {
    "period": ("period", "周期"), "key": ("line", "目标"), "target_fen": ("target", "目标额"),
    "actual_fen": ("actual", "完成额"), "achievement": ("achievement", "达成率"),
    "time_progress": ("time elapsed", "时间进度"),
    "expected_share": ("expected (event-aware)", "应完成进度"),
    "pace_index": ("pace index", "进度指数"),
    "required_daily_flat_fen": ("needed per day", "剩余日均需"),
    "landing_model_fen": ("landing", "预计落地"), "p_hit": ("P(hit)", "达成概率"),
    "flags": ("flags", "提示"),
}


#: :func:`mallkit.targets.pacing` flags in the words of a Chinese report.
PACE_FLAGS_ZH = {
    "not_started": "未开始", "closed": "已结束", "early_period": "期初（天数少）",
    "no_actuals": "尚无销售", "incomplete_actuals": "数据不全", "short_history": "历史太短",
    "poor_fit": "模型拟合差", "not_converged": "模型未收敛", "unseen_events": "含未见过的活动",
    "flat_weights": "按天平均",
}


def pace_table(pace, /, *, lang: str = "zh"):
    """A reader's table of :func:`mallkit.targets.pacing`: 达成率, pace, landing with interval.

    Examples
    --------
    >>> days = pd.date_range("2026-11-01", "2026-11-10")
    >>> act = pd.DataFrame({"date": days, "gmv_fen": 1000})
    >>> tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
    ...                    "target_fen": [30_000]})
    >>> from mallkit.pacing import pacing
    >>> t = pace_table(pacing(act, tg, as_of="2026-11-11", model=None), lang="zh").data
    >>> t.iloc[0, -1]  # 提示 (flags): no history before the month, so a flat daily plan
    '按天平均'
    """
    from mallkit.fonts import label

    s = pace.summary
    out = pd.DataFrame(index=s.index)
    for col, names in _PACE_COLUMNS.items():
        v = s[col]
        if col.endswith("_fen") and col != "landing_model_fen":
            v = v.map(_yuan)
        elif col == "landing_model_fen":
            v = [f"{_yuan(m)} ({_yuan(lo)} … {_yuan(hi)})" if pd.notna(m) else "–"
                 for m, lo, hi in zip(s[col], s["landing_lo_fen"], s["landing_hi_fen"],
                                      strict=True)]
        elif col in ("achievement", "time_progress", "expected_share", "p_hit"):
            v = v.map(lambda x: "–" if pd.isna(x) else f"{x:.1%}")
        elif col == "pace_index":
            v = v.map(lambda x: "–" if pd.isna(x) else f"{x:.2f}")
        elif col == "flags" and lang == "zh":
            v = v.fillna("").map(lambda f: "；".join(PACE_FLAGS_ZH.get(x, x)
                                                    for x in f.split(";") if x))
        out[label(*names, lang=lang)] = list(v)
    return out.style.hide(axis="index")


def promo_table(review: pd.DataFrame, /, *, lang: str = "zh"):
    """A reader's table of :func:`mallkit.roi.promotion_review`."""
    from mallkit.fonts import label

    if review.empty:
        return pd.DataFrame({label("promotions", "促销", lang=lang): [
            label("No promotion ran in this period.", "本期无促销活动。", lang=lang)]}
        ).style.hide(axis="index")

    def pct(v):
        return "–" if pd.isna(v) else f"{v:+.0%}"

    def ratio(v):
        return "–" if pd.isna(v) else f"{v:.2f}"

    r = review
    out = pd.DataFrame({
        label("promotion", "活动", lang=lang): r["name"],
        label("days", "天数", lang=lang): r["days"],
        label("lift (95 % interval)", "增量（95% 区间）", lang=lang): [
            f"{pct(v)} ({pct(lo)} … {pct(hi)})" for v, lo, hi in
            zip(r["lift"], r["lift_lower"], r["lift_upper"], strict=True)],
        label("dip after", "活动后回落", lang=lang): r["post_dip"].map(pct),
        label("incremental profit", "增量利润", lang=lang): [
            f"{_yuan(v)} ({_yuan(lo)} … {_yuan(hi)})" for v, lo, hi in
            zip(r["incremental_profit_fen"], r["incremental_profit_lower_fen"],
                r["incremental_profit_upper_fen"], strict=True)],
        label("promo cost", "促销成本", lang=lang): r["promo_cost_fen"].map(_yuan),
        "iROI": r["iroi"].map(ratio),
        label("net iROI", "净 iROI", lang=lang): r["net_iroi"].map(ratio),
        label("ROAS (GMV/ads)", "ROAS（GMV/广告费）", lang=lang): r["roas"].map(ratio),
        label("note", "说明", lang=lang): r["note_zh" if lang == "zh" else "note"].fillna(""),
    })
    return out.style.hide(axis="index")


def recon_tables(rec, /, *, lang: str = "zh") -> tuple:
    """Reader's tables of a :class:`mallkit.reconcile.Reconciliation`: status per gateway
    (ledger vs statement, matched, exceptions, carried forward, ties) and the open
    exceptions with their explanation."""
    from mallkit.fonts import label
    from mallkit.money import fen_to_yuan

    def y(v):  # to the fen: a reconciliation difference is often 1 fen
        return fen_to_yuan(int(v))

    t = rec.totals
    nb = rec.summary[rec.summary["no_bill"]]
    status = pd.DataFrame({
        label("gateway", "渠道", lang=lang): t["provider"],
        label("ledger", "账面", lang=lang): [f"{n:,} / {y(v)}" for n, v in
                                            zip(t["ledger_n"], t["ledger_fen"], strict=True)],
        label("statement", "对账单", lang=lang): [
            f"{n:,} / {y(v)}" for n, v in zip(t["statement_n"], t["statement_fen"],
                                              strict=True)],
        label("matched", "已勾对", lang=lang): t["matched_n"].map("{:,}".format),
        label("exceptions", "差异笔数", lang=lang): t["exceptions_n"],
        label("carried forward", "挂账", lang=lang): t["pool_out_n"],
        label("fees", "手续费", lang=lang): t["fee_fen"].map(y),
        label("net settled", "净入账", lang=lang): t["net_fen"].map(y),
        label("ties out", "轧平", lang=lang): [
            "✓" if a and b else "✗" for a, b in zip(t["ledger_ties"], t["statement_ties"],
                                                   strict=True)],
        # days the mall expected payments but the bill had not one row: not loaded?
        label("days without a bill", "无账单日期", lang=lang): [
            ", ".join(nb.loc[nb["provider"] == p, "day"].dt.strftime("%m-%d"))
            for p in t["provider"]],
    }).style.hide(axis="index")
    e = rec.exceptions
    if e.empty:
        open_ = pd.DataFrame({label("exceptions", "差异", lang=lang): [
            label("No open exceptions.", "无未解决差异。", lang=lang)]})
    else:
        from mallkit.finance_pack import CLASS_NAMES_ZH

        zh = lang == "zh"  # values follow lang (a browser draws them); headers follow fonts
        open_ = pd.DataFrame({
            label("class", "类型", lang=lang): e["class"].map(CLASS_NAMES_ZH) if zh
            else e["class"],
            label("gateway", "渠道", lang=lang): e["provider"],
            label("order", "订单号", lang=lang): e["merchant_order_id"].fillna(""),
            label("refund", "退款号", lang=lang): e["refund_id"].fillna(""),
            label("difference", "差额", lang=lang): e["diff_fen"].map(y),
            label("fee difference", "手续费差额", lang=lang): e["fee_diff_fen"].map(y),
            label("explanation", "说明", lang=lang): e["note_zh" if zh else "note"].fillna(""),
        })
    return status, open_.style.hide(axis="index")


_LEVELS = ("stockout", "below_safety", "reorder", "slow_moving", "overstock", "ok")


def stock_tables(warnings_: pd.DataFrame, /, *, n: int = 15, lang: str = "zh") -> tuple:
    """Reader's tables of :func:`mallkit.inventory.inventory_warnings`: SKUs per warning
    level, and the ``n`` most urgent actionable warnings (缺货, 低于安全库存, 需补货) with
    their reason and suggested order."""
    from mallkit.fonts import label

    w = warnings_
    names = w.drop_duplicates("level").set_index("level")["level_cn"]
    counts = w["level"].value_counts().reindex(_LEVELS, fill_value=0)
    levels = pd.DataFrame({
        label("level", "预警级别", lang=lang): [names.get(lv, lv) if lang == "zh" else lv
                                            for lv in counts.index],
        label("SKUs", "SKU 数", lang=lang): counts.to_numpy(),
    }).style.hide(axis="index")
    act = w[w["level"].isin(_LEVELS[:3])].copy()
    act["rank"] = act["level"].map({lv: i for i, lv in enumerate(_LEVELS)})
    act = act.sort_values(["rank", "days_of_cover", "sku"]).head(n)
    urgent = pd.DataFrame({
        "SKU": act["sku"], label("category", "品类", lang=lang): act["category"],
        label("level", "级别", lang=lang): act["level_cn"] if lang == "zh" else act["level"],
        label("on hand", "在库", lang=lang): act["on_hand"],
        label("on order", "在途", lang=lang): act["on_order"],
        label("days of cover", "可售天数", lang=lang): act["days_of_cover"].map("{:.1f}".format),
        label("suggested order", "建议补货", lang=lang): act["suggested_qty"],
        label("why", "原因", lang=lang): act["reason_zh" if lang == "zh" else "reason"],
    }).style.hide(axis="index")
    return levels, urgent
