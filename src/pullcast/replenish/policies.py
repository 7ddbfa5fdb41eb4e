"""Policies and parameters for :func:`propose_orders` and :func:`simulate`, as small frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from pullcast.errors import ConfigError

__all__ = ["Newsvendor", "OrderUpTo", "Policy", "ReplenishParams", "SSPolicy", "SamplePaths"]

ServiceType = Literal["cycle", "fill_rate"]


@dataclass(frozen=True)
class SamplePaths:
    """Joint demand scenarios for many SKU-stores.

    Attributes
    ----------
    ids : pandas.DataFrame
        One row per series with the sku and store columns; row ``i`` names ``paths[i]``.
    paths : ndarray
        Shape ``(n_series, n_paths, horizon)``: daily demand of each scenario.
    dates : pandas.DatetimeIndex, optional
        The ``horizon`` dates (the first is the first day the paths cover).
    """

    ids: pd.DataFrame
    paths: np.ndarray
    dates: pd.DatetimeIndex | None = None

    def __post_init__(self) -> None:
        arr = np.asarray(self.paths)
        if arr.ndim != 3:
            raise ConfigError(f"paths must have shape (n_series, n_paths, horizon), got {arr.shape}")
        if arr.shape[0] != len(self.ids):
            raise ConfigError(f"paths has {arr.shape[0]} series but ids has {len(self.ids)} rows")
        if self.dates is not None and len(self.dates) != arr.shape[2]:
            raise ConfigError(f"paths cover {arr.shape[2]} days but {len(self.dates)} dates were given")


def _check_level(name: str, value: float) -> None:
    if not 0.0 < float(value) < 1.0:
        raise ConfigError(f"{name} must be strictly between 0 and 1, got {value!r}")


@dataclass(frozen=True)
class OrderUpTo:
    """Periodic review, order up to a quantile of the demand over lead time + review period.

    Parameters
    ----------
    service_level : float, default 0.95
        Target: the cycle service level ``P(D_{L+R} <= S)``, or the fill rate (``service_type``).
    service_type : {"cycle", "fill_rate"}, default "cycle"
    level : float, optional
        A fixed order-up-to level for every series (ignores the forecast); used in simulations.
    """

    service_level: float = 0.95
    service_type: ServiceType = "cycle"
    level: float | None = None

    def __post_init__(self) -> None:
        _check_level("service_level", self.service_level)
        if self.service_type not in ("cycle", "fill_rate"):
            raise ConfigError(f"service_type must be 'cycle' or 'fill_rate', got {self.service_type!r}")


@dataclass(frozen=True)
class Newsvendor:
    """Order up to the critical-ratio quantile ``cu / (cu + co)`` from each SKU-store's prices.

    ``cu = price - unit_cost + lost_sale_penalty``, ``co = unit_cost - salvage + holding over the
    window``: the leftover is priced in (see :func:`pullcast.replenish.costs_from_prices`).
    """


@dataclass(frozen=True)
class SSPolicy:
    """(s, S): order up to ``S`` only when the inventory position is at or below ``s``.

    Parameters
    ----------
    service_level : float, default 0.95
        ``s`` is the cycle-service quantile of demand over lead time + review period.
    cover_days : float, default 7.0
        ``S = s + cover_days * mean daily demand`` (a fixed order batch), unless fixed levels are given.
    s, S : float, optional
        Fixed levels for every series (used in simulations).
    """

    service_level: float = 0.95
    cover_days: float = 7.0
    s: float | None = None
    S: float | None = None

    def __post_init__(self) -> None:
        _check_level("service_level", self.service_level)
        if self.cover_days < 0:
            raise ConfigError(f"cover_days must be >= 0, got {self.cover_days}")
        both = self.s is not None and self.S is not None
        if (self.s is None) != (self.S is None) or (both and float(self.S) < float(self.s)):  # type: ignore[arg-type]
            raise ConfigError(f"give both s and S with s <= S, got s={self.s}, S={self.S}")


Policy = OrderUpTo | Newsvendor | SSPolicy


@dataclass(frozen=True)
class ReplenishParams:
    """Default per-SKU-store replenishment parameters (a ``params`` frame overrides them per row).

    Parameters
    ----------
    lead_time : int, default 2
        Days from order to availability (0: available the day it is ordered).
    lead_time_pmf : tuple of float, optional
        A lead-time distribution: probability of 0, 1, 2, ... days (overrides ``lead_time``).
    review_period : int, default 1
        Days between orders.
    order_days : str, optional
        Weekdays orders may be placed, e.g. ``"Mon,Thu"`` (then the review period is the gap to the
        next order day).
    case_pack : float, default 1.0
        Orders are whole multiples of this.
    moq : float, default 0.0
        Minimum order quantity (a positive order is raised to at least this).
    shelf_capacity : float, default inf
        Maximum on hand + on order after ordering.
    shelf_life : int, default 0
        Days a unit can be sold after arrival (0: does not expire).
    season_end : str or Timestamp, optional
        Last selling day; what is left is marked down at ``salvage``.
    unit_cost : float, default 1.0
    price : float, default 2.0
    salvage : float, default 0.0
        Markdown value per unit left at season end (expired units are worth 0).
    holding_cost : float, default 0.0
        Per unit per day on hand.
    lost_sale_penalty : float, default 0.0
        Goodwill per unit of lost demand, on top of the lost margin.
    fixed_order_cost : float, default 0.0
        Per order placed.
    """

    lead_time: int = 2
    lead_time_pmf: tuple[float, ...] | None = None
    review_period: int = 1
    order_days: str | None = None
    case_pack: float = 1.0
    moq: float = 0.0
    shelf_capacity: float = float("inf")
    shelf_life: int = 0
    season_end: Any = None
    unit_cost: float = 1.0
    price: float = 2.0
    salvage: float = 0.0
    holding_cost: float = 0.0
    lost_sale_penalty: float = 0.0
    fixed_order_cost: float = 0.0

    @classmethod
    def names(cls) -> list[str]:
        """The parameter (column) names."""
        return [f.name for f in fields(cls)]
