"""Does the signal gate keep planted channels and drop noise? Quick decisions on make_retail.

For each seed, make_retail is drawn twice: with a planted 3-day lead (``--strong``, default 2.0) and
with pure-noise channels (strength 0: the channels follow a pull that demand ignores). The default
Forecaster (gate on) is fitted on each, and its ``signal_report_`` is read: the gate passes when no noise
channel is kept and at least one planted channel is, with the kept FVA's lower 95% bound above zero.

Usage: ``python -m benchmarks signal_gate [--quick]`` (``--quick``: 16 SKUs x 3 stores x 300 days,
2 seeds; full: 40 SKUs x 4 stores x 540 days, 3 seeds, horizon 28).
"""

from __future__ import annotations

import argparse
import time

from benchmarks._common import markdown_table, peak_rss_mb, write_results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks signal_gate")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--strong", type=float, default=2.0)
    args = parser.parse_args(argv)

    import pullcast as pc

    if args.quick:
        size, seeds, horizon, max_rows = (16, 3, 300), (0, 1), 7, 20_000
    else:
        size, seeds, horizon, max_rows = (40, 4, 540), (0, 1, 2), 28, 300_000
    rows = []
    for seed in seeds:
        for strength in (0.0, args.strong):
            sales, events, stores = pc.make_retail(
                n_skus=size[0], n_stores=size[1], n_days=size[2], seed=seed, signal_strength=strength
            )
            t0 = time.perf_counter()
            f = pc.Forecaster(horizon=horizon, verbose=False, max_rows=max_rows)
            report = f.fit(sales, signals=events, stores=stores).signal_report_
            kept = report[report["kept"]]
            rows.append(
                {
                    "seed": seed,
                    "strength": strength,
                    "kept": ",".join(kept["channel"]) or "-",
                    "max_fva": float(report["fva"].max()),
                    "min_kept_fva_low": float(kept["fva_low"].min()) if len(kept) else float("nan"),
                    "seconds": time.perf_counter() - t0,
                }
            )
            print(markdown_table(rows[-1:]), flush=True)
    noise = [r for r in rows if r["strength"] == 0.0]
    planted = [r for r in rows if r["strength"] != 0.0]
    noise_dropped = all(r["kept"] == "-" for r in noise)
    planted_kept = all(r["kept"] != "-" and r["min_kept_fva_low"] > 0 for r in planted)
    print()
    print(markdown_table(rows))
    print(f"\nnoise dropped on every seed: {noise_dropped}; planted kept on every seed: {planted_kept}")
    write_results(
        "signal_gate_quick" if args.quick else "signal_gate",
        {
            "rows": rows,
            "noise_dropped": noise_dropped,
            "planted_kept": planted_kept,
            "quick": args.quick,
            "peak_rss_mb": peak_rss_mb(),
            "note": f"make_retail {size[0]}x{size[1]}x{size[2]}, horizon {horizon}, strength 0 vs "
            f"{args.strong}, seeds {list(seeds)}",
        },
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
