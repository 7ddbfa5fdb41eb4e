"""Numba kernels of the signal store: the dedupe hash table, day cells, carry-forward and expansion.

All go through the package jit policy (:mod:`pullcast.kernels._jit`). Plain-Python twins of the
behaviour they implement are the brute-force oracles in ``tests/signals``.
"""

from __future__ import annotations

import numba
import numpy as np

from pullcast.kernels._jit import jit, jit_parallel

__all__ = [
    "EMPTY",
    "expand",
    "ffill_levels",
    "key_insert",
    "last_cells",
    "mean_cells",
    "rehash",
    "scatter_sum",
    "sum_cells",
    "trailing_sums",
]

EMPTY = np.int64(-1)


@jit
def rehash(slots: np.ndarray, kh1: np.ndarray, n_keys: int) -> None:
    """Fill an empty open-addressing table ``slots`` (all -1, size a power of two) with keys 0..n_keys-1."""
    mask = np.uint64(slots.size - 1)
    for k in range(n_keys):
        pos = kh1[k] & mask
        while slots[pos] != -1:
            pos = (pos + np.uint64(1)) & mask
        slots[pos] = k


@jit
def key_insert(
    h1: np.ndarray,
    h2: np.ndarray,
    arr: np.ndarray,
    val: np.ndarray,
    slots: np.ndarray,
    kh1: np.ndarray,
    kh2: np.ndarray,
    k_arr: np.ndarray,
    k_val: np.ndarray,
    n_keys: int,
    key_out: np.ndarray,
    prev_out: np.ndarray,
    status_out: np.ndarray,
) -> int:
    """Look up or insert each row's key (a 128-bit hash ``h1, h2``), rows taken in order.

    Per row: ``key_out`` the key id; ``prev_out`` the key's previous value by arrival (NaN when the
    key is new); ``status_out`` 0 new key, 1 duplicate (same value as the previous report),
    2 revision (a different value), 3 out of order (arrives before an already stored report of
    the key; the caller recomputes those keys exactly). Returns the new number of keys.
    """
    mask = np.uint64(slots.size - 1)
    for r in range(h1.size):
        pos = h1[r] & mask
        while True:
            k = slots[pos]
            if k == -1:
                k = n_keys
                n_keys += 1
                slots[pos] = k
                kh1[k] = h1[r]
                kh2[k] = h2[r]
                k_arr[k] = arr[r]
                k_val[k] = val[r]
                key_out[r] = k
                prev_out[r] = np.nan
                status_out[r] = 0
                break
            if kh1[k] == h1[r] and kh2[k] == h2[r]:
                key_out[r] = k
                if arr[r] >= k_arr[k]:
                    prev_out[r] = k_val[k]
                    status_out[r] = 1 if val[r] == k_val[k] else 2
                    k_arr[k] = arr[r]
                    k_val[k] = val[r]
                else:
                    prev_out[r] = np.nan
                    status_out[r] = 3
                break
            pos = (pos + np.uint64(1)) & mask
    return n_keys


@jit
def sum_cells(track: np.ndarray, day: np.ndarray, delta: np.ndarray, cells: np.ndarray) -> None:
    """Add each event's ``delta`` to ``cells[track, day]`` (in-grid days and matched tracks only)."""
    n_days = cells.shape[1]
    for i in range(track.size):
        t = track[i]
        d = day[i]
        if t >= 0 and 0 <= d < n_days:
            cells[t, d] += delta[i]


@jit
def mean_cells(
    track: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    eff: np.ndarray,
    csum: np.ndarray,
    ccnt: np.ndarray,
    pre_day: np.ndarray,
) -> None:
    """Accumulate effective events into mean cells; column 0 holds the last pre-grid arrival day."""
    n_days = csum.shape[1] - 1
    for i in range(track.size):
        t = track[i]
        d = day[i]
        if t < 0 or not eff[i] or d >= n_days:
            continue
        if d < 0:
            if d > pre_day[t]:
                pre_day[t] = d
                csum[t, 0] = value[i]
                ccnt[t, 0] = 1.0
            elif d == pre_day[t]:
                csum[t, 0] += value[i]
                ccnt[t, 0] += 1.0
        else:
            csum[t, d + 1] += value[i]
            ccnt[t, d + 1] += 1.0


@jit
def _later(t1: int, a1: int, s1: int, t2: int, a2: int, s2: int) -> bool:
    if t1 != t2:
        return t1 > t2
    if a1 != a2:
        return a1 > a2
    return s1 > s2


@jit
def last_cells(
    track: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    eff: np.ndarray,
    time: np.ndarray,
    arr: np.ndarray,
    seq: np.ndarray,
    cval: np.ndarray,
    ccnt: np.ndarray,
    corder: np.ndarray,
    pre_day: np.ndarray,
) -> None:
    """Keep, per cell, the effective event latest by (time, arrived_at, seq); column 0 is pre-grid.

    ``corder`` has shape (n_tracks, n_days + 1, 3) holding (time, arrived_at, seq) of the kept event.
    """
    n_days = cval.shape[1] - 1
    for i in range(track.size):
        t = track[i]
        d = day[i]
        if t < 0 or not eff[i] or d >= n_days:
            continue
        c = d + 1
        if d < 0:
            c = 0
            if d < pre_day[t]:
                continue
            if d > pre_day[t]:
                pre_day[t] = d
                ccnt[t, 0] = 0.0
        if ccnt[t, c] == 0.0 or _later(
            time[i], arr[i], seq[i], corder[t, c, 0], corder[t, c, 1], corder[t, c, 2]
        ):
            cval[t, c] = value[i]
            corder[t, c, 0] = time[i]
            corder[t, c, 1] = arr[i]
            corder[t, c, 2] = seq[i]
        ccnt[t, c] += 1.0


@jit
def ffill_levels(
    tracks: np.ndarray,
    from_day: np.ndarray,
    num: np.ndarray,
    ccnt: np.ndarray,
    is_mean: bool,
    level: np.ndarray,
) -> None:
    """Recompute ``level[t, from_day[j]:]`` for ``t = tracks[j]`` from the cells, carrying forward.

    A cell with ``ccnt > 0`` sets the level (``num / ccnt`` for mean cells, ``num`` for last
    cells); an empty day keeps the previous day's level; day 0 starts from the pre-grid cell.
    """
    n_days = level.shape[1]
    for j in range(tracks.size):
        t = tracks[j]
        d0 = from_day[j]
        if d0 > 0:
            cur = level[t, d0 - 1]
        elif ccnt[t, 0] > 0:
            cur = num[t, 0] / ccnt[t, 0] if is_mean else num[t, 0]
        else:
            cur = np.nan
        for d in range(d0, n_days):
            n = ccnt[t, d + 1]
            if n > 0:
                cur = num[t, d + 1] / n if is_mean else num[t, d + 1]
            level[t, d] = cur


@jit_parallel
def expand(
    series: np.ndarray,
    from_day: np.ndarray,
    track_of: np.ndarray,
    src: np.ndarray,
    weight: np.ndarray,
    indptr: np.ndarray,
    start_pos: np.ndarray,
    empty: float,
    out: np.ndarray,
) -> None:
    """Write ``out`` for each listed series from grid day ``from_day[j]`` on: ``src[track, day] * weight``.

    ``weight`` is a flat array aligned with ``out`` or empty (weight 1). Series without a track get
    ``empty``.
    """
    use_w = weight.size > 0
    for j in numba.prange(series.size):
        s = series[j]
        t = track_of[s]
        i0 = indptr[s]
        n = indptr[s + 1] - i0
        p0 = start_pos[s]
        k0 = max(from_day[j] - p0, 0)
        for k in range(k0, n):
            if t < 0:
                out[i0 + k] = empty
            elif use_w:
                out[i0 + k] = src[t, p0 + k] * weight[i0 + k]
            else:
                out[i0 + k] = src[t, p0 + k]


@jit
def scatter_sum(
    track: np.ndarray,
    day: np.ndarray,
    delta: np.ndarray,
    tptr: np.ndarray,
    tseries: np.ndarray,
    weight: np.ndarray,
    indptr: np.ndarray,
    start_pos: np.ndarray,
    out: np.ndarray,
) -> None:
    """Add each event's delta straight into the flat output of every series its track maps to."""
    use_w = weight.size > 0
    for i in range(track.size):
        t = track[i]
        if t < 0 or delta[i] == 0.0:
            continue
        d = day[i]
        for j in range(tptr[t], tptr[t + 1]):
            s = tseries[j]
            k = d - start_pos[s]
            if 0 <= k < indptr[s + 1] - indptr[s]:
                pos = indptr[s] + k
                out[pos] += delta[i] * weight[pos] if use_w else delta[i]


@jit
def trailing_sums(units: np.ndarray, indptr: np.ndarray, window: int, out: np.ndarray) -> None:
    """``out[t]`` = sum of the series' units over the ``window`` periods before t (NaN counts as 0)."""
    for s in range(indptr.size - 1):
        i0 = indptr[s]
        n = indptr[s + 1] - i0
        acc = 0.0
        for k in range(n):
            out[i0 + k] = acc
            u = units[i0 + k]
            if not np.isnan(u):
                acc += u
            if k - window >= 0:
                v = units[i0 + k - window]
                if not np.isnan(v):
                    acc -= v
