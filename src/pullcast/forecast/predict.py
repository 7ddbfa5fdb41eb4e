"""Forecasts as pure functions of a fitted model, a forecast state and an optional future frame.

Nothing here writes to its arguments: a future frame naming series without history (cold starts)
extends a *copy* of the state (:func:`with_future`), and :func:`predict` and :func:`sample_paths`
agree whatever the order they are called in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pullcast.columns import FORECAST_MEAN, quantile_name
from pullcast.errors import ConfigError, DataError
from pullcast.features import History
from pullcast.forecast import inputs, nowcast
from pullcast.forecast.fitted import FittedModel
from pullcast.forecast.state import ForecastState, append_sales, design_of, moved, realigned, tail_panel

__all__ = ["feature_rows", "forecast_ids", "predict", "sample_paths", "target_dates", "with_future"]


def predict(
    model: FittedModel, state: ForecastState, future: pd.DataFrame | None = None, *, as_of: Any = None
) -> pd.DataFrame:
    """The forecast frame from ``state``: sku, store, date, forecast and one column per quantile.

    ``future`` and ``as_of`` are as in :meth:`pullcast.Forecaster.predict`. Rows are series-major in the
    order of :func:`forecast_ids`, user column names.
    """
    mean, state = _forecast(model, state, future, as_of)
    n, horizon = state.history.n_series, model.horizon
    series = np.repeat(np.arange(n), horizon)
    q = model.distribution.quantiles(mean, series, model.quantiles)
    ids = state.ids
    out = pd.DataFrame(
        {
            "sku": ids["sku"].to_numpy()[series],
            "store": ids["store"].to_numpy()[series],
            "date": target_dates(model, state.history),
        }
    )
    out[FORECAST_MEAN] = mean
    for j, level in enumerate(model.quantiles):
        out[quantile_name(level)] = q[:, j]
    return inputs.user_names(out, model.columns)


def sample_paths(
    model: FittedModel,
    state: ForecastState,
    n: int = 1000,
    seed: int = 0,
    future: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
) -> np.ndarray:
    """Joint demand paths (n_series, n, horizon), float32, series in the order of :func:`forecast_ids`."""
    if int(n) < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    mean, state = _forecast(model, state, future, as_of)
    mean = mean.reshape(state.history.n_series, model.horizon)
    return model.distribution.sample_paths(mean, int(n), np.random.default_rng(seed))


def forecast_ids(
    model: FittedModel, state: ForecastState, future: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The (sku, store) rows of :func:`predict` for ``future``: the state's ids, then the cold starts."""
    return _extended(model, state, future)[0].ids


def feature_rows(
    model: FittedModel, state: ForecastState, future: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The design rows the LightGBM model predicts from (h = 1..horizon per series, series-major),
    in the columns and order of ``model.feature_names``. ``future`` as in :func:`predict`."""
    if model.is_baseline:
        raise ConfigError(f"a {type(model.model).__name__} baseline reads no feature rows")
    return _rows(model, *_extended(model, state, future))


def target_dates(model: FittedModel, history: History) -> pd.DatetimeIndex:
    """The forecast dates, series-major: h = 1..horizon after each series' last date."""
    last = history.grid[history.grid_pos(history.last_positions())]
    return inputs.horizon_dates(pd.DatetimeIndex(last), model.horizon, model.freq)


def with_future(
    model: FittedModel, state: ForecastState, fut: pd.DataFrame
) -> tuple[ForecastState, pd.DataFrame]:
    """A new state extended by the (sku, store) pairs of ``fut`` (canonical names) with no history, and
    the future frame with their covariates filled. A cold start's covariates before its first future row
    take that row's values; ``state`` itself is returned when there is no cold start."""
    missing = [c for c in ("sku", "store", "date") if c not in fut.columns]
    if missing:
        raise DataError(f"future frame is missing column(s) {missing}")
    pairs = fut[["sku", "store"]].drop_duplicates()
    is_new = pairs.merge(state.ids.assign(_k=1), on=["sku", "store"], how="left")["_k"].isna().to_numpy()
    if not is_new.any():
        return state, fut
    if model.is_baseline:
        raise ConfigError(
            f"a {type(model.model).__name__} baseline cannot forecast series without history (cold starts)"
        )
    new_pairs = pairs[is_new]
    origin = state.origin
    fut = _fill_cold_future(model, fut.assign(date=pd.to_datetime(fut["date"])), new_pairs, origin)
    rows = fut.merge(new_pairs, on=["sku", "store"]).sort_values("date").drop_duplicates(["sku", "store"])
    rows = rows.assign(date=origin, units=np.nan)
    hist, ids, panel = append_sales(
        state.history,
        state.ids,
        rows,
        covariates=model.covariates,
        keep=model.keep,
        freq=model.freq,
        fill_missing="nan",
    )
    if state.signal_store is not None:
        hist = realigned(model, state, hist, ids)
    return moved(model, state, hist, ids, panel), fut


def _extended(
    model: FittedModel, state: ForecastState, future: pd.DataFrame | None
) -> tuple[ForecastState, pd.DataFrame | None]:
    """The state extended by ``future``'s cold starts, and ``future`` in canonical names (None stays)."""
    if future is None:
        return state, None
    return with_future(model, state, inputs.canonical(future, model.columns, "future"))


def _fill_cold_future(
    model: FittedModel, fut: pd.DataFrame, new_pairs: pd.DataFrame, origin: pd.Timestamp
) -> pd.DataFrame:
    step = pd.tseries.frequencies.to_offset(model.freq)
    dates = pd.DatetimeIndex([origin + step * h for h in range(1, model.horizon + 1)])
    grid = new_pairs.merge(pd.DataFrame({"date": dates}), how="cross")
    rows = fut.merge(new_pairs, on=["sku", "store"])
    filled = grid.merge(rows, on=["sku", "store", "date"], how="outer").sort_values(["sku", "store", "date"])
    cols = [c for c in filled.columns if c not in ("sku", "store", "date")]
    filled[cols] = filled.groupby(["sku", "store"])[cols].bfill()
    filled[cols] = filled.groupby(["sku", "store"])[cols].ffill()
    old = fut.merge(new_pairs.assign(_n=1), on=["sku", "store"], how="left")
    return pd.concat([old[old["_n"].isna()].drop(columns="_n"), filled], ignore_index=True)


def _forecast(
    model: FittedModel, state: ForecastState, future: pd.DataFrame | None, as_of: Any
) -> tuple[np.ndarray, ForecastState]:
    """Mean forecasts (series-major) and the state they start from (extended by cold starts)."""
    state, fut = _extended(model, state, future)
    if as_of is not None:
        return _nowcast_mean(model, state, fut, pd.Timestamp(as_of)), state
    return _mean(model, state, fut), state


def _rows(model: FittedModel, state: ForecastState, fut: pd.DataFrame | None) -> pd.DataFrame:
    hist = state.history
    series = np.repeat(np.arange(hist.n_series), model.horizon)
    dates = target_dates(model, hist)
    cov = inputs.future_covariates(fut, state.ids, dates, series, model.covariates)
    X = design_of(model, state).forecast_matrix(hist, model.horizon, dates, cov)
    return X[list(model.feature_names)]


def _mean(model: FittedModel, state: ForecastState, fut: pd.DataFrame | None) -> np.ndarray:
    if model.is_baseline:
        if state.baseline_mean is None:
            raise ConfigError("the state of a baseline model has no baseline forecast")
        return np.asarray(state.baseline_mean, dtype=np.float64).reshape(-1)
    return np.asarray(model.model.predict(_rows(model, state, fut)))


def _nowcast_mean(
    model: FittedModel, state: ForecastState, fut: pd.DataFrame | None, as_of: pd.Timestamp
) -> np.ndarray:
    store, hist = state.signal_store, state.history
    if store is None or not hist.signals or model.is_baseline:
        raise ConfigError("intraday nowcasts need a LightGBM model fit with signals")
    day = hist.grid[-1] + pd.tseries.frequencies.to_offset(model.freq)
    if as_of.tzinfo is not None:
        as_of = as_of.tz_convert(store.tz).tz_localize(None)
    if as_of >= day + pd.Timedelta(days=1):
        raise ConfigError(
            f"as_of {as_of} is after {day.date()}, the day after the origin: update() the sales first"
        )
    if as_of < day:
        return _mean(model, state, fut)
    channels = list(hist.signals)
    blank = nowcast.extend_one_day(hist, model.freq)
    panel = tail_panel(blank, state.ids, model.freq)
    last = blank.indptr[1:] - 1
    now = store.aligned(panel, as_of=as_of, stores=state.stores)
    before = store.aligned(panel, as_of=day - pd.Timedelta(1, "ns"), stores=state.stores)
    today = {c: now[c][last] for c in channels}
    if all(np.array_equal(today[c], before[c][last], equal_nan=True) for c in channels):
        return _mean(model, state, fut)
    profile = nowcast.intraday_profile(store, channels, before=day)
    start = _mean(model, state, fut)
    horizon, n = model.horizon, hist.n_series
    h = np.tile(np.arange(horizon), n)
    series = np.repeat(np.arange(n), horizon)
    shift = np.zeros(start.size)
    for c, per_h in (model.nowcast or {}).items():
        level = store.channels[c].agg != "sum"
        share = 1.0 if level else max(profile.share(c, as_of), 1e-3)
        reliability = 1.0 if level else share / (share + nowcast.SHRINK)
        prior = nowcast.recent_mean(hist.signals[c], hist.indptr)
        z = nowcast.log_surprise(today[c] / share, prior)
        shift += np.asarray(per_h)[h] * reliability * z[series]
    return np.clip((start + 1.0) * np.exp(shift) - 1.0, 0.0, None)
