"""The end-to-end demo behind ``make demo`` / ``pullcast demo``.

Synthetic retail data with a leading pull signal -> backtest with and without signals -> fit ->
forecasts with quantiles -> sample paths -> order proposals with reasons. Tables are printed and
written as CSV to the output folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pullcast.backtest import backtest
from pullcast.datasets import make_retail
from pullcast.forecast import Forecaster
from pullcast.metrics import evaluate, wape
from pullcast.replenish import SamplePaths, propose_orders

__all__ = ["run_demo"]


def _section(title: str) -> None:
    print(f"\n=== {title} ===")


def _signal_verdict(report: pd.DataFrame, cv: pd.DataFrame) -> str:
    """One honest line: which channels the gate kept, and what the signals did to the backtest."""
    by_model = {str(m): wape(g) for m, g in cv.groupby("model")}
    with_s, without = by_model["lgbm + signals"], by_model["lgbm (no signals)"]
    kept = [str(c) for c in report.loc[report["kept"].astype(bool), "channel"]]
    change = with_s / without - 1
    verdict = "signals earn their place" if kept and change < 0 else "signals do not earn their place here"
    return (
        f"\n{verdict}: gate kept {len(kept)} of {len(report)} channels ({', '.join(kept) or 'none'}); "
        f"backtest WAPE {with_s:.4f} with signals vs {without:.4f} without ({change:+.2%})"
    )


def run_demo(
    out_dir: str | Path = "pullcast-demo", *, quick: bool = False, verbose: bool = True
) -> dict[str, object]:
    """Run the demo and return its tables (also written to ``out_dir`` as CSV).

    Parameters
    ----------
    out_dir : str or Path, default "pullcast-demo"
    quick : bool, default False
        A smaller dataset (for tests).
    verbose : bool, default True
        Progress bars.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_skus, n_days, horizon = (12, 240, 14) if quick else (40, 540, 28)
    sales, events, stores = make_retail(n_skus=n_skus, n_stores=4, n_days=n_days, seed=7, signal_strength=1.0)
    last = sales["date"].max()
    offset = pd.Timedelta(days=horizon)
    history = sales[sales["date"] <= last - offset]
    future = sales[sales["date"] > last - offset]
    known = events[pd.to_datetime(events["arrived_at"]) <= last - offset]
    pd.set_option("display.width", 140)
    _section(f"data: {sales['sku'].nunique()} SKUs x {sales['store'].nunique()} stores, {n_days} days")
    print(
        f"{len(sales):,} sales rows, {len(events):,} signal events in channels "
        f"{sorted(events['channel'].unique())}"
    )

    template = Forecaster(horizon=horizon, verbose=verbose)
    cv_sig = backtest(template, history, signals=known, stores=stores, n_windows=2, step=horizon)
    cv_plain = backtest(template, history, n_windows=2, step=horizon).assign(model="lgbm (no signals)")
    cv_sig = cv_sig.assign(model="lgbm + signals")
    cv = pd.concat([cv_sig, cv_plain], ignore_index=True)
    cv = cv[~cv["censored"]] if "censored" in cv else cv
    scores = evaluate(cv, metrics=["wape", "bias", "pinball", "coverage"], by=())
    _section("backtest (2 windows, stockout days excluded)")
    print(scores.to_string(index=False))

    f = Forecaster(horizon=horizon, verbose=verbose).fit(history, signals=known, stores=stores)
    _section("signal report (held-out forecast value added per channel)")
    print(f.signal_report_.to_string(index=False))
    print(_signal_verdict(f.signal_report_, cv))
    fc = f.predict(future)
    _section("forecasts (first rows)")
    print(fc.head(8).to_string(index=False))

    paths = f.sample_paths(n=500, seed=0, future=future)
    inventory = history[history["date"] == history["date"].max()][["sku", "store", "on_hand"]]
    orders = propose_orders(
        SamplePaths(f.forecast_ids(future), paths, pd.DatetimeIndex(fc["date"].unique()[:horizon])), inventory
    )
    _section("order proposals (first rows)")
    print(orders.head(8).to_string(index=False))
    _section("summary")
    print(
        f"{int((orders['order_qty'] > 0).sum())} of {len(orders)} SKU-stores get an order; "
        f"{orders['order_qty'].sum():,.0f} units in total. Tables written to {out.resolve()}"
    )
    tables = {
        "backtest": cv,
        "scores": scores,
        "signal_report": f.signal_report_,
        "forecast": fc,
        "orders": orders,
    }
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
    return dict(tables)
