"""``make_retail``: the embedded synthetic retail dataset (sales, pull-signal events, stores)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import pandas as pd

from pullcast.datasets._demand import CATEGORIES, Latent, simulate
from pullcast.datasets._events import make_events
from pullcast.datasets._labels import labels, string_dtype
from pullcast.errors import ConfigError

__all__ = ["RetailTruth", "make_retail"]


@dataclass(frozen=True)
class RetailTruth:
    """What :func:`make_retail` knows but a retailer would not observe.

    Attributes
    ----------
    demand : pandas.DataFrame
        Row for row aligned with the sales frame: ``sku, store, date, demand`` (latent uncensored
        demand, units) and ``mean`` (its expectation).
    pull : pandas.DataFrame
        ``sku, region, date, pull``: the latent pull process (unit variance); the value on day ``d``
        drives demand on day ``d + lead_days`` with weight ``0.5 * signal_strength`` in log demand.
    skus : pandas.DataFrame
        One row per SKU: ``sku, category, launch_date, base`` (mean units per store-day at regular
        price), ``slow_mover`` (bool).
    lead_days : int
        The planted lead, from a signal event's ``time`` to the demand it drives.
    """

    demand: pd.DataFrame
    pull: pd.DataFrame
    skus: pd.DataFrame
    lead_days: int


def _check(n_skus: int, n_stores: int, n_days: int, n_regions: int, lead_days: int, launches: float) -> None:
    for name, value, low in (("n_skus", n_skus, 1), ("n_stores", n_stores, 1), ("n_days", n_days, 14)):
        if int(value) != value or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    if int(n_regions) != n_regions or not 1 <= n_regions <= n_stores:
        raise ConfigError(f"n_regions must be an integer in 1..n_stores={n_stores}, got {n_regions!r}")
    if int(lead_days) != lead_days or not 0 <= lead_days < n_days:
        raise ConfigError(f"lead_days must be an integer in 0..n_days-1, got {lead_days!r}")
    if not 0.0 <= launches <= 1.0:
        raise ConfigError(f"launches must be a share between 0 and 1, got {launches!r}")


@overload
def make_retail(
    n_skus: int = ...,
    n_stores: int = ...,
    n_days: int = ...,
    *,
    seed: int = ...,
    lead_days: int = ...,
    signal_strength: float = ...,
    start: str | pd.Timestamp = ...,
    n_regions: int = ...,
    hourly: bool = ...,
    launches: float = ...,
    return_truth: Literal[False] = ...,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]: ...


@overload
def make_retail(
    n_skus: int = ...,
    n_stores: int = ...,
    n_days: int = ...,
    *,
    seed: int = ...,
    lead_days: int = ...,
    signal_strength: float = ...,
    start: str | pd.Timestamp = ...,
    n_regions: int = ...,
    hourly: bool = ...,
    launches: float = ...,
    return_truth: Literal[True],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, RetailTruth]: ...


def make_retail(
    n_skus: int = 50,
    n_stores: int = 5,
    n_days: int = 365 * 2,
    *,
    seed: int = 0,
    lead_days: int = 3,
    signal_strength: float = 1.0,
    start: str | pd.Timestamp = "2023-01-02",
    n_regions: int = 2,
    hourly: bool = False,
    launches: float = 0.1,
    return_truth: bool = False,
) -> (
    tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
    | tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, RetailTruth]
):
    """A synthetic SKU × store daily retail dataset with pull signals that lead demand.

    Demand per SKU × store × day is gamma-Poisson around a mean with weekly and annual seasonality
    (by category), price elasticity (regular price changes and week-long promotions), a 30% share of
    intermittent slow movers, launch ramps for new SKUs, and a latent *pull* process (AR(1) per SKU
    plus per SKU × region, unit variance) whose value on day ``d`` moves log demand on day
    ``d + lead_days`` by ``0.5 * signal_strength * pull``. Stock follows weekly order-up-to
    replenishment that is sometimes too low or missed, so shelves run empty and sales are censored.
    Deterministic per ``seed``; the default size builds in well under a second.

    Parameters
    ----------
    n_skus : int, default 50
    n_stores : int, default 5
    n_days : int, default 730
        Days from ``start`` (at least 14).
    seed : int, default 0
        Seed of the numpy random generator; the same arguments give identical frames.
    lead_days : int, default 3
        Days from a pull signal's event ``time`` to the demand it drives. Channels that arrive
        after the day ends (``social``: next morning; ``trend``: weekly, days later) show a
        correspondingly shorter lead once aligned as of arrival.
    signal_strength : float, default 1.0
        Weight of the pull in demand; 0 makes every signal channel pure noise with respect to demand
        (the events are still generated, from the same latent process).
    start : str or pandas.Timestamp, default "2023-01-02"
        First date (a Monday by default).
    n_regions : int, default 2
        Store ``i`` belongs to region ``i % n_regions``.
    hourly : bool, default False
        Emit ``search`` as hourly counts (multiplies the event count) instead of daily counts.
    launches : float, default 0.1
        Share of SKUs launched partway through (between a quarter of the way in and about a month
        before the end); their sales rows start at launch, their signals 14 days earlier.
    return_truth : bool, default False
        Also return a :class:`RetailTruth` with the latent demand and pull process.

    Returns
    -------
    sales : pandas.DataFrame
        ``sku, store, date, units, price, promo, on_hand, category``, sorted by (sku, store, date).
        ``units`` are censored sales, ``units = min(demand, stock)``; ``on_hand`` is the stock left
        at the close of the day, so ``on_hand == 0`` marks every day whose demand may have been
        censored, and ``units`` equals the latent demand on every day with ``on_hand > 0``.
        ``promo`` is 0/1 and ``price`` the day's shelf price (known ahead).
    events : pandas.DataFrame
        ``sku, time, channel, value, store, region, arrived_at`` (docs/architecture.md), channels ``search``
        (SKU level), ``wishlist`` (store level), ``social`` (region level) and ``trend`` (weekly
        region-level index); ``store``/``region`` are missing where that level does not apply.
        Zero counts are not emitted. ``arrived_at >= time`` always.
    stores : pandas.DataFrame
        ``store, region``.
    truth : RetailTruth
        Only with ``return_truth=True``.

    Raises
    ------
    ConfigError
        Sizes below their minimum, ``n_regions`` outside 1..n_stores, ``lead_days`` outside
        0..n_days-1, or ``launches`` outside [0, 1].

    Examples
    --------
    >>> sales, events, stores = make_retail(n_skus=5, n_stores=2, n_days=60, seed=1)
    >>> sorted(events["channel"].unique())
    ['search', 'social', 'trend', 'wishlist']
    """
    _check(n_skus, n_stores, n_days, n_regions, lead_days, launches)
    rng = np.random.default_rng(seed)
    dates = pd.date_range(pd.Timestamp(start).normalize(), periods=int(n_days), freq="D")
    lat = simulate(
        rng,
        n_skus=int(n_skus),
        n_stores=int(n_stores),
        n_days=int(n_days),
        n_regions=int(n_regions),
        lead_days=int(lead_days),
        signal_strength=float(signal_strength),
        launches=float(launches),
        dow=dates.day_of_week.to_numpy(),
        doy=dates.day_of_year.to_numpy(),
    )
    width = max(3, len(str(n_skus - 1)))
    sku_names = np.array([f"SKU{i:0{width}d}" for i in range(n_skus)], dtype=object)
    store_names = np.array([f"S{i:02d}" for i in range(n_stores)], dtype=object)
    region_names = np.array([f"R{i}" for i in range(n_regions)], dtype=object)

    sales, mask = _sales_frame(lat, dates, sku_names, store_names)
    events = make_events(
        rng,
        lat,
        dates=dates,
        sku_names=sku_names,
        store_names=store_names,
        region_names=region_names,
        hourly=hourly,
    )
    stores = pd.DataFrame({"store": store_names, "region": region_names[lat.store_region]})
    stores = stores.astype({"store": string_dtype(), "region": string_dtype()})
    if not return_truth:
        return sales, events, stores
    return sales, events, stores, _truth(lat, sales, mask, dates, sku_names, region_names, int(lead_days))


def _sales_frame(
    lat: Latent, dates: pd.DatetimeIndex, sku_names: np.ndarray, store_names: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    n_skus, n_stores, n_days = lat.units.shape
    mask = np.broadcast_to(lat.active[:, None, :], lat.units.shape)
    i, s, d = np.nonzero(mask)
    sales = pd.DataFrame(
        {
            "sku": labels(sku_names, i),
            "store": labels(store_names, s),
            "date": dates.values[d],
            "units": lat.units[mask],
            "price": lat.price[i, d],
            "promo": lat.promo[i, d].astype(np.int8),
            "on_hand": lat.on_hand[mask],
            "category": labels(CATEGORIES, lat.category[i]),
        }
    )
    return sales, mask


def _truth(
    lat: Latent,
    sales: pd.DataFrame,
    mask: np.ndarray,
    dates: pd.DatetimeIndex,
    sku_names: np.ndarray,
    region_names: np.ndarray,
    lead_days: int,
) -> RetailTruth:
    demand = sales[["sku", "store", "date"]].copy()
    demand["demand"] = lat.demand[mask]
    demand["mean"] = lat.mean[mask]
    n_skus, n_regions, n_days = lat.pull.shape
    i, r, d = np.indices((n_skus, n_regions, n_days)).reshape(3, -1)
    pull = pd.DataFrame(
        {
            "sku": labels(sku_names, i),
            "region": labels(region_names, r),
            "date": dates.values[d],
            "pull": lat.pull.ravel(),
        }
    )
    skus = pd.DataFrame(
        {
            "sku": sku_names,
            "category": np.asarray(CATEGORIES, dtype=object)[lat.category],
            "launch_date": dates.values[lat.launch],
            "base": lat.base,
            "slow_mover": lat.slow,
        }
    ).astype({"sku": string_dtype(), "category": string_dtype()})
    return RetailTruth(demand=demand, pull=pull, skus=skus, lead_days=lead_days)
