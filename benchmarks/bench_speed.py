"""The core loop against mlforecast: fit + predict time, peak memory and WAPE on one panel, as ratios.

A synthetic panel of ``--series`` series x ``--days`` days (default 3,049 x 1,941; ``--quick``: 3,049 x
1,000), Poisson demand with weekly and annual seasonality, sales only. The last 28 days are held out;
each library fits on the rest and forecasts 28 days.

- **pullcast**: the default ``Forecaster(horizon=28)`` (its default features and model).
- **mlforecast** (when installed; it is not a pullcast dependency): LightGBM with 100 trees and
  ``num_threads=2``, lags 1/7/14/28, rolling means 7/28 and rolling std 7 of lags 1 and 7, rolling mean 28
  of lag 28, day-of-week and month, recursive forecasts (its default).

Each library runs in its own subprocess, one after the other, so its peak RSS is its own: the panel is
generated first, then the kernel's peak mark is reset (Linux ``/proc/self/clear_refs``), so the peak
counts the input frame held in memory plus what fitting and forecasting add, not the generator's
temporaries.
``--repeat`` runs each that many times and reports medians. The ratios (pullcast / mlforecast) go to
``results/speed.json`` (``speed_quick.json``, or ``speed_<series>.json`` for other sizes, e.g. the M5
size ``--series 30490``). Targets (issue 13): time <= 0.5, peak RSS <= 1.0, WAPE <= 1.0.

``--year 364`` fits pullcast with the opt-in year-ago features (``FeatureSpec(year=364)``) instead of
the defaults, and writes ``speed_year364.json``.

Usage: ``python -m benchmarks speed [--quick] [--series N] [--days N] [--repeat K] [--year N]``
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import markdown_table, write_results

HORIZON = 28
TARGETS = {"time": 0.5, "peak_rss": 1.0, "wape": 1.0}
M5_SERIES = 30_490
M5_PEAK_GB = 8.0  # decimal GB; /proc reports KiB


def synthetic(n_series: int, n_days: int, seed: int = 0) -> pd.DataFrame:
    """Long sales frame (sku, store, date, units): Poisson counts, weekly and annual seasonality."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    level = rng.gamma(0.8, 2.0, n_series)[:, None]
    weekly = 1 + 0.3 * np.sin(2 * np.pi * t / 7)[None, :]
    annual = 1 + 0.2 * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 6.28, n_series)[:, None])
    units = rng.poisson(level * weekly * annual).astype(np.float32)
    return pd.DataFrame(
        {
            "sku": np.repeat(np.char.add("item", np.arange(n_series).astype(str)), n_days),
            "store": "S1",
            "date": np.tile(pd.date_range("2011-01-29", periods=n_days, freq="D").to_numpy(), n_series),
            "units": units.ravel(),
        }
    )


def split(sales: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = sales["date"].max() - pd.Timedelta(days=HORIZON)
    return sales[sales["date"] <= cut].reset_index(drop=True), sales[sales["date"] > cut]


def _wape(actual: pd.DataFrame, fc: pd.DataFrame) -> float:
    from pullcast.metrics import wape

    m = actual.merge(fc[["sku", "store", "date", "yhat"]], on=["sku", "store", "date"], how="left")
    if m["yhat"].isna().any():
        raise RuntimeError(f"{int(m['yhat'].isna().sum())} held-out rows have no forecast")
    return wape(m, forecast="yhat")


def run_pullcast(train: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    import pullcast as pc

    spec = pc.FeatureSpec(year=year)
    f = pc.Forecaster(horizon=HORIZON, features=spec, verbose=False).fit(train)
    return f.predict().rename(columns={"forecast": "yhat"})


def run_mlforecast(train: pd.DataFrame) -> pd.DataFrame:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, RollingStd

    df = pd.DataFrame(
        {"unique_id": train["sku"] + "|" + train["store"], "ds": train["date"], "y": train["units"]}
    )
    mlf = MLForecast(
        models={"lgbm": lgb.LGBMRegressor(n_estimators=100, num_threads=2, verbosity=-1)},
        freq="D",
        lags=[1, 7, 14, 28],
        lag_transforms={
            1: [RollingMean(7), RollingMean(28), RollingStd(7)],
            7: [RollingMean(7), RollingMean(28), RollingStd(7)],
            28: [RollingMean(28)],
        },
        date_features=["dayofweek", "month"],
        num_threads=2,
    )
    mlf.fit(df)
    out = mlf.predict(HORIZON)
    ids = out["unique_id"].str.split("|", n=1, expand=True)
    return pd.DataFrame({"sku": ids[0], "store": ids[1], "date": out["ds"], "yhat": out["lgbm"]})


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB; NaN elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux), so the peak counts from now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def worker(library: str, n_series: int, n_days: int, year: int | None = None) -> dict[str, float]:
    """One library's run in this (fresh) process: seconds, peak RSS in MB and WAPE.

    The panel is generated first; the peak is then reset, so ``peak_rss_mb`` is the most memory the
    process held while fitting and forecasting (the input frame, resident throughout, included), and
    ``data_rss_mb`` what it held just before (the interpreter and the input frame).
    """
    train, actual = split(synthetic(n_series, n_days))
    gc.collect()
    reset = _reset_peak()
    data_rss = _status_mb("VmRSS")
    t0 = time.perf_counter()
    fc = run_pullcast(train, year) if library == "pullcast" else run_mlforecast(train)
    seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "data_rss_mb": data_rss,
        "wape": _wape(actual, fc),
    }


def _spawn(library: str, n_series: int, n_days: int, year: int | None) -> dict[str, float]:
    cmd = [sys.executable, "-m", "benchmarks.bench_speed", "--worker", library]
    cmd += ["--series", str(n_series), "--days", str(n_days)]
    if year:
        cmd += ["--year", str(year)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{library} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks speed")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--series", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--worker", choices=("pullcast", "mlforecast"), default=None)
    parser.add_argument("--year", type=int, default=None, help="pullcast with FeatureSpec(year=YEAR)")
    args = parser.parse_args(argv)
    n_series = args.series or 3049
    n_days = args.days or (1000 if args.quick else 1941)
    if args.worker:
        print(json.dumps(worker(args.worker, n_series, n_days, args.year)))
        return 0
    libraries = ["pullcast"]
    if importlib.util.find_spec("mlforecast") is not None:
        libraries.append("mlforecast")
    else:
        print("mlforecast is not installed: pullcast alone, no ratios (pip install mlforecast)")
    runs: dict[str, list[dict[str, float]]] = {lib: [] for lib in libraries}
    for _ in range(max(args.repeat, 1)):
        for lib in libraries:  # alternate, so machine load drifts hit both alike
            runs[lib].append(_spawn(lib, n_series, n_days, args.year))
    rows = []
    for lib in libraries:
        med = {k: statistics.median(r[k] for r in runs[lib]) for k in runs[lib][0]}
        label = f"{lib} (year={args.year})" if lib == "pullcast" and args.year else lib
        rows.append({"library": label, "series": n_series, "days": n_days, **med})
    print(markdown_table(rows))
    ratios: dict[str, float] = {}
    if len(rows) == 2:
        pc_row, ml_row = rows
        ratios = {
            "time": pc_row["seconds"] / ml_row["seconds"],
            "peak_rss": pc_row["peak_rss_mb"] / ml_row["peak_rss_mb"],
            "wape": pc_row["wape"] / ml_row["wape"],
        }
        for key, value in ratios.items():
            verdict = "met" if value <= TARGETS[key] else "MISSED"
            print(f"pullcast / mlforecast {key}: {value:.3f} (target <= {TARGETS[key]}: {verdict})")
    if n_series >= M5_SERIES:  # the M5-size target is absolute: a single process within 8 GB
        peak_gb = rows[0]["peak_rss_mb"] * 2**20 / 1e9
        verdict = "met" if peak_gb <= M5_PEAK_GB else "MISSED"
        print(f"pullcast peak RSS at M5 size: {peak_gb:.2f} GB (target <= {M5_PEAK_GB:g} GB: {verdict})")
    name = "speed_quick" if args.quick else ("speed" if n_series == 3049 else f"speed_{n_series}")
    name += f"_year{args.year}" if args.year else ""
    write_results(name, {"rows": rows, "ratios": ratios, "runs": runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
