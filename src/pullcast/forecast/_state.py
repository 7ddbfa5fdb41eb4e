"""The forecasting state kept after fit: the last periods of every series, and how new days join it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from pullcast.errors import ColumnError, DataError
from pullcast.features import History, censor_mask
from pullcast.panel import Panel, PanelDates, describe_rows

__all__ = ["append_sales", "tail_panel"]


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
        grid=grid,
        covariates={
            c: combine(state.covariates[c], panel.values(c).astype(np.float64), np.nan) for c in covariates
        },
        signals={k: combine(v, np.zeros(0), np.nan) for k, v in state.signals.items()},
    )
    return updated, all_ids, panel
