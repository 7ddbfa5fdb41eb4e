"""The forecast state: what moves with new data after fit, as a frozen value, and how new data moves it.

:class:`ForecastState` holds the trimmed history tail, the series ids and their attributes, the signal
store and the store map. :func:`update` and :func:`refresh` return a new state from the fitted model
(:class:`~pullcast.forecast.fitted.FittedModel`, never changed) and an old state (never changed either).

The signal store is the one exception to "never changed": it is an append-only event log, shared by a
state and the states updated from it (copying it on every update would cost the whole log). A state's
aligned signal arrays are its own copies, so the plain forecast of an older state does not move when
events are appended; an intraday nowcast (``as_of``) reads the store, and events arrive in order of
``arrived_at``, so an older state's nowcast changes only for ``as_of`` times after those arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from pullcast.base import clone
from pullcast.errors import ColumnError, DataError
from pullcast.features import Design, History, StaticBlock, censor_mask
from pullcast.forecast import inputs
from pullcast.forecast.fitted import FittedModel
from pullcast.panel import Panel, PanelDates, describe_rows

__all__ = [
    "ForecastState",
    "aligned_channels",
    "append_sales",
    "baseline_forecast",
    "design_of",
    "moved",
    "realigned",
    "refresh",
    "static_for",
    "tail_panel",
    "update",
]


@dataclass(frozen=True, eq=False)
class ForecastState:
    """The data a forecast starts from (frozen: :func:`update` and :func:`refresh` return new states).

    Attributes
    ----------
    history : History
        The last periods of every series (at least the model's ``keep``), signals aligned at the origin.
    ids : pandas.DataFrame
        sku, store of every series, in the order of ``history``.
    static : StaticBlock
        The series' attributes over ``ids``, with the categories fixed at fit time.
    signal_store : SignalStore or None, default None
        The signal events (shared, append-only; see the module notes).
    stores : pandas.DataFrame or None, default None
        The ``store, region`` map, canonical column names.
    baseline_mean : ndarray of float64 or None, default None
        Per-series baselines only: the baseline refitted on ``history``, as its mean forecast
        (n_series, horizon). None for the global LightGBM model.
    last_ingest : IngestReport or None, default None
        The report of the latest signal events appended on the way to this state.
    """

    history: History
    ids: pd.DataFrame
    static: StaticBlock
    signal_store: Any = None
    stores: pd.DataFrame | None = None
    baseline_mean: np.ndarray | None = None
    last_ingest: Any = None

    @property
    def origin(self) -> pd.Timestamp:
        """The latest date of the state's grid."""
        return pd.Timestamp(self.history.grid[-1])


def design_of(model: FittedModel, state: ForecastState) -> Design:
    """The fitted design over the state's series: ``model.design`` with the state's static block."""
    if state.static is model.design.static:
        return model.design
    return replace(model.design, static=state.static)


def baseline_forecast(model: FittedModel, history: History) -> np.ndarray | None:
    """A per-series baseline refitted on ``history``: its mean forecast (n_series, horizon); None for
    the global model. The fitted model's estimator is cloned, never refitted in place."""
    if not model.is_baseline:
        return None
    fitted = clone(model.model).fit(history.y, history.indptr)
    return np.asarray(fitted.predict(model.horizon), dtype=np.float64).reshape(history.n_series, -1)


def aligned_channels(
    store: Any, panel: Panel, stores: pd.DataFrame | None, channels: list[str]
) -> dict[str, np.ndarray]:
    """The model's signal ``channels`` aligned on ``panel`` (own float64 copies, not the store's views).

    Raises
    ------
    DataError
        The model uses channels and there is no store, or the store lacks some of them.
    """
    if store is None:
        if channels:
            raise DataError(f"this model uses signal channels {channels}: pass signals")
        return {}
    aligned = store.aligned(panel, stores=stores)
    missing = [c for c in channels if c not in aligned]
    if missing:
        raise DataError(f"signal channel(s) {missing} used by the model are absent from the signals given")
    return {c: np.array(aligned[c], dtype=np.float64) for c in channels}


def static_for(
    model: FittedModel, static: StaticBlock, ids: pd.DataFrame, panel: Panel | None
) -> StaticBlock:
    """``static`` over ``ids``: known series keep their attributes, new ones take ``panel``'s."""
    old = static.frame
    if len(ids) == len(old) and ids[["sku", "store"]].equals(old[["sku", "store"]]):
        return static
    frames = [old] if panel is None else [old, inputs.static_frame(panel, model.design.spec.static)]
    pool = pd.concat(frames).drop_duplicates(["sku", "store"], keep="first")
    merged = ids.merge(pool, on=["sku", "store"], how="left")
    return static.for_frame(merged[list(old.columns)])


def realigned(model: FittedModel, state: ForecastState, history: History, ids: pd.DataFrame) -> History:
    """``history`` (over ``ids``) with the model's channels aligned afresh from the state's store."""
    panel = tail_panel(history, ids, model.freq)
    channels = aligned_channels(state.signal_store, panel, state.stores, list(history.signals))
    return replace(history, signals=channels)


def moved(
    model: FittedModel, state: ForecastState, history: History, ids: pd.DataFrame, panel: Panel | None
) -> ForecastState:
    """``state`` moved to ``history`` and ``ids``: static block and baseline follow (``panel``: the new
    rows' panel, attributes of series not seen before; None when there are none)."""
    ids = ids.reset_index(drop=True)
    return replace(
        state,
        history=history,
        ids=ids,
        static=static_for(model, state.static, ids, panel),
        baseline_mean=baseline_forecast(model, history),
    )


def update(
    model: FittedModel, state: ForecastState, sales: pd.DataFrame | None = None, signals: Any = None
) -> ForecastState:
    """The state after new sales days and/or signal events (user column names), without retraining.

    Parameters
    ----------
    model : FittedModel
    state : ForecastState
        The state to start from (unchanged; its signal store is appended to, see the module notes).
    sales : pandas.DataFrame or None, default None
        New days, dated after each series' last known day; unseen series become cold starts.
    signals : pandas.DataFrame or None, default None
        New signal events (late ones count as of their arrival).

    Returns
    -------
    ForecastState
        A new state; ``last_ingest`` is the report of ``signals`` when given.
    """
    history, ids, new_panel = state.history, state.ids, None
    if sales is not None:
        new = inputs.canonical(sales, model.columns, "sales")
        history, ids, new_panel = append_sales(
            history, ids, new, covariates=model.covariates, keep=model.keep, freq=model.freq
        )
    ingest = state.last_ingest
    store = state.signal_store
    if signals is not None:
        if store is None:
            raise DataError("this model was fit without signals; it cannot take signal events")
        ingest = store.append(inputs.canonical(signals, model.columns, "signals"))
    if store is not None and (sales is not None or signals is not None):
        history = realigned(model, state, history, ids)
    return replace(moved(model, state, history, ids, new_panel), last_ingest=ingest)


def refresh(
    model: FittedModel,
    state: ForecastState,
    sales: pd.DataFrame,
    *,
    store: Any = None,
    stores: pd.DataFrame | None = None,
) -> ForecastState:
    """A state rebuilt from ``sales`` (user column names) as known now, without retraining.

    ``store`` and ``stores`` (canonical names) replace the state's when given (None keeps them).
    """
    frame = inputs.canonical(sales, model.columns, "sales")
    panel = inputs.sales_panel(frame, model.freq)
    store = state.signal_store if store is None else store
    stores = state.stores if stores is None else stores
    aligned = aligned_channels(store, panel, stores, list(state.history.signals))
    history = History.from_panel(panel, model.covariates, aligned).tails(model.keep)
    rebased = replace(state, signal_store=store, stores=stores)
    return moved(model, rebased, history, panel.ids, panel)


def tail_panel(state: History, ids: pd.DataFrame, freq: str) -> Panel:
    """A Panel view of the state (units as sold, for signal alignment and sales shares)."""
    dates = PanelDates(state.grid, state.start_pos, state.lengths, freq)
    filled = np.zeros(state.y.size, dtype=bool)
    return Panel(ids, state.indptr, dates, {"units": state.sold}, filled)


def append_sales(
    state: History,
    ids: pd.DataFrame,
    new: pd.DataFrame,
    *,
    covariates: tuple[str, ...],
    keep: int,
    freq: str,
    fill_missing: str = "zero",
) -> tuple[History, pd.DataFrame, Panel]:
    """Append new sales days (canonical column names); return the state, its ids and the new rows' panel.

    New days must come after each series' last known day; a gap is filled with zero sales. Series not
    seen before are added at the end (their forecasts are cold starts). The state keeps at least the
    last ``keep`` periods of each series (it is cut back to ``keep`` when a series reaches twice that).
    NaN units are unknown demand; days absent from ``new`` are zero sales, or unknown with
    ``fill_missing="nan"`` (cold starts).

    Raises
    ------
    ColumnError
        A covariate the model needs is missing from the new rows.
    DataError
        A new row is dated on or before its series' last known day.
    """
    missing = [c for c in covariates if c not in new.columns]
    if missing:
        raise ColumnError(f"new sales rows lack the covariate column(s) {missing} the model was fit with")
    panel = Panel.from_frame(new, freq=freq, dtype=np.float64, fill_missing="nan")
    if fill_missing == "zero":
        panel.values()[panel.filled] = 0.0
    key = ids.assign(_old=np.arange(len(ids)))
    found = panel.ids.merge(key, on=["sku", "store"], how="left")["_old"].to_numpy()
    is_new = np.isnan(found)
    n_old = len(ids)
    where = found.copy()
    where[is_new] = n_old + np.arange(int(is_new.sum()))
    where = where.astype(np.int64)
    all_ids = pd.concat([ids, panel.ids[is_new]], ignore_index=True)

    grid = state.grid
    end = max(grid[-1], panel.dates.grid[-1])
    grid = pd.date_range(grid[0], end, freq=freq).as_unit("ns") if end > state.grid[-1] else grid
    shift = int(grid.get_indexer([panel.dates.grid[0]])[0])
    if shift < 0:
        raise DataError(
            f"new sales start {panel.dates.grid[0].date()} before the state's grid; cannot append"
        )
    n_all = len(all_ids)
    a = np.zeros(n_all, dtype=np.int64)
    a[:n_old] = state.lengths
    start = np.zeros(n_all, dtype=np.int64)
    start[:n_old] = state.start_pos
    b = np.zeros(n_all, dtype=np.int64)
    b[where] = panel.dates.lengths
    new_start = np.zeros(n_all, dtype=np.int64)
    new_start[where] = panel.dates.start_pos + shift
    start[where[is_new]] = new_start[where[is_new]]
    born = start.copy()
    born[:n_old] = state.born
    last_old = start + a - 1
    gap = np.where(b > 0, new_start - last_old - 1, 0)
    gap[a == 0] = 0
    late = (b > 0) & (a > 0) & (gap < 0)
    if late.any():
        bad = np.flatnonzero(late[where])
        frame = panel.ids.assign(first_new=panel.dates.start.values)
        raise DataError(
            "update appends days after each series' last known day; these series got rows on or before it: "
            + describe_rows(frame, np.isin(np.arange(len(frame)), bad), ["sku", "store", "first_new"])
        )
    total = a + gap + b
    # Trim only once the longest series has doubled: between trims the state's grid keeps its start, so
    # the signal store extends its aligned cache in place instead of rebuilding it (features read only
    # the last ``keep`` periods either way).
    kept = np.minimum(total, keep) if total.max(initial=0) > 2 * keep else total
    drop = total - kept

    def combine(old: np.ndarray, fresh: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(int(total.sum()), fill, dtype=np.float64)
        base = np.concatenate(([0], np.cumsum(total)[:-1]))
        if old.size:
            s = np.repeat(np.arange(n_old), state.lengths)
            out[base[s] + np.arange(old.size) - state.indptr[s]] = old
        if fresh.size:
            s = where[np.repeat(np.arange(panel.n_series), panel.dates.lengths)]
            local = np.arange(fresh.size) - np.repeat(panel.indptr[:-1], panel.dates.lengths)
            out[base[s] + a[s] + gap[s] + local] = fresh
        owner = np.repeat(np.arange(n_all), total)
        return out[np.arange(out.size) - base[owner] >= drop[owner]]

    units = panel.values().astype(np.float64)
    y_new = units.copy()
    y_new[censor_mask(panel)] = np.nan
    indptr = np.zeros(n_all + 1, dtype=np.int64)
    np.cumsum(kept, out=indptr[1:])
    updated = replace(
        state,
        y=combine(state.y, y_new, 0.0),
        sold=combine(state.sold, np.nan_to_num(units), 0.0),
        indptr=indptr,
        start_pos=start + drop,
        first_pos=born,
        grid=grid,
        covariates={
            c: combine(state.covariates[c], panel.values(c).astype(np.float64), np.nan) for c in covariates
        },
        signals={k: combine(v, np.zeros(0), np.nan) for k, v in state.signals.items()},
    )
    return updated, all_ids, panel
