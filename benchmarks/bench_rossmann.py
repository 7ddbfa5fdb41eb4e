"""Real pull signal, honestly valued: Rossmann daily store sales with the weekly Google Trends index.

Every Rossmann store is one series (sku "rossmann"); closed days are NaN sales (unknown, not zero) and
``open``/``promo`` are known-ahead covariates. The state-level weekly Trends index ("Rossmann" searches)
is a region-level ``last`` channel known one day after its week ends; the national index a SKU-level
one. A rolling-origin backtest over the last 8 weeks available (8 weekly cutoffs, horizon 14, the model
fit once at the first cutoff and its state refreshed at each later one) compares the Forecaster with
and without the signal. FVA = 1 - WAPE(with) / WAPE(without) on open days; it may well be zero.

Usage: ``python -m benchmarks rossmann [--stores N]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from benchmarks._common import data_folder, markdown_table, missing_data, peak_rss_mb, write_results
from benchmarks.bench_rossmann_leads import load


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks rossmann")
    parser.add_argument("--stores", type=int, default=None, help="first N stores only (default: all 1,115)")
    parser.add_argument("--quick", action="store_true", help="100 stores")
    args = parser.parse_args(argv)
    folder = data_folder("rossmann")
    if folder is None:
        print(f"skipped: {missing_data('rossmann')}")
        return 0
    import pullcast as pc

    n_stores = 100 if args.quick and args.stores is None else args.stores
    sales, events, stores = load(folder, n_stores)
    raw = pd.read_csv(folder / "train.csv.gz", usecols=["Store", "Date", "Open", "Promo"])
    raw = raw.rename(columns={"Store": "store", "Date": "date", "Open": "open", "Promo": "promo"})
    raw["date"] = pd.to_datetime(raw["date"])
    sales = sales.merge(raw, on=["store", "date"], how="left")
    signals = pc.SignalStore(
        [
            pc.ChannelSpec("trend_state", level="region", agg="last", delay=pd.Timedelta("1D")),
            pc.ChannelSpec("trend_de", level="sku", agg="last", delay=pd.Timedelta("1D")),
        ],
        stores=stores,
    )
    report = signals.append(events)
    print(f"{sales['store'].nunique()} stores, {len(sales):,} rows; events accepted {report.accepted}")
    template = pc.Forecaster(horizon=14, verbose=False, max_rows=1_000_000, signal_gate=None, seed=0)
    results = {}
    times = {}
    for name, sig in (("with trends", signals), ("without", None)):
        t0 = time.perf_counter()
        cv = pc.backtest(template, sales, signals=sig, stores=stores, n_windows=8, step=7, refit=False)
        times[name] = time.perf_counter() - t0
        results[name] = cv[cv["units"].notna() & (cv["units"] > 0)]
    rows = []
    for name, cv in results.items():
        err = np.abs(cv["units"] - cv["forecast"]).sum() / cv["units"].sum()
        inside = ((cv["units"] >= cv["p10"]) & (cv["units"] <= cv["p90"])).mean()
        rows.append(
            {"model": name, "wape": float(err), "coverage_p10_p90": float(inside), "seconds": times[name]}
        )
    fva = 1 - rows[0]["wape"] / rows[1]["wape"]
    print(markdown_table(rows))
    print(f"\nFVA of the Google Trends signal: {fva:+.2%} (positive = it helps)")
    gated = pc.Forecaster(horizon=14, verbose=False, max_rows=1_000_000, seed=0)
    cut = sales["date"].max() - pd.Timedelta(days=63)
    gated.fit(sales[sales["date"] <= cut], signals=signals, stores=stores)
    print("\nsignal gate at the first cutoff:\n" + gated.signal_report_.to_string(index=False))
    write_results(
        "rossmann",
        {
            "rows": rows,
            "fva": fva,
            "signal_report": gated.signal_report_.to_dict("records"),
            "peak_rss_mb": peak_rss_mb(),
            "note": "8 weekly cutoffs over the last 8 weeks, horizon 14, open days only, "
            "model fit at the first cutoff (refit=False)",
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
