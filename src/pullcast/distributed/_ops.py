"""Backtests and order proposals per SKU partition."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from pullcast.backtest import cutoffs, join_actuals
from pullcast.columns import Columns
from pullcast.distributed import _io
from pullcast.errors import ConfigError, DataError
from pullcast.forecast.inputs import user_names

if TYPE_CHECKING:
    from pullcast.distributed.forecaster import DaskForecaster

__all__ = ["backtest", "propose_orders"]


def _fresh(forecaster: DaskForecaster) -> DaskForecaster:
    """An unfitted copy sharing the client (``clone`` would deep-copy the client)."""
    return type(forecaster)(**forecaster.get_params())


def backtest(
    forecaster: DaskForecaster,
    sales: Any,
    *,
    signals: Any = None,
    stores: pd.DataFrame | None = None,
    n_windows: int = 4,
    step: int = 7,
    horizon: int | None = None,
) -> Any:
    """Rolling-origin backtest on the cluster: refit at every cutoff, forecast and join actuals per partition.

    The distributed counterpart of :func:`pullcast.backtest` with ``refit=True``: the windows, cutoffs and
    output columns are the same; the join with the actuals runs on the workers.

    Parameters
    ----------
    forecaster : DaskForecaster
        An unfitted template (cloned for every window).
    sales : dask.dataframe.DataFrame, pandas.DataFrame or str
    signals : Dask/pandas frame, str or None, default None
    stores : pandas.DataFrame or None, default None
    n_windows : int, default 4
    step : int, default 7
    horizon : int or None, default None

    Returns
    -------
    dask.dataframe.DataFrame
        The forecast columns plus ``units`` (actual), ``cutoff``, ``model`` and, with stock columns,
        ``censored``.
    """
    import dask.dataframe as dd

    if n_windows < 1 or step < 1:
        raise ConfigError(f"n_windows and step must be >= 1, got {n_windows}, {step}")
    template = _fresh(forecaster)
    if horizon is not None:
        template.set_params(horizon=int(horizon))
    cols = template.columns
    frame = _io.as_dask(sales, cols, "sales")
    frame = frame.assign(date=dd.to_datetime(frame["date"]))
    first, last = dd.compute(frame["date"].min(), frame["date"].max())
    cuts = cutoffs(last, n_windows=n_windows, step=step, horizon=template.horizon, freq=template.freq)
    if cuts[0] <= first:
        raise DataError(f"the first cutoff {cuts[0].date()} is before the sales history starts")
    name = str(template.model) if isinstance(template.model, str) else type(template.model).__name__
    windows = []
    for cut in cuts:
        past, ahead = frame[frame["date"] <= cut], frame[frame["date"] > cut]
        fitted = _fresh(template).set_params(verbose=False).fit(past, signals=signals, stores=stores)
        join = partial(join_actuals, columns=cols, cut=cut, model=name)
        future = ahead if fitted.covariates_ else None
        windows.append(fitted._from_futures(fitted.predict_futures(future, join, ahead)))
    return dd.concat(windows)


def _propose_part(
    forecast: pd.DataFrame, inventory: pd.DataFrame, columns: Columns, kwargs: dict[str, Any]
) -> pd.DataFrame:
    from pullcast.replenish import propose_orders as propose

    if len(forecast) == 0:
        return pd.DataFrame()
    out = propose(forecast.reset_index(drop=True), inventory.reset_index(drop=True), **kwargs)
    return user_names(out, columns)


def propose_orders(
    forecast: Any, inventory: Any, *, client: Any, columns: Columns = Columns(), **kwargs: Any
) -> Any:
    """:func:`pullcast.replenish.propose_orders` per SKU partition of a Dask forecast frame.

    Parameters
    ----------
    forecast : dask.dataframe.DataFrame
        A forecast frame, e.g. from :meth:`DaskForecaster.predict`.
    inventory : dask.dataframe.DataFrame or pandas.DataFrame
        sku, store, on_hand (and the optional columns of ``propose_orders``).
    client : distributed.Client
    columns : Columns, default Columns()
    **kwargs
        Passed to :func:`pullcast.replenish.propose_orders` (policy, params, as_of, ...).

    Returns
    -------
    dask.dataframe.DataFrame
        The orders frame, one partition per SKU partition.
    """
    import dask.dataframe as dd

    fc = _io.as_dask(forecast, columns, "forecast")
    n = int(fc.npartitions)
    fc_f = _io.partition_futures(client, _io.by_sku(fc, n))
    inv_f = _io.partition_futures(client, _io.by_sku(_io.as_dask(inventory, columns, "inventory"), n))
    futures = [
        client.submit(_propose_part, f, i, columns, kwargs, pure=False)
        for f, i in zip(fc_f, inv_f, strict=True)
    ]
    sizes = client.gather([client.submit(len, f) for f in futures])
    live = [f for f, s in zip(futures, sizes, strict=True) if s > 0] or futures[:1]
    meta = client.submit(lambda f: f.iloc[:0], live[0]).result()
    return dd.from_delayed(live, meta=meta, verify_meta=False)
