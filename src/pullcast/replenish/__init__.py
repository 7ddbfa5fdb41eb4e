"""Replenishment: textbook policies, order proposals with reasons, and inventory simulation.

Consumes forecast frames or sample paths (never model classes); see DESIGN.md section 6.
"""

from __future__ import annotations

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
    "Costs",
    "PolicyResult",
    "analytic_fill_rate",
    "costs_from_prices",
    "newsvendor",
    "optimal_sS",
    "order_up_to",
    "sS_cost",
]
