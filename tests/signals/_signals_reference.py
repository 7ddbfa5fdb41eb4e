"""Slow, obvious reference twins (plain pandas/Python) of the signal store's alignment.

They restate the documented semantics row by row: no arrays, no kernels, no caches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pullcast import Panel
from pullcast.signals import ChannelSpec

GRID_START = pd.Timestamp("2024-01-10")
N_DAYS = 10
STORES = pd.DataFrame({"store": [1, 2, 3], "region": ["N", "N", "S"]})
SPECS = [
    ChannelSpec("s_sku", level="sku", agg="sum"),
    ChannelSpec("s_store", level="store", agg="sum"),
    ChannelSpec("s_reg", level="region", agg="sum", delay="1D"),
    ChannelSpec("m_reg", level="region", agg="mean"),
    ChannelSpec("m_store", level="store", agg="mean", delay="6h"),
    ChannelSpec("l_sku", level="sku", agg="last"),
    ChannelSpec("l_reg", level="region", agg="last", delay="2D"),
]
# (sku, store, first day, last day) of the panel's series; sku "c" has no series (unmatched).
SERIES = [("a", 1, 0, 9), ("a", 2, 3, 9), ("a", 3, 0, 5), ("b", 1, 2, 9), ("b", 3, 0, 9)]


def make_panel(seed: int, days: int = N_DAYS) -> Panel:
    """The test panel; ``days < N_DAYS`` keeps only its first days (same units)."""
    rng = np.random.default_rng(seed)
    frames = []
    for sku, store, d0, d1 in SERIES:
        dates = pd.date_range(GRID_START + pd.Timedelta(days=d0), GRID_START + pd.Timedelta(days=d1))
        units = rng.integers(0, 4, len(dates)).astype(float)
        frames.append(pd.DataFrame({"sku": sku, "store": store, "date": dates, "units": units}))
    frame = pd.concat(frames, ignore_index=True)
    return Panel.from_frame(frame[frame["date"] < GRID_START + pd.Timedelta(days=days)])


def reference_shares(
    panel: Panel, stores: pd.DataFrame, window: int
) -> dict[tuple[int, pd.Timestamp], float]:
    """Sales share of each (series, date): trailing ``window`` days ending the day before."""
    region = dict(zip(stores["store"], stores["region"], strict=True))
    grid = panel.dates.grid
    trailing = {}
    for i in range(panel.n_series):
        s = panel.series(i).astype(float).reindex(grid).fillna(0.0)
        trailing[i] = s.rolling(window, min_periods=1).sum().shift(1).fillna(0.0)
    groups: dict[tuple[object, object], list[int]] = {}
    for i, row in panel.ids.iterrows():
        groups.setdefault((row["sku"], region.get(row["store"])), []).append(int(i))  # type: ignore[call-overload]
    out = {}
    for members in groups.values():
        for date in grid:
            den = sum(trailing[j][date] for j in members)
            for j in members:
                out[(j, date)] = trailing[j][date] / den if den > 0 else 1.0 / len(members)
    return out


def reference_aligned(
    events: pd.DataFrame,
    panel: Panel,
    specs: list[ChannelSpec],
    stores: pd.DataFrame,
    *,
    region_split: str = "broadcast",
    as_of: pd.Timestamp | None = None,
    window: int = 28,
) -> dict[str, np.ndarray]:
    """Brute-force aligned arrays. ``events`` has sku, store, region, channel, time, value, seq and
    optionally arrived_at (NaT or absent = time + delay)."""
    region_of = dict(zip(stores["store"], stores["region"], strict=True))
    shares = reference_shares(panel, stores, window) if region_split == "sales_share" else None
    ev = events.copy()
    if "arrived_at" not in ev.columns:
        ev["arrived_at"] = pd.NaT
    out = {}
    for spec in specs:
        e = ev[ev["channel"] == spec.name].copy()
        e["arrived_at"] = e["arrived_at"].fillna(e["time"] + pd.Timedelta(spec.delay))
        if as_of is not None:
            e = e[e["arrived_at"] <= as_of]
        e = e.sort_values(["arrived_at", "seq"])
        key = ["sku", "time"] if spec.level == "sku" else ["sku", spec.level, "time"]
        prevs = []
        last: dict[tuple[object, ...], float] = {}
        for _, row in e.iterrows():
            k = tuple(row[c] for c in key)
            prevs.append(last.get(k, np.nan))
            last[k] = row["value"]
        e["prev"] = prevs
        e["day"] = e["arrived_at"].dt.floor("D")
        flat: list[float] = []
        for i, row in panel.ids.iterrows():
            sku, store = row["sku"], row["store"]
            if spec.level == "sku":
                es = e[e["sku"] == sku]
            elif spec.level == "store":
                es = e[(e["sku"] == sku) & (e["store"] == store)]
            else:
                es = e[(e["sku"] == sku) & (e["region"] == region_of.get(store))]
            for date in panel.series(int(i)).index:  # type: ignore[call-overload]
                if spec.agg == "sum":
                    today = es[es["day"] == date]
                    v = float((today["value"] - today["prev"].fillna(0.0)).sum())
                else:
                    eff = es[es["prev"].isna() | (es["prev"] != es["value"])]
                    known = eff[eff["day"] <= date]
                    if known.empty:
                        v = np.nan
                    else:
                        today = known[known["day"] == known["day"].max()]
                        if spec.agg == "mean":
                            v = float(today["value"].mean())
                        else:
                            v = float(today.sort_values(["time", "arrived_at", "seq"])["value"].iloc[-1])
                if spec.level == "region" and shares is not None:
                    v = v * shares[(int(i), date)]  # type: ignore[call-overload]
                flat.append(v)
        out[spec.name] = np.asarray(flat, dtype=float)
    return out
