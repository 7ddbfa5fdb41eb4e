"""Every kernel and its update form against its slow reference twin, on hypothesis-generated ragged panels."""

from __future__ import annotations

import numpy as np
from _kernels_reference import (  # noqa: F401  (parallel_drivers is an autouse fixture)
    last_values,
    panels,
    parallel_drivers,
    ref_decayed_sum,
    ref_diff,
    ref_ewm,
    ref_expanding,
    ref_lag,
    ref_momentum,
    ref_ratio,
    ref_rolling,
    ref_seasonal_mean,
    ref_zscore,
    tolerance,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import pullcast.kernels as K

EXAMPLES = settings(max_examples=40, deadline=None)


def _check(got: np.ndarray, ref: np.ndarray, data: np.ndarray, *, spread: bool = False) -> None:
    assert got.dtype == data.dtype
    assert got.shape == ref.shape
    assert_allclose(got.astype(np.float64), ref, **tolerance(data, spread=spread))


@EXAMPLES
@given(panel=panels(), k=st.integers(0, 6), op=st.sampled_from(["lag", "diff"]))
def test_shift_matches_pandas(panel: tuple[np.ndarray, np.ndarray], k: int, op: str) -> None:
    x, ip = panel
    ref = ref_lag(x, ip, k) if op == "lag" else ref_diff(x, ip, k)
    _check(getattr(K, op)(x, ip, k), ref, x)
    _check(getattr(K, f"{op}_update")(x, ip, k), last_values(ref, ip), x)


@EXAMPLES
@given(
    panel=panels(),
    stat=st.sampled_from(["sum", "mean", "std", "min", "max"]),
    window=st.integers(1, 12),
    lag=st.integers(0, 3),
    data=st.data(),
)
def test_rolling_matches_pandas(
    panel: tuple[np.ndarray, np.ndarray], stat: str, window: int, lag: int, data: st.DataObject
) -> None:
    x, ip = panel
    minp = data.draw(st.none() | st.integers(0, window), label="min_periods")
    ref = ref_rolling(x, ip, stat, window, minp, lag=lag)
    got = getattr(K, f"rolling_{stat}")(x, ip, window, minp, lag=lag)
    _check(got, ref, x, spread=stat == "std")
    upd = getattr(K, f"rolling_{stat}_update")(x, ip, window, minp, lag=lag)
    _check(upd, last_values(ref, ip), x, spread=stat == "std")


@EXAMPLES
@given(
    panel=panels(),
    window=st.integers(1, 12),
    q=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]) | st.floats(0.0, 1.0),
    lag=st.integers(0, 2),
    data=st.data(),
)
def test_rolling_quantile_matches_pandas(
    panel: tuple[np.ndarray, np.ndarray], window: int, q: float, lag: int, data: st.DataObject
) -> None:
    x, ip = panel
    minp = data.draw(st.none() | st.integers(0, window), label="min_periods")
    ref = ref_rolling(x, ip, "quantile", window, minp, lag=lag, q=q)
    _check(K.rolling_quantile(x, ip, window, q, minp, lag=lag), ref, x)
    _check(K.rolling_quantile_update(x, ip, window, q, minp, lag=lag), last_values(ref, ip), x)


@EXAMPLES
@given(panel=panels(), season=st.integers(1, 5), window=st.integers(1, 5), data=st.data())
def test_seasonal_rolling_mean_matches_pandas(
    panel: tuple[np.ndarray, np.ndarray], season: int, window: int, data: st.DataObject
) -> None:
    x, ip = panel
    minp = data.draw(st.none() | st.integers(0, window), label="min_periods")
    ref = ref_seasonal_mean(x, ip, season, window, minp)
    _check(K.seasonal_rolling_mean(x, ip, season, window, minp), ref, x)
    _check(K.seasonal_rolling_mean_update(x, ip, season, window, minp), last_values(ref, ip), x)


def test_seasonal_rolling_mean_is_rolling_mean_at_season_one() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    ip = np.array([0, 3, 7])
    assert_allclose(K.seasonal_rolling_mean(x, ip, 1, 2, 1), K.rolling_mean(x, ip, 2, 1))


def test_seasonal_rolling_mean_hand_example() -> None:
    # season 7, window 2: mean of x[t] and x[t - 7]; needs both (min_periods defaults to window)
    x = np.arange(16, dtype=np.float64)
    got = K.seasonal_rolling_mean(x, np.array([0, 16]), 7, 2)
    expected = np.full(16, np.nan)
    expected[7:] = (x[7:] + x[:-7]) / 2
    assert_allclose(got, expected)


@EXAMPLES
@given(panel=panels(), stat=st.sampled_from(["mean", "std"]))
def test_expanding_matches_pandas(panel: tuple[np.ndarray, np.ndarray], stat: str) -> None:
    x, ip = panel
    ref = ref_expanding(x, ip, stat)
    _check(getattr(K, f"expanding_{stat}")(x, ip), ref, x, spread=stat == "std")
    _check(getattr(K, f"expanding_{stat}_update")(x, ip), last_values(ref, ip), x, spread=stat == "std")


# pandas 3.0 special-cases com == 1 (alpha = 0.5) with NaN gaps differently from every other alpha, a
# regression from 2.3 (pandas-dev/pandas#31178, PR #66521): alpha = 0.5 is checked against 2.3's value below.
ALPHAS = st.sampled_from([1.0, 0.3, 0.75]) | st.floats(0.01, 1.0).filter(lambda a: a != 0.5)


@EXAMPLES
@given(panel=panels(), alpha=ALPHAS)
def test_ewm_mean_matches_pandas(panel: tuple[np.ndarray, np.ndarray], alpha: float) -> None:
    x, ip = panel
    ref = ref_ewm(x, ip, alpha)
    _check(K.ewm_mean(x, ip, alpha), ref, x)
    _check(K.ewm_mean_update(x, ip, alpha), last_values(ref, ip), x)


def test_ewm_mean_nan_gap_at_alpha_half() -> None:
    # [1, NaN, 5], alpha 0.5, adjust=False: old weight (1 - alpha)^2 = 0.25 against alpha = 0.5 for the new
    # value, normalised: (0.25 * 1 + 0.5 * 5) / 0.75 = 3.6667 (pandas 2.3; see pandas-dev/pandas#31178)
    got = K.ewm_mean(np.array([1.0, np.nan, 5.0]), np.array([0, 3]), 0.5)
    assert_allclose(got, [1.0, 1.0, 2.75 / 0.75], rtol=1e-12)


@EXAMPLES
@given(panel=panels(), half_life=st.sampled_from([1.0, 7.0]) | st.floats(0.1, 50.0))
def test_decayed_sum_matches_loop(panel: tuple[np.ndarray, np.ndarray], half_life: float) -> None:
    x, ip = panel
    ref = ref_decayed_sum(x, ip, half_life)
    _check(K.decayed_sum(x, ip, half_life), ref, x)
    _check(K.decayed_sum_update(x, ip, half_life), last_values(ref, ip), x)


@EXAMPLES
@given(panel=panels(), short=st.integers(1, 6), long=st.integers(1, 14))
def test_momentum_matches_loop(panel: tuple[np.ndarray, np.ndarray], short: int, long: int) -> None:
    x, ip = panel
    ref = ref_momentum(x, ip, short, long)
    tol = tolerance(x)
    tol["atol"] = 1e-12  # a ratio of means: relative error only
    for got in (K.momentum(x, ip, short, long), K.momentum_update(x, ip, short, long)):
        expected = ref if got.size == x.size else last_values(ref, ip)
        assert got.dtype == x.dtype
        assert_allclose(got.astype(np.float64), expected, **tol)


@EXAMPLES
@given(panel=panels(), window=st.integers(2, 12), data=st.data())
def test_rolling_zscore_matches_loop(
    panel: tuple[np.ndarray, np.ndarray], window: int, data: st.DataObject
) -> None:
    x, ip = panel
    minp = data.draw(st.none() | st.integers(0, window), label="min_periods")
    ref = ref_zscore(x, ip, window, minp)
    tol = {"rtol": 1e-6, "atol": 1e-6}  # z-scores are unitless
    assert_allclose(K.rolling_zscore(x, ip, window, minp).astype(np.float64), ref, **tol)
    assert_allclose(
        K.rolling_zscore_update(x, ip, window, minp).astype(np.float64), last_values(ref, ip), **tol
    )


@EXAMPLES
@given(panel=panels(), window=st.integers(1, 10), data=st.data())
def test_ratio_to_baseline_matches_loop(
    panel: tuple[np.ndarray, np.ndarray], window: int, data: st.DataObject
) -> None:
    x, ip = panel
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    den = rng.poisson(3.0, x.size).astype(x.dtype)  # sales-like denominators (sums may be 0)
    den[rng.random(x.size) < 0.05] = np.nan
    ref = ref_ratio(x, den, ip, window)
    tol = {"rtol": 1e-6, "atol": 1e-12}
    assert_allclose(K.ratio_to_baseline(x, den, ip, window).astype(np.float64), ref, **tol)
    assert_allclose(
        K.ratio_to_baseline_update(x, den, ip, window).astype(np.float64), last_values(ref, ip), **tol
    )


def test_rolling_zscore_flat_baseline() -> None:
    # baseline of 3 equal values: equal next value -> 0, different -> NaN (std 0, undefined)
    x = np.array([2.0, 2.0, 2.0, 2.0, 5.0])
    got = K.rolling_zscore(x, np.array([0, 5]), 3)
    assert_allclose(got, [np.nan, np.nan, np.nan, 0.0, np.nan])


def test_rolling_zscore_excludes_current_value() -> None:
    # baseline [1, 2, 3]: mean 2, sample std 1, so x = 10 scores 8 (t itself not in its baseline)
    got = K.rolling_zscore(np.array([1.0, 2.0, 3.0, 10.0]), np.array([0, 4]), 3)
    assert got[3] == 8.0


def test_decayed_sum_halves_every_half_life() -> None:
    # a single unit impulse decays to 0.5 after half_life periods, 0.25 after two
    x = np.zeros(9)
    x[0] = 1.0
    got = K.decayed_sum(x, np.array([0, 9]), 4.0)
    assert_allclose(got[[0, 4, 8]], [1.0, 0.5, 0.25], rtol=1e-12)
