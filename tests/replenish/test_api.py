"""The public names of pullcast.replenish (the contract in DESIGN.md section 6 and issue 6)."""

from __future__ import annotations

import dataclasses

import pytest

import pullcast.replenish as rp
from pullcast.errors import ConfigError

EXPECTED = [
    "Costs",
    "Newsvendor",
    "ORDER_COLUMNS",
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


def test_public_names_are_pinned() -> None:
    assert sorted(rp.__all__, key=str.lower) == sorted(EXPECTED, key=str.lower)
    for name in EXPECTED:
        assert hasattr(rp, name), name


def test_order_columns_follow_design() -> None:
    design = (
        "sku store order_date arrival_date order_qty on_hand on_order protection_demand safety_stock "
        "target_level pack_rounding expected_leftover expected_lost_sales"
    ).split()
    assert rp.ORDER_COLUMNS[: len(design)] == design
    assert "reason" in rp.ORDER_COLUMNS


def test_policies_are_frozen_and_validated() -> None:
    pol = rp.OrderUpTo(service_level=0.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pol.service_level = 0.5  # type: ignore[misc]
    with pytest.raises(ConfigError):
        rp.OrderUpTo(service_level=1.5)
    with pytest.raises(ConfigError):
        rp.SSPolicy(s=5, S=2)
    with pytest.raises(ConfigError):
        rp.OrderUpTo(service_type="bogus")  # type: ignore[arg-type]
