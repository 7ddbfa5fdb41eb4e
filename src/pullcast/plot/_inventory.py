"""Day-by-day inventory trajectory of one SKU-store under a replenishment policy, and its plot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ConfigError, DataError
from pullcast.plot._common import date_axis, new_figure, require_columns

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TRACE_COLUMNS = [
    "demand", "sold", "lost_sales", "on_hand", "ordered", "arrivals", "markdown", "expired",
]  # fmt: skip
# cumulative per-series totals of pullcast.replenish.simulate differenced into daily flows
_CUMULATIVE = {
    "demand": "demand",
    "sold": "sold",
    "lost_sales": "lost_sales_units",
    "ordered": "ordered_units",
    "markdown": "markdown_units",
    "expired": "expired_units",
}


def _only(frame: Any, sku: Any, store: Any, cols: Columns) -> Any:
    if isinstance(frame, pd.DataFrame) and set(cols.keys) <= set(frame.columns):
        return frame[(frame[cols.sku] == sku) & (frame[cols.store] == store)]
    return frame


def inventory_trace(
    policy: Any,
    demand: pd.DataFrame,
    *,
    inventory: pd.DataFrame,
    sku: Any,
    store: Any,
    params: Any = None,
    columns: Columns = Columns(),
    **simulate_kwargs: Any,
) -> pd.DataFrame:
    """Daily stock, orders, arrivals, lost sales and markdowns of one SKU-store under a policy.

    :func:`pullcast.replenish.simulate` reports totals; this runs it on the one SKU-store for the
    first 1, 2, ..., T days and differences the cumulative totals, so every daily number is the
    simulator's own (same kernel, same seed) rather than a re-implementation. The cost is T
    simulations of one series (with a ``forecaster`` replay, T replays: keep T to a few weeks).

    Parameters
    ----------
    policy : OrderUpTo, Newsvendor or SSPolicy
        As in :func:`pullcast.replenish.simulate`.
    demand : pandas.DataFrame
        Realised daily demand, long frame sku, store, date, units (other series are ignored).
    inventory : pandas.DataFrame
        Starting stock (sku, store, on_hand; optional on_order, arrival_date).
    sku, store : str
        The SKU-store to trace.
    params : pandas.DataFrame, ReplenishParams or None, default None
        As in :func:`pullcast.replenish.simulate` (rows of other SKU-stores are ignored).
    columns : Columns, default Columns()
        Column names of the frames.
    **simulate_kwargs
        Passed on to :func:`pullcast.replenish.simulate` (``forecaster``, ``days``, ``backorders``,
        ``review_offset``, ``seed``, ...).

    Returns
    -------
    pandas.DataFrame
        sku, store, date and :data:`TRACE_COLUMNS`: daily ``demand``, ``sold``, ``lost_sales``,
        ``ordered`` (placed that day), ``arrivals`` (received that day, the starting ``on_order``
        included), ``markdown`` (cleared at the season end), ``expired`` (past shelf life), and the
        closing ``on_hand``. Stock balances: ``on_hand[d] = on_hand[d-1] + arrivals - sold -
        markdown - expired``.

    Raises
    ------
    pullcast.errors.DataError
        The SKU-store is not in ``demand``.
    """
    from pullcast.replenish import simulate

    cols = columns
    require_columns(demand, [*cols.keys, cols.date, cols.units], "demand")
    rows = _only(demand, sku, store, cols).sort_values(cols.date)
    if rows.empty:
        raise DataError(f"SKU {sku!r} at store {store!r} is not in the demand frame")
    inv = _only(inventory, sku, store, cols)
    par = _only(params, sku, store, cols)
    days = simulate_kwargs.pop("days", None)
    n_days = len(rows) if days is None else int(days)
    if not 0 < n_days <= len(rows):
        raise ConfigError(f"days must be between 1 and {len(rows)}, got {days}")
    totals = []
    for d in range(1, n_days + 1):
        sim = simulate(policy, rows, inventory=inv, params=par, days=d, columns=cols, **simulate_kwargs)
        totals.append(sim.per_series.iloc[0])
    cum = pd.DataFrame(totals).reset_index(drop=True)
    out = pd.DataFrame({cols.sku: sku, cols.store: store, cols.date: rows[cols.date].to_numpy()[:n_days]})
    for name, total in _CUMULATIVE.items():
        out[name] = np.diff(cum[total].to_numpy(np.float64), prepend=0.0)
    out["on_hand"] = cum["ending_on_hand"].to_numpy(np.float64)
    start = float(inv["on_hand"].iloc[0]) if len(inv) else 0.0
    previous = np.concatenate([[start], out["on_hand"].to_numpy()[:-1]])
    out["arrivals"] = out["on_hand"] - previous + out["sold"] + out["markdown"] + out["expired"]
    out["arrivals"] = out["arrivals"].round(9)
    return out[[cols.sku, cols.store, cols.date, *TRACE_COLUMNS]]


def plot_inventory(sim: Any, sku: Any, store: Any, *, columns: Columns = Columns()) -> Figure:
    """Stock, orders, arrivals, lost sales and markdowns of one SKU-store over time.

    Parameters
    ----------
    sim : pandas.DataFrame or object with a ``daily`` DataFrame
        A daily trajectory as returned by :func:`inventory_trace` (or a simulation result carrying
        such a frame as ``sim.daily``), possibly for many SKU-stores.
    sku, store : str
        The SKU-store to draw.
    columns : Columns, default Columns()
        Column names of the frame.

    Returns
    -------
    matplotlib.figure.Figure
        Two stacked axes: closing stock (step line) with order and arrival markers on top; daily
        demand, lost sales and markdown/expired units below.

    Raises
    ------
    pullcast.errors.DataError
        ``sim`` holds no daily trajectory, or the SKU-store is not in it (the message lists some that are).
    pullcast.errors.ColumnError
        The daily frame misses trajectory columns.
    """
    cols = columns
    daily = getattr(sim, "daily", sim)
    if not isinstance(daily, pd.DataFrame):
        raise DataError(
            "plot_inventory needs a daily trajectory (see pullcast.plot.inventory_trace); "
            f"got {type(sim).__name__} without a 'daily' frame"
        )
    require_columns(daily, [*cols.keys, cols.date, *TRACE_COLUMNS], "daily inventory frame")
    rows = daily[(daily[cols.sku] == sku) & (daily[cols.store] == store)].sort_values(cols.date)
    if rows.empty:
        known = [tuple(k) for k in daily[cols.keys].drop_duplicates().head(5).itertuples(index=False)]
        raise DataError(f"SKU {sku!r} at store {store!r} is not in the inventory trajectory; it has {known}")
    dates = pd.to_datetime(rows[cols.date])
    fig, (top, bottom) = new_figure(2, row_height=3.0)
    top.step(dates, rows["on_hand"], where="post", color="tab:blue", lw=1.5, label="on hand (close)")
    placed = rows["ordered"] > 0
    came = rows["arrivals"] > 0
    top.bar(
        dates[placed], rows.loc[placed, "ordered"], width=0.4, color="tab:orange", alpha=0.7, label="ordered"
    )
    top.scatter(
        dates[came], rows.loc[came, "arrivals"], marker="v", color="tab:green", zorder=3, label="arrivals"
    )
    top.set_ylabel("units")
    top.set_title(f"inventory of {sku} @ {store}")
    top.legend(fontsize="small", loc="upper left")
    bottom.plot(dates, rows["demand"], color="0.3", lw=1, label="demand")
    bottom.bar(dates, rows["lost_sales"], width=0.8, color="tab:red", alpha=0.7, label="lost sales")
    over = rows["markdown"] + rows["expired"]
    bottom.bar(dates, over, width=0.8, color="tab:purple", alpha=0.7, label="markdown + expired")
    bottom.set_ylabel("units")
    bottom.set_xlabel(cols.date)
    bottom.legend(fontsize="small", loc="upper left")
    date_axis(top)
    date_axis(bottom)
    return fig
