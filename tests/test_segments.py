"""Tests of mallkit.segments: the classic map as a partition (checked by brute force against
the R rfm vignette's map), cn8/cn4 against the published Chinese table, custom-map errors,
summaries and migration (hand-computed and on the sample mall), and the lazy re-export of
the segment API from mallkit.rfm."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mallkit.rfm
import mallkit.segments
from mallkit.datasets import make_sample_mall
from mallkit.errors import MissingColumnsError, SchemaError
from mallkit.rfm import RFMError, RFMScores, RFMTable, RFMWarning, rfm_scores, rfm_table
from mallkit.segments import (
    ENTERED,
    LEFT,
    Segments,
    rfm_segments,
    segment_cells,
    segment_map,
    segment_migration,
    segment_names,
    segment_summary,
)
from tests.conftest import assert_not_mutated

CLASSIC = ["Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
           "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost"]
CN8 = ["重要价值", "重要发展", "重要保持", "重要挽留",
       "一般价值", "一般发展", "一般保持", "一般挽留"]
CN4 = ["核心", "潜力", "普通", "沉睡"]


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMWarning)
        return func(*args, **kwargs)


def table(r, f, m) -> pd.DataFrame:
    n = len(r)
    return pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(n)], "recency_days": r,
                         "frequency": f, "monetary_fen": m})


@pytest.fixture(scope="module")
def mall():
    return make_sample_mall(seed=0, start="2025-09-01", end="2025-12-31", n_customers=2000)


# ----------------------------------------------------------------------------- segment maps
def cells_by_brute_force(boxes, bins=5):
    """For every (r, f, m) cell, the segments whose boxes contain it (plain loops)."""
    out = {}
    for r in range(1, bins + 1):
        for f in range(1, bins + 1):
            for m in range(1, bins + 1):
                out[(r, f, m)] = {b[0] for b in boxes if b[1] <= r <= b[2] and b[3] <= f <= b[4]
                                  and b[5] <= m <= b[6]}
    return out


# The R rfm vignette map (rfm.md section 2), evaluated first-match-wins like case_when.
R_VIGNETTE = [("Champions", 4, 5, 4, 5, 4, 5), ("Loyal Customers", 2, 5, 3, 5, 3, 5),
              ("Potential Loyalist", 3, 5, 1, 3, 1, 3), ("New Customers", 4, 5, 1, 1, 1, 1),
              ("Promising", 3, 4, 1, 1, 1, 1), ("Need Attention", 2, 3, 2, 3, 2, 3),
              ("About To Sleep", 2, 3, 1, 2, 1, 2), ("At Risk", 1, 2, 2, 5, 2, 5),
              ("Can't Lose Them", 1, 1, 4, 5, 4, 5), ("Hibernating", 1, 2, 1, 2, 1, 2),
              ("Lost", 1, 2, 1, 2, 1, 2)]


def test_classic_map_is_a_partition_of_all_125_cells():
    boxes = [tuple(row) for row in segment_map("classic").drop(columns="segment_zh")
             .itertuples(index=False)]
    cover = cells_by_brute_force(boxes)
    assert len(cover) == 125
    assert all(len(s) == 1 for s in cover.values())  # every cell in exactly one segment
    owned = {next(iter(s)) for s in cover.values()}
    assert owned == set(CLASSIC)  # every well-known segment is reachable
    cells = segment_cells(segment_map("classic"))
    assert [cover[(r, f, m)].pop() for r, f, m in cells[["r_score", "f_score", "m_score"]]
            .itertuples(index=False)] == cells["segment"].astype(str).tolist()
    assert list(cells["segment"].cat.categories) == CLASSIC
    assert segment_names("classic")["segment_en"].tolist() == CLASSIC


def test_r_vignette_map_is_not_a_partition():
    # What rfm.md reports, re-derived: first match wins -> 36 cells in "Others" and four
    # segments that no cell reaches. As a map of boxes (no rule order) it is worse: 42 cells
    # are claimed twice and 8 segments own no cell; mallkit rejects it, naming the cells.
    cover = cells_by_brute_force(R_VIGNETTE)
    first = {c: next((b[0] for b in R_VIGNETTE if b[0] in s), None) for c, s in cover.items()}
    assert sum(v is None for v in first.values()) == 36
    assert set(CLASSIC) - set(first.values()) == {"New Customers", "Promising",
                                                  "Can't Lose Them", "Lost"}
    vignette = pd.DataFrame(R_VIGNETTE, columns=["segment", "r_min", "r_max", "f_min", "f_max",
                                                 "m_min", "m_max"])
    with pytest.raises(RFMError, match=r"gaps \(36 cells in no segment\): R1F1M3, R1F1M4.*"
                                       r"overlaps \(42 cells in several segments\): R1F1M1 "
                                       r"\(Hibernating & Lost\).*unreachable segments \(no cell of "
                                       r"their own\): Champions, New Customers, Promising, Need "
                                       r"Attention, About To Sleep, Can't Lose Them, Hibernating, "
                                       r"Lost$"):
        segment_cells(vignette)


def test_custom_map_errors():
    two = pd.DataFrame({"segment": ["hi", "lo"], "r_min": [2, 1], "r_max": [2, 1],
                        "f_min": [1, 1], "f_max": [2, 2], "m_min": [1, 1], "m_max": [2, 2]})
    assert segment_cells(two, bins=2)["segment"].value_counts().to_dict() == {"hi": 4, "lo": 4}
    out = two.assign(r_max=[3, 1])
    with pytest.raises(RFMError, match=r"ranges outside 1..2 or min > max in hi \(row 0\)"):
        segment_cells(out, bins=2)
    shadow = pd.concat([two, two.iloc[[1]].assign(segment="ghost")], ignore_index=True)
    with pytest.raises(RFMError, match=r"overlaps \(4 cells in several segments\): "
                                       r"R1F1M1 \(lo & ghost\).*unreachable.*: lo, ghost"):
        segment_cells(shadow, bins=2)
    with pytest.raises(MissingColumnsError, match=r"table 'segment map' is missing .*m_max"):
        segment_cells(two.drop(columns="m_max"), bins=2)
    scores = pd.DataFrame({"customer_id": ["A", "B"], "r_score": [2, 1], "f_score": [1, 2],
                           "m_score": [2, 2]})
    g = rfm_segments(scores, scheme=two, bins=2)
    assert g.customers["segment"].tolist() == ["hi", "lo"]
    assert g.rules["cells"].tolist() == [4, 4]
    with pytest.raises(SchemaError, match=r"'r_score/f_score/m_score' breaks rule 'scores in "
                                          r"1..2'.*customer_id=A"):
        rfm_segments(scores.assign(r_score=[3, 1]), scheme=two, bins=2)


def test_classic_segments_of_hand_picked_cells():
    s = pd.DataFrame({"customer_id": list("ABCDEFG"),
                      "r_score": [5, 5, 4, 1, 1, 3, 2], "f_score": [5, 1, 1, 5, 1, 5, 3],
                      "m_score": [5, 1, 5, 5, 1, 5, 4]})
    g = quiet(rfm_segments, s)
    assert g.customers["segment"].astype(str).tolist() == [
        "Champions", "New Customers", "Promising", "Can't Lose Them", "Lost",
        "Loyal Customers", "At Risk"]
    zh = quiet(rfm_segments, s, lang="zh").customers["segment"].astype(str).tolist()
    assert zh[:2] == ["冠军客户", "新客户"]
    with pytest.warns(RFMWarning, match="no customer in segment.s. Potential Loyalist, "):
        rfm_segments(s)
    with pytest.raises(RFMError, match="the classic map needs 5 bins, the scores have 4"):
        rfm_segments(s, bins=4)
    with pytest.raises(RFMError, match="scheme must be 'classic', 'cn8', 'cn4' or a map"):
        rfm_segments(s, scheme="rfm11")


def cn_table():
    # one customer per (R near/far, F high/low, M high/low); means: R 50, F 3, M 5000
    r = [10, 10, 90, 90, 10, 10, 90, 90]
    f = [5, 1, 5, 1, 5, 1, 5, 1]
    m = [9000, 9000, 9000, 9000, 1000, 1000, 1000, 1000]
    return table(r, f, m)


def test_cn8_mean_split_matches_the_published_table():
    # rfm.md section 5 (bz.zhsmjxc.com): 近高高 重要价值, 近低高 重要发展, 远高高 重要保持,
    # 远低高 重要挽留, 近高低 一般价值, 近低低 一般发展, 远高低 一般保持, 远低低 一般挽留
    g = rfm_segments(cn_table(), scheme="cn8")
    assert g.customers["segment"].astype(str).tolist() == CN8
    assert g.rules["value"].tolist() == [50, 3, 5000]
    assert g.rules["rule"].tolist()[0] == "近 (recent) if recency_days < 50"
    en = rfm_segments(cn_table(), scheme="cn8", lang="en").customers["segment"]
    assert en.iloc[0] == "Important value" and en.iloc[7] == "General to win back"
    # boundaries: x == split is 高 for F and M, and 远 for R (近 means fewer days)
    edge = table([50], [3], [5000])
    g = quiet(rfm_segments, edge, scheme="cn8", split={"recency": 50, "frequency": 3,
                                                       "monetary": 5000})
    assert g.customers["segment"].tolist() == ["重要保持"]


def test_cn4_is_the_documented_roll_up_of_cn8():
    g8 = rfm_segments(cn_table(), scheme="cn8").customers["segment"].astype(str)
    g4 = rfm_segments(cn_table(), scheme="cn4").customers["segment"].astype(str)
    assert dict(zip(g8, g4, strict=True)) == {
        "重要价值": "核心", "重要发展": "潜力", "一般价值": "潜力", "一般发展": "潜力",
        "重要保持": "普通", "重要挽留": "普通", "一般保持": "普通", "一般挽留": "沉睡"}
    assert segment_names("cn4")["segment_zh"].tolist() == CN4
    # median split: R median 50, F 3, M 5000 as well here; a skewed F moves the split
    skew = cn_table().assign(frequency=[1, 1, 1, 1, 1, 1, 2, 9])
    gm = quiet(rfm_segments, skew, scheme="cn8", split="median")
    assert gm.rules["value"].tolist() == [50, 1, 5000]  # median F = 1: everyone is F 高
    assert set(gm.customers["segment"].astype(str)) == {"重要价值", "重要保持", "一般价值",
                                                         "一般保持"}
    with pytest.raises(RFMError, match="split must be 'mean', 'median' or a mapping"):
        rfm_segments(cn_table(), scheme="cn8", split="mode")
    with pytest.raises(RFMError, match="missing 'monetary'"):
        rfm_segments(cn_table(), scheme="cn4", split={"recency": 1, "frequency": 1})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5),
                          st.integers(0, 400), st.integers(1, 9), st.integers(0, 10**6)),
                min_size=1, max_size=40))
def test_every_customer_in_exactly_one_segment(rows):
    r, f, m, days, freq, fen = (list(x) for x in zip(*rows, strict=True))
    s = table(days, freq, fen).assign(r_score=r, f_score=f, m_score=m)
    for scheme in ("classic", "cn8", "cn4"):
        seg = quiet(rfm_segments, s, scheme=scheme).customers["segment"]
        assert len(seg) == len(s) and seg.notna().all()
    classic = quiet(rfm_segments, s).customers
    lut = segment_cells(segment_map("classic")).set_index(["r_score", "f_score", "m_score"])
    want = lut.loc[list(zip(r, f, m, strict=True)), "segment"].astype(str).tolist()
    assert classic["segment"].astype(str).tolist() == want


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 9), st.integers(0, 10**6)),
                min_size=1, max_size=40), st.randoms())
def test_segments_do_not_depend_on_row_order(rows, rnd):
    # the property: same customers in another row order -> same segment for each,
    # for scores computed afresh (tie-safe quantiles) and the mean split of cn8/cn4
    days, freq, fen = (list(x) for x in zip(*rows, strict=True))
    t = table(days, freq, fen)
    perm = t.iloc[rnd.sample(range(len(t)), len(t))]
    for scheme in ("classic", "cn8", "cn4"):
        a = quiet(rfm_segments, quiet(rfm_scores, t), scheme=scheme).customers
        b = quiet(rfm_segments, quiet(rfm_scores, perm), scheme=scheme).customers
        pd.testing.assert_series_equal(b.set_index("customer_id")["segment"].sort_index(),
                                       a.set_index("customer_id")["segment"], obj=scheme)


def test_sample_mall_populates_every_segment_of_every_scheme(mall):
    t = rfm_table(mall["orders"], mall["refunds"], as_of="2025-12-31")
    with pytest.warns(RFMWarning, match="frequency: quantile cut points collapse"):
        s = rfm_scores(t)  # most customers of a 4-month window bought once
    with warnings.catch_warnings():
        warnings.simplefilter("error", RFMWarning)  # no segment may be empty
        for scheme, names in (("classic", CLASSIC), ("cn8", CN8), ("cn4", CN4)):
            g = rfm_segments(s, scheme=scheme)
            counts = g.customers["segment"].value_counts()
            assert set(counts.index) == set(names) and (counts > 0).all(), scheme
            assert counts.sum() == len(t.customers)
        assert_not_mutated(lambda x: rfm_segments(x, scheme="cn8"), s.customers)


def test_null_metrics_scores_and_segments_are_named_not_misfiled():
    # A NaN raw metric made the cn8 mean NaN, so every customer was filed M 低; a NaN score
    # was cast to an integer; a null segment was dropped from the summary and counted as
    # (entered) in a migration although the customer is in both snapshots.
    t = cn_table().astype({"monetary_fen": float})
    t.loc[2, "monetary_fen"] = np.nan
    for scheme in ("cn8", "cn4"):
        with pytest.raises(SchemaError, match=r"table 'scores': column 'monetary_fen' breaks "
                                              r"rule 'not null' in 1 row; e.g. customer_id=C002"):
            rfm_segments(t, scheme=scheme)
    s = pd.DataFrame({"customer_id": ["A", "B"], "r_score": [5.0, np.nan], "f_score": [5, 1],
                      "m_score": [5, 1]})
    with pytest.raises(SchemaError, match=r"column 'r_score' breaks rule 'not null' in 1 row; "
                                          r"e.g. customer_id=B"):
        rfm_segments(s)
    before = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["x", None]})
    after = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["x", "y"]})
    with pytest.raises(SchemaError, match=r"table 'before': column 'segment' breaks rule 'not "
                                          r"null' in 1 row; e.g. customer_id=B"):
        segment_migration(before, after)
    with pytest.raises(SchemaError, match=r"table 'segments': column 'segment' breaks rule 'not "
                                          r"null' in 1 row; e.g. customer_id=B"):
        segment_summary(before.assign(recency_days=1, frequency=1, monetary_fen=100))


# ----------------------------------------------------------------------------- summaries
def test_segment_summary_totals_and_empty_segments(mall):
    t = rfm_table(mall["orders"], mall["refunds"], as_of="2025-12-31")
    g = quiet(rfm_segments, quiet(rfm_scores, t))
    s = segment_summary(g)
    assert s["segment"].tolist() == CLASSIC
    assert s["customers"].sum() == len(t.customers)
    assert s["revenue_fen"].sum() == t.customers["monetary_fen"].sum()
    assert s["orders"].sum() == t.customers["orders"].sum()
    assert s["share"].sum() == pytest.approx(1) and s["revenue_share"].sum() == pytest.approx(1)
    champ = g.customers[g.customers["segment"] == "Champions"]
    row = s.set_index("segment").loc["Champions"]
    assert row["aov_fen"] == pytest.approx(champ["monetary_fen"].sum() / champ["orders"].sum())
    assert row["recency_days_median"] == champ["recency_days"].median()
    # metrics can come from the table instead; empty segments stay, with zeros and NaN
    few = g.customers.head(3)[["customer_id", "segment"]]
    s2 = segment_summary(few, t)
    assert len(s2) == 11 and s2["customers"].sum() == 3
    assert np.isnan(s2.loc[s2["customers"] == 0, "aov_fen"]).all()
    with pytest.raises(SchemaError, match=r"a table row for every customer.*customer_id=ZZZ"):
        segment_summary(pd.DataFrame({"customer_id": ["ZZZ"], "segment": ["Lost"]}), t)


def test_segment_migration_hand_computed():
    before = pd.DataFrame({"customer_id": ["A", "B", "C", "E"], "segment": ["x", "x", "y", "y"]})
    after = pd.DataFrame({"customer_id": ["A", "C", "D", "E"], "segment": ["y", "y", "x", "x"]})
    mg = segment_migration(before, after)
    # A x->y, B x->left, C y->y, E y->x, D entered->x
    assert mg.counts.to_dict(orient="index") == {
        "x": {"x": 0, "y": 1, LEFT: 1}, "y": {"x": 1, "y": 1, LEFT: 0},
        ENTERED: {"x": 1, "y": 0, LEFT: 0}}
    assert mg.shares.loc["x"].tolist() == [0, 0.5, 0.5]
    summ = mg.summary.set_index("segment")
    assert summ.loc["x"].to_dict() == {"before": 2, "after": 2, "stayed": 0, "moved_in": 1,
                                       "entered": 1, "moved_out": 1, "left": 1, "net_change": 0}
    assert len(mg.flows) == 9 and mg.flows["customers"].sum() == 5
    with pytest.raises(SchemaError, match=r"table 'after': column 'customer_id' breaks rule "
                                          r"'unique key'.*customer_id=A, A"):
        segment_migration(before, pd.concat([after, after.head(1)]))


def test_segment_migration_between_months_on_sample_mall(mall):
    snaps = {}
    for as_of in ("2025-11-30", "2025-12-31"):
        t = rfm_table(mall["orders"], mall["refunds"], as_of=as_of)
        snaps[as_of] = quiet(rfm_segments, quiet(rfm_scores, t))
    before, after = snaps["2025-11-30"], snaps["2025-12-31"]
    mg = segment_migration(before, after)
    b = set(before.customers["customer_id"])
    a = set(after.customers["customer_id"])
    assert mg.counts.loc[ENTERED].sum() == len(a - b)  # first purchase in December
    assert mg.counts[LEFT].sum() == len(b - a)  # a December refund voided their only purchase
    assert mg.counts.to_numpy().sum() == len(a | b)
    full = mg.shares.drop(index=ENTERED)
    assert np.allclose(full[mg.counts.drop(index=ENTERED).sum(axis=1) > 0].sum(axis=1), 1)
    s = mg.summary
    assert (s["after"] == s["stayed"] + s["moved_in"] + s["entered"]).all()
    assert (s["before"] == s["stayed"] + s["moved_out"] + s["left"]).all()
    assert s["after"].tolist() == after.customers["segment"].value_counts()[CLASSIC].tolist()
    # customers keep moving between months: most Champions of November are still there
    assert mg.counts.loc["Champions", "Champions"] > 0


def test_three_calls_and_frozen_results(mall):
    t = rfm_table(mall["orders"], mall["refunds"], as_of="2025-12-31")
    s = quiet(rfm_scores, t)
    g = rfm_segments(s, scheme="cn4")
    assert isinstance(t, RFMTable) and isinstance(s, RFMScores) and isinstance(g, Segments)
    assert g.customers["customer_id"].tolist() == t.customers["customer_id"].tolist()
    with pytest.raises(AttributeError):
        g.customers = None  # frozen dataclasses of DataFrames
    # the raw table is enough for cn8/cn4, and frames work wherever results do
    pd.testing.assert_frame_equal(rfm_segments(t.customers, scheme="cn4").customers,
                                  g.customers.drop(columns=["r_score", "f_score", "m_score",
                                                            "rfm_code"]))
    # a Segments result (defined in mallkit.segments) is unwrapped by mallkit.rfm too:
    # re-scoring it gives the scores it carries
    again = quiet(rfm_scores, g).customers
    sc = ["r_score", "f_score", "m_score", "rfm_code"]
    pd.testing.assert_frame_equal(again[sc], s.customers[sc])
    with pytest.raises(RFMError, match="scores must be a DataFrame or an RFMTable"):
        rfm_segments([1, 2, 3])
    with pytest.raises(RFMError, match="table must be a DataFrame or an RFMTable"):
        rfm_scores(segment_migration(g, g))  # a Migration carries no customers


# ----------------------------------------------------------------------------- the split
def test_rfm_re_exports_the_segment_api_lazily():
    # every public name mallkit.rfm had before the split still comes from it, so do the
    # names added to mallkit.segments since (segment_change), and the segment names are the
    # very objects of mallkit.segments
    assert sorted(mallkit.rfm.__all__) == sorted([
        "ENTERED", "LEFT", "Migration", "RFMError", "RFMScores", "RFMTable", "RFMWarning",
        "SegmentChange", "Segments", "rfm_scores", "rfm_segments", "rfm_table", "segment_cells",
        "segment_change", "segment_map", "segment_migration", "segment_names", "segment_summary"])
    for name in mallkit.segments.__all__:
        assert getattr(mallkit.rfm, name) is getattr(mallkit.segments, name), name
    assert set(mallkit.segments.__all__) <= set(dir(mallkit.rfm))
    with pytest.raises(AttributeError, match=r"module 'mallkit\.rfm' has no attribute 'nope'"):
        _ = mallkit.rfm.nope
    # lazily, in a fresh interpreter: importing mallkit.rfm does not import mallkit.segments
    # (which imports mallkit.rfm), the first use of a segment name does; star-import works
    code = ("import sys, mallkit.rfm\n"
            "assert 'mallkit.segments' not in sys.modules\n"
            "from mallkit.rfm import *\n"
            "assert 'mallkit.segments' in sys.modules and callable(segment_migration)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_segment_change_uses_one_set_of_thresholds():
    from mallkit.datasets import make_sample_mall
    from mallkit.rfm import rfm_scores, rfm_table
    from mallkit.segments import segment_change

    m = make_sample_mall(seed=2, start="2025-05-01", end="2025-11-30", n_customers=1500)
    with pytest.warns(RFMWarning):  # most customers bought once: F cut points collapse
        ch = segment_change(m["orders"], m["refunds"], as_of="2025-12-01",
                            previous="2025-11-01")
    # The earlier snapshot is scored on the later one's thresholds, recomputed here.
    with pytest.warns(RFMWarning):
        now = rfm_scores(rfm_table(m["orders"], m["refunds"], as_of="2025-12-01"))
    pd.testing.assert_frame_equal(ch.thresholds, now.thresholds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMWarning)
        before = rfm_scores(rfm_table(m["orders"], m["refunds"], as_of="2025-11-01"),
                            method="thresholds", thresholds=now.thresholds)
    assert len(ch.before.customers) == len(before.customers)
    sc = ["customer_id", "r_score", "f_score", "m_score"]
    pd.testing.assert_frame_equal(ch.before.customers[sc], before.customers[sc])
    # cn8 (the default) splits raw R, F, M: the earlier snapshot on the later one's means,
    # recomputed here from the later table (a split on its own means would move customers
    # whose behaviour did not change)
    t_now = rfm_table(m["orders"], m["refunds"], as_of="2025-12-01").customers
    means = {"recency": t_now["recency_days"].mean(), "frequency": t_now["frequency"].mean(),
             "monetary": t_now["monetary_fen"].mean()}
    assert ch.now.rules["value"].tolist() == pytest.approx(list(means.values()))
    assert ch.before.rules["value"].tolist() == pytest.approx(list(means.values()))
    want = quiet(rfm_segments, before, scheme="cn8", split=means).customers["segment"]
    assert ch.before.customers["segment"].tolist() == want.tolist()
    # Migration identities: every customer of either snapshot is counted once.
    counts = ch.migration.counts
    assert counts.drop(index="(entered)").sum(axis=1).sum() == len(ch.before.customers)
    assert counts.drop(columns="(left)").sum().sum() == len(ch.now.customers)
    assert ch.summary["customers"].sum() == len(ch.now.customers)
