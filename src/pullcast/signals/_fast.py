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
    "ingest_rows",
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
    """Fill an empty open-addressing table ``slots`` (all 0, size a power of two) with keys 0..n_keys-1
    (a slot holds key + 1; 0 is empty)."""
    mask = np.uint64(slots.size - 1)
    for k in range(n_keys):
        pos = kh1[k] & mask
        while slots[pos] != 0:
            pos = (pos + np.uint64(1)) & mask
        slots[pos] = k + 1


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


# ---------------------------------------------------------------------- fused ingestion
_NAT = np.iinfo(np.int64).min
# reason codes: keep in sync with pullcast.signals._ingest.REASONS
(
    _R_CHANNEL,
    _R_NO_SKU,
    _R_SKU,
    _R_NO_STORE,
    _R_STORE,
    _R_NO_REGION,
    _R_REGION,
    _R_NO_KEYCOL,
    _R_NAN,
    _R_INF,
    _R_NEG,
    _R_NO_TIME,
    _R_BAD_TIME,
    _R_BAD_ARR,
    _R_AFTER,
) = range(1, 16)


@jit
def _splitmix(x: np.uint64) -> np.uint64:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@jit
def _combine(h: np.uint64, v: np.uint64, seed: np.uint64) -> np.uint64:
    return _splitmix(h ^ _splitmix(v ^ seed))


@jit
def _label(codes: np.ndarray, table: np.ndarray, r: int) -> int:
    """Vocabulary code of row r (-2 column absent or value missing, -1 unknown label)."""
    if codes.size == 0:
        return -2
    c = codes[r]
    if c < 0:
        return -2
    return table[c]


@jit
def ingest_rows(
    chan_codes: np.ndarray,
    chan_table: np.ndarray,
    ch_level: np.ndarray,
    ch_delay: np.ndarray,
    ch_nonneg: np.ndarray,
    ch_keymode: np.ndarray,
    sku_codes: np.ndarray,
    sku_table: np.ndarray,
    store_codes: np.ndarray,
    store_table: np.ndarray,
    region_codes: np.ndarray,
    region_table: np.ndarray,
    extra: np.ndarray,
    value: np.ndarray,
    time: np.ndarray,
    time_bad: np.ndarray,
    arrived: np.ndarray,
    arrived_bad: np.ndarray,
    reason: np.ndarray,
    status: np.ndarray,
    log_chan: np.ndarray,
    log_sku: np.ndarray,
    log_loc: np.ndarray,
    log_time: np.ndarray,
    log_arr: np.ndarray,
    log_value: np.ndarray,
    log_prev: np.ndarray,
    log_key: np.ndarray,
    n0: int,
    slots: np.ndarray,
    kh1: np.ndarray,
    kh2: np.ndarray,
    k_arr: np.ndarray,
    k_val: np.ndarray,
    n_keys: int,
) -> tuple[int, int]:
    """Validate, dedupe and store every row in one pass; returns (rows stored, new number of keys).

    Row checks follow the order of ``_ingest.REASONS`` (the first failing check is the reason).
    ``ch_keymode`` bits per channel: 1 sku, 2 location, 4 time, 8 extra (precomputed hash of extra
    dedupe columns), 16 extra columns absent from the frame. ``status`` per row: 0 new key,
    1 duplicate, 2 revision, 3 out of order, -1 rejected. Stored rows are written to the log
    arrays from position ``n0``.
    """
    mask = np.uint64(slots.size - 1)
    pos_log = n0
    seed1 = np.uint64(0x1234567)
    seed2 = np.uint64(0x7654321)
    block = 256
    b_row = np.empty(block, dtype=np.int64)
    b_pos = np.empty(block, dtype=np.int64)
    b_h1 = np.empty(block, dtype=np.uint64)
    b_h2 = np.empty(block, dtype=np.uint64)
    touched = np.int64(0)
    for b0 in range(0, chan_codes.size, block):
        b1 = min(b0 + block, chan_codes.size)
        m = 0
        # pass A: validate, write the log row, hash, and touch the key's slot (independent loads
        # overlap, so the table's cache misses are paid in parallel rather than one by one)
        for r in range(b0, b1):
            status[r] = -1
            cc = chan_codes[r]
            ch = chan_table[cc] if cc >= 0 else -1
            if ch < 0:
                reason[r] = _R_CHANNEL
                continue
            sku = _label(sku_codes, sku_table, r)
            if sku == -2:
                reason[r] = _R_NO_SKU
                continue
            if sku == -1:
                reason[r] = _R_SKU
                continue
            lvl = ch_level[ch]
            loc = -1
            if lvl == 2:
                loc = _label(store_codes, store_table, r)
                if loc < 0:
                    reason[r] = _R_NO_STORE if loc == -2 else _R_STORE
                    continue
            elif lvl == 1:
                loc = _label(region_codes, region_table, r)
                if loc < 0:
                    reason[r] = _R_NO_REGION if loc == -2 else _R_REGION
                    continue
            mode = ch_keymode[ch]
            if mode & 16:
                reason[r] = _R_NO_KEYCOL
                continue
            v = value[r]
            if np.isnan(v):
                reason[r] = _R_NAN
                continue
            if np.isinf(v):
                reason[r] = _R_INF
                continue
            if ch_nonneg[ch] and v < 0:
                reason[r] = _R_NEG
                continue
            t = time[r]
            if t == _NAT:
                reason[r] = _R_BAD_TIME if time_bad.size > 0 and time_bad[r] else _R_NO_TIME
                continue
            a = _NAT
            if arrived.size > 0:
                a = arrived[r]
                if a == _NAT and arrived_bad.size > 0 and arrived_bad[r]:
                    reason[r] = _R_BAD_ARR
                    continue
            if a == _NAT:
                a = t + ch_delay[ch]
            if t > a:
                reason[r] = _R_AFTER
                continue
            reason[r] = 0
            h1 = _combine(seed1, np.uint64(ch), seed1)
            h2 = _combine(seed2, np.uint64(ch), seed2)
            if mode & 1:
                h1 = _combine(h1, np.uint64(sku), seed1)
                h2 = _combine(h2, np.uint64(sku), seed2)
            if mode & 2:
                h1 = _combine(h1, np.uint64(loc + 1), seed1)
                h2 = _combine(h2, np.uint64(loc + 1), seed2)
            if mode & 4:
                h1 = _combine(h1, np.uint64(t), seed1)
                h2 = _combine(h2, np.uint64(t), seed2)
            if mode & 8:
                h1 = _combine(h1, extra[r], seed1)
                h2 = _combine(h2, extra[r], seed2)
            touched += slots[h1 & mask]
            log_chan[pos_log] = ch
            log_sku[pos_log] = sku
            log_loc[pos_log] = loc
            log_time[pos_log] = t
            log_arr[pos_log] = a
            log_value[pos_log] = v
            b_row[m] = r
            b_pos[m] = pos_log
            b_h1[m] = h1
            b_h2[m] = h2
            m += 1
            pos_log += 1
        # pass B: look up / insert the keys in row order
        for j in range(m):
            r = b_row[j]
            p = b_pos[j]
            h1 = b_h1[j]
            h2 = b_h2[j]
            a = log_arr[p]
            v = log_value[p]
            slot = h1 & mask
            while True:
                k = slots[slot] - 1
                if k == -1:
                    k = n_keys
                    n_keys += 1
                    slots[slot] = k + 1
                    kh1[k] = h1
                    kh2[k] = h2
                    k_arr[k] = a
                    k_val[k] = v
                    prev = np.nan
                    status[r] = 0
                    break
                if kh1[k] == h1 and kh2[k] == h2:
                    if a >= k_arr[k]:
                        prev = k_val[k]
                        status[r] = 1 if v == prev else 2
                        k_arr[k] = a
                        k_val[k] = v
                    else:
                        prev = np.nan
                        status[r] = 3
                    break
                slot = (slot + np.uint64(1)) & mask
            log_prev[p] = prev
            log_key[p] = k
    if touched == np.iinfo(np.int64).min:  # keeps the touching loads from being optimised away
        n_keys += 0
    return pos_log - n0, n_keys
