"""Pull-signal events for :func:`make_retail`: noisy counts and indexes driven by the latent pull.

Channels (event frame, docs/architecture.md: ``sku, time, channel, value, store, region, arrived_at``):

- ``search``: SKU level, daily counts (``time`` = midnight, known by 23:00 the same day); with
  ``hourly=True`` hourly counts with a day-of-week intra-day profile, each known one hour after its hour.
- ``wishlist``: store level, daily counts, known by 22:00 the same day.
- ``social``: region level, daily counts, known at 08:00 the next morning.
- ``trend``: region level weekly index (0-100, ``time`` = the Monday), published at 09:00 three days after
  the week ends.

Zero counts are not emitted: a day with no event row for a count channel had zero events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pullcast.datasets._demand import Latent
from pullcast.datasets._labels import labels

__all__ = ["make_events", "PRE_LAUNCH_DAYS"]

PRE_LAUNCH_DAYS = 14  # signals of a new SKU start this many days before its first sale
_NB_SHAPE = 20.0  # gamma-Poisson overdispersion of the counts
_EVENT_COLUMNS = ["sku", "time", "channel", "value", "store", "region", "arrived_at"]

# Share of a day's searches in each hour, weekday and weekend shapes (normalised below).
_HOURS = np.arange(24)
_WEEKDAY = (
    0.2 + np.exp(-0.5 * ((_HOURS - 12.5) / 2.5) ** 2) + 1.3 * np.exp(-0.5 * ((_HOURS - 20.0) / 1.8) ** 2)
)
_WEEKEND = 0.2 + 1.4 * np.exp(-0.5 * ((_HOURS - 15.0) / 3.5) ** 2)


def hourly_profile() -> np.ndarray:
    """The (7, 24) share of a day's search events per hour, Monday first; each row sums to 1."""
    prof = np.array([_WEEKDAY if d < 5 else _WEEKEND for d in range(7)])
    return prof / prof.sum(axis=1, keepdims=True)


def _counts(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    return rng.poisson(lam * rng.gamma(_NB_SHAPE, 1.0 / _NB_SHAPE, lam.shape)).astype(np.float64)


_CHANNELS = ("search", "social", "trend", "wishlist")  # sorted: codes sort like the names


def _frame(
    channel: str,
    sku: np.ndarray,
    time: np.ndarray,
    value: np.ndarray,
    arrived: np.ndarray,
    *,
    store: np.ndarray | None = None,
    region: np.ndarray | None = None,
) -> pd.DataFrame:
    """Events of one channel with integer codes for sku/store/region (-1 = not that level)."""
    n = value.size
    none = np.full(n, -1, dtype=np.int64)
    return pd.DataFrame(
        {
            "sku": sku,
            "time": time,
            "channel": np.full(n, _CHANNELS.index(channel), dtype=np.int64),
            "value": value,
            "store": store if store is not None else none,
            "region": region if region is not None else none,
            "arrived_at": arrived,
        }
    )


def make_events(
    rng: np.random.Generator,
    lat: Latent,
    *,
    dates: pd.DatetimeIndex,
    sku_names: np.ndarray,
    store_names: np.ndarray,
    region_names: np.ndarray,
    hourly: bool,
) -> pd.DataFrame:
    """All channels' events as one frame sorted by (time, channel, sku, store, region)."""
    n_skus, n_regions, n_days = lat.pull.shape
    day_ns = np.asarray(dates.values)
    hour = np.timedelta64(1, "h")
    visible = np.arange(n_days)[None, :] >= (lat.launch[:, None] - PRE_LAUNCH_DAYS)
    pop = lat.popularity[:, None]
    frames = []

    # search: national component of the pull, SKU level
    lam = 6.0 * pop * np.exp(0.5 * lat.pull_sku - 0.125)
    if hourly:
        dow = dates.day_of_week.to_numpy()
        share = hourly_profile()[dow]  # (n_days, 24)
        lam_h = lam[:, :, None] * share[None, :, :]
        cnt = _counts(rng, lam_h) * visible[:, :, None]
        i, d, h = np.nonzero(cnt)
        time = day_ns[d] + h * hour
        jitter = rng.integers(0, 10 * 60, i.size).astype("timedelta64[s]")
        frames.append(_frame("search", i, time, cnt[i, d, h], time + hour + jitter))
    else:
        cnt = _counts(rng, lam) * visible
        i, d = np.nonzero(cnt)
        frames.append(_frame("search", i, day_ns[d], cnt[i, d], day_ns[d] + 23 * hour))

    # wishlist: the store's regional pull, store level
    reg = lat.store_region
    lam = 0.15 * pop[:, :, None] / reg.size * lat.store_mult[None, None, :]
    lam = lam * np.exp(0.6 * lat.pull[:, reg, :].transpose(0, 2, 1) - 0.18)
    cnt = _counts(rng, lam) * visible[:, :, None]
    i, d, s = np.nonzero(cnt)
    frames.append(_frame("wishlist", i, day_ns[d], cnt[i, d, s], day_ns[d] + 22 * hour, store=s))

    # social: regional pull, region level, reported next morning
    lam = 0.3 * pop[:, None, :] / n_regions * np.exp(0.7 * lat.pull - 0.245)
    cnt = _counts(rng, lam) * visible[:, None, :]
    i, r, d = np.nonzero(cnt)
    frames.append(_frame("social", i, day_ns[d], cnt[i, r, d], day_ns[d] + 32 * hour, region=r))

    # trend: weekly regional index, from each Monday to the last full week
    dow = dates.day_of_week.to_numpy()
    mondays = np.flatnonzero(dow == 0)
    mondays = mondays[mondays + 7 <= n_days]
    if mondays.size:
        weekly = np.stack([lat.pull[:, :, m : m + 7].mean(axis=2) for m in mondays], axis=2)
        index = np.clip(np.round(50.0 + 15.0 * weekly + rng.normal(0.0, 4.0, weekly.shape)), 0.0, 100.0)
        seen = visible[:, mondays][:, None, :] & np.ones((1, n_regions, 1), dtype=bool)
        i, r, w = np.nonzero(seen)
        time = day_ns[mondays[w]]
        arrived = time + np.timedelta64(9, "D") + 9 * hour
        frames.append(_frame("trend", i, time, index[i, r, w], arrived, region=r))

    events = pd.concat(frames, ignore_index=True)
    events = events.sort_values(["time", "channel", "sku"], kind="mergesort", ignore_index=True)
    events["sku"] = labels(sku_names, events["sku"].to_numpy())
    events["channel"] = labels(_CHANNELS, events["channel"].to_numpy())
    events["store"] = labels(store_names, events["store"].to_numpy())
    events["region"] = labels(region_names, events["region"].to_numpy())
    return events[_EVENT_COLUMNS]
