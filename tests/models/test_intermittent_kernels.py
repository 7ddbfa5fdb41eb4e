"""Croston/SBA/TSB/ADIDA Numba kernels against plain-Python twins, hand values and statsforecast."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.errors import ConfigError
from pullcast.kernels.intermittent import adida, croston, tsb

sys.path.insert(0, str(Path(__file__).parent))
import _model_twins as twins

value = st.one_of(
    st.just(0.0), st.just(0.0), st.integers(1, 9).map(float), st.just(math.nan), st.floats(0.1, 50.0)
)
series_list = st.lists(st.lists(value, min_size=0, max_size=25), min_size=1, max_size=5)


def _grouped(series: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    data = np.array([v for s in series for v in s], dtype=np.float64)
    indptr = np.concatenate(([0], np.cumsum([len(s) for s in series]))).astype(np.int64)
    return data, indptr


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _check(series, kernel_out, twin) -> None:
    forecast, fitted = kernel_out
    data, indptr = _grouped(series)
    for i, s in enumerate(series):
        want_f, want_fit = twin(s)
        assert _close(forecast[i], want_f), (i, forecast[i], want_f)
        got = fitted[indptr[i] : indptr[i + 1]]
        assert all(_close(g, w) for g, w in zip(got, want_fit, strict=True)), (s, got, want_fit)


@settings(max_examples=150, deadline=None)
@given(series_list, st.sampled_from([0.1, 0.2, 0.5, 1.0]))
def test_croston_and_sba_against_twin(series, alpha):
    data, indptr = _grouped(series)
    for factor in (1.0, 1.0 - alpha / 2):
        _check(
            series,
            croston(data, indptr, alpha, factor),
            lambda s, a=alpha, f=factor: twins.one_step(s, lambda xs: twins.croston_forecast(xs, a, f)),
        )


@settings(max_examples=150, deadline=None)
@given(series_list, st.sampled_from([0.1, 0.3]), st.sampled_from([0.05, 0.1, 0.6]))
def test_tsb_against_twin(series, alpha_d, alpha_p):
    data, indptr = _grouped(series)
    _check(
        series,
        tsb(data, indptr, alpha_d, alpha_p),
        lambda s: twins.one_step(s, lambda xs: twins.tsb_forecast(xs, alpha_d, alpha_p)),
    )


@settings(max_examples=150, deadline=None)
@given(series_list)
def test_adida_against_twin(series):
    data, indptr = _grouped(series)
    forecast, fitted = adida(data, indptr)
    for i, s in enumerate(series):
        want_f, want_fit = twins.adida(s)
        assert math.isclose(forecast[i], want_f, rel_tol=1e-9, abs_tol=1e-9) or (
            math.isnan(forecast[i]) and math.isnan(want_f)
        )
        got = fitted[indptr[i] : indptr[i + 1]]
        for g, w in zip(got, want_fit, strict=True):
            assert (math.isnan(g) and math.isnan(w)) or math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9)


def test_croston_hand_example():
    # y = 0, 0, 3, 0, 1: sizes 3, 1 and intervals 3 (periods up to the first demand), 2.
    # alpha 0.1: size level 0.1*1 + 0.9*3 = 2.8; interval level 0.1*2 + 0.9*3 = 2.9; 2.8 / 2.9.
    y = np.array([0.0, 0.0, 3.0, 0.0, 1.0])
    f, fitted = croston(y, np.array([0, 5]))
    assert f[0] == pytest.approx(2.8 / 2.9)
    assert np.isnan(fitted[0]) and fitted[1] == 0 and fitted[2] == 0
    assert fitted[3] == pytest.approx(3 / 3) and fitted[4] == pytest.approx(3 / 3)
    f_sba, _ = croston(y, np.array([0, 5]), 0.1, 0.95)
    assert f_sba[0] == pytest.approx(0.95 * 2.8 / 2.9)
    # TSB, alpha_d = alpha_p = 0.1: probability 0, 0, 0.1, 0.09, 0.181; size 3 then 2.8 -> 0.5068
    f_tsb, _ = tsb(y, np.array([0, 5]))
    assert f_tsb[0] == pytest.approx(0.181 * 2.8)


def test_adida_alpha_close_to_scipy_optimum():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(4)
    xs = list(rng.poisson(3.0, 40).astype(float))

    def sse(alpha: float) -> float:
        f, total = xs[0], 0.0
        for i in range(1, len(xs)):
            f = alpha * xs[i - 1] + (1 - alpha) * f
            total += (xs[i] - f) ** 2
        return total

    ours = twins.golden_alpha(xs, 0.1, 0.3)
    ref = scipy_optimize.minimize_scalar(sse, bounds=(0.1, 0.3), method="bounded").x
    assert abs(ours - ref) < 1e-4
    assert sse(ours) <= sse(ref) + 1e-9


def test_empty_and_all_nan_series_give_nan():
    data = np.array([np.nan, np.nan, 1.0])
    indptr = np.array([0, 0, 2, 3])
    for out, _ in (croston(data, indptr), tsb(data, indptr), adida(data, indptr)):
        assert np.isnan(out[0]) and np.isnan(out[1]) and not np.isnan(out[2])


def test_permutation_and_float32_parity():
    rng = np.random.default_rng(1)
    series = [list(rng.choice([0.0, 0.0, 1.0, 2.0, 5.0], size=n)) for n in (30, 7, 50, 12)]
    data, indptr = _grouped(series)
    perm = [2, 0, 3, 1]
    pdata, pindptr = _grouped([series[i] for i in perm])
    for fn in (croston, tsb, adida):
        base, _ = fn(data, indptr)
        permuted, _ = fn(pdata, pindptr)
        np.testing.assert_allclose(permuted, base[perm], rtol=1e-12)
        f32, _ = fn(data.astype(np.float32), indptr)
        np.testing.assert_allclose(f32, base, rtol=1e-12)


def test_bad_arguments():
    with pytest.raises(ConfigError):
        croston(np.ones(3), np.array([0, 2]))
    with pytest.raises(ConfigError):
        tsb(np.ones(3), np.array([0, 3]), alpha_d=0.0)
    with pytest.raises(ConfigError):
        croston(np.ones(3), np.array([0, 3]), alpha=1.5)


# --------------------------------------------------------------------------- statsforecast parity
@pytest.fixture(scope="module")
def sf_models():
    return pytest.importorskip("statsforecast.models")


def _intermittent_series(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(n) < 0.3) * rng.poisson(4.0, n).astype(np.float64)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_match_statsforecast(sf_models, seed):
    """statsforecast CrostonClassic, CrostonSBA and TSB (same series, no NaN): equal to 1e-6."""
    y = _intermittent_series(seed, 120)
    ptr = np.array([0, y.size])
    cases = [
        (sf_models.CrostonClassic(), croston(y, ptr, 0.1, 1.0)),
        (sf_models.CrostonSBA(), croston(y, ptr, 0.1, 0.95)),
        (sf_models.TSB(alpha_d=0.2, alpha_p=0.1), tsb(y, ptr, 0.2, 0.1)),
    ]
    for model, (forecast, fitted) in cases:
        ref = model.forecast(y=y, h=3, fitted=True)
        np.testing.assert_allclose(forecast[0], ref["mean"], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(fitted[1:], ref["fitted"][1:], rtol=1e-6, atol=1e-9)
        assert np.isnan(fitted[0])
