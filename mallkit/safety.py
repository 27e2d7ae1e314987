"""Safety stock, reorder point, order-up-to level and EOQ: the formulas of 库存预警.

Formulas (all vectorised; ``P = L + R`` is the protection interval, lead time plus
review period, in days):

* Lead-time demand: mean ``μ = d̄·P``, std ``σ = √(P·σ_d² + d̄²·σ_L²)``.
* **Cycle service level** (type 1, the probability of no stock-out in a cycle):
  ``SS = z·σ`` with ``z = Φ⁻¹(CSL)``.
* **Fill rate** (type 2, the share of demand served from stock): ``SS = k·σ`` where
  ``G(k) = Q·(1 − β)/σ`` and ``G(k) = φ(k) − k·(1 − Φ(k))`` is the standard normal
  loss function. A negative ``k`` (cycle stock alone meets the target) gives
  ``SS = 0``, flagged ``floored``.
* **Intermittent demand**: lead-time demand is negative binomial with the same mean
  and variance (Poisson if not over-dispersed, or on request); the reorder point is
  its ``CSL`` quantile (or the smallest ``r`` whose expected shortage
  ``E[(X − r)⁺] ≤ Q·(1 − β)``), and ``SS = r − μ``.
* ``reorder_point = μ + SS``; ``order_up_to = reorder_point + Q`` (``Q = 0``: the
  periodic-review (R, S) level ``S = d̄(R + L) + z·σ``); EOQ ``Q* = √(2Kλ/h)``.

Every function takes scalars or arrays (broadcast together) and returns a float for
scalar input, else an array. :mod:`mallkit.inventory` applies them per SKU and
re-exports them.

Examples
--------
>>> from mallkit.safety import reorder_point, safety_stock
>>> round(safety_stock(50, 5, 6, lead_time_std=2, service_level=0.90), 2)
129.11
>>> round(reorder_point(50, 5, 6, lead_time_std=2, service_level=0.90), 2)
429.11
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import elementwise

from mallkit.errors import InventoryError

__all__ = [
    "DISTRIBUTIONS",
    "economic_order_quantity",
    "fill_rate_k",
    "order_up_to",
    "reorder_point",
    "safety_stock",
    "standard_normal_loss",
]

#: Lead-time demand distributions.
DISTRIBUTIONS = ("normal", "poisson", "negbin")
_DISTS = DISTRIBUTIONS


# --------------------------------------------------------------------------- arguments
def _arg(x: Any, name: str, *, lo: float = 0.0, lo_open: bool = False,
         hi: float | None = None, hi_open: bool = True) -> np.ndarray:
    try:
        a = np.asarray(x, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise InventoryError(f"{name} must be numbers, got {x!r}") from exc
    bad = ~np.isfinite(a) | ((a <= lo) if lo_open else (a < lo))
    if hi is not None:
        bad |= (a >= hi) if hi_open else (a > hi)
    if bad.any():
        rng = f"{'(' if lo_open else '['}{lo:g}, {'∞' if hi is None else f'{hi:g}'}"
        rng += ")" if hi is None or hi_open else "]"
        where = np.argwhere(np.atleast_1d(bad))[:5]
        flat = np.atleast_1d(a)
        ex = ", ".join(f"[{i[0]}]={flat[tuple(i)]:g}" for i in where)
        raise InventoryError(f"{name} must be finite and in {rng}; {int(bad.sum())} bad "
                             f"value(s), e.g. {ex}")
    return a


def _dist(distribution: Any, shape: tuple[int, ...]) -> np.ndarray:
    d = np.broadcast_to(np.asarray(distribution, dtype=object), shape)
    bad = ~np.isin(d, _DISTS)
    if bad.any():
        raise InventoryError(f"distribution must be one of {_DISTS}; got "
                             f"{sorted(set(map(str, d[bad].ravel())))[:5]}")
    return d


# --------------------------------------------------------------------------- loss, k
def standard_normal_loss(k: Any, /) -> Any:
    """Standard normal loss ``G(k) = φ(k) − k·(1 − Φ(k)) = E[(Z − k)⁺]``.

    Examples
    --------
    >>> round(standard_normal_loss(0.0), 6)  # φ(0) = 1/√(2π)
    0.398942
    """
    k = np.asarray(k, dtype="float64")
    out = stats.norm.pdf(k) - k * stats.norm.sf(k)
    return float(out) if out.ndim == 0 else out


def fill_rate_k(order_qty: Any, sigma: Any, fill_rate: Any, /) -> Any:
    """Safety factor ``k`` with ``G(k) = Q·(1 − β)/σ`` (fill rate β, order quantity Q).

    Solved element-wise by a bracketing root finder (Chandrupatla's method,
    ``scipy.optimize.elementwise.find_root``; it agrees with ``brentq`` to 1e-9).
    ``G`` falls from +∞ to 0, so ``k`` is unique; it is negative when the order
    quantity alone nearly meets the target.

    Examples
    --------
    >>> round(fill_rate_k(300, 16, 0.99), 3)  # d̄=50, σ_d=8, L=4: σ = 8·√4 = 16
    0.534
    """
    q = _arg(order_qty, "order_qty", lo_open=True)
    s = _arg(sigma, "sigma", lo_open=True)
    b = _arg(fill_rate, "fill_rate", lo_open=True, hi=1.0)
    q, s, b = np.broadcast_arrays(q, s, b)
    k = _solve_k(q * (1 - b) / s)
    return float(k) if k.ndim == 0 else k


def _solve_k(target: np.ndarray) -> np.ndarray:
    # G(k) >= -k, so G(-t - 1) > t; G(40) is 0 in floating point, below any t > 0
    lo = -target - 1.0
    res = elementwise.find_root(lambda k, t: standard_normal_loss(k) - t,
                                (lo, np.full_like(target, 40.0)), args=(target,),
                                tolerances={"xatol": 1e-12, "xrtol": 1e-14})
    return np.asarray(res.x, dtype="float64")


# --------------------------------------------------------------------------- discrete
def _nb_params(mu: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return mu**2 / (var - mu), mu / var


def _discrete_quantile(mu, var, p, nb) -> np.ndarray:
    n, pp = _nb_params(mu, np.where(nb, var, mu + 1.0))
    q = np.where(nb, stats.nbinom.ppf(p, np.where(nb, n, 1.0), np.where(nb, pp, 0.5)),
                 stats.poisson.ppf(p, np.maximum(mu, 1e-300)))
    return np.where(mu > 0, q, 0.0)


def _discrete_loss(r, mu, n, pp, nb) -> np.ndarray:
    """E[(X − r)⁺] = μ·P(Y ≥ r) − r·P(X > r); Y ~ NB(n+1, p) (x·f(x) = μ·f_{n+1}(x−1)),
    Y = X for Poisson."""
    pois = stats.poisson.sf(r - 1, mu) * mu - r * stats.poisson.sf(r, mu)
    nbl = (mu * stats.nbinom.sf(r - 1, np.where(nb, n, 1.0) + 1, np.where(nb, pp, 0.5))
           - r * stats.nbinom.sf(r, np.where(nb, n, 1.0), np.where(nb, pp, 0.5)))
    return np.where(nb, nbl, pois)


def _discrete_fill_rate(mu, var, target, nb) -> np.ndarray:
    """Smallest integer r >= 0 with E[(X − r)⁺] <= target (binary search, vectorised)."""
    n, pp = _nb_params(mu, np.where(nb, var, mu + 1.0))
    lo = np.zeros_like(mu)
    hi = np.ceil(mu + 12 * np.sqrt(np.where(nb, var, mu)) + 12)
    while (lo < hi).any():  # about log2(hi) rounds
        mid = np.floor((lo + hi) / 2)
        ok = _discrete_loss(mid, mu, n, pp, nb) <= target
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid + 1)
    return np.where(mu > 0, lo, 0.0)


# --------------------------------------------------------------------------- safety stock
def _safety(mu, var, service, kind, order_qty, dist) -> dict[str, np.ndarray]:
    """Safety stock from lead-time demand mean/variance (all arrays of one shape)."""
    sigma = np.sqrt(var)
    k = np.full(mu.shape, np.nan)
    raw = np.zeros(mu.shape)
    normal = dist == "normal"
    nb = (dist == "negbin") & (var > mu * (1 + 1e-9))
    if kind == "cycle":
        z = stats.norm.ppf(service)
        k = np.where(normal, z, np.nan)
        raw = np.where(normal, z * sigma, 0.0)
        disc = ~normal
        if disc.any():
            raw[disc] = _discrete_quantile(mu[disc], var[disc], service[disc], nb[disc]) - mu[disc]
    else:
        target = order_qty * (1 - service)
        pos = normal & (sigma > 0)
        if pos.any():
            k[pos] = _solve_k(target[pos] / sigma[pos])
        raw = np.where(pos, k * sigma, 0.0)
        disc = ~normal
        if disc.any():
            r = _discrete_fill_rate(mu[disc], var[disc], target[disc], nb[disc])
            raw[disc] = r - mu[disc]
    method = np.where(normal, "normal", np.where(nb, "negbin", "poisson"))
    ss = np.maximum(raw, 0.0)
    return {"demand": mu, "sigma": sigma, "k": k, "raw_safety_stock": raw,
            "safety_stock": ss, "floored": raw < 0, "method": method}


def _inputs(mean, std, lead_time, lead_time_std, review_period, service_level, kind,
            order_qty, distribution):
    if kind not in ("cycle", "fill_rate"):
        raise InventoryError(f"kind must be 'cycle' or 'fill_rate', got {kind!r}")
    d = _arg(mean, "mean")
    s = _arg(std, "std")
    lt = _arg(lead_time, "lead_time")
    slt = _arg(lead_time_std, "lead_time_std")
    r = _arg(review_period, "review_period")
    sl = _arg(service_level, "service_level", lo_open=True, hi=1.0)
    if kind == "fill_rate":
        if order_qty is None:
            if not (r > 0).all():
                raise InventoryError("kind='fill_rate' needs order_qty, or review_period > 0 "
                                     "(then Q = mean * review_period)")
            # Q = 0 would ask for G(k) = 0, which no finite k meets
            q = _arg(d * r, "order_qty (mean * review_period)", lo_open=True)
        else:
            q = _arg(order_qty, "order_qty", lo_open=True)
    else:
        q = np.asarray(0.0 if order_qty is None else _arg(order_qty, "order_qty"))
    d, s, lt, slt, r, sl, q = np.broadcast_arrays(d, s, lt, slt, r, sl, q)
    p = lt + r
    mu = d * p
    var = p * s**2 + d**2 * slt**2
    return mu, var, sl, q, _dist(distribution, mu.shape)


def _out(x: np.ndarray) -> Any:
    return float(x) if x.ndim == 0 else x


def safety_stock(
    mean: Any,
    std: Any,
    lead_time: Any,
    /,
    *,
    lead_time_std: Any = 0.0,
    service_level: Any = 0.95,
    kind: str = "cycle",
    order_qty: Any = None,
    review_period: Any = 0.0,
    distribution: Any = "normal",
    details: bool = False,
) -> Any:
    """Safety stock for a cycle service level or a fill rate (see the module formulas).

    Parameters
    ----------
    mean, std : float or array-like
        Mean and standard deviation of demand per day (units).
    lead_time : float or array-like
        Supplier lead time ``L`` in days.
    lead_time_std : float or array-like, default 0
        Standard deviation of the lead time ``σ_L`` in days.
    service_level : float or array-like, default 0.95
        Cycle service level (``kind="cycle"``) or fill rate (``kind="fill_rate"``),
        strictly between 0 and 1.
    kind : {"cycle", "fill_rate"}
    order_qty : float or array-like, optional
        Order quantity ``Q`` (fill rate needs it; default ``mean * review_period``).
    review_period : float or array-like, default 0
        Review period ``R`` in days; protection interval ``P = L + R``.
    distribution : {"normal", "poisson", "negbin"} or array-like of them
        Lead-time demand distribution; ``"negbin"`` falls back to Poisson when the
        variance does not exceed the mean. ``"poisson"`` uses the mean only.
    details : bool, default False
        Return a DataFrame with ``demand`` (μ over P), ``sigma``, ``k``,
        ``raw_safety_stock``, ``safety_stock``, ``floored`` and ``method``.

    Returns
    -------
    float, numpy.ndarray or pandas.DataFrame
        Units of safety stock (>= 0), a float when every input is a scalar.

    Raises
    ------
    InventoryError
        A negative or non-finite input, a service level outside (0, 1), an unknown kind
        or distribution, or a fill rate without an order quantity.

    Examples
    --------
    >>> round(safety_stock(50, 5, 6, service_level=0.90), 2)  # demand variability only
    15.7
    >>> round(safety_stock(50, 8, 4, kind="fill_rate", order_qty=300, service_level=0.99), 2)
    8.54
    >>> safety_stock(50, 8, 4, kind="fill_rate", order_qty=300, service_level=0.95,
    ...              details=True)[["k", "safety_stock", "floored"]].round(3)
           k  safety_stock  floored
    0 -0.822           0.0     True
    """
    mu, var, sl, q, dist = _inputs(mean, std, lead_time, lead_time_std, review_period,
                                   service_level, kind, order_qty, distribution)
    r = _safety(mu, var, sl, kind, q, dist)
    if details:
        return pd.DataFrame({c: np.atleast_1d(v).ravel() for c, v in r.items()})
    return _out(r["safety_stock"])


def reorder_point(
    mean: Any,
    std: Any,
    lead_time: Any,
    /,
    *,
    lead_time_std: Any = 0.0,
    service_level: Any = 0.95,
    kind: str = "cycle",
    order_qty: Any = None,
    review_period: Any = 0.0,
    distribution: Any = "normal",
) -> Any:
    """Reorder point ``d̄·(L + R) + SS``: order when the inventory position falls to it.

    Parameters are those of :func:`safety_stock`.

    Examples
    --------
    >>> round(reorder_point(50, 5, 6, service_level=0.90), 2)
    315.7
    """
    mu, var, sl, q, dist = _inputs(mean, std, lead_time, lead_time_std, review_period,
                                   service_level, kind, order_qty, distribution)
    return _out(mu + _safety(mu, var, sl, kind, q, dist)["safety_stock"])


def order_up_to(
    mean: Any,
    std: Any,
    lead_time: Any,
    /,
    *,
    review_period: Any,
    lead_time_std: Any = 0.0,
    service_level: Any = 0.95,
    kind: str = "cycle",
    order_qty: Any = None,
    distribution: Any = "normal",
) -> Any:
    """Order-up-to level: ``S = d̄·(R + L) + SS`` for a periodic review (R, S) policy,
    plus ``order_qty`` for an (s, S) policy (``S = s + Q``).

    With ``kind="fill_rate"`` the order quantity sizing ``k`` is ``order_qty`` if given,
    else ``d̄·R`` (one review period's demand), and it is then not added to S.

    Examples
    --------
    >>> round(order_up_to(50, 8, 4, review_period=7, service_level=0.95), 2)
    593.64
    """
    mu, var, sl, q, dist = _inputs(mean, std, lead_time, lead_time_std, review_period,
                                   service_level, kind, order_qty, distribution)
    s = mu + _safety(mu, var, sl, kind, q, dist)["safety_stock"]
    if order_qty is not None:
        s = s + q
    return _out(s)


def economic_order_quantity(fixed_cost: Any, holding_cost: Any, demand_rate: Any, /) -> Any:
    """Economic order quantity ``Q* = √(2·K·λ/h)``.

    Parameters
    ----------
    fixed_cost : float or array-like
        Cost per order ``K`` (same money unit as ``holding_cost``).
    holding_cost : float or array-like
        Cost of holding one unit for one time unit ``h`` (> 0).
    demand_rate : float or array-like
        Demand per time unit ``λ``.

    Examples
    --------
    >>> round(economic_order_quantity(8, 0.225, 1300), 4)  # Snyder & Shen, Example 3.1
    304.0468
    """
    k = _arg(fixed_cost, "fixed_cost")
    h = _arg(holding_cost, "holding_cost", lo_open=True)
    lam = _arg(demand_rate, "demand_rate")
    return _out(np.sqrt(2 * k * lam / h))
