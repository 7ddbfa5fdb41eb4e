"""Intraday nowcasts: does the forecast for today and tomorrow improve as the day's signal events arrive?

make_retail with hourly search events and a short planted lead. The Forecaster is fit once; then for
each replayed day it gets yesterday's sales and the events that arrived, and forecasts at the start of
the day (00:00) and as of 10:00, 14:00 and 18:00 with the events that had arrived by then. WAPE of
today's and tomorrow's forecasts (days in stock) at each time of day, pooled over the replayed days.

Usage: ``python -m benchmarks nowcast [--quick] [--days N] [--lead L]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from benchmarks._common import markdown_table, peak_rss_mb, write_results

HOURS = (0, 10, 14, 18)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks nowcast")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--days", type=int, default=14, help="days replayed")
    parser.add_argument("--lead", type=int, default=0)
    args = parser.parse_args(argv)
    import pullcast as pc

    n_skus = 20 if args.quick else 60
    sales, events, stores = pc.make_retail(
        n_skus=n_skus, n_stores=3, n_days=400, seed=8, hourly=True, lead_days=args.lead, signal_strength=2.0
    )
    events = events.assign(arrived_at=pd.to_datetime(events["arrived_at"]))
    origin = sales["date"].max() - pd.Timedelta(days=args.days + 7)
    f = pc.Forecaster(horizon=7, verbose=False, max_rows=400_000, signal_gate=None, seed=0)
    t0 = time.perf_counter()
    f.fit(
        sales[sales["date"] <= origin],
        signals=events[events["arrived_at"] <= origin + pd.Timedelta(days=1)],
        stores=stores,
    )
    fit_s = time.perf_counter() - t0
    records = []
    arrived = events["arrived_at"]
    for k in range(args.days):
        day = origin + pd.Timedelta(days=k + 1)  # "today"
        future = sales[(sales["date"] >= day) & (sales["date"] < day + pd.Timedelta(days=7))]
        actual = future.set_index(["sku", "store", "date"])[["units", "on_hand"]]
        sent = day
        for hour in HOURS:
            as_of = day + pd.Timedelta(hours=hour)
            batch = events[(arrived >= sent) & (arrived <= as_of)]
            if hour and len(batch):
                f.update(signals=batch)
                sent = as_of + pd.Timedelta(1, "ns")
            fc = f.predict(future, as_of=as_of if hour else None)
            fc = fc[fc["date"] < day + pd.Timedelta(days=2)].join(actual, on=["sku", "store", "date"])
            fc = fc[fc["on_hand"] > 0]
            for which, part in (("today", fc[fc["date"] == day]), ("tomorrow", fc[fc["date"] > day])):
                records.append(
                    {
                        "hour": hour,
                        "day": which,
                        "abs_err": float(np.abs(part["units"] - part["forecast"]).sum()),
                        "units": float(part["units"].sum()),
                    }
                )
        rest = events[(arrived >= sent) & (arrived < day + pd.Timedelta(days=1))]
        f.update(sales=sales[sales["date"] == day], signals=rest if len(rest) else None)
    table = pd.DataFrame(records).groupby(["day", "hour"])[["abs_err", "units"]].sum()
    table["wape"] = table["abs_err"] / table["units"]
    rows = [
        {"day": d, "as_of": f"{h:02d}:00" if h else "start of day", "wape": float(w)}
        for (d, h), w in table["wape"].items()
    ]
    print(markdown_table(rows))
    monotone = {
        d: bool(np.all(np.diff(table.loc[d, "wape"].to_numpy()) <= 1e-12)) for d in ("today", "tomorrow")
    }
    print(f"\nmonotone improvement through the day: {monotone}")
    write_results(
        "nowcast",
        {
            "rows": rows,
            "monotone": monotone,
            "fit_s": fit_s,
            "peak_rss_mb": peak_rss_mb(),
            "note": f"make_retail hourly, lead {args.lead}, {args.days} replayed days, in-stock days",
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
