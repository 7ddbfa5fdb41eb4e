"""Numba kernels of the replenishment layer: one kernel per SKU-store, one parallel driver over all.

* :func:`window_sums` — per sample path, demand over the protection window and over the lead time.
* :func:`decide` — order-up-to / (s, S) target from window samples, rounding to packs, MOQ and
  capacity, expected leftover and lost sales.
* :func:`simulate_all` — the day-by-day inventory simulator.

Kernels never raise on data: NaN in gives NaN out (NaN demand in the simulator counts as 0).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from pullcast.kernels._jit import jit, jit_parallel

# decision flags (bit mask), read by pullcast.replenish.propose
NO_NEED = 1  # inventory position at or above the target (or above s)
PACK_UP = 2  # rounded up to a case-pack multiple
MOQ_UP = 4  # raised to the minimum order quantity
CAPPED = 8  # cut to fit the shelf capacity

# decide() output columns
D_TARGET, D_REORDER, D_MEAN, D_RAW, D_QTY, D_LEFTOVER, D_LOST, D_FLAGS = range(8)
N_DECIDE = 8

# simulate() output columns
(
    S_DEMAND,
    S_SOLD,
    S_FILLED,
    S_LOST,
    S_BACKLOG,
    S_STOCKOUT_DAYS,
    S_DAYS,
    S_CYCLES,
    S_STOCKOUT_CYCLES,
    S_ONHAND_SUM,
    S_ORDERED,
    S_ORDERS,
    S_MARKDOWN,
    S_EXPIRED,
    S_ENDING,
) = range(15)
N_SIM = 15

# simulate() per-series parameter columns
P_PACK, P_MOQ, P_CAP, P_LIFE, P_SEASON, P_ON_HAND, P_ON_ORDER, P_ARRIVAL = range(8)
N_SIM_PARAMS = 8


@jit
def _window_one(
    paths: np.ndarray,
    offset: int,
    lead: np.ndarray,
    review: int,
    trunc: int,
    life: int,
    out_full: np.ndarray,
    out_lead: np.ndarray,
) -> None:
    n_paths, horizon = paths.shape
    for k in range(n_paths):
        lk = lead[k]
        end = lk + review
        if trunc < end:
            end = trunc
        if life > 0 and lk + life < end:
            end = lk + life
        lend = lk if lk < end else end
        if end < 0:
            end = 0
        if lend < 0:
            lend = 0
        if offset + end > horizon:  # the window runs past the paths: unknown
            out_full[k] = np.nan
            out_lead[k] = np.nan
            continue
        row = paths[k]
        acc_lead = 0.0
        for t in range(offset, offset + lend):
            acc_lead += row[t]
        acc = acc_lead
        for t in range(offset + lend, offset + end):
            acc += row[t]
        out_full[k] = acc
        out_lead[k] = acc_lead


@jit_parallel
def window_sums(
    paths: np.ndarray,
    offset: np.ndarray,
    lead: np.ndarray,
    review: np.ndarray,
    trunc: np.ndarray,
    life: np.ndarray,
    out_full: np.ndarray,
    out_lead: np.ndarray,
) -> None:
    """Per series and path: demand over the protection window and over the lead time.

    The window of path ``k`` starts at ``offset`` and lasts ``min(lead + review, trunc,
    lead + life)`` days (``life = 0``: no shelf-life limit).
    """
    for i in numba.prange(paths.shape[0]):
        _window_one(paths[i], offset[i], lead[i], review[i], trunc[i], life[i], out_full[i], out_lead[i])


@jit
def _shortage(full: np.ndarray, lead: np.ndarray, level: float) -> float:
    acc = 0.0
    for k in range(full.size):
        a = full[k] - level
        b = lead[k] - level
        acc += (a if a > 0 else 0.0) - (b if b > 0 else 0.0)
    return acc / full.size


@jit
def _decide_one(
    full: np.ndarray,
    lead: np.ndarray,
    ratio: float,
    kind: int,
    batch: float,
    ip: float,
    stock: float,
    pack: float,
    moq: float,
    cap: float,
    out: np.ndarray,
) -> None:
    n = full.size
    mean_full = full.sum() / n
    if kind == 1:  # fill-rate target: smallest S with shortage per cycle <= (1 - ratio) * cycle demand
        allowed = (1.0 - ratio) * (mean_full - lead.sum() / n)
        lo = 0.0
        top_val = full.max()
        hi = top_val if top_val > 0 else 0.0
        if _shortage(full, lead, lo) <= allowed:
            hi = lo
        else:
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                if _shortage(full, lead, mid) <= allowed:
                    hi = mid
                else:
                    lo = mid
        level = hi
    else:
        k = int(math.ceil(ratio * n - 1e-9)) - 1
        k = min(max(k, 0), n - 1)
        if np.isnan(mean_full):
            level = np.nan
        else:
            level = np.partition(full, k)[k]  # the k-th smallest: the inverted-cdf quantile
    flags = 0
    if kind == 2:  # (s, S): order only at or below s, up to s + batch
        top = level + batch
        trigger = ip <= level
    else:
        top = level
        trigger = ip < level
    raw = top - ip if trigger else 0.0
    if not raw > 0:
        raw = 0.0
        flags |= NO_NEED
    q = math.ceil(raw / pack - 1e-9) * pack if raw > 0 else 0.0
    if q > raw + 1e-9:
        flags |= PACK_UP
    if q > 0 and q < moq:
        q = math.ceil(moq / pack - 1e-9) * pack
        flags |= MOQ_UP
    room = cap - stock
    if q > room:
        q = math.floor(room / pack + 1e-9) * pack
        if q < 0:
            q = 0.0
        flags |= CAPPED
    y = ip + q
    left = 0.0
    lost = 0.0
    for j in range(n):
        d = full[j]
        if y > d:
            left += y - d
        else:
            lost += d - y
    out[D_TARGET] = top
    out[D_REORDER] = level
    out[D_MEAN] = mean_full
    out[D_RAW] = raw
    out[D_QTY] = q
    out[D_LEFTOVER] = left / n
    out[D_LOST] = lost / n
    out[D_FLAGS] = flags


@jit_parallel
def decide(
    full: np.ndarray,
    lead: np.ndarray,
    ratio: np.ndarray,
    kind: np.ndarray,
    batch: np.ndarray,
    ip: np.ndarray,
    stock: np.ndarray,
    pack: np.ndarray,
    moq: np.ndarray,
    cap: np.ndarray,
    out: np.ndarray,
) -> None:
    """Order decision of every series from its window samples (see the module docstring)."""
    for i in numba.prange(full.shape[0]):
        _decide_one(
            full[i], lead[i], ratio[i], kind[i], batch[i], ip[i], stock[i], pack[i], moq[i], cap[i], out[i]
        )


@jit
def _consume(lot: np.ndarray, head: int, day: int, amount: float) -> int:
    """Take ``amount`` from the oldest lots (FIFO) up to ``day``; return the new head."""
    j = head
    while amount > 0 and j <= day:
        take = lot[j] if lot[j] < amount else amount
        lot[j] -= take
        amount -= take
        if lot[j] <= 0:
            j += 1
    while j < day and lot[j] <= 0:
        j += 1
    return j


@jit
def _simulate_one(
    demand: np.ndarray,
    s_lvl: np.ndarray,
    S_lvl: np.ndarray,
    lead: np.ndarray,
    par: np.ndarray,
    backorder: bool,
    out: np.ndarray,
) -> None:
    days = demand.size
    pack, moq, cap = par[P_PACK], par[P_MOQ], par[P_CAP]
    life = int(par[P_LIFE])
    season = int(par[P_SEASON])
    max_lead = 0
    for t in range(lead.size):
        if lead[t] > max_lead:
            max_lead = lead[t]
    arr = int(par[P_ARRIVAL])
    if arr < 0:
        arr = 0
    lot = np.zeros(days + max(max_lead, arr) + 2)
    lot[0] = par[P_ON_HAND]
    on_hand = 0.0
    pipeline = par[P_ON_HAND]
    if par[P_ON_ORDER] > 0:
        lot[arr] += par[P_ON_ORDER]
        pipeline += par[P_ON_ORDER]
    head = 0
    backlog = 0.0
    tot_dem = sold = filled = lost = 0.0
    stockout_days = cycles = stockout_cycles = orders = 0
    onhand_sum = ordered = markdown = expired = 0.0
    cur_out = False
    sim_days = 0
    for d in range(days):
        sim_days = d + 1
        # 1. expiry: a lot that arrived on day a sells on days a .. a + life - 1
        if life > 0:
            while head <= d - life:
                if lot[head] > 0:
                    expired += lot[head]
                    on_hand -= lot[head]
                    lot[head] = 0.0
                head += 1
        # 2. arrivals
        on_hand += lot[d]
        pipeline -= lot[d]
        # 3. review: order up to S (or at/below s, up to S)
        top = S_lvl[d]
        if not np.isnan(top):
            if cycles > 0 and cur_out:
                stockout_cycles += 1
            cur_out = False
            cycles += 1
            ip = on_hand + pipeline - backlog
            s = s_lvl[d]
            trigger = ip <= s if not np.isnan(s) else ip < top
            if trigger and top > ip:
                q = math.ceil((top - ip) / pack - 1e-9) * pack
                if q < moq:
                    q = math.ceil(moq / pack - 1e-9) * pack
                room = cap - on_hand - pipeline
                if q > room:
                    q = math.floor(room / pack + 1e-9) * pack
                lt = lead[d] if lead.size > 1 else lead[0]
                a = d + lt
                if q > 0 and (season < 0 or a <= season):
                    orders += 1
                    ordered += q
                    lot[a] += q
                    if lt == 0:
                        on_hand += q
                    else:
                        pipeline += q
        # 4. backlog first, then today's demand
        if backorder and backlog > 0 and on_hand > 0:
            serve = backlog if backlog < on_hand else on_hand
            backlog -= serve
            on_hand -= serve
            sold += serve
            if life > 0:
                head = _consume(lot, head, d, serve)
        dem = demand[d]
        if np.isnan(dem) or dem < 0:
            dem = 0.0
        now = dem if dem < on_hand else on_hand
        if now < 0:
            now = 0.0
        on_hand -= now
        if life > 0:
            head = _consume(lot, head, d, now)
        tot_dem += dem
        filled += now
        sold += now
        short = dem - now
        if short > 1e-12:
            stockout_days += 1
            cur_out = True
            if backorder:
                backlog += short
            else:
                lost += short
        # 5. end of day
        onhand_sum += on_hand
        if d == season:
            markdown += on_hand
            on_hand = 0.0
            break
    if cycles > 0 and cur_out:
        stockout_cycles += 1
    out[S_DEMAND] = tot_dem
    out[S_SOLD] = sold
    out[S_FILLED] = filled
    out[S_LOST] = lost
    out[S_BACKLOG] = backlog
    out[S_STOCKOUT_DAYS] = stockout_days
    out[S_DAYS] = sim_days
    out[S_CYCLES] = cycles
    out[S_STOCKOUT_CYCLES] = stockout_cycles
    out[S_ONHAND_SUM] = onhand_sum
    out[S_ORDERED] = ordered
    out[S_ORDERS] = orders
    out[S_MARKDOWN] = markdown
    out[S_EXPIRED] = expired
    out[S_ENDING] = on_hand


@jit_parallel
def simulate_all(
    demand: np.ndarray,
    s_lvl: np.ndarray,
    S_lvl: np.ndarray,
    lead: np.ndarray,
    par: np.ndarray,
    backorder: bool,
    out: np.ndarray,
) -> None:
    """Simulate every series day by day; ``out`` gets the :data:`N_SIM` totals per series."""
    for i in numba.prange(demand.shape[0]):
        _simulate_one(demand[i], s_lvl[i], S_lvl[i], lead[i], par[i], backorder, out[i])
