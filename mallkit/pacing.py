"""达成率 pacing: are we on pace, where will each period land, what must we sell per day?

Every morning :func:`pacing` compares the actuals with the targets: 达成率, linear and
event-aware time progress, days ahead/behind, the required daily rate and three landings
(run rate, seasonal ratio and a model with an interval from simulated whole paths, plus
P(hit)). :func:`landing_backtest` replays it on past periods to check those intervals.
The daily weights are the plan's (:func:`mallkit.targets.decompose_target`) or a
:func:`mallkit.seasonality.daily_profile` of the history; :mod:`mallkit.targets`
re-exports this module's public API.

Examples
--------
>>> from mallkit.pacing import pacing
>>> act = pd.DataFrame({"date": pd.date_range("2026-11-01", "2026-11-15"), "gmv_fen": 1000})
>>> tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
...                    "target_fen": [30_000]})
>>> s = pacing(act, tg, as_of="2026-11-16", model=None).summary.iloc[0]
>>> float(s["time_progress"]), int(s["required_daily_flat_fen"])
(0.5, 1000)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mallkit import calendar as mcal
from mallkit.errors import PeriodError, SchemaError
from mallkit.money import allocate
from mallkit.schema import validate
from mallkit.seasonality import _DAY, _MIN_DAYS, _history, _need, _profiles, _weights_of

__all__ = [
    "PaceReport",
    "landing_backtest",
    "pacing",
]


# ---------------------------------------------------------------- pacing
@dataclass(frozen=True)
class PaceReport:
    """The morning pace status and the curves of the pace chart.

    Attributes
    ----------
    summary : DataFrame
        One row per target row (period, level, key); see :func:`pacing`.
    daily : DataFrame
        One row per target row and day of its period: ``weight`` (share of the period),
        cumulative ``expected_cum_fen`` (target x event-aware share), ``linear_cum_fen``,
        ``actual_fen`` / ``actual_cum_fen`` (through the cutoff), ``required_fen`` (the
        remaining gap split over the remaining days by their weights, exact) and the
        landing fan ``forecast_lo/mid/hi_cum_fen`` (quantiles of simulated cumulative
        paths) after the cutoff.
    """

    summary: pd.DataFrame
    daily: pd.DataFrame


def _line_mask(actuals: pd.DataFrame, level: str, key: str, what: str) -> np.ndarray:
    if level == "total":
        return np.ones(len(actuals), bool)
    cols, vals = level.split("/"), key.split("/")
    if len(cols) != len(vals):
        raise SchemaError(f"targets: level {level!r} has {len(cols)} column(s) but key {key!r} "
                          f"has {len(vals)} value(s)", table="targets", column="key")
    _need(actuals, cols, what)
    m = np.ones(len(actuals), bool)
    for c, v in zip(cols, vals, strict=True):
        m &= (actuals[c].astype("str") == v).to_numpy()
    return m


def _check_line(actuals: pd.DataFrame, level: str, key: str, period: Any) -> None:
    """A target line whose key is nowhere in the actuals (a typo) is an error, not 0 sales."""
    if level == "total" or _line_mask(actuals, level, key, "actuals").any():
        return
    cols = level.split("/")
    seen = actuals[cols].astype("str").drop_duplicates().head(8)
    eg = seen.apply("/".join, axis=1).tolist() if len(seen) else []
    raise SchemaError(f"targets: key {key!r} of level {level!r} (period {period}) matches no "
                      f"row of actuals (rule: a target line needs its key in the actuals' "
                      f"{cols} columns); actuals have e.g. {eg}", table="targets", column="key",
                      rule="key in actuals")


def _simulate(y: np.ndarray, f_hist: np.ndarray, f_fut: np.ndarray, model: str, n_paths: int,
              rng: np.random.Generator) -> tuple[np.ndarray, float, bool]:
    """Paths (h x n) of future daily sales; in-sample residual sd; whether the fit converged.

    The model runs on ``log((y + c) / F)`` where F is the event x working-day factor of the
    profile (the event regressor, estimated from history): the weekday cycle and the level
    are the model's; future paths are multiplied back by F.
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    c = 0.01 * max(y.mean(), 1.0)
    z = np.log((y + c) / f_hist)
    h = len(f_fut)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if model == "ets":
            from statsmodels.tsa.exponential_smoothing.ets import ETSModel

            res = ETSModel(z, error="add", seasonal="add", seasonal_periods=7).fit(disp=False)
            sims = res.simulate(h, anchor="end", repetitions=n_paths, rng=rng)
        else:
            from statsmodels.tsa.statespace.sarimax import SARIMAX

            res = SARIMAX(z, order=(0, 1, 1), seasonal_order=(1, 0, 1, 7)).fit(disp=False)
            sims = res.simulate(h, anchor="end", repetitions=n_paths, rng=rng)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    sims = np.asarray(sims).reshape(h, -1)
    resid = np.asarray(res.resid)[7:]
    return np.maximum(np.exp(sims) * f_fut[:, None] - c, 0.0), float(resid.std()), converged


def pacing(
    actuals: pd.DataFrame,
    targets: pd.DataFrame,
    /,
    *,
    as_of: Any,
    include_as_of: bool = False,
    weights: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    model: str | None = "ets",
    n_paths: int = 2000,
    interval: float = 0.8,
    seed: int = 0,
    min_days: int = _MIN_DAYS,
    fit_days: int = 365,
    poor_fit_sd: float = 0.35,
    missing_keys: str = "raise",
    date_col: str = "date",
    value_col: str = "gmv_fen",
) -> PaceReport:
    """Are we on pace, where will each period land, and what must we sell per day from here?

    Elapsed-day convention: ``as_of`` is the report date and data are complete **through
    the day before** (``d`` = days of the period before ``as_of``; 1 to 11 November
    reported on the 12th is d = 11, not 12). ``include_as_of=True`` counts ``as_of`` too.
    Actuals after the cutoff are ignored, so a back-test can pass the whole history.

    For a period of D days with target T, actual A through day d and daily weights w
    (share of the period, ``E_d = sum_{t<=d} w_t``):

    ==========================  =========================================================
    achievement (达成率)          A / T
    time_progress (时间进度)      d / D (linear)
    expected_share                E_d (event-aware; the plan's daily split)
    pace_index                    A / (T E_d)
    days_ahead                    d* - d with T E_{d*} = A (interpolated)
    required_daily_flat_fen       max(T - A, 0) / (D - d)
    required_next_day_fen         (T - A) w_{d+1} / sum_{t>d} w_t (``daily.required_fen``)
    landing_linear_fen            A D / d (run rate; unstable early in the period)
    landing_seasonal_fen          A / E_d
    landing_model_fen, lo, hi     A + simulated remaining paths: mean and the central
                                  ``interval`` of whole-path totals (never summed daily
                                  intervals); ``p_hit`` = share of paths reaching T
    ==========================  =========================================================

    Parameters
    ----------
    actuals : DataFrame
        Daily ``date, <key columns>, gmv_fen`` with the history before the period too
        (the weights and the model are estimated from it), e.g.
        :func:`~mallkit.seasonality.daily_gmv`. Negative days (net GMV after refunds)
        count exactly in the actual to date; the profile and the model read them as 0.
    targets : DataFrame
        Canonical ``targets`` (``period, level, key, target_fen``). ``level`` is
        ``"total"`` (key ``"all"``) or a column of ``actuals`` (``"channel"``, key
        ``"web"``); several columns join with ``/`` (``"channel/category"``,
        ``"web/母婴"``), as :func:`~mallkit.targets.to_targets` writes them. A key found
        nowhere in ``actuals`` (e.g. ``"Tmall"`` for ``"tmall"``) is a SchemaError unless
        ``missing_keys="zero"``.
    as_of : date-like
        The report date.
    weights : DataFrame, optional
        The daily plan (``decompose_target(..., freq="D")``: its ``start`` and
        ``target_fen``) or any ``date, <keys>, weight`` frame; a line's daily weights are
        the sum over its rows; rows spanning several days (a ``freq="M"`` plan) are a
        SchemaError. Default: :func:`~mallkit.seasonality.daily_profile` of the
        line's history before the period start (flat with too little history).
    events : DataFrame, optional
        Event calendar for the profile.
    model : {"ets", "sarimax"} or None
        ETS(A,N,A) (additive error, no trend, weekly season) or SARIMAX(0,1,1)(1,0,1,7)
        on ``log(sales / F)``, F the event x 调休 factor of the profile: the event regressor
        enters as an offset estimated from history (by anchor, see
        :func:`~mallkit.seasonality.daily_profile`) and paths are multiplied back by F.
        None skips the model. The paths carry the model's noise, not the error of F, so
        intervals around big events run narrow:
        on the sample mall the 80 % interval covered the month total in 77 % of 70
        back-test cases (ETS; 73 % SARIMAX), see :func:`landing_backtest`.
    n_paths, interval, seed
        Simulated paths, central interval width, random seed.
    min_days : int
        Fewer days of history before the cutoff: no model (flag ``short_history``).
    fit_days : int
        Days of history the model is fitted on.
    poor_fit_sd : float
        Flag ``poor_fit`` when the model's in-sample residual sd (log scale) exceeds it.
    missing_keys : {"raise", "zero"}, default "raise"
        A target line whose key is nowhere in ``actuals``: ``"raise"`` (a typo guard) or
        ``"zero"`` (a line with no sales yet, e.g. a shop opening this month: actual 0,
        flat weights, no model, flag ``no_actuals``), for scheduled reports that must
        not stop on it.

    Returns
    -------
    PaceReport
        ``summary`` with the columns of the table above and ``period, level, key, start,
        end, days, elapsed_days, actual_fen, target_fen, expected_to_date_fen,
        remaining_fen, weights_source, resid_sd, flags`` (``;``-joined: not_started,
        closed, early_period (d < 3), no_actuals (the key is nowhere in the actuals),
        incomplete_actuals (the actuals start after the
        period's start or end before the cutoff: the missing days count as zero),
        short_history, poor_fit, not_converged, unseen_events (remaining event days with
        no past occurrence), flat_weights); and
        ``daily`` curves for the pace chart.

    Examples
    --------
    >>> days = pd.date_range("2026-11-01", "2026-11-10")
    >>> act = pd.DataFrame({"date": days, "gmv_fen": 1000})
    >>> tg = pd.DataFrame({"period": ["2026-11"], "level": ["total"], "key": ["all"],
    ...                    "target_fen": [30_000]})
    >>> s = pacing(act, tg, as_of="2026-11-11", model=None).summary
    >>> s[["elapsed_days", "actual_fen", "achievement", "landing_linear_fen"]]
       elapsed_days  actual_fen  achievement  landing_linear_fen
    0            10       10000     0.333333               30000
    """
    tg = validate(targets, "targets")
    if model not in ("ets", "sarimax", None):
        raise SchemaError(f"pacing: model must be 'ets', 'sarimax' or None, got {model!r}")
    if not 0 < interval < 1:
        raise SchemaError(f"pacing: interval must be in (0, 1), got {interval!r}")
    try:
        today = pd.Timestamp(as_of).normalize().as_unit("us")
    except (ValueError, TypeError) as exc:
        raise PeriodError(f"pacing: as_of must be a date, got {as_of!r}") from exc
    cutoff = today if include_as_of else today - _DAY
    key_cols = [c for c in actuals.columns if c not in (date_col, value_col)] \
        if isinstance(actuals, pd.DataFrame) else []
    if missing_keys not in ("raise", "zero"):
        raise SchemaError(f"pacing: missing_keys must be 'raise' or 'zero', got {missing_keys!r}")
    act = _history(actuals, key_cols, date_col, value_col, "actuals", clip=False)
    unseen = set()
    for r in tg.itertuples(index=False):  # a few target lines
        if missing_keys == "raise":
            _check_line(act, r.level, r.key, r.period)
        elif r.level != "total" and not _line_mask(act, r.level, r.key, "actuals").any():
            unseen.add((r.level, r.key))
    if isinstance(weights, pd.DataFrame) and {"start", "end"} <= set(weights.columns):
        span = pd.to_datetime(weights["end"]) != pd.to_datetime(weights["start"])
        if span.any():  # a monthly plan would put the whole month's weight on its 1st day
            raise SchemaError(
                f"pacing: weights must be daily (rule: start == end on every row), got "
                f"{int(span.sum())} row(s) spanning several days, e.g. periods "
                f"{weights.loc[span, 'period'].head(3).tolist() if 'period' in weights else ''}"
                f"; pass decompose_target(..., freq='D')", table="weights", column="end",
                rule="daily rows")
    act = act[act["date"] <= cutoff]
    if act.empty:
        raise PeriodError(f"pacing: actuals have no day on or before the cutoff {cutoff.date()}")
    rng = np.random.default_rng(seed)
    a_lo, a_hi, q = act["date"].min(), act["date"].max(), (1 - interval) / 2
    rows, daily = [], []
    for r in tg.itertuples(index=False):  # one pace line per target row (a few, not rows)
        p = mcal.parse_period(r.period)
        D, T = p.days, int(r.target_fen)
        d = int(np.clip((cutoff - p.start).days + 1, 0, D))
        sel = act[_line_mask(act, r.level, r.key, "actuals")]
        y = sel.groupby("date")["value"].sum().reindex(
            pd.date_range(a_lo, cutoff, unit="us"), fill_value=0).astype(float)
        # Net GMV can be negative on a day (refunds > sales): the actual to date is the
        # exact sum, the profile and the model (on logs) see those days as zero.
        pre = y[y.index < p.start].clip(lower=0)
        hist = pd.DataFrame({"date": pre.index, "value": pre.to_numpy(np.int64)})
        cal, fits, pos = _profiles(hist, [], min(p.start, a_lo), max(p.end, cutoff), events,
                                   min_days)
        pos = cal.pos(p.dates)
        fit, _ = fits["all"]
        flags = ["no_actuals"] if (r.level, r.key) in unseen else []
        src = "flat" if fit is None else "profile"
        if weights is not None:
            wk = weights.rename(columns={"start": "date"}) if "date" not in weights else weights
            wcol = "weight" if "weight" in wk.columns else "target_fen"
            _need(wk, ["date", wcol], "weights")
            ws = wk[_line_mask(wk, r.level, r.key, "weights")]
            w = ws.groupby(pd.to_datetime(ws["date"]).dt.normalize())[wcol].sum() \
                .reindex(p.dates, fill_value=0).to_numpy(float)
            src = "plan" if w.sum() > 0 else src
        if weights is None or src != "plan":
            c = _weights_of(fit, cal, pos)
            w = c["level"] * c["dow_index"] * c["workday_factor"] * c["event_factor"]
        if src == "flat":
            flags.append("flat_weights")
        w = np.maximum(w, 0) / w.sum() + 1e-12
        w = w / w.sum()
        ecum = np.concatenate([[0.0], np.cumsum(w)])
        A = int(y[(y.index >= p.start) & (y.index <= p.end)].sum())
        E = ecum[d]
        landing = dict.fromkeys(("landing_model_fen", "landing_lo_fen", "landing_hi_fen",
                                 "p_hit", "resid_sd"), np.nan)
        fan = np.full((3, D - d), np.nan)
        hist_days = int((y.index <= cutoff).sum() - np.argmax(y.to_numpy() > 0)) \
            if (y > 0).any() else 0
        if d > 0 and (a_hi < min(cutoff, p.end) or a_lo > p.start):
            # The feed starts after the period's start or stops before the cutoff: the
            # missing elapsed days count as zero sales.
            flags.append("incomplete_actuals")
        if d == 0:
            flags.append("not_started")
        elif d < 3:
            flags.append("early_period")
        if d == D:
            flags.append("closed")
        elif model is not None and hist_days < min_days:
            flags.append("short_history")
        elif model is not None:
            yy = y.clip(lower=0).to_numpy()[-min(fit_days, hist_days):]
            fpos = cal.pos(y.index[-len(yy):])
            fut = pos[d:]
            f_all = np.ones(len(cal.dates)) if fit is None else fit.event_factor(
                cal, np.arange(len(cal.dates)))
            # Simulate every day after the cutoff: a period that starts later (d = 0 with
            # a gap) keeps the model's weekday phase and the horizon's growing spread.
            ahead_all = cal.pos(pd.date_range(cutoff + _DAY, p.end, unit="us"))
            paths, sd, ok = _simulate(yy, f_all[fpos], f_all[ahead_all], model, n_paths, rng)
            paths = paths[len(paths) - len(fut):]
            tot = A + paths.sum(axis=0)
            cum = A + np.cumsum(paths, axis=0)
            fan = np.quantile(cum, [q, 0.5, 1 - q], axis=1)
            landing.update(landing_model_fen=tot.mean(), landing_lo_fen=np.quantile(tot, q),
                           landing_hi_fen=np.quantile(tot, 1 - q), p_hit=float((tot >= T).mean()),
                           resid_sd=sd)
            if sd > poor_fit_sd:
                flags.append("poor_fit")
            if not ok:
                flags.append("not_converged")
            if fit is not None:
                seen = set(fit.counts.index[fit.counts > 0])
                ahead = np.isin(cal.ev_pos, fut)
                if not set(cal.ev_key[ahead]) <= seen:
                    flags.append("unseen_events")
        dstar = float(np.interp(A / T, ecum, np.arange(D + 1))) if T > 0 else np.nan
        rem = max(T - A, 0)
        req = allocate(rem, w[d:]) if d < D else np.zeros(0, np.int64)
        rows.append({
            "period": r.period, "level": r.level, "key": r.key, "start": p.start, "end": p.end,
            "days": D, "elapsed_days": d, "actual_fen": A, "target_fen": T,
            "achievement": A / T if T else np.nan, "time_progress": d / D,
            "expected_share": E, "expected_to_date_fen": round(T * E),
            "pace_index": A / (T * E) if T and E > 0 else np.nan,
            "days_ahead": dstar - d, "remaining_fen": T - A,
            "required_daily_flat_fen": max(T - A, 0) / (D - d) if d < D else np.nan,
            "required_next_day_fen": req[0] if len(req) else np.nan,
            "landing_linear_fen": A * D / d if d else np.nan,
            "landing_seasonal_fen": A / E if E > 0 else np.nan,
            **landing, "weights_source": src, "flags": ";".join(flags),
        })
        act_d = y.reindex(p.dates).to_numpy()
        daily.append(pd.DataFrame({
            "period": r.period, "level": r.level, "key": r.key, "date": p.dates,
            "day": np.arange(1, D + 1), "weight": w,
            "expected_cum_fen": np.rint(T * ecum[1:]),
            "linear_cum_fen": np.rint(T * np.arange(1, D + 1) / D),
            "actual_fen": np.where(np.arange(D) < d, act_d, np.nan),
            "actual_cum_fen": np.where(np.arange(D) < d, np.nancumsum(act_d), np.nan),
            "required_fen": np.concatenate([np.full(d, np.nan), req]),
            **{f"forecast_{n}_cum_fen": np.concatenate([np.full(d, np.nan), np.rint(fan[i])])
               for i, n in enumerate(("lo", "mid", "hi"))},
        }))
    summary = pd.DataFrame(rows)
    money = [c for c in summary.columns if c.endswith("_fen")]
    summary[money] = summary[money].round().astype("Int64")
    dd = pd.concat(daily, ignore_index=True)
    money = [c for c in dd.columns if c.endswith("_fen")]
    dd[money] = dd[money].round().astype("Int64")
    return PaceReport(summary, dd)


def landing_backtest(
    actuals: pd.DataFrame,
    /,
    *,
    periods: Sequence[str],
    elapsed: Sequence[int] = (7, 14, 21),
    level: str = "total",
    key: str = "all",
    **pacing_options: Any,
) -> pd.DataFrame:
    """Replay :func:`pacing` on past periods: does the landing interval cover the truth?

    For each period and each number of elapsed days ``e``, pacing runs as of the morning
    after day ``e`` (only data through day ``e`` are used) with the true period total as
    target; ``covered`` says whether ``[landing_lo_fen, landing_hi_fen]`` contains it, so
    ``covered.mean()`` should be close to the nominal ``interval`` (0.8 by default), and
    ``p_hit`` (P(total >= truth), a PIT value) should look uniform.

    Returns
    -------
    DataFrame
        ``period, elapsed_days, true_fen, landing_linear_fen, landing_seasonal_fen,
        landing_model_fen, landing_lo_fen, landing_hi_fen, p_hit, covered, flags``.

    Examples
    --------
    >>> days = pd.date_range("2025-01-01", "2025-06-30")
    >>> act = pd.DataFrame({"date": days, "gmv_fen": 1000})
    >>> landing_backtest(act, periods=["2025-06"], elapsed=[10], model=None)[
    ...     ["period", "elapsed_days", "true_fen", "landing_linear_fen"]]
        period  elapsed_days  true_fen  landing_linear_fen
    0  2025-06            10     30000               30000
    """
    dcol = pacing_options.get("date_col", "date")
    vcol = pacing_options.get("value_col", "gmv_fen")
    keys = [c for c in actuals.columns if c not in (dcol, vcol)]
    h = _history(actuals, keys, dcol, vcol, "actuals", clip=False)  # exact true totals
    _check_line(h, level, key, list(periods))
    h = h[_line_mask(h, level, key, "actuals")]
    out = []
    for label in periods:  # one replay per period and cutoff: a handful of model fits
        p = mcal.parse_period(label)
        if p.end > h["date"].max():
            raise PeriodError(f"landing_backtest: period {label} ends after the actuals "
                              f"({h['date'].max().date()}); its true total is unknown")
        truth = int(h.loc[h["date"].between(p.start, p.end), "value"].sum())
        tg = pd.DataFrame({"period": [label], "level": [level], "key": [key],
                           "target_fen": [truth]})
        for e in elapsed:
            s = pacing(actuals, tg, as_of=p.start + e * _DAY, **pacing_options).summary.iloc[0]
            out.append({"period": label, "elapsed_days": int(e), "true_fen": truth,
                        **{c: s[c] for c in ("landing_linear_fen", "landing_seasonal_fen",
                                             "landing_model_fen", "landing_lo_fen",
                                             "landing_hi_fen", "p_hit")},
                        "covered": bool(s["landing_lo_fen"] <= truth <= s["landing_hi_fen"])
                        if pd.notna(s["landing_lo_fen"]) else pd.NA,
                        "flags": s["flags"]})
    return pd.DataFrame(out)
