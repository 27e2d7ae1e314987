"""Tests of mallkit.safety: safety stock, reorder point, order-up-to, EOQ against published
numbers (see /work/shared/reference/inventory.md).

Sources of expected values:
  [R2]  inventory.md §2 "Standard formulas and reference numbers" (scipy 1.17 computations
        of the textbook formulas; the σ_L case is the example of inventorize's docstring).
  [FR]  Fill rate: or.stackexchange q/5589 and opess.ethz.ch §11.3.4, numbers in [R2].
  [SS]  Snyder & Shen, Fundamentals of Supply Chain Theory, Example 3.1, as computed by
        stockpyl 1.0.2 ``economic_order_quantity(8, 0.225, 1300)`` = (304.0467800, 68.41).
Other expected values are computed independently in the test (quadrature, brentq, sums
over the pmf).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import brentq

from mallkit.errors import InventoryError, MallkitError
from mallkit.inventory import safety_stock as reexported
from mallkit.safety import (
    economic_order_quantity,
    fill_rate_k,
    order_up_to,
    reorder_point,
    safety_stock,
    standard_normal_loss,
)


def test_inventory_reexports_the_formulas():
    assert reexported is safety_stock


def test_cycle_service_with_lead_time_variability():
    # [R2]: d̄=50, σ_d=5, L=6, σ_L=2, CSL 0.90 -> σ_DLT 100.747, SS 129.11, ROP 429.11
    det = safety_stock(50, 5, 6, lead_time_std=2, service_level=0.90, details=True)
    assert det.loc[0, "sigma"] == pytest.approx(100.747, abs=5e-4)
    assert safety_stock(50, 5, 6, lead_time_std=2, service_level=0.90) == pytest.approx(
        129.11, abs=5e-3)
    assert reorder_point(50, 5, 6, lead_time_std=2, service_level=0.90) == pytest.approx(
        429.11, abs=5e-3)


def test_inventorize_xor_bug_is_not_reproduced():
    # [R2]: inventorize.reorderpoint_leadtime_variability returns 391.99 because its
    # variance term is evaluated with ^ = XOR: (d²·σ_L) ^ 2 = 5000 ^ 2 = 5002 instead of
    # d²·σ_L² = 10000. Recompute that wrong value to show it is what 391.99 is, and that
    # mallkit gives the textbook value instead.
    wrong = 50 * 6 + stats.norm.ppf(0.90) * math.sqrt(6 * 5**2 + ((50**2 * 2) ^ 2))
    assert wrong == pytest.approx(391.99, abs=5e-3)
    right = reorder_point(50, 5, 6, lead_time_std=2, service_level=0.90)
    assert right == pytest.approx(50 * 6 + stats.norm.ppf(0.9) * math.sqrt(
        6 * 5**2 + 50**2 * 2**2), rel=1e-12)
    assert abs(right - wrong) > 30


def test_cycle_service_demand_only():
    # [R2]: σ_L = 0 -> SS 15.70, ROP 315.70 (inventorize.reorderpoint agrees)
    assert safety_stock(50, 5, 6, service_level=0.90) == pytest.approx(15.70, abs=5e-3)
    assert reorder_point(50, 5, 6, service_level=0.90) == pytest.approx(315.70, abs=5e-3)


@pytest.mark.parametrize(("beta", "k"), [(0.99, 0.534), (0.98, 0.049), (0.95, -0.822)])
def test_fill_rate_k(beta, k):
    # [FR]/[R2]: d̄=50, σ_d=8, L=4 (σ_L = 8·√4 = 16), Q=300: β .99 -> k .534, .98 -> .049,
    # .95 -> -.822
    assert fill_rate_k(300, 16, beta) == pytest.approx(k, abs=5e-4)


def test_fill_rate_safety_stock_and_floor():
    # [FR]/[R2]: β=0.99 -> SS 8.54; β=0.95 gives k<0, a negative SS clipped to 0 and flagged
    assert safety_stock(50, 8, 4, kind="fill_rate", order_qty=300,
                        service_level=0.99) == pytest.approx(8.54, abs=5e-3)
    det = safety_stock(50, 8, 4, kind="fill_rate", order_qty=300, service_level=0.95,
                       details=True)
    assert det.loc[0, "safety_stock"] == 0.0
    assert bool(det.loc[0, "floored"])
    assert det.loc[0, "raw_safety_stock"] == pytest.approx(-0.822 * 16, abs=0.01)


def test_cycle_service_095_is_a_much_higher_fill_rate():
    # [R2]: CSL 0.95 -> SS 26.32, which is a fill rate of 0.99889 when Q=300 ≫ σ=16
    ss = safety_stock(50, 8, 4, service_level=0.95)
    assert ss == pytest.approx(26.32, abs=5e-3)
    beta = 1 - 16 * standard_normal_loss(ss / 16) / 300
    assert beta == pytest.approx(0.99889, abs=5e-6)


def test_periodic_review_order_up_to():
    # [R2]: R=7, L=4, d̄=50, σ=8, CSL 0.95 -> S = 593.64, SS = 43.64
    assert order_up_to(50, 8, 4, review_period=7, service_level=0.95) == pytest.approx(
        593.64, abs=5e-3)
    assert safety_stock(50, 8, 4, review_period=7, service_level=0.95) == pytest.approx(
        43.64, abs=5e-3)
    # an (s, S) policy adds the order quantity on top of s
    s = reorder_point(50, 8, 4, service_level=0.95)
    assert order_up_to(50, 8, 4, review_period=0, order_qty=300) == pytest.approx(s + 300)


def test_eoq_snyder_shen_example_3_1():
    # [SS]: K=8, h=0.225, λ=1300 -> Q* = 304.0467800
    assert economic_order_quantity(8, 0.225, 1300) == pytest.approx(304.0467800, abs=1e-6)
    got = economic_order_quantity([8, 8], [0.225, 0.9], [1300, 1300])
    np.testing.assert_allclose(got, [304.04678, 152.02339], atol=1e-5)  # h x4 -> Q*/2


def test_standard_normal_loss_matches_integral():
    # independent: G(k) = ∫_k^∞ (z - k) φ(z) dz by numerical quadrature
    from scipy.integrate import quad

    for k in (-2.0, -0.3, 0.0, 0.534, 1.7, 3.0):
        ref, _ = quad(lambda z, k=k: (z - k) * stats.norm.pdf(z), k, np.inf)
        assert standard_normal_loss(k) == pytest.approx(ref, abs=1e-9)


@given(st.floats(1e-4, 50.0))
def test_fill_rate_k_agrees_with_brentq(target):
    # the vectorised root finder against scipy.optimize.brentq on G(k) = target
    ref = brentq(lambda k: standard_normal_loss(k) - target, -target - 1, 40, xtol=1e-13)
    got = fill_rate_k(2 * target, 1.0, 0.5)  # G(k) = Q(1-β)/σ = 2·target·0.5/1
    assert got == pytest.approx(ref, abs=1e-8)


def test_fill_rate_vectorised_equals_elementwise():
    q = np.array([300.0, 50, 10, 1000])
    sig = np.array([16.0, 5, 20, 3])
    b = np.array([0.99, 0.9, 0.97, 0.999])
    vec = fill_rate_k(q, sig, b)
    one = [fill_rate_k(*x) for x in zip(q, sig, b, strict=True)]
    np.testing.assert_allclose(vec, one, rtol=0, atol=1e-12)


def _brute_quantile(pmf, p):
    """Smallest r with Σ_{x<=r} pmf(x) >= p, by summing the pmf (independent of ppf)."""
    cdf = np.cumsum(pmf)
    return int(np.argmax(cdf >= p - 1e-12))


def test_poisson_and_negbin_quantiles_by_summation():
    # Poisson: lead-time demand mean 0.4·10 = 4; independent cdf by summing e^-μ μ^x / x!
    mu = 4.0
    x = np.arange(200)
    pmf = np.exp(-mu + x * np.log(mu) - np.array([math.lgamma(i + 1) for i in x]))
    r = _brute_quantile(pmf, 0.95)
    assert safety_stock(0.4, 0, 10, service_level=0.95, distribution="poisson") == r - mu
    # negative binomial with mean 10, variance 5·3² + 0 = 45 (d̄=2, σ_d=3, L=5)
    m, v = 10.0, 45.0
    n, p = m**2 / (v - m), m / v
    lg = np.array([math.lgamma(i + n) - math.lgamma(n) - math.lgamma(i + 1) for i in x])
    pmf = np.exp(lg + n * np.log(p) + x * np.log1p(-p))
    r = _brute_quantile(pmf, 0.90)
    assert safety_stock(2, 3, 5, service_level=0.90, distribution="negbin") == r - m
    # not over-dispersed (σ_d² <= d̄): negbin falls back to Poisson
    det = safety_stock(2, 1, 5, service_level=0.9, distribution="negbin", details=True)
    assert det.loc[0, "method"] == "poisson"


def test_discrete_fill_rate_by_summation():
    # smallest r with E[(X - r)+] <= Q(1-β), the loss summed over the pmf directly
    m, v, q, beta = 10.0, 45.0, 20.0, 0.97
    x = np.arange(400)
    n, p = m**2 / (v - m), m / v
    lg = np.array([math.lgamma(i + n) - math.lgamma(n) - math.lgamma(i + 1) for i in x])
    pmf = np.exp(lg + n * np.log(p) + x * np.log1p(-p))
    loss = np.array([(np.maximum(x - r, 0) * pmf).sum() for r in range(60)])
    r = int(np.argmax(loss <= q * (1 - beta)))
    got = safety_stock(2, 3, 5, kind="fill_rate", order_qty=q, service_level=beta,
                       distribution="negbin")
    assert got == r - m
    pmf = stats.poisson.pmf(x, 10.0)
    loss = np.array([(np.maximum(x - r, 0) * pmf).sum() for r in range(60)])
    r = int(np.argmax(loss <= q * (1 - beta)))
    assert safety_stock(2, 0, 5, kind="fill_rate", order_qty=q, service_level=beta,
                        distribution="poisson") == r - 10.0


@given(st.floats(0.1, 500), st.floats(0.0, 100), st.floats(0.5, 60), st.floats(0, 10),
       st.floats(0.51, 0.995), st.floats(0.0, 0.004))
def test_safety_stock_invariants(d, sd, lt, lt_sd, csl, dsl):
    kw = {"lead_time_std": lt_sd}
    lo = safety_stock(d, sd, lt, service_level=csl, **kw)
    hi = safety_stock(d, sd, lt, service_level=csl + dsl, **kw)
    assert lo >= 0
    assert hi >= lo - 1e-9  # more service never needs less stock
    # normal SS scales with demand (d, σ_d both x3)
    assert safety_stock(3 * d, 3 * sd, lt, service_level=csl, **kw) == pytest.approx(
        3 * lo, rel=1e-9, abs=1e-9)
    rop = reorder_point(d, sd, lt, service_level=csl, **kw)
    assert rop == pytest.approx(d * lt + lo, rel=1e-12)


def test_vectorised_inputs_broadcast():
    got = safety_stock(np.array([50.0, 50.0]), 5, 6, lead_time_std=np.array([2.0, 0.0]),
                       service_level=0.9)
    np.testing.assert_allclose(got, [129.11, 15.70], atol=5e-3)  # [R2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"service_level": 1.0}, r"service_level must be finite and in \(0, 1\)"),
        ({"service_level": 0.0}, "service_level"),
        ({"lead_time_std": -1}, r"lead_time_std must be finite and in \[0, ∞\).*-1"),
        ({"kind": "fill_rate"}, "needs order_qty, or review_period > 0"),
        ({"kind": "type2"}, "kind must be 'cycle' or 'fill_rate'"),
        ({"distribution": "gamma"}, "distribution must be one of"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(InventoryError, match=match):
        safety_stock(50, 5, 6, **kwargs)
    assert issubclass(InventoryError, MallkitError)


def test_bad_array_values_named():
    with pytest.raises(InventoryError, match=r"mean must be .* 1 bad value\(s\), e.g. \[1\]=nan"):
        safety_stock([1.0, np.nan], 1, 3)
    with pytest.raises(InventoryError, match="holding_cost"):
        economic_order_quantity(8, 0, 1300)


def test_fill_rate_without_cycle_demand_is_refused():
    # Q = mean * review_period = 0 makes G(k) = Q(1-β)/σ = 0, which no finite k meets; the
    # root finder used to stop at its bracket end (k = 40) and return SS = 40·σ = 721 units
    with pytest.raises(InventoryError, match=r"order_qty \(mean \* review_period\) must be "
                       r"finite and in \(0, ∞\); 1 bad value\(s\), e.g. \[1\]=0"):
        safety_stock([50.0, 0.0], 5, 6, kind="fill_rate", review_period=7)
