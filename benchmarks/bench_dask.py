"""Scale-out: single-process Forecaster vs DaskForecaster on a 2-worker LocalCluster, M5-shaped data.

A fast synthetic generator makes an M5-shaped panel (items x 10 stores, daily, 30% of series starting
late, many slow movers, price and promotion, one SKU-level ``search`` signal leading demand by 3 days),
written to Parquet. Then, each in a fresh process so peak memory is its own:

- ``single``: ``pullcast.Forecaster`` reads the Parquet files with pandas, fits and predicts;
- ``dask``: ``pullcast.distributed.DaskForecaster`` on ``LocalCluster(n_workers=2, threads_per_worker=1)``
  reads the same files with Dask, fits and predicts (forecasts stay on the workers; only their row
  count is fetched). Peak memory is reported per worker and for the client process.

Both use the same model (LightGBM, ``--rounds`` rounds, learning rate 0.1), ``max_rows`` and no signal
gate. M5 is 30,490 series x 1,941 days (``--full``); the default is a tenth of the series.

Usage: ``python -m benchmarks dask [--quick | --full] [--items N] [--days N] [--max-rows N]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import markdown_table, peak_rss_mb, write_results

_STORES = 10
_LEAD = 3


def synthetic_m5(n_items: int, n_days: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sales (sku, store, date, units, price, promo) and SKU-level search events, M5-shaped."""
    rng = np.random.default_rng(seed)
    n = n_items * _STORES
    dates = pd.date_range("2011-01-29", periods=n_days, freq="D")
    # item demand shocks: AR(1) in logs, shared by the item's stores; search sees them _LEAD days early
    shock = np.zeros((n_items, n_days + _LEAD), dtype=np.float32)
    eps = rng.normal(0, 0.15, shock.shape).astype(np.float32)
    for t in range(1, shock.shape[1]):
        shock[:, t] = 0.9 * shock[:, t - 1] + eps[:, t]
    item = np.repeat(np.arange(n_items), _STORES)
    level = rng.gamma(0.7, 1.5, n).astype(np.float32)  # many slow movers
    base_price = rng.uniform(1.0, 20.0, n_items).astype(np.float32)
    promo = rng.random((n_items, n_days)) < 0.05
    weekly = (1.0 + 0.25 * np.sin(2 * np.pi * np.asarray(dates.dayofweek) / 7.0)).astype(np.float32)
    start = np.where(rng.random(n) < 0.3, rng.integers(0, n_days // 2, n), 0)
    mu = level[:, None] * weekly[None, :] * np.exp(shock[item, :n_days]) * np.where(promo[item], 1.4, 1.0)
    units = rng.poisson(mu).astype(np.float32)
    keep = np.arange(n_days)[None, :] >= start[:, None]
    s_idx, t_idx = np.nonzero(keep)
    skus = np.array([f"ITEM_{i:05d}" for i in range(n_items)], dtype=object)
    stores = np.array([f"S{j}" for j in range(_STORES)], dtype=object)
    sales = pd.DataFrame(
        {
            "sku": skus[item[s_idx]],
            "store": stores[s_idx % _STORES],
            "date": dates[t_idx],
            "units": units[s_idx, t_idx],
            "price": np.where(promo[item[s_idx], t_idx], 0.8, 1.0) * base_price[item[s_idx]],
            "promo": promo[item[s_idx], t_idx].astype(np.float32),
        }
    )
    searches = rng.poisson(20.0 * np.exp(shock[:, _LEAD:])).astype(np.float32)
    i_idx, e_idx = np.nonzero(np.ones((n_items, n_days), dtype=bool))
    events = pd.DataFrame(
        {
            "sku": skus[i_idx],
            "time": dates[e_idx],
            "channel": "search",
            "value": searches[i_idx, e_idx],
        }
    )
    return sales, events


def _split(sales: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = sales["date"].max() - pd.Timedelta(days=horizon)
    return sales[sales["date"] <= cut], sales[sales["date"] > cut].drop(columns=["units"])


def write_data(folder: str, items: int, days: int, npartitions: int) -> dict[str, Any]:
    """Generate the panel and write sales (to the last 28 days), events and the future to Parquet."""
    import dask.dataframe as dd

    t0 = time.perf_counter()
    sales, events = synthetic_m5(items, days)
    gen_s = time.perf_counter() - t0
    past, future = _split(sales, 28)
    for name, frame in (("sales", past), ("events", events), ("future", future)):
        dd.from_pandas(frame, npartitions=max(1, npartitions)).to_parquet(Path(folder) / name)
    return {"n_series": items * _STORES, "sales_rows": len(past), "events": len(events), "gen_s": gen_s}


def _forecaster_kwargs(args: dict[str, Any]) -> dict[str, Any]:
    from pullcast.models.lgbm import GlobalLGBM

    model = GlobalLGBM(n_estimators=int(args["rounds"]), learning_rate=0.1)
    return {
        "horizon": 28,
        "model": model,
        "max_rows": int(args["max_rows"]),
        "signal_gate": None,
        "verbose": False,
    }


def run_single(folder: str, args: dict[str, Any]) -> dict[str, Any]:
    """Fit and predict with the single-process Forecaster (run in a fresh process)."""
    import pullcast as pc

    t0 = time.perf_counter()
    sales = pd.read_parquet(Path(folder) / "sales")
    events = pd.read_parquet(Path(folder) / "events")
    future = pd.read_parquet(Path(folder) / "future")
    read_s = time.perf_counter() - t0
    f = pc.Forecaster(**_forecaster_kwargs(args))
    t0 = time.perf_counter()
    f.fit(sales, signals=events)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = len(f.predict(future))
    predict_s = time.perf_counter() - t0
    return {"read_s": read_s, "fit_s": fit_s, "predict_s": predict_s, "rows": rows, "peak_mb": peak_rss_mb()}


def _count_gathered(client: Any, sizes: list[int]) -> None:
    """Record the size of everything the client receives from the cluster (results of futures)."""
    from dask.sizeof import sizeof

    orig = client._gather

    async def spy(futures: Any, *args: Any, **kwargs: Any) -> Any:
        out = await orig(futures, *args, **kwargs)
        sizes.append(int(sizeof(out)))
        return out

    client._gather = spy


def _worker_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_dask(folder: str, args: dict[str, Any]) -> dict[str, Any]:
    """Fit and predict with DaskForecaster on a 2-worker LocalCluster (run in a fresh process)."""
    from distributed import Client, LocalCluster

    from pullcast.distributed import DaskForecaster

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit=args["worker_memory"],
    )
    client = Client(cluster)
    start_s = time.perf_counter() - t0
    gathered: list[int] = []
    _count_gathered(client, gathered)
    try:
        f = DaskForecaster(client, npartitions=int(args["npartitions"]), **_forecaster_kwargs(args))
        t0 = time.perf_counter()
        f.fit(str(Path(folder) / "sales"), signals=str(Path(folder) / "events"))
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        fc = f.predict(str(Path(folder) / "future"))
        rows = int(fc.map_partitions(len).compute().sum())
        predict_s = time.perf_counter() - t0
        workers = client.run(_worker_peak_mb)
        return {
            "cluster_start_s": start_s,
            "fit_s": fit_s,
            "predict_s": predict_s,
            "rows": rows,
            "worker_peak_mb": sorted(float(v) for v in workers.values()),
            "client_peak_mb": peak_rss_mb(),
            "client_received_mb": sum(gathered) / 1e6,
            "client_largest_result_mb": max(gathered, default=0) / 1e6,
            "stages_s": dict(f.timings_),
        }
    finally:
        client.close()
        cluster.close()


def _in_fresh_process(fn: Any, *args: Any) -> Any:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks dask")
    parser.add_argument("--quick", action="store_true", help="30 items x 10 stores x 500 days")
    parser.add_argument("--full", action="store_true", help="M5 size: 3,049 items x 10 stores x 1,941 days")
    parser.add_argument("--items", type=int, default=None, help="default 305 (3,050 series)")
    parser.add_argument("--days", type=int, default=None, help="default 1,941")
    parser.add_argument("--max-rows", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--npartitions", type=int, default=8)
    parser.add_argument("--skip-single", action="store_true", help="only the Dask run")
    parser.add_argument(
        "--worker-memory",
        default="8GB",
        help="memory limit per worker (the nanny restarts a worker above it)",
    )
    args = parser.parse_args(argv)
    items = args.items or (30 if args.quick else 3049 if args.full else 305)
    days = args.days or (500 if args.quick else 1941)
    params = {
        "rounds": args.rounds,
        "max_rows": args.max_rows,
        "npartitions": args.npartitions,
        "worker_memory": args.worker_memory,
    }
    with tempfile.TemporaryDirectory(prefix="pullcast_bench_dask_") as tmp:
        # generated in a child too: Linux keeps a process's peak RSS across fork/exec, so the parent
        # must stay small for the children's peaks to be their own
        info = _in_fresh_process(write_data, tmp, items, days, args.npartitions)
        n_series = info["n_series"]
        print(
            f"synthetic panel: {n_series:,} series x {days:,} days, {info['sales_rows']:,} sales rows, "
            f"{info['events']:,} events ({info['gen_s']:.1f} s)",
            flush=True,
        )
        rows: list[dict[str, Any]] = []
        single = None if args.skip_single else _in_fresh_process(run_single, tmp, params)
        distributed = _in_fresh_process(run_dask, tmp, params)
    if single is not None:
        rows.append(
            {
                "engine": "Forecaster (1 process)",
                "fit_s": single["fit_s"],
                "predict_s": single["predict_s"],
                "peak_mb": single["peak_mb"],
                "fit_us_per_series": 1e6 * single["fit_s"] / n_series,
            }
        )
    rows.append(
        {
            "engine": "DaskForecaster (2 workers)",
            "fit_s": distributed["fit_s"],
            "predict_s": distributed["predict_s"],
            "peak_mb": max(distributed["worker_peak_mb"]),
            "fit_us_per_series": 1e6 * distributed["fit_s"] / n_series,
        }
    )
    print(markdown_table(rows))
    print(
        f"dask: worker peaks {distributed['worker_peak_mb']} MB, client peak "
        f"{distributed['client_peak_mb']:.0f} MB, stages {distributed['stages_s']}"
    )
    name = "dask_quick" if args.quick else "dask_full" if args.full else f"dask_{n_series}"
    path = write_results(
        name,
        {
            "n_series": n_series,
            "n_days": days,
            "params": params,
            "single": single,
            "dask": distributed,
            "rows": rows,
        },
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
