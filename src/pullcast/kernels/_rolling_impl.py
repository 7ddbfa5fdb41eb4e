"""Numba code of :mod:`pullcast.kernels.rolling`: per-series kernels, the parallel driver, the tail forms.

Numerics: sums are accumulated in float64. Each series first runs a dense loop that assumes no NaN
and stops as soon as it meets one (a running sum of float32 values in float64 is exact for any
realistic range of values, so it cannot drift); a series with NaN is then computed by a loop that
counts non-NaN values. For float64 input both loops use compensated (TwoSum) running sums, reset to an
exact zero when the window holds no value. The standard deviation uses sums of values shifted by an
anchor that is reset to the newest value every ``window`` steps (when the sums are recomputed from the
window), so its rounding error depends on the spread of the window only, not on the series' level;
it is exactly 0 when all values of the window are equal (as in pandas).

Kernels, helpers and the driver that calls them live in this one file: Numba's on-disk cache of a
function is invalidated only when its own file changes.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from pullcast.kernels._jit import jit, jit_parallel

_SUM = 0
_MEAN = 1
_STD = 2
_SEASONAL = 3
_MAX_SCRATCH = 1 << 16


@jit
def _two_sum(a: float, b: float) -> tuple[float, float]:
    """Knuth's TwoSum: ``a + b == s + err`` exactly, without branches."""
    s = a + b
    bp = s - a
    err = (a - (s - bp)) + (b - bp)
    return s, err


@jit
def _kadd(s: float, e: float, v: float) -> tuple[float, float]:
    """Compensated step: add ``v`` to the running sum ``s``; its rounding error goes to ``e``."""
    t, err = _two_sum(s, v)
    return t, e + err


@jit
def _kmove(s: float, e: float, v: float, u: float) -> tuple[float, float]:
    """Compensated step ``s += v - u`` with one add on the dependency chain of ``s``."""
    d, ed = _two_sum(v, -u)
    t, es = _two_sum(s, d)
    return t, e + (ed + es)


@jit
def _sum_value(s: float, c: int, minp: int, mean: bool) -> float:
    if c < minp:
        return np.nan
    if mean:
        return s / c if c > 0 else np.nan
    return s


@jit
def _sum_dense(
    x: np.ndarray, out: np.ndarray, w: int, mean: bool, comp: bool, buf: np.ndarray, table: np.ndarray
) -> bool:
    """Running sum/mean assuming no NaN; returns False if a NaN was met (the caller recomputes).

    ``buf`` (float64 scratch) receives the differences ``x[t] - x[t - w]`` in a vectorised pass when
    it is long enough; the running sum then reads them back. ``table[c]`` turns a sum of ``c`` values
    into the result (see :func:`_sum_nan`).
    """
    n = x.size
    m = min(w, n)
    s = 0.0
    e = 0.0
    for t in range(m):
        if comp:
            s, e = _kadd(s, e, np.float64(x[t]))
        else:
            s += np.float64(x[t])
        out[t] = (s + e) * table[t + 1]
    scale = 1.0 / w if mean else 1.0
    # views indexed from 0: no negative-index wraparound checks in the hot loop
    new = x[m:]
    old = x[: n - m]
    dst = out[m:]
    if comp:
        for j in range(n - m):
            s, e = _kmove(s, e, np.float64(new[j]), np.float64(old[j]))
            dst[j] = (s + e) * scale
    else:
        # two steps per iteration: one add on the dependency chain of s per two values (the
        # differences of float32 values, and their sums, are exact in float64)
        cnt = n - m
        if 2 * cnt <= buf.size:
            # a NaN anywhere in x shows up in a difference: count them in the same vectorised pass
            bad = 0
            for j in range(cnt):
                d = np.float64(new[j]) - np.float64(old[j])
                buf[j] = d
                bad += d != d
            if bad > 0:
                return False
            j = 0
            while j + 1 < cnt:
                d1 = buf[j]
                d2 = buf[j + 1]
                dst[j] = (s + d1) * scale
                s += d1 + d2
                dst[j + 1] = s * scale
                j += 2
        else:
            j = 0
            while j + 1 < cnt:
                d1 = np.float64(new[j]) - np.float64(old[j])
                d2 = np.float64(new[j + 1]) - np.float64(old[j + 1])
                dst[j] = (s + d1) * scale
                s += d1 + d2
                dst[j + 1] = s * scale
                j += 2
        if j < cnt:
            s += np.float64(new[j]) - np.float64(old[j])
            dst[j] = s * scale
    return s == s


@jit
def _sum_nan(x: np.ndarray, out: np.ndarray, w: int, comp: bool, table: np.ndarray, buf: np.ndarray) -> None:
    """Running sum/mean that skips NaN and counts the values in the window.

    ``table[c]`` turns a window sum over ``c`` values into the result: NaN below ``min_periods``,
    ``1 / c`` for a mean, 1 for a sum. For float32 input the per-step differences and count changes
    are computed in a vectorised pass into ``buf`` (when it is long enough) and the running sums,
    exact in float64, read them back; float64 input uses compensated sums reset at empty windows.
    """
    n = x.size
    m = min(w, n)
    s = 0.0
    e = 0.0
    c = 0
    for t in range(m):
        v = np.float64(x[t])
        ok = v == v
        if comp:
            s, e = _kadd(s, e, v if ok else 0.0)
        else:
            s += v if ok else 0.0
        c += ok
        out[t] = (s + e) * table[c]
    new = x[m:]
    old = x[: n - m]
    dst = out[m:]
    cnt = n - m
    if not comp and 2 * cnt <= buf.size:
        for j in range(cnt):
            v = np.float64(new[j])
            u = np.float64(old[j])
            buf[j] = (v if v == v else 0.0) - (u if u == u else 0.0)
            buf[cnt + j] = np.float64(v == v) - np.float64(u == u)
        cf = np.float64(c)
        for j in range(cnt):
            s += buf[j]
            cf += buf[cnt + j]
            dst[j] = s * table[int(cf)]
        return
    for j in range(cnt):
        v = np.float64(new[j])
        u = np.float64(old[j])
        okv = v == v
        oku = u == u
        vv = v if okv else 0.0
        uu = u if oku else 0.0
        if comp:
            s, e = _kmove(s, e, vv, uu)
        else:
            s += vv - uu
        c += int(okv) - int(oku)
        if c == 0:
            s = 0.0
            e = 0.0
        dst[j] = (s + e) * table[c]


@jit
def _std_value(s1: float, s2: float, c: int, run: int, minp: int) -> float:
    if c < minp or c < 2:
        return np.nan
    if run >= c:
        return 0.0
    var = (s2 - s1 * s1 / c) / (c - 1)
    return np.sqrt(var) if var > 0.0 else 0.0


@jit
def _moments(x: np.ndarray, lo: int, hi: int, k: float) -> tuple[float, float, int]:
    """Sums of ``v - k`` and ``(v - k) ** 2`` over the non-NaN values of ``x[lo:hi]``, and their count.

    Takes index bounds rather than a slice (building a view inside a hot loop costs more than the
    loop) and keeps two accumulators per sum (half the latency of one chain).
    """
    a1 = 0.0
    a2 = 0.0
    b1 = 0.0
    b2 = 0.0
    c = 0
    n = hi - lo
    r = 0
    while r + 1 < n:
        y1 = np.float64(x[lo + r]) - k
        y2 = np.float64(x[lo + r + 1]) - k
        ok1 = y1 == y1
        ok2 = y2 == y2
        z1 = y1 if ok1 else 0.0
        z2 = y2 if ok2 else 0.0
        a1 += z1
        a2 += z2
        b1 += z1 * z1
        b2 += z2 * z2
        c += int(ok1) + int(ok2)
        r += 2
    if r < n:
        y1 = np.float64(x[lo + r]) - k
        if y1 == y1:
            a1 += y1
            b1 += y1 * y1
            c += 1
    return a1 + a2, b1 + b2, c


@jit
def _moments_dense(x: np.ndarray, lo: int, hi: int, k: float) -> tuple[float, float]:
    """Sums of ``v - k`` and ``(v - k) ** 2`` over ``x[lo:hi]`` (no NaN), with two accumulators each.

    Two independent chains halve the latency of this re-anchoring loop, which runs once per window.
    """
    a1 = 0.0
    a2 = 0.0
    b1 = 0.0
    b2 = 0.0
    n = hi - lo
    r = 0
    while r + 1 < n:
        y1 = np.float64(x[lo + r]) - k
        y2 = np.float64(x[lo + r + 1]) - k
        a1 += y1
        a2 += y2
        b1 += y1 * y1
        b2 += y2 * y2
        r += 2
    if r < n:
        y1 = np.float64(x[lo + r]) - k
        a1 += y1
        b1 += y1 * y1
    return a1 + a2, b1 + b2


@jit
def _std_dense(x: np.ndarray, out: np.ndarray, w: int, minp: int) -> bool:
    """Rolling sample std assuming no NaN; returns False if a NaN was met (the caller recomputes).

    Sums are of values shifted by an anchor ``k``; every ``w`` steps they are recomputed over the
    current window with the newest value as anchor, so rounding depends on the spread of the
    window only (not on the level of the series) and cannot drift.
    """
    n = x.size
    if n == 0:
        return True
    k = np.float64(x[0])
    if k != k:
        return False
    m = min(w, n)
    s1 = 0.0
    s2 = 0.0
    run = 0
    prev = k
    for t in range(m):
        v = np.float64(x[t])
        y = v - k
        s1 += y
        s2 += y * y
        run = run + 1 if v == prev else 1
        prev = v
        out[t] = _std_value(s1, s2, t + 1, run, minp)
    if n == m or s1 != s1:
        return s1 == s1
    dst = out[m:]
    if w < 2:
        dst[:] = np.nan
        return True
    new = x[m:]
    old = x[: n - m]
    iw = 1.0 / w
    iw1 = 1.0 / (w - 1)
    since = 0
    for j in range(n - m):
        v = np.float64(new[j])
        y = v - k
        z = np.float64(old[j]) - k
        s1 += y - z
        s2 += y * y - z * z
        run = run + 1 if v == prev else 1
        prev = v
        var = (s2 - s1 * s1 * iw) * iw1
        dst[j] = 0.0 if run >= w else max(var, 0.0)  # the variance; square roots in a second pass
        since += 1
        if since == w:
            if s1 != s1:
                return False
            since = 0
            k = v
            s1, s2 = _moments_dense(x, j + 1, j + 1 + w, k)
    # a separate loop of square roots vectorises (several per instruction, in the output dtype)
    for j in range(n - m):
        dst[j] = np.sqrt(dst[j])
    return s1 == s1


@jit
def _std_nan_step(
    v: float, u: float, st: tuple[float, float, float, int, int, float]
) -> tuple[float, float, float, int, int, float]:
    """Add ``v`` and remove ``u`` (either may be NaN); state is (anchor, s1, s2, count, run, prev)."""
    k, s1, s2, c, run, prev = st
    if v == v:
        if c == 0:
            k = v
        y = v - k
        s1 += y
        s2 += y * y
        c += 1
        run = run + 1 if v == prev else 1
        prev = v
    if u == u:
        z = u - k
        s1 -= z
        s2 -= z * z
        c -= 1
    if c == 0:
        s1 = 0.0
        s2 = 0.0
    return k, s1, s2, c, run, prev


@jit
def _std_nan(x: np.ndarray, out: np.ndarray, w: int, table: np.ndarray) -> None:
    """Rolling sample std that skips NaN values (re-anchored every ``w`` steps like the dense loop).

    ``table[c]`` is ``1 / c`` and ``table[w + 1 + c]`` is ``1 / (c - 1)``, or NaN where ``c`` values
    give no result (fewer than ``max(min_periods, 2)``). Variances are written first and their square
    roots taken in a second, vectorised pass.
    """
    n = x.size
    m = min(w, n)
    st = (0.0, 0.0, 0.0, 0, 0, np.nan)
    for t in range(m):
        st = _std_nan_step(np.float64(x[t]), np.nan, st)
        k, s1, s2, c, run, prev = st
        inv1 = table[w + 1 + c]
        var = (s2 - s1 * s1 * table[c]) * inv1
        out[t] = inv1 if inv1 != inv1 else (0.0 if run >= c else max(var, 0.0))
    new = x[m:]
    old = x[: n - m]
    dst = out[m:]
    since = 0
    for j in range(n - m):
        st = _std_nan_step(np.float64(new[j]), np.float64(old[j]), st)
        k, s1, s2, c, run, prev = st
        inv1 = table[w + 1 + c]
        var = (s2 - s1 * s1 * table[c]) * inv1
        dst[j] = inv1 if inv1 != inv1 else (0.0 if run >= c else max(var, 0.0))
        since += 1
        if since >= w and c > 0:
            since = 0
            s1, s2, c = _moments(x, j + 1, j + 1 + w, prev)
            st = (prev, s1, s2, c, run, prev)
    for t in range(n):
        out[t] = np.sqrt(out[t])


@jit
def _seasonal_mean(x: np.ndarray, out: np.ndarray, season: int, w: int, minp: int) -> None:
    """Mean of x[t], x[t - season], ..., x[t - (w - 1) season] (non-NaN ones, at least minp)."""
    n = x.size
    span = w * season
    for r in range(min(season, n)):
        s = 0.0
        e = 0.0
        c = 0
        for t in range(r, n, season):
            v = np.float64(x[t])
            if v == v:
                s, e = _kadd(s, e, v)
                c += 1
            if t >= span:
                u = np.float64(x[t - span])
                if u == u:
                    s, e = _kadd(s, e, -u)
                    c -= 1
            if c == 0:
                s = 0.0
                e = 0.0
            out[t] = _sum_value(s + e, c, minp, True)


@jit
def _result_table(params: np.ndarray, op: int) -> np.ndarray:
    """``table[c]``: sum of ``c`` values -> result (NaN below min_periods, ``1 / c`` for a mean, 1 for a
    sum); ``table[w + 1 + c]``: ``1 / (c - 1)`` for the std, NaN where ``c`` values give no result."""
    w = params[0]
    minp = params[1]
    table = np.empty(2 * (w + 1), dtype=np.float64)
    for r in range(w + 1):
        if r < minp or (op != _SUM and r == 0):
            table[r] = np.nan
        else:
            table[r] = 1.0 / r if op != _SUM else 1.0
        table[w + 1 + r] = np.nan if r < minp or r < 2 else 1.0 / (r - 1)
    return table


# One small parallel driver per kernel family (not one for all): the first call of a family then
# compiles only that family's code. ``params`` is ``[window, min_periods, season, lag, scratch]``;
# positions before the lag see an all-NaN window: NaN, or 0 for a sum with min_periods=0 (pandas).


@jit_parallel
def _sum_driver(
    x: np.ndarray,
    out: np.ndarray,
    indptr: np.ndarray,
    bounds: np.ndarray,
    params: np.ndarray,
    op: int,
    comp: bool,
) -> None:
    w = params[0]
    shift = params[3]
    empty = 0.0 if op == _SUM and params[1] == 0 else np.nan
    for c in prange(bounds.size - 1):
        buf = np.empty(2 * params[4], dtype=np.float64)
        table = _result_table(params, op)
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            m = min(shift, b - a)
            for t in range(a, a + m):
                out[t] = empty
            xs = x[a : b - m]
            os = out[a + m : b]
            if not _sum_dense(xs, os, w, op == _MEAN, comp, buf, table):
                _sum_nan(xs, os, w, comp, table, buf)


@jit_parallel
def _std_driver(
    x: np.ndarray, out: np.ndarray, indptr: np.ndarray, bounds: np.ndarray, params: np.ndarray
) -> None:
    w = params[0]
    minp = params[1]
    shift = params[3]
    for c in prange(bounds.size - 1):
        table = _result_table(params, _STD)
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            m = min(shift, b - a)
            for t in range(a, a + m):
                out[t] = np.nan
            xs = x[a : b - m]
            os = out[a + m : b]
            if not _std_dense(xs, os, w, minp):
                _std_nan(xs, os, w, table)


@jit_parallel
def _seasonal_driver(
    x: np.ndarray, out: np.ndarray, indptr: np.ndarray, bounds: np.ndarray, params: np.ndarray
) -> None:
    shift = params[3]
    for c in prange(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            a = indptr[i]
            b = indptr[i + 1]
            m = min(shift, b - a)
            for t in range(a, a + m):
                out[t] = np.nan
            _seasonal_mean(x[a : b - m], out[a + m : b], params[2], params[0], params[1])


@jit
def _tail_stat(x: np.ndarray, minp: int, op: int) -> float:
    """The statistic over all of ``x`` (the last window of a series), skipping NaN."""
    s = 0.0
    e = 0.0
    c = 0
    first = np.nan
    same = True
    for t in range(x.size):
        v = np.float64(x[t])
        if v == v:
            s, e = _kadd(s, e, v)
            if c == 0:
                first = v
            elif v != first:
                same = False
            c += 1
    if op != _STD:
        return _sum_value(s + e if c > 0 else 0.0, c, minp, op != _SUM)
    if c < minp or c < 2:
        return np.nan
    if same:
        return 0.0
    mean = (s + e) / c
    q = 0.0
    for t in range(x.size):
        v = np.float64(x[t])
        if v == v:
            q += (v - mean) * (v - mean)
    return np.sqrt(q / (c - 1))


@jit
def _rolling_last(x: np.ndarray, indptr: np.ndarray, out: np.ndarray, params: np.ndarray, op: int) -> None:
    w = params[0]
    minp = params[1]
    season = params[2]
    shift = params[3]
    for i in range(indptr.size - 1):
        a = indptr[i]
        end = indptr[i + 1] - shift
        if end <= a:
            out[i] = 0.0 if op == _SUM and minp == 0 and end < indptr[i + 1] else np.nan
        elif op == _SEASONAL:
            start = max(a, end - 1 - (w - 1) * season)
            first = end - 1 - ((end - 1 - start) // season) * season
            out[i] = _tail_stat(x[first:end:season], minp, _MEAN)
        else:
            out[i] = _tail_stat(x[max(a, end - w) : end], minp, op)
