"""Intraday nowcasts: as-of honesty (no event after as_of is used) and the start-of-day identity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pullcast import Forecaster
from pullcast.datasets import make_retail
from pullcast.errors import ConfigError


@pytest.fixture(scope="module")
def setup():
    sales, events, stores = make_retail(n_skus=6, n_stores=2, n_days=200, seed=11, hourly=True, lead_days=1)
    events = events.assign(arrived_at=pd.to_datetime(events["arrived_at"]))
    origin = sales["date"].max() - pd.Timedelta(days=10)
    today = origin + pd.Timedelta(days=1)
    history = sales[sales["date"] <= origin]
    known = events[events["arrived_at"] < today]
    f = Forecaster(horizon=7, signal_gate=None, verbose=False, max_rows=20_000).fit(
        history, signals=known, stores=stores
    )
    future = sales[(sales["date"] > origin) & (sales["date"] <= origin + pd.Timedelta(days=7))]
    return f, events, today, future


def _with_events_until(f: Forecaster, events: pd.DataFrame, today: pd.Timestamp, until: pd.Timestamp) -> None:
    todays = events[(events["arrived_at"] >= today) & (events["arrived_at"] <= until)]
    already = f.signal_store_.events()
    new = todays[todays["arrived_at"] > already["arrived_at"].max()]
    if len(new):
        f.update(signals=new)


def test_nowcast_before_any_event_equals_start_of_day(setup) -> None:
    f, _events, today, future = setup
    start = f.predict(future)
    early = f.predict(future, as_of=today + pd.Timedelta(minutes=30))
    pd.testing.assert_frame_equal(early, start)


def test_nowcast_uses_nothing_after_as_of(setup) -> None:
    f, events, today, future = setup
    start = f.predict(future)
    noon = today + pd.Timedelta(hours=12)
    _with_events_until(f, events, today, noon)
    at_noon = f.predict(future, as_of=noon)
    assert not np.allclose(at_noon["forecast"], start["forecast"])  # the morning's events moved it
    _with_events_until(f, events, today, today + pd.Timedelta(hours=23))  # later events arrive
    again = f.predict(future, as_of=noon)
    pd.testing.assert_frame_equal(again, at_noon)
    assert (again[["p10", "p50", "p90"]].diff(axis=1).iloc[:, 1:] >= 0).all().all()


def test_nowcast_needs_the_right_day(setup) -> None:
    f, _events, today, future = setup
    with pytest.raises(ConfigError, match="update"):
        f.predict(future, as_of=today + pd.Timedelta(days=2))
