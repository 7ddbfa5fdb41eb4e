"""Optimal (s, S) policies: exact for discrete demand, the power approximation for continuous demand.

Periodic review, backorders, average cost per period. When the inventory position is at or below
``s`` an order raises it to ``S`` at a fixed cost ``K``; holding ``h`` and stockout ``p`` are
charged on the inventory level at the end of each period, which with lead time ``L`` sees the
demand of ``L + 1`` periods.

* Discrete demand: the algorithm of Zheng & Federgruen, "Finding optimal (s, S) policies is about
  as simple as evaluating a single policy", *Operations Research* 39(4), 1991, with the renewal
  form of the cost ``c(s, S) = (K + sum_{j<S-s} m(j) G(S - j)) / M(S - s)``.
* Continuous demand: the power approximation of Ehrhardt & Mosier, "A revision of the power
  approximation for computing (s, S) policies", *Management Science* 30(5), 1984, as stated in
  Snyder & Shen, *Fundamentals of Supply Chain Theory*, §4.6. It is an approximation: the
  returned cost is NaN (not evaluated).
"""

from __future__ import annotations

import math
from typing import Any

from scipy import stats

from pullcast.errors import ConfigError, ValueRangeError
from pullcast.replenish._dist import DiscreteDemand, as_demand, convolve_periods

__all__ = ["optimal_sS", "sS_cost"]


class _Renewal:
    """G(y) and the renewal quantities m(j), M(j) of one-period discrete demand."""

    def __init__(self, one: DiscreteDemand, lead: DiscreteDemand, h: float, p: float) -> None:
        self.one, self.lead, self.h, self.p = one, lead, h, p
        p0 = float(one.pmf[0])
        if p0 >= 1.0:
            raise ConfigError("demand is zero with probability 1: no (s, S) policy is needed")
        self._p0 = p0
        self._m: list[float] = [1.0 / (1.0 - p0)]
        self._g: dict[int, float] = {}

    def G(self, y: int) -> float:
        val = self._g.get(y)
        if val is None:
            val = self.h * self.lead.complementary_loss(y) + self.p * self.lead.loss(y)
            self._g[y] = val
        return val

    def m(self, j: int) -> float:
        pmf = self.one.pmf
        while len(self._m) <= j:
            k = len(self._m)
            top = min(k, pmf.size - 1)
            acc = sum(float(pmf[d]) * self._m[k - d] for d in range(1, top + 1))
            self._m.append(acc / (1.0 - self._p0))
        return self._m[j]

    def cost(self, s: int, S: int, K: float) -> float:
        n = S - s
        num = K + sum(self.m(j) * self.G(S - j) for j in range(n))
        den = sum(self.m(j) for j in range(n))
        return num / den


def _discrete_parts(demand: Any, lead_time: int, h: float, p: float) -> _Renewal:
    one = as_demand(demand)
    if not isinstance(one, DiscreteDemand):
        raise ConfigError("the exact (s, S) algorithm needs a discrete demand law")
    lead = convolve_periods(one, lead_time + 1)
    assert isinstance(lead, DiscreteDemand)
    return _Renewal(one, lead, h, p)


def sS_cost(
    s: int,
    S: int,
    demand: Any,
    *,
    fixed_cost: float,
    holding_cost: float,
    stockout_cost: float,
    lead_time: int = 0,
) -> float:
    """Average cost per period of the (s, S) policy under discrete demand (exact).

    Parameters
    ----------
    s, S : int
        Reorder point and order-up-to level, ``s < S``.
    demand : scipy.stats frozen discrete distribution or pmf-backed Demand
    fixed_cost, holding_cost, stockout_cost : float
    lead_time : int, default 0

    Returns
    -------
    float
    """
    if S <= s:
        raise ConfigError(f"need s < S, got s={s}, S={S}")
    r = _discrete_parts(demand, lead_time, float(holding_cost), float(stockout_cost))
    return r.cost(int(s), int(S), float(fixed_cost))


def _is_discrete(demand: Any) -> bool:
    dist = getattr(demand, "dist", None)
    return isinstance(dist, stats.rv_discrete) or isinstance(demand, DiscreteDemand)


def optimal_sS(
    demand: Any,
    *,
    fixed_cost: float,
    holding_cost: float,
    stockout_cost: float,
    lead_time: int = 0,
) -> tuple[float, float, float]:
    """Optimal reorder point ``s`` and order-up-to level ``S`` and the average cost per period.

    Parameters
    ----------
    demand : scipy.stats frozen distribution
        One-period demand. Discrete (Poisson, binomial, ...): exact optimum by Zheng & Federgruen
        (1991). Continuous (normal or anything with a mean and standard deviation): the power
        approximation (Ehrhardt & Mosier 1984) with cost NaN.
    fixed_cost, holding_cost, stockout_cost : float
        ``K``, ``h`` (per unit per period) and ``p`` (per unit short per period).
    lead_time : int, default 0

    Returns
    -------
    tuple of (float, float, float)
        ``(s, S, cost)``.
    """
    K, h, p = float(fixed_cost), float(holding_cost), float(stockout_cost)
    if not (K > 0 and h > 0 and p > 0):
        raise ValueRangeError(f"fixed, holding and stockout costs must be > 0, got K={K}, h={h}, p={p}")
    if int(lead_time) != lead_time or lead_time < 0:
        raise ValueRangeError(f"lead_time must be an integer >= 0, got {lead_time!r}")
    if _is_discrete(demand):
        return _zheng_federgruen(_discrete_parts(demand, int(lead_time), h, p), K)
    return _power_approximation(demand, K, h, p, int(lead_time))


def _zheng_federgruen(r: _Renewal, K: float) -> tuple[float, float, float]:
    # y*: a minimiser of the convex one-period cost G (the newsvendor quantity).
    y = int(r.lead.ppf(r.p / (r.p + r.h)))
    s, S0 = y, y
    # s(S0): decrease s until c(s, S0) <= G(s).
    while True:
        s -= 1
        if r.cost(s, S0, K) <= r.G(s):
            break
    c0 = r.cost(s, S0, K)
    S = S0 + 1
    while r.G(S) <= c0:
        if r.cost(s, S, K) < c0:
            S0 = S
            while r.cost(s, S0, K) <= r.G(s + 1):
                s += 1
            c0 = r.cost(s, S0, K)
        S += 1
    return float(s), float(S0), float(c0)


def _power_approximation(
    demand: Any, K: float, h: float, p: float, lead_time: int
) -> tuple[float, float, float]:
    mu, sigma = float(demand.mean()), float(demand.std())
    if not (mu > 0 and math.isfinite(sigma)):
        raise ValueRangeError(f"the power approximation needs mean demand > 0, got mean={mu}, sd={sigma}")
    mu_l = mu * (lead_time + 1)
    sd_l = sigma * math.sqrt(lead_time + 1)
    q = 1.30 * mu**0.494 * (K / h) ** 0.506 * (1.0 + sd_l**2 / mu**2) ** 0.116
    z = math.sqrt(q / (sd_l * p / h))
    s = 0.973 * mu_l + sd_l * (0.183 / z + 1.063 - 2.192 * z)
    S = s + q
    if q / mu > 1.5:
        cap = float(stats.norm.ppf(p / (p + h), mu_l, sd_l))
        s, S = min(s, cap), min(S, cap)
    return float(s), float(S), float("nan")
