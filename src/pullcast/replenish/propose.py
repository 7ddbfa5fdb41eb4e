"""Order proposals: one row per SKU-store with the quantity and every reason behind it.

Timing: the order is placed at the start of ``as_of`` (default: the first forecast date) with
``on_hand`` the stock at that moment; it arrives ``lead_time`` days later and must cover demand until
the next order arrives, i.e. the ``lead_time + review_period`` days from ``as_of``. Lost sales are
assumed (retail); ``on_order`` counts in the inventory position when it arrives inside that window.
Near a season end or when the shelf life is shorter than the window, the window is cut there and
the target switches to the newsvendor critical ratio ``(price - cost + penalty) / (price - salvage
+ penalty)`` (salvage 0 for expiry), so the expected leftover is priced in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pullcast.columns import Columns
from pullcast.replenish import _kernels as K
from pullcast.replenish._inputs import read_forecast, read_inventory, read_params
from pullcast.replenish._plan import MODE_NAMES, Correlation, Plan, make_plan, run_decide
from pullcast.replenish.policies import OrderUpTo, Policy, ReplenishParams

__all__ = ["ORDER_COLUMNS", "propose_orders"]

ORDER_COLUMNS = [
    "sku",
    "store",
    "order_date",
    "arrival_date",
    "order_qty",
    "on_hand",
    "on_order",
    "protection_demand",
    "safety_stock",
    "target_level",
    "pack_rounding",
    "expected_leftover",
    "expected_lost_sales",
    "reorder_point",
    "mode",
    "reason",
]


def propose_orders(
    forecast: Any,
    inventory: pd.DataFrame,
    *,
    policy: Policy = OrderUpTo(),
    params: pd.DataFrame | ReplenishParams | None = None,
    as_of: Any = None,
    columns: Columns = Columns(),
    correlation: Correlation = "independent",
    n_samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Propose an order for every SKU-store, with its reasons.

    Parameters
    ----------
    forecast : DataFrame, SamplePaths or tuple
        A forecast frame (sku, store, date, forecast, p10/p50/p90, ...), or sample paths as
        :class:`SamplePaths` / ``(ids, paths[, dates])`` with ``paths`` of shape
        ``(n_series, n_paths, horizon)``. See :mod:`pullcast.replenish._plan` for how lead-time
        demand is built from each.
    inventory : DataFrame
        sku, store, on_hand; optional on_order and arrival_date (one open order per row).
    policy : OrderUpTo, Newsvendor or SSPolicy, default OrderUpTo()
    params : DataFrame or ReplenishParams, optional
        Per SKU-store parameters (columns named as the :class:`ReplenishParams` fields), or one
        set for all; defaults to ``ReplenishParams()``.
    as_of : date-like, optional
        The order date; default the first forecast date.
    columns : Columns, default Columns()
        Names of the sku, store and date columns.
    correlation : {"independent", "full"}, default "independent"
        Day-to-day dependence assumed when only quantiles are given.
    n_samples : int, default 1000
        Stratified samples of lead-time demand when only quantiles are given.
    seed : int, default 0
        Seed of the stratified sampling (lead-time pmf, quantile-frame approximation).

    Returns
    -------
    DataFrame
        :data:`ORDER_COLUMNS`: ``order_qty = max(target_level - on_hand - on_order, 0) +
        pack_rounding`` (``pack_rounding`` is what case packs, MOQ and capacity add or remove);
        ``protection_demand`` is the mean demand over the window, ``safety_stock = target_level -
        protection_demand``; ``expected_leftover`` / ``expected_lost_sales`` are E[(y - D)+] and
        E[(D - y)+] at the end of the window for the position ``y`` after ordering.

    Raises
    ------
    pullcast.errors.DataError
        Bad inventory (negative/NaN stock), params (pack <= 0, lead time < 0, price < cost), or
        SKU-store pairs present in only one of forecast and inventory; messages name the rows.
    """
    cols = columns
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else None
    fc = read_forecast(forecast, cols, as_of_ts)
    day = as_of_ts if as_of_ts is not None else pd.Timestamp(fc.dates[0])
    par = read_params(params, fc.ids, cols)
    inv = read_inventory(inventory, fc.ids, cols, as_of=day)
    plan = make_plan(fc, par, policy, as_of=day, columns=cols, correlation=correlation, n_samples=n_samples,
                     seed=seed)  # fmt: skip
    on_hand = inv["on_hand"].to_numpy(np.float64)
    on_order = inv["on_order"].to_numpy(np.float64)
    in_window = inv["arrival_offset"].to_numpy(np.int64) < plan.lead + plan.review
    ip = on_hand + np.where(in_window, on_order, 0.0)
    dec = run_decide(plan, ip, on_hand + on_order, par)
    blocked = ~plan.order_day | plan.season_over | plan.after_season
    qty = np.where(blocked, 0.0, dec[:, K.D_QTY])
    raw = np.where(blocked, 0.0, dec[:, K.D_RAW])
    out = fc.ids.copy().reset_index(drop=True)
    out.columns = ["sku", "store"]
    out["order_date"] = day
    out["arrival_date"] = day + pd.to_timedelta(plan.lead, unit="D")
    out["order_qty"] = qty
    out["on_hand"] = on_hand
    out["on_order"] = on_order
    out["protection_demand"] = dec[:, K.D_MEAN]
    out["safety_stock"] = dec[:, K.D_REORDER] - dec[:, K.D_MEAN]
    out["target_level"] = dec[:, K.D_TARGET]
    out["pack_rounding"] = qty - raw
    out["expected_leftover"] = dec[:, K.D_LEFTOVER]
    out["expected_lost_sales"] = dec[:, K.D_LOST]
    out["reorder_point"] = np.where(plan.mode == 2, dec[:, K.D_REORDER], np.nan)
    out["mode"] = MODE_NAMES[plan.mode]
    out["reason"] = _reasons(plan, dec, par, ip, on_hand + on_order, qty)
    if cols.sku != "sku" or cols.store != "store":
        out = out.rename(columns={"sku": cols.sku, "store": cols.store})
    return out


def _reasons(
    plan: Plan, dec: np.ndarray, par: pd.DataFrame, ip: np.ndarray, stock: np.ndarray, qty: np.ndarray
) -> list[str]:
    pack = par["case_pack"].to_numpy(np.float64)
    moq = par["moq"].to_numpy(np.float64)
    cap = par["shelf_capacity"].to_numpy(np.float64)
    life = par["shelf_life"].to_numpy(np.float64)
    season = pd.to_datetime(pd.Series(par["season_end"].to_numpy(object)), errors="coerce")
    out = []
    for i in range(dec.shape[0]):
        if not plan.order_day[i]:
            out.append(
                f"no order: {plan.as_of.date()} is not an order day (order days {par['order_days'].iat[i]})"
            )
            continue
        if plan.season_over[i]:
            out.append(f"no order: the season ended on {season.iat[i].date()}")
            continue
        if plan.after_season[i]:
            arrive = (plan.as_of + pd.Timedelta(days=int(plan.lead[i]))).date()
            out.append(f"no order: it would arrive on {arrive}, after the season end {season.iat[i].date()}")
            continue
        tgt, mean = dec[i, K.D_TARGET], dec[i, K.D_MEAN]
        w = int(plan.window_days[i])
        if plan.mode[i] == 3 and plan.truncated[i]:
            why = (
                f"shelf life {int(life[i])} days"
                if plan.trunc_by_life[i]
                else f"season ends {season.iat[i].date()}"
            )
            head = (
                f"{why}: newsvendor target {tgt:.1f} at critical ratio {plan.ratio[i]:.2f} over the last {w} "
                f"selling days (mean demand {mean:.1f}); expected leftover {dec[i, K.D_LEFTOVER]:.1f} "
                "priced in"
            )
        elif plan.mode[i] == 3:
            head = (
                f"newsvendor target {tgt:.1f} at critical ratio {plan.ratio[i]:.2f} over {w} days "
                f"(mean {mean:.1f})"
            )
        else:
            what = "fill rate" if plan.mode[i] == 1 else "cycle service"
            lvl = dec[i, K.D_REORDER]
            name = "reorder point s" if plan.mode[i] == 2 else "target"
            head = (
                f"{name} {lvl:.1f} = {mean:.1f} mean demand over {w} days (lead {int(plan.lead[i])} + "
                f"review {int(plan.review[i])}) + {lvl - mean:.1f} safety stock for {plan.ratio[i]:.0%} "
                f"{what}"
            )
            if plan.mode[i] == 2:
                head += f"; order up to S = {tgt:.1f} (s + a batch of {tgt - lvl:.1f})"
        flags = int(dec[i, K.D_FLAGS])
        parts = [head]
        if flags & K.NO_NEED:
            level = dec[i, K.D_REORDER] if plan.mode[i] == 2 else tgt
            word = "above the reorder point" if plan.mode[i] == 2 else "at or above the target"
            parts.append(f"no order: inventory position {ip[i]:.1f} is {word} {level:.1f}")
        if flags & K.PACK_UP:
            parts.append(f"rounded up to a multiple of the case pack {pack[i]:g}")
        if flags & K.MOQ_UP:
            parts.append(f"raised to the minimum order quantity {moq[i]:g}")
        if flags & K.CAPPED:
            if qty[i] <= 0:
                parts.append(f"no order: no room under the shelf capacity {cap[i]:g} (stock {stock[i]:g})")
            else:
                parts.append(f"cut to fit the shelf capacity {cap[i]:g} (stock {stock[i]:g})")
        if qty[i] > 0:
            parts.append(f"order {qty[i]:g}")
        out.append("; ".join(parts))
    return out
