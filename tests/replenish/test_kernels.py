"""Numba kernels of pullcast.replenish against slow, obvious reference twins on hypothesis inputs."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pullcast.replenish import _kernels as K

# ----------------------------------------------------------------------------- simulator twin


def reference_simulation(
    demand: list[float],
    s_lvl: list[float],
    S_lvl: list[float],
    lead: list[int],
    par: dict[str, float],
    backorder: bool,
) -> dict[str, float]:
    """Plain-Python day-by-day inventory: lots keyed by arrival day, FIFO by arrival day."""
    lots: dict[int, float] = defaultdict(float)
    lots[0] += par["on_hand"]
    if par["on_order"] > 0:
        lots[int(par["arrival"])] += par["on_order"]
    life, season = int(par["life"]), int(par["season"])
    names = "demand sold filled lost stockout_days cycles stockout_cycles onhand_sum ordered orders markdown"
    names += " expired"
    m = dict.fromkeys(names.split(), 0.0)
    backlog, cycle_out, days = 0.0, False, 0

    def on_hand(d: int) -> float:
        return sum(q for a, q in lots.items() if a <= d)

    def take(d: int, amount: float) -> None:
        for a in sorted(lots):
            if a > d or amount <= 0:
                break
            got = min(lots[a], amount)
            lots[a] -= got
            amount -= got

    for d in range(len(demand)):
        days = d + 1
        if life > 0:
            for a in list(lots):
                if a <= d - life and lots[a] > 0:
                    m["expired"] += lots[a]
                    lots[a] = 0.0
        if not math.isnan(S_lvl[d]):
            if m["cycles"] > 0 and cycle_out:
                m["stockout_cycles"] += 1
            cycle_out = False
            m["cycles"] += 1
            stock = sum(lots.values())
            ip = stock - backlog
            trigger = ip <= s_lvl[d] if not math.isnan(s_lvl[d]) else ip < S_lvl[d]
            if trigger and S_lvl[d] > ip:
                q = math.ceil((S_lvl[d] - ip) / par["pack"] - 1e-9) * par["pack"]
                if q < par["moq"]:
                    q = math.ceil(par["moq"] / par["pack"] - 1e-9) * par["pack"]
                if q > par["cap"] - stock:
                    q = math.floor((par["cap"] - stock) / par["pack"] + 1e-9) * par["pack"]
                lt = lead[d] if len(lead) > 1 else lead[0]
                if q > 0 and (season < 0 or d + lt <= season):
                    lots[d + lt] += q
                    m["orders"] += 1
                    m["ordered"] += q
        if backorder and backlog > 0:
            serve = min(backlog, on_hand(d))
            take(d, serve)
            backlog -= serve
            m["sold"] += serve
        dem = demand[d] if not math.isnan(demand[d]) else 0.0
        now = min(dem, on_hand(d))
        take(d, now)
        m["demand"] += dem
        m["filled"] += now
        m["sold"] += now
        if dem - now > 1e-12:
            m["stockout_days"] += 1
            cycle_out = True
            if backorder:
                backlog += dem - now
            else:
                m["lost"] += dem - now
        m["onhand_sum"] += on_hand(d)
        if d == season:
            m["markdown"] += on_hand(d)
            for a in list(lots):
                if a <= d:
                    lots[a] = 0.0
            break
    if m["cycles"] > 0 and cycle_out:
        m["stockout_cycles"] += 1
    m["backlog"] = backlog
    m["days"] = days
    m["ending"] = on_hand(days - 1)
    return m


NAMES = {
    "demand": K.S_DEMAND, "sold": K.S_SOLD, "filled": K.S_FILLED, "lost": K.S_LOST, "backlog": K.S_BACKLOG,
    "stockout_days": K.S_STOCKOUT_DAYS, "days": K.S_DAYS, "cycles": K.S_CYCLES,
    "stockout_cycles": K.S_STOCKOUT_CYCLES, "onhand_sum": K.S_ONHAND_SUM, "ordered": K.S_ORDERED,
    "orders": K.S_ORDERS, "markdown": K.S_MARKDOWN, "expired": K.S_EXPIRED, "ending": K.S_ENDING,
}  # fmt: skip


@st.composite
def sim_case(draw: st.DrawFn) -> dict:
    t = draw(st.integers(1, 30))
    demand = [float(x) for x in draw(st.lists(st.integers(0, 9), min_size=t, max_size=t))]
    if draw(st.booleans()) and t > 2:
        demand[draw(st.integers(0, t - 1))] = float("nan")
    review = draw(st.integers(1, 4))
    S = [float(draw(st.integers(0, 30))) if d % review == 0 else float("nan") for d in range(t)]
    use_s = draw(st.booleans())
    s = [(x - draw(st.integers(1, 10))) if use_s and not math.isnan(x) else float("nan") for x in S]
    lead = (
        [draw(st.integers(0, 4))]
        if draw(st.booleans())
        else draw(st.lists(st.integers(0, 4), min_size=t, max_size=t))
    )
    par = {
        "pack": float(draw(st.integers(1, 5))),
        "moq": float(draw(st.integers(0, 10))),
        "cap": float(draw(st.sampled_from([5, 12, 40, 1e9]))),
        "life": float(draw(st.integers(0, 6))),
        "season": float(draw(st.integers(-1, t - 1))),
        "on_hand": float(draw(st.integers(0, 20))),
        "on_order": float(draw(st.integers(0, 10))),
        "arrival": float(draw(st.integers(0, 5))),
    }
    return {"demand": demand, "s": s, "S": S, "lead": lead, "par": par, "backorder": draw(st.booleans())}


def _run_kernel(cases: list[dict]) -> np.ndarray:
    t = max(len(c["demand"]) for c in cases)
    n = len(cases)
    dem = np.zeros((n, t))
    s_lvl = np.full((n, t), np.nan)
    S_lvl = np.full((n, t), np.nan)
    width = max(len(c["lead"]) for c in cases)
    lead = np.zeros((n, width), dtype=np.int64)
    par = np.zeros((n, K.N_SIM_PARAMS))
    for i, c in enumerate(cases):
        m = len(c["demand"])
        dem[i, :m] = c["demand"]
        s_lvl[i, :m] = c["s"]
        S_lvl[i, :m] = c["S"]
        lead[i, : len(c["lead"])] = c["lead"]
        if len(c["lead"]) == 1:
            lead[i, :] = c["lead"][0]
        p = c["par"]
        par[i] = [
            p["pack"],
            p["moq"],
            p["cap"],
            p["life"],
            p["season"],
            p["on_hand"],
            p["on_order"],
            p["arrival"],
        ]
    out = np.empty((n, K.N_SIM))
    K.simulate_all(dem, s_lvl, S_lvl, lead, par, bool(cases[0]["backorder"]), out)
    return out


@settings(max_examples=150, deadline=None)
@given(case=sim_case())
def test_simulator_matches_reference_twin(case: dict) -> None:
    out = _run_kernel([case])[0]
    ref = reference_simulation(
        case["demand"], case["s"], case["S"], case["lead"], case["par"], case["backorder"]
    )
    for name, k in NAMES.items():
        assert out[k] == pytest.approx(ref[name], abs=1e-9), name


@settings(max_examples=20, deadline=None)
@given(cases=st.lists(sim_case(), min_size=2, max_size=5), backorder=st.booleans())
def test_simulator_driver_is_per_series_and_order_free(cases: list[dict], backorder: bool) -> None:
    t = min(len(c["demand"]) for c in cases)
    for c in cases:
        c["backorder"] = backorder
        for key in ("demand", "s", "S"):
            c[key] = c[key][:t]
        c["lead"] = c["lead"][:1] if len(c["lead"]) == 1 else c["lead"][:t]
        c["par"]["season"] = min(c["par"]["season"], t - 1)
    for c in cases:  # all variable-length leads must share the width
        if len(c["lead"]) != 1 and len(c["lead"]) != t:
            c["lead"] = c["lead"][:1]
    together = _run_kernel(cases)
    reversed_ = _run_kernel(cases[::-1])[::-1]
    np.testing.assert_allclose(together, reversed_)
    for i, c in enumerate(cases):
        ref = reference_simulation(c["demand"], c["s"], c["S"], c["lead"], c["par"], backorder)
        for name, k in NAMES.items():
            assert together[i, k] == pytest.approx(ref[name], abs=1e-9), name


# ----------------------------------------------------------------------------- window sums twin


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 4),
    p=st.integers(1, 6),
    h=st.integers(1, 12),
    data=st.data(),
)
def test_window_sums_match_reference(n: int, p: int, h: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    paths = rng.poisson(3.0, size=(n, p, h)).astype(np.float64)
    offset = np.array([data.draw(st.integers(0, h - 1)) for _ in range(n)], dtype=np.int64)
    lead = rng.integers(0, 4, size=(n, p)).astype(np.int64)
    review = rng.integers(1, 4, size=n).astype(np.int64)
    trunc = rng.integers(0, 8, size=n).astype(np.int64)
    life = rng.integers(0, 4, size=n).astype(np.int64)
    full = np.empty((n, p))
    lsum = np.empty((n, p))
    K.window_sums(paths, offset, lead, review, trunc, life, full, lsum)
    for i in range(n):
        for k in range(p):
            end = min(lead[i, k] + review[i], trunc[i])
            if life[i] > 0:
                end = min(end, lead[i, k] + life[i])
            days = [offset[i] + t for t in range(max(end, 0))]
            if any(d >= h for d in days):  # the window runs past the paths: both unknown
                assert np.isnan(full[i, k]) and np.isnan(lsum[i, k])
                continue
            lend = max(min(lead[i, k], end), 0)
            assert full[i, k] == pytest.approx(float(sum(paths[i, k, d] for d in days)))
            assert lsum[i, k] == pytest.approx(float(sum(paths[i, k, d] for d in days[:lend])))


# ----------------------------------------------------------------------------- decision twin


def reference_decision(full: np.ndarray, lead: np.ndarray, ratio: float, kind: int, batch: float, ip: float,
                       stock: float, pack: float, moq: float, cap: float) -> dict[str, float]:  # fmt: skip
    n = full.size
    if kind == 1:
        cycle = full.mean() - lead.mean()

        # the smallest level reaching the fill rate, by a fine scan (the kernel bisects)
        grid = np.linspace(0, max(full.max(), 0), 20001)
        short = np.maximum(full[None, :] - grid[:, None], 0).mean(1) - np.maximum(
            lead[None, :] - grid[:, None], 0
        ).mean(1)
        ok = grid[short <= (1 - ratio) * cycle + 1e-12]
        level = ok[0]
    else:
        level = float(np.sort(full)[min(max(math.ceil(ratio * n - 1e-9) - 1, 0), n - 1)])
    top = level + batch if kind == 2 else level
    trigger = ip <= level if kind == 2 else ip < level
    raw = max(top - ip, 0.0) if trigger else 0.0
    q = math.ceil(raw / pack - 1e-9) * pack if raw > 0 else 0.0
    if 0 < q < moq:
        q = math.ceil(moq / pack - 1e-9) * pack
    if q > cap - stock:
        q = max(math.floor((cap - stock) / pack + 1e-9) * pack, 0.0)
    y = ip + q
    return {
        "level": level,
        "qty": q,
        "left": float(np.mean(np.maximum(y - full, 0))),
        "lost": float(np.mean(np.maximum(full - y, 0))),
    }


@settings(max_examples=80, deadline=None)
@given(
    samples=st.lists(st.integers(0, 40), min_size=1, max_size=30),
    ratio=st.floats(0.05, 0.99),
    kind=st.sampled_from([0, 1, 2]),
    batch=st.integers(0, 20),
    ip=st.integers(-5, 40),
    pack=st.integers(1, 6),
    moq=st.integers(0, 15),
    cap=st.sampled_from([10.0, 30.0, 1e9]),
)
def test_decision_kernel_matches_reference(samples: list[int], ratio: float, kind: int, batch: int, ip: int,
                                           pack: int, moq: int, cap: float) -> None:  # fmt: skip
    full = np.array(samples, dtype=float)
    lead = np.floor(full / 2)
    out = np.empty((1, K.N_DECIDE))
    K.decide(full[None], lead[None], np.array([ratio]), np.array([kind]), np.array([float(batch)]),
             np.array([float(ip)]), np.array([float(max(ip, 0))]), np.array([float(pack)]),
             np.array([float(moq)]), np.array([cap]), out)  # fmt: skip
    ref = reference_decision(
        full, lead, ratio, kind, float(batch), float(ip), float(max(ip, 0)), pack, moq, cap
    )
    tol = 1e-3 * max(1.0, full.max()) if kind == 1 else 1e-9
    assert out[0, K.D_REORDER] == pytest.approx(ref["level"], abs=tol)
    if kind != 1:
        assert out[0, K.D_QTY] == ref["qty"]
        assert out[0, K.D_LEFTOVER] == pytest.approx(ref["left"])
        assert out[0, K.D_LOST] == pytest.approx(ref["lost"])
