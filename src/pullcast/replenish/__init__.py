"""Replenishment: textbook policies, order proposals with reasons, and inventory simulation.

Consumes forecast frames or sample paths (never model classes); see docs/concepts/replenishment.md.
"""

from __future__ import annotations

from pullcast.replenish.policies import Newsvendor, OrderUpTo, ReplenishParams, SamplePaths, SSPolicy
from pullcast.replenish.propose import ORDER_COLUMNS, propose_orders
from pullcast.replenish.simulate import SimulationResult, simulate
from pullcast.replenish.ss import optimal_sS, sS_cost
from pullcast.replenish.textbook import (
    Costs,
    PolicyResult,
    analytic_fill_rate,
    costs_from_prices,
    newsvendor,
    order_up_to,
)

__all__ = [
    "ORDER_COLUMNS",
    "Costs",
    "Newsvendor",
    "OrderUpTo",
    "PolicyResult",
    "ReplenishParams",
    "SSPolicy",
    "SamplePaths",
    "SimulationResult",
    "analytic_fill_rate",
    "costs_from_prices",
    "newsvendor",
    "optimal_sS",
    "order_up_to",
    "propose_orders",
    "sS_cost",
    "simulate",
]
