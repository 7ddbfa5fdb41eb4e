"""Fan chart of forecasts: history, mean, quantile bands and the aligned pull signal on a second axis."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pullcast.columns import FORECAST_MEAN, Columns
from pullcast.errors import ConfigError, DataError
from pullcast.plot._common import date_axis, new_figure, one_series, pick_series, require_columns

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_QUANTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")
MAX_PANELS = 8


def quantile_bands(columns: Sequence[str]) -> list[tuple[str, str]]:
    """Symmetric quantile column pairs, outermost first: ``[("p10", "p90"), ("p25", "p75")]``.

    Parameters
    ----------
    columns : sequence of str
        Column names of a forecast frame; ``p`` + percent names are quantiles (docs/architecture.md).

    Returns
    -------
    list of tuple of str
        ``(lower, upper)`` pairs whose levels add up to 100, sorted from the widest band.
    """
    level = {float(m.group(1)): c for c in columns if (m := _QUANTILE.match(str(c)))}
    pairs = [(level[q], level[100.0 - q]) for q in sorted(level) if q < 50.0 and (100.0 - q) in level]
    return pairs


def _aligned_signals(
    history: pd.DataFrame,
    signals: Any,
    pairs: list[tuple[Any, Any]],
    channels: Sequence[str] | None,
    stores: pd.DataFrame | None,
    cols: Columns,
) -> pd.DataFrame:
    """The chosen series' history grid with one column per channel, aligned as of arrival."""
    from pullcast.panel import Panel
    from pullcast.signals import SignalStore

    keys = pd.DataFrame(pairs, columns=cols.keys)
    rows = history.merge(keys, on=cols.keys, how="inner")
    panel = Panel.from_frame(rows[[*cols.keys, cols.date, cols.units]], columns=cols, fill_missing="nan")
    if isinstance(signals, SignalStore):
        store = signals
    elif isinstance(signals, pd.DataFrame):
        require_columns(signals, [cols.sku, cols.time, cols.channel, cols.value], "signals")
        store = SignalStore(columns=cols, stores=stores)
        store.append(signals[signals[cols.sku].isin(keys[cols.sku])])
    else:
        raise DataError(f"signals must be an events DataFrame or a SignalStore, got {type(signals).__name__}")
    aligned = store.aligned(panel, stores=stores)
    wanted = list(aligned) if channels is None else list(channels)
    unknown = [c for c in wanted if c not in aligned]
    if unknown:
        raise ConfigError(f"signal channel(s) {unknown} not found; the signals have {sorted(aligned)}")
    grid = panel.to_frame(include_filled=True)
    for name in wanted:
        grid[name] = np.asarray(aligned[name], dtype=np.float64)
    return grid


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    signals: Any = None,
    skus: Any = None,
    *,
    store: Any = None,
    channels: Sequence[str] | None = None,
    stores: pd.DataFrame | None = None,
    history_days: int = 56,
    columns: Columns = Columns(),
) -> Figure:
    """Fan chart per SKU-store: recent sales, forecast mean, quantile bands and the pull signal.

    Parameters
    ----------
    history : pandas.DataFrame
        Sales frame (sku, store, date, units) up to the forecast origin.
    forecast : pandas.DataFrame
        Output of :meth:`pullcast.Forecaster.predict`: sku, store, date, forecast and quantile
        columns (``p10``, ``p50``, ``p90``, ...). Each symmetric pair (p10/p90, p25/p75, ...) is
        drawn as a band; ``p50`` as a dashed line.
    signals : pandas.DataFrame, pullcast.signals.SignalStore or None, default None
        Signal events (or a configured store). Each channel is aligned to the daily grid by arrival
        time exactly as the forecaster sees it (:meth:`pullcast.signals.SignalStore.aligned`) and
        drawn on a second y axis. None draws no signal.
    skus : str, sequence of str or None, default None
        The SKUs to draw, one panel each (at most 8); None draws the first series of ``forecast``.
    store : str or None, default None
        The store of every panel; None uses each SKU's first store in ``forecast``.
    channels : sequence of str or None, default None
        Signal channels to draw; None draws all of them.
    stores : pandas.DataFrame or None, default None
        ``store, region`` map, needed to align region-level signal channels to stores.
    history_days : int, default 56
        Days of sales history shown before the first forecast date.
    columns : Columns, default Columns()
        Column names of the frames.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per SKU-store (plus a twin axes per panel when signals are drawn).

    Raises
    ------
    pullcast.errors.ColumnError
        A frame misses a needed column.
    pullcast.errors.DataError
        A requested SKU (at ``store``) is not in the forecast or has no history.
    pullcast.errors.ConfigError
        Unknown signal channels, too many SKUs, or a non-positive ``history_days``.
    """
    cols = columns
    if history_days < 1:
        raise ConfigError(f"history_days must be >= 1, got {history_days}")
    require_columns(history, [*cols.keys, cols.date, cols.units], "history")
    require_columns(forecast, [*cols.keys, cols.date, FORECAST_MEAN], "forecast")
    pairs = pick_series(forecast, skus, store, cols, "forecast", MAX_PANELS)
    history = history.assign(**{cols.date: pd.to_datetime(history[cols.date])})
    forecast = forecast.assign(**{cols.date: pd.to_datetime(forecast[cols.date])})
    grid = None if signals is None else _aligned_signals(history, signals, pairs, channels, stores, cols)
    bands = quantile_bands(list(forecast.columns))
    fig, axes = new_figure(len(pairs))
    for ax, (sku, shop) in zip(axes, pairs, strict=True):
        fc = one_series(forecast, sku, shop, cols)
        past = one_series(history, sku, shop, cols)
        if past.empty:
            raise DataError(f"SKU {sku!r} at store {shop!r} has forecasts but no history rows")
        start = fc[cols.date].min() - pd.Timedelta(days=history_days)
        past = past[past[cols.date] >= start]
        ax.plot(past[cols.date], past[cols.units], color="0.2", lw=1.2, label="sales")
        for k, (lo, hi) in enumerate(bands):
            alpha = 0.15 + 0.2 * k / max(len(bands), 1)
            ax.fill_between(
                fc[cols.date], fc[lo], fc[hi], color="tab:blue", alpha=alpha, lw=0, label=f"{lo}-{hi}"
            )
        if "p50" in fc.columns:
            ax.plot(fc[cols.date], fc["p50"], color="tab:blue", lw=1, ls="--", label="p50")
        ax.plot(fc[cols.date], fc[FORECAST_MEAN], color="tab:blue", lw=2, label="forecast (mean)")
        ax.axvline(past[cols.date].max(), color="0.5", lw=0.8, ls=":")
        ax.set_title(f"{sku} @ {shop}")
        date_axis(ax)
        ax.set_ylabel(cols.units)
        handles, labels = ax.get_legend_handles_labels()
        if grid is not None:
            twin = ax.twinx()
            sig = one_series(grid, sku, shop, cols)
            sig = sig[sig[cols.date] >= start]
            names = [c for c in grid.columns if c not in (*cols.keys, cols.date, cols.units)]
            for k, name in enumerate(names):
                twin.plot(
                    sig[cols.date], sig[name], color=f"C{k + 1}", lw=1, alpha=0.8, label=f"signal: {name}"
                )
            twin.set_ylabel("signal (as of arrival)")
            more_h, more_l = twin.get_legend_handles_labels()
            handles, labels = handles + more_h, labels + more_l
        ax.legend(handles, labels, loc="upper left", fontsize="small", ncols=2)
    axes[-1].set_xlabel(cols.date)
    return fig
