"""Numba code of :mod:`pullcast.kernels.signal`: per-series kernels, the parallel driver, the tail forms.

Sums are accumulated in float64 with compensated (TwoSum) running sums; the z-score's sums of squares
are re-anchored and recomputed every ``window`` steps so they cannot drift. Kernels, helpers and the
driver that calls them live in this one file: Numba's on-disk cache of a function is invalidated only
when its own file changes.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from pullcast.kernels._jit import jit, jit_parallel

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
def _signal_one(x: np.ndarray, y: np.ndarray, out: np.ndarray, op: int, ip: np.ndarray, f: float) -> None:
    """One series; ``ip`` holds the integer arguments (two windows), ``f`` the decay factor."""
    if op == _DECAY:
        _decay(x, out, f)
    elif op == _MOMENTUM:
        _momentum(x, out, ip[0], ip[1])
    elif op == _ZSCORE:
        _zscore(x, out, ip[0], ip[1])
    else:
        _ratio(x, y, out, ip[0])


@jit_parallel
def _signal_driver(
    x: np.ndarray,
    y: np.ndarray,
    out: np.ndarray,
    indptr: np.ndarray,
    bounds: np.ndarray,
    op: int,
    ip: np.ndarray,
    f: float,
) -> None:
    for c in prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            _signal_one(x[a:b], y[a:b], out[a:b], op, ip, f)


@jit
def _signal_last(
    x: np.ndarray, y: np.ndarray, indptr: np.ndarray, out: np.ndarray, op: int, ip: np.ndarray, f: float
) -> None:
    """Run the kernel over the last ``ip[2]`` values of each series only and keep its last value."""
    tail = ip[2]
    buf = np.empty(tail, dtype=np.float64)
    for i in range(indptr.size - 1):
        b = indptr[i + 1]
        a = max(indptr[i], b - tail)
        if b == a:
            out[i] = np.nan
            continue
        _signal_one(x[a:b], y[a:b], buf[: b - a], op, ip, f)
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
