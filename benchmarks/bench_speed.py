"""End-to-end speed on an M5-sized synthetic panel: feature build, fit, predict and peak memory.

30,490 series x 1,941 days (``--quick``: 3,049 x 1,941), Poisson demand with weekly and annual
seasonality, a 28-day horizon, about 12 features (lags 1/7/14/28, rolling means 7/28, the same-weekday
mean, EWM, zero share, date parts), 100 trees. mlforecast doing the same work is timed in the same
process when it is installed (it is not a pullcast dependency). Reference measured on this machine
class (issue 4): mlforecast preprocess 19.5 s, end to end 191 s, peak RSS 16.6 GB.

Usage: ``python -m benchmarks speed [--quick] [--series N]``
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np
import pandas as pd

from benchmarks._common import markdown_table, peak_rss_mb, write_results


def synthetic(n_series: int, n_days: int, seed: int = 0) -> pd.DataFrame:
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks speed")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--series", type=int, default=None)
    parser.add_argument("--days", type=int, default=1941)
    args = parser.parse_args(argv)
    n_series = args.series or (3049 if args.quick else 30490)
    import pullcast as pc
    from pullcast.features import History, sample_rows
    from pullcast.forecast._inputs import sales_panel

    t0 = time.perf_counter()
    sales = synthetic(n_series, args.days)
    gen_s = time.perf_counter() - t0
    spec = pc.FeatureSpec(
        lags=(1, 7, 14, 28),
        windows=(7, 28),
        std_windows=(),
        ewm_alphas=(0.1,),
        date_parts=("day_of_week", "month"),
        ids_as_categories=False,
    )
    rows = []
    # feature build alone: panel + every rolling feature over the full history + 1M sampled design rows
    t0 = time.perf_counter()
    panel = sales_panel(sales, "D")
    hist = History.from_panel(panel, ())
    panel_s = time.perf_counter() - t0
    from pullcast.features import Design, StaticBlock

    design = Design(spec, (), {}, StaticBlock.fit(panel.ids, skip=("sku", "store")))
    t0 = time.perf_counter()
    rolling = design.rolling(hist)
    last = int(hist.grid.size - 1)
    p, h = sample_rows(
        hist,
        28,
        origin_range=(last - 730, last - 1),
        max_target=last,
        max_rows=1_000_000,
        rng=np.random.default_rng(0),
    )
    X = design.training_matrix(hist, p, h, rolling)
    features_s = time.perf_counter() - t0
    del X, rolling
    model = pc.GlobalLGBM(n_estimators=100, learning_rate=0.1)
    f = pc.Forecaster(horizon=28, features=spec, model=model, max_rows=1_000_000, verbose=False)
    t0 = time.perf_counter()
    f.fit(sales)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fc = f.predict()
    predict_s = time.perf_counter() - t0
    rows.append(
        {
            "library": "pullcast",
            "series": n_series,
            "days": args.days,
            "panel_s": panel_s,
            "features_s": features_s,
            "fit_s": fit_s,
            "predict_s": predict_s,
            "end_to_end_s": panel_s + fit_s + predict_s,
            "peak_rss_mb": peak_rss_mb(),
            "rows": len(fc),
        }
    )
    print(markdown_table(rows), flush=True)
    if importlib.util.find_spec("mlforecast") is None:
        print("mlforecast is not installed: no same-process comparison (issue reference: end to end 191 s)")
    write_results(
        "speed",
        {
            "rows": rows,
            "generate_s": gen_s,
            "note": "features_s = all rolling features over the full history + 1M design rows; "
            "fit includes its own feature build, the held-out fit and the final fit",
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
