"""The README's notebook example and ``make demo``, timed as a new user meets them.

Usage: ``python -m benchmarks readme [--repeat N] [--refit] [--demo]``

- fit + predict of the README example (``make_retail(n_skus=50, n_stores=5, seed=0)``, 250 series,
  horizon 28, the last 28 days kept out of the fit), with its WAPE and bias on those days;
- its 4-window backtest (``backtest(..., n_windows=4)`` on all the sales), with WAPE and bias;
- ``--refit``: the same with ``Forecaster(refit_final=True)`` in the same run, and the ratios;
- ``--demo``: the demo's job (``pullcast.demo.run_demo``, quiet) in this process.

Targets (from the fast-core work): fit + predict <= 15 s, backtest <= 60 s, demo <= 60 s. Times are
medians over ``--repeat`` runs after one warm-up fit that compiles the kernels (a fresh ``make demo``
also pays for compilation once, on its first run).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from typing import Any

from benchmarks._common import markdown_table, write_results

TARGETS = {"fit_predict_s": 15.0, "backtest_s": 60.0, "demo_s": 60.0}


def _scores(frame: Any) -> tuple[float, float]:
    """WAPE (pullcast.metrics.wape) and relative bias (sum of forecasts / sum of units - 1)."""
    from pullcast.metrics import wape

    return wape(frame), float(frame["forecast"].sum() / frame["units"].sum() - 1)


def _case(refit_final: bool, repeat: int) -> dict[str, Any]:
    import pandas as pd

    import pullcast as pc

    sales, events, stores = pc.make_retail(n_skus=50, n_stores=5, seed=0)
    cut = sales["date"].max() - pd.Timedelta(days=28)
    history, future = sales[sales["date"] <= cut], sales[sales["date"] > cut]
    kw = {"horizon": 28, "verbose": False, "refit_final": refit_final}
    times, fc = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        f = pc.Forecaster(**kw).fit(history, signals=events, stores=stores)
        fc = f.predict(future=future)
        times.append(time.perf_counter() - t0)
    held = fc.merge(future[["sku", "store", "date", "units"]], on=["sku", "store", "date"])
    wape, bias = _scores(held)
    t0 = time.perf_counter()
    cv = pc.backtest(pc.Forecaster(**kw), sales, signals=events, stores=stores, n_windows=4)
    bt_s = time.perf_counter() - t0
    bt_wape, bt_bias = _scores(cv[~cv["censored"]])
    return {
        "refit_final": refit_final,
        "fit_predict_s": statistics.median(times),
        "fit_runs_s": " / ".join(f"{t:.1f}" for t in times),
        "last28_wape": wape,
        "last28_bias": bias,
        "backtest_s": bt_s,
        "backtest_wape": bt_wape,
        "backtest_bias": bt_bias,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks readme")
    parser.add_argument("--repeat", type=int, default=3, help="fit + predict runs (median; default 3)")
    parser.add_argument("--refit", action="store_true", help="also run with refit_final=True")
    parser.add_argument("--demo", action="store_true", help="also time the demo's job")
    args = parser.parse_args(argv)
    import pullcast as pc

    sales, events, stores = pc.make_retail(n_skus=6, n_stores=2, n_days=200, seed=1)
    sales = sales.drop(columns=["price", "promo"])
    pc.Forecaster(horizon=7, verbose=False).fit(sales, signals=events, stores=stores).predict()  # compile

    rows = [_case(False, args.repeat)]
    print(markdown_table(rows[-1:]), flush=True)
    if args.refit:
        rows.append(_case(True, args.repeat))
        print(markdown_table(rows[-1:]), flush=True)
    payload: dict[str, Any] = {"rows": rows, "targets": TARGETS}
    print()
    print(markdown_table(rows))
    if args.refit:
        held, refit = rows
        for key in ("fit_predict_s", "backtest_s", "last28_wape", "backtest_wape"):
            print(f"{key}: held-out model / refit = {held[key] / refit[key]:.3f}")
    if args.demo:
        from pullcast.demo import run_demo

        with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            run_demo(out, verbose=False)
            payload["demo_s"] = time.perf_counter() - t0
    print()
    for key, target in TARGETS.items():
        value = rows[0].get(key, payload.get(key))
        if value is not None:
            verdict = "met" if value <= target else "MISSED"
            print(f"{key}: {value:.1f} s (target <= {target:.0f} s: {verdict})")
    write_results("readme", payload)
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
