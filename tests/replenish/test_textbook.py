"""Textbook policies against published numbers and independent brute-force derivations.

Sources of the published numbers:
* [FoSCT] Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., Wiley 2019, ch. 4. The exact
  digits are those printed in the documentation/tests of the authors' companion package stockpyl
  (github.com/LarrySnyder/stockpyl: README "Example 4.3", newsvendor.py doctests for Examples 4.3 and 4.7
  and the Poisson example, tests/test_ss.py for Examples 4.7, 4.8 and Problems 4.31, 4.32).
* [ZF] Zheng & Federgruen, "Finding optimal (s, S) policies is about as simple as evaluating a single
  policy", Operations Research 39(4), 1991, table of instances h=1, p=9, K=64, Poisson demand
  (3 decimals; as transcribed in stockpyl tests/test_ss.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pullcast.errors import ConfigError, ValueRangeError
from pullcast.replenish import (
    analytic_fill_rate,
    costs_from_prices,
    newsvendor,
    optimal_sS,
    order_up_to,
    sS_cost,
)

# ----------------------------------------------------------------------------- newsvendor, published


def test_newsvendor_normal_fosct_example_4_3() -> None:
    # [FoSCT] Example 4.3: h = 0.18, p = 0.70, D ~ N(50, 8^2):
    # S* = 56.60395592743389, g(S*) = 1.9976051931766445
    res = newsvendor(stats.norm(50, 8), underage_cost=0.70, overage_cost=0.18)
    assert res.quantity == pytest.approx(56.60395592743389, abs=1e-6)
    assert res.expected_cost == pytest.approx(1.9976051931766445, abs=1e-6)
    assert res.critical_ratio == pytest.approx(0.70 / 0.88, abs=1e-12)


def test_newsvendor_poisson_fosct() -> None:
    # [FoSCT] Poisson newsvendor, h = 0.18, p = 0.70, D ~ Poisson(50): S* = 56, g = 1.797235211809178
    res = newsvendor(stats.poisson(50), underage_cost=0.70, overage_cost=0.18)
    assert res.quantity == 56
    assert res.expected_cost == pytest.approx(1.797235211809178, abs=1e-6)


def test_newsvendor_poisson_fosct_example_4_7() -> None:
    # [FoSCT] Example 4.7 without the fixed cost: h = 1, p = 4, D ~ Poisson(6): S* = 8, g = 3.5701069457709416
    res = newsvendor(stats.poisson(6), underage_cost=4, overage_cost=1)
    assert res.quantity == 8
    assert res.expected_cost == pytest.approx(3.5701069457709416, abs=1e-6)


# ----------------------------------------------------------------------------- (s, S), published


def test_sS_fosct_example_4_7() -> None:
    # [FoSCT] Example 4.7: K = 5, h = 1, p = 4, Poisson(6): s = 4, S = 10, g = 8.034111561471644;
    # and c(6, 18) = 10.193798671644046.
    s, S, g = optimal_sS(stats.poisson(6), fixed_cost=5, holding_cost=1, stockout_cost=4)
    assert (s, S) == (4, 10)
    assert g == pytest.approx(8.034111561471644, abs=1e-6)
    c = sS_cost(6, 18, stats.poisson(6), fixed_cost=5, holding_cost=1, stockout_cost=4)
    assert c == pytest.approx(10.193798671644046, abs=1e-6)


def test_sS_fosct_problem_4_31() -> None:
    # [FoSCT] Problem 4.31: K = 150, h = 40, p = 125, Poisson(4): s = 2, S = 7, g = 223.5748295669688
    s, S, g = optimal_sS(stats.poisson(4), fixed_cost=150, holding_cost=40, stockout_cost=125)
    assert (s, S) == (2, 7)
    assert g == pytest.approx(223.5748295669688, abs=1e-6)


ZF_MU = [*range(10, 80, 5), 21, 22, 23, 24, 51, 52, 59, 61, 63, 64]
ZF_S_LOW = [6, 10, 14, 19, 23, 28, 33, 37, 42, 47, 52, 56, 62, 67, 15, 16, 17, 18, 43, 44, 51, 52, 54, 55]
ZF_S_UP = [
    40,
    49,
    62,
    56,
    66,
    77,
    87,
    97,
    108,
    118,
    129,
    75,
    81,
    86,
    65,
    68,
    52,
    54,
    110,
    112,
    126,
    131,
    73,
    74,
]
ZF_COST = [
    35.022, 42.698, 49.173, 54.262, 57.819, 61.215, 64.512, 67.776, 70.975, 74.149, 77.306, 78.518,
    79.037, 79.554, 50.406, 51.632, 52.757, 53.518, 71.611, 72.246, 76.679, 77.929, 78.287, 78.402,
]  # fmt: skip


@pytest.mark.parametrize(
    ("mu", "s_opt", "S_opt", "cost"), list(zip(ZF_MU, ZF_S_LOW, ZF_S_UP, ZF_COST, strict=True))
)
def test_sS_zheng_federgruen_table(mu: int, s_opt: int, S_opt: int, cost: float) -> None:
    # [ZF] h = 1, p = 9, K = 64, Poisson(mu); the paper prints costs to 3 decimals.
    s, S, g = optimal_sS(stats.poisson(mu), fixed_cost=64, holding_cost=1, stockout_cost=9)
    assert (s, S) == (s_opt, S_opt)
    assert g == pytest.approx(cost, abs=5e-4)


def test_sS_power_approximation_fosct_example_4_8_and_problem_4_32() -> None:
    # [FoSCT] Example 4.8: h = 0.18, p = 0.70, K = 2.5, N(50, 8^2):
    # s = 40.194616956474071, S = 74.290170109805786
    s, S, g = optimal_sS(stats.norm(50, 8), fixed_cost=2.5, holding_cost=0.18, stockout_cost=0.70)
    assert s == pytest.approx(40.194616956474071, abs=1e-6)
    assert S == pytest.approx(74.290170109805786, abs=1e-6)
    assert np.isnan(g)
    # [FoSCT] Problem 4.32: h = 2, p = 36, K = 60, N(190, 48^2): s = 226.6137928222839, S = 324.3797868133974
    s, S, _ = optimal_sS(stats.norm(190, 48), fixed_cost=60, holding_cost=2, stockout_cost=36)
    assert s == pytest.approx(226.6137928222839, abs=1e-6)
    assert S == pytest.approx(324.3797868133974, abs=1e-6)


def _brute_sS_cost(s: int, S: int, lam: float, K: float, h: float, p: float) -> float:
    """Independent derivation: stationary distribution of the inventory position (Markov chain on s+1..S),
    average cost = P(order) * K + E[G(y)] with y the position after ordering."""
    states = np.arange(s + 1, S + 1)
    n = states.size
    # a step from y with demand d lands on y - d when y - d > s, else on S (an order)
    P = np.zeros((n, n))
    for a, y in enumerate(states):
        for d in range(0, y - s):
            P[a, y - d - (s + 1)] += stats.poisson.pmf(d, lam)
        P[a, n - 1] += stats.poisson.sf(y - s - 1, lam)
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    pi = pi / pi.sum()
    k = np.arange(0, int(stats.poisson.ppf(1 - 1e-14, lam)) + 2)
    pmf = stats.poisson.pmf(k, lam)

    def G(y: int) -> float:
        return float(np.sum(pmf * (h * np.maximum(y - k, 0) + p * np.maximum(k - y, 0))))

    # probability an order is placed in a period = P(y - D <= s) under pi
    p_order = float(sum(pi[a] * stats.poisson.sf(y - s - 1, lam) for a, y in enumerate(states)))
    return p_order * K + float(sum(pi[a] * G(int(y)) for a, y in enumerate(states)))


def test_sS_cost_matches_markov_chain_derivation() -> None:
    # Independent check of the renewal cost formula (no published number needed).
    for s, S in [(4, 10), (2, 12), (0, 5)]:
        ours = sS_cost(s, S, stats.poisson(6), fixed_cost=5, holding_cost=1, stockout_cost=4)
        assert ours == pytest.approx(_brute_sS_cost(s, S, 6.0, 5.0, 1.0, 4.0), abs=1e-8)


def test_sS_optimum_is_brute_force_minimum() -> None:
    lam, K, h, p = 3.0, 8.0, 1.0, 6.0
    s, S, g = optimal_sS(stats.poisson(lam), fixed_cost=K, holding_cost=h, stockout_cost=p)
    best = min(
        (sS_cost(a, b, stats.poisson(lam), fixed_cost=K, holding_cost=h, stockout_cost=p), a, b)
        for a, b in itertools.product(range(-3, 10), range(0, 20))
        if b > a
    )
    assert g == pytest.approx(best[0], abs=1e-10)
    assert (s, S) == (best[1], best[2])


# ----------------------------------------------------------------------------- newsvendor, derived


@settings(max_examples=40, deadline=None)
@given(
    lam=st.floats(0.5, 30.0),
    cu=st.floats(0.1, 10.0),
    co=st.floats(0.1, 10.0),
)
def test_newsvendor_poisson_is_cost_minimum_by_enumeration(lam: float, cu: float, co: float) -> None:
    res = newsvendor(stats.poisson(lam), underage_cost=cu, overage_cost=co)
    k = np.arange(0, int(lam * 4 + 60))
    pmf = stats.poisson.pmf(k, lam)
    costs = [float(np.sum(pmf * (co * np.maximum(q - k, 0) + cu * np.maximum(k - q, 0)))) for q in k]
    assert res.expected_cost == pytest.approx(min(costs), abs=1e-8)
    assert costs[int(res.quantity)] == pytest.approx(min(costs), abs=1e-8)


@settings(max_examples=30, deadline=None)
@given(
    samples=st.lists(st.integers(0, 50), min_size=1, max_size=40), cu=st.floats(0.1, 5), co=st.floats(0.1, 5)
)
def test_newsvendor_on_samples_minimises_empirical_cost(samples: list[int], cu: float, co: float) -> None:
    x = np.array(samples, dtype=float)
    res = newsvendor(x, underage_cost=cu, overage_cost=co)

    def cost(q: float) -> float:
        return float(np.mean(co * np.maximum(q - x, 0) + cu * np.maximum(x - q, 0)))

    assert res.quantity in set(samples)
    assert cost(res.quantity) <= min(cost(q) for q in range(0, 51)) + 1e-9
    assert res.expected_cost == pytest.approx(cost(res.quantity), abs=1e-9)


def test_costs_from_prices_critical_ratio() -> None:
    c = costs_from_prices(price=10.0, cost=6.0, salvage=2.0)
    assert (c.underage, c.overage) == (4.0, 4.0)
    assert c.critical_ratio == pytest.approx((10 - 6) / (10 - 2))
    c = costs_from_prices(10.0, 6.0, 2.0, holding=1.0, goodwill=3.0)
    assert (c.underage, c.overage) == (7.0, 5.0)
    with pytest.raises(ValueRangeError, match="below unit cost"):
        costs_from_prices(price=5.0, cost=6.0, salvage=1.0)
    with pytest.raises(ValueRangeError, match="salvage"):
        costs_from_prices(price=10.0, cost=6.0, salvage=7.0)


# ----------------------------------------------------------------------------- order-up-to


def test_order_up_to_normal_is_newsvendor_on_lead_time_demand() -> None:
    # periodic review with lead time L and review R protects L + R periods: N(mu (L+R), sigma^2 (L+R))
    res = order_up_to(stats.norm(50, 8), lead_time=4, review_period=1, underage_cost=0.70, overage_cost=0.18)
    ref = newsvendor(stats.norm(250, 8 * np.sqrt(5)), underage_cost=0.70, overage_cost=0.18)
    assert res.quantity == pytest.approx(ref.quantity, abs=1e-9)
    assert res.expected_cost == pytest.approx(ref.expected_cost, abs=1e-9)
    res = order_up_to(stats.norm(50, 8), lead_time=2, review_period=3, service_level=0.95)
    assert res.quantity == pytest.approx(250 + 8 * np.sqrt(5) * stats.norm.ppf(0.95), abs=1e-9)
    assert res.cycle_service_level == pytest.approx(0.95, abs=1e-12)


def test_order_up_to_poisson_convolution_and_sample_paths_agree() -> None:
    res = order_up_to(stats.poisson(3), lead_time=2, review_period=2, service_level=0.9)
    assert res.quantity == stats.poisson.ppf(0.9, 12)
    rng = np.random.default_rng(3)
    paths = rng.poisson(3, size=(200_000, 5)).astype(float)
    res_paths = order_up_to(paths, lead_time=2, review_period=2, service_level=0.9)
    assert res_paths.quantity == res.quantity


def test_fill_rate_target_is_smallest_level_reaching_it() -> None:
    res = order_up_to(stats.poisson(4), lead_time=2, fill_rate=0.97)
    S = res.quantity
    assert analytic_fill_rate(stats.poisson(4), S, lead_time=2) >= 0.97
    assert analytic_fill_rate(stats.poisson(4), S - 1, lead_time=2) < 0.97
    res = order_up_to(stats.norm(20, 5), lead_time=1, review_period=2, fill_rate=0.98)
    assert res.fill_rate == pytest.approx(0.98, abs=1e-8)


def test_analytic_fill_rate_formula_by_direct_sum() -> None:
    # R = 1: shortage per period = E[(D_{L+1} - S)+] - E[(D_L - S)+], computed here by direct pmf sums
    lam, L, S = 2.5, 3, 12
    k = np.arange(0, 200)
    n_l1 = np.sum(stats.poisson.pmf(k, lam * (L + 1)) * np.maximum(k - S, 0))
    n_l = np.sum(stats.poisson.pmf(k, lam * L) * np.maximum(k - S, 0))
    assert analytic_fill_rate(stats.poisson(lam), S, lead_time=L) == pytest.approx(
        1 - (n_l1 - n_l) / lam, abs=1e-10
    )


def test_order_up_to_needs_exactly_one_target() -> None:
    with pytest.raises(ConfigError):
        order_up_to(stats.poisson(3), lead_time=1)
    with pytest.raises(ConfigError):
        order_up_to(stats.poisson(3), lead_time=1, service_level=0.9, fill_rate=0.9)
    with pytest.raises(ValueRangeError):
        order_up_to(stats.poisson(3), lead_time=-1, service_level=0.9)
