"""Day-by-day inventory simulation over realised demand (backtest replay) or demand scenarios.

Each day, in order: units past their shelf life expire (a lot arriving on day ``a`` sells on days
``a .. a + shelf_life - 1``, oldest first); orders due arrive; on a review day the policy orders up
to its level (case packs, MOQ, capacity; an order arriving after the season end is not placed);
backorders are served (backorder mode); demand is met from stock, the rest is lost (default) or
backordered; on the season's last day what is left is marked down. Initial stock is fresh on
day 0. Costs per SKU-store: ``holding_cost * on-hand unit-days + lost units * (price - unit_cost +
lost_sale_penalty) + backordered units * lost_sale_penalty + markdown units * (unit_cost - salvage)
+ expired units * unit_cost + orders * fixed_order_cost``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.errors import ColumnError, ConfigError, DataError
from pullcast.replenish import _kernels as K
from pullcast.replenish._inputs import read_forecast, read_inventory, read_params
from pullcast.replenish._plan import Correlation, make_plan, run_decide
from pullcast.replenish.policies import Newsvendor, OrderUpTo, Policy, ReplenishParams, SamplePaths, SSPolicy

__all__ = ["SimulationResult", "simulate"]

Forecaster = Callable[[pd.DataFrame, pd.Timestamp], Any]


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    per_series : pandas.DataFrame
        One row per SKU-store (per scenario path when scenarios were simulated) with demand, sold,
        fill_rate, cycle_service_level, lost_sales_units, stockout_days, avg_on_hand,
        inventory_turns (annualised), ordered_units, orders, markdown_units, expired_units,
        overstock_units, overstock_value, holding_cost, total_cost, ...
    total : pandas.Series
        The same measures over all series (rates recomputed from the summed units).
    """

    per_series: pd.DataFrame
    total: pd.Series


def _demand_matrix(demand: Any, cols: Columns) -> tuple[pd.DataFrame, np.ndarray, pd.DatetimeIndex]:
    if isinstance(demand, SamplePaths):
        if demand.dates is None:
            raise ConfigError("scenario paths need dates to be simulated")
        n, p, t = demand.paths.shape
        ids = demand.ids[cols.keys].loc[demand.ids.index.repeat(p)].reset_index(drop=True)
        ids["path"] = np.tile(np.arange(p), n)
        return ids, np.asarray(demand.paths, np.float64).reshape(n * p, t), pd.DatetimeIndex(demand.dates)
    if isinstance(demand, tuple):
        ids, arr = demand[0], np.asarray(demand[1], np.float64)
        dates = demand[2] if len(demand) > 2 else pd.date_range("2000-01-01", periods=arr.shape[1])
        if arr.ndim != 2 or arr.shape[0] != len(ids):
            raise DataError(
                f"demand array must be (n_series, days) with one row per ids row, got {arr.shape}"
            )
        return ids[cols.keys].reset_index(drop=True), arr, pd.DatetimeIndex(dates)
    if not isinstance(demand, pd.DataFrame):
        raise DataError(
            f"demand must be a DataFrame, SamplePaths or (ids, array[, dates]), got {type(demand)}"
        )
    missing = [c for c in [*cols.keys, cols.date, cols.units] if c not in demand.columns]
    if missing:
        raise ColumnError(f"demand frame is missing column(s) {missing}; it has {list(demand.columns)}")
    frame = demand[[*cols.keys, cols.date, cols.units]].copy()
    frame[cols.date] = pd.to_datetime(frame[cols.date])
    wide = frame.pivot_table(index=cols.keys, columns=cols.date, values=cols.units, aggfunc="sum", sort=True)
    grid = pd.date_range(wide.columns.min(), wide.columns.max(), freq="D")
    wide = wide.reindex(columns=grid)
    ids = wide.index.to_frame(index=False)
    return ids, wide.to_numpy(np.float64), grid


def _history(
    ids: pd.DataFrame, arr: np.ndarray, dates: pd.DatetimeIndex, upto: int, cols: Columns
) -> pd.DataFrame:
    n = len(ids)
    out = ids.loc[ids.index.repeat(upto), cols.keys].reset_index(drop=True)
    out[cols.date] = np.tile(dates[:upto].to_numpy(), n)
    out[cols.units] = arr[:, :upto].reshape(-1)
    return out


def _order_days(par: pd.DataFrame, dates: pd.DatetimeIndex, days: int, review_offset: int) -> np.ndarray:
    review = par["review_period"].to_numpy(np.float64).astype(np.int64)
    masks = par["order_days_mask"].to_numpy(np.int64)
    t = np.arange(days)
    on = ((t[None, :] - review_offset) % review[:, None]) == 0
    weekday = np.asarray(dates[:days].day_of_week)
    with_days = masks > 0
    if with_days.any():
        on[with_days] = ((masks[with_days, None] >> weekday[None, :]) & 1).astype(bool)
    return on


def _fixed_levels(
    policy: Policy, params: Any, ids: pd.DataFrame, cols: Columns
) -> tuple[np.ndarray, np.ndarray]:
    n = len(ids)
    if isinstance(policy, OrderUpTo) and policy.level is not None:
        return np.full(n, np.nan), np.full(n, float(policy.level))
    if isinstance(policy, SSPolicy) and policy.s is not None and policy.S is not None:
        return np.full(n, float(policy.s)), np.full(n, float(policy.S))
    if isinstance(params, pd.DataFrame) and "target_level" in params.columns:
        use = [*cols.keys, "target_level"] + (["reorder_point"] if "reorder_point" in params.columns else [])
        j = ids[cols.keys].merge(params[use], on=cols.keys, how="left")
        if j["target_level"].isna().any():
            raise DataError("params target_level is missing for some SKU-stores of the demand")
        s = j["reorder_point"].to_numpy(np.float64) if "reorder_point" in j else np.full(n, np.nan)
        return s, j["target_level"].to_numpy(np.float64)
    raise ConfigError(
        "simulate needs order levels: give a forecaster, a fixed OrderUpTo(level=...) or "
        "SSPolicy(s=..., S=...), or params columns target_level (and reorder_point)"
    )


def simulate(
    policy: Policy,
    demand: Any,
    *,
    inventory: pd.DataFrame,
    params: pd.DataFrame | ReplenishParams | None = None,
    forecaster: Forecaster | None = None,
    days: int | None = None,
    backorders: bool = False,
    review_offset: int = 0,
    columns: Columns = Columns(),
    correlation: Correlation = "independent",
    n_samples: int = 1000,
    seed: int = 0,
) -> SimulationResult:
    """Simulate a policy day by day (Numba, parallel over SKU-stores).

    Parameters
    ----------
    policy : OrderUpTo, Newsvendor or SSPolicy
        With fixed levels (``OrderUpTo(level=...)``, ``SSPolicy(s=..., S=...)`` or params columns
        ``target_level``/``reorder_point``) no forecaster is needed.
    demand : DataFrame, (ids, array[, dates]) or SamplePaths
        Realised daily demand (long frame sku, store, date, units, or an ``(n_series, days)`` array),
        or scenarios ``(n_series, n_paths, days)`` (each path simulated as its own series).
    inventory : DataFrame
        Starting stock: sku, store, on_hand; optional on_order and arrival_date.
    params : DataFrame or ReplenishParams, optional
        As in :func:`propose_orders`.
    forecaster : callable, optional
        ``forecaster(history, cutoff) -> forecast frame or SamplePaths`` called on every review day
        with the demand up to the day before (long frame); the forecast must start the next day.
    days : int, optional
        Number of days to simulate from the first demand date (default: all).
    backorders : bool, default False
        Backorder unmet demand instead of losing it.
    review_offset : int, default 0
        The first review day (reviews every ``review_period`` days from it, or on ``order_days``).
    columns : Columns, default Columns()
    correlation : {"independent", "full"}, default "independent"
    n_samples : int, default 1000
    seed : int, default 0
        Seeds lead-time draws from a pmf and the quantile-frame approximation.

    Returns
    -------
    SimulationResult
    """
    if not isinstance(policy, OrderUpTo | Newsvendor | SSPolicy):
        raise ConfigError(f"policy must be OrderUpTo, Newsvendor or SSPolicy, got {type(policy).__name__}")
    cols = columns
    ids, dem, dates = _demand_matrix(demand, cols)
    total_days = dem.shape[1] if days is None else int(days)
    if not 0 < total_days <= dem.shape[1]:
        raise ConfigError(f"days must be between 1 and {dem.shape[1]}, got {days}")
    dem = np.ascontiguousarray(dem[:, :total_days])
    keys = ids[cols.keys].drop_duplicates().reset_index(drop=True)
    par_keys = read_params(params, keys, cols)
    inv_keys = read_inventory(inventory, keys, cols, as_of=dates[0])
    pos = ids[cols.keys].merge(keys.reset_index(), on=cols.keys, how="left")["index"].to_numpy()
    par = par_keys.iloc[pos].reset_index(drop=True)
    inv = inv_keys.iloc[pos].reset_index(drop=True)
    on = _order_days(par, dates, total_days, review_offset)
    s_lvl = np.full(dem.shape, np.nan)
    S_lvl = np.full(dem.shape, np.nan)
    if forecaster is None:
        s_fix, S_fix = _fixed_levels(policy, params, ids, cols)
        S_lvl[on] = np.broadcast_to(S_fix[:, None], dem.shape)[on]
        s_lvl[on] = np.broadcast_to(s_fix[:, None], dem.shape)[on]
    else:
        _replay_levels(policy, forecaster, ids, dem, dates, on, params, keys, pos, s_lvl, S_lvl,
                       cols=cols, correlation=correlation, n_samples=n_samples, seed=seed)  # fmt: skip
    lead = _lead_draws(par, total_days, seed)
    sim_par = np.empty((len(ids), K.N_SIM_PARAMS))
    sim_par[:, K.P_PACK] = par["case_pack"].to_numpy(np.float64)
    sim_par[:, K.P_MOQ] = par["moq"].to_numpy(np.float64)
    sim_par[:, K.P_CAP] = par["shelf_capacity"].to_numpy(np.float64)
    sim_par[:, K.P_LIFE] = par["shelf_life"].to_numpy(np.float64)
    season = pd.to_datetime(pd.Series(par["season_end"].to_numpy(object)), errors="coerce")
    sday = ((season - dates[0]) / pd.Timedelta(days=1)).to_numpy(np.float64)
    sim_par[:, K.P_SEASON] = np.where(np.isfinite(sday), sday, -1.0)
    sim_par[:, K.P_ON_HAND] = inv["on_hand"].to_numpy(np.float64)
    sim_par[:, K.P_ON_ORDER] = inv["on_order"].to_numpy(np.float64)
    sim_par[:, K.P_ARRIVAL] = inv["arrival_offset"].to_numpy(np.float64)
    out = np.empty((len(ids), K.N_SIM))
    K.simulate_all(dem, s_lvl, S_lvl, lead, sim_par, bool(backorders), out)
    per = summarise(out, par, backorders=backorders)
    per_series = pd.concat([ids.reset_index(drop=True), per], axis=1)
    return SimulationResult(per_series=per_series, total=total_summary(out, par, backorders=backorders))


def _lead_draws(par: pd.DataFrame, days: int, seed: int) -> np.ndarray:
    fixed = par["lead_time"].to_numpy(np.float64).astype(np.int64)
    pmfs = list(par["lead_time_pmf"])
    if all(p is None for p in pmfs):
        return np.ascontiguousarray(fixed[:, None])
    rng = np.random.default_rng(seed + 1)
    lead = np.repeat(fixed[:, None], days, axis=1)
    for i, pmf in enumerate(pmfs):
        if pmf is not None:
            arr = np.asarray(pmf, dtype=np.float64)
            lead[i] = rng.choice(arr.size, size=days, p=arr / arr.sum())
    return lead


def _replay_levels(
    policy: Policy, forecaster: Forecaster, ids: pd.DataFrame, dem: np.ndarray, dates: pd.DatetimeIndex,
    on: np.ndarray, params: Any, keys: pd.DataFrame, pos: np.ndarray, s_lvl: np.ndarray,
    S_lvl: np.ndarray, *, cols: Columns, correlation: Correlation, n_samples: int, seed: int,
) -> None:  # fmt: skip
    if "path" in ids.columns:
        raise ConfigError("a forecaster replay needs realised demand, not scenario paths")
    for d in np.flatnonzero(on.any(axis=0)):
        cutoff = dates[d] - pd.Timedelta(days=1)
        fc = read_forecast(forecaster(_history(ids, dem, dates, int(d), cols), cutoff), cols, dates[d])
        par_fc = read_params(params, fc.ids, cols)
        plan = make_plan(fc, par_fc, policy, as_of=dates[d], columns=cols, correlation=correlation,
                         n_samples=n_samples, seed=seed + int(d))  # fmt: skip
        dec = run_decide(plan, np.zeros(len(fc.ids)), np.zeros(len(fc.ids)), par_fc)
        # forecast rows map onto the simulated SKU-stores; forecasts of other SKU-stores are not used and
        # a simulated SKU-store without a forecast places no order that day
        order = fc.ids.merge(keys.reset_index(), on=cols.keys, how="left")["index"].to_numpy(np.float64)
        hit = np.isfinite(order)
        target = np.full(len(keys), np.nan)
        reorder = np.full(len(keys), np.nan)
        target[order[hit].astype(np.int64)] = dec[hit, K.D_TARGET]
        reorder[order[hit].astype(np.int64)] = np.where(plan.mode == 2, dec[:, K.D_REORDER], np.nan)[hit]
        rows = on[:, d]
        S_lvl[rows, d] = target[pos][rows]
        s_lvl[rows, d] = reorder[pos][rows]


def _costs(q: dict[str, np.ndarray], par: pd.DataFrame, backorders: bool) -> dict[str, np.ndarray]:
    price = par["price"].to_numpy(np.float64)
    cost = par["unit_cost"].to_numpy(np.float64)
    salvage = par["salvage"].to_numpy(np.float64)
    penalty = par["lost_sale_penalty"].to_numpy(np.float64)
    c = {
        "holding_cost": par["holding_cost"].to_numpy(np.float64) * q["onhand_sum"],
        "lost_sales_cost": q["lost"] * (price - cost + penalty),
        "backorder_cost": (q["demand"] - q["filled"]) * penalty if backorders else np.zeros_like(price),
        "markdown_value": q["markdown"] * (cost - salvage),
        "expired_value": q["expired"] * cost,
        "order_cost": q["orders"] * par["fixed_order_cost"].to_numpy(np.float64),
    }
    c["overstock_value"] = c["markdown_value"] + c["expired_value"]
    c["total_cost"] = (
        c["holding_cost"]
        + c["lost_sales_cost"]
        + c["backorder_cost"]
        + c["overstock_value"]
        + c["order_cost"]
    )
    return c


def _quantities(out: np.ndarray) -> dict[str, np.ndarray]:
    names = "demand sold filled lost backlog stockout_days days cycles stockout_cycles onhand_sum ordered"
    names += " orders markdown expired ending"
    return {name: out[:, k] for k, name in enumerate(names.split())}


def _rates(q: dict[str, Any]) -> dict[str, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = q["onhand_sum"] / q["days"]
        return {
            "fill_rate": np.where(q["demand"] > 0, q["filled"] / q["demand"], 1.0),
            "cycle_service_level": np.where(
                q["cycles"] > 0, 1.0 - q["stockout_cycles"] / q["cycles"], np.nan
            ),
            "avg_on_hand": avg,
            "inventory_turns": np.where(avg > 0, q["sold"] / avg * 365.0 / q["days"], np.nan),
        }


def summarise(out: np.ndarray, par: pd.DataFrame, *, backorders: bool) -> pd.DataFrame:
    """Per-series measures from the kernel's totals."""
    q = _quantities(out)
    frame = pd.DataFrame(
        {
            "demand": q["demand"],
            "sold": q["sold"],
            "lost_sales_units": q["lost"],
            "backlog_units": q["backlog"],
            "stockout_days": q["stockout_days"],
            "days": q["days"],
            "review_cycles": q["cycles"],
            **_rates(q),
            "ordered_units": q["ordered"],
            "orders": q["orders"],
            "markdown_units": q["markdown"],
            "expired_units": q["expired"],
            "overstock_units": q["markdown"] + q["expired"],
            "ending_on_hand": q["ending"],
            **_costs(q, par, backorders),
        }
    )
    return frame


def total_summary(out: np.ndarray, par: pd.DataFrame, *, backorders: bool) -> pd.Series:
    """Totals over all series; rates are recomputed from the summed units."""
    q = _quantities(out)
    costs = {k: float(v.sum()) for k, v in _costs(q, par, backorders).items()}
    sums = {k: float(v.sum()) for k, v in q.items()}
    days = float(q["days"].max()) if len(out) else 0.0
    avg = float((q["onhand_sum"] / np.maximum(q["days"], 1)).sum())
    tot = {
        "series": float(len(out)),
        "demand": sums["demand"],
        "sold": sums["sold"],
        "lost_sales_units": sums["lost"],
        "stockout_days": sums["stockout_days"],
        "fill_rate": sums["filled"] / sums["demand"] if sums["demand"] > 0 else 1.0,
        "cycle_service_level": 1.0 - sums["stockout_cycles"] / sums["cycles"]
        if sums["cycles"]
        else float("nan"),
        "avg_on_hand": avg,
        "inventory_turns": sums["sold"] / avg * 365.0 / days if avg > 0 and days > 0 else float("nan"),
        "ordered_units": sums["ordered"],
        "orders": sums["orders"],
        "markdown_units": sums["markdown"],
        "expired_units": sums["expired"],
        "overstock_units": sums["markdown"] + sums["expired"],
        **costs,
    }
    return pd.Series(tot)
