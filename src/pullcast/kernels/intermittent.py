"""Intermittent-demand kernels: Croston (and SBA), TSB and ADIDA over grouped arrays ``(data, indptr)``.

Each method has one per-series kernel and one parallel driver. NaN values (missing or censored
periods) are skipped: a method sees the series' non-NaN values in order, as if the NaN periods were
absent (so inter-demand intervals count observed periods only). Kernels never raise on data: an empty
or all-NaN series gives a NaN forecast.

Definitions follow the statsforecast implementations (Nixtla, ``statsforecast.models``), which the
tests compare against when statsforecast is installed:

- Croston (1972): simple exponential smoothing (SES) of the non-zero demand sizes and of the
  inter-demand intervals (the first interval counts the periods up to and including the first
  demand), each level initialised at its first value; forecast = size level / interval level, times
  ``factor`` (SBA, Syntetos and Boylan 2005: ``factor = 1 - alpha / 2``). A series with no demand
  forecasts 0.
- TSB (Teunter, Syntetos and Babai 2011): SES of the demand sizes (``alpha_d``) and of the demand
  occurrence indicator in every period (``alpha_p``, initialised at the first period's indicator);
  forecast = probability level x size level.
- ADIDA (Nikolopoulos et al. 2011): aggregation level = mean inter-demand interval rounded half to
  even; the oldest ``n % level`` values are dropped, the rest summed in buckets of ``level``; SES with
  the smoothing weight minimising the in-sample squared error over [0.1, 0.3] (golden-section search)
  forecasts the next bucket, divided by ``level``.

In-sample one-step-ahead forecasts (``fitted``) are aligned with ``data``: ``fitted[t]`` uses only the
values before ``t``; NaN where undefined (the first value; for ADIDA the dropped values and the first
bucket, and NaN periods).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from pullcast.errors import ConfigError
from pullcast.kernels._jit import jit, jit_parallel

__all__ = ["adida", "croston", "tsb"]

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
ADIDA_BOUNDS = (0.1, 0.3)


# ---------------------------------------------------------------------------------------- Croston / SBA
@jit
def _croston_series(y: np.ndarray, alpha: float, factor: float, fitted: np.ndarray) -> float:
    level = 0.0  # smoothed demand size
    interval = 0.0  # smoothed inter-demand interval
    n_demands = 0
    j = 0  # index among non-NaN values
    last = -1  # index (among non-NaN values) of the last demand
    for t in range(y.size):
        if j == 0:
            fitted[t] = np.nan
        elif n_demands == 0:
            fitted[t] = 0.0
        else:
            fitted[t] = factor * level / interval
        x = y[t]
        if np.isnan(x):
            continue
        if x > 0:
            if n_demands == 0:
                level = x
                interval = j + 1.0
            else:
                level = alpha * x + (1.0 - alpha) * level
                interval = alpha * (j - last) + (1.0 - alpha) * interval
            n_demands += 1
            last = j
        j += 1
    if j == 0:
        return np.nan
    if n_demands == 0:
        return 0.0
    return factor * level / interval


@jit_parallel
def _croston_driver(
    data: np.ndarray, indptr: np.ndarray, alpha: float, factor: float, out: np.ndarray, fitted: np.ndarray
) -> None:
    for i in numba.prange(indptr.size - 1):
        s, e = indptr[i], indptr[i + 1]
        out[i] = _croston_series(data[s:e], alpha, factor, fitted[s:e])


# ---------------------------------------------------------------------------------------- TSB
@jit
def _tsb_series(y: np.ndarray, alpha_d: float, alpha_p: float, fitted: np.ndarray) -> float:
    level = 0.0  # smoothed demand size
    prob = 0.0  # smoothed demand probability
    n_demands = 0
    j = 0
    for t in range(y.size):
        if j == 0:
            fitted[t] = np.nan
        elif n_demands == 0:
            fitted[t] = 0.0
        else:
            fitted[t] = prob * level
        x = y[t]
        if np.isnan(x):
            continue
        hit = 1.0 if x != 0 else 0.0
        prob = hit if j == 0 else alpha_p * hit + (1.0 - alpha_p) * prob
        if x > 0:
            level = x if n_demands == 0 else alpha_d * x + (1.0 - alpha_d) * level
            n_demands += 1
        j += 1
    if j == 0:
        return np.nan
    if n_demands == 0:
        return 0.0
    return prob * level


@jit_parallel
def _tsb_driver(
    data: np.ndarray, indptr: np.ndarray, alpha_d: float, alpha_p: float, out: np.ndarray, fitted: np.ndarray
) -> None:
    for i in numba.prange(indptr.size - 1):
        s, e = indptr[i], indptr[i + 1]
        out[i] = _tsb_series(data[s:e], alpha_d, alpha_p, fitted[s:e])


# ---------------------------------------------------------------------------------------- ADIDA
@jit
def _ses_sse(x: np.ndarray, n: int, alpha: float) -> float:
    forecast = x[0]
    sse = 0.0
    for i in range(1, n):
        forecast = alpha * x[i - 1] + (1.0 - alpha) * forecast
        sse += (x[i] - forecast) ** 2
    return sse


@jit
def _golden_alpha(x: np.ndarray, n: int, lo: float, hi: float) -> float:
    """The smoothing weight in [lo, hi] minimising the SES squared error (golden-section search)."""
    a, b = lo, hi
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc = _ses_sse(x, n, c)
    fd = _ses_sse(x, n, d)
    for _ in range(200):
        if b - a < 1e-10:
            break
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - _GOLDEN * (b - a)
            fc = _ses_sse(x, n, c)
        else:
            a, c, fc = c, d, fd
            d = a + _GOLDEN * (b - a)
            fd = _ses_sse(x, n, d)
    return 0.5 * (a + b)


@jit
def _adida_series(y: np.ndarray, fitted: np.ndarray, buckets: np.ndarray) -> float:
    """``buckets`` is scratch space of at least ``y.size`` values."""
    for t in range(y.size):
        fitted[t] = np.nan
    n_obs = 0
    n_demands = 0
    last = -1
    for t in range(y.size):
        x = y[t]
        if np.isnan(x):
            continue
        if x != 0:
            n_demands += 1
            last = n_obs
        n_obs += 1
    if n_obs == 0:
        return np.nan
    if n_demands == 0:
        j = 0
        for t in range(y.size):
            if not np.isnan(y[t]):
                if j > 0:
                    fitted[t] = 0.0
                j += 1
        return 0.0
    size = int(np.rint((last + 1.0) / n_demands))  # mean interval, rounded half to even
    size = max(size, 1)
    cut = n_obs % size
    n_buckets = (n_obs - cut) // size
    for b in range(n_buckets):
        buckets[b] = 0.0
    j = 0
    for t in range(y.size):
        x = y[t]
        if np.isnan(x):
            continue
        if j >= cut:
            buckets[(j - cut) // size] += x
        j += 1
    alpha = _golden_alpha(buckets, n_buckets, ADIDA_BOUNDS[0], ADIDA_BOUNDS[1])
    # one-step SES forecasts per bucket: level before bucket b (b >= 1) spread over its periods
    level = buckets[0]
    j = 0
    for t in range(y.size):
        x = y[t]
        if np.isnan(x):
            continue
        if j >= cut:
            b = (j - cut) // size
            if b >= 1:
                if (j - cut) % size == 0 and b >= 2:
                    level = alpha * buckets[b - 1] + (1.0 - alpha) * level
                fitted[t] = level / size
        j += 1
    forecast = buckets[0]
    for b in range(1, n_buckets + 1):
        forecast = alpha * buckets[b - 1] + (1.0 - alpha) * forecast
    return forecast / size


@jit_parallel
def _adida_driver(
    data: np.ndarray, indptr: np.ndarray, out: np.ndarray, fitted: np.ndarray, scratch: np.ndarray
) -> None:
    for i in numba.prange(indptr.size - 1):
        s, e = indptr[i], indptr[i + 1]
        out[i] = _adida_series(data[s:e], fitted[s:e], scratch[s:e])


# ---------------------------------------------------------------------------------------- wrappers
def _prepare(data: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    y = np.ascontiguousarray(data, dtype=np.float64)
    ptr = np.ascontiguousarray(indptr, dtype=np.int64)
    if y.ndim != 1 or ptr.ndim != 1 or ptr.size < 1:
        raise ConfigError("data and indptr must be 1-D arrays, indptr with at least one element")
    if ptr[0] != 0 or ptr[-1] != y.size or (np.diff(ptr) < 0).any():
        raise ConfigError(
            f"indptr must start at 0, never decrease and end at len(data)={y.size}; "
            f"found start {ptr[0]}, end {ptr[-1]}"
        )
    return y, ptr, np.empty(ptr.size - 1), np.empty(y.size)


def _check_weight(name: str, value: float) -> float:
    if not 0.0 < float(value) <= 1.0:
        raise ConfigError(f"{name} must be in (0, 1], got {value!r}")
    return float(value)


def croston(
    data: np.ndarray, indptr: np.ndarray, alpha: float = 0.1, factor: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Croston's method (``factor=1``) or SBA (``factor=1 - alpha/2``) for every series.

    Parameters
    ----------
    data : ndarray
        Flat values of all series (NaN = missing, skipped).
    indptr : ndarray of int64
        Series boundaries, length ``n_series + 1``.
    alpha : float, default 0.1
        Smoothing weight of both the demand sizes and the intervals.
    factor : float, default 1.0
        Multiplier of the forecast (0.95 for SBA with alpha 0.1).

    Returns
    -------
    forecast : ndarray of float64, shape (n_series,)
        The flat per-period forecast of each series.
    fitted : ndarray of float64, shape (len(data),)
        In-sample one-step-ahead forecasts.
    """
    y, ptr, out, fitted = _prepare(data, indptr)
    _croston_driver(y, ptr, _check_weight("alpha", alpha), float(factor), out, fitted)
    return out, fitted


def tsb(
    data: np.ndarray, indptr: np.ndarray, alpha_d: float = 0.1, alpha_p: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Teunter-Syntetos-Babai forecasts for every series (arguments and returns as :func:`croston`).

    Parameters
    ----------
    data, indptr : ndarray
        Grouped values and boundaries.
    alpha_d : float, default 0.1
        Smoothing weight of the demand sizes.
    alpha_p : float, default 0.1
        Smoothing weight of the demand probability.
    """
    y, ptr, out, fitted = _prepare(data, indptr)
    _tsb_driver(y, ptr, _check_weight("alpha_d", alpha_d), _check_weight("alpha_p", alpha_p), out, fitted)
    return out, fitted


def adida(data: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ADIDA forecasts for every series (arguments and returns as :func:`croston`).

    ``fitted`` holds, for each period of an aggregated bucket after the first, the SES forecast of
    that bucket made from the earlier buckets, divided by the aggregation level (the level and the
    smoothing weight are chosen on the whole series).
    """
    y, ptr, out, fitted = _prepare(data, indptr)
    _adida_driver(y, ptr, out, fitted, np.empty(y.size))
    return out, fitted
