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

Sums are accumulated in float64 with compensated (TwoSum) running sums; the z-score's sums of
squares are re-anchored and recomputed every ``window`` steps so they cannot drift.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from pullcast.errors import ConfigError
from pullcast.kernels._common import (
    as_data,
    as_indptr,
    check_float,
    check_int,
    check_min_periods,
    check_state,
    chunk_bounds,
)
from pullcast.kernels._jit import jit, jit_parallel

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

_DECAY = 0
_MOMENTUM = 1
_ZSCORE = 2
_RATIO = 3


@jit
def _kadd(s: float, e: float, v: float) -> tuple[float, float]:
    """TwoSum step: ``s + v`` with its rounding error added to the compensation ``e``."""
    t = s + v
    bp = t - s
    return t, e + ((s - (t - bp)) + (v - bp))


@jit
def _decay(x: np.ndarray, out: np.ndarray, d: float) -> None:
    s = np.nan
    for t in range(x.size):
        v = np.float64(x[t])
        if s == s:
            s = s * d + (v if v == v else 0.0)
        elif v == v:
            s = v
        out[t] = s


@jit
def _window_mean(s: float, c: int, w: int) -> float:
    return s / c if c >= w else np.nan


@jit
def _momentum(x: np.ndarray, out: np.ndarray, short: int, long: int) -> None:
    s1 = 0.0
    e1 = 0.0
    c1 = 0
    s2 = 0.0
    e2 = 0.0
    c2 = 0
    for t in range(x.size):
        v = np.float64(x[t])
        if v == v:
            s1, e1 = _kadd(s1, e1, v)
            s2, e2 = _kadd(s2, e2, v)
            c1 += 1
            c2 += 1
        if t >= short:
            u = np.float64(x[t - short])
            if u == u:
                s1, e1 = _kadd(s1, e1, -u)
                c1 -= 1
        if t >= long:
            u = np.float64(x[t - long])
            if u == u:
                s2, e2 = _kadd(s2, e2, -u)
                c2 -= 1
        if c1 == 0:
            s1 = 0.0
            e1 = 0.0
        if c2 == 0:
            s2 = 0.0
            e2 = 0.0
        den = _window_mean(s2 + e2, c2, long)
        out[t] = _window_mean(s1 + e1, c1, short) / den if den != 0.0 else np.nan


@jit
def _moments(x: np.ndarray, lo: int, hi: int, k: float) -> tuple[float, float, int]:
    """Sums of ``v - k`` and ``(v - k) ** 2`` over the non-NaN values of ``x[lo:hi]``, and their count.

    Takes index bounds rather than a slice: building a view inside a hot loop costs more than the loop.
    """
    s1 = 0.0
    s2 = 0.0
    c = 0
    for r in range(hi - lo):
        v = np.float64(x[lo + r])
        if v == v:
            y = v - k
            s1 += y
            s2 += y * y
            c += 1
    return s1, s2, c


@jit
def _zscore(x: np.ndarray, out: np.ndarray, w: int, minp: int) -> None:
    """z-score against the previous ``w`` values; sums of values shifted by an anchor ``k`` that is
    reset to the newest value every ``w`` steps (sums recomputed), so rounding depends on the
    spread of the window only."""
    n = x.size
    k = 0.0
    s1 = 0.0
    s2 = 0.0
    c = 0
    run = 0
    prev = np.nan
    since = 0
    for t in range(n):
        v = np.float64(x[t])
        # z-score of x_t against the window t - w .. t - 1 (the state before adding x_t)
        if v != v or c < minp or c < 2:
            out[t] = np.nan
        elif run >= c:
            out[t] = 0.0 if v == prev else np.nan
        else:
            m1 = s1 / c
            var = (s2 - s1 * m1) / (c - 1)
            out[t] = (v - k - m1) / np.sqrt(var) if var > 0.0 else np.nan
        if v == v:
            if c == 0:
                k = v
            y = v - k
            s1 += y
            s2 += y * y
            c += 1
            run = run + 1 if v == prev else 1
            prev = v
        if t >= w:
            u = np.float64(x[t - w])
            if u == u:
                z = u - k
                s1 -= z
                s2 -= z * z
                c -= 1
        if c == 0:
            s1 = 0.0
            s2 = 0.0
        since += 1
        if since >= w and c > 0:
            since = 0
            k = prev
            s1, s2, c = _moments(x, max(0, t + 1 - w), t + 1, k)


@jit
def _ratio(x: np.ndarray, y: np.ndarray, out: np.ndarray, w: int) -> None:
    s1 = 0.0
    e1 = 0.0
    c1 = 0
    s2 = 0.0
    e2 = 0.0
    c2 = 0
    for t in range(x.size):
        v = np.float64(x[t])
        if v == v:
            s1, e1 = _kadd(s1, e1, v)
            c1 += 1
        v = np.float64(y[t])
        if v == v:
            s2, e2 = _kadd(s2, e2, v)
            c2 += 1
        if t >= w:
            u = np.float64(x[t - w])
            if u == u:
                s1, e1 = _kadd(s1, e1, -u)
                c1 -= 1
            u = np.float64(y[t - w])
            if u == u:
                s2, e2 = _kadd(s2, e2, -u)
                c2 -= 1
        if c1 == 0:
            s1 = 0.0
            e1 = 0.0
        if c2 == 0:
            s2 = 0.0
            e2 = 0.0
        den = s2 + e2
        out[t] = (s1 + e1) / den if c1 >= w and c2 >= w and den != 0.0 else np.nan


@jit
def _signal_one(x: np.ndarray, y: np.ndarray, out: np.ndarray, op: int, i1: int, i2: int, f: float) -> None:
    if op == _DECAY:
        _decay(x, out, f)
    elif op == _MOMENTUM:
        _momentum(x, out, i1, i2)
    elif op == _ZSCORE:
        _zscore(x, out, i1, i2)
    else:
        _ratio(x, y, out, i1)


@jit_parallel
def _signal_driver(
    x: np.ndarray,
    y: np.ndarray,
    out: np.ndarray,
    indptr: np.ndarray,
    bounds: np.ndarray,
    op: int,
    i1: int,
    i2: int,
    f: float,
) -> None:
    for c in prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            _signal_one(x[a:b], y[a:b], out[a:b], op, i1, i2, f)


@jit
def _signal_last(
    x: np.ndarray,
    y: np.ndarray,
    indptr: np.ndarray,
    out: np.ndarray,
    op: int,
    i1: int,
    i2: int,
    f: float,
    tail: int,
) -> None:
    """Run the kernel over the last ``tail`` values of each series only and keep its last value."""
    buf = np.empty(tail, dtype=np.float64)
    for i in range(indptr.size - 1):
        b = indptr[i + 1]
        a = max(indptr[i], b - tail)
        if b == a:
            out[i] = np.nan
            continue
        _signal_one(x[a:b], y[a:b], buf[: b - a], op, i1, i2, f)
        out[i] = buf[b - a - 1]


@jit
def _decay_last(
    x: np.ndarray, indptr: np.ndarray, out: np.ndarray, d: float, state: np.ndarray, use_state: bool
) -> None:
    for i in range(indptr.size - 1):
        a = indptr[i]
        b = indptr[i + 1]
        if b == a:
            out[i] = np.nan
            continue
        s = state[i, 0] if use_state else np.nan
        for t in range(b - 1 if use_state else a, b):
            v = np.float64(x[t])
            if s == s:
                s = s * d + (v if v == v else 0.0)
            elif v == v:
                s = v
        out[i] = s
        if use_state:
            state[i, 0] = s


def _decay_factor(half_life: float) -> float:
    h = check_float(half_life, "half_life", 0.0, np.inf, low_open=True)
    return float(0.5 ** (1.0 / h))


def _prepare(data: object, indptr: object) -> tuple[np.ndarray, np.ndarray]:
    x = as_data(data)
    return x, as_indptr(indptr, x.size)


def _transform(
    x: np.ndarray, y: np.ndarray, ip: np.ndarray, op: int, i1: int, i2: int, f: float
) -> np.ndarray:
    out = np.empty_like(x)
    _signal_driver(x, y, out, ip, chunk_bounds(ip), op, i1, i2, f)
    return out


def _last(
    x: np.ndarray, y: np.ndarray, ip: np.ndarray, op: int, params: tuple[int, int, float], tail: int
) -> np.ndarray:
    out = np.empty(ip.size - 1, dtype=x.dtype)
    _signal_last(x, y, ip, out, op, params[0], params[1], params[2], tail)
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
