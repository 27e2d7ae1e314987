"""Sales targets: 销售目标分解 (exact decomposition) and 达成率 pacing with honest landings.

A planner receives one annual GMV number. :func:`decompose_target` splits it over channels,
categories (any hierarchy of ``by`` columns) and months / weeks / days, in integer fen that
add up exactly to every parent (largest remainder, :func:`mallkit.money.allocate`, applied
down the tree: total -> level 1 -> level 2 -> ... -> months -> days). The shop's daily target
is the bottom-up sum of its parts. :func:`gmv_drivers` and :func:`driver_gap` work the
GMV = UV x 转化率 x 客单价 tree; :func:`to_targets` rolls a plan up to a ``targets`` table.

The job spans three modules, and this one re-exports the public API of the other two:
:mod:`mallkit.seasonality` (:func:`daily_gmv`, the daily history, and
:func:`daily_profile`, its event-aware daily weights) and :mod:`mallkit.pacing`
(:func:`pacing`: every morning the actuals against the targets, 达成率, linear and
event-aware time progress, days ahead/behind, the required daily rate and three landings
-- run rate, seasonal ratio and a model with an interval from simulated whole paths, plus
P(hit) -- and :func:`landing_backtest`).

Vocabulary
----------
history / actuals, daily weights
    See :mod:`mallkit.seasonality`.
basis
    Why a row has its amount: ``proportional`` (shares from history or ``shares``),
    ``held`` (a fixed amount), ``capped`` / ``floored`` (clipped to a bound),
    ``fallback`` (no history: mean share of its peers, else an equal split).

Examples
--------
>>> plan = decompose_target(100_000, start="2026-11-01", end="2026-11-30", freq="M",
...                         by="channel", method="manual", shares={"web": 2, "tmall": 1})
>>> plan[["channel", "period", "target_fen", "basis"]]
  channel   period  target_fen        basis
0     web  2026-11       66667  proportional
1   tmall  2026-11       33333  proportional
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mallkit import calendar as mcal
from mallkit.errors import AllocationError, PeriodError, SchemaError
from mallkit.money import allocate
from mallkit.pacing import PaceReport, landing_backtest, pacing
from mallkit.schema import validate
from mallkit.seasonality import (
    _MIN_DAYS,
    _SEP,
    DailyProfile,
    _bounds,
    _cols,
    _history,
    _ids,
    _need,
    _profiles,
    _weights_of,
    daily_gmv,
    daily_profile,
)

__all__ = [
    "DailyProfile",
    "PaceReport",
    "daily_gmv",
    "daily_profile",
    "decompose_target",
    "driver_gap",
    "gmv_drivers",
    "landing_backtest",
    "pacing",
    "to_targets",
]

METHODS = ("average_proportions", "proportion_averages", "last_year", "equal", "manual")


def _key_id(key: Any) -> str:
    return _SEP.join(map(str, key)) if isinstance(key, tuple) else str(key)


def _show_id(node: str) -> str:
    return node.replace(_SEP, "/")


# ---------------------------------------------------------------- decompose_target
def _node_amounts(
    mapping: Mapping[Any, Any] | None, nodes: pd.Index, level: int, by: list[str], what: str,
    *, unit: int, kind: str,
) -> np.ndarray:
    """Amounts (in units) of ``mapping`` for the nodes of one level; NaN where not given."""
    out = np.full(len(nodes), np.nan)
    if not mapping:
        return out
    ids = {_key_id(k): v for k, v in mapping.items()}
    at_level = {k: v for k, v in ids.items() if k.count(_SEP) == level - 1}
    pos = nodes.get_indexer(list(at_level))
    values = list(at_level.values())
    for k, v in zip(at_level, values, strict=True):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise AllocationError(f"{what}[{_show_id(k)!r}] must be a non-negative integer number "
                                  f"of fen, got {v!r}")
        if kind == "hold" and v % unit:
            raise AllocationError(f"{what}[{_show_id(k)!r}] = {v} is not a multiple of "
                                  f"unit_fen={unit}")
    rnd = {"hold": lambda v: v // unit, "floor": lambda v: -(-v // unit),
           "cap": lambda v: v // unit}[kind]
    ok = pos >= 0
    out[pos[ok]] = [rnd(int(v)) for v, o in zip(values, ok, strict=True) if o]
    return out


def _check_keys(mapping: Mapping[Any, Any] | None, known: set[str], by: list[str],
                what: str) -> None:
    if not mapping:
        return
    bad = [k for k in mapping if _key_id(k) not in known]
    if bad:
        eg = sorted(_show_id(k) for k in known)[:5]
        raise AllocationError(
            f"{what} has {len(bad)} unknown key(s) {bad[:5]}; keys are values of {by} (a tuple "
            f"for a deeper level) present in history/keys/shares, e.g. {eg}")


def _bounded_split(total: np.ndarray, w: np.ndarray, g: np.ndarray, hold: np.ndarray,
                   lo: np.ndarray, hi: np.ndarray,
                   names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer split of ``total[g]`` by weights with holds, floors and caps, per group.

    Holds are taken first (TM1: the held sum is fixed, the rest is spread over the
    un-held items in proportion); floors and caps by water-filling (spread over the free
    items, freeze the bigger side of violations at its bound, repeat); largest remainder
    last, which keeps every part within integer bounds. Returns (parts, status).
    """
    G, n = len(total), len(w)
    held = ~np.isnan(hold)
    status = np.where(held, "held", "proportional").astype(object)
    amt = np.where(held, hold, 0.0)
    rest = total - np.bincount(g, weights=amt, minlength=G)
    free = ~held
    nfree = np.bincount(g, weights=free, minlength=G)

    def fail(mask_g: np.ndarray, why: str) -> AllocationError:
        k = np.flatnonzero(mask_g)[:5]
        eg = [sorted(names[g == i])[:6] for i in k]
        return AllocationError(f"cannot split: {why}; in {int(mask_g.sum())} parent(s), e.g. "
                               f"siblings {eg} with parent totals {total[k].tolist()}")

    if (rest < 0).any():
        raise fail(rest < 0, "holds exceed the parent total (Σholds > total)")
    if ((rest > 0) & (nfree == 0)).any():
        raise fail((rest > 0) & (nfree == 0), "every item is held but the holds do not add "
                   "up to the parent total")
    crossed = free & (lo > hi)
    if crossed.any():
        raise AllocationError(f"cannot split: floor above cap (in units of unit_fen) for "
                              f"{names[crossed][:5].tolist()}: floors {lo[crossed][:5].tolist()}"
                              f", caps {hi[crossed][:5].tolist()}")
    lo_f, hi_f = np.where(free, lo, 0.0), np.where(free, hi, 0.0)
    if (np.bincount(g, weights=lo_f, minlength=G) > rest).any():
        raise fail(np.bincount(g, weights=lo_f, minlength=G) > rest,
                   "the floors add up to more than the amount to split (Σfloors > total)")
    if (np.bincount(g, weights=hi_f, minlength=G) < rest).any():
        raise fail(np.bincount(g, weights=hi_f, minlength=G) < rest,
                   "the caps add up to less than the amount to split (Σcaps < total)")
    w = np.where(free, w, 0.0)
    active = free.copy()
    for _ in range(n + 1):
        budget = rest - np.bincount(g, weights=np.where(free & ~active, amt, 0.0), minlength=G)
        ww = np.bincount(g, weights=np.where(active, w, 0.0), minlength=G)
        na = np.bincount(g, weights=active, minlength=G)
        share = np.where(ww[g] > 0, np.where(active, w, 0.0) / np.where(ww[g] > 0, ww[g], 1),
                         active / np.maximum(na[g], 1))
        q = np.where(active, budget[g] * share, amt)
        tol = 1e-9 * np.maximum(1.0, np.abs(q))
        over = active & (q > hi - tol)
        under = active & (q < lo + tol) & (lo > 0)
        # Freeze the side with the bigger violation (then the other side's violators may
        # come free); items within float noise of a bound count as violators, so the
        # final rounding can never step over a bound.
        exc = np.bincount(g, weights=np.where(over, np.maximum(q - hi, 0), 0.0), minlength=G)
        dfc = np.bincount(g, weights=np.where(under, np.maximum(lo - q, 0), 0.0), minlength=G)
        caps_first = (np.bincount(g, weights=over, minlength=G) > 0) & (exc >= dfc)
        fix_hi = over & caps_first[g]
        fix_lo = under & ~caps_first[g]
        amt = np.where(active, q, amt)
        if not (fix_hi.any() or fix_lo.any()):
            break
        amt = np.where(fix_hi, hi, np.where(fix_lo, lo, amt))
        status[fix_hi], status[fix_lo] = "capped", "floored"
        active &= ~(fix_hi | fix_lo)
    parts = np.where(active, 0, np.rint(amt)).astype(np.int64)
    left = total - np.bincount(g, weights=parts, minlength=G).round().astype(np.int64)
    if active.any():
        idx = np.flatnonzero(active)
        parts[idx] = allocate(left[g[idx]], np.maximum(amt[idx], 0.0), groups=g[idx],
                              if_all_zero="equal")
    return parts, status


def _shares(h: pd.DataFrame | None, nodes_df: pd.DataFrame, cols: list[str], parent: list[str],
            method: str, window: int | None, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    """Share of each node within its parent from history (NaN where the node has none)."""
    if method == "equal" or h is None or h.empty:
        return np.full(len(nodes_df), np.nan)
    if method == "last_year":
        a, b = lo - pd.DateOffset(years=1), hi - pd.DateOffset(years=1)
        hh = h[h["date"].between(a, b)]
        if hh.empty:
            raise PeriodError(
                f"decompose_target: method='last_year' needs history in {a.date()}..{b.date()} "
                f"(the plan range a year earlier); history covers {h['date'].min().date()}.."
                f"{h['date'].max().date()}")
        month = np.zeros(len(hh), dtype=np.int64)  # one 'period': the whole year-ago range
    else:
        hh = h
        month = hh["date"].to_numpy().astype("datetime64[M]")
        if window is not None:
            keep = np.unique(month)[-window:]
            hh, month = hh[np.isin(month, keep)], month[np.isin(month, keep)]
    node = _ids(hh, cols)
    par = _ids(hh, parent)
    f = pd.DataFrame({"t": month, "node": node, "par": par, "y": hh["value"].to_numpy(float)})
    yn = f.groupby(["t", "node", "par"], sort=False)["y"].sum().reset_index()
    yp = yn.groupby(["t", "par"], sort=False)["y"].transform("sum")
    if method in ("average_proportions",):
        # Gross-Sohl A: p_j = mean over periods t (with parent > 0) of y_jt / y_t
        t_count = yn[yp > 0].groupby("par")["t"].nunique()
        ratio = (yn["y"] / yp.where(yp > 0)).fillna(0.0)
        p = ratio.groupby(yn["node"]).sum() / yn.groupby("node")["par"].first().map(t_count)
    else:
        # Gross-Sohl F (and last year): p_j = sum_t y_jt / sum_t y_t
        num = yn.groupby("node")["y"].sum()
        den = yn.groupby("par")["y"].sum()
        p = num / yn.groupby("node")["par"].first().map(den).where(lambda s: s > 0)
    return pd.Series(_ids(nodes_df, cols)).map(p).to_numpy(float)


def _deeper_shares(shares: Mapping[Any, float] | None, level: int, depth: int):
    """Manual shares of the nearest deeper level (summed up to ``level`` by the caller)."""
    for j in range(level + 1, depth + 1):
        sh = {_key_id(k): float(v) for k, v in (shares or {}).items()
              if _key_id(k).count(_SEP) == j - 1}
        if sh:
            return pd.Series(sh)
    return None


def _leaf_frame(keys: Any, by: list[str]) -> pd.DataFrame:
    if isinstance(keys, pd.DataFrame):
        _need(keys, by, "keys")
        f = keys[by].astype("str")
    else:
        rows = [k if isinstance(k, tuple) else (k,) for k in keys]
        if any(len(r) != len(by) for r in rows):
            raise AllocationError(f"keys must be values of {by} (tuples of {len(by)}), got "
                                  f"{[r for r in rows if len(r) != len(by)][:5]}")
        f = pd.DataFrame(rows, columns=by, dtype="str")
    return f.drop_duplicates(ignore_index=True)


def _range_label(lo: pd.Timestamp, hi: pd.Timestamp) -> str:
    for f in ("Y", "Q", "M", "W", "D"):
        p = mcal.parse_period(mcal.period_label(lo, freq=f))
        if p.start == lo and p.end == hi:
            return p.label
    return f"{lo.date()}..{hi.date()}"


def decompose_target(
    total_fen: int,
    /,
    *,
    start: Any,
    end: Any,
    history: pd.DataFrame | None = None,
    by: str | Sequence[str] | None = None,
    freq: str | None = "D",
    method: str = "average_proportions",
    window: int | None = None,
    shares: Mapping[Any, float] | None = None,
    keys: Any = None,
    events: pd.DataFrame | None = None,
    holds: Mapping[Any, int] | None = None,
    floors: Mapping[Any, int] | None = None,
    caps: Mapping[Any, int] | None = None,
    unit_fen: int = 1,
    profile_by: str | Sequence[str] | None = None,
    temporal: str = "profile",
    min_days: int = _MIN_DAYS,
    date_col: str = "date",
    value_col: str = "gmv_fen",
) -> pd.DataFrame:
    """Split a GMV target over keys and periods in integer fen that add up to every parent.

    The tree is total -> ``by[0]`` -> ``by[1]`` -> ... -> periods of ``freq`` (days go
    through months: leaf -> month -> day). Each step is a largest-remainder split
    (:func:`mallkit.money.allocate`), so every part is the floor or ceiling of its exact
    share and siblings sum exactly to their parent; the shop's daily target is the sum of
    its parts.

    Parameters
    ----------
    total_fen : int
        The target, > 0, in fen (a multiple of ``unit_fen``).
    start, end : date-like or period label
        The plan range, inclusive (``start="2026", end="2026"`` is the year 2026).
    history : DataFrame, optional
        ``date, <by>, gmv_fen`` daily sales (:func:`daily_gmv`); needed by the history
        methods and for event-aware daily weights.
    by : str or list of str, optional
        Hierarchy levels, e.g. ``["channel", "category"]``.
    freq : {"D", "W", "M", "Q", "Y"} or None
        Output periods (ISO weeks and months cut at the plan range); None: no time split.
    method : str
        Cross-sectional shares of each node within its parent (top-down proportions, fpp3
        §11.2): ``average_proportions`` (Gross-Sohl A, mean over months of y_j/y_parent),
        ``proportion_averages`` (Gross-Sohl F, sum y_j / sum y_parent), ``last_year`` (the
        plan range one year earlier), ``equal``, ``manual`` (``shares`` at every level).
    window : int, optional
        Use only the last ``window`` months of history for the proportions.
    shares : mapping, optional
        Manual shares (any non-negative weights, renormalised within each parent) keyed by
        node: a value of ``by[0]``, or a tuple for a deeper level (``("tmall", "母婴")``).
        Given for a level, they replace that level's history shares and must cover it.
    keys : DataFrame or list, optional
        The leaves to plan (default: keys with sales in history, or the keys of
        ``shares``). A leaf without history gets the mean share of its siblings with
        history, else an equal split (``basis="fallback"``).
    events : DataFrame, optional
        Event calendar for the daily weights (see :func:`daily_profile`).
    holds, floors, caps : mapping, optional
        Fixed amounts / minimums / maximums in fen keyed by node like ``shares``. Holds are
        taken first and the rest is spread over the un-held siblings (TM1 hold spreading);
        floors and caps are met by iterative clipping. A node's floors (holds) and caps
        also bound its parent (at least the children's floors, at most their caps).
    unit_fen : int, default 1
        Rounding unit of every part (e.g. 10_000 for 100 yuan).
    profile_by : str or list of str, optional
        Leading ``by`` columns that get their own daily profile (default one profile of
        the total). A key with under ``min_days`` days of history uses its parent's, then
        the total's, then flat weights.
    temporal : {"profile", "equal"}
        Event-aware daily weights from history, or equal days.

    Returns
    -------
    DataFrame
        ``<by>, period, start, end, target_fen, share, basis, [basis_<by[i]>...], profile``
        sorted by key then period. ``share`` is the row's fraction of ``total_fen``;
        ``basis`` the leaf's reason (proportional / held / capped / floored / fallback) and
        ``basis_<col>`` that of its ancestor at level ``col``; ``profile`` where the daily
        weights came from (own / parent / total / flat / equal).

    Raises
    ------
    AllocationError
        ``total_fen`` <= 0 or not an integer, unknown keys in holds/floors/caps/shares,
        Σholds > parent, Σfloors > parent, Σcaps < parent, bad ``unit_fen``; ``keys``
        none of whose first-level values has sales in ``history`` (no overlap).
    PeriodError
        ``end`` before ``start``; ``last_year`` with no history a year before.
    SchemaError
        ``history`` lacks columns, has non-integer amounts or no rows.

    Notes
    -----
    Largest remainder is not monotone in the total (the Alabama paradox, see
    :func:`mallkit.money.allocate`): raising a target by one unit can lower a part by one.

    Examples
    --------
    >>> plan = decompose_target(1_000, start="2026-02-01", end="2026-02-03", freq="D",
    ...                         temporal="equal")
    >>> plan[["period", "target_fen"]]
           period  target_fen
    0  2026-02-01         334
    1  2026-02-02         333
    2  2026-02-03         333
    """
    by, pb = _cols(by), _cols(profile_by)
    if isinstance(total_fen, bool) or not isinstance(total_fen, int | np.integer) \
            or total_fen <= 0:
        raise AllocationError(f"decompose_target: total_fen must be a positive integer number "
                              f"of fen, got {total_fen!r}")
    if isinstance(unit_fen, bool) or not isinstance(unit_fen, int | np.integer) or unit_fen <= 0 \
            or total_fen % unit_fen:
        raise AllocationError(f"decompose_target: unit_fen must be a positive integer dividing "
                              f"total_fen={total_fen}, got {unit_fen!r}")
    lo, hi = _bounds(start, end, "decompose_target")
    if freq is not None and freq not in mcal.FREQS:
        raise PeriodError(f"decompose_target: freq must be one of {list(mcal.FREQS)} or None, "
                          f"got {freq!r}")
    if method not in METHODS:
        raise AllocationError(f"decompose_target: method must be one of {list(METHODS)}, "
                              f"got {method!r}")
    if temporal not in ("profile", "equal"):
        raise AllocationError(f"decompose_target: temporal must be 'profile' or 'equal', "
                              f"got {temporal!r}")
    if pb != by[: len(pb)]:
        raise AllocationError(f"decompose_target: profile_by={pb} must be leading columns of "
                              f"by={by}")
    if window is not None and (not isinstance(window, int) or window < 1):
        raise AllocationError(f"decompose_target: window must be a positive number of months, "
                              f"got {window!r}")
    h = None if history is None else _history(history, by, date_col, value_col, "history")
    if h is not None and h.empty:
        raise SchemaError("decompose_target: history has no rows", table="history")
    if h is None and method in METHODS[:3] and by:
        raise AllocationError(f"decompose_target: method={method!r} needs history")
    unit, T = int(unit_fen), int(total_fen) // int(unit_fen)

    # ---- the leaves
    if keys is not None:
        if not by:
            raise AllocationError("decompose_target: keys needs by")
        leaves = _leaf_frame(keys, by)
    elif not by:
        leaves = pd.DataFrame(index=[0])
    elif h is not None and method != "manual":
        pos = h.groupby(by, sort=False)["value"].sum()
        leaves = pos[pos > 0].index.to_frame(index=False).astype("str")
        if leaves.empty:
            raise SchemaError(f"decompose_target: history has no positive sales for any key of "
                              f"{by}", table="history", column=value_col)
    elif shares:
        deep = [k for k in shares if _key_id(k).count(_SEP) == len(by) - 1]
        leaves = _leaf_frame(deep, by)
        if leaves.empty:
            raise AllocationError(f"decompose_target: shares must name the leaves (tuples of "
                                  f"{len(by)}) when there is no history, or pass keys")
    else:
        raise AllocationError("decompose_target: with by and no history, pass keys or shares")
    leaves = leaves.reset_index(drop=True)
    top_given = any(_key_id(k).count(_SEP) == 0 for k in (shares or {}))
    if keys is not None and h is not None and method in METHODS[:3] and not top_given:
        seen = set(h.loc[h["value"] > 0, by[0]])
        if not seen & set(leaves[by[0]]):  # a few fallbacks are fine, all of them is a mix-up
            raise AllocationError(
                f"decompose_target: history has no overlap with keys: no {by[0]!r} of keys "
                f"{sorted(set(leaves[by[0]]))[:5]} has sales in history, whose {by[0]!r} "
                f"values are e.g. {sorted(seen)[:5]}; method={method!r} would split "
                f"equally -- pass method='equal' or shares to mean that")

    # ---- cross-sectional split, level by level
    known = set()
    for i in range(1, len(by) + 1):
        known |= set(_ids(leaves, by[:i]))
    for name, mp in (("holds", holds), ("floors", floors), ("caps", caps), ("shares", shares)):
        _check_keys(mp, known, by, name)
    # Holds / floors / caps of each level (units), then pushed up the tree: a parent gets
    # at least its children's floors (or holds) and at most their caps, so a feasible leaf
    # floor never fails in a parent split that ignored it.
    bnd = []
    for i in range(1, len(by) + 1):
        codes, idx = pd.factorize(_ids(leaves, by[:i]))
        idx = pd.Index(idx)
        fl = _node_amounts(floors, idx, i, by, "floors", unit=unit, kind="floor")
        cp = _node_amounts(caps, idx, i, by, "caps", unit=unit, kind="cap")
        bnd.append((codes, _node_amounts(holds, idx, i, by, "holds", unit=unit, kind="hold"),
                    np.nan_to_num(fl, nan=0.0), np.nan_to_num(cp, nan=np.inf)))
    for i in range(len(by) - 1, 0, -1):
        ccodes, chold, clo, chi = bnd[i]
        par = bnd[i - 1][0][np.unique(ccodes, return_index=True)[1]]
        n = len(bnd[i - 1][2])
        for b, child in ((2, clo), (3, chi)):
            kids = np.bincount(par, weights=np.where(np.isnan(chold), child, chold), minlength=n)
            bnd[i - 1][b][:] = np.maximum(bnd[i - 1][b], kids) if b == 2 else \
                np.minimum(bnd[i - 1][b], kids)
    amount = np.full(len(leaves), T, dtype=np.int64)  # parent amount of each leaf
    basis: dict[str, np.ndarray] = {}
    for i in range(1, len(by) + 1):
        cols, parent = by[:i], by[: i - 1]
        node_of_leaf = _ids(leaves, cols)
        codes, nodes = pd.factorize(node_of_leaf)
        first = np.unique(codes, return_index=True)[1]
        nodes_df = leaves.iloc[first][cols].reset_index(drop=True)
        pcode = pd.factorize(_ids(nodes_df, parent))[0]
        p = _shares(h, nodes_df, cols, parent, method, window, lo, hi)
        status = np.full(len(nodes), "proportional", dtype=object)
        sh = {_key_id(k): v for k, v in (shares or {}).items() if _key_id(k).count(_SEP) == i - 1}
        if sh:
            miss = [_show_id(x) for x in nodes if x not in sh]
            if miss:
                raise AllocationError(f"shares given for level {cols[-1]!r} miss node(s) "
                                      f"{miss[:5]}")
            try:
                p = pd.Series(sh).reindex(nodes).to_numpy(dtype=float)
            except (TypeError, ValueError):
                p = np.array([np.nan])
            if not np.isfinite(p).all() or (p < 0).any():
                raise AllocationError(f"shares must be finite numbers >= 0, got "
                                      f"{dict(list(sh.items())[:5])}")
        elif method == "manual" and (deeper := _deeper_shares(shares, i, len(by))) is not None:
            p = deeper.groupby(deeper.index.str.split(_SEP).str[:i].str.join(_SEP)).sum() \
                .reindex(nodes).fillna(0.0).to_numpy(float)
        elif method == "manual":
            raise AllocationError(f"decompose_target: method='manual' needs shares for every "
                                  f"node of level {cols[-1]!r}")
        elif method == "equal":
            p = np.ones(len(nodes))
        else:
            none = ~(p > 0)
            if none.any():
                peer = pd.Series(np.where(none, np.nan, p)).groupby(pcode).transform("mean")
                p = np.where(none, peer.fillna(1.0).to_numpy(), p)
                # a parent with no child history at all: equal split
                status[none] = "fallback"
        parent_amt = amount[first]
        tot_g = np.zeros(pcode.max() + 1, dtype=np.int64)
        tot_g[pcode] = parent_amt
        parts, st = _bounded_split(
            tot_g, p, pcode,
            *bnd[i - 1][1:], np.array([_show_id(x) for x in nodes], dtype=object),
        )
        status = np.where(st == "proportional", status, st)
        amount = parts[codes]
        basis[cols[-1]] = status[codes]

    # ---- temporal split
    out = leaves.copy() if by else pd.DataFrame(index=[0])
    if freq is None:
        res = out.assign(period=_range_label(lo, hi), start=lo, end=hi, units=amount)
        prof = "none"
        res["profile"] = prof
    else:
        days = pd.date_range(lo, hi, unit="us")
        prof_ids = _ids(leaves, pb) if (by and pb) else np.full(len(leaves), "all", dtype=object)
        if temporal == "equal" or h is None:
            wmat = np.ones((len(leaves), len(days)))
            src = np.full(len(leaves), "equal" if temporal == "equal" else "flat", dtype=object)
        else:
            hp = h if pb else h.assign(**dict.fromkeys(by, "all"))
            cal, fits, pos = _profiles(hp, pb, lo, hi, events, min_days,
                                       wanted=np.unique(prof_ids))
            wrows, src_of = {}, {}
            for pid, (fit, s) in fits.items():
                c = _weights_of(fit, cal, pos)
                wrows[pid] = c["level"] * c["dow_index"] * c["workday_factor"] * c["event_factor"]
                src_of[pid] = s
            wmat = np.vstack([wrows[x] for x in prof_ids])
            src = np.array([src_of[x] for x in prof_ids], dtype=object)
        n_l, n_d = wmat.shape
        leaf_code = np.repeat(np.arange(n_l), n_d)
        w = np.maximum(wmat.ravel(), 0.0)
        day = np.tile(np.arange(n_d), n_l)
        mid = mcal.period_label(pd.Series(days), freq="M" if freq == "D" else freq).to_numpy()
        pcode, plabels = pd.factorize(mid)
        cell = leaf_code * len(plabels) + pcode[day]
        ccode, cuniq = pd.factorize(cell)
        wsum = np.bincount(ccode, weights=w)
        cleaf = cuniq // len(plabels)
        cell_units = allocate(amount[cleaf], wsum, groups=cleaf, if_all_zero="equal")
        if freq == "D":
            units = allocate(cell_units[ccode], w, groups=ccode, if_all_zero="equal")
            res = out.iloc[leaf_code].reset_index(drop=True)
            res["period"] = mcal.period_label(pd.Series(days), freq="D").to_numpy()[day]
            res["start"] = res["end"] = days[day]
            res["units"] = units
        else:
            res = out.iloc[cleaf].reset_index(drop=True)
            lab = plabels[cuniq % len(plabels)]
            per = [mcal.parse_period(x) for x in plabels]  # one per period, not per row
            ps = pd.DatetimeIndex([p.start for p in per]).as_unit("us")
            pe = pd.DatetimeIndex([p.end for p in per]).as_unit("us")
            res["period"] = lab
            res["start"] = np.maximum(ps[cuniq % len(plabels)], lo)
            res["end"] = np.minimum(pe[cuniq % len(plabels)], hi)
            res["units"] = cell_units
        res["profile"] = src[leaf_code if freq == "D" else cleaf]
    rows = np.arange(len(res)) if freq is None else (leaf_code if freq == "D" else cleaf)
    res["target_fen"] = res.pop("units").astype(np.int64) * unit
    res["share"] = res["target_fen"] / total_fen
    res["basis"] = basis[by[-1]][rows] if by else "proportional"
    for c in by[:-1]:
        res[f"basis_{c}"] = basis[c][rows]
    res["start"] = pd.to_datetime(res["start"]).astype("datetime64[us]")
    res["end"] = pd.to_datetime(res["end"]).astype("datetime64[us]")
    cols_out = [*by, "period", "start", "end", "target_fen", "share", "basis",
                *[f"basis_{c}" for c in by[:-1]], "profile"]
    return res[cols_out].reset_index(drop=True)


# ---------------------------------------------------------------- GMV = UV x CR x AOV
_DRIVERS = ("uv", "conversion", "aov_fen")


def gmv_drivers(
    target_fen: Any,
    /,
    *,
    uv: Any = None,
    conversion: Any = None,
    aov_fen: Any = None,
) -> pd.DataFrame:
    """The GMV = UV x 转化率 x 客单价 tree: solve the driver that is not given.

    Pass exactly two of ``uv``, ``conversion`` (buyers / UV) and ``aov_fen`` (GMV per
    buyer, fen); the third is what the target needs, e.g. the visitors needed at a
    planned conversion and AOV: ``UV = GMV / (CR x AOV)``.

    Parameters
    ----------
    target_fen : int, array-like or Series of int
        Target GMV in fen (a Series keeps its index, e.g. one row per month).
    uv, conversion, aov_fen : scalar, array-like or Series, optional
        Planned drivers (broadcast against ``target_fen``).

    Returns
    -------
    DataFrame
        ``target_fen, uv, conversion, aov_fen, buyers, uv_value_fen, uv_needed, solved``:
        ``buyers = UV x CR`` (支付买家数), ``uv_value_fen = CR x AOV`` (UV价值),
        ``uv_needed = ceil(UV)`` and which driver was ``solved``.

    Examples
    --------
    >>> d = gmv_drivers(100_000_000, conversion=0.015, aov_fen=19_800)  # 100万 at 1.5 %, ¥198
    >>> int(d["uv_needed"].iloc[0]), round(float(d["buyers"].iloc[0]))
    (336701, 5051)
    """
    given = {k: v for k, v in zip(_DRIVERS, (uv, conversion, aov_fen), strict=True)
             if v is not None}
    if len(given) != 2:
        raise AllocationError(f"gmv_drivers: pass exactly two of uv, conversion, aov_fen; got "
                              f"{sorted(given) or 'none'}")
    index = target_fen.index if isinstance(target_fen, pd.Series) else None
    t = np.atleast_1d(np.asarray(target_fen))
    if t.dtype.kind not in "iu" or (t < 0).any():
        raise AllocationError(f"gmv_drivers: target_fen must be non-negative integer fen, got "
                              f"{t[:5].tolist()}")
    vals = {k: np.broadcast_to(np.asarray(v, dtype=float), t.shape) for k, v in given.items()}
    for k, v in vals.items():
        if not np.isfinite(v).all() or (v <= 0).any() or (k == "conversion" and (v > 1).any()):
            rule = "in (0, 1]" if k == "conversion" else "> 0"
            raise AllocationError(f"gmv_drivers: {k} must be finite and {rule}, got "
                                  f"{v[:5].tolist()}")
    (solved,) = set(_DRIVERS) - set(given)
    other = list(vals.values())
    vals[solved] = t / (other[0] * other[1])
    out = pd.DataFrame({"target_fen": t.astype(np.int64), **{k: vals[k] for k in _DRIVERS}},
                       index=index)
    out["buyers"] = out["uv"] * out["conversion"]
    out["uv_value_fen"] = out["conversion"] * out["aov_fen"]
    out["uv_needed"] = np.ceil(out["uv"] - 1e-9).astype(np.int64)
    out["solved"] = solved
    return out


def _drivers_frame(x: Any, what: str) -> pd.DataFrame:
    if isinstance(x, Mapping | pd.Series):
        x = pd.DataFrame([dict(x)])
    _need(x, list(_DRIVERS), what)
    f = x[list(_DRIVERS)].astype(float)
    bad = ~np.isfinite(f) | (f <= 0)
    if bad.to_numpy().any():
        col = bad.any().idxmax()
        raise AllocationError(
            f"driver_gap: {what}[{col!r}] must be > 0 (the log split needs positive drivers); "
            f"rows {list(f.index[bad[col]][:5])}: {f.loc[bad[col], col].head(5).tolist()}")
    return f


def _round_signed(e: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Round each row of ``e`` to integers summing to ``total`` (largest remainder)."""
    fl = np.floor(e)
    left = total - fl.sum(axis=1).astype(np.int64)
    order = np.argsort(-(e - fl), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(e.shape[1])[None, :].repeat(len(e), 0), axis=1)
    base, rem = np.divmod(left, e.shape[1])
    return (fl + base[:, None] + (rank < rem[:, None])).astype(np.int64)


def driver_gap(
    actual: Any,
    plan: Any,
    /,
    *,
    method: str = "lmdi",
    order: Sequence[str] = _DRIVERS,
) -> pd.DataFrame:
    """Attribute a GMV gap (actual - plan) to UV, conversion and AOV.

    ``lmdi`` (log mean Divisia): ``effect_k = L(G1, G0) x ln(x_k1 / x_k0)`` with the
    logarithmic mean ``L(a, b) = (a - b) / (ln a - ln b)``; the effects add up to the gap
    exactly and do not depend on any order. ``chain`` (连环替代法, chain substitution):
    replace the plan drivers by the actual ones one at a time in ``order``; exact too,
    but each effect depends on the order.

    Parameters
    ----------
    actual, plan : mapping, Series or DataFrame
        ``uv``, ``conversion``, ``aov_fen`` (all > 0); DataFrames are aligned by index.
    method : {"lmdi", "chain"}
    order : sequence of str
        Substitution order for ``chain``.

    Returns
    -------
    DataFrame
        ``plan_gmv_fen, actual_gmv_fen, gap_fen`` (GMV = UV x CR x AOV rounded to fen) and
        ``uv_effect_fen, conversion_effect_fen, aov_effect_fen``: integer fen that sum
        exactly to ``gap_fen`` (rounded by largest remainder).

    Examples
    --------
    >>> plan = {"uv": 10_000, "conversion": 0.02, "aov_fen": 20_000}
    >>> act = {"uv": 12_000, "conversion": 0.018, "aov_fen": 22_000}
    >>> driver_gap(act, plan, method="chain").iloc[0].tolist()
    [4000000, 4752000, 752000, 800000, -480000, 432000]
    """
    if method not in ("lmdi", "chain"):
        raise AllocationError(f"driver_gap: method must be 'lmdi' or 'chain', got {method!r}")
    if sorted(order) != sorted(_DRIVERS):
        raise AllocationError(f"driver_gap: order must be a permutation of {list(_DRIVERS)}, "
                              f"got {list(order)}")
    a, p = _drivers_frame(actual, "actual"), _drivers_frame(plan, "plan")
    if not a.index.equals(p.index):
        raise AllocationError(f"driver_gap: actual and plan must have the same index, got "
                              f"{list(a.index[:5])} and {list(p.index[:5])}")
    g1, g0 = a.prod(axis=1).to_numpy(), p.prod(axis=1).to_numpy()
    if method == "lmdi":
        with np.errstate(divide="ignore", invalid="ignore"):
            lm = np.where(np.isclose(g1, g0, rtol=1e-12, atol=0), g1,
                          (g1 - g0) / (np.log(g1) - np.log(g0)))
        e = np.column_stack([lm * np.log(a[k].to_numpy() / p[k].to_numpy()) for k in _DRIVERS])
    else:
        cur = p.to_numpy().copy()
        eff = {}
        for k in order:
            before = cur.prod(axis=1)
            cur[:, _DRIVERS.index(k)] = a[k].to_numpy()
            eff[k] = cur.prod(axis=1) - before
        e = np.column_stack([eff[k] for k in _DRIVERS])
    G1, G0 = np.rint(g1).astype(np.int64), np.rint(g0).astype(np.int64)
    parts = _round_signed(e, G1 - G0)
    out = pd.DataFrame({"plan_gmv_fen": G0, "actual_gmv_fen": G1, "gap_fen": G1 - G0},
                       index=a.index)
    for j, k in enumerate(("uv", "conversion", "aov")):
        out[f"{k}_effect_fen"] = parts[:, j]
    return out


def to_targets(
    plan: pd.DataFrame,
    /,
    *,
    by: str | Sequence[str] | None = None,
    freq: str | Sequence[str] = ("Y", "M"),
) -> pd.DataFrame:
    """Roll a plan of :func:`decompose_target` up to a canonical ``targets`` table.

    One row per period of each ``freq`` and per node: ``level="total", key="all"`` and
    for each prefix of ``by`` the level ``"channel"`` / ``"channel/category"`` with keys
    ``"web"`` / ``"web/母婴"`` -- the form :func:`pacing` reads. Sums are exact.

    Examples
    --------
    >>> plan = decompose_target(10_000, start="2026-11-30", end="2026-12-01", freq="D",
    ...                         by="ch", method="manual", shares={"a": 1, "b": 3},
    ...                         temporal="equal")
    >>> to_targets(plan, by="ch", freq="M")
        period  level  key  target_fen
    0  2026-11  total  all        5000
    1  2026-12  total  all        5000
    2  2026-11     ch    a        1250
    3  2026-11     ch    b        3750
    4  2026-12     ch    a        1250
    5  2026-12     ch    b        3750
    """
    by = _cols(by)
    _need(plan, ["start", "end", "target_fen", *by], "plan")
    out = []
    for f in [freq] if isinstance(freq, str) else list(freq):
        lab = mcal.period_label(plan["start"], freq=f)
        straddle = lab != mcal.period_label(plan["end"], freq=f)
        if straddle.any():
            eg = plan.loc[straddle, "period"].head(3).tolist()
            raise PeriodError(f"to_targets: {int(straddle.sum())} plan row(s) span more than "
                              f"one {f!r} period, e.g. {eg}; decompose at a finer freq")
        frame = plan.assign(_period=lab.to_numpy())
        for i in range(len(by) + 1):
            cols = by[:i]
            g = frame.groupby(["_period", *cols], sort=True)["target_fen"].sum().reset_index()
            out.append(pd.DataFrame({
                "period": g["_period"], "level": "/".join(cols) or "total",
                "key": pd.Series(_ids(g, cols)).str.replace(_SEP, "/", regex=False)
                if cols else "all",
                "target_fen": g["target_fen"].astype("int64")}))
    return validate(pd.concat(out, ignore_index=True), "targets")
