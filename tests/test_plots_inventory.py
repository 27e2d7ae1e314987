"""Tests of the inventory figures in mallkit.plots: what is drawn equals what the table says.

Expected counts, class sizes, medians and clipped values are computed independently with
pandas/numpy from the same warnings table (sample mall, or small hand-made tables whose
numbers are worked out in the comments)."""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from mallkit import fonts
from mallkit.datasets import make_sample_mall
from mallkit.demand import daily_sales
from mallkit.errors import InventoryError, MissingColumnsError
from mallkit.inventory import LEVEL_CN, inventory_warnings
from mallkit.plots import days_of_cover, warning_summary
from tests.conftest import assert_not_mutated

SIX = ["stockout", "below_safety", "reorder", "slow_moving", "overstock", "ok"]


@pytest.fixture(autouse=True, scope="module")
def _agg():
    matplotlib.use("Agg")  # no display needed


@pytest.fixture(scope="module")
def w():
    mall = make_sample_mall(seed=0, start="2024-09-01", end="2025-10-20", n_customers=3000)
    ds = daily_sales(mall["order_lines"], mall["orders"])
    return inventory_warnings(mall["inventory"], ds, mall["products"], as_of="2025-10-20",
                              promotions=mall["promotions"])


def points(ax, gid: str) -> np.ndarray:
    """The (x, y) offsets of the scatter drawn with ``gid`` (empty if none was drawn)."""
    found = [c for c in ax.collections if c.get_gid() == gid]
    return np.asarray(found[0].get_offsets()) if found else np.empty((0, 2))


def hline(ax, gid: str) -> float | None:
    found = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    return float(found[0].get_ydata()[0]) if found else None


def ticks(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


# ------------------------------------------------------------------------ warning_summary
def test_warning_summary_bars_are_the_level_counts(w):
    fig = assert_not_mutated(warning_summary, w, lang="en")
    ax = fig.axes[0]
    expected = w["level"].value_counts().reindex(SIX, fill_value=0)  # pandas, independently
    extra = sorted(set(w["level"]) - set(SIX))
    assert ticks(ax) == SIX + extra
    heights = [p.get_height() for p in ax.patches]
    assert heights[:6] == expected.tolist()
    assert sum(heights) == len(w)  # every SKU is in a bar
    assert f"({len(w):,} SKUs)" in ax.get_title()
    # red -> green: stockout's bar is redder than green, ok's greener than red
    r0, g0, _ = to_rgb(ax.patches[0].get_facecolor())
    r5, g5, _ = to_rgb(ax.patches[5].get_facecolor())
    assert r0 > g0 and g5 > r5
    # each bar is labelled with its count and share
    reorder = int(expected["reorder"])
    assert ax.texts[2].get_text() == f"{reorder:,}\n{reorder / len(w):.0%}"


def test_warning_summary_keeps_empty_levels_and_counts_incomplete_rows_in_grey():
    # 2 ok, 1 stockout, 1 no_stock_record, 2 unknown_sku: the two data levels follow the
    # six in LEVELS' order, grey; empty levels keep their place with height 0
    w = pd.DataFrame({"sku": list("ABCDEF"),
                      "level": ["ok", "unknown_sku", "stockout", "no_stock_record", "ok",
                                "unknown_sku"]})
    ax = warning_summary(w, lang="en").axes[0]
    assert ticks(ax) == [*SIX, "unknown_sku", "no_stock_record"]
    assert [p.get_height() for p in ax.patches] == [1, 0, 0, 0, 0, 2, 2, 1]
    assert to_rgb(ax.patches[6].get_facecolor()) == to_rgb("#bdbdbd")
    # 1 of 6 = 17 %; an empty level is labelled 0 and 0 %
    assert [t.get_text() for t in ax.texts][:2] == ["1\n17%", "0\n0%"]


# label choice only: no font is really registered, so DejaVu warns of missing glyphs
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font:UserWarning")
def test_warning_summary_names_levels_in_chinese_only_when_a_cjk_font_is_registered(
        monkeypatch):
    w = pd.DataFrame({"level": ["stockout", "ok"], "level_cn": ["断货", "正常"]})
    monkeypatch.setitem(fonts._state, "name", "Some CJK Font")  # as after use_cjk_font()
    ax = warning_summary(w).axes[0]
    # the table's own level_cn wins ("断货"); levels absent from it come from LEVEL_CN
    assert ticks(ax) == ["断货"] + [LEVEL_CN[lv] for lv in SIX[1:]]
    assert ax.get_title() == "各预警级别 SKU 数（共 2 个）"
    assert ticks(warning_summary(w, lang="en").axes[0]) == SIX
    monkeypatch.setitem(fonts._state, "name", None)  # no CJK font: English even for zh
    ax = warning_summary(w).axes[0]
    assert ticks(ax) == SIX
    assert ax.get_title() == "SKUs by warning level (2 SKUs)"


def test_warning_summary_needs_a_level_column():
    with pytest.raises(MissingColumnsError, match=r"table 'warnings' is missing column\(s\) "
                       r"level; columns present: sku, days_of_cover"):
        warning_summary(pd.DataFrame({"sku": ["A"], "days_of_cover": [1.0]}))


# ------------------------------------------------------------------------ days_of_cover
def test_days_of_cover_draws_every_sku_in_its_class(w):
    fig = assert_not_mutated(days_of_cover, w, lang="en")
    ax = fig.axes[0]
    shown = w[w["days_of_cover"].notna()]
    sizes = shown.groupby("abc_xyz").size().sort_index()  # pandas, independently
    assert ticks(ax) == [f"{c}\n(n={n:,})" for c, n in sizes.items()]
    pts = np.vstack([points(ax, "cover"), points(ax, "capped")])
    # jitter stays within +-0.25 of the class position, so rounding recovers the class
    got = pd.Series(np.rint(pts[:, 0]).astype(int)).value_counts().sort_index()
    assert got.tolist() == sizes.tolist()
    # the capped points are exactly the covers above 180 d (no demand: infinite)
    assert len(points(ax, "capped")) == int((shown["days_of_cover"] > 180).sum())
    assert np.isinf(shown["days_of_cover"]).any()  # the sample has SKUs without demand
    # uncapped points are drawn at their own cover
    np.testing.assert_allclose(np.sort(points(ax, "cover")[:, 1]),
                               np.sort(shown.loc[shown["days_of_cover"] <= 180,
                                                 "days_of_cover"].to_numpy()))
    # reference lines: median lead time of the SKUs drawn, and inventory_warnings' default
    # overstock threshold (90 d)
    assert hline(ax, "lead_time") == pytest.approx(shown["lead_time_days"].median())
    assert hline(ax, "overstock") == 90.0


def test_days_of_cover_clips_to_cap_days():
    # covers 0, 5.5, 179.9, 180 are drawn as they are; 180.1, 400 and inf (no demand) are
    # clipped to 180 and marked; NaN (no stock record) is left out and counted in the title
    w = pd.DataFrame({"abc_xyz": ["AX", "AX", "AX", "BY", "BY", "BY", "CZ", "CZ"],
                      "days_of_cover": [0.0, 5.5, 179.9, 180.0, 180.1, 400.0, np.inf, np.nan],
                      "lead_time_days": [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 99.0]})
    ax = days_of_cover(w, lang="en").axes[0]
    assert sorted(points(ax, "cover")[:, 1].tolist()) == [0.0, 5.5, 179.9, 180.0]
    capped = points(ax, "capped")
    assert capped[:, 1].tolist() == [180.0, 180.0, 180.0]
    assert np.rint(capped[:, 0]).tolist() == [1, 1, 2]  # BY, BY, CZ
    assert ticks(ax) == ["AX\n(n=3)", "BY\n(n=3)", "CZ\n(n=1)"]
    assert ax.get_title() == ("Days of cover by ABC–XYZ class\n"
                              "1 SKU without a stock record not shown")
    # median lead time over the 7 SKUs drawn: 2, 4, ..., 14 -> 8 (the NaN row's 99 is out)
    assert hline(ax, "lead_time") == 8.0
    assert ax.get_ylim()[1] == pytest.approx(189.0)  # cap + 5 %
    # a smaller cap clips more, and the overstock line above the cap is not drawn
    ax = days_of_cover(w, cap_days=30, lang="en").axes[0]
    assert points(ax, "capped")[:, 1].tolist() == [30.0] * 5
    assert hline(ax, "overstock") is None
    assert "> 30 d or no demand (capped)" in [t.get_text() for t in ax.get_legend().get_texts()]
    # overstock_days moves the line, None removes it; no lead-time column, no lead-time line
    ax = days_of_cover(w, overstock_days=60, lang="en").axes[0]
    assert hline(ax, "overstock") == 60.0
    ax = days_of_cover(w.drop(columns="lead_time_days"), overstock_days=None, lang="en").axes[0]
    assert hline(ax, "lead_time") is None and hline(ax, "overstock") is None


def test_days_of_cover_by_another_class_column(w):
    ax = days_of_cover(w, by="demand_class", lang="en").axes[0]
    sizes = w[w["days_of_cover"].notna()].groupby("demand_class").size().sort_index()
    assert ticks(ax) == [f"{c}\n(n={n:,})" for c, n in sizes.items()]
    assert ax.get_xlabel() == "demand class"


def test_days_of_cover_rejects_bad_input():
    w = pd.DataFrame({"abc_xyz": ["AX"], "days_of_cover": [3.0]})
    with pytest.raises(MissingColumnsError, match=r"missing column\(s\) category; columns "
                       r"present: abc_xyz, days_of_cover"):
        days_of_cover(w, by="category")
    for bad in (0, -5, np.inf, np.nan):
        with pytest.raises(InventoryError, match="cap_days must be a positive finite"):
            days_of_cover(w, cap_days=bad)


# ------------------------------------------------------------------------ both
def test_figures_are_closed_and_leave_matplotlib_settings_alone(w):
    before = dict(matplotlib.rcParams)
    open_before = plt.get_fignums()
    figs = [days_of_cover(w), warning_summary(w)]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    assert plt.get_fignums() == open_before  # each was closed before it was returned
    assert dict(matplotlib.rcParams) == before


def test_chinese_labels_render_with_a_cjk_font(w, monkeypatch):
    if fonts.find_cjk_font() is None:
        pytest.skip("no CJK font installed")
    monkeypatch.setattr(fonts, "_state", {})  # register the font afresh, then restore
    with matplotlib.rc_context():
        assert fonts.use_cjk_font() is not None
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph would warn while drawing
            cover = days_of_cover(w)
            summary = warning_summary(w)
            for fig in (cover, summary):
                fig.canvas.draw()
    assert cover.axes[0].get_title() == "可售天数（按ABC–XYZ 分类）"
    assert ticks(summary.axes[0])[:6] == [LEVEL_CN[lv] for lv in SIX]
