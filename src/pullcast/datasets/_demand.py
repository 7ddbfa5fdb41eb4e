"""Latent pull process, demand, prices, promotions and stock for :func:`make_retail` (numpy only).

Everything here works on dense ``(n_skus, n_stores, n_days)`` arrays; :mod:`._retail` turns them
into long frames. Rows before a SKU's launch are marked inactive and never reach the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CATEGORIES", "Latent", "simulate"]

CATEGORIES = ("grocery", "household", "apparel", "electronics")
# Day-of-week demand profile (Monday first), scaled per category below.
_WEEKLY = np.array([0.90, 0.85, 0.90, 1.00, 1.15, 1.35, 0.85])
PULL_PHI = 0.9  # AR(1) coefficient of the latent pull components
PULL_WEIGHT = 0.5  # log-demand loading of the pull at signal_strength=1
_SKU_SHARE = 0.8  # pull = 0.8 * national (SKU) component + 0.6 * regional component (unit variance)
_REGION_SHARE = 0.6
REVIEW_DAYS = 7  # replenishment review period
SUPPLY_LEAD = 2  # days from order to receipt


@dataclass
class Latent:
    """The simulation's hidden state, dense over ``(sku, store, day)`` or ``(sku, region, day)``."""

    category: np.ndarray  # (n_skus,) int index into CATEGORIES
    base: np.ndarray  # (n_skus,) mean daily units per store at regular price
    slow: np.ndarray  # (n_skus,) bool, intermittent slow mover
    launch: np.ndarray  # (n_skus,) int day of first sale (0 unless launched later)
    popularity: np.ndarray  # (n_skus,) scale of the pull-signal counts
    store_mult: np.ndarray  # (n_stores,)
    store_region: np.ndarray  # (n_stores,) int region of each store
    pull_sku: np.ndarray  # (n_skus, n_days) national pull component, day d drives demand d + lead
    pull: np.ndarray  # (n_skus, n_regions, n_days) regional pull (unit variance)
    price: np.ndarray  # (n_skus, n_days)
    promo: np.ndarray  # (n_skus, n_days) 0/1
    mean: np.ndarray  # (n_skus, n_stores, n_days) expected demand
    demand: np.ndarray  # (n_skus, n_stores, n_days) latent uncensored demand
    units: np.ndarray  # (n_skus, n_stores, n_days) censored sales
    on_hand: np.ndarray  # (n_skus, n_stores, n_days) stock left at close of day
    active: np.ndarray  # (n_skus, n_days) bool, the SKU is on sale that day


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], n: int) -> np.ndarray:
    """Stationary unit-variance AR(1) paths of length ``n`` along a new last axis."""
    eps = rng.standard_normal((*shape, n))
    out = np.empty_like(eps)
    out[..., 0] = eps[..., 0]
    scale = np.sqrt(1.0 - PULL_PHI**2)
    for t in range(1, n):
        out[..., t] = PULL_PHI * out[..., t - 1] + scale * eps[..., t]
    return out


def _launch_days(rng: np.random.Generator, n_skus: int, n_days: int, launches: float) -> np.ndarray:
    launch = np.zeros(n_skus, dtype=np.int64)
    n_new = int(round(launches * n_skus))
    if n_new == 0 or n_days < 8:
        return launch
    lo, hi = n_days // 4, max(n_days // 4 + 1, n_days - max(28, n_days // 8))
    chosen = rng.choice(n_skus, size=min(n_new, n_skus), replace=False)
    launch[chosen] = rng.integers(lo, hi, size=chosen.size)
    return launch


def _prices(
    rng: np.random.Generator, n_skus: int, n_days: int, dow: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regular prices with a few permanent changes, and week-long promotions starting on Mondays."""
    base_price = np.round(np.exp(rng.normal(np.log(5.0), 0.6, n_skus)), 2)
    steps = np.ones((n_skus, n_days))
    for _ in range(2):
        when = rng.integers(0, n_days, n_skus)
        factor = rng.uniform(0.9, 1.1, n_skus)
        steps *= np.where(np.arange(n_days)[None, :] >= when[:, None], factor[:, None], 1.0)
    regular = base_price[:, None] * steps
    week = np.cumsum(dow == 0) - (1 if dow[0] == 0 else 0)
    n_weeks = int(week[-1]) + 1
    promo_week = rng.random((n_skus, n_weeks)) < 0.06
    promo = promo_week[:, week].astype(np.float64)
    discount = rng.uniform(0.15, 0.35, (n_skus, n_weeks))[:, week]
    price = np.round(regular * (1.0 - discount * promo), 2)
    return price, promo, base_price


def _seasonal(rng: np.random.Generator, category: np.ndarray, dow: np.ndarray, doy: np.ndarray) -> np.ndarray:
    """Log multiplier (n_skus, n_days) for weekly and annual seasonality."""
    n_cat = len(CATEGORIES)
    weekly_amp = rng.uniform(0.5, 1.2, n_cat)[category]
    weekly = weekly_amp[:, None] * np.log(_WEEKLY)[dow][None, :]
    annual_amp = rng.uniform(0.1, 0.4, n_cat)[category]
    phase = rng.uniform(0.0, 2.0 * np.pi, n_cat)[category]
    annual = annual_amp[:, None] * np.sin(2.0 * np.pi * doy[None, :] / 365.25 + phase[:, None])
    return weekly + annual


def _replenish(
    rng: np.random.Generator, mean: np.ndarray, demand: np.ndarray, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Periodic-review order-up-to replenishment with under-stocking and missed deliveries.

    Returns censored units and the stock left at the close of each day (both (sku, store, day)).
    """
    n_skus, n_stores, n_days = demand.shape
    cover = rng.uniform(0.7, 1.6, (n_skus, n_stores))  # < 1 under-stocks and causes stockouts
    offset = rng.integers(0, REVIEW_DAYS, (n_skus, n_stores))
    horizon = REVIEW_DAYS + SUPPLY_LEAD
    target = np.ceil(mean * horizon * cover[:, :, None] + 1.0)
    units = np.zeros_like(demand)
    on_hand = np.zeros_like(demand)
    arrivals = np.zeros((n_skus, n_stores, n_days + SUPPLY_LEAD + 1))
    stock = target[:, :, 0].copy()
    on_order = np.zeros((n_skus, n_stores))
    skipped = rng.random((n_skus, n_stores, n_days)) < 0.04  # supplier misses this order
    for t in range(n_days):
        live = active[:, t][:, None]
        stock = np.where(live, stock + arrivals[:, :, t], target[:, :, t])
        on_order -= arrivals[:, :, t]
        sold = np.where(live, np.minimum(demand[:, :, t], stock), 0.0)
        stock = stock - sold
        units[:, :, t] = sold
        on_hand[:, :, t] = stock
        review = live & (offset == t % REVIEW_DAYS) & ~skipped[:, :, t]
        qty = np.where(review, np.maximum(target[:, :, t] - stock - on_order, 0.0), 0.0)
        arrivals[:, :, t + SUPPLY_LEAD] += qty
        on_order += qty
    return units, on_hand


def simulate(
    rng: np.random.Generator,
    *,
    n_skus: int,
    n_stores: int,
    n_days: int,
    n_regions: int,
    lead_days: int,
    signal_strength: float,
    launches: float,
    dow: np.ndarray,
    doy: np.ndarray,
) -> Latent:
    """Draw the whole latent world. ``dow``/``doy`` are the day of week (Monday=0) and of year per day."""
    category = rng.integers(0, len(CATEGORIES), n_skus)
    slow = rng.random(n_skus) < 0.3
    base = np.where(slow, rng.uniform(0.05, 0.5, n_skus), np.exp(rng.normal(np.log(4.0), 0.7, n_skus)))
    launch = _launch_days(rng, n_skus, n_days, launches)
    store_mult = np.exp(rng.normal(0.0, 0.3, n_stores))
    store_region = np.arange(n_stores) % n_regions
    popularity = base**0.8 * n_stores

    # Pull on days -lead..n_days-1; the value on day d drives demand on day d + lead_days.
    n_ext = n_days + lead_days
    pull_sku_ext = _ar1(rng, (n_skus,), n_ext)
    pull_ext = _SKU_SHARE * pull_sku_ext[:, None, :] + _REGION_SHARE * _ar1(rng, (n_skus, n_regions), n_ext)
    driver = pull_ext[:, :, :n_days]  # driver[..., t] is the pull of day t - lead

    price, promo, base_price = _prices(rng, n_skus, n_days, dow)
    elasticity = rng.uniform(-2.5, -1.0, n_skus)
    days = np.arange(n_days)
    age = days[None, :] - launch[:, None]
    active = age >= 0
    tau = rng.uniform(5.0, 25.0, n_skus)
    ramp = np.where(active, 1.0 - np.exp(-(np.maximum(age, 0) + 1.0) / tau[:, None]), 0.0)
    ramp = np.where(launch[:, None] > 0, ramp, 1.0)

    w = PULL_WEIGHT * float(signal_strength)
    log_sku = (
        np.log(base)[:, None]
        + _seasonal(rng, category, dow, doy)
        + elasticity[:, None] * np.log(price / base_price[:, None])
        + 0.3 * promo
        + np.log(np.maximum(ramp, 1e-12))
    )
    log_mean = (
        log_sku[:, None, :]
        + np.log(store_mult)[None, :, None]
        + w * driver[:, store_region, :]
        - 0.5 * w * w  # keeps the mean level independent of the strength
    )
    mean = np.where(active[:, None, :], np.exp(log_mean), 0.0)
    shape = 8.0  # gamma-Poisson overdispersion
    demand = rng.poisson(mean * rng.gamma(shape, 1.0 / shape, mean.shape)).astype(np.float64)
    units, on_hand = _replenish(rng, mean, demand, active)
    return Latent(
        category=category,
        base=base,
        slow=slow,
        launch=launch,
        popularity=popularity,
        store_mult=store_mult,
        store_region=store_region,
        pull_sku=pull_sku_ext[:, lead_days:],
        pull=pull_ext[:, :, lead_days:],
        price=price,
        promo=promo,
        mean=mean,
        demand=demand,
        units=units,
        on_hand=on_hand,
        active=active,
    )
