"""Forecasts for intermittent demand: Croston, SBA and TSB, vectorised over series.

Conventions follow statsforecast 2.1.1 (``CrostonClassic``, ``CrostonSBA``, ``TSB``),
whose values on the reference series they reproduce; periods that were not observed
(a stocked-out day) are skipped rather than read as zero demand.
:func:`mallkit.demand.demand_stats` uses SBA as the daily demand of intermittent
and lumpy SKUs.

Examples
--------
>>> y = [0, 0, 3, 0, 0, 0, 5, 0, 2, 0, 0, 4, 0, 0, 0, 0, 6, 0, 0, 1]
>>> round(forecast_intermittent(y, method="croston", alpha=0.1), 6)
1.011539
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mallkit.errors import SchemaError

__all__ = ["forecast_intermittent"]


def _croston(y: np.ndarray, observed: np.ndarray, *, alpha: float, sba: bool) -> np.ndarray:
    """Croston (or SBA) over axis 0 of ``y``; unobserved periods are skipped, not zeros."""
    n = y.shape[1:]
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    q = np.zeros(n)
    for t in range(y.shape[0]):  # a loop over periods, vectorised over series
        obs = observed[t]
        q = q + obs
        dem = obs & (y[t] > 0)
        first = dem & np.isnan(z)
        z = np.where(first, y[t], np.where(dem, z + alpha * (y[t] - z), z))
        p = np.where(first, q, np.where(dem, p + alpha * (q - p), p))
        q = np.where(dem, 0.0, q)
    f = np.where(np.isnan(z), 0.0, z / p) * ((1 - alpha / 2) if sba else 1.0)
    return np.where(observed.any(axis=0), f, np.nan)


def _tsb(y: np.ndarray, observed: np.ndarray, *, alpha_d: float, alpha_p: float) -> np.ndarray:
    n = y.shape[1:]
    z = np.full(n, np.nan)
    pr = np.full(n, np.nan)
    for t in range(y.shape[0]):
        obs = observed[t]
        d = (y[t] > 0).astype("float64")
        pr = np.where(obs & np.isnan(pr), d, np.where(obs, pr + alpha_p * (d - pr), pr))
        dem = obs & (y[t] > 0)
        z = np.where(dem & np.isnan(z), y[t], np.where(dem, z + alpha_d * (y[t] - z), z))
    return np.where(np.isnan(z), np.where(np.isnan(pr), np.nan, 0.0), z * pr)


def forecast_intermittent(
    y: Any,
    /,
    *,
    method: str = "sba",
    alpha: float = 0.1,
    alpha_d: float = 0.2,
    alpha_p: float = 0.2,
    observed: Any = None,
) -> Any:
    """Croston, SBA or TSB forecast of demand per period for intermittent series.

    Conventions follow statsforecast 2.1.1 (``CrostonClassic``, ``CrostonSBA``, ``TSB``):
    simple exponential smoothing initialised with the first observation; Croston
    smooths the non-zero sizes and the intervals between them (the first interval counts
    from the start of the series); SBA multiplies Croston by ``1 - alpha / 2`` (0.95 at
    α = 0.1); TSB multiplies the smoothed sizes (``alpha_d``) by the smoothed 0/1
    occurrence, updated every period (``alpha_p``).

    Parameters
    ----------
    y : array-like or pandas.DataFrame
        One series (1-D, periods in order) or several: a 2-D array or a DataFrame with
        periods along axis 0 (index) and one series per column.
    method : {"croston", "sba", "tsb"}
    alpha : float, default 0.1
        Smoothing constant of Croston and SBA.
    alpha_d, alpha_p : float, default 0.2
        TSB smoothing constants of demand size and demand probability.
    observed : array-like of bool, optional
        Same shape as ``y``; False periods (e.g. stocked out) are skipped as missing,
        neither demand nor zero.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Forecast demand per period: a float for one series, an array per column for a
        2-D array, a Series indexed like the DataFrame's columns. 0 for a series without
        demand, NaN for one without observed periods.

    Examples
    --------
    >>> y = [0, 0, 3, 0, 0, 0, 5, 0, 2, 0, 0, 4, 0, 0, 0, 0, 6, 0, 0, 1]
    >>> round(forecast_intermittent(y, method="sba"), 6)
    0.960962
    >>> round(forecast_intermittent(y, method="tsb", alpha_d=0.2, alpha_p=0.2), 6)
    1.205224
    """
    if method not in ("croston", "sba", "tsb"):
        raise SchemaError(f"forecast_intermittent: method must be 'croston', 'sba' or 'tsb', "
                          f"got {method!r}", column="method", rule="choices")
    for name, a in (("alpha", alpha), ("alpha_d", alpha_d), ("alpha_p", alpha_p)):
        if not 0 < a <= 1:
            raise SchemaError(f"forecast_intermittent: {name} must be in (0, 1], got {a}",
                              column=name, rule="(0, 1]")
    columns = y.columns if isinstance(y, pd.DataFrame) else None
    arr = np.asarray(y, dtype="float64")
    one = arr.ndim == 1
    if arr.ndim not in (1, 2):
        raise SchemaError(f"forecast_intermittent: y must be 1-D or 2-D, got {arr.ndim}-D",
                          column="y", rule="1-D or 2-D")
    arr2 = arr[:, None] if one else arr
    obs = (np.ones(arr2.shape, dtype=bool) if observed is None
           else np.asarray(observed, dtype=bool).reshape(arr2.shape))
    bad = obs & (np.isnan(arr2) | (arr2 < 0))
    if bad.any():
        t, c = np.argwhere(bad)[0]
        raise SchemaError(f"forecast_intermittent: y must be non-negative numbers where "
                          f"observed; {int(bad.sum())} bad value(s), e.g. period {t}, series "
                          f"{c}: {arr2[t, c]}", column="y", rule="non-negative")
    if method == "tsb":
        f = _tsb(arr2, obs, alpha_d=alpha_d, alpha_p=alpha_p)
    else:
        f = _croston(arr2, obs, alpha=alpha, sba=method == "sba")
    if one:
        return float(f[0])
    return pd.Series(f, index=columns, name=method) if columns is not None else f
