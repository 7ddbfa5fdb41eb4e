"""Build time, size and peak memory of the synthetic dataset ``pullcast.datasets.make_retail``.

Usage: ``python -m benchmarks make_retail [--large]`` (``--large``: 30,000 series x 365 days, the size
of the signal-alignment benchmark; takes tens of seconds and a few GB).
"""

from __future__ import annotations

import argparse

from benchmarks._common import markdown_table, median_time, peak_rss_mb, write_results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks make_retail")
    parser.add_argument("--large", action="store_true", help="also build 6,000 SKUs x 5 stores x 365 days")
    args = parser.parse_args(argv)
    from pullcast.datasets import make_retail

    cases = [
        ("default (50 x 5 x 730)", {}, 5),
        ("default, hourly search", {"hourly": True}, 3),
    ]
    if args.large:
        cases.append(("6000 x 5 x 365", {"n_skus": 6000, "n_stores": 5, "n_days": 365}, 1))
    rows = []
    for label, kwargs, repeat in cases:
        sales, events, _ = make_retail(**kwargs)
        seconds = median_time(lambda kw=kwargs: make_retail(**kw), repeat=repeat, warmup=0)
        rows.append(
            {
                "case": label,
                "seconds": seconds,
                "sales_rows": len(sales),
                "events": len(events),
                "stockout_share": float((sales["on_hand"] == 0).mean()),
                "zero_share": float((sales["units"] == 0).mean()),
            }
        )
        print(markdown_table(rows[-1:]), flush=True)
        del sales, events
    print()
    print(markdown_table(rows))
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    write_results("make_retail", {"rows": rows, "peak_rss_mb": peak_rss_mb()})
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
