"""Replenishment benchmark: speed of proposals and simulation, and the replay "proof".

``python -m benchmarks replenish [--quick] [--skip-speed] [--skip-proof] [--series N]``

Speed (targets from issue 6): proposals for 30,000 SKU-stores from 1,000 sample paths x 28 days
(<= 5 s) and simulation of 30,000 SKU-stores x 365 days (<= 5 s). Timed after one warm-up call
(Numba compile excluded), median of 3.

Proof: replay the last weeks of a ``make_retail`` scenario (season end on the last replay day,
leftover marked down) and of the M5 subset with orders every 7 days from
(a) a 28-day moving average + normal safety stock, (b) pullcast's Forecaster without signals,
(c) with signals (synthetic data only). Each method's service level is tuned (bisection) to the
smallest one reaching a 95% fill rate; we report markdown + overstock units, lost sales, average
on-hand and cost. Forecast functions have the form ``forecast_fn(sales_until_cutoff, events) ->
forecast frame or SamplePaths``; forecasts are cached per cutoff, so tuning replays only the policy.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import (
    data_folder,
    markdown_table,
    median_time,
    missing_data,
    peak_rss_mb,
    write_results,
)
from pullcast.replenish import OrderUpTo, ReplenishParams, SamplePaths, propose_orders, simulate

ForecastFn = Callable[[pd.DataFrame, pd.DataFrame | None], Any]

LEAD, REVIEW, HORIZON = 3, 7, 28


# ----------------------------------------------------------------------------- speed


def speed_proposals(n_series: int, n_paths: int = 1000, horizon: int = HORIZON, chunk: int = 10_000) -> dict:
    """Time propose_orders on ``n_series`` x ``n_paths`` x ``horizon`` float32 paths, in chunks of series."""
    rng = np.random.default_rng(0)
    ids_all = pd.DataFrame({"sku": [f"s{i:05d}" for i in range(n_series)], "store": "st"})
    dates = pd.date_range("2024-01-01", periods=horizon)
    par = ReplenishParams(lead_time=LEAD, review_period=REVIEW, case_pack=6.0, moq=6.0)
    chunks = []
    for lo in range(0, n_series, chunk):
        hi = min(lo + chunk, n_series)
        scale = rng.gamma(2.0, 1.5, size=(hi - lo, 1, 1)).astype(np.float32)
        paths = (
            rng.integers(0, 6, size=(hi - lo, n_paths, horizon), dtype=np.uint8).astype(np.float32) * scale
        )
        ids = ids_all.iloc[lo:hi].reset_index(drop=True)
        inv = ids.assign(on_hand=rng.integers(0, 30, size=hi - lo).astype(float))
        chunks.append((SamplePaths(ids, paths, dates), inv))

    def run() -> None:
        for sp, inv in chunks:
            propose_orders(sp, inv, params=par)

    propose_orders(chunks[0][0], chunks[0][1], params=par)  # compile / warm up
    t = median_time(run, repeat=3, warmup=0)
    return {
        "case": f"propose_orders {n_series} x {n_paths} paths x {horizon} d",
        "seconds": t,
        "target_s": 5.0,
        "chunks": len(chunks),
    }


def speed_simulation(n_series: int, days: int = 365) -> dict:
    rng = np.random.default_rng(1)
    ids = pd.DataFrame({"sku": [f"s{i:05d}" for i in range(n_series)], "store": "st"})
    lam = rng.gamma(2.0, 2.0, size=(n_series, 1))
    dem = rng.poisson(lam, size=(n_series, days)).astype(np.float64)
    par = ids.assign(
        target_level=np.ceil(lam[:, 0] * (LEAD + REVIEW) * 1.3),
        lead_time=LEAD,
        review_period=REVIEW,
        case_pack=6.0,
        shelf_life=21,
    )
    inv = ids.assign(on_hand=10.0)
    dates = pd.date_range("2024-01-01", periods=days)

    def run() -> None:
        simulate(OrderUpTo(), (ids, dem, dates), inventory=inv, params=par)

    run()
    t = median_time(run, repeat=3, warmup=0)
    return {"case": f"simulate {n_series} x {days} d (shelf life, packs)", "seconds": t, "target_s": 5.0}


# ----------------------------------------------------------------------------- forecast functions


def moving_average_normal(window: int = 28, horizon: int = HORIZON) -> ForecastFn:
    """(a) Baseline: mean and standard deviation of the last ``window`` days, normal quantiles."""

    def fn(sales: pd.DataFrame, events: pd.DataFrame | None) -> pd.DataFrame:
        last = sales["date"].max()
        recent = sales[sales["date"] > last - pd.Timedelta(days=window)]
        stats = recent.groupby(["sku", "store"], sort=True)["units"].agg(["mean", "std"]).fillna(0.0)
        future = pd.date_range(last + pd.Timedelta(days=1), periods=horizon)
        n = len(stats)
        out = pd.DataFrame(
            {
                "sku": np.repeat(stats.index.get_level_values(0), horizon),
                "store": np.repeat(stats.index.get_level_values(1), horizon),
                "date": np.tile(future, n),
            }
        )
        mean = np.repeat(stats["mean"].to_numpy(), horizon)
        sd = np.repeat(stats["std"].to_numpy(), horizon)
        out["forecast"] = mean
        out["p10"] = np.maximum(mean - 1.2815515655446004 * sd, 0.0)
        out["p90"] = mean + 1.2815515655446004 * sd
        return out

    return fn


class PullcastForecast:
    """(b)/(c): pullcast.Forecaster fitted once at the first cutoff, then updated (no refit)."""

    def __init__(
        self,
        *,
        use_signals: bool,
        stores: pd.DataFrame | None,
        covariates: pd.DataFrame | None,
        n_paths: int = 1000,
    ) -> None:
        self.use_signals, self.stores, self.covariates, self.n_paths = (
            use_signals,
            stores,
            covariates,
            n_paths,
        )
        self.model: Any = None
        self.last: pd.Timestamp | None = None
        self.seen_events = 0

    def __call__(self, sales: pd.DataFrame, events: pd.DataFrame | None) -> SamplePaths:
        from pullcast import Forecaster

        ev = events if self.use_signals else None
        if self.model is None:
            self.model = Forecaster(horizon=HORIZON, verbose=False, seed=0)
            self.model.fit(sales, signals=ev, stores=self.stores if ev is not None else None)
        else:
            new = sales[sales["date"] > self.last]
            new_ev = None
            if ev is not None:
                new_ev = ev.iloc[self.seen_events :]
            self.model.update(new, signals=new_ev)
        self.last = sales["date"].max()
        self.seen_events = 0 if ev is None else len(ev)
        future = None
        if self.model.covariates_:
            assert self.covariates is not None
            start = self.last + pd.Timedelta(days=1)
            end = self.last + pd.Timedelta(days=HORIZON)
            future = self.covariates[(self.covariates["date"] >= start) & (self.covariates["date"] <= end)]
        fc = self.model.predict(future)
        paths = self.model.sample_paths(self.n_paths, seed=0)
        dates = pd.DatetimeIndex(sorted(fc["date"].unique()))
        return SamplePaths(self.model.ids_[["sku", "store"]], paths, dates)


# ----------------------------------------------------------------------------- replay


def replay(
    name: str,
    forecast_fn: ForecastFn,
    *,
    sales: pd.DataFrame,
    events: pd.DataFrame | None,
    demand: pd.DataFrame,
    start: pd.Timestamp,
    days: int,
    params: pd.DataFrame,
    inventory: pd.DataFrame,
    target_fill: float = 0.95,
) -> dict:
    """Replay ``days`` days from ``start`` with orders from ``forecast_fn``; tune the service level."""
    cache: dict[pd.Timestamp, Any] = {}
    t0 = time.perf_counter()
    scale = [1.0]

    def forecaster(history: pd.DataFrame, cutoff: pd.Timestamp) -> Any:
        if cutoff not in cache:
            hist = sales[sales["date"] <= cutoff]
            ev = None
            if events is not None:
                ev = events[events["arrived_at"] <= cutoff + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)]
            cache[cutoff] = forecast_fn(hist, ev)
        return _scaled(cache[cutoff], scale[0])

    window = demand[(demand["date"] >= start) & (demand["date"] < start + pd.Timedelta(days=days))]

    def run(level: float, factor: float = 1.0) -> Any:
        # one knob for every day: the service level, and near the season end the newsvendor critical
        # ratio (through the lost-sale penalty that makes (p - c + g) / (p - v + g) equal to it); if even
        # 0.999 misses the target, the forecast is scaled up by a factor (the second knob)
        scale[0] = factor
        return simulate(
            OrderUpTo(service_level=level),
            window,
            inventory=inventory,
            params=params.assign(lost_sale_penalty=_penalty_for_ratio(params, level)),
            forecaster=forecaster,
            days=days,
        )

    lo, hi = 0.5, 0.999
    factor = 1.0
    best = run(hi)
    if best.total["fill_rate"] >= target_fill:
        for _ in range(10):
            mid = 0.5 * (lo + hi)
            res = run(mid)
            if res.total["fill_rate"] >= target_fill:
                hi, best = mid, res
            else:
                lo = mid
    else:
        f_lo, f_hi = 1.0, 4.0
        top = run(hi, f_hi)
        if top.total["fill_rate"] >= target_fill:
            best, factor = top, f_hi
            for _ in range(10):
                mid = 0.5 * (f_lo + f_hi)
                res = run(hi, mid)
                if res.total["fill_rate"] >= target_fill:
                    f_hi, best, factor = mid, res, mid
                else:
                    f_lo = mid
    tot = best.total
    penalty_paid = float(tot["lost_sales_cost"]) - float(
        (best.per_series["lost_sales_units"] * (params["price"] - params["unit_cost"]).to_numpy()).sum()
    )
    return {
        "method": name,
        "service_level": round(hi, 4),
        "forecast_scale": round(factor, 3),
        "fill_rate": float(tot["fill_rate"]),
        "markdown_overstock_units": float(tot["overstock_units"]),
        "lost_sales_units": float(tot["lost_sales_units"]),
        "avg_on_hand": float(tot["avg_on_hand"]),
        # cost at the base prices: holding + lost margin + markdown loss (the tuning penalty left out)
        "cost": float(tot["total_cost"]) - penalty_paid,
        "seconds": time.perf_counter() - t0,
    }


def _scaled(forecast: Any, factor: float) -> Any:
    if factor == 1.0:
        return forecast
    if isinstance(forecast, SamplePaths):
        return SamplePaths(forecast.ids, forecast.paths * np.float32(factor), forecast.dates)
    out = forecast.copy()
    cols = [
        c for c in out.columns if c == "forecast" or (c.startswith("p") and c[1:].replace(".", "").isdigit())
    ]
    out[cols] = out[cols] * factor
    return out


def _penalty_for_ratio(params: pd.DataFrame, ratio: float) -> np.ndarray:
    margin = (params["price"] - params["unit_cost"]).to_numpy(np.float64)
    over = (params["unit_cost"] - params["salvage"]).to_numpy(np.float64)
    return np.maximum(ratio * over / (1.0 - ratio) - margin, 0.0)


def proof_retail(quick: bool) -> list[dict]:
    from pullcast.datasets import make_retail

    n_days = 300 if quick else 540
    sales, events, stores, truth = make_retail(
        n_skus=20 if quick else 40, n_stores=3 if quick else 5, n_days=n_days, seed=7, return_truth=True
    )
    dates = pd.DatetimeIndex(sorted(sales["date"].unique()))
    days = 28
    start = dates[-days - HORIZON]  # keep HORIZON days after the replay for known-ahead covariates
    season_end = start + pd.Timedelta(days=days - 1)
    demand = truth.demand.rename(columns={"demand": "units"})[["sku", "store", "date", "units"]]
    keys = demand[["sku", "store"]].drop_duplicates()
    inventory = keys.merge(_starting_stock(sales, start), on=["sku", "store"], how="left").fillna(
        {"on_hand": 0.0}
    )
    params = keys.assign(
        lead_time=LEAD,
        review_period=REVIEW,
        season_end=season_end,
        unit_cost=1.0,
        price=3.0,
        salvage=0.3,
        holding_cost=0.01,
    )
    covariates = sales[["sku", "store", "date", "price", "promo"]]
    hist_sales = sales[["sku", "store", "date", "units", "price", "promo", "on_hand"]]
    rows = []
    methods: list[tuple[str, ForecastFn, pd.DataFrame | None]] = [
        ("(a) moving average + normal SS", moving_average_normal(), None)
    ]
    try:
        import pullcast

        if hasattr(pullcast, "Forecaster"):
            methods.append(
                (
                    "(b) pullcast, no signals",
                    PullcastForecast(use_signals=False, stores=None, covariates=covariates),
                    None,
                )
            )
            methods.append(
                (
                    "(c) pullcast + signals",
                    PullcastForecast(use_signals=True, stores=stores, covariates=covariates),
                    events,
                )
            )
    except ImportError:
        pass
    for name, fn, ev in methods:
        row = replay(
            name,
            fn,
            sales=hist_sales,
            events=ev,
            demand=demand,
            start=start,
            days=days,
            params=params,
            inventory=inventory,
        )
        rows.append({"data": "make_retail (season end)", **row})
        print(markdown_table([rows[-1]]), flush=True)
    return rows


def _starting_stock(sales: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Starting shelf stock, the same for every method: the units sold in the 7 days before ``start``."""
    recent = sales[(sales["date"] < start) & (sales["date"] >= start - pd.Timedelta(days=7))]
    return (
        recent.groupby(["sku", "store"], as_index=False)["units"].sum().rename(columns={"units": "on_hand"})
    )


def _load_m5() -> tuple[pd.DataFrame, pd.DataFrame] | None:
    folder = data_folder("m5_tx3_foods3")
    if folder is None:
        print(f"{missing_data('m5_tx3_foods3')}: skipping the M5 replay")
        return None
    train = pd.read_csv(folder / "sales_train_validation_afcs2024.csv.gz")
    test = pd.read_csv(folder / "sales_test_validation_afcs2024.csv.gz")
    cal = pd.read_csv(folder / "calendar_afcs2024.csv.gz")
    day_dates = pd.to_datetime(cal["date"], format="%m/%d/%Y")
    wide = train.merge(test, on="id")
    long = wide.melt(id_vars="id", var_name="d", value_name="units")
    long["date"] = day_dates.to_numpy()[long["d"].str[2:].astype(int).to_numpy() - 1]
    long["sku"] = long["id"].str.replace("_TX_3_validation", "", regex=False)
    long["store"] = "TX_3"
    long = (
        long[["sku", "store", "date", "units"]].sort_values(["sku", "store", "date"]).reset_index(drop=True)
    )
    return long, long


def proof_m5(quick: bool) -> list[dict]:
    loaded = _load_m5()
    if loaded is None:
        return []
    sales, demand = loaded
    if quick:
        keep = sorted(sales["sku"].unique())[:200]
        sales = sales[sales["sku"].isin(keep)]
        demand = demand[demand["sku"].isin(keep)]
    start = pd.Timestamp("2016-04-25")  # d_1914, the M5 validation window
    days = 28
    keys = sales[["sku", "store"]].drop_duplicates()
    inventory = keys.merge(_starting_stock(sales, start), on=["sku", "store"], how="left").fillna(
        {"on_hand": 0.0}
    )
    params = keys.assign(
        lead_time=LEAD,
        review_period=REVIEW,
        unit_cost=1.0,
        price=3.0,
        salvage=0.3,
        holding_cost=0.01,
        season_end=start + pd.Timedelta(days=days - 1),
    )
    # the replay needs forecasts up to 28 days past the cutoff only from history: no covariates here
    rows = []
    methods: list[tuple[str, ForecastFn]] = [("(a) moving average + normal SS", moving_average_normal())]
    try:
        import pullcast

        if hasattr(pullcast, "Forecaster"):
            methods.append(
                (
                    "(b) pullcast, no signals",
                    PullcastForecast(use_signals=False, stores=None, covariates=None),
                )
            )
    except ImportError:
        pass
    for name, fn in methods:
        row = replay(
            name,
            fn,
            sales=sales,
            events=None,
            demand=demand,
            start=start,
            days=days,
            params=params,
            inventory=inventory,
        )
        rows.append({"data": "M5 TX_3 FOODS_3 (d_1914..d_1941)", **row})
        print(markdown_table([rows[-1]]), flush=True)
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks replenish")
    ap.add_argument("--quick", action="store_true", help="small sizes (3,000 series; small replays)")
    ap.add_argument("--series", type=int, default=None, help="series for the speed runs (default 30,000)")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-proof", action="store_true")
    ap.add_argument("--data", choices=["both", "retail", "m5"], default="both", help="which replay to run")
    args = ap.parse_args(argv)
    n = args.series or (3_000 if args.quick else 30_000)
    speed: list[dict] = []
    if not args.skip_speed:
        speed.append(speed_proposals(n))
        print(markdown_table([speed[-1]]), flush=True)
        speed.append(speed_simulation(n))
        print(markdown_table([speed[-1]]), flush=True)
    proof: list[dict] = []
    if not args.skip_proof:
        if args.data in ("both", "retail"):
            proof += proof_retail(args.quick)
        if args.data in ("both", "m5"):
            proof += proof_m5(args.quick)
    summary = _summary(proof)
    if speed:
        print(markdown_table(speed))
    if proof:
        print(markdown_table(proof))
    for line in summary:
        print(line)
    write_results(
        "replenish_quick" if args.quick else "replenish",
        {
            "quick": args.quick,
            "speed": speed,
            "rows": proof,
            "summary": summary,
            "peak_rss_mb": peak_rss_mb(),
        },
    )
    return 0


def _summary(rows: list[dict]) -> list[str]:
    out = []
    for data in sorted({r["data"] for r in rows}):
        by = {r["method"][:3]: r for r in rows if r["data"] == data}
        a = by.get("(a)")
        for key in ("(b)", "(c)"):
            if a is not None and key in by and a["markdown_overstock_units"] > 0:
                cut = 1.0 - by[key]["markdown_overstock_units"] / a["markdown_overstock_units"]
                word = "fewer" if cut >= 0 else "more"
                out.append(
                    f"{data}: {key} vs (a): {abs(cut):.1%} {word} markdown+overstock units, fill rate "
                    f"{by[key]['fill_rate']:.3f} vs {a['fill_rate']:.3f}"
                )
    return out
