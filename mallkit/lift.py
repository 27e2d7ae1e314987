"""The counterfactual of a promotion: what the scope would have sold without it.

:func:`promotion_lift` fits a structural time-series model (local level + weekly seasonal
+ optional control series as regressors; statsmodels ``UnobservedComponents``, by maximum
likelihood) to the pre-period, then simulates whole paths of the promotion and
post-promotion days: parameters are drawn from their estimated sampling distribution
(so the intervals carry parameter uncertainty), then states and noise forward from the
filtered end of the pre-period. Everything CausalImpact reports follows from the paths:
daily predictions and intervals, point and cumulative absolute and relative effects with
intervals, a tail-area p-value, and the post-promotion dip (pull-forward) over
``post_days`` after the end.

:func:`spillover_lift` runs the same counterfactual on non-promoted SKUs or categories
over the promotion window: a negative effect is cannibalization, a positive one halo.

Why our own small estimator: no Python port of CausalImpact runs on pandas 3 /
statsmodels 0.15 (see ``shared/reference/promotions.md``), and the one that did had
cumulative intervals built by summing pointwise bounds.

Assumptions the intervals rest on: the pre-period behaves like the counterfactual (no
other promotion or event left in it: pass ``exclude=`` for such days), the controls are
not themselves moved by the promotion, and the noise is roughly Gaussian around a
slowly moving level (counts above ~10 a day are fine).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> days = pd.date_range("2025-01-01", periods=112, freq="D")
>>> y = pd.Series(rng.poisson(200, 112).astype(float), index=days)
>>> y["2025-04-08":"2025-04-14"] *= 1.3        # +30 % during a 7-day promotion
>>> lift = promotion_lift(y, start="2025-04-08", end="2025-04-14", post_days=7)
>>> lo, hi = lift.effects.loc["promotion", ["rel_effect_lower", "rel_effect_upper"]]
>>> bool(lo < 0.3 < hi)
True
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.statespace.structural import UnobservedComponents

from mallkit.errors import PromotionError

__all__ = ["Lift", "LiftWarning", "promotion_lift", "spillover_lift"]

MIN_PRE_DAYS = 28  # below: refuse (the weekly pattern and the noise level are not learnt)
SHORT_PRE_DAYS = 56  # below: warn
DEFAULT_PRE_DAYS = 91  # a quarter: long enough for the weekly pattern, short of last year
WINDOWS = ("promotion", "post", "total")
_PARAM_DRAWS = 50  # parameter vectors; n_sims // _PARAM_DRAWS paths each


class LiftWarning(UserWarning):
    """The counterfactual is weaker than it looks (short pre-period, poor fit, cut window)."""


@dataclass(frozen=True)
class Lift:
    """Result of :func:`promotion_lift`.

    Attributes
    ----------
    series : DataFrame
        One row per day from ``pre_start`` to the end of the post window: ``period``
        (pre / promotion / post / excluded), ``actual``, ``predicted`` with
        ``predicted_lower/upper`` (one-step-ahead in the pre-period, simulated after),
        ``point_effect[_lower/_upper]`` and ``cum_effect[_lower/_upper]`` (cumulated from
        the first promotion day).
    effects : DataFrame
        Index ``promotion``, ``post`` (the dip after the end), ``total`` (both): ``days,
        actual, predicted, predicted_sd, predicted_lower/upper, abs_effect[_lower/_upper],
        rel_effect[_lower/_upper], avg_effect, p_value`` (one-sided tail area as in
        CausalImpact, at most 0.5) and ``p_two_sided`` (min(1, 2p): compare it with alpha).
    fit : Series
        Pre-period diagnostics: ``n_pre``, ``n_excluded``, ``mape`` (one-step-ahead),
        ``ljung_box_p``, ``max_abs_std_resid``, ``converged``, and the MLE parameters:
        variances on the standardized scale, ``beta.<control>`` in the data's units
        (response per unit of the control).
    draws : DataFrame
        One row per simulated path: the predicted sum over each window.
    start, end, pre_start, pre_end, post_end : Timestamp
        The windows (``post_end == end`` when there is no post-period data).
    alpha : float
        1 − interval level.
    warnings : tuple of str
        Everything :class:`LiftWarning` said.
    """

    series: pd.DataFrame
    effects: pd.DataFrame
    fit: pd.Series
    draws: pd.DataFrame = field(repr=False)
    start: pd.Timestamp
    end: pd.Timestamp
    pre_start: pd.Timestamp
    pre_end: pd.Timestamp
    post_end: pd.Timestamp
    alpha: float = 0.05
    warnings: tuple[str, ...] = ()

    def summary(self, lang: str = "en") -> str:
        """A CausalImpact-style report in English (``"en"``) or Chinese (``"zh"``)."""
        return _summary(self, lang)


# ------------------------------------------------------------------------------ input
def _as_daily(x: Any, what: str) -> pd.DataFrame:
    if isinstance(x, pd.Series):
        x = x.to_frame(x.name if x.name is not None else "y")
    if not isinstance(x, pd.DataFrame):
        raise PromotionError(f"{what} must be a Series or DataFrame indexed by date, "
                             f"got {type(x).__name__}")
    if "date" in x.columns:
        x = x.set_index("date")
    if not isinstance(x.index, pd.DatetimeIndex):
        raise PromotionError(f"{what} must be indexed by date (a DatetimeIndex or a 'date' "
                             f"column), got {type(x.index).__name__}")
    if x.index.tz is not None:
        x = x.tz_convert("Asia/Shanghai").tz_localize(None)
    if not (x.index == x.index.normalize()).all():
        raise PromotionError(f"{what}: the index must hold days (midnights); aggregate "
                             f"timestamps per day first, e.g. with mallkit.promotions.daily_sales")
    if x.index.has_duplicates:
        dup = x.index[x.index.duplicated()].unique()[:5].strftime("%Y-%m-%d").tolist()
        raise PromotionError(f"{what}: repeated dates {dup}")
    for c in x.columns:
        if not pd.api.types.is_numeric_dtype(x[c].dtype) or pd.api.types.is_bool_dtype(x[c]):
            raise PromotionError(f"{what}: column {c!r} must be numeric, got {x[c].dtype}")
    return x.sort_index().astype("float64")


def _day(v: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError):
        raise PromotionError(f"{name} must be a date, got {v!r}") from None
    if ts is pd.NaT:
        raise PromotionError(f"{name} must be a date, got {v!r}")
    return ts.normalize()


def _excluded(exclude: Any, index: pd.DatetimeIndex) -> np.ndarray:
    if exclude is None:
        return np.zeros(len(index), dtype=bool)
    if isinstance(exclude, pd.DataFrame):
        if "date" not in exclude.columns:
            raise PromotionError("exclude: a DataFrame needs a 'date' column "
                                 "(e.g. mallkit.calendar.events(...))")
        exclude = exclude["date"]
    if isinstance(exclude, pd.Series) and pd.api.types.is_bool_dtype(exclude.dtype):
        exclude = exclude.index[exclude.to_numpy()]
    return index.isin(pd.DatetimeIndex(pd.to_datetime(exclude)).normalize())


# ------------------------------------------------------------------------------ model
def _draw_params(res: Any, k: int, rng: np.random.Generator, names: list[str]) -> np.ndarray:
    """Parameter vectors from N(θ̂, cov), variances reflected at zero (MLE on a boundary)."""
    theta = np.asarray(res.params, dtype=float)
    cov = np.asarray(res.cov_params(), dtype=float)
    if not np.isfinite(cov).all():
        cov = np.zeros_like(cov)
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    draws = theta + rng.standard_normal((k, len(theta))) @ root.T
    var = np.array([n.startswith("sigma2") for n in names])
    draws[:, var] = np.abs(draws[:, var])
    return draws


def _sqrtm(a: np.ndarray) -> np.ndarray:
    """Symmetric square roots of a stack of covariance matrices (PSD, possibly singular)."""
    vals, vecs = np.linalg.eigh((a + np.swapaxes(a, -1, -2)) / 2)
    return vecs * np.sqrt(np.clip(vals, 0, None))[..., None, :]


def _simulate(mod: Any, draws: np.ndarray, x_future: np.ndarray | None, h: int, per: int,
              rng: np.random.Generator) -> np.ndarray:
    """Paths (len(draws) * per, h) of the standardized response after the pre-period."""
    k = len(draws)
    names = mod.param_names
    betas = np.array([i for i, n in enumerate(names) if n.startswith("beta.")], dtype=int)
    a, p, q, hv = [], [], [], []
    for theta in draws:  # a filter per parameter draw: the end state depends on them
        r = mod.filter(theta, cov_type="none")
        a.append(r.predicted_state[:, -1])
        p.append(r.predicted_state_cov[:, :, -1])
        q.append(np.array(mod.ssm["state_cov"]).reshape(mod.ssm.k_posdef, mod.ssm.k_posdef))
        hv.append(float(np.asarray(mod.ssm["obs_cov"]).ravel()[0]))
    t_mat = np.asarray(mod.ssm["transition"])[:, :, 0] if np.ndim(mod.ssm["transition"]) == 3 \
        else np.asarray(mod.ssm["transition"])
    sel = np.asarray(mod.ssm["selection"]).reshape(mod.ssm.k_states, mod.ssm.k_posdef)
    z = np.asarray(mod.ssm["design"]).reshape(-1)[: mod.ssm.k_states]
    m = len(z)
    x = np.asarray(a)[:, None, :] + np.einsum(
        "kij,knj->kni", _sqrtm(np.asarray(p)), rng.standard_normal((k, per, m)))
    q_root = _sqrtm(np.asarray(q))
    h_sd = np.sqrt(np.asarray(hv))[:, None]
    reg = (np.zeros((k, h)) if x_future is None or not len(betas)
           else draws[:, betas] @ x_future.T)  # (k, h)
    out = np.empty((k, per, h))
    for t in range(h):  # forward over days, vectorised over draws and paths
        out[:, :, t] = x @ z + reg[:, t, None] + h_sd * rng.standard_normal((k, per))
        eta = np.einsum("kij,knj->kni", q_root, rng.standard_normal((k, per, q_root.shape[-1])))
        x = x @ t_mat.T + eta @ sel.T
    return out.reshape(k * per, h)


# ----------------------------------------------------------------------------- public
def promotion_lift(
    daily: pd.Series | pd.DataFrame,
    /,
    *,
    start: Any,
    end: Any,
    pre_start: Any = None,
    controls: pd.Series | pd.DataFrame | None = None,
    post_days: int = 14,
    alpha: float = 0.05,
    seed: int = 0,
    exclude: Any = None,
    n_sims: int = 1000,
    seasonal_period: int = 7,
) -> Lift:
    """Incremental effect of a promotion against a structural time-series counterfactual.

    Parameters
    ----------
    daily : Series or one-column DataFrame
        The response per day (order lines, units, GMV of the promoted scope), indexed by
        date, every day present (a missing value in the pre-period is allowed: it is
        treated as unobserved). :func:`mallkit.promotions.daily_sales` builds it.
    start, end : date-like
        First and last promotion day (inclusive).
    pre_start : date-like, optional
        First pre-period day; default 91 days before ``start`` (or the first day of data).
        The pre-period runs to the day before ``start``. At least 28 days; under 56 warns.
    controls : Series or DataFrame, optional
        Series not affected by the promotion (non-promoted categories, other channels),
        indexed by date, covering the pre-period through the post window: regressors.
    post_days : int
        Days after ``end`` over which the post-promotion dip is measured (cut to the data).
    alpha : float
        Intervals are ``1 - alpha`` (equal-tailed quantiles of the simulated paths).
    seed : int
        Seed of the simulation; the result is deterministic per seed.
    exclude : dates, boolean Series or DataFrame with a ``date`` column, optional
        Pre-period days to treat as unobserved: calendar events
        (``mallkit.calendar.events``), other promotions, outages.
    n_sims : int
        Simulated paths (drawn as 50 parameter vectors × ``n_sims // 50`` paths).
    seasonal_period : int
        Period of the (deterministic) seasonal component; 7 for the weekly cycle, 0 for none.

    Returns
    -------
    Lift

    Raises
    ------
    PromotionError
        Promotion window outside the data, pre-period under 28 days, missing days,
        controls that do not cover the windows or are constant, bad arguments.

    Warns
    -----
    LiftWarning
        Pre-period under 56 days; poor pre-period fit (autocorrelated residuals, outlier
        days, MLE not converged); post window cut short by the end of the data.

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> days = pd.date_range("2025-01-01", periods=105, freq="D")
    >>> y = pd.Series(rng.poisson(120, 105).astype(float), index=days)
    >>> y["2025-03-20":"2025-03-26"] *= 1.25         # the promotion week
    >>> y["2025-03-27":"2025-04-02"] *= 0.85         # the dip after it
    >>> lift = promotion_lift(y, start="2025-03-20", end="2025-03-26", post_days=7)
    >>> lift.effects[["days", "rel_effect_lower", "rel_effect_upper"]].round(2)
    ... # doctest: +NORMALIZE_WHITESPACE
               days  rel_effect_lower  rel_effect_upper
    window
    promotion     7              0.17              0.42
    post          7             -0.30             -0.12
    total        14             -0.06              0.13
    >>> print(lift.summary("zh").splitlines()[0])
    促销期 2025-03-20 至 2025-03-26（7 天）；基准期 2025-01-01 至 2025-03-19（78 天）
    """
    y = _as_daily(daily, "daily")
    if y.shape[1] != 1:
        raise PromotionError(f"daily must hold one series; got columns {list(y.columns)} "
                             "(pass the others as controls=)")
    if not 0 < alpha < 1:
        raise PromotionError(f"alpha must be in (0, 1), got {alpha!r}")
    if post_days < 0 or n_sims < _PARAM_DRAWS:
        raise PromotionError(f"post_days must be >= 0 and n_sims >= {_PARAM_DRAWS}; got "
                             f"{post_days!r}, {n_sims!r}")
    start, end = _day(start, "start"), _day(end, "end")
    first, last = y.index[0], y.index[-1]
    if end < start:
        raise PromotionError(f"promotion end {end.date()} is before its start {start.date()}")
    if start <= first or end > last:
        raise PromotionError(
            f"promotion window {start.date()}..{end.date()} is outside the data "
            f"{first.date()}..{last.date()} (it needs a pre-period before it, too)")
    pre_start = (max(first, start - pd.Timedelta(days=DEFAULT_PRE_DAYS)) if pre_start is None
                 else _day(pre_start, "pre_start"))
    if pre_start < first:
        raise PromotionError(f"pre_start {pre_start.date()} is before the data's first day "
                             f"{first.date()}")
    pre_end = start - pd.Timedelta(days=1)
    n_pre = (pre_end - pre_start).days + 1
    if n_pre < MIN_PRE_DAYS:
        raise PromotionError(f"pre-period {pre_start.date()}..{pre_end.date()} has {n_pre} "
                             f"days; at least {MIN_PRE_DAYS} (4 weeks) are needed")
    said: list[str] = []

    def warn(msg: str) -> None:
        said.append(msg)
        warnings.warn(msg, LiftWarning, stacklevel=3)

    if n_pre < SHORT_PRE_DAYS:
        warn(f"short pre-period ({n_pre} days < {SHORT_PRE_DAYS}): the weekly pattern and the "
             "noise level are learnt from few weeks, so intervals are less reliable")
    post_end = min(end + pd.Timedelta(days=post_days), last)
    if post_end < end + pd.Timedelta(days=post_days):
        warn(f"the data end on {last.date()}: the post-promotion window has "
             f"{(post_end - end).days} of {post_days} days")
    days = pd.date_range(pre_start, post_end, freq="D", unit=y.index.unit)
    gaps = days.difference(y.index)
    if len(gaps):
        raise PromotionError(f"daily has no row for {len(gaps)} day(s) in {pre_start.date()}.."
                             f"{post_end.date()}, e.g. {gaps[:5].strftime('%Y-%m-%d').tolist()}; "
                             "add them (0 for no sales: .asfreq('D', fill_value=0))")
    values = y.iloc[:, 0].reindex(days).to_numpy()
    n_after = len(days) - n_pre
    if not np.isfinite(values[n_pre:]).all():
        bad = days[n_pre:][~np.isfinite(values[n_pre:])][:5].strftime("%Y-%m-%d").tolist()
        raise PromotionError(f"daily: missing values in the promotion/post window, e.g. {bad}")
    excl = _excluded(exclude, days) & (np.arange(len(days)) < n_pre)
    pre = np.where(excl[:n_pre], np.nan, values[:n_pre])
    n_obs = int(np.isfinite(pre).sum())
    if n_obs < MIN_PRE_DAYS:
        raise PromotionError(f"pre-period has {n_obs} observed days after exclusions; at "
                             f"least {MIN_PRE_DAYS} are needed")
    mu, sd = np.nanmean(pre), np.nanstd(pre)
    sd = sd if sd > 0 else 1.0
    x_pre = x_after = None
    cnames: list[str] = []
    if controls is not None:
        c = _as_daily(controls, "controls")
        missing = days.difference(c.index)
        cv = c.reindex(days)
        if len(missing) or not np.isfinite(cv.to_numpy()).all():
            raise PromotionError(f"controls must cover {pre_start.date()}..{post_end.date()} "
                                 "without gaps or missing values")
        cm, cs = cv.iloc[:n_pre].mean(), cv.iloc[:n_pre].std(ddof=0)
        flat = cs.index[cs.to_numpy() == 0].tolist()
        if flat:
            raise PromotionError(f"controls {flat} are constant in the pre-period")
        xs = ((cv - cm) / cs).to_numpy()
        c_sd = cs.to_numpy()
        x_pre, x_after, cnames = xs[:n_pre], xs[n_pre:], [str(n) for n in c.columns]
    spec: dict[str, Any] = {"level": "llevel"}
    if seasonal_period and seasonal_period > 1:
        spec |= {"seasonal": int(seasonal_period), "stochastic_seasonal": False}
    mod = UnobservedComponents((pre - mu) / sd, exog=x_pre, **spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked below, not printed
        res = mod.fit(disp=False)
    converged = bool(res.mle_retvals.get("converged", True))
    rng = np.random.default_rng(seed)
    per = n_sims // _PARAM_DRAWS
    theta = _draw_params(res, _PARAM_DRAWS, rng, list(mod.param_names))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paths = _simulate(mod, theta, x_after, n_after, per, rng) * sd + mu
    mod.update(res.params)  # _simulate left the model at the last draw

    # ---- pre-period fit and diagnostics (one-step-ahead, MLE parameters)
    # The diffuse start needs `burn` observed days (not calendar days: some may be excluded).
    burn = int(res.loglikelihood_burn)
    obs = np.isfinite(pre)
    warm = (np.cumsum(obs) - obs) >= burn  # days after the first `burn` observed ones
    fitted = np.asarray(res.fittedvalues) * sd + mu
    f_sd = np.sqrt(np.asarray(res.forecasts_error_cov)[0, 0, :]) * sd
    all_resid = np.asarray(res.standardized_forecasts_error)[0]
    obs &= warm
    std_resid = all_resid[obs]
    mape = float(np.mean(np.abs(pre[obs] - fitted[obs]) / np.maximum(np.abs(pre[obs]), 1)))
    lags = int(min(14, max(1, len(std_resid) // 4)))
    lb_p = float(acorr_ljungbox(std_resid, lags=[lags])["lb_pvalue"].iloc[0]) \
        if len(std_resid) > lags + 2 else np.nan
    max_resid = float(np.max(np.abs(std_resid))) if len(std_resid) else np.nan
    if not converged:
        warn("the pre-period model did not converge (MLE); treat the intervals with caution")
    if lb_p < 0.01:
        warn(f"poor pre-period fit: residuals are autocorrelated (Ljung-Box p = {lb_p:.3f} at "
             f"lag {lags}); the baseline misses structure (a trend change, an event, another "
             "promotion): shorten the pre-period, exclude= those days or add controls=")
    if max_resid > 4:
        out = np.flatnonzero(obs & (np.abs(all_resid) > 4))
        shown = days[out][:5].strftime("%Y-%m-%d").tolist()
        warn(f"poor pre-period fit: {len(out)} outlier day(s) beyond 4 s.d. (e.g. {shown}); "
             "exclude= them (events, outages) so they do not widen or bias the baseline")
    fit = pd.Series({"n_pre": n_pre, "n_excluded": int(excl.sum()), "mape": mape,
                     "ljung_box_p": lb_p, "max_abs_std_resid": max_resid,
                     "converged": converged,
                     **dict(zip(mod.param_names, np.asarray(res.params), strict=True))},
                    dtype=object)
    for i, n in enumerate(cnames):  # coefficients in the data's units: response per control
        fit = fit.rename({f"beta.x{i + 1}": f"beta.{n}"})
        fit[f"beta.{n}"] = fit[f"beta.{n}"] * sd / c_sd[i]

    # ---- effects from the simulated paths
    q = (alpha / 2, 1 - alpha / 2)
    actual = values[n_pre:]
    n_promo = (end - start).days + 1
    spans = {"promotion": slice(0, n_promo), "post": slice(n_promo, n_after),
             "total": slice(0, n_after)}
    draws = pd.DataFrame({w: paths[:, s].sum(axis=1) for w, s in spans.items()})
    rows = {}
    for w, s in spans.items():
        n = s.stop - s.start
        act, sims = actual[s].sum(), draws[w].to_numpy()
        pred = sims.mean()
        lo, hi = np.quantile(sims, q)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = act / sims - 1
        r_lo, r_hi = np.quantile(rel, q) if n else (np.nan, np.nan)
        tail = min(1 + np.sum(sims >= act), 1 + np.sum(sims <= act)) / (len(sims) + 1)
        rows[w] = {"days": n, "actual": act, "predicted": pred, "predicted_sd": sims.std(),
                   "predicted_lower": lo, "predicted_upper": hi, "abs_effect": act - pred,
                   "abs_effect_lower": act - hi, "abs_effect_upper": act - lo,
                   "rel_effect": act / pred - 1 if pred else np.nan, "rel_effect_lower": r_lo,
                   "rel_effect_upper": r_hi, "avg_effect": (act - pred) / n if n else np.nan,
                   "p_value": tail if n else np.nan,
                   "p_two_sided": min(1.0, 2 * tail) if n else np.nan}
    effects = pd.DataFrame.from_dict(rows, orient="index").rename_axis("window")
    effects["days"] = effects["days"].astype("int64")

    # ---- the daily table
    p_lo, p_hi = np.quantile(paths, q, axis=0)
    z = _z(alpha)
    cum = np.cumsum(actual - paths, axis=1)
    period = np.concatenate([np.where(excl[:n_pre], "excluded", "pre"),
                             np.where(np.arange(n_after) < n_promo, "promotion", "post")])
    pred_all = np.concatenate([fitted, paths.mean(axis=0)])
    lower = np.concatenate([fitted - z * f_sd, p_lo])
    upper = np.concatenate([fitted + z * f_sd, p_hi])
    cold = np.flatnonzero(~warm)
    lower[cold] = upper[cold] = pred_all[cold] = np.nan  # diffuse start: no prediction
    nan_pre = np.full(n_pre, np.nan)
    c_lo, c_hi = np.quantile(cum, q, axis=0)
    series = pd.DataFrame({
        "period": period, "actual": values, "predicted": pred_all,
        "predicted_lower": lower, "predicted_upper": upper,
        "point_effect": values - pred_all, "point_effect_lower": values - upper,
        "point_effect_upper": values - lower,
        "cum_effect": np.concatenate([nan_pre, cum.mean(axis=0)]),
        "cum_effect_lower": np.concatenate([nan_pre, c_lo]),
        "cum_effect_upper": np.concatenate([nan_pre, c_hi]),
    }, index=pd.DatetimeIndex(days, name="date"))
    return Lift(series, effects, fit, draws, start, end, pre_start, pre_end,
                max(post_end, end), alpha, tuple(said))


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def spillover_lift(
    daily: pd.DataFrame,
    /,
    *,
    start: Any,
    end: Any,
    **kwargs: Any,
) -> dict[str, Lift]:
    """Cannibalization and halo: the counterfactual on each non-promoted series.

    Parameters
    ----------
    daily : DataFrame
        One column per non-promoted group (SKUs, categories), indexed by date; e.g.
        ``daily_sales(..., by="category")`` without the promoted categories.
    start, end : date-like
        The promotion window.
    **kwargs
        Passed to :func:`promotion_lift` (``pre_start``, ``exclude``, ``post_days``,
        ``alpha``, ``seed``...). Each group is fitted on its own, without controls.

    Returns
    -------
    dict of str to Lift
        Per group; ``effects.loc["promotion", "abs_effect"]`` < 0 is cannibalization,
        > 0 halo. :func:`mallkit.promotions.promotion_pnl` prices them in fen.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> days = pd.date_range("2025-01-01", periods=100, freq="D")
    >>> other = pd.DataFrame({"服饰": rng.poisson(80, 100), "鞋包": rng.poisson(40, 100)},
    ...                      index=days).astype(float)
    >>> other.loc["2025-04-01":, "鞋包"] *= 0.7      # cannibalized during the promotion
    >>> res = spillover_lift(other, start="2025-04-01", end="2025-04-07", post_days=0)
    >>> bool(res["鞋包"].effects.loc["promotion", "abs_effect_upper"] < 0)
    True
    """
    frame = _as_daily(daily, "daily")
    if "controls" in kwargs:
        raise PromotionError("spillover_lift fits each group on its own; controls= is not taken")
    return {str(c): promotion_lift(frame[c], start=start, end=end, **kwargs)
            for c in frame.columns}


# ---------------------------------------------------------------------------- summary
_TEXT = {
    "en": {
        "head": "Promotion {s} – {e} ({n} days); pre-period {ps} – {pe} ({npre} days{ex})",
        "excl": ", {k} excluded",
        "cols": ("", "Average", "Cumulative"),
        "rows": ("Actual", "Prediction (s.d.)", "{lvl}% CI", "Absolute effect (s.d.)",
                 "{lvl}% CI", "Relative effect", "{lvl}% CI"),
        "p": "Tail-area p = {p:.3f} (two-sided {p2:.3f}); probability of an effect {prob:.1%}",
        "post": "After the promotion ({n} days): {eff:+,.0f} [{lo:+,.0f}, {hi:+,.0f}], "
                "{rel:+.1%} [{rlo:+.1%}, {rhi:+.1%}] against the counterfactual{sig}",
        "nopost": "After the promotion: no data yet.",
        "total": "Promotion and after together (net of the dip): {eff:+,.0f} "
                 "[{lo:+,.0f}, {hi:+,.0f}], {rel:+.1%}",
        "sig": "During the promotion the response was {act:,.0f} against {pred:,.0f} expected "
               "without it [{plo:,.0f}, {phi:,.0f}]: an effect of {eff:+,.0f} ({rel:+.1%}, "
               "{lvl}% interval {rlo:+.1%} to {rhi:+.1%}). The effect is statistically "
               "significant (two-sided p = {p2:.3f} < {a}).",
        "nsig": "During the promotion the response was {act:,.0f} against {pred:,.0f} "
                "expected without it [{plo:,.0f}, {phi:,.0f}]: an effect of {eff:+,.0f} "
                "({rel:+.1%}, {lvl}% interval {rlo:+.1%} to {rhi:+.1%}). This could be chance "
                "(two-sided p = {p2:.3f} ≥ {a}): the data do not show an effect.",
        "dip_sig": " (a significant post-promotion dip)",
        "warn": "Warnings:",
    },
    "zh": {
        "head": "促销期 {s} 至 {e}（{n} 天）；基准期 {ps} 至 {pe}（{npre} 天{ex}）",
        "excl": "，剔除 {k} 天",
        "cols": ("", "日均", "累计"),
        "rows": ("实际值", "反事实预测（标准差）", "{lvl}% 区间", "绝对增量（标准差）",
                 "{lvl}% 区间", "相对增量", "{lvl}% 区间"),
        "p": "尾部概率 p = {p:.3f}（双侧 {p2:.3f}）；存在效应的概率 {prob:.1%}",
        "post": "促销结束后 {n} 天：{eff:+,.0f} [{lo:+,.0f}, {hi:+,.0f}]，相对 {rel:+.1%} "
                "[{rlo:+.1%}, {rhi:+.1%}]{sig}",
        "nopost": "促销结束后：尚无数据。",
        "total": "促销期与结束后合计（扣除回落）：{eff:+,.0f} [{lo:+,.0f}, {hi:+,.0f}]，{rel:+.1%}",
        "sig": "促销期实际值 {act:,.0f}，若无促销预计 {pred:,.0f} [{plo:,.0f}, {phi:,.0f}]："
               "增量 {eff:+,.0f}（{rel:+.1%}，{lvl}% 区间 {rlo:+.1%} 至 {rhi:+.1%}）。"
               "效应在统计上显著（双侧 p = {p2:.3f} < {a}）。",
        "nsig": "促销期实际值 {act:,.0f}，若无促销预计 {pred:,.0f} [{plo:,.0f}, {phi:,.0f}]："
                "增量 {eff:+,.0f}（{rel:+.1%}，{lvl}% 区间 {rlo:+.1%} 至 {rhi:+.1%}）。"
                "可能只是随机波动（双侧 p = {p2:.3f} ≥ {a}）：数据未显示出效应。",
        "dip_sig": "（促销后回落显著）",
        "warn": "提示：",
    },
}


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """Pad to a display width: CJK characters take two columns in a terminal."""
    w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(width - w, 0)
    return fill + text if right else text + fill


def _summary(lift: Lift, lang: str) -> str:
    if lang not in _TEXT:
        raise PromotionError(f"lang must be 'en' or 'zh', got {lang!r}")
    t, e = _TEXT[lang], lift.effects
    lvl = f"{100 * (1 - lift.alpha):g}"
    p = e.loc["promotion"]
    n = int(p["days"])
    k = int(lift.fit["n_excluded"])
    lines = [t["head"].format(s=lift.start.date(), e=lift.end.date(), n=n,
                              ps=lift.pre_start.date(), pe=lift.pre_end.date(),
                              npre=int(lift.fit["n_pre"]),
                              ex=t["excl"].format(k=k) if k else ""), ""]
    cells = [
        (p.actual / n, p.actual),
        (f"{p.predicted / n:,.1f} ({p.predicted_sd / n:,.1f})",
         f"{p.predicted:,.0f} ({p.predicted_sd:,.0f})"),
        (f"[{p.predicted_lower / n:,.1f}, {p.predicted_upper / n:,.1f}]",
         f"[{p.predicted_lower:,.0f}, {p.predicted_upper:,.0f}]"),
        (f"{p.abs_effect / n:,.1f} ({p.predicted_sd / n:,.1f})",
         f"{p.abs_effect:,.0f} ({p.predicted_sd:,.0f})"),
        (f"[{p.abs_effect_lower / n:,.1f}, {p.abs_effect_upper / n:,.1f}]",
         f"[{p.abs_effect_lower:,.0f}, {p.abs_effect_upper:,.0f}]"),
        (f"{p.rel_effect:+.1%}", f"{p.rel_effect:+.1%}"),
        (f"[{p.rel_effect_lower:+.1%}, {p.rel_effect_upper:+.1%}]",
         f"[{p.rel_effect_lower:+.1%}, {p.rel_effect_upper:+.1%}]"),
    ]
    cells[0] = (f"{cells[0][0]:,.1f}", f"{cells[0][1]:,.0f}")
    lines.append(_pad(t["cols"][0], 24) + _pad(t["cols"][1], 22, right=True)
                 + _pad(t["cols"][2], 24, right=True))
    for label, (avg, cum) in zip(t["rows"], cells, strict=True):
        lines.append(_pad(label.format(lvl=lvl), 24) + _pad(avg, 22, right=True)
                     + _pad(cum, 24, right=True))
    lines += ["", t["p"].format(p=p.p_value, p2=p.p_two_sided, prob=1 - p.p_value)]
    post = e.loc["post"]
    if post["days"] > 0:
        sig = t["dip_sig"] if post.p_two_sided < lift.alpha and post.abs_effect < 0 else ""
        lines.append(t["post"].format(n=int(post["days"]), eff=post.abs_effect,
                                      lo=post.abs_effect_lower, hi=post.abs_effect_upper,
                                      rel=post.rel_effect, rlo=post.rel_effect_lower,
                                      rhi=post.rel_effect_upper, sig=sig))
        tot = e.loc["total"]
        lines.append(t["total"].format(eff=tot.abs_effect, lo=tot.abs_effect_lower,
                                       hi=tot.abs_effect_upper, rel=tot.rel_effect))
    else:
        lines.append(t["nopost"])
    key = "sig" if p.p_two_sided < lift.alpha else "nsig"
    lines += ["", t[key].format(act=p.actual, pred=p.predicted, plo=p.predicted_lower,
                                phi=p.predicted_upper, eff=p.abs_effect, rel=p.rel_effect,
                                rlo=p.rel_effect_lower, rhi=p.rel_effect_upper,
                                p2=p.p_two_sided, a=lift.alpha, lvl=lvl)]
    if lift.warnings:
        lines += ["", t["warn"], *(f"- {w}" for w in lift.warnings)]
    return "\n".join(lines)
