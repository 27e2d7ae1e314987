"""Tests of mallkit.intermittent: Croston, SBA and TSB.

Sources of expected values:
  [SF]  statsforecast 2.1.1 (CrostonClassic, CrostonSBA, TSB) on
        y = [0,0,3,0,0,0,5,0,2,0,0,4,0,0,0,0,6,0,0,1], as listed in
        /work/shared/reference/inventory.md §2 ("Intermittent demand").
Other expected values come from a plain-Python textbook Croston in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallkit.errors import SchemaError
from mallkit.intermittent import forecast_intermittent

Y = [0, 0, 3, 0, 0, 0, 5, 0, 2, 0, 0, 4, 0, 0, 0, 0, 6, 0, 0, 1]


def test_croston_sba_tsb_reference_values():
    # [SF]: CrostonClassic 1.011539, CrostonSBA 0.960962, TSB(0.2, 0.2) 1.205224
    assert forecast_intermittent(Y, method="croston", alpha=0.1) == pytest.approx(1.011539,
                                                                                abs=5e-7)
    assert forecast_intermittent(Y, method="sba", alpha=0.1) == pytest.approx(0.960962,
                                                                            abs=5e-7)
    assert forecast_intermittent(Y, method="tsb", alpha_d=0.2, alpha_p=0.2) == pytest.approx(
        1.205224, abs=5e-7)


def _ses(x, a):
    level = x[0]
    for v in x[1:]:
        level = level + a * (v - level)
    return level


def _croston_loop(y, a):
    """Textbook Croston by separate SES of sizes and intervals (plain Python)."""
    y = np.asarray(y, dtype=float)
    idx = np.flatnonzero(y > 0)
    if not len(idx):
        return 0.0
    sizes = y[idx]
    intervals = np.diff(np.r_[-1, idx])  # the first interval counts from the start
    return _ses(sizes, a) / _ses(intervals, a)


@given(st.lists(st.integers(0, 9), min_size=1, max_size=60), st.floats(0.05, 1.0))
def test_croston_matches_plain_loop(y, a):
    assert forecast_intermittent(y, method="croston", alpha=a) == pytest.approx(
        _croston_loop(y, a), rel=1e-12, abs=1e-12)
    assert forecast_intermittent(y, method="sba", alpha=a) == pytest.approx(
        (1 - a / 2) * _croston_loop(y, a), rel=1e-12, abs=1e-12)


def test_many_series_and_missing_periods():
    rng = np.random.default_rng(5)
    m = rng.poisson(0.4, (50, 7)) * rng.integers(1, 5, (50, 7))
    got = forecast_intermittent(m, method="tsb")
    one = [forecast_intermittent(m[:, j], method="tsb") for j in range(7)]
    np.testing.assert_allclose(got, one, rtol=1e-12)
    frame = pd.DataFrame(m, columns=list("abcdefg"))
    s = forecast_intermittent(frame, method="croston")
    assert list(s.index) == list("abcdefg") and s.name == "croston"
    # unobserved periods (stock-outs) are skipped, not read as zero demand
    obs = np.ones(len(Y), dtype=bool)
    obs[[3, 4, 5]] = False
    y2 = np.delete(Y, [3, 4, 5])
    assert forecast_intermittent(Y, method="sba", observed=obs) == pytest.approx(
        forecast_intermittent(y2, method="sba"), rel=1e-12)
    assert forecast_intermittent([0, 0, 0], method="croston") == 0.0
    assert np.isnan(forecast_intermittent([1, 2], method="sba", observed=[False, False]))


def test_forecast_errors():
    with pytest.raises(SchemaError, match="method must be 'croston', 'sba' or 'tsb'"):
        forecast_intermittent(Y, method="ses")
    with pytest.raises(SchemaError, match=r"alpha must be in \(0, 1\], got 0"):
        forecast_intermittent(Y, alpha=0)
    with pytest.raises(SchemaError, match=r"non-negative numbers.*period 1, series 0: -2"):
        forecast_intermittent([1, -2, 3])
