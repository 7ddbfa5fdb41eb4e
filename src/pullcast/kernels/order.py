"""Rolling order statistics within each series: minimum, maximum and quantile.

Semantics are pandas' ``groupby(series).rolling(window, min_periods)``: NaN values are skipped and
``min_periods`` (default ``window``) counts the non-NaN values needed for a result. The minimum and
maximum use a monotone deque (O(1) amortised per step); the quantile keeps the window's values in a
sorted buffer (O(window) per step) and interpolates linearly like pandas ``rolling(...).quantile(q)``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from pullcast.kernels._common import (
    as_data,
    as_indptr,
    check_float,
    check_int,
    check_min_periods,
    chunk_bounds,
    threads_for,
)
from pullcast.kernels._jit import jit, jit_parallel

__all__ = [
    "rolling_max",
    "rolling_max_update",
    "rolling_min",
    "rolling_min_update",
    "rolling_quantile",
    "rolling_quantile_update",
]

_MIN = 0
_MAX = 1
_QUANTILE = 2


@jit
def _extreme(x: np.ndarray, out: np.ndarray, w: int, minp: int, is_max: bool, deque: np.ndarray) -> None:
    """Rolling min (or max) with a monotone deque of positions held in a ring buffer of size w + 1."""
    size = deque.size
    head = 0
    count = 0  # entries in the deque
    c = 0  # non-NaN values in the window
    for t in range(x.size):
        if t >= w:
            if x[t - w] == x[t - w]:
                c -= 1
            if count > 0 and deque[head] == t - w:
                head = head + 1 if head + 1 < size else 0
                count -= 1
        v = x[t]
        if v == v:
            c += 1
            while count > 0:
                last = head + count - 1
                if last >= size:
                    last -= size
                u = x[deque[last]]
                if (u <= v) if is_max else (u >= v):
                    count -= 1
                else:
                    break
            pos = head + count
            if pos >= size:
                pos -= size
            deque[pos] = t
            count += 1
        if c >= minp and c > 0:
            out[t] = x[deque[head]]
        else:
            out[t] = np.nan


@jit
def _quantile_of_sorted(buf: np.ndarray, c: int, q: float) -> float:
    """pandas' linear interpolation between the order statistics of ``buf[:c]``."""
    h = q * (c - 1)
    lo = int(h)
    if h == lo:
        return buf[lo]
    vlow = buf[lo]
    return vlow + (buf[lo + 1] - vlow) * (h - lo)


@jit
def _quantile(x: np.ndarray, out: np.ndarray, w: int, minp: int, q: float, buf: np.ndarray) -> None:
    """Rolling quantile over a sorted buffer of the window's non-NaN values."""
    c = 0
    for t in range(x.size):
        if t >= w:
            u = np.float64(x[t - w])
            if u == u:
                # remove one copy of u (binary search for its leftmost position)
                lo = 0
                hi = c
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if buf[mid] < u:
                        lo = mid + 1
                    else:
                        hi = mid
                for j in range(lo, c - 1):
                    buf[j] = buf[j + 1]
                c -= 1
        v = np.float64(x[t])
        if v == v:
            lo = 0
            hi = c
            while lo < hi:
                mid = (lo + hi) >> 1
                if buf[mid] <= v:
                    lo = mid + 1
                else:
                    hi = mid
            for j in range(c, lo, -1):
                buf[j] = buf[j - 1]
            buf[lo] = v
            c += 1
        if c >= minp and c > 0:
            out[t] = _quantile_of_sorted(buf, c, q)
        else:
            out[t] = np.nan


@jit_parallel
def _order_driver(
    x: np.ndarray,
    out: np.ndarray,
    indptr: np.ndarray,
    bounds: np.ndarray,
    params: np.ndarray,
    q: float,
    op: int,
) -> None:
    w = params[0]
    minp = params[1]
    shift = params[2]
    for c in prange(bounds.size - 1):
        deque = np.empty(w + 1, dtype=np.int64)
        buf = np.empty(w + 1, dtype=np.float64)
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            m = min(shift, b - a)
            for t in range(a, a + m):
                out[t] = np.nan
            if op == _QUANTILE:
                _quantile(x[a : b - m], out[a + m : b], w, minp, q, buf)
            else:
                _extreme(x[a : b - m], out[a + m : b], w, minp, op == _MAX, deque)


@jit
def _order_last(
    x: np.ndarray, indptr: np.ndarray, out: np.ndarray, params: np.ndarray, q: float, op: int
) -> None:
    w = params[0]
    minp = params[1]
    shift = params[2]
    buf = np.empty(w, dtype=np.float64)
    for i in range(indptr.size - 1):
        a = indptr[i]
        end = indptr[i + 1] - shift
        c = 0
        for t in range(max(a, end - w), max(a, end)):
            v = np.float64(x[t])
            if v == v:
                buf[c] = v
                c += 1
        if c < minp or c == 0:
            out[i] = np.nan
        elif op == _MIN:
            out[i] = buf[:c].min()
        elif op == _MAX:
            out[i] = buf[:c].max()
        else:
            srt = np.sort(buf[:c])
            out[i] = _quantile_of_sorted(srt, c, q)


def _params(window: int, min_periods: int | None, lag: int) -> np.ndarray:
    w = check_int(window, "window", 1)
    minp = check_min_periods(min_periods, w)
    k = check_int(lag, "lag", 0)
    return np.array([w, minp, k], dtype=np.int64)


def _transform(data: object, indptr: object, params: np.ndarray, q: float, op: int) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    out = np.empty_like(x)
    with threads_for(x.size):
        _order_driver(x, out, ip, chunk_bounds(ip), params, q, op)
    return out


def _last(data: object, indptr: object, params: np.ndarray, q: float, op: int) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    out = np.empty(ip.size - 1, dtype=x.dtype)
    _order_last(x, ip, out, params, q, op)
    return out


def rolling_min(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """Rolling minimum within each series (pandas ``rolling(window, min_periods).min()``).

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
        Apply to the series shifted by ``lag`` periods, in one pass.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _transform(data, indptr, _params(window, min_periods, lag), 0.0, _MIN)


def rolling_max(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """Rolling maximum within each series (pandas ``rolling(window, min_periods).max()``).

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
        Apply to the series shifted by ``lag`` periods, in one pass.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``min_periods`` is outside ``[0, window]``, ``lag < 0`` or the arrays
        are not grouped arrays.
    """
    return _transform(data, indptr, _params(window, min_periods, lag), 0.0, _MAX)


def rolling_quantile(
    data: np.ndarray,
    indptr: np.ndarray,
    window: int,
    q: float,
    min_periods: int | None = None,
    *,
    lag: int = 0,
) -> np.ndarray:
    """Rolling quantile within each series (pandas ``rolling(window, min_periods).quantile(q)``).

    Linear interpolation between order statistics: with ``c`` values in the window sorted as
    ``v[0] <= ... <= v[c - 1]`` and ``h = q (c - 1)``, the result is
    ``v[floor(h)] + (v[floor(h) + 1] - v[floor(h)]) (h - floor(h))``.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    window : int
        Window length in periods (``>= 1``).
    q : float
        Quantile in ``[0, 1]``.
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods, in one pass.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``window < 1``, ``q`` is outside ``[0, 1]``, ``min_periods`` is outside ``[0, window]``,
        ``lag < 0`` or the arrays are not grouped arrays.
    """
    qq = check_float(q, "q", 0.0, 1.0)
    return _transform(data, indptr, _params(window, min_periods, lag), qq, _QUANTILE)


def rolling_min_update(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """The value of :func:`rolling_min` at the last position of each series, in O(window) per series.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.
    """
    return _last(data, indptr, _params(window, min_periods, lag), 0.0, _MIN)


def rolling_max_update(
    data: np.ndarray, indptr: np.ndarray, window: int, min_periods: int | None = None, *, lag: int = 0
) -> np.ndarray:
    """The value of :func:`rolling_max` at the last position of each series, in O(window) per series.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries.
    window : int
        Window length in periods (``>= 1``).
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.
    """
    return _last(data, indptr, _params(window, min_periods, lag), 0.0, _MAX)


def rolling_quantile_update(
    data: np.ndarray,
    indptr: np.ndarray,
    window: int,
    q: float,
    min_periods: int | None = None,
    *,
    lag: int = 0,
) -> np.ndarray:
    """The value of :func:`rolling_quantile` at the last position of each series.

    O(window log window) per series (sorts the last window).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries.
    window : int
        Window length in periods (``>= 1``).
    q : float
        Quantile in ``[0, 1]``.
    min_periods : int or None, default None
        Non-NaN values needed in the window for a result; None means ``window``.
    lag : int, default 0
        Apply to the series shifted by ``lag`` periods.

    Returns
    -------
    ndarray
        One value per series (NaN for empty series), dtype of ``data``.
    """
    qq = check_float(q, "q", 0.0, 1.0)
    return _last(data, indptr, _params(window, min_periods, lag), qq, _QUANTILE)
