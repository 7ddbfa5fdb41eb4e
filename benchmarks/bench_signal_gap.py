"""How much of the no-signal -> oracle gap the pull signals close, on the demo's own data.

The data are ``make demo``'s: make_retail 40 SKUs x 4 stores x 540 days, seed 7, signal strength 1.0
(a planted 3-day lead in every channel), with the last 28 days held back as the demo does. On that
history, a backtest of 2 windows of 28 days scores, at horizons 1-7 on in-stock days:

- ``no signals``: the default Forecaster on sales only;
- ``signals``: the same Forecaster given the events (gate on, as by default);
- ``signals, gate off``: the same with ``signal_gate=None`` (every channel kept);
- ``oracle``: make_retail's latent mean demand, which knows the pull.

``gap closed = (WAPE no signals - WAPE signals) / (WAPE no signals - WAPE oracle)``. Target (issue 14):
>= 0.4 with the gate keeping the informative channels.

Usage: ``python -m benchmarks signal_gap [--quick]`` (``--quick``: 16 SKUs x 360 days).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from benchmarks._common import markdown_table, peak_rss_mb, write_results

HORIZON = 28


def _scored(cv: pd.DataFrame, oracle: pd.DataFrame) -> pd.DataFrame:
    """In-stock rows at horizons 1-7, with the oracle's mean beside the forecast."""
    cv = cv[~cv["censored"]]
    cv = cv[(cv["date"] - cv["cutoff"]).dt.days <= 7]
    keys = ["sku", "store", "date"]
    return cv.merge(oracle, on=keys, how="left", validate="many_to_one")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks signal_gap")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--max-rows", type=int, default=300_000, help="Forecaster max_rows of every run")
    parser.add_argument(
        "--seeds", type=int, default=1, help="also score the gap at Forecaster seeds 1..N-1 (row sampling)"
    )
    args = parser.parse_args(argv)

    import pullcast as pc
    from pullcast.metrics import wape

    n_skus, n_days = (16, 360) if args.quick else (40, 540)
    sales, events, stores, truth = pc.make_retail(
        n_skus=n_skus, n_stores=4, n_days=n_days, seed=7, signal_strength=1.0, return_truth=True
    )
    cut = sales["date"].max() - pd.Timedelta(days=HORIZON)
    history = sales[sales["date"] <= cut]
    known = events[pd.to_datetime(events["arrived_at"]) <= cut]
    oracle = truth.demand[["sku", "store", "date", "mean"]].rename(columns={"mean": "oracle"})

    runs: dict[str, tuple[pd.DataFrame, float, pd.DataFrame | None]] = {}
    for name, gate, signals in (
        ("no signals", 0.01, None),
        ("signals", 0.01, known),
        ("signals, gate off", None, known),
    ):
        template = pc.Forecaster(horizon=HORIZON, verbose=False, max_rows=args.max_rows, signal_gate=gate)
        t0 = time.perf_counter()
        kw = {} if signals is None else {"signals": signals, "stores": stores}
        cv = pc.backtest(template, history, n_windows=2, step=HORIZON, **kw)
        seconds = time.perf_counter() - t0
        report = None
        if signals is not None and gate is not None:
            report = (
                pc.Forecaster(horizon=HORIZON, verbose=False, max_rows=args.max_rows)
                .fit(history, signals=known, stores=stores)
                .signal_report_
            )
        runs[name] = (_scored(cv, oracle), seconds, report)

    base = runs["no signals"][0]
    w_plain = wape(base)
    w_oracle = wape(base, forecast="oracle")
    oracle_bias = float(base["oracle"].sum() / base["units"].sum() - 1)
    rows = [
        {
            "model": "oracle (latent mean)",
            "wape_h1_7": w_oracle,
            "gap_closed": 1.0,
            "bias": oracle_bias,
            "seconds": 0.0,
        }
    ]
    for name, (scored, seconds, _) in runs.items():
        w = wape(scored)
        rows.append(
            {
                "model": name,
                "wape_h1_7": w,
                "gap_closed": (w_plain - w) / (w_plain - w_oracle),
                "bias": float(scored["forecast"].sum() / scored["units"].sum() - 1),
                "seconds": seconds,
            }
        )
    print(markdown_table(rows))
    report = runs["signals"][2]
    kept: list[str] = []
    if report is not None:
        print()
        print(report.to_string(index=False))
        kept = [str(c) for c in report.loc[report["kept"], "channel"]] if "kept" in report else []
    gap = next(r["gap_closed"] for r in rows if r["model"] == "signals")
    print(f"\ngap closed by signals (gate on): {gap:.3f} (target >= 0.4); channels kept: {kept}")
    gaps = [gap]
    for seed in range(1, args.seeds):  # the same backtests with another row sample
        scored = {}
        for name, signals in (("no signals", None), ("signals", known)):
            template = pc.Forecaster(horizon=HORIZON, verbose=False, max_rows=args.max_rows, seed=seed)
            kw = {} if signals is None else {"signals": signals, "stores": stores}
            scored[name] = wape(
                _scored(pc.backtest(template, history, n_windows=2, step=HORIZON, **kw), oracle)
            )
        gaps.append((scored["no signals"] - scored["signals"]) / (scored["no signals"] - w_oracle))
        print(
            f"seed {seed}: no signals {scored['no signals']:.4f}, signals {scored['signals']:.4f}, "
            f"gap {gaps[-1]:.3f}"
        )
    if len(gaps) > 1:
        print(
            f"gap closed over {len(gaps)} seeds: mean {np.mean(gaps):.3f}, "
            f"min {min(gaps):.3f}, max {max(gaps):.3f}"
        )
    write_results(
        "signal_gap",
        {
            "rows": rows,
            "gap_closed": gap,
            "gap_by_seed": gaps,
            "kept": kept,
            "quick": args.quick,
            "max_rows": args.max_rows,
            "peak_rss_mb": peak_rss_mb(),
            "note": f"make_retail {n_skus}x4x{n_days} seed 7 strength 1.0, last {HORIZON} days held back; "
            "2 backtest windows of 28 days, horizons 1-7, in-stock days",
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
