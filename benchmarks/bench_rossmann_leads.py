"""Real pull signal: Rossmann weekly Google Trends (per German state and national) vs daily store sales.

``python -m benchmarks rossmann_leads [--stores N]``: loads the data folder ``rossmann``
(set ``PULLCAST_DATA``; skips when absent), turns each weekly Trends row into one event (event time =
the week's last day; known one day later, so ``delay="1D"``), stores the state-level series as a
region-level ``"last"`` channel mapped to stores through ``store_states`` (``"HB,NI"`` = Bremen +
Niedersachsen read the NI series),
the national series as a SKU-level channel, aligns both as-of to the daily sales panel and runs
:func:`pullcast.signals.signal_leads` with first differences and with weekly (lag-7) differences
(sales have a strong day-of-week pattern). Closed days (``Open == 0``) and the 2014-07..12 gap of 180
stores are NaN sales, not zeros. Rossmann has no SKU: every series is sku ``"rossmann"``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import data_folder, markdown_table, missing_data, peak_rss_mb, write_results


def read_trend(path: Path) -> pd.DataFrame:
    """One row per week: ``week_end`` and ``index`` (the German header line is skipped)."""
    raw = pd.read_csv(path, skiprows=1, header=None, names=["week", "index"])
    week_end = pd.to_datetime(raw["week"].str.split(" - ").str[1])
    return pd.DataFrame({"week_end": week_end, "index": raw["index"].astype(float)})


def load(folder: Path, n_stores: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(sales, events, stores) in pullcast's column contract."""
    train = pd.read_csv(folder / "train.csv.gz", usecols=["Store", "Date", "Sales", "Open"])
    states = pd.read_csv(folder / "store_states.csv.gz")
    if n_stores is not None:
        keep = np.sort(states["Store"].unique())[:n_stores]
        train = train[train["Store"].isin(keep)]
        states = states[states["Store"].isin(keep)]
    sales = pd.DataFrame(
        {
            "sku": "rossmann",
            "store": train["Store"].to_numpy(),
            "date": pd.to_datetime(train["Date"]).to_numpy(),
            "units": np.where(train["Open"].to_numpy() == 1, train["Sales"].to_numpy(), np.nan),
        }
    )
    stores = pd.DataFrame(
        {"store": states["Store"].to_numpy(), "region": states["State"].replace({"HB,NI": "NI"}).to_numpy()}
    )
    frames = []
    for path in sorted((folder / "googletrend").glob("Rossmann_DE*.csv.gz")):
        code = path.name[len("Rossmann_DE") : -len(".csv.gz")].lstrip("_")
        trend = read_trend(path)
        frames.append(
            pd.DataFrame(
                {
                    "sku": "rossmann",
                    "region": code or None,
                    "channel": "trend_state" if code else "trend_de",
                    "time": trend["week_end"],
                    "value": trend["index"],
                }
            )
        )
    events = pd.concat(frames, ignore_index=True)
    return sales, events, stores


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks rossmann_leads")
    parser.add_argument("--stores", type=int, default=None, help="use the first N stores only")
    parser.add_argument("--max-lead", type=int, default=28)
    args = parser.parse_args(argv)
    folder = data_folder("rossmann")
    if folder is None:
        print(f"skipped: {missing_data('rossmann')}")
        return 0
    from pullcast import Panel
    from pullcast.signals import ChannelSpec, SignalStore, signal_leads

    t0 = time.perf_counter()
    sales, events, stores = load(folder, args.stores)
    panel = Panel.from_frame(sales, fill_missing="nan")
    store = SignalStore(
        [
            ChannelSpec("trend_state", level="region", agg="last", delay="1D"),
            ChannelSpec("trend_de", level="sku", agg="last", delay="1D"),
        ],
        stores=stores,
    )
    report = store.append(events)
    aligned = store.aligned(panel)
    t_align = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = signal_leads(panel, aligned, max_lead=args.max_lead).assign(differencing="first (lag 1)")
    weekly = signal_leads(panel, aligned, max_lead=args.max_lead, diff_lag=7).assign(
        differencing="weekly (lag 7)"
    )
    leads = pd.concat([first, weekly], ignore_index=True)
    t_leads = time.perf_counter() - t0
    print(f"{panel!r}")
    print(
        f"events: {report.n_rows} rows, {report.accepted} accepted, "
        f"{report.rejected} rejected {report.reasons}"
    )
    print(markdown_table(store.unmatched.to_dict("records")))
    print()
    rows = leads.to_dict("records")
    print(markdown_table(rows))
    print(f"load+align {t_align:.2f} s, signal_leads {t_leads:.2f} s, peak RSS {peak_rss_mb():.0f} MB")
    write_results(
        "rossmann_leads",
        {
            "n_series": panel.n_series,
            "n_obs": int(panel.indptr[-1]),
            "events": {"rows": report.n_rows, "accepted": report.accepted, "rejected": report.reasons},
            "placement": store.unmatched.to_dict("records"),
            "max_lead": args.max_lead,
            "rows": rows,
        },
    )
    return 0
