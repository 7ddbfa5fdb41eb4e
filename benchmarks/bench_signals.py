"""Signal store at scale: ingest 10M events, align to 30,000 series x 365 days, then one-day updates.

``python -m benchmarks signals [--quick]`` (``--quick``: 1M events, 3,000 series). Targets from
issue 3: >= 5 million events/s ingest, one-day update (append ~30,000 events + re-align) < 100 ms.
Reference: a plain pandas groupby-sum of the same events by (channel, sku, location, arrival day),
which does less (no dedupe, no mapping to stores, no carry-forward) and is shown for scale.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from benchmarks._common import markdown_table, peak_rss_mb, write_results

N_STORES, N_REGIONS, N_DAYS, UPDATES = 30, 5, 365, 5
START = pd.Timestamp("2024-01-01")
DAY_NS = 86_400 * 10**9


def specs() -> list[object]:
    from pullcast.signals import ChannelSpec

    return [
        ChannelSpec("search", level="sku", agg="sum"),
        ChannelSpec("wishlist", level="store", agg="sum"),
        ChannelSpec("social", level="region", agg="sum", delay="6h"),
        ChannelSpec("trend", level="region", agg="last", delay="2D"),
    ]


def stores_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"store": np.arange(N_STORES), "region": [f"R{s % N_REGIONS}" for s in range(N_STORES)]}
    )


def make_events(n: int, n_skus: int, day_lo: int, day_hi: int, rng: np.random.Generator) -> pd.DataFrame:
    """Mixed events: 40% SKU-level searches, 40% store-level wishlist adds, 15% regional social
    mentions, 5% regional trend index readings; times to the second within [day_lo, day_hi)."""
    kind = rng.choice(4, size=n, p=[0.4, 0.4, 0.15, 0.05])
    t = START.value + rng.integers(day_lo * DAY_NS // 10**9, day_hi * DAY_NS // 10**9, n) * 10**9
    t.sort()  # a stream arrives roughly in time order
    store = np.where(kind == 1, rng.integers(0, N_STORES, n).astype(float), np.nan)
    region_code = np.where(kind >= 2, rng.integers(0, N_REGIONS, n), -1)
    region = pd.Categorical.from_codes(region_code, categories=[f"R{r}" for r in range(N_REGIONS)])
    channel = pd.Categorical.from_codes(kind, categories=["search", "wishlist", "social", "trend"])
    return pd.DataFrame(
        {
            "sku": rng.integers(0, n_skus, n),
            "store": store,
            "region": region,
            "channel": channel,
            "time": t.view("datetime64[ns]"),
            "value": rng.poisson(3.0, n).astype(np.float64),
        }
    )


def make_panel(n_skus: int, rng: np.random.Generator, n_days: int = N_DAYS) -> object:
    from pullcast import Panel

    n_series = n_skus * N_STORES
    sales = pd.DataFrame(
        {
            "sku": np.repeat(np.arange(n_skus), N_STORES * n_days),
            "store": np.tile(np.repeat(np.arange(N_STORES), n_days), n_skus),
            "date": np.tile(pd.date_range(START, periods=n_days).values, n_series),
            "units": rng.poisson(2.0, n_series * n_days).astype(np.float32),
        }
    )
    return Panel.from_frame(sales)


def pandas_reference(events: pd.DataFrame) -> None:
    loc = events["store"].fillna(events["region"].cat.codes.astype(float))
    day = events["time"].dt.floor("D")
    events.assign(loc=loc, day=day).groupby(["channel", "sku", "loc", "day"], observed=True)["value"].sum()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks signals")
    parser.add_argument("--quick", action="store_true", help="1M events, 3,000 series")
    args = parser.parse_args(argv)
    from pullcast.signals import SignalStore

    n_events, n_skus = (1_000_000, 100) if args.quick else (10_000_000, 1_000)
    per_day = 30_000 if not args.quick else 3_000
    rng = np.random.default_rng(0)

    # warm up the jit (compiled once per machine, then cached)
    warm = SignalStore(specs(), stores=stores_frame())
    warm.append(make_events(2_000, 5, 0, 30, rng))
    small = make_panel(2, rng)
    warm.aligned(small)  # type: ignore[arg-type]
    warm.append(make_events(100, 2, 10, 11, rng))
    warm.aligned(small)  # type: ignore[arg-type]

    panel = make_panel(n_skus, rng)
    history = make_events(n_events, n_skus, -7, N_DAYS - UPDATES, rng)
    days = [make_events(per_day, n_skus, d, d + 1, rng) for d in range(N_DAYS - UPDATES, N_DAYS)]

    store = SignalStore(specs(), stores=stores_frame())
    t0 = time.perf_counter()
    report = store.append(history)
    t_ingest = time.perf_counter() - t0
    assert report.accepted == n_events, report
    t0 = time.perf_counter()
    store.aligned(panel)  # type: ignore[arg-type]
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    pandas_reference(history)
    t_pandas = time.perf_counter() - t0

    appends, aligns = [], []
    for ev in days:
        t0 = time.perf_counter()
        store.append(ev)
        t1 = time.perf_counter()
        store.aligned(panel)  # type: ignore[arg-type]
        t2 = time.perf_counter()
        appends.append(t1 - t0)
        aligns.append(t2 - t1)
    update = statistics.median([a + b for a, b in zip(appends, aligns, strict=True)])

    t0 = time.perf_counter()
    store.aligned(panel, region_split="sales_share")  # type: ignore[arg-type]
    t_share = time.perf_counter() - t0
    extra = make_events(per_day, n_skus, N_DAYS - 1, N_DAYS, rng)
    t0 = time.perf_counter()
    store.append(extra)
    store.aligned(panel, region_split="sales_share")  # type: ignore[arg-type]
    t_share_update = time.perf_counter() - t0

    # the next day: the panel grows by one day and that day's events arrive
    longer = make_panel(n_skus, np.random.default_rng(1), N_DAYS + 1)
    next_day = make_events(per_day, n_skus, N_DAYS, N_DAYS + 1, rng)
    t0 = time.perf_counter()
    store.append(next_day)
    store.aligned(longer)  # type: ignore[arg-type]
    t_extend = time.perf_counter() - t0

    rows = [
        {
            "step": f"ingest {n_events:,} events",
            "seconds": t_ingest,
            "events_per_s": n_events / t_ingest,
            "target": ">= 5e6 events/s",
            "vs_pandas_groupby": t_ingest / t_pandas,
        },
        {
            "step": f"full alignment {panel.n_series:,} series x {N_DAYS} days (broadcast)",  # type: ignore[attr-defined]
            "seconds": t_full,
            "events_per_s": n_events / t_full,
            "target": "",
            "vs_pandas_groupby": t_full / t_pandas,
        },
        {
            "step": f"one-day update: append {per_day:,} + re-align (median of {UPDATES})",
            "seconds": update,
            "events_per_s": per_day / update,
            "target": "< 0.1 s",
            "vs_pandas_groupby": update / t_pandas,
        },
        {
            "step": "  of which append",
            "seconds": statistics.median(appends),
            "events_per_s": float("nan"),
            "target": "",
            "vs_pandas_groupby": float("nan"),
        },
        {
            "step": "  of which re-align",
            "seconds": statistics.median(aligns),
            "events_per_s": float("nan"),
            "target": "",
            "vs_pandas_groupby": float("nan"),
        },
        {
            "step": "full alignment (sales_share)",
            "seconds": t_share,
            "events_per_s": n_events / t_share,
            "target": "",
            "vs_pandas_groupby": t_share / t_pandas,
        },
        {
            "step": "one-day update (sales_share)",
            "seconds": t_share_update,
            "events_per_s": per_day / t_share_update,
            "target": "< 0.1 s",
            "vs_pandas_groupby": t_share_update / t_pandas,
        },
        {
            "step": "next day: panel + 1 day, append its events, re-align (state extended in place)",
            "seconds": t_extend,
            "events_per_s": per_day / t_extend,
            "target": "",
            "vs_pandas_groupby": t_extend / t_pandas,
        },
        {
            "step": "reference: pandas groupby-sum of the events",
            "seconds": t_pandas,
            "events_per_s": n_events / t_pandas,
            "target": "",
            "vs_pandas_groupby": 1.0,
        },
    ]
    print(markdown_table(rows))
    peak = peak_rss_mb()
    print(f"peak RSS {peak:.0f} MB")
    path = write_results(
        "signals" + ("_quick" if args.quick else ""),
        {
            "quick": args.quick,
            "n_events": n_events,
            "n_series": panel.n_series,  # type: ignore[attr-defined]
            "n_days": N_DAYS,
            "events_per_day_update": per_day,
            "peak_rss_mb": peak,
            "ingest_events_per_s": n_events / t_ingest,
            "full_alignment_s": t_full,
            "one_day_update_s": update,
            "extend_one_day_s": t_extend,
            "rows": rows,
        },
    )
    print(f"wrote {path}")
    return 0
