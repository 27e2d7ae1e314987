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
from matplotlib.ticker import FuncFormatter

from mallkit.fonts import label

__all__ = ["daily_gmv", "mix_bar"]

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
