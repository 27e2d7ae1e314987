"""KPIs of the 日报 / 周报 / 月报: GMV, orders, buyers, UV, conversion, 客单价, refunds.

Definitions (stated once, used everywhere):

* **GMV** is *paid GMV*: ``paid_fen`` of orders in a paid status (paid / shipped /
  completed), dated by ``paid_at``. Unpaid and cancelled orders are not sales.
* **Refunds** are counted when they happen (``refunded_at`` in the period, cash basis),
  whatever the order's date; **net GMV** = GMV − refunds; **refund rate** = refunds ÷ GMV.
* **Buyers** are distinct customers with a paid order in the period (the ``all`` row
  counts a customer once even if they bought on several channels).
* **Conversion** = buyer-days ÷ UV: UV is known per day only (a period's deduplicated
  visitors are not), so both sides are daily counts summed over the period; dividing
  the period's distinct buyers by summed daily UV would understate it. **客单价**
  (``aov_fen``) = GMV ÷ buyers;
  **笔单价** (``order_value_fen``) = GMV ÷ orders.
* **New-customer share** = buyers whose first paid order in the data falls in the
  period ÷ buyers; **repeat-buyer rate** = buyers with two or more paid orders in the
  period ÷ buyers.
* Comparisons: ``prev`` is the period of the same length just before, or the window
  given as ``prev_window`` (a month's previous calendar month: :func:`previous_window`);
  ``yoy`` is the same days 364 days earlier (52 weeks, so weekdays match), with the events of both
  windows noted, since 双11 or Spring Festival may fall differently.

A ratio whose denominator is zero is NaN with a note, never an infinity or an error.

Examples
--------
>>> from mallkit.datasets import make_sample_mall
>>> from mallkit.metrics import kpi_summary
>>> mall = make_sample_mall(seed=0, start="2025-10-01", end="2025-11-30", n_customers=1500)
>>> k = kpi_summary(mall["orders"], mall["refunds"], mall["traffic"],
...                 start="2025-11-10", end="2025-11-16", compare="prev")
>>> sorted(k.kpis["metric"].unique())[:4]
['aov_fen', 'buyers', 'conversion', 'gmv_fen']
>>> row = k.kpis.query("channel == 'all' and metric == 'gmv_fen'")
>>> bool(row["value"].item() > row["prev"].item())  # 双11 week beats the week before
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mallkit import calendar as mcal
from mallkit.errors import MallkitError
from mallkit.schema import PAID_STATUSES, validate

__all__ = ["KPISummary", "category_mix", "channel_mix", "daily_kpis", "kpi_summary",
           "paid_lines", "previous_window", "top_products"]

METRICS = ("gmv_fen", "net_gmv_fen", "refunds_fen", "orders", "buyers", "uv", "conversion",
           "aov_fen", "order_value_fen", "refund_rate", "new_customer_share",
           "repeat_buyer_rate")
#: Metrics that are money or counts (summable); the rest are ratios.
AMOUNTS = ("gmv_fen", "net_gmv_fen", "refunds_fen", "orders", "buyers", "uv")
YOY_LAG = pd.Timedelta(days=364)
#: Channel of refunds whose order is not among the paid orders: kept, never dropped.
UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class KPISummary:
    """Headline KPIs of one period with their comparisons.

    Attributes
    ----------
    current : DataFrame
        The period's KPIs, one row per channel (index; ``all`` first), one column per
        metric; amounts and counts are exact ``int64``, ratios float.
    kpis : DataFrame
        Long table for reports, one row per (channel, metric): ``channel``, ``metric``,
        ``value`` (float), then per comparison asked for ``prev`` and ``pop_change``
        (relative), ``last_year`` and ``yoy_change``.
    periods : DataFrame
        The windows compared: ``window`` (current / prev / yoy), ``start``, ``end``.
    notes : DataFrame
        ``window, note, note_zh``: zero-UV or zero-order windows, and the events of each
        window (``note_zh``: the same in Chinese, for a Chinese report).
    """

    current: pd.DataFrame
    kpis: pd.DataFrame
    periods: pd.DataFrame
    notes: pd.DataFrame

    def headline(self, channel: str = "all") -> dict:
        """The period's KPIs of one channel as a dict, amounts as exact ``int``."""
        row = self.current.loc[channel]
        return {m: int(row[m]) if m in AMOUNTS else float(row[m]) for m in self.current.columns}

    def wide(self, channel: str = "all") -> pd.DataFrame:
        """The KPIs of one channel, one row per metric (for a report table)."""
        return self.kpis[self.kpis["channel"] == channel].drop(columns="channel").set_index(
            "metric")


def _window(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if e < s:
        raise MallkitError(f"kpi window: end {e.date()} is before start {s.date()}")
    return s, e


def _paid(orders: pd.DataFrame) -> pd.DataFrame:
    o = validate(orders, "orders")
    return o[o["status"].isin(PAID_STATUSES)]


def _ratio(num, den) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _period_kpis(paid, refunds, traffic, first_paid, s, e, channels) -> pd.DataFrame:
    """Per-channel KPIs (plus ``all``) for the days s..e inclusive."""
    hi = e + pd.Timedelta(days=1)
    p = paid[(paid["paid_at"] >= s) & (paid["paid_at"] < hi)]
    r = refunds[(refunds["refunded_at"] >= s) & (refunds["refunded_at"] < hi)]
    r = r.merge(paid[["order_id", "channel"]], on="order_id", how="left")
    t = traffic[(traffic["date"] >= s) & (traffic["date"] < hi)]
    new = first_paid.reindex(p["customer_id"]).to_numpy() >= s

    def block(pp, rr, tt, newmask) -> dict:
        per_cust = pp.groupby("customer_id", sort=False).size()
        buyers = len(per_cust)
        gmv = int(pp["paid_fen"].sum())
        ref = int(rr["amount_fen"].sum())
        uv = int(tt["uv"].sum())
        buyer_days = len(pp.assign(d=pp["paid_at"].dt.normalize())
                         .drop_duplicates(["customer_id", "d"]))
        n_new = pp.loc[newmask, "customer_id"].nunique() if len(pp) else 0
        return {
            "gmv_fen": gmv, "net_gmv_fen": gmv - ref, "refunds_fen": ref, "orders": len(pp),
            "buyers": buyers, "uv": uv, "conversion": _ratio(buyer_days, uv).item(),
            "aov_fen": _ratio(gmv, buyers).item(), "order_value_fen": _ratio(gmv, len(pp)).item(),
            "refund_rate": _ratio(ref, gmv).item(),
            "new_customer_share": _ratio(n_new, buyers).item(),
            "repeat_buyer_rate": _ratio(int((per_cust >= 2).sum()), buyers).item(),
        }

    rows = {"all": block(p, r, t, new)}
    for ch in channels:  # a handful of channels: one vectorised block each
        m = (p["channel"] == ch).to_numpy()
        rows[ch] = block(p[m], r[r["channel"] == ch], t[t["channel"] == ch], new[m])
    return pd.DataFrame.from_dict(rows, orient="index").astype(dict.fromkeys(AMOUNTS, "int64"))


def kpi_summary(
    orders: pd.DataFrame,
    refunds: pd.DataFrame,
    traffic: pd.DataFrame,
    /,
    *,
    start,
    end,
    compare: str = "both",
    prev_window: tuple | None = None,
) -> KPISummary:
    """Headline KPIs for a period, per channel and in total, with comparisons.

    Parameters
    ----------
    orders, refunds, traffic : DataFrame
        Canonical tables (validated here). ``orders`` should reach back far enough to
        tell new customers from returning ones (a year or more).
    start, end : date-like
        First and last day of the period, inclusive.
    compare : {"prev", "yoy", "both"}
        Previous period of the same length, the same days 364 days earlier, or both.
    prev_window : (date-like, date-like), optional
        First and last day of the ``prev`` comparison when it is not the same number of
        days just before ``start``: a month compares with the previous calendar month,
        which may be longer or shorter (:func:`previous_window`).

    Returns
    -------
    KPISummary
        See the class. Definitions are in the module docstring.
    """
    if compare not in ("prev", "yoy", "both"):
        raise MallkitError(f"kpi_summary: compare must be 'prev', 'yoy' or 'both', got {compare!r}")
    s, e = _window(start, end)
    paid = _paid(orders)
    refunds = validate(refunds, "refunds")
    traffic = validate(traffic, "traffic")
    first_paid = paid.groupby("customer_id", sort=False)["paid_at"].min().dt.normalize()
    channels = sorted(set(paid["channel"]) | set(traffic["channel"]))
    length = e - s + pd.Timedelta(days=1)
    windows = {"current": (s, e)}
    if prev_window is not None and compare == "yoy":
        raise MallkitError("kpi_summary: prev_window is given but compare='yoy' has no prev")
    if compare in ("prev", "both"):
        windows["prev"] = (_window(*prev_window) if prev_window is not None
                           else (s - length, e - length))
    if compare in ("yoy", "both"):
        windows["yoy"] = (s - YOY_LAG, e - YOY_LAG)
    tables, notes = {}, []
    for name, (ws, we) in windows.items():
        tables[name] = _period_kpis(paid, refunds, traffic, first_paid, ws, we, channels)
        notes += _notes(name, ws, we, tables[name])
    cur = tables["current"]
    long = cur.astype(float).reset_index(names="channel").melt(id_vars="channel", var_name="metric",
                                                   value_name="value")
    for name, col, chg in (("prev", "prev", "pop_change"), ("yoy", "last_year", "yoy_change")):
        if name in tables:
            base = tables[name].astype(float).reset_index(names="channel").melt(
                id_vars="channel", var_name="metric", value_name=col)
            long = long.merge(base, on=["channel", "metric"], how="left")
            long[chg] = _ratio(long["value"].astype(float) - long[col].astype(float),
                               long[col].astype(float))
    order = {m: i for i, m in enumerate(METRICS)}
    long = long.sort_values(["channel", "metric"], key=lambda c: c.map(order) if c.name ==
                            "metric" else (c != "all").astype(int).astype(str) + c)
    periods = pd.DataFrame([(k, a, b) for k, (a, b) in windows.items()],
                           columns=["window", "start", "end"])
    return KPISummary(current=cur, kpis=long.reset_index(drop=True), periods=periods,
                      notes=pd.DataFrame(notes, columns=["window", "note", "note_zh"]))


def previous_window(period, /, *, end=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The 环比 window of a report period: last week for a week, last month for a month.

    A period cut short at ``end`` (week or month to date) compares with the same number
    of days at the start of the previous period, never past that period's end.

    Parameters
    ----------
    period : str or mallkit.calendar.Period
        ``"2026-W47"``, ``"2026-11"``, ...
    end : date-like, optional
        The last day reported, when before the period's end.

    Returns
    -------
    (Timestamp, Timestamp)
        First and last day, inclusive; pass it as ``kpi_summary(..., prev_window=...)``.

    Examples
    --------
    >>> [str(d.date()) for d in previous_window("2025-11")]  # October has 31 days
    ['2025-10-01', '2025-10-31']
    >>> [str(d.date()) for d in previous_window("2026-03", end="2026-03-30")]
    ['2026-02-01', '2026-02-28']
    """
    p = mcal.parse_period(period) if isinstance(period, str) else period
    q = p.previous()
    if end is None or pd.Timestamp(end).normalize() >= p.end:
        return q.start, q.end
    elapsed = pd.Timestamp(end).normalize() - p.start
    return q.start, min(q.start + elapsed, q.end)


#: Event phases (mallkit.calendar) in the words of a Chinese report.
PHASES_ZH = {"presale": "预售", "final_payment": "尾款", "main": "正式期", "climax": "高潮",
             "tail": "返场", "day": "当天", "day_off": "放假", "workday": "调休上班",
             "pre_stop_peak": "停运前高峰", "courier_stop": "快递停运"}


def _notes(name: str, s, e, table: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(window, note, note_zh): channels without UV or orders, events in the window."""
    out = []
    span = f"{s.date()}..{e.date()}"
    for ch, row in table.iterrows():  # one row per channel, not per order
        if row["uv"] == 0:
            out.append((name, f"{ch}: no UV recorded {span}; conversion is NaN",
                        f"{ch}：{span} 无访客数据，转化率为空"))
        if row["orders"] == 0:
            out.append((name, f"{ch}: no paid orders {span}; per-order ratios are NaN",
                        f"{ch}：{span} 无支付订单，客单价等按单指标为空"))
    ev = mcal.events(s, e, include_holidays=True)
    for event, g in ev.groupby("event", sort=False):
        days = f"{g['date'].min().date()}..{g['date'].max().date()}"
        phases = list(dict.fromkeys(g["phase"]))
        out.append((name, f"event {event}: {days} ({', '.join(phases)})",
                    f"活动 {event}：{days}（{'、'.join(PHASES_ZH.get(p, p) for p in phases)}）"))
    return out


def daily_kpis(orders: pd.DataFrame, refunds: pd.DataFrame, traffic: pd.DataFrame, /, *,
               start, end) -> pd.DataFrame:
    """One row per (date, channel): GMV, orders, buyers, UV, conversion, refunds.

    Days without orders or traffic are present with zeros (and NaN ratios), so charts
    show gaps honestly. Refunds of orders not held as paid appear under channel
    ``(unknown)`` rather than vanish.

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> m = make_sample_mall(seed=0, start="2025-11-01", end="2025-11-30", n_customers=800)
    >>> d = daily_kpis(m["orders"], m["refunds"], m["traffic"], start="2025-11-10",
    ...                end="2025-11-12")
    >>> d.shape  # 3 days x 4 channels
    (12, 8)
    """
    s, e = _window(start, end)
    paid = _paid(orders)
    refunds = validate(refunds, "refunds")
    traffic = validate(traffic, "traffic")
    hi = e + pd.Timedelta(days=1)
    p = paid[(paid["paid_at"] >= s) & (paid["paid_at"] < hi)]
    p = p.assign(date=p["paid_at"].dt.normalize())
    g = p.groupby(["date", "channel"]).agg(gmv_fen=("paid_fen", "sum"), orders=("order_id", "size"),
                                           buyers=("customer_id", "nunique"))
    r = refunds[(refunds["refunded_at"] >= s) & (refunds["refunded_at"] < hi)]
    r = r.merge(paid[["order_id", "channel"]], on="order_id", how="left")
    r["channel"] = r["channel"].fillna(UNKNOWN)  # a refund of an order we do not hold as paid
    rf = r.groupby([r["refunded_at"].dt.normalize().rename("date"), "channel"])["amount_fen"].sum()
    t = traffic[(traffic["date"] >= s) & (traffic["date"] < hi)]
    t = t.set_index(["date", "channel"])["uv"]
    channels = sorted(set(paid["channel"]) | set(traffic["channel"]) | set(r["channel"]))
    grid = pd.MultiIndex.from_product([pd.date_range(s, e, freq="D", unit="us"), channels],
                                      names=["date", "channel"])
    out = g.reindex(grid, fill_value=0)
    out["refunds_fen"] = rf.reindex(grid, fill_value=0)
    out["uv"] = t.reindex(grid, fill_value=0)
    out = out.astype("int64")
    out["conversion"] = _ratio(out["buyers"], out["uv"])
    return out.reset_index()


def paid_lines(order_lines: pd.DataFrame, orders: pd.DataFrame, /, *, start, end) -> pd.DataFrame:
    """Order lines of orders paid between ``start`` and ``end`` (inclusive days), with channel.

    The baskets a what-if starts from, or the base of any product ranking.

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> m = make_sample_mall(seed=0, start="2025-11-01", end="2025-11-30", n_customers=800)
    >>> lines = paid_lines(m["order_lines"], m["orders"], start="2025-11-11", end="2025-11-11")
    >>> list(lines.columns)
    ['order_id', 'sku', 'qty', 'unit_price_fen', 'discount_fen', 'paid_fen', 'channel']
    """
    s, e = _window(start, end)
    paid = _paid(orders)
    lines = validate(order_lines, "order_lines")
    p = paid[(paid["paid_at"] >= s) & (paid["paid_at"] < e + pd.Timedelta(days=1))]
    return lines.merge(p[["order_id", "channel"]], on="order_id", how="inner")


def _mix(df: pd.DataFrame, by: str) -> pd.DataFrame:
    g = df.groupby(by, sort=False).agg(gmv_fen=("paid_fen", "sum"), units=("qty", "sum"),
                                       orders=("order_id", "nunique"))
    # ties (same GMV) in name order, so a ranking does not depend on row order
    g = g.sort_values(["gmv_fen", by], ascending=[False, True], kind="stable")
    g["share"] = _ratio(g["gmv_fen"], g["gmv_fen"].sum())
    return g.reset_index()


def channel_mix(orders: pd.DataFrame, /, *, start, end) -> pd.DataFrame:
    """Paid GMV, orders and share per channel (order amounts incl. shipping)."""
    s, e = _window(start, end)
    paid = _paid(orders)
    p = paid[(paid["paid_at"] >= s) & (paid["paid_at"] < e + pd.Timedelta(days=1))]
    g = p.groupby("channel", sort=False).agg(gmv_fen=("paid_fen", "sum"),
                                             orders=("order_id", "size"),
                                             buyers=("customer_id", "nunique"))
    g = g.sort_values(["gmv_fen", "channel"], ascending=[False, True], kind="stable")
    g["share"] = _ratio(g["gmv_fen"], g["gmv_fen"].sum())
    return g.reset_index()


def category_mix(order_lines: pd.DataFrame, orders: pd.DataFrame, products: pd.DataFrame, /, *,
                 start, end) -> pd.DataFrame:
    """Goods GMV (line ``paid_fen``, before shipping), units and share per category.

    Lines whose SKU is not in ``products`` are grouped as ``(unknown)``, never dropped.
    """
    lines = paid_lines(order_lines, orders, start=start, end=end)
    prod = validate(products, "products")[["sku", "category"]]
    lines = lines.merge(prod, on="sku", how="left")
    lines["category"] = lines["category"].fillna("(unknown)")
    return _mix(lines, "category")


def top_products(order_lines: pd.DataFrame, orders: pd.DataFrame, products: pd.DataFrame, /, *,
                 start, end, n: int = 10) -> pd.DataFrame:
    """The ``n`` best-selling SKUs by goods GMV, with units, orders, share and rank.

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> m = make_sample_mall(seed=0, start="2025-11-01", end="2025-11-30", n_customers=800)
    >>> top = top_products(m["order_lines"], m["orders"], m["products"],
    ...                    start="2025-11-01", end="2025-11-30", n=3)
    >>> list(top.columns)
    ['rank', 'sku', 'category', 'gmv_fen', 'units', 'orders', 'share']
    """
    lines = paid_lines(order_lines, orders, start=start, end=end)
    mix = _mix(lines, "sku").head(n)
    prod = validate(products, "products")[["sku", "category"]]
    mix = mix.merge(prod, on="sku", how="left")
    mix.insert(0, "rank", np.arange(1, len(mix) + 1))
    return mix[["rank", "sku", "category", "gmv_fen", "units", "orders", "share"]]
