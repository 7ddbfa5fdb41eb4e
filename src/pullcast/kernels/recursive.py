"""Kernels that depend on the whole history of a series: expanding mean/std and the EWM mean.

Semantics are pandas' within each series: ``expanding().mean()`` / ``expanding().std()``
(``min_periods=1``, sample std with ddof=1, NaN values skipped) and
``ewm(alpha=alpha, adjust=False).mean()`` (``ignore_na=False``: a NaN does not move the mean,
but the weight of the old mean keeps decaying across it, exactly as in pandas).

Their ``*_update`` forms take an optional ``state`` (from the matching ``*_state`` function or
the previous update call): with it each update reads only the newest value of each series
(O(1) per series) and advances the state in place; without it they are exact from the whole series.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from pullcast.kernels._common import as_data, as_indptr, check_float, check_state, chunk_bounds, threads_for
from pullcast.kernels._jit import jit, jit_parallel

__all__ = [
    "ewm_mean",
    "ewm_mean_state",
    "ewm_mean_update",
    "expanding_mean",
    "expanding_mean_state",
    "expanding_mean_update",
    "expanding_std",
    "expanding_std_state",
    "expanding_std_update",
]

_EXP_MEAN = 0
_EXP_STD = 1
_EWM = 2

STATE_WIDTH = 3


@jit
def _init(op: int, st: np.ndarray) -> None:
    """Initial state: expanding mean (count, sum, comp.), std (count, mean, M2), ewm (mean, weight)."""
    st[0] = 0.0
    st[1] = 0.0
    st[2] = 0.0
    if op == _EWM:
        st[0] = np.nan
        st[1] = 1.0


@jit
def _step(op: int, alpha: float, st: np.ndarray, v: float) -> float:
    """Consume one value, update ``st`` in place, return the statistic at this position."""
    if op == _EXP_MEAN:
        if v == v:
            s = st[1] + v
            bp = s - st[1]
            st[2] += (st[1] - (s - bp)) + (v - bp)
            st[1] = s
            st[0] += 1.0
        return (st[1] + st[2]) / st[0] if st[0] > 0 else np.nan
    if op == _EXP_STD:
        if v == v:
            st[0] += 1.0
            delta = v - st[1]
            st[1] += delta / st[0]
            st[2] += delta * (v - st[1])
        if st[0] < 2.0:
            return np.nan
        return np.sqrt(max(st[2], 0.0) / (st[0] - 1.0))
    weighted = st[0]
    if weighted == weighted:
        old_wt = st[1] * (1.0 - alpha)
        if v == v:
            if weighted != v:
                weighted = (old_wt * weighted + alpha * v) / (old_wt + alpha)
            old_wt = 1.0
        st[0] = weighted
        st[1] = old_wt
    elif v == v:
        st[0] = v
        st[1] = 1.0
    return st[0]


@jit
def _mean_dense(x: np.ndarray, out: np.ndarray, comp: bool, recip: np.ndarray) -> bool:
    """Expanding mean assuming no NaN; returns False if a NaN was met (the caller recomputes).

    ``recip[t]`` is ``1 / (t + 1)``: a multiply instead of a divide per value.
    """
    n = x.size
    s = 0.0
    if comp:
        e = 0.0
        for t in range(n):
            v = np.float64(x[t])
            r = s + v
            bp = r - s
            e += (s - (r - bp)) + (v - bp)
            s = r
            out[t] = (s + e) * recip[t]
        return s == s
    # two values per iteration: one add on the dependency chain of s per two values
    t = 0
    while t + 1 < n:
        v1 = np.float64(x[t])
        v2 = np.float64(x[t + 1])
        out[t] = (s + v1) * recip[t]
        s += v1 + v2
        out[t + 1] = s * recip[t + 1]
        if s != s:  # a NaN: stop early, the caller recomputes with the NaN loop
            return False
        t += 2
    if t < n:
        s += np.float64(x[t])
        out[t] = s * recip[t]
    return s == s


@jit
def _ewm_dense(x: np.ndarray, out: np.ndarray, alpha: float) -> bool:
    """EWM mean (adjust=False) assuming no NaN; returns False if a NaN was met.

    Without NaN pandas' recursion is ``m_t = (b m_{t-1} + a x_t) / (b + a)`` with ``b = 1 - alpha``.
    Two steps are taken per iteration, ``m_{t+1} = b'^2 m_{t-1} + (b' a' x_t + a' x_{t+1})``, so the
    dependency chain has one multiply-add per two values.
    """
    n = x.size
    if n == 0:
        return True
    denom = (1.0 - alpha) + alpha  # pandas divides by (old weight + alpha); 1 up to rounding
    b = (1.0 - alpha) / denom
    a = alpha / denom
    b2 = b * b
    w = np.float64(x[0])
    out[0] = w
    t = 1
    while t + 1 < n:
        a1 = a * np.float64(x[t])
        a2 = a * np.float64(x[t + 1])
        out[t] = b * w + a1
        w = b2 * w + (b * a1 + a2)
        out[t + 1] = w
        if w != w:  # a NaN: stop early, the caller recomputes with the NaN loop
            return False
        t += 2
    if t < n:
        w = b * w + a * np.float64(x[t])
        out[t] = w
    return w == w


@jit
def _mean_nan(x: np.ndarray, out: np.ndarray, comp: bool, recip: np.ndarray) -> None:
    """Expanding mean skipping NaN (same recursion as :func:`_step`, with scalar state)."""
    s = 0.0
    e = 0.0
    c = 0
    for t in range(x.size):
        v = np.float64(x[t])
        ok = v == v
        vv = v if ok else 0.0
        if comp:
            r = s + vv
            bp = r - s
            e += (s - (r - bp)) + (vv - bp)
            s = r
        else:
            s += vv
        c += ok
        out[t] = (s + e) * recip[c - 1] if c > 0 else np.nan


@jit
def _ewm_nan(x: np.ndarray, out: np.ndarray, alpha: float) -> None:
    """pandas' adjust=False recursion with NaN (same as :func:`_step`, with scalar state).

    Without a NaN gap the old weight is ``1 - alpha`` and the update uses precomputed coefficients;
    after a gap of ``g`` NaN values the old weight is ``(1 - alpha) ** (g + 1)`` and pandas divides.
    """
    beta = 1.0 - alpha
    denom = beta + alpha
    b = beta / denom
    a = alpha / denom
    weighted = np.nan
    old_wt = 1.0  # weight of the old mean relative to a fresh observation, before this step's decay
    for t in range(x.size):
        v = np.float64(x[t])
        if weighted == weighted:
            if v == v:
                if weighted != v:
                    if old_wt == 1.0:
                        weighted = b * weighted + a * v
                    else:
                        ow = old_wt * beta
                        weighted = (ow * weighted + alpha * v) / (ow + alpha)
                old_wt = 1.0
            else:
                old_wt *= beta
        elif v == v:
            weighted = v
        out[t] = weighted


@jit
def _std_welford(x: np.ndarray, out: np.ndarray) -> None:
    """Expanding sample std by Welford's update, skipping NaN (same as :func:`_step`)."""
    c = 0.0
    mean = 0.0
    m2 = 0.0
    for t in range(x.size):
        v = np.float64(x[t])
        if v == v:
            c += 1.0
            delta = v - mean
            mean += delta / c
            m2 += delta * (v - mean)
        out[t] = np.sqrt(max(m2, 0.0) / (c - 1.0)) if c >= 2.0 else np.nan


@jit
def _recursive_one(
    x: np.ndarray, out: np.ndarray, op: int, alpha: float, comp: bool, recip: np.ndarray
) -> None:
    if op == _EXP_MEAN:
        if not _mean_dense(x, out, comp, recip):
            _mean_nan(x, out, comp, recip)
    elif op == _EWM:
        if not _ewm_dense(x, out, alpha):
            _ewm_nan(x, out, alpha)
    else:
        _std_welford(x, out)


@jit_parallel
def _recursive_driver(
    x: np.ndarray,
    out: np.ndarray,
    indptr: np.ndarray,
    bounds: np.ndarray,
    op: int,
    alpha: float,
    comp: bool,
    recip: np.ndarray,
) -> None:
    for c in prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            _recursive_one(x[a:b], out[a:b], op, alpha, comp, recip)


@jit
def _recursive_last(
    x: np.ndarray,
    indptr: np.ndarray,
    out: np.ndarray,
    op: int,
    alpha: float,
    state: np.ndarray,
    use_state: bool,
) -> None:
    """Last value per series: from ``state`` plus the newest value, or from the whole series."""
    st = np.empty(STATE_WIDTH, dtype=np.float64)
    for i in range(indptr.size - 1):
        a = indptr[i]
        b = indptr[i + 1]
        if b == a:
            out[i] = np.nan
            continue
        if use_state:
            st[:] = state[i]
            out[i] = _step(op, alpha, st, np.float64(x[b - 1]))
            state[i] = st
        else:
            _init(op, st)
            for t in range(a, b):
                out[i] = _step(op, alpha, st, np.float64(x[t]))


@jit
def _recursive_state(x: np.ndarray, indptr: np.ndarray, state: np.ndarray, op: int, alpha: float) -> None:
    for i in range(indptr.size - 1):
        st = state[i]
        _init(op, st)
        for t in range(indptr[i], indptr[i + 1]):
            _step(op, alpha, st, np.float64(x[t]))


def _transform(data: object, indptr: object, op: int, alpha: float) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    out = np.empty_like(x)
    longest = int(np.diff(ip).max()) if op == _EXP_MEAN and ip.size > 1 else 0  # for 1 / (t + 1)
    recip = 1.0 / np.arange(1, longest + 1, dtype=np.float64)
    with threads_for(x.size):
        _recursive_driver(x, out, ip, chunk_bounds(ip), op, alpha, x.dtype == np.float64, recip)
    return out


def _last(data: object, indptr: object, op: int, alpha: float, state: object, name: str) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    n = ip.size - 1
    out = np.empty(n, dtype=x.dtype)
    if state is None:
        _recursive_last(x, ip, out, op, alpha, np.empty((n, STATE_WIDTH)), False)
    else:
        _recursive_last(x, ip, out, op, alpha, check_state(state, n, STATE_WIDTH, name), True)
    return out


def _state(data: object, indptr: object, op: int, alpha: float) -> np.ndarray:
    x = as_data(data)
    ip = as_indptr(indptr, x.size)
    state = np.empty((ip.size - 1, STATE_WIDTH), dtype=np.float64)
    _recursive_state(x, ip, state, op, alpha)
    return state


def _alpha(alpha: float) -> float:
    return check_float(alpha, "alpha", 0.0, 1.0, low_open=True)


def expanding_mean(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Mean of all non-NaN values so far within each series (pandas ``expanding().mean()``).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``; NaN before the first non-NaN value of a series.
    """
    return _transform(data, indptr, _EXP_MEAN, 0.0)


def expanding_std(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sample std (ddof=1) of all non-NaN values so far within each series (pandas ``expanding().std()``).

    Computed with Welford's update, so a constant history gives exactly 0.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``; NaN until a series has two non-NaN values.
    """
    return _transform(data, indptr, _EXP_STD, 0.0)


def ewm_mean(data: np.ndarray, indptr: np.ndarray, alpha: float) -> np.ndarray:
    """Exponentially weighted mean within each series (pandas ``ewm(alpha=alpha, adjust=False).mean()``).

    ``m_t = (1 - alpha) m_{t-1} + alpha x_t``; before the first non-NaN value the result is NaN; a NaN
    value keeps the mean unchanged while the old mean's weight keeps decaying (pandas ``ignore_na=False``).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series (integers are converted to float64).
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    alpha : float
        Smoothing factor in ``(0, 1]``.

    Returns
    -------
    ndarray
        Same length and dtype as ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``alpha`` is outside ``(0, 1]`` or the arrays are not grouped arrays.
    """
    return _transform(data, indptr, _EWM, _alpha(alpha))


def expanding_mean_state(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """State of :func:`expanding_mean` after each series' last value (count, sum, compensation).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.

    Returns
    -------
    ndarray of float64, shape (n_series, 3)
        The recursion state of each series after its last value, to pass as ``state`` to
        :func:`expanding_mean_update` once one more value has been appended to each series.
    """
    return _state(data, indptr, _EXP_MEAN, 0.0)


def expanding_std_state(data: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """State of :func:`expanding_std` after each series' last value (count, mean, sum of squared deviations).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.

    Returns
    -------
    ndarray of float64, shape (n_series, 3)
        The recursion state of each series after its last value, to pass as ``state`` to
        :func:`expanding_std_update` once one more value has been appended to each series.
    """
    return _state(data, indptr, _EXP_STD, 0.0)


def ewm_mean_state(data: np.ndarray, indptr: np.ndarray, alpha: float) -> np.ndarray:
    """State of :func:`ewm_mean` after each series' last value (mean, weight of the mean, unused).

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series.
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    alpha : float
        Smoothing factor in ``(0, 1]``.

    Returns
    -------
    ndarray of float64, shape (n_series, 3)
        The recursion state of each series after its last value, to pass as ``state`` to
        :func:`ewm_mean_update` once one more value has been appended to each series.
    """
    return _state(data, indptr, _EWM, _alpha(alpha))


def expanding_mean_update(
    data: np.ndarray, indptr: np.ndarray, state: np.ndarray | None = None
) -> np.ndarray:
    """The value of :func:`expanding_mean` at the last position of each series.

    Without ``state`` the whole series is read (exact, O(length)); with ``state`` only the newest
    value of each series is read (O(1) per series) and ``state`` is advanced past it in place.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series, the newest value of each series last.
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    state : ndarray of float64, shape (n_series, 3), default None
        The state after all but the newest value of each series, from :func:`expanding_mean_state` or the
        previous call of this function. Modified in place.

    Returns
    -------
    ndarray
        The value of :func:`expanding_mean` at the last position of each series (NaN for empty series),
        dtype of ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``state`` does not have the shape and dtype above,
        or the arrays are not grouped arrays.
    """
    return _last(data, indptr, _EXP_MEAN, 0.0, state, "expanding_mean")


def expanding_std_update(data: np.ndarray, indptr: np.ndarray, state: np.ndarray | None = None) -> np.ndarray:
    """The value of :func:`expanding_std` at the last position of each series.

    Without ``state`` the whole series is read (exact, O(length)); with ``state`` only the newest
    value of each series is read (O(1) per series) and ``state`` is advanced past it in place.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series, the newest value of each series last.
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    state : ndarray of float64, shape (n_series, 3), default None
        The state after all but the newest value of each series, from :func:`expanding_std_state` or the
        previous call of this function. Modified in place.

    Returns
    -------
    ndarray
        The value of :func:`expanding_std` at the last position of each series (NaN for empty series),
        dtype of ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``state`` does not have the shape and dtype above,
        or the arrays are not grouped arrays.
    """
    return _last(data, indptr, _EXP_STD, 0.0, state, "expanding_std")


def ewm_mean_update(
    data: np.ndarray, indptr: np.ndarray, alpha: float, state: np.ndarray | None = None
) -> np.ndarray:
    """The value of :func:`ewm_mean` at the last position of each series.

    Without ``state`` the whole series is read (exact, O(length)); with ``state`` only the newest
    value of each series is read (O(1) per series) and ``state`` is advanced past it in place.

    Parameters
    ----------
    data : ndarray of float32 or float64
        Flat values of all series, the newest value of each series last.
    indptr : ndarray of int64
        Series boundaries: series ``i`` is ``data[indptr[i]:indptr[i + 1]]``.
    alpha : float
        Smoothing factor in ``(0, 1]``.
    state : ndarray of float64, shape (n_series, 3), default None
        The state after all but the newest value of each series, from :func:`ewm_mean_state` or the
        previous call of this function. Modified in place.

    Returns
    -------
    ndarray
        The value of :func:`ewm_mean` at the last position of each series (NaN for empty series),
        dtype of ``data``.

    Raises
    ------
    pullcast.errors.ConfigError
        If ``state`` does not have the shape and dtype above, if ``alpha`` is outside ``(0, 1]``,
        or the arrays are not grouped arrays.
    """
    return _last(data, indptr, _EWM, _alpha(alpha), state, "ewm_mean")
