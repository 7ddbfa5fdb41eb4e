"""Live sensing speed: one new day of sales and signals -> update + predict, without refitting.

Fits a Forecaster once (a small, fast model: the speed of update does not depend on model quality), then
replays the next days one at a time: ``update(day's sales, day's events)`` + ``predict`` is timed against
a full re-predict from scratch in the same process (``refresh`` from the whole history + ``predict``).
Reports medians over the replayed days.

Usage: ``python -m benchmarks update [--quick] [--skus N] [--days N]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from benchmarks._common import markdown_table, peak_rss_mb, write_results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks update")
    parser.add_argument("--quick", action="store_true", help="600 SKUs x 5 stores instead of 6,000 x 5")
    parser.add_argument("--skus", type=int, default=None)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--replay", type=int, default=5, help="days replayed one by one")
    args = parser.parse_args(argv)
    n_skus = args.skus or (600 if args.quick else 6000)

    import pullcast as pc

    t0 = time.perf_counter()
    sales, events, stores = pc.make_retail(n_skus=n_skus, n_stores=5, n_days=args.days, seed=0, launches=0.0)
    events = events.assign(arrived_at=pd.to_datetime(events["arrived_at"]))
    gen_s = time.perf_counter() - t0
    n_series = sales.groupby(["sku", "store"]).ngroups
    origin = sales["date"].max() - pd.Timedelta(days=args.replay + 28)
    history = sales[sales["date"] <= origin]
    known = events[events["arrived_at"] < origin + pd.Timedelta(days=1)]
    model = pc.GlobalLGBM(n_estimators=100, learning_rate=0.1)
    f = pc.Forecaster(horizon=28, model=model, max_rows=300_000, signal_gate=None, verbose=False)
    t0 = time.perf_counter()
    f.fit(history, signals=known, stores=stores)
    fit_s = time.perf_counter() - t0

    def future_after(day: pd.Timestamp) -> pd.DataFrame:
        return sales[(sales["date"] > day) & (sales["date"] <= day + pd.Timedelta(days=28))]

    f.predict(future_after(origin))  # warm-up: compiles kernels, builds caches
    update_s, scratch_s = [], []
    day = origin
    for _ in range(args.replay):
        day = day + pd.Timedelta(days=1)
        new_sales = sales[sales["date"] == day]
        arrived = events["arrived_at"]
        new_events = events[(arrived >= day) & (arrived < day + pd.Timedelta(days=1))]
        fut = future_after(day)
        t0 = time.perf_counter()
        f.update(sales=new_sales, signals=new_events)
        fc = f.predict(fut)
        update_s.append(time.perf_counter() - t0)
        known_now = events[arrived < day + pd.Timedelta(days=1)]
        g = pc.Forecaster.__new__(pc.Forecaster)
        g.__dict__.update(f.__dict__)
        t0 = time.perf_counter()
        g.refresh(sales[sales["date"] <= day], signals=known_now, stores=stores)
        fc_scratch = g.predict(fut)
        scratch_s.append(time.perf_counter() - t0)
        gap = float((fc["forecast"] - fc_scratch["forecast"]).abs().max())
        print(
            f"{day.date()}: update+predict {update_s[-1]:.3f} s, from scratch {scratch_s[-1]:.3f} s, "
            f"max |difference| {gap:.2e}",
            flush=True,
        )
    rows = [
        {
            "series": n_series,
            "update_predict_s": statistics.median(update_s),
            "from_scratch_s": statistics.median(scratch_s),
            "speedup": statistics.median(scratch_s) / statistics.median(update_s),
            "target_s": 1.0,
            "fit_s": fit_s,
            "events": len(events),
        }
    ]
    print(markdown_table(rows))
    write_results(
        "update",
        {
            "rows": rows,
            "generate_s": gen_s,
            "peak_rss_mb": peak_rss_mb(),
            "note": "median over replayed days; from scratch = refresh(full history) + predict",
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
