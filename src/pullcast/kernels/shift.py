"""Shifts within each series: :func:`lag` and :func:`diff` (pandas ``shift`` / ``diff`` per group)."""

from __future__ import annotations

import numpy as np
from numba import prange

from pullcast.kernels._common import as_data, as_indptr, check_int, chunk_bounds, threads_for
from pullcast.kernels._jit import jit, jit_parallel

__all__ = ["diff", "diff_update", "lag", "lag_update"]

_LAG = 0
_DIFF = 1


@jit
def _shift_one(x: np.ndarray, out: np.ndarray, k: int, op: int) -> None:
    n = x.size
    m = min(k, n)
    for t in range(m):
        out[t] = np.nan
    # views indexed from 0 let LLVM drop Numba's negative-index wraparound and vectorize
    dst = out[m:]
    old = x[: n - m]
    if op == _LAG:
        for j in range(n - m):
            dst[j] = old[j]
    else:
        new = x[m:]
        for j in range(n - m):
            dst[j] = np.float64(new[j]) - np.float64(old[j])


@jit_parallel
def _shift_driver(
    x: np.ndarray, out: np.ndarray, indptr: np.ndarray, bounds: np.ndarray, k: int, op: int
) -> None:
    for c in prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            _shift_one(x[a:b], out[a:b], k, op)


@jit
def _shift_last(x: np.ndarray, indptr: np.ndarray, out: np.ndarray, k: int, op: int) -> None:
    for i in range(indptr.size - 1):
        a = indptr[i]
        b = indptr[i + 1]
        if b - a <= k:
            out[i] = np.nan
        elif op == _LAG:
            out[i] = x[b - 1 - k]
        else:
            out[i] = np.float64(x[b - 1]) - np.float64(x[b - 1 - k])


def _run(data: object, indptr: object, k: int, op: int) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    k = check_int(k, "k", 0)
    out = np.empty_like(x)
    with threads_for(x.size):
        _shift_driver(x, out, ip, chunk_bounds(ip), k, op)
    return out


def _run_last(data: object, indptr: object, k: int, op: int) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    k = check_int(k, "k", 0)
    out = np.empty(ip.size - 1, dtype=x.dtype)
    _shift_last(x, ip, out, k, op)
    return out


def lag(data: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
    """Shift each series forward by ``k`` positions: ``out[t] = x[t - k]``, NaN for ``t < k``.

    Same as pandas ``groupby(series).shift(k)``.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    k : int
        Number of periods to shift by (``>= 0``; 0 copies the data).

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``k < 0`` or ``data``/``indptr`` do not describe grouped arrays.
    """
    return _run(data, indptr, k, _LAG)


def diff(data: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
    """Difference with the value ``k`` periods earlier in the same series: ``x[t] - x[t - k]``.

    Same as pandas ``groupby(series).diff(k)``: NaN for ``t < k`` and wherever either value is NaN.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    k : int
        Number of periods to difference over (``>= 0``).

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``k < 0`` or ``data``/``indptr`` do not describe grouped arrays.
    """
    return _run(data, indptr, k, _DIFF)


def lag_update(data: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
    """The value of :func:`lag` at the last position of each series, in O(1) per series.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries.
    k : int
        Number of periods to shift by (``>= 0``).

    Returns
    -------
    ndarray
        One value per series (NaN for empty or too short series), dtype of ``data``.
    """
    return _run_last(data, indptr, k, _LAG)


def diff_update(data: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
    """The value of :func:`diff` at the last position of each series, in O(1) per series.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries.
    k : int
        Number of periods to difference over (``>= 0``).

    Returns
    -------
    ndarray
        One value per series (NaN for empty or too short series), dtype of ``data``.
    """
    return _run_last(data, indptr, k, _DIFF)
