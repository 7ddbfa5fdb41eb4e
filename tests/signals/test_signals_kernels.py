"""Direct twins of the small signal-store kernels not covered by the alignment oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.errors import ConfigError
from pullcast.signals import SignalStore, _fast


@settings(max_examples=50, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 12), min_size=1, max_size=5),
    window=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_trailing_sums_matches_pandas(lengths: list[int], window: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    units = rng.integers(0, 5, int(indptr[-1])).astype(float)
    units[rng.random(units.size) < 0.2] = np.nan
    got = np.empty(units.size)
    _fast.trailing_sums(units, indptr, window, got)
    for i in range(len(lengths)):
        s = pd.Series(units[indptr[i] : indptr[i + 1]]).fillna(0.0)
        want = s.rolling(window, min_periods=1).sum().shift(1).fillna(0.0).to_numpy()
        np.testing.assert_allclose(got[indptr[i] : indptr[i + 1]], want, atol=1e-12)


def test_hash_table_grows_and_keeps_keys() -> None:
    """Many more keys than the initial table: every distinct key stays distinct, repeats are found."""
    n = 5000
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="s")
    frame = pd.DataFrame({"sku": "a", "time": times, "channel": "k", "value": 1.0})
    store = SignalStore()
    assert store.append(frame).duplicates == 0
    again = store.append(frame.iloc[::7])
    assert again.duplicates == len(frame.iloc[::7]) and store.keys.n_keys == n


def test_unmatched_needs_an_alignment_first() -> None:
    with pytest.raises(ConfigError, match="aligned"):
        _ = SignalStore().unmatched
