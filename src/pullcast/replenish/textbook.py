"""Textbook single-item policies: newsvendor, periodic-review order-up-to, analytic fill rate.

Notation follows Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019), ch. 4:
``n(x) = E[(D - x)+]`` is the loss function and ``n̄(x) = E[(x - D)+]`` its complement; the
newsvendor cost of stocking ``x`` is ``g(x) = overage * n̄(x) + underage * n(x)``.

Conventions of :func:`order_up_to` (periodic review, lead time ``L`` and review period ``R`` in
periods): an order placed at the start of period ``t`` arrives at the start of period ``t + L``
(``L = 0``: before that period's demand) and the next order arrives at ``t + R + L``, so the
order-up-to level ``S`` protects the demand of the ``L + R`` periods ``t .. t + L + R - 1``.
With ``R = 1`` this is the base-stock model of Snyder & Shen §4.3 (``L + 1`` periods).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from pullcast.errors import ConfigError, ValueRangeError
from pullcast.replenish._dist import Demand, as_demand, convolve_periods

__all__ = [
    "Costs",
    "PolicyResult",
    "analytic_fill_rate",
    "costs_from_prices",
    "newsvendor",
    "order_up_to",
]


@dataclass(frozen=True)
class PolicyResult:
    """The answer of a textbook policy.

    Attributes
    ----------
    quantity : float
        The order quantity (newsvendor) or order-up-to level (base stock).
    expected_cost : float
        ``overage * E[(x - D)+] + underage * E[(D - x)+]`` over the protected demand
        (NaN when no costs were given).
    critical_ratio : float
        The probability target used: ``underage / (underage + overage)`` or the service level.
    cycle_service_level : float
        ``P(D <= x)``: probability of no stockout over the protected demand.
    fill_rate : float
        Expected fraction of demand met from stock (for the order-up-to policy: per review cycle).
    """

    quantity: float
    expected_cost: float
    critical_ratio: float
    cycle_service_level: float
    fill_rate: float


class Costs(NamedTuple):
    """Underage and overage cost per unit, as returned by :func:`costs_from_prices`."""

    underage: float
    overage: float

    @property
    def critical_ratio(self) -> float:
        """``underage / (underage + overage)``."""
        return self.underage / (self.underage + self.overage)


def costs_from_prices(
    price: float, cost: float, salvage: float = 0.0, holding: float = 0.0, goodwill: float = 0.0
) -> Costs:
    """Newsvendor underage/overage costs from retail prices.

    Parameters
    ----------
    price : float
        Selling price ``r``.
    cost : float
        Unit purchase cost ``c``.
    salvage : float, default 0.0
        Markdown / salvage value ``v`` of a unit left over.
    holding : float, default 0.0
        Extra holding cost per leftover unit.
    goodwill : float, default 0.0
        Extra penalty per unit of unmet demand.

    Returns
    -------
    Costs
        ``underage = r - c + goodwill`` and ``overage = c - v + holding``; with no holding or
        goodwill the critical ratio is ``(r - c) / (r - v)``.

    Raises
    ------
    ValueRangeError
        If ``price < cost``, ``salvage > cost`` or a value is negative or NaN.
    """
    vals = {"price": price, "cost": cost, "salvage": salvage, "holding": holding, "goodwill": goodwill}
    for name, v in vals.items():
        if not math.isfinite(float(v)) or float(v) < 0:
            raise ValueRangeError(f"{name} must be a finite number >= 0, got {v!r}")
    if price < cost:
        raise ValueRangeError(f"price {price} is below unit cost {cost}: expected price >= cost")
    if salvage > cost:
        raise ValueRangeError(f"salvage value {salvage} exceeds unit cost {cost}: expected salvage <= cost")
    underage = float(price) - float(cost) + float(goodwill)
    overage = float(cost) - float(salvage) + float(holding)
    if underage + overage <= 0:
        raise ValueRangeError("underage + overage cost must be positive (price, cost and salvage all equal?)")
    return Costs(underage, overage)


def _ratio(underage_cost: float | None, overage_cost: float | None) -> float:
    if underage_cost is None or overage_cost is None:
        raise ConfigError("give both underage_cost and overage_cost")
    if underage_cost < 0 or overage_cost < 0 or underage_cost + overage_cost <= 0:
        raise ValueRangeError(
            f"costs must be >= 0 with a positive sum, got underage={underage_cost}, overage={overage_cost}"
        )
    return float(underage_cost) / float(underage_cost + overage_cost)


def _cost(d: Demand, x: float, underage: float | None, overage: float | None) -> float:
    if underage is None or overage is None:
        return float("nan")
    return float(overage) * d.complementary_loss(x) + float(underage) * d.loss(x)


def newsvendor(demand: Any, *, underage_cost: float, overage_cost: float) -> PolicyResult:
    """The newsvendor quantity ``x* = F^{-1}(cu / (cu + co))`` and its cost and service.

    Parameters
    ----------
    demand : scipy.stats frozen distribution or array_like
        Continuous or discrete law of the single-period demand, or a sample of it (empirical law).
        For a discrete law or a sample, ``x*`` is the smallest value with ``F(x) >= ratio``.
    underage_cost, overage_cost : float
        Cost per unit of unmet demand and per unit left over (see :func:`costs_from_prices`).

    Returns
    -------
    PolicyResult
    """
    ratio = _ratio(underage_cost, overage_cost)
    d = as_demand(demand)
    x = d.ppf(ratio)
    mu = d.mean()
    return PolicyResult(
        quantity=x,
        expected_cost=_cost(d, x, underage_cost, overage_cost),
        critical_ratio=ratio,
        cycle_service_level=d.cdf(x),
        fill_rate=1.0 - d.loss(x) / mu if mu > 0 else 1.0,
    )


def analytic_fill_rate(
    per_period_demand: Any, level: float, *, lead_time: int, review_period: int = 1
) -> float:
    """Expected fill rate of an order-up-to level with backorders (the loss-function formula).

    Shortage per review cycle is ``n_{L+R}(S) - n_L(S)`` (``n_k`` the loss function of ``k``-period
    demand, ``n_0(S) = max(-S, 0)``), so the fill rate is ``1 - (n_{L+R}(S) - n_L(S)) / (R * mu)``.
    Exact for backorders; for lost sales it is the usual (slightly pessimistic) approximation.

    Parameters
    ----------
    per_period_demand : scipy.stats frozen distribution or ndarray
        One-period demand law (normal or discrete), or sample paths ``(n_paths, horizon)``.
    level : float
        The order-up-to level ``S``.
    lead_time : int
    review_period : int, default 1

    Returns
    -------
    float
    """
    _check_periods(lead_time, review_period)
    full = convolve_periods(per_period_demand, lead_time + review_period)
    short = full.loss(level)
    if lead_time > 0:
        short -= convolve_periods(per_period_demand, lead_time).loss(level)
    else:
        short -= max(-level, 0.0)
    cycle_mean = full.mean() - (convolve_periods(per_period_demand, lead_time).mean() if lead_time else 0.0)
    return 1.0 - short / cycle_mean if cycle_mean > 0 else 1.0


def _check_periods(lead_time: int, review_period: int) -> None:
    if int(lead_time) != lead_time or lead_time < 0:
        raise ValueRangeError(f"lead_time must be an integer >= 0, got {lead_time!r}")
    if int(review_period) != review_period or review_period < 1:
        raise ValueRangeError(f"review_period must be an integer >= 1, got {review_period!r}")


def order_up_to(
    per_period_demand: Any,
    *,
    lead_time: int,
    review_period: int = 1,
    service_level: float | None = None,
    underage_cost: float | None = None,
    overage_cost: float | None = None,
    fill_rate: float | None = None,
) -> PolicyResult:
    """Periodic-review order-up-to (base-stock) level protecting ``lead_time + review_period`` periods.

    Give exactly one target: ``service_level`` (cycle service level ``P(D_{L+R} <= S)``),
    ``fill_rate`` (smallest ``S`` whose :func:`analytic_fill_rate` reaches it), or both costs
    (critical ratio ``cu / (cu + co)``). See the module docstring for the timing convention.

    Parameters
    ----------
    per_period_demand : scipy.stats frozen distribution or ndarray
        One-period demand law (normal or discrete, periods i.i.d.) or sample paths
        ``(n_paths, horizon)`` whose first ``L + R`` columns are summed.
    lead_time : int
    review_period : int, default 1
    service_level : float, optional
    underage_cost, overage_cost : float, optional
    fill_rate : float, optional

    Returns
    -------
    PolicyResult
        ``quantity`` is the order-up-to level ``S``; ``expected_cost`` is the newsvendor cost over
        the protected demand (Snyder & Shen's base-stock cost when ``R = 1``; NaN without costs).
    """
    _check_periods(lead_time, review_period)
    targets = [service_level is not None, fill_rate is not None, underage_cost is not None]
    if sum(targets) != 1:
        raise ConfigError("give exactly one target: service_level, fill_rate, or underage_cost+overage_cost")
    window = convolve_periods(per_period_demand, lead_time + review_period)
    if fill_rate is not None:
        if not 0.0 < fill_rate < 1.0:
            raise ValueRangeError(f"fill_rate must be in (0, 1), got {fill_rate}")
        level = _solve_fill_rate(per_period_demand, window, fill_rate, lead_time, review_period)
        ratio = float(fill_rate)
    else:
        if service_level is not None:
            if not 0.0 < service_level < 1.0:
                raise ValueRangeError(f"service_level must be in (0, 1), got {service_level}")
            ratio = float(service_level)
        else:
            ratio = _ratio(underage_cost, overage_cost)
        level = window.ppf(ratio)
    return PolicyResult(
        quantity=level,
        expected_cost=_cost(window, level, underage_cost, overage_cost),
        critical_ratio=ratio,
        cycle_service_level=window.cdf(level),
        fill_rate=analytic_fill_rate(
            per_period_demand, level, lead_time=lead_time, review_period=review_period
        ),
    )


def _solve_fill_rate(per_period: Any, window: Demand, target: float, lead_time: int, review: int) -> float:
    def fr(x: float) -> float:
        return analytic_fill_rate(per_period, x, lead_time=lead_time, review_period=review)

    lo, hi = 0.0, max(window.ppf(0.999999), 1.0)
    while fr(hi) < target:
        hi *= 2.0
    if window.discrete:
        lo_i, hi_i = 0, int(math.ceil(hi))
        while lo_i < hi_i:
            mid_i = (lo_i + hi_i) // 2
            if fr(mid_i) >= target:
                hi_i = mid_i
            else:
                lo_i = mid_i + 1
        return float(lo_i)
    if fr(lo) >= target:
        return lo
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if fr(mid) >= target:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-10 * max(1.0, hi):
            break
    return hi
