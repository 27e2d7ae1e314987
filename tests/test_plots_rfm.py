"""Tests of the RFM figures in mallkit.plots: what is drawn equals what the data says.

Expected grids and bar lengths are computed independently with pandas (crosstab, groupby)
from the same scores, or by hand in the comments."""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mallkit import fonts
from mallkit.datasets import make_sample_mall
from mallkit.errors import MissingColumnsError, RFMError
from mallkit.plots import migration_heatmap, rfm_heatmap, segment_bar
from mallkit.rfm import RFMWarning, rfm_scores, rfm_table
from mallkit.segments import ENTERED, LEFT, rfm_segments, segment_migration, segment_summary
from tests.conftest import assert_not_mutated


@pytest.fixture(autouse=True, scope="module")
def _agg():
    matplotlib.use("Agg")  # no display needed


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMWarning)
        return func(*args, **kwargs)


@pytest.fixture(scope="module")
def rfm():
    mall = make_sample_mall(seed=0, start="2025-09-01", end="2025-12-31", n_customers=2000)
    snaps = {}
    for as_of in ("2025-11-30", "2025-12-31"):
        t = rfm_table(mall["orders"], mall["refunds"], as_of=as_of)
        s = quiet(rfm_scores, t)
        snaps[as_of] = (t, s, quiet(rfm_segments, s))
    return snaps


def grid(ax) -> np.ndarray:
    """The values an imshow axes shows, masked cells as NaN."""
    return np.ma.filled(ax.images[0].get_array().astype(float), np.nan)


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


# ----------------------------------------------------------------------------- rfm_heatmap
def test_rfm_heatmap_hand_computed():
    # customers: (R5, F5, 10 yuan), (R5, F5, 30 yuan), (R1, F2, 5 yuan), bins 3
    s = pd.DataFrame({"r_score": [3, 3, 1], "f_score": [3, 3, 2],
                      "monetary_fen": [1000, 3000, 500]})
    fig = rfm_heatmap(s, bins=3, lang="en")
    count, money = fig.axes[0], fig.axes[1]
    want = np.zeros((3, 3))
    want[2, 2], want[0, 1] = 2, 1  # row = R - 1 (origin lower: R 3 on top), column = F - 1
    np.testing.assert_array_equal(grid(count), want)
    assert count.images[0].origin == "lower"
    # mean net spend in yuan: (1000 + 3000) / 2 / 100 = 20, 500 / 100 = 5; empty cells blank
    m = grid(money)
    assert m[2, 2] == 20 and m[0, 1] == 5 and np.isnan(m).sum() == 7
    assert sorted(texts(money)) == ["20", "5"]
    assert texts(count).count("0") == 7 and sorted(texts(count))[-2:] == ["1", "2"]
    assert [t.get_text() for t in count.get_xticklabels()] == ["1", "2", "3"]
    assert count.get_xlabel() == "F score (5 = most frequent)"
    assert count.get_ylabel() == "R score (5 = most recent)"
    assert money.get_title() == "Mean monetary by R x F score (yuan)"


def test_rfm_heatmap_counts_and_means_equal_the_data(rfm):
    t, s, _ = rfm["2025-12-31"]
    fig = rfm_heatmap(s, lang="en")
    c = s.customers
    ct = pd.crosstab(c["r_score"], c["f_score"]).reindex(index=range(1, 6), columns=range(1, 6),
                                                         fill_value=0)
    np.testing.assert_array_equal(grid(fig.axes[0]), ct.to_numpy())
    assert grid(fig.axes[0]).sum() == len(t.customers)
    mean = (c.groupby(["r_score", "f_score"])["monetary_fen"].mean().unstack()
            .reindex(index=range(1, 6), columns=range(1, 6)) / 100)
    np.testing.assert_allclose(grid(fig.axes[1]), mean.to_numpy(), equal_nan=True)
    # most customers bought once: F=2 collapses into F=1 (RFMWarning), its column is empty
    assert (ct[2] == 0).all() and (grid(fig.axes[0])[:, 1] == 0).all()
    # one panel on request; a frame works like the RFMScores result
    one = rfm_heatmap(c, value="customers", lang="en")
    assert len([ax for ax in one.axes if ax.images]) == 1
    np.testing.assert_array_equal(grid(one.axes[0]), ct.to_numpy())
    money = rfm_heatmap(s, value="monetary", lang="en")
    np.testing.assert_allclose(grid(money.axes[0]), mean.to_numpy(), equal_nan=True)


def test_rfm_heatmap_errors_and_no_mutation():
    s = pd.DataFrame({"r_score": [5, 1], "f_score": [5, 2], "monetary_fen": [100, 200]})
    with pytest.raises(MissingColumnsError, match=r"table 'scores' is missing column\(s\) "
                                                   r"monetary_fen; columns present: r_score"):
        rfm_heatmap(s.drop(columns="monetary_fen"))
    rfm_heatmap(s.drop(columns="monetary_fen"), value="customers")  # not needed for counts
    with pytest.raises(RFMError, match=r"'r_score'/'f_score' need scores in 1..4; 1 row.s. "
                                       r"are not, e.g. index \[0\]"):
        rfm_heatmap(s, bins=4)
    with pytest.raises(RFMError, match="value must be 'both', 'customers' or 'monetary'"):
        rfm_heatmap(s, value="orders")
    assert_not_mutated(rfm_heatmap, s)


# ----------------------------------------------------------------------------- segment_bar
def test_segment_bar_lengths_equal_segment_sizes(rfm):
    t, _, g = rfm["2025-12-31"]
    summ = segment_summary(g)
    fig = segment_bar(summ, lang="en")
    left, right = fig.axes
    sizes = g.customers["segment"].value_counts()  # independent of segment_summary
    names = [t.get_text() for t in left.get_yticklabels()]
    assert names == list(g.customers["segment"].cat.categories)  # scheme order
    widths = [p.get_width() for p in left.patches]
    assert widths == [sizes[n] for n in names] and sum(widths) == len(t.customers)
    # revenue share: net spend of the segment over all net spend
    rev = g.customers.groupby("segment", observed=True)["monetary_fen"].sum()
    total = t.customers["monetary_fen"].sum()
    np.testing.assert_allclose([p.get_width() for p in right.patches],
                               [rev[n] / total for n in names])
    # first segment of the scheme on top, labels with counts and shares
    assert left.yaxis_inverted() and left.patches[0].get_y() < left.patches[1].get_y()
    first = sizes[names[0]]
    assert texts(left)[0] == f" {first:,} ({first / len(t.customers):.1%})"
    assert right.get_title() == "Revenue share per segment"


def test_segment_bar_empty_segment_and_missing_columns():
    summ = pd.DataFrame({"segment": ["a", "b"], "customers": [4, 0], "share": [1.0, 0.0],
                         "revenue_share": [1.0, 0.0]})
    fig = segment_bar(summ, lang="en")
    assert [p.get_width() for p in fig.axes[0].patches] == [4, 0]
    assert texts(fig.axes[1]) == [" 100.0%", " 0.0%"]
    with pytest.raises(MissingColumnsError, match=r"table 'summary' is missing column\(s\) "
                                                   r"revenue_share"):
        segment_bar(summ.drop(columns="revenue_share"))
    assert_not_mutated(segment_bar, summ)


# ----------------------------------------------------------------------------- migration
def test_migration_heatmap_hand_computed():
    before = pd.DataFrame({"customer_id": ["A", "B", "C", "E"], "segment": ["x", "x", "y", "y"]})
    after = pd.DataFrame({"customer_id": ["A", "C", "D", "E"], "segment": ["y", "y", "x", "x"]})
    # A x->y, B x->left, C y->y, E y->x, D entered->x
    fig = migration_heatmap(segment_migration(before, after), lang="en")
    ax = fig.axes[0]
    np.testing.assert_array_equal(grid(ax), [[0, 0.5, 0.5], [0.5, 0.5, 0], [1, 0, 0]])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x (2)", "y (2)", "(entered) (1)"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "(left)"]
    assert sorted(texts(ax)) == ["100%", "50%", "50%", "50%", "50%"]  # only cells with moves
    assert ax.get_title() == "Segment migration (share of each row)"


def test_migration_heatmap_shows_the_row_shares_between_months(rfm):
    before, after = rfm["2025-11-30"][2], rfm["2025-12-31"][2]
    mg = segment_migration(before, after)
    fig = migration_heatmap(mg, lang="en")
    ax = fig.axes[0]
    shown = grid(ax)
    # independent: row shares of a crosstab of the two snapshots (outer join on customers)
    m = before.customers[["customer_id", "segment"]].merge(
        after.customers[["customer_id", "segment"]], on="customer_id", how="outer")
    b = m["segment_x"].astype(object).fillna(ENTERED)
    a = m["segment_y"].astype(object).fillna(LEFT)
    ct = pd.crosstab(b, a).reindex(index=mg.counts.index, columns=mg.counts.columns,
                                   fill_value=0)
    tot = ct.sum(axis=1).to_numpy()[:, None]
    want = np.where(tot > 0, ct.to_numpy() / np.where(tot > 0, tot, 1), np.nan)
    np.testing.assert_allclose(shown, want, equal_nan=True)
    assert len(ax.texts) == int((ct.to_numpy() > 0).sum())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0] == f"Champions ({ct.loc['Champions'].sum():,})"
    assert rows[-1] == f"(entered) ({(b == ENTERED).sum():,})"


# ----------------------------------------------------------------------------- all three
def test_figures_are_closed_and_leave_matplotlib_settings_alone(rfm):
    _, s, g = rfm["2025-12-31"]
    before = dict(matplotlib.rcParams)
    open_before = plt.get_fignums()
    figs = [rfm_heatmap(s), segment_bar(segment_summary(g)),
            migration_heatmap(segment_migration(g, g))]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    assert plt.get_fignums() == open_before  # each was closed before it was returned
    assert dict(matplotlib.rcParams) == before


def test_chinese_labels_render_with_a_cjk_font(rfm, monkeypatch):
    if fonts.find_cjk_font() is None:
        pytest.skip("no CJK font installed")
    _, s, _ = rfm["2025-12-31"]
    g = quiet(rfm_segments, s, scheme="cn4")
    monkeypatch.setattr(fonts, "_state", {})  # register the font afresh, then restore
    with matplotlib.rc_context():
        assert fonts.use_cjk_font() is not None
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph would warn while drawing
            heat = rfm_heatmap(s)
            bars = segment_bar(segment_summary(g))
            mig = migration_heatmap(segment_migration(g, g))
            for fig in (heat, bars, mig):
                fig.canvas.draw()
    assert heat.axes[0].get_title() == "各 R×F 分客户数"
    assert bars.axes[0].get_title() == "各分层客户数"
    assert [t.get_text() for t in bars.axes[0].get_yticklabels()] == ["核心", "潜力", "普通",
                                                                      "沉睡"]
    assert mig.axes[0].get_yticklabels()[-1].get_text().startswith("（新进入）")
