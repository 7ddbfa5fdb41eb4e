"""Intraday nowcasts: today's partial signal events revise the forecasts made at the start of the day.

The start-of-day forecast uses sales and signals up to yesterday (the origin). During today, signal
events keep arriving. For a sum channel, today's full-day value is estimated from what has arrived by
``as_of`` and the channel's intraday profile: the share of a day's value that has usually arrived by
that hour on that weekday, learnt from the arrival history of the signal store. Levels
(``last``/``mean`` channels) are used as they stand.

How much a surprise in today's signal (its log value against the trailing 7-day mean) moves demand
beyond the start-of-day forecast is learnt at fit time on the held-out slice, per horizon and channel
(a ridge regression of log actual/forecast on the surprise; see
:func:`pullcast.forecast.training.fit_surprise`). A nowcast multiplies the start-of-day forecast by
``exp(coefficient * reliability * surprise)``, where the reliability ``share / (share + 0.25)`` keeps
early-morning estimates, made from few events, from swinging it. The model is not retrained.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from pullcast.features import History

__all__ = ["SHRINK", "IntradayProfile", "extend_one_day", "intraday_profile", "log_surprise", "recent_mean"]

SHRINK = 0.25  # reliability of a partial day = share / (share + SHRINK): 0.5 when a quarter has arrived
_PRIOR_DAYS = 7
_HOUR_NS = 3_600 * 10**9


class IntradayProfile:
    """Per channel, the mean share of a day's value arrived by the end of each hour, by weekday.

    Attributes
    ----------
    shares : dict of str to ndarray
        ``shares[channel][weekday, hour]`` in [0, 1], Monday = 0; hour h covers arrivals before h+1 o'clock.
    """

    def __init__(self, shares: dict[str, np.ndarray]) -> None:
        self.shares = shares

    def share(self, channel: str, as_of: pd.Timestamp) -> float:
        """Expected share of the day's value that has arrived by ``as_of``."""
        table = self.shares.get(channel)
        if table is None:
            return 1.0
        hour = int(as_of.hour)
        within = (as_of.minute * 60 + as_of.second) / 3600.0
        before = table[as_of.day_of_week, hour - 1] if hour > 0 else 0.0
        return float(before + within * (table[as_of.day_of_week, hour] - before))


def intraday_profile(
    store: object, channels: list[str], before: pd.Timestamp | None = None
) -> IntradayProfile:
    """Learn the intraday arrival profile of ``channels`` from a SignalStore's arrival history.

    With ``before``, only days of arrival before it count: a nowcast for a day learns its profile from
    the complete days ahead of it, never from the day itself.
    """
    shares: dict[str, np.ndarray] = {}
    for channel in channels:
        frame = store.arrival_profile(channel)  # type: ignore[attr-defined]
        if before is not None:
            frame = frame[frame["date"] < before]
        if frame.empty:
            continue
        wide = frame.pivot_table(index="date", columns="hour", values="value", aggfunc="sum", fill_value=0.0)
        wide = wide.reindex(columns=range(24), fill_value=0.0)
        totals = wide.sum(axis=1).to_numpy()
        ok = totals > 0
        if not ok.any():
            continue
        cum = np.cumsum(wide.to_numpy()[ok], axis=1) / totals[ok, None]
        dow = pd.DatetimeIndex(wide.index[ok]).day_of_week.to_numpy()
        table = np.ones((7, 24))
        for d in range(7):
            rows = cum[dow == d]
            table[d] = rows.mean(axis=0) if len(rows) else cum.mean(axis=0)
        shares[channel] = table
    return IntradayProfile(shares)


def extend_one_day(state: History, freq: str) -> History:
    """The state with one more period (today): sales unknown (NaN), nothing sold, no signal value yet."""
    n = state.n_series
    lengths = state.lengths + 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    old = np.arange(int(state.indptr[-1])) + np.repeat(np.arange(n), state.lengths)

    def grow(values: np.ndarray, last: float) -> np.ndarray:
        out = np.full(int(indptr[-1]), last)
        out[old] = values
        return out

    step = pd.tseries.frequencies.to_offset(freq)
    return replace(
        state,
        y=grow(state.y, np.nan),
        sold=grow(state.sold, 0.0),
        indptr=indptr,
        grid=state.grid.append(pd.DatetimeIndex([state.grid[-1] + step])).as_unit("ns"),
        covariates={k: grow(v, np.nan) for k, v in state.covariates.items()},
        signals={k: grow(v, np.nan) for k, v in state.signals.items()},
    )


def log_surprise(value: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """How far a day's signal value is from its trailing mean: ``log1p(value) - log1p(prior)``."""
    return np.log1p(np.maximum(value, 0.0)) - np.log1p(np.maximum(np.nan_to_num(prior), 0.0))


def recent_mean(values: np.ndarray, indptr: np.ndarray, days: int = _PRIOR_DAYS) -> np.ndarray:
    """Mean of each series' last ``days`` values (NaN counted as 0), one per series."""
    ends = indptr[1:]
    starts = np.maximum(indptr[:-1], ends - days)
    csum = np.concatenate(([0.0], np.cumsum(np.nan_to_num(values))))
    count = np.maximum(ends - starts, 1)
    return (csum[ends] - csum[starts]) / count
