"""Tests of mallkit.ids: digit ids read from Arrow buffers, and the look-up built on them.

The reference for every look-up is an independent computation: a Python dict of the
keys' first positions (``{key: first index}``), probed id by id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mallkit.ids import arrow_text, digit_ids, digit_ids_where, lookup


def _reference(values: list, keys: list) -> list[int]:
    first: dict = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    return [first.get(v, -1) if v is not None else -1 for v in values]


def test_digit_ids_of_one_format_are_one_to_one_and_ordered():
    ids = pa.array(["W0000000012", "W2611110011", "W0000000001"])
    got = digit_ids(ids)
    assert got is not None
    ints, prefix, width = got
    assert ints.tolist() == [12, 2611110011, 1] and (prefix, width) == ("W", 10)


@pytest.mark.parametrize("ids", [
    ["W01", "W1"],        # widths differ: "W01" and "W1" would both be 1
    ["W01", "X01"],       # prefixes differ
    ["W01", "W0a"],       # not digits
    ["W01", None],        # a null
    ["12345678901234567890"],  # 20 digits do not fit int64
])
def test_digit_ids_refuses_ids_that_would_not_map_one_to_one(ids):
    assert digit_ids(pa.array(ids, pa.string())) is None


def test_digit_ids_where_marks_the_ids_of_the_format():
    n, ok = digit_ids_where(pa.array(["W01", "X01", None, "W1", "W99", "W/1", "W:1"]),
                            ("W", 2))
    assert ok.tolist() == [True, False, False, False, True, False, False]
    assert n[ok].tolist() == [1, 99]


def test_arrow_text_only_for_arrow_backed_text():
    assert arrow_text(pd.Series(["a"], dtype="str")) is not None
    assert arrow_text(pd.Series(["a"], dtype=object)) is None


def test_lookup_digit_path_equals_text_path_on_the_bench_shape():
    # Dense sequential order ids (the dense table) and the same ids spread out (the hash).
    for step in (1, 7919):
        keys = pd.Series([f"W{i * step:014d}" for i in range(1000)], dtype="str")
        vals = [f"W{i * step:014d}" for i in range(-5, 1005, 3)] + ["X00000000000003", None]
        got = lookup(pd.Series(vals, dtype="str"), keys)
        assert got.tolist() == _reference(vals, keys.tolist())


_id = st.one_of(
    st.builds(lambda p, n, w: f"{p}{n:0{w}d}", st.sampled_from(["W", "R", "", "单"]),
              st.integers(0, 999), st.sampled_from([3, 4])),
    st.text(alphabet="W0123456789", min_size=1, max_size=5),
)


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(_id, min_size=1, max_size=40),
       values=st.lists(st.one_of(st.none(), _id), max_size=40),
       split=st.integers(0, 40), dtype=st.sampled_from(["str", "object"]))
def test_lookup_equals_a_dict_of_first_positions(keys, values, split, dtype):
    """Any mix of formats, duplicate keys and nulls, one Series or a list of them."""
    k = pd.Series(keys, dtype=dtype)
    v = pd.Series(values, dtype=dtype)
    want = _reference(values, keys)
    assert lookup(v, k).tolist() == want
    parts = lookup([v.iloc[:split], v.iloc[split:]], k)
    assert np.concatenate(parts).tolist() == want


def test_lookup_does_not_mutate_its_inputs():
    keys = pd.Series(["W01", "W02"], dtype="str")
    vals = pd.Series(["W02", None], dtype="str")
    k0, v0 = keys.copy(), vals.copy()
    lookup(vals, keys)
    pd.testing.assert_series_equal(keys, k0)
    pd.testing.assert_series_equal(vals, v0)
