"""Rolling-origin backtests that replay sales and signals exactly as known at each cutoff."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from pullcast.base import clone
from pullcast.columns import Columns
from pullcast.errors import ConfigError, DataError
from pullcast.forecast import Forecaster
from pullcast.forecast.inputs import canonical, user_names
from pullcast.forecast.training import signal_store

__all__ = ["backtest", "cutoffs", "join_actuals"]


def cutoffs(
    last: pd.Timestamp, *, n_windows: int, step: int, horizon: int, freq: str = "D"
) -> list[pd.Timestamp]:
    """Cutoff dates (last training date of each window), oldest first; the newest window ends at ``last``."""
    offset = pd.tseries.frequencies.to_offset(freq)
    newest = pd.Timestamp(last) - offset * horizon
    return [newest - offset * (step * k) for k in range(n_windows - 1, -1, -1)]


def backtest(
    forecaster: Forecaster,
    sales: pd.DataFrame,
    *,
    signals: Any = None,
    stores: pd.DataFrame | None = None,
    n_windows: int = 4,
    step: int = 7,
    horizon: int | None = None,
    refit: bool = True,
    regate: bool = False,
) -> pd.DataFrame:
    """Rolling-origin evaluation: fit at each cutoff on what was known then, forecast, join the actuals.

    Each window trains on sales dated up to its cutoff and on signal events as aligned by arrival
    (a day's signal value only holds events that had arrived by the end of that day), and forecasts
    the ``horizon`` periods after the cutoff. Known-ahead covariates for those periods are read from
    ``sales`` itself (prices and promotions are planned ahead).

    Parameters
    ----------
    forecaster : Forecaster
        An unfitted template; it is cloned for every window.
    sales : pandas.DataFrame
    signals : events frame, SignalStore or None, default None
    stores : pandas.DataFrame or None, default None
    n_windows : int, default 4
    step : int, default 7
        Periods between consecutive cutoffs.
    horizon : int or None, default None
        Forecast length; None uses the forecaster's.
    refit : bool, default True
        Refit at every cutoff; False fits once at the first cutoff and only refreshes the state (sales and
        signals known at each later cutoff) before forecasting.
    regate : bool, default False
        Run the signal gate at every cutoff. By default the gate decides once, at the first cutoff, and
        later windows refit with the channels it kept and the gate off: a decision made on earlier data
        (nothing from a later window leaks into it), as a production job that re-gates now and then
        would hold it. The gate is the costliest part of a fit (two fits per fold).

    Returns
    -------
    pandas.DataFrame
        The forecast columns plus ``cutoff``, ``units`` (actual), ``model`` and, when the sales frame has
        stock columns, ``censored`` (the actual was a stockout day).
    """
    if n_windows < 1 or step < 1:
        raise ConfigError(f"n_windows and step must be >= 1, got {n_windows}, {step}")
    template = clone(forecaster)
    if horizon is not None:
        template.set_params(horizon=int(horizon))
    cols = template.columns
    frame = canonical(sales, cols, "sales")
    frame = frame.assign(date=pd.to_datetime(frame["date"]))
    last = frame["date"].max()
    cuts = cutoffs(last, n_windows=n_windows, step=step, horizon=template.horizon, freq=template.freq)
    if cuts[0] <= frame["date"].min():
        raise DataError(f"the first cutoff {cuts[0].date()} is before the sales history starts")
    stores_c = None if stores is None else canonical(stores, cols, "stores")
    signals = signal_store(signals, cols, stores_c)  # ingested once: every window aligns it by arrival
    results = []
    fitted: Forecaster | None = None
    held: list[str] | None = None  # the channels the first window's gate kept, when not re-gating
    for cut in tqdm(cuts, desc="pullcast backtest", disable=not template.verbose, leave=False):
        past = frame[frame["date"] <= cut]
        ahead = frame[(frame["date"] > cut)]
        user_past, user_ahead = user_names(past, cols), user_names(ahead, cols)
        if refit or fitted is None:
            window = clone(template).set_params(verbose=False)
            if held is not None:
                window.set_params(signal_gate=None)
            fitted = window.fit(user_past, signals=signals, stores=stores, channels=held)
            if held is None and not regate and signals is not None and template.signal_gate is not None:
                report = fitted.signal_report_
                held = [str(c) for c in report.loc[report["kept"].astype(bool), "channel"]]
        else:
            fitted.refresh(user_past, signals=signals, stores=stores)
        fc = fitted.predict(user_ahead if fitted.covariates_ else None)
        model = str(template.model) if isinstance(template.model, str) else type(template.model).__name__
        results.append(join_actuals(fc, ahead, columns=cols, cut=cut, model=model))
    return pd.concat(results, ignore_index=True)


def join_actuals(
    forecast: pd.DataFrame, ahead: pd.DataFrame, *, columns: Columns, cut: pd.Timestamp, model: str
) -> pd.DataFrame:
    """One window's forecast joined with its actuals, ``censored`` (stockout days), ``cutoff`` and ``model``.

    ``forecast`` has the user's column names, ``ahead`` (the sales after the cutoff) the default ones; the
    result has the user's.
    """
    fc = canonical(forecast, columns, "forecast")
    ahead = ahead.assign(date=pd.to_datetime(ahead["date"]))
    stock = [c for c in ("on_hand", "in_stock") if c in ahead]
    fc = fc.merge(ahead[["sku", "store", "date", "units", *stock]], on=["sku", "store", "date"], how="inner")
    if stock:
        censored = np.zeros(len(fc), dtype=bool)
        for col in stock:
            censored |= fc.pop(col).to_numpy(dtype=float, na_value=np.nan) <= 0
        fc["censored"] = censored
    fc["cutoff"] = cut
    fc["model"] = model
    return user_names(fc, columns)
