"""Rolling sums, means and standard deviations within each series, and the seasonal rolling mean.

Semantics are pandas' ``groupby(series).rolling(window, min_periods)``: the window at position ``t``
holds positions ``t - window + 1 .. t`` of the same series, NaN values are skipped and
``min_periods`` (default ``window``) counts the non-NaN values needed for a result. Numerics are
described in :mod:`pullcast.kernels._rolling_impl`.
"""

from __future__ import annotations

import numpy as np

from pullcast.kernels._common import (
    as_data,
    as_indptr,
    check_int,
    check_min_periods,
    chunk_bounds,
    threads_for,
)
from pullcast.kernels._rolling_impl import (
    _MAX_SCRATCH,
    _MEAN,
    _SEASONAL,
    _STD,
    _SUM,
    _rolling_last,
    _seasonal_driver,
    _std_driver,
    _sum_driver,
)

__all__ = [
    "rolling_mean",
    "rolling_mean_update",
    "rolling_std",
    "rolling_std_update",
    "rolling_sum",
    "rolling_sum_update",
    "seasonal_rolling_mean",
    "seasonal_rolling_mean_update",
]


def _params(window: int, min_periods: int | None, season: int, lag: int) -> np.ndarray:
    w = check_int(window, "window", 1)
    minp = check_min_periods(min_periods, w)
    s = check_int(season, "season", 1)
    k = check_int(lag, "lag", 0)
    return np.array([w, minp, s, k], dtype=np.int64)


def _transform(data: object, indptr: object, params: np.ndarray, op: int) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    out = np.empty_like(x)
    longest = int(np.diff(ip).max()) if ip.size > 1 else 0
    # scratch for the vectorised differences of the rolling sum, per chunk (bounded: 512 KB)
    scratch = min(longest, _MAX_SCRATCH) if op == _SUM or op == _MEAN else 0
    full = np.append(params, scratch)
    with threads_for(x.size):
        bounds = chunk_bounds(ip)
        if op == _SUM or op == _MEAN:
            _sum_driver(x, out, ip, bounds, full, op, x.dtype == np.float64)
        elif op == _STD:
            _std_driver(x, out, ip, bounds, full)
        else:
            _seasonal_driver(x, out, ip, bounds, full)
    return out


def _last(data: object, indptr: object, params: np.ndarray, op: int) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    out = np.empty(ip.size - 1, dtype=x.dtype)
    _rolling_last(x, ip, out, params, op)
    return out


def rolling_sum(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """Rolling sum within each series (pandas ``rolling(window, min_periods).sum()``).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods (``lag(data, indptr, lag)`` first), in one pass.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``; NaN where fewer than ``min_periods`` values are present
        (with ``min_periods=0`` an all-NaN window sums to 0, as in pandas).

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _transform(data, indptr, _params(window, min_periods, 1, lag), _SUM)


def rolling_mean(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """Rolling mean within each series (pandas ``rolling(window, min_periods).mean()``).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods (``lag(data, indptr, lag)`` first), in one pass.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``; NaN where fewer than ``min_periods`` values are present.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _transform(data, indptr, _params(window, min_periods, 1, lag), _MEAN)


def rolling_std(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """Rolling sample std (ddof=1) within each series (pandas ``rolling(window, min_periods).std()``).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods (``lag(data, indptr, lag)`` first), in one pass.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``; NaN with fewer than ``max(min_periods, 2)`` values,
        exactly 0 when all values of the window are equal.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _transform(data, indptr, _params(window, min_periods, 1, lag), _STD)


def seasonal_rolling_mean(
    data: np.ndarray,
    indptr: np.ndarray,
    season: int,
    window: int,
    min_periods: int | None = None,
    *,
    lag: int = 0,
) -> np.ndarray:
    """Mean of ``x[t], x[t - season], ..., x[t - (window - 1) * season]`` within each series.

    Equivalent to a pandas rolling mean over each residue class ``position % season`` of a series.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    season : int
        Season length in periods (``>= 1``; 1 gives :func:`rolling_mean`).
    window : int
        Number of seasonal terms (``>= 1``).
    min_periods : int or None, default None
        Non-NaN terms needed for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods, in one pass.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``season < 1``, ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0``
        or the arrays are not grouped arrays.
    """
    return _transform(data, indptr, _params(window, min_periods, season, lag), _SEASONAL)


def rolling_sum_update(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """The value of :func:`rolling_sum` at the last position of each series, from its last window only.

    O(window) per series; equals ``rolling_sum(...)`` at each series' last position.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods (``lag(data, indptr, lag)`` first), in one pass.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _last(data, indptr, _params(window, min_periods, 1, lag), _SUM)


def rolling_mean_update(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """The value of :func:`rolling_mean` at the last position of each series, from its last window only.

    O(window) per series; equals ``rolling_mean(...)`` at each series' last position.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods (``lag(data, indptr, lag)`` first), in one pass.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _last(data, indptr, _params(window, min_periods, 1, lag), _MEAN)


def rolling_std_update(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """The value of :func:`rolling_std` at the last position of each series, from its last window only.

    O(window) per series; equals ``rolling_std(...)`` at each series' last position.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods (``lag(data, indptr, lag)`` first), in one pass.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _last(data, indptr, _params(window, min_periods, 1, lag), _STD)


def seasonal_rolling_mean_update(
    data: np.ndarray,
    indptr: np.ndarray,
    season: int,
    window: int,
    min_periods: int | None = None,
    *,
    lag: int = 0,
) -> np.ndarray:
    """The value of :func:`seasonal_rolling_mean` at the last position of each series.

    O(window) per series: reads only the ``window`` seasonal terms of the last position.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries.
    season : int
        Season length in periods (``>= 1``).
    window : int
        Number of seasonal terms (``>= 1``).
    min_periods : int or None, default None
        Non-NaN terms needed for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.
    """
    return _last(data, indptr, _params(window, min_periods, season, lag), _SEASONAL)
