"""Shared test helpers: fixed seeds, a check that functions leave their inputs alone."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def assert_not_mutated(func, *frames, **kwargs):
    """Call ``func(*frames, **kwargs)`` and assert no input frame changed; return the result.

    Compares deep copies taken before the call, values, dtypes, index and column order.
    """
    before = [f.copy(deep=True) if isinstance(f, pd.DataFrame | pd.Series) else f for f in frames]
    result = func(*frames, **kwargs)
    for b, f in zip(before, frames, strict=True):
        if isinstance(f, pd.DataFrame):
            pd.testing.assert_frame_equal(f, b, check_exact=True)
        elif isinstance(f, pd.Series):
            pd.testing.assert_series_equal(f, b, check_exact=True)
    return result


@pytest.fixture
def not_mutated():
    """The :func:`assert_not_mutated` helper as a fixture."""
    return assert_not_mutated
