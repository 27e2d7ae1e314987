"""Matplotlib figures drawn from mallkit's tables (each function returns a Figure).

Figures never change matplotlib's global settings; call
:func:`mallkit.fonts.use_cjk_font` once (the report notebooks do) so Chinese labels
render, otherwise labels fall back to English (:func:`mallkit.fonts.label`).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from mallkit.datasets import make_sample_mall
>>> from mallkit.metrics import daily_kpis
>>> m = make_sample_mall(seed=0, start="2025-11-01", end="2025-11-30", n_customers=800)
>>> fig = daily_gmv(daily_kpis(m["orders"], m["refunds"], m["traffic"],
...                            start="2025-11-01", end="2025-11-30"), lang="en")
>>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
['douyin', 'jd']
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from mallkit.errors import InventoryError, RFMError
from mallkit.fonts import label
from mallkit.schema import require_columns
from mallkit.segments import ENTERED, LEFT

__all__ = [
    "daily_gmv",
    "days_of_cover",
    "lift_plot",
    "migration_heatmap",
    "mix_bar",
    "pace_chart",
    "rfm_heatmap",
    "roi_surface",
    "segment_bar",
    "warning_summary",
]

_YUAN = FuncFormatter(lambda v, _: f"{v / 100:,.0f}")  # fen on the axis, yuan on the tick


def daily_gmv(daily: pd.DataFrame, /, *, lang: str = "zh") -> Figure:
    """Stacked daily paid GMV per channel, from :func:`mallkit.metrics.daily_kpis`."""
    wide = daily.pivot_table(index="date", columns="channel", values="gmv_fen", aggfunc="sum",
                             fill_value=0)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    bottom = np.zeros(len(wide))
    x = np.arange(len(wide))
    for ch in wide.columns:
        ax.bar(x, wide[ch].to_numpy(), bottom=bottom, label=ch, width=0.8)
        bottom += wide[ch].to_numpy()
    step = max(1, len(wide) // 10)
    ax.set_xticks(x[::step], [d.strftime("%m-%d") for d in wide.index[::step]])
    ax.yaxis.set_major_formatter(_YUAN)
    ax.set_ylabel(label("paid GMV (yuan)", "支付 GMV（元）", lang=lang))
    ax.set_title(label("Daily paid GMV by channel", "每日支付 GMV（分渠道）", lang=lang))
    ax.legend(ncol=len(wide.columns), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)  # the caller displays it; keep pyplot's registry small
    return fig


def mix_bar(mix: pd.DataFrame, /, *, by: str, lang: str = "zh") -> Figure:
    """Horizontal bars of GMV share, from ``channel_mix`` / ``category_mix``."""
    m = mix.sort_values("gmv_fen")
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(m) + 1.2))
    ax.barh(m[by].astype(str), m["gmv_fen"].to_numpy())
    for y, (v, s) in enumerate(zip(m["gmv_fen"], m["share"], strict=True)):
        ax.text(v, y, f" {s:.1%}", va="center", fontsize=8)
    ax.xaxis.set_major_formatter(_YUAN)
    names = {"channel": ("channel", "渠道"), "category": ("category", "品类")}
    en, zh = names.get(by, (by, by))
    ax.set_title(label(f"GMV by {en}", f"分{zh} GMV", lang=lang))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


# ------------------------------------------------------------------------ promotions
def _shade_windows(ax, lift) -> None:
    ax.axvspan(lift.start - pd.Timedelta(hours=12), lift.end + pd.Timedelta(hours=12),
               color="tab:orange", alpha=0.12, lw=0)
    if lift.post_end > lift.end:
        ax.axvspan(lift.end + pd.Timedelta(hours=12), lift.post_end + pd.Timedelta(hours=12),
                   color="tab:gray", alpha=0.08, lw=0)
    ax.axvline(lift.start - pd.Timedelta(hours=12), color="tab:gray", ls=":", lw=1)


def lift_plot(lift, /, *, lang: str = "zh", title: str | None = None) -> Figure:
    """CausalImpact's three panels for a :class:`mallkit.lift.Lift`.

    Top: actual vs the counterfactual with its interval (one-step-ahead in the
    pre-period, simulated paths after). Middle: the daily (pointwise) effect. Bottom: the
    cumulative effect from the first promotion day. The promotion window is shaded
    orange, the post-promotion (dip) window grey; excluded pre-period days are grey dots.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mallkit.lift import promotion_lift
    >>> rng = np.random.default_rng(0)
    >>> y = pd.Series(rng.poisson(100, 90).astype(float),
    ...               index=pd.date_range("2025-01-01", periods=90, freq="D"))
    >>> fig = lift_plot(promotion_lift(y, start="2025-03-10", end="2025-03-16", post_days=7),
    ...                 lang="en")
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['daily value', 'pointwise effect', 'cumulative effect']
    """
    s = lift.series
    after = s["period"].isin(["promotion", "post"]).to_numpy()
    excluded = (s["period"] == "excluded").to_numpy()
    fig, axes = plt.subplots(3, 1, figsize=(9, 7), sharex=True)
    top, mid, bottom = axes
    x = s.index
    top.fill_between(x, s["predicted_lower"], s["predicted_upper"], color="tab:blue",
                     alpha=0.18, lw=0, label=label("interval", "区间", lang=lang))
    top.plot(x, s["predicted"], color="tab:blue", ls="--", lw=1.2,
             label=label("counterfactual", "反事实预测", lang=lang))
    top.plot(x, s["actual"].where(~excluded), color="black", lw=1.2,
             label=label("actual", "实际", lang=lang))
    if excluded.any():
        top.plot(x[excluded], s["actual"][excluded], "o", color="tab:gray", ms=3,
                 label=label("excluded", "剔除", lang=lang))
    top.legend(fontsize=8, frameon=False, ncol=4)
    top.set_ylabel(label("daily value", "每日值", lang=lang))
    mid.fill_between(x, s["point_effect_lower"], s["point_effect_upper"], color="tab:blue",
                     alpha=0.18, lw=0)
    mid.plot(x, s["point_effect"].where(~excluded), color="tab:blue", lw=1.2)
    mid.set_ylabel(label("pointwise effect", "每日增量", lang=lang))
    bottom.fill_between(x[after], s["cum_effect_lower"][after], s["cum_effect_upper"][after],
                        color="tab:blue", alpha=0.18, lw=0)
    bottom.plot(x[after], s["cum_effect"][after], color="tab:blue", lw=1.4)
    bottom.set_ylabel(label("cumulative effect", "累计增量", lang=lang))
    for ax in axes:
        _shade_windows(ax, lift)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in (mid, bottom):
        ax.axhline(0, color="black", lw=0.8)
    rel = lift.effects.loc["promotion"]
    top.set_title(title or label(
        f"Promotion {lift.start:%Y-%m-%d} – {lift.end:%Y-%m-%d}: {rel.rel_effect:+.1%} "
        f"[{rel.rel_effect_lower:+.1%}, {rel.rel_effect_upper:+.1%}]",
        f"促销 {lift.start:%Y-%m-%d} 至 {lift.end:%Y-%m-%d}：{rel.rel_effect:+.1%} "
        f"[{rel.rel_effect_lower:+.1%}, {rel.rel_effect_upper:+.1%}]", lang=lang))
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig


def roi_surface(sim, /, *, x: str, y: str, metric: str = "net_iroi",
                lang: str = "zh") -> Figure:
    """Heat map of a what-if metric over two scheme parameters (``simulate_promotion``).

    Cells show the expected value; schemes over budget are hatched; the best scheme
    within budget is boxed.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mallkit.roi import simulate_promotion
    >>> base = pd.DataFrame({"order_id": ["O1", "O2"], "sku": ["A", "A"], "qty": [2, 1],
    ...                      "unit_price_fen": [15000, 15000]})
    >>> prod = pd.DataFrame({"sku": ["A"], "category": ["x"], "unit_cost_fen": [6000]})
    >>> sim = simulate_promotion(base, mechanic="full_reduction", products=prod,
    ...     params={}, elasticity=-3.0, grid={"threshold_fen": [10000, 20000],
    ...                                        "reduction_fen": [1000, 2000, 3000]})
    >>> roi_surface(sim, x="reduction_fen", y="threshold_fen", lang="en").axes[0].get_xlabel()
    'reduction (yuan)'
    """
    t = sim.table
    grid = t.pivot_table(index=y, columns=x, values=metric, aggfunc="first")
    ok = t.pivot_table(index=y, columns=x, values="within_budget", aggfunc="first")
    fig, ax = plt.subplots(figsize=(1.1 * grid.shape[1] + 2.5, 0.7 * grid.shape[0] + 1.8))
    fen = metric.endswith("_fen")
    vals = grid.to_numpy(dtype=float) / (100 if fen else 1)  # fen shown in yuan
    lim = np.nanmax(np.abs(vals)) if np.isfinite(vals).any() else 1.0
    im = ax.imshow(vals, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto", origin="lower")
    for (i, j), v in np.ndenumerate(vals):
        text = f"{v:,.0f}" if fen else f"{v:.2f}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8)
        if not bool(ok.to_numpy()[i, j]):
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//",
                                       color="tab:gray", lw=0))
    if len(sim.best):
        b = sim.best.iloc[0]
        j, i = list(grid.columns).index(b[x]), list(grid.index).index(b[y])
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=2))
    ax.set_xticks(range(grid.shape[1]), [f"{c / 100:g}" if x.endswith("_fen") else f"{c:g}"
                                         for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{r / 100:g}" if y.endswith("_fen") else f"{r:g}"
                                         for r in grid.index])
    def axis_name(name: str) -> str:
        return f"{name[:-4]} (yuan)" if name.endswith("_fen") else name

    ax.set_xlabel(axis_name(x))
    ax.set_ylabel(axis_name(y))
    fig.colorbar(im, ax=ax, label=axis_name(metric))
    ax.set_title(label(f"What-if: {metric}", f"方案模拟：{metric}", lang=lang))
    fig.tight_layout()
    plt.close(fig)
    return fig


# ------------------------------------------------------------------------ targets
def pace_chart(report, /, *, level: str = "total", key: str = "all", period: str | None = None,
               lang: str = "zh") -> Figure:
    """The pace chart of one target line of :func:`mallkit.targets.pacing`.

    Cumulative actual against the event-aware expected-to-date and the linear pace, the
    target as a horizontal line, and the landing fan (the central interval of simulated
    cumulative paths, with their median) after the cutoff.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mallkit.targets import pacing
    >>> act = pd.DataFrame({"date": pd.date_range("2026-11-01", "2026-11-10"), "gmv_fen": 100})
    >>> tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
    ...                    "target_fen": [3000]})
    >>> fig = pace_chart(pacing(act, tg, as_of="2026-11-11", model=None), lang="en")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:3]
    ['actual', 'expected (event-aware)', 'linear pace']
    """
    s, d = report.summary, report.daily
    pick = (s["level"] == level) & (s["key"] == key)
    if period is not None:
        pick &= s["period"] == period
    if not pick.any():
        raise KeyError(f"pace_chart: no line level={level!r} key={key!r} period={period!r}; "
                       f"lines: {list(zip(s['level'], s['key'], s['period'], strict=True))[:5]}")
    row = s[pick].iloc[0]
    d = d[(d["level"] == level) & (d["key"] == key) & (d["period"] == row["period"])]
    x = d["date"]

    def num(col: str) -> np.ndarray:
        return d[col].to_numpy(dtype=float, na_value=np.nan)

    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(x, num("actual_cum_fen"), color="black", lw=2, label=label("actual", "实际累计",
                                                                       lang=lang))
    ax.plot(x, num("expected_cum_fen"), color="tab:blue", ls="--",
            label=label("expected (event-aware)", "应达进度（含活动）", lang=lang))
    ax.plot(x, num("linear_cum_fen"), color="tab:gray", ls=":",
            label=label("linear pace", "时间进度（线性）", lang=lang))
    ax.axhline(row["target_fen"], color="tab:red", lw=1, label=label("target", "目标", lang=lang))
    lo, hi = num("forecast_lo_cum_fen"), num("forecast_hi_cum_fen")
    if np.isfinite(lo).any():
        ax.fill_between(x, lo, hi, color="tab:orange", alpha=0.25, lw=0,
                        label=label("landing interval", "落地区间", lang=lang))
        ax.plot(x, num("forecast_mid_cum_fen"), color="tab:orange", lw=1)
    ax.yaxis.set_major_formatter(_YUAN)
    ax.set_ylabel(label("cumulative GMV (yuan)", "累计 GMV（元）", lang=lang))
    ach = row["achievement"]
    ax.set_title(label(f"{row['period']} {key}: {ach:.1%} of target, pace index "
                       f"{row['pace_index']:.2f}",
                       f"{row['period']} {key}：达成率 {ach:.1%}，进度指数 {row['pace_index']:.2f}",
                       lang=lang))
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    fig.tight_layout()
    plt.close(fig)
    return fig


# ------------------------------------------------------------------------ rfm
def _cell_text(ax, vals: np.ndarray, fmt) -> None:
    """Write each finite cell's value on an ``imshow`` grid, white on the darker cells."""
    top = np.nanmax(vals) if np.isfinite(vals).any() else 0.0
    for (i, j), v in np.ndenumerate(vals):
        if np.isfinite(v):
            ax.text(j, i, fmt(v), ha="center", va="center", fontsize=8,
                    color="white" if top > 0 and v > 0.6 * top else "black")


def rfm_heatmap(scores, /, *, value: str = "both", bins: int | None = None,
                r_col: str = "r_score", f_col: str = "f_score",
                monetary_col: str = "monetary_fen", lang: str = "zh") -> Figure:
    """R x F heat map of customers, and of their mean monetary value, from RFM scores.

    Rows are the R score (5 = most recent, at the top), columns the F score (5 = most
    frequent, at the right), so the best customers sit in the top right corner. Each cell
    shows the number of customers with that (R, F) score, or their mean net spend in
    yuan (blank where the cell has no customer).

    Parameters
    ----------
    scores : RFMScores, Segments or DataFrame
        :func:`mallkit.rfm.rfm_scores` output (or its ``customers`` frame).
    value : {"both", "customers", "monetary"}
        Panels to draw: customer counts, mean monetary, or both side by side.
    bins : int, optional
        Score range; default from ``scores.thresholds``, else 5 (or the largest score).
    r_col, f_col, monetary_col : str
        Columns of the scores and of the net spend in fen.
    lang : {"zh", "en"}
        Label language (Chinese only once :func:`mallkit.fonts.use_cjk_font` found a font).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> s = pd.DataFrame({"r_score": [5, 5, 1], "f_score": [5, 5, 2],
    ...                   "monetary_fen": [1000, 3000, 500]})
    >>> fig = rfm_heatmap(s, lang="en")
    >>> counts = fig.axes[0].images[0].get_array()  # [R - 1, F - 1]
    >>> int(counts[4, 4]), int(counts[0, 1]), float(fig.axes[1].images[0].get_array()[4, 4])
    (2, 1, 20.0)
    """
    if value not in ("both", "customers", "monetary"):
        raise RFMError(f"rfm_heatmap: value must be 'both', 'customers' or 'monetary', "
                       f"got {value!r}")
    df = getattr(scores, "customers", scores)
    need = [r_col, f_col] + ([monetary_col] if value != "customers" else [])
    require_columns(df, need, "scores")
    r = df[r_col].to_numpy(dtype=np.int64)
    f = df[f_col].to_numpy(dtype=np.int64)
    if bins is None:
        th = getattr(scores, "thresholds", None)
        bins = (int(th["score"].max()) if th is not None else
                max(5, int(r.max(initial=0)), int(f.max(initial=0))))
    if (bad := (r < 1) | (r > bins) | (f < 1) | (f > bins)).any():
        rows = df.index[bad][:5].tolist()
        raise RFMError(f"rfm_heatmap: columns '{r_col}'/'{f_col}' need scores in 1..{bins}; "
                       f"{int(bad.sum())} row(s) are not, e.g. index {rows}")
    cell = (r - 1) * bins + (f - 1)
    counts = np.bincount(cell, minlength=bins * bins).reshape(bins, bins)  # [R - 1, F - 1]
    panels = []
    if value != "monetary":
        panels.append((counts.astype(float), "Blues", lambda v: f"{v:,.0f}",
                       label("Customers by R x F score", "各 R×F 分客户数", lang=lang),
                       label("customers", "客户数", lang=lang)))
    if value != "customers":
        sums = np.zeros(bins * bins, dtype=np.int64)
        np.add.at(sums, cell, df[monetary_col].to_numpy(dtype=np.int64))  # exact fen sums
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, sums.reshape(bins, bins) / counts, np.nan) / 100
        panels.append((mean, "Oranges", lambda v: f"{v:,.0f}",
                       label("Mean monetary by R x F score (yuan)", "各 R×F 分平均消费额（元）",
                             lang=lang),
                       label("mean net spend (yuan)", "平均净消费额（元）", lang=lang)))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.6), squeeze=False)
    ticks = [str(k) for k in range(1, bins + 1)]
    for ax, (vals, cmap, fmt, title, unit) in zip(axes[0], panels, strict=True):
        im = ax.imshow(vals, origin="lower", cmap=cmap, aspect="equal")
        _cell_text(ax, vals, fmt)
        ax.set_xticks(range(bins), ticks)
        ax.set_yticks(range(bins), ticks)
        ax.set_xlabel(label("F score (5 = most frequent)", "F 分（5 = 购买最频繁）", lang=lang))
        ax.set_ylabel(label("R score (5 = most recent)", "R 分（5 = 最近购买）", lang=lang))
        ax.set_title(title)
        fig.colorbar(im, ax=ax, label=unit, shrink=0.85)
    fig.tight_layout()
    plt.close(fig)
    return fig


def segment_bar(summary: pd.DataFrame, /, *, lang: str = "zh") -> Figure:
    """Segment sizes: customers and share of revenue per segment, side by side.

    Bars follow the order of ``summary`` (the scheme's order), first segment on top; the
    left bars are labelled with the customer share, the right ones with the revenue share.

    Parameters
    ----------
    summary : DataFrame
        :func:`mallkit.segments.segment_summary` output (segment, customers, share,
        revenue_share).
    lang : {"zh", "en"}
        Label language; segment names are drawn as they are in ``summary``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> summ = pd.DataFrame({"segment": ["Champions", "Lost"], "customers": [30, 70],
    ...                      "share": [0.3, 0.7], "revenue_share": [0.8, 0.2]})
    >>> fig = segment_bar(summ, lang="en")
    >>> [float(p.get_width()) for p in fig.axes[0].patches]
    [30.0, 70.0]
    >>> [t.get_text() for t in fig.axes[0].texts]
    [' 30 (30.0%)', ' 70 (70.0%)']
    """
    require_columns(summary, ["segment", "customers", "share", "revenue_share"], "summary")
    names = summary["segment"].astype(str).tolist()
    n, y = len(names), np.arange(len(summary))
    cust = summary["customers"].to_numpy(dtype=float)
    rev = summary["revenue_share"].to_numpy(dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.38 * n + 1.6), sharey=True)
    left.barh(y, cust, color="tab:blue")
    for yi, c, s in zip(y, cust, summary["share"].to_numpy(dtype=float), strict=True):
        left.text(c, yi, f" {c:,.0f} ({s:.1%})", va="center", fontsize=8)
    right.barh(y, np.nan_to_num(rev), color="tab:orange")
    for yi, v in zip(y, rev, strict=True):
        right.text(0 if np.isnan(v) else v, yi, f" {v:.1%}" if np.isfinite(v) else " –",
                   va="center", fontsize=8)
    left.set_yticks(y, names)
    left.invert_yaxis()  # first segment of the scheme on top (the axis is shared)
    right.xaxis.set_major_formatter(PercentFormatter(1.0))
    left.set_xlabel(label("customers", "客户数", lang=lang))
    right.set_xlabel(label("share of net revenue", "净收入占比", lang=lang))
    left.set_title(label("Customers per segment", "各分层客户数", lang=lang))
    right.set_title(label("Revenue share per segment", "各分层收入占比", lang=lang))
    for ax in (left, right):
        ax.margins(x=0.25)  # room for the value labels
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def migration_heatmap(migration, /, *, lang: str = "zh") -> Figure:
    """Heat map of :func:`mallkit.segments.segment_migration`: where each segment went.

    Rows are the segments of the earlier snapshot (plus customers who entered), columns
    those of the later one (plus customers who left); a cell is the share of its row
    (``Migration.shares``), labelled where any customer moved. Row labels carry the row's
    customer count; the diagonal is who stayed.

    Parameters
    ----------
    migration : Migration
        :func:`mallkit.segments.segment_migration` output (``shares`` and ``counts``).
    lang : {"zh", "en"}
        Label language; segment names are drawn as they are in ``migration``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mallkit.segments import segment_migration
    >>> b = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["new", "new", "lost"]})
    >>> a = pd.DataFrame({"customer_id": ["A", "C", "D"], "segment": ["loyal", "lost", "new"]})
    >>> fig = migration_heatmap(segment_migration(b, a), lang="en")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['lost (1)', 'new (2)', 'loyal (0)', '(entered) (1)']
    >>> fig.axes[0].images[0].get_array()[1].tolist()  # new: half to loyal, half left
    [0.0, 0.0, 0.5, 0.5]
    """
    shares, counts = migration.shares, migration.counts
    vals = shares.to_numpy(dtype=float)
    nrow, ncol = vals.shape
    fig, ax = plt.subplots(figsize=(0.8 * ncol + 3.2, 0.5 * nrow + 2.2))
    im = ax.imshow(vals, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    moved = counts.to_numpy() > 0
    for (i, j), v in np.ndenumerate(vals):
        if moved[i, j]:
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 else "black")
    edge = {ENTERED: label(ENTERED, "（新进入）", lang=lang),
            LEFT: label(LEFT, "（离开）", lang=lang)}
    rows = [f"{edge.get(str(r), r)} ({n:,})"
            for r, n in zip(shares.index, counts.sum(axis=1), strict=True)]
    ax.set_yticks(range(nrow), rows)
    ax.set_xticks(range(ncol), [edge.get(str(c), str(c)) for c in shares.columns],
                  rotation=45, ha="right")
    ax.set_ylabel(label("segment before (customers)", "前期分层（客户数）", lang=lang))
    ax.set_xlabel(label("segment after", "后期分层", lang=lang))
    ax.set_title(label("Segment migration (share of each row)", "分层迁移（行占比）", lang=lang))
    fig.colorbar(im, ax=ax, format=PercentFormatter(1.0), shrink=0.85)
    fig.tight_layout()
    plt.close(fig)
    return fig


# ------------------------------------------------------------------------ inventory
#: Levels of :func:`warning_summary`, most urgent first, coloured red → green
#: (ColorBrewer RdYlGn); levels outside these (rows with incomplete data) are grey.
_STOCK_LEVELS = ("stockout", "below_safety", "reorder", "slow_moving", "overstock", "ok")
_STOCK_COLOURS = ("#d73027", "#f46d43", "#fdae61", "#fee08b", "#a6d96a", "#1a9850")
_CLASS_NAMES = {"abc_xyz": ("ABC–XYZ class", "ABC–XYZ 分类"),
                "demand_class": ("demand class", "需求类型"), "category": ("category", "品类")}


def days_of_cover(warnings: pd.DataFrame, /, *, by: str = "abc_xyz", cap_days: float = 180.0,
                  overstock_days: float | None = 90.0, lang: str = "zh") -> Figure:
    """Days of cover (可售天数) per SKU class, from :func:`mallkit.inventory.inventory_warnings`.

    One point per SKU (jittered sideways, deterministically) over a box per class (median
    and quartiles, whiskers at 1.5 IQR). Covers above ``cap_days`` and SKUs without
    demand (infinite cover) are drawn at ``cap_days`` as red triangles, so a few
    years-long covers do not flatten the chart; the box statistics use the capped
    values. Reference lines: the median lead time of the SKUs drawn and the overstock
    threshold (inventory_warnings' ``overstock_days``, applied there to the cover of on
    hand + on order; not drawn when above ``cap_days``). SKUs without a stock record
    (cover NaN) are not drawn and their number is stated in the title.

    Parameters
    ----------
    warnings : pandas.DataFrame
        Needs ``days_of_cover`` and the ``by`` column; uses ``lead_time_days`` if present.
    by : str, default "abc_xyz"
        The class column (e.g. ``"demand_class"``, ``"category"``); classes sorted by name.
    cap_days : float, default 180
        Top of the axis; longer covers are clipped to it.
    overstock_days : float or None, default 90
        Where to draw the overstock line (the value given to ``inventory_warnings``);
        None for no line.
    lang : {"zh", "en"}

    Raises
    ------
    MissingColumnsError
        A needed column is absent.
    InventoryError
        ``cap_days`` is not a positive finite number.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> w = pd.DataFrame({"sku": ["A", "B", "C", "D"], "abc_xyz": ["AX", "AX", "BZ", "CZ"],
    ...                   "days_of_cover": [0.0, 5.5, 400.0, np.inf],
    ...                   "lead_time_days": [7.0, 7.0, 14.0, 10.0]})
    >>> fig = days_of_cover(w, lang="en")
    >>> capped = [c for c in fig.axes[0].collections if c.get_gid() == "capped"][0]
    >>> capped.get_offsets()[:, 1].tolist()  # 400 d and no demand, clipped to 180 d
    [180.0, 180.0]
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
    ['median lead time 8.5 d', 'overstock 90 d']
    """
    require_columns(warnings, ["days_of_cover", by], "warnings")
    cap = float(cap_days)
    if not (np.isfinite(cap) and cap > 0):
        raise InventoryError(f"days_of_cover: cap_days must be a positive finite number of "
                             f"days; got {cap_days!r}")
    cover = warnings["days_of_cover"].to_numpy(dtype=float, na_value=np.nan)
    cls = warnings[by].astype("str").fillna("(none)").to_numpy(dtype=object)
    shown = ~np.isnan(cover)
    classes = np.sort(pd.unique(cls[shown]).astype(str))
    code = np.where(shown, pd.Categorical(cls, categories=classes).codes, -1)
    k = len(classes)
    y = np.minimum(cover, cap)
    capped = shown & (cover > cap)  # inf (no demand) included
    # sideways jitter from the golden-ratio sequence within each class: reproducible
    rank = pd.Series(code).groupby(code).cumcount().to_numpy()
    x = code + ((rank * 0.6180339887498949) % 1.0 - 0.5) * 0.5

    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * k + 2.5) + 2.5, 4.2))
    if k:
        ax.boxplot([y[code == i] for i in range(k)], positions=np.arange(k), widths=0.6,
                   showfliers=False, manage_ticks=False, zorder=2,
                   medianprops={"color": "black"}, boxprops={"color": "tab:gray"},
                   whiskerprops={"color": "tab:gray"}, capprops={"color": "tab:gray"})
    lt_med = np.nan
    if "lead_time_days" in warnings.columns:
        lt = warnings["lead_time_days"].to_numpy(dtype=float, na_value=np.nan)[shown]
        lt_med = float(np.nanmedian(lt)) if np.isfinite(lt).any() else np.nan
    if np.isfinite(lt_med):
        ax.axhline(lt_med, color="tab:orange", ls="--", lw=1.2, gid="lead_time",
                   label=label(f"median lead time {lt_med:.3g} d",
                               f"提前期中位数 {lt_med:.3g} 天", lang=lang))
    if overstock_days is not None and float(overstock_days) <= cap:
        ax.axhline(overstock_days, color="tab:purple", ls="-.", lw=1.2, gid="overstock",
                   label=label(f"overstock {overstock_days:g} d", f"超储线 {overstock_days:g} 天",
                               lang=lang))
    ax.axhline(cap, color="tab:gray", ls=":", lw=0.8)
    ok = shown & ~capped
    ax.scatter(x[ok], y[ok], s=10, color="tab:blue", alpha=0.5, lw=0, zorder=3, gid="cover",
               label=label("SKU", "SKU", lang=lang))
    if capped.any():
        ax.scatter(x[capped], y[capped], s=18, marker="^", color="tab:red", alpha=0.7, lw=0,
                   zorder=3, gid="capped",
                   label=label(f"> {cap:g} d or no demand (capped)",
                               f"超过 {cap:g} 天或无需求（截断）", lang=lang))
    n = np.bincount(code[shown], minlength=k)
    ax.set_xticks(np.arange(k), [f"{c}\n(n={m:,})" for c, m in zip(classes, n, strict=True)])
    ax.set_xlim(-0.6, k - 0.4)
    ax.set_ylim(0, cap * 1.05)
    en, zh = _CLASS_NAMES.get(by, (by, by))
    ax.set_xlabel(label(en, zh, lang=lang))
    ax.set_ylabel(label("days of cover (on hand ÷ demand per day)", "可售天数（在库 ÷ 日需求）",
                        lang=lang))
    title = label(f"Days of cover by {en}", f"可售天数（按{zh}）", lang=lang)
    hidden = int((~shown).sum())
    if hidden:
        title += label(f"\n{hidden:,} SKU{'s' * (hidden > 1)} without a stock record not shown",
                       f"\n{hidden:,} 个 SKU 无库存记录，未画出", lang=lang)
    ax.set_title(title)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def warning_summary(warnings: pd.DataFrame, /, *, lang: str = "zh") -> Figure:
    """SKUs per warning level of :func:`mallkit.inventory.inventory_warnings`.

    One bar per level in a fixed order, most urgent first: stockout 缺货, below_safety
    低于安全库存, reorder 需补货, slow_moving 滞销, overstock 超储, ok 正常 (red → green;
    empty levels keep their place), then any other level present — ``unknown_sku`` and
    ``no_stock_record`` rows — in grey, so no SKU is left out. Each bar is labelled
    with its count and share. Level names are the ``level_cn`` of the table (or
    :data:`mallkit.inventory.LEVEL_CN`) when Chinese is wanted and can be drawn, the
    level codes otherwise.

    Raises
    ------
    MissingColumnsError
        The table has no ``level`` column.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> w = pd.DataFrame({"sku": ["A", "B", "C", "D"],
    ...                   "level": ["ok", "stockout", "reorder", "ok"]})
    >>> fig = warning_summary(w, lang="en")
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['stockout', 'below_safety', 'reorder', 'slow_moving', 'overstock', 'ok']
    >>> [int(p.get_height()) for p in fig.axes[0].patches]
    [1, 0, 1, 0, 0, 2]
    """
    from mallkit.inventory import LEVEL_CN, LEVELS  # only this figure needs the module

    require_columns(warnings, ["level"], "warnings")
    counts = warnings["level"].astype("str").fillna("(none)").value_counts()
    extra = sorted(set(counts.index) - set(_STOCK_LEVELS),
                   key=lambda lv: (LEVELS.index(lv) if lv in LEVELS else len(LEVELS), lv))
    order = [*_STOCK_LEVELS, *extra]
    n = counts.reindex(order, fill_value=0).to_numpy(dtype=np.int64)
    cn = dict(LEVEL_CN)
    if "level_cn" in warnings.columns:
        pairs = warnings[["level", "level_cn"]].dropna().drop_duplicates("level")
        cn.update(zip(pairs["level"].astype(str), pairs["level_cn"].astype(str), strict=True))
    total = int(n.sum())

    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(order) + 1.5), 3.8))
    xs = np.arange(len(order))
    ax.bar(xs, n, color=[*_STOCK_COLOURS, *["#bdbdbd"] * len(extra)], width=0.7, gid="levels")
    for x, m in zip(xs, n, strict=True):
        share = "" if not total else "\n<1%" if 0 < m < total / 100 else f"\n{m / total:.0%}"
        ax.text(x, m, f"{m:,}{share}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, [label(lv, cn.get(lv, lv), lang=lang) for lv in order])
    ax.set_ylim(0, max(1, int(n.max(initial=0))) * 1.25)
    ax.set_ylabel(label("SKUs", "SKU 数", lang=lang))
    ax.set_title(label(f"SKUs by warning level ({total:,} SKUs)",
                       f"各预警级别 SKU 数（共 {total:,} 个）", lang=lang))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig
