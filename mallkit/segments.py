"""RFM 用户分层, the segmentation: validated segment maps, segment sizes, migration.

It takes what :mod:`mallkit.rfm` measures (this module imports from it, never the reverse)::

    t = rfm_table(orders, refunds, as_of="2025-12-31")   # mallkit.rfm
    s = rfm_scores(t)                                     # mallkit.rfm
    g = rfm_segments(s, scheme="classic")                 # Segments: customers, rules
    segment_summary(g)                                    # customers, revenue, AOV per segment
    segment_migration(last_month, g)                      # who moved where since then

Segment maps are partitions of the score cube: :func:`segment_cells` checks that every
one of the bins**3 cells belongs to exactly one segment and every segment owns a cell.
``cn8`` and ``cn4`` split the raw metrics instead (R 近/远, F 高/低, M 高/低; see
:func:`segment_names`). Every public name here is also importable from :mod:`mallkit.rfm`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mallkit.errors import RFMError
from mallkit.rfm import (
    METRICS,
    RFMScores,
    RFMTable,
    RFMWarning,
    _check_bins,
    _reject,
    _require,
    _Result,
    _unwrap,
)

__all__ = [
    "ENTERED",
    "LEFT",
    "Migration",
    "SegmentChange",
    "Segments",
    "rfm_segments",
    "segment_cells",
    "segment_change",
    "segment_map",
    "segment_migration",
    "segment_names",
    "segment_summary",
]

#: Row label of customers absent from the earlier snapshot, column label of those absent later.
ENTERED, LEFT = "(entered)", "(left)"


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Segments(_Result):
    """Result of :func:`rfm_segments`: customers with a ``segment`` column, and the rules used
    (the map's score boxes, or the high/low split values of ``cn8``/``cn4``)."""

    customers: pd.DataFrame
    rules: pd.DataFrame


@dataclass(frozen=True)
class Migration:
    """Result of :func:`segment_migration`.

    Attributes
    ----------
    counts : DataFrame
        Customers by segment before (rows, plus :data:`ENTERED`) and after (columns, plus
        :data:`LEFT`).
    shares : DataFrame
        ``counts`` divided by row totals (NaN for an empty row).
    flows : DataFrame
        Long form: before, after, customers, share.
    summary : DataFrame
        Per segment: before, after, stayed, moved_in, entered, moved_out, left, net_change
        (``after = stayed + moved_in + entered``, ``before = stayed + moved_out + left``).
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    flows: pd.DataFrame
    summary: pd.DataFrame


# --------------------------------------------------------------------------- segment maps
# The classic 11-segment map of the R ``rfm`` vignette, redesigned as a partition of the
# 125 (R, F, M) cells: the vignette's first-match ``case_when`` leaves 36 cells in "Others"
# and never assigns New Customers, Promising, Can't Lose Them or Lost. Bands: R 4-5 recent,
# R 3 cooling, R 1-2 lapsed; F 1 one purchase, F 2-3 a few, F 4-5 frequent (with most
# customers buying once, tie-safe F scores often leave F=2 empty, so no segment relies on
# F=2 alone). Boxes are inclusive (r_min, r_max, f_min, f_max, m_min, m_max).
_CLASSIC = (
    ("Champions", "冠军客户", "bought recently, often and the most", [(4, 5, 4, 5, 4, 5)]),
    ("Loyal Customers", "忠诚客户", "buy often, not lapsed",
     [(3, 5, 4, 5, 1, 3), (3, 3, 4, 5, 4, 5)]),
    ("Potential Loyalist", "潜在忠诚客户", "recent, bought a few times", [(4, 5, 2, 3, 1, 5)]),
    ("New Customers", "新客户", "first purchase, very recent", [(5, 5, 1, 1, 1, 5)]),
    ("Promising", "有潜力客户", "first purchase, recent", [(4, 4, 1, 1, 1, 5)]),
    ("Need Attention", "需要关注", "a few purchases, cooling down", [(3, 3, 2, 3, 1, 5)]),
    ("About To Sleep", "即将沉睡", "one purchase, cooling down", [(3, 3, 1, 1, 1, 5)]),
    ("At Risk", "流失风险", "lapsed after several or valuable purchases",
     [(1, 2, 4, 5, 1, 3), (1, 2, 2, 3, 3, 5)]),
    ("Can't Lose Them", "不能失去", "lapsed, were among the best", [(1, 2, 4, 5, 4, 5)]),
    ("Hibernating", "休眠客户", "lapsed, few and small purchases",
     [(1, 2, 2, 3, 1, 2), (2, 2, 1, 1, 1, 5)]),
    ("Lost", "已流失", "one purchase, longest ago", [(1, 1, 1, 1, 1, 5)]),
)
# cn8: (R 近, F 高, M 高) -> name; the usual Chinese 8-class table (R 近 = fewer days).
_CN8 = (
    ("重要价值", "Important value", (1, 1, 1)),
    ("重要发展", "Important to develop", (1, 0, 1)),
    ("重要保持", "Important to retain", (0, 1, 1)),
    ("重要挽留", "Important to win back", (0, 0, 1)),
    ("一般价值", "General value", (1, 1, 0)),
    ("一般发展", "General to develop", (1, 0, 0)),
    ("一般保持", "General to retain", (0, 1, 0)),
    ("一般挽留", "General to win back", (0, 0, 0)),
)
# cn4 = activity (R 近/远) x value (F 高 and M 高 / one of them / neither), a roll-up of cn8.
_CN4 = (
    ("核心", "Core", "近, F 高 and M 高 (重要价值)", ("重要价值",)),
    ("潜力", "Potential", "近, not both F 高 and M 高 (重要发展, 一般价值, 一般发展)",
     ("重要发展", "一般价值", "一般发展")),
    ("普通", "Regular", "远, F 高 or M 高 (重要保持, 重要挽留, 一般保持)",
     ("重要保持", "重要挽留", "一般保持")),
    ("沉睡", "Dormant", "远, F 低 and M 低 (一般挽留)", ("一般挽留",)),
)
_BOX = ["r_min", "r_max", "f_min", "f_max", "m_min", "m_max"]


def segment_names(scheme: str = "classic", /) -> pd.DataFrame:
    """English and Chinese names of a shipped scheme's segments, in display order.

    Examples
    --------
    >>> segment_names("cn4")
      segment_en segment_zh                                         definition
    0       Core         核心                              近, F 高 and M 高 (重要价值)
    1  Potential         潜力  近, not both F 高 and M 高 (重要发展, 一般价值, 一般发展)
    2    Regular         普通          远, F 高 or M 高 (重要保持, 重要挽留, 一般保持)
    3    Dormant         沉睡                              远, F 低 and M 低 (一般挽留)
    """
    if scheme == "classic":
        rows = [(en, zh, d) for en, zh, d, _ in _CLASSIC]
    elif scheme == "cn8":
        lab = {1: ("近", "高", "高"), 0: ("远", "低", "低")}
        rows = [(en, zh, f"R {lab[r][0]}, F {lab[f][1]}, M {lab[m][2]}")
                for zh, en, (r, f, m) in _CN8]
    elif scheme == "cn4":
        rows = [(en, zh, d) for zh, en, d, _ in _CN4]
    else:
        raise RFMError(f"scheme must be 'classic', 'cn8' or 'cn4', got {scheme!r}")
    return pd.DataFrame(rows, columns=["segment_en", "segment_zh", "definition"])


def segment_map(scheme: str = "classic", /) -> pd.DataFrame:
    """The score boxes of a box-defined scheme (``"classic"``): one row per box.

    Columns: segment, segment_zh, r_min, r_max, f_min, f_max, m_min, m_max (inclusive).
    Edit a copy and pass it to :func:`rfm_segments` as ``scheme=`` for a custom map.

    Examples
    --------
    >>> m = segment_map("classic")
    >>> m.head(2)
               segment segment_zh  r_min  r_max  f_min  f_max  m_min  m_max
    0        Champions       冠军客户      4      5      4      5      4      5
    1  Loyal Customers       忠诚客户      3      5      4      5      1      3
    >>> len(segment_cells(m))  # 125 cells, each in exactly one segment
    125
    """
    if scheme != "classic":
        raise RFMError(f"segment_map: only 'classic' is defined by score boxes, got {scheme!r} "
                       "(cn8/cn4 split raw values; see segment_names)")
    rows = [(en, zh, *box) for en, zh, _, boxes in _CLASSIC for box in boxes]
    return pd.DataFrame(rows, columns=["segment", "segment_zh", *_BOX])


def _cell_name(r: int, f: int, m: int) -> str:
    return f"R{r}F{f}M{m}"


def _listing(cells: list[str], n: int = 12) -> str:
    more = f" (and {len(cells) - n} more)" if len(cells) > n else ""
    return ", ".join(cells[:n]) + more


def segment_cells(scheme_map: pd.DataFrame, /, *, bins: int = 5) -> pd.DataFrame:
    """Check that a segment map is a partition of the bins**3 score cells and list the cells.

    Parameters
    ----------
    scheme_map : DataFrame
        Columns segment, r_min, r_max, f_min, f_max, m_min, m_max (inclusive score
        ranges); a segment may have several rows (boxes).
    bins : int
        Scores run 1..bins.

    Returns
    -------
    DataFrame
        r_score, f_score, m_score, segment: one row per cell (segment is categorical, in
        the map's order).

    Raises
    ------
    RFMError
        Listing the ranges outside 1..bins, the cells no box covers (gaps), the cells
        two segments claim (overlaps) and the segments that own no cell (unreachable).

    Examples
    --------
    >>> import pandas as pd
    >>> bad = pd.DataFrame({"segment": ["Top", "Rest"], "r_min": [2, 1], "r_max": [2, 1],
    ...     "f_min": [1, 1], "f_max": [2, 2], "m_min": [2, 1], "m_max": [2, 2]})
    >>> segment_cells(bad, bins=2)
    Traceback (most recent call last):
    ...
    mallkit.errors.RFMError: segment map is not a partition ... gaps (2 cells ...): R2F1M1, R2F2M1
    """
    bins = _check_bins(bins)
    _require(scheme_map, ["segment", *_BOX], "segment map")
    m = scheme_map.reset_index(drop=True)
    names = list(dict.fromkeys(m["segment"].astype(str)))
    lo = m[_BOX[0::2]].to_numpy()
    hi = m[_BOX[1::2]].to_numpy()
    problems = []
    bad = (lo < 1) | (hi > bins) | (lo > hi)
    if bad.any():
        rows = [f"{m['segment'][i]} (row {i})" for i in np.flatnonzero(bad.any(axis=1))]
        problems.append(f"ranges outside 1..{bins} or min > max in {_listing(rows)}")
    grid = np.stack(np.meshgrid(*[np.arange(1, bins + 1)] * 3, indexing="ij"), -1).reshape(-1, 3)
    inside = ((grid[:, None, :] >= lo[None]) & (grid[:, None, :] <= hi[None])).all(-1)
    seg_of_row = pd.Categorical(m["segment"].astype(str), categories=names).codes
    claims = np.zeros((len(grid), len(names)), dtype=bool)
    for j in range(len(names)):  # a loop over segments (a handful), not rows
        claims[:, j] = inside[:, seg_of_row == j].any(axis=1)
    n_claims = claims.sum(axis=1)
    label = [_cell_name(*c) for c in grid]
    if (gap := n_claims == 0).any():
        cells = [label[i] for i in np.flatnonzero(gap)]
        problems.append(f"gaps ({len(cells)} cells in no segment): {_listing(cells)}")
    if (over := n_claims > 1).any():
        cells = [f"{label[i]} ({' & '.join(np.array(names)[claims[i]])})"
                 for i in np.flatnonzero(over)]
        problems.append(f"overlaps ({len(cells)} cells in several segments): {_listing(cells)}")
    owned = claims[n_claims == 1].any(axis=0)
    if not owned.all():
        unreachable = [n for n, o in zip(names, owned, strict=True) if not o]
        problems.append(f"unreachable segments (no cell of their own): {', '.join(unreachable)}")
    if problems:
        raise RFMError(f"segment map is not a partition of the {bins ** 3} cells of scores "
                       f"1..{bins}: " + "; ".join(problems))
    seg = pd.Categorical.from_codes(claims.argmax(axis=1), categories=names)
    return pd.DataFrame({"r_score": grid[:, 0], "f_score": grid[:, 1], "m_score": grid[:, 2],
                         "segment": seg})


def _no_nulls(df: pd.DataFrame, cols: list[str], table: str, key: str) -> None:
    """A null metric, score or segment would be silently misfiled: name the rows instead."""
    for c in cols:
        if (bad := df[c].isna().to_numpy()).any():
            raise _reject(table, c, "not null", bad, df.reset_index(drop=True), key)


def _splits(df: pd.DataFrame, split: Any, cols: dict[str, str]) -> pd.DataFrame:
    rows = []
    for metric, col in cols.items():
        v = pd.to_numeric(df[col]).to_numpy(dtype=float)
        if isinstance(split, Mapping):
            if metric not in split:
                raise RFMError(f"split mapping must give {', '.join(METRICS)}; missing '{metric}'")
            how, val = "given", float(split[metric])
        elif split in ("mean", "median"):
            how, val = split, float(np.mean(v) if split == "mean" else np.median(v))
        else:
            raise RFMError(f"split must be 'mean', 'median' or a mapping of {', '.join(METRICS)} "
                           f"to values, got {split!r}")
        rule = (f"近 (recent) if {col} < {val:g}" if metric == "recency"
                else f"高 (high) if {col} >= {val:g}")
        rows.append((metric, col, how, val, rule))
    return pd.DataFrame(rows, columns=["metric", "column", "split", "value", "rule"])


def rfm_segments(
    scores: RFMScores | RFMTable | pd.DataFrame,
    /,
    *,
    scheme: str | pd.DataFrame = "classic",
    lang: str | None = None,
    split: str | Mapping[str, float] = "mean",
    bins: int | None = None,
    recency_col: str = "recency_days",
    frequency_col: str = "frequency",
    monetary_col: str = "monetary_fen",
) -> Segments:
    """Assign every customer to exactly one segment.

    Parameters
    ----------
    scores : RFMScores, RFMTable or DataFrame
        ``classic`` and custom maps read ``r_score, f_score, m_score``; ``cn8`` and
        ``cn4`` read the raw metric columns (an RFMTable is enough).
    scheme : {"classic", "cn8", "cn4"} or DataFrame
        ``classic``: the 11 English segments as a partition of the 125 cells (see
        :func:`segment_map`). ``cn8``: 重要价值 ... 一般挽留 from R 近/远, F 高/低,
        M 高/低 (近: ``recency < split``; 高: ``value >= split``). ``cn4``: 核心/潜力/普通/
        沉睡 = activity (R 近/远) x value, a roll-up of cn8 (see :func:`segment_names`).
        A DataFrame is a custom map checked by :func:`segment_cells`.
    lang : {"en", "zh"}, optional
        Language of the names; default English for classic, Chinese for cn8/cn4.
    split : {"mean", "median"} or mapping
        cn8/cn4 split values; a mapping gives ``recency``, ``frequency``, ``monetary``.
    bins : int, optional
        Score range of a custom map; taken from an RFMScores result, else 5.
    recency_col, frequency_col, monetary_col : str
        Raw metric columns for cn8/cn4.

    Returns
    -------
    Segments
        ``customers``: the input plus a categorical ``segment`` (all segments of the scheme
        as categories); ``rules``: the boxes of the map, or the split values used.
        An :class:`RFMWarning` names segments with no customer.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"customer_id": ["A", "B"], "r_score": [5, 1], "f_score": [5, 1],
    ...                   "m_score": [5, 2]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     g = rfm_segments(s, lang="zh")
    >>> g.customers["segment"].tolist()
    ['冠军客户', '已流失']
    """
    df = _unwrap(scores, "scores")
    if lang not in (None, "en", "zh"):
        raise RFMError(f"lang must be 'en' or 'zh', got {lang!r}")
    if isinstance(scheme, str) and scheme in ("cn8", "cn4"):
        cols = dict(zip(METRICS, (recency_col, frequency_col, monetary_col), strict=True))
        _require(df, list(cols.values()), "scores")
        _no_nulls(df, list(cols.values()), "scores", "customer_id")
        rules = _splits(df, split, cols)
        val = rules["value"].to_numpy()
        near = pd.to_numeric(df[recency_col]).to_numpy() < val[0]
        fh = pd.to_numeric(df[frequency_col]).to_numpy() >= val[1]
        mh = pd.to_numeric(df[monetary_col]).to_numpy() >= val[2]
        lut = np.zeros(8, dtype=np.int64)  # index 4 r + 2 f + m -> cn8 code
        for j, (_, _, (r, f, m)) in enumerate(_CN8):
            lut[4 * r + 2 * f + m] = j
        code = lut[4 * near + 2 * fh + mh]
        zh8 = [zh for zh, _, _ in _CN8]
        if scheme == "cn4":
            to4 = {n8: j for j, (*_, parts) in enumerate(_CN4) for n8 in parts}
            code = np.array([to4[n] for n in zh8])[code]
            zh, en = [r[0] for r in _CN4], [r[1] for r in _CN4]
        else:
            zh, en = zh8, [r[1] for r in _CN8]
        names = en if lang == "en" else zh
    else:
        if isinstance(scheme, pd.DataFrame):
            smap = scheme
            if bins is None:
                bins = (int(scores.thresholds["score"].max()) if isinstance(scores, RFMScores)
                        else 5)
        elif scheme == "classic":
            smap = segment_map("classic")
            if lang == "zh":
                smap = smap.assign(segment=smap["segment_zh"])
            got = (int(scores.thresholds["score"].max()) if isinstance(scores, RFMScores)
                   else bins or 5)
            if got != 5:
                raise RFMError(f"the classic map needs 5 bins, the scores have {got}")
            bins = 5
        else:
            raise RFMError(f"scheme must be 'classic', 'cn8', 'cn4' or a map DataFrame, "
                           f"got {scheme!r}")
        if isinstance(scheme, pd.DataFrame) and lang == "zh" and "segment_zh" in smap:
            smap = smap.assign(segment=smap["segment_zh"])
        cells = segment_cells(smap, bins=bins)
        sc = ["r_score", "f_score", "m_score"]
        _require(df, sc, "scores")
        _no_nulls(df, sc, "scores", "customer_id")
        v = df[sc].to_numpy(dtype=np.int64)
        if (bad := ((v < 1) | (v > bins)).any(axis=1)).any():
            raise _reject("scores", "r_score/f_score/m_score", f"scores in 1..{bins}", bad,
                          df.reset_index(drop=True), "customer_id")
        idx = ((v[:, 0] - 1) * bins + (v[:, 1] - 1)) * bins + (v[:, 2] - 1)
        code = cells["segment"].cat.codes.to_numpy()[idx]
        names = list(cells["segment"].cat.categories)
        counts = cells.groupby("segment", observed=False).size()
        rules = smap.assign(cells=smap["segment"].map(counts)).reset_index(drop=True)
    seg = pd.Categorical.from_codes(code, categories=names)
    if empty := [n for n, c in zip(names, np.bincount(code, minlength=len(names)), strict=True)
                 if c == 0]:
        warnings.warn(f"rfm_segments: no customer in segment(s) {', '.join(empty)}",
                      RFMWarning, stacklevel=2)
    return Segments(df.assign(segment=seg), rules)


# --------------------------------------------------------------------------- summaries
def segment_summary(
    segments: Segments | pd.DataFrame,
    table: RFMTable | pd.DataFrame | None = None,
    /,
    *,
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Customers, revenue, order value and recency per segment (empty segments included).

    Parameters
    ----------
    segments : Segments or DataFrame
        Customers with a ``segment`` column.
    table : RFMTable or DataFrame, optional
        Where recency_days, frequency, monetary_fen (and orders) come from if
        ``segments`` does not carry them; joined on ``customer_col``.

    Returns
    -------
    DataFrame
        segment, customers, share, revenue_fen, revenue_share, orders, aov_fen (net
        revenue per order), recency_days_mean, recency_days_median, frequency_mean,
        monetary_fen_mean.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["x", "x", "y"],
    ...     "recency_days": [1, 3, 90], "frequency": [2, 1, 1], "orders": [2, 1, 1],
    ...     "monetary_fen": [3000, 1000, 4000]})
    >>> segment_summary(seg)[["segment", "customers", "revenue_fen", "revenue_share", "aov_fen"]]
      segment  customers  revenue_fen  revenue_share      aov_fen
    0       x          2         4000            0.5  1333.333333
    1       y          1         4000            0.5  4000.000000
    """
    df = _unwrap(segments, "segments")
    _require(df, [customer_col, "segment"], "segments")
    _no_nulls(df, ["segment"], "segments", customer_col)
    need = ["recency_days", "frequency", "monetary_fen"]
    if table is not None:
        t = _unwrap(table, "table")
        _require(t, [customer_col, *need], "table")
        extra = [c for c in [*need, "orders"] if c in t.columns]
        df = df[[customer_col, "segment"]].merge(t[[customer_col, *extra]], on=customer_col,
                                                 how="left", validate="one_to_one")
    _require(df, need, "segments")
    if df[need].isna().any().any():
        raise _reject("segments", "/".join(need), "a table row for every customer",
                      df[need].isna().any(axis=1).to_numpy(), df, customer_col)
    seg = df["segment"]
    if not isinstance(seg.dtype, pd.CategoricalDtype):
        seg = seg.astype("category")
    orders = df["orders"] if "orders" in df.columns else df["frequency"]
    g = pd.DataFrame({"seg": seg, "rev": df["monetary_fen"].astype(np.int64),
                      "orders": orders.astype(np.int64), "rec": df["recency_days"],
                      "freq": df["frequency"]}).groupby("seg", observed=False, sort=False)
    out = pd.DataFrame({
        "customers": g.size(), "revenue_fen": g["rev"].sum(), "orders": g["orders"].sum(),
        "recency_days_mean": g["rec"].mean(), "recency_days_median": g["rec"].median(),
        "frequency_mean": g["freq"].mean(), "monetary_fen_mean": g["rev"].mean(),
    }).reindex(seg.cat.categories)
    out = out.fillna({"customers": 0, "revenue_fen": 0, "orders": 0}).astype(
        {"customers": np.int64, "revenue_fen": np.int64, "orders": np.int64})
    out.insert(1, "share", out["customers"] / max(len(df), 1))
    out.insert(3, "revenue_share", out["revenue_fen"] / (out["revenue_fen"].sum() or np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        out.insert(5, "aov_fen", out["revenue_fen"] / out["orders"].where(out["orders"] > 0))
    out.index.name = "segment"
    return out.reset_index()


def segment_migration(
    before: Segments | pd.DataFrame,
    after: Segments | pd.DataFrame,
    /,
    *,
    customer_col: str = "customer_id",
) -> Migration:
    """Transition matrix of customers between two segment snapshots (e.g. last vs this month).

    Customers only in ``after`` enter through the :data:`ENTERED` row; customers only in
    ``before`` leave through the :data:`LEFT` column (a snapshot built on a rolling window
    drops customers; a cumulative one moves them to its lapsed segments instead).

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["new", "new", "lost"]})
    >>> a = pd.DataFrame({"customer_id": ["A", "C", "D"], "segment": ["loyal", "lost", "new"]})
    >>> segment_migration(b, a).counts
    after      lost  new  loyal  (left)
    before
    lost          1    0      0       0
    new           0    0      1       1
    loyal         0    0      0       0
    (entered)     0    1      0       0
    """
    bf, af = _unwrap(before, "before"), _unwrap(after, "after")
    for name, x in (("before", bf), ("after", af)):
        _require(x, [customer_col, "segment"], name)
        _no_nulls(x, [customer_col, "segment"], name, customer_col)
        if (dup := x[customer_col].duplicated(keep=False)).any():
            raise _reject(name, customer_col, "unique key", dup.to_numpy(), x, customer_col)

    def cats(s: pd.Series) -> list:
        if isinstance(s.dtype, pd.CategoricalDtype):
            return list(s.cat.categories)
        return sorted(s.dropna().unique().tolist())

    names = list(dict.fromkeys(cats(bf["segment"]) + cats(af["segment"])))
    if ENTERED in names or LEFT in names:
        raise RFMError(f"segment names {ENTERED!r} and {LEFT!r} are reserved")
    n = len(names)
    m = bf[[customer_col, "segment"]].merge(af[[customer_col, "segment"]], on=customer_col,
                                            how="outer", suffixes=("_b", "_a"), sort=False)
    bcode = pd.Categorical(m["segment_b"], categories=names).codes.astype(np.int64)
    acode = pd.Categorical(m["segment_a"], categories=names).codes.astype(np.int64)
    bcode[bcode < 0], acode[acode < 0] = n, n  # absent -> ENTERED row / LEFT column
    counts = np.bincount(bcode * (n + 1) + acode, minlength=(n + 1) ** 2).reshape(n + 1, n + 1)
    rows = pd.Index([*names, ENTERED], name="before")
    cols = pd.Index([*names, LEFT], name="after")
    cdf = pd.DataFrame(counts, index=rows, columns=cols)
    tot = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = pd.DataFrame(np.where(tot > 0, counts / np.where(tot > 0, tot, 1), np.nan),
                              index=rows, columns=cols)
    flows = cdf.stack().rename("customers").reset_index()
    flows["share"] = shares.stack().to_numpy()
    inner = counts[:n, :n]
    stayed = np.diag(inner)
    summary = pd.DataFrame({
        "segment": names, "before": counts[:n].sum(axis=1), "after": counts[:, :n].sum(axis=0),
        "stayed": stayed, "moved_in": inner.sum(axis=0) - stayed, "entered": counts[n, :n],
        "moved_out": inner.sum(axis=1) - stayed, "left": counts[:n, n],
    })
    summary["net_change"] = summary["after"] - summary["before"]
    return Migration(cdf, shares, flows, summary)


# --------------------------------------------------------------------- period over period
@dataclass(frozen=True)
class SegmentChange:
    """Result of :func:`segment_change`: segments now and at the previous date.

    Attributes
    ----------
    now, before : Segments
        The two snapshots, scored on the **same** thresholds (those of ``now``) and, for
        ``cn8``/``cn4``, split on the same values (``now.rules``, equal to
        ``before.rules``), so a customer moves only when their own behaviour changed, not
        the cut points or the means.
    summary : DataFrame
        :func:`segment_summary` of ``now``.
    migration : Migration
        :func:`segment_migration` from ``before`` to ``now``.
    thresholds : DataFrame
        The thresholds both snapshots used.
    """

    now: Segments
    before: Segments
    summary: pd.DataFrame
    migration: Migration
    thresholds: pd.DataFrame


def segment_change(
    orders: pd.DataFrame,
    refunds: pd.DataFrame | None = None,
    /,
    *,
    as_of: Any,
    previous: Any,
    scheme: str | pd.DataFrame = "cn8",
    lang: str | None = None,
    bins: int = 5,
) -> SegmentChange:
    """Segments at ``as_of`` and at ``previous``, their sizes and how customers moved.

    Both snapshots are RFM tables of all history up to their date (cumulative, so a
    customer who stops buying moves to a lapsed segment rather than leaving), scored on
    the thresholds of the ``as_of`` snapshot; ``cn8``/``cn4`` split both on the mean R, F
    and M of the ``as_of`` snapshot.

    Examples
    --------
    >>> from mallkit.datasets import make_sample_mall
    >>> m = make_sample_mall(seed=0, start="2025-06-01", end="2025-11-30", n_customers=2000)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     ch = segment_change(m["orders"], m["refunds"], as_of="2025-12-01",
    ...                         previous="2025-11-01", lang="en")
    >>> print(caught[0].message)  # most customers bought once: F's cut points collapse
    rfm_scores: frequency: quantile cut points collapse (ties); ...
    >>> int(ch.migration.counts.to_numpy().sum()) == len(ch.now.customers) + int(
    ...     ch.migration.counts["(left)"].sum())
    True
    """
    from mallkit.rfm import rfm_scores, rfm_table

    t_now = rfm_table(orders, refunds, as_of=as_of)
    s_now = rfm_scores(t_now, bins=bins)
    t_before = rfm_table(orders, refunds, as_of=previous)
    with warnings.catch_warnings():  # inherited cut points: an empty score is no news here
        warnings.simplefilter("ignore", RFMWarning)
        s_before = rfm_scores(t_before, bins=bins, method="thresholds",
                              thresholds=s_now.thresholds)
    now = rfm_segments(s_now, scheme=scheme, lang=lang, bins=bins)
    split: str | dict[str, float] = "mean"
    if isinstance(scheme, str) and scheme in ("cn8", "cn4"):  # the split values of now
        split = dict(zip(now.rules["metric"], now.rules["value"], strict=True))
    with warnings.catch_warnings():  # inherited split: an empty segment is no news here
        warnings.simplefilter("ignore", RFMWarning)
        before = rfm_segments(s_before, scheme=scheme, lang=lang, bins=bins, split=split)
    return SegmentChange(now=now, before=before, summary=segment_summary(now, t_now),
                         migration=segment_migration(before, now),
                         thresholds=s_now.thresholds)
