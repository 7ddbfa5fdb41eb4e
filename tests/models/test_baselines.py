"""Baseline estimators: contract, pandas twins for naive/seasonal naive/moving average, ETS, registry."""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.base import clone
from pullcast.errors import ConfigError, NotFittedError, ValueRangeError
from pullcast.models import (
    ADIDA,
    ETS,
    MODELS,
    SBA,
    TSB,
    Croston,
    MovingAverage,
    Naive,
    SeasonalNaive,
    get_model,
)

sys.path.insert(0, str(Path(__file__).parent))
import _model_twins as twins

value = st.one_of(st.integers(0, 9).map(float), st.just(math.nan), st.floats(0.0, 100.0))
series_list = st.lists(st.lists(value, min_size=0, max_size=30), min_size=1, max_size=5)


def _grouped(series):
    data = np.array([v for s in series for v in s], dtype=np.float64)
    indptr = np.concatenate(([0], np.cumsum([len(s) for s in series]))).astype(np.int64)
    return data, indptr


def _assert_same(got, want):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(series_list, st.integers(1, 4))
def test_naive_against_pandas(series, horizon):
    data, indptr = _grouped(series)
    model = Naive().fit(data, indptr)
    pred = model.predict(horizon)
    assert pred.shape == (len(series), horizon) and pred.dtype == np.float64
    for i, s in enumerate(series):
        level, fitted = twins.pandas_naive(s)
        _assert_same(pred[i], [level] * horizon)
        _assert_same(model.fitted_[indptr[i] : indptr[i + 1]], fitted)


@settings(max_examples=100, deadline=None)
@given(series_list, st.integers(1, 8), st.integers(1, 10))
def test_seasonal_naive_against_pandas(series, m, horizon):
    data, indptr = _grouped(series)
    model = SeasonalNaive(season_length=m).fit(data, indptr)
    pred = model.predict(horizon)
    for i, s in enumerate(series):
        want, fitted = twins.pandas_seasonal_naive(s, m, horizon)
        _assert_same(pred[i], want)
        _assert_same(model.fitted_[indptr[i] : indptr[i + 1]], fitted)


@settings(max_examples=100, deadline=None)
@given(series_list, st.integers(1, 10))
def test_moving_average_against_pandas(series, window):
    data, indptr = _grouped(series)
    model = MovingAverage(window=window).fit(data, indptr)
    pred = model.predict(2)
    for i, s in enumerate(series):
        level, fitted = twins.pandas_moving_average(s, window)
        _assert_same(pred[i], [level, level])
        _assert_same(model.fitted_[indptr[i] : indptr[i + 1]], fitted)


def test_intermittent_models_use_the_kernels():
    y = np.array([0.0, 0.0, 3.0, 0.0, 1.0, 0.0, 2.0, 0.0])
    ptr = np.array([0, 5, 8])
    assert Croston().fit(y, ptr).predict(1)[0, 0] == pytest.approx(2.8 / 2.9)
    assert SBA().fit(y, ptr).predict(2)[0, 1] == pytest.approx(0.95 * 2.8 / 2.9)
    assert SBA(alpha=0.2).fit(y, ptr).predict(1)[0, 0] == pytest.approx(0.9 * 2.6 / 2.8)
    want = twins.tsb_forecast([0.0, 2.0, 0.0], 0.3, 0.2)
    assert TSB(alpha_d=0.3, alpha_p=0.2).fit(y, ptr).predict(1)[1, 0] == pytest.approx(want)
    assert ADIDA().fit(y, ptr).predict(3).shape == (2, 3)


def test_estimator_contract():
    y = np.arange(20, dtype=float)
    ptr = np.array([0, 20])
    for name in sorted(set(MODELS) - {"lgbm"}):
        model = get_model(name)
        assert model.get_params() == clone(model).get_params()
        with pytest.raises(NotFittedError):
            model.predict(3)
        assert model.fit(y, ptr) is model
        assert model.fitted_.shape == y.shape
        assert model.predict(3).shape == (1, 3)
        assert not hasattr(clone(model), "fitted_")


def test_bad_input_and_params():
    ptr = np.array([0, 3])
    with pytest.raises(ValueRangeError, match="series 0"):
        Naive().fit(np.array([1.0, np.inf, 2.0]), ptr)
    with pytest.raises(ConfigError):
        Naive().fit(np.ones(3), np.array([0, 2]))
    with pytest.raises(ConfigError):
        Naive().fit(np.ones((3, 1)), ptr)
    with pytest.raises(ConfigError):
        SeasonalNaive(season_length=0).fit(np.ones(3), ptr)
    with pytest.raises(ConfigError):
        TSB(alpha_d=2.0).fit(np.ones(3), ptr)
    with pytest.raises(ConfigError):
        MovingAverage(window=1.5).fit(np.ones(3), ptr)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        Naive().fit(np.ones(3), ptr).predict(0)
    with pytest.raises(ConfigError):
        ETS(seasonal="mul").fit(np.ones(3), ptr)


def test_registry():
    assert isinstance(get_model("snaive", season_length=7), SeasonalNaive)
    assert get_model("TSB", alpha_d=0.2).alpha_d == 0.2
    with pytest.raises(ConfigError, match="unknown model"):
        get_model("prophet")
    with pytest.raises(ConfigError):
        get_model("naive", window=3)


def _seasonal_series(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    week = np.array([5.0, 4.0, 4.0, 5.0, 8.0, 12.0, 6.0])
    return np.round(week[np.arange(n) % 7] + rng.normal(0, 0.5, n), 2)


def test_ets_matches_statsmodels_and_picks_seasonal():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = _seasonal_series(140, 0)
    model = ETS().fit(y, np.array([0, y.size]))
    assert bool(model.seasonal_[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ExponentialSmoothing(
            y, trend=None, seasonal="add", seasonal_periods=7, initialization_method="estimated"
        ).fit(use_brute=False)
    np.testing.assert_allclose(model.predict(10)[0], ref.forecast(10), rtol=1e-8)
    np.testing.assert_allclose(model.fitted_, ref.fittedvalues, rtol=1e-8)
    # seasonal forecast tracks the weekly pattern: Saturday-type periods above Tuesday-type ones
    pred = model.predict(7)[0]
    assert pred.max() - pred.min() > 4


def test_ets_short_constant_and_nan_series():
    y = np.array([2.0, np.nan, 4.0, 3.0, 3.0, 3.0, 3.0, np.nan, np.nan])
    ptr = np.array([0, 3, 7, 9])
    model = ETS().fit(y, ptr)
    pred = model.predict(2)
    assert pred[0].tolist() == [3.0, 3.0]  # two observed values: their mean
    assert pred[1].tolist() == [3.0, 3.0]  # constant series
    assert np.isnan(pred[2]).all()  # nothing observed
    assert np.isnan(model.fitted_[:3]).all()


def test_ets_fills_nan_from_last_season():
    y = _seasonal_series(70, 1)
    holed = y.copy()
    holed[[20, 45]] = np.nan
    filled = y.copy()
    filled[20], filled[45] = y[13], y[38]
    a = ETS(seasonal="add").fit(holed, np.array([0, 70])).predict(7)
    b = ETS(seasonal="add").fit(filled, np.array([0, 70])).predict(7)
    np.testing.assert_allclose(a, b, rtol=1e-10)
