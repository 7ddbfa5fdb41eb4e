"""Cold start: forecasts for SKUs the model has never seen, over their first days on sale.

On make_retail with launches, the Forecaster is fit once; then at origins every 14 days its state is
refreshed (no refit) and SKUs launching within the next 14 days are forecast as cold starts from their
future rows (category, price, promotion) and whatever pull signals arrived before the origin. Their WAPE
over their first days on sale (up to 28) is compared with the category-average baseline: the mean daily
units per store of the category's established SKUs over the 28 days before the origin.

Usage: ``python -m benchmarks coldstart [--quick]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from benchmarks._common import markdown_table, peak_rss_mb, write_results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks coldstart")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    import pullcast as pc

    n_skus, n_days = (120, 420) if args.quick else (300, 540)
    sales, events, stores, truth = pc.make_retail(
        n_skus=n_skus, n_stores=3, n_days=n_days, seed=4, launches=0.4, return_truth=True
    )
    events = events.assign(arrived_at=pd.to_datetime(events["arrived_at"]))
    launch = truth.skus.set_index("sku")["launch_date"]
    start, end = sales["date"].min(), sales["date"].max()
    first_origin = start + pd.Timedelta(days=n_days // 2)
    origins = pd.date_range(first_origin, end - pd.Timedelta(days=28), freq="14D")
    f = pc.Forecaster(horizon=28, verbose=False, max_rows=500_000, seed=0)
    t0 = time.perf_counter()
    f.fit(sales[sales["date"] <= origins[0]], signals=events, stores=stores)
    fit_s = time.perf_counter() - t0
    parts = []
    for origin in origins:
        new = launch[(launch > origin) & (launch <= origin + pd.Timedelta(days=14))].index
        if len(new) == 0:
            continue
        past = sales[sales["date"] <= origin]
        known = events[events["arrived_at"] < origin + pd.Timedelta(days=1)]
        f.refresh(past, signals=known, stores=stores)
        ahead = sales[(sales["date"] > origin) & (sales["date"] <= origin + pd.Timedelta(days=28))]
        fc = f.predict(ahead[ahead["sku"].isin(new) | ahead["sku"].isin(past["sku"].unique())])
        cold = fc[fc["sku"].isin(new)].merge(ahead, on=["sku", "store", "date"])
        recent = past[past["date"] > origin - pd.Timedelta(days=28)]
        category_mean = recent[recent["on_hand"] > 0].groupby("category")["units"].mean()
        cold["baseline"] = cold["category"].map(category_mean).to_numpy()
        cold = cold[(cold["on_hand"] > 0) & (cold["date"] >= cold["sku"].map(launch))]
        parts.append(cold.assign(origin=origin))
    cv = pd.concat(parts, ignore_index=True)

    def wape(col: str) -> float:
        return float(np.abs(cv["units"] - cv[col]).sum() / cv["units"].sum())

    rows = [
        {
            "model": "pullcast cold start",
            "wape": wape("forecast"),
            "rows": len(cv),
            "skus": cv["sku"].nunique(),
        },
        {"model": "category average", "wape": wape("baseline"), "rows": len(cv), "skus": cv["sku"].nunique()},
    ]
    print(markdown_table(rows))
    write_results(
        "coldstart",
        {
            "rows": rows,
            "fit_s": fit_s,
            "origins": len(parts),
            "peak_rss_mb": peak_rss_mb(),
            "note": "WAPE over each launched SKU's first days on sale (up to 28), days in stock",
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
