"""Where the demo's under-forecast comes from: censoring, or the windows it is measured on.

The data are ``make demo``'s (make_retail 40 SKUs x 4 stores x 540 days, seed 7, signal strength 1.0).
The default Forecaster is backtested over ``--windows`` 28-day windows, without signals, twice:

- on the sales as given (stockout days censored, scored on in-stock days);
- on the same data with the units replaced by make_retail's true demand (nothing censored).

It prints the bias (sum of forecasts / sum of units - 1) overall and per window and week. If censoring
caused the under-forecast, the uncensored run would lose it.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from benchmarks._common import markdown_table, write_results

HORIZON = 28


def _bias(cv: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    scored = cv[~cv["censored"]] if "censored" in cv else cv
    week = (pd.to_datetime(scored["date"]) - pd.to_datetime(scored["cutoff"])).dt.days.sub(1) // 7 + 1
    cells = scored.assign(week=week).groupby(["cutoff", "week"])[["forecast", "units"]].sum()
    by_cell = (cells["forecast"] / cells["units"] - 1).unstack()
    return float(scored["forecast"].sum() / scored["units"].sum() - 1), by_cell


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks demo_bias")
    parser.add_argument("--windows", type=int, default=8)
    args = parser.parse_args(argv)

    import pullcast as pc

    sales, _, _, truth = pc.make_retail(
        n_skus=40, n_stores=4, n_days=540, seed=7, signal_strength=1.0, return_truth=True
    )
    demand = truth.demand[["sku", "store", "date", "demand"]]
    uncensored = (
        sales.drop(columns=["on_hand", "units"])
        .merge(demand, on=["sku", "store", "date"])
        .rename(columns={"demand": "units"})
    )
    rows, tables = [], {}
    for name, frame in (("sales as given (censored)", sales), ("true demand (uncensored)", uncensored)):
        cut = frame["date"].max() - pd.Timedelta(days=HORIZON)
        t0 = time.perf_counter()
        cv = pc.backtest(
            pc.Forecaster(horizon=HORIZON, verbose=False),
            frame[frame["date"] <= cut],
            n_windows=args.windows,
            step=HORIZON,
        )
        bias, by_cell = _bias(cv)
        rows.append({"data": name, "bias": bias, "seconds": time.perf_counter() - t0})
        tables[name] = by_cell
    print(markdown_table(rows))
    for name, table in tables.items():
        print(f"\nbias per window (cutoff) and week, {name}:")
        print(table.round(3).to_string())
    write_results(
        "demo_bias",
        {
            "rows": rows,
            "windows": args.windows,
            "by_cell": {
                k: {str(c.date()): row.round(4).tolist() for c, row in v.iterrows()}
                for k, v in tables.items()
            },
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
