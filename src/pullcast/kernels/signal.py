"""Pull-signal transforms within each series: adstock, momentum, spike z-score, ratio to a baseline.

- :func:`decayed_sum` (adstock): ``s_t = x_t + d s_{t-1}`` with ``d = 0.5 ** (1 / half_life)``.
  A NaN value adds nothing (the stock keeps decaying); positions before a series' first non-NaN
  value are NaN.
- :func:`momentum`: rolling mean over ``short`` periods divided by rolling mean over ``long``
  periods (each needs its full window of non-NaN values); NaN where the long mean is 0.
- :func:`rolling_zscore`: ``(x_t - mean) / std`` where mean and sample std (ddof=1) are taken over
  the ``window`` values **before** ``t`` (``t - window .. t - 1``), so a spike does not dilute its
  own baseline. When all baseline values are equal (std 0) the result is 0 if ``x_t`` equals them
  and NaN otherwise (the z-score is undefined; NaN is what tree models handle natively).
- :func:`ratio_to_baseline`: rolling sum of ``num`` over ``window`` divided by the rolling sum of
  ``den`` over the same window (each needs ``window`` non-NaN values); NaN where the sum of ``den`` is 0.

Numerics are described in :mod:`pullcast.kernels._signal_impl`.
"""

from __future__ import annotations

import numpy as np

from pullcast.errors import ConfigError
from pullcast.kernels._common import (
    as_data,
    as_indptr,
    check_float,
    check_int,
    check_min_periods,
    check_state,
    chunk_bounds,
    threads_for,
)
from pullcast.kernels._signal_impl import (
    _DECAY,
    _MOMENTUM,
    _RATIO,
    _ZSCORE,
    _decay_last,
    _signal_driver,
    _signal_last,
)

__all__ = [
    "decayed_sum",
    "decayed_sum_state",
    "decayed_sum_update",
    "momentum",
    "momentum_update",
    "ratio_to_baseline",
    "ratio_to_baseline_update",
    "rolling_zscore",
    "rolling_zscore_update",
]


def _decay_factor(half_life: float) -> float:
    h = check_float(half_life, "half_life", 0.0, np.inf, low_open=True)
    return float(0.5 ** (1.0 / h))


def _prepare(data: object, indptr: object) -> tuple[np.ndarray, np.ndarray]:
    x = as_data(data)
    return x, as_indptr(indptr, x.size)


def _transform(
    x: np.ndarray, y: np.ndarray, indptr: np.ndarray, op: int, i1: int, i2: int, f: float
) -> np.ndarray:
    out = np.empty_like(x)
    ints = np.array([i1, i2, 0], dtype=np.int64)
    with threads_for(x.size):
        _signal_driver(x, y, out, indptr, chunk_bounds(indptr), op, ints, f)
    return out


def _last(
    x: np.ndarray, y: np.ndarray, indptr: np.ndarray, op: int, params: tuple[int, int, float], tail: int
) -> np.ndarray:
    out = np.empty(indptr.size - 1, dtype=x.dtype)
    ints = np.array([params[0], params[1], tail], dtype=np.int64)
    _signal_last(x, y, indptr, out, op, ints, params[2])
    return out


def decayed_sum(data: np.ndarray, indptr: np.ndarray, half_life: float) -> np.ndarray:
    """Adstock within each series: ``s_t = x_t + 0.5 ** (1 / half_life) * s_{t-1}``.

    A value's contribution halves every ``half_life`` periods. NaN values add nothing (the stock
    keeps decaying); positions before a series' first non-NaN value are NaN.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat signal values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    half_life : float
        Half-life in periods (``> 0``).

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``half_life <= 0`` or the arrays are not grouped arrays.
    """
    d = _decay_factor(half_life)
    x, ip = _prepare(data, indptr)
    return _transform(x, x, ip, _DECAY, 0, 0, d)


def decayed_sum_state(data: np.ndarray, indptr: np.ndarray, half_life: float) -> np.ndarray:
    """State of :func:`decayed_sum` after each series' last value, for :func:`decayed_sum_update`.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat signal values of all series.
    indptr : ndarray of int64
        Series boundaries.
    half_life : float
        Half-life in periods (``> 0``).

    Returns
    -------
    ndarray of float64, shape (n_series, 1)
        The decayed sum at each series' last position (NaN if it has no value yet).
    """
    d = _decay_factor(half_life)
    x, ip = _prepare(data, indptr)
    out = np.empty(ip.size - 1, dtype=np.float64)
    _decay_last(x, ip, out, d, np.empty((ip.size - 1, 1)), False)
    return out.reshape(-1, 1)


def decayed_sum_update(
    data: np.ndarray, indptr: np.ndarray, half_life: float, state: np.ndarray | None = None
) -> np.ndarray:
    """The value of :func:`decayed_sum` at the last position of each series.

    Without ``state`` the whole series is read (exact, O(length)); with ``state`` only the newest
    value of each series is read (O(1) per series) and ``state`` is advanced past it in place.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat signal values of all series, the newest value of each series last.
    indptr : ndarray of int64
        Series boundaries.
    half_life : float
        Half-life in periods (``> 0``).
    state : ndarray of float64, shape (n_series, 1), default None
        The state after all but the newest value of each series, from :func:`decayed_sum_state`
        or the previous call of this function. Modified in place.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.
    """
    d = _decay_factor(half_life)
    x, ip = _prepare(data, indptr)
    n = ip.size - 1
    out = np.empty(n, dtype=np.float64)
    if state is None:
        _decay_last(x, ip, out, d, np.empty((n, 1)), False)
    else:
        _decay_last(x, ip, out, d, check_state(state, n, 1, "decayed_sum"), True)
    return out.astype(x.dtype, copy=False)


def _momentum_params(short: int, long: int) -> tuple[int, int, float]:
    return check_int(short, "short", 1), check_int(long, "long", 1), 0.0


def momentum(data: np.ndarray, indptr: np.ndarray, short: int, long: int) -> np.ndarray:
    """Ratio of the rolling mean over ``short`` periods to the rolling mean over ``long`` periods.

    Each mean needs its full window of non-NaN values (pandas ``rolling(w).mean()``); the ratio is
    NaN where the long mean is 0. Values above 1 mean the signal is rising.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat signal values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    short : int
        Short window in periods (``>= 1``).
    long : int
        Long window in periods (``>= 1``).

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If a window is below 1 or the arrays are not grouped arrays.
    """
    p = _momentum_params(short, long)
    x, ip = _prepare(data, indptr)
    return _transform(x, x, ip, _MOMENTUM, *p)


def momentum_update(data: np.ndarray, indptr: np.ndarray, short: int, long: int) -> np.ndarray:
    """The value of :func:`momentum` at the last position of each series, in O(max(short, long)).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat signal values of all series.
    indptr : ndarray of int64
        Series boundaries.
    short : int
        Short window in periods (``>= 1``).
    long : int
        Long window in periods (``>= 1``).

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.
    """
    p = _momentum_params(short, long)
    x, ip = _prepare(data, indptr)
    return _last(x, x, ip, _MOMENTUM, p, max(p[0], p[1]))


def _zscore_params(window: int, min_periods: int | None) -> tuple[int, int, float]:
    w = check_int(window, "window", 2)
    return w, check_min_periods(min_periods, w), 0.0


def rolling_zscore(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None
) -> np.ndarray:
    """Spike score ``(x_t - mean) / std`` against the ``window`` values before ``t``.

    The baseline is positions ``t - window .. t - 1`` (``t`` itself excluded), its non-NaN values
    counted by ``min_periods``; std is the sample std (ddof=1). NaN where ``x_t`` is NaN or the
    baseline has fewer than ``max(min_periods, 2)`` values. If all baseline values are equal the
    result is 0 when ``x_t`` equals them and NaN otherwise.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat signal values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Baseline length in periods (``>= 2``).
    min_periods : int or None, default None
        Non-NaN baseline values needed; None means ``window``.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 2``, ``min_periods`` is outside ``[0, window]`` or the arrays are not
        grouped arrays.
    """
    p = _zscore_params(window, min_periods)
    x, ip = _prepare(data, indptr)
    return _transform(x, x, ip, _ZSCORE, *p)


def rolling_zscore_update(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None
) -> np.ndarray:
    """The value of :func:`rolling_zscore` at the last position of each series, in O(window).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat signal values of all series.
    indptr : ndarray of int64
        Series boundaries.
    window : int
        Baseline length in periods (``>= 2``).
    min_periods : int or None, default None
        Non-NaN baseline values needed; None means ``window``.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.
    """
    p = _zscore_params(window, min_periods)
    x, ip = _prepare(data, indptr)
    return _last(x, x, ip, _ZSCORE, p, p[0] + 1)


def _ratio_inputs(num: object, den: object, indptr: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = as_data(num, "num")
    y = as_data(den, "den")
    if x.size != y.size:
        raise ConfigError(f"num and den must have the same length; found {x.size} and {y.size}")
    if x.dtype != y.dtype:
        y = y.astype(np.result_type(x.dtype, y.dtype))
        x = x.astype(y.dtype)
    return x, y, as_indptr(indptr, x.size)


def ratio_to_baseline(num: np.ndarray, den: np.ndarray, indptr: np.ndarray, window: int) -> np.ndarray:
    """Rolling sum of ``num`` divided by the rolling sum of ``den`` over the same ``window``.

    E.g. signal-to-sales conversion: ``ratio_to_baseline(sales, searches, indptr, 28)``. Each sum
    needs ``window`` non-NaN values; NaN where the sum of ``den`` is 0.

    Parameters
    ----------
    num : ndarray of float32 or float64
        Flat numerator values, aligned with ``den``.
    den : ndarray of float32 or float64
        Flat denominator values, same length as ``num``.
    indptr : ndarray of int64
        Series boundaries shared by ``num`` and ``den``.
    window : int
        Window length in periods (``>= 1``).

    Returns
    -------
    ndarray
        Same length as ``num``; dtype of ``num`` (float64 if the two dtypes differ).

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``num`` and ``den`` differ in length, or the arrays are not grouped arrays.
    """
    w = check_int(window, "window", 1)
    x, y, ip = _ratio_inputs(num, den, indptr)
    return _transform(x, y, ip, _RATIO, w, 0, 0.0)


def ratio_to_baseline_update(num: np.ndarray, den: np.ndarray, indptr: np.ndarray, window: int) -> np.ndarray:
    """The value of :func:`ratio_to_baseline` at the last position of each series, in O(window).

    Parameters
    ----------
    num : ndarray of float32 or float64
        Flat numerator values, aligned with ``den``.
    den : ndarray of float32 or float64
        Flat denominator values, same length as ``num``.
    indptr : ndarray of int64
        Series boundaries shared by ``num`` and ``den``.
    window : int
        Window length in periods (``>= 1``).

    Returns
    -------
    ndarray
        One value per series (NaN for empty series).
    """
    w = check_int(window, "window", 1)
    x, y, ip = _ratio_inputs(num, den, indptr)
    return _last(x, y, ip, _RATIO, (w, 0, 0.0), w)
