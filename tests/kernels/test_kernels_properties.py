"""Kernel properties: permutation of series, dtype parity, state updates, robustness, argument errors."""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import pandas as pd
import pytest
from _kernels_reference import drop_last, last_values, panels, parallel_drivers, tolerance  # noqa: F401
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import pullcast.kernels as K
from pullcast.errors import ConfigError
from pullcast.kernels._common import chunk_bounds

EXAMPLES = settings(max_examples=30, deadline=None)

# every single-input transform with fixed arguments, as (name, call)
TRANSFORMS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "lag": lambda x, ip: K.lag(x, ip, 2),
    "diff": lambda x, ip: K.diff(x, ip, 1),
    "rolling_sum": lambda x, ip: K.rolling_sum(x, ip, 4, 1),
    "rolling_mean": lambda x, ip: K.rolling_mean(x, ip, 4, 2, lag=1),
    "rolling_std": lambda x, ip: K.rolling_std(x, ip, 5, 2),
    "rolling_min": lambda x, ip: K.rolling_min(x, ip, 3, 1),
    "rolling_max": lambda x, ip: K.rolling_max(x, ip, 3, 1),
    "rolling_quantile": lambda x, ip: K.rolling_quantile(x, ip, 5, 0.3, 2),
    "seasonal_rolling_mean": lambda x, ip: K.seasonal_rolling_mean(x, ip, 3, 2, 1),
    "expanding_mean": K.expanding_mean,
    "expanding_std": K.expanding_std,
    "ewm_mean": lambda x, ip: K.ewm_mean(x, ip, 0.3),
    "decayed_sum": lambda x, ip: K.decayed_sum(x, ip, 3.0),
    "momentum": lambda x, ip: K.momentum(x, ip, 2, 5),
    "rolling_zscore": lambda x, ip: K.rolling_zscore(x, ip, 4, 3),
    "ratio_to_baseline": lambda x, ip: K.ratio_to_baseline(x, np.abs(x) + 1, ip, 3),
}


def _permute(x: np.ndarray, indptr: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pieces = [x[indptr[i] : indptr[i + 1]] for i in order]
    lengths = [p.size for p in pieces]
    return np.concatenate(pieces).astype(x.dtype), np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)


@EXAMPLES
@given(panel=panels(max_series=8), name=st.sampled_from(sorted(TRANSFORMS)), data=st.data())
def test_permuting_series_permutes_results(
    panel: tuple[np.ndarray, np.ndarray], name: str, data: st.DataObject
) -> None:
    x, ip = panel
    order = np.array(data.draw(st.permutations(range(ip.size - 1)), label="order"))
    fn = TRANSFORMS[name]
    px, pip = _permute(x, ip, order)
    expected, _ = _permute(fn(x, ip), ip, order)
    assert_array_equal(fn(px, pip), expected)


@EXAMPLES
@given(panel=panels(), name=st.sampled_from(sorted(TRANSFORMS)))
def test_float32_matches_float64(panel: tuple[np.ndarray, np.ndarray], name: str) -> None:
    x, ip = panel
    x32 = x.astype(np.float32)
    fn = TRANSFORMS[name]
    got32 = fn(x32, ip)
    got64 = fn(x32.astype(np.float64), ip)
    assert got32.dtype == np.float32 and got64.dtype == np.float64
    tol = tolerance(x32, spread=name in ("rolling_std", "expanding_std", "rolling_zscore"))
    if name in ("rolling_zscore", "momentum", "ratio_to_baseline"):
        tol["atol"] = 1e-6  # unitless ratios
    assert_allclose(got32.astype(np.float64), got64, **tol)


# recursive kernels: (transform, state, update, extra args)
RECURSIVE = {
    "expanding_mean": (K.expanding_mean, K.expanding_mean_state, K.expanding_mean_update, ()),
    "expanding_std": (K.expanding_std, K.expanding_std_state, K.expanding_std_update, ()),
    "ewm_mean": (K.ewm_mean, K.ewm_mean_state, K.ewm_mean_update, (0.3,)),
    "decayed_sum": (K.decayed_sum, K.decayed_sum_state, K.decayed_sum_update, (5.0,)),
}


@EXAMPLES
@given(panel=panels(), name=st.sampled_from(sorted(RECURSIVE)), steps=st.integers(1, 6))
def test_state_updates_follow_the_full_transform(
    panel: tuple[np.ndarray, np.ndarray], name: str, steps: int
) -> None:
    """Stepping the O(1) update forward one value at a time equals the full transform at each step."""
    x, ip = panel
    transform, make_state, update, args = RECURSIVE[name]
    # the panels seen at each step: drop the newest `steps` values, then add them back one by one
    history = [(x, ip)]
    for _ in range(steps):
        history.append(drop_last(*history[-1]))
    history.reverse()
    state = make_state(*history[0], *args)
    tol = tolerance(x, spread=name == "expanding_std")
    for hx, hip in history[1:]:
        got = update(hx, hip, *args, state=state)
        assert_allclose(got.astype(np.float64), last_values(transform(hx, hip, *args), hip), **tol)
        assert_allclose(got, update(hx, hip, *args), **tol)  # stateless form agrees


def test_state_update_skips_empty_series() -> None:
    x = np.array([1.0, 2.0, 3.0])
    ip = np.array([0, 2, 2, 3])
    state = K.ewm_mean_state(np.array([1.0]), np.array([0, 1, 1, 1]), 0.5)
    before = state.copy()
    got = K.ewm_mean_update(x, ip, 0.5, state=state)
    assert np.isnan(got[1])
    assert_array_equal(state[1], before[1])
    assert got[0] == 1.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_series_do_not_drift(dtype: type) -> None:
    """A running window over 200,000 values stays within float rounding of a fresh sum of the last window."""
    rng = np.random.default_rng(7)
    n, w = 200_000, 28
    x = (rng.gamma(2.0, 50.0, n) + 1e4 * (np.arange(n) < n // 2)).astype(dtype)  # level drop halfway
    ip = np.array([0, n])
    tail = x[-w:].astype(np.float64)
    assert_allclose(K.rolling_sum(x, ip, w)[-1], tail.sum(), rtol=2 * np.finfo(dtype).eps)
    assert_allclose(K.rolling_mean(x, ip, w)[-1], tail.mean(), rtol=2 * np.finfo(dtype).eps)
    assert_allclose(K.rolling_std(x, ip, w)[-1], tail.std(ddof=1), rtol=1e-6)
    assert_allclose(K.expanding_mean(x, ip)[-1], x.astype(np.float64).mean(), rtol=2 * np.finfo(dtype).eps)
    # a series this long (> 65,536 values) also takes the rolling sum's unbuffered dense loop
    ref = pd.Series(x.astype(np.float64)).rolling(w).mean().to_numpy()
    assert_allclose(K.rolling_mean(x, ip, w).astype(np.float64), ref, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_series_with_nan_match_pandas(dtype: type) -> None:
    """Series longer than the scratch buffer (65,536 values) take the unbuffered NaN-aware loops."""
    rng = np.random.default_rng(11)
    n = 70_000
    x = rng.poisson(3.0, n).astype(dtype)
    x[rng.random(n) < 0.05] = np.nan
    ip = np.array([0, n])
    s = pd.Series(x.astype(np.float64))
    assert_allclose(K.rolling_mean(x, ip, 7, 1), s.rolling(7, min_periods=1).mean().to_numpy(), rtol=1e-6)
    assert_allclose(K.rolling_sum(x, ip, 7, 0), s.rolling(7, min_periods=0).sum().to_numpy(), rtol=1e-6)
    assert_allclose(K.rolling_std(x, ip, 7, 2), s.rolling(7, min_periods=2).std().to_numpy(), rtol=1e-6)


def test_thread_count_does_not_change_results() -> None:
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 400, size=60)
    ip = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    x = rng.poisson(4.0, ip[-1]).astype(np.float32)
    x[rng.random(x.size) < 0.02] = np.nan
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = {name: fn(x, ip) for name, fn in TRANSFORMS.items()}
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        for name, fn in TRANSFORMS.items():
            assert_array_equal(fn(x, ip), single[name], err_msg=name)
    finally:
        numba.set_num_threads(before)


def test_rolling_std_of_constant_window_is_exactly_zero() -> None:
    x = np.array([5.0, 1.3, 0.1, 0.1, 0.1, 0.1], dtype=np.float32)
    got = K.rolling_std(x, np.array([0, 6]), 3)
    assert got[4] == 0.0 and got[5] == 0.0
    assert got[3] > 0.0


def test_kernels_never_raise_on_short_or_empty_series() -> None:
    x = np.array([np.nan, 1.0, 2.0])
    ip = np.array([0, 0, 1, 3, 3])  # empty, one NaN, two values, empty
    for name, fn in TRANSFORMS.items():
        out = fn(x, ip)
        assert out.shape == x.shape, name
    assert np.isnan(K.rolling_mean_update(x, ip, 3)).all()
    assert_array_equal(np.isnan(K.lag_update(x, ip, 1)), [True, True, False, True])


def test_integer_input_becomes_float64() -> None:
    out = K.rolling_sum(np.array([1, 2, 3]), np.array([0, 3]), 2)
    assert out.dtype == np.float64
    assert_array_equal(out, [np.nan, 3.0, 5.0])


def test_chunks_balance_work_at_series_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    import pullcast.kernels._common as common

    monkeypatch.setattr(common.numba, "get_num_threads", lambda: 2)
    lengths = np.array([1000] + [10] * 100 + [1000])
    ip = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    bounds = chunk_bounds(ip)
    assert bounds[0] == 0 and bounds[-1] == lengths.size and np.all(np.diff(bounds) > 0)
    work = np.add.reduceat(lengths, bounds[:-1])
    assert work.sum() == lengths.sum()
    assert work.max() <= lengths.sum() / (bounds.size - 1) + 1000  # off by at most one long series
    monkeypatch.setattr(common.numba, "get_num_threads", lambda: 1)
    assert_array_equal(chunk_bounds(ip), [0, lengths.size])


def test_small_inputs_run_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import pullcast.kernels._common as common

    monkeypatch.setattr(common, "_SERIAL_BELOW", 1000)
    before = numba.get_num_threads()
    with common.threads_for(999):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with common.threads_for(1000):
        assert numba.get_num_threads() == before


X = np.arange(6, dtype=np.float64)
IP = np.array([0, 3, 6])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: K.rolling_mean(X, IP, 0), "window must be an integer >= 1; found 0"),
        (lambda: K.rolling_mean(X, IP, 2.5), "window must be an integer"),  # type: ignore[arg-type]
        (lambda: K.rolling_sum(X, IP, 3, 4), "min_periods must be <= window = 3; found 4"),
        (lambda: K.rolling_std(X, IP, 3, -1), "min_periods must be an integer >= 0"),
        (lambda: K.rolling_max(X, IP, 3, lag=-1), "lag must be an integer >= 0"),
        (lambda: K.lag(X, IP, -1), "k must be an integer >= 0; found -1"),
        (lambda: K.diff(X, IP, True), "k must be an integer"),  # type: ignore[arg-type]
        (lambda: K.rolling_quantile(X, IP, 3, 1.5), r"q must be a number in \[0.0, 1.0\]; found 1.5"),
        (lambda: K.rolling_quantile(X, IP, 3, float("nan")), "q must be a number"),
        (lambda: K.ewm_mean(X, IP, 0.0), r"alpha must be a number in \(0.0, 1.0\]; found 0.0"),
        (lambda: K.ewm_mean_update(X, IP, 1.1), "alpha must be a number"),
        (lambda: K.decayed_sum(X, IP, 0), "half_life must be a number"),
        (lambda: K.seasonal_rolling_mean(X, IP, 0, 2), "season must be an integer >= 1"),
        (lambda: K.momentum(X, IP, 0, 5), "short must be an integer >= 1"),
        (lambda: K.rolling_zscore(X, IP, 1), "window must be an integer >= 2"),
        (
            lambda: K.ratio_to_baseline(X, X[:5], IP, 2),
            "num and den must have the same length; found 6 and 5",
        ),
        (lambda: K.rolling_mean(X, np.array([0, 4, 3, 6]), 2), r"non-decreasing; found indptr\[1\] = 4"),
        (lambda: K.rolling_mean(X, np.array([0, 3, 5]), 2), r"end at len\(data\) = 6; found 5"),
        (lambda: K.rolling_mean(X, np.array([1, 3, 6]), 2), "indptr must start at 0; found 1"),
        (lambda: K.rolling_mean(X, np.array([0.0, 6.0]), 2), "indptr must hold integers"),
        (lambda: K.rolling_mean(X.reshape(2, 3), IP, 2), "data must be a 1-D array"),
        (lambda: K.rolling_mean(X.astype(str), IP, 2), "data must hold float32 or float64"),
        (lambda: K.ewm_mean_update(X, IP, 0.5, state=np.zeros((3, 3))), r"shape \(2, 3\)"),
        (lambda: K.expanding_mean_update(X, IP, state=np.zeros((2, 3), np.float32)), "float64"),
    ],
)
def test_argument_errors_raise_config_error(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        call()
